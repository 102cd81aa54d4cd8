//! The playback engine: plays what the browser cannot play by itself (an FLV file, an
//! HLS playlist of MPEG-TS segments, a broadcast of several recordings) through Media
//! Source Extensions. The media is fetched, remuxed to fragmented MP4 piece by piece in
//! a Web Worker (`src/bin/file_worker.rs` for FLV and MP4, `src/bin/ts_worker.rs` for
//! HLS, loaded only now) and appended to a `SourceBuffer`.
//!
//! What plays is a timeline of parts ([`EngineSource`]): one file or playlist, or the
//! recordings of one broadcast end to end, each at its offset. Parts are read one after
//! the other; the next one starts as soon as the last is read, so it is remuxed and
//! appended well before the playhead gets there. A seek lands in the part holding the
//! target, at its keyframe.
//!
//! [`Engine`] orchestrates these pieces, each owning its state:
//! - [`download`]: a file's fetch, its `Range` restarts, back-pressure and recovery from
//!   network failures;
//! - [`hls`]: an HLS playlist and its segment scheduler (seeks by the playlist's times);
//! - [`worker`]: the remuxing workers, spoken to in the typed [`protocol`];
//! - [`buffer`]: the `MediaSource`, its `SourceBuffer`, the append queue, eviction, and
//!   the skipping of small holes where parts meet;
//! - [`seek_index`]: a file's keyframe index (the server's, else the file's own) and the
//!   lookup of the keyframe before a time;
//! - [`signed`]: a part's URL when a CDN signs it, renewed through the player's
//!   [`Refresh`] when it is about to expire or is refused (403), reading on from there.
//!
//! Seeking outside what is buffered finds the keyframe at or before the target, aborts
//! the download and continues with a `Range` request from that keyframe's byte offset.
//! Memory stays bounded: reading pauses when [`buffer::MAX_AHEAD`] seconds are remuxed
//! ahead of the playhead (appended or queued), and media further than
//! [`buffer::KEEP_BEHIND`] seconds behind the playhead is removed.

pub mod buffer;
pub mod download;
pub mod hls;
pub mod protocol;
pub mod seek_index;
pub mod signed;
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
use self::protocol::{FileFormat, FromWorker, RemuxError, ToWorker};
use self::seek_index::SeekIndex;
use self::signed::SignedUrl;
pub use self::signed::{PartUrl, Refresh};
use self::worker::{MAX_IN_FLIGHT, RemuxWorker};
use crate::i18n::Key;

pub use self::buffer::supported;

/// Seconds of buffer left ahead of the playhead when a hole after it (nothing being
/// read there) starts being filled.
const FILL_AHEAD: f64 = 10.0;

/// The containers the engine remuxes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Demux {
    /// An FLV file, read with `Range` requests from keyframes.
    Flv,
    /// A progressive MP4 file (`moov` first or last), read the same way.
    Mp4,
    /// An HLS playlist of MPEG-TS (or fMP4) segments.
    Hls,
}

impl Demux {
    /// The worker that remuxes it: its loader, which trunk builds next to the app (see
    /// index.html).
    fn worker_url(self) -> &'static str {
        match self {
            Demux::Flv | Demux::Mp4 => "/relive-file-worker_loader.js",
            Demux::Hls => "/relive-ts-worker_loader.js",
        }
    }

    /// How console messages name it.
    fn name(self) -> &'static str {
        match self {
            Demux::Flv => "FLV",
            Demux::Mp4 => "MP4",
            Demux::Hls => "HLS",
        }
    }
}

/// One file or playlist and where it lies on the timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct PartSource {
    pub demux: Demux,
    /// The file (FLV, MP4) or the playlist (HLS).
    pub url: String,
    /// The server's keyframe index of the file, if it makes one (FLV).
    pub index_url: Option<String>,
    /// Where the part starts on the timeline (ms).
    pub offset_ms: i64,
    /// Its length (ms; 0 when unknown).
    pub duration_ms: i64,
    /// When `url` stops working (Unix seconds): a CDN signed it, and the engine renews
    /// it through its [`Refresh`].
    pub expires_at: Option<i64>,
}

/// What the engine plays: parts end to end on one timeline (one, for a single file).
#[derive(Clone, Debug, PartialEq)]
pub struct EngineSource {
    pub parts: Vec<PartSource>,
}

impl EngineSource {
    /// One file or playlist, its length left to the media to say.
    pub fn single(demux: Demux, url: String, index_url: Option<String>, expires_at: Option<i64>) -> Self {
        EngineSource { parts: vec![PartSource { demux, url, index_url, offset_ms: 0, duration_ms: 0, expires_at }] }
    }

    /// The part holding `ms` on the timeline (the first before the start, the last past
    /// the end).
    pub fn part_at(&self, ms: i64) -> usize {
        self.parts.partition_point(|p| p.offset_ms <= ms).saturating_sub(1)
    }
}

/// Where a part's media comes from.
enum Input {
    /// A file: its download and its keyframes.
    File {
        download: Download,
        index: SeekIndex,
    },
    Hls(hls::HlsInput),
}

struct Part {
    source: PartSource,
    /// Its URL as it is now (`source.url`, renewed when signed).
    url: Rc<SignedUrl>,
    input: Input,
    /// The server's keyframe index has been asked for.
    index_asked: Cell<bool>,
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
    video: HtmlVideoElement,
    buffer: MediaBuffer,
    /// One per worker the parts need (the file worker, the TS worker), by loader URL.
    workers: Vec<(&'static str, RemuxWorker)>,
    parts: Vec<Part>,
    /// The part being read.
    current: Cell<usize>,
    /// Its worker has read its head (an init segment came): a seek inside it can go
    /// straight to a keyframe. Before that, a seek opens it again at the target.
    head_read: Cell<bool>,
    on_error: Box<dyn Fn(Key)>,
    /// Bumped at each seek, each new part and on failure: older download loops stop
    /// and the workers' answers for older data are ignored.
    generation: Cell<u32>,
    /// The file stopped inside a tag: say so when playback gets there.
    truncated: Cell<bool>,
    failed: Cell<bool>,
    listeners: Listeners,
}

impl Engine {
    /// Starts playing `source` in `video`; `on_error` shows a message in the player;
    /// `refresh` gives a part's freshly signed URL (see [`signed`]).
    pub fn start(
        video: &HtmlVideoElement,
        source: EngineSource,
        on_error: impl Fn(Key) + 'static,
        refresh: Option<Refresh>,
    ) -> Result<Rc<Self>, Key> {
        if source.parts.is_empty() {
            return Err(Key::ErrUnsupported);
        }
        // The workers first: their start (fetching and compiling their wasm) is the
        // longest step before the first segment can be remuxed.
        let mut workers: Vec<(&'static str, RemuxWorker)> = Vec::new();
        for p in &source.parts {
            let url = p.demux.worker_url();
            if !workers.iter().any(|(u, _)| *u == url) {
                match RemuxWorker::new(url) {
                    Ok(w) => workers.push((url, w)),
                    Err(key) => {
                        workers.iter().for_each(|(_, w)| w.terminate());
                        return Err(key);
                    }
                }
            }
        }
        let buffer = MediaBuffer::new(video).inspect_err(|_| workers.iter().for_each(|(_, w)| w.terminate()))?;
        let single = source.parts.len() == 1;
        let total_ms = source.parts.last().map_or(0, |p| p.offset_ms + p.duration_ms);
        if !single && total_ms > 0 {
            // A broadcast: its length is the parts' (the files' own say less).
            buffer.set_duration(Some(total_ms as f64 / 1000.0));
        }
        let parts = source
            .parts
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                let url = Rc::new(SignedUrl::new(i, p.url.clone(), p.expires_at, refresh.clone()));
                let input = match p.demux {
                    Demux::Flv | Demux::Mp4 => Input::File {
                        download: Download::new(url.clone(), p.demux.name()),
                        index: SeekIndex::default(),
                    },
                    Demux::Hls => Input::Hls(hls::HlsInput::new(url.clone())),
                };
                Part { source: p, url, input, index_asked: Cell::new(false) }
            })
            .collect();
        let engine = Rc::new(Engine {
            video: video.clone(),
            buffer,
            workers,
            parts,
            current: Cell::new(0),
            head_read: Cell::new(false),
            on_error: Box::new(on_error),
            generation: Cell::new(0),
            truncated: Cell::new(false),
            failed: Cell::new(false),
            listeners: Listeners::default(),
        });
        for (_, w) in &engine.workers {
            let e = engine.clone();
            w.on_message(move |m| e.on_worker_message(m));
        }
        let weak = Rc::downgrade(&engine);
        engine.buffer.set_recycle(move |data| {
            if let Some(e) = weak.upgrade() {
                e.worker().send(ToWorker::Recycle(data));
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
        engine.listeners.add(video.clone().into(), "timeupdate", move || {
            e.buffer.maintain();
            e.clone().fill_ahead();
        });
        let e = engine.clone();
        engine.listeners.add(video.clone().into(), "waiting", move || {
            e.buffer.skip_hole();
            e.clone().fill_ahead();
        });
        let e = engine.clone();
        engine.listeners.add(video.clone().into(), "ended", move || {
            if e.truncated.get() {
                (e.on_error)(Key::ErrTruncated);
            }
        });
        video.set_src(engine.buffer.object_url());
        // The download and the remuxer start now, not when the media source opens (tens of
        // milliseconds later, once the element is in the page): segments wait in the queue.
        engine.clone().open_part(0, 0, false);
        Ok(engine)
    }

    /// Stops downloading and remuxing, and lets go of the element.
    pub fn destroy(&self) {
        self.generation.set(self.generation.get() + 1);
        self.abort_input();
        for (_, w) in &self.workers {
            w.terminate();
        }
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
            e.buffer.skip_hole();
        }
    }

    fn part(&self) -> &Part {
        &self.parts[self.current.get()]
    }

    /// The worker of the part being read.
    fn worker(&self) -> &RemuxWorker {
        let url = self.part().source.demux.worker_url();
        self.workers.iter().find(|(u, _)| *u == url).map_or(&self.workers[0].1, |(_, w)| w)
    }

    fn single(&self) -> bool {
        self.parts.len() == 1
    }

    fn abort_input(&self) {
        match &self.part().input {
            Input::File { download, .. } => download.abort(),
            Input::Hls(hls) => hls.abort(),
        }
    }

    /// The HLS input, when the part being read is a playlist.
    fn hls(&self) -> Option<&hls::HlsInput> {
        match &self.part().input {
            Input::Hls(h) => Some(h),
            Input::File { .. } => None,
        }
    }

    /// The file's download and keyframes, when the part being read is a file.
    fn file(&self) -> Option<(&Download, &SeekIndex)> {
        match &self.part().input {
            Input::File { download, index } => Some((download, index)),
            Input::Hls(_) => None,
        }
    }

    /// Starts reading part `i` from `start_ms` of it (0: its start). After a seek
    /// (`seek`), what is queued is dropped and the buffer continues at the target.
    fn open_part(self: Rc<Self>, i: usize, start_ms: i64, seek: bool) {
        self.abort_input();
        self.current.set(i);
        self.head_read.set(false);
        let generation = self.generation.get() + 1;
        self.generation.set(generation);
        let part = &self.parts[i].source;
        let place_ms = part.offset_ms;
        // Tests and curious developers read this in the console.
        web_sys::console::debug_1(&format!("part {i} ({}) opened at {start_ms} ms of it", part.demux.name()).into());
        if seek {
            self.buffer.restart_at((place_ms + start_ms) as f64 / 1000.0);
            self.truncated.set(false);
        }
        self.buffer.set_done(false);
        match part.demux {
            Demux::Hls => {
                self.worker().send(ToWorker::Open { format: FileFormat::Hls, place_ms, start_ms: 0, generation });
                self.hls_open(place_ms + start_ms);
            }
            Demux::Mp4 => {
                // The worker reads the `moov` and says where to go on (`Need`).
                self.worker().send(ToWorker::Open { format: FileFormat::Mp4, place_ms, start_ms, generation });
                self.clone().download(0, false);
            }
            Demux::Flv => {
                let e = self.clone();
                spawn_local(async move { e.flv_open(i, start_ms, generation).await });
            }
        }
        self.load_index(i);
    }

    /// Opens FLV part `i` at `start_ms` of it: from its start, or from the keyframe at
    /// or before the target with the file's head (its configurations) read first.
    async fn flv_open(self: Rc<Self>, i: usize, start_ms: i64, generation: u32) {
        let place_ms = self.parts[i].source.offset_ms;
        let point = if start_ms > 0 { self.flv_point(i, start_ms).await } else { None };
        if self.generation.get() != generation || self.failed.get() {
            return;
        }
        match point {
            // From a keyframe inside: the file's head (its configurations) first.
            Some((head, point)) => {
                let open = ToWorker::Open { format: FileFormat::Flv, place_ms, start_ms: point.time_ms, generation };
                self.worker().send(open);
                match download::fetch_range(&self.parts[i].url, 0, head).await {
                    Ok(bytes) if self.generation.get() == generation => {
                        self.worker().push(bytes);
                        self.clone().download(point.offset, true);
                    }
                    Ok(_) => {}
                    Err(key) => self.fail(key),
                }
            }
            None => {
                self.worker().send(ToWorker::Open { format: FileFormat::Flv, place_ms, start_ms: 0, generation });
                self.clone().download(0, false);
            }
        }
    }

    /// Asks the server for part `i`'s keyframe index, once; a single file's sets the
    /// duration.
    fn load_index(self: &Rc<Self>, i: usize) {
        let part = &self.parts[i];
        let Some(url) = part.source.index_url.clone() else { return };
        if part.index_asked.replace(true) {
            return;
        }
        let e = self.clone();
        spawn_local(async move {
            if let Some(ix) = seek_index::load(&url).await
                && let Input::File { index, .. } = &e.parts[i].input
            {
                if e.single() {
                    e.buffer.set_duration(Some(ix.duration_ms as f64 / 1000.0));
                }
                index.set(ix);
                e.buffer.apply_duration();
            }
        });
    }

    /// Where to start reading FLV part `i` for `start_ms` of it: the length of the
    /// file's head (up to its first keyframe) and the keyframe at or before the target,
    /// from the server's index (fetched now if need be). `None`: from the start.
    async fn flv_point(self: &Rc<Self>, i: usize, start_ms: i64) -> Option<(u64, seek_index::SeekPoint)> {
        let Input::File { index, .. } = &self.parts[i].input else { return None };
        if index.first().is_none()
            && let Some(url) = self.parts[i].source.index_url.clone()
        {
            self.parts[i].index_asked.set(true);
            if let Some(ix) = seek_index::load(&url).await {
                index.set(ix);
            }
        }
        let head = index.first()?.offset;
        let point = index.point_before(start_ms as f64 / 1000.0)?;
        (point.offset > head).then_some((head, point))
    }

    /// Starts a download loop from `offset` of the part being read; after a seek
    /// (`restart`), the worker is told to expect a tag there and answers under a new
    /// generation.
    fn download(self: Rc<Self>, offset: u64, restart: bool) {
        if self.file().is_none() {
            return;
        }
        if restart {
            let generation = self.generation.get() + 1;
            self.generation.set(generation);
            self.worker().send(ToWorker::Restart { offset, generation });
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
        let place = self.part().source.offset_ms as f64 / 1000.0;
        let end = self.buffer.queued_end() - place;
        let attempt = download.next_attempt();
        let point = attempt.filter(|_| end > 0.0).and_then(|_| index.point_before(end));
        let (Some(attempt), Some(point)) = (attempt, point) else { return self.fail(Key::ErrNetwork) };
        download.back_off(attempt, point.offset).await;
        if self.generation.get() == generation && !self.failed.get() {
            self.download(point.offset, true);
        }
    }

    /// The part being read is all in: go on with the next one, or end the stream.
    fn part_done(self: &Rc<Self>) {
        let next = self.current.get() + 1;
        if next < self.parts.len() {
            self.clone().open_part(next, 0, false);
        } else {
            self.buffer.set_done(true);
        }
    }

    /// What a worker says: segments to append, metadata, errors, the end.
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
                self.head_read.set(true);
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
                if self.single() && !self.buffer.has_duration() {
                    self.buffer.set_duration(duration.filter(|d| *d > 0.0));
                    self.buffer.apply_duration();
                }
            }
            FromWorker::Error { kind, message, .. } => {
                let name = self.part().source.demux.name();
                web_sys::console::warn_1(&format!("{name} remux: {message}").into());
                match kind {
                    RemuxError::Truncated => self.truncated.set(true),
                    RemuxError::Unsupported => self.fail(Key::ErrUnsupported),
                    RemuxError::Corrupt => self.fail(Key::ErrCorrupt),
                }
            }
            FromWorker::Need { offset, .. } => self.clone().download(offset, true),
            FromWorker::Done { .. } => match self.hls() {
                // One segment done; the part is done after its last.
                Some(hls) => {
                    if hls.segment_done() {
                        self.part_done();
                    }
                }
                None => self.part_done(),
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
        self.read_at(t);
    }

    /// Playback nears the end of what is buffered where no reading is under way (a seek
    /// back before media read after a later seek, a part never read): read from there,
    /// as after a seek, so playing on does not stall.
    fn fill_ahead(self: Rc<Self>) {
        if self.failed.get() || self.video.seeking() {
            return;
        }
        let t = self.video.current_time();
        let end = match self.buffer.range_end(t) {
            Some(end) if end - t < FILL_AHEAD => end,
            Some(_) => return,
            // In no range (stalled at a hole wider than the ones skipped).
            None => t,
        };
        let duration = self.video.duration();
        if end + buffer::MAX_HOLE < self.buffer.read_from() && (duration.is_nan() || end < duration - 0.5) {
            web_sys::console::debug_1(&format!("reading again from {end:.3} s").into());
            self.read_at(end);
        }
    }

    /// Reads from `t` seconds on: in the part holding it, from its keyframe at or before.
    fn read_at(self: Rc<Self>, t: f64) {
        let ms = (t * 1000.0) as i64;
        let i = self.parts.partition_point(|p| p.source.offset_ms <= ms).saturating_sub(1);
        let start_ms = (ms - self.parts[i].source.offset_ms).max(0);
        if i != self.current.get() || (!self.head_read.get() && self.hls().is_none()) {
            return self.open_part(i, start_ms, true);
        }
        if let Some(hls) = self.hls() {
            match hls.segment_for(t) {
                Some((segment, start)) => self.hls_restart(segment, start),
                // The playlist is being read (again, after its URL was renewed).
                None => self.hls_seek_pending(ms),
            }
            return;
        }
        // Without a seek point the download carries on and reaches the target by itself.
        let Some(point) = self.file().and_then(|(_, index)| index.point_before(start_ms as f64 / 1000.0)) else {
            return;
        };
        let place = self.part().source.offset_ms;
        self.buffer.restart_at((place + point.time_ms) as f64 / 1000.0);
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
        e.buffer.queued_end() - e.video.current_time() > MAX_AHEAD || e.worker().backlog() >= MAX_IN_FLIGHT
    }

    fn piece(&self, bytes: Uint8Array) {
        self.engine.worker().push(bytes);
    }

    fn end(&self) {
        self.engine.worker().send(ToWorker::Finish);
    }
}
