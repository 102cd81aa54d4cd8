//! What the ffmpeg-made media tests share (`mod common;` in each test file; each uses
//! its own share of it).
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

use relive_media::Output;
use serde_json::Value;

/// Runs ffmpeg with `args`, writing `out`.
pub fn ffmpeg(args: &[&str], out: &Path) {
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .arg(out)
        .status()
        .expect("ffmpeg runs (scripts/setup.sh installs it)");
    assert!(status.success(), "ffmpeg made {}", out.display());
}

/// The bytes of a remuxer's outputs as one fragmented MP4 file (init and media segments).
pub fn fmp4_bytes(outputs: &[Output]) -> Vec<u8> {
    let mut v = Vec::new();
    for o in outputs {
        if let Output::Init { data, .. } | Output::Media { data, .. } = o {
            v.extend_from_slice(data);
        }
    }
    v
}

/// What ffprobe finds in a file, per stream type: frames, and the presentation span
/// (first frame's start to last frame's end, seconds).
#[derive(Debug)]
pub struct Probe {
    pub video_frames: Option<u64>,
    pub audio_frames: Option<u64>,
    pub video_span: f64,
    pub audio_span: f64,
}

pub fn probe(path: &Path) -> Probe {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "packet=codec_type,pts_time,duration_time", "-of", "json"])
        .arg(path)
        .output()
        .expect("ffprobe runs");
    assert!(out.status.success(), "ffprobe reads {}: {}", path.display(), String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let packets = v["packets"].as_array().cloned().unwrap_or_default();
    let stream = |kind: &str| {
        let times: Vec<(f64, f64)> = packets
            .iter()
            .filter(|p| p["codec_type"] == kind)
            .map(|p| {
                let num = |k: &str| p[k].as_str().and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0);
                (num("pts_time"), num("duration_time"))
            })
            .collect();
        if times.is_empty() {
            return (None, 0.0);
        }
        let first = times.iter().map(|t| t.0).fold(f64::MAX, f64::min);
        let last = times.iter().map(|t| t.0 + t.1).fold(f64::MIN, f64::max);
        (Some(times.len() as u64), last - first)
    };
    let (video_frames, video_span) = stream("video");
    let (audio_frames, audio_span) = stream("audio");
    Probe { video_frames, audio_frames, video_span, audio_span }
}

/// Flips `n` bytes of `data` at places (and by values) drawn from `seed` (xorshift64),
/// which moves on: the same seed gives the same damage, run after run.
pub fn flip_bytes(data: &mut [u8], n: usize, seed: &mut u64) {
    for _ in 0..n {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        let i = (*seed % data.len() as u64) as usize;
        data[i] ^= (*seed >> 32) as u8 | 1;
    }
}
