//! `POST /hooks/srs?secret=...`: SRS's HTTP callbacks, JSON: `on_dvr` (a recording was
//! written: `app`, `stream`, `param`, `cwd`, `file`), `on_hls` (an HLS segment was
//! written: also `seq_no`, `duration` in seconds, `client_id`; gathered per publish into
//! one HLS replay, `crate::ingest::srs_hls`), `on_publish` and `on_unpublish` (which
//! also close that recording). SRS reads `{"code":0}` (and older SRS a plain `0`) as
//! success. `client_id` (the publishing connection) names the broadcast: a publish's DVR
//! files and its HLS recording join the broadcast its `on_publish` opened.

use std::path::PathBuf;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use relive_api::HookAck;

use super::local::{self, record_format, stream_id};
use super::{Fields, HookSecret, json_object, logged, read_body};
use crate::AppState;
use crate::error::Failure;
use crate::ingest::{Event, LocalRecording, SrsSegment, ingest};

pub async fn handle(
    State(app): State<AppState>,
    _: HookSecret,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<HookAck>, Failure> {
    let result = async { ingest(&app, parse(&read_body(&headers, body).await?)?).await }.await;
    logged("srs", result).map(|_| Json(HookAck { code: 0 }))
}

/// The source of SRS's sessions (`client_id`) and recordings.
pub const SOURCE: &str = "srs";

/// Reads a callback's JSON.
pub fn parse(body: &[u8]) -> Result<Event, Failure> {
    let map = json_object(body)?;
    let f = Fields(&map);
    // SRS's id of the publishing connection: optional, and never a reason to refuse.
    let client_id = || f.str("client_id").ok().flatten().filter(|c| !c.is_empty());
    match f.req_str("action")?.as_str() {
        "on_dvr" => Ok(Event::LocalRecording(LocalRecording {
            source: SOURCE,
            streamer_id: stream_id("stream", f.str("stream")?)?,
            path: file(&f)?,
            record: record_format(&f.str("param")?.unwrap_or_default()),
            session: local::session(SOURCE, client_id()),
            raw: String::from_utf8_lossy(body).into_owned(),
        })),
        "on_hls" => {
            let streamer_id = stream_id("stream", f.str("stream")?)?;
            let path = file(&f)?;
            let seq = f.u64("seq_no")?.ok_or_else(|| Failure::missing("seq_no"))?;
            let duration = f.float("duration")?.ok_or_else(|| Failure::missing("duration"))?;
            if !(0.0..=MAX_SEGMENT_SECS).contains(&duration) {
                return Err(Failure::invalid("duration", format!("must be seconds from 0 to {MAX_SEGMENT_SECS}")));
            }
            // Stored as SQLite integers.
            if i64::try_from(seq).is_err() {
                return Err(Failure::invalid("seq_no", "is too large"));
            }
            Ok(Event::HlsSegment(SrsSegment {
                streamer_id,
                client_id: client_id().unwrap_or_default(),
                path,
                seq,
                duration,
            }))
        }
        "on_publish" => {
            Ok(local::live(stream_id("stream", f.str("stream")?)?, true, local::session(SOURCE, client_id())))
        }
        "on_unpublish" => {
            Ok(local::live(stream_id("stream", f.str("stream")?)?, false, local::session(SOURCE, client_id())))
        }
        other => Ok(Event::Ignored(format!("action={other}"))),
    }
}

/// The longest segment accepted, in seconds.
pub const MAX_SEGMENT_SECS: f64 = 3600.0;

/// `file`, resolved against `cwd`: SRS gives files relative to its working directory.
fn file(f: &Fields) -> Result<PathBuf, Failure> {
    let file = PathBuf::from(f.req_str("file")?);
    Ok(match f.str("cwd")? {
        Some(cwd) if file.is_relative() => PathBuf::from(cwd).join(file),
        _ => file,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_dvr_resolves_the_file_against_srs_working_directory() {
        let body = br#"{"action":"on_dvr","stream":"me","param":"?record=flv","cwd":"/srs","file":"./rec/me.flv"}"#;
        let Event::LocalRecording(r) = parse(body).unwrap() else { panic!("not a recording") };
        assert_eq!(r.path, PathBuf::from("/srs/./rec/me.flv"));
        assert_eq!(r.source, "srs");
        assert_eq!(parse(br#"{"action":"on_dvr","stream":"me"}"#).unwrap_err().body.field.as_deref(), Some("file"));
        assert!(matches!(parse(br#"{"action":"on_unpublish","stream":"me"}"#).unwrap(), Event::Live(l) if !l.live));
        assert!(matches!(parse(br#"{"action":"on_play","stream":"me"}"#).unwrap(), Event::Ignored(_)));
        assert_eq!(parse(b"[1]").unwrap_err().body.error, "malformed_json");
    }

    #[test]
    fn on_hls_names_the_segment_its_number_and_length() {
        let body = br#"{"action":"on_hls","client_id":"341w361a","ip":"127.0.0.1","vhost":"__defaultVhost__",
            "app":"live","stream":"me","param":"","duration":9.98,"cwd":"/srs","file":"./objs/nginx/html/live/me-7.ts",
            "url":"live/me-7.ts","m3u8":"./objs/nginx/html/live/me.m3u8","m3u8_url":"live/me.m3u8","seq_no":7}"#;
        let Event::HlsSegment(s) = parse(body).unwrap() else { panic!("not a segment") };
        assert_eq!(
            s,
            SrsSegment {
                streamer_id: "me".into(),
                client_id: "341w361a".into(),
                path: PathBuf::from("/srs/./objs/nginx/html/live/me-7.ts"),
                seq: 7,
                duration: 9.98,
            }
        );
        // SRS 3 sends client_id as a number; strings for numbers are read too.
        let Event::HlsSegment(s) =
            parse(br#"{"action":"on_hls","stream":"me","file":"/a.ts","seq_no":"8","duration":"4","client_id":12}"#)
                .unwrap()
        else {
            panic!()
        };
        assert_eq!((s.seq, s.duration, s.client_id.as_str()), (8, 4.0, "12"));
        let refused = |body: &[u8]| parse(body).unwrap_err().body.field;
        assert_eq!(refused(br#"{"action":"on_hls","stream":"me","seq_no":1,"duration":1}"#).as_deref(), Some("file"));
        assert_eq!(
            refused(br#"{"action":"on_hls","stream":"me","file":"/a.ts","duration":1}"#).as_deref(),
            Some("seq_no")
        );
        assert_eq!(
            refused(br#"{"action":"on_hls","stream":"me","file":"/a.ts","seq_no":-1,"duration":1}"#).as_deref(),
            Some("seq_no")
        );
        assert_eq!(
            refused(br#"{"action":"on_hls","stream":"me","file":"/a.ts","seq_no":1}"#).as_deref(),
            Some("duration")
        );
        assert_eq!(
            refused(br#"{"action":"on_hls","stream":"me","file":"/a.ts","seq_no":1,"duration":-2}"#).as_deref(),
            Some("duration")
        );
        assert_eq!(
            refused(br#"{"action":"on_hls","stream":"me","file":"/a.ts","seq_no":1,"duration":"x"}"#).as_deref(),
            Some("duration")
        );
        assert_eq!(
            refused(br#"{"action":"on_hls","file":"/a.ts","seq_no":1,"duration":1}"#).as_deref(),
            Some("stream")
        );
        // publish and unpublish carry the publish's id.
        let Event::Live(l) = parse(br#"{"action":"on_unpublish","stream":"me","client_id":"abc"}"#).unwrap() else {
            panic!()
        };
        assert_eq!((l.live, l.session.map(|k| k.key)), (false, Some("abc".to_string())));
        let Event::LocalRecording(r) =
            parse(br#"{"action":"on_dvr","stream":"me","file":"/a.flv","client_id":"abc"}"#).unwrap()
        else {
            panic!()
        };
        assert_eq!(r.session, Some(crate::store::SessionKey::new(SOURCE, "abc")));
    }
}
