//! Progressive MP4: `ftyp`, `moov` with complete sample tables, then `mdat`.

use super::write::{Writer, ftyp, mvhd, trak_begin, trak_end};
use super::{Sample, Track};

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
