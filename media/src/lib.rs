//! Relive's container code: FLV demuxing and indexing, MPEG-TS demuxing, MP4 /
//! fragmented-MP4 muxing, MP4 box reading, probing and demuxing, and the FLV → MP4,
//! TS → fMP4 and MP4 → fMP4 remuxers between them.
//!
//! Pure Rust with no I/O and no platform dependencies: the same code remuxes in the
//! browser (WebAssembly, feeding Media Source Extensions) and natively (the server,
//! tests and benchmarks). Callers read files; this crate reads bytes.
//!
//! - [`flv`]: the FLV container.
//!   - [`flv::tag`]: typed tag headers (tag type, timestamp; video frame type, codec id,
//!     AVC packet type, composition time; audio format, AAC packet type), named codec ids.
//!   - [`flv::demux`] (also [`demux`]): FLV tags from bytes in chunks of any size.
//!   - [`flv::amf`] (also [`amf`]): `onMetaData` (AMF0).
//!   - [`flv::index`] (also [`index`](mod@index)): one pass for every keyframe's time and byte offset, and the duration.
//! - [`mp4`]: the MP4 (ISO BMFF) container.
//!   - [`mp4::fragmented`]: init and media segments ([`mp4::init_segment`],
//!     [`mp4::media_segment`]); [`mp4::progressive`](mod@mp4::progressive): a whole MP4,
//!     `moov` first ([`mp4::progressive()`]); both on a private box writer (`mp4::write`).
//!   - [`mp4::read`]: box headers and child boxes, with errors for impossible sizes.
//!   - [`mp4::probe`]: typed `mvhd`, `tkhd`, `mdhd`, `hdlr`, and [`mp4::probe_moov`] for a
//!     file's duration, picture size and tracks.
//!   - [`mp4::init`]: the MIME type and codecs of an fMP4 init segment; the sample
//!     entries (`avc1`/`avc3` + `avcC`, `mp4a` + `esds`) that the demuxer reads too.
//!   - [`mp4::demux`]: progressive MP4 (`moov` + `mdat`) → fragmented MP4 incrementally
//!     ([`mp4::demux::Mp4Remuxer`]): where the `moov` is ([`mp4::demux::locate_moov`]),
//!     each track's sample tables (checked, compact), a seek index, restarts.
//!   - [`mp4::join`]: several remuxers' outputs (a broadcast's parts) as one file: one
//!     init segment, `mfhd` sequence numbers renumbered ([`mp4::join::Joiner`]).
//! - [`frames`]: keyframes as Annex B access units that decode on their own (posters,
//!   storyboards): from an FLV streamed in chunks, an MP4's `moov` (offsets to read), a TS segment.
//! - [`codec`]: H.264 and AAC configurations, RFC 6381 codec strings.
//! - [`hls`]: m3u8 playlists ([`hls::parse`]): master (variants, [`hls::pick_variant`]) and
//!   media (segments with start times, byte ranges, discontinuities, `EXT-X-MAP`), every
//!   URI resolved against the playlist's URL, a signed playlist's query carried on.
//! - [`ts`]: MPEG-TS, the segments of HLS: packets (resync), PAT/PMT, PES, H.264 access
//!   units, ADTS frames, and [`ts::TsRemuxer`], segments → fragmented MP4 on the
//!   playlist's timeline.
//! - [`remux`]: FLV → fragmented MP4 incrementally ([`Remuxer`]), or → progressive MP4
//!   ([`to_mp4`]); each track's samples and timestamp stitching in a private `remux::track`.
//! - `error` (private; [`Error`], [`ErrorKind`], [`Result`] re-exported here).
//!
//! Corrupt input is an [`Error`] with the byte offset, never a panic.

pub mod codec;
mod error;
pub mod flv;
pub mod frames;
pub mod hls;
pub mod mp4;
pub mod remux;
pub mod ts;

pub use error::{Error, ErrorKind, Result};
// The paths callers used before FLV got its own module.
pub use flv::index::{FlvIndex, Indexer, SeekPoint, index};
pub use flv::{amf, demux, index};
pub use remux::{Output, Remuxer, remux_all, to_mp4};
