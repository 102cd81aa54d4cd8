//! The playback engine: plays what the browser cannot play by itself (an FLV file, an
//! HLS playlist of MPEG-TS segments) through Media Source Extensions. The media is
//! fetched, remuxed to fragmented MP4 piece by piece in a Web Worker
//! (`src/bin/flv_worker.rs` or `src/bin/ts_worker.rs`, loaded only now) and appended to a
//! `SourceBuffer`.
//!
//! [`Engine`] orchestrates these parts, each owning its state:
//! - [`download`]: an FLV's fetch, its `Range` restarts, back-pressure and recovery from
//!   network failures;
//! - [`hls`]: an HLS playlist and its segment scheduler (seeks by the playlist's times);
//! - [`worker`]: the remuxing worker, spoken to in the typed [`protocol`];
//! - [`buffer`]: the `MediaSource`, its `SourceBuffer`, the append queue and eviction;
//! - [`seek_index`]: the keyframe index (the server's, else the file's own) and the
//!   lookup of the keyframe before a time.
//!
//! Seeking outside what is buffered finds the keyframe at or before the target, aborts
//! the download and continues with a `Range` request from that keyframe's byte offset.
//! Memory stays bounded: reading pauses when [`buffer::MAX_AHEAD`] seconds are remuxed
//! ahead of the playhead (appended or queued), and media further than
//! [`buffer::KEEP_BEHIND`] seconds behind the playhead is removed.
//!
//! The container is a parameter, [`Demux`]: each variant has its worker and its input
//! ([`Input`]); the media side, the worker's protocol and the seeking around them stay.

pub mod buffer;
pub mod download;
pub mod hls;
pub mod protocol;
pub mod seek_index;
pub mod worker;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlVideoElement;

use self::buffer::{MAX_AHEAD, MediaBuffer};
use self::download::{Download, Feed};
use self::protocol::{FromWorker, RemuxError, ToWorker};
use self::seek_index::SeekIndex;
use self::worker::{MAX_IN_FLIGHT, RemuxWorker};
use crate::i18n::Key;

pub use self::buffer::supported;

/// The containers the engine remuxes, each by its own worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Demux {
    /// One FLV file, read with `Range` requests from keyframes.
    Flv,
    /// An HLS playlist of MPEG-TS segments.
    Hls,
}

impl Demux {
    /// The worker's loader, which trunk builds next to the app (see index.html).
    fn worker_url(self) -> &'static str {
        match self {
            Demux::Flv => "/relive-flv-worker_loader.js",
            Demux::Hls => "/relive-ts-worker_loader.js",
        }
    }

    /// How console messages name it.
    fn name(self) -> &'static str {
        match self {
            Demux::Flv => "FLV",
            Demux::Hls => "HLS",
        }
    }
}

/// What the engine plays: a file or playlist, its container, and where its keyframe
/// index is.
#[derive(Clone, Debug, PartialEq)]
pub struct EngineSource {
    pub demux: Demux,
    /// The file (FLV) or the playlist (HLS).
    pub url: String,
    /// The server's keyframe index of the file, if it makes one (FLV).
    pub index_url: Option<String>,
}

/// Where the media comes from, per container.
enum Input {
    /// One file: its download and its keyframes.
    File {
        download: Download,
        index: SeekIndex,
    },
    Hls(hls::HlsInput),
}

/// An event listener: where, on what, and the closure (kept alive while listening).
type Listener = (web_sys::EventTarget, &'static str, Closure<dyn FnMut()>);

/// Event listeners to remove when the engine goes.
#[derive(Default)]
pub struct Listeners(RefCell<Vec<Listener>>);

impl Listeners {
    pub fn add(&self, target: web_sys::EventTarget, event: &'static str, f: impl FnMut() + 'static) {
        let closure = Closure::<dyn FnMut()>::new(f);
        let _ = target.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref());
        self.0.borrow_mut().push((target, event, closure));
    }

    fn clear(&self) {
        for (target, event, closure) in self.0.borrow_mut().drain(..) {
            let _ = target.remove_event_listener_with_callback(event, closure.as_ref().unchecked_ref());
        }
    }
}

/// A running playback on one `<video>`. Dropping it does not stop it: call
/// [`Engine::destroy`].
pub struct Engine {
    demux: Demux,
    video: HtmlVideoElement,
    buffer: MediaBuffer,
    worker: RemuxWorker,
    input: Input,
    on_error: Box<dyn Fn(Key)>,
    /// Bumped at each seek and on failure: older download loops stop and the
    /// worker's answers for older data are ignored.
    generation: Cell<u32>,
    /// The file stopped inside a tag: say so when playback gets there.
    truncated: Cell<bool>,
    failed: Cell<bool>,
    listeners: Listeners,
}

impl Engine {
    /// Starts playing `source` in `video`; `on_error` shows a message in the player.
    pub fn start(
        video: &HtmlVideoElement,
        source: EngineSource,
        on_error: impl Fn(Key) + 'static,
    ) -> Result<Rc<Self>, Key> {
        let EngineSource { demux, url, index_url } = source;
        // The worker first: its start (fetching and compiling its wasm) is the longest
        // step before the first segment can be remuxed.
        let worker = RemuxWorker::new(demux.worker_url())?;
        let buffer = MediaBuffer::new(video).inspect_err(|_| worker.terminate())?;
        let input = match demux {
            Demux::Flv => Input::File { download: Download::new(url, demux.name()), index: SeekIndex::default() },
            Demux::Hls => Input::Hls(hls::HlsInput::new(url)),
        };
        let engine = Rc::new(Engine {
            demux,
            video: video.clone(),
            buffer,
            worker,
            input,
            on_error: Box::new(on_error),
            generation: Cell::new(0),
            truncated: Cell::new(false),
            failed: Cell::new(false),
            listeners: Listeners::default(),
        });
        let e = engine.clone();
        engine.worker.on_message(move |m| e.on_worker_message(m));
        let weak = Rc::downgrade(&engine);
        engine.buffer.set_recycle(move |data| {
            if let Some(e) = weak.upgrade() {
                e.worker.send(ToWorker::Recycle(data));
            }
        });
        let e = engine.clone();
        engine.listeners.add(engine.buffer.media_source().clone().into(), "sourceopen", move || {
            // Also after endOfStream, when more is appended (a seek back).
            if let Err(key) = e.buffer.opened(&e.listeners, e.on_update()) {
                e.fail(key);
            }
        });
        let e = engine.clone();
        engine.listeners.add(video.clone().into(), "seeking", move || e.clone().on_seeking());
        let e = engine.clone();
        engine.listeners.add(video.clone().into(), "timeupdate", move || e.buffer.maintain());
        let e = engine.clone();
        engine.listeners.add(video.clone().into(), "ended", move || {
            if e.truncated.get() {
                (e.on_error)(Key::ErrTruncated);
            }
        });
        video.set_src(engine.buffer.object_url());
        // The download and the remuxer start now, not when the media source opens (tens of
        // milliseconds later, once the element is in the page): segments wait in the queue.
        match &engine.input {
            Input::Hls(_) => engine.hls_start(),
            Input::File { .. } => engine.clone().download(0, false),
        }
        if let (Some(index_url), Input::File { .. }) = (index_url, &engine.input) {
            let e = engine.clone();
            spawn_local(async move {
                if let Some(ix) = seek_index::load(&index_url).await
                    && let Input::File { index, .. } = &e.input
                {
                    e.buffer.set_duration(Some(ix.duration_ms as f64 / 1000.0));
                    index.set(ix);
                    e.buffer.apply_duration();
                }
            });
        }
        Ok(engine)
    }

    /// Stops downloading and remuxing, and lets go of the element.
    pub fn destroy(&self) {
        self.generation.set(self.generation.get() + 1);
        self.abort_input();
        self.worker.terminate();
        self.listeners.clear();
        self.buffer.revoke();
    }

    fn fail(&self, key: Key) {
        if !self.failed.replace(true) {
            self.generation.set(self.generation.get() + 1);
            self.abort_input();
            (self.on_error)(key);
        }
    }

    /// What the source buffer does after each append or removal.
    fn on_update(self: &Rc<Self>) -> impl FnMut() + 'static {
        let e = self.clone();
        move || {
            e.buffer.apply_duration();
            e.buffer.pump();
        }
    }

    fn abort_input(&self) {
        match &self.input {
            Input::File { download, .. } => download.abort(),
            Input::Hls(hls) => hls.abort(),
        }
    }

    /// The HLS input, when this plays a playlist.
    fn hls(&self) -> Option<&hls::HlsInput> {
        match &self.input {
            Input::Hls(h) => Some(h),
            Input::File { .. } => None,
        }
    }

    /// The FLV download and keyframes, when this plays a file.
    fn file(&self) -> Option<(&Download, &SeekIndex)> {
        match &self.input {
            Input::File { download, index } => Some((download, index)),
            Input::Hls(_) => None,
        }
    }

    /// Starts a download loop from `offset`; after a seek (`restart`), the worker is
    /// told to expect a tag there and answers under a new generation.
    fn download(self: Rc<Self>, offset: u64, restart: bool) {
        if self.file().is_none() {
            return;
        }
        if restart {
            let generation = self.generation.get() + 1;
            self.generation.set(generation);
            self.worker.send(ToWorker::Restart { offset, generation });
        }
        let generation = self.generation.get();
        self.buffer.set_done(false);
        spawn_local(async move {
            let Some((download, _)) = self.file() else { return };
            let feed = EngineFeed { engine: &self, generation };
            match download.run(offset, &feed).await {
                Err(_) if self.generation.get() != generation => {} // a seek replaced it
                Err(Key::ErrNetwork) => self.recover(generation).await,
                Err(key) => self.fail(key),
                Ok(()) => {}
            }
        });
    }

    /// After the download broke (a dropped connection, a server error): continue from
    /// the last keyframe remuxed, a little later, a few times. Without a keyframe to go
    /// back to (nothing remuxed yet, or no index), the failure is shown.
    async fn recover(self: Rc<Self>, generation: u32) {
        let Some((download, index)) = self.file() else { return };
        let end = self.buffer.queued_end();
        let attempt = download.next_attempt();
        let point = attempt.filter(|_| end > 0.0).and_then(|_| index.point_before(end));
        let (Some(attempt), Some(point)) = (attempt, point) else { return self.fail(Key::ErrNetwork) };
        download.back_off(attempt, point.offset).await;
        if self.generation.get() == generation && !self.failed.get() {
            self.download(point.offset, true);
        }
    }

    /// What the worker says: segments to append, metadata, errors, the end.
    fn on_worker_message(self: &Rc<Self>, msg: FromWorker<Uint8Array>) {
        if self.failed.get() {
            return;
        }
        let msg = match msg {
            // Answers to a playlist: not tied to a download.
            FromWorker::Segments { segments, end_ms } => return self.hls_segments(segments, end_ms),
            FromWorker::Variants { urls, codecs } => return self.hls_variants(urls, codecs),
            msg if msg.generation() != Some(self.generation.get()) => return,
            msg => msg,
        };
        match msg {
            FromWorker::Init { mime, data, .. } => {
                if let Err(key) = self.buffer.init(&mime, data, &self.listeners, self.on_update()) {
                    self.fail(key);
                    return;
                }
            }
            FromWorker::Media { data, end_ms, .. } => self.buffer.enqueue(data, end_ms as f64 / 1000.0),
            FromWorker::Metadata { duration, keyframes, .. } => {
                if let Some((_, index)) = self.file() {
                    index.offer_metadata(&keyframes);
                }
                if !self.buffer.has_duration() {
                    self.buffer.set_duration(duration.filter(|d| *d > 0.0));
                    self.buffer.apply_duration();
                }
            }
            FromWorker::Error { kind, message, .. } => {
                web_sys::console::warn_1(&format!("{} remux: {message}", self.demux.name()).into());
                match kind {
                    RemuxError::Truncated => self.truncated.set(true),
                    RemuxError::Unsupported => self.fail(Key::ErrUnsupported),
                    RemuxError::Corrupt => self.fail(Key::ErrCorrupt),
                }
            }
            FromWorker::Done { .. } => match self.hls() {
                // One segment done; the stream is done after the last.
                Some(hls) => {
                    if hls.segment_done() {
                        self.buffer.set_done(true);
                    }
                }
                None => self.buffer.set_done(true),
            },
            FromWorker::Ready | FromWorker::Pushed | FromWorker::Segments { .. } | FromWorker::Variants { .. } => {}
        }
        self.buffer.pump();
    }

    fn on_seeking(self: Rc<Self>) {
        if self.failed.get() {
            return;
        }
        let t = self.video.current_time();
        if self.buffer.is_buffered(t) {
            return;
        }
        if let Some(hls) = self.hls() {
            if let Some((segment, start)) = hls.segment_for(t) {
                self.hls_restart(segment, start);
            }
            return;
        }
        // Without a seek point the download carries on and reaches the target by itself.
        let Some(point) = self.file().and_then(|(_, index)| index.point_before(t)) else { return };
        self.buffer.restart_at(point.time_ms as f64 / 1000.0);
        self.truncated.set(false);
        self.download(point.offset, true);
    }
}

/// One download's view of the engine: whether it is still wanted, whether to wait,
/// and where its bytes go.
struct EngineFeed<'a> {
    engine: &'a Engine,
    generation: u32,
}

impl Feed for EngineFeed<'_> {
    fn current(&self) -> bool {
        self.engine.generation.get() == self.generation
    }

    fn full(&self) -> bool {
        // Enough remuxed ahead, or the worker is behind.
        let e = self.engine;
        e.buffer.queued_end() - e.video.current_time() > MAX_AHEAD || e.worker.backlog() >= MAX_IN_FLIGHT
    }

    fn piece(&self, bytes: Uint8Array) {
        self.engine.worker.push(bytes);
    }

    fn end(&self) {
        self.engine.worker.send(ToWorker::Finish);
    }
}
