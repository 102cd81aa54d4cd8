//! What a poster and storyboard cost (`make bench`; figures in server/README.md, "Posters
//! and storyboards"): a 3-hour 1280×720 recording (60 s of ffmpeg's test picture at
//! ~2.5 Mbit/s, a keyframe every 2 s, looped with `-c copy`; made once into
//! bench/.cache/images/) goes through what the images job does for a local file — FLV:
//! streamed once through `relive_media::frames::FlvKeyframes`; MP4: the `moov`, then only
//! the picked keyframes' bytes — each wanted keyframe decoded by OpenH264, scaled, and
//! written as poster and sprite sheets by `images::make::Maker`. Printed: wall and CPU
//! seconds (this process's user + system, from /proc), CPU seconds per hour of video,
//! and the peak resident memory (VmHWM).
//!
//! `cargo run --release -p relive-server --example images_bench [-- HOURS]`

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use relive_media::frames::{FlvKeyframes, Keyframe, Mp4Keyframes, Targets};
use relive_media::mp4::demux::{MoovLocation, locate_moov};
use relive_server::images::make::Maker;

fn main() {
    let hours: f64 = std::env::args().nth(1).and_then(|h| h.parse().ok()).unwrap_or(3.0);
    let secs = (hours * 3600.0).round() as i64;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench/.cache/images");
    std::fs::create_dir_all(&dir).unwrap();
    let flv = long_file(&dir, secs, "flv");
    let mp4 = long_file(&dir, secs, "mp4");
    println!("images bench: {hours} h of 1280x720 H.264 at ~2.5 Mbit/s, a keyframe every 2 s");
    let rss_before = peak_rss_kib();
    for (name, file) in [("FLV (streamed once)", &flv), ("MP4 (moov + picked keyframes)", &mp4)] {
        let out = tempdir(&dir, name);
        let (cpu0, wall) = (cpu_secs(), Instant::now());
        let made = if file.extension().is_some_and(|e| e == "flv") {
            flv_images(file, &out, secs * 1000)
        } else {
            mp4_images(file, &out, secs * 1000)
        };
        let (cpu, wall) = (cpu_secs() - cpu0, wall.elapsed().as_secs_f64());
        let sheets = std::fs::read_dir(&out)
            .unwrap()
            .filter(|e| e.as_ref().is_ok_and(|e| e.file_name() != "poster.jpg"))
            .count();
        let mb = std::fs::metadata(file).unwrap().len() as f64 / 1e6;
        println!(
            "  {name:32} {mb:7.0} MB  tiles {:3}  sheets {sheets}  poster {:?}  wall {wall:6.2} s  cpu {cpu:6.2} s  \
             = {:.2} cpu-s per hour of video",
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

fn flv_images(file: &Path, out: &Path, duration_ms: i64) -> relive_server::images::make::Made {
    let mut maker = Maker::new(out, duration_ms).unwrap();
    let mut k = FlvKeyframes::new(Targets::new(maker.plan().targets()));
    let mut f = std::fs::File::open(file).unwrap();
    let mut buf = vec![0; 256 * 1024];
    loop {
        let n = f.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        for kf in k.push(&buf[..n]).unwrap() {
            maker.add(&kf).unwrap();
        }
        if k.done() || maker.done() {
            break;
        }
    }
    maker.finish().unwrap()
}

fn mp4_images(file: &Path, out: &Path, duration_ms: i64) -> relive_server::images::make::Made {
    let mut f = std::fs::File::open(file).unwrap();
    let read = |f: &mut std::fs::File, at: u64, len: u64| {
        f.seek(SeekFrom::Start(at)).unwrap();
        let mut v = Vec::new();
        f.take(len).read_to_end(&mut v).unwrap();
        v
    };
    // The moov: after the mdat, as ffmpeg writes it.
    let mut base = 0;
    let moov = loop {
        let head = read(&mut f, base, 64 * 1024);
        match locate_moov(&head).unwrap() {
            MoovLocation::Found { offset, size } => break read(&mut f, base + offset, size),
            MoovLocation::At { offset } => base += offset,
            MoovLocation::NeedMore => panic!("no moov"),
        }
    };
    let index = Mp4Keyframes::from_moov(&moov).unwrap();
    drop(moov);
    let mut maker = Maker::new(out, duration_ms).unwrap();
    for s in index.pick(Targets::new(maker.plan().targets())) {
        let bytes = read(&mut f, s.offset, u64::from(s.size));
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
