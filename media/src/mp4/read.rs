//! Reading MP4 boxes from bytes: no I/O. A caller with a file reads
//! [`BoxHeader::MAX_LEN`] bytes at a box's offset, parses the header, and skips or
//! reads the body; a caller with bytes in memory walks them with [`Boxes`].
//!
//! Every error carries the byte offset of the field at fault, counted from what the
//! caller said the first byte's offset was (`offset` / `base` arguments).

use std::fmt;

use crate::error::{Error, ErrorKind, Result};

/// A box type: four bytes, usually ASCII (`moov`, `trak`, `avc1`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FourCC(pub [u8; 4]);

impl FourCC {
    pub fn as_bytes(&self) -> &[u8; 4] {
        &self.0
    }
}

impl PartialEq<[u8; 4]> for FourCC {
    fn eq(&self, other: &[u8; 4]) -> bool {
        self.0 == *other
    }
}

impl PartialEq<&[u8; 4]> for FourCC {
    fn eq(&self, other: &&[u8; 4]) -> bool {
        self.0 == **other
    }
}

impl fmt::Display for FourCC {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &b in &self.0 {
            if b.is_ascii_graphic() || b == b' ' {
                write!(f, "{}", b as char)?;
            } else {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for FourCC {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FourCC(\"{self}\")")
    }
}

/// A box's header: `size(4) type(4)`, or `1 type(4) largesize(8)` for boxes of 4 GiB
/// and more. (A `uuid` box's 16-byte extended type is left in its body.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BoxHeader {
    pub kind: FourCC,
    /// Bytes of header: 8, or 16 with a 64-bit size.
    pub header_len: u64,
    /// Bytes of the whole box, header included; 0 means the box runs to the end of the
    /// file (or of its parent). Never 1 to 7, nor less than `header_len`.
    pub size: u64,
}

impl BoxHeader {
    /// Enough bytes for any header.
    pub const MAX_LEN: usize = 16;

    /// Reads the header at the start of `bytes`, the first byte of a box at `offset`.
    /// `Ok(None)` if more bytes are needed (fewer than 8, or than 16 with a 64-bit
    /// size); an error for a size smaller than the header.
    pub fn parse(bytes: &[u8], offset: u64) -> Result<Option<BoxHeader>> {
        let Some(b) = bytes.get(..8) else { return Ok(None) };
        let kind = FourCC([b[4], b[5], b[6], b[7]]);
        match u32::from_be_bytes([b[0], b[1], b[2], b[3]]) {
            0 => Ok(Some(BoxHeader { kind, header_len: 8, size: 0 })),
            1 => {
                let Some(l) = bytes.get(8..16) else { return Ok(None) };
                let size = u64::from_be_bytes([l[0], l[1], l[2], l[3], l[4], l[5], l[6], l[7]]);
                if size < 16 {
                    return Err(Error::new(offset + 8, ErrorKind::BadBox("64-bit box size smaller than its header")));
                }
                Ok(Some(BoxHeader { kind, header_len: 16, size }))
            }
            2..8 => Err(Error::new(offset, ErrorKind::BadBox("box size smaller than its header"))),
            size => Ok(Some(BoxHeader { kind, header_len: 8, size: u64::from(size) })),
        }
    }

    /// The whole box's size when `remaining` bytes follow its first byte (to the end
    /// of the file or of the parent): `size`, or `remaining` for a size of 0. An
    /// error (at `offset`, the box's) if the box would run past them.
    pub fn size_within(&self, remaining: u64, offset: u64) -> Result<u64> {
        let size = if self.size == 0 { remaining } else { self.size };
        if size > remaining || size < self.header_len {
            return Err(Error::new(offset, ErrorKind::BadBox("box larger than what contains it")));
        }
        Ok(size)
    }
}

/// One box, borrowed from the bytes it was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mp4Box<'a> {
    pub kind: FourCC,
    /// Byte offset of the box's first byte.
    pub offset: u64,
    pub header_len: u64,
    /// Everything after the header.
    pub body: &'a [u8],
}

impl<'a> Mp4Box<'a> {
    /// Byte offset of the body's first byte.
    pub fn body_offset(&self) -> u64 {
        self.offset + self.header_len
    }

    /// The boxes in this box's body (for containers: `moov`, `trak`, `mdia`, …).
    pub fn children(&self) -> Boxes<'a> {
        Boxes::new(self.body, self.body_offset())
    }

    /// The first child of type `kind`, if any (children before it must be readable).
    pub fn child(&self, kind: &[u8; 4]) -> Result<Option<Mp4Box<'a>>> {
        for b in self.children() {
            let b = b?;
            if b.kind == kind {
                return Ok(Some(b));
            }
        }
        Ok(None)
    }

    /// The first child of type `kind`; an error naming `what` if there is none.
    pub fn require(&self, kind: &[u8; 4], what: &'static str) -> Result<Mp4Box<'a>> {
        self.child(kind)?.ok_or(Error::new(self.offset, ErrorKind::BadBox(what)))
    }

    /// A full box's version, flags and the fields after them.
    pub fn full(&self) -> Result<(u8, u32, &'a [u8])> {
        let b = self.body;
        if b.len() < 4 {
            return Err(Error::new(self.body_offset(), ErrorKind::BadBox("full box without version and flags")));
        }
        Ok((b[0], u32::from_be_bytes([0, b[1], b[2], b[3]]), &b[4..]))
    }
}

/// The boxes one after another in a slice: a file in memory, or a box's body. Yields
/// an error, then stops, for a box that is impossible (smaller than its header, larger
/// than what is left, or a header cut short); up to 7 zero bytes at the end (QuickTime
/// writes a 4-byte terminator) end the list quietly.
#[derive(Clone, Debug)]
pub struct Boxes<'a> {
    data: &'a [u8],
    pos: usize,
    /// Byte offset of `data[0]`.
    base: u64,
    failed: bool,
}

impl<'a> Boxes<'a> {
    /// The boxes of `data`, whose first byte is at byte offset `base` (for errors).
    pub fn new(data: &'a [u8], base: u64) -> Self {
        Boxes { data, pos: 0, base, failed: false }
    }

    fn next_box(&mut self) -> Result<Option<Mp4Box<'a>>> {
        let rest = &self.data[self.pos..];
        let offset = self.base + self.pos as u64;
        if rest.is_empty() || (rest.len() < 8 && rest.iter().all(|&b| b == 0)) {
            return Ok(None);
        }
        let header =
            BoxHeader::parse(rest, offset)?.ok_or(Error::new(offset, ErrorKind::BadBox("box header cut short")))?;
        let size = header.size_within(rest.len() as u64, offset)?;
        // size <= rest.len(), a usize: the casts cannot truncate.
        let body = &rest[header.header_len as usize..size as usize];
        self.pos += size as usize;
        Ok(Some(Mp4Box { kind: header.kind, offset, header_len: header.header_len, body }))
    }
}

impl<'a> Iterator for Boxes<'a> {
    type Item = Result<Mp4Box<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let r = self.next_box();
        self.failed = r.is_err();
        r.transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A box with a 32-bit size.
    pub fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut v = ((8 + body.len()) as u32).to_be_bytes().to_vec();
        v.extend_from_slice(kind);
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn headers() {
        let h = BoxHeader::parse(b"\0\0\0\x10moovxxxxxxxx", 0).unwrap().unwrap();
        assert_eq!((h.kind, h.header_len, h.size), (FourCC(*b"moov"), 8, 16));
        assert_eq!(h.kind.to_string(), "moov");
        // 64-bit size: 5 GiB of mdat.
        let mut large = vec![0, 0, 0, 1];
        large.extend_from_slice(b"mdat");
        large.extend_from_slice(&(5u64 << 30).to_be_bytes());
        let h = BoxHeader::parse(&large, 0).unwrap().unwrap();
        assert_eq!((h.kind, h.header_len, h.size), (FourCC(*b"mdat"), 16, 5 << 30));
        assert_eq!(h.size_within(6 << 30, 0).unwrap(), 5 << 30);
        assert!(h.size_within(1 << 30, 0).is_err(), "past the end of the file");
        // To the end of the file.
        let h = BoxHeader::parse(b"\0\0\0\0mdat", 0).unwrap().unwrap();
        assert_eq!((h.size, h.size_within(1000, 0).unwrap()), (0, 1000));
        // More bytes needed.
        assert_eq!(BoxHeader::parse(b"\0\0\0\x10moo", 0).unwrap(), None);
        assert_eq!(BoxHeader::parse(&large[..12], 0).unwrap(), None);
        // Impossible sizes.
        let e = BoxHeader::parse(b"\0\0\0\x07free", 40).unwrap_err();
        assert_eq!((e.offset, e.kind), (40, ErrorKind::BadBox("box size smaller than its header")));
        large[8..16].copy_from_slice(&15u64.to_be_bytes());
        assert_eq!(BoxHeader::parse(&large, 100).unwrap_err().offset, 108);
    }

    #[test]
    fn children_and_their_errors() {
        let mut data = bx(b"ftyp", b"isom\0\0\0\0");
        data.extend(bx(b"moov", &[bx(b"mvhd", &[0; 8]), bx(b"trak", &bx(b"tkhd", &[1]))].concat()));
        let boxes: Vec<Mp4Box> = Boxes::new(&data, 1000).collect::<Result<_>>().unwrap();
        assert_eq!(boxes.iter().map(|b| b.kind.to_string()).collect::<Vec<_>>(), ["ftyp", "moov"]);
        assert_eq!((boxes[1].offset, boxes[1].body_offset()), (1016, 1024));
        let trak = boxes[1].child(b"trak").unwrap().unwrap();
        assert_eq!(trak.offset, 1024 + 16);
        let tkhd = trak.require(b"tkhd", "no tkhd").unwrap();
        assert_eq!((tkhd.offset, tkhd.body), (1048, &[1u8][..]));
        assert_eq!(tkhd.full().unwrap_err().offset, 1056);
        assert_eq!(boxes[1].child(b"udta").unwrap(), None);
        assert_eq!(
            trak.require(b"mdia", "trak without mdia").unwrap_err().kind,
            ErrorKind::BadBox("trak without mdia")
        );

        // A 4-byte zero terminator is fine; other trailing bytes are not.
        let mut t = data.clone();
        t.extend_from_slice(&[0; 4]);
        assert_eq!(Boxes::new(&t, 0).count(), 2);
        t[data.len()] = 1;
        let all: Vec<_> = Boxes::new(&t, 0).collect();
        assert_eq!(all.len(), 3, "two boxes, then one error, then nothing");
        assert_eq!(
            all[2].as_ref().unwrap_err(),
            &Error::new(data.len() as u64, ErrorKind::BadBox("box header cut short"))
        );

        // A child larger than its parent: an error at the child, not a silent stop.
        let mut bad = bx(b"moov", &bx(b"mvhd", &[0; 8]));
        bad[8..12].copy_from_slice(&100u32.to_be_bytes());
        let moov = Boxes::new(&bad, 0).next().unwrap().unwrap();
        let e = moov.children().next().unwrap().unwrap_err();
        assert_eq!((e.offset, e.kind), (8, ErrorKind::BadBox("box larger than what contains it")));
        // Sizes 1 to 7 inside a parent.
        bad[8..12].copy_from_slice(&3u32.to_be_bytes());
        assert_eq!(Boxes::new(&bad[8..], 8).next().unwrap().unwrap_err().offset, 8);
        // Size 0 inside a parent: to the parent's end.
        bad[8..12].copy_from_slice(&0u32.to_be_bytes());
        let moov = Boxes::new(&bad, 0).next().unwrap().unwrap();
        let only = moov.children().collect::<Result<Vec<_>>>().unwrap();
        assert_eq!((only.len(), only[0].body.len()), (1, 8));
        // A 64-bit size inside a parent.
        let mut large = vec![0, 0, 0, 1, b'f', b'r', b'e', b'e'];
        large.extend_from_slice(&20u64.to_be_bytes());
        large.extend_from_slice(b"abcd");
        let b = Boxes::new(&large, 0).collect::<Result<Vec<_>>>().unwrap();
        assert_eq!((b[0].header_len, b[0].body), (16, &b"abcd"[..]));
    }
}
