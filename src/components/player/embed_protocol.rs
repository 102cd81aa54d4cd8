//! The embed API's messages: what a host page and a Relive embed (`/embed/replays/{id}`)
//! say to each other through `postMessage`. Version 1. The README's "Embedding" section
//! tells the same to people who write host pages; `public/relive-embed.js` speaks it.
//!
//! Every message is a plain object with `relive: 1` (the protocol version) and a `type`:
//!
//! | direction | shape |
//! |---|---|
//! | host → embed | `{relive: 1, type: "command", id?: number, name, value?}` |
//! | embed → host | `{relive: 1, type: "event", name, value?}` |
//! | embed → host | `{relive: 1, type: "state", id?, name: "getState", value: State}`: the answer to `getState`, with its `id` |
//!
//! Commands (`name`, and `value`):
//! `play`, `pause`, `seek` (seconds ≥ 0), `setVolume` (0–1), `setMuted` (boolean),
//! `setPlaybackRate` (0.25–4), `getState` (answered with `type: "state"`).
//!
//! Events: `ready` (the media's duration is known; commands work from the start),
//! `play`, `pause`, `timeupdate` (at most four a second), `ended` (value: [`State`]),
//! `error` (value: `{key, message}`: the message key, e.g. `"ErrNetwork"`, and its text),
//! `resize` (value: `{width, height, videoWidth, videoHeight}`, CSS pixels of the frame
//! and the picture's own size).
//!
//! [`State`]: `{currentTime, duration, paused, muted, volume, playbackRate, ended, ready}`.
//!
//! The embed listens only when it is framed, takes messages only from `window.parent`,
//! and sends only there. Anything else — another version, another `type`, an unknown
//! command, a value of the wrong type or out of range, something that is not an object,
//! a message from any other window — is ignored: no answer, no error. What it sends says
//! nothing that is not on the page already, so it goes to the parent with the target
//! origin `*` (the embed cannot know who framed it); the host checks `event.source` (and
//! the helper the origin).
//!
//! The shapes live here, in the web app, rather than in `api/`: they never touch the
//! server, and this module is the single place that reads and writes them (tested
//! natively below).

use serde::{Deserialize, Serialize};

/// The protocol version, `relive` in every message.
pub const VERSION: u32 = 1;

/// The most events of `timeupdate` a second.
pub const TIMEUPDATES_PER_SECOND: f64 = 4.0;

/// A message as it comes from the host, before it is checked.
#[derive(Debug, Deserialize)]
pub struct Incoming {
    pub relive: f64,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub id: Option<f64>,
    pub name: String,
    #[serde(default)]
    pub value: Option<Arg>,
}

/// A command's value: a number or a boolean (anything else fails the message).
#[derive(Clone, Copy, Debug, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Arg {
    Bool(bool),
    Number(f64),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Command {
    Play,
    Pause,
    Seek(f64),
    SetVolume(f64),
    SetMuted(bool),
    SetPlaybackRate(f64),
    GetState,
}

/// A valid command, with the id to answer with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Request {
    pub id: Option<f64>,
    pub command: Command,
}

impl Incoming {
    /// The command this message carries, if it is a valid one.
    pub fn request(&self) -> Option<Request> {
        if self.relive != f64::from(VERSION) || self.kind != "command" {
            return None;
        }
        if self.id.is_some_and(|id| !id.is_finite()) {
            return None;
        }
        let number = |ok: fn(f64) -> bool| match self.value {
            Some(Arg::Number(x)) if x.is_finite() && ok(x) => Some(x),
            _ => None,
        };
        let command = match self.name.as_str() {
            "play" => Command::Play,
            "pause" => Command::Pause,
            "getState" => Command::GetState,
            "seek" => Command::Seek(number(|x| x >= 0.0)?),
            "setVolume" => Command::SetVolume(number(|x| (0.0..=1.0).contains(&x))?),
            "setPlaybackRate" => Command::SetPlaybackRate(number(|x| (0.25..=4.0).contains(&x))?),
            "setMuted" => match self.value {
                Some(Arg::Bool(b)) => Command::SetMuted(b),
                _ => return None,
            },
            _ => return None,
        };
        Some(Request { id: self.id, command })
    }
}

/// The player's state, answered to `getState` and carried by most events.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct State {
    pub current_time: f64,
    /// 0 while unknown.
    pub duration: f64,
    pub paused: bool,
    pub muted: bool,
    pub volume: f64,
    pub playback_rate: f64,
    pub ended: bool,
    /// `ready` has been sent (the media's duration is known).
    pub ready: bool,
}

/// An error's message key (`"ErrNetwork"`) and its text in the embed's language.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ErrorInfo {
    pub key: String,
    pub message: String,
}

/// The frame's size and the picture's, in CSS pixels.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Size {
    pub width: f64,
    pub height: f64,
    pub video_width: f64,
    pub video_height: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Payload {
    State(State),
    Error(ErrorInfo),
    Size(Size),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    Ready,
    Play,
    Pause,
    TimeUpdate,
    Ended,
    Error,
    Resize,
}

impl Event {
    pub fn name(self) -> &'static str {
        match self {
            Event::Ready => "ready",
            Event::Play => "play",
            Event::Pause => "pause",
            Event::TimeUpdate => "timeupdate",
            Event::Ended => "ended",
            Event::Error => "error",
            Event::Resize => "resize",
        }
    }
}

/// A message from the embed to the host.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Outgoing {
    pub relive: u32,
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<f64>,
    pub name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Payload>,
}

impl Outgoing {
    pub fn event(event: Event, value: Option<Payload>) -> Outgoing {
        Outgoing { relive: VERSION, kind: "event", id: None, name: event.name(), value }
    }

    /// The answer to `getState`.
    pub fn state(id: Option<f64>, state: State) -> Outgoing {
        Outgoing { relive: VERSION, kind: "state", id, name: "getState", value: Some(Payload::State(state)) }
    }
}

/// Lets a `timeupdate` through at most [`TIMEUPDATES_PER_SECOND`] times a second
/// (times in milliseconds).
#[derive(Clone, Copy, Debug, Default)]
pub struct Throttle {
    last: Option<f64>,
}

impl Throttle {
    pub fn pass(&mut self, now_ms: f64) -> bool {
        let gap = 1000.0 / TIMEUPDATES_PER_SECOND;
        if self.last.is_some_and(|last| now_ms - last < gap) {
            return false;
        }
        self.last = Some(now_ms);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Option<Request> {
        serde_json::from_str::<Incoming>(json).ok()?.request()
    }

    #[test]
    fn valid_commands() {
        let r = |id, command| Some(Request { id, command });
        assert_eq!(parse(r#"{"relive":1,"type":"command","name":"play"}"#), r(None, Command::Play));
        assert_eq!(parse(r#"{"relive":1,"type":"command","name":"pause","id":3}"#), r(Some(3.0), Command::Pause));
        assert_eq!(parse(r#"{"relive":1,"type":"command","name":"seek","value":30}"#), r(None, Command::Seek(30.0)));
        assert_eq!(
            parse(r#"{"relive":1,"type":"command","name":"setVolume","value":0.5}"#),
            r(None, Command::SetVolume(0.5))
        );
        assert_eq!(
            parse(r#"{"relive":1,"type":"command","name":"setMuted","value":true}"#),
            r(None, Command::SetMuted(true))
        );
        assert_eq!(
            parse(r#"{"relive":1,"type":"command","name":"setPlaybackRate","value":1.5}"#),
            r(None, Command::SetPlaybackRate(1.5))
        );
        assert_eq!(parse(r#"{"relive":1,"type":"command","name":"getState","id":7}"#), r(Some(7.0), Command::GetState));
        // Fields the protocol does not know are no reason to refuse.
        assert_eq!(parse(r#"{"relive":1,"type":"command","name":"play","extra":{}}"#), r(None, Command::Play));
    }

    #[test]
    fn malformed_messages_are_ignored() {
        for bad in [
            r#""play""#,
            r#"[1,"command","play"]"#,
            r#"null"#,
            r#"{}"#,
            r#"{"relive":2,"type":"command","name":"play"}"#,
            r#"{"relive":"1","type":"command","name":"play"}"#,
            r#"{"type":"command","name":"play"}"#,
            r#"{"relive":1,"type":"event","name":"play"}"#,
            r#"{"relive":1,"name":"play"}"#,
            r#"{"relive":1,"type":"command","name":"explode"}"#,
            r#"{"relive":1,"type":"command","name":"Play"}"#,
            r#"{"relive":1,"type":"command","name":"seek"}"#,
            r#"{"relive":1,"type":"command","name":"seek","value":"30"}"#,
            r#"{"relive":1,"type":"command","name":"seek","value":-1}"#,
            r#"{"relive":1,"type":"command","name":"seek","value":true}"#,
            r#"{"relive":1,"type":"command","name":"setVolume","value":1.5}"#,
            r#"{"relive":1,"type":"command","name":"setMuted","value":1}"#,
            r#"{"relive":1,"type":"command","name":"setPlaybackRate","value":0}"#,
            r#"{"relive":1,"type":"command","name":"setPlaybackRate","value":100}"#,
            r#"{"relive":1,"type":"command","name":"getState","id":"x"}"#,
            r#"{"relive":1,"type":"command","name":5}"#,
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn outgoing_shapes() {
        let state = State {
            current_time: 30.5,
            duration: 60.0,
            paused: true,
            muted: false,
            volume: 1.0,
            playback_rate: 1.0,
            ended: false,
            ready: true,
        };
        assert_eq!(
            serde_json::to_value(Outgoing::state(Some(4.0), state.clone())).unwrap(),
            serde_json::json!({"relive": 1, "type": "state", "id": 4.0, "name": "getState", "value": {
                "currentTime": 30.5, "duration": 60.0, "paused": true, "muted": false, "volume": 1.0,
                "playbackRate": 1.0, "ended": false, "ready": true}})
        );
        assert_eq!(
            serde_json::to_value(Outgoing::event(Event::Play, None)).unwrap(),
            serde_json::json!({"relive": 1, "type": "event", "name": "play"})
        );
        let error = ErrorInfo { key: "ErrNetwork".into(), message: "m".into() };
        assert_eq!(
            serde_json::to_value(Outgoing::event(Event::Error, Some(Payload::Error(error)))).unwrap(),
            serde_json::json!({"relive": 1, "type": "event", "name": "error", "value": {"key": "ErrNetwork", "message": "m"}})
        );
    }

    #[test]
    fn timeupdates_at_most_four_a_second() {
        let mut t = Throttle::default();
        let passed = (0..100).filter(|i| t.pass(f64::from(*i) * 50.0)).count(); // 5 s of 20/s
        assert_eq!(passed, 20);
        assert!(t.pass(10_000.0));
    }
}
