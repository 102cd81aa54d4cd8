//! The embed API's side in the frame: commands from `window.parent` drive the player,
//! and the player's events go back to it. The messages and their rules are in
//! [`super::embed_protocol`]; this is only the glue to the page and the player.

use leptos::prelude::*;
use wasm_bindgen::JsValue;
use web_sys::MessageEvent;

use super::embed_protocol::{Command, ErrorInfo, Event, Incoming, Outgoing, Payload, Size, State, Throttle};
use super::state::PlayerState;
use crate::browser;
use crate::i18n::use_i18n;

/// Starts the API for this player when the page is framed; does nothing otherwise.
pub fn install(p: PlayerState) {
    let Some(parent) = browser::parent_window() else { return };
    let i18n = use_i18n();
    let ready = StoredValue::new(false);
    let send = {
        let parent = parent.clone();
        move |message: Outgoing, target: &str| {
            if let Ok(value) = serde_wasm_bindgen::to_value(&message) {
                let _ = parent.post_message(&value, target);
            }
        }
    };
    let event = {
        let send = send.clone();
        move |e: Event, value: Option<Payload>| send(Outgoing::event(e, value), "*")
    };

    let commands = {
        let (parent, send) = (parent.clone(), send.clone());
        window_event_listener(leptos::ev::message, move |ev: MessageEvent| {
            // Only the window that frames us; never another frame or window.
            let from_parent = ev.source().is_some_and(|s| js_sys::Object::is(&s, &JsValue::from(&parent)));
            if !from_parent {
                return;
            }
            let Some(request) = serde_wasm_bindgen::from_value::<Incoming>(ev.data()).ok().and_then(|m| m.request())
            else {
                return;
            };
            let Some(v) = p.video() else { return };
            match request.command {
                Command::Play => {
                    if v.paused() || v.ended() {
                        p.play_pause();
                    }
                }
                Command::Pause => {
                    let _ = v.pause();
                }
                // Before the media is loaded a seek would be lost: it is made once it is.
                Command::Seek(t) if v.ready_state() == 0 && !p.in_sequence() => {
                    p.pending_seek.set_value(Some(t));
                    p.current.set(t);
                }
                Command::Seek(t) => p.seek_to(t),
                Command::SetVolume(x) => v.set_volume(x),
                Command::SetMuted(m) => v.set_muted(m),
                Command::SetPlaybackRate(r) => p.set_rate(r),
                Command::GetState => {
                    let origin = ev.origin();
                    let target = if origin.is_empty() || origin == "null" { "*" } else { origin.as_str() };
                    send(Outgoing::state(request.id, snapshot(p, ready.get_value())), target);
                }
            }
        })
    };

    let resize = {
        let event = event.clone();
        window_event_listener(leptos::ev::resize, move |_| event(Event::Resize, Some(Payload::Size(size(p)))))
    };
    on_cleanup(move || {
        commands.remove();
        resize.remove();
    });

    let listeners = StoredValue::new_local(Vec::new());
    let event_for_media = event.clone();
    Effect::new(move |_| {
        let Some(v) = p.video_ref.get() else { return };
        let target: &web_sys::EventTarget = v.as_ref();
        let state = move || Some(Payload::State(snapshot(p, ready.get_value())));
        let e = event_for_media.clone();
        let on = move |name: &'static str, f: Box<dyn Fn()>| browser::listen(target, name, move |_| f());
        let throttle = StoredValue::new(Throttle::default());
        listeners.set_value(vec![
            on("loadedmetadata", {
                let e = e.clone();
                Box::new(move || {
                    if !ready.get_value() {
                        ready.set_value(true);
                        e(Event::Ready, state());
                        e(Event::Resize, Some(Payload::Size(size(p))));
                    }
                })
            }),
            on("play", {
                let e = e.clone();
                Box::new(move || e(Event::Play, state()))
            }),
            on("pause", {
                let e = e.clone();
                Box::new(move || e(Event::Pause, state()))
            }),
            on("timeupdate", {
                let e = e.clone();
                Box::new(move || {
                    if throttle.try_update_value(|t| t.pass(js_sys::Date::now())).unwrap_or(false) {
                        e(Event::TimeUpdate, state());
                    }
                })
            }),
            on("ended", {
                let e = e.clone();
                // The player has marked the end by now (a broadcast's part ending is not it).
                Box::new(move || {
                    if p.ended.get_untracked() {
                        e(Event::Ended, state())
                    }
                })
            }),
            on("resize", {
                let e = e.clone();
                Box::new(move || {
                    if ready.get_value() {
                        e(Event::Resize, Some(Payload::Size(size(p))))
                    }
                })
            }),
        ]);
    });

    Effect::new(move |_| {
        if let Some(key) = p.error.get() {
            let message = i18n.locale.get_untracked().text(key).to_string();
            event(Event::Error, Some(Payload::Error(ErrorInfo { key: format!("{key:?}"), message })));
        }
    });
}

fn finite(x: f64) -> f64 {
    if x.is_finite() { x } else { 0.0 }
}

/// What `getState` answers and most events carry.
fn snapshot(p: PlayerState, ready: bool) -> State {
    let Some(v) = p.video() else { return State { ready, ..State::default() } };
    State {
        current_time: finite(p.now()),
        duration: finite(p.duration.get_untracked()),
        paused: v.paused(),
        muted: v.muted(),
        volume: v.volume(),
        playback_rate: v.playback_rate(),
        ended: p.ended.get_untracked(),
        ready,
    }
}

fn size(p: PlayerState) -> Size {
    let w = browser::window();
    let px = |r: Result<JsValue, JsValue>| r.ok().and_then(|v| v.as_f64()).unwrap_or(0.0);
    let (vw, vh) = p.video().map_or((0, 0), |v| (v.video_width(), v.video_height()));
    Size {
        width: px(w.inner_width()),
        height: px(w.inner_height()),
        video_width: f64::from(vw),
        video_height: f64::from(vh),
    }
}
