//! Corrupt MPEG-TS must come back as an `Error`, never a panic, an overflow or a hang.
//! Nothing else is asserted.
//!
//! Input layout (so that chunk and segment boundaries are fuzzed too):
//! - byte 0, flags: bits 0-2 = how many chunk sizes follow, minus 1 (1 to 8);
//!   bit 3: push an empty chunk before each chunk; bit 4: keep pushing after an
//!   error (the web worker does); bit 5: take the output after every push;
//!   bit 6: chunk sizes are in units of 64 bytes;
//! - byte 1, segments: 0 = one segment; n = a new segment every n chunks, at a start
//!   and discontinuity number taken from the chunk's first bytes (a seek, a
//!   discontinuity or the next segment), ended with `end_segment` when bit 7 of byte 1
//!   is clear, abandoned mid-way (as after a seek) when it is set;
//! - then one byte per chunk size (size = byte + 1, times 64 with bit 6), used in turn;
//! - the rest is the TS, fed to `TsRemuxer` in those chunks, and whole to `remux_all`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relive_media::ts::{TsRemuxer, remux_all};

fuzz_target!(|input: &[u8]| {
    let [flags, segments, rest @ ..] = input else {
        return;
    };
    let n = (usize::from(flags & 7) + 1).min(rest.len());
    let (sizes, ts) = rest.split_at(n);
    let unit = if flags & 0x40 != 0 { 64 } else { 1 };
    let mut sizes: Vec<usize> = sizes.iter().map(|&b| (usize::from(b) + 1) * unit).collect();
    if sizes.is_empty() {
        sizes.push(1);
    }
    let empty_pushes = flags & 0x08 != 0;
    let go_on_after_error = flags & 0x10 != 0;
    let take_each_time = flags & 0x20 != 0;
    let every = usize::from(segments & 0x7F);
    let abandon = segments & 0x80 != 0;

    let mut chunks = Vec::new();
    let mut pos = 0;
    for &size in sizes.iter().cycle() {
        if pos >= ts.len() {
            break;
        }
        let end = ts.len().min(pos + size);
        chunks.push(&ts[pos..end]);
        pos = end;
    }

    let mut r = TsRemuxer::new();
    let mut outputs = Vec::new();
    r.begin_segment(0, 0);
    for (i, chunk) in chunks.iter().enumerate() {
        if every > 0 && i > 0 && i % every == 0 {
            if !abandon {
                let _ = r.end_segment();
            }
            // Start and discontinuity from the chunk's bytes: anything, extremes included.
            let word = |at: usize| chunk.get(at..at + 8).map_or(0, |b| u64::from_le_bytes(b.try_into().unwrap()));
            let start = match chunk.first() {
                Some(b) if b & 1 == 0 => i64::from(*b) * 1000,
                _ => word(0) as i64,
            };
            r.begin_segment(start, word(8) % 4);
        }
        if empty_pushes {
            let _ = r.push(&[]);
        }
        let pushed = r.push(chunk);
        if take_each_time {
            outputs.extend(r.take_output());
        }
        if pushed.is_err() && !go_on_after_error {
            break;
        }
    }
    let _ = r.end_segment();
    outputs.extend(r.take_output());
    drop(outputs);

    let _ = remux_all(ts);
});
