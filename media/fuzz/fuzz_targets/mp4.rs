//! Corrupt MP4 must come back as an `Error`, never a panic, an overflow or a hang.
//! Nothing else is asserted.
//!
//! Input layout (so that chunk boundaries and seeks are fuzzed too):
//! - byte 0, flags: bits 0-2 = how many chunk sizes follow, minus 1 (1 to 8);
//!   bit 3: push an empty chunk before each chunk; bit 4: set a time offset (from the
//!   seek byte, extremes included); bit 5: take the output after every push;
//!   bit 6: chunk sizes are in units of 64 bytes;
//! - byte 1, seek: 0 = read from the start; n = `restart_at` the seek point n − 1
//!   (modulo their number; without points, at byte n × 97) before pushing from there;
//!   bit 7 set: read from the start, and seek that way after half the chunks;
//! - then one byte per chunk size (size = byte + 1, times 64 with bit 6), used in turn;
//! - the rest is the MP4, whole to `remux_all`, and to `Mp4Remuxer` (its `moov` found by
//!   `locate_moov`) in those chunks.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relive_media::mp4::demux::{MoovLocation, Mp4Remuxer, locate_moov, remux_all};

fuzz_target!(|input: &[u8]| {
    let [flags, seek, rest @ ..] = input else {
        return;
    };
    let n = (usize::from(flags & 7) + 1).min(rest.len());
    let (sizes, file) = rest.split_at(n);
    let unit = if flags & 0x40 != 0 { 64 } else { 1 };
    let mut sizes: Vec<usize> = sizes.iter().map(|&b| (usize::from(b) + 1) * unit).collect();
    if sizes.is_empty() {
        sizes.push(1);
    }
    let empty_pushes = flags & 0x08 != 0;
    let time_offset = flags & 0x10 != 0;
    let take_each_time = flags & 0x20 != 0;
    let seek_later = seek & 0x80 != 0;
    let point = usize::from(seek & 0x7F);

    let _ = remux_all(file);
    let _ = locate_moov(&file[..file.len().min(100)]);
    let Ok(MoovLocation::Found { offset, size }) = locate_moov(file) else { return };
    let end = if size == 0 { file.len() as u64 } else { offset.saturating_add(size) };
    let Some(moov) = usize::try_from(end).ok().and_then(|end| file.get(offset as usize..end)) else { return };
    let Ok(mut r) = Mp4Remuxer::new(moov) else { return };
    if time_offset {
        r.set_time_offset(match *seek {
            0 => i64::MIN,
            0xFF => i64::MAX,
            s => i64::from(s) * 1_000_000,
        });
    }
    let (times, offsets) = r.keyframes();
    assert_eq!(times.len(), offsets.len());
    let _ = r.duration_ms();
    let _ = r.table_bytes();
    let target = match (point, offsets.len()) {
        (0, _) => 0,
        (p, 0) => p * 97,
        (p, n) => offsets[(p - 1) % n] as usize,
    };

    let mut outputs = Vec::new();
    let mut from = if seek_later { 0 } else { target.min(file.len()) };
    if from > 0 {
        r.restart_at(from as u64);
    }
    let mut i = 0;
    let mut pushed = 0;
    while from < file.len() {
        let size = sizes[i % sizes.len()];
        let chunk = &file[from..file.len().min(from + size)];
        if empty_pushes {
            let _ = r.push(&[]);
        }
        let _ = r.push(chunk);
        if take_each_time {
            outputs.extend(r.take_output());
        }
        from += chunk.len();
        i += 1;
        pushed += 1;
        if seek_later && pushed == sizes.len().max(4) && target < file.len() {
            r.restart_at(target as u64);
            from = target;
        }
    }
    let _ = r.finish();
    outputs.extend(r.take_output());
    drop(outputs);
});
