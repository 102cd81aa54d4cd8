//! Our remuxers for the browser benchmarks, as a player drives them.
//!
//! FLV: `remux(flv)`, the whole file through [`relive_media::Remuxer`] in 64 KiB chunks
//! inside wasm (segments only counted), and [`ChunkedRemuxer`], driven from JS chunk by
//! chunk, each segment copied out. With the `ts` feature, the same two for MPEG-TS
//! through `relive_media::ts::TsRemuxer`: `remux_ts(ts)` and [`ChunkedTsRemuxer`].

use relive_media::{Output, Remuxer};
use wasm_bindgen::prelude::*;

const CHUNK: usize = 64 * 1024;

fn output_bytes(out: Vec<Output>) -> usize {
    out.into_iter()
        .map(|o| match o {
            Output::Init { data, .. } | Output::Media { data, .. } => data.len(),
            Output::Metadata(_) => 0,
        })
        .sum()
}

/// Init and media segments of `out`, in order, onto `queue`.
fn queue_segments(queue: &mut std::collections::VecDeque<Vec<u8>>, out: Vec<Output>) -> usize {
    for o in out {
        match o {
            Output::Init { data, .. } | Output::Media { data, .. } => queue.push_back(data),
            Output::Metadata(_) => {}
        }
    }
    queue.len()
}

fn js_error(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// Remuxes `flv`, fed in 64 KiB chunks; the total bytes of init and media segments.
#[wasm_bindgen]
pub fn remux(flv: &[u8]) -> Result<f64, JsError> {
    let mut r = Remuxer::new();
    let mut total = 0;
    for chunk in flv.chunks(CHUNK) {
        r.push(chunk).map_err(js_error)?;
        total += output_bytes(r.take_output());
    }
    r.finish().map_err(js_error)?;
    total += output_bytes(r.take_output());
    Ok(total as f64)
}

/// The same remuxer driven from JavaScript as a player would: each chunk copied in by
/// `push`, each segment copied out to a `Uint8Array` by `next_segment`.
#[wasm_bindgen]
pub struct ChunkedRemuxer {
    inner: Remuxer,
    segments: std::collections::VecDeque<Vec<u8>>,
}

#[wasm_bindgen]
impl ChunkedRemuxer {
    #[wasm_bindgen(constructor)]
    pub fn new() -> ChunkedRemuxer {
        ChunkedRemuxer { inner: Remuxer::new(), segments: Default::default() }
    }

    /// Feeds bytes; the number of segments now waiting.
    pub fn push(&mut self, chunk: &[u8]) -> Result<usize, JsError> {
        self.inner.push(chunk).map_err(js_error)?;
        Ok(queue_segments(&mut self.segments, self.inner.take_output()))
    }

    /// Ends the input; the number of segments now waiting.
    pub fn finish(&mut self) -> Result<usize, JsError> {
        self.inner.finish().map_err(js_error)?;
        Ok(queue_segments(&mut self.segments, self.inner.take_output()))
    }

    /// The oldest waiting segment (init or media), or `undefined`.
    pub fn next_segment(&mut self) -> Option<Vec<u8>> {
        self.segments.pop_front()
    }

    /// Where the time goes: `push`, but the segments are dropped inside (only their
    /// bytes counted), so nothing is copied out. Returns those bytes.
    pub fn push_drop(&mut self, chunk: &[u8]) -> Result<f64, JsError> {
        self.inner.push(chunk).map_err(js_error)?;
        Ok(output_bytes(self.inner.take_output()) as f64)
    }

    /// `finish`, segments dropped inside; their bytes.
    pub fn finish_drop(&mut self) -> Result<f64, JsError> {
        self.inner.finish().map_err(js_error)?;
        Ok(output_bytes(self.inner.take_output()) as f64)
    }
}

impl Default for ChunkedRemuxer {
    fn default() -> Self {
        Self::new()
    }
}

/// Whether this build has the MPEG-TS bindings (the `ts` feature).
#[wasm_bindgen]
pub fn has_ts() -> bool {
    cfg!(feature = "ts")
}

#[cfg(feature = "ts")]
mod ts {
    use relive_media::ts::TsRemuxer;

    use super::*;

    /// Remuxes `ts` as one HLS segment starting at 0, fed in 64 KiB chunks; the total
    /// bytes of init and media segments (they never leave wasm memory).
    #[wasm_bindgen]
    pub fn remux_ts(ts: &[u8]) -> Result<f64, JsError> {
        let mut r = TsRemuxer::new();
        r.begin_segment(0, 0);
        let mut total = 0;
        for chunk in ts.chunks(CHUNK) {
            r.push(chunk).map_err(js_error)?;
            total += output_bytes(r.take_output());
        }
        r.end_segment().map_err(js_error)?;
        total += output_bytes(r.take_output());
        Ok(total as f64)
    }

    /// `TsRemuxer` driven from JavaScript: `begin_segment` per HLS segment, its bytes by
    /// `push` (copied in), `end_segment`; each segment copied out by `next_segment`.
    #[wasm_bindgen]
    pub struct ChunkedTsRemuxer {
        inner: TsRemuxer,
        segments: std::collections::VecDeque<Vec<u8>>,
    }

    #[wasm_bindgen]
    impl ChunkedTsRemuxer {
        #[wasm_bindgen(constructor)]
        pub fn new() -> ChunkedTsRemuxer {
            ChunkedTsRemuxer { inner: TsRemuxer::new(), segments: Default::default() }
        }

        /// An HLS segment begins at `start_ms` on the timeline, in discontinuity `disc`.
        pub fn begin_segment(&mut self, start_ms: f64, disc: f64) {
            self.inner.begin_segment(start_ms as i64, disc as u64);
        }

        /// Feeds bytes; the number of segments now waiting.
        pub fn push(&mut self, chunk: &[u8]) -> Result<usize, JsError> {
            self.inner.push(chunk).map_err(js_error)?;
            Ok(queue_segments(&mut self.segments, self.inner.take_output()))
        }

        /// Ends the HLS segment; the number of segments now waiting.
        pub fn end_segment(&mut self) -> Result<usize, JsError> {
            self.inner.end_segment().map_err(js_error)?;
            Ok(queue_segments(&mut self.segments, self.inner.take_output()))
        }

        /// The oldest waiting segment (init or media), or `undefined`.
        pub fn next_segment(&mut self) -> Option<Vec<u8>> {
            self.segments.pop_front()
        }

        /// Where the time goes: `push`, segments dropped inside (nothing copied out);
        /// their bytes.
        pub fn push_drop(&mut self, chunk: &[u8]) -> Result<f64, JsError> {
            self.inner.push(chunk).map_err(js_error)?;
            Ok(output_bytes(self.inner.take_output()) as f64)
        }

        /// `end_segment`, segments dropped inside; their bytes.
        pub fn end_segment_drop(&mut self) -> Result<f64, JsError> {
            self.inner.end_segment().map_err(js_error)?;
            Ok(output_bytes(self.inner.take_output()) as f64)
        }
    }

    impl Default for ChunkedTsRemuxer {
        fn default() -> Self {
            Self::new()
        }
    }
}
