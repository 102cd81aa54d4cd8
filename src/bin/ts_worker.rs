//! The player's HLS remuxing Web Worker: `relive_media::ts::TsRemuxer` behind `postMessage`.
//!
//! Built by trunk as a separate module (`data-type="worker"` in index.html) and started
//! only when an HLS replay plays. The page fetches the playlist and the segments; this
//! worker reads the playlist (`relive_media::hls`, so the page's first download carries no
//! parser) and turns each MPEG-TS segment into fragmented MP4 for Media Source Extensions.
//!
//! It speaks the engine's protocol, `src/engine/protocol/` (compiled in here from the same
//! file, as in `file_worker.rs`): per segment a `segment` (its place on the timeline and
//! discontinuity number), its bytes as `push`es, and `finish`, answered by `done`.

#[cfg(target_arch = "wasm32")]
use js_sys::Uint8Array;
use relive_media::hls::{self, Playlist};
use relive_media::mp4;
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
    /// The playlist's segments are fragmented MP4 (`EXT-X-MAP`): passed through as they
    /// are, not remuxed.
    fmp4: Option<Passthrough>,
}

/// An fMP4 segment (or init section) being gathered, and its place on the timeline.
#[derive(Default)]
struct Passthrough {
    bytes: Vec<u8>,
    start_ms: i64,
    end_ms: i64,
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
            ToWorker::Push(data) if self.fmp4.is_some() => {
                self.fmp4.get_or_insert_default().bytes.extend_from_slice(&bytes(&data));
                send(FromWorker::Pushed);
            }
            ToWorker::Push(data) => {
                let result = self.remuxer.push(&bytes(&data));
                self.send_outputs(send);
                if let Err(e) = result {
                    send(self.error(&e));
                }
                send(FromWorker::Pushed);
            }
            ToWorker::Restart { generation, .. } => self.generation = generation,
            // A new part of a broadcast: its segments start a timeline of their own.
            // (Whether they pass through as fMP4 stays as its playlist said.)
            ToWorker::Open { generation, .. } => {
                self.generation = generation;
                self.remuxer = TsRemuxer::new();
            }
            ToWorker::Segment { start_ms, end_ms, .. } if self.fmp4.is_some() => {
                self.fmp4 = Some(Passthrough { bytes: Vec::new(), start_ms, end_ms });
            }
            ToWorker::Segment { start_ms, discontinuity, .. } => self.remuxer.begin_segment(start_ms, discontinuity),
            ToWorker::Playlist { url, text } => send(self.playlist(&url, &text)),
            // Taken by the message loop (`protocol::js::serve`) before this.
            ToWorker::Recycle(_) => {}
            ToWorker::Finish if self.fmp4.is_some() => {
                self.pass_through(send);
                send(FromWorker::Done { generation: self.generation });
            }
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

    /// An fMP4 segment as it is: an init section (up to its `moov`) goes out as the init
    /// segment, with the MIME type its sample entries give; the rest (`moof`, `mdat`) as
    /// a media segment at its playlist place. Their timestamps are the file's own.
    fn pass_through(&mut self, send: &mut dyn FnMut(FromWorker<Vec<u8>>)) {
        let Passthrough { bytes, start_ms, end_ms } = std::mem::take(self.fmp4.get_or_insert_default());
        let generation = self.generation;
        let mut split = 0;
        for b in mp4::Boxes::new(&bytes, 0) {
            match b {
                Ok(b) if b.kind == b"moov" => split = (b.offset + b.header_len) as usize + b.body.len(),
                Ok(_) => {}
                Err(e) => return send(self.error(&e)),
            }
        }
        if split > 0 {
            match mp4::init_mime(&bytes[..split]) {
                Ok(mime) => send(FromWorker::Init { generation, data: bytes[..split].to_vec(), mime }),
                Err(e) => return send(self.error(&e)),
            }
        }
        if bytes.len() > split {
            send(FromWorker::Media { generation, data: bytes[split..].to_vec(), start_ms, end_ms });
        }
    }

    /// A playlist's segments or variants, or why it cannot be played.
    fn playlist(&mut self, url: &str, text: &str) -> FromWorker<Vec<u8>> {
        let error = |kind, message: String| FromWorker::Error { generation: self.generation, kind, message };
        match hls::parse(text, url) {
            Ok(Playlist::Master(variants)) => FromWorker::Variants {
                urls: variants.iter().map(|v| v.url.clone()).collect(),
                codecs: variants.into_iter().map(|v| v.codecs.unwrap_or_default()).collect(),
            },
            Ok(Playlist::Media(p)) => {
                // fMP4 segments need no remuxing: they pass through.
                self.fmp4 = p.segments.iter().any(|s| s.map.is_some()).then(Passthrough::default);
                self.segments(p)
            }
            Err(e) if e.message == hls::ENCRYPTED => error(RemuxError::Unsupported, format!("{url}: {e}")),
            Err(e) => error(RemuxError::Corrupt, format!("{url}: {e}")),
        }
    }

    /// A media playlist's segments, as the page fetches them.
    fn segments(&self, p: hls::MediaPlaylist) -> FromWorker<Vec<u8>> {
        FromWorker::Segments {
            end_ms: p.duration_ms(),
            segments: p
                .segments
                .into_iter()
                .map(|s| SegmentInfo {
                    url: s.url,
                    start_ms: s.start_ms,
                    range: s.byte_range,
                    discontinuity: s.discontinuity,
                    init: s.map.map(|m| (m.url, m.byte_range)),
                })
                .collect(),
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
            SegmentInfo { url: "/media/a/0.ts?t=1".into(), start_ms: 0, range: None, discontinuity: 0, init: None }
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
    }

    #[test]
    fn fmp4_segments_pass_through_with_their_init_section() {
        use relive_media::codec::AacConfig;
        use relive_media::mp4::{Sample, Track, TrackConfig};

        let mut state = State::default();
        let mut out = Vec::new();
        let text = "#EXTM3U\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:4,\n0.m4s\n#EXTINF:4,\n1.m4s\n#EXT-X-ENDLIST\n";
        state.handle(ToWorker::Playlist { url: "/m/a/index.m3u8".into(), text: text.into() }, Vec::clone, &mut |m| {
            out.push(m)
        });
        let Some(FromWorker::Segments { segments, .. }) = out.pop() else { panic!("not segments") };
        assert_eq!(segments[1].init, Some(("/m/a/init.mp4".into(), None)));
        // The init section, then a media segment: out as they came, the init with its codecs.
        let track = Track { id: 2, config: TrackConfig::Audio(AacConfig::parse(&[0x12, 0x10]).unwrap()) };
        let init = relive_media::mp4::init_segment(&[&track]);
        let sample = Sample { dts: 0, cts: 0, duration: 23, key: true, data: vec![1; 10] };
        let media = relive_media::mp4::media_segment(1, &[(&track, &[sample][..])]);
        for (bytes, start, end) in [(init.clone(), 0, 0), (media.clone(), 0, 4000)] {
            state.handle(ToWorker::Segment { start_ms: start, end_ms: end, discontinuity: 0 }, Vec::clone, &mut |m| {
                out.push(m)
            });
            state.handle(ToWorker::Push(bytes[..7].to_vec()), Vec::clone, &mut |m| out.push(m));
            state.handle(ToWorker::Push(bytes[7..].to_vec()), Vec::clone, &mut |m| out.push(m));
            state.handle(ToWorker::Finish, Vec::clone, &mut |m| out.push(m));
        }
        let kept: Vec<_> =
            out.into_iter().filter(|m| !matches!(m, FromWorker::Pushed | FromWorker::Done { .. })).collect();
        assert_eq!(
            kept,
            [
                FromWorker::Init { generation: 0, data: init, mime: "audio/mp4; codecs=\"mp4a.40.2\"".into() },
                FromWorker::Media { generation: 0, data: media, start_ms: 0, end_ms: 4000 },
            ]
        );
    }
}
