//! FLVs made by ffmpeg (and one recorded by nginx-rtmp), remuxed by this crate, and
//! the output checked by an independent reader: ffprobe.

mod common;
use common::{Probe, flip_bytes, fmp4_bytes, probe};

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use relive_media::mp4::{BoxHeader, Hdlr, Mp4Facts, probe_moov};
use relive_media::{Output, Remuxer, index, remux_all, to_mp4};

/// A folder of test FLVs, made once per test run.
fn media() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("relive-flv-tests-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let video = ["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25"];
        let audio = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"];
        let venc = ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "25", "-bf", "2"];
        let aenc = ["-c:a", "aac", "-b:a", "64k"];
        let make = |name: &str, inputs: &[&str], codecs: &[&str], extra: &[&str]| {
            let status = Command::new("ffmpeg")
                .args(["-hide_banner", "-loglevel", "error", "-y"])
                .args(inputs)
                .args(["-t", "10"])
                .args(codecs)
                .args(extra)
                .arg(dir.join(name))
                .status()
                .expect("ffmpeg runs (scripts/setup.sh installs it)");
            assert!(status.success(), "ffmpeg made {name}");
        };
        let both: Vec<&str> = video.iter().chain(&audio).copied().collect();
        let both_codecs: Vec<&str> = venc.iter().chain(&aenc).copied().collect();
        make("av.flv", &both, &both_codecs, &[]);
        make("av-indexed.flv", &both, &both_codecs, &["-flvflags", "add_keyframe_index"]);
        make("audio.flv", &audio, &aenc, &[]);
        make("video.flv", &video, &venc, &[]);
        std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/nginx-rtmp.flv"), dir.join("nginx-rtmp.flv"))
            .unwrap();
        dir
    })
}

const FILES: [&str; 5] = ["av.flv", "av-indexed.flv", "audio.flv", "video.flv", "nginx-rtmp.flv"];

fn write(name: &str, bytes: &[u8]) -> PathBuf {
    let p = media().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Frame counts equal, and each stream's span within one frame (40 ms video, 24 ms
/// audio) of the FLV's.
fn assert_same_media(name: &str, flv: &Probe, mp4: &Probe) {
    assert_eq!(mp4.video_frames, flv.video_frames, "{name}: video frames");
    assert_eq!(mp4.audio_frames, flv.audio_frames, "{name}: audio frames");
    assert!((mp4.video_span - flv.video_span).abs() <= 0.041, "{name}: video {} vs {}", mp4.video_span, flv.video_span);
    assert!((mp4.audio_span - flv.audio_span).abs() <= 0.024, "{name}: audio {} vs {}", mp4.audio_span, flv.audio_span);
    if flv.video_frames.is_some() {
        assert!(mp4.video_span > 5.5, "{name}: a real duration ({})", mp4.video_span);
    }
}

#[test]
fn fragmented_output_has_every_frame() {
    for name in FILES {
        let flv_path = media().join(name);
        let flv = std::fs::read(&flv_path).unwrap();
        let outputs = remux_all(&flv).unwrap_or_else(|e| panic!("{name}: {e}"));
        let Output::Init { mime, .. } = outputs.iter().find(|o| matches!(o, Output::Init { .. })).unwrap() else {
            unreachable!()
        };
        match name {
            "audio.flv" => assert_eq!(mime, "audio/mp4; codecs=\"mp4a.40.2\""),
            "video.flv" => assert!(mime.starts_with("video/mp4; codecs=\"avc1.") && !mime.contains("mp4a"), "{mime}"),
            _ => assert!(mime.contains("avc1.") && mime.contains("mp4a.40.2"), "{mime}"),
        }
        let mp4 = write(&format!("{name}.fmp4.mp4"), &fmp4_bytes(&outputs));
        assert_same_media(name, &probe(&flv_path), &probe(&mp4));
    }
}

#[test]
fn chunk_size_does_not_change_the_media() {
    let flv = std::fs::read(media().join("av.flv")).unwrap();
    let whole = probe(&write("av-whole.mp4", &fmp4_bytes(&remux_all(&flv).unwrap())));
    for chunk in [1, 7, 4096, 65536] {
        let mut r = Remuxer::new();
        let mut outputs = Vec::new();
        for c in flv.chunks(chunk) {
            r.push(c).unwrap();
            outputs.extend(r.take_output());
        }
        r.finish().unwrap();
        outputs.extend(r.take_output());
        let p = probe(&write(&format!("av-chunk-{chunk}.mp4"), &fmp4_bytes(&outputs)));
        assert_eq!((p.video_frames, p.audio_frames), (whole.video_frames, whole.audio_frames), "chunk {chunk}");
        assert!(
            (p.video_span - whole.video_span).abs() < 0.001 && (p.audio_span - whole.audio_span).abs() < 0.001,
            "chunk {chunk}"
        );
    }
}

#[test]
fn progressive_mp4_plays_with_the_right_duration() {
    for name in FILES {
        let flv_path = media().join(name);
        let mp4 = to_mp4(&std::fs::read(&flv_path).unwrap()).unwrap_or_else(|e| panic!("{name}: {e}"));
        // moov before mdat: playable while downloading.
        let moov = mp4.windows(4).position(|w| w == b"moov").unwrap();
        let mdat = mp4.windows(4).position(|w| w == b"mdat").unwrap();
        assert!(moov < mdat, "{name}: moov first");
        let out = write(&format!("{name}.progressive.mp4"), &mp4);
        assert_same_media(name, &probe(&flv_path), &probe(&out));
    }
}

#[test]
fn keyframe_index_matches_ffmpegs_own() {
    let flv = std::fs::read(media().join("av-indexed.flv")).unwrap();
    let mut r = Remuxer::new();
    r.push(&flv).unwrap();
    let meta = r.take_output().into_iter().find_map(|o| match o {
        Output::Metadata(m) => Some(m),
        _ => None,
    });
    let theirs = meta.and_then(|m| m.keyframes).expect("ffmpeg wrote a keyframe index");
    let ours = index(&flv).unwrap();
    assert_eq!(ours.points.len(), theirs.len());
    for (p, (t, pos)) in ours.points.iter().zip(&theirs) {
        assert_eq!(p.offset, *pos, "file position");
        assert!((p.time_ms as f64 / 1000.0 - t).abs() < 0.002, "time {} vs {t}", p.time_ms);
    }
    // 10 s of video; the AAC encoder's last frame runs a little past it.
    assert!((10_000..=10_100).contains(&ours.duration_ms), "duration {}", ours.duration_ms);

    assert_eq!((ours.width, ours.height), (320, 180));
    assert!(ours.video_codec.as_deref().is_some_and(|c| c.starts_with("avc1.")), "{:?}", ours.video_codec);
    assert_eq!(ours.audio_codec.as_deref(), Some("mp4a.40.2"));

    let nginx = index(&std::fs::read(media().join("nginx-rtmp.flv")).unwrap()).unwrap();
    assert!(nginx.points.len() >= 3, "one keyframe every 2 s over 6 s");
    assert!((nginx.duration_ms - 6000).abs() < 200, "duration {}", nginx.duration_ms);
    let audio = index(&std::fs::read(media().join("audio.flv")).unwrap()).unwrap();
    assert!(!audio.has_video && audio.points.len() >= 9, "a point a second in audio-only files");
}

#[test]
fn seeking_to_a_keyframe_continues_on_the_right_timeline() {
    let flv = std::fs::read(media().join("av.flv")).unwrap();
    let idx = index(&flv).unwrap();
    let point = idx.point_before(7500).unwrap();
    assert_eq!(point.time_ms, 7000);
    let mut r = Remuxer::new();
    r.push(&flv[..20_000]).unwrap();
    r.take_output();
    r.restart_at(point.offset);
    r.push(&flv[point.offset as usize..]).unwrap();
    r.finish().unwrap();
    let first = r.take_output().into_iter().find_map(|o| match o {
        Output::Media { start_ms, .. } => Some(start_ms),
        _ => None,
    });
    assert_eq!(first, Some(7000), "segments after a seek keep their place on the timeline");
}

#[test]
fn corrupt_input_is_an_error_never_a_panic() {
    let flv = std::fs::read(media().join("av.flv")).unwrap();
    // Truncated: what came before still comes out, then an error with an offset.
    let mut r = Remuxer::new();
    r.push(&flv[..flv.len() / 2]).unwrap();
    let err = r.finish().unwrap_err();
    assert!(err.offset > 0 && err.offset < flv.len() as u64 / 2 + 1, "{err}");
    assert!(!r.take_output().is_empty());
    // Bytes flipped all over: an error or media, and no panic.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..300 {
        let mut bad = flv[..60_000].to_vec();
        flip_bytes(&mut bad, 8, &mut seed);
        let _ = remux_all(&bad);
        let _ = to_mp4(&bad);
        let _ = index(&bad);
    }
    assert_eq!(remux_all(b"<html>").unwrap_err().kind, relive_media::ErrorKind::NotFlv);

    // The MP4 reader on a real moov with bytes flipped: an error or facts, no panic.
    let mp4 = to_mp4(&flv).unwrap();
    let moov = relive_media::mp4::Boxes::new(&mp4, 0).map(Result::unwrap).find(|b| b.kind == b"moov").unwrap();
    for _ in 0..2000 {
        let mut bad = moov.body.to_vec();
        for _ in 0..4 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let i = (seed % bad.len().min(4096) as u64) as usize;
            bad[i] ^= (seed >> 32) as u8 | 1;
        }
        let _ = probe_moov(&bad);
    }
}

/// An MP4 probed as the server does: read 16 bytes at each top-level box, skip to the
/// next until `moov`, read its body, `probe_moov` it.
fn probe_mp4_file(path: &Path) -> Mp4Facts {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path).unwrap();
    let len = f.metadata().unwrap().len();
    let mut at = 0;
    loop {
        assert!(at < len, "{}: no moov", path.display());
        let mut head = [0; BoxHeader::MAX_LEN];
        f.seek(SeekFrom::Start(at)).unwrap();
        let n = f.by_ref().take(head.len() as u64).read(&mut head).unwrap();
        let h = BoxHeader::parse(&head[..n], at).unwrap().expect("a whole box header");
        let size = h.size_within(len - at, at).unwrap();
        if h.kind == b"moov" {
            let mut body = vec![0; (size - h.header_len) as usize];
            f.seek(SeekFrom::Start(at + h.header_len)).unwrap();
            f.read_exact(&mut body).unwrap();
            return probe_moov(&body).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
        at += size;
    }
}

#[test]
fn probe_moov_reads_an_ffmpeg_mp4() {
    let path = media().join("320x240.mp4");
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25"])
        .args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"])
        .args(["-t", "2", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac"])
        .arg(&path)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success());
    let f = probe_mp4_file(&path);
    assert!((1950..=2100).contains(&f.duration_ms), "duration {}", f.duration_ms);
    assert_eq!((f.width, f.height), (320, 240));
    let handlers: Vec<_> = f.tracks.iter().map(|t| t.handler).collect();
    assert_eq!(handlers, [Hdlr::VIDEO, Hdlr::AUDIO]);
    let audio = &f.tracks[1];
    assert_eq!(audio.timescale, 48000, "AAC at 48 kHz: the track's own timescale");
    assert!((1.9..2.1).contains(&(audio.duration as f64 / 48000.0)), "{audio:?}");
}

#[test]
fn our_progressive_mp4_probes_to_the_flvs_facts() {
    for name in FILES {
        let flv = std::fs::read(media().join(name)).unwrap();
        let path = write(&format!("{name}.probe.mp4"), &to_mp4(&flv).unwrap());
        let f = probe_mp4_file(&path);
        let seconds = if name == "nginx-rtmp.flv" { 6_000 } else { 10_000 };
        assert!(f.duration_ms.abs_diff(seconds) <= 150, "{name}: duration {}", f.duration_ms);
        let size = if name == "audio.flv" { (0, 0) } else { (320, 180) };
        assert_eq!((f.width, f.height), size, "{name}");
    }
}
