//! Native progressive-MP4 remux throughput against the FLV remuxer on the same streams
//! (`cargo bench -p relive-media --bench mp4`), in MB/s of input.
//!
//! The first 60 s of `bench/.cache/big.flv` (made by `bench/make-media.sh`: 1280x720
//! 30 fps H.264 + AAC at ~5 Mbit/s; `RELIVE_BENCH_FLV=path` picks another) are copied
//! once with ffmpeg (`-t 60 -c copy`) into an FLV and an MP4 (`moov` at the end, as
//! ffmpeg writes by default) in Cargo's target tmp dir, so both remuxers read the same
//! frames. Rows: each remuxer as the player drives it (64 KiB chunks, output taken after
//! each), each `remux_all` (the whole file in one push: every segment stays allocated
//! until the end), and reading the `moov` (`Mp4Remuxer::new`: tables, checks, seek
//! index). Without the FLV or ffmpeg the benchmark says so and does nothing. It prints
//! figures; it asserts nothing.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput};
use relive_media::mp4::demux::{MoovLocation, Mp4Remuxer, locate_moov, remux_all};
use relive_media::{Output, Remuxer};

/// The same chunk size as the other benchmarks and the browser comparison.
const CHUNK: usize = 64 * 1024;

fn source() -> PathBuf {
    std::env::var_os("RELIVE_BENCH_FLV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../bench/.cache/big.flv")))
}

/// The first 60 s of `source` copied into `name` (made once).
fn cut(source: &Path, name: &str) -> Result<Vec<u8>, String> {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    if !out.exists() {
        let tmp = out.with_extension(format!("part.{}", out.extension().unwrap().to_str().unwrap()));
        let status = Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-y", "-i"])
            .arg(source)
            .args(["-t", "60", "-map", "0", "-c", "copy"])
            .arg(&tmp)
            .status()
            .map_err(|e| format!("ffmpeg: {e}"))?;
        if !status.success() {
            return Err(format!("ffmpeg could not copy {} into {}", source.display(), tmp.display()));
        }
        std::fs::rename(&tmp, &out).map_err(|e| e.to_string())?;
    }
    std::fs::read(&out).map_err(|e| format!("{}: {e}", out.display()))
}

fn bytes_out(out: Vec<Output>) -> usize {
    out.into_iter()
        .map(|o| match o {
            Output::Init { data, .. } | Output::Media { data, .. } => data.len(),
            Output::Metadata(_) => 0,
        })
        .sum()
}

/// The FLV in 64 KiB chunks, output taken after each one (as the player does).
fn flv_chunked(flv: &[u8]) -> usize {
    let mut r = Remuxer::new();
    let mut total = 0;
    for chunk in flv.chunks(CHUNK) {
        r.push(chunk).expect("the benchmark FLV remuxes");
        total += bytes_out(r.take_output());
    }
    r.finish().expect("the benchmark FLV ends cleanly");
    total + bytes_out(r.take_output())
}

/// The MP4 as the player's worker would read it: its moov (here from memory), then the
/// file from byte 0 in 64 KiB chunks, output taken after each one.
fn mp4_chunked(mp4: &[u8], moov: &[u8]) -> usize {
    let mut r = Mp4Remuxer::new(moov).expect("the benchmark MP4's moov reads");
    let mut total = 0;
    for chunk in mp4.chunks(CHUNK) {
        r.push(chunk).expect("the benchmark MP4 remuxes");
        total += bytes_out(r.take_output());
    }
    r.finish().expect("the benchmark MP4 ends cleanly");
    total + bytes_out(r.take_output())
}

fn main() {
    let src = source();
    let (flv, mp4) = match (cut(&src, "bench-60s.flv"), cut(&src, "bench-60s.mp4")) {
        (Ok(f), Ok(m)) => (f, m),
        (Err(e), _) | (_, Err(e)) => {
            println!("skipping the MP4 benchmark: {e} (source {}; make it with bench/make-media.sh)", src.display());
            return;
        }
    };
    let moov = match locate_moov(&mp4) {
        Ok(MoovLocation::Found { offset, size }) => mp4[offset as usize..(offset + size) as usize].to_vec(),
        other => panic!("the benchmark MP4 has no moov: {other:?}"),
    };
    let r = Mp4Remuxer::new(&moov).expect("the benchmark MP4's moov reads");
    println!(
        "60 s of {}: FLV {:.1} MB -> {:.1} MB of fMP4; MP4 {:.1} MB (moov {:.0} KB, tables {:.0} KB) -> {:.1} MB of fMP4",
        src.display(),
        flv.len() as f64 / 1e6,
        flv_chunked(&flv) as f64 / 1e6,
        mp4.len() as f64 / 1e6,
        moov.len() as f64 / 1e3,
        r.table_bytes() as f64 / 1e3,
        mp4_chunked(&mp4, &moov) as f64 / 1e6,
    );

    // Short: each iteration is a whole file, and the machine has 2 cores.
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .configure_from_args();
    let mut g = c.benchmark_group("mp4_vs_flv_60s_720p");
    g.sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::BytesDecimal(flv.len() as u64));
    g.bench_function("flv_remux_64KiB_chunks", |b| b.iter(|| flv_chunked(black_box(&flv))));
    g.bench_function("flv_remux_all", |b| b.iter(|| relive_media::remux_all(black_box(&flv)).expect("remuxes").len()));
    g.throughput(Throughput::BytesDecimal(mp4.len() as u64));
    g.bench_function("mp4_remux_64KiB_chunks", |b| b.iter(|| mp4_chunked(black_box(&mp4), &moov)));
    g.bench_function("mp4_remux_all", |b| b.iter(|| remux_all(black_box(&mp4)).expect("remuxes").len()));
    g.throughput(Throughput::BytesDecimal(moov.len() as u64));
    g.bench_function("mp4_moov_read", |b| b.iter(|| Mp4Remuxer::new(black_box(&moov)).expect("reads").duration_ms()));
    g.finish();
    c.final_summary();
}
