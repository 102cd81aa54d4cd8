//! Synthetic transport streams for unit tests: packets, PAT/PMT with their CRC, PES with
//! PTS/DTS, H.264 access units in Annex B, ADTS frames.

use std::collections::HashMap;

use super::packet::{PACKET_LEN, PID_PAT};
use super::psi::{StreamType, crc32_mpeg2};
use crate::flv::testing::hex;

/// x264's High profile 320x180 SPS and its PPS.
pub const SPS: &str = "6764000cacd941419f9f011000000300100000030320f1429960";
pub const PPS: &str = "68ebecb22c";
/// x264's Main profile 640x360 SPS and PPS.
pub const SPS_640X360: &str = "674d401eecc05017fcb808800000030080000019078b16cd";
pub const PPS_640X360: &str = "68e97b2c80";

pub const PMT_PID: u16 = 0x1000;
pub const VIDEO_PID: u16 = 0x100;
pub const AUDIO_PID: u16 = 0x101;

/// One packet: the payload (at most 184 bytes), stuffed with an adaptation field.
pub fn packet(pid: u16, unit_start: bool, cc: u8, payload: &[u8]) -> Vec<u8> {
    assert!(payload.len() <= PACKET_LEN - 4);
    let mut p = vec![0x47, (u8::from(unit_start) << 6) | (pid >> 8) as u8, pid as u8];
    let stuffing = PACKET_LEN - 4 - payload.len();
    if stuffing == 0 {
        p.push(0x10 | (cc & 0x0F));
    } else {
        p.push(0x30 | (cc & 0x0F));
        p.push((stuffing - 1) as u8);
        if stuffing > 1 {
            p.push(0); // flags
            p.resize(4 + stuffing, 0xFF);
        }
    }
    p.extend_from_slice(payload);
    assert_eq!(p.len(), PACKET_LEN);
    p
}

/// A long-form section around `body` with its CRC.
pub fn section(table_id: u8, id: u16, body: &[u8]) -> Vec<u8> {
    let len = 5 + body.len() + 4;
    let mut s = vec![table_id, 0xB0 | (len >> 8) as u8, len as u8, (id >> 8) as u8, id as u8, 0xC1, 0, 0];
    s.extend_from_slice(body);
    let crc = crc32_mpeg2(&s);
    s.extend_from_slice(&crc.to_be_bytes());
    s
}

pub fn pat_section(pmt_pid: u16) -> Vec<u8> {
    section(0, 1, &[0, 1, 0xE0 | (pmt_pid >> 8) as u8, pmt_pid as u8])
}

/// A PMT section listing `(stream type, pid, descriptors)`.
pub fn pmt_section(streams: &[(StreamType, u16, &[u8])]) -> Vec<u8> {
    let pcr = streams.first().map_or(0x1FFF, |s| s.1);
    let mut body = vec![0xE0 | (pcr >> 8) as u8, pcr as u8, 0xF0, 0];
    for (t, pid, descriptors) in streams {
        body.extend_from_slice(&[t.0, 0xE0 | (pid >> 8) as u8, *pid as u8, 0xF0, descriptors.len() as u8]);
        body.extend_from_slice(descriptors);
    }
    section(2, 1, &body)
}

/// A 5-byte timestamp field with the given 4-bit prefix.
fn timestamp(prefix: u8, ts: u64) -> [u8; 5] {
    [
        (prefix << 4) | (((ts >> 30) as u8 & 0x07) << 1) | 1,
        (ts >> 22) as u8,
        ((ts >> 14) as u8 & 0xFE) | 1,
        (ts >> 7) as u8,
        ((ts << 1) as u8) | 1,
    ]
}

/// A PES packet; `bounded`: with its length (else 0, as for video).
pub fn pes(stream_id: u8, pts: Option<u64>, dts: Option<u64>, payload: &[u8], bounded: bool) -> Vec<u8> {
    let mut header = Vec::new();
    let flags = match (pts, dts) {
        (Some(p), Some(d)) => {
            header.extend_from_slice(&timestamp(3, p));
            header.extend_from_slice(&timestamp(1, d));
            0xC0
        }
        (Some(p), None) => {
            header.extend_from_slice(&timestamp(2, p));
            0x80
        }
        _ => 0,
    };
    let len = if bounded { 3 + header.len() + payload.len() } else { 0 };
    let mut v = vec![0, 0, 1, stream_id, (len >> 8) as u8, len as u8, 0x80, flags, header.len() as u8];
    v.extend_from_slice(&header);
    v.extend_from_slice(payload);
    v
}

/// NAL units in Annex B, each behind `00 00 00 01`.
pub fn annex_b(nals: &[&[u8]]) -> Vec<u8> {
    let mut v = Vec::new();
    for n in nals {
        v.extend_from_slice(&[0, 0, 0, 1]);
        v.extend_from_slice(n);
    }
    v
}

/// A slice NAL unit: IDR or not, first in its picture or not, `size` bytes.
pub fn slice(idr: bool, first: bool, size: usize) -> Vec<u8> {
    let mut n = vec![if idr { 0x65 } else { 0x41 }, if first { 0x88 } else { 0x48 }];
    n.resize(size.max(2), 0xAB);
    n
}

pub const AUD: [u8; 2] = [0x09, 0xF0];

/// An ADTS frame (AAC-LC, no CRC) of `payload` bytes at the given frequency index.
pub fn adts(payload: usize, frequency_index: u8, channels: u8) -> Vec<u8> {
    let len = 7 + payload;
    let mut f = vec![
        0xFF,
        0xF1,
        (1 << 6) | (frequency_index << 2) | (channels >> 2),
        ((channels & 3) << 6) | (len >> 11) as u8,
        (len >> 3) as u8,
        ((len as u8 & 7) << 5) | 0x1F,
        0xFC,
    ];
    f.resize(len, 0x21);
    f
}

/// Builds a transport stream, counting continuity per PID.
#[derive(Default)]
pub struct Ts {
    pub bytes: Vec<u8>,
    cc: HashMap<u16, u8>,
}

impl Ts {
    pub fn new() -> Self {
        Self::default()
    }

    fn next_cc(&mut self, pid: u16) -> u8 {
        let cc = self.cc.entry(pid).or_insert(15);
        *cc = (*cc + 1) & 0x0F;
        *cc
    }

    /// `data` split into packets of `pid`, the first with payload_unit_start.
    pub fn data(&mut self, pid: u16, data: &[u8]) -> &mut Self {
        for (i, chunk) in data.chunks(PACKET_LEN - 4).enumerate() {
            let cc = self.next_cc(pid);
            self.bytes.extend_from_slice(&packet(pid, i == 0, cc, chunk));
        }
        self
    }

    /// A section behind a pointer field.
    pub fn section(&mut self, pid: u16, section: &[u8]) -> &mut Self {
        let mut d = vec![0];
        d.extend_from_slice(section);
        self.data(pid, &d)
    }

    /// PAT and a PMT with H.264 and/or ADTS AAC.
    pub fn psi(&mut self, video: bool, audio: bool) -> &mut Self {
        let mut streams: Vec<(StreamType, u16, &[u8])> = Vec::new();
        if video {
            streams.push((StreamType::H264, VIDEO_PID, &[]));
        }
        if audio {
            streams.push((StreamType::AAC_ADTS, AUDIO_PID, &[]));
        }
        self.section(PID_PAT, &pat_section(PMT_PID)).section(PMT_PID, &pmt_section(&streams))
    }

    /// One access unit as one unbounded PES: AUD (if `aud`), SPS and PPS (if `key`), a slice.
    pub fn video(&mut self, pts: u64, dts: u64, key: bool, aud: bool) -> &mut Self {
        let (sps, pps) = (hex(SPS), hex(PPS));
        let s = slice(key, true, 300);
        let mut nals: Vec<&[u8]> = Vec::new();
        if aud {
            nals.push(&AUD);
        }
        if key {
            nals.push(&sps);
            nals.push(&pps);
        }
        nals.push(&s);
        let dts = (dts != pts).then_some(dts);
        self.data(VIDEO_PID, &pes(0xE0, Some(pts), dts, &annex_b(&nals), false))
    }

    /// `frames` ADTS frames (44.1 kHz stereo, 100-byte payloads) in one bounded PES.
    pub fn audio(&mut self, pts: u64, frames: usize) -> &mut Self {
        let data: Vec<u8> = (0..frames).flat_map(|_| adts(100, 4, 2)).collect();
        self.data(AUDIO_PID, &pes(0xC0, Some(pts), None, &data, true))
    }
}

/// `frames` video frames at 25 fps and audio at 44.1 kHz from `start` (90 kHz), a
/// keyframe every `gop` frames, interleaved as a muxer does; with PAT/PMT first.
pub fn av_stream(start: u64, frames: usize, gop: usize) -> Vec<u8> {
    let mut ts = Ts::new();
    ts.psi(true, true);
    ts.av(start, frames, gop);
    ts.bytes
}

impl Ts {
    /// Video and audio as in [`av_stream`], without PAT/PMT.
    pub fn av(&mut self, start: u64, frames: usize, gop: usize) -> &mut Self {
        let mut audio_at = start;
        for i in 0..frames {
            let t = start + i as u64 * 3600;
            self.video(t, t, i % gop == 0, true);
            // AAC frames up to the next video frame, two per PES.
            while audio_at < t + 3600 {
                self.audio(audio_at, 2);
                audio_at += 2 * 1024 * 90_000 / 44_100;
            }
        }
        self
    }
}
