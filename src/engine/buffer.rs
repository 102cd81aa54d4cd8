//! The media side: a `MediaSource` on the element, its `SourceBuffer`, the queue of
//! remuxed segments waiting to be appended, the true duration, and eviction of what is
//! far from the playhead.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{HtmlVideoElement, MediaSource, MediaSourceReadyState, SourceBuffer, SourceBufferAppendMode};

use super::Listeners;
use crate::browser;
use crate::i18n::Key;

/// Seconds buffered ahead of the playhead before reading pauses.
pub const MAX_AHEAD: f64 = 60.0;
/// Seconds kept behind the playhead; older media is removed from the buffer.
pub const KEEP_BEHIND: f64 = 20.0;
/// The widest hole in the buffer the playhead jumps over by itself: where two parts of
/// a broadcast meet, the first may end a few frames before the second's place.
pub const MAX_HOLE: f64 = 2.0;

/// Whether this browser has Media Source Extensions at all.
pub fn supported() -> bool {
    let w: JsValue = browser::window().into();
    ["MediaSource", "ManagedMediaSource"]
        .iter()
        .any(|n| js_sys::Reflect::get(&w, &(*n).into()).is_ok_and(|v| v.is_function()))
}

fn new_media_source() -> Option<(MediaSource, bool)> {
    let w: JsValue = browser::window().into();
    for (name, managed) in [("MediaSource", false), ("ManagedMediaSource", true)] {
        if let Ok(ctor) = js_sys::Reflect::get(&w, &name.into()).and_then(|c| c.dyn_into::<js_sys::Function>())
            && let Ok(ms) = js_sys::Reflect::construct(&ctor, &js_sys::Array::new())
        {
            return Some((ms.unchecked_into(), managed));
        }
    }
    None
}

pub struct MediaBuffer {
    video: HtmlVideoElement,
    media_source: MediaSource,
    object_url: String,
    buffer: RefCell<Option<SourceBuffer>>,
    /// The type the buffer takes now (an init segment of another changes it).
    mime: RefCell<String>,
    /// The init segment's type, when it came before the media source opened.
    pending_mime: RefCell<Option<String>>,
    /// Segments as the worker handed them over: appended from there, never copied
    /// into this module's memory.
    queue: RefCell<VecDeque<Uint8Array>>,
    duration: Cell<Option<f64>>,
    /// End (seconds) of the newest segment remuxed, appended or still queued.
    queued_end: Cell<f64>,
    /// Where (seconds) the reading under way started: media before it comes from
    /// earlier reads, and what was never read there is not coming.
    read_from: Cell<f64>,
    /// Everything up to the end of the file is queued.
    done: Cell<bool>,
    /// Where a segment's buffer goes once appended (back to the worker, for reuse).
    recycle: RefCell<Option<Recycle>>,
}

type Recycle = Box<dyn Fn(Uint8Array)>;

impl MediaBuffer {
    pub fn new(video: &HtmlVideoElement) -> Result<Self, Key> {
        let (media_source, managed) = new_media_source().ok_or(Key::ErrUnsupported)?;
        if managed {
            // Safari's ManagedMediaSource plays only with remote playback off.
            let _ = js_sys::Reflect::set(video, &"disableRemotePlayback".into(), &true.into());
        }
        let object_url = web_sys::Url::create_object_url_with_source(&media_source).map_err(|_| Key::ErrUnsupported)?;
        Ok(MediaBuffer {
            video: video.clone(),
            media_source,
            object_url,
            buffer: RefCell::new(None),
            mime: RefCell::new(String::new()),
            pending_mime: RefCell::new(None),
            queue: RefCell::new(VecDeque::new()),
            duration: Cell::new(None),
            queued_end: Cell::new(0.0),
            read_from: Cell::new(0.0),
            done: Cell::new(false),
            recycle: RefCell::new(None),
        })
    }

    /// `f` gets each segment once appended: the browser has copied it by then.
    pub fn set_recycle(&self, f: impl Fn(Uint8Array) + 'static) {
        *self.recycle.borrow_mut() = Some(Box::new(f));
    }

    pub fn media_source(&self) -> &MediaSource {
        &self.media_source
    }

    /// What the element plays (`src`).
    pub fn object_url(&self) -> &str {
        &self.object_url
    }

    pub fn revoke(&self) {
        let _ = web_sys::Url::revoke_object_url(&self.object_url);
    }

    /// The media source opened: create the buffer if its type is known, and append.
    pub fn opened(&self, listeners: &Listeners, on_update: impl FnMut() + 'static) -> Result<(), Key> {
        self.apply_duration();
        if let Some(mime) = self.pending_mime.borrow_mut().take() {
            self.create(&mime, listeners, on_update)?;
        }
        self.pump();
        Ok(())
    }

    /// The init segment: creates the buffer for its type (once the media source is open)
    /// and queues it. `on_update` runs after each append or removal.
    pub fn init(
        &self,
        mime: &str,
        data: Uint8Array,
        listeners: &Listeners,
        on_update: impl FnMut() + 'static,
    ) -> Result<(), Key> {
        if self.buffer.borrow().is_none() {
            if self.media_source.ready_state() != MediaSourceReadyState::Open {
                *self.pending_mime.borrow_mut() = Some(mime.to_string());
            } else {
                self.create(mime, listeners, on_update)?;
            }
        } else if *self.mime.borrow() != mime {
            // A part with other codecs (a broadcast's next recording): the buffer
            // takes them from here on, where the browser can (`changeType`).
            self.change_type(mime)?;
        }
        self.queue.borrow_mut().push_back(data);
        Ok(())
    }

    fn create(&self, mime: &str, listeners: &Listeners, on_update: impl FnMut() + 'static) -> Result<(), Key> {
        if !MediaSource::is_type_supported(mime) {
            return Err(Key::ErrUnsupported);
        }
        let sb = self.media_source.add_source_buffer(mime).map_err(|_| Key::ErrUnsupported)?;
        *self.mime.borrow_mut() = mime.to_string();
        sb.set_mode(SourceBufferAppendMode::Segments);
        listeners.add(sb.clone().into(), "updateend", on_update);
        *self.buffer.borrow_mut() = Some(sb);
        Ok(())
    }

    fn change_type(&self, mime: &str) -> Result<(), Key> {
        if !MediaSource::is_type_supported(mime) {
            return Err(Key::ErrUnsupported);
        }
        *self.mime.borrow_mut() = mime.to_string();
        let sb = self.buffer.borrow();
        let Some(sb) = sb.as_ref() else { return Ok(()) };
        // Through Reflect: older browsers have no `changeType`; their decoder then
        // takes the new init segment as it is (same codec, new parameters).
        let change =
            js_sys::Reflect::get(sb, &"changeType".into()).ok().and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        if let Some(f) = change {
            let _ = f.call1(sb, &mime.into());
        }
        Ok(())
    }

    /// A media segment ending at `end` seconds.
    pub fn enqueue(&self, data: Uint8Array, end: f64) {
        self.queued_end.set(end);
        self.queue.borrow_mut().push_back(data);
    }

    pub fn queued_end(&self) -> f64 {
        self.queued_end.get()
    }

    pub fn set_done(&self, done: bool) {
        self.done.set(done);
    }

    pub fn has_duration(&self) -> bool {
        self.duration.get().is_some()
    }

    pub fn set_duration(&self, d: Option<f64>) {
        self.duration.set(d);
    }

    /// Tells the media source the true duration, so the seek bar spans the whole file.
    /// Never less than what is buffered: the media may run a little past what the index
    /// or the playlist says (MSE refuses a duration below a buffered frame).
    pub fn apply_duration(&self) {
        let Some(d) = self.duration.get().filter(|d| *d > 0.0) else { return };
        let sb = self.buffer.borrow();
        if sb.as_ref().is_some_and(|b| b.updating()) || self.media_source.ready_state() != MediaSourceReadyState::Open {
            return;
        }
        let ranges = sb.as_ref().and_then(|b| b.buffered().ok());
        let end = ranges.and_then(|r| r.length().checked_sub(1).and_then(|i| r.end(i).ok())).unwrap_or(0.0);
        let d = d.max(end);
        // NaN until first set: an init segment appended then would make it Infinity.
        let current = self.media_source.duration();
        if current.is_nan() || (current - d).abs() > 1e-3 {
            // Through Reflect: a refusal is an exception, which must not reach the page.
            let _ = js_sys::Reflect::set(&self.media_source, &"duration".into(), &d.into());
        }
    }

    /// Appends the next queued segment if the buffer is free; ends the stream when all is in.
    pub fn pump(&self) {
        let sb = self.buffer.borrow();
        let Some(sb) = sb.as_ref() else { return };
        if sb.updating() {
            return;
        }
        let next = self.queue.borrow_mut().pop_front();
        match next {
            Some(data) => {
                if self.media_source.ready_state() == MediaSourceReadyState::Closed {
                    return;
                }
                if sb.append_buffer_with_array_buffer_view(&data).is_err() {
                    // Full (QuotaExceededError): free what is behind and try again later.
                    self.queue.borrow_mut().push_front(data);
                    self.evict(sb, 5.0);
                } else if let Some(recycle) = self.recycle.borrow().as_ref() {
                    recycle(data);
                }
            }
            None => {
                if self.done.get() && self.media_source.ready_state() == MediaSourceReadyState::Open {
                    web_sys::console::debug_1(&"end of stream".into());
                    let _ = self.media_source.end_of_stream();
                }
            }
        }
    }

    /// Jumps the playhead over a hole of at most [`MAX_HOLE`] seconds ahead of it (where
    /// two parts meet), as players do; a wider one is left to the download to fill.
    pub fn skip_hole(&self) {
        let t = self.video.current_time();
        if self.video.seeking() || self.is_buffered(t) {
            return;
        }
        let ranges = self.video.buffered();
        let next = (0..ranges.length()).filter_map(|i| ranges.start(i).ok()).find(|&a| a > t && a - t <= MAX_HOLE);
        if let Some(a) = next {
            self.video.set_current_time(a + 0.001);
        }
    }

    /// Whether the element has `t` buffered.
    pub fn is_buffered(&self, t: f64) -> bool {
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
    pub fn maintain(&self) {
        self.pump();
        if let Some(sb) = self.buffer.borrow().as_ref() {
            self.evict(sb, KEEP_BEHIND);
        }
    }

    /// Drops what is queued and any append under way: the next segments start at `time` seconds.
    pub fn restart_at(&self, time: f64) {
        self.queue.borrow_mut().clear();
        if let Some(sb) = self.buffer.borrow().as_ref()
            && self.media_source.ready_state() == MediaSourceReadyState::Open
        {
            let _ = sb.abort();
        }
        self.queued_end.set(time);
        self.read_from.set(time);
    }

    /// Where the reading under way started (seconds).
    pub fn read_from(&self) -> f64 {
        self.read_from.get()
    }

    /// The end of the buffered range holding `t`, if one does.
    pub fn range_end(&self, t: f64) -> Option<f64> {
        let ranges = self.video.buffered();
        (0..ranges.length()).find_map(|i| match (ranges.start(i), ranges.end(i)) {
            (Ok(a), Ok(b)) if a <= t && t < b => Some(b),
            _ => None,
        })
    }
}
