//! Progressive MP4 (`moov` + `mdat`, as recorders and ffmpeg write them) → fragmented
//! MP4 for Media Source Extensions, incrementally, from bytes read in file order (HTTP
//! Range requests from byte 0, or from a keyframe's offset after a seek).
//!
//! - [`locate_moov`]: where the `moov` is, from the file's first bytes ([`MoovLocation`]):
//!   found (faststart), or after a box the bytes do not reach (`moov` at the end).
//! - `table` (private): one track's sample tables (`stts`, `ctts` v0/v1, `stsc`,
//!   `stsz`/`stz2`, `stco`/`co64`, `stss`, `elst`), checked against each other and
//!   kept compact; a cursor walks them.
//! - [`Mp4Remuxer`]: the `moov`'s H.264 and AAC tracks, the file's bytes in, init and
//!   media segments out, as the FLV [`Remuxer`](crate::Remuxer) does; a seek index
//!   ([`Mp4Remuxer::keyframes`]) and restarts ([`Mp4Remuxer::restart_at`]).
//! - [`remux_all`]: a whole file in memory, for tests and fuzzing.

mod locate;
mod remuxer;
pub(crate) mod table;
#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;

pub use locate::{MoovLocation, locate_moov};
pub use remuxer::{AUDIO_SEEK_INTERVAL_MS, Mp4Remuxer};
pub(crate) use remuxer::{first_entry, open_moov};
pub use table::MAX_SAMPLES;

use crate::error::{Error, ErrorKind, Result};
use crate::remux::Output;

/// A whole progressive MP4 in memory to fragmented MP4 outputs: its `moov` located and
/// read, then the file pushed in one piece. Errors have file offsets. For tests, fuzzing
/// and benchmarks (the player's worker drives [`Mp4Remuxer`] itself).
pub fn remux_all(file: &[u8]) -> Result<Vec<Output>> {
    let len = file.len() as u64;
    let (offset, size) = match locate_moov(file)? {
        MoovLocation::Found { offset, size } => (offset, if size == 0 { len.saturating_sub(offset) } else { size }),
        MoovLocation::At { offset } => return Err(Error::new(offset, ErrorKind::BadBox("no moov box in the file"))),
        MoovLocation::NeedMore => return Err(Error::new(len, ErrorKind::Truncated)),
    };
    let moov = usize::try_from(offset.saturating_add(size))
        .ok()
        .and_then(|end| file.get(offset as usize..end))
        .ok_or(Error::new(offset, ErrorKind::Truncated))?;
    let mut r = Mp4Remuxer::new(moov).map_err(|e| Error::new(e.offset.saturating_add(offset), e.kind))?;
    r.push(file)?;
    r.finish()?;
    Ok(r.take_output())
}
