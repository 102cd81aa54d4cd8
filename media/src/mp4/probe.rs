//! What an MP4's `moov` says: typed `mvhd`, `tkhd`, `mdhd` and `hdlr` (version 0 with
//! 32-bit times, version 1 with 64-bit ones), and [`probe_moov`] for the facts a
//! server needs about a recording: duration, picture size, tracks.

use super::read::{Boxes, FourCC, Mp4Box};
use crate::error::{Error, ErrorKind, Result};

/// Reads big-endian fields from a box's body, with errors at the field's offset (also
/// the sample tables' reader, `mp4::demux`).
pub(crate) struct Fields<'a> {
    data: &'a [u8],
    pos: usize,
    base: u64,
    what: &'static str,
}

impl<'a> Fields<'a> {
    /// The fields after a full box's version and flags.
    pub(crate) fn of(b: &Mp4Box<'a>, what: &'static str) -> Result<(u8, u32, Fields<'a>)> {
        let (version, flags, data) = b.full()?;
        if version > 1 {
            return Err(Error::new(b.body_offset(), ErrorKind::BadBox("box version other than 0 and 1")));
        }
        Ok((version, flags, Fields { data, pos: 0, base: b.body_offset() + 4, what }))
    }

    pub(crate) fn take<const N: usize>(&mut self) -> Result<[u8; N]> {
        let bytes = self.data.get(self.pos..self.pos + N).and_then(|s| <[u8; N]>::try_from(s).ok());
        let bytes = bytes.ok_or(Error::new(self.base + self.pos as u64, ErrorKind::BadBox(self.what)))?;
        self.pos += N;
        Ok(bytes)
    }

    /// Bytes not read yet.
    pub(crate) fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// The byte offset of the next field.
    pub(crate) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    pub(crate) fn skip(&mut self, n: usize) -> Result<()> {
        if self.data.len() < self.pos + n {
            return Err(Error::new(self.base + self.data.len() as u64, ErrorKind::BadBox(self.what)));
        }
        self.pos += n;
        Ok(())
    }

    pub(crate) fn u16(&mut self) -> Result<u16> {
        self.take().map(u16::from_be_bytes)
    }

    pub(crate) fn u32(&mut self) -> Result<u32> {
        self.take().map(u32::from_be_bytes)
    }

    pub(crate) fn u64(&mut self) -> Result<u64> {
        self.take().map(u64::from_be_bytes)
    }

    /// A time field: 32 bits in version 0, 64 in version 1.
    pub(crate) fn time(&mut self, version: u8) -> Result<u64> {
        if version == 1 { self.u64() } else { self.u32().map(u64::from) }
    }
}

/// `mvhd`: the movie's timescale and duration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mvhd {
    pub version: u8,
    /// Units per second.
    pub timescale: u32,
    /// In `timescale` units; 0 for a fragmented MP4's init segment.
    pub duration: u64,
}

impl Mvhd {
    pub fn parse(b: &Mp4Box<'_>) -> Result<Mvhd> {
        let (version, _, mut f) = Fields::of(b, "mvhd shorter than its fields")?;
        f.skip(if version == 1 { 16 } else { 8 })?; // creation, modification
        let timescale = f.u32()?;
        let duration = f.time(version)?;
        Ok(Mvhd { version, timescale, duration })
    }

    /// The duration in milliseconds (rounded down, at most `u64::MAX`); `None` for a
    /// timescale of 0.
    pub fn duration_ms(&self) -> Option<u64> {
        let ms = u128::from(self.duration) * 1000 / u128::from(self.timescale.max(1));
        (self.timescale > 0).then(|| u64::try_from(ms).unwrap_or(u64::MAX))
    }
}

/// `tkhd`: a track's id, duration (in the movie's timescale) and picture size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tkhd {
    pub version: u8,
    /// 1 enabled, 2 in movie, 4 in preview.
    pub flags: u32,
    pub track_id: u32,
    pub duration: u64,
    /// Pixels: the integer part of the 16.16 fixed-point fields (0 for audio).
    pub width: u32,
    pub height: u32,
}

impl Tkhd {
    pub fn parse(b: &Mp4Box<'_>) -> Result<Tkhd> {
        let (version, flags, mut f) = Fields::of(b, "tkhd shorter than its fields")?;
        f.skip(if version == 1 { 16 } else { 8 })?; // creation, modification
        let track_id = f.u32()?;
        f.skip(4)?; // reserved
        let duration = f.time(version)?;
        f.skip(8 + 2 + 2 + 2 + 2 + 36)?; // reserved, layer, alternate group, volume, reserved, matrix
        let width = f.u32()? >> 16;
        let height = f.u32()? >> 16;
        Ok(Tkhd { version, flags, track_id, duration, width, height })
    }
}

/// `mdhd`: a track's own timescale, duration and language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mdhd {
    pub version: u8,
    pub timescale: u32,
    /// In this track's `timescale` units.
    pub duration: u64,
    /// ISO 639-2/T, three lower-case letters (`und`).
    pub language: [u8; 3],
}

impl Mdhd {
    pub fn parse(b: &Mp4Box<'_>) -> Result<Mdhd> {
        let (version, _, mut f) = Fields::of(b, "mdhd shorter than its fields")?;
        f.skip(if version == 1 { 16 } else { 8 })?; // creation, modification
        let timescale = f.u32()?;
        let duration = f.time(version)?;
        let l = f.u16()?;
        let letter = |shift: u16| ((l >> shift) & 0x1f) as u8 + 0x60;
        Ok(Mdhd { version, timescale, duration, language: [letter(10), letter(5), letter(0)] })
    }
}

/// `hdlr`: what a track is (`vide`, `soun`, `subt`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hdlr {
    pub handler_type: FourCC,
}

impl Hdlr {
    pub const VIDEO: FourCC = FourCC(*b"vide");
    pub const AUDIO: FourCC = FourCC(*b"soun");

    pub fn parse(b: &Mp4Box<'_>) -> Result<Hdlr> {
        let (_, _, mut f) = Fields::of(b, "hdlr shorter than its fields")?;
        f.skip(4)?; // pre_defined
        Ok(Hdlr { handler_type: FourCC(f.take()?) })
    }
}

/// One `trak`, as [`probe_moov`] found it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrackFacts {
    pub track_id: u32,
    /// From `hdlr`: `vide`, `soun`, …
    pub handler: FourCC,
    /// From `mdhd`: the track's timescale, and its duration in it.
    pub timescale: u32,
    pub duration: u64,
    /// From `tkhd`, in pixels (0 for audio).
    pub width: u32,
    pub height: u32,
}

/// What an MP4's `moov` says about the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mp4Facts {
    /// From `mvhd`: never 0 (that is [`ErrorKind::NoDuration`]).
    pub duration_ms: u64,
    /// The first video (`vide`) track's picture size; 0 without one.
    pub width: u32,
    pub height: u32,
    /// Every `trak`, in file order.
    pub tracks: Vec<TrackFacts>,
}

/// Reads a `trak`: `tkhd`, and `mdia` with `mdhd` and `hdlr`.
pub fn probe_trak(trak: &Mp4Box<'_>) -> Result<TrackFacts> {
    let tkhd = Tkhd::parse(&trak.require(b"tkhd", "trak without tkhd")?)?;
    let mdia = trak.require(b"mdia", "trak without mdia")?;
    let mdhd = Mdhd::parse(&mdia.require(b"mdhd", "mdia without mdhd")?)?;
    let hdlr = Hdlr::parse(&mdia.require(b"hdlr", "mdia without hdlr")?)?;
    Ok(TrackFacts {
        track_id: tkhd.track_id,
        handler: hdlr.handler_type,
        timescale: mdhd.timescale,
        duration: mdhd.duration,
        width: tkhd.width,
        height: tkhd.height,
    })
}

/// The duration (from `mvhd`), the first video track's picture size and every track,
/// from the body of a `moov` box (the bytes after its header). Byte offsets in errors
/// count from the body's first byte: add the body's offset in the file.
///
/// [`ErrorKind::NoDuration`] ("the MP4 has no duration") if `mvhd` gives none:
/// a duration or timescale of 0, as in a fragmented MP4's init segment.
pub fn probe_moov(moov_body: &[u8]) -> Result<Mp4Facts> {
    let mut mvhd = None;
    let mut tracks = Vec::new();
    for b in Boxes::new(moov_body, 0) {
        let b = b?;
        if b.kind == b"mvhd" && mvhd.is_none() {
            mvhd = Some((Mvhd::parse(&b)?, b.offset));
        } else if b.kind == b"trak" {
            tracks.push(probe_trak(&b)?);
        }
    }
    let (mvhd, at) = mvhd.ok_or(Error::new(0, ErrorKind::BadBox("moov without mvhd")))?;
    let duration_ms = mvhd.duration_ms().filter(|&d| d > 0).ok_or(Error::new(at, ErrorKind::NoDuration))?;
    let video = tracks.iter().find(|t| t.handler == Hdlr::VIDEO);
    let (width, height) = video.map_or((0, 0), |t| (t.width, t.height));
    Ok(Mp4Facts { duration_ms, width, height, tracks })
}
