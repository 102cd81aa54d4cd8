//! `POST /hooks/srs?secret=...`: SRS's HTTP callbacks, JSON: `on_dvr` (a recording was
//! written: `app`, `stream`, `param`, `cwd`, `file`), `on_publish` and `on_unpublish`.
//! SRS reads `{"code":0}` (and older SRS a plain `0`) as success.

use std::path::PathBuf;

use axum::Json;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use relive_api::HookAck;

use super::local::{self, Announced};
use super::{Fields, json_object, read_body};
use crate::AppState;
use crate::error::Failure;

pub async fn handle(
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<HookAck>, Failure> {
    let outcome = receive(&app, query.as_deref(), &headers, body).await;
    match &outcome {
        Ok(what) => tracing::info!(hook = "srs", outcome = %what, "callback"),
        Err(f) => {
            tracing::warn!(hook = "srs", outcome = "rejected", status = f.status.as_u16(), reason = %f.body.message, "callback")
        }
    }
    outcome.map(|_| Json(HookAck { code: 0 }))
}

async fn receive(app: &AppState, query: Option<&str>, headers: &HeaderMap, body: Body) -> Result<String, Failure> {
    local::check_secret(app, query)?;
    let body = read_body(headers, body).await?;
    let map = json_object(&body)?;
    let f = Fields(&map);
    match f.req_str("action")?.as_str() {
        "on_dvr" => {
            let file = PathBuf::from(f.req_str("file")?);
            // SRS gives the file relative to its working directory.
            let path = match f.str("cwd")? {
                Some(cwd) if file.is_relative() => PathBuf::from(cwd).join(file),
                _ => file,
            };
            let announced = Announced {
                source: "srs",
                streamer_id: local::stream_id("stream", f.str("stream")?)?,
                path,
                record: local::record_format(&f.str("param")?.unwrap_or_default()),
                raw: String::from_utf8_lossy(&body).into_owned(),
            };
            local::ingest(app, announced).await
        }
        "on_publish" => local::live(app, local::stream_id("stream", f.str("stream")?)?, true).await,
        "on_unpublish" => local::live(app, local::stream_id("stream", f.str("stream")?)?, false).await,
        other => Ok(format!("ignored: action={other}")),
    }
}
