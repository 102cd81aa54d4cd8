//! The box writer, and the boxes fragmented and progressive MP4 share.

use super::{TIMESCALE, Track, TrackConfig};

/// Appends boxes to a buffer, patching each box's size when it closes.
pub(crate) struct Writer {
    pub buf: Vec<u8>,
    open: Vec<usize>,
}

impl Writer {
    pub fn with_capacity(n: usize) -> Self {
        Writer { buf: Vec::with_capacity(n), open: Vec::new() }
    }
    pub fn begin(&mut self, kind: &[u8; 4]) {
        self.open.push(self.buf.len());
        self.buf.extend_from_slice(&[0, 0, 0, 0]);
        self.buf.extend_from_slice(kind);
    }
    pub fn begin_full(&mut self, kind: &[u8; 4], version: u8, flags: u32) {
        self.begin(kind);
        self.u32((u32::from(version) << 24) | (flags & 0x00ff_ffff));
    }
    pub fn end(&mut self) {
        let start = self.open.pop().expect("a box is open");
        let size = (self.buf.len() - start) as u32;
        self.buf[start..start + 4].copy_from_slice(&size.to_be_bytes());
    }
    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    pub fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    pub fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    pub fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }
    pub fn zeros(&mut self, n: usize) {
        self.buf.resize(self.buf.len() + n, 0);
    }
}

const MATRIX: [u32; 9] = [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000];

pub(super) fn ftyp(w: &mut Writer, fragmented: bool) {
    w.begin(b"ftyp");
    w.bytes(b"isom");
    w.u32(0x200);
    w.bytes(b"isomiso2avc1mp41");
    if fragmented {
        w.bytes(b"iso6");
    }
    w.end();
}

pub(super) fn mvhd(w: &mut Writer, duration: u64, next_track: u32) {
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
pub(super) fn trak_begin(w: &mut Writer, t: &Track, duration: u64) {
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

pub(super) fn trak_end(w: &mut Writer) {
    w.end(); // stbl
    w.end(); // minf
    w.end(); // mdia
    w.end(); // trak
}

pub(super) fn stsd(w: &mut Writer, t: &Track) {
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
    pub fn descriptor(w: &mut Writer, tag: u8, len: usize) {
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
