//! MP4 (ISO BMFF): writing and reading.
//!
//! Writing — fragmented MP4 for Media Source Extensions ([`init_segment`], then
//! [`media_segment`]s of `moof`+`mdat`) and progressive MP4 ([`progressive()`]: `moov`
//! before `mdat`) for browsers without MSE and for downloads. All tracks written use a
//! timescale of 1000 (milliseconds), the unit of FLV timestamps.
//!
//! - `write` (private): the box writer and the boxes both forms share (`ftyp`, `mvhd`, `trak`
//!   down to `stsd` with `avcC` / `esds`).
//! - [`fragmented`]: init and media segments.
//! - [`progressive`](mod@progressive): a whole file with complete sample tables.
//!
//! Reading — pure, over byte slices; the caller reads the file:
//!
//! - [`read`]: [`BoxHeader`] (8- or 16-byte headers, size 0 = to the end) and
//!   [`Boxes`], the child boxes of a slice, with errors for impossible sizes.
//! - [`probe`]: typed [`Mvhd`], [`Tkhd`], [`Mdhd`], [`Hdlr`] (version 0 and 1), and
//!   [`probe_moov`]: duration, the first video track's picture size, every track.
//! - [`init`]: [`init_mime`], the MIME type and codecs of an fMP4 init segment (an HLS
//!   `EXT-X-MAP`), from its `avcC` and `esds`.
//!
//! Demuxing — [`demux`]: a progressive MP4's sample tables, where its `moov` is
//! ([`demux::locate_moov`]), and [`demux::Mp4Remuxer`], progressive → fragmented MP4
//! incrementally, for the player.
//!
//! Joining — [`join`]: several remuxers' fragmented MP4 (a broadcast's parts) as one
//! file: one init segment (with the whole duration), `mfhd` sequence numbers renumbered.

pub mod demux;
pub mod fragmented;
pub mod init;
pub mod join;
pub mod probe;
pub mod progressive;
pub mod read;
#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;
mod write;

pub use fragmented::{init_segment, media_segment};
pub use init::init_mime;
pub use probe::{Hdlr, Mdhd, Mp4Facts, Mvhd, Tkhd, TrackFacts, probe_moov};
pub use progressive::progressive;
pub use read::{BoxHeader, Boxes, FourCC, Mp4Box};

use crate::codec::{AacConfig, AvcConfig};

pub const TIMESCALE: u32 = 1000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrackConfig {
    Video(AvcConfig),
    Audio(AacConfig),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Track {
    pub id: u32,
    pub config: TrackConfig,
}

impl Track {
    pub fn codec_string(&self) -> String {
        match &self.config {
            TrackConfig::Video(c) => c.codec_string(),
            TrackConfig::Audio(c) => c.codec_string(),
        }
    }

    pub(crate) fn is_video(&self) -> bool {
        matches!(self.config, TrackConfig::Video(_))
    }
}

/// One frame of one track.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sample {
    /// Decode time, milliseconds on the output timeline.
    pub dts: i64,
    /// Presentation minus decode time, milliseconds (H.264 B-frames); 0 for audio.
    pub cts: i32,
    pub duration: u32,
    pub key: bool,
    pub data: Vec<u8>,
}
