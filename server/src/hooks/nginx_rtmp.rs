//! `POST /hooks/nginx-rtmp?secret=...`: nginx-rtmp's `on_record_done`, `on_publish`
//! and `on_publish_done`. Form-encoded: `call=record_done&app=..&name=..&path=..`
//! plus the publish query arguments (`record=flv`). nginx-rtmp signs nothing, so the
//! hook URL carries the configured shared secret ([`HookSecret`]).
//!
//! nginx-rtmp lets a publish through only on a 2xx answer to `on_publish`: a wrong
//! secret (401) therefore also refuses the stream.
//!
//! Every call carries `clientid`, nginx-rtmp's id of the publishing connection: the
//! files a publish's recorder writes (several when `record_max_size` or
//! `record_interval` splits them) join the broadcast its `publish` opened.

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

/// The source of nginx-rtmp's sessions (`clientid`) and recordings.
pub const SOURCE: &str = "nginx-rtmp";

/// Reads a callback's form.
pub fn parse(body: &[u8]) -> Result<Event, Failure> {
    let form: HashMap<String, String> = url::form_urlencoded::parse(body).into_owned().collect();
    let field = |k: &str| form.get(k).cloned();
    let session = || local::session(SOURCE, field("clientid"));
    match field("call").as_deref() {
        Some("record_done") => {
            let path = field("path").filter(|p| !p.is_empty()).ok_or_else(|| Failure::missing("path"))?;
            Ok(Event::LocalRecording(LocalRecording {
                source: SOURCE,
                streamer_id: stream_id("name", field("name"))?,
                path: PathBuf::from(path),
                record: record_format(&format!("record={}", field("record").unwrap_or_default())),
                session: session(),
                raw: String::from_utf8_lossy(body).into_owned(),
            }))
        }
        Some("publish") => Ok(local::live(stream_id("name", field("name"))?, true, session())),
        Some("publish_done") => Ok(local::live(stream_id("name", field("name"))?, false, session())),
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
        assert!(matches!(parse(b"call=publish&name=me").unwrap(), Event::Live(l) if l.live && l.session.is_none()));
        // Every call names the publish it belongs to.
        let Event::Live(l) = parse(b"call=publish_done&name=me&clientid=17").unwrap() else { panic!() };
        assert_eq!((l.live, l.session), (false, Some(crate::store::SessionKey::new(SOURCE, "17"))));
        let Event::LocalRecording(r) = parse(b"call=record_done&name=me&path=%2Fa.flv&clientid=17").unwrap() else {
            panic!()
        };
        assert_eq!(r.session, Some(crate::store::SessionKey::new(SOURCE, "17")));
        assert_eq!(parse(b"call=publish&name=..").unwrap_err().body.field.as_deref(), Some("name"));
    }
}
