//! MPEG-TS → fragmented MP4 (API stub while the implementation lands).

use crate::error::Result;
use crate::remux::Output;

/// The incremental TS → fMP4 remuxer, fed one HLS segment at a time.
#[derive(Default)]
pub struct TsRemuxer {
    out: Vec<Output>,
}

impl TsRemuxer {
    pub fn new() -> Self {
        Self::default()
    }

    /// A new HLS segment begins at `start_ms` on the output timeline, in discontinuity range `discontinuity`.
    pub fn begin_segment(&mut self, start_ms: i64, discontinuity: u64) {
        let _ = (start_ms, discontinuity);
    }

    /// Feeds bytes of the current segment, in chunks of any size.
    pub fn push(&mut self, bytes: &[u8]) -> Result<()> {
        let _ = bytes;
        Ok(())
    }

    /// The current segment's bytes are all in.
    pub fn end_segment(&mut self) -> Result<()> {
        Ok(())
    }

    /// Takes the segments produced so far.
    pub fn take_output(&mut self) -> Vec<Output> {
        std::mem::take(&mut self.out)
    }
}

/// A whole TS file (one segment at 0) to fragmented MP4 outputs.
pub fn remux_all(ts: &[u8]) -> Result<Vec<Output>> {
    let mut r = TsRemuxer::new();
    r.begin_segment(0, 0);
    r.push(ts)?;
    r.end_segment()?;
    Ok(r.take_output())
}
