//! MPEG-TS files and HLS segments made by ffmpeg, remuxed by `relive_media::ts`, and the
//! output checked by an independent reader: ffprobe.

mod common;
use common::{Probe, ffmpeg, flip_bytes, fmp4_bytes, probe};

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use relive_media::mp4::Boxes;
use relive_media::ts::{TsRemuxer, remux_all};
use relive_media::{ErrorKind, Output};

const VIDEO: [&str; 4] = ["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25"];
const AUDIO: [&str; 4] = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"];
const AENC: [&str; 4] = ["-c:a", "aac", "-b:a", "64k"];

fn venc(bframes: &'static str) -> Vec<&'static str> {
    vec!["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "25", "-bf", bframes]
}

/// A folder of test media, made once per test run.
fn media() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("relive-ts-tests-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let both = |bf: &'static str| [&VIDEO[..], &AUDIO, &["-t", "10"], &venc(bf), &AENC, &["-f", "mpegts"]].concat();
        ffmpeg(&both("0"), &dir.join("av.ts"));
        ffmpeg(&both("2"), &dir.join("av-bframes.ts"));
        ffmpeg(&[&AUDIO[..], &["-t", "10"], &AENC, &["-f", "mpegts"]].concat(), &dir.join("audio.ts"));
        // The same media with timestamps from 95,440 s: past 2^33 ticks (95,443.7 s) after ~3.7 s.
        let copy = |input: &Path, offset: &str, out: &str| {
            let input = input.to_str().unwrap();
            ffmpeg(&["-i", input, "-c", "copy", "-output_ts_offset", offset, "-f", "mpegts"], &dir.join(out));
        };
        copy(&dir.join("av-bframes.ts"), "95440", "av-wrap.ts");
        // HLS: 4-second segments of a 12-second encode, and a second encode of another
        // size (a discontinuity: new SPS, timestamps from 5000 s).
        let hls = |name: &str, size: &str, seconds: &str, offset: &str| {
            let sub = dir.join(name);
            std::fs::create_dir_all(&sub).unwrap();
            let video = format!("testsrc2=size={size}:rate=25");
            let pattern = sub.join("seg%d.ts");
            let args = [
                &["-f", "lavfi", "-i", &video][..],
                &AUDIO,
                &["-t", seconds],
                &venc("2"),
                &AENC,
                &["-output_ts_offset", offset],
                &["-f", "hls", "-hls_time", "4", "-hls_playlist_type", "vod"],
                &["-hls_segment_filename", pattern.to_str().unwrap()],
            ]
            .concat();
            ffmpeg(&args, &sub.join("index.m3u8"));
        };
        hls("hls", "320x180", "12", "0");
        hls("hls2", "352x288", "6", "5000");
        dir
    })
}

fn write(name: &str, bytes: &[u8]) -> PathBuf {
    let p = media().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Frame counts equal, and each stream's span within one frame (40 ms video, 24 ms
/// audio) of the source's.
fn assert_same_media(name: &str, source: &Probe, ours: &Probe) {
    assert_eq!(ours.video_frames, source.video_frames, "{name}: video frames");
    assert_eq!(ours.audio_frames, source.audio_frames, "{name}: audio frames");
    let (v, a) = ((ours.video_span - source.video_span).abs(), (ours.audio_span - source.audio_span).abs());
    assert!(v <= 0.041, "{name}: video {} vs {}", ours.video_span, source.video_span);
    assert!(a <= 0.024, "{name}: audio {} vs {}", ours.audio_span, source.audio_span);
    if source.video_frames.is_some() {
        assert!(ours.video_span > 5.5, "{name}: a real duration ({})", ours.video_span);
    }
}

fn mimes(outputs: &[Output]) -> Vec<&str> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Init { mime, .. } => Some(mime.as_str()),
            _ => None,
        })
        .collect()
}

#[test]
fn whole_files_keep_every_frame() {
    for name in ["av.ts", "av-bframes.ts", "audio.ts", "av-wrap.ts"] {
        let path = media().join(name);
        let outputs = remux_all(&std::fs::read(&path).unwrap()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mime = mimes(&outputs);
        assert_eq!(mime.len(), 1, "{name}: one init segment");
        if name == "audio.ts" {
            assert_eq!(mime[0], "audio/mp4; codecs=\"mp4a.40.2\"");
        } else {
            assert!(
                mime[0].starts_with("video/mp4; codecs=\"avc1.64") && mime[0].ends_with(",mp4a.40.2\""),
                "{mime:?}"
            );
        }
        let path = write(&format!("{name}.mp4"), &fmp4_bytes(&outputs));
        let decoded = Command::new("ffmpeg").args(["-v", "error", "-i"]).arg(&path).args(["-f", "null", "-"]).output();
        assert_eq!(String::from_utf8_lossy(&decoded.unwrap().stderr), "", "{name}: ffmpeg decodes it without errors");
        let ours = probe(&path);
        // ffprobe reads the wrapping file's timestamps as they are; compare it with its
        // unshifted source.
        let source = if name == "av-wrap.ts" { "av-bframes.ts" } else { name };
        assert_same_media(name, &probe(&media().join(source)), &ours);
        let first = outputs.iter().find_map(|o| match o {
            Output::Media { start_ms, .. } => Some(*start_ms),
            _ => None,
        });
        assert_eq!(first, Some(0), "{name}: starts at 0");
    }
}

#[test]
fn chunk_size_does_not_change_the_output() {
    let ts = std::fs::read(media().join("av-bframes.ts")).unwrap();
    let whole = fmp4_samples(&remux_all(&ts).unwrap());
    for chunk in [1, 188, 1000, 65536] {
        let mut r = TsRemuxer::new();
        r.begin_segment(0, 0);
        let mut outputs = Vec::new();
        for c in ts.chunks(chunk) {
            r.push(c).unwrap();
            outputs.extend(r.take_output());
        }
        r.end_segment().unwrap();
        outputs.extend(r.take_output());
        assert_eq!(fmp4_samples(&outputs), whole, "chunk {chunk}");
    }
}

/// Each sample of every media segment: (track, decode time, duration, composition offset).
fn fmp4_samples(outputs: &[Output]) -> Vec<(u32, u64, u32, i32)> {
    let u32_at = |b: &[u8], i: usize| u32::from_be_bytes(b[i..i + 4].try_into().unwrap());
    let mut out = Vec::new();
    for o in outputs {
        let Output::Media { data, .. } = o else { continue };
        let moof = Boxes::new(data, 0).next().unwrap().unwrap();
        for traf in moof.children().map(Result::unwrap).filter(|b| b.kind == b"traf") {
            let field = |kind: &[u8; 4]| traf.require(kind, "traf child").unwrap().full().unwrap().2;
            let track = u32_at(field(b"tfhd"), 0);
            let mut dts = u64::from_be_bytes(field(b"tfdt")[..8].try_into().unwrap());
            let trun = field(b"trun");
            for i in 0..u32_at(trun, 0) as usize {
                let at = 8 + 16 * i;
                let duration = u32_at(trun, at);
                out.push((track, dts, duration, u32_at(trun, at + 12) as i32));
                dts += u64::from(duration);
            }
        }
    }
    out.sort_by_key(|s| (s.0, s.1));
    out
}

/// The segments of an ffmpeg VOD playlist: (file, EXTINF ms).
fn playlist(dir: &str) -> Vec<(PathBuf, f64)> {
    let dir = media().join(dir);
    let text = std::fs::read_to_string(dir.join("index.m3u8")).unwrap();
    let mut out = Vec::new();
    let mut duration = None;
    for line in text.lines() {
        if let Some(d) = line.strip_prefix("#EXTINF:") {
            duration = Some(d.trim_end_matches(',').split(',').next().unwrap().parse::<f64>().unwrap() * 1000.0);
        } else if !line.starts_with('#') && !line.is_empty() {
            out.push((dir.join(line), duration.take().unwrap()));
        }
    }
    out
}

/// Remuxes segments `(file, start_ms, discontinuity)` in order through one remuxer, in
/// 1000-byte chunks; returns the outputs of each segment.
fn remux_segments(r: &mut TsRemuxer, segments: &[(PathBuf, i64, u64)]) -> Vec<Vec<Output>> {
    segments
        .iter()
        .map(|(file, start, d)| {
            r.begin_segment(*start, *d);
            let mut outs = Vec::new();
            for c in std::fs::read(file).unwrap().chunks(1000) {
                r.push(c).unwrap();
                outs.extend(r.take_output());
            }
            r.end_segment().unwrap();
            outs.extend(r.take_output());
            outs
        })
        .collect()
}

/// The playlist's segments with their start (cumulative EXTINF) and discontinuity number.
fn timeline(ranges: &[(&str, u64)]) -> Vec<(PathBuf, i64, u64)> {
    let mut start = 0.0f64;
    let mut out = Vec::new();
    for (dir, d) in ranges {
        for (file, duration) in playlist(dir) {
            out.push((file, start.round() as i64, *d));
            start += duration;
        }
    }
    out
}

#[test]
fn hls_segments_make_one_continuous_timeline() {
    let segments = timeline(&[("hls", 0)]);
    assert!(segments.len() >= 3, "{segments:?}");
    let per_segment = remux_segments(&mut TsRemuxer::new(), &segments);
    let all: Vec<Output> = per_segment.iter().flatten().cloned().collect();
    assert_eq!(mimes(&all).len(), 1, "one init segment");
    // Each track's samples follow on, across segment boundaries too (within 2 ms: the
    // last sample of a segment is closed by its own duration).
    let samples = fmp4_samples(&all);
    for track in [1, 2] {
        let t: Vec<_> = samples.iter().filter(|s| s.0 == track).collect();
        for w in t.windows(2) {
            let gap = w[1].1 as i64 - (w[0].1 + u64::from(w[0].2)) as i64;
            assert!(gap.abs() <= 2, "track {track}: {gap} ms between samples at {} and {}", w[0].1, w[1].1);
        }
    }
    // Each segment starts near its playlist position.
    for ((_, start, _), outs) in segments.iter().zip(&per_segment) {
        let first = fmp4_samples(outs).iter().filter(|s| s.0 == 1).map(|s| s.1).min().unwrap();
        assert!((first as i64 - start).abs() <= 100, "segment at {start} starts at {first}");
    }
    // The same media as the whole encode, remuxed in one piece.
    let whole: Vec<u8> = segments.iter().flat_map(|(f, _, _)| std::fs::read(f).unwrap()).collect();
    let joined = write("hls-joined.ts", &whole);
    let ours = probe(&write("hls.mp4", &fmp4_bytes(&all)));
    assert_same_media("hls", &probe(&joined), &ours);
    assert_eq!(fmp4_samples(&remux_all(&whole).unwrap()), samples, "segment by segment as in one piece");
}

#[test]
fn a_seek_lands_where_playing_through_puts_it() {
    let segments = timeline(&[("hls", 0)]);
    let through = remux_segments(&mut TsRemuxer::new(), &segments);
    let last = segments.len() - 1;
    // First segment, then a jump to the last, then back to the second.
    let mut r = TsRemuxer::new();
    let seek = remux_segments(&mut r, &[segments[0].clone(), segments[last].clone(), segments[1].clone()]);
    assert_eq!(fmp4_samples(&seek[1]), fmp4_samples(&through[last]));
    assert_eq!(fmp4_samples(&seek[2]), fmp4_samples(&through[1]));
    assert!(mimes(&seek[1]).is_empty() && mimes(&seek[2]).is_empty(), "no init segment again");
}

#[test]
fn a_discontinuity_re_anchors_at_its_start() {
    // Range 0: the 12-second encode; range 1: a 352x288 encode with timestamps from 5000 s.
    for tagged in [true, false] {
        let mut segments = timeline(&[("hls", 0), ("hls2", 1)]);
        if !tagged {
            // The same playlist without the tag: the jump is found by the timestamps.
            segments.iter_mut().for_each(|s| s.2 = 0);
        }
        let first_of_second = segments.iter().position(|s| s.0.parent().unwrap().ends_with("hls2")).unwrap();
        let start = segments[first_of_second].1;
        let per_segment = remux_segments(&mut TsRemuxer::new(), &segments);
        let all: Vec<Output> = per_segment.iter().flatten().cloned().collect();
        assert_eq!(mimes(&all).len(), 2, "a new init segment for the new picture size");
        let second = fmp4_samples(&per_segment[first_of_second]);
        let first = second.iter().map(|s| s.1).min().unwrap();
        assert_eq!(first as i64, start, "tagged {tagged}: the range starts at its playlist position");
        // ffprobe reads the whole output: every frame of both encodes.
        let ours = probe(&write(&format!("discontinuity-{tagged}.mp4"), &fmp4_bytes(&all)));
        let (a, b) = (probe_hls("hls"), probe_hls("hls2"));
        assert_eq!(ours.video_frames.unwrap(), a.video_frames.unwrap() + b.video_frames.unwrap());
        assert_eq!(ours.audio_frames.unwrap(), a.audio_frames.unwrap() + b.audio_frames.unwrap());
        // From the second init segment on, a file of its own: the second encode.
        let second_init = all.iter().rposition(|o| matches!(o, Output::Init { .. })).unwrap();
        let path = write(&format!("discontinuity-second-{tagged}.mp4"), &fmp4_bytes(&all[second_init..]));
        let ours = probe(&path);
        assert_eq!((ours.video_frames, ours.audio_frames), (b.video_frames, b.audio_frames));
        assert!((ours.video_span - b.video_span).abs() <= 0.041, "{} vs {}", ours.video_span, b.video_span);
        let decoded = Command::new("ffmpeg").args(["-v", "error", "-i"]).arg(&path).args(["-f", "null", "-"]).output();
        assert_eq!(String::from_utf8_lossy(&decoded.unwrap().stderr), "", "ffmpeg decodes it without errors");
    }
}

fn probe_hls(dir: &str) -> Probe {
    let whole: Vec<u8> = playlist(dir).iter().flat_map(|(f, _)| std::fs::read(f).unwrap()).collect();
    probe(&write(&format!("{dir}-joined.ts"), &whole))
}

#[test]
fn corrupt_segments_are_errors_never_panics() {
    let ts = std::fs::read(media().join("av-bframes.ts")).unwrap();
    // Cut anywhere: what came before comes out.
    let outputs = remux_all(&ts[..ts.len() / 2 + 77]).unwrap();
    assert!(fmp4_samples(&outputs).len() > 300);
    // Bytes flipped all over: an error or media, and no panic.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..200 {
        let mut bad = ts[..80_000].to_vec();
        flip_bytes(&mut bad, 8, &mut seed);
        let _ = remux_all(&bad);
    }
    // An FLV given as a segment.
    let flv = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/nginx-rtmp.flv")).unwrap();
    let e = remux_all(&flv).unwrap_err();
    assert!(matches!(e.kind, ErrorKind::BadStream(_)), "{e}");
}

#[test]
fn an_fmp4_init_section_names_the_codecs_the_ts_remux_names() {
    // The same encode as HLS of MPEG-TS and of fMP4 segments (EXT-X-MAP): the codecs read
    // from ffmpeg's init.mp4 are those our remuxer announces for the TS.
    let dir = media().join("fmp4");
    std::fs::create_dir_all(&dir).unwrap();
    let args = [
        &VIDEO[..],
        &AUDIO,
        &["-t", "4"],
        &venc("2"),
        &AENC,
        &["-f", "hls", "-hls_time", "4", "-hls_playlist_type", "vod", "-hls_segment_type", "fmp4"],
        &["-hls_fmp4_init_filename", "init.mp4"],
    ]
    .concat();
    ffmpeg(&args, &dir.join("index.m3u8"));
    let init = std::fs::read(dir.join("init.mp4")).unwrap();
    let from_init = relive_media::mp4::init_mime(&init).unwrap();
    let ts = std::fs::read(media().join("av-bframes.ts")).unwrap();
    assert_eq!(from_init, mimes(&remux_all(&ts).unwrap())[0]);
}
