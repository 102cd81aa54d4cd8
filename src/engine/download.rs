//! The download: the file fetched as a stream from an offset (a `Range` request),
//! read while the engine wants more, handed on in pieces; and the recovery from
//! network failures, which the engine continues from a keyframe. A signed URL
//! ([`SignedUrl`]) is renewed before a read when it is about to expire, and once after
//! a 403, the same range then read again.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{AbortController, ReadableStreamDefaultReader, RequestInit, Response};

use super::signed::{SignedUrl, Verdict, verdict};
use crate::browser;
use crate::i18n::Key;

/// Network failures in a row that the download recovers from by itself, each time
/// continuing with a `Range` request from the last keyframe it has; then the player
/// says the connection failed (and offers a retry).
pub const NETWORK_RETRIES: u32 = 3;
/// The largest piece of the download handed on at once.
const PIECE: u32 = 128 * 1024;

/// Where a download's bytes go.
pub trait Feed {
    /// This download is still wanted (no seek or failure replaced it).
    fn current(&self) -> bool;
    /// Wait before reading more.
    fn full(&self) -> bool;
    /// The next piece, a copy of its own (its buffer can be transferred).
    fn piece(&self, bytes: Uint8Array);
    /// The file ended.
    fn end(&self);
}

pub struct Download {
    url: Rc<SignedUrl>,
    /// How console messages name the file's format.
    name: &'static str,
    abort: RefCell<Option<AbortController>>,
    /// Recoveries from network failures since data last came in.
    retries: Cell<u32>,
}

impl Download {
    pub fn new(url: Rc<SignedUrl>, name: &'static str) -> Self {
        Download { url, name, abort: RefCell::new(None), retries: Cell::new(0) }
    }

    /// Stops the running download, if any.
    pub fn abort(&self) {
        if let Some(a) = self.abort.borrow_mut().take() {
            a.abort();
        }
    }

    /// The number of the next recovery, unless there were enough in a row.
    pub fn next_attempt(&self) -> Option<u32> {
        let attempt = self.retries.get() + 1;
        (attempt <= NETWORK_RETRIES).then_some(attempt)
    }

    /// Counts a recovery from `offset` and waits a little longer each time.
    pub async fn back_off(&self, attempt: u32, offset: u64) {
        self.retries.set(attempt);
        web_sys::console::warn_1(
            &format!("{} download broke; continuing from byte {offset} (attempt {attempt})", self.name).into(),
        );
        sleep(500 * attempt).await;
    }

    /// Reads the file from `offset` to its end into `feed`, or until the feed no longer
    /// wants it. Replaces (aborts) any download running.
    pub async fn run(&self, offset: u64, feed: &impl Feed) -> Result<(), Key> {
        let controller = AbortController::new().ok();
        if let Some(old) = self.abort.replace(controller.clone()) {
            old.abort();
        }
        let range = (offset > 0).then(|| format!("bytes={offset}-"));
        let resp = fetch_signed(&self.url, range.as_deref(), controller.as_ref()).await?;
        // Tests and curious developers read this in the console.
        web_sys::console::debug_1(&format!("{} download from byte {offset}: HTTP {}", self.name, resp.status()).into());
        let mut skip = match resp.status() {
            200 => offset, // the server ignored the range: skip to the offset ourselves
            206 => 0,
            404 | 410 => return Err(Key::ErrUnsupported),
            _ => return Err(Key::ErrNetwork),
        };
        let body = resp.body().ok_or(Key::ErrNetwork)?;
        let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
        loop {
            while feed.full() {
                sleep(50).await;
                if !feed.current() {
                    cancel(&reader);
                    return Ok(());
                }
            }
            if !feed.current() {
                cancel(&reader);
                return Ok(());
            }
            let result = JsFuture::from(reader.read()).await.map_err(|_| Key::ErrNetwork)?;
            if !feed.current() {
                return Ok(());
            }
            let done = js_sys::Reflect::get(&result, &"done".into()).ok().and_then(|d| d.as_bool()).unwrap_or(true);
            if done {
                break;
            }
            let Ok(value) = js_sys::Reflect::get(&result, &"value".into()) else { break };
            let mut chunk = Uint8Array::new(&value);
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
                // One read may bring the whole rest of the file (Firefox hands over all it
                // has): hold back between pieces too, not only between reads.
                while feed.full() {
                    sleep(50).await;
                    if !feed.current() {
                        cancel(&reader);
                        return Ok(());
                    }
                }
                if !feed.current() {
                    cancel(&reader);
                    return Ok(());
                }
                let end = (at + PIECE).min(chunk.length());
                feed.piece(chunk.slice(at, end));
                at = end;
            }
        }
        feed.end();
        Ok(())
    }
}

/// Bytes `[start, end)` of a file, whole (a file's head: small).
pub(super) async fn fetch_range(url: &SignedUrl, start: u64, end: u64) -> Result<Uint8Array, Key> {
    let range = format!("bytes={start}-{}", end.max(start + 1) - 1);
    let resp = fetch_signed(url, Some(&range), None).await?;
    let skip = match resp.status() {
        206 => 0,
        200 => start, // the server ignored the range
        404 | 410 => return Err(Key::ErrPartMissing),
        _ => return Err(Key::ErrNetwork),
    };
    let buffer =
        JsFuture::from(resp.array_buffer().map_err(|_| Key::ErrNetwork)?).await.map_err(|_| Key::ErrNetwork)?;
    let all = Uint8Array::new(&buffer);
    let end = (skip + (end - start)).min(u64::from(all.length()));
    Ok(all.slice(skip as u32, end as u32))
}

/// A read of a part's URL (renewed first if about to expire); after a 403 on a signed
/// URL, renewed and read again, once: refused again, [`Key::ErrRefused`].
pub(super) async fn fetch_signed(
    url: &SignedUrl,
    range: Option<&str>,
    abort: Option<&AbortController>,
) -> Result<Response, Key> {
    let mut renewed = false;
    loop {
        let resp = fetch(&url.fresh().await, range, abort).await.map_err(|_| Key::ErrNetwork)?;
        match verdict(resp.status(), url.signed(), renewed) {
            Verdict::Read => return Ok(resp),
            Verdict::Refused => return Err(Key::ErrRefused),
            Verdict::Renew => {
                // Tests and curious developers read this in the console.
                web_sys::console::warn_1(
                    &format!("HTTP 403 for {}: renewing its URL", range.unwrap_or("the file")).into(),
                );
                renewed = true;
                if !url.renew().await {
                    return Err(Key::ErrNetwork);
                }
            }
        }
    }
}

pub(super) async fn fetch(
    url: &str,
    range: Option<&str>,
    abort: Option<&AbortController>,
) -> Result<Response, JsValue> {
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
pub(super) fn cancel(reader: &ReadableStreamDefaultReader) {
    let promise = reader.cancel();
    spawn_local(async move {
        let _ = JsFuture::from(promise).await;
    });
}

pub(super) async fn sleep(ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = browser::window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
    });
    let _ = JsFuture::from(promise).await;
}
