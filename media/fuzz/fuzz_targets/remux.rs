//! Corrupt FLV must come back as an `Error`, never a panic, an overflow or a hang.
//! Nothing else is asserted.
//!
//! Input layout (so that chunk boundaries are fuzzed too):
//! - byte 0, flags: bits 0-2 = how many chunk sizes follow, minus 1 (1 to 8);
//!   bit 3: push an empty chunk before each chunk; bit 4: keep pushing after an
//!   error (the web worker does); bit 5: take the output after every push;
//!   bit 6: chunk sizes are in units of 64 bytes.
//! - then one byte per chunk size (size = byte + 1, times 64 with bit 6), used in turn;
//! - the rest is the FLV, fed to `Remuxer` and `Indexer` in those chunks, and
//!   whole to `to_mp4` and `index`;
//! - the same bytes, read as an MP4: the top-level boxes walked and any `moov` given to
//!   `probe_moov`; and the same for `to_mp4`'s output, when there is one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relive_media::mp4::{Boxes, probe_moov};
use relive_media::{Indexer, Remuxer};

/// Walks the top-level boxes and probes every `moov`, as the server does with a file.
fn probe_mp4(bytes: &[u8]) {
    for b in Boxes::new(bytes, 0) {
        let Ok(b) = b else { break };
        if b.kind == b"moov" {
            let _ = probe_moov(b.body);
        }
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&flags, rest)) = input.split_first() else {
        return;
    };
    let n = (usize::from(flags & 7) + 1).min(rest.len());
    let (sizes, flv) = rest.split_at(n);
    let unit = if flags & 0x40 != 0 { 64 } else { 1 };
    let mut sizes: Vec<usize> = sizes.iter().map(|&b| (usize::from(b) + 1) * unit).collect();
    if sizes.is_empty() {
        sizes.push(1);
    }
    let empty_pushes = flags & 0x08 != 0;
    let go_on_after_error = flags & 0x10 != 0;
    let take_each_time = flags & 0x20 != 0;

    let chunks = || {
        let mut pos = 0;
        sizes.iter().cycle().map_while(move |&size| {
            (pos < flv.len()).then(|| {
                let end = flv.len().min(pos + size);
                let chunk = &flv[pos..end];
                pos = end;
                chunk
            })
        })
    };

    let mut remuxer = Remuxer::new();
    let mut outputs = Vec::new();
    for chunk in chunks() {
        if empty_pushes {
            let _ = remuxer.push(&[]);
        }
        let pushed = remuxer.push(chunk);
        let _ = remuxer.offset();
        if take_each_time {
            outputs.extend(remuxer.take_output());
        }
        if pushed.is_err() && !go_on_after_error {
            break;
        }
    }
    let _ = remuxer.finish();
    outputs.extend(remuxer.take_output());
    let _ = remuxer.time_base();
    drop(outputs);

    let mut indexer = Indexer::new();
    for chunk in chunks() {
        if indexer.push(chunk).is_err() {
            break;
        }
    }
    if let Ok(index) = indexer.finish() {
        let _ = index.point_before(i64::MAX);
        let _ = index.point_before(i64::MIN);
    }

    if let Ok(mp4) = relive_media::to_mp4(flv) {
        probe_mp4(&mp4);
    }
    let _ = relive_media::index(flv);
    probe_mp4(flv);
});
