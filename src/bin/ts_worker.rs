//! The player's HLS remuxing Web Worker: `relive_media::ts::TsRemuxer` behind `postMessage`.
//!
//! Built by trunk as a separate module (`data-type="worker"` in index.html) and started
//! only when an HLS replay plays. The page fetches the playlist and the segments; this
//! worker reads the playlist (`relive_media::hls`, so the page's first download carries no
//! parser) and turns each MPEG-TS segment into fragmented MP4 for Media Source Extensions.
//!
//! It speaks the engine's protocol, `src/engine/protocol/` (compiled in here from the same
//! file, as in `flv_worker.rs`): per segment a `segment` (its place on the timeline and
//! discontinuity number), its bytes as `push`es, and `finish`, answered by `done`.

#[cfg(target_arch = "wasm32")]
use js_sys::Uint8Array;
use relive_media::hls::{self, Playlist};
use relive_media::ts::TsRemuxer;

// Both directions are compiled; the worker uses one side of each.
#[allow(dead_code)]
#[path = "../engine/protocol/mod.rs"]
mod protocol;

use protocol::{FromWorker, RemuxError, SegmentInfo, ToWorker};

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
            ToWorker::Playlist { url, text } => send(self.playlist(&url, &text)),
            // Taken by the message loop (`protocol::js::serve`) before this.
            ToWorker::Recycle(_) => {}
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

    /// A playlist's segments or variants, or why it cannot be played.
    fn playlist(&self, url: &str, text: &str) -> FromWorker<Vec<u8>> {
        let error = |kind, message: String| FromWorker::Error { generation: self.generation, kind, message };
        match hls::parse(text, url) {
            Ok(Playlist::Master(variants)) => FromWorker::Variants {
                urls: variants.iter().map(|v| v.url.clone()).collect(),
                codecs: variants.into_iter().map(|v| v.codecs.unwrap_or_default()).collect(),
            },
            // fMP4 segments need no remuxing, but this engine does not pass them through yet.
            Ok(Playlist::Media(p)) if p.segments.iter().any(|s| s.map.is_some()) => {
                error(RemuxError::Unsupported, "HLS with fMP4 segments (EXT-X-MAP) is not supported yet".into())
            }
            Ok(Playlist::Media(p)) => FromWorker::Segments {
                end_ms: p.duration_ms(),
                segments: p
                    .segments
                    .into_iter()
                    .map(|s| SegmentInfo {
                        url: s.url,
                        start_ms: s.start_ms,
                        range: s.byte_range,
                        discontinuity: s.discontinuity,
                    })
                    .collect(),
            },
            Err(e) if e.message == hls::ENCRYPTED => error(RemuxError::Unsupported, format!("{url}: {e}")),
            Err(e) => error(RemuxError::Corrupt, format!("{url}: {e}")),
        }
    }

    fn send_outputs(&mut self, send: &mut dyn FnMut(FromWorker<Vec<u8>>)) {
        for out in self.remuxer.take_output() {
            send(FromWorker::output(self.generation, out));
        }
    }

    fn error(&self, e: &relive_media::Error) -> FromWorker<Vec<u8>> {
        FromWorker::error(self.generation, e, false)
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

    fn answer(text: &str) -> FromWorker<Vec<u8>> {
        let mut out = Vec::new();
        let mut state = State::default();
        state.handle(
            ToWorker::Playlist { url: "/media/a/index.m3u8?t=1".into(), text: text.into() },
            Vec::clone,
            &mut |m| out.push(m),
        );
        assert_eq!(out.len(), 1, "{out:?}");
        out.pop().unwrap()
    }

    #[test]
    fn a_media_playlist_answers_its_segments() {
        let text = "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4.0,\n0.ts\n#EXT-X-DISCONTINUITY\n#EXTINF:2.5,\nhttp://cdn/1.ts\n#EXT-X-ENDLIST\n";
        let FromWorker::Segments { segments, end_ms } = answer(text) else { panic!("not segments") };
        assert_eq!(end_ms, 6500);
        assert_eq!(segments.len(), 2);
        assert_eq!(
            segments[0],
            SegmentInfo { url: "/media/a/0.ts?t=1".into(), start_ms: 0, range: None, discontinuity: 0 }
        );
        assert_eq!((segments[1].start_ms, segments[1].discontinuity), (4000, 1));
        assert_eq!(segments[1].url, "http://cdn/1.ts");
    }

    #[test]
    fn a_master_playlist_answers_its_variants() {
        let text = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000,CODECS=\"avc1.64001f,mp4a.40.2\"\nhi.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=200000\nlo.m3u8\n";
        let FromWorker::Variants { urls, codecs } = answer(text) else { panic!("not variants") };
        assert_eq!(urls, ["/media/a/hi.m3u8?t=1", "/media/a/lo.m3u8?t=1"]);
        assert_eq!(codecs, ["avc1.64001f,mp4a.40.2", ""]);
    }

    #[test]
    fn unreadable_or_encrypted_playlists_answer_an_error() {
        let FromWorker::Error { kind, message, .. } = answer("<html>not found</html>") else { panic!() };
        assert_eq!(kind, RemuxError::Corrupt, "{message}");
        let text = "#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI=\"k\"\n#EXTINF:4,\n0.ts\n";
        let FromWorker::Error { kind, .. } = answer(text) else { panic!() };
        assert_eq!(kind, RemuxError::Unsupported);
        let text = "#EXTM3U\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:4,\n0.m4s\n";
        let FromWorker::Error { kind, .. } = answer(text) else { panic!() };
        assert_eq!(kind, RemuxError::Unsupported);
    }
}
