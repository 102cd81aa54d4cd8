//! H.264 in MPEG-TS: Annex B byte streams (NAL units behind `00 00 01` start codes) →
//! access units as MP4 samples (each NAL unit behind a 4-byte length), and SPS/PPS →
//! [`AvcConfig`] (ITU-T H.264 §7.4.1.2.3 and Annex B).
//!
//! An access unit starts at an access unit delimiter, or — in streams without them — at
//! an SPS, PPS, SEI or prefix NAL unit after a slice, at a slice whose
//! `first_mb_in_slice` is 0, and at the first NAL unit of a PES that has a PTS (one access
//! unit per PES, the fallback). SPS, PPS, delimiters and filler data are left out of the
//! samples (SPS and PPS go to `avcC`); emulation-prevention bytes stay in.

use super::demux::{Frame, VideoFrame};
use super::pes::Pes;
use crate::codec::AvcConfig;
use crate::error::{Error, Result};

/// NAL unit types (H.264 Table 7-1).
pub mod nal {
    pub const SLICE: u8 = 1;
    pub const IDR: u8 = 5;
    pub const SEI: u8 = 6;
    pub const SPS: u8 = 7;
    pub const PPS: u8 = 8;
    pub const AUD: u8 = 9;
    pub const END_OF_SEQUENCE: u8 = 10;
    pub const END_OF_STREAM: u8 = 11;
    pub const FILLER: u8 = 12;
    pub const PREFIX: u8 = 14;
}

/// Frame duration assumed before two frames have been seen (30 fps), in 90 kHz ticks.
const DEFAULT_FRAME_TICKS: i64 = 3000;

/// Where the next `00 00 01` at or after `from` starts. Sixteen bytes at a time: bytes
/// without a zero among them cannot hold the start of one.
pub fn find_start_code(data: &[u8], from: usize) -> Option<usize> {
    const LOW: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |w: u64| w.wrapping_sub(LOW) & !w & HIGH != 0;
    let is_start = |j: usize| data[j] == 0 && data.get(j + 1) == Some(&0) && data.get(j + 2) == Some(&1);
    let mut i = from;
    while let Some(block) = data.get(i..i + 16) {
        let (a, b) = block.split_at(8);
        let (a, b) = (
            u64::from_le_bytes(a.try_into().unwrap_or_default()),
            u64::from_le_bytes(b.try_into().unwrap_or_default()),
        );
        if (has_zero(a) || has_zero(b))
            && let Some(j) = (i..i + 16).find(|&j| is_start(j))
        {
            return Some(j);
        }
        i += 16;
    }
    (i..data.len()).find(|&j| is_start(j))
}

fn trim_trailing_zeros(mut b: &[u8]) -> &[u8] {
    while let [rest @ .., 0] = b {
        b = rest;
    }
    b
}

/// Splits an Annex B byte stream: the bytes before the first start code (the tail of a
/// NAL unit begun earlier), and the NAL units (start codes and trailing zeros removed).
pub fn split_annex_b(data: &[u8]) -> (&[u8], NalUnits<'_>) {
    match find_start_code(data, 0) {
        Some(p) => (trim_trailing_zeros(&data[..p]), NalUnits { data, next: Some(p + 3) }),
        None => (data, NalUnits { data, next: None }),
    }
}

/// The NAL units of an Annex B byte stream.
pub struct NalUnits<'a> {
    data: &'a [u8],
    /// Where the next NAL unit's first byte is.
    next: Option<usize>,
}

impl<'a> Iterator for NalUnits<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        let start = self.next?;
        match find_start_code(self.data, start) {
            Some(p) => {
                self.next = Some(p + 3);
                Some(trim_trailing_zeros(&self.data[start..p]))
            }
            None => {
                self.next = None;
                Some(trim_trailing_zeros(&self.data[start..]))
            }
        }
    }
}

/// `first_mb_in_slice == 0`: its Exp-Golomb code is the single bit `1`.
fn first_slice_of_picture(nal: &[u8]) -> bool {
    nal.get(1).is_some_and(|b| b & 0x80 != 0)
}

/// An access unit being gathered.
#[derive(Debug)]
struct AccessUnit {
    pts: Option<i64>,
    dts: Option<i64>,
    key: bool,
    has_slice: bool,
    data: Vec<u8>,
    /// Where the last NAL unit's length field is in `data`.
    last_nal: Option<usize>,
    offset: u64,
}

/// Turns the PES payloads of one H.264 stream into access units and configurations.
#[derive(Debug, Default)]
pub struct AvcParser {
    sps: Option<Vec<u8>>,
    pps: Option<Vec<u8>>,
    /// The SPS and PPS of the configuration last given out.
    configured: Option<(Vec<u8>, Vec<u8>)>,
    /// An SPS/PPS pair refused as unreadable (not reported again).
    refused: Option<(Vec<u8>, Vec<u8>)>,
    au: Option<AccessUnit>,
    /// DTS and PTS of the last access unit given out, for units without timestamps.
    last: Option<(i64, i64)>,
    last_delta: i64,
}

impl AvcParser {
    pub fn new() -> Self {
        AvcParser { last_delta: DEFAULT_FRAME_TICKS, ..Self::default() }
    }

    /// A new segment (or a seek): the unit being gathered is dropped; the SPS/PPS and
    /// configuration are kept.
    pub fn reset(&mut self) {
        self.au = None;
        self.last = None;
    }

    /// Reads one PES. An SPS that cannot be read is an error, after the rest of the PES
    /// was read.
    pub fn push(&mut self, pes: &Pes<'_>, out: &mut Vec<Frame>) -> Result<()> {
        let mut timestamps = pes.pts.map(|pts| (pts, pes.dts.unwrap_or(pts)));
        let mut error = None;
        let (leading, nals) = split_annex_b(pes.payload);
        if !leading.is_empty() && !pes.after_loss {
            // The tail of the last NAL unit of the previous PES.
            if let Some(au) = &mut self.au
                && let Some(at) = au.last_nal
            {
                au.data.extend_from_slice(leading);
                let len = (au.data.len() - at - 4) as u32;
                au.data[at..at + 4].copy_from_slice(&len.to_be_bytes());
            }
        }
        let mut first = true;
        for unit in nals {
            let Some(&header) = unit.first() else { continue };
            let kind = header & 0x1F;
            let slice = (1..=5).contains(&kind);
            if self.au.as_ref().is_some_and(|au| au.has_slice) {
                let boundary = match kind {
                    nal::AUD | nal::SPS | nal::PPS | nal::SEI | nal::PREFIX..=18 => true,
                    1..=5 => first_slice_of_picture(unit),
                    _ => false,
                };
                if boundary || (first && timestamps.is_some()) {
                    self.close(out);
                }
            }
            first = false;
            let au = self.au.get_or_insert_with(|| AccessUnit {
                pts: None,
                dts: None,
                key: false,
                has_slice: false,
                data: Vec::with_capacity(pes.payload.len() + 16),
                last_nal: None,
                offset: pes.offset,
            });
            if au.pts.is_none()
                && let Some((pts, dts)) = timestamps.take()
            {
                (au.pts, au.dts) = (Some(pts), Some(dts));
            }
            match kind {
                nal::SPS => {
                    if self.sps.as_deref() != Some(unit) {
                        self.sps = Some(unit.to_vec());
                    }
                    au.last_nal = None;
                }
                nal::PPS => {
                    if self.pps.as_deref() != Some(unit) {
                        self.pps = Some(unit.to_vec());
                    }
                    au.last_nal = None;
                }
                nal::AUD | nal::FILLER => au.last_nal = None,
                _ => {
                    au.last_nal = Some(au.data.len());
                    au.data.extend_from_slice(&(unit.len() as u32).to_be_bytes());
                    au.data.extend_from_slice(unit);
                    au.key |= kind == nal::IDR;
                    if slice && !au.has_slice {
                        au.has_slice = true;
                        if let Err(e) = self.configure(pes.offset, out) {
                            error.get_or_insert(e);
                        }
                    }
                }
            }
        }
        error.map_or(Ok(()), Err)
    }

    /// The stream's data ends (end of segment): the last access unit is complete.
    pub fn flush(&mut self, out: &mut Vec<Frame>) {
        self.close(out);
    }

    /// Gives out a new configuration when the SPS or PPS changed.
    fn configure(&mut self, offset: u64, out: &mut Vec<Frame>) -> Result<()> {
        let (Some(sps), Some(pps)) = (&self.sps, &self.pps) else { return Ok(()) };
        let same = |c: &Option<(Vec<u8>, Vec<u8>)>| c.as_ref().is_some_and(|(s, p)| s == sps && p == pps);
        if same(&self.configured) || same(&self.refused) {
            return Ok(());
        }
        match AvcConfig::from_sps_pps(sps, pps) {
            Ok(config) => {
                self.configured = Some((sps.clone(), pps.clone()));
                out.push(Frame::VideoConfig(config));
                Ok(())
            }
            Err(kind) => {
                self.refused = Some((sps.clone(), pps.clone()));
                Err(Error::new(offset, kind))
            }
        }
    }

    fn close(&mut self, out: &mut Vec<Frame>) {
        let Some(au) = self.au.take() else { return };
        if !au.has_slice {
            return;
        }
        let (dts, pts) = match (au.dts, au.pts, self.last) {
            (Some(dts), Some(pts), _) => (dts, pts),
            // No timestamp of its own (several units in one PES): one frame on.
            (_, _, Some((last_dts, _))) => (last_dts + self.last_delta, last_dts + self.last_delta),
            _ => return,
        };
        if let Some((last_dts, _)) = self.last {
            let delta = dts - last_dts;
            if delta > 0 && delta < 10 * super::pes::TICKS_PER_SECOND {
                self.last_delta = delta;
            }
        }
        self.last = Some((dts, pts));
        out.push(Frame::Video(VideoFrame { dts, pts, key: au.key, data: au.data, offset: au.offset }));
    }
}
