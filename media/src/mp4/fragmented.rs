//! Fragmented MP4 for Media Source Extensions: an init segment (`ftyp` + `moov` with
//! `mvex`), then media segments (`moof` + `mdat`).

use super::write::{Writer, ftyp, mvhd, trak_begin, trak_end};
use super::{Sample, Track};

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
