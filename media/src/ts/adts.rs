//! AAC in ADTS (ISO/IEC 13818-7 §6.2, 14496-3 §1.A.2): each frame a 7-byte header (9 with
//! a CRC) and one raw AAC frame of 1024 samples. Frames become MP4 samples; the header
//! becomes an AudioSpecificConfig ([`AacConfig`]).
//!
//! A PES's PTS belongs to the first frame that starts in it; the frames after it follow
//! at 1024 samples each. A frame cut by the end of a PES is completed from the next one
//! (its timestamp is the one it had in the PES it started in).

use super::demux::{AudioFrame, Frame};
use super::pes::{Pes, TICKS_PER_SECOND};
use crate::codec::{AacConfig, SAMPLE_RATES};

/// Samples in one AAC frame.
pub const SAMPLES_PER_FRAME: i64 = 1024;

/// An ADTS frame header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdtsHeader {
    /// The MPEG-4 audio object type: the ADTS profile + 1 (2 = AAC-LC).
    pub object_type: u8,
    pub frequency_index: u8,
    pub sample_rate: u32,
    pub channel_config: u8,
    /// 7, or 9 with a CRC.
    pub header_len: usize,
    /// The whole frame, header included.
    pub frame_len: usize,
    /// Raw data blocks in the frame, minus one (0: one frame of 1024 samples).
    pub raw_blocks: u8,
}

/// The 12-bit sync word and layer 0.
pub fn is_sync(b: &[u8]) -> bool {
    matches!(b, [0xFF, b1, ..] if b1 & 0xF6 == 0xF0)
}

impl AdtsHeader {
    /// Reads a header from at least 7 bytes. `None` for no sync word, a reserved
    /// frequency index, or a frame length shorter than its header.
    pub fn parse(b: &[u8]) -> Option<AdtsHeader> {
        if b.len() < 7 || !is_sync(b) {
            return None;
        }
        let protection_absent = b[1] & 0x01 != 0;
        let object_type = (b[2] >> 6) + 1;
        let frequency_index = (b[2] >> 2) & 0x0F;
        let sample_rate = *SAMPLE_RATES.get(usize::from(frequency_index))?;
        let channel_config = (b[2] & 0x01) << 2 | b[3] >> 6;
        let frame_len = usize::from(b[3] & 0x03) << 11 | usize::from(b[4]) << 3 | usize::from(b[5] >> 5);
        let header_len = if protection_absent { 7 } else { 9 };
        if frame_len <= header_len {
            return None;
        }
        Some(AdtsHeader {
            object_type,
            frequency_index,
            sample_rate,
            channel_config,
            header_len,
            frame_len,
            raw_blocks: b[6] & 0x03,
        })
    }

    /// Samples in this frame.
    pub fn samples(&self) -> i64 {
        SAMPLES_PER_FRAME * (i64::from(self.raw_blocks) + 1)
    }

    fn same_config(&self, c: &AdtsHeader) -> bool {
        (self.object_type, self.frequency_index, self.channel_config)
            == (c.object_type, c.frequency_index, c.channel_config)
    }
}

/// Turns the PES payloads of one ADTS stream into frames and configurations.
#[derive(Debug, Default)]
pub struct AdtsParser {
    /// The start of a frame the last PES cut off, and its timestamp.
    overflow: Vec<u8>,
    overflow_pts: i64,
    overflow_offset: u64,
    /// The header of the configuration last given out.
    config: Option<AdtsHeader>,
    /// The timestamp of the next frame: a base and the samples since it.
    clock: Option<(i64, i64, u32)>,
}

impl AdtsParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// A new segment (or a seek): a cut frame is dropped; the configuration is kept.
    pub fn reset(&mut self) {
        self.overflow.clear();
        self.clock = None;
    }

    /// The timestamp of the next frame, without moving the clock.
    fn peek(&self) -> Option<i64> {
        let (base, samples, rate) = self.clock?;
        Some(if rate == 0 { base } else { base + (samples * TICKS_PER_SECOND + i64::from(rate) / 2) / i64::from(rate) })
    }

    /// The timestamp and duration of the next frame, `h`; moves the clock past it.
    fn tick(&mut self, h: &AdtsHeader) -> Option<(i64, i64)> {
        let (mut base, mut samples, mut rate) = self.clock?;
        if rate != h.sample_rate {
            // A new rate: count from where the old one got to.
            if rate != 0 {
                base += samples * TICKS_PER_SECOND / i64::from(rate);
            }
            (samples, rate) = (0, h.sample_rate);
        }
        let at = |n: i64| base + (n * TICKS_PER_SECOND + i64::from(rate) / 2) / i64::from(rate);
        let (pts, end) = (at(samples), at(samples + h.samples()));
        self.clock = Some((base, samples + h.samples(), rate));
        Some((pts, end - pts))
    }

    fn emit(&mut self, h: &AdtsHeader, frame: &[u8], pts: i64, duration: i64, offset: u64, out: &mut Vec<Frame>) {
        if !self.config.is_some_and(|c| c.same_config(h))
            && let Ok(config) = AacConfig::from_adts(h.object_type, h.frequency_index, h.channel_config)
        {
            self.config = Some(*h);
            out.push(Frame::AudioConfig(config));
        }
        let data = frame[h.header_len..h.frame_len].to_vec();
        out.push(Frame::Audio(AudioFrame { pts, duration, data, offset }));
    }

    pub fn push(&mut self, pes: &Pes<'_>, out: &mut Vec<Frame>) {
        let mut data = pes.payload;
        if pes.after_loss {
            self.overflow.clear();
        }
        if !self.overflow.is_empty() {
            // Complete the frame the previous PES cut off.
            if self.overflow.len() < 7 {
                let take = (7 - self.overflow.len()).min(data.len());
                self.overflow.extend_from_slice(&data[..take]);
                data = &data[take..];
            }
            match AdtsHeader::parse(&self.overflow) {
                Some(h) => {
                    let take = (h.frame_len - self.overflow.len().min(h.frame_len)).min(data.len());
                    self.overflow.extend_from_slice(&data[..take]);
                    data = &data[take..];
                    if self.overflow.len() < h.frame_len {
                        // Still not whole: no frame starts in this PES, its PTS is unused.
                        return;
                    }
                    let frame = std::mem::take(&mut self.overflow);
                    let (pts, offset) = (self.overflow_pts, self.overflow_offset);
                    let duration = h.samples() * TICKS_PER_SECOND / i64::from(h.sample_rate);
                    self.emit(&h, &frame, pts, duration, offset, out);
                    self.clock = Some((pts + duration, 0, h.sample_rate));
                }
                None if self.overflow.len() < 7 => return,
                None => self.overflow.clear(),
            }
        }
        if let Some(pts) = pes.pts {
            self.clock = Some((pts, 0, self.clock.map_or(0, |c| c.2)));
        }
        let mut pos = 0;
        while pos < data.len() {
            let rest = &data[pos..];
            if rest.len() >= 7 && !is_sync(rest) {
                // Garbage: on to the next 0xFF.
                pos += 1 + rest[1..].iter().position(|&b| b == 0xFF).unwrap_or(rest.len() - 1);
                continue;
            }
            let header = AdtsHeader::parse(rest);
            match header {
                Some(h) if h.frame_len <= rest.len() => {
                    if let Some((pts, duration)) = self.tick(&h) {
                        self.emit(&h, rest, pts, duration, pes.offset, out);
                    }
                    pos += h.frame_len;
                }
                None if rest.len() >= 7 => pos += 1,
                // A header or frame cut by the end of the PES: kept for the next one.
                _ => {
                    let could_start = rest[0] == 0xFF && (rest.len() == 1 || is_sync(rest));
                    if could_start && let Some(pts) = self.peek() {
                        self.overflow.extend_from_slice(rest);
                        (self.overflow_pts, self.overflow_offset) = (pts, pes.offset);
                    }
                    break;
                }
            }
        }
    }
}
