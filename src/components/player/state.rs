//! The player's state: signals the controls read, and the actions they call. One
//! [`PlayerState`] per player, provided by context ([`use_player`]) to the parts of it.

use std::time::Duration;

use leptos::html::{Div, Video};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::HtmlVideoElement;

use super::preview::Previews;
use super::source::{Attached, Sequence, Source};
use crate::browser;
use crate::components::broadcast::Mark;
use crate::engine::Refresh;
use crate::format::decimal;
use crate::i18n::Key;
use relive_api::Replay;

/// A dialog over the player, with text to copy.
#[derive(Clone, Debug, PartialEq)]
pub enum Dialog {
    Share(String),
    Embed(String),
}

const HIDE_CONTROLS_AFTER: Duration = Duration::from_millis(2500);
/// Positions closer than this to either end are not worth resuming.
pub const RESUME_MARGIN: f64 = 5.0;
pub const VOLUME_KEY: &str = "relive:volume";
/// The speed last chosen in the speed menu (a long press's 2× is never remembered).
pub const RATE_KEY: &str = "relive:rate";

/// Where the position in replay `id` is remembered.
pub fn resume_key(id: i64) -> String {
    format!("relive:pos:{id}")
}

/// `video.play()`. Its promise rejects when autoplay is refused or the element leaves
/// the page before playing starts (the viewer went elsewhere): both are ordinary, the
/// controls show the state, so the rejection is handled, not left to the page's errors.
pub fn play(v: &HtmlVideoElement) {
    thread_local! {
        static IGNORE: wasm_bindgen::closure::Closure<dyn FnMut(wasm_bindgen::JsValue)> =
            wasm_bindgen::closure::Closure::new(|_| {});
    }
    if let Ok(p) = v.play() {
        IGNORE.with(|ignore| {
            let _ = p.catch(ignore);
        });
    }
}

/// Everything a player's parts share. Copy: hand it to as many closures as need it.
#[derive(Clone, Copy)]
pub struct PlayerState {
    pub video_ref: NodeRef<Video>,
    pub root_ref: NodeRef<Div>,
    pub replay_id: i64,
    pub playing: RwSignal<bool>,
    pub started: RwSignal<bool>,
    pub current: RwSignal<f64>,
    pub duration: RwSignal<f64>,
    pub buffered: RwSignal<Vec<(f64, f64)>>,
    pub volume: RwSignal<f64>,
    pub muted: RwSignal<bool>,
    pub rate: RwSignal<f64>,
    pub fullscreen: RwSignal<bool>,
    pub waiting: RwSignal<bool>,
    pub ended: RwSignal<bool>,
    pub error: RwSignal<Option<Key>>,
    pub controls_shown: RwSignal<bool>,
    /// Where the pointer is over the seek bar, or the seek being dragged.
    pub scrub: RwSignal<Option<f64>>,
    pub resume_offer: RwSignal<Option<f64>>,
    pub toast: RwSignal<Option<Key>>,
    pub dialog: RwSignal<Option<Dialog>>,
    /// Where to go once the media is loaded (`?t=`, or the position before a retry).
    pub pending_seek: StoredValue<Option<f64>>,
    pub last_saved: StoredValue<f64>,
    /// A broadcast's gaps and part boundaries, for the seek bar (none for one file).
    pub marks: StoredValue<Vec<Mark>>,
    hide_timer: StoredValue<Option<TimeoutHandle>>,
    /// The last pointer was a finger.
    pub touch_input: StoredValue<bool>,
    source: StoredValue<Source>,
    /// A broadcast played part after part through `src` (no MSE): the part in the
    /// element. `current`, `duration`, `buffered` and every seek are on the broadcast's
    /// timeline; the element's time is the part's.
    pub(super) sequence: StoredValue<Option<Sequence>>,
    /// What plays in the element now; replaced on retry, stopped when the player goes.
    attached: StoredValue<Option<Attached>, LocalStorage>,
    /// Asks the API for a part's freshly signed URL ([`super::source::refresher`]).
    pub refresh: StoredValue<Option<Refresh>, LocalStorage>,
    /// The element's signed `src` was renewed after an error and has not played since:
    /// another error is shown, not renewed again.
    pub renewing: StoredValue<bool>,
    /// The replay played: its poster (shown before playback) and storyboard (the seek
    /// bar's previews).
    pub replay: StoredValue<Replay>,
    /// The storyboard, fetched once for the seek bar and the drag on the picture.
    pub previews: Previews,
}

pub fn use_player() -> PlayerState {
    expect_context::<PlayerState>()
}

impl PlayerState {
    pub fn new(replay: Replay, source: Source, start_at: Option<f64>) -> Self {
        let (replay_id, duration) = (replay.id, replay.duration_secs);
        let sequence = match &source {
            Source::Parts(parts) => Sequence::new(parts.clone()),
            _ => None,
        };
        let duration = sequence.as_ref().map_or(duration, Sequence::duration);
        PlayerState {
            video_ref: NodeRef::new(),
            root_ref: NodeRef::new(),
            replay_id,
            playing: RwSignal::new(false),
            started: RwSignal::new(false),
            current: RwSignal::new(0.0),
            duration: RwSignal::new(duration),
            buffered: RwSignal::new(Vec::new()),
            volume: RwSignal::new(1.0),
            muted: RwSignal::new(false),
            rate: RwSignal::new(1.0),
            fullscreen: RwSignal::new(false),
            waiting: RwSignal::new(false),
            ended: RwSignal::new(false),
            error: RwSignal::new(None),
            controls_shown: RwSignal::new(true),
            scrub: RwSignal::new(None),
            resume_offer: RwSignal::new(None),
            toast: RwSignal::new(None),
            dialog: RwSignal::new(None),
            pending_seek: StoredValue::new(start_at),
            last_saved: StoredValue::new(0.0),
            marks: StoredValue::new(Vec::new()),
            hide_timer: StoredValue::new(None),
            touch_input: StoredValue::new(false),
            source: StoredValue::new(source),
            sequence: StoredValue::new(sequence),
            attached: StoredValue::new_local(None),
            refresh: StoredValue::new_local(None),
            renewing: StoredValue::new(false),
            replay: StoredValue::new(replay),
            previews: Previews::new(),
        }
    }

    pub fn video(self) -> Option<HtmlVideoElement> {
        self.video_ref.get_untracked()
    }

    fn with_video(self, f: impl FnOnce(&HtmlVideoElement)) {
        if let Some(v) = self.video() {
            f(&v)
        }
    }

    /// The element's own time: the last `timeupdate` may not have been handled yet.
    /// (A broadcast's part: on the broadcast; while a part loads for a seek, its target.)
    pub fn now(self) -> f64 {
        match self.video() {
            Some(_) if self.in_sequence() && self.pending_seek.get_value().is_some() => self.current.get_untracked(),
            Some(v) => self.timeline(v.current_time()),
            None => self.current.get_untracked(),
        }
    }

    /// Whether a broadcast plays part after part through `src` ([`Sequence`]).
    pub fn in_sequence(self) -> bool {
        self.sequence.with_value(Option::is_some)
    }

    /// The element's time `local` on the replay's timeline: past the offset of the
    /// part in it, for a sequence.
    pub fn timeline(self, local: f64) -> f64 {
        self.sequence.with_value(|s| s.as_ref().map_or(local, |s| s.to_broadcast(local)))
    }

    /// Puts part `index` of the sequence in the element, playing if `resume`. Where to
    /// go in it is the caller's `pending_seek` (broadcast time), made once its metadata
    /// is in (`on_loaded`). The speed stays (a new `src` resets it to the default).
    pub(super) fn open_part(self, v: &HtmlVideoElement, index: usize, resume: bool) {
        let url = self.sequence.try_update_value(|s| {
            s.as_mut().map(|s| {
                s.go(index);
                s.part().url.clone()
            })
        });
        let Some(url) = url.flatten() else { return };
        let rate = v.playback_rate();
        v.set_default_playback_rate(rate);
        v.set_src(&url);
        v.set_playback_rate(rate);
        self.buffered.set(Vec::new());
        if resume {
            self.waiting.set(true);
            play(v);
        }
    }

    /// Points the element at the source (again, on retry).
    pub fn attach(self, v: &HtmlVideoElement) {
        self.detach();
        // A sequence: the part holding where to start (`?t=`, or where a retry left off).
        let at = self.pending_seek.get_value().unwrap_or(0.0);
        if let Some((index, _)) = self.sequence.with_value(|s| s.as_ref().map(|s| s.locate(at))) {
            self.open_part(v, index, false);
            self.attached.set_value(Some(Attached::Element));
            return;
        }
        let (error, playing) = (self.error, self.playing);
        let refresh = self.refresh.get_value();
        let result = self.source.with_value(|s| {
            s.attach(
                v,
                move |key| {
                    let _ = error.try_set(Some(key));
                    let _ = playing.try_set(false);
                },
                refresh,
            )
        });
        match result {
            Ok(a) => self.attached.set_value(Some(a)),
            Err(why) => self.error.set(Some(why)),
        }
    }

    /// The element failed playing a signed URL through `src` (its signature expired,
    /// most likely: the element does not tell a 403 from other network failures): asks
    /// for a fresh one, puts it in and goes on from where it was. `false` (show the
    /// error) when the URL is not signed, or was renewed for this very failure already.
    pub(super) fn renew_src(self, v: &HtmlVideoElement) -> bool {
        let Some(refresh) = self.refresh.get_value() else { return false };
        let index = match self.sequence.with_value(|s| s.as_ref().map(|s| (s.index(), s.part().expires_at))) {
            Some((index, Some(_))) => index,
            Some((_, None)) => return false,
            None => match self.source.with_value(Source::signed_progressive) {
                Some(index) => index,
                None => return false,
            },
        };
        if self.renewing.get_value() {
            self.renewing.set_value(false);
            return false;
        }
        self.renewing.set_value(true);
        let (at, resume) = (self.now(), !v.paused() || self.playing.get_untracked());
        web_sys::console::warn_1(
            &format!("media error on a signed URL: renewing it, then on from {} s", decimal(at, 1)).into(),
        );
        leptos::task::spawn_local(async move {
            let fresh = refresh(index).await;
            let Some(v) = self.video() else { return };
            let Some(fresh) = fresh else {
                let _ = self.error.try_set(Some(Key::ErrNetwork));
                let _ = self.playing.try_set(false);
                return;
            };
            self.pending_seek.set_value(Some(at));
            if self.in_sequence() {
                self.sequence.update_value(|s| {
                    if let Some(s) = s {
                        s.renew(index, fresh)
                    }
                });
                self.open_part(&v, index, resume);
            } else {
                let url = fresh.url.clone();
                self.source.update_value(|s| s.renew(fresh));
                v.set_src(&url);
                if resume {
                    self.waiting.set(true);
                    play(&v);
                }
            }
        });
        true
    }

    /// Stops what plays in the element.
    pub fn detach(self) {
        if let Some(a) = self.attached.try_update_value(Option::take).flatten() {
            a.detach();
        }
    }

    pub fn play_pause(self) {
        self.with_video(|v| {
            if v.paused() || v.ended() {
                self.resume_offer.set(None);
                // A sequence's last part ended: again from the broadcast's start.
                if v.ended() && self.in_sequence() {
                    self.seek_to(0.0);
                }
                play(v);
            } else {
                let _ = v.pause();
            }
        })
    }

    pub fn seek_to(self, t: f64) {
        self.with_video(|v| {
            let d = self.duration.get_untracked();
            let t = if d > 0.0 { t.clamp(0.0, d) } else { t.max(0.0) };
            let place = self.sequence.with_value(|s| s.as_ref().map(|s| (s.index(), s.locate(t))));
            match place {
                None => v.set_current_time(t),
                // Another part: load it, playing on if it played, and go there once loaded.
                Some((now, (index, _))) if index != now => {
                    self.pending_seek.set_value(Some(t));
                    self.open_part(v, index, !v.paused());
                }
                // The part being loaded: go there once it is.
                Some(_) if v.ready_state() == 0 => self.pending_seek.set_value(Some(t)),
                Some((_, (_, local))) => v.set_current_time(local),
            }
            self.current.set(t);
            self.ended.set(false);
            self.resume_offer.set(None);
        })
    }

    /// Plays from `t` (a part picked from a list): seeks there now if the media is
    /// loaded, else once it is; after an error, tries again from there.
    pub fn play_from(self, t: f64) {
        let Some(v) = self.video() else { return };
        let t = t.max(0.0);
        self.resume_offer.set(None);
        if self.error.get_untracked().is_some() {
            self.current.set(t);
            self.retry();
            return;
        }
        // HAVE_NOTHING: a seek now would be lost; `on_loaded` makes it. (A sequence's
        // `seek_to` sees to that itself, and to the part holding `t`.)
        if v.ready_state() == 0 && !self.in_sequence() {
            self.pending_seek.set_value(Some(t));
            self.current.set(t);
            self.ended.set(false);
        } else {
            self.seek_to(t);
        }
        play(&v);
    }

    pub fn set_volume(self, x: f64) {
        self.with_video(|v| {
            let x = x.clamp(0.0, 1.0);
            v.set_volume(x);
            v.set_muted(x == 0.0);
            browser::storage_set(VOLUME_KEY, &decimal(x, 2));
        })
    }

    pub fn toggle_mute(self) {
        self.with_video(|v| v.set_muted(!v.muted()))
    }

    /// The speed, kept across a new `src` (a sequence's next part, a retry).
    pub fn set_rate(self, r: f64) {
        self.with_video(|v| {
            v.set_default_playback_rate(r);
            v.set_playback_rate(r)
        })
    }

    /// The speed the viewer chose (the speed menu): set, and remembered for the next
    /// replay like the volume.
    pub fn choose_rate(self, r: f64) {
        self.set_rate(r);
        browser::storage_set(RATE_KEY, &decimal(r, 2));
    }

    pub fn toggle_fullscreen(self) {
        let Some(doc) = browser::window().document() else { return };
        if doc.fullscreen_element().is_some() {
            doc.exit_fullscreen();
        } else if let Some(root) = self.root_ref.get_untracked() {
            let _ = root.request_fullscreen();
        }
    }

    pub fn toggle_pip(self) {
        let Some(doc) = browser::window().document() else { return };
        let in_pip = js_sys::Reflect::get(&doc, &"pictureInPictureElement".into())
            .is_ok_and(|v| !v.is_null() && !v.is_undefined());
        if in_pip {
            browser::call_method(&doc.into(), "exitPictureInPicture");
        } else if let Some(v) = self.video() {
            browser::call_method(&v.into(), "requestPictureInPicture");
        }
    }

    /// Whether the controls show: on any sign of the viewer, and whenever paused.
    pub fn show_controls(self) -> bool {
        self.controls_shown.get() || !self.playing.get()
    }

    /// Controls: shown on any sign of the viewer, hidden again a moment into playback,
    /// unless the keyboard is in them or a dialog is open.
    pub fn poke(self) {
        self.controls_shown.set(true);
        self.clear_hide_timer();
        let h = set_timeout_with_handle(
            move || {
                let focus_in_controls = browser::window()
                    .document()
                    .and_then(|d| d.active_element())
                    .and_then(|el| el.closest(".player-controls").ok().flatten())
                    .is_some();
                if self.playing.get_untracked() && !focus_in_controls && self.dialog.get_untracked().is_none() {
                    let _ = self.controls_shown.try_set(false);
                }
            },
            HIDE_CONTROLS_AFTER,
        )
        .ok();
        self.hide_timer.set_value(h);
    }

    pub fn clear_hide_timer(self) {
        if let Some(h) = self.hide_timer.try_get_value().flatten() {
            h.clear();
        }
    }

    /// Tries again after an error, from where it stopped.
    pub fn retry(self) {
        self.error.set(None);
        self.pending_seek.set_value(Some(self.current.get_untracked()));
        if let Some(v) = self.video() {
            self.attach(&v);
            play(&v);
        }
    }

    /// A fraction of the duration as a percentage of the seek bar.
    pub fn percent(self, t: f64) -> f64 {
        let d = self.duration.get();
        if d > 0.0 { (t / d * 100.0).clamp(0.0, 100.0) } else { 0.0 }
    }

    /// Shows a short message for two seconds.
    pub fn flash(self, key: Key) {
        let toast = self.toast;
        toast.set(Some(key));
        set_timeout(
            move || {
                let _ = toast.try_set(None);
            },
            Duration::from_secs(2),
        );
    }

    /// The keyboard shortcuts, on the whole player (and on the page around it when
    /// nothing else takes keys: [`super::page_keys`]).
    pub fn on_key(self, ev: leptos::ev::KeyboardEvent) {
        use super::keys::{Action, action_for};
        if ev.ctrl_key() || ev.meta_key() || ev.alt_key() || self.dialog.get_untracked().is_some() {
            return;
        }
        let target = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok());
        let tag = target.as_ref().map(|t| t.tag_name().to_ascii_lowercase()).unwrap_or_default();
        let key = ev.key();
        // Leave keys to the controls that own them: Space/Enter press buttons, a select
        // and text areas take everything.
        if tag == "select" || tag == "textarea" || ((tag == "button" || tag == "a") && (key == " " || key == "Enter")) {
            return;
        }
        let Some(action) = action_for(&key) else { return };
        ev.prevent_default();
        self.poke();
        match action {
            Action::TogglePlay => self.play_pause(),
            Action::SeekBy(d) => self.seek_to(self.now() + d),
            Action::SeekFraction(f) => self.seek_to(self.duration.get_untracked() * f),
            Action::VolumeBy(d) => self.set_volume(self.volume.get_untracked() + d),
            Action::ToggleMute => self.toggle_mute(),
            Action::ToggleFullscreen => self.toggle_fullscreen(),
        }
    }
}
