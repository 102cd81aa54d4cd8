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
//! natively below). No serde: the frame reads a message's few fields itself
//! ([`super::embed_api`]), which keeps the app's download small.

/// The protocol version, `relive` in every message.
pub const VERSION: u32 = 1;

/// The most events of `timeupdate` a second.
pub const TIMEUPDATES_PER_SECOND: f64 = 4.0;

/// A field of a message as it came: what the protocol needs to know of it.
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    /// Not there, `undefined` or `null`.
    Absent,
    Bool(bool),
    Number(f64),
    Text(String),
    /// An object, an array, anything else.
    Other,
}

/// A message as it comes from the host (an object's fields), before it is checked.
#[derive(Clone, Debug, PartialEq)]
pub struct Incoming {
    pub relive: Arg,
    pub kind: Arg,
    pub id: Arg,
    pub name: Arg,
    pub value: Arg,
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
        if self.relive != Arg::Number(f64::from(VERSION)) || self.kind != Arg::Text("command".into()) {
            return None;
        }
        let id = match self.id {
            Arg::Absent => None,
            Arg::Number(id) if id.is_finite() => Some(id),
            _ => return None,
        };
        let number = |ok: fn(f64) -> bool| match self.value {
            Arg::Number(x) if x.is_finite() && ok(x) => Some(x),
            _ => None,
        };
        let Arg::Text(name) = &self.name else { return None };
        let command = match name.as_str() {
            "play" => Command::Play,
            "pause" => Command::Pause,
            "getState" => Command::GetState,
            "seek" => Command::Seek(number(|x| x >= 0.0)?),
            "setVolume" => Command::SetVolume(number(|x| (0.0..=1.0).contains(&x))?),
            "setPlaybackRate" => Command::SetPlaybackRate(number(|x| (0.25..=4.0).contains(&x))?),
            "setMuted" => match self.value {
                Arg::Bool(b) => Command::SetMuted(b),
                _ => return None,
            },
            _ => return None,
        };
        Some(Request { id, command })
    }
}

/// A field's value in a message the embed sends.
#[derive(Clone, Debug, PartialEq)]
pub enum Field {
    Number(f64),
    Bool(bool),
    Text(String),
}

/// The player's state, answered to `getState` and carried by most events.
#[derive(Clone, Debug, Default, PartialEq)]
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

/// What follows an event or answer as its `value`.
#[derive(Clone, Debug, PartialEq)]
pub enum Payload {
    State(State),
    /// An error's message key (`"ErrNetwork"`) and its text in the embed's language.
    Error {
        key: &'static str,
        message: String,
    },
    /// The frame's size and the picture's, in CSS pixels.
    Size {
        width: f64,
        height: f64,
        video_width: f64,
        video_height: f64,
    },
}

impl Payload {
    /// The `value` object's fields, by their names in the protocol.
    pub fn fields(&self) -> Vec<(&'static str, Field)> {
        use Field::{Bool, Number, Text};
        match self {
            Payload::State(s) => vec![
                ("currentTime", Number(s.current_time)),
                ("duration", Number(s.duration)),
                ("paused", Bool(s.paused)),
                ("muted", Bool(s.muted)),
                ("volume", Number(s.volume)),
                ("playbackRate", Number(s.playback_rate)),
                ("ended", Bool(s.ended)),
                ("ready", Bool(s.ready)),
            ],
            Payload::Error { key, message } => vec![("key", Text(key.to_string())), ("message", Text(message.clone()))],
            Payload::Size { width, height, video_width, video_height } => vec![
                ("width", Number(*width)),
                ("height", Number(*height)),
                ("videoWidth", Number(*video_width)),
                ("videoHeight", Number(*video_height)),
            ],
        }
    }
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

/// A message from the embed to the host: `{relive: 1, type, id?, name, value?}`.
#[derive(Clone, Debug, PartialEq)]
pub struct Outgoing {
    /// `event` or `state`.
    pub kind: &'static str,
    pub id: Option<f64>,
    pub name: &'static str,
    pub value: Option<Payload>,
}

impl Outgoing {
    pub fn event(event: Event, value: Option<Payload>) -> Outgoing {
        Outgoing { kind: "event", id: None, name: event.name(), value }
    }

    /// The answer to `getState`.
    pub fn state(id: Option<f64>, state: State) -> Outgoing {
        Outgoing { kind: "state", id, name: "getState", value: Some(Payload::State(state)) }
    }

    /// The message's fields (`value` apart: [`Payload::fields`]).
    pub fn fields(&self) -> Vec<(&'static str, Field)> {
        let mut f = vec![
            ("relive", Field::Number(f64::from(VERSION))),
            ("type", Field::Text(self.kind.into())),
            ("name", Field::Text(self.name.into())),
        ];
        if let Some(id) = self.id {
            f.push(("id", Field::Number(id)));
        }
        f
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
    use serde_json::{Value, json};

    /// What the frame reads of a message ([`super::super::embed_api`] does the same
    /// with a JS value): an object's fields, nothing from anything else.
    fn incoming(v: &Value) -> Option<Incoming> {
        let o = v.as_object()?;
        let arg = |k: &str| match o.get(k) {
            None | Some(Value::Null) => Arg::Absent,
            Some(Value::Bool(b)) => Arg::Bool(*b),
            Some(Value::Number(n)) => Arg::Number(n.as_f64().unwrap()),
            Some(Value::String(s)) => Arg::Text(s.clone()),
            Some(_) => Arg::Other,
        };
        Some(Incoming {
            relive: arg("relive"),
            kind: arg("type"),
            id: arg("id"),
            name: arg("name"),
            value: arg("value"),
        })
    }

    fn parse(json: &str) -> Option<Request> {
        incoming(&serde_json::from_str(json).ok()?)?.request()
    }

    /// An outgoing message as the host receives it.
    fn to_json(m: &Outgoing) -> Value {
        let field = |f: Field| match f {
            Field::Number(x) => json!(x),
            Field::Bool(b) => json!(b),
            Field::Text(s) => json!(s),
        };
        let mut o: serde_json::Map<String, Value> =
            m.fields().into_iter().map(|(k, f)| (k.to_string(), field(f))).collect();
        if let Some(v) = &m.value {
            o.insert("value".into(), v.fields().into_iter().map(|(k, f)| (k.to_string(), field(f))).collect());
        }
        Value::Object(o)
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
        assert_eq!(parse(r#"{"relive":1,"type":"command","name":"play","id":null}"#), r(None, Command::Play));
    }

    #[test]
    fn malformed_messages_are_ignored() {
        for bad in [
            r#""play""#,
            r#"[1,"command","play"]"#,
            r#"null"#,
            r#"42"#,
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
            r#"{"relive":1,"type":"command","name":"seek","value":[30]}"#,
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
            to_json(&Outgoing::state(Some(4.0), state)),
            json!({"relive": 1.0, "type": "state", "id": 4.0, "name": "getState", "value": {
                "currentTime": 30.5, "duration": 60.0, "paused": true, "muted": false, "volume": 1.0,
                "playbackRate": 1.0, "ended": false, "ready": true}})
        );
        assert_eq!(
            to_json(&Outgoing::event(Event::Play, None)),
            json!({"relive": 1.0, "type": "event", "name": "play"})
        );
        let error = Payload::Error { key: "ErrNetwork", message: "m".into() };
        assert_eq!(
            to_json(&Outgoing::event(Event::Error, Some(error))),
            json!({"relive": 1.0, "type": "event", "name": "error", "value": {"key": "ErrNetwork", "message": "m"}})
        );
        let size = Payload::Size { width: 480.0, height: 270.0, video_width: 1280.0, video_height: 720.0 };
        assert_eq!(
            to_json(&Outgoing::event(Event::Resize, Some(size)))["value"],
            json!({"width": 480.0, "height": 270.0, "videoWidth": 1280.0, "videoHeight": 720.0})
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
