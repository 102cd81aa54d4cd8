//! Native MPEG-TS remux throughput (`cargo bench -p relive-media --bench ts`), in MB/s.
//!
//! The TS is `bench/.cache/big.ts`, made by `bench/make-media.sh` (big.flv's streams
//! copied: `ffmpeg -i big.flv -map 0 -c copy -f mpegts big.ts`, ~160 MB of 720p H.264 +
//! AAC); `RELIVE_BENCH_TS=path` picks another. Without it the benchmark says so and does
//! nothing. It prints figures; it asserts nothing.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput};
use relive_media::Output;
use relive_media::ts::TsRemuxer;

/// The same chunk size as the FLV benchmark and the browser comparison.
const CHUNK: usize = 64 * 1024;

fn ts_path() -> PathBuf {
    std::env::var_os("RELIVE_BENCH_TS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../bench/.cache/big.ts")))
}

/// The TS as one segment in 64 KiB chunks, output taken after each one (as the player
/// does); returns the bytes of fragmented MP4 produced.
fn remux_chunked(ts: &[u8]) -> usize {
    let mut r = TsRemuxer::new();
    let mut total = 0;
    let mut count = |out: Vec<Output>| {
        for o in out {
            if let Output::Init { data, .. } | Output::Media { data, .. } = o {
                total += data.len();
            }
        }
    };
    r.begin_segment(0, 0);
    for chunk in ts.chunks(CHUNK) {
        r.push(chunk).expect("the benchmark TS remuxes");
        count(r.take_output());
    }
    r.end_segment().expect("the benchmark TS ends cleanly");
    count(r.take_output());
    total
}

fn main() {
    let path = ts_path();
    let ts = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            println!(
                "skipping the TS benchmark: cannot read {} ({e}); make it with bench/make-media.sh",
                path.display()
            );
            return;
        }
    };
    let out = remux_chunked(&ts);
    println!(
        "input {}: {:.1} MB of MPEG-TS -> {:.1} MB of fragmented MP4 (64 KiB chunks)",
        path.display(),
        ts.len() as f64 / 1e6,
        out as f64 / 1e6
    );

    // Short: each iteration is a whole file, and the machine has 2 cores.
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(6))
        .configure_from_args();
    let mut g = c.benchmark_group("ts");
    g.sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::BytesDecimal(ts.len() as u64));
    g.bench_function("remux_64KiB_chunks", |b| b.iter(|| remux_chunked(black_box(&ts))));
    g.finish();
    c.final_summary();
}
