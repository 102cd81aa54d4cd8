//! Incremental FLV tag reading: feed bytes in chunks of any size, get whole tags.
//!
//! Layout: a 9-byte header (`FLV`, version, flags, header size), then
//! `PreviousTagSize0` and tags, each `type(1) size(3) timestamp(3) ts_ext(1)
//! stream_id(3) data(size) previous_tag_size(4)`.

use crate::error::{Error, ErrorKind, Result};
use crate::flv::tag::{TagHeader, TagType};

/// The tag type bytes, for callers that kept them; [`TagType`] names them.
pub const TAG_AUDIO: u8 = TagType::Audio as u8;
pub const TAG_VIDEO: u8 = TagType::Video as u8;
pub const TAG_SCRIPT: u8 = TagType::Script as u8;

/// One tag, borrowed from the demuxer's buffer.
#[derive(Debug)]
pub struct Tag<'a> {
    pub header: TagHeader,
    pub data: &'a [u8],
    /// Byte offset of the tag's first byte in the file.
    pub offset: u64,
}

impl Tag<'_> {
    pub fn tag_type(&self) -> TagType {
        self.header.tag_type
    }

    /// Milliseconds (the 24-bit field with its extension byte, signed).
    pub fn timestamp(&self) -> i64 {
        self.header.timestamp
    }
}

/// What the FLV header announces.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Header {
    pub has_audio: bool,
    pub has_video: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Expecting the file header.
    Header,
    /// Expecting a previous-tag-size field, then a tag.
    TagSize,
    /// Expecting a tag (after a seek, byte ranges start at a tag).
    Tag,
}

pub struct Demuxer {
    buf: Vec<u8>,
    /// Bytes of `buf` already consumed.
    pos: usize,
    /// File offset of `buf[0]`.
    base: u64,
    state: State,
    header: Option<Header>,
    last_tag_size: Option<u32>,
}

impl Default for Demuxer {
    fn default() -> Self {
        Self::new()
    }
}

impl Demuxer {
    /// Reads a file from its first byte.
    pub fn new() -> Self {
        Demuxer { buf: Vec::new(), pos: 0, base: 0, state: State::Header, header: None, last_tag_size: None }
    }

    /// Reads from `offset`, which must be the first byte of a tag (a keyframe's file
    /// position, say): for byte-range requests after a seek.
    pub fn at_tag(offset: u64) -> Self {
        Demuxer { buf: Vec::new(), pos: 0, base: offset, state: State::Tag, header: None, last_tag_size: None }
    }

    pub fn header(&self) -> Option<Header> {
        self.header
    }

    /// The file offset of the next byte expected.
    pub fn offset(&self) -> u64 {
        self.base + self.buf.len() as u64
    }

    /// Bytes received but not yet part of a whole tag.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Adds bytes and calls `on_tag` for every tag now complete. Whole tags are read
    /// straight from `chunk`; only an incomplete tail is copied and kept.
    pub fn push(&mut self, chunk: &[u8], mut on_tag: impl FnMut(Tag<'_>) -> Result<()>) -> Result<()> {
        if self.pos == self.buf.len() {
            // Nothing pending: parse the chunk where it is.
            self.base += self.buf.len() as u64;
            self.buf.clear();
            self.pos = 0;
            let used = self.parse(chunk, &mut on_tag)?;
            self.base += used as u64;
            self.buf.extend_from_slice(&chunk[used..]);
            return Ok(());
        }
        // A tag was left incomplete: complete it from the buffer.
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.base += self.pos as u64;
            self.pos = 0;
        }
        self.buf.extend_from_slice(chunk);
        let buf = std::mem::take(&mut self.buf);
        let result = self.parse(&buf, &mut on_tag);
        self.buf = buf;
        self.pos = *result.as_ref().unwrap_or(&0);
        result.map(|_| ())
    }

    /// Reads whole tags from `data` (which starts at file offset `self.base`); returns
    /// how many bytes were consumed.
    fn parse(&mut self, data: &[u8], on_tag: &mut impl FnMut(Tag<'_>) -> Result<()>) -> Result<usize> {
        let mut pos = 0;
        loop {
            let avail = &data[pos..];
            let at = self.base + pos as u64;
            match self.state {
                State::Header => {
                    if avail.len() < 9 {
                        if !b"FLV".starts_with(&avail[..avail.len().min(3)]) {
                            return Err(Error::new(at, ErrorKind::NotFlv));
                        }
                        return Ok(pos);
                    }
                    if &avail[..3] != b"FLV" {
                        return Err(Error::new(at, ErrorKind::NotFlv));
                    }
                    let size = u32::from_be_bytes([avail[5], avail[6], avail[7], avail[8]]) as usize;
                    if !(9..=1024).contains(&size) {
                        return Err(Error::new(at + 5, ErrorKind::CorruptTag("FLV header size out of range")));
                    }
                    if avail.len() < size {
                        return Ok(pos);
                    }
                    self.header = Some(Header { has_audio: avail[4] & 0x04 != 0, has_video: avail[4] & 0x01 != 0 });
                    pos += size;
                    self.state = State::TagSize;
                }
                State::TagSize => {
                    if avail.len() < 4 {
                        return Ok(pos);
                    }
                    let size = u32::from_be_bytes([avail[0], avail[1], avail[2], avail[3]]);
                    if let Some(expected) = self.last_tag_size
                        && size != expected
                    {
                        return Err(Error::new(at, ErrorKind::CorruptTag("previous tag size does not match the tag")));
                    }
                    pos += 4;
                    self.state = State::Tag;
                }
                State::Tag => {
                    let Some(header) = TagHeader::parse(avail, at)? else { return Ok(pos) };
                    let end = TagHeader::LEN + header.data_size as usize;
                    if avail.len() < end {
                        return Ok(pos);
                    }
                    on_tag(Tag { header, data: &avail[TagHeader::LEN..end], offset: at })?;
                    pos += end;
                    self.last_tag_size = Some(end as u32);
                    self.state = State::TagSize;
                }
            }
        }
    }

    /// Call at the end of the input: an error if it stopped inside a tag.
    pub fn finish(&self) -> Result<()> {
        let rest = self.pending();
        // A missing final previous-tag-size is harmless.
        let harmless = rest == 0 || (self.state == State::TagSize && rest < 4);
        if harmless { Ok(()) } else { Err(Error::new(self.base + self.pos as u64, ErrorKind::Truncated)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flv::testing::raw_tag as tag;

    fn file(tags: &[Vec<u8>]) -> Vec<u8> {
        let mut v = b"FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00".to_vec();
        for t in tags {
            v.extend_from_slice(t);
        }
        v
    }

    /// Tag type, timestamp, data, offset.
    type Seen = (u8, i64, Vec<u8>, u64);

    fn collect(d: &mut Demuxer, bytes: &[u8], chunk: usize) -> Result<Vec<Seen>> {
        let mut out = Vec::new();
        for c in bytes.chunks(chunk.max(1)) {
            d.push(c, |t| {
                out.push((t.tag_type() as u8, t.timestamp(), t.data.to_vec(), t.offset));
                Ok(())
            })?;
        }
        Ok(out)
    }

    #[test]
    fn tags_come_whole_whatever_the_chunking() {
        let f = file(&[tag(9, 0, b"abc"), tag(8, 0x01_000005, b"de"), tag(18, 7, b"")]);
        for chunk in [1, 2, 3, 7, 1000] {
            let mut d = Demuxer::new();
            let tags = collect(&mut d, &f, chunk).unwrap();
            assert_eq!(tags.len(), 3, "chunk {chunk}");
            assert_eq!(tags[0], (9, 0, b"abc".to_vec(), 13));
            assert_eq!(tags[1].1, 0x01_000005, "extended timestamp");
            assert_eq!(tags[1].3, 13 + 11 + 3 + 4);
            assert_eq!(d.header(), Some(Header { has_audio: true, has_video: true }));
            d.finish().unwrap();
        }
    }

    #[test]
    fn errors_carry_offsets() {
        let mut d = Demuxer::new();
        assert_eq!(collect(&mut d, b"GIF89a", 100).unwrap_err().kind, ErrorKind::NotFlv);
        let mut f = file(&[tag(9, 0, b"abc"), tag(9, 1, b"x")]);
        let n = f.len();
        f[n - 1] = 99; // last previous-tag-size wrong: found when the next tag would start
        f.extend_from_slice(&tag(9, 2, b"y"));
        let err = collect(&mut Demuxer::new(), &f, 5).unwrap_err();
        assert_eq!(err.offset, (n - 4) as u64);
        let mut bad_type = file(&[tag(7, 0, b"abc")]);
        bad_type[13] = 7;
        assert_eq!(collect(&mut Demuxer::new(), &bad_type, 64).unwrap_err().offset, 13);
    }

    #[test]
    fn truncation_is_reported_at_the_end() {
        let f = file(&[tag(9, 0, b"abcdef")]);
        let mut d = Demuxer::new();
        collect(&mut d, &f[..f.len() - 6], 4).unwrap();
        assert_eq!(d.finish().unwrap_err().kind, ErrorKind::Truncated);
        let mut d = Demuxer::new();
        collect(&mut d, &f[..f.len() - 2], 4).unwrap();
        d.finish().unwrap();
    }

    #[test]
    fn starts_mid_file_at_a_tag() {
        let t = tag(9, 40, b"key");
        let mut d = Demuxer::at_tag(5000);
        let tags = collect(&mut d, &t, 3).unwrap();
        assert_eq!(tags, vec![(9, 40, b"key".to_vec(), 5000)]);
    }
}
