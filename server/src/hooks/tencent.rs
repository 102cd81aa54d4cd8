//! `POST /hooks/tencent`: Tencent Cloud Live event callbacks.
//!
//! - `event_type` 100: a recording file was generated. Both the legacy shape (Tencent's
//!   recording guide: `channel_id, end_time, event_type, file_format, file_id, file_size,
//!   sign, start_time, stream_id, t, video_id, video_url`) and the current one (adds
//!   `appid, app, appname, record_file_id, task_id, duration, stream_param, ...`) are
//!   read; the whole payload is stored, unknown fields included. `file_format` `hls`
//!   (any case), or a `video_url` ending in `.m3u8`, is an HLS replay; without a
//!   `duration` its playlist tells it (a background job, see `crate::ingest`).
//!   `callback_ext.session_id` (a JSON object inside a string) and `task_id` name the
//!   recording session: the files of one session join one broadcast.
//! - `event_type` 1 / 0: a stream was pushed / cut: the streamer's live status, and the
//!   start or end of a broadcast (`sequence` names the push; a cut's `push_duration`,
//!   in ms, tells when it began).
//! - `event_type` 332: the recording's status (`record_event`: started, failed, paused,
//!   resumed, error, ended) for a recording session (`session_id`, else `task_id`),
//!   applied in `seq` order per session: the broadcast's status.
//! - `event_type` 200: a screenshot of the stream (`pic_full_url`, `create_time`,
//!   `width`, `height`, `file_size`): stored per stream, once per URL; it attaches to the
//!   broadcast its `create_time` falls in when read (a poster, a coarse storyboard:
//!   `crate::images`). `stream_id`, `create_time` and an http(s) `pic_full_url` are required.
//! - anything else: acknowledged and ignored.
//!
//! Every callback carries `t` (an expiry, Unix seconds) and `sign = md5(key + t)`.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use relive_api::{HookAck, ReplayFormat};
use serde_json::{Map, Value};

use super::{Fields, http_url, json_object, logged, read_body};
use crate::AppState;
use crate::error::Failure;
use crate::ingest::{Event, EventOrder, LiveChange, ingest};
use crate::signing::{constant_time_eq, tencent_callback_sign};
use crate::store::{NewReplay, NewScreenshot, RecordEvent, RecordStatus, SessionKey, unix_now};

/// The `source` of replays Tencent announces (`file_id` is their id there), and of its
/// recording sessions (`session_id`, `task_id`).
pub const SOURCE: &str = "tencent";
/// The source of Tencent's push sessions (`sequence` of events 1 and 0).
pub const PUSH_SOURCE: &str = "tencent-push";
/// How far past its `t` a callback is still accepted, for clocks that disagree.
pub const CLOCK_SKEW_SECS: i64 = 120;

pub const EVENT_STREAM_END: i64 = 0;
pub const EVENT_STREAM_BEGIN: i64 = 1;
pub const EVENT_RECORDING: i64 = 100;
pub const EVENT_SCREENSHOT: i64 = 200;
pub const EVENT_RECORD_STATUS: i64 = 332;

pub async fn handle(State(app): State<AppState>, headers: HeaderMap, body: Body) -> Result<Json<HookAck>, Failure> {
    let key = app.config.tencent_callback_key.as_deref();
    let result = async { ingest(&app, parse(&read_body(&headers, body).await?, key, unix_now())?).await }.await;
    logged("tencent", result).map(|_| Json(HookAck { code: 0 }))
}

/// Reads a callback: a JSON object, signed with `key` (if one is configured) and not
/// expired at `now`; the whole body is kept with a recording.
pub fn parse(body: &[u8], key: Option<&str>, now: i64) -> Result<Event, Failure> {
    let map = json_object(body)?;
    verify(&map, key, now)?;
    event(&map, String::from_utf8_lossy(body).into_owned(), now)
}

/// Checks `sign == md5(key + t)` and that `t` has not passed. With no key configured
/// every callback passes (start-up warns about that).
pub fn verify(map: &Map<String, Value>, key: Option<&str>, now: i64) -> Result<(), Failure> {
    let Some(key) = key else { return Ok(()) };
    let f = Fields(map);
    let unsigned = |what: &str| Failure::unauthorized("bad_signature", what.to_string());
    let sign = f.str("sign").ok().flatten().ok_or_else(|| unsigned("the callback carries no `sign`"))?;
    let t = f.int("t").ok().flatten().ok_or_else(|| unsigned("the callback carries no integer `t`"))?;
    let expected = tencent_callback_sign(key, t);
    if !constant_time_eq(sign.trim().to_ascii_lowercase().as_bytes(), expected.as_bytes()) {
        return Err(unsigned("`sign` does not match md5(callback key + t)"));
    }
    if t.saturating_add(CLOCK_SKEW_SECS) < now {
        return Err(Failure::unauthorized("expired", format!("the callback expired at t={t}; it is now {now}")));
    }
    Ok(())
}

/// Reads an event from a callback's fields. `raw` is kept with a recording; `now` stands
/// in for a live event's time when the callback carries none.
fn event(map: &Map<String, Value>, raw: String, now: i64) -> Result<Event, Failure> {
    let f = Fields(map);
    let event_type = f.req_int("event_type")?;
    match event_type {
        EVENT_RECORDING => parse_recording(map, &f, raw).map(Event::Recording),
        EVENT_STREAM_BEGIN | EVENT_STREAM_END => {
            let time = f.int("event_time")?.or(f.int("t")?).unwrap_or(now);
            let sequence = f.u64("sequence")?.unwrap_or(0);
            let live = event_type == EVENT_STREAM_BEGIN;
            // How long the push lasted (ms), on a cut: when it began.
            let push_started_at = match f.int("push_duration").ok().flatten() {
                Some(ms) if !live && ms > 0 => Some(time.saturating_sub(ms / 1000)),
                _ => None,
            };
            Ok(Event::Live(LiveChange {
                streamer_id: stream_id(&f)?,
                live,
                order: EventOrder::Stamped { time, sequence },
                session: (sequence != 0).then(|| SessionKey::new(PUSH_SOURCE, sequence.to_string())),
                push_started_at,
            }))
        }
        EVENT_RECORD_STATUS => parse_record_status(map, &f, now),
        EVENT_SCREENSHOT => parse_screenshot(&f, raw).map(Event::Screenshot),
        other => Ok(Event::Ignored(format!("event_type {other}"))),
    }
}

/// Event 332. `record_event`, `seq` and the stream are required; `session_id` (else
/// `task_id`) names the recording session; `record_detail` (a JSON string) is kept for a
/// failure's reason. A `record_event` this server does not know is acknowledged and ignored.
fn parse_record_status(map: &Map<String, Value>, f: &Fields, now: i64) -> Result<Event, Failure> {
    let streamer_id = stream_id(f)?;
    let name = f.req_str("record_event")?;
    let seq = f.u64("seq")?.ok_or_else(|| Failure::missing("seq"))?;
    let event_time = f.int("event_time")?.or(f.int("t")?).unwrap_or(now);
    let session = [f.str("session_id")?, f.str("task_id")?]
        .into_iter()
        .flatten()
        .map(|s| s.trim().to_string())
        .find(|s| !s.is_empty())
        .map(|s| SessionKey::new(SOURCE, s));
    let detail = match map.get("record_detail") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(v @ Value::Object(_)) => Some(v.to_string()),
        Some(_) => return Err(Failure::invalid("record_detail", "must be a JSON string")),
    };
    let Some(event) = RecordEvent::parse(name.trim()) else {
        return Ok(Event::Ignored(format!("event_type 332 with record_event {name}")));
    };
    Ok(Event::RecordStatus(RecordStatus { streamer_id, session, event, seq, event_time, detail }))
}

/// Event 200. The picture's size and bytes are optional (0 or absent: unknown); a
/// negative or non-integer one is refused, as is a `create_time` that is not a time.
fn parse_screenshot(f: &Fields, raw: String) -> Result<NewScreenshot, Failure> {
    let streamer_id = stream_id(f)?;
    let create_time = f.req_int("create_time")?;
    if create_time <= 0 {
        return Err(Failure::invalid("create_time", "must be a Unix time"));
    }
    let url = http_url("pic_full_url", &f.req_str("pic_full_url")?)?;
    let side = |key: &str| -> Result<u32, Failure> {
        let v = f.u64(key)?.unwrap_or(0);
        u32::try_from(v).map_err(|_| Failure::invalid(key, "is not a picture size"))
    };
    Ok(NewScreenshot {
        streamer_id,
        create_time,
        url,
        pic_url: f.str("pic_url")?.filter(|s| !s.trim().is_empty()),
        width: side("width")?,
        height: side("height")?,
        file_size: f.u64("file_size")?.filter(|&n| n > 0),
        raw_payload: Some(raw),
    })
}

/// A field that is a non-empty string or a number, else nothing: for fields Tencent
/// calls informative, which must never be a reason to refuse a file.
fn loose_str(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The recording session of a file: `callback_ext.session_id` (`callback_ext` is a
/// string holding JSON), then `task_id`; each once.
fn recording_sessions(map: &Map<String, Value>) -> Vec<SessionKey> {
    let ext = match map.get("callback_ext") {
        Some(Value::String(s)) => serde_json::from_str::<Value>(s).ok(),
        Some(v @ Value::Object(_)) => Some(v.clone()),
        _ => None,
    };
    let mut keys: Vec<SessionKey> = Vec::new();
    let ids = [ext.as_ref().and_then(|e| loose_str(e.get("session_id"))), loose_str(map.get("task_id"))];
    for id in ids.into_iter().flatten() {
        let k = SessionKey::new(SOURCE, id);
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys
}

fn stream_id(f: &Fields) -> Result<String, Failure> {
    let key = if f.has("stream_id") {
        "stream_id"
    } else if f.has("channel_id") {
        "channel_id"
    } else {
        "stream_id"
    };
    let id = f.req_str(key)?;
    match relive_api::limits::stream_id_problem(&id) {
        Some(why) => Err(Failure::invalid(key, why)),
        None => Ok(id),
    }
}

fn parse_recording(map: &Map<String, Value>, f: &Fields, raw: String) -> Result<NewReplay, Failure> {
    let streamer_id = stream_id(f)?;
    let file_id = f.req_str("file_id")?;
    let url = http_url("video_url", &f.req_str("video_url")?)?;
    let format = match f.str("file_format")? {
        // A playlist plays as HLS whatever the format says.
        _ if format_from_url(&url) == Some(ReplayFormat::Hls) => ReplayFormat::Hls,
        Some(s) => ReplayFormat::parse(&s)
            .ok_or_else(|| Failure::invalid("file_format", "must be one of flv, mp4, hls, aac"))?,
        None => format_from_url(&url).ok_or_else(|| Failure::missing("file_format"))?,
    };
    let start_time = f.req_int("start_time")?;
    let end_time = f.req_int("end_time")?;
    let size = f.int("file_size")?.unwrap_or(0);
    if size < 0 {
        return Err(Failure::invalid("file_size", "must not be negative"));
    }
    // Prefer the service's own duration; else the span, if it is one. Tencent's own
    // example has start_time after end_time: then the duration is unknown (0). An HLS
    // recording without a duration is left at 0 for its playlist to tell (ingest queues
    // that; the span is the fallback).
    let (duration_secs, end_time) = match f.int("duration")? {
        Some(d) if d > 0 => (d, start_time.saturating_add(d)),
        _ if format == ReplayFormat::Hls => (0, end_time.max(start_time)),
        _ => {
            let span = end_time.saturating_sub(start_time).max(0);
            (span, start_time.saturating_add(span))
        }
    };
    Ok(NewReplay {
        streamer_id,
        source: SOURCE.into(),
        source_file_id: file_id,
        title: None,
        format,
        url,
        start_time,
        end_time,
        duration_ms: duration_secs as u64 * 1000,
        size_bytes: size as u64,
        raw_payload: Some(raw),
        facts: None,
        follow_ups: Vec::new(),
        sessions: recording_sessions(map),
    })
}

fn format_from_url(url: &str) -> Option<ReplayFormat> {
    let path = url.split(['?', '#']).next()?;
    ReplayFormat::parse(path.rsplit('.').next()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn legacy_example_with_start_after_end_has_no_negative_duration() {
        let m = obj(json!({
            "channel_id": "2121_15919131751", "end_time": 1473125627, "event_type": 100,
            "file_format": "flv", "file_id": "9192487266581821586", "file_size": 9749353,
            "sign": "fef79a097458ed80b5f5574cbc13e1fd", "start_time": 1473135647,
            "stream_id": "2121_15919131751", "t": 1473126233,
            "video_id": "200025724_ac92b781a22c4a3e937c9e61c2624af7",
            "video_url": "http://200025724.vod.myqcloud.com/200025724_ac92b781a22c4a3e937c9e61c2624af7.f0.flv"
        }));
        let Event::Recording(r) = event(&m, String::new(), 0).unwrap() else { panic!() };
        assert_eq!(r.duration_ms, 0);
        assert_eq!(r.end_time, r.start_time);
        assert_eq!(r.format, ReplayFormat::Flv);
        assert_eq!(r.streamer_id, "2121_15919131751");
    }

    #[test]
    fn current_shape_prefers_duration_and_infers_format() {
        let m = obj(json!({
            "appid": 1234567890, "app": "test.domain.com", "appname": "live", "stream_id": "s",
            "file_id": 1234567890u64, "record_file_id": "1234567890", "task_id": "1",
            "start_time": 1545047010, "end_time": 1545047070, "duration": 59, "file_size": 10058,
            "video_url": "https://1234567890.vod2.myqcloud.com/x/y/z.mp4?sign=1", "event_type": 100
        }));
        let Event::Recording(r) = event(&m, String::new(), 0).unwrap() else { panic!() };
        assert_eq!((r.duration_ms, r.format, r.source_file_id.as_str()), (59_000, ReplayFormat::Mp4, "1234567890"));
    }

    #[test]
    fn hls_recordings_without_a_duration_wait_for_their_playlist() {
        let m = obj(json!({
            "event_type": 100, "stream_id": "s42", "file_id": "f", "file_format": "hls",
            "start_time": 1743484094, "end_time": 1743484153, "duration": 0,
            "video_url": "http://bucket-1250000000.cos.ap-shanghai.myqcloud.com/streams/s42/2025-04-01-13-08-14_eof.m3u8"
        }));
        let Event::Recording(r) = event(&m, String::new(), 0).unwrap() else { panic!() };
        assert_eq!((r.format, r.duration_ms, r.end_time), (ReplayFormat::Hls, 0, 1743484153));
        // With a duration, it is taken; a .m3u8 URL is HLS whatever file_format says.
        let mut m = m;
        m.insert("duration".into(), json!(59));
        m.insert("file_format".into(), json!("FLV"));
        let Event::Recording(r) = event(&m, String::new(), 0).unwrap() else { panic!() };
        assert_eq!((r.format, r.duration_ms, r.end_time), (ReplayFormat::Hls, 59_000, 1743484153));
    }

    #[test]
    fn signature_and_expiry() {
        let t = 2_000_000_000;
        let good = obj(json!({"t": t, "sign": tencent_callback_sign("k", t)}));
        assert!(verify(&good, Some("k"), t).is_ok());
        assert!(verify(&good, Some("k"), t + CLOCK_SKEW_SECS).is_ok());
        assert_eq!(verify(&good, Some("k"), t + CLOCK_SKEW_SECS + 1).unwrap_err().body.error, "expired");
        assert_eq!(verify(&good, Some("other"), t).unwrap_err().body.error, "bad_signature");
        assert!(verify(&obj(json!({"t": t})), Some("k"), t).is_err());
        assert!(verify(&obj(json!({})), None, t).is_ok());
    }

    #[test]
    fn required_fields_are_named() {
        let m = obj(
            json!({"event_type": 100, "stream_id": "s", "file_id": "f", "video_url": "http://a/b.flv", "start_time": "noon", "end_time": 1}),
        );
        assert_eq!(event(&m, String::new(), 0).unwrap_err().body.field.as_deref(), Some("start_time"));
        let m = obj(json!({"event_type": 100, "stream_id": "s", "video_url": "http://a/b.flv"}));
        assert_eq!(event(&m, String::new(), 0).unwrap_err().body.field.as_deref(), Some("file_id"));
        let m = obj(
            json!({"event_type": 100, "stream_id": "s", "file_id": "f", "video_url": "javascript:alert(1)", "start_time": 1, "end_time": 2}),
        );
        assert_eq!(event(&m, String::new(), 0).unwrap_err().body.field.as_deref(), Some("video_url"));
    }

    #[test]
    fn parse_checks_the_body_then_the_signature_then_the_event() {
        let t = 2_000_000_000;
        assert_eq!(parse(b"{oops", Some("k"), t).unwrap_err().body.error, "malformed_json");
        // Unsigned: refused before its fields are read.
        assert_eq!(parse(br#"{"event_type": "x"}"#, Some("k"), t).unwrap_err().body.error, "bad_signature");
        let body =
            json!({"event_type": 1, "stream_id": "s", "t": t, "sign": tencent_callback_sign("k", t), "sequence": 7});
        let Event::Live(l) = parse(body.to_string().as_bytes(), Some("k"), t).unwrap() else { panic!("not live") };
        assert_eq!(
            l,
            LiveChange {
                streamer_id: "s".into(),
                live: true,
                order: EventOrder::Stamped { time: t, sequence: 7 },
                session: Some(SessionKey::new(PUSH_SOURCE, "7")),
                push_started_at: None,
            }
        );
    }

    #[test]
    fn a_cut_tells_when_its_push_began() {
        let m = obj(json!({"event_type": 0, "stream_id": "s", "event_time": 10_000, "sequence": "2210464508206756938",
            "push_duration": 3_600_500}));
        let Event::Live(l) = event(&m, String::new(), 0).unwrap() else { panic!() };
        assert_eq!((l.live, l.push_started_at), (false, Some(6_400)));
        assert_eq!(l.session, Some(SessionKey::new(PUSH_SOURCE, "2210464508206756938")));
    }

    #[test]
    fn recordings_name_their_session_from_callback_ext_and_task_id() {
        let base = json!({"event_type": 100, "stream_id": "s", "file_id": "f", "video_url": "http://a/b.mp4",
            "start_time": 1, "end_time": 2});
        let with = |extra: Value| {
            let mut m = obj(base.clone());
            m.extend(obj(extra));
            let Event::Recording(r) = event(&m, String::new(), 0).unwrap() else { panic!() };
            r.sessions.into_iter().map(|k| k.key).collect::<Vec<_>>()
        };
        let ext = r#"{"video_codec":"h264","session_id":"1820000000000000001","resolution":"1920x1080"}"#;
        assert_eq!(with(json!({"callback_ext": ext, "task_id": "1820000000000000001"})), ["1820000000000000001"]);
        assert_eq!(with(json!({"callback_ext": ext, "task_id": "t-2"})), ["1820000000000000001", "t-2"]);
        assert_eq!(with(json!({"task_id": 42})), ["42"]);
        // Informative fields never refuse a file.
        assert_eq!(with(json!({"callback_ext": "{not json", "task_id": {"x": 1}})), Vec::<String>::new());
        assert_eq!(with(json!({"callback_ext": {"session_id": "s9"}})), ["s9"]);
    }

    /// Tencent's documented example of event 332 (signature fields left out).
    #[test]
    fn recording_status_reads_the_documented_example() {
        let m = obj(json!({"appid": 123456789, "appname": "live", "domain": "x.livepush.myqcloud.com",
            "event_time": 1700207929, "event_type": 332,
            "record_detail": "{\"file_format\":2,\"record_bps\":0,\"start_model\":1,\"record_content\":1,\"source_type\":2,\"codec_temp_id\":0}",
            "record_event": "record_ended", "seq": "3266441426274648065", "session_id": "2918085116267032069",
            "stream_id": "2991615887188599295"}));
        let Event::RecordStatus(s) = event(&m, String::new(), 0).unwrap() else { panic!() };
        assert_eq!(
            (s.streamer_id.as_str(), s.event, s.seq, s.event_time),
            ("2991615887188599295", RecordEvent::Ended, 3266441426274648065, 1700207929)
        );
        assert_eq!(s.session, Some(SessionKey::new(SOURCE, "2918085116267032069")));
        assert!(s.detail.unwrap().contains("\"file_format\":2"));
    }

    #[test]
    fn malformed_recording_statuses_are_refused_and_unknown_ones_ignored() {
        let field = |v: Value| event(&obj(v), String::new(), 0).unwrap_err().body.field;
        let ok = json!({"event_type": 332, "stream_id": "s", "record_event": "record_paused", "seq": 5});
        assert!(
            matches!(event(&obj(ok.clone()), String::new(), 0).unwrap(), Event::RecordStatus(s) if s.session.is_none())
        );
        let without = |k: &str| {
            let mut v = ok.clone();
            v.as_object_mut().unwrap().remove(k);
            v
        };
        assert_eq!(field(without("seq")).as_deref(), Some("seq"));
        assert_eq!(field(without("record_event")).as_deref(), Some("record_event"));
        assert_eq!(field(without("stream_id")).as_deref(), Some("stream_id"));
        let mut bad_seq = ok.clone();
        bad_seq["seq"] = json!("-1");
        assert_eq!(field(bad_seq).as_deref(), Some("seq"));
        let mut bad_detail = ok.clone();
        bad_detail["record_detail"] = json!([1]);
        assert_eq!(field(bad_detail).as_deref(), Some("record_detail"));
        let mut unknown = ok;
        unknown["record_event"] = json!("record_teleported");
        assert!(matches!(event(&obj(unknown), String::new(), 0).unwrap(), Event::Ignored(_)));
    }

    /// Tencent's documented example of event 200 (signature fields left out).
    #[test]
    fn screenshots_read_the_documented_example_and_refuse_malformed_ones() {
        let ok = json!({"app": "test.app", "appname": "live", "channel_id": "your_channelid",
            "create_time": 1622599925, "event_type": 200, "file_size": 30670, "height": 720,
            "pic_full_url": "http://your.cos.region.myqcloud.com/channelid/channelid-screenshot-10-12-05-1280x720.jpg",
            "pic_url": "/channelid/channelid-screenshot-10-12-05-1280x720.jpg",
            "stream_id": "your_streamid", "stream_param": "txSecret=ca3e&txTime=60B83800", "t": 1622600525, "width": 1280});
        let Event::Screenshot(s) = event(&obj(ok.clone()), "{}".into(), 0).unwrap() else { panic!() };
        assert_eq!(
            (s.streamer_id.as_str(), s.create_time, s.width, s.height),
            ("your_streamid", 1622599925, 1280, 720)
        );
        assert_eq!(s.file_size, Some(30670));
        assert!(s.url.ends_with("-1280x720.jpg") && s.good());
        let field = |change: &dyn Fn(&mut Value)| {
            let mut v = ok.clone();
            change(&mut v);
            event(&obj(v), String::new(), 0).unwrap_err().body.field
        };
        assert_eq!(field(&|v| _ = v.as_object_mut().unwrap().remove("pic_full_url")).as_deref(), Some("pic_full_url"));
        assert_eq!(field(&|v| v["pic_full_url"] = json!("javascript:alert(1)")).as_deref(), Some("pic_full_url"));
        assert_eq!(field(&|v| _ = v.as_object_mut().unwrap().remove("create_time")).as_deref(), Some("create_time"));
        assert_eq!(field(&|v| v["create_time"] = json!("soon")).as_deref(), Some("create_time"));
        assert_eq!(field(&|v| v["width"] = json!(-1)).as_deref(), Some("width"));
        assert_eq!(field(&|v| v["file_size"] = json!("big")).as_deref(), Some("file_size"));
        assert_eq!(
            field(&|v| {
                let o = v.as_object_mut().unwrap();
                o.remove("stream_id");
                o.remove("channel_id");
            })
            .as_deref(),
            Some("stream_id")
        );
        // Sizes unknown: stored, not shown.
        let mut v = ok;
        v["width"] = json!(0);
        let Event::Screenshot(s) = event(&obj(v), String::new(), 0).unwrap() else { panic!() };
        assert!(!s.good());
    }

    #[test]
    fn other_events_are_ignored() {
        assert!(
            matches!(event(&obj(json!({"event_type": 321})), String::new(), 0).unwrap(), Event::Ignored(e) if e == "event_type 321")
        );
    }
}
