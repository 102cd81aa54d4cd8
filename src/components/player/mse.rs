//! FLV playback through Media Source Extensions: the file is fetched as a stream,
//! remuxed to fragmented MP4 chunk by chunk by `relive_media` in a Web Worker
//! (`src/bin/flv_worker.rs`, loaded only now) and appended to a `SourceBuffer`.
//!
//! Seeking outside what is buffered finds the keyframe at or before the target (from
//! the server's index, or the file's own `onMetaData` keyframes), aborts the download
//! and continues with a `Range` request from that keyframe's byte offset. Memory stays
//! bounded: reading pauses when [`MAX_AHEAD`] seconds are remuxed ahead of the
//! playhead (appended or queued), and media further
//! than [`KEEP_BEHIND`] seconds behind the playhead is removed.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use relive_media::{KeyframeIndex, SeekPoint};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{
    AbortController, HtmlVideoElement, MediaSource, MediaSourceReadyState, MessageEvent, ReadableStreamDefaultReader,
    RequestInit, Response, SourceBuffer, SourceBufferAppendMode, Worker,
};

use crate::browser;
use crate::i18n::Key;

/// Seconds buffered ahead of the playhead before reading pauses.
pub const MAX_AHEAD: f64 = 60.0;
/// Seconds kept behind the playhead; older media is removed from the buffer.
pub const KEEP_BEHIND: f64 = 20.0;
/// Bytes handed to the worker and not yet remuxed, at most: what is remuxed shows how
/// far ahead the download is, and a big backlog would hide that.
const MAX_IN_FLIGHT: u32 = 512 * 1024;
/// Network failures in a row that the download recovers from by itself, each time
/// continuing with a `Range` request from the last keyframe it has; then the player
/// says the connection failed (and offers a retry).
const NETWORK_RETRIES: u32 = 3;
/// The largest piece of the download handed to the worker at once.
const PIECE: u32 = 128 * 1024;
/// The worker's loader, which trunk builds next to the app (see index.html).
const WORKER_URL: &str = "/relive-flv-worker_loader.js";

/// Whether this browser can play FLV this way at all.
pub fn supported() -> bool {
    let w: JsValue = browser::window().into();
    ["MediaSource", "ManagedMediaSource"]
        .iter()
        .any(|n| js_sys::Reflect::get(&w, &(*n).into()).is_ok_and(|v| v.is_function()))
}

fn new_media_source() -> Option<(MediaSource, bool)> {
    let w: JsValue = browser::window().into();
    for (name, managed) in [("MediaSource", false), ("ManagedMediaSource", true)] {
        if let Ok(ctor) = js_sys::Reflect::get(&w, &name.into()).and_then(|c| c.dyn_into::<js_sys::Function>()) {
            if let Ok(ms) = js_sys::Reflect::construct(&ctor, &js_sys::Array::new()) {
                return Some((ms.unchecked_into(), managed));
            }
        }
    }
    None
}

/// A running FLV playback on one `<video>`. Dropping it does not stop it: call
/// [`FlvEngine::destroy`].
pub struct FlvEngine {
    video: HtmlVideoElement,
    media_source: MediaSource,
    object_url: String,
    url: String,
    index_url: String,
    on_error: Box<dyn Fn(Key)>,
    worker: Worker,
    /// The worker has started and takes messages; until then they wait in `unsent`.
    worker_ready: Cell<bool>,
    unsent: RefCell<Vec<(js_sys::Object, Option<JsValue>)>>,
    worker_handler: RefCell<Option<Closure<dyn FnMut(MessageEvent)>>>,
    /// Sizes of the pieces posted to the worker and not answered yet, oldest first.
    in_flight: RefCell<VecDeque<u32>>,
    buffer: RefCell<Option<SourceBuffer>>,
    /// The init segment's type, when it came before the media source opened.
    pending_mime: RefCell<Option<String>>,
    queue: RefCell<VecDeque<Vec<u8>>>,
    index: RefCell<Option<KeyframeIndex>>,
    duration: Cell<Option<f64>>,
    /// End (seconds) of the newest segment remuxed, appended or still queued.
    queued_end: Cell<f64>,
    /// Bumped at each seek and on failure: older download loops stop and the
    /// worker's answers for older data are ignored.
    generation: Cell<u32>,
    abort: RefCell<Option<AbortController>>,
    /// The download reached the end of the file.
    done: Cell<bool>,
    /// The file stopped inside a tag: say so when playback gets there.
    truncated: Cell<bool>,
    failed: Cell<bool>,
    /// Recoveries from network failures since data last came in.
    retries: Cell<u32>,
    listeners: RefCell<Vec<(web_sys::EventTarget, &'static str, Closure<dyn FnMut()>)>>,
}

impl FlvEngine {
    /// Starts playing `url` (an FLV) in `video`. `index_url` answers with the
    /// server's keyframe index; `on_error` shows a message in the player.
    pub fn start(
        video: &HtmlVideoElement,
        url: String,
        index_url: String,
        on_error: impl Fn(Key) + 'static,
    ) -> Result<Rc<Self>, Key> {
        let (media_source, managed) = new_media_source().ok_or(Key::ErrUnsupported)?;
        if managed {
            // Safari's ManagedMediaSource plays only with remote playback off.
            let _ = js_sys::Reflect::set(video, &"disableRemotePlayback".into(), &true.into());
        }
        let object_url = web_sys::Url::create_object_url_with_source(&media_source).map_err(|_| Key::ErrUnsupported)?;
        let worker = Worker::new(WORKER_URL).map_err(|_| Key::ErrUnsupported)?;
        let engine = Rc::new(FlvEngine {
            video: video.clone(),
            media_source,
            object_url,
            url,
            index_url,
            on_error: Box::new(on_error),
            worker,
            worker_ready: Cell::new(false),
            unsent: RefCell::new(Vec::new()),
            worker_handler: RefCell::new(None),
            in_flight: RefCell::new(VecDeque::new()),
            buffer: RefCell::new(None),
            pending_mime: RefCell::new(None),
            queue: RefCell::new(VecDeque::new()),
            index: RefCell::new(None),
            duration: Cell::new(None),
            queued_end: Cell::new(0.0),
            generation: Cell::new(0),
            abort: RefCell::new(None),
            done: Cell::new(false),
            truncated: Cell::new(false),
            failed: Cell::new(false),
            retries: Cell::new(0),
            listeners: RefCell::new(Vec::new()),
        });
        let e = engine.clone();
        let handler = Closure::<dyn FnMut(MessageEvent)>::new(move |m: MessageEvent| e.on_worker_message(m.data()));
        engine.worker.set_onmessage(Some(handler.as_ref().unchecked_ref()));
        *engine.worker_handler.borrow_mut() = Some(handler);
        let e = engine.clone();
        engine.listen(engine.media_source.clone().into(), "sourceopen", move || {
            // Also after endOfStream, when more is appended (a seek back).
            e.apply_duration();
            if let Some(mime) = e.pending_mime.borrow_mut().take() {
                if let Err(key) = e.create_buffer(&mime) {
                    e.fail(key);
                    return;
                }
            }
            e.pump();
        });
        let e = engine.clone();
        engine.listen(video.clone().into(), "seeking", move || e.clone().on_seeking());
        let e = engine.clone();
        engine.listen(video.clone().into(), "timeupdate", move || e.maintain());
        let e = engine.clone();
        engine.listen(video.clone().into(), "ended", move || {
            if e.truncated.get() {
                (e.on_error)(Key::ErrTruncated);
            }
        });
        video.set_src(&engine.object_url);
        // The download and the remuxer start now, not when the media source opens (tens of
        // milliseconds later, once the element is in the page): segments wait in the queue.
        engine.clone().download(0, false);
        spawn_local(engine.clone().load_index());
        Ok(engine)
    }

    /// Stops downloading and remuxing, and lets go of the element.
    pub fn destroy(&self) {
        self.generation.set(self.generation.get() + 1);
        if let Some(a) = self.abort.borrow_mut().take() {
            a.abort();
        }
        self.worker.terminate();
        self.worker.set_onmessage(None);
        self.worker_handler.borrow_mut().take();
        for (target, event, closure) in self.listeners.borrow_mut().drain(..) {
            let _ = target.remove_event_listener_with_callback(event, closure.as_ref().unchecked_ref());
        }
        let _ = web_sys::Url::revoke_object_url(&self.object_url);
    }

    fn listen(&self, target: web_sys::EventTarget, event: &'static str, f: impl FnMut() + 'static) {
        let closure = Closure::<dyn FnMut()>::new(f);
        let _ = target.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref());
        self.listeners.borrow_mut().push((target, event, closure));
    }

    fn fail(&self, key: Key) {
        if !self.failed.replace(true) {
            self.generation.set(self.generation.get() + 1);
            if let Some(a) = self.abort.borrow_mut().take() {
                a.abort();
            }
            (self.on_error)(key);
        }
    }

    // ---- the keyframe index --------------------------------------------------------

    async fn load_index(self: Rc<Self>) {
        // The server may still be building it (202): ask again, less and less often,
        // for about two minutes.
        for attempt in 0..30 {
            let Ok(resp) = fetch(&self.index_url, None, None).await else { return };
            match resp.status() {
                200 => {
                    let Ok(json) = resp.json().map(JsFuture::from) else { return };
                    let Ok(value) = json.await else { return };
                    if let Ok(ix) = serde_wasm_bindgen::from_value::<relive_api::KeyframeIndex>(value) {
                        let points = ix
                            .times_ms
                            .iter()
                            .zip(&ix.offsets)
                            .map(|(&time_ms, &offset)| SeekPoint { time_ms, offset })
                            .collect();
                        self.duration.set(Some(ix.duration_ms as f64 / 1000.0));
                        *self.index.borrow_mut() =
                            Some(KeyframeIndex { duration_ms: ix.duration_ms, points, ..Default::default() });
                        self.apply_duration();
                    }
                    return;
                }
                202 => sleep((500 * (attempt + 1)).min(5000)).await,
                _ => return,
            }
        }
    }

    /// Tells the media source the true duration, so the seek bar spans the whole file.
    fn apply_duration(&self) {
        let Some(d) = self.duration.get().filter(|d| *d > 0.0) else { return };
        let updating = self.buffer.borrow().as_ref().is_some_and(|b| b.updating());
        if self.media_source.ready_state() == MediaSourceReadyState::Open && !updating {
            self.media_source.set_duration(d);
        }
    }

    /// The seek point for `time` seconds: the server's index, else the file's own.
    fn point_before(&self, time: f64) -> Option<SeekPoint> {
        self.index.borrow().as_ref().and_then(|ix| ix.point_before((time * 1000.0) as i64))
    }

    // ---- downloading and remuxing -------------------------------------------------------

    /// Starts a download loop from `offset`; after a seek (`restart`), the worker is
    /// told to expect a tag there and answers under a new generation.
    fn download(self: Rc<Self>, offset: u64, restart: bool) {
        if restart {
            self.generation.set(self.generation.get() + 1);
            self.post(
                &[("type", "restart".into()), ("offset", (offset as f64).into()), ("gen", self.gen_value())],
                None,
            );
        }
        let generation = self.generation.get();
        self.done.set(false);
        spawn_local(async move {
            match self.clone().download_from(offset, generation).await {
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
        let attempt = self.retries.get() + 1;
        let end = self.queued_end.get();
        let point = if end > 0.0 && attempt <= NETWORK_RETRIES { self.point_before(end) } else { None };
        let Some(point) = point else { return self.fail(Key::ErrNetwork) };
        self.retries.set(attempt);
        web_sys::console::warn_1(
            &format!("FLV download broke; continuing from byte {} (attempt {attempt})", point.offset).into(),
        );
        sleep(500 * attempt).await;
        if self.generation.get() == generation && !self.failed.get() {
            self.download(point.offset, true);
        }
    }

    fn gen_value(&self) -> JsValue {
        f64::from(self.generation.get()).into()
    }

    /// Sends a message to the worker, or keeps it until the worker is ready.
    fn post(&self, fields: &[(&str, JsValue)], transfer: Option<JsValue>) {
        let msg = js_sys::Object::new();
        for (k, v) in fields {
            let _ = js_sys::Reflect::set(&msg, &(*k).into(), v);
        }
        if self.worker_ready.get() {
            self.send(&msg, transfer.as_ref());
        } else {
            self.unsent.borrow_mut().push((msg, transfer));
        }
    }

    fn send(&self, msg: &js_sys::Object, transfer: Option<&JsValue>) {
        let _ = match transfer {
            Some(t) => self.worker.post_message_with_transfer(msg, &js_sys::Array::of1(t)),
            None => self.worker.post_message(msg),
        };
    }

    async fn download_from(self: Rc<Self>, offset: u64, generation: u32) -> Result<(), Key> {
        let controller = AbortController::new().ok();
        if let Some(old) = self.abort.replace(controller.clone()) {
            old.abort();
        }
        let range = (offset > 0).then(|| format!("bytes={offset}-"));
        let resp = fetch(&self.url, range.as_deref(), controller.as_ref()).await.map_err(|_| Key::ErrNetwork)?;
        // Tests and curious developers read this in the console.
        web_sys::console::debug_1(&format!("FLV download from byte {offset}: HTTP {}", resp.status()).into());
        let mut skip = match resp.status() {
            200 => offset, // the server ignored the range: skip to the offset ourselves
            206 => 0,
            404 | 410 => return Err(Key::ErrUnsupported),
            _ => return Err(Key::ErrNetwork),
        };
        let body = resp.body().ok_or(Key::ErrNetwork)?;
        let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
        loop {
            // Enough remuxed ahead, or the worker is behind: wait.
            while self.queued_end.get() - self.video.current_time() > MAX_AHEAD
                || self.in_flight.borrow().iter().sum::<u32>() >= MAX_IN_FLIGHT
            {
                sleep(100).await;
                if self.generation.get() != generation {
                    cancel(&reader);
                    return Ok(());
                }
            }
            if self.generation.get() != generation {
                cancel(&reader);
                return Ok(());
            }
            let result = JsFuture::from(reader.read()).await.map_err(|_| Key::ErrNetwork)?;
            if self.generation.get() != generation {
                return Ok(());
            }
            let done = js_sys::Reflect::get(&result, &"done".into()).ok().and_then(|d| d.as_bool()).unwrap_or(true);
            if done {
                break;
            }
            let Ok(value) = js_sys::Reflect::get(&result, &"value".into()) else { break };
            let mut chunk = js_sys::Uint8Array::new(&value);
            self.retries.set(0); // data flows again
            if skip > 0 {
                let n = skip.min(u64::from(chunk.length()));
                chunk = chunk.subarray(n as u32, chunk.length());
                skip -= n;
                if chunk.length() == 0 {
                    continue;
                }
            }
            // In pieces, each a copy of its own so its buffer can be handed over (transferred).
            let mut at = 0;
            while at < chunk.length() {
                let end = (at + PIECE).min(chunk.length());
                let piece = chunk.slice(at, end);
                self.in_flight.borrow_mut().push_back(end - at);
                self.post(&[("type", "push".into()), ("data", piece.buffer().into())], Some(piece.buffer().into()));
                at = end;
            }
        }
        self.post(&[("type", "finish".into())], None);
        Ok(())
    }

    /// What the worker says: segments to append, metadata, errors, progress.
    fn on_worker_message(self: &Rc<Self>, msg: JsValue) {
        let get = |k: &str| js_sys::Reflect::get(&msg, &k.into()).unwrap_or(JsValue::UNDEFINED);
        let kind = get("type").as_string().unwrap_or_default();
        match kind.as_str() {
            "ready" => {
                self.worker_ready.set(true);
                for (m, t) in self.unsent.borrow_mut().drain(..) {
                    self.send(&m, t.as_ref());
                }
                return;
            }
            // Every push is answered once, in order, whatever its generation.
            "pushed" => {
                self.in_flight.borrow_mut().pop_front();
                return;
            }
            _ => {}
        }
        if get("gen").as_f64() != Some(f64::from(self.generation.get())) || self.failed.get() {
            return;
        }
        match kind.as_str() {
            "init" => {
                if self.buffer.borrow().is_none() {
                    let mime = get("mime").as_string().unwrap_or_default();
                    if self.media_source.ready_state() != MediaSourceReadyState::Open {
                        *self.pending_mime.borrow_mut() = Some(mime);
                    } else if let Err(key) = self.create_buffer(&mime) {
                        self.fail(key);
                        return;
                    }
                }
                self.queue.borrow_mut().push_back(js_sys::Uint8Array::new(&get("data")).to_vec());
            }
            "media" => {
                self.queued_end.set(get("end").as_f64().unwrap_or(0.0) / 1000.0);
                self.queue.borrow_mut().push_back(js_sys::Uint8Array::new(&get("data")).to_vec());
            }
            "metadata" => {
                let numbers =
                    |k: &str| js_sys::Array::from(&get(k)).iter().filter_map(|v| v.as_f64()).collect::<Vec<_>>();
                let (times, positions) = (numbers("times"), numbers("positions"));
                if self.index.borrow().is_none() && !times.is_empty() && times.len() == positions.len() {
                    let points = times
                        .iter()
                        .zip(&positions)
                        .map(|(&t, &p)| SeekPoint { time_ms: (t * 1000.0) as i64, offset: p as u64 })
                        .collect();
                    *self.index.borrow_mut() = Some(KeyframeIndex { points, ..Default::default() });
                }
                if self.duration.get().is_none() {
                    self.duration.set(get("duration").as_f64().filter(|d| *d > 0.0));
                    self.apply_duration();
                }
            }
            "error" => {
                web_sys::console::warn_1(
                    &format!("FLV remux: {}", get("message").as_string().unwrap_or_default()).into(),
                );
                match get("kind").as_string().as_deref() {
                    Some("truncated") => self.truncated.set(true),
                    Some("unsupported") => self.fail(Key::ErrUnsupported),
                    _ => self.fail(Key::ErrCorrupt),
                }
            }
            "done" => self.done.set(true),
            _ => {}
        }
        self.pump();
    }

    fn create_buffer(self: &Rc<Self>, mime: &str) -> Result<(), Key> {
        if !MediaSource::is_type_supported(mime) {
            return Err(Key::ErrUnsupported);
        }
        let sb = self.media_source.add_source_buffer(mime).map_err(|_| Key::ErrUnsupported)?;
        sb.set_mode(SourceBufferAppendMode::Segments);
        let e = self.clone();
        self.listen(sb.clone().into(), "updateend", move || {
            e.apply_duration();
            e.pump();
        });
        *self.buffer.borrow_mut() = Some(sb);
        Ok(())
    }

    /// Appends the next queued segment if the buffer is free; ends the stream when all is in.
    fn pump(&self) {
        let sb = self.buffer.borrow();
        let Some(sb) = sb.as_ref() else { return };
        if sb.updating() {
            return;
        }
        let next = self.queue.borrow_mut().pop_front();
        match next {
            Some(mut data) => {
                if self.media_source.ready_state() == MediaSourceReadyState::Closed {
                    return;
                }
                if sb.append_buffer_with_u8_array(&mut data).is_err() {
                    // Full (QuotaExceededError): free what is behind and try again later.
                    self.queue.borrow_mut().push_front(data);
                    self.evict(sb, 5.0);
                }
            }
            None => {
                if self.done.get() && self.media_source.ready_state() == MediaSourceReadyState::Open {
                    let _ = self.media_source.end_of_stream();
                }
            }
        }
    }

    fn is_buffered(&self, t: f64) -> bool {
        let ranges = self.video.buffered();
        (0..ranges.length())
            .any(|i| matches!((ranges.start(i), ranges.end(i)), (Ok(a), Ok(b)) if a <= t && t < b - 0.1))
    }

    /// Removes media more than `keep` seconds behind the playhead or far ahead of it.
    fn evict(&self, sb: &SourceBuffer, keep: f64) {
        if sb.updating() {
            return;
        }
        let t = self.video.current_time();
        let ranges = sb.buffered().ok();
        let Some(ranges) = ranges else { return };
        for i in 0..ranges.length() {
            let (Ok(a), Ok(b)) = (ranges.start(i), ranges.end(i)) else { continue };
            if a < t - keep {
                let _ = sb.remove(a, (t - keep).min(b));
                return;
            }
            if b > t + MAX_AHEAD * 2.0 && a > t + MAX_AHEAD {
                let _ = sb.remove(a, b);
                return;
            }
        }
    }

    /// Runs on every `timeupdate`: keep appending, trim the buffer.
    fn maintain(&self) {
        self.pump();
        if let Some(sb) = self.buffer.borrow().as_ref() {
            self.evict(sb, KEEP_BEHIND);
        }
    }

    fn on_seeking(self: Rc<Self>) {
        if self.failed.get() {
            return;
        }
        let t = self.video.current_time();
        if self.is_buffered(t) {
            return;
        }
        // Without a seek point the download carries on and reaches the target by itself.
        let Some(point) = self.point_before(t) else { return };
        self.queue.borrow_mut().clear();
        if let Some(sb) = self.buffer.borrow().as_ref() {
            if self.media_source.ready_state() == MediaSourceReadyState::Open {
                let _ = sb.abort();
            }
        }
        self.queued_end.set(point.time_ms as f64 / 1000.0);
        self.truncated.set(false);
        self.download(point.offset, true);
    }
}

async fn fetch(url: &str, range: Option<&str>, abort: Option<&AbortController>) -> Result<Response, JsValue> {
    let init = RequestInit::new();
    if let Some(r) = range {
        let headers = web_sys::Headers::new()?;
        headers.set("Range", r)?;
        init.set_headers(&headers);
    }
    init.set_signal(abort.map(|a| a.signal()).as_ref());
    let resp = JsFuture::from(browser::window().fetch_with_str_and_init(url, &init)).await?;
    resp.dyn_into()
}

/// Stops reading a download. After an abort the stream is already broken and the
/// promise rejects: consume it, so no unhandled rejection reaches the page.
fn cancel(reader: &ReadableStreamDefaultReader) {
    let promise = reader.cancel();
    spawn_local(async move {
        let _ = JsFuture::from(promise).await;
    });
}

async fn sleep(ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = browser::window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
    });
    let _ = JsFuture::from(promise).await;
}
