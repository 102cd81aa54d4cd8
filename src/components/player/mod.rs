//! The replay player: a native `<video>` with our own controls.
//!
//! Mouse, touch and keyboard all reach everything: every control is a real button,
//! range or select with a name that follows its state; the shortcuts are in
//! [`keys`]. Controls hide while playing and come back on pointer, touch or focus.
//! The position is remembered per replay and offered back ("resume from 12:34").

mod keys;
mod mse;
mod source;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use leptos::html::{Div, Video};
use leptos::prelude::*;
use leptos::task::spawn_local;
use relive_api::Replay;
use send_wrapper::SendWrapper;
use wasm_bindgen::JsCast;
use web_sys::HtmlVideoElement;

use self::keys::{Action, action_for};
use self::source::Attached;
pub use self::source::Source;
use crate::browser;
use crate::format::{clock, decimal, parse_decimal};
use crate::i18n::{Key, fill, use_i18n};

/// `video.play()`. Its promise rejects when autoplay is refused or the element leaves
/// the page before playing starts (the viewer went elsewhere): both are ordinary, the
/// controls show the state, so the rejection is handled, not left to the page's errors.
fn play(v: &HtmlVideoElement) {
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

/// Where to go when this replay ends.
#[derive(Clone, Debug, PartialEq)]
pub struct NextUp {
    pub title: String,
    pub href: String,
}

#[derive(Clone, Debug, PartialEq)]
enum Dialog {
    Share(String),
    Embed(String),
}

/// Playback speeds as the select spells them (strings: no float formatting needed).
const SPEEDS: [&str; 7] = ["0.5", "0.75", "1", "1.25", "1.5", "1.75", "2"];
const HIDE_CONTROLS_AFTER: Duration = Duration::from_millis(2500);
/// Positions closer than this to either end are not worth resuming.
const RESUME_MARGIN: f64 = 5.0;
const VOLUME_KEY: &str = "relive:volume";

fn resume_key(id: i64) -> String {
    format!("relive:pos:{id}")
}

#[component]
pub fn Player(
    replay: Replay,
    /// The page path of this replay (`/u/x/replays/3`), for share links.
    watch_path: String,
    /// Seconds to start at (`?t=`); overrides the remembered position.
    #[prop(default = None)]
    start_at: Option<f64>,
    /// Offered when this replay ends.
    #[prop(optional, into)]
    next: MaybeProp<NextUp>,
    /// Try to start playing at once (browsers may refuse; the play button stays).
    #[prop(optional)]
    autoplay: bool,
    /// Inside an iframe: show the title with a link out.
    #[prop(optional)]
    embed: bool,
    #[prop(optional, into)] title: Option<Signal<String>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let video_ref = NodeRef::<Video>::new();
    let root_ref = NodeRef::<Div>::new();
    let source = Source::for_replay(&replay);
    let replay_id = replay.id;
    // What plays in the element now; replaced on retry, stopped when the player goes.
    let attached = SendWrapper::new(Rc::new(RefCell::new(None::<Attached>)));

    let playing = RwSignal::new(false);
    let started = RwSignal::new(false);
    let current = RwSignal::new(0.0f64);
    let duration = RwSignal::new(replay.duration_secs);
    let buffered = RwSignal::new(Vec::<(f64, f64)>::new());
    let volume = RwSignal::new(1.0f64);
    let muted = RwSignal::new(false);
    let rate = RwSignal::new(1.0f64);
    let fullscreen = RwSignal::new(false);
    let waiting = RwSignal::new(false);
    let ended = RwSignal::new(false);
    let error = RwSignal::new(None::<Key>);
    let controls_shown = RwSignal::new(true);
    let scrub = RwSignal::new(None::<f64>);
    let resume_offer = RwSignal::new(None::<f64>);
    let toast = RwSignal::new(None::<Key>);
    let dialog = RwSignal::new(None::<Dialog>);
    let pending_seek = StoredValue::new(start_at);
    let last_saved = StoredValue::new(0.0f64);
    let hide_timer = StoredValue::new(None::<TimeoutHandle>);
    let touch_input = StoredValue::new(false);
    let pip_supported = browser::has_true(&browser::window().document().unwrap().into(), "pictureInPictureEnabled");

    let video = move || video_ref.get_untracked();
    let with_video = move |f: &dyn Fn(&HtmlVideoElement)| {
        if let Some(v) = video() {
            f(&v)
        }
    };

    // Attach the source once the element exists, and again on retry.
    let attach = {
        let (source, attached) = (source.clone(), attached.clone());
        SendWrapper::new(Rc::new(move |v: &HtmlVideoElement| {
            if let Some(old) = attached.borrow_mut().take() {
                old.detach();
            }
            match source.attach(v, move |key| {
                let _ = error.try_set(Some(key));
                let _ = playing.try_set(false);
            }) {
                Ok(a) => *attached.borrow_mut() = Some(a),
                Err(why) => error.set(Some(why)),
            }
        }))
    };
    {
        let attach = attach.clone();
        Effect::new(move |_| {
            let Some(v) = video_ref.get() else { return };
            if let Some(vol) = browser::storage_get(VOLUME_KEY).and_then(|s| parse_decimal(&s)) {
                v.set_volume(vol.clamp(0.0, 1.0));
            }
            attach(&v);
            if autoplay && error.get_untracked().is_none() {
                play(&v);
            }
        });
    }
    {
        let attached = attached.clone();
        on_cleanup(move || {
            if let Some(a) = attached.borrow_mut().take() {
                a.detach();
            }
        });
    }

    let play_pause = move || {
        with_video(&|v| {
            if v.paused() || v.ended() {
                resume_offer.set(None);
                play(v);
            } else {
                let _ = v.pause();
            }
        })
    };
    let seek_to = move |t: f64| {
        with_video(&|v| {
            let d = duration.get_untracked();
            let t = if d > 0.0 { t.clamp(0.0, d) } else { t.max(0.0) };
            v.set_current_time(t);
            current.set(t);
            ended.set(false);
            resume_offer.set(None);
        })
    };
    let set_volume = move |x: f64| {
        with_video(&|v| {
            let x = x.clamp(0.0, 1.0);
            v.set_volume(x);
            v.set_muted(x == 0.0);
            browser::storage_set(VOLUME_KEY, &decimal(x, 2));
        })
    };
    let toggle_mute = move || with_video(&|v| v.set_muted(!v.muted()));
    let toggle_fullscreen = move || {
        let Some(doc) = browser::window().document() else { return };
        if doc.fullscreen_element().is_some() {
            doc.exit_fullscreen();
        } else if let Some(root) = root_ref.get_untracked() {
            let _ = root.request_fullscreen();
        }
    };
    let toggle_pip = move || {
        let Some(doc) = browser::window().document() else { return };
        let in_pip = js_sys::Reflect::get(&doc, &"pictureInPictureElement".into())
            .is_ok_and(|v| !v.is_null() && !v.is_undefined());
        if in_pip {
            browser::call_method(&doc.into(), "exitPictureInPicture");
        } else if let Some(v) = video() {
            browser::call_method(&v.into(), "requestPictureInPicture");
        }
    };

    // Controls: shown on any sign of the viewer, hidden again a moment into playback,
    // unless the keyboard is in them or a dialog is open.
    let poke = move || {
        controls_shown.set(true);
        if let Some(h) = hide_timer.get_value() {
            h.clear();
        }
        let h = set_timeout_with_handle(
            move || {
                let focus_in_controls = browser::window()
                    .document()
                    .and_then(|d| d.active_element())
                    .and_then(|el| el.closest(".player-controls").ok().flatten())
                    .is_some();
                if playing.get_untracked() && !focus_in_controls && dialog.get_untracked().is_none() {
                    let _ = controls_shown.try_set(false);
                }
            },
            HIDE_CONTROLS_AFTER,
        )
        .ok();
        hide_timer.set_value(h);
    };
    on_cleanup(move || {
        if let Some(h) = hide_timer.get_value() {
            h.clear();
        }
    });

    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.ctrl_key() || ev.meta_key() || ev.alt_key() || dialog.get_untracked().is_some() {
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
        poke();
        match action {
            Action::TogglePlay => play_pause(),
            Action::SeekBy(d) => seek_to(video().map_or_else(|| current.get_untracked(), |v| v.current_time()) + d),
            Action::SeekFraction(f) => seek_to(duration.get_untracked() * f),
            Action::VolumeBy(d) => set_volume(volume.get_untracked() + d),
            Action::ToggleMute => toggle_mute(),
            Action::ToggleFullscreen => toggle_fullscreen(),
        }
    };

    // ---- media element events -----------------------------------------------------
    let on_loaded = move |_| {
        let Some(v) = video() else { return };
        if v.duration().is_finite() && v.duration() > 0.0 {
            duration.set(v.duration());
        }
        let d = duration.get_untracked();
        if let Some(t) = pending_seek.get_value() {
            pending_seek.set_value(None);
            v.set_current_time(if d > 0.0 { t.min(d) } else { t });
            current.set(v.current_time());
        } else if let Some(saved) = browser::storage_get(&resume_key(replay_id)).and_then(|s| parse_decimal(&s)) {
            if saved > RESUME_MARGIN && (d <= 0.0 || saved < d - RESUME_MARGIN) {
                resume_offer.set(Some(saved));
            }
        }
    };
    let on_time = move |_| {
        let Some(v) = video() else { return };
        let t = v.current_time();
        current.set(t);
        // Remember the position every few seconds of playback.
        if (t - last_saved.get_value()).abs() >= 3.0 && t > RESUME_MARGIN {
            last_saved.set_value(t);
            browser::storage_set(&resume_key(replay_id), &decimal(t, 1));
        }
    };
    let on_progress = move |_| {
        let Some(v) = video() else { return };
        let ranges = v.buffered();
        buffered.set((0..ranges.length()).filter_map(|i| Some((ranges.start(i).ok()?, ranges.end(i).ok()?))).collect());
    };
    let on_error = move |_| {
        let Some(v) = video() else { return };
        // An element with no src (an unplayable source) reports nothing worth showing.
        if error.get_untracked().is_some() || v.src().is_empty() {
            return;
        }
        let key = match v.error().map(|e| e.code()) {
            Some(2) => Key::ErrNetwork,
            Some(3) => Key::ErrDecode,
            _ => Key::ErrUnsupported,
        };
        pending_seek.set_value(Some(current.get_untracked()));
        error.set(Some(key));
        playing.set(false);
    };
    let retry = move |_| {
        error.set(None);
        pending_seek.set_value(Some(current.get_untracked()));
        if let Some(v) = video() {
            attach(&v);
            play(&v);
        }
    };
    let on_ended = move |_| {
        ended.set(true);
        playing.set(false);
        browser::storage_remove(&resume_key(replay_id));
    };

    // ---- share and embed ------------------------------------------------------------
    let title_href = watch_path.clone();
    let share = move |_| {
        // The element's own time: the last `timeupdate` may not have been handled yet.
        let at = video().map_or_else(|| current.get_untracked(), |v| v.current_time());
        let link = format!("{}{}?t={}", browser::origin(), watch_path, at.floor() as u64);
        spawn_local(async move {
            if browser::copy_text(&link).await {
                flash(toast, Key::LinkCopied);
            } else {
                dialog.set(Some(Dialog::Share(link)));
            }
        });
    };
    let embed_title = title.clone();
    let open_embed = move |_| {
        let name = embed_title.map(|t| t.get_untracked()).unwrap_or_default().replace('"', "&quot;");
        let code = format!(
            "<iframe src=\"{}/embed/replays/{replay_id}\" width=\"640\" height=\"360\" title=\"{name}\" \
             allow=\"fullscreen; picture-in-picture\" allowfullscreen style=\"border:0\"></iframe>",
            browser::origin()
        );
        dialog.set(Some(Dialog::Embed(code)));
    };

    // ---- view -----------------------------------------------------------------------
    let show_controls = move || controls_shown.get() || !playing.get();
    let percent = move |t: f64| {
        let d = duration.get();
        if d > 0.0 { (t / d * 100.0).clamp(0.0, 100.0) } else { 0.0 }
    };
    let seek_valuetext =
        move || fill(i18n.t(Key::SeekValue), &[("time", &clock(current.get())), ("total", &clock(duration.get()))]);
    let hover_seek = move |ev: leptos::ev::PointerEvent| {
        let Some(el) = ev.current_target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else { return };
        let rect = el.get_bounding_client_rect();
        if rect.width() > 0.0 {
            let f = ((ev.client_x() as f64 - rect.left()) / rect.width()).clamp(0.0, 1.0);
            scrub.set(Some(f * duration.get_untracked()));
        }
    };

    view! {
        <div
            class="player"
            class:controls-hidden=move || !show_controls()
            class:embed=embed
            node_ref=root_ref
            tabindex="0"
            role="region"
            aria-label=move || i18n.t(Key::PlayerLabel)
            on:keydown=on_key
            on:pointermove=move |_| poke()
            on:pointerdown=move |ev: leptos::ev::PointerEvent| touch_input.set_value(ev.pointer_type() == "touch")
            on:focusin=move |_| poke()
            on:fullscreenchange=move |_| {
                fullscreen.set(browser::window().document().and_then(|d| d.fullscreen_element()).is_some())
            }
        >
            <video
                node_ref=video_ref
                playsinline=true
                preload="metadata"
                on:click=move |_| {
                    // A tap on hidden controls brings them back; otherwise it plays or pauses.
                    if touch_input.get_value() && !show_controls() { poke() } else { play_pause() }
                }
                on:dblclick=move |_| toggle_fullscreen()
                on:loadedmetadata=on_loaded
                on:durationchange=move |_| {
                    if let Some(d) = video().map(|v| v.duration()).filter(|d| d.is_finite() && *d > 0.0) { duration.set(d) }
                }
                on:timeupdate=on_time
                on:progress=on_progress
                on:play=move |_| { playing.set(true); started.set(true); ended.set(false); poke() }
                on:pause=move |_| { playing.set(false); controls_shown.set(true) }
                on:waiting=move |_| waiting.set(true)
                on:playing=move |_| waiting.set(false)
                on:canplay=move |_| waiting.set(false)
                on:volumechange=move |_| {
                    if let Some(v) = video() { volume.set(v.volume()); muted.set(v.muted()) }
                }
                on:ratechange=move |_| { if let Some(v) = video() { rate.set(v.playback_rate()) } }
                on:error=on_error
                on:ended=on_ended
            ></video>

            {embed.then(|| title.map(|t| view! {
                <div class="player-topbar">
                    <a class="player-title" href=title_href target="_blank" rel="noopener">{t}</a>
                    <span class="player-brand">{move || i18n.t(Key::WatchOnRelive)}</span>
                </div>
            }))}

            <Show when=move || waiting.get() && playing.get() && error.get().is_none()>
                <div class="player-spinner" role="status"><span class="spinner" aria-hidden="true"></span>
                    <span class="visually-hidden">{move || i18n.t(Key::Buffering)}</span></div>
            </Show>

            <Show when=move || !started.get() && error.get().is_none() && !playing.get()>
                <button class="big-play" aria-label=move || i18n.t(Key::Play) on:click=move |_| play_pause()>
                    <svg viewBox="0 0 24 24" aria-hidden="true"><path d="M8 5v14l11-7z"/></svg>
                </button>
            </Show>

            {move || error.get().map(|key| view! {
                <div class="player-error" role="alert">
                    <p>{i18n.t(key)}</p>
                    <button class="button" on:click=retry.clone()>{i18n.t(Key::Retry)}</button>
                </div>
            })}

            {move || resume_offer.get().map(|t| view! {
                <div class="resume-offer">
                    <button class="button" on:click=move |_| { seek_to(t); play_pause() }>
                        {fill(i18n.t(Key::ResumeFrom), &[("time", &clock(t))])}
                    </button>
                    <button class="button ghost" on:click=move |_| resume_offer.set(None)>{i18n.t(Key::StartOver)}</button>
                </div>
            })}

            {move || next.get().filter(|_| ended.get()).map(|n| view! {
                <div class="up-next">
                    <p class="up-next-label">{i18n.t(Key::UpNext)}</p>
                    <p class="up-next-title">{n.title}</p>
                    <a class="button" href=n.href>{i18n.t(Key::PlayNext)}</a>
                </div>
            })}

            {move || toast.get().map(|k| view! { <div class="player-toast" role="status">{i18n.t(k)}</div> })}

            {move || dialog.get().map(|d| {
                let (heading, text) = match d { Dialog::Share(l) => (Key::Share, l), Dialog::Embed(c) => (Key::EmbedCode, c) };
                view! { <CopyDialog heading text on_close=move || dialog.set(None)/> }
            })}

            <div class="player-controls" on:pointerdown=move |ev| ev.stop_propagation()>
                <div class="seek" on:pointermove=hover_seek on:pointerleave=move |_| scrub.set(None)>
                    <div class="seek-track" aria-hidden="true">
                        {move || buffered.get().into_iter().map(|(a, b)| {
                            let style = format!("left:{}%;width:{}%", decimal(percent(a), 2), decimal((percent(b) - percent(a)).max(0.0), 2));
                            view! { <span class="seek-buffered" style=style></span> }
                        }).collect_view()}
                        <span class="seek-played" style=move || format!("width:{}%", decimal(percent(current.get()), 2))></span>
                    </div>
                    <input
                        class="seek-input"
                        type="range"
                        min="0"
                        step="any"
                        prop:max=move || duration.get().max(0.0)
                        prop:value=move || current.get()
                        aria-label=move || i18n.t(Key::Seek)
                        aria-valuetext=seek_valuetext
                        on:input=move |ev| {
                            let t = event_target::<web_sys::HtmlInputElement>(&ev).value_as_number();
                            if t.is_finite() { scrub.set(Some(t)); seek_to(t) }
                        }
                        on:change=move |_| scrub.set(None)
                    />
                    {move || scrub.get().map(|t| view! {
                        <span class="seek-tip" style=format!("left:{}%", decimal(percent(t), 2)) aria-hidden="true">{clock(t)}</span>
                    })}
                </div>
                <div class="control-row">
                    <button class="icon-button" on:click=move |_| play_pause()
                        aria-label=move || i18n.t(if playing.get() { Key::Pause } else { Key::Play })>
                        {move || if playing.get() { icon("M6 5h4v14H6zM14 5h4v14h-4z") } else { icon("M8 5v14l11-7z") }}
                    </button>
                    <div class="volume">
                        <button class="icon-button" on:click=move |_| toggle_mute()
                            aria-label=move || i18n.t(if muted.get() { Key::Unmute } else { Key::Mute })>
                            {move || if muted.get() || volume.get() == 0.0 {
                                icon("M4 9v6h4l5 5V4L8 9H4zm12.6 3 2.7-2.7-1.4-1.4-2.7 2.7-2.7-2.7-1.4 1.4 2.7 2.7-2.7 2.7 1.4 1.4 2.7-2.7 2.7 2.7 1.4-1.4z")
                            } else {
                                icon("M4 9v6h4l5 5V4L8 9H4zm12.5 3A4.5 4.5 0 0 0 14 8v8a4.5 4.5 0 0 0 2.5-4z")
                            }}
                        </button>
                        <input class="volume-input" type="range" min="0" max="1" step="0.05"
                            prop:value=move || if muted.get() { 0.0 } else { volume.get() }
                            aria-label=move || i18n.t(Key::Volume)
                            aria-valuetext=move || format!("{}%", decimal((if muted.get() { 0.0 } else { volume.get() }) * 100.0, 0))
                            on:input=move |ev| {
                                let x = event_target::<web_sys::HtmlInputElement>(&ev).value_as_number();
                                if x.is_finite() { set_volume(x) }
                            }
                        />
                    </div>
                    <span class="time" aria-hidden="true">
                        <span class="time-current">{move || clock(current.get())}</span>" / "{move || clock(duration.get())}
                    </span>
                    <span class="spacer"></span>
                    <label class="speed">
                        <span class="visually-hidden">{move || i18n.t(Key::Speed)}</span>
                        <select prop:value=move || decimal(rate.get(), 2)
                            on:change=move |ev| {
                                if let Some(r) = parse_decimal(&event_target_value(&ev)) { with_video(&|v| v.set_playback_rate(r)) }
                            }>
                            {SPEEDS.iter().map(|&s| view! {
                                <option value=s>{move || if s == "1" { i18n.t(Key::SpeedNormal).to_string() } else { format!("{s}×") }}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <button class="icon-button" on:click=share aria-label=move || i18n.t(Key::Share)>
                        {icon("M18 16a3 3 0 0 0-2.4 1.2l-6.7-3.4a3 3 0 0 0 0-1.6l6.7-3.4A3 3 0 1 0 15 7l-6.7 3.4a3 3 0 1 0 0 3.2L15 17a3 3 0 1 0 3-1z")}
                    </button>
                    <button class="icon-button" on:click=open_embed aria-label=move || i18n.t(Key::Embed)>
                        {icon("M8.6 16.6 4 12l4.6-4.6L7.2 6 1.2 12l6 6zm6.8 0L20 12l-4.6-4.6L16.8 6l6 6-6 6z")}
                    </button>
                    {pip_supported.then(|| view! {
                        <button class="icon-button" on:click=move |_| toggle_pip() aria-label=move || i18n.t(Key::PictureInPicture)>
                            {icon("M19 11h-8v6h8zm4 8V5a2 2 0 0 0-2-2H3a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h18a2 2 0 0 0 2-2zm-2 0H3V5h18z")}
                        </button>
                    })}
                    <button class="icon-button" on:click=move |_| toggle_fullscreen()
                        aria-label=move || i18n.t(if fullscreen.get() { Key::ExitFullscreen } else { Key::Fullscreen })>
                        {move || if fullscreen.get() {
                            icon("M5 16h3v3h2v-5H5zm3-8H5v2h5V5H8zm6 11h2v-3h3v-2h-5zm2-11V5h-2v5h5V8z")
                        } else {
                            icon("M7 14H5v5h5v-2H7zm-2-4h2V7h3V5H5zm12 7h-3v2h5v-5h-2zM14 5v2h3v3h2V5z")
                        }}
                    </button>
                </div>
            </div>
        </div>
    }
}

fn icon(path: &'static str) -> impl IntoView {
    view! { <svg viewBox="0 0 24 24" aria-hidden="true"><path d=path/></svg> }
}

/// Shows a short message for two seconds.
fn flash(toast: RwSignal<Option<Key>>, key: Key) {
    toast.set(Some(key));
    set_timeout(
        move || {
            let _ = toast.try_set(None);
        },
        Duration::from_secs(2),
    );
}

/// A small dialog with text to copy (a link, embed code).
#[component]
fn CopyDialog(heading: Key, text: String, #[prop(into)] on_close: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let area = NodeRef::<leptos::html::Textarea>::new();
    let copied = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(a) = area.get() {
            let _ = a.focus();
            a.select();
        }
    });
    let text = SendWrapper::new(text);
    let value = (*text).clone();
    let copy = move |_| {
        let t = (*text).clone();
        spawn_local(async move {
            if browser::copy_text(&t).await {
                let _ = copied.try_set(true);
            } else if let Some(a) = area.get_untracked() {
                a.select();
            }
        });
    };
    view! {
        <div class="copy-dialog" role="dialog" aria-label=move || i18n.t(heading)
            on:keydown=move |ev: leptos::ev::KeyboardEvent| if ev.key() == "Escape" { on_close.run(()) }>
            <p class="copy-dialog-title">{move || i18n.t(heading)}</p>
            <textarea node_ref=area readonly rows="3" aria-label=move || i18n.t(heading)>{value}</textarea>
            <div class="copy-dialog-actions">
                <button class="button" on:click=copy>{move || i18n.t(if copied.get() { Key::Copied } else { Key::Copy })}</button>
                <button class="button ghost" on:click=move |_| on_close.run(())>{move || i18n.t(Key::Close)}</button>
            </div>
        </div>
    }
}
