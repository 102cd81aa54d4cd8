//! The demuxer on hand-built tables (`testing.rs`): `stsc` runs, `co64`, `stz2`, `ctts`
//! version 1 with negative offsets, edit lists, `stss` absent; every kind of malformed
//! table; the remuxer's output in any chunking, its batching, restarts and truncation;
//! and the size of a three-hour recording's tables.

use super::table::{MAX_SAMPLES, SampleInfo, SampleTable};
use super::testing::{Trak, file, moov};
use super::*;
use crate::error::ErrorKind;
use crate::mp4::read::{Boxes, Mp4Box};
use crate::mp4::testing::u32_at;

/// The tables of each `trak` in `moov`.
fn tables(moov: &[u8], movie_timescale: u32) -> Vec<Result<SampleTable>> {
    let moov = Boxes::new(moov, 0).next().unwrap().unwrap();
    let traks: Vec<Mp4Box> = moov.children().map(Result::unwrap).filter(|b| b.kind == b"trak").collect();
    traks.iter().map(|t| SampleTable::parse(t, movie_timescale)).collect()
}

fn table(t: &Trak) -> SampleTable {
    tables(&moov(1000, std::slice::from_ref(t)), 1000).remove(0).unwrap()
}

/// Every sample, read in order; and each read again from a cursor made at it.
fn all(t: &SampleTable) -> Vec<SampleInfo> {
    let mut c = t.cursor(0);
    let mut out = Vec::new();
    while let Some(s) = t.get(&c) {
        assert_eq!(t.get(&t.cursor(s.index)), Some(s), "random access to sample {}", s.index);
        out.push(s);
        t.advance(&mut c);
    }
    assert_eq!(out.len() as u32, t.len());
    assert_eq!(t.get(&t.cursor(t.len())), None);
    out
}

fn error(moov_bytes: &[u8]) -> ErrorKind {
    Mp4Remuxer::new(moov_bytes).unwrap_err().kind
}

/// One output sample with its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Out {
    track: u32,
    dts: i64,
    cts: i32,
    duration: u32,
    key: bool,
    data: Vec<u8>,
}

/// The samples of the media segments, with their bytes (from `trun`'s data offset).
fn samples(outputs: &[Output]) -> Vec<Out> {
    let mut out = Vec::new();
    for o in outputs {
        let Output::Media { data, .. } = o else { continue };
        let moof = Boxes::new(data, 0).next().unwrap().unwrap();
        for traf in moof.children().map(Result::unwrap).filter(|b| b.kind == b"traf") {
            let field = |kind: &[u8; 4]| traf.require(kind, "traf child").unwrap().full().unwrap().2;
            let track = u32_at(field(b"tfhd"), 0);
            let mut dts = u64::from_be_bytes(field(b"tfdt")[..8].try_into().unwrap()) as i64;
            let trun = field(b"trun");
            let mut at = u32_at(trun, 4) as usize;
            for i in 0..u32_at(trun, 0) as usize {
                let f = 8 + 16 * i;
                let (duration, size, flags) = (u32_at(trun, f), u32_at(trun, f + 4) as usize, u32_at(trun, f + 8));
                let cts = u32_at(trun, f + 12) as i32;
                let key = flags & 0x0001_0000 == 0;
                out.push(Out { track, dts, cts, duration, key, data: data[at..at + size].to_vec() });
                at += size;
                dts += i64::from(duration);
            }
        }
    }
    out
}

/// `file` pushed from `from` in `chunk`-byte pieces, after a restart there when not 0.
fn run(moov_bytes: &[u8], file: &[u8], from: usize, chunk: usize) -> (Vec<Output>, Result<()>) {
    let mut r = Mp4Remuxer::new(moov_bytes).unwrap();
    if from > 0 {
        r.restart_at(from as u64);
    }
    let mut out = Vec::new();
    for c in file[from..].chunks(chunk) {
        r.push(c).unwrap();
        out.extend(r.take_output());
    }
    let end = r.finish();
    out.extend(r.take_output());
    (out, end)
}

/// Two tracks interleaved with bytes of neither between them: video frames of 40 ms
/// (keyframes at 0 and 5), audio frames in chunks of 3.
fn interleaved() -> (Vec<u8>, Vec<u8>) {
    let video_sizes = [300, 20, 25, 30, 35, 310, 21, 26, 31, 36];
    let audio_sizes: Vec<u32> = (0..18).map(|i| 10 + i).collect();
    let (mut video_chunks, mut audio_chunks) = (Vec::new(), Vec::new());
    let mut pos = 100u64; // as if after ftyp and a faststart moov
    for (i, &size) in video_sizes.iter().enumerate() {
        video_chunks.push(pos);
        pos += u64::from(size) + 7; // a few bytes of nothing after each
        if i % 2 == 1 {
            audio_chunks.push(pos);
            pos += audio_sizes[audio_chunks.len() * 3 - 3..audio_chunks.len() * 3]
                .iter()
                .map(|&s| u64::from(s))
                .sum::<u64>();
        }
    }
    let mut video = Trak::video(&video_sizes, &video_chunks);
    video.stss = Some(vec![1, 6]);
    let audio = Trak::audio(&audio_sizes[..audio_chunks.len() * 3], &audio_chunks, 3);
    (moov(1000, &[video, audio]), file(pos as usize + 50))
}

#[test]
fn stsc_runs_place_samples_in_their_chunks() {
    let mut t = Trak::video(&[10, 20, 30, 40, 50, 60, 70, 80], &[100, 1000, 2000, 3000]);
    // Chunks 1-2: two samples each; chunk 3: one; chunk 4: three.
    t.stsc = vec![(1, 2, 1), (3, 1, 1), (4, 3, 1)];
    let s = all(&table(&t));
    let offsets: Vec<u64> = s.iter().map(|s| s.offset).collect();
    assert_eq!(offsets, [100, 110, 1000, 1030, 2000, 3000, 3060, 3130]);
    assert_eq!(s.iter().map(|s| s.size).collect::<Vec<_>>(), [10, 20, 30, 40, 50, 60, 70, 80]);
    assert_eq!(s.iter().map(|s| s.dts).collect::<Vec<_>>(), (0..8).map(|i| i * 512).collect::<Vec<_>>());
    // A chunk of no samples between two others, and one size for all (stsz).
    t.stsc = vec![(1, 3, 1), (2, 0, 1), (3, 2, 1), (4, 3, 1)];
    t.same = Some(5);
    let s = all(&table(&t));
    assert_eq!(s.iter().map(|s| s.offset).collect::<Vec<_>>(), [100, 105, 110, 2000, 2005, 3000, 3005, 3010]);
}

#[test]
fn co64_and_stz2() {
    // 64-bit offsets past 4 GiB.
    let mut t = Trak::video(&[10, 20, 30], &[5 << 30, (5 << 30) + 100, 6 << 30]);
    t.co64 = true;
    let big = table(&t);
    assert_eq!(all(&big).iter().map(|s| s.offset).collect::<Vec<_>>(), [5 << 30, (5 << 30) + 100, 6 << 30]);
    // co64 below 4 GiB is kept in 4 bytes an offset.
    t.chunks = vec![10, 200, 300];
    let small = table(&t);
    assert_eq!(all(&small).iter().map(|s| s.offset).collect::<Vec<_>>(), [10, 200, 300]);
    assert_eq!(big.heap_bytes() - small.heap_bytes(), 3 * 4);
    // stz2 with 4-, 8- and 16-bit fields (an odd count: the last nibble unused).
    for (bits, sizes) in [(4, vec![1, 15, 7]), (8, vec![255, 0, 9]), (16, vec![65535, 300, 2])] {
        let mut t = Trak::video(&sizes, &[10, 100_000, 200_000]);
        t.stz2 = Some(bits);
        assert_eq!(all(&table(&t)).iter().map(|s| s.size).collect::<Vec<_>>(), sizes, "{bits} bits");
    }
}

#[test]
fn ctts_version_1_with_negative_offsets() {
    // I P B B at 12800 Hz (512 a frame), presented I B B P: offsets −512 allowed in v1.
    let mut t = Trak::video(&[1, 1, 1, 1], &[0, 1, 2, 3]);
    for (version, runs) in [(1, vec![(1, 0), (1, 1024), (2, -512)]), (0, vec![(1, 0), (1, 1024), (2, -512)])] {
        t.ctts = Some((version, runs));
        let s = all(&table(&t));
        assert_eq!(s.iter().map(|s| s.cts).collect::<Vec<_>>(), [0, 1024, -512, -512], "version {version}");
    }
    // Runs of one sample each are kept one offset a sample; the same values either way.
    let alternating: Vec<(u32, i32)> = (0..8).map(|i| (1, if i % 2 == 0 { 1024 } else { -512 })).collect();
    let mut t = Trak::video(&[1; 8], &(0..8).collect::<Vec<_>>());
    t.ctts = Some((1, alternating));
    let runs_of_one = table(&t);
    assert_eq!(
        all(&runs_of_one).iter().map(|s| s.cts).collect::<Vec<_>>(),
        [1024, -512, 1024, -512, 1024, -512, 1024, -512]
    );
    // Lenient: fewer samples than the track's get 0; more are ignored.
    t.ctts = Some((0, vec![(3, 100)]));
    assert_eq!(all(&table(&t)).iter().map(|s| s.cts).collect::<Vec<_>>(), [100, 100, 100, 0, 0, 0, 0, 0]);
    t.ctts = Some((0, vec![(3, 100), (50, 7)]));
    assert_eq!(all(&table(&t)).iter().map(|s| s.cts).collect::<Vec<_>>(), [100, 100, 100, 7, 7, 7, 7, 7]);

    // On the output: decode times from 0, composition offsets in ms (a B-frame 40 ms
    // before its decode time's frame is presented earlier).
    let mut t = Trak::video(&[5, 5, 5, 5], &[0, 5, 10, 15]);
    t.ctts = Some((1, vec![(1, 1024), (1, 2048), (2, -512)]));
    let (out, end) = run(&moov(1000, &[t]), &file(20), 0, 20);
    end.unwrap();
    let s = samples(&out);
    let got: Vec<(i64, i32)> = s.iter().map(|s| (s.dts, s.cts)).collect();
    assert_eq!(got, [(0, 80), (40, 160), (80, -40), (120, -40)]);
}

#[test]
fn the_edit_list_shifts_a_track() {
    // ffmpeg with B-frames: video media_time = 2 frames (1024 at 12800 Hz); audio
    // media_time = 1024 (priming) at 44100 Hz.
    let mut video = Trak::video(&[5; 4], &[0, 5, 10, 15]);
    video.ctts = Some((0, vec![(4, 1024)]));
    video.elst = Some((0, vec![(160, 1024)]));
    let mut audio = Trak::audio(&[3; 6], &[20, 29], 3);
    audio.elst = Some((1, vec![(160, 1024)]));
    let m = moov(1000, &[video.clone(), audio.clone()]);
    let t = tables(&m, 1000);
    let (v, a) = (t[0].as_ref().unwrap(), t[1].as_ref().unwrap());
    assert_eq!((v.ms(0), v.ms(1024)), (-80, 0), "video presents its first frame at 0");
    assert_eq!((a.ms(0), a.ms(1024)), (-23, 0), "audio's priming frame is before 0");
    let (out, end) = run(&m, &file(40), 0, 40);
    end.unwrap();
    let s = samples(&out);
    let first = |track| s.iter().find(|s| s.track == track).unwrap();
    // Output = movie time − (−80): video decodes from 0, presents from 80; audio's
    // priming frame at 57, its first real frame at 80 with the first picture.
    assert_eq!((first(1).dts, first(1).cts), (0, 80));
    let audio_dts: Vec<i64> = s.iter().filter(|s| s.track == 2).map(|s| s.dts).collect();
    assert_eq!(audio_dts, [57, 80, 103, 126, 150, 173]);

    // An initial empty edit (movie timescale 1000: 600 ms) starts the audio 600 ms later.
    audio.elst = Some((0, vec![(600, -1), (160, 0)]));
    video.elst = None;
    video.ctts = None;
    let m = moov(1000, &[video.clone(), audio.clone()]);
    let (out, _) = run(&m, &file(40), 0, 40);
    let s = samples(&out);
    assert_eq!(s.iter().find(|s| s.track == 2).unwrap().dts, 600);
    assert_eq!(s.iter().find(|s| s.track == 1).unwrap().dts, 0);
    // Two empty edits add up; at a movie timescale of 90000.
    audio.elst = Some((1, vec![(9000, -1), (18000, -1), (160, 0)]));
    let (out, _) = run(&moov(90000, &[video.clone(), audio.clone()]), &file(40), 0, 40);
    assert_eq!(samples(&out).iter().find(|s| s.track == 2).unwrap().dts, 300);
    // Only empty edits: shifted, media time 0.
    audio.elst = Some((0, vec![(100, -1)]));
    let (out, _) = run(&moov(1000, &[video.clone(), audio.clone()]), &file(40), 0, 40);
    assert_eq!(samples(&out).iter().find(|s| s.track == 2).unwrap().dts, 100);
    // A media time below −1, and an empty edit in a movie of timescale 0, are errors.
    audio.elst = Some((0, vec![(100, -2)]));
    assert_eq!(
        error(&moov(1000, &[video.clone(), audio.clone()])),
        ErrorKind::BadBox("elst with a negative media time")
    );
    audio.elst = Some((0, vec![(100, -1), (100, 0)]));
    assert!(matches!(error(&moov(0, &[video, audio])), ErrorKind::BadBox(_)));
}

#[test]
fn without_stss_every_sample_is_a_sync_sample() {
    let mut t = Trak::video(&[1; 6], &(0..6).collect::<Vec<_>>());
    assert!(all(&table(&t)).iter().all(|s| s.key));
    let r = Mp4Remuxer::new(&moov(1000, std::slice::from_ref(&t))).unwrap();
    assert_eq!(r.keyframes(), ((0..6).map(|i| i * 40).collect(), (0..6).collect()));
    t.stss = Some(vec![1, 4]);
    assert_eq!(all(&table(&t)).iter().map(|s| s.key).collect::<Vec<_>>(), [true, false, false, true, false, false]);
    let r = Mp4Remuxer::new(&moov(1000, &[t.clone()])).unwrap();
    assert_eq!(r.keyframes(), (vec![0, 120], vec![0, 3]));
    // An empty stss: no sync sample at all, so no seek point.
    t.stss = Some(vec![]);
    assert!(all(&table(&t)).iter().all(|s| !s.key));
    assert_eq!(Mp4Remuxer::new(&moov(1000, &[t])).unwrap().keyframes(), (vec![], vec![]));
}

#[test]
fn malformed_tables_are_errors_with_the_box_at_fault() {
    let good = || Trak::video(&[10, 20, 30, 40], &[100, 200, 300, 400]);
    let bad = |what: &str, f: &dyn Fn(&mut Trak)| {
        let mut t = good();
        f(&mut t);
        let m = moov(1000, &[t]);
        let e = Mp4Remuxer::new(&m).err().unwrap_or_else(|| panic!("{what}: accepted"));
        assert!(e.offset < m.len() as u64, "{what}: an offset in the moov");
        e.kind
    };
    let bad_box = |what: &'static str, f: &dyn Fn(&mut Trak)| assert_eq!(bad(what, f), ErrorKind::BadBox(what));
    bad_box("mdhd with a timescale of 0", &|t| t.timescale = 0);
    bad_box("stts and stsz disagree on the sample count", &|t| t.stts = vec![(3, 512)]);
    bad_box("stts and stsz disagree on the sample count", &|t| t.stts = vec![(4, 512), (1, 512)]);
    bad_box("stsc and stsz disagree on the sample count", &|t| t.stsc = vec![(1, 2, 1)]);
    bad_box("stsc and stsz disagree on the sample count", &|t| t.stsc = vec![(1, 1, 1), (4, 0, 1)]);
    bad_box("stsc does not start at chunk 1", &|t| t.stsc = vec![(2, 1, 1)]);
    bad_box("stsc does not start at chunk 1", &|t| t.stsc = vec![]);
    bad_box("stsc chunks out of order or past the last chunk", &|t| t.stsc = vec![(1, 1, 1), (5, 1, 1)]);
    bad_box("stsc chunks out of order or past the last chunk", &|t| t.stsc = vec![(1, 1, 1), (3, 1, 1), (3, 1, 1)]);
    bad_box("stsc names a sample description that stsd lacks", &|t| t.stsc = vec![(1, 1, 2)]);
    bad_box("stsc names a sample description that stsd lacks", &|t| t.stsc = vec![(1, 1, 0)]);
    let stss = "stss names a sample that does not exist, or out of order";
    bad_box(stss, &|t| t.stss = Some(vec![0]));
    bad_box(stss, &|t| t.stss = Some(vec![5]));
    bad_box(stss, &|t| t.stss = Some(vec![3, 2]));
    bad_box(stss, &|t| t.stss = Some(vec![2, 2]));
    bad_box("samples but no chunks", &|t| t.chunks.clear());
    bad_box("a sample ends past 2^64", &|t| {
        t.co64 = true;
        t.chunks[3] = u64::MAX - 5;
    });
    bad_box("stz2 field size other than 4, 8 and 16", &|t| t.stz2 = Some(12));
    assert_eq!(
        bad("out of order", &|t| t.chunks = vec![100, 200, 150, 400]),
        ErrorKind::BadStream("a track's samples are not in file order")
    );
    assert_eq!(
        bad("overlapping", &|t| t.chunks[1] = 105),
        ErrorKind::BadStream("a track's samples are not in file order")
    );
    assert_eq!(bad("hevc", &|t| t.config = None), ErrorKind::UnsupportedCodec("hev1 (HEVC)".into()));
    // A second sample description (stsd says there are two): refused, as a change of codec.
    let mut t = good();
    t.stsc = vec![(1, 1, 1), (3, 1, 2)];
    let mut m = moov(1000, &[t]);
    let i = m.windows(4).position(|w| w == b"stsd").unwrap() + 8;
    m[i..i + 4].copy_from_slice(&2u32.to_be_bytes());
    assert!(matches!(error(&m), ErrorKind::UnsupportedCodec(c) if c.contains("several sample descriptions")));
    // A handler and a sample entry that disagree.
    assert!(matches!(bad("audio entry in a video track", &|t| t.handler = *b"soun"), ErrorKind::BadBox(_)));

    // Counts larger than their tables, without allocating for them.
    let m = moov(1000, &[good()]);
    let find = |kind: &[u8; 4]| m.windows(4).position(|w| w == kind).unwrap() + 8;
    for (kind, at) in [(b"stts", 0), (b"stsc", 0), (b"stsz", 4), (b"stco", 0)] {
        let mut m = m.clone();
        let i = find(kind) + at;
        m[i..i + 4].copy_from_slice(&0x4000_0000u32.to_be_bytes());
        assert!(matches!(error(&m), ErrorKind::BadBox(_)), "{}", String::from_utf8_lossy(kind));
    }
    // More samples than a track may have, in one stsz size.
    let mut t = good();
    t.same = Some(1);
    let mut m = moov(1000, &[t]);
    let i = find(b"stsz") + 4;
    m[i..i + 4].copy_from_slice(&(MAX_SAMPLES + 1).to_be_bytes());
    assert_eq!(error(&m), ErrorKind::BadBox("a track of more than 2^24 samples"));

    // Not a moov; no tracks; tracks without samples.
    assert_eq!(error(b"\0\0\0\x08free"), ErrorKind::BadBox("not a moov box"));
    assert!(matches!(error(&moov(1000, &[])), ErrorKind::BadStream(_)));
    let empty = Trak { stts: vec![], stsc: vec![], ..Trak::video(&[], &[]) };
    assert!(matches!(error(&moov(1000, &[empty])), ErrorKind::BadStream(_)));
}

#[test]
fn a_moov_cut_or_damaged_anywhere_is_an_error_or_works() {
    let (m, f) = interleaved();
    for n in 0..m.len() {
        assert!(Mp4Remuxer::new(&m[..n]).is_err(), "cut at {n}");
    }
    // Every byte of the moov changed in turn: an error, or a remuxer that does not panic.
    for i in 0..m.len() {
        for x in [0xff, 0x80, 0x01] {
            let mut bad = m.clone();
            bad[i] ^= x;
            if let Ok(mut r) = Mp4Remuxer::new(&bad) {
                let (times, offsets) = r.keyframes();
                assert_eq!(times.len(), offsets.len());
                for c in f.chunks(61) {
                    r.push(c).unwrap();
                }
                let _ = r.finish();
                r.take_output();
                r.restart_at(offsets.get(1).copied().unwrap_or(7));
                r.push(&f[f.len() / 2..]).unwrap();
                let _ = r.finish();
            }
        }
    }
}

#[test]
fn samples_come_out_whole_and_the_same_in_any_chunking() {
    let (m, f) = interleaved();
    let (whole, end) = run(&m, &f, 0, f.len());
    end.unwrap();
    assert!(matches!(&whole[0], Output::Init { mime, .. } if mime == "video/mp4; codecs=\"avc1.4d401e,mp4a.40.2\""));
    assert!(matches!(&whole[1], Output::Metadata(_)));
    let s = samples(&whole);
    assert_eq!((s.iter().filter(|s| s.track == 1).count(), s.iter().filter(|s| s.track == 2).count()), (10, 15));
    // Each sample's bytes are the file's at its offset.
    let t = tables(&m, 1000);
    for (track, table) in [(1, t[0].as_ref().unwrap()), (2, t[1].as_ref().unwrap())] {
        let out: Vec<&Out> = s.iter().filter(|s| s.track == track).collect();
        for (info, o) in all(table).iter().zip(out) {
            assert_eq!(o.data, f[info.offset as usize..info.end() as usize], "track {track} sample {}", info.index);
        }
    }
    for chunk in 1..=13 {
        assert_eq!(run(&m, &f, 0, chunk).0, whole, "{chunk}-byte chunks");
    }
    // Empty pushes change nothing.
    let mut r = Mp4Remuxer::new(&m).unwrap();
    let mut out = Vec::new();
    for c in f.chunks(5) {
        r.push(&[]).unwrap();
        r.push(c).unwrap();
        out.extend(r.take_output());
    }
    r.finish().unwrap();
    out.extend(r.take_output());
    assert_eq!(out, whole);
}

#[test]
fn the_first_segment_goes_out_at_once_then_a_second_at_a_time() {
    // 5 s of 25 fps video, one frame a chunk, and audio every 4 frames.
    let sizes = vec![50u32; 125];
    let chunks: Vec<u64> = (0..125).map(|i| 1000 + i * 50).collect();
    let m = moov(1000, &[Trak::video(&sizes, &chunks)]);
    let f = file(1000 + 125 * 50);
    let mut r = Mp4Remuxer::new(&m).unwrap();
    r.push(&f[..1050]).unwrap();
    let out = r.take_output();
    assert_eq!(out.len(), 3, "init, metadata, the first frame at once");
    assert!(matches!(out[2], Output::Media { start_ms: 0, end_ms: 40, .. }));
    r.push(&f[1050..1000 + 25 * 50]).unwrap();
    assert!(r.take_output().is_empty(), "0.96 s is not a batch yet");
    r.push(&f[1000 + 25 * 50..1000 + 26 * 50]).unwrap();
    assert!(matches!(r.take_output()[..], [Output::Media { start_ms: 40, end_ms: 1040, .. }]));
    r.push(&f[1000 + 26 * 50..]).unwrap();
    r.finish().unwrap();
    let spans: Vec<(i64, i64)> = r
        .take_output()
        .iter()
        .map(|o| match o {
            Output::Media { start_ms, end_ms, .. } => (*start_ms, *end_ms),
            o => panic!("{o:?}"),
        })
        .collect();
    assert_eq!(spans, [(1040, 2040), (2040, 3040), (3040, 4040), (4040, 5000)]);
}

#[test]
fn restart_at_starts_at_the_next_point_with_its_audio() {
    let (m, f) = interleaved();
    let (whole, _) = run(&m, &f, 0, f.len());
    let all_samples = samples(&whole);
    let r = Mp4Remuxer::new(&m).unwrap();
    let (times, offsets) = r.keyframes();
    assert_eq!(times, [0, 200]);
    // The second keyframe is sample 5; the audio frame playing at 200 ms is frame 8
    // (186-209 ms), in the third audio chunk, which is after video 5 in the file.
    let t = tables(&m, 1000);
    let (video, audio) = (all(t[0].as_ref().unwrap()), all(t[1].as_ref().unwrap()));
    assert_eq!(offsets, [video[0].offset, video[5].offset.min(audio[8].offset)]);
    // From each offset, and from offsets between them: the next point.
    for from in [offsets[0], offsets[0] + 1, offsets[1] - 1, offsets[1]] {
        let (out, end) = run(&m, &f, from as usize, 17);
        end.unwrap();
        let s = samples(&out);
        let start = if from <= offsets[0] { 0 } else { 200 };
        let first_video = s.iter().find(|s| s.track == 1).unwrap();
        assert!(first_video.key && first_video.dts + i64::from(first_video.cts) == start, "from {from}");
        let want: Vec<&Out> = all_samples
            .iter()
            .filter(|s| if s.track == 1 { s.dts >= start } else { s.dts + i64::from(s.duration) > start })
            .collect();
        let got: Vec<&Out> = s.iter().collect();
        let (mut got_sorted, mut want_sorted) = (got.clone(), want.clone());
        got_sorted.sort_by_key(|s| (s.track, s.dts));
        want_sorted.sort_by_key(|s| (s.track, s.dts));
        assert_eq!(got_sorted, want_sorted, "from {from}");
    }
    // Past the last point: nothing, and no error.
    let (out, end) = run(&m, &f, offsets[1] as usize + 1, 17);
    end.unwrap();
    assert!(samples(&out).is_empty());
}

#[test]
fn reading_only_the_sample_span_gives_the_same_output() {
    let (m, f) = interleaved();
    let (whole, _) = run(&m, &f, 0, f.len());
    let r = Mp4Remuxer::new(&m).unwrap();
    let t = tables(&m, 1000);
    let (video, audio) = (all(t[0].as_ref().unwrap()), all(t[1].as_ref().unwrap()));
    let (from, to) = r.sample_span();
    assert_eq!(from, 100);
    assert_eq!(to, video.last().unwrap().end().max(audio.last().unwrap().end()));
    assert!(to < f.len() as u64);
    for chunk in [1, 7, 4096] {
        let mut r = Mp4Remuxer::new(&m).unwrap();
        r.start_at(from);
        let mut out = Vec::new();
        for c in f[from as usize..to as usize].chunks(chunk) {
            r.push(c).unwrap();
            out.extend(r.take_output());
        }
        r.finish().unwrap();
        out.extend(r.take_output());
        assert_eq!(out, whole, "{chunk}-byte chunks");
    }
    // Starting past the first sample leaves it out (and the rest comes).
    let mut r = Mp4Remuxer::new(&m).unwrap();
    r.start_at(from + 1);
    r.push(&f[from as usize + 1..to as usize]).unwrap();
    r.finish().unwrap();
    let s = samples(&r.take_output());
    assert_eq!(s.len(), samples(&whole).len() - 1);
}

#[test]
fn finish_says_truncated_when_samples_never_came() {
    let (m, f) = interleaved();
    let mut r = Mp4Remuxer::new(&m).unwrap();
    r.push(&f[..f.len() / 2]).unwrap();
    let e = r.finish().unwrap_err();
    assert_eq!(e, Error::new(f.len() as u64 / 2, ErrorKind::Truncated));
    let s = samples(&r.take_output());
    assert!(!s.is_empty() && s.len() < 25);
    // remux_all on files cut short, and on a moov at the end that is cut.
    assert!(remux_all(&[]).is_err());
    let mut whole = b"\0\0\0\x10ftypisom\0\0\0\0".to_vec();
    whole.extend_from_slice(&(f.len() as u32 - 16).to_be_bytes());
    whole.extend_from_slice(b"mdat");
    whole.extend_from_slice(&f[24..]);
    let at_end = [&whole[..], &m].concat();
    assert!(remux_all(&at_end).is_ok());
    for n in [3, 16, 20, whole.len(), whole.len() + 4, at_end.len() - 1] {
        assert!(remux_all(&at_end[..n]).is_err(), "{n}");
    }
}

#[test]
fn locate_moov_walks_the_top_level_boxes() {
    let ftyp = b"\0\0\0\x10ftypisom\0\0\0\0".to_vec();
    let m = moov(1000, &[Trak::video(&[1], &[0])]);
    // Faststart.
    let faststart = [&ftyp[..], &m, b"\0\0\0\x10mdat01234567"].concat();
    let found = MoovLocation::Found { offset: 16, size: m.len() as u64 };
    assert_eq!(locate_moov(&faststart).unwrap(), found);
    assert_eq!(locate_moov(&faststart[..24]).unwrap(), found, "the header is enough");
    assert_eq!(locate_moov(&faststart[..23]).unwrap(), MoovLocation::NeedMore);
    assert_eq!(locate_moov(&faststart[..16]).unwrap(), MoovLocation::At { offset: 16 });
    assert_eq!(locate_moov(&[]).unwrap(), MoovLocation::NeedMore);
    // A 64-bit mdat of 5 GiB first: the moov is after it.
    let mut large = ftyp.clone();
    large.extend_from_slice(&[0, 0, 0, 1]);
    large.extend_from_slice(b"mdat");
    large.extend_from_slice(&(5u64 << 30).to_be_bytes());
    assert_eq!(locate_moov(&large).unwrap(), MoovLocation::At { offset: 16 + (5 << 30) });
    assert_eq!(locate_moov(&large[..28]).unwrap(), MoovLocation::NeedMore, "inside a 64-bit header");
    // A 64-bit moov.
    let mut moov64 = ftyp.clone();
    moov64.extend_from_slice(&[0, 0, 0, 1]);
    moov64.extend_from_slice(b"moov");
    moov64.extend_from_slice(&100u64.to_be_bytes());
    assert_eq!(locate_moov(&moov64).unwrap(), MoovLocation::Found { offset: 16, size: 100 });
    // Size 0: a moov to the end of the file is found; any other box means no moov.
    let to_end = [&ftyp[..], b"\0\0\0\0moov"].concat();
    assert_eq!(locate_moov(&to_end).unwrap(), MoovLocation::Found { offset: 16, size: 0 });
    let mdat_to_end = [&ftyp[..], b"\0\0\0\0mdat"].concat();
    assert!(matches!(locate_moov(&mdat_to_end).unwrap_err().kind, ErrorKind::BadBox(_)));
    // Impossible sizes and types.
    assert!(locate_moov(b"\0\0\0\x04ftyp").is_err());
    assert!(locate_moov(b"\0\0\0\x10ft\0p").is_err());
    let mut overflow = ftyp;
    overflow.extend_from_slice(&[0, 0, 0, 1]);
    overflow.extend_from_slice(b"mdat");
    overflow.extend_from_slice(&u64::MAX.to_be_bytes());
    assert!(locate_moov(&overflow).is_err());
}

#[test]
fn durations_in_milliseconds_never_drift() {
    // 44.1 kHz AAC: 23.22 ms frames come out as 23s and 24s that add up.
    let n = 1000;
    let sizes = vec![1u32; n];
    let m = moov(1000, &[Trak::audio(&sizes, &(0..n as u64 / 10).map(|c| c * 10).collect::<Vec<_>>(), 10)]);
    let (out, end) = run(&m, &file(n), 0, 4096);
    end.unwrap();
    let s = samples(&out);
    assert!(s.iter().all(|s| s.duration == 23 || s.duration == 24));
    let last = s.last().unwrap();
    assert_eq!(last.dts + i64::from(last.duration), (1000 * 1024 * 1000 + 22050) / 44100);
    for w in s.windows(2) {
        assert_eq!(w[0].dts + i64::from(w[0].duration), w[1].dts);
    }
    let r = Mp4Remuxer::new(&m).unwrap();
    assert_eq!(r.duration_ms(), 23220);
    let (times, _) = r.keyframes();
    assert_eq!(times.len(), 24, "a point a second");
    assert!(times.iter().enumerate().all(|(i, &t)| t >= i as i64 * 1000 && t < i as i64 * 1000 + 24), "{times:?}");
}

/// A three-hour recording at 25 fps with B-frames (one `ctts` run a frame, one frame a
/// chunk) and 44.1 kHz AAC (two frames a chunk): the bytes its tables take.
#[test]
fn a_three_hour_recording_takes_a_few_megabytes() {
    let (frames, aac) = (3 * 3600 * 25, 3 * 3600 * 44100 / 1024);
    let mut video = Trak::video(&vec![4000; frames], &[]);
    let mut audio = Trak::audio(&vec![300; aac], &[], 2);
    let (mut pos, mut a) = (1u64 << 20, 0);
    for i in 0..frames {
        video.chunks.push(pos);
        pos += 4000;
        while a < aac && a * 1024 * 25 < i * 44100 {
            audio.chunks.push(pos);
            pos += 600;
            a += 2;
        }
    }
    audio.chunks.resize(aac.div_ceil(2), pos);
    audio.stsc = vec![(1, 2, 1), (aac as u32 / 2 + 1, 1, 1)];
    audio.chunks.truncate(aac.div_ceil(2));
    video.ctts = Some((0, (0..frames).map(|i| (1, [1024, 2560, 0][i % 3])).collect()));
    video.stss = Some((0..frames as u32).step_by(50).map(|i| i + 1).collect());
    let m = moov(1000, &[video, audio]);
    let start = std::time::Instant::now();
    let r = Mp4Remuxer::new(&m).unwrap();
    let took = start.elapsed();
    let per = r.table_bytes() as f64 / (frames + aac) as f64;
    println!(
        "3 h: {frames} video + {aac} audio samples, moov {:.1} MB, tables {:.1} MB: {per:.1} bytes a sample; read in {took:?}",
        m.len() as f64 / 1e6,
        r.table_bytes() as f64 / 1e6
    );
    assert!(per < 12.0, "{per}");
    assert_eq!(r.keyframes().0.len(), frames / 50);
    assert_eq!(r.duration_ms(), 3 * 3600 * 1000 + 160, "the last frame presented, 120 ms after its decode time");
}
