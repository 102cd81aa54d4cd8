//! ISO BMFF (MP4) writing: fragmented MP4 for Media Source Extensions (an init
//! segment, then `moof`+`mdat` media segments) and progressive MP4 (`moov` before
//! `mdat`) for browsers without MSE and for downloads. All tracks use a timescale of
//! 1000 (milliseconds), the unit of FLV timestamps.

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

    fn is_video(&self) -> bool {
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

/// Appends boxes to a buffer, patching each box's size when it closes.
struct Writer {
    buf: Vec<u8>,
    open: Vec<usize>,
}

impl Writer {
    fn with_capacity(n: usize) -> Self {
        Writer { buf: Vec::with_capacity(n), open: Vec::new() }
    }
    fn begin(&mut self, kind: &[u8; 4]) {
        self.open.push(self.buf.len());
        self.buf.extend_from_slice(&[0, 0, 0, 0]);
        self.buf.extend_from_slice(kind);
    }
    fn begin_full(&mut self, kind: &[u8; 4], version: u8, flags: u32) {
        self.begin(kind);
        self.u32((u32::from(version) << 24) | (flags & 0x00ff_ffff));
    }
    fn end(&mut self) {
        let start = self.open.pop().expect("a box is open");
        let size = (self.buf.len() - start) as u32;
        self.buf[start..start + 4].copy_from_slice(&size.to_be_bytes());
    }
    fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }
    fn zeros(&mut self, n: usize) {
        self.buf.resize(self.buf.len() + n, 0);
    }
}

const MATRIX: [u32; 9] = [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000];

fn ftyp(w: &mut Writer, fragmented: bool) {
    w.begin(b"ftyp");
    w.bytes(b"isom");
    w.u32(0x200);
    w.bytes(b"isomiso2avc1mp41");
    if fragmented {
        w.bytes(b"iso6");
    }
    w.end();
}

fn mvhd(w: &mut Writer, duration: u64, next_track: u32) {
    w.begin_full(b"mvhd", 1, 0);
    w.u64(0); // creation
    w.u64(0); // modification
    w.u32(TIMESCALE);
    w.u64(duration);
    w.u32(0x0001_0000); // rate 1.0
    w.u16(0x0100); // volume 1.0
    w.zeros(10);
    for m in MATRIX {
        w.u32(m);
    }
    w.zeros(24);
    w.u32(next_track);
    w.end();
}

/// `trak` up to and including `stsd`; the caller writes the sample tables after.
fn trak_begin(w: &mut Writer, t: &Track, duration: u64) {
    w.begin(b"trak");
    w.begin_full(b"tkhd", 1, 3); // enabled, in movie
    w.u64(0);
    w.u64(0);
    w.u32(t.id);
    w.u32(0);
    w.u64(duration);
    w.zeros(8);
    w.u16(0); // layer
    w.u16(0); // alternate group
    w.u16(if t.is_video() { 0 } else { 0x0100 });
    w.u16(0);
    for m in MATRIX {
        w.u32(m);
    }
    let (width, height) = match &t.config {
        TrackConfig::Video(c) => (c.width, c.height),
        TrackConfig::Audio(_) => (0, 0),
    };
    w.u32(width << 16);
    w.u32(height << 16);
    w.end();

    w.begin(b"mdia");
    w.begin_full(b"mdhd", 1, 0);
    w.u64(0);
    w.u64(0);
    w.u32(TIMESCALE);
    w.u64(duration);
    w.u16(0x55c4); // language "und"
    w.u16(0);
    w.end();
    w.begin_full(b"hdlr", 0, 0);
    w.u32(0);
    w.bytes(if t.is_video() { b"vide" } else { b"soun" });
    w.zeros(12);
    w.bytes(if t.is_video() { b"Relive video\0" } else { b"Relive audio\0" });
    w.end();
    w.begin(b"minf");
    if t.is_video() {
        w.begin_full(b"vmhd", 0, 1);
        w.zeros(8);
    } else {
        w.begin_full(b"smhd", 0, 0);
        w.zeros(4);
    }
    w.end();
    w.begin(b"dinf");
    w.begin_full(b"dref", 0, 0);
    w.u32(1);
    w.begin_full(b"url ", 0, 1); // self-contained
    w.end();
    w.end();
    w.end();
    w.begin(b"stbl");
    stsd(w, t);
}

fn trak_end(w: &mut Writer) {
    w.end(); // stbl
    w.end(); // minf
    w.end(); // mdia
    w.end(); // trak
}

fn stsd(w: &mut Writer, t: &Track) {
    w.begin_full(b"stsd", 0, 0);
    w.u32(1);
    match &t.config {
        TrackConfig::Video(c) => {
            w.begin(b"avc1");
            w.zeros(6);
            w.u16(1); // data reference index
            w.zeros(16);
            w.u16(c.width as u16);
            w.u16(c.height as u16);
            w.u32(0x0048_0000); // 72 dpi
            w.u32(0x0048_0000);
            w.u32(0);
            w.u16(1); // frame count
            w.zeros(32); // compressor name
            w.u16(0x0018); // depth
            w.u16(0xffff);
            w.begin(b"avcC");
            w.bytes(&c.record);
            w.end();
            w.end();
        }
        TrackConfig::Audio(c) => {
            w.begin(b"mp4a");
            w.zeros(6);
            w.u16(1);
            w.zeros(8);
            w.u16(u16::from(c.channels));
            w.u16(16);
            w.zeros(4);
            w.u32(c.sample_rate.min(0xffff) << 16);
            esds(w, t.id, &c.asc);
            w.end();
        }
    }
    w.end();
}

fn esds(w: &mut Writer, track_id: u32, asc: &[u8]) {
    fn descriptor(w: &mut Writer, tag: u8, len: usize) {
        w.u8(tag);
        // Four-byte length form: simple and accepted everywhere.
        w.bytes(&[
            0x80 | ((len >> 21) & 0x7f) as u8,
            0x80 | ((len >> 14) & 0x7f) as u8,
            0x80 | ((len >> 7) & 0x7f) as u8,
            (len & 0x7f) as u8,
        ]);
    }
    let dsi = 5 + asc.len();
    let dcd = 13 + dsi;
    let es = 3 + (5 + dcd) + (5 + 1);
    w.begin_full(b"esds", 0, 0);
    descriptor(w, 0x03, es);
    w.u16(track_id as u16);
    w.u8(0);
    descriptor(w, 0x04, dcd);
    w.u8(0x40); // MPEG-4 audio
    w.u8(0x15); // audio stream
    w.bytes(&[0, 0, 0]); // buffer size
    w.u32(0); // max bitrate
    w.u32(0); // average bitrate
    descriptor(w, 0x05, asc.len());
    w.bytes(asc);
    descriptor(w, 0x06, 1);
    w.u8(0x02);
    w.end();
}

/// `ftyp` + `moov` (with `mvex`) for MSE.
pub fn init_segment(tracks: &[&Track]) -> Vec<u8> {
    let mut w = Writer::with_capacity(1024);
    ftyp(&mut w, true);
    w.begin(b"moov");
    mvhd(&mut w, 0, tracks.iter().map(|t| t.id).max().unwrap_or(0) + 1);
    for t in tracks {
        trak_begin(&mut w, t, 0);
        for empty in [b"stts", b"stsc", b"stsz", b"stco"] {
            w.begin_full(empty, 0, 0);
            if empty == b"stsz" {
                w.u32(0);
            }
            w.u32(0);
            w.end();
        }
        trak_end(&mut w);
    }
    w.begin(b"mvex");
    for t in tracks {
        w.begin_full(b"trex", 0, 0);
        w.u32(t.id);
        w.u32(1); // sample description index
        w.u32(0);
        w.u32(0);
        w.u32(0);
        w.end();
    }
    w.end();
    w.end();
    w.buf
}

const SAMPLE_FLAGS_SYNC: u32 = 0x0200_0000; // depends on no other sample
const SAMPLE_FLAGS_DELTA: u32 = 0x0101_0000; // depends on others; not a sync sample

/// `moof` + `mdat` with the given samples of each track (tracks with none are left out).
pub fn media_segment(sequence: u32, parts: &[(&Track, &[Sample])]) -> Vec<u8> {
    let parts: Vec<_> = parts.iter().filter(|(_, s)| !s.is_empty()).collect();
    let payload: usize = parts.iter().flat_map(|(_, s)| s.iter()).map(|s| s.data.len()).sum();
    let mut w = Writer::with_capacity(payload + 256 + parts.iter().map(|(_, s)| s.len() * 16).sum::<usize>());
    w.begin(b"moof");
    w.begin_full(b"mfhd", 0, 0);
    w.u32(sequence);
    w.end();
    let mut offset_fields = Vec::new();
    for (track, samples) in &parts {
        w.begin(b"traf");
        w.begin_full(b"tfhd", 0, 0x02_0000); // default-base-is-moof
        w.u32(track.id);
        w.end();
        w.begin_full(b"tfdt", 1, 0);
        w.u64(samples[0].dts.max(0) as u64);
        w.end();
        // data offset, duration, size, flags, composition offset (signed: version 1)
        w.begin_full(b"trun", 1, 0x0001 | 0x0100 | 0x0200 | 0x0400 | 0x0800);
        w.u32(samples.len() as u32);
        offset_fields.push(w.buf.len());
        w.u32(0);
        for s in samples.iter() {
            w.u32(s.duration);
            w.u32(s.data.len() as u32);
            w.u32(if s.key || !track.is_video() { SAMPLE_FLAGS_SYNC } else { SAMPLE_FLAGS_DELTA });
            w.u32(s.cts as u32);
        }
        w.end();
        w.end();
    }
    w.end();
    let moof_len = w.buf.len();
    w.u32((8 + payload) as u32);
    w.bytes(b"mdat");
    let mut data_offset = moof_len + 8;
    for (field, (_, samples)) in offset_fields.into_iter().zip(&parts) {
        w.buf[field..field + 4].copy_from_slice(&(data_offset as u32).to_be_bytes());
        for s in samples.iter() {
            w.bytes(&s.data);
            data_offset += s.data.len();
        }
    }
    w.buf
}

/// Run-length encodes values as (count, value), as `stts` and `ctts` store them.
fn runs(values: impl Iterator<Item = u32>) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = Vec::new();
    for v in values {
        match out.last_mut() {
            Some((n, last)) if *last == v => *n += 1,
            _ => out.push((1, v)),
        }
    }
    out
}

/// A table of (count, value) entries: `stts`, `ctts`.
fn run_box(w: &mut Writer, kind: &[u8; 4], version: u8, entries: &[(u32, u32)]) {
    w.begin_full(kind, version, 0);
    w.u32(entries.len() as u32);
    for &(n, v) in entries {
        w.u32(n);
        w.u32(v);
    }
    w.end();
}

/// A whole progressive MP4: `ftyp`, `moov` with complete sample tables, then `mdat`
/// with the samples interleaved in decode order.
pub fn progressive(tracks: &[(Track, Vec<Sample>)]) -> Vec<u8> {
    // Interleave: samples in decode order; a run of one track's samples is a chunk.
    let mut order: Vec<(i64, usize, usize)> = tracks
        .iter()
        .enumerate()
        .flat_map(|(t, (_, s))| s.iter().enumerate().map(move |(i, s)| (s.dts, t, i)))
        .collect();
    order.sort_by_key(|&(dts, t, i)| (dts, t, i));
    let mut chunks: Vec<Vec<(u64, u32)>> = vec![Vec::new(); tracks.len()]; // per track: (offset in mdat, samples)
    let mut pos = 0u64;
    let mut last_track = usize::MAX;
    for &(_, t, i) in &order {
        if t != last_track {
            chunks[t].push((pos, 0));
            last_track = t;
        }
        chunks[t].last_mut().expect("a chunk").1 += 1;
        pos += tracks[t].1[i].data.len() as u64;
    }
    let mdat_payload = pos;
    let large = mdat_payload + 16 > u32::MAX as u64;

    let build_moov = |base: u64| {
        let mut w = Writer::with_capacity(64 * 1024);
        let duration = |s: &[Sample]| s.iter().map(|x| u64::from(x.duration)).sum::<u64>();
        let movie = tracks.iter().map(|(_, s)| duration(s)).max().unwrap_or(0);
        w.begin(b"moov");
        mvhd(&mut w, movie, tracks.iter().map(|(t, _)| t.id).max().unwrap_or(0) + 1);
        for (ti, (t, samples)) in tracks.iter().enumerate() {
            trak_begin(&mut w, t, duration(samples));
            // stts and ctts: (count, value) runs of equal durations, and of equal offsets.
            let stts = runs(samples.iter().map(|s| s.duration));
            run_box(&mut w, b"stts", 0, &stts);
            if samples.iter().any(|s| s.cts != 0) {
                // Version 1: offsets are signed.
                run_box(&mut w, b"ctts", 1, &runs(samples.iter().map(|s| s.cts as u32)));
            }
            if t.is_video() && samples.iter().any(|s| !s.key) {
                let keys: Vec<u32> =
                    samples.iter().enumerate().filter(|(_, s)| s.key).map(|(i, _)| i as u32 + 1).collect();
                w.begin_full(b"stss", 0, 0);
                w.u32(keys.len() as u32);
                for k in keys {
                    w.u32(k);
                }
                w.end();
            }
            // stsc: runs of chunks with the same sample count
            let mut runs: Vec<(u32, u32)> = Vec::new(); // (first chunk, samples per chunk)
            for (ci, &(_, n)) in chunks[ti].iter().enumerate() {
                if runs.last().is_none_or(|&(_, m)| m != n) {
                    runs.push((ci as u32 + 1, n));
                }
            }
            w.begin_full(b"stsc", 0, 0);
            w.u32(runs.len() as u32);
            for (first, n) in runs {
                w.u32(first);
                w.u32(n);
                w.u32(1);
            }
            w.end();
            w.begin_full(b"stsz", 0, 0);
            w.u32(0);
            w.u32(samples.len() as u32);
            for s in samples {
                w.u32(s.data.len() as u32);
            }
            w.end();
            w.begin_full(if large { b"co64" } else { b"stco" }, 0, 0);
            w.u32(chunks[ti].len() as u32);
            for &(off, _) in &chunks[ti] {
                if large {
                    w.u64(base + off);
                } else {
                    w.u32((base + off) as u32);
                }
            }
            w.end();
            trak_end(&mut w);
        }
        w.end();
        w.buf
    };

    let mut head = Writer::with_capacity(64);
    ftyp(&mut head, false);
    let mdat_header = if large { 16 } else { 8 };
    // The moov's size does not depend on the offsets in it: measure, then write for real.
    let moov_len = build_moov(0).len() as u64;
    let base = head.buf.len() as u64 + moov_len + mdat_header;
    let moov = build_moov(base);
    let mut out = Vec::with_capacity(base as usize + mdat_payload as usize);
    out.extend_from_slice(&head.buf);
    out.extend_from_slice(&moov);
    if large {
        out.extend_from_slice(&1u32.to_be_bytes());
        out.extend_from_slice(b"mdat");
        out.extend_from_slice(&(mdat_payload + 16).to_be_bytes());
    } else {
        out.extend_from_slice(&((mdat_payload + 8) as u32).to_be_bytes());
        out.extend_from_slice(b"mdat");
    }
    for &(_, t, i) in &order {
        out.extend_from_slice(&tracks[t].1[i].data);
    }
    out
}
