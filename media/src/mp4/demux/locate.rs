//! Where an MP4's `moov` is, from the first bytes of the file: right there (after
//! `ftyp`, "faststart"), or after a box the bytes do not reach (the `mdat` of a file
//! written in one pass, `moov` at the end), so that a reader over HTTP needs one more
//! Range request at most.

use crate::error::{Error, ErrorKind, Result};
use crate::mp4::read::BoxHeader;

/// What [`locate_moov`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MoovLocation {
    /// The `moov` box starts at `offset` and is `size` bytes long, header included (0:
    /// it runs to the end of the file). Fetch `offset..offset + size` (if `head` does not
    /// hold it all) and give it to [`Mp4Remuxer::new`](super::Mp4Remuxer::new).
    Found { offset: u64, size: u64 },
    /// The top-level boxes in `head` are not `moov`, and the next one starts at
    /// `offset`, at or past the end of `head`: fetch from there (usually the `moov` after
    /// a large `mdat`) and call [`locate_moov`] again on those bytes, adding `offset` to
    /// what it says.
    At { offset: u64 },
    /// `head` ends inside a box header (or is empty): give it more bytes.
    NeedMore,
}

/// Walks the top-level boxes of a file from its first byte, over the bytes `head` holds
/// (any number: 64 KiB finds a faststart `moov` and the `mdat` of the others). 64-bit
/// box sizes are read; a box of size 0 (to the end of the file) that is not `moov` means
/// there is none. A box type that is not four printable ASCII characters is "not an MP4"
/// (an FLV, an HTML error page): an error rather than a wild jump.
pub fn locate_moov(head: &[u8]) -> Result<MoovLocation> {
    if head.is_empty() {
        return Ok(MoovLocation::NeedMore);
    }
    let mut at = 0u64;
    loop {
        let rest = match usize::try_from(at).ok().and_then(|i| head.get(i..)) {
            Some(rest) if !rest.is_empty() => rest,
            _ => return Ok(MoovLocation::At { offset: at }),
        };
        let Some(h) = BoxHeader::parse(rest, at)? else { return Ok(MoovLocation::NeedMore) };
        if !h.kind.as_bytes().iter().all(|&b| (0x20..0x7f).contains(&b)) {
            return Err(Error::new(at, ErrorKind::BadBox("not an MP4: no box type here")));
        }
        if h.kind == b"moov" {
            return Ok(MoovLocation::Found { offset: at, size: h.size });
        }
        if h.size == 0 {
            return Err(Error::new(at, ErrorKind::BadBox("no moov: a box before it runs to the end of the file")));
        }
        at = at.checked_add(h.size).ok_or(Error::new(at, ErrorKind::BadBox("a box ends past 2^64")))?;
    }
}
