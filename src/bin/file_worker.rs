//! The player's file-remuxing Web Worker: FLV (`relive_media::Remuxer`) and MP4
//! (`relive_media::mp4::demux`) files to fragmented MP4, behind `postMessage`.
//!
//! Built by trunk as a separate module (`data-type="worker"` in index.html) and started
//! only when an FLV replay, or a broadcast with FLV or MP4 parts, plays, so the
//! remuxers are not part of the first page load and their work stays off the page's
//! main thread. Each part of a broadcast is an `open` (its container and its place on
//! the timeline), then the bytes of the file as read with `Range` requests.
//!
//! It speaks the engine's protocol, `src/engine/protocol/` (`relive_web::engine::protocol`
//! in the app): it takes [`ToWorker`] messages and answers with [`FromWorker`] ones. The
//! module is compiled in here from the same file, not linked from the app's crate, which
//! would bring the app's dependencies into the worker (about 8 KB more for the worker to download).

#[cfg(target_arch = "wasm32")]
use js_sys::Uint8Array;
use relive_media::Remuxer;

// Both directions are compiled; the worker uses one side of each.
#[allow(dead_code)]
#[path = "../engine/protocol/mod.rs"]
mod protocol;

use protocol::{FileFormat, FromWorker, RemuxError, ToWorker};

/// The file open, its remuxer, and the generation of the last restart.
#[derive(Default)]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
struct State {
    remuxer: Remuxer,
    generation: u32,
    /// Opened at a keyframe past the start: the bytes before the first restart are the
    /// file's head (its header and codec configurations), read for those alone; the
    /// keyframe read after the restart is the time base, at `place_ms`.
    head: Option<i64>,
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
                if self.head.is_some() {
                    // The head's own samples are not the ones wanted: only its
                    // configurations (the init segment) go out.
                    let outputs = self.remuxer.take_output();
                    for out in outputs.into_iter().filter(|o| matches!(o, relive_media::Output::Init { .. })) {
                        send(FromWorker::output(self.generation, out));
                    }
                }
                self.send_outputs(send);
                if let Err(e) = result {
                    send(self.error(&e, false));
                }
                send(FromWorker::Pushed);
            }
            ToWorker::Restart { offset, generation } => {
                self.generation = generation;
                self.remuxer.restart_at(offset);
                if let Some(place_ms) = self.head.take() {
                    self.remuxer.clear_time_base();
                    self.remuxer.set_place(place_ms);
                }
            }
            ToWorker::Open { format: FileFormat::Flv, place_ms, start_ms, generation } => {
                self.generation = generation;
                self.remuxer = Remuxer::new();
                self.remuxer.set_place(place_ms + start_ms);
                self.head = (start_ms > 0).then_some(place_ms + start_ms);
            }
            ToWorker::Open { format, generation, .. } => {
                self.generation = generation;
                let message = format!("{} files are not read by this worker", format.as_str());
                send(FromWorker::Error { generation, kind: RemuxError::Unsupported, message });
            }
            // HLS only; this worker is never sent these.
            ToWorker::Segment { .. } | ToWorker::Playlist { .. } => {}
            // Taken by the message loop (`protocol::js::serve`) before this.
            ToWorker::Recycle(_) => {}
            ToWorker::Finish => {
                let result = self.remuxer.finish();
                self.send_outputs(send);
                if let Err(e) = result {
                    send(self.error(&e, true));
                }
                send(FromWorker::Done { generation: self.generation });
            }
        }
    }

    fn send_outputs(&mut self, send: &mut dyn FnMut(FromWorker<Vec<u8>>)) {
        for out in self.remuxer.take_output() {
            send(FromWorker::output(self.generation, out));
        }
    }

    fn error(&self, e: &relive_media::Error, truncated: bool) -> FromWorker<Vec<u8>> {
        FromWorker::error(self.generation, e, truncated)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(state: &mut State, msg: ToWorker<Vec<u8>>) -> Vec<FromWorker<Vec<u8>>> {
        let mut out = Vec::new();
        state.handle(msg, Vec::clone, &mut |m| out.push(m));
        out
    }

    #[test]
    fn answers_carry_the_generation_of_the_last_restart() {
        let mut state = State::default();
        assert_eq!(answers(&mut state, ToWorker::Restart { offset: 13, generation: 4 }), vec![]);
        let out = answers(&mut state, ToWorker::Push(b"not an flv at all".to_vec()));
        assert_eq!(out.last(), Some(&FromWorker::Pushed));
        assert!(out.iter().filter_map(FromWorker::generation).all(|g| g == 4), "{out:?}");
        let out = answers(&mut state, ToWorker::Finish);
        assert_eq!(out.last(), Some(&FromWorker::Done { generation: 4 }));
    }
}
