//! FLV: the container nginx-rtmp, SRS and OBS record.
//!
//! - [`tag`]: typed tag headers — the 11-byte tag header, and the audio and video
//!   headers at the start of tag data — with named codec ids and packet types.
//! - [`demux`]: whole tags from bytes pushed in chunks of any size.
//! - [`amf`]: AMF0 script data, as far as `onMetaData` needs it.
//! - [`index`]: one pass for every keyframe's time and byte offset, and the duration.
//!
//! File layout: a 9-byte header (`FLV`, version, flags, header size), then
//! `PreviousTagSize0` and tags, each `type(1) size(3) timestamp(3) ts_ext(1)
//! stream_id(3) data(size) previous_tag_size(4)`.

pub mod amf;
pub mod demux;
pub mod index;
pub mod tag;
#[cfg(test)]
pub(crate) mod testing;

pub use demux::{Demuxer, Header, Tag};
pub use tag::{
    AacPacketType, AudioFormat, AudioTagHeader, AvcPacketType, FrameType, TagHeader, TagType, VideoCodec,
    VideoTagHeader,
};
