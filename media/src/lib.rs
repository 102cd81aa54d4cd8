//! FLV demuxing and MP4 / fragmented-MP4 muxing for Relive.
//!
//! Pure Rust with no I/O and no platform dependencies: the same code remuxes in the
//! browser (WebAssembly, feeding Media Source Extensions) and natively (the server,
//! tests and benchmarks).
//!
//! - [`demux`]: FLV tags from bytes in chunks of any size.
//! - [`amf`]: `onMetaData` (AMF0).
//! - [`codec`]: H.264 and AAC configurations, RFC 6381 codec strings.
//! - [`mp4`]: init and media segments, and progressive MP4.
//! - [`remux`]: FLV → fragmented MP4 incrementally ([`Remuxer`]), or → progressive MP4 ([`to_mp4`]).
//! - [`index`]: one pass for every keyframe's time and byte offset, and the duration.
//!
//! Corrupt input is an [`Error`] with the byte offset, never a panic.

pub mod amf;
pub mod codec;
pub mod demux;
mod error;
pub mod index;
pub mod mp4;
pub mod remux;

pub use error::{Error, ErrorKind, Result};
pub use index::{Indexer, KeyframeIndex, SeekPoint, index};
pub use remux::{Output, Remuxer, remux_all, to_mp4};
