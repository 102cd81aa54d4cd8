//! The TS demuxer's and remuxer's promises (the module docs', the README's), each on a
//! synthetic stream built by `ts::testing`, the output read back by `mp4::read`.

use super::adts::{AdtsHeader, AdtsParser};
use super::demux::{Demuxer, Frame};
use super::h264::{AvcParser, split_annex_b};
use super::packet::{PACKET_LEN, PID_PAT, Packet, Packetizer};
use super::pes::{Pes, PesAssembler, PesHeader};
use super::psi::{self, StreamKind, StreamType, crc32_mpeg2, parse_pat, parse_pmt};
use super::remux::unwrap_timestamp;
use super::testing::*;
use super::{TsRemuxer, remux_all};
use crate::flv::testing::hex;
use crate::mp4::testing::{Out, samples, u32_at};
use crate::{ErrorKind, Output};

// ---------------------------------------------------------------------------------
// Reading the output back

fn all_samples(outs: &[Output], track: u32) -> Vec<Out> {
    outs.iter()
        .filter_map(|o| match o {
            Output::Media { data, .. } => Some(samples(data)),
            _ => None,
        })
        .flatten()
        .filter(|s| s.track == track)
        .collect()
}

fn inits(outs: &[Output]) -> Vec<&str> {
    outs.iter()
        .filter_map(|o| match o {
            Output::Init { mime, .. } => Some(mime.as_str()),
            _ => None,
        })
        .collect()
}

/// Every frame the demuxer gives for `ts` pushed in `chunk`-byte pieces.
fn demux_all(ts: &[u8], chunk: usize) -> (Vec<Frame>, crate::Result<()>) {
    let mut d = Demuxer::new();
    d.begin_segment(true);
    let mut out = Vec::new();
    for c in ts.chunks(chunk.max(1)) {
        if let Err(e) = d.push(c, &mut out) {
            return (out, Err(e));
        }
    }
    let r = d.end_segment(&mut out);
    (out, r)
}

fn video_frames(frames: &[Frame]) -> Vec<&super::demux::VideoFrame> {
    frames.iter().filter_map(|f| if let Frame::Video(v) = f { Some(v) } else { None }).collect()
}

fn audio_frames(frames: &[Frame]) -> Vec<&super::demux::AudioFrame> {
    frames.iter().filter_map(|f| if let Frame::Audio(a) = f { Some(a) } else { None }).collect()
}

// ---------------------------------------------------------------------------------
// Packets

#[test]
fn packet_header_and_adaptation_field() {
    let mut p = packet(0x1ABC, true, 7, &[1, 2, 3]);
    let parsed = Packet::parse(&p).unwrap();
    assert_eq!(
        (parsed.header.pid, parsed.header.payload_unit_start, parsed.header.continuity_counter),
        (0x1ABC, true, 7)
    );
    assert_eq!(parsed.payload, [1, 2, 3]);
    // A PCR of 1 s (27 MHz) with the discontinuity flag.
    p[5] = 0x90;
    let base: u64 = 90_000;
    p[6..12].copy_from_slice(&[
        (base >> 25) as u8,
        (base >> 17) as u8,
        (base >> 9) as u8,
        (base >> 1) as u8,
        ((base as u8 & 1) << 7) | 0x7E,
        0,
    ]);
    let a = Packet::parse(&p).unwrap().adaptation.unwrap();
    assert!(a.discontinuity && !a.random_access);
    assert_eq!(a.pcr, Some(27_000_000));
    // An adaptation field longer than the packet.
    p[4] = 184;
    assert!(Packet::parse(&p).is_err());
}

fn packet_offsets(data: &[u8], chunk: usize) -> Vec<u64> {
    let mut p = Packetizer::new();
    let mut found = Vec::new();
    for c in data.chunks(chunk) {
        p.push(c, |_, at| {
            found.push(at);
            Ok(())
        })
        .unwrap();
    }
    p.finish(|_, at| {
        found.push(at);
        Ok(())
    })
    .unwrap();
    found
}

#[test]
fn resync_after_junk_in_any_chunking() {
    let good: Vec<u8> = (0..6).flat_map(|i| packet(0x100, false, i, &[i; 10])).collect();
    // Junk with stray sync bytes before, and between packets 3 and 4.
    let mut data = vec![0x47, 0x00, 0x47, 0x12];
    data.extend_from_slice(&good[..3 * PACKET_LEN]);
    data.extend_from_slice(&[0x47; 5]);
    data.extend_from_slice(&good[3 * PACKET_LEN..]);
    let expected: Vec<u64> = vec![4, 4 + 188, 4 + 376, 4 + 564 + 5, 4 + 752 + 5, 4 + 940 + 5];
    for chunk in [1, 2, 7, 187, 188, 189, 400, 5000] {
        assert_eq!(packet_offsets(&data, chunk), expected, "chunk {chunk}");
    }
}

#[test]
fn a_lone_sync_byte_is_not_a_packet() {
    // 0x47 must repeat at +188 and +376: here it does not, so the first candidate is junk.
    let mut data = vec![0x47; 1];
    data.extend_from_slice(&[0u8; 100]);
    let good: Vec<u8> = (0..3).flat_map(|i| packet(0x100, false, i, &[])).collect();
    data.extend_from_slice(&good);
    assert_eq!(packet_offsets(&data, 64), [101, 101 + 188, 101 + 376]);
    // At the end of a segment, fewer packets are enough.
    assert_eq!(packet_offsets(&packet(0x100, false, 0, &[]), 10), [0]);
}

#[test]
fn not_ts_is_an_error() {
    let html = b"<html><body>404 Not Found</body></html>".repeat(3);
    let (_, r) = demux_all(&html, 4096);
    assert!(matches!(r.unwrap_err().kind, ErrorKind::BadStream(m) if m.contains("not MPEG-TS")));
    let mut p = Packetizer::new();
    assert!(p.push(&vec![0u8; 70_000], |_, _| Ok(())).is_err(), "64 KiB without sync");
}

// ---------------------------------------------------------------------------------
// PSI

#[test]
fn crc32_mpeg2_check_value() {
    assert_eq!(crc32_mpeg2(b"123456789"), 0x0376_E6E7);
    let s = pat_section(0x1000);
    assert_eq!(crc32_mpeg2(&s), 0, "a section with its CRC gives 0");
}

#[test]
fn pat_and_pmt() {
    assert_eq!(parse_pat(&pat_section(0x1000)), Ok(Some((1, 0x1000))));
    let pmt = parse_pmt(&pmt_section(&[
        (StreamType::H264, 0x100, &[]),
        (StreamType::AAC_ADTS, 0x101, &[]),
        (StreamType::METADATA, 0x102, &[]),
        (StreamType::PRIVATE_PES, 0x103, &[0x6A, 1, 0]),
    ]))
    .unwrap();
    let kinds: Vec<_> = pmt.streams.iter().map(|s| (s.pid, s.kind)).collect();
    assert_eq!(
        kinds,
        [
            (0x100, StreamKind::H264),
            (0x101, StreamKind::AacAdts),
            (0x102, StreamKind::Ignored),
            (0x103, StreamKind::OtherAudio("AC-3"))
        ]
    );
    assert_eq!(psi::classify(StreamType::PRIVATE_PES, &[5, 4, b'O', b'p', b'u', b's']), StreamKind::OtherAudio("Opus"));
    assert_eq!(psi::classify(StreamType::HEVC, &[]), StreamKind::OtherVideo("HEVC"));
}

#[test]
fn crc_mismatch_is_rejected() {
    let mut s = pat_section(0x1000);
    s[9] ^= 1;
    assert_eq!(parse_pat(&s), Err("section CRC mismatch"));
    let mut s = pmt_section(&[(StreamType::H264, 0x100, &[])]);
    let last = s.len() - 1;
    s[last] ^= 0x80;
    assert!(parse_pmt(&s).is_err());
}

#[test]
fn a_bad_pmt_is_ignored_and_a_good_one_later_plays() {
    let mut bad = pmt_section(&[(StreamType::HEVC, VIDEO_PID, &[])]);
    bad[12] ^= 0x40; // would be refused as HEVC if read
    let mut ts = Ts::new();
    ts.section(PID_PAT, &pat_section(PMT_PID)).section(PMT_PID, &bad);
    ts.psi(true, false).video(9000, 9000, true, true).video(12600, 12600, false, true);
    let (frames, r) = demux_all(&ts.bytes, 188);
    r.unwrap();
    assert_eq!(video_frames(&frames).len(), 2);
}

#[test]
fn no_valid_pmt_ever_is_an_error() {
    let mut bad = pmt_section(&[(StreamType::H264, VIDEO_PID, &[])]);
    bad[5] ^= 0x02;
    let mut ts = Ts::new();
    ts.section(PID_PAT, &pat_section(PMT_PID)).section(PMT_PID, &bad).video(9000, 9000, true, true);
    let (frames, r) = demux_all(&ts.bytes, 1000);
    assert!(frames.is_empty());
    assert_eq!(r.unwrap_err().kind, ErrorKind::BadStream("no valid program map table (PAT/PMT)"));
}

#[test]
fn a_section_spanning_packets() {
    // A PMT with a long descriptor loop: two packets.
    let descriptor = [[0x0Au8, 4, b'e', b'n', b'g', 0].as_slice(); 40].concat();
    let section = pmt_section(&[(StreamType::H264, VIDEO_PID, &[]), (StreamType::AAC_ADTS, AUDIO_PID, &descriptor)]);
    assert!(section.len() > 184);
    let mut ts = Ts::new();
    ts.section(PID_PAT, &pat_section(PMT_PID)).section(PMT_PID, &section).video(9000, 9000, true, true).audio(9000, 3);
    let (frames, r) = demux_all(&ts.bytes, 100);
    r.unwrap();
    assert_eq!((video_frames(&frames).len(), audio_frames(&frames).len()), (1, 3));
}

#[test]
fn pmt_after_data_is_buffered_and_replayed() {
    let mut ts = Ts::new();
    ts.video(9000, 9000, true, true).audio(9000, 2).video(12600, 12600, false, true);
    let early = ts.bytes.clone();
    let mut ts2 = Ts::new();
    ts2.psi(true, true);
    let mut later = Ts::new();
    later.bytes = ts2.bytes;
    let mut all = early;
    all.extend_from_slice(&later.bytes);
    // More frames after the PMT, continuing the counters of the first part.
    ts.bytes.clear();
    ts.video(16200, 16200, false, true).audio(13179, 2);
    all.extend_from_slice(&ts.bytes);
    let (frames, r) = demux_all(&all, 333);
    r.unwrap();
    assert_eq!(video_frames(&frames).iter().map(|v| v.dts).collect::<Vec<_>>(), [9000, 12600, 16200]);
    assert_eq!(audio_frames(&frames).len(), 4);
}

#[test]
fn unsupported_codecs_are_refused_by_name() {
    type Streams<'a> = &'a [(StreamType, u16, &'a [u8])];
    let cases: [(Streams, Option<&str>); 6] = [
        (&[(StreamType::HEVC, VIDEO_PID, &[]), (StreamType::AAC_ADTS, AUDIO_PID, &[])], Some("HEVC")),
        (&[(StreamType::H264, VIDEO_PID, &[]), (StreamType::MPEG1_AUDIO, AUDIO_PID, &[])], Some("MPEG audio (MP3)")),
        (&[(StreamType::H264, VIDEO_PID, &[]), (StreamType::AC3, AUDIO_PID, &[])], Some("AC-3")),
        // AAC next to AC-3: AAC plays; ID3 and SCTE-35 are ignored.
        (
            &[
                (StreamType::H264, VIDEO_PID, &[]),
                (StreamType::AC3, 0x105, &[]),
                (StreamType::AAC_ADTS, AUDIO_PID, &[]),
                (StreamType::METADATA, 0x106, &[]),
                (StreamType::SCTE35, 0x107, &[]),
            ],
            None,
        ),
        (&[(StreamType::METADATA, 0x106, &[])], Some("")),
        (&[(StreamType::AAC_ADTS, AUDIO_PID, &[])], None),
    ];
    for (streams, refused) in cases {
        let mut ts = Ts::new();
        ts.section(PID_PAT, &pat_section(PMT_PID)).section(PMT_PID, &pmt_section(streams));
        ts.video(9000, 9000, true, true).audio(9000, 2);
        let (_, r) = demux_all(&ts.bytes, 188);
        match (refused, r) {
            (None, r) => r.unwrap(),
            (Some(""), Err(e)) => assert_eq!(e.kind, ErrorKind::BadStream("the program has no audio or video stream")),
            (Some(name), Err(e)) => assert_eq!(e.kind, ErrorKind::UnsupportedCodec(name.into())),
            (Some(name), Ok(())) => panic!("{name} accepted"),
        }
    }
    // The refusal comes from push, and again at the end of the segment.
    let mut ts = Ts::new();
    ts.section(PID_PAT, &pat_section(PMT_PID)).section(PMT_PID, &pmt_section(&[(StreamType::HEVC, VIDEO_PID, &[])]));
    ts.video(9000, 9000, true, true);
    let mut r = TsRemuxer::new();
    r.begin_segment(0, 0);
    assert_eq!(r.push(&ts.bytes).unwrap_err().kind, ErrorKind::UnsupportedCodec("HEVC".into()));
    assert_eq!(r.end_segment().unwrap_err().kind, ErrorKind::UnsupportedCodec("HEVC".into()));
}

// ---------------------------------------------------------------------------------
// PES

#[test]
fn pes_timestamps_33_bits() {
    for ts in [0u64, 1, 90_000, (1 << 32) + 12345, (1 << 33) - 1] {
        let p = pes(0xE0, Some(ts), Some(ts.saturating_sub(3000)), b"x", false);
        let h = PesHeader::parse(&p).unwrap();
        assert_eq!((h.pts, h.dts), (Some(ts as i64), Some(ts.saturating_sub(3000) as i64)));
        assert_eq!(&p[h.payload_offset..], b"x");
    }
    let h = PesHeader::parse(&pes(0xC0, Some(7), None, b"", true)).unwrap();
    assert_eq!((h.pts, h.dts), (Some(7), None));
    assert!(PesHeader::parse(&[0, 0, 2, 0xE0, 0, 0]).is_err());
}

/// The PES payloads an assembler gives for the packets of `ts` (one PID).
fn assemble(ts: &[u8]) -> Vec<(Vec<u8>, bool)> {
    let mut a = PesAssembler::new();
    let mut out = Vec::new();
    let mut take = |p: Pes<'_>| out.push((p.payload.to_vec(), p.after_loss));
    for (i, bytes) in ts.chunks(PACKET_LEN).enumerate() {
        a.push(&Packet::parse(bytes).unwrap(), (i * PACKET_LEN) as u64, &mut take);
    }
    a.flush(&mut take);
    out
}

#[test]
fn unbounded_video_pes_ends_at_the_next_unit_start() {
    let big = vec![0x55; 1000];
    let mut ts = Ts::new();
    ts.data(VIDEO_PID, &pes(0xE0, Some(1), None, &big, false));
    ts.data(VIDEO_PID, &pes(0xE0, Some(2), None, b"second", false));
    let got = assemble(&ts.bytes);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].0, big);
    assert_eq!(got[1].0, b"second", "the last one ends with the stream");
}

#[test]
fn bounded_pes_completes_at_its_length() {
    let mut a = PesAssembler::new();
    let mut n = 0;
    let p = pes(0xC0, Some(1), None, &[9; 50], true);
    a.push(&Packet::parse(&packet(AUDIO_PID, true, 0, &p)).unwrap(), 0, &mut |pes| {
        assert_eq!(pes.payload, [9; 50]);
        n += 1;
    });
    assert_eq!(n, 1, "given out without waiting for the next PES");
}

#[test]
fn continuity_gap_drops_the_pes_being_assembled() {
    let first = vec![1; 400];
    let mut ts = Ts::new();
    ts.data(VIDEO_PID, &pes(0xE0, Some(1), None, &first, false));
    ts.data(VIDEO_PID, &pes(0xE0, Some(2), None, &[2; 400], false));
    ts.data(VIDEO_PID, &pes(0xE0, Some(3), None, &[3; 10], false));
    let mut bytes = ts.bytes.clone();
    // Lose the second packet of the second PES.
    let lost = 4 * PACKET_LEN;
    bytes.drain(lost..lost + PACKET_LEN);
    let got = assemble(&bytes);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0], (first, false));
    assert_eq!(got[1], (vec![3; 10], true), "the next PES says data was lost before it");
    // A duplicate packet (same counter, same bytes) is not a loss.
    let mut dup = ts.bytes.clone();
    let second: Vec<u8> = dup[PACKET_LEN..2 * PACKET_LEN].to_vec();
    dup.splice(2 * PACKET_LEN..2 * PACKET_LEN, second);
    let got = assemble(&dup);
    assert_eq!(got.len(), 3);
    assert!(got.iter().all(|(_, lost)| !lost));
}

// ---------------------------------------------------------------------------------
// H.264

fn parse_video(pes_list: &[(Option<i64>, Option<i64>, Vec<u8>)]) -> Vec<Frame> {
    let mut p = AvcParser::new();
    let mut out = Vec::new();
    for (pts, dts, payload) in pes_list {
        p.push(&Pes { pts: *pts, dts: dts.or(*pts), payload, offset: 0, after_loss: false }, &mut out).unwrap();
    }
    p.flush(&mut out);
    out
}

/// The NAL unit types of a length-prefixed sample.
fn nal_types(sample: &[u8]) -> Vec<u8> {
    let mut types = Vec::new();
    let mut at = 0;
    while at + 4 < sample.len() {
        let len = u32_at(sample, at) as usize;
        types.push(sample[at + 4] & 0x1F);
        at += 4 + len;
    }
    assert_eq!(at, sample.len(), "lengths add up");
    types
}

#[test]
fn start_codes_are_found_at_every_alignment() {
    let naive = |d: &[u8], from: usize| (from..d.len().saturating_sub(2)).find(|&i| d[i..i + 3] == [0, 0, 1]);
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    for len in 0..200 {
        let data: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                [0, 0, 0, 1, 2, 0xFF][(seed % 6) as usize]
            })
            .collect();
        for from in 0..len.min(20) {
            assert_eq!(super::h264::find_start_code(&data, from), naive(&data, from), "{data:?} from {from}");
        }
    }
}

#[test]
fn annex_b_splitting() {
    let data = [0xAA, 0, 0, 1, 0x09, 0xF0, 0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0];
    let (leading, nals) = split_annex_b(&data);
    assert_eq!(leading, [0xAA]);
    assert_eq!(nals.collect::<Vec<_>>(), [&[0x09, 0xF0][..], &[0x67, 1, 2], &[0x68, 3]]);
    let (leading, mut nals) = split_annex_b(&[1, 2, 3]);
    assert_eq!((leading, nals.next()), (&[1u8, 2, 3][..], None));
}

#[test]
fn access_units_with_aud_drop_aud_sps_pps_and_filler() {
    let (sps, pps, sei, filler) = (hex(SPS), hex(PPS), vec![6, 5, 1, 0x80], vec![12, 0xFF, 0xFF]);
    let idr = slice(true, true, 50);
    let p = slice(false, true, 30);
    let frames = parse_video(&[
        (Some(9000), None, annex_b(&[&AUD, &sps, &pps, &sei, &idr, &filler])),
        (Some(12600), None, annex_b(&[&AUD, &p])),
    ]);
    assert!(matches!(&frames[0], Frame::VideoConfig(c) if (c.width, c.height) == (320, 180)));
    let v = video_frames(&frames);
    assert_eq!(v.len(), 2);
    assert_eq!(nal_types(&v[0].data), [6, 5], "SEI and the slice; no AUD, SPS, PPS, filler");
    assert!(v[0].key && !v[1].key);
    assert_eq!((v[0].dts, v[1].dts), (9000, 12600));
}

#[test]
fn aud_less_stream_splits_access_units() {
    let (sps, pps) = (hex(SPS), hex(PPS));
    // Two pictures of two slices each in one PES without AUDs (the second with its own
    // SEI), then a PES per picture.
    let (a1, a2) = (slice(true, true, 40), slice(true, false, 40));
    let (b1, b2) = (slice(false, true, 40), slice(false, false, 40));
    let sei = vec![6, 5, 1, 0x80];
    let frames = parse_video(&[
        (Some(9000), None, annex_b(&[&sps, &pps, &a1, &a2, &sei, &b1, &b2])),
        (Some(16200), None, annex_b(&[&b1])),
        (Some(19800), None, annex_b(&[&b1])),
    ]);
    let v = video_frames(&frames);
    assert_eq!(v.iter().map(|f| nal_types(&f.data)).collect::<Vec<_>>(), [vec![5, 5], vec![6, 1, 1], vec![1], vec![1]]);
    // The second unit had no PTS of its own: one frame after the first (3000 ticks
    // assumed before two frames were seen).
    assert_eq!(v.iter().map(|f| f.dts).collect::<Vec<_>>(), [9000, 12000, 16200, 19800]);
}

#[test]
fn one_access_unit_per_pes_as_the_fallback() {
    // Slices that do not say they start a picture, each in a PES with a PTS.
    let s = slice(false, false, 20);
    let idr = slice(true, false, 20);
    let frames = parse_video(&[
        (Some(100), None, annex_b(&[&hex(SPS), &hex(PPS), &idr])),
        (Some(3700), None, annex_b(&[&s])),
        (Some(7300), None, annex_b(&[&s])),
    ]);
    assert_eq!(video_frames(&frames).iter().map(|f| f.dts).collect::<Vec<_>>(), [100, 3700, 7300]);
}

#[test]
fn a_nal_unit_continued_in_the_next_pes() {
    let idr = slice(true, true, 300);
    let mut first = annex_b(&[&AUD, &hex(SPS), &hex(PPS)]);
    first.extend_from_slice(&[0, 0, 0, 1]);
    first.extend_from_slice(&idr[..100]);
    let frames = parse_video(&[(Some(0), None, first), (None, None, idr[100..].to_vec())]);
    let v = video_frames(&frames);
    assert_eq!(v.len(), 1);
    assert_eq!(&v[0].data[4..], &idr[..], "one NAL unit, its length fixed up");
    assert_eq!(u32_at(&v[0].data, 0) as usize, idr.len());
}

#[test]
fn b_frames_keep_pts_and_dts() {
    let mut ts = Ts::new();
    ts.psi(true, false);
    // Decode order I P B B with PTS 2 3 0... in frames of 3600: I(pts 7200, dts 0) P(18000, 3600) B(10800, 7200) B(14400, 10800).
    for (pts, dts, key) in [(7200, 0, true), (18000, 3600, false), (10800, 7200, false), (14400, 10800, false)] {
        ts.video(pts + 90_000, dts + 90_000, key, true);
    }
    let outs = remux_all(&ts.bytes).unwrap();
    let v = all_samples(&outs, 1);
    assert_eq!(v.iter().map(|s| (s.dts, s.cts)).collect::<Vec<_>>(), [(0, 80), (40, 160), (80, 40), (120, 40)]);
}

// ---------------------------------------------------------------------------------
// ADTS

fn parse_audio(pes_list: &[(Option<i64>, Vec<u8>)]) -> Vec<Frame> {
    let mut p = AdtsParser::new();
    let mut out = Vec::new();
    for (pts, payload) in pes_list {
        p.push(&Pes { pts: *pts, dts: *pts, payload, offset: 0, after_loss: false }, &mut out);
    }
    out
}

#[test]
fn adts_header() {
    let h = AdtsHeader::parse(&adts(100, 4, 2)).unwrap();
    assert_eq!((h.object_type, h.sample_rate, h.channel_config, h.header_len, h.frame_len), (2, 44100, 2, 7, 107));
    assert!(AdtsHeader::parse(&adts(100, 13, 2)).is_none(), "reserved frequency index");
    assert!(AdtsHeader::parse(&[0xFF, 0xF1, 0x50]).is_none());
}

#[test]
fn adts_frames_and_their_timestamps() {
    let data: Vec<u8> = (0..3).flat_map(|_| adts(50, 3, 2)).collect(); // 48 kHz
    let frames = parse_audio(&[(Some(90_000), data)]);
    assert!(matches!(&frames[0], Frame::AudioConfig(c) if c.asc == [0x11, 0x90] && c.sample_rate == 48_000));
    let a = audio_frames(&frames);
    // 1024 samples at 48 kHz = 1920 ticks.
    assert_eq!(a.iter().map(|f| f.pts).collect::<Vec<_>>(), [90_000, 91_920, 93_840]);
    assert!(a.iter().all(|f| f.data.len() == 50 && f.duration == 1920));
}

#[test]
fn adts_frame_split_across_pes() {
    let data: Vec<u8> = (0..4).flat_map(|_| adts(100, 4, 2)).collect();
    // Cut inside the second frame's header, then inside the fourth frame's payload.
    for (cut1, cut2) in [(110, 400), (107, 428), (108, 300), (1, 2)] {
        let frames = parse_audio(&[
            (Some(1000), data[..cut1].to_vec()),
            (Some(5000), data[cut1..cut2].to_vec()),
            (Some(9000), data[cut2..].to_vec()),
        ]);
        let a = audio_frames(&frames);
        assert_eq!(a.len(), 4, "cuts {cut1} {cut2}");
        assert!(a.iter().all(|f| f.data == [0x21; 100]));
        // Each frame's PTS comes from the PES it starts in.
        let starts = [0, 107, 214, 321];
        let expected: Vec<i64> = starts
            .iter()
            .map(|&s| {
                let (pts, first) = if s < cut1 {
                    (1000, 0)
                } else if s < cut2 {
                    (5000, cut1)
                } else {
                    (9000, cut2)
                };
                let n = starts.iter().filter(|&&o| o >= first && o < s).count() as i64;
                pts + (n * 1024 * 90_000 + 22_050) / 44_100
            })
            .collect();
        assert_eq!(a.iter().map(|f| f.pts).collect::<Vec<_>>(), expected, "cuts {cut1} {cut2}");
    }
    // The frame started in the first PES keeps that PES's clock.
    let frames = parse_audio(&[(Some(1000), data[..150].to_vec()), (Some(5000), data[150..].to_vec())]);
    let a = audio_frames(&frames);
    assert_eq!(a.iter().map(|f| f.pts).collect::<Vec<_>>(), [1000, 1000 + 2090, 5000, 5000 + 2090]);
}

#[test]
fn adts_garbage_is_skipped() {
    let mut data = vec![0x00, 0xFF, 0x12];
    data.extend(adts(20, 4, 2));
    data.extend([0xFF, 0xFF, 0x00]);
    data.extend(adts(20, 4, 2));
    assert_eq!(audio_frames(&parse_audio(&[(Some(0), data)])).len(), 2);
}

// ---------------------------------------------------------------------------------
// The remuxer

#[test]
fn a_segment_with_garbage_between_packets_is_damaged_but_gives_what_it_can() {
    let ts = av_stream(900_000, 50, 25);
    let cut = (ts.len() / 2) / PACKET_LEN * PACKET_LEN;
    // A stray byte or two (a cut packet) is tolerated.
    let mut small = ts[..cut].to_vec();
    small.extend_from_slice(&[0x00, 0x12]);
    small.extend_from_slice(&ts[cut..]);
    let r = remux_all(&small);
    assert!(r.is_ok(), "{:?}", r.err());
    // Kilobytes of garbage lose the media there: an error, after what came before.
    let mut big = ts[..cut].to_vec();
    big.extend((0..4000u32).map(|i| (i * 7 + 3) as u8 & 0x3f));
    big.extend_from_slice(&ts[cut..]);
    let mut r = TsRemuxer::new();
    r.begin_segment(0, 0);
    r.push(&big).unwrap();
    let err = r.end_segment().unwrap_err();
    assert!(matches!(err.kind, ErrorKind::BadStream(m) if m.contains("damaged")), "{err}");
    assert!(!all_samples(&r.take_output(), 1).is_empty(), "the media before the damage");
}

#[test]
fn remuxes_a_synthetic_stream_in_any_chunking() {
    let ts = av_stream(900_000, 50, 25);
    let whole = remux_all(&ts).unwrap();
    assert_eq!(inits(&whole), ["video/mp4; codecs=\"avc1.64000c,mp4a.40.2\""]);
    let v = all_samples(&whole, 1);
    let a = all_samples(&whole, 2);
    assert_eq!(v.len(), 50);
    assert_eq!(v[0].dts, 0, "the first sample at 0");
    assert_eq!(v.iter().filter(|s| s.key).count(), 2);
    assert!(v.iter().all(|s| s.duration == 40));
    assert!(a.len() >= 86, "{} audio frames", a.len());
    for chunk in [1, 100, 188, 1000] {
        let mut r = TsRemuxer::new();
        r.begin_segment(0, 0);
        let mut outs = Vec::new();
        for c in ts.chunks(chunk) {
            r.push(c).unwrap();
            outs.extend(r.take_output());
        }
        r.end_segment().unwrap();
        outs.extend(r.take_output());
        assert_eq!(inits(&outs).len(), 1, "chunk {chunk}");
        assert_eq!(all_samples(&outs, 1), v, "chunk {chunk}");
        assert_eq!(all_samples(&outs, 2), a, "chunk {chunk}");
    }
}

#[test]
fn audio_only() {
    let mut ts = Ts::new();
    ts.psi(false, true);
    for i in 0..20 {
        ts.audio(90_000 + i * 2 * 2090, 2);
    }
    let outs = remux_all(&ts.bytes).unwrap();
    assert_eq!(inits(&outs), ["audio/mp4; codecs=\"mp4a.40.2\""]);
    let a = all_samples(&outs, 2);
    assert_eq!(a.len(), 40);
    assert_eq!(a.iter().map(|s| s.duration).sum::<u32>(), 929, "40 frames of 23.2 ms");
}

#[test]
fn pts_wrap_is_unwrapped() {
    assert_eq!(unwrap_timestamp(100, (1 << 33) - 100), (1 << 33) + 100);
    assert_eq!(unwrap_timestamp((1 << 33) - 100, 100), -100);
    assert_eq!(unwrap_timestamp(5, 7), 5);
    // 2 s of media starting 1 s before the wrap.
    let ts = av_stream((1 << 33) - 90_000, 50, 25);
    let outs = remux_all(&ts).unwrap();
    let v = all_samples(&outs, 1);
    assert_eq!(v.iter().map(|s| s.dts).collect::<Vec<_>>(), (0..50).map(|i| i * 40).collect::<Vec<_>>());
    let a = all_samples(&outs, 2);
    assert!(a.windows(2).all(|w| w[1].dts == w[0].dts + u64::from(w[0].duration)), "audio continuous");
    assert!(a.last().unwrap().dts > 1900);
}

/// Remuxes segments `(start_ms, discontinuity, bytes)` in order, in 500-byte chunks.
fn remux_segments(segments: &[(i64, u64, &[u8])]) -> Vec<Vec<Output>> {
    let mut r = TsRemuxer::new();
    remux_segments_with(&mut r, segments)
}

fn remux_segments_with(r: &mut TsRemuxer, segments: &[(i64, u64, &[u8])]) -> Vec<Vec<Output>> {
    segments
        .iter()
        .map(|&(start, d, bytes)| {
            r.begin_segment(start, d);
            for c in bytes.chunks(500) {
                r.push(c).unwrap();
            }
            r.end_segment().unwrap();
            r.take_output()
        })
        .collect()
}

fn first_dts(outs: &[Output], track: u32) -> u64 {
    all_samples(outs, track)[0].dts
}

#[test]
fn consecutive_segments_follow_on_by_their_timestamps() {
    // Two 1-second segments from 10 s; the playlist says the second starts at 1100 ms.
    let (a, b) = (av_stream(900_000, 25, 25), av_stream(990_000, 25, 25));
    let outs = remux_segments(&[(0, 0, &a), (1100, 0, &b)]);
    assert_eq!(first_dts(&outs[1], 1), 1000, "by the timestamps, not the playlist");
    assert_eq!(inits(&outs[1]).len(), 0, "no new init segment for the same configuration");
    let v0 = all_samples(&outs[0], 1);
    assert_eq!(v0.last().map(|s| s.dts + u64::from(s.duration)), Some(1000), "the last frame borrows the duration");
}

#[test]
fn a_discontinuity_starts_at_its_playlist_position() {
    let (a, b) = (av_stream(900_000, 25, 25), av_stream(50 * 90_000, 25, 25));
    let outs = remux_segments(&[(0, 0, &a), (1000, 1, &b)]);
    assert_eq!(first_dts(&outs[1], 1), 1000);
    // A seek back into range 0, then forward into range 1 again: the same places.
    let mut r = TsRemuxer::new();
    let again = remux_segments_with(&mut r, &[(0, 0, &a), (1000, 1, &b), (0, 0, &a), (1000, 1, &b)]);
    assert_eq!(all_samples(&again[2], 1), all_samples(&outs[0], 1));
    assert_eq!(all_samples(&again[3], 1), all_samples(&outs[1], 1));
}

#[test]
fn a_jump_without_the_tag_is_a_discontinuity() {
    // The second segment's timestamps are an hour later; same discontinuity number.
    let (a, b) = (av_stream(900_000, 25, 25), av_stream(900_000 + 3600 * 90_000, 25, 25));
    let outs = remux_segments(&[(0, 0, &a), (1000, 0, &b)]);
    assert_eq!(first_dts(&outs[1], 1), 1000);
    assert_eq!(first_dts(&outs[1], 2), 1000);
    // And back: the timestamps restart at 0 mid-range.
    let c = av_stream(0, 25, 25);
    let outs = remux_segments(&[(0, 0, &a), (1000, 0, &c)]);
    assert_eq!(first_dts(&outs[1], 1), 1000);
}

#[test]
fn a_seek_lands_on_the_ranges_mapping() {
    let segs: Vec<Vec<u8>> = (0..4).map(|i| av_stream(900_000 + i * 90_000, 25, 25)).collect();
    let list: Vec<(i64, u64, &[u8])> = segs.iter().enumerate().map(|(i, s)| (i as i64 * 1000, 0, &s[..])).collect();
    let sequential = remux_segments(&list);
    // Segment 0, then a seek to segment 3 announced 200 ms off (EXTINF rounding): it
    // lands where its timestamps say, as when played through.
    let mut r = TsRemuxer::new();
    let seek = remux_segments_with(&mut r, &[list[0], (3200, 0, list[3].2)]);
    assert_eq!(all_samples(&seek[1], 1), all_samples(&sequential[3], 1));
    // A fresh remuxer starting at segment 3 starts it at its playlist position.
    let fresh = remux_segments(&[(3200, 0, list[3].2)]);
    assert_eq!(first_dts(&fresh[0], 1), 3200);
    // A seek mid-segment: begin_segment drops what was not given out.
    let mut r = TsRemuxer::new();
    r.begin_segment(1000, 0);
    r.push(&list[1].2[..3000]).unwrap();
    r.take_output();
    let after = remux_segments_with(&mut r, &[list[2]]);
    assert_eq!(first_dts(&after[0], 1), 2000);
}

#[test]
fn a_new_sps_sends_a_new_init_segment() {
    let mut ts = Ts::new();
    ts.psi(true, false).video(9000, 9000, true, true).video(12600, 12600, false, true);
    let (sps, pps, idr) = (hex(SPS_640X360), hex(PPS_640X360), slice(true, true, 100));
    ts.data(VIDEO_PID, &pes(0xE0, Some(16200), None, &annex_b(&[&AUD, &sps, &pps, &idr]), false));
    ts.video(19800, 19800, false, true);
    let mut r = TsRemuxer::new();
    r.begin_segment(0, 0);
    let mut outs = Vec::new();
    for c in ts.bytes.chunks(188) {
        r.push(c).unwrap();
        outs.extend(r.take_output());
    }
    r.end_segment().unwrap();
    outs.extend(r.take_output());
    assert_eq!(inits(&outs), ["video/mp4; codecs=\"avc1.64000c\"", "video/mp4; codecs=\"avc1.4d401e\""]);
    // Before the second init: the first two frames; after it: the rest.
    let second = outs
        .iter()
        .position(|o| matches!(o, Output::Init { .. }) && inits(std::slice::from_ref(o))[0].contains("4d401e"))
        .unwrap();
    assert_eq!(all_samples(&outs[..second], 1).len(), 2);
    assert_eq!(all_samples(&outs[second..], 1).iter().map(|s| s.dts).collect::<Vec<_>>(), [80, 120]);
    let Output::Init { data, .. } = &outs[second] else { unreachable!() };
    assert!(data.windows(4).any(|w| w == b"avcC"));
}

#[test]
fn a_jump_inside_a_segment_continues_where_the_stream_was() {
    let mut ts = Ts::new();
    ts.psi(true, true).av(900_000, 25, 25).av(900_000 + 90_000 + 3600 * 90_000, 25, 25);
    let outs = remux_all(&ts.bytes).unwrap();
    for track in [1, 2] {
        let s = all_samples(&outs, track);
        assert_eq!(s.len(), if track == 1 { 50 } else { 88 });
        // Each sample follows the one before (the jump adds at most the time audio ran
        // ahead of video).
        for w in s.windows(2) {
            let gap = w[1].dts as i64 - (w[0].dts + u64::from(w[0].duration)) as i64;
            assert!(w[1].dts > w[0].dts && gap.abs() <= 50, "track {track}: {w:?}");
        }
        assert!((1960..2050).contains(&s.last().unwrap().dts), "track {track}: {:?}", s.last());
    }
}

#[test]
fn an_error_keeps_the_output_before_and_the_input_after_it() {
    // An unreadable SPS in the second access unit, then good ones.
    let mut ts = Ts::new();
    ts.psi(true, false).video(9000, 9000, true, true);
    let bad_sps = [0x67, 0x64, 0x00, 0x0c, 0xFF];
    let idr = slice(true, true, 100);
    ts.data(VIDEO_PID, &pes(0xE0, Some(12600), None, &annex_b(&[&AUD, &bad_sps, &hex(PPS), &idr]), false));
    for i in 0..5 {
        ts.video(16200 + i * 3600, 16200 + i * 3600, i == 0, true);
    }
    let mut r = TsRemuxer::new();
    r.begin_segment(0, 0);
    let e = r.push(&ts.bytes).unwrap_err();
    assert!(matches!(e.kind, ErrorKind::BadCodecConfig(_)), "{e}");
    assert!(e.offset > 0 && e.offset < ts.bytes.len() as u64);
    r.end_segment().unwrap();
    let v = all_samples(&r.take_output(), 1);
    // The frame with the bad SPS was decoded under the last good configuration; all
    // seven frames come out, the ones after the error too.
    assert_eq!(v.len(), 7);
}

#[test]
fn corrupt_input_never_panics() {
    let ts = av_stream(900_000, 30, 10);
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for round in 0..400 {
        let mut bad = ts.clone();
        for _ in 0..(1 + round % 16) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let i = (seed % bad.len() as u64) as usize;
            bad[i] ^= (seed >> 32) as u8 | 1;
        }
        if round % 5 == 0 {
            let cut = (seed % bad.len() as u64) as usize;
            bad.truncate(cut);
        }
        let _ = remux_all(&bad);
        let mut r = TsRemuxer::new();
        for (i, c) in bad.chunks(1 + (seed % 700) as usize).enumerate() {
            if i % 7 == 3 {
                r.begin_segment((seed >> 40) as i64 - 1000, seed % 3);
            }
            let _ = r.push(c);
        }
        let _ = r.end_segment();
    }
    // Extreme segment positions.
    let mut r = TsRemuxer::new();
    for start in [i64::MAX, i64::MIN, 0] {
        r.begin_segment(start, u64::MAX);
        r.push(&ts).unwrap();
        r.end_segment().unwrap();
    }
}
