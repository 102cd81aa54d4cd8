//! HLS: the playlist and the segment scheduler.
//!
//! The playlist (m3u8) is fetched here and read by the worker (`relive_media::hls`, kept
//! out of the page's first download): it answers with the segments, or with a master
//! playlist's variants, of which the page plays the first this browser can decode. The segments are fetched
//! one at a time, in order, while less than [`MAX_AHEAD`] seconds are remuxed ahead of
//! the playhead; each goes to the worker as `segment` (its start on the timeline by the
//! EXTINF before it, and its discontinuity number), its bytes, then `finish`. The worker
//! (`src/bin/ts_worker.rs`) anchors each discontinuity at its playlist time, so no
//! `timestampOffset` is needed and a seek lands where the playlist says.
//!
//! Seeking outside what is buffered starts again from the segment holding the target
//! (the last one starting at or before it); the browser then decodes from that
//! segment's first keyframe. A segment that fails is fetched again [`NETWORK_RETRIES`]
//! times, a little later each time, before the player shows the error (with Retry).
//!
//! A signed playlist (its URL expires, see [`super::signed`]): its segments' URLs carry
//! its query (`relive_media::hls` resolves them so), and expire with it. When it is
//! about to expire before a segment is fetched, or a playlist or segment read is
//! refused (403), the playlist's URL is renewed, the playlist read again, and reading
//! goes on with the same segment; refused again before a segment came in, the player
//! shows the error.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{AbortController, MediaSource, ReadableStreamDefaultReader, Response};

use super::Engine;
use super::buffer::MAX_AHEAD;
use super::download::{NETWORK_RETRIES, cancel, fetch, sleep};
use super::protocol::{InitSection, SegmentInfo, ToWorker};
use super::signed::SignedUrl;
use super::worker::MAX_IN_FLIGHT;
use crate::browser;
use crate::i18n::Key;

/// The largest piece of a segment handed to the worker at once.
const PIECE: u32 = 256 * 1024;

/// Why a fetch gave nothing: worth another try, or not there at all.
enum Failure {
    Network,
    Missing,
    Aborted,
    /// 403 on a signed URL: renew it.
    Refused,
}

/// How a segment's fetch ended.
enum Fetched {
    Sent,
    /// This generation ended (a seek, or the failure shown).
    Stopped,
    /// The playlist's URL expires or was refused: renew it and read it again.
    Resign {
        refused: bool,
    },
}

/// An HLS playback's own state; the engine holds it.
pub struct HlsInput {
    /// The playlist's URL (a master playlist's, when it is one).
    url: Rc<SignedUrl>,
    /// A refusal renewed the URL, and no segment has come in since.
    renewed: Cell<bool>,
    /// The media playlist's segments, once read.
    segments: RefCell<Option<Rc<Vec<SegmentInfo>>>>,
    /// Master playlists followed so far (a variant that is a master again is refused).
    hops: Cell<u32>,
    /// The first segment, fetched while the worker reads the playlist: its absolute URL
    /// and the `fetch` promise.
    prefetch: RefCell<Option<(String, js_sys::Promise)>>,
    /// The next segment to fetch.
    next: Cell<usize>,
    /// Segments handed to the worker whose `done` has not come back, oldest first
    /// (`None`: an init section).
    sent: RefCell<VecDeque<Option<usize>>>,
    /// The end of the last segment (ms).
    end_ms: Cell<i64>,
    /// The init section (`EXT-X-MAP`) last handed to the worker.
    init_sent: RefCell<Option<InitSection>>,
    abort: RefCell<Option<AbortController>>,
    /// Where on the timeline reading is to start once the playlist is read (ms).
    start_ms: Cell<i64>,
}

impl HlsInput {
    pub fn new(url: Rc<SignedUrl>) -> Self {
        HlsInput {
            url,
            renewed: Cell::new(false),
            segments: RefCell::new(None),
            hops: Cell::new(0),
            prefetch: RefCell::new(None),
            next: Cell::new(0),
            sent: RefCell::default(),
            end_ms: Cell::new(0),
            init_sent: RefCell::new(None),
            abort: RefCell::new(None),
            start_ms: Cell::new(0),
        }
    }

    pub fn abort(&self) {
        if let Some(a) = self.abort.borrow_mut().take() {
            a.abort();
        }
    }

    /// The worker finished a segment; `true` when it was the last one.
    pub fn segment_done(&self) -> bool {
        let done = self.sent.borrow_mut().pop_front();
        let last = self.segments.borrow().as_ref().map(|s| s.len());
        matches!((done, last), (Some(Some(i)), Some(n)) if i + 1 == n)
    }

    /// Where a seek to `time` seconds starts: the segment holding it and its start (seconds).
    pub fn segment_for(&self, time: f64) -> Option<(usize, f64)> {
        let segments = self.segments.borrow().clone()?;
        let i = segment_at(&segments, (time * 1000.0) as i64)?;
        Some((i, segments[i].start_ms as f64 / 1000.0))
    }
}

/// The last segment starting at or before `ms` (the first one before the start).
pub fn segment_at(segments: &[SegmentInfo], ms: i64) -> Option<usize> {
    if segments.is_empty() {
        return None;
    }
    Some(segments.partition_point(|s| s.start_ms <= ms).saturating_sub(1))
}

impl Engine {
    /// Starts reading the playlist's segments from the one holding `at_ms` on the
    /// timeline: at once when the playlist is read, else once it is (fetched now and
    /// handed to the worker to read).
    pub(super) fn hls_open(self: &Rc<Self>, at_ms: i64) {
        let Some(hls) = self.hls() else { return };
        hls.start_ms.set(at_ms);
        hls.init_sent.borrow_mut().take();
        match hls.segment_for(at_ms as f64 / 1000.0) {
            Some((segment, start)) => self.hls_restart(segment, start),
            None => self.hls_load(None, true),
        }
    }

    /// Fetches a playlist (`None`: the part's own, renewed first if it is about to
    /// expire) and hands it to the worker; `prefetch`: fetch its first segment meanwhile.
    fn hls_load(self: &Rc<Self>, variant: Option<String>, prefetch: bool) {
        let e = self.clone();
        spawn_local(async move {
            let Some(hls) = e.hls() else { return };
            let url = match variant {
                Some(url) => url,
                None => hls.url.fresh().await,
            };
            match fetch_text(&url, hls.url.signed()).await {
                Ok(text) => {
                    // While the worker starts and reads the playlist, the first segment
                    // is already on its way.
                    if let (true, Some(first)) = (prefetch, first_segment_url(&text, &url)) {
                        let promise = browser::window().fetch_with_str(&first);
                        *hls.prefetch.borrow_mut() = Some((first, promise));
                    }
                    e.worker().send(ToWorker::Playlist { url, text })
                }
                Err(Key::ErrRefused) => e.clone().hls_resign(hls.start_ms.get(), true).await,
                Err(key) => e.fail(key),
            }
        });
    }

    /// Renews the playlist's URL (after a refusal: once, until a segment comes in) and
    /// reads the playlist again; reading goes on from `at_ms` on the timeline (or where
    /// a seek meanwhile asked).
    async fn hls_resign(self: Rc<Self>, at_ms: i64, refused: bool) {
        let Some(hls) = self.hls() else { return };
        if refused && hls.renewed.replace(true) {
            return self.fail(Key::ErrRefused);
        }
        web_sys::console::warn_1(
            &format!("HLS playlist URL {}: renewing it", if refused { "refused" } else { "about to expire" }).into(),
        );
        let part = self.current.get();
        // Until the playlist is read again, a seek only moves where reading starts.
        hls.start_ms.set(at_ms);
        hls.segments.borrow_mut().take();
        hls.prefetch.borrow_mut().take();
        let renewed = hls.url.renew().await;
        if self.failed.get() || self.current.get() != part {
            return;
        }
        if refused && !renewed {
            return self.fail(Key::ErrNetwork);
        }
        hls.hops.set(0);
        self.hls_load(None, false);
    }

    /// The worker read a master playlist: play the first variant this browser decodes.
    pub(super) fn hls_variants(self: &Rc<Self>, urls: Vec<String>, codecs: Vec<String>) {
        let Some(hls) = self.hls() else { return };
        let playable = |c: &str| c.is_empty() || MediaSource::is_type_supported(&format!("video/mp4; codecs=\"{c}\""));
        let pick = urls.into_iter().zip(codecs).find(|(_, c)| playable(c));
        match pick {
            Some((url, _)) if hls.hops.replace(hls.hops.get() + 1) == 0 => self.hls_load(Some(url), true),
            Some(_) => self.fail(Key::ErrCorrupt),
            None => self.fail(Key::ErrUnsupported),
        }
    }

    /// The worker read the media playlist: start fetching segments. Its times are the
    /// playlist's; they move to the part's place on the timeline.
    pub(super) fn hls_segments(self: &Rc<Self>, mut segments: Vec<SegmentInfo>, end_ms: i64) {
        let Some(hls) = self.hls() else { return };
        if segments.is_empty() {
            return self.fail(Key::ErrCorrupt);
        }
        let place = self.part().source.offset_ms;
        if self.single() {
            self.buffer.set_duration(Some(end_ms as f64 / 1000.0));
            self.buffer.apply_duration();
        }
        for s in &mut segments {
            s.start_ms += place;
        }
        hls.next.set(segment_at(&segments, hls.start_ms.get()).unwrap_or(0));
        *hls.segments.borrow_mut() = Some(Rc::new(segments));
        hls.end_ms.set(end_ms + place);
        let (e, generation) = (self.clone(), self.generation.get());
        spawn_local(async move { e.hls_run(generation).await });
    }

    /// A seek while the playlist is being read again ([`Engine::hls_resign`]): reading
    /// starts at `ms` on the timeline once it is.
    pub(super) fn hls_seek_pending(self: &Rc<Self>, ms: i64) {
        let Some(hls) = self.hls() else { return };
        let generation = self.generation.get() + 1;
        self.generation.set(generation);
        hls.abort();
        hls.sent.borrow_mut().clear();
        hls.start_ms.set(ms);
        self.worker().send(ToWorker::Restart { offset: 0, generation });
        self.buffer.restart_at(ms as f64 / 1000.0);
        self.buffer.set_done(false);
    }

    /// Continues from segment `index` after a seek.
    pub(super) fn hls_restart(self: &Rc<Self>, index: usize, start: f64) {
        let Some(hls) = self.hls() else { return };
        let generation = self.generation.get() + 1;
        self.generation.set(generation);
        hls.abort();
        hls.sent.borrow_mut().clear();
        hls.next.set(index);
        self.worker().send(ToWorker::Restart { offset: 0, generation });
        self.buffer.restart_at(start);
        self.buffer.set_done(false);
        let e = self.clone();
        spawn_local(async move { e.hls_run(generation).await });
    }

    /// Fetches segments in order while the playback wants more, until the last one or
    /// until a seek or a failure ends this generation.
    async fn hls_run(self: Rc<Self>, generation: u32) {
        let Some(hls) = self.hls() else { return };
        let Some(segments) = hls.segments.borrow().clone() else { return };
        let current = || self.generation.get() == generation && !self.failed.get();
        while current() {
            let i = hls.next.get();
            let Some(segment) = segments.get(i) else { return };
            while self.buffer.queued_end() - self.video.current_time() > MAX_AHEAD {
                sleep(100).await;
                if !current() {
                    return;
                }
            }
            // A signed playlist about to expire: its segments' URLs expire with it.
            if hls.url.expiring() {
                return self.clone().hls_resign(segment.start_ms, false).await;
            }
            // fMP4 segments: their init section first, when it is not the one in force.
            if let Some(init) = &segment.init
                && hls.init_sent.borrow().as_ref() != Some(init)
            {
                let section = SegmentInfo { url: init.0.clone(), range: init.1, init: None, ..segment.clone() };
                match self.hls_fetch(i, &section, segment.start_ms, &current).await {
                    Fetched::Sent => {}
                    Fetched::Stopped => return,
                    Fetched::Resign { refused } => return self.clone().hls_resign(segment.start_ms, refused).await,
                }
                hls.sent.borrow_mut().push_back(None);
                *hls.init_sent.borrow_mut() = Some(init.clone());
            }
            let end_ms = segments.get(i + 1).map_or(hls.end_ms.get(), |s| s.start_ms);
            match self.hls_fetch(i, segment, end_ms, &current).await {
                Fetched::Sent => {}
                Fetched::Stopped => return,
                Fetched::Resign { refused } => return self.clone().hls_resign(segment.start_ms, refused).await,
            }
            hls.renewed.set(false);
            hls.sent.borrow_mut().push_back(Some(i));
            hls.next.set(i + 1);
        }
    }

    /// Streams a segment into the worker, fetching it again after failures.
    async fn hls_fetch(&self, i: usize, segment: &SegmentInfo, end_ms: i64, current: &dyn Fn() -> bool) -> Fetched {
        let Some(hls) = self.hls() else { return Fetched::Stopped };
        let mut attempt = 0;
        loop {
            let controller = AbortController::new().ok();
            *hls.abort.borrow_mut() = controller.clone();
            match self.hls_stream(i, segment, end_ms, controller.as_ref(), current).await {
                Ok(()) => return Fetched::Sent,
                Err(_) if !current() => return Fetched::Stopped,
                Err(Failure::Aborted) => return Fetched::Stopped,
                Err(Failure::Refused) => {
                    web_sys::console::warn_1(&format!("HLS segment {i}: HTTP 403").into());
                    return Fetched::Resign { refused: true };
                }
                Err(failure) => {
                    attempt += 1;
                    if attempt > NETWORK_RETRIES {
                        let key =
                            if matches!(failure, Failure::Missing) { Key::ErrPartMissing } else { Key::ErrNetwork };
                        self.fail(key);
                        return Fetched::Stopped;
                    }
                    web_sys::console::warn_1(
                        &format!("HLS segment {i} failed; fetching it again (attempt {attempt})").into(),
                    );
                    sleep(500 * attempt).await;
                    if !current() {
                        return Fetched::Stopped;
                    }
                }
            }
        }
    }

    /// Streams segment `i` into the worker as it arrives: `segment`, its bytes in pieces
    /// (each waiting while the worker is behind, so the next segment's first bytes come
    /// in while the last is remuxed), then `finish`. The worker starts remuxing with the
    /// first piece, not once the whole segment is in. After a failure part-way, the
    /// segment is sent again from its start (`segment` drops what the worker holds; what
    /// was appended is replaced by the same frames).
    async fn hls_stream(
        &self,
        i: usize,
        segment: &SegmentInfo,
        end_ms: i64,
        abort: Option<&AbortController>,
        current: &dyn Fn() -> bool,
    ) -> Result<(), Failure> {
        let failed = || if abort.is_some_and(|a| a.signal().aborted()) { Failure::Aborted } else { Failure::Network };
        let header = segment.range.map(|(o, n)| format!("bytes={o}-{}", o + n.max(1) - 1));
        let prefetched = self.hls().and_then(|h| h.prefetch.borrow_mut().take());
        let resp: Response = match prefetched {
            Some((url, promise)) if segment.range.is_none() && absolute(&segment.url).as_deref() == Some(&url) => {
                JsFuture::from(promise).await.and_then(|r| r.dyn_into()).map_err(|_| failed())?
            }
            _ => fetch(&segment.url, header.as_deref(), abort).await.map_err(|_| failed())?,
        };
        // What to drop from the start, and how much to take (the byte range, when the
        // server ignored it and sent the whole file).
        let (mut skip, mut left) = match (resp.status(), segment.range) {
            (206, Some((_, n))) => (0, n),
            (200, Some((o, n))) => (o, n),
            (200 | 206, None) => (0, u64::MAX),
            (404 | 410, _) => return Err(Failure::Missing),
            (403, _) if self.hls().is_some_and(|h| h.url.signed()) => return Err(Failure::Refused),
            _ => return Err(Failure::Network),
        };
        let body = resp.body().ok_or(Failure::Network)?;
        let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
        self.worker().send(ToWorker::Segment {
            start_ms: segment.start_ms,
            end_ms,
            discontinuity: segment.discontinuity,
        });
        let mut total = 0u64;
        while left > 0 {
            // (u64::MAX when there is no range: until the body ends.)
            let result = JsFuture::from(reader.read()).await.map_err(|_| failed())?;
            if !current() {
                cancel(&reader);
                return Err(Failure::Aborted);
            }
            let done = js_sys::Reflect::get(&result, &"done".into()).ok().and_then(|d| d.as_bool()).unwrap_or(true);
            if done {
                break;
            }
            let Ok(value) = js_sys::Reflect::get(&result, &"value".into()) else { break };
            let mut chunk = Uint8Array::new(&value);
            let len = u64::from(chunk.length());
            if skip >= len {
                skip -= len;
                continue;
            }
            let end = skip.saturating_add(left).min(len);
            if skip > 0 || end < len {
                chunk = chunk.subarray(skip as u32, end as u32);
            }
            left -= end - skip;
            skip = 0;
            total += u64::from(chunk.length());
            // A chunk of one piece goes as it is (its buffer transferred); a bigger one
            // in pieces, each a copy of its own.
            let mut at = 0;
            while at < chunk.length() {
                while self.worker().backlog() >= MAX_IN_FLIGHT {
                    sleep(10).await;
                    if !current() {
                        cancel(&reader);
                        return Err(Failure::Aborted);
                    }
                }
                let piece_end = (at + PIECE).min(chunk.length());
                let piece =
                    if at == 0 && piece_end == chunk.length() { chunk.clone() } else { chunk.slice(at, piece_end) };
                self.worker().push(piece);
                at = piece_end;
            }
        }
        if segment.range.is_some() && left > 0 {
            return Err(Failure::Network); // the range ended early
        }
        if left == 0 {
            cancel(&reader);
        }
        web_sys::console::debug_1(&format!("HLS segment {i}: {total} bytes").into());
        self.worker().send(ToWorker::Finish);
        Ok(())
    }
}

/// `url` made absolute against the page's address.
fn absolute(url: &str) -> Option<String> {
    let base = browser::window().location().href().ok()?;
    Some(web_sys::Url::new_with_base(url, &base).ok()?.href())
}

/// The first segment's absolute URL, read quickly from a plain media playlist's text
/// (the first line that is not a tag), so it can be fetched before the worker has read
/// the playlist. `None` for anything less plain (a master playlist, byte ranges, init
/// sections): the worker's answer is the truth, and a guess that differs is dropped.
fn first_segment_url(text: &str, playlist: &str) -> Option<String> {
    if ["#EXT-X-STREAM-INF", "#EXT-X-BYTERANGE", "#EXT-X-MAP", "#EXT-X-KEY"].iter().any(|t| text.contains(t)) {
        return None;
    }
    let uri = text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('#'))?;
    let base = web_sys::Url::new(&absolute(playlist)?).ok()?;
    let url = web_sys::Url::new_with_base(uri, &base.href()).ok()?;
    // As the playlist reader does: a signed playlist's query goes to same-origin segments.
    if url.search().is_empty() && url.origin() == base.origin() {
        url.set_search(&base.search());
    }
    Some(url.href())
}

/// A playlist's text, fetched again after network failures; a 403 on a `signed` URL
/// is [`Key::ErrRefused`] at once.
async fn fetch_text(url: &str, signed: bool) -> Result<String, Key> {
    let mut attempt = 0;
    loop {
        let failure = match fetch(url, None, None).await {
            Ok(resp) if resp.ok() => match resp.text().map(JsFuture::from) {
                Ok(text) => match text.await.ok().and_then(|t| t.as_string()) {
                    Some(t) => return Ok(t),
                    None => Failure::Network,
                },
                Err(_) => Failure::Network,
            },
            Ok(resp) if matches!(resp.status(), 404 | 410) => return Err(Key::ErrUnsupported),
            Ok(resp) if resp.status() == 403 && signed => return Err(Key::ErrRefused),
            _ => Failure::Network,
        };
        attempt += 1;
        if attempt > NETWORK_RETRIES || !matches!(failure, Failure::Network) {
            return Err(Key::ErrNetwork);
        }
        sleep(500 * attempt).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seek_starts_from_the_segment_holding_the_target() {
        let seg = |start_ms| SegmentInfo { url: String::new(), start_ms, range: None, discontinuity: 0, init: None };
        let segments = [seg(0), seg(4000), seg(8000), seg(12_000)];
        assert_eq!(segment_at(&segments, 0), Some(0));
        assert_eq!(segment_at(&segments, 3999), Some(0));
        assert_eq!(segment_at(&segments, 4000), Some(1));
        assert_eq!(segment_at(&segments, 11_000), Some(2));
        assert_eq!(segment_at(&segments, 99_000), Some(3));
        assert_eq!(segment_at(&segments, -5), Some(0));
        assert_eq!(segment_at(&[], 5), None);
    }
}
