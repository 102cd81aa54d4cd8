//! What a poster and storyboard cost (`make bench`; figures in server/README.md, "Posters
//! and storyboards"): a 3-hour 1280×720 recording (60 s of ffmpeg's test picture at
//! ~2.5 Mbit/s, a keyframe every 2 s, looped with `-c copy`; made once into
//! bench/.cache/images/) goes through what the images job does for a local file — FLV:
//! by its keyframe index (the head, then only the picked keyframes' tags:
//! `relive_media::frames::{flv_head, flv_keyframe_tag}`; the index, which the player needs
//! anyway, built first by one pass and timed on its own), and as the job did before,
//! streamed once through `relive_media::frames::FlvKeyframes`; MP4: the `moov`, then only
//! the picked keyframes' bytes — each wanted keyframe decoded by OpenH264, scaled, and
//! written as poster and sprite sheets by `images::make::Maker`. Printed: bytes read, wall
//! and CPU seconds (this process's user + system, from /proc), CPU seconds per hour of
//! video, and the peak resident memory (VmHWM).
//!
//! `cargo run --release -p relive-server --example images_bench [-- HOURS]`

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use relive_media::flv::TagHeader;
use relive_media::frames::{FlvHead, FlvKeyframes, Keyframe, Mp4Keyframes, Targets, flv_head, flv_keyframe_tag};
use relive_media::mp4::demux::{MoovLocation, locate_moov};
use relive_media::{FlvIndex, Indexer};
use relive_server::images::make::{Made, Maker};

/// A way of making the images of `file` into `out`; adds the bytes it read to `read`.
type Variant = fn(file: &Path, out: &Path, duration_ms: i64, index: &FlvIndex, read: &mut u64) -> Made;

fn main() {
    let hours: f64 = std::env::args().nth(1).and_then(|h| h.parse().ok()).unwrap_or(3.0);
    let secs = (hours * 3600.0).round() as i64;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench/.cache/images");
    std::fs::create_dir_all(&dir).unwrap();
    let flv = long_file(&dir, secs, "flv");
    let mp4 = long_file(&dir, secs, "mp4");
    println!("images bench: {hours} h of 1280x720 H.264 at ~2.5 Mbit/s, a keyframe every 2 s");
    let rss_before = peak_rss_kib();
    let (cpu0, wall) = (cpu_secs(), Instant::now());
    let index = flv_index(&flv);
    let (cpu, wall) = (cpu_secs() - cpu0, wall.elapsed().as_secs_f64());
    println!(
        "  {:32} {:7.0} MB  keyframes {}  wall {wall:6.2} s  cpu {cpu:6.2} s  (built once, for the player too)",
        "FLV keyframe index (one pass)",
        std::fs::metadata(&flv).unwrap().len() as f64 / 1e6,
        index.points.len(),
    );
    let variants: [(&str, &Path, Variant); 3] = [
        ("FLV (index: head + picked tags)", &flv, flv_by_index),
        ("FLV (streamed once)", &flv, flv_images),
        ("MP4 (moov + picked keyframes)", &mp4, mp4_images),
    ];
    for (name, file, make) in variants {
        let out = tempdir(&dir, name);
        let mut read = 0;
        let (cpu0, wall) = (cpu_secs(), Instant::now());
        let made = make(file, &out, secs * 1000, &index, &mut read);
        let (cpu, wall) = (cpu_secs() - cpu0, wall.elapsed().as_secs_f64());
        let sheets = std::fs::read_dir(&out)
            .unwrap()
            .filter(|e| e.as_ref().is_ok_and(|e| e.file_name() != "poster.jpg"))
            .count();
        let mb = std::fs::metadata(file).unwrap().len() as f64 / 1e6;
        println!(
            "  {name:32} {mb:7.0} MB  read {:8.1} MB  tiles {:3}  sheets {sheets}  poster {:?}  wall {wall:6.2} s  \
             cpu {cpu:6.2} s  = {:.2} cpu-s per hour of video",
            read as f64 / 1e6,
            made.storyboard.as_ref().map_or(0, |s| s.tiles.len()),
            made.poster,
            cpu / hours,
        );
        let _ = std::fs::remove_dir_all(&out);
    }
    println!("  peak RSS {:.1} MB (before: {:.1} MB)", peak_rss_kib() as f64 / 1024.0, rss_before as f64 / 1024.0);
}

fn tempdir(dir: &Path, name: &str) -> PathBuf {
    let d = dir.join(format!("out-{}", name.split_whitespace().next().unwrap()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// `len` bytes (fewer at the end) of `f` from `at`, counted into `read`.
fn read_at(f: &mut std::fs::File, at: u64, len: u64, read: &mut u64) -> Vec<u8> {
    f.seek(SeekFrom::Start(at)).unwrap();
    let mut v = Vec::new();
    f.take(len).read_to_end(&mut v).unwrap();
    *read += v.len() as u64;
    v
}

/// The keyframe index the server keeps for an FLV (`probe::flv_file`): one pass.
fn flv_index(file: &Path) -> FlvIndex {
    let mut f = std::fs::File::open(file).unwrap();
    let mut indexer = Indexer::new();
    let mut buf = vec![0; 256 * 1024];
    loop {
        let n = f.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        indexer.push(&buf[..n]).unwrap();
    }
    indexer.finish().unwrap()
}

/// As `images::read` reads a local or remote FLV with its index: the head (up to the
/// first keyframe, at most 64 KiB), then each picked keyframe's tag (a guess of its size,
/// the rest when it is larger).
fn flv_by_index(file: &Path, out: &Path, duration_ms: i64, index: &FlvIndex, read: &mut u64) -> Made {
    let mut f = std::fs::File::open(file).unwrap();
    let head = read_at(&mut f, 0, index.points[0].offset.min(64 * 1024), read);
    let FlvHead::Config(config) = flv_head(&head).unwrap() else {
        panic!("no AVC sequence header before the first keyframe, in the first 64 KiB")
    };
    let mut maker = Maker::new(out, duration_ms).unwrap();
    let mut targets = Targets::new(maker.plan().targets());
    let mut guess = 64 * 1024;
    for (i, p) in index.points.iter().enumerate() {
        if targets.done() || maker.done() {
            break;
        }
        if !targets.wants(p.time_ms) {
            continue;
        }
        let room = index.points.get(i + 1).map_or(u64::MAX, |n| n.offset - p.offset);
        let mut bytes = read_at(&mut f, p.offset, guess.min(room), read);
        let header = TagHeader::parse(&bytes, p.offset).unwrap().unwrap();
        let len = TagHeader::LEN as u64 + u64::from(header.data_size);
        if (bytes.len() as u64) < len {
            let rest = read_at(&mut f, p.offset + bytes.len() as u64, len - bytes.len() as u64, read);
            bytes.extend_from_slice(&rest);
        }
        guess = len + len / 4 + 256;
        if let Some(kf) = flv_keyframe_tag(&config, &bytes, p.offset).unwrap() {
            let time_ms = p.time_ms + (kf.time_ms - header.timestamp);
            targets.take(time_ms);
            maker.add(&Keyframe { time_ms, annexb: kf.annexb }).unwrap();
        }
    }
    maker.finish().unwrap()
}

/// `secs` seconds of video in `ext`, made once: 60 s encoded, then looped with `-c copy`.
fn long_file(dir: &Path, secs: i64, ext: &str) -> PathBuf {
    let out = dir.join(format!("long-{secs}s.{ext}"));
    if out.exists() {
        return out;
    }
    let unit = dir.join("unit-60s.flv");
    if !unit.exists() {
        run(Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25"])
            .args([
                "-f", "lavfi", "-i", "sine", "-t", "60", "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt",
                "yuv420p",
            ])
            .args(["-g", "50", "-b:v", "2500k", "-maxrate", "2500k", "-bufsize", "5M", "-c:a", "aac"])
            .arg(&unit));
    }
    eprintln!("making {} (once)...", out.display());
    let tmp = out.with_extension(format!("{ext}.part"));
    run(Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-stream_loop", "-1", "-i"])
        .arg(&unit)
        .args(["-t", &secs.to_string(), "-c", "copy", "-f", ext])
        .arg(&tmp));
    std::fs::rename(&tmp, &out).unwrap();
    out
}

fn run(cmd: &mut Command) {
    let status = cmd.status().expect("ffmpeg runs");
    assert!(status.success(), "{cmd:?}");
}

fn flv_images(file: &Path, out: &Path, duration_ms: i64, _: &FlvIndex, read: &mut u64) -> Made {
    let mut maker = Maker::new(out, duration_ms).unwrap();
    let mut k = FlvKeyframes::new(Targets::new(maker.plan().targets()));
    let mut f = std::fs::File::open(file).unwrap();
    let mut buf = vec![0; 256 * 1024];
    loop {
        let n = f.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        *read += n as u64;
        for kf in k.push(&buf[..n]).unwrap() {
            maker.add(&kf).unwrap();
        }
        if k.done() || maker.done() {
            break;
        }
    }
    maker.finish().unwrap()
}

fn mp4_images(file: &Path, out: &Path, duration_ms: i64, _: &FlvIndex, read: &mut u64) -> Made {
    let mut f = std::fs::File::open(file).unwrap();
    // The moov: after the mdat, as ffmpeg writes it.
    let mut base = 0;
    let moov = loop {
        let head = read_at(&mut f, base, 64 * 1024, read);
        match locate_moov(&head).unwrap() {
            MoovLocation::Found { offset, size } => break read_at(&mut f, base + offset, size, read),
            MoovLocation::At { offset } => base += offset,
            MoovLocation::NeedMore => panic!("no moov"),
        }
    };
    let index = Mp4Keyframes::from_moov(&moov).unwrap();
    drop(moov);
    let mut maker = Maker::new(out, duration_ms).unwrap();
    for s in index.pick(Targets::new(maker.plan().targets())) {
        let bytes = read_at(&mut f, s.offset, u64::from(s.size), read);
        maker.add(&Keyframe { time_ms: s.time_ms, annexb: index.annexb(&bytes).unwrap() }).unwrap();
    }
    maker.finish().unwrap()
}

/// This process's user + system CPU seconds (/proc/self/stat, in clock ticks of 1/100 s).
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}
