//! Native remux throughput on a large FLV (`make bench`, or
//! `cargo bench -p relive-media --bench remux`), in MB/s.
//!
//! The FLV is made by `bench/make-media.sh` (~150 MB of 720p H.264 + AAC) in
//! `bench/.cache/big.flv`; `RELIVE_BENCH_FLV=path` picks another. Without it the
//! benchmark says so and does nothing. It prints figures; it asserts nothing.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput};
use relive_media::{FlvIndex, Indexer, Output, Remuxer};

/// The same chunk size as the browser comparison (bench/browser-bench.mjs).
const CHUNK: usize = 64 * 1024;

fn flv_path() -> PathBuf {
    std::env::var_os("RELIVE_BENCH_FLV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../bench/.cache/big.flv")))
}

/// FLV in 64 KiB chunks, output taken after each one (as the player does); returns
/// the bytes of fragmented MP4 produced.
fn remux_chunked(flv: &[u8]) -> usize {
    let mut r = Remuxer::new();
    let mut total = 0;
    let mut count = |out: Vec<Output>| {
        for o in out {
            total += match o {
                Output::Init { data, .. } | Output::Media { data, .. } => data.len(),
                Output::Metadata(_) => 0,
            };
        }
    };
    for chunk in flv.chunks(CHUNK) {
        r.push(chunk).expect("the benchmark FLV remuxes");
        count(r.take_output());
    }
    r.finish().expect("the benchmark FLV ends cleanly");
    count(r.take_output());
    total
}

/// The keyframe index of the FLV fed in 64 KiB chunks.
fn index_chunked(flv: &[u8]) -> FlvIndex {
    let mut i = Indexer::new();
    for chunk in flv.chunks(CHUNK) {
        i.push(chunk).expect("the benchmark FLV indexes");
    }
    i.finish().expect("the benchmark FLV indexes")
}

fn main() {
    let path = flv_path();
    let flv = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            println!(
                "skipping the remux benchmark: cannot read {} ({e}); make it with bench/make-media.sh",
                path.display()
            );
            return;
        }
    };
    let out = remux_chunked(&flv);
    println!(
        "input {}: {:.1} MB of FLV -> {:.1} MB of fragmented MP4 (64 KiB chunks)",
        path.display(),
        flv.len() as f64 / 1e6,
        out as f64 / 1e6
    );

    // Short: each iteration is a whole file, and the machine has 2 cores.
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .configure_from_args();

    let mut g = c.benchmark_group("flv");
    g.sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::BytesDecimal(flv.len() as u64));
    g.bench_function("remux_64KiB_chunks", |b| b.iter(|| remux_chunked(black_box(&flv))));
    g.bench_function("index_64KiB_chunks", |b| b.iter(|| index_chunked(black_box(&flv))));
    g.finish();
    c.final_summary();
}
