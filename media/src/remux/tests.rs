//! The remuxer's documented promises (this module's docs, `Remuxer`'s, the README's),
//! each on a synthetic FLV, with the output read back by `mp4::read`.

use super::*;
use crate::flv::testing::{self as flv, ASC_44100_STEREO, AVC_320X180, AVC_640X360, hex};
use crate::mp4::testing::{Out, samples};
use crate::mp4::{Boxes, Mp4Box, Tkhd, probe};

/// Pushes `tags` after the file header, one push per tag (as from the network), and
/// returns what came out after each push, then after `finish`.
fn push_each(audio: bool, video: bool, tags: &[Vec<u8>]) -> Vec<Vec<Output>> {
    let mut r = Remuxer::new();
    r.push(&flv::file(audio, video, &[])).unwrap();
    let mut outs = vec![r.take_output()];
    for t in tags {
        r.push(t).unwrap();
        outs.push(r.take_output());
    }
    r.finish().unwrap();
    outs.push(r.take_output());
    outs
}

fn inits(outs: &[Output]) -> Vec<(&[u8], &str)> {
    outs.iter()
        .filter_map(|o| match o {
            Output::Init { data, mime } => Some((&data[..], mime.as_str())),
            _ => None,
        })
        .collect()
}

fn media(outs: &[Output]) -> Vec<(&[u8], i64, i64)> {
    outs.iter()
        .filter_map(|o| match o {
            Output::Media { data, start_ms, end_ms } => Some((&data[..], *start_ms, *end_ms)),
            _ => None,
        })
        .collect()
}

/// The `tkhd` of each track in an init segment.
fn tracks_of(init: &[u8]) -> Vec<Tkhd> {
    let moov: Mp4Box = Boxes::new(init, 0).map(Result::unwrap).find(|b| b.kind == b"moov").unwrap();
    moov.children()
        .map(Result::unwrap)
        .filter(|b| b.kind == b"trak")
        .map(|t| Tkhd::parse(&t.require(b"tkhd", "tkhd").unwrap()).unwrap())
        .collect()
}

/// AAC frame `k`'s FLV timestamp at 44.1 kHz (23 or 24 ms apart).
fn aac_ts(k: u32) -> u32 {
    (u64::from(k) * 1_024_000 / 44_100) as u32
}

#[test]
fn a_forward_jump_beyond_max_gap_is_stitched() {
    // Video every 40 ms and audio every ~23 ms for 5 s, then both jump to 3600 s.
    let mut tags = vec![flv::avc_sequence_header(0, &hex(AVC_640X360)), flv::aac_sequence_header(0, &ASC_44100_STEREO)];
    let jump = 3_600_000;
    for base in [0, jump] {
        // Interleaved by time, as in a real file.
        let mut block: Vec<(u32, Vec<u8>)> = (0..125u32)
            .map(|f| (base + f * 40, flv::avc_frame(base + f * 40, f % 25 == 0, 0, 200)))
            .chain((0..215u32).map(|k| (base + aac_ts(k), flv::aac_frame(base + aac_ts(k), 50))))
            .collect();
        block.sort_by_key(|(t, _)| *t);
        tags.extend(block.into_iter().map(|(_, t)| t));
    }
    let outs: Vec<Output> = push_each(true, true, &tags).into_iter().flatten().collect();
    let segments = media(&outs);
    let all: Vec<Out> = segments.iter().flat_map(|(d, ..)| samples(d)).collect();
    for track in [VIDEO_TRACK, AUDIO_TRACK] {
        let s: Vec<Out> = all.iter().copied().filter(|s| s.track == track).collect();
        assert_eq!(s.len(), if track == VIDEO_TRACK { 250 } else { 430 });
        for w in s.windows(2) {
            assert_eq!(w[1].dts, w[0].dts + u64::from(w[0].duration), "track {track} continuous at {}", w[0].dts);
        }
    }
    // Video: the first frame after the jump follows the last one before it by one
    // frame (the previous duration): 125 frames → 5000 ms.
    let video: Vec<Out> = all.iter().copied().filter(|s| s.track == VIDEO_TRACK).collect();
    assert_eq!((video[124].dts, video[125].dts, video[249].dts), (4960, 5000, 9960));
    assert!(video.iter().all(|s| s.duration == 40));
    // Audio: the same, with its own last duration.
    let audio: Vec<Out> = all.iter().copied().filter(|s| s.track == AUDIO_TRACK).collect();
    let before = u64::from(aac_ts(214));
    assert_eq!(audio[215].dts, before + u64::from(audio[214].duration));
    assert!(audio.last().unwrap().dts < 10_100);
    // No segment is anywhere near 3600 s: the output timeline is 10 s long.
    assert!(segments.iter().all(|&(_, start, end)| (0..10_100).contains(&start) && start < end && end < 10_100));
}

#[test]
fn gaps_up_to_max_gap_are_kept_and_backward_jumps_stitched() {
    let mut tags = vec![flv::avc_sequence_header(0, &hex(AVC_640X360))];
    // 0..960, a 2 s gap (kept: it is no more than MAX_GAP_MS), 3000..3960, then back to 100.
    let times: Vec<u32> = (0..25).map(|f| f * 40).chain((0..25).map(|f| 3000 + f * 40)).chain([100, 140]).collect();
    tags.extend(times.iter().map(|&t| flv::avc_frame(t, t % 1000 == 0, 0, 100)));
    let outs: Vec<Output> = push_each(false, true, &tags).into_iter().flatten().collect();
    let s: Vec<Out> = media(&outs).iter().flat_map(|(d, ..)| samples(d)).collect();
    let dts: Vec<u64> = s.iter().map(|s| s.dts).collect();
    assert_eq!(&dts[23..27], [920, 960, 3000, 3040], "the 2 s gap is kept");
    assert_eq!(s[24].duration, 2040, "the frame before a kept gap lasts until the next");
    assert_eq!(&dts[49..], [3960, 4000, 4040], "back in time: stitched to follow on");
}

#[test]
fn a_new_sequence_header_mid_file_starts_a_new_init_segment() {
    let mut tags = vec![flv::avc_sequence_header(0, &hex(AVC_640X360))];
    tags.extend((0..50).map(|f| flv::avc_frame(f * 40, f % 25 == 0, 0, 100)));
    tags.push(flv::avc_sequence_header(2000, &hex(AVC_320X180)));
    tags.extend((50..100).map(|f| flv::avc_frame(f * 40, f % 25 == 0, 0, 100)));
    // The same header again changes nothing.
    tags.push(flv::avc_sequence_header(4000, &hex(AVC_320X180)));
    tags.push(flv::avc_frame(4000, true, 0, 100));

    let outs: Vec<Output> = push_each(false, true, &tags).into_iter().flatten().collect();
    let kinds: Vec<&str> = outs
        .iter()
        .map(|o| match o {
            Output::Init { .. } => "init",
            Output::Media { .. } => "media",
            Output::Metadata(_) => "metadata",
        })
        .collect();
    let second_init = kinds.iter().rposition(|k| *k == "init").unwrap();
    assert_eq!(kinds.iter().filter(|k| **k == "init").count(), 2, "{kinds:?}");
    let i = inits(&outs);
    let size = |init: &[u8]| tracks_of(init).iter().map(|t| (t.width, t.height)).collect::<Vec<_>>();
    assert_eq!((size(i[0].0), size(i[1].0)), (vec![(640, 360)], vec![(320, 180)]));
    assert_eq!(i[1].1, "video/mp4; codecs=\"avc1.64000c\"");

    // Everything before the change went out under the first init, ending at 2000 ms;
    // everything after under the second, from 2000 ms.
    let before = media(&outs[..second_init]);
    let after = media(&outs[second_init..]);
    assert_eq!(before.last().unwrap().2, 2000);
    assert_eq!(before.iter().flat_map(|(d, ..)| samples(d)).count(), 50);
    assert_eq!(after.first().unwrap().1, 2000);
    assert_eq!(after.iter().flat_map(|(d, ..)| samples(d)).count(), 51);
}

#[test]
fn a_new_sequence_header_before_the_first_init_replaces_the_first() {
    // Not what the docs say, but what the code does (see the crate README): when the
    // change arrives before any init segment went out — here, the whole file in one
    // push — the new configuration replaces the old, with no cut and one init segment.
    let mut tags = vec![flv::avc_sequence_header(0, &hex(AVC_640X360))];
    tags.extend((0..50).map(|f| flv::avc_frame(f * 40, f % 25 == 0, 0, 100)));
    tags.push(flv::avc_sequence_header(2000, &hex(AVC_320X180)));
    tags.extend((50..100).map(|f| flv::avc_frame(f * 40, f % 25 == 0, 0, 100)));
    let outs = remux_all(&flv::file(false, true, &tags)).unwrap();
    let i = inits(&outs);
    assert_eq!(i.len(), 1);
    assert_eq!(tracks_of(i[0].0)[0].width, 320);
    assert_eq!(media(&outs).iter().flat_map(|(d, ..)| samples(d)).count(), 100);
}

#[test]
fn an_announced_track_that_never_configures_is_given_up_after_a_second() {
    // The header announces audio and video; the audio has no AAC sequence header.
    let mut tags = vec![flv::avc_sequence_header(0, &hex(AVC_640X360))];
    for f in 0..50u32 {
        tags.push(flv::avc_frame(f * 40, f % 25 == 0, 0, 100));
        tags.push(flv::aac_frame(f * 40, 20));
    }
    let per_push = push_each(true, true, &tags);
    // The init goes out with the push that takes buffered video past 1000 ms: the frame
    // at 1040 ms (tags[1 + 2 * 26]; per_push[0] is the file header's).
    let first = per_push.iter().position(|o| !inits(o).is_empty()).unwrap();
    assert_eq!(first, 1 + 1 + 2 * 26);
    let outs: Vec<Output> = per_push.into_iter().flatten().collect();
    let i = inits(&outs);
    assert_eq!(i.len(), 1);
    assert_eq!(i[0].1, "video/mp4; codecs=\"avc1.4d401e\"", "video alone");
    assert_eq!(tracks_of(i[0].0).len(), 1);
    let s: Vec<Out> = media(&outs).iter().flat_map(|(d, ..)| samples(d)).collect();
    assert!(s.iter().all(|s| s.track == VIDEO_TRACK) && s.len() == 50);
    assert_eq!(media(&outs)[0].1, 0);

    // The same with the video unconfigured: audio alone, after a second of it.
    let mut tags = vec![flv::aac_sequence_header(0, &ASC_44100_STEREO)];
    for k in 0..100u32 {
        tags.push(flv::aac_frame(aac_ts(k), 20));
        if k % 2 == 0 {
            tags.push(flv::avc_frame(aac_ts(k), k == 0, 0, 100));
        }
    }
    let outs: Vec<Output> = push_each(true, true, &tags).into_iter().flatten().collect();
    assert_eq!(inits(&outs).iter().map(|i| i.1).collect::<Vec<_>>(), ["audio/mp4; codecs=\"mp4a.40.2\""]);
    let s: Vec<Out> = media(&outs).iter().flat_map(|(d, ..)| samples(d)).collect();
    assert!(s.iter().all(|s| s.track == AUDIO_TRACK) && s.len() == 100);

    // Whatever the header says, the end of the input sends what there is.
    let tags = [flv::avc_sequence_header(0, &hex(AVC_640X360)), flv::avc_frame(0, true, 0, 10)];
    let outs = remux_all(&flv::file(true, true, &tags)).unwrap();
    assert_eq!((inits(&outs).len(), media(&outs).len()), (1, 1));
}

#[test]
fn samples_of_an_unconfigured_track_set_the_time_base() {
    // Not what `base()`'s comment says ("set by the first sample of a configured
    // track"): an AAC frame before any AAC sequence header sets the time base too, so
    // here the video, the only track out, starts at 500 ms rather than 0.
    let mut tags = vec![flv::aac_frame(500, 20), flv::avc_sequence_header(1000, &hex(AVC_640X360))];
    tags.extend((0..30).map(|f| flv::avc_frame(1000 + f * 40, f == 0, 0, 100)));
    let outs = remux_all(&flv::file(true, true, &tags)).unwrap();
    let s: Vec<Out> = media(&outs).iter().flat_map(|(d, ..)| samples(d)).collect();
    assert_eq!(s[0].dts, 500);
    let mut r = Remuxer::new();
    r.push(&flv::file(true, true, &tags)).unwrap();
    assert_eq!(r.time_base(), Some(500));
}

#[test]
fn unsupported_codecs_are_named() {
    let cases: [(TagType, &[u8], &str); 5] = [
        (TagType::Audio, &[0x2f, 0, 0], "MP3 audio"),
        (TagType::Audio, &[0x7f, 0], "G.711 audio"),
        (TagType::Video, &[0x1c, 0, 0, 0, 0], "HEVC video (codec id 12)"),
        (TagType::Video, &[0x14, 0, 0, 0, 0], "VP6 video"),
        (TagType::Video, &[0x90, b'h', b'v', b'c', b'1'], "enhanced FLV video 'hvc1'"),
    ];
    for (kind, data, name) in cases {
        let e = remux_all(&flv::file(true, true, &[flv::tag(kind, 0, data)])).unwrap_err();
        assert_eq!((e.kind, e.offset), (ErrorKind::UnsupportedCodec(name.into()), 13), "{name}");
    }
    let short = flv::tag(TagType::Video, 0, &[0x17, 1]);
    let e = remux_all(&flv::file(false, true, &[short])).unwrap_err();
    assert_eq!(e.kind, ErrorKind::CorruptTag("AVC video tag shorter than its header"));
}

#[test]
fn the_init_segment_describes_the_tracks() {
    let tags = [
        flv::avc_sequence_header(0, &hex(AVC_640X360)),
        flv::aac_sequence_header(0, &ASC_44100_STEREO),
        flv::avc_frame(0, true, 80, 10),
        flv::aac_frame(0, 10),
    ];
    let outs = remux_all(&flv::file(true, true, &tags)).unwrap();
    let (init, mime) = inits(&outs)[0];
    assert_eq!(mime, "video/mp4; codecs=\"avc1.4d401e,mp4a.40.2\"");
    let moov = Boxes::new(init, 0).map(Result::unwrap).find(|b| b.kind == b"moov").unwrap();
    let t: Vec<_> = moov
        .children()
        .map(Result::unwrap)
        .filter(|b| b.kind == b"trak")
        .map(|b| probe::probe_trak(&b).unwrap())
        .map(|t| (t.track_id, t.handler.to_string(), t.width, t.height))
        .collect();
    assert_eq!(t, [(VIDEO_TRACK, "vide".into(), 640, 360), (AUDIO_TRACK, "soun".into(), 0, 0)]);
    // Read back as an HLS init section is read: the same MIME type and codecs.
    assert_eq!(mp4::init_mime(init).unwrap(), mime);
    let audio_only = remux_all(&flv::file(true, false, &tags[1..2])).unwrap();
    let (init, mime) = inits(&audio_only)[0];
    assert_eq!((mp4::init_mime(init).unwrap().as_str(), mime), ("audio/mp4; codecs=\"mp4a.40.2\"", mime));
    // A cut or empty init is an error, not a panic.
    for n in [0, 8, 40, init.len() / 2] {
        assert!(mp4::init_mime(&init[..n]).is_err(), "{n} bytes");
    }
}

#[test]
fn the_first_segment_goes_out_at_once_then_a_second_at_a_time() {
    // 4 s of video every 40 ms, pushed a tag at a time.
    let mut tags = vec![flv::avc_sequence_header(0, &hex(AVC_640X360))];
    tags.extend((0..100u32).map(|f| flv::avc_frame(f * 40, f % 25 == 0, 0, 100)));
    let outs = push_each(false, true, &tags);
    // Pushes: the header, the sequence header, then frame 0 (its duration still open),
    // frame 1 (closes frame 0: the first segment, at once).
    let first = outs.iter().position(|o| !media(o).is_empty()).unwrap();
    assert_eq!(first, 3, "the first media segment as soon as a sample is closed");
    let all: Vec<Output> = outs.into_iter().flatten().collect();
    let segments = media(&all);
    let spans: Vec<i64> = segments.iter().map(|&(_, start, end)| end - start).collect();
    assert_eq!(spans[0], 40);
    // Then segments of at least BATCH_MS, the last one whatever is left at the end.
    assert!(spans[1..spans.len() - 1].iter().all(|&s| s >= BATCH_MS), "{spans:?}");
    assert!(segments.len() <= 6, "{spans:?}");
    // And after a restart (a seek), the first again at once.
    let file = flv::file(false, true, &tags);
    let header = file.len() - tags.iter().map(Vec::len).sum::<usize>();
    let at = |i: usize| header + tags[..i].iter().map(Vec::len).sum::<usize>();
    let mut r = Remuxer::new();
    r.push(&file[..at(60)]).unwrap();
    r.take_output();
    r.restart_at(at(76) as u64);
    r.push(&file[at(76)..at(78)]).unwrap();
    assert_eq!(media(&r.take_output()).len(), 1, "one sample closed after the restart: out at once");
}

#[test]
fn a_placed_file_starts_at_its_place_on_the_timeline() {
    // A broadcast's second part: its own time zero lies 600 s into the broadcast.
    let mut tags = vec![flv::avc_sequence_header(0, &hex(AVC_640X360))];
    tags.extend((0..30).map(|f| flv::avc_frame(f * 40, f % 10 == 0, 0, 100)));
    let mut r = Remuxer::new();
    r.set_place(600_000);
    r.push(&flv::file(false, true, &tags)).unwrap();
    r.finish().unwrap();
    let outs = r.take_output();
    let m = media(&outs);
    assert_eq!(m[0].1, 600_000);
    assert_eq!(m.last().unwrap().2, 600_000 + 30 * 40);
    let s: Vec<Out> = m.iter().flat_map(|(d, ..)| samples(d)).collect();
    assert_eq!((s[0].dts, s[29].dts), (600_000, 600_000 + 29 * 40));
}
