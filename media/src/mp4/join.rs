//! A broadcast's parts as one fragmented MP4. Each part has its own remuxer (FLV, MP4 or
//! HLS, placed on the broadcast's timeline: `Remuxer::set_place`,
//! `Mp4Remuxer::set_time_offset`, `TsRemuxer::begin_segment`); each remuxer gives its
//! own init segment and numbers its media segments from 1. [`Joiner`] turns those
//! outputs, part after part, into the bytes of one file: one init segment, and every
//! `moof`'s `mfhd` sequence number counting on across parts (ISO 14496-12 §8.8.5: they
//! must increase in file order).
//!
//! - [`renumber`]: a media segment's `mfhd` sequence number set, in place.
//! - [`with_duration`]: an init segment that says the whole file's duration (`mvhd`, and
//!   `mehd` in `mvex`), so a reader knows it before reading every fragment.
//! - [`same_configuration`]: whether two init segments configure decoders alike (the
//!   same SPS/PPS and AAC configuration, whatever bytes only repeat them).
//! - [`describe`]: what an init segment's tracks are (codec, picture size, sample rate),
//!   for an error saying how two parts differ.
//! - [`Joiner`]: outputs in, bytes to write out. All three remuxers use the same track
//!   ids (video 1, audio 2) and timescale (1 ms), so fragments of any part fit the first
//!   part's init segment as long as their codec configurations are the same; a later
//!   init segment configured otherwise is refused ([`CONFIG_CHANGED`]): one file has one
//!   sample description per track.

use super::init::entry_config;
use super::probe::Tkhd;
use super::read::{Boxes, Mp4Box};
use super::write::Writer;
use super::{TIMESCALE, TrackConfig};
use crate::error::{Error, ErrorKind, Result};
use crate::remux::Output;

/// The error of a part whose init segment differs from the first part's.
pub const CONFIG_CHANGED: &str = "the codec configuration changes (one file holds one per track)";

/// Sets the `mfhd` sequence number of a media segment (`moof` first, as the remuxers
/// write them). Nothing else changes.
pub fn renumber(segment: &mut [u8], sequence: u32) -> Result<()> {
    let at = mfhd_field(segment)?;
    segment[at..at + 4].copy_from_slice(&sequence.to_be_bytes());
    Ok(())
}

/// The `mfhd` sequence number of a media segment.
pub fn sequence_number(segment: &[u8]) -> Result<u32> {
    let at = mfhd_field(segment)?;
    Ok(u32::from_be_bytes([segment[at], segment[at + 1], segment[at + 2], segment[at + 3]]))
}

/// Where the sequence number of the segment's `mfhd` is.
fn mfhd_field(segment: &[u8]) -> Result<usize> {
    let moof = Boxes::new(segment, 0)
        .next()
        .transpose()?
        .filter(|b| b.kind == b"moof")
        .ok_or(Error::new(0, ErrorKind::BadBox("a media segment that does not start with moof")))?;
    let mfhd = moof.require(b"mfhd", "moof without mfhd")?;
    let (_, _, fields) = mfhd.full()?;
    if fields.len() < 4 {
        return Err(Error::new(mfhd.offset, ErrorKind::BadBox("mfhd shorter than its fields")));
    }
    // The body offset is within `segment`, a slice: it fits a usize.
    Ok(mfhd.body_offset() as usize + 4)
}

/// An init segment (`ftyp` + `moov` with `mvex`) saying the presentation lasts
/// `duration_ms`: `mvhd`'s duration set (in its timescale) and a `mehd` (version 1) first
/// in `mvex`, replacing any. Other boxes are copied as they are.
pub fn with_duration(init: &[u8], duration_ms: u64) -> Result<Vec<u8>> {
    let raw = |b: &Mp4Box<'_>| -> &[u8] {
        let start = b.offset as usize;
        &init[start..start + b.header_len as usize + b.body.len()]
    };
    let mut w = Writer::with_capacity(init.len() + 24);
    let mut moov_seen = false;
    for b in Boxes::new(init, 0) {
        let b = b?;
        if b.kind != b"moov" {
            w.bytes(raw(&b));
            continue;
        }
        moov_seen = true;
        let mut timescale = TIMESCALE;
        let mut mvex_seen = false;
        w.begin(b"moov");
        for c in b.children() {
            let c = c?;
            match c.kind.as_bytes() {
                b"mvhd" => {
                    let (version, _, fields) = c.full()?;
                    // creation, modification, timescale, duration: 4 or 8 bytes but the timescale.
                    let (at, len) = if version == 1 { (16, 8) } else { (8, 4) };
                    let short = || Error::new(c.offset, ErrorKind::BadBox("mvhd shorter than its fields"));
                    let ts = fields.get(at..at + 4).ok_or_else(short)?;
                    timescale = u32::from_be_bytes([ts[0], ts[1], ts[2], ts[3]]);
                    fields.get(at + 4..at + 4 + len).ok_or_else(short)?;
                    let mut bytes = raw(&c).to_vec();
                    let field = (c.header_len + 4) as usize + at + 4;
                    let ticks = duration_in(duration_ms, timescale);
                    if len == 8 {
                        bytes[field..field + 8].copy_from_slice(&ticks.to_be_bytes());
                    } else {
                        let ticks = u32::try_from(ticks).unwrap_or(u32::MAX);
                        bytes[field..field + 4].copy_from_slice(&ticks.to_be_bytes());
                    }
                    w.bytes(&bytes);
                }
                b"mvex" => {
                    mvex_seen = true;
                    w.begin(b"mvex");
                    w.begin_full(b"mehd", 1, 0);
                    w.u64(duration_in(duration_ms, timescale));
                    w.end();
                    for e in c.children() {
                        let e = e?;
                        if e.kind != b"mehd" {
                            w.bytes(raw(&e));
                        }
                    }
                    w.end();
                }
                _ => w.bytes(raw(&c)),
            }
        }
        if !mvex_seen {
            return Err(Error::new(b.offset, ErrorKind::BadBox("an init segment without mvex")));
        }
        w.end();
    }
    if !moov_seen {
        return Err(Error::new(0, ErrorKind::BadBox("an init segment without moov")));
    }
    Ok(w.buf)
}

/// Milliseconds in `timescale` ticks (saturating).
fn duration_in(ms: u64, timescale: u32) -> u64 {
    u64::try_from(u128::from(ms) * u128::from(timescale) / 1000).unwrap_or(u64::MAX)
}

/// What an init segment's tracks are, in order: `H.264 avc1.64000c 320x180`,
/// `AAC mp4a.40.2 44100 Hz 2 ch`, joined by `, `.
pub fn describe(init: &[u8]) -> Result<String> {
    let tracks: Vec<String> = tracks(init)?
        .into_iter()
        .map(|(_, config)| match config {
            Ok(TrackConfig::Video(c)) => format!("H.264 {} {}x{}", c.codec_string(), c.width, c.height),
            Ok(TrackConfig::Audio(c)) => format!("AAC {} {} Hz {} ch", c.codec_string(), c.sample_rate, c.channels),
            Err(entry) => format!("'{entry}'"),
        })
        .collect();
    Ok(tracks.join(", "))
}

/// Whether two init segments configure decoders alike, so that the media segments made
/// under one play under the other: the same track ids, and per track the same H.264
/// parameter sets (SPS and PPS NAL units, and NAL length size) or the same AAC
/// AudioSpecificConfig. Bytes that only repeat these may differ: an `avcC`'s High
/// profile extension (chroma format and bit depths, which the SPS says; ffmpeg writes
/// it, an `avcC` made from a TS stream's SPS and PPS has none), an AudioSpecificConfig's
/// explicit "no SBR" extension (ffmpeg's AAC encoder writes one; ADTS has none), the
/// picture size in `tkhd` and the sample entry (the SPS's).
pub fn same_configuration(a: &[u8], b: &[u8]) -> Result<bool> {
    if a == b {
        return Ok(true);
    }
    let (a, b) = (tracks(a)?, tracks(b)?);
    Ok(a.len() == b.len()
        && a.iter().zip(&b).all(|((id_a, a), (id_b, b))| {
            id_a == id_b
                && match (a, b) {
                    (Ok(TrackConfig::Video(a)), Ok(TrackConfig::Video(b))) => {
                        a.record == b.record
                            || parameter_sets(&a.record).is_some_and(|p| Some(p) == parameter_sets(&b.record))
                    }
                    (Ok(TrackConfig::Audio(a)), Ok(TrackConfig::Audio(b))) => core_asc(&a.asc) == core_asc(&b.asc),
                    _ => false,
                }
        }))
}

/// Each track of an init segment: its id, and its configuration (or the type of a sample
/// entry that is not H.264 or AAC).
fn tracks(init: &[u8]) -> Result<Vec<(u32, std::result::Result<TrackConfig, super::FourCC>)>> {
    let moov = Boxes::new(init, 0)
        .find(|b| b.as_ref().map_or(true, |b| b.kind == b"moov"))
        .transpose()?
        .ok_or(Error::new(0, ErrorKind::BadBox("an init segment without moov")))?;
    let mut tracks = Vec::new();
    for trak in moov.children() {
        let trak = trak?;
        if trak.kind != b"trak" {
            continue;
        }
        let id = Tkhd::parse(&trak.require(b"tkhd", "trak without tkhd")?)?.track_id;
        let stbl = trak.require(b"mdia", "trak without mdia")?.require(b"minf", "mdia without minf")?;
        let stsd = stbl.require(b"stbl", "minf without stbl")?.require(b"stsd", "stbl without stsd")?;
        let (_, _, fields) = stsd.full()?;
        let entries = fields.get(4..).ok_or(Error::new(stsd.offset, ErrorKind::BadBox("stsd cut short")))?;
        let Some(entry) = Boxes::new(entries, stsd.body_offset() + 8).next().transpose()? else { continue };
        tracks.push((id, entry_config(&entry)?.ok_or(entry.kind)));
    }
    Ok(tracks)
}

/// The NAL length size and the SPS and PPS NAL units of an `AVCDecoderConfigurationRecord`.
type ParameterSets<'a> = (u8, Vec<&'a [u8]>, Vec<&'a [u8]>);

/// The NAL length size and the SPS and PPS NAL units of an `AVCDecoderConfigurationRecord`
/// (ISO 14496-15 §5.3.3.1), without what may follow them.
fn parameter_sets(record: &[u8]) -> Option<ParameterSets<'_>> {
    let length_size = record.get(4)? & 3;
    let mut rest = record.get(5..)?;
    let sps_count = usize::from(rest.first()? & 0x1f);
    rest = &rest[1..];
    let sps = nal_units(sps_count, &mut rest)?;
    let pps_count = usize::from(*rest.first()?);
    rest = &rest[1..];
    let pps = nal_units(pps_count, &mut rest)?;
    Some((length_size, sps, pps))
}

/// `count` NAL units, each after its 16-bit length; moves `rest` past them.
fn nal_units<'a>(count: usize, rest: &mut &'a [u8]) -> Option<Vec<&'a [u8]>> {
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let len = usize::from(u16::from_be_bytes([*rest.first()?, *rest.get(1)?]));
        out.push(rest.get(2..2 + len)?);
        *rest = &rest[2 + len..];
    }
    Some(out)
}

/// An AAC-LC AudioSpecificConfig without a trailing sync extension that says "no SBR"
/// (`0x2b7`, object type 5, `sbrPresentFlag` 0: ISO 14496-3 §1.6.5): it decodes the same
/// as the two bytes before it.
fn core_asc(asc: &[u8]) -> &[u8] {
    match asc {
        [a, _, 0x56, 0xe5, flag] if a >> 3 == 2 && flag & 0x80 == 0 => &asc[..2],
        _ => asc,
    }
}

/// Joins the outputs of several remuxers, one after another, into one fragmented MP4.
///
/// ```text
/// let mut j = Joiner::new(Some(total_ms));
/// for part in parts {                         // in timeline order
///     let mut r = /* the part's remuxer, placed at max(part offset, j.end_ms()) */;
///     for out in /* r's outputs as it reads the part */ {
///         if let Some(bytes) = j.push(out)? { write(bytes) }
///     }
/// }
/// ```
#[derive(Debug, Default)]
pub struct Joiner {
    duration_ms: Option<u64>,
    /// The first init segment, as its remuxer made it.
    init: Option<Vec<u8>>,
    sequence: u32,
    end_ms: Option<i64>,
}

impl Joiner {
    /// A joiner whose init segment says `duration_ms` (see [`with_duration`]), or, with
    /// `None`, is the first part's as it is.
    pub fn new(duration_ms: Option<u64>) -> Joiner {
        Joiner { duration_ms, ..Joiner::default() }
    }

    /// The bytes to write for one output, if any: the first [`Output::Init`] (with the
    /// duration); nothing for a later one equal to it (each part's remuxer starts with
    /// one) that configures decoders as the first does ([`same_configuration`]); a
    /// [`Output::Media`] with its `mfhd` numbered on from the last; nothing for
    /// [`Output::Metadata`]. An error for a later init segment configured otherwise
    /// ([`CONFIG_CHANGED`]), and for media before any init segment.
    pub fn push(&mut self, output: Output) -> Result<Option<Vec<u8>>> {
        match output {
            Output::Init { data, .. } => match &self.init {
                None => {
                    let bytes = match self.duration_ms {
                        Some(ms) => with_duration(&data, ms)?,
                        None => data.clone(),
                    };
                    self.init = Some(data);
                    Ok(Some(bytes))
                }
                Some(first) if same_configuration(first, &data)? => Ok(None),
                Some(_) => Err(Error::new(0, ErrorKind::BadStream(CONFIG_CHANGED))),
            },
            Output::Media { mut data, end_ms, .. } => {
                if self.init.is_none() {
                    return Err(Error::new(0, ErrorKind::BadStream("media before an init segment")));
                }
                let sequence =
                    self.sequence.checked_add(1).ok_or(Error::new(0, ErrorKind::BadStream("too many fragments")))?;
                renumber(&mut data, sequence)?;
                self.sequence = sequence;
                self.end_ms = Some(self.end_ms.map_or(end_ms, |e| e.max(end_ms)));
                Ok(Some(data))
            }
            Output::Metadata(_) => Ok(None),
        }
    }

    /// Where the media written so far ends on the output timeline (ms): the next part
    /// placed at or after it cannot overlap it.
    pub fn end_ms(&self) -> Option<i64> {
        self.end_ms
    }

    /// Media segments written so far.
    pub fn fragments(&self) -> u32 {
        self.sequence
    }

    /// The first init segment (as its remuxer made it), once one was pushed.
    pub fn init(&self) -> Option<&[u8]> {
        self.init.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flv::testing::{self as flv, ASC_44100_STEREO, AVC_320X180, AVC_640X360, hex};
    use crate::mp4::testing::samples;
    use crate::mp4::{Mvhd, init_mime};
    use crate::remux::Remuxer;

    /// A synthetic FLV of `seconds` of 25 fps video (a keyframe a second) and 44.1 kHz
    /// AAC, with the given AVC configuration.
    fn flv_file(seconds: u32, avc: &str) -> Vec<u8> {
        let mut tags = vec![flv::avc_sequence_header(0, &hex(avc)), flv::aac_sequence_header(0, &ASC_44100_STEREO)];
        let mut frames: Vec<(u32, Vec<u8>)> = Vec::new();
        for i in 0..seconds * 25 {
            frames.push((i * 40, flv::avc_frame(i * 40, i % 25 == 0, 0, 300)));
        }
        for k in 0..(u64::from(seconds) * 44_100 / 1024) as u32 {
            let ts = (u64::from(k) * 1_024_000 / 44_100) as u32;
            frames.push((ts, flv::aac_frame(ts, 20)));
        }
        frames.sort_by_key(|(ts, _)| *ts);
        tags.extend(frames.into_iter().map(|(_, t)| t));
        flv::file(true, true, &tags)
    }

    /// A part's outputs: its FLV remuxed in 4 KiB chunks, placed at `place_ms`.
    fn part(file: &[u8], place_ms: i64) -> Vec<Output> {
        let mut r = Remuxer::new();
        r.set_place(place_ms);
        let mut outs = Vec::new();
        for chunk in file.chunks(4096) {
            r.push(chunk).unwrap();
            outs.extend(r.take_output());
        }
        r.finish().unwrap();
        outs.extend(r.take_output());
        outs
    }

    fn media_segment(outs: &[Output]) -> Vec<u8> {
        outs.iter()
            .find_map(|o| match o {
                Output::Media { data, .. } => Some(data.clone()),
                _ => None,
            })
            .unwrap()
    }

    #[test]
    fn renumber_sets_only_the_sequence_number() {
        let outs = part(&flv_file(2, AVC_320X180), 0);
        let segment = media_segment(&outs);
        assert_eq!(sequence_number(&segment).unwrap(), 1);
        let mut renumbered = segment.clone();
        renumber(&mut renumbered, 0xdead_beef).unwrap();
        assert_eq!(sequence_number(&renumbered).unwrap(), 0xdead_beef);
        let differ: Vec<usize> = (0..segment.len()).filter(|&i| segment[i] != renumbered[i]).collect();
        assert!(!differ.is_empty() && differ.len() <= 4 && differ[differ.len() - 1] - differ[0] < 4, "{differ:?}");
        // moof (8) + mfhd header (8) + version/flags (4): the field is at byte 20.
        assert!(differ.iter().all(|&i| (20..24).contains(&i)), "{differ:?}");
        assert_eq!(samples(&renumbered), samples(&segment));
    }

    #[test]
    fn renumber_refuses_what_is_not_a_media_segment() {
        let outs = part(&flv_file(1, AVC_320X180), 0);
        let Some(Output::Init { data: mut init, .. }) = outs.into_iter().next() else { panic!("init first") };
        assert!(renumber(&mut init, 2).is_err());
        assert!(renumber(&mut [], 2).is_err());
        // A moof without mfhd, and one whose mfhd is cut short.
        let mut bare = [0, 0, 0, 8, b'm', b'o', b'o', b'f'];
        assert!(renumber(&mut bare, 2).is_err());
        let mut short = [0, 0, 0, 20, b'm', b'o', b'o', b'f', 0, 0, 0, 12, b'm', b'f', b'h', b'd', 0, 0, 0, 0];
        assert!(renumber(&mut short, 2).is_err());
        let mut cut = media_segment(&part(&flv_file(1, AVC_320X180), 0));
        cut.truncate(12);
        assert!(renumber(&mut cut, 2).is_err());
    }

    #[test]
    fn with_duration_sets_mvhd_and_mehd_and_keeps_the_rest() {
        let outs = part(&flv_file(1, AVC_320X180), 0);
        let Some(Output::Init { data: init, mime }) = outs.into_iter().next() else { panic!("init first") };
        let long = with_duration(&init, 12_345).unwrap();
        assert_eq!(init_mime(&long).unwrap(), mime);
        let moov = Boxes::new(&long, 0).map(Result::unwrap).find(|b| b.kind == b"moov").unwrap();
        let mvhd = Mvhd::parse(&moov.require(b"mvhd", "mvhd").unwrap()).unwrap();
        assert_eq!((mvhd.timescale, mvhd.duration), (1000, 12_345));
        let mvex = moov.require(b"mvex", "mvex").unwrap();
        let kinds: Vec<String> = mvex.children().map(|b| b.unwrap().kind.to_string()).collect();
        assert_eq!(kinds, ["mehd", "trex", "trex"]);
        let (version, _, fields) = mvex.require(b"mehd", "mehd").unwrap().full().unwrap();
        assert_eq!((version, u64::from_be_bytes(fields[..8].try_into().unwrap())), (1, 12_345));
        // Done twice, the mehd is replaced, not added.
        let again = with_duration(&long, 500).unwrap();
        assert_eq!(again.len(), long.len());
        // The same bytes as the input but for mvhd's duration, mehd and the sizes.
        assert_eq!(long.len(), init.len() + 20);
        assert_eq!(&long[..4 + 4], &init[..8], "ftyp unchanged");
        assert!(with_duration(&long[..long.len() - 1], 1).is_err());
        assert!(with_duration(b"", 1).is_err());
    }

    #[test]
    fn joined_parts_have_one_init_and_increasing_sequence_numbers() {
        let a = flv_file(3, AVC_320X180);
        let mut j = Joiner::new(Some(6_000));
        let mut written: Vec<Vec<u8>> = Vec::new();
        for out in part(&a, 0) {
            written.extend(j.push(out).unwrap());
        }
        let first_end = j.end_ms().unwrap();
        assert!((2_990..=3_030).contains(&first_end), "{first_end}");
        let place = first_end.max(3_000);
        for out in part(&a, place) {
            written.extend(j.push(out).unwrap());
        }
        let inits = written.iter().filter(|b| &b[4..8] == b"ftyp").count();
        assert_eq!(inits, 1);
        assert_eq!(&written[0][4..8], b"ftyp");
        let numbers: Vec<u32> = written[1..].iter().map(|s| sequence_number(s).unwrap()).collect();
        assert_eq!(numbers, (1..=numbers.len() as u32).collect::<Vec<_>>());
        assert_eq!(j.fragments() as usize, numbers.len());
        // Each track's decode times only go forward, across the parts too.
        let mut last = [None::<u64>; 3];
        let mut count = 0;
        for s in written[1..].iter().flat_map(|seg| samples(seg)) {
            let prev = &mut last[s.track as usize];
            assert!(prev.is_none_or(|p| s.dts > p), "track {} goes back at {}", s.track, s.dts);
            *prev = Some(s.dts);
            count += 1;
        }
        let per_part: usize = part(&a, 0)
            .iter()
            .map(|o| match o {
                Output::Media { data, .. } => samples(data).len(),
                _ => 0,
            })
            .sum();
        assert_eq!(count, 2 * per_part);
        assert!(last[1].unwrap() >= place as u64);
        // The init says the whole duration.
        let moov = Boxes::new(&written[0], 0).map(Result::unwrap).find(|b| b.kind == b"moov").unwrap();
        assert_eq!(Mvhd::parse(&moov.require(b"mvhd", "mvhd").unwrap()).unwrap().duration, 6_000);
    }

    #[test]
    fn a_part_configured_otherwise_is_refused() {
        let mut j = Joiner::new(None);
        for out in part(&flv_file(1, AVC_320X180), 0) {
            j.push(out).unwrap();
        }
        let first = j.init().unwrap().to_vec();
        let outs = part(&flv_file(1, AVC_640X360), 2_000);
        let err = outs.into_iter().map(|o| j.push(o)).find_map(Result::err).unwrap();
        assert_eq!(err.kind, ErrorKind::BadStream(CONFIG_CHANGED));
        assert_eq!(j.init().unwrap(), &first[..]);
        let other = match part(&flv_file(1, AVC_640X360), 0).remove(0) {
            Output::Init { data, .. } => data,
            _ => panic!("init first"),
        };
        assert_eq!(describe(&first).unwrap(), "H.264 avc1.64000c 320x180, AAC mp4a.40.2 44100 Hz 2 ch");
        assert_eq!(describe(&other).unwrap(), "H.264 avc1.4d401e 640x360, AAC mp4a.40.2 44100 Hz 2 ch");
    }

    /// An init segment of H.264 with `avc` (hex) and AAC with `asc`.
    fn init(avc: &str, asc: &[u8]) -> Vec<u8> {
        use crate::codec::{AacConfig, AvcConfig};
        use crate::mp4::{Track, init_segment};
        let video = Track { id: 1, config: TrackConfig::Video(AvcConfig::parse(&hex(avc)).unwrap()) };
        let audio = Track { id: 2, config: TrackConfig::Audio(AacConfig::parse(asc).unwrap()) };
        init_segment(&[&video, &audio])
    }

    #[test]
    fn configurations_that_decode_alike_are_the_same() {
        let plain = init(AVC_320X180, &ASC_44100_STEREO);
        // ffmpeg's avcC: the High profile extension (4:2:0, 8 bits, no SPS extensions);
        // its AAC encoder's AudioSpecificConfig: "no SBR" said explicitly.
        let with_extension = format!("{AVC_320X180}fdf8f800");
        let ffmpeg = init(&with_extension, &[0x12, 0x10, 0x56, 0xe5, 0x00]);
        assert_ne!(plain, ffmpeg);
        assert!(same_configuration(&plain, &ffmpeg).unwrap());
        assert!(same_configuration(&ffmpeg, &plain).unwrap());
        // Another SPS, another sample rate, SBR present, a track fewer: not the same.
        assert!(!same_configuration(&plain, &init(AVC_640X360, &ASC_44100_STEREO)).unwrap());
        assert!(!same_configuration(&plain, &init(AVC_320X180, &[0x11, 0x90])).unwrap());
        assert!(!same_configuration(&plain, &init(AVC_320X180, &[0x12, 0x10, 0x56, 0xe5, 0x80])).unwrap());
        let video_only = {
            use crate::codec::AvcConfig;
            use crate::mp4::{Track, init_segment};
            let config = TrackConfig::Video(AvcConfig::parse(&hex(AVC_320X180)).unwrap());
            init_segment(&[&Track { id: 1, config }])
        };
        assert!(!same_configuration(&plain, &video_only).unwrap());
        assert!(same_configuration(&plain, b"not an init").is_err());
        // The joiner takes the ffmpeg-configured part after the plain one.
        let mut j = Joiner::new(None);
        assert!(j.push(Output::Init { data: plain.clone(), mime: String::new() }).unwrap().is_some());
        assert_eq!(j.push(Output::Init { data: ffmpeg, mime: String::new() }).unwrap(), None);
    }

    #[test]
    fn media_before_an_init_is_refused_and_metadata_is_dropped() {
        let outs = part(&flv_file(1, AVC_320X180), 0);
        let mut j = Joiner::new(None);
        let media = outs.iter().find(|o| matches!(o, Output::Media { .. })).unwrap().clone();
        assert!(j.push(media).is_err());
        assert_eq!(j.push(Output::Metadata(Default::default())).unwrap(), None);
        assert_eq!(j.fragments(), 0);
    }
}
