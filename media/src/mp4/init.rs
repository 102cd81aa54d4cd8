//! What a fragmented MP4's init segment (`ftyp` + `moov`, an HLS `EXT-X-MAP`) says a
//! player needs to know before appending it: the MIME type with its RFC 6381 codecs, for
//! `addSourceBuffer`. Read from each track's first sample entry: `avc1`/`avc3` with its
//! `avcC`, `mp4a` with the AudioSpecificConfig inside its `esds`.

use super::read::{Boxes, Mp4Box};
use crate::codec::{AacConfig, AvcConfig};
use crate::error::{Error, ErrorKind, Result};

/// Bytes of a visual sample entry's fields before its child boxes (ISO 14496-12 §12.1.3).
const VISUAL_ENTRY_FIELDS: usize = 78;
/// Bytes of an audio sample entry's fields (version 0) before its child boxes (§12.2.3).
const AUDIO_ENTRY_FIELDS: usize = 28;

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
        match entry.kind.as_bytes() {
            b"avc1" | b"avc3" => {
                let avcc = child_after(&entry, VISUAL_ENTRY_FIELDS, b"avcC")?;
                let config = AvcConfig::parse(avcc.body).map_err(|k| Error::new(avcc.offset, k))?;
                codecs.push(config.codec_string());
                video = true;
            }
            b"mp4a" => {
                let esds = child_after(&entry, AUDIO_ENTRY_FIELDS, b"esds")?;
                let (_, _, descriptors) = esds.full()?;
                let asc = decoder_specific_info(descriptors)
                    .ok_or(Error::new(esds.offset, ErrorKind::BadCodecConfig("esds without an AAC configuration")))?;
                let config = AacConfig::parse(asc).map_err(|k| Error::new(esds.offset, k))?;
                codecs.push(config.codec_string());
            }
            other => {
                let name = String::from_utf8_lossy(other).into_owned();
                return Err(Error::new(entry.offset, ErrorKind::UnsupportedCodec(format!("'{name}' in fMP4"))));
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

/// The DecoderSpecificInfo (tag 5) inside an ES_Descriptor (tag 3) and its
/// DecoderConfigDescriptor (tag 4), ISO 14496-1 §7.2.6.
fn decoder_specific_info(mut b: &[u8]) -> Option<&[u8]> {
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
    let mut rest = config.get(13..)?;
    let (tag, info) = descriptor(&mut rest)?;
    (tag == 5).then_some(info)
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
