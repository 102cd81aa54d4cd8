//! Keyframes for posters and storyboards (`relive_media::frames`) from ffmpeg-made FLV,
//! MP4 (both `moov` places), MPEG-TS and HLS segments: the keyframes picked are at the
//! times ffprobe gives, each access unit is SPS, PPS, IDR in Annex B, and ffmpeg decodes
//! it alone into the very picture it decodes from the file at that time. Other codecs
//! are refused by name; cut and damaged files are errors, never panics.

mod common;
use common::{ffmpeg, flip_bytes};

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use relive_media::ErrorKind;
use relive_media::frames::{FlvKeyframes, Keyframe, Mp4Keyframes, Targets, ts_first_keyframe};
use relive_media::mp4::demux::{MoovLocation, locate_moov};
use serde_json::Value;

const W: usize = 320;
const H: usize = 240;
/// 6 s of 25 fps, a keyframe every 2 s, B-frames; AAC alongside.
const SOURCE: [&str; 20] = [
    "-f",
    "lavfi",
    "-i",
    "testsrc2=size=320x240:rate=25",
    "-f",
    "lavfi",
    "-i",
    "sine",
    "-t",
    "6",
    "-c:v",
    "libx264",
    "-preset",
    "veryfast",
    "-pix_fmt",
    "yuv420p",
    "-g",
    "50",
    "-bf",
    "2",
];
const AAC: [&str; 2] = ["-c:a", "aac"];
const TARGETS: [i64; 3] = [0, 2000, 4000];

/// A folder of test media, made once per test run.
fn media() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("relive-frames-tests-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let av = [&SOURCE[..], &AAC].concat();
        ffmpeg(&av, &dir.join("av.flv"));
        ffmpeg(&av, &dir.join("av.mp4"));
        ffmpeg(&[&av[..], &["-movflags", "+faststart"]].concat(), &dir.join("av-faststart.mp4"));
        ffmpeg(&[&av[..], &["-f", "mpegts"]].concat(), &dir.join("av.ts"));
        let hls = dir.join("hls");
        std::fs::create_dir_all(&hls).unwrap();
        let pattern = hls.join("seg%d.ts");
        let segments = ["-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod", "-hls_segment_filename"];
        ffmpeg(&[&av[..], &segments, &[pattern.to_str().unwrap()]].concat(), &hls.join("index.m3u8"));
        let short = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "1"];
        let hevc = ["-c:v", "libx265", "-x265-params", "log-level=error"];
        ffmpeg(&[&short[..], &hevc].concat(), &dir.join("hevc.mp4"));
        ffmpeg(&[&short[..], &hevc, &["-f", "mpegts"]].concat(), &dir.join("hevc.ts"));
        ffmpeg(&[&short[..], &["-c:v", "flv"]].concat(), &dir.join("sorenson.flv"));
        dir
    })
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(media().join(name)).unwrap()
}

/// ffprobe's video packets of a file: (pts ms, dts ms, key, pos, size); and the first
/// audio PTS (ms).
struct Probed {
    video: Vec<(f64, f64, bool, u64, u64)>,
    first_audio: Option<f64>,
}

fn probe(path: &Path) -> Probed {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "packet=codec_type,pts_time,dts_time,flags,pos,size", "-of", "json"])
        .arg(path)
        .output()
        .expect("ffprobe runs");
    assert!(out.status.success(), "ffprobe reads {}", path.display());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let num = |p: &Value, k: &str| p[k].as_str().and_then(|s| s.parse::<f64>().ok()).unwrap();
    let packets = v["packets"].as_array().unwrap();
    let video = packets
        .iter()
        .filter(|p| p["codec_type"] == "video")
        .map(|p| {
            let key = p["flags"].as_str().unwrap().starts_with('K');
            (num(p, "pts_time") * 1000.0, num(p, "dts_time") * 1000.0, key, num(p, "pos") as u64, num(p, "size") as u64)
        })
        .collect();
    let first_audio = packets.iter().find(|p| p["codec_type"] == "audio").map(|p| num(p, "pts_time") * 1000.0);
    Probed { video, first_audio }
}

/// For each target, the first keyframe (by ffprobe) at or after it, each once.
fn expected(keys: &[f64], targets: &[i64]) -> Vec<i64> {
    let mut t = Targets::new(targets.to_vec());
    let mut out = Vec::new();
    for &k in keys {
        let k = k.round() as i64;
        if t.wants(k) {
            t.take(k);
            out.push(k);
        }
    }
    out
}

/// SPS, PPS, then the IDR slice, each behind `00 00 00 1`, nothing else (no length
/// prefix left: the bytes are exactly the start codes and the NAL units between them).
fn assert_annexb(what: &str, annexb: &[u8]) {
    let mut starts = Vec::new();
    for i in 0..annexb.len().saturating_sub(3) {
        if annexb[i..i + 4] == [0, 0, 0, 1] {
            starts.push(i);
        }
    }
    assert_eq!(starts.first(), Some(&0), "{what}: starts with a start code");
    let nals: Vec<&[u8]> =
        starts.iter().enumerate().map(|(n, &s)| &annexb[s + 4..*starts.get(n + 1).unwrap_or(&annexb.len())]).collect();
    let types: Vec<u8> = nals.iter().map(|n| n[0] & 0x1f).collect();
    assert_eq!(types, vec![7, 8, 5], "{what}: NAL unit types");
    assert!(nals.iter().all(|n| n[0] & 0x80 == 0), "{what}: forbidden bit clear");
    // A length prefix left in would show as its bytes before a NAL header.
    let idr = nals[2];
    assert!(idr.len() > 100 && !idr[idr.len() - 4..].iter().all(|&b| b == 0), "{what}: no trailing prefix");
}

/// ffmpeg decodes `annexb` alone: exactly one gray picture, no message. Returns it.
fn decode_alone(annexb: &[u8], name: &str) -> Vec<u8> {
    let path = media().join(name);
    std::fs::write(&path, annexb).unwrap();
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-v", "error", "-f", "h264", "-i"])
        .arg(&path)
        .args(["-f", "rawvideo", "-pix_fmt", "gray", "-"])
        .output()
        .unwrap();
    assert!(out.status.success() && out.stderr.is_empty(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.stdout.len(), W * H, "{name}: one picture");
    out.stdout
}

/// The picture ffmpeg decodes from the file at presentation time `ms` (as ffprobe gives
/// it): every frame decoded in order (no frame dropped or repeated), the one whose PTS
/// ranks where `ms` does. (Seeking with `-ss` is not frame-exact in FLV.)
fn decode_at(file: &str, ms: f64) -> Vec<u8> {
    let path = media().join(file);
    let mut pts: Vec<f64> = probe(&path).video.iter().map(|v| v.0).collect();
    pts.sort_by(f64::total_cmp);
    let rank = pts.iter().position(|&p| (p - ms).abs() < 0.5).expect("a frame at that time");
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-v", "error", "-i"])
        .arg(&path)
        .args(["-map", "0:v", "-vsync", "passthrough", "-f", "rawvideo", "-pix_fmt", "gray", "-"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout.len(), pts.len() * W * H, "{file}: every frame decoded");
    out.stdout[rank * W * H..(rank + 1) * W * H].to_vec()
}

fn flv_keyframes(bytes: &[u8], chunk: usize, targets: &[i64]) -> relive_media::Result<Vec<Keyframe>> {
    let mut k = FlvKeyframes::new(Targets::new(targets.to_vec()));
    let mut out = Vec::new();
    for c in bytes.chunks(chunk.max(1)) {
        out.extend(k.push(c)?);
        if k.done() {
            break;
        }
    }
    k.finish()?;
    Ok(out)
}

#[test]
fn flv_keyframes_at_ffprobes_times_decode_alone_in_any_chunking() {
    let flv = read("av.flv");
    let p = probe(&media().join("av.flv"));
    let keys: Vec<f64> = p.video.iter().filter(|v| v.2).map(|v| v.0).collect();
    assert_eq!(keys.len(), 3, "the source has a keyframe every 2 s");
    let got = flv_keyframes(&flv, 64 * 1024, &TARGETS).unwrap();
    let times: Vec<i64> = got.iter().map(|k| k.time_ms).collect();
    assert_eq!(times, expected(&keys, &TARGETS));
    for k in &got {
        assert_annexb(&format!("flv at {}", k.time_ms), &k.annexb);
        let picture = decode_alone(&k.annexb, &format!("flv-{}.h264", k.time_ms));
        assert!(picture == decode_at("av.flv", k.time_ms as f64), "flv at {}: the file's picture", k.time_ms);
    }
    for chunk in [1, 7, flv.len()] {
        assert_eq!(flv_keyframes(&flv, chunk, &TARGETS).unwrap(), got, "chunks of {chunk}");
    }
    // One target: reading stops early (the first keyframe is near the start).
    let mut k = FlvKeyframes::new(Targets::new(vec![0]));
    let mut read = 0;
    for c in flv.chunks(4096) {
        read += c.len();
        if !k.push(c).unwrap().is_empty() {
            break;
        }
    }
    assert!(k.done() && read < flv.len() / 4, "read {read} of {}", flv.len());
}

#[test]
fn mp4_keyframes_from_the_moov_wherever_it_is() {
    for name in ["av.mp4", "av-faststart.mp4"] {
        let file = read(name);
        // What a server does: a 64 KiB head, then (moov at the end) one more read.
        let head = &file[..64 * 1024];
        let (offset, size) = match locate_moov(head).unwrap() {
            MoovLocation::Found { offset, size } => (offset, size),
            MoovLocation::At { offset } => match locate_moov(&file[offset as usize..]).unwrap() {
                MoovLocation::Found { offset: o, size } => (offset + o, size),
                other => panic!("{name}: {other:?}"),
            },
            MoovLocation::NeedMore => panic!("{name}: need more"),
        };
        let moov = &file[offset as usize..(offset + size) as usize];
        let k = Mp4Keyframes::from_moov(moov).unwrap();
        let p = probe(&media().join(name));
        let keys: Vec<(i64, u64, u32)> =
            p.video.iter().filter(|v| v.2).map(|v| (v.0.round() as i64, v.3, v.4 as u32)).collect();
        let ours: Vec<(i64, u64, u32)> = k.samples.iter().map(|s| (s.time_ms, s.offset, s.size)).collect();
        assert_eq!(ours, keys, "{name}: every keyframe, as ffprobe sees it");
        assert_eq!(k.config().map(|c| (c.width, c.height)), Some((W as u32, H as u32)));
        let picked = k.pick(Targets::new(TARGETS.to_vec()));
        let key_times: Vec<f64> = keys.iter().map(|k| k.0 as f64).collect();
        assert_eq!(picked.iter().map(|s| s.time_ms).collect::<Vec<_>>(), expected(&key_times, &TARGETS));
        assert_eq!(picked.iter().map(|s| s.time_ms).collect::<Vec<_>>(), vec![0, 2000, 4000], "{name}");
        for s in picked {
            let sample = &file[s.offset as usize..s.offset as usize + s.size as usize];
            let annexb = k.annexb(sample).unwrap();
            assert_annexb(&format!("{name} at {}", s.time_ms), &annexb);
            let picture = decode_alone(&annexb, &format!("{name}-{}.h264", s.time_ms));
            assert!(picture == decode_at(name, s.time_ms as f64), "{name} at {}: the file's picture", s.time_ms);
        }
    }
}

#[test]
fn ts_and_hls_segments_first_keyframe() {
    let check = |path: &Path, label: &str| -> Keyframe {
        let k = ts_first_keyframe(&std::fs::read(path).unwrap()).unwrap().expect("a keyframe");
        let p = probe(path);
        let key = p.video.iter().find(|v| v.2).unwrap().0;
        let base = p.video[0].1.min(p.first_audio.unwrap_or(f64::MAX));
        assert!((k.time_ms as f64 - (key - base)).abs() <= 1.0, "{label}: {} vs {}", k.time_ms, key - base);
        assert_annexb(label, &k.annexb);
        decode_alone(&k.annexb, &format!("{label}.h264"));
        k
    };
    let whole = check(&media().join("av.ts"), "av.ts");
    let key = probe(&media().join("av.ts")).video.into_iter().find(|v| v.2).unwrap().0;
    assert!(decode_alone(&whole.annexb, "av-ts.h264") == decode_at("av.ts", key), "av.ts: the file's picture");
    let mut segments = 0;
    for n in 0.. {
        let path = media().join("hls").join(format!("seg{n}.ts"));
        if !path.exists() {
            break;
        }
        let k = check(&path, &format!("hls-seg{n}"));
        assert!(k.time_ms < 200, "seg{n}: a segment starts at a keyframe ({} ms)", k.time_ms);
        segments += 1;
    }
    assert_eq!(segments, 3);
}

#[test]
fn other_codecs_are_refused_by_name() {
    let name = |e: relive_media::Error| match e.kind {
        ErrorKind::UnsupportedCodec(name) => name,
        other => panic!("{other:?}"),
    };
    let hevc = read("hevc.mp4");
    let moov = match locate_moov(&hevc).unwrap() {
        MoovLocation::Found { offset, size } => &hevc[offset as usize..(offset + size) as usize],
        other => panic!("{other:?}"),
    };
    assert!(name(Mp4Keyframes::from_moov(moov).unwrap_err()).contains("HEVC"));
    assert_eq!(name(ts_first_keyframe(&read("hevc.ts")).unwrap_err()), "HEVC");
    assert_eq!(name(flv_keyframes(&read("sorenson.flv"), 4096, &[0]).unwrap_err()), "Sorenson H.263 video");
}

#[test]
fn cut_and_damaged_files_are_errors_not_panics() {
    let flv = read("av.flv");
    // Cut with a target still unmet: `finish` says the file ended inside a tag.
    let last_key = flv.len() * 2 / 3 + 100;
    assert!(flv_keyframes(&flv[..last_key], 4096, &[5000]).is_err());
    let mp4 = read("av-faststart.mp4");
    let MoovLocation::Found { offset, size } = locate_moov(&mp4).unwrap() else { panic!() };
    let moov = &mp4[offset as usize..(offset + size) as usize];
    let ts = read("av.ts");
    let mut seed = 0x5eed_f4a3_u64;
    for i in 0..40 {
        let cut = |len: usize| len * (i + 1) / 41;
        let _ = flv_keyframes(&flv[..cut(flv.len())], 1000, &TARGETS);
        assert!(Mp4Keyframes::from_moov(&moov[..cut(moov.len())]).is_err());
        let _ = ts_first_keyframe(&ts[..cut(ts.len())]);
        let mut f = flv.clone();
        flip_bytes(&mut f, 20, &mut seed);
        let _ = flv_keyframes(&f, 5000, &TARGETS);
        let mut m = moov.to_vec();
        flip_bytes(&mut m, 3, &mut seed);
        if let Ok(k) = Mp4Keyframes::from_moov(&m) {
            for s in k.pick(Targets::new(TARGETS.to_vec())) {
                if let Some(sample) = mp4.get(s.offset as usize..(s.offset + u64::from(s.size)) as usize) {
                    let _ = k.annexb(sample);
                }
            }
        }
        let mut t = ts.clone();
        flip_bytes(&mut t, 20, &mut seed);
        let _ = ts_first_keyframe(&t);
    }
    // A garbled keyframe sample: an error, not a panic.
    let k = Mp4Keyframes::from_moov(moov).unwrap();
    let s = k.samples[1];
    let mut sample = mp4[s.offset as usize..(s.offset + u64::from(s.size)) as usize].to_vec();
    sample[0] = 0x7f;
    assert!(k.annexb(&sample).is_err());
}
