//! `POST /hooks/srs?secret=...`: SRS's HTTP callbacks, JSON: `on_dvr` (a recording was
//! written: `app`, `stream`, `param`, `cwd`, `file`), `on_publish` and `on_unpublish`.
//! SRS reads `{"code":0}` (and older SRS a plain `0`) as success.

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
use crate::ingest::{Event, LocalRecording, ingest};

pub async fn handle(
    State(app): State<AppState>,
    _: HookSecret,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<HookAck>, Failure> {
    let result = async { ingest(&app, parse(&read_body(&headers, body).await?)?).await }.await;
    logged("srs", result).map(|_| Json(HookAck { code: 0 }))
}

/// Reads a callback's JSON.
pub fn parse(body: &[u8]) -> Result<Event, Failure> {
    let map = json_object(body)?;
    let f = Fields(&map);
    match f.req_str("action")?.as_str() {
        "on_dvr" => {
            let file = PathBuf::from(f.req_str("file")?);
            // SRS gives the file relative to its working directory.
            let path = match f.str("cwd")? {
                Some(cwd) if file.is_relative() => PathBuf::from(cwd).join(file),
                _ => file,
            };
            Ok(Event::LocalRecording(LocalRecording {
                source: "srs",
                streamer_id: stream_id("stream", f.str("stream")?)?,
                path,
                record: record_format(&f.str("param")?.unwrap_or_default()),
                raw: String::from_utf8_lossy(body).into_owned(),
            }))
        }
        "on_publish" => Ok(local::live(stream_id("stream", f.str("stream")?)?, true)),
        "on_unpublish" => Ok(local::live(stream_id("stream", f.str("stream")?)?, false)),
        other => Ok(Event::Ignored(format!("action={other}"))),
    }
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
}
