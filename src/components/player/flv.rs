//! FLV replays, as the player sees them: the FLV playback module
//! (`src/bin/flv_player.rs`, with the Media Source engine [`crate::flv_engine`] and the
//! remuxer) is downloaded the first time an FLV is about to play, then started on the
//! `<video>`. The app's own wasm carries only [`Prepared::begin`], which starts what takes
//! time (media source, worker, download) while the module is on its way: a profile page
//! or an MP4 replay never pays for FLV, and an FLV does not wait for its code.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::HtmlVideoElement;

use crate::browser;
use crate::flv_engine::{PlaybackError, Prepared};
use crate::i18n::Key;

/// The module's script, built by trunk next to the app (index.html). Its wasm is found
/// beside it, and its worker loads the same two files.
const MODULE_SCRIPT: &str = "/relive-flv-player.js";

#[wasm_bindgen(inline_js = r#"
let loading;
// The module's script is wasm-bindgen's "no-modules" output: it declares a global
// `wasm_bindgen`, which only script code (like this) can name.
export function load_flv_module(src) {
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = src;
      s.onload = () => wasm_bindgen().then(() => resolve(wasm_bindgen), reject);
      s.onerror = () => reject(new Error('could not load ' + src));
      document.head.appendChild(s);
    });
    loading.catch(() => { loading = undefined; });
  }
  return loading;
}
"#)]
extern "C" {
    /// Resolves to the started module (its exports: `play`), once per page.
    fn load_flv_module(src: &str) -> js_sys::Promise;
}

/// Whether this browser can play FLV this way at all.
pub fn supported() -> bool {
    let w: JsValue = browser::window().into();
    ["MediaSource", "ManagedMediaSource"].iter().any(|n| js_sys::Reflect::get(&w, &(*n).into()).is_ok_and(|v| v.is_function()))
}

/// Starts downloading the module, if not yet: call as soon as an FLV is known to be next.
pub fn preload() {
    let _ = load_flv_module(MODULE_SCRIPT);
}

/// The message for a failure the module reports.
pub fn message(e: PlaybackError) -> Key {
    match e {
        PlaybackError::Unsupported => Key::ErrUnsupported,
        PlaybackError::Corrupt => Key::ErrCorrupt,
        PlaybackError::Network => Key::ErrNetwork,
        PlaybackError::Truncated => Key::ErrTruncated,
    }
}

/// An FLV playing, or about to once the module is in.
pub struct FlvPlayback {
    /// What was started at once, until the module takes it.
    prepared: RefCell<Option<Prepared>>,
    /// The module's `Playback`, once started.
    playback: RefCell<Option<JsValue>>,
}

impl FlvPlayback {
    /// Plays `url` in `video`. The media source, the worker and the download start now;
    /// the engine when its module is in. Later failures, including the module's download,
    /// reach `on_error`.
    pub fn start(video: &HtmlVideoElement, url: String, index_url: String, on_error: impl Fn(Key) + 'static) -> Result<Rc<Self>, Key> {
        let prepared = Prepared::begin(video, &url).map_err(message)?;
        let this = Rc::new(FlvPlayback { prepared: RefCell::new(Some(prepared)), playback: RefCell::new(None) });
        let (me, video) = (this.clone(), video.clone());
        spawn_local(async move {
            let module = JsFuture::from(load_flv_module(MODULE_SCRIPT)).await;
            // Destroyed while the module was on its way: `destroy` let go of it all.
            let Some(p) = me.prepared.borrow_mut().take() else { return };
            let Ok(module) = module else {
                p.discard();
                web_sys::console::warn_1(&format!("FLV playback: could not load {MODULE_SCRIPT}").into());
                return on_error(Key::ErrNetwork);
            };
            let report = Closure::<dyn Fn(String)>::new(move |name: String| {
                on_error(message(PlaybackError::from_name(&name).unwrap_or(PlaybackError::Corrupt)))
            })
            .into_js_value();
            let args: [JsValue; 9] = [
                video.into(),
                p.media_source.into(),
                p.object_url.into(),
                p.worker.into(),
                p.response.into(),
                p.abort.into(),
                url.into(),
                index_url.into(),
                report,
            ];
            let play = js_sys::Reflect::get(&module, &"play".into()).and_then(|f| f.dyn_into::<js_sys::Function>());
            let started = play.and_then(|f| js_sys::Reflect::apply(&f, &JsValue::NULL, &args.into_iter().collect()));
            if let Ok(playback) = started {
                *me.playback.borrow_mut() = Some(playback);
            }
        });
        Ok(this)
    }

    /// Stops it, or keeps it from starting.
    pub fn destroy(&self) {
        if let Some(p) = self.prepared.borrow_mut().take() {
            p.discard();
        }
        let playback = self.playback.borrow_mut().take();
        if let Some(playback) = playback {
            let destroy = js_sys::Reflect::get(&playback, &"destroy".into()).and_then(|d| d.dyn_into::<js_sys::Function>());
            let _ = destroy.map(|d| d.call0(&playback));
        }
    }
}
