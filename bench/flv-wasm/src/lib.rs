//! `remux(flv)`: the whole FLV through [`relive_media::Remuxer`] in 64 KiB chunks (the
//! same chunking as the mpegts.js side), segments taken after each chunk as a player
//! would; returns the bytes of fragmented MP4 produced.

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

/// Remuxes `flv`, fed in 64 KiB chunks; the total bytes of init and media segments.
#[wasm_bindgen]
pub fn remux(flv: &[u8]) -> Result<f64, JsError> {
    let mut r = Remuxer::new();
    let mut total = 0;
    for chunk in flv.chunks(CHUNK) {
        r.push(chunk).map_err(|e| JsError::new(&e.to_string()))?;
        total += output_bytes(r.take_output());
    }
    r.finish().map_err(|e| JsError::new(&e.to_string()))?;
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
        self.inner.push(chunk).map_err(|e| JsError::new(&e.to_string()))?;
        Ok(self.collect())
    }

    /// Ends the input; the number of segments now waiting.
    pub fn finish(&mut self) -> Result<usize, JsError> {
        self.inner.finish().map_err(|e| JsError::new(&e.to_string()))?;
        Ok(self.collect())
    }

    /// The oldest waiting segment (init or media), or `undefined`.
    pub fn next_segment(&mut self) -> Option<Vec<u8>> {
        self.segments.pop_front()
    }

    fn collect(&mut self) -> usize {
        for o in self.inner.take_output() {
            match o {
                Output::Init { data, .. } | Output::Media { data, .. } => self.segments.push_back(data),
                Output::Metadata(_) => {}
            }
        }
        self.segments.len()
    }
}

impl Default for ChunkedRemuxer {
    fn default() -> Self {
        Self::new()
    }
}
