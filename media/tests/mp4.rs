//! Progressive MP4s made by ffmpeg (faststart and `moov` at the end, with and without
//! B-frames, audio only, video only, other codecs), remuxed to fragmented MP4 by
//! `relive_media::mp4::demux`, and the output checked against the source packet by
//! packet by an independent reader: ffprobe.

mod common;
use common::{ffmpeg, flip_bytes, fmp4_bytes, probe};

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use relive_media::mp4::Boxes;
use relive_media::mp4::demux::{MoovLocation, Mp4Remuxer, locate_moov, remux_all};
use relive_media::{ErrorKind, Output};
use serde_json::Value;

const VIDEO: [&str; 4] = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25"];
const AUDIO: [&str; 4] = ["-f", "lavfi", "-i", "sine"];
const AENC: [&str; 2] = ["-c:a", "aac"];

fn venc(bframes: &'static str) -> Vec<&'static str> {
    vec!["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "50", "-bf", bframes]
}

/// The H.264 + AAC files: B-frames or not, faststart or `moov` at the end.
const AV: [&str; 4] = ["av-bf0.mp4", "av-bf0-faststart.mp4", "av-bf2.mp4", "av-bf2-faststart.mp4"];
const ALL: [&str; 6] =
    ["av-bf0.mp4", "av-bf0-faststart.mp4", "av-bf2.mp4", "av-bf2-faststart.mp4", "audio.mp4", "video.mp4"];

/// A folder of test MP4s, made once per test run.
fn media() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("relive-mp4-tests-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let t = ["-t", "12"];
        for bf in ["0", "2"] {
            let both = [&VIDEO[..], &AUDIO, &t, &venc(bf), &AENC].concat();
            ffmpeg(&both, &dir.join(format!("av-bf{bf}.mp4")));
            ffmpeg(&[&both[..], &["-movflags", "+faststart"]].concat(), &dir.join(format!("av-bf{bf}-faststart.mp4")));
        }
        ffmpeg(&[&AUDIO[..], &t, &AENC].concat(), &dir.join("audio.mp4"));
        ffmpeg(&[&VIDEO[..], &t, &venc("2")].concat(), &dir.join("video.mp4"));
        let short = ["-t", "1"];
        ffmpeg(
            &[&VIDEO[..], &short, &["-c:v", "libx265", "-x265-params", "log-level=error"]].concat(),
            &dir.join("hevc.mp4"),
        );
        ffmpeg(&[&VIDEO[..], &AUDIO, &short, &venc("0"), &["-c:a", "libopus"]].concat(), &dir.join("opus.mp4"));
        ffmpeg(&[&VIDEO[..], &AUDIO, &short, &venc("0"), &["-c:a", "libmp3lame"]].concat(), &dir.join("mp3.mp4"));
        dir
    })
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(media().join(name)).unwrap()
}

/// The `moov` box of a whole file.
fn moov(file: &[u8]) -> &[u8] {
    match locate_moov(file).unwrap() {
        MoovLocation::Found { offset, size } => &file[offset as usize..(offset + size) as usize],
        other => panic!("no moov: {other:?}"),
    }
}

/// One packet as ffprobe sees it: times in ms of its stream's time base.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Packet {
    video: bool,
    dts: f64,
    pts: f64,
    size: u64,
    key: bool,
    pos: Option<u64>,
}

fn packets(path: &Path) -> Vec<Packet> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "packet=codec_type,dts_time,pts_time,size,flags,pos", "-of", "json"])
        .arg(path)
        .output()
        .expect("ffprobe runs");
    assert!(out.status.success(), "ffprobe reads {}: {}", path.display(), String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let num = |p: &Value, k: &str| p[k].as_str().and_then(|s| s.parse::<f64>().ok());
    v["packets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| Packet {
            video: p["codec_type"] == "video",
            dts: num(p, "dts_time").unwrap() * 1000.0,
            pts: num(p, "pts_time").unwrap() * 1000.0,
            size: num(p, "size").unwrap() as u64,
            key: p["flags"].as_str().unwrap().starts_with('K'),
            pos: num(p, "pos").map(|p| p as u64),
        })
        .collect()
}

fn write(name: &str, bytes: &[u8]) -> PathBuf {
    let p = media().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// One output sample, read from `trun` (version 1, every field present, as this crate
/// writes it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Out {
    video: bool,
    dts: i64,
    cts: i32,
    duration: u32,
    size: u32,
    key: bool,
}

fn samples(outputs: &[Output]) -> Vec<Out> {
    let u32_at = |b: &[u8], i: usize| u32::from_be_bytes(b[i..i + 4].try_into().unwrap());
    let mut out = Vec::new();
    for o in outputs {
        let Output::Media { data, .. } = o else { continue };
        let moof = Boxes::new(data, 0).next().unwrap().unwrap();
        for traf in moof.children().map(Result::unwrap).filter(|b| b.kind == b"traf") {
            let field = |kind: &[u8; 4]| traf.require(kind, "traf child").unwrap().full().unwrap().2;
            let video = u32_at(field(b"tfhd"), 0) == 1;
            let mut dts = u64::from_be_bytes(field(b"tfdt")[..8].try_into().unwrap()) as i64;
            let trun = field(b"trun");
            for i in 0..u32_at(trun, 0) as usize {
                let at = 8 + 16 * i;
                let (duration, size, flags) = (u32_at(trun, at), u32_at(trun, at + 4), u32_at(trun, at + 8));
                let cts = u32_at(trun, at + 12) as i32;
                out.push(Out { video, dts, cts, duration, size, key: flags & 0x0001_0000 == 0 });
                dts += i64::from(duration);
            }
        }
    }
    out
}

/// Each stream's packets (ffprobe's, of the source and of our fMP4) in the same number,
/// with the same sizes and key flags, and times moved by one constant within 1 ms of
/// rounding, the same for audio and video: nothing lost, nothing out of sync.
fn assert_same_packets(name: &str, source: &[Packet], ours: &[Packet]) {
    let mut shifts = Vec::new();
    for video in [true, false] {
        let s: Vec<&Packet> = source.iter().filter(|p| p.video == video).collect();
        let o: Vec<&Packet> = ours.iter().filter(|p| p.video == video).collect();
        assert_eq!(o.len(), s.len(), "{name}: packets (video {video})");
        if s.is_empty() {
            continue;
        }
        let shift = o[0].dts - s[0].dts;
        for (i, (a, b)) in s.iter().zip(&o).enumerate() {
            assert_eq!((b.size, b.key), (a.size, a.key), "{name}: packet {i} (video {video})");
            assert!((b.dts - a.dts - shift).abs() <= 1.0, "{name}: packet {i} dts {} vs {} + {shift}", b.dts, a.dts);
            assert!((b.pts - a.pts - shift).abs() <= 1.0, "{name}: packet {i} pts {} vs {} + {shift}", b.pts, a.pts);
        }
        shifts.push(shift);
    }
    if let [v, a] = shifts[..] {
        assert!((v - a).abs() <= 1.0, "{name}: audio moved by {a} ms, video by {v} ms");
    }
}

#[test]
fn remuxed_packets_match_the_source() {
    for name in ALL {
        let file = read(name);
        let outputs = remux_all(&file).unwrap_or_else(|e| panic!("{name}: {e}"));
        let inits: Vec<&str> = outputs
            .iter()
            .filter_map(|o| match o {
                Output::Init { mime, .. } => Some(mime.as_str()),
                _ => None,
            })
            .collect();
        let want = match name {
            "audio.mp4" => "audio/mp4; codecs=\"mp4a.40.2\"",
            "video.mp4" => "video/mp4; codecs=\"avc1.64000d\"",
            _ => "video/mp4; codecs=\"avc1.64000d,mp4a.40.2\"",
        };
        assert_eq!(inits, [want], "{name}: one init segment, first");
        assert!(matches!(outputs[0], Output::Init { .. }) && matches!(outputs[1], Output::Metadata(_)), "{name}");
        let ours = write(&format!("{name}.fmp4.mp4"), &fmp4_bytes(&outputs));
        assert_same_packets(name, &packets(&media().join(name)), &packets(&ours));
        // And so the same frame counts and spans (within a frame) in ffprobe's summary.
        let (source, fmp4) = (probe(&media().join(name)), probe(&ours));
        assert_eq!((fmp4.video_frames, fmp4.audio_frames), (source.video_frames, source.audio_frames), "{name}");
        assert!((fmp4.video_span - source.video_span).abs() <= 0.041, "{name}: {fmp4:?} vs {source:?}");
        assert!((fmp4.audio_span - source.audio_span).abs() <= 0.024, "{name}: {fmp4:?} vs {source:?}");
        // Decodes without an error.
        let out =
            Command::new("ffmpeg").args(["-v", "error", "-i"]).arg(&ours).args(["-f", "null", "-"]).output().unwrap();
        assert!(out.status.success() && out.stderr.is_empty(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn the_edit_list_keeps_audio_and_video_in_sync() {
    // ffmpeg's B-frame delay (video media_time 2 frames) and AAC priming (audio
    // media_time 1024): the first video frame is presented 80 ms after the first decode
    // time, audio's first real frame (after the priming one) starts there too.
    let out = samples(&remux_all(&read("av-bf2.mp4")).unwrap());
    let first_video = out.iter().find(|s| s.video).unwrap();
    assert_eq!((first_video.dts, first_video.cts, first_video.key), (0, 80, true));
    let audio: Vec<&Out> = out.iter().filter(|s| !s.video).collect();
    assert_eq!((audio[0].dts, audio[1].dts), (57, 80), "priming at 80 − 23 ms, then 80");
    let out = samples(&remux_all(&read("av-bf0.mp4")).unwrap());
    let first_video = out.iter().find(|s| s.video).unwrap();
    let audio: Vec<&Out> = out.iter().filter(|s| !s.video).collect();
    assert_eq!((first_video.dts, first_video.cts, audio[0].dts, audio[1].dts), (23, 0, 0, 23));
}

#[test]
fn chunk_size_does_not_change_the_output() {
    for name in ["av-bf2.mp4", "av-bf0-faststart.mp4"] {
        let file = read(name);
        let whole = remux_all(&file).unwrap();
        let media = whole.iter().filter(|o| matches!(o, Output::Media { .. })).count();
        assert!((12..=16).contains(&media), "{name}: a first segment at once, then about a second each: {media}");
        for chunk in [1, 7, 65536] {
            let mut r = Mp4Remuxer::new(moov(&file)).unwrap();
            let mut outputs = r.take_output();
            for c in file.chunks(chunk) {
                r.push(c).unwrap();
                outputs.extend(r.take_output());
            }
            r.finish().unwrap();
            outputs.extend(r.take_output());
            assert!(outputs == whole, "{name}: {chunk}-byte chunks");
        }
    }
}

#[test]
fn locate_moov_needs_one_more_request_at_most() {
    for name in AV {
        let file = read(name);
        let head = &file[..65536];
        let (offset, size) = match locate_moov(head).unwrap() {
            MoovLocation::Found { offset, size } => {
                assert!(name.contains("faststart"), "{name}");
                (offset, size)
            }
            MoovLocation::At { offset } => {
                assert!(!name.contains("faststart"), "{name}");
                // The second request, from there.
                match locate_moov(&file[offset as usize..]).unwrap() {
                    MoovLocation::Found { offset: 0, size } => (offset, size),
                    other => panic!("{name}: {other:?}"),
                }
            }
            MoovLocation::NeedMore => panic!("{name}: 64 KiB is enough"),
        };
        let moov = &file[offset as usize..(offset + size) as usize];
        assert_eq!(&moov[4..8], b"moov");
        if name.contains("faststart") {
            assert!(offset < 100, "{name}: after ftyp");
        } else {
            assert_eq!(offset + size, file.len() as u64, "{name}: at the end");
        }
        // Cut inside a box header: more bytes.
        assert_eq!(locate_moov(&file[..4]).unwrap(), MoovLocation::NeedMore);
        assert_eq!(locate_moov(&file[..offset as usize + 5]).unwrap(), MoovLocation::NeedMore);
        assert!(matches!(locate_moov(&file[..offset as usize + 8]).unwrap(), MoovLocation::Found { .. }));
    }
    // Not an MP4.
    let flv = b"FLV\x01\x05\0\0\0\x09\0\0\0\0";
    assert!(matches!(locate_moov(flv).unwrap_err().kind, ErrorKind::BadBox(_)));
}

#[test]
fn the_seek_index_is_the_keyframes_with_their_audio() {
    for name in ["av-bf2.mp4", "av-bf0-faststart.mp4"] {
        let file = read(name);
        let source = packets(&media().join(name));
        let r = Mp4Remuxer::new(moov(&file)).unwrap();
        let (times, offsets) = r.keyframes();
        let first_dts = source.iter().map(|p| p.dts).fold(f64::MAX, f64::min);
        let keys: Vec<&Packet> = source.iter().filter(|p| p.video && p.key).collect();
        assert_eq!(times.len(), keys.len(), "{name}: every keyframe");
        assert_eq!(times.len(), 6, "{name}: 12 s, a keyframe every 2 s");
        for ((&t, &offset), k) in times.iter().zip(&offsets).zip(&keys) {
            assert!((t as f64 - (k.pts - first_dts)).abs() <= 1.0, "{name}: keyframe at {t} vs {}", k.pts - first_dts);
            // The smallest position of the keyframe and the audio that ends after it.
            let audio = source.iter().filter(|p| !p.video && p.pts + 1024.0 / 44.1 > k.pts + 0.5);
            let want = audio.filter_map(|p| p.pos).chain(k.pos).min().unwrap();
            assert_eq!(offset, want, "{name}: keyframe at {t}");
        }
        // The metadata says the same, in seconds.
        let outputs = remux_all(&file).unwrap();
        let Output::Metadata(m) = &outputs[1] else { panic!("{name}: metadata second") };
        let kf = m.keyframes.clone().unwrap();
        assert_eq!(kf.iter().map(|k| k.1).collect::<Vec<_>>(), offsets);
        assert!(kf.iter().zip(&times).all(|(k, &t)| (k.0 * 1000.0 - t as f64).abs() < 0.001));
        let duration = m.duration.unwrap();
        assert!(
            (duration * 1000.0 - r.duration_ms() as f64).abs() < 0.001 && (12.0..12.2).contains(&duration),
            "{duration}"
        );
        assert_eq!(
            (m.width, m.height, m.videocodecid, m.audiocodecid),
            (Some(320.0), Some(240.0), Some(7.0), Some(10.0))
        );
        assert!((m.framerate.unwrap() - 25.0).abs() < 0.01);
    }
    // Audio only: a point a second (the first frame at or after each whole second).
    let r = Mp4Remuxer::new(moov(&read("audio.mp4"))).unwrap();
    let (times, offsets) = r.keyframes();
    // 518 frames with the priming one: 12.03 s, the last frame starting at 12.004 s.
    assert_eq!(times.len(), 13);
    assert!(times.iter().enumerate().all(|(i, &t)| (0..24).contains(&(t - i as i64 * 1000))), "{times:?}");
    assert!(offsets.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn restarting_at_a_keyframe_starts_there_and_loses_no_audio() {
    for name in ["av-bf2.mp4", "av-bf0-faststart.mp4", "audio.mp4", "video.mp4"] {
        let file = read(name);
        let all = samples(&remux_all(&file).unwrap());
        let mut r = Mp4Remuxer::new(moov(&file)).unwrap();
        // Play the first few seconds, then seek to each point in turn (forward and back).
        for c in file[..file.len() / 3].chunks(65536) {
            r.push(c).unwrap();
        }
        let (times, offsets) = r.keyframes();
        for (&t, &offset) in times.iter().zip(&offsets).rev().chain(times.iter().zip(&offsets)) {
            r.take_output();
            r.restart_at(offset);
            for c in file[offset as usize..].chunks(65536) {
                r.push(c).unwrap();
            }
            r.finish().unwrap_or_else(|e| panic!("{name}: from {offset}: {e}"));
            let outputs = r.take_output();
            assert!(outputs.iter().all(|o| matches!(o, Output::Media { .. })), "{name}: no second init");
            let out = samples(&outputs);
            // Video: from the keyframe, every frame after it.
            let video: Vec<&Out> = out.iter().filter(|s| s.video).collect();
            let all_video: Vec<&Out> = all.iter().filter(|s| s.video).collect();
            if let Some(first) = video.first() {
                assert!(first.key && first.dts + i64::from(first.cts) == t, "{name}: starts at the keyframe {t}");
                assert_eq!(&all_video[all_video.len() - video.len()..], &video[..], "{name}: the rest of the video");
            }
            // Audio: every sample that ends after the keyframe's time, as when playing through.
            let audio: Vec<&Out> = out.iter().filter(|s| !s.video).collect();
            let want: Vec<&Out> = all.iter().filter(|s| !s.video && s.dts + i64::from(s.duration) > t).collect();
            assert_eq!(audio, want, "{name}: the audio from {t}");
            assert!(!out.is_empty(), "{name}: from {t}");
        }
        // From a keyframe's own offset (ffprobe's pos; the seek offset is at or before it,
        // for the audio): that keyframe still, and the audio from there on.
        let source = packets(&media().join(name));
        let first_dts = source.iter().map(|p| p.dts).fold(f64::MAX, f64::min);
        for k in source.iter().filter(|p| p.video && p.key) {
            let pos = k.pos.unwrap();
            r.take_output();
            r.restart_at(pos);
            for c in file[pos as usize..].chunks(65536) {
                r.push(c).unwrap();
            }
            r.finish().unwrap();
            let out = samples(&r.take_output());
            let first = out.iter().find(|s| s.video).unwrap();
            let t = first.dts + i64::from(first.cts);
            assert!(first.key && (t as f64 - (k.pts - first_dts)).abs() <= 1.0, "{name}: from the keyframe at {pos}");
            let audio_after =
                source.iter().filter(|p| !p.video && p.pos.unwrap() >= pos && p.pts - first_dts + 23.2 > t as f64);
            assert_eq!(out.iter().filter(|s| !s.video).count(), audio_after.count(), "{name}: audio from {pos}");
        }
        // Past the last point: nothing more, and no error.
        r.restart_at(file.len() as u64 - 10);
        r.push(&file[file.len() - 10..]).unwrap();
        r.finish().unwrap();
        assert!(r.take_output().is_empty());
    }
}

#[test]
fn the_time_offset_moves_everything() {
    let file = read("av-bf2.mp4");
    let plain = Mp4Remuxer::new(moov(&file)).unwrap();
    let mut r = Mp4Remuxer::new(moov(&file)).unwrap();
    r.set_time_offset(3_600_000);
    assert_eq!(r.time_offset(), 3_600_000);
    assert_eq!(r.duration_ms(), plain.duration_ms());
    let (a, b) = (plain.keyframes(), r.keyframes());
    assert_eq!(a.1, b.1);
    assert!(a.0.iter().zip(&b.0).all(|(x, y)| y - x == 3_600_000));
    r.push(&file).unwrap();
    r.finish().unwrap();
    let moved = r.take_output();
    let base = remux_all(&file).unwrap();
    for (m, o) in moved.iter().zip(&base) {
        match (m, o) {
            (Output::Media { start_ms: a, end_ms: b, .. }, Output::Media { start_ms: c, end_ms: d, .. }) => {
                assert_eq!((a - c, b - d), (3_600_000, 3_600_000))
            }
            (Output::Metadata(a), Output::Metadata(b)) => assert_eq!(a.duration.unwrap() - b.duration.unwrap(), 3600.0),
            (m, o) => assert_eq!(m, o),
        }
    }
    let (a, b) = (samples(&moved), samples(&base));
    assert!(a.iter().zip(&b).all(|(x, y)| x.dts - y.dts == 3_600_000 && (x.cts, x.size) == (y.cts, y.size)));
}

#[test]
fn other_codecs_are_refused_by_name() {
    for (name, codec) in [("hevc.mp4", "HEVC"), ("opus.mp4", "Opus"), ("mp3.mp4", "MP3")] {
        let e = remux_all(&read(name)).unwrap_err();
        match &e.kind {
            ErrorKind::UnsupportedCodec(c) => assert!(c.contains(codec), "{name}: {c}"),
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn truncated_and_damaged_files_are_errors_never_panics() {
    // Faststart, cut: what came before goes out, then Truncated.
    let file = read("av-bf2-faststart.mp4");
    let mut r = Mp4Remuxer::new(moov(&file)).unwrap();
    r.push(&file[..file.len() / 2]).unwrap();
    assert_eq!(r.finish().unwrap_err(), relive_media::Error::new(file.len() as u64 / 2, ErrorKind::Truncated));
    let out = samples(&r.take_output());
    assert!(out.len() > 100 && out.iter().all(|s| s.dts < 7000), "{}", out.len());
    // Cut anywhere, remux_all is an error (or, cut in the moov-at-end's last bytes, never a panic).
    for name in AV {
        let file = read(name);
        for n in (0..file.len()).step_by(file.len() / 97).chain([8, 40, file.len() - 1]) {
            assert!(remux_all(&file[..n]).is_err(), "{name}: {n} bytes");
        }
    }
    // Flipped bytes in the moov, and anywhere.
    let mut seed = 0x2545_f491_4f6c_dd1d;
    for name in AV {
        let file = read(name);
        let (offset, size) = match locate_moov(&file).unwrap() {
            MoovLocation::Found { offset, size } => (offset as usize, size as usize),
            other => panic!("{other:?}"),
        };
        for round in 0..300 {
            let mut bad = file.clone();
            if round % 3 == 0 {
                flip_bytes(&mut bad, 1 + round % 7, &mut seed);
            } else {
                flip_bytes(&mut bad[offset..offset + size], 1 + round % 5, &mut seed);
            }
            let _ = remux_all(&bad);
            if let Ok(mut r) = Mp4Remuxer::new(&bad[offset..offset + size]) {
                let _ = r.keyframes();
                for c in bad.chunks(4093) {
                    let _ = r.push(c);
                }
                let _ = r.finish();
                r.take_output();
            }
        }
    }
}

#[test]
fn the_tables_take_a_few_bytes_a_sample() {
    for name in ALL {
        let file = read(name);
        let r = Mp4Remuxer::new(moov(&file)).unwrap();
        let samples = packets(&media().join(name)).len();
        let per = r.table_bytes() as f64 / samples as f64;
        println!("{name}: {samples} samples, {} bytes of tables: {per:.1} bytes a sample", r.table_bytes());
        assert!(per < 12.0, "{name}: {per}");
    }
}

/// The same streams as an FLV (`-c copy`) remux to the same video and audio: the MP4
/// path and the FLV path give a player the same frames.
#[test]
fn the_same_streams_remux_alike_from_flv() {
    let name = "av-bf2.mp4";
    let flv = media().join("av-bf2.flv");
    ffmpeg(&["-i", media().join(name).to_str().unwrap(), "-c", "copy"], &flv);
    let from_flv = samples(&relive_media::remux_all(&std::fs::read(flv).unwrap()).unwrap());
    let from_mp4 = samples(&remux_all(&read(name)).unwrap());
    for video in [true, false] {
        let a: Vec<(u32, bool)> = from_flv.iter().filter(|s| s.video == video).map(|s| (s.size, s.key)).collect();
        let b: Vec<(u32, bool)> = from_mp4.iter().filter(|s| s.video == video).map(|s| (s.size, s.key)).collect();
        assert_eq!(a, b, "video {video}");
    }
}
