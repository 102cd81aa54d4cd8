//! The player's HLS remuxing Web Worker: `relive_media::ts::TsRemuxer` behind `postMessage`.
//!
//! Built by trunk as a separate module (`data-type="worker"` in index.html) and started
//! only when an HLS replay plays. The page reads the playlist and fetches the segments;
//! this worker turns each MPEG-TS segment into fragmented MP4 for Media Source Extensions.
//!
//! It speaks the engine's protocol, `src/engine/protocol/` (compiled in here from the same
//! file, as in `flv_worker.rs`): per segment a `segment` (its place on the timeline and
//! discontinuity number), its bytes as `push`es, and `finish`, answered by `done`.

#[cfg(target_arch = "wasm32")]
use js_sys::Uint8Array;
use relive_media::ts::TsRemuxer;
use relive_media::{ErrorKind, Output};

// Both directions are compiled; the worker uses one side of each.
#[allow(dead_code)]
#[path = "../engine/protocol/mod.rs"]
mod protocol;

use protocol::{FromWorker, RemuxError, ToWorker};

/// The remuxer and the generation of the last restart (a seek).
#[derive(Default)]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
struct State {
    remuxer: TsRemuxer,
    generation: u32,
}

#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
impl State {
    /// Handles one message; `send` posts each answer.
    fn handle<B>(
        &mut self,
        msg: ToWorker<B>,
        bytes: impl Fn(&B) -> Vec<u8>,
        send: &mut dyn FnMut(FromWorker<Vec<u8>>),
    ) {
        match msg {
            ToWorker::Push(data) => {
                let result = self.remuxer.push(&bytes(&data));
                self.send_outputs(send);
                if let Err(e) = result {
                    send(self.error(&e));
                }
                send(FromWorker::Pushed);
            }
            ToWorker::Restart { generation, .. } => self.generation = generation,
            ToWorker::Segment { start_ms, discontinuity } => self.remuxer.begin_segment(start_ms, discontinuity),
            ToWorker::Finish => {
                let result = self.remuxer.end_segment();
                self.send_outputs(send);
                if let Err(e) = result {
                    send(self.error(&e));
                }
                send(FromWorker::Done { generation: self.generation });
            }
        }
    }

    fn send_outputs(&mut self, send: &mut dyn FnMut(FromWorker<Vec<u8>>)) {
        let generation = self.generation;
        for out in self.remuxer.take_output() {
            match out {
                Output::Init { data, mime } => send(FromWorker::Init { generation, data, mime }),
                Output::Media { data, start_ms, end_ms } => {
                    send(FromWorker::Media { generation, data, start_ms, end_ms })
                }
                Output::Metadata(_) => {}
            }
        }
    }

    fn error(&self, e: &relive_media::Error) -> FromWorker<Vec<u8>> {
        let kind = match e.kind {
            ErrorKind::UnsupportedCodec(_) => RemuxError::Unsupported,
            _ => RemuxError::Corrupt,
        };
        FromWorker::Error { generation: self.generation, kind, message: e.to_string() }
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {
    let mut state = State::default();
    protocol::js::serve(move |msg, send| state.handle(msg, Uint8Array::to_vec, send));
}

/// The worker runs only in a browser; natively this binary does nothing.
#[cfg(not(target_arch = "wasm32"))]
fn main() {}
