//! What a fragmented MP4's init segment (`ftyp` + `moov`, an HLS `EXT-X-MAP`) says a
//! player needs to know before appending it: the MIME type with its RFC 6381 codecs, for
//! `addSourceBuffer`. Read from each track's first sample entry: `avc1`/`avc3` with its
//! `avcC`, `mp4a` with the AudioSpecificConfig inside its `esds`.

use super::TrackConfig;
use super::read::{Boxes, FourCC, Mp4Box};
use crate::codec::{AacConfig, AvcConfig};
use crate::error::{Error, ErrorKind, Result};

/// Bytes of a visual sample entry's fields before its child boxes (ISO 14496-12 §12.1.3).
const VISUAL_ENTRY_FIELDS: usize = 78;
/// Bytes of an audio sample entry's fields before its child boxes (§12.2.3): version 0;
/// QuickTime's sound descriptions version 1 and 2 (`.mov`) have 16 and 36 bytes more.
const AUDIO_ENTRY_FIELDS: [usize; 3] = [28, 44, 64];
/// `objectTypeIndication`s of AAC in an `esds` (ISO 14496-1 Table 5): MPEG-4 audio, and
/// MPEG-2 AAC Main, LC, SSR.
const AAC_OBJECT_TYPES: [u8; 4] = [0x40, 0x66, 0x67, 0x68];

/// The configuration of an `avc1`/`avc3` sample entry (its `avcC`) or of an `mp4a` one
/// with AAC (the AudioSpecificConfig in its `esds`); `Ok(None)` for any other entry (name
/// it with [`codec_name`]). Read alike for an fMP4 init segment and a progressive MP4's
/// tracks (`mp4::demux`).
pub(crate) fn entry_config(entry: &Mp4Box<'_>) -> Result<Option<TrackConfig>> {
    match entry.kind.as_bytes() {
        b"avc1" | b"avc3" => {
            let avcc = child_after(entry, VISUAL_ENTRY_FIELDS, b"avcC")?;
            let config = AvcConfig::parse(avcc.body).map_err(|k| Error::new(avcc.offset, k))?;
            Ok(Some(TrackConfig::Video(config)))
        }
        b"mp4a" => {
            let version = entry.body.get(8..10).map_or(0, |v| usize::from(u16::from_be_bytes([v[0], v[1]])));
            let fields = *AUDIO_ENTRY_FIELDS.get(version).ok_or(Error::new(
                entry.body_offset() + 8,
                ErrorKind::BadBox("audio sample entry of an unknown version"),
            ))?;
            let esds = child_after(entry, fields, b"esds")?;
            let (_, _, descriptors) = esds.full()?;
            let (object_type, asc) = decoder_config(descriptors)
                .ok_or(Error::new(esds.offset, ErrorKind::BadCodecConfig("esds without an audio configuration")))?;
            if !AAC_OBJECT_TYPES.contains(&object_type) {
                let name = match object_type {
                    0x69 | 0x6B => "mp4a (MP3)".to_string(),
                    other => format!("mp4a (object type 0x{other:02x})"),
                };
                return Err(Error::new(esds.offset, ErrorKind::UnsupportedCodec(name)));
            }
            let asc =
                asc.ok_or(Error::new(esds.offset, ErrorKind::BadCodecConfig("esds without an AAC configuration")))?;
            let config = AacConfig::parse(asc).map_err(|k| Error::new(esds.offset, k))?;
            Ok(Some(TrackConfig::Audio(config)))
        }
        _ => Ok(None),
    }
}

/// A sample entry's type, with the codec's name when known: `hev1 (HEVC)`, `ac-3 (AC-3)`,
/// `Opus`, `'xyz1'`.
pub(crate) fn codec_name(kind: FourCC) -> String {
    let name = match kind.as_bytes() {
        b"hev1" | b"hvc1" | b"dvh1" | b"dvhe" => Some("HEVC"),
        b"av01" => Some("AV1"),
        b"vp08" => Some("VP8"),
        b"vp09" => Some("VP9"),
        b"mp4v" => Some("MPEG-4 Part 2 video"),
        b"s263" | b"h263" => Some("H.263"),
        b"mjpa" | b"mjpb" | b"jpeg" => Some("Motion JPEG"),
        b"ac-3" => Some("AC-3"),
        b"ec-3" => Some("E-AC-3"),
        b"ac-4" => Some("AC-4"),
        b"Opus" => Some("Opus"),
        b".mp3" => Some("MP3"),
        b"fLaC" => Some("FLAC"),
        b"alac" => Some("ALAC"),
        b"lpcm" | b"sowt" | b"twos" | b"ipcm" => Some("PCM"),
        b"samr" | b"sawb" => Some("AMR"),
        b"encv" | b"enca" => Some("encrypted"),
        _ => None,
    };
    match name {
        Some(n) if kind.to_string() == n => n.to_string(),
        Some(n) => format!("{kind} ({n})"),
        None => format!("'{kind}'"),
    }
}

/// The MIME type with codecs of an init segment: `video/mp4; codecs="avc1.64001f,mp4a.40.2"`
/// (`audio/mp4` without a video track). Tracks in another codec (HEVC, AV1, Opus, AC-3)
/// are refused by name: the player cannot say in advance whether the browser decodes them.
pub fn init_mime(init: &[u8]) -> Result<String> {
    let moov = Boxes::new(init, 0)
        .find(|b| b.as_ref().map_or(true, |b| b.kind == b"moov"))
        .transpose()?
        .ok_or(Error::new(0, ErrorKind::BadBox("an init segment without moov")))?;
    let mut codecs = Vec::new();
    let mut video = false;
    for trak in moov.children() {
        let trak = trak?;
        if trak.kind != b"trak" {
            continue;
        }
        let stbl = trak.require(b"mdia", "trak without mdia")?.require(b"minf", "mdia without minf")?;
        let stsd = stbl.require(b"stbl", "minf without stbl")?.require(b"stsd", "stbl without stsd")?;
        let (_, _, body) = stsd.full()?;
        // The entry count, then the entries; the first is the one that plays.
        let entries = body.get(4..).ok_or(Error::new(stsd.offset, ErrorKind::BadBox("stsd cut short")))?;
        let Some(entry) = Boxes::new(entries, stsd.body_offset() + 8).next().transpose()? else { continue };
        match entry_config(&entry)? {
            Some(TrackConfig::Video(c)) => {
                codecs.push(c.codec_string());
                video = true;
            }
            Some(TrackConfig::Audio(c)) => codecs.push(c.codec_string()),
            None => {
                let name = codec_name(entry.kind);
                return Err(Error::new(entry.offset, ErrorKind::UnsupportedCodec(format!("{name} in fMP4"))));
            }
        }
    }
    if codecs.is_empty() {
        return Err(Error::new(moov.offset, ErrorKind::BadStream("an init segment without audio or video")));
    }
    let kind = if video { "video" } else { "audio" };
    Ok(format!("{kind}/mp4; codecs=\"{}\"", codecs.join(",")))
}

/// The child box `kind` of a sample entry, whose own fields take `fields` bytes.
fn child_after<'a>(entry: &Mp4Box<'a>, fields: usize, kind: &[u8; 4]) -> Result<Mp4Box<'a>> {
    let rest = entry.body.get(fields..).ok_or(Error::new(entry.offset, ErrorKind::BadBox("sample entry cut short")))?;
    for b in Boxes::new(rest, entry.body_offset() + fields as u64) {
        let b = b?;
        if b.kind == kind {
            return Ok(b);
        }
    }
    Err(Error::new(entry.offset, ErrorKind::BadBox("sample entry without its configuration")))
}

/// The `objectTypeIndication` and the DecoderSpecificInfo (tag 5; `None` without one) of
/// the DecoderConfigDescriptor (tag 4) inside an ES_Descriptor (tag 3), ISO 14496-1 §7.2.6.
fn decoder_config(mut b: &[u8]) -> Option<(u8, Option<&[u8]>)> {
    let (tag, body) = descriptor(&mut b)?;
    if tag != 3 {
        return None;
    }
    // ES_ID, then flags saying which optional fields follow.
    let flags = *body.get(2)?;
    let mut at = 3;
    if flags & 0x80 != 0 {
        at += 2; // dependsOn_ES_ID
    }
    if flags & 0x40 != 0 {
        at += 1 + usize::from(*body.get(at)?); // URL
    }
    if flags & 0x20 != 0 {
        at += 2; // OCR_ES_Id
    }
    let mut rest = body.get(at..)?;
    let (tag, config) = descriptor(&mut rest)?;
    if tag != 4 {
        return None;
    }
    // objectTypeIndication, streamType, bufferSizeDB (3), maxBitrate (4), avgBitrate (4).
    let object_type = *config.first()?;
    let mut rest = config.get(13..)?;
    let info = descriptor(&mut rest).filter(|(tag, _)| *tag == 5).map(|(_, info)| info);
    Some((object_type, info))
}

/// One descriptor: its tag and body (the size in up to four 7-bit bytes); moves `b` past it.
fn descriptor<'a>(b: &mut &'a [u8]) -> Option<(u8, &'a [u8])> {
    let tag = *b.first()?;
    let mut size = 0usize;
    let mut at = 1;
    loop {
        let byte = *b.get(at)?;
        size = (size << 7) | usize::from(byte & 0x7f);
        at += 1;
        if byte & 0x80 == 0 || at > 4 {
            break;
        }
    }
    let body = b.get(at..at.checked_add(size)?)?;
    *b = &b[at + size..];
    Some((tag, body))
}
