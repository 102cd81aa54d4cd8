//! Keyframes as pictures: for a recording's poster and its seek-bar storyboard, the
//! server decodes a handful of H.264 keyframes with a decoder that takes Annex B (such
//! as openh264). This module finds them and gives each as an access unit that decodes
//! on its own: the SPS and PPS (from `avcC`, or the stream's in-band ones for MPEG-TS),
//! then the picture's NAL units, each behind `00 00 00 01`, with the picture's
//! presentation time.
//!
//! - [`Targets`]: which keyframes a caller wants (the first at or after each time).
//! - [`FlvKeyframes`] (`flv`): an FLV streamed once in chunks; only wanted keyframes are
//!   copied, and the caller may stop reading once [`FlvKeyframes::done`]. Or, knowing
//!   where its keyframes' tags are (a keyframe index): [`flv_head`] on its first bytes
//!   for the AVC configuration, then [`flv_keyframe_tag`] on each picked tag, read alone.
//! - [`Mp4Keyframes`] (`mp4`): a progressive MP4's keyframes from its `moov` alone
//!   (time, offset, size), so the caller reads only their bytes; then
//!   [`Mp4Keyframes::annexb`] on each.
//! - [`ts_first_keyframe`] (`ts`): the first keyframe of one MPEG-TS segment (HLS).
//!
//! What goes into the Annex B: the parameter sets, then the sample's NAL units except
//! SEI, access unit delimiters, end-of-sequence/stream and filler — none is needed to
//! decode the picture, a delimiter is only valid first in an access unit (it would follow
//! the SPS/PPS here), and x264's first SEI is half a kilobyte of its settings. A keyframe
//! whose sample has no IDR slice (a recovery-point I-frame of an open GOP) does not
//! decode on its own and is not given.

mod flv;
mod mp4;
mod ts;

pub use flv::{FlvHead, FlvKeyframes, flv_head, flv_keyframe_tag};
pub use mp4::{KeySample, Mp4Keyframes};
pub use ts::ts_first_keyframe;

use crate::codec::AvcConfig;
use crate::error::{Error, ErrorKind, Result};
use crate::ts::h264::nal;

/// The Annex B start code put before each NAL unit (the 4-byte form, which every
/// decoder takes at the start of an access unit and before parameter sets).
pub const START_CODE: [u8; 4] = [0, 0, 0, 1];

/// A keyframe that decodes on its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keyframe {
    /// Its presentation time, ms (see each reader for the timeline).
    pub time_ms: i64,
    /// SPS, PPS, then the picture's NAL units, each behind [`START_CODE`].
    pub annexb: Vec<u8>,
}

/// Which keyframes a caller wants: the first keyframe at or after each target time (ms).
/// A keyframe that satisfies several targets is given once; the targets it passed are
/// dropped (a poster at 0 s and a storyboard tile at 0 s get the same keyframe; a 10 s
/// GOP serves a tile every 2 s once).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Targets {
    /// Ascending, without repeats.
    times: Vec<i64>,
    /// The first target not yet met.
    at: usize,
}

impl Targets {
    /// The target times, in any order (sorted here; repeats count once).
    pub fn new(mut times_ms: Vec<i64>) -> Targets {
        times_ms.sort_unstable();
        times_ms.dedup();
        Targets { times: times_ms, at: 0 }
    }

    /// A keyframe at `time_ms` meets the next target.
    pub fn wants(&self, time_ms: i64) -> bool {
        self.next().is_some_and(|t| time_ms >= t)
    }

    /// A keyframe at `time_ms` was given: every target up to it is met.
    pub fn take(&mut self, time_ms: i64) {
        while self.times.get(self.at).is_some_and(|&t| t <= time_ms) {
            self.at += 1;
        }
    }

    /// Every target is met.
    pub fn done(&self) -> bool {
        self.at >= self.times.len()
    }

    /// The next target not yet met.
    pub fn next(&self) -> Option<i64> {
        self.times.get(self.at).copied()
    }
}

/// The Annex B access unit of a keyframe: `config`'s parameter sets, then the NAL units
/// of `sample` (each behind a length of `config.nal_length_size` bytes, as FLV and MP4
/// carry them; the TS demuxer gives 4). `None` when it has no IDR slice. `offset` is
/// where `sample` starts in the input, for errors: a length running past the sample, or
/// an `avcC` whose lists are cut.
pub(crate) fn annexb(config: &AvcConfig, sample: &[u8], offset: u64) -> Result<Option<Vec<u8>>> {
    let sets = config.parameter_sets().map_err(|k| Error::new(offset, k))?;
    let size = usize::from(config.nal_length_size);
    let mut out = Vec::with_capacity(sample.len() + sets.iter().map(|s| s.len() + 4).sum::<usize>() + 64);
    for set in sets.into_iter().filter(|s| !s.is_empty()) {
        out.extend_from_slice(&START_CODE);
        out.extend_from_slice(set);
    }
    let mut idr = false;
    let mut at = 0;
    while at < sample.len() {
        let len = sample
            .get(at..at + size)
            .ok_or(Error::new(
                offset.saturating_add(at as u64),
                ErrorKind::BadStream("a NAL unit's length is cut short"),
            ))?
            .iter()
            .fold(0usize, |n, &b| n << 8 | usize::from(b));
        at += size;
        let unit = at.checked_add(len).and_then(|end| sample.get(at..end)).ok_or(Error::new(
            offset.saturating_add((at - size) as u64),
            ErrorKind::BadStream("a NAL unit runs past the end of its frame"),
        ))?;
        at += len;
        let Some(&header) = unit.first() else { continue };
        match header & 0x1f {
            nal::SEI | nal::AUD | nal::END_OF_SEQUENCE | nal::END_OF_STREAM | nal::FILLER => continue,
            kind => idr |= kind == nal::IDR,
        }
        out.extend_from_slice(&START_CODE);
        out.extend_from_slice(unit);
    }
    Ok(idr.then_some(out))
}
