//! The embed API's side in the frame: commands from `window.parent` drive the player,
//! and the player's events go back to it. The messages and their rules are in
//! [`super::embed_protocol`]; this is only the glue to the page and the player.

use leptos::prelude::*;
use wasm_bindgen::JsValue;
use web_sys::MessageEvent;

use super::embed_protocol::{Arg, Command, Event, Field, Incoming, Outgoing, Payload, State, Throttle};
use super::state::PlayerState;
use crate::browser;
use crate::i18n::{Key, use_i18n};

/// Starts the API for this player when the page is framed; does nothing otherwise.
pub fn install(p: PlayerState) {
    let Some(parent) = browser::parent_window() else { return };
    let i18n = use_i18n();
    let ready = StoredValue::new(false);
    let send = {
        let parent = parent.clone();
        move |message: Outgoing, target: &str| {
            let _ = parent.post_message(&to_js(&message), target);
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
            let Some(request) = incoming(&ev.data()).and_then(|m| m.request()) else {
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
        window_event_listener(leptos::ev::resize, move |_| event(Event::Resize, Some(size(p))))
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
                        e(Event::Resize, Some(size(p)));
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
                        e(Event::Resize, Some(size(p)))
                    }
                })
            }),
        ]);
    });

    Effect::new(move |_| {
        if let Some(key) = p.error.get() {
            let message = i18n.locale.get_untracked().text(key).to_string();
            event(Event::Error, Some(Payload::Error { key: error_key(key), message }));
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

fn size(p: PlayerState) -> Payload {
    let w = browser::window();
    let px = |r: Result<JsValue, JsValue>| r.ok().and_then(|v| v.as_f64()).unwrap_or(0.0);
    let (vw, vh) = p.video().map_or((0, 0), |v| (v.video_width(), v.video_height()));
    Payload::Size {
        width: px(w.inner_width()),
        height: px(w.inner_height()),
        video_width: f64::from(vw),
        video_height: f64::from(vh),
    }
}

/// What the protocol reads of a message: an object's fields (never an array's, nor
/// anything from a value that is not an object).
fn incoming(data: &JsValue) -> Option<Incoming> {
    if !data.is_object() || js_sys::Array::is_array(data) {
        return None;
    }
    let arg = |name: &str| {
        let Ok(v) = js_sys::Reflect::get(data, &JsValue::from_str(name)) else { return Arg::Other };
        if v.is_undefined() || v.is_null() {
            Arg::Absent
        } else if let Some(b) = v.as_bool() {
            Arg::Bool(b)
        } else if let Some(x) = v.as_f64() {
            Arg::Number(x)
        } else if let Some(s) = v.as_string() {
            Arg::Text(s)
        } else {
            Arg::Other
        }
    };
    Some(Incoming { relive: arg("relive"), kind: arg("type"), id: arg("id"), name: arg("name"), value: arg("value") })
}

/// A message as a plain object for `postMessage`.
fn to_js(m: &Outgoing) -> JsValue {
    fn object(fields: Vec<(&'static str, Field)>) -> js_sys::Object {
        let o = js_sys::Object::new();
        for (k, f) in fields {
            let v = match f {
                Field::Number(x) => JsValue::from_f64(x),
                Field::Bool(b) => JsValue::from_bool(b),
                Field::Text(s) => JsValue::from_str(&s),
            };
            let _ = js_sys::Reflect::set(&o, &JsValue::from_str(k), &v);
        }
        o
    }
    let o = object(m.fields());
    if let Some(v) = &m.value {
        let _ = js_sys::Reflect::set(&o, &JsValue::from_str("value"), &object(v.fields()));
    }
    o.into()
}

/// An error's message key, as the protocol names it.
fn error_key(key: Key) -> &'static str {
    match key {
        Key::ErrNetwork => "ErrNetwork",
        Key::ErrDecode => "ErrDecode",
        Key::ErrUnsupported => "ErrUnsupported",
        Key::ErrCorrupt => "ErrCorrupt",
        Key::ErrTruncated => "ErrTruncated",
        Key::ErrPartMissing => "ErrPartMissing",
        Key::ErrRefused => "ErrRefused",
        _ => "Error",
    }
}
