//! The typed boxes built by hand (version 0 and 1, cut short), `probe_moov`, and what
//! this crate writes read back: an init segment field by field, and `to_mp4`'s file.

use super::*;
use crate::codec::{AacConfig, AvcConfig};
use crate::error::ErrorKind;
use crate::flv::testing::{self as flv, ASC_44100_STEREO, AVC_640X360, hex};

fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut v = ((8 + body.len()) as u32).to_be_bytes().to_vec();
    v.extend_from_slice(kind);
    v.extend_from_slice(body);
    v
}

/// The one box in `bytes`, as if found at `offset`.
fn one(bytes: &[u8], offset: u64) -> Mp4Box<'_> {
    let mut boxes = Boxes::new(bytes, offset);
    let b = boxes.next().unwrap().unwrap();
    assert!(boxes.next().is_none());
    b
}

/// Version, flags, then each field in turn: 4 or 8 bytes as given.
fn full(version: u8, flags: u32, fields: &[(u64, usize)]) -> Vec<u8> {
    let mut v = ((u32::from(version) << 24) | flags).to_be_bytes().to_vec();
    for &(value, len) in fields {
        v.extend_from_slice(&value.to_be_bytes()[8 - len..]);
    }
    v
}

fn mvhd(version: u8, timescale: u32, duration: u64) -> Vec<u8> {
    let t = if version == 1 { 8 } else { 4 };
    let mut body = full(version, 0, &[(1, t), (2, t), (u64::from(timescale), 4), (duration, t)]);
    body.resize(body.len() + 80, 0); // rate, volume, matrix, …, next track id
    bx(b"mvhd", &body)
}

fn tkhd(version: u8, id: u32, duration: u64, width: u32, height: u32) -> Vec<u8> {
    let t = if version == 1 { 8 } else { 4 };
    let mut body = full(version, 3, &[(1, t), (2, t), (u64::from(id), 4), (0, 4), (duration, t), (0, 8), (0, 8)]);
    body.resize(body.len() + 36, 0x11); // matrix
    // 16.16 fixed point, with a fraction that must be dropped.
    body.extend_from_slice(&((width << 16) | 0x8000).to_be_bytes());
    body.extend_from_slice(&((height << 16) | 0x4000).to_be_bytes());
    bx(b"tkhd", &body)
}

fn mdhd(version: u8, timescale: u32, duration: u64, language: u16) -> Vec<u8> {
    let t = if version == 1 { 8 } else { 4 };
    let fields = [(1, t), (2, t), (u64::from(timescale), 4), (duration, t), (u64::from(language), 2), (0, 2)];
    bx(b"mdhd", &full(version, 0, &fields))
}

fn hdlr(handler: &[u8; 4]) -> Vec<u8> {
    let mut body = full(0, 0, &[(0, 4)]);
    body.extend_from_slice(handler);
    body.extend_from_slice(&[0; 12]);
    body.extend_from_slice(b"a name\0");
    bx(b"hdlr", &body)
}

fn trak(tkhd: Vec<u8>, mdhd: Vec<u8>, handler: &[u8; 4]) -> Vec<u8> {
    bx(b"trak", &[tkhd, bx(b"mdia", &[mdhd, hdlr(handler), bx(b"minf", &[])].concat())].concat())
}

#[test]
fn typed_boxes_version_0_and_1() {
    for v in [0, 1] {
        let m = Mvhd::parse(&one(&mvhd(v, 600, 1234), 0)).unwrap();
        assert_eq!(m, Mvhd { version: v, timescale: 600, duration: 1234 });
        assert_eq!(m.duration_ms(), Some(2056));
        let t = Tkhd::parse(&one(&tkhd(v, 7, 99, 1280, 720), 0)).unwrap();
        assert_eq!(t, Tkhd { version: v, flags: 3, track_id: 7, duration: 99, width: 1280, height: 720 });
        let d = Mdhd::parse(&one(&mdhd(v, 48000, 96000, 0x55c4), 0)).unwrap();
        assert_eq!(d, Mdhd { version: v, timescale: 48000, duration: 96000, language: *b"und" });
    }
    // 64-bit durations survive version 1 (and the millisecond sum does not overflow).
    let m = Mvhd::parse(&one(&mvhd(1, 1000, 1 << 40), 0)).unwrap();
    assert_eq!((m.duration, m.duration_ms()), (1 << 40, Some(1 << 40)));
    assert_eq!(Mvhd::parse(&one(&mvhd(1, 1, u64::MAX), 0)).unwrap().duration_ms(), Some(u64::MAX), "saturates");
    assert_eq!(Mvhd { version: 0, timescale: 0, duration: 5 }.duration_ms(), None);
    assert_eq!(Hdlr::parse(&one(&hdlr(b"soun"), 0)).unwrap().handler_type, Hdlr::AUDIO);
}

#[test]
fn boxes_cut_short_are_errors_at_their_offset() {
    // A v1 tkhd cut just before its height: the error is where the height should be.
    let mut t = tkhd(1, 1, 0, 640, 360);
    t.truncate(t.len() - 4);
    let n = t.len() as u32;
    t[..4].copy_from_slice(&n.to_be_bytes());
    let e = Tkhd::parse(&one(&t, 100)).unwrap_err();
    assert_eq!((e.offset, e.kind), (100 + 8 + 92, ErrorKind::BadBox("tkhd shorter than its fields")));
    // An mvhd too short for a v1 duration, but long enough for a v0 one.
    let mut m = mvhd(0, 1000, 5);
    m[8] = 1;
    m.truncate(8 + 4 + 16 + 4 + 4);
    let n = m.len() as u32;
    m[..4].copy_from_slice(&n.to_be_bytes());
    assert_eq!(Mvhd::parse(&one(&m, 0)).unwrap_err().offset, 8 + 4 + 20);
    // No version and flags at all; an unknown version.
    assert_eq!(Mdhd::parse(&one(&bx(b"mdhd", &[0, 0]), 0)).unwrap_err().offset, 8);
    let mut d = mdhd(0, 1, 1, 0);
    d[8] = 2;
    assert_eq!(Mdhd::parse(&one(&d, 0)).unwrap_err().kind, ErrorKind::BadBox("box version other than 0 and 1"));
}

#[test]
fn probe_moov_finds_duration_and_the_first_video_track() {
    let audio = trak(tkhd(0, 1, 5000, 0, 0), mdhd(0, 44100, 220500, 0x15c7), b"soun");
    let video = trak(tkhd(1, 2, 5000, 320, 240), mdhd(1, 90000, 450000, 0x55c4), b"vide");
    let second = trak(tkhd(0, 3, 5000, 1920, 1080), mdhd(0, 90000, 450000, 0x55c4), b"vide");
    let moov = [mvhd(0, 1000, 5000), audio, bx(b"udta", b"meta"), video, second].concat();
    let f = probe_moov(&moov).unwrap();
    assert_eq!((f.duration_ms, f.width, f.height), (5000, 320, 240));
    let t: Vec<_> = f.tracks.iter().map(|t| (t.track_id, t.handler.to_string(), t.timescale, t.duration)).collect();
    assert_eq!(
        t,
        [(1, "soun".into(), 44100, 220500), (2, "vide".into(), 90000, 450000), (3, "vide".into(), 90000, 450000)]
    );

    // No duration: the message the server shows.
    let e = probe_moov(&mvhd(1, 1000, 0)).unwrap_err();
    assert_eq!((e.kind.to_string(), e.offset), ("the MP4 has no duration".into(), 0));
    assert_eq!(probe_moov(&mvhd(0, 0, 100)).unwrap_err().kind, ErrorKind::NoDuration);
    assert_eq!(probe_moov(&[]).unwrap_err().kind, ErrorKind::BadBox("moov without mvhd"));
    // Audio only: no picture.
    let a = probe_moov(&[mvhd(0, 1000, 10), trak(tkhd(0, 1, 10, 0, 0), mdhd(0, 1, 1, 0), b"soun")].concat());
    assert_eq!((a.as_ref().map(|f| (f.width, f.height, f.tracks.len()))), Ok((0, 0, 1)));
    // A trak child running past the trak: an error at that child, never a panic.
    let mut bad = [mvhd(0, 1000, 10), trak(tkhd(0, 1, 10, 0, 0), mdhd(0, 1, 1, 0), b"soun")].concat();
    let tkhd_at = mvhd(0, 1000, 10).len() + 8;
    bad[tkhd_at..tkhd_at + 4].copy_from_slice(&0xffffu32.to_be_bytes());
    assert_eq!(probe_moov(&bad).unwrap_err().offset, tkhd_at as u64);
    for cut in 0..bad.len() {
        let _ = probe_moov(&bad[..cut]);
    }
}

/// An avc1 or mp4a sample entry's fixed fields before its child boxes.
const AVC1_FIELDS: usize = 78;
const MP4A_FIELDS: usize = 28;

/// The DecoderSpecificInfo (tag 5) in an `esds`: the AudioSpecificConfig.
fn esds_asc(body: &[u8]) -> &[u8] {
    let mut i = 4; // version and flags
    loop {
        let tag = body[i];
        let (mut len, mut j) = (0usize, i + 1);
        loop {
            len = (len << 7) | usize::from(body[j] & 0x7f);
            j += 1;
            if body[j - 1] & 0x80 == 0 {
                break;
            }
        }
        match tag {
            5 => return &body[j..j + len],
            3 => i = j + 3, // ES_ID, flags
            4 => i = j + 13,
            _ => panic!("unexpected descriptor {tag}"),
        }
    }
}

#[test]
fn init_segment_reads_back_field_by_field() {
    let avc = AvcConfig::parse(&hex(AVC_640X360)).unwrap();
    let aac = AacConfig::parse(&ASC_44100_STEREO).unwrap();
    let video = Track { id: 1, config: TrackConfig::Video(avc.clone()) };
    let audio = Track { id: 2, config: TrackConfig::Audio(aac.clone()) };
    let init = init_segment(&[&video, &audio]);

    let top: Vec<Mp4Box> = Boxes::new(&init, 0).collect::<crate::Result<_>>().unwrap();
    assert_eq!(top.iter().map(|b| b.kind.to_string()).collect::<Vec<_>>(), ["ftyp", "moov"]);
    assert_eq!(&top[0].body[..4], b"isom");
    assert!(top[0].body.chunks(4).any(|b| b == b"iso6"), "a fragmented brand");
    let moov = top[1];
    let mvhd = Mvhd::parse(&moov.require(b"mvhd", "mvhd").unwrap()).unwrap();
    assert_eq!((mvhd.timescale, mvhd.duration), (TIMESCALE, 0));
    assert_eq!(probe_moov(moov.body).unwrap_err().kind, ErrorKind::NoDuration, "no duration in an init segment");

    let traks: Vec<Mp4Box> = moov.children().map(Result::unwrap).filter(|b| b.kind == b"trak").collect();
    assert_eq!(traks.len(), 2);
    for (trak, track) in traks.iter().zip([&video, &audio]) {
        let facts = probe::probe_trak(trak).unwrap();
        let (handler, size) = match &track.config {
            TrackConfig::Video(c) => (Hdlr::VIDEO, (c.width, c.height)),
            TrackConfig::Audio(_) => (Hdlr::AUDIO, (0, 0)),
        };
        assert_eq!((facts.track_id, facts.handler, facts.timescale), (track.id, handler, TIMESCALE));
        assert_eq!((facts.width, facts.height), size);
        let stsd = trak.require(b"mdia", "").and_then(|m| m.require(b"minf", "")).unwrap();
        let stsd = stsd.require(b"stbl", "").and_then(|s| s.require(b"stsd", "")).unwrap();
        let (_, _, entries) = stsd.full().unwrap();
        assert_eq!(&entries[..4], &1u32.to_be_bytes(), "one sample entry");
        let entry = one(&entries[4..], 0);
        match &track.config {
            TrackConfig::Video(c) => {
                assert_eq!(entry.kind, b"avc1");
                let fields = &entry.body[..AVC1_FIELDS];
                assert_eq!((&fields[24..26], &fields[26..28]), (&640u16.to_be_bytes()[..], &360u16.to_be_bytes()[..]));
                let avcc = one(&entry.body[AVC1_FIELDS..], 0);
                assert_eq!((avcc.kind, avcc.body), (FourCC(*b"avcC"), &c.record[..]));
            }
            TrackConfig::Audio(c) => {
                assert_eq!(entry.kind, b"mp4a");
                let fields = &entry.body[..MP4A_FIELDS];
                assert_eq!(u16::from_be_bytes([fields[16], fields[17]]), u16::from(c.channels));
                assert_eq!(u32::from_be_bytes(fields[24..28].try_into().unwrap()) >> 16, c.sample_rate);
                let esds = one(&entry.body[MP4A_FIELDS..], 0);
                assert_eq!((esds.kind, esds_asc(esds.body)), (FourCC(*b"esds"), &c.asc[..]));
            }
        }
    }

    let mvex = moov.require(b"mvex", "mvex").unwrap();
    let trex: Vec<(u32, u32)> = mvex
        .children()
        .map(|b| {
            let (_, _, f) = b.unwrap().full().unwrap();
            (u32::from_be_bytes(f[..4].try_into().unwrap()), u32::from_be_bytes(f[4..8].try_into().unwrap()))
        })
        .collect();
    assert_eq!(trex, [(1, 1), (2, 1)], "track id, sample description index");
}

/// The top-level boxes of a file as the server walks them: 16 bytes at each offset.
pub(crate) fn find_moov(file: &[u8]) -> Mp4Box<'_> {
    let mut at = 0u64;
    loop {
        let head = &file[at as usize..file.len().min(at as usize + BoxHeader::MAX_LEN)];
        let h = BoxHeader::parse(head, at).unwrap().expect("a whole header");
        let size = h.size_within(file.len() as u64 - at, at).unwrap();
        if h.kind == b"moov" {
            let body = &file[(at + h.header_len) as usize..(at + size) as usize];
            return Mp4Box { kind: h.kind, offset: at, header_len: h.header_len, body };
        }
        at += size;
    }
}

#[test]
fn to_mp4_reads_back_through_probe_moov() {
    let mut tags = vec![flv::avc_sequence_header(0, &hex(AVC_640X360)), flv::aac_sequence_header(0, &ASC_44100_STEREO)];
    for i in 0..50 {
        tags.push(flv::avc_frame(i * 40, i % 25 == 0, 0, 300));
    }
    for k in 0..87u32 {
        tags.push(flv::aac_frame((u64::from(k) * 1_024_000 / 44_100) as u32, 100));
    }
    let mp4 = crate::to_mp4(&flv::file(true, true, &tags)).unwrap();
    let f = probe_moov(find_moov(&mp4).body).unwrap();
    assert_eq!((f.width, f.height), (640, 360));
    let t: Vec<_> = f.tracks.iter().map(|t| (t.track_id, t.handler, t.timescale)).collect();
    assert_eq!(t, [(1, Hdlr::VIDEO, 1000), (2, Hdlr::AUDIO, 1000)]);
    assert_eq!(f.tracks[0].duration, 2000, "50 frames of 40 ms");
    assert_eq!(f.duration_ms, f.tracks.iter().map(|t| t.duration).max().unwrap(), "the longest track");
    assert!((2000..2050).contains(&f.duration_ms), "{}", f.duration_ms);
}
