//! `POST /hooks/nginx-rtmp?secret=...`: nginx-rtmp's `on_record_done`, `on_publish`
//! and `on_publish_done`. Form-encoded: `call=record_done&app=..&name=..&path=..`
//! plus the publish query arguments (`record=flv`). nginx-rtmp signs nothing, so the
//! hook URL carries the configured shared secret ([`HookSecret`]).
//!
//! nginx-rtmp lets a publish through only on a 2xx answer to `on_publish`: a wrong
//! secret (401) therefore also refuses the stream.

use std::collections::HashMap;
use std::path::PathBuf;

use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;

use super::local::{self, record_format, stream_id};
use super::{HookSecret, logged, read_body};
use crate::AppState;
use crate::error::Failure;
use crate::ingest::{Event, LocalRecording, ingest};

pub async fn handle(
    State(app): State<AppState>,
    _: HookSecret,
    headers: HeaderMap,
    body: Body,
) -> Result<&'static str, Failure> {
    let result = async { ingest(&app, parse(&read_body(&headers, body).await?)?).await }.await;
    logged("nginx-rtmp", result).map(|_| "OK")
}

/// Reads a callback's form.
pub fn parse(body: &[u8]) -> Result<Event, Failure> {
    let form: HashMap<String, String> = url::form_urlencoded::parse(body).into_owned().collect();
    let field = |k: &str| form.get(k).cloned();
    match field("call").as_deref() {
        Some("record_done") => {
            let path = field("path").filter(|p| !p.is_empty()).ok_or_else(|| Failure::missing("path"))?;
            Ok(Event::LocalRecording(LocalRecording {
                source: "nginx-rtmp",
                streamer_id: stream_id("name", field("name"))?,
                path: PathBuf::from(path),
                record: record_format(&format!("record={}", field("record").unwrap_or_default())),
                raw: String::from_utf8_lossy(body).into_owned(),
            }))
        }
        Some("publish") => Ok(local::live(stream_id("name", field("name"))?, true, None)),
        Some("publish_done") => Ok(local::live(stream_id("name", field("name"))?, false, None)),
        Some(other) => Ok(Event::Ignored(format!("call={other}"))),
        None => Err(Failure::missing("call")),
    }
}

#[cfg(test)]
mod tests {
    use relive_api::RecordFormat;

    use super::*;

    #[test]
    fn record_done_names_the_file_and_what_the_push_asked_for() {
        let Event::LocalRecording(r) = parse(b"call=record_done&name=me&path=%2Frec%2Fme-1.flv&record=mp4").unwrap()
        else {
            panic!("not a recording")
        };
        assert_eq!(
            (r.streamer_id.as_str(), r.path.to_str(), r.record),
            ("me", Some("/rec/me-1.flv"), Some(RecordFormat::Mp4))
        );
        assert_eq!(parse(b"call=record_done&name=me").unwrap_err().body.field.as_deref(), Some("path"));
        assert_eq!(parse(b"name=me").unwrap_err().body.field.as_deref(), Some("call"));
        assert!(matches!(parse(b"call=play&name=me").unwrap(), Event::Ignored(_)));
        assert!(matches!(parse(b"call=publish&name=me").unwrap(), Event::Live(l) if l.live));
        assert_eq!(parse(b"call=publish&name=..").unwrap_err().body.field.as_deref(), Some("name"));
    }
}
