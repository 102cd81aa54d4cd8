//! A broadcast of three parts — an FLV, a progressive MP4 and an HLS recording (TS
//! segments), each 6 s, made by ffmpeg with the same encoder settings — remuxed part by
//! part, each placed where the one before ended, and joined by `mp4::join::Joiner` into
//! one fragmented MP4, which ffprobe and ffmpeg read as one 18-second file.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

mod common;

use relive_media::hls::{self, Playlist};
use relive_media::mp4::demux::{MoovLocation, Mp4Remuxer, locate_moov};
use relive_media::mp4::join::{Joiner, describe, same_configuration};
use relive_media::ts::TsRemuxer;
use relive_media::{Output, Remuxer};
use serde_json::Value;

/// 6 s of test pattern and tone, H.264 + AAC, in the container `args` and `out` say.
fn ffmpeg(args: &[&str], out: &Path) {
    let input = ["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25", "-f", "lavfi", "-i", "sine", "-t", "6"];
    let codecs = ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "25", "-c:a", "aac"];
    common::ffmpeg(&[&input[..], &codecs, args].concat(), out);
}

fn media() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("relive-join-tests-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("hls")).unwrap();
        ffmpeg(&[], &dir.join("a.flv"));
        ffmpeg(&[], &dir.join("b.mp4"));
        let pattern = dir.join("hls/seg%d.ts");
        ffmpeg(
            &[
                "-f",
                "hls",
                "-hls_time",
                "2",
                "-hls_playlist_type",
                "vod",
                "-hls_segment_filename",
                pattern.to_str().unwrap(),
            ],
            &dir.join("hls/index.m3u8"),
        );
        dir
    })
}

/// (dts, duration) of a packet, in ms.
type Packet = (f64, f64);

/// Per stream type (video, audio): every packet, in file order.
fn packets(path: &Path) -> (Vec<Packet>, Vec<Packet>) {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "packet=codec_type,dts_time,duration_time", "-of", "json"])
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let of = |kind: &str| {
        v["packets"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["codec_type"] == kind)
            .map(|p| {
                let num = |k: &str| p[k].as_str().and_then(|s| s.parse::<f64>().ok()).unwrap_or(f64::NAN) * 1000.0;
                (num("dts_time"), num("duration_time"))
            })
            .collect()
    };
    (of("video"), of("audio"))
}

fn duration(path: &Path) -> f64 {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0"])
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

/// Feeds one part's outputs to the joiner; the bytes to write.
fn join(j: &mut Joiner, outs: Vec<Output>, file: &mut Vec<u8>) {
    for o in outs {
        if let Some(bytes) = j.push(o).unwrap() {
            file.extend_from_slice(&bytes);
        }
    }
}

/// Joins `outs` into `file`, keeping each init segment apart (to compare parts' configurations).
fn take(j: &mut Joiner, outs: Vec<Output>, inits: &mut Vec<Vec<u8>>, file: &mut Vec<u8>) {
    inits.extend(outs.iter().filter_map(|o| match o {
        Output::Init { data, .. } => Some(data.clone()),
        _ => None,
    }));
    join(j, outs, file);
}

#[test]
fn flv_mp4_and_hls_parts_join_into_one_mp4() {
    let dir = media();
    let mut j = Joiner::new(Some(18_000));
    let mut file = Vec::new();
    let mut inits = Vec::new();
    let at = |j: &Joiner, offset: i64| j.end_ms().map_or(offset, |e| e.max(offset));

    // FLV at 0, pushed in 64 KiB chunks.
    let flv = std::fs::read(dir.join("a.flv")).unwrap();
    let mut r = Remuxer::new();
    r.set_place(at(&j, 0));
    for chunk in flv.chunks(65_536) {
        r.push(chunk).unwrap();
        take(&mut j, r.take_output(), &mut inits, &mut file);
    }
    r.finish().unwrap();
    join(&mut j, r.take_output(), &mut file);

    // MP4 at 6 s: its moov, then only the bytes its samples lie in.
    let mp4 = std::fs::read(dir.join("b.mp4")).unwrap();
    let (offset, size) = match locate_moov(&mp4[..65_536.min(mp4.len())]).unwrap() {
        MoovLocation::Found { offset, size } => (offset, size),
        MoovLocation::At { offset } => match locate_moov(&mp4[offset as usize..]).unwrap() {
            MoovLocation::Found { offset: o, size } => (offset + o, size),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    };
    let mut r = Mp4Remuxer::new(&mp4[offset as usize..(offset + size) as usize]).unwrap();
    r.set_time_offset(at(&j, 6_000));
    let (from, to) = r.sample_span();
    r.start_at(from);
    for chunk in mp4[from as usize..to as usize].chunks(65_536) {
        r.push(chunk).unwrap();
        take(&mut j, r.take_output(), &mut inits, &mut file);
    }
    r.finish().unwrap();
    join(&mut j, r.take_output(), &mut file);

    // HLS at 12 s: each segment at the part's place plus its playlist start.
    let text = std::fs::read_to_string(dir.join("hls/index.m3u8")).unwrap();
    let Playlist::Media(playlist) = hls::parse(&text, "/hls/index.m3u8").unwrap() else { panic!("a media playlist") };
    let place = at(&j, 12_000);
    let mut r = TsRemuxer::new();
    for seg in &playlist.segments {
        r.begin_segment(place + seg.start_ms, seg.discontinuity);
        let ts = std::fs::read(dir.join(seg.url.trim_start_matches('/'))).unwrap();
        for chunk in ts.chunks(65_536) {
            r.push(chunk).unwrap();
            take(&mut j, r.take_output(), &mut inits, &mut file);
        }
        r.end_segment().unwrap();
        join(&mut j, r.take_output(), &mut file);
    }

    // The three parts' init segments configure decoders alike (the bytes differ: the TS
    // part's avcC has no High profile extension, its AudioSpecificConfig no SBR flag).
    assert_eq!(inits.len(), 3);
    assert_eq!(inits[0], inits[1], "FLV and MP4 made by ffmpeg");
    assert_ne!(inits[0], inits[2]);
    assert!(inits.iter().all(|i| same_configuration(i, &inits[0]).unwrap()));
    assert_eq!(describe(&inits[2]).unwrap(), "H.264 avc1.64000c 320x180, AAC mp4a.40.2 44100 Hz 1 ch");
    let out = dir.join("joined.mp4");
    std::fs::write(&out, &file).unwrap();

    // ffprobe: 18 s, every packet of the three sources, decode times increasing. Each
    // part lasts a little longer than 6 s (the AAC priming frame, the B-frame delay: up to
    // ~0.1 s) and the next one starts where it ended, so the file is up to ~0.3 s longer.
    let d = duration(&out);
    assert!((18.0..18.4).contains(&d), "duration {d}");
    let (video, audio) = packets(&out);
    let sources: Vec<(usize, usize)> = ["a.flv", "b.mp4", "hls/index.m3u8"]
        .iter()
        .map(|f| {
            let (v, a) = packets(&dir.join(f));
            (v.len(), a.len())
        })
        .collect();
    let (v, a): (usize, usize) = sources.iter().fold((0, 0), |(v, a), s| (v + s.0, a + s.1));
    assert_eq!((video.len(), audio.len()), (v, a), "per source {sources:?}");
    for (kind, p) in [("video", &video), ("audio", &audio)] {
        for w in p.windows(2) {
            assert!(w[1].0 > w[0].0, "{kind} dts goes from {} to {}", w[0].0, w[1].0);
        }
        let end = p.last().unwrap();
        assert!((18_000.0..18_400.0).contains(&(end.0 + end.1)), "{kind} ends at {}", end.0 + end.1);
    }
    // ffmpeg decodes it all without a word.
    let decode =
        Command::new("ffmpeg").args(["-v", "error", "-i"]).arg(&out).args(["-f", "null", "-"]).output().unwrap();
    assert!(decode.status.success() && decode.stderr.is_empty(), "{}", String::from_utf8_lossy(&decode.stderr));
}
