//! `POST /hooks/nginx-rtmp?secret=...`: nginx-rtmp's `on_record_done`, `on_publish`
//! and `on_publish_done`. Form-encoded: `call=record_done&app=..&name=..&path=..`
//! plus the publish query arguments (`record=flv`). nginx-rtmp signs nothing, so the
//! hook URL carries the configured shared secret.
//!
//! nginx-rtmp lets a publish through only on a 2xx answer to `on_publish`: a wrong
//! secret (401) therefore also refuses the stream.

use std::collections::HashMap;
use std::path::PathBuf;

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;

use super::local::{self, Announced};
use super::read_body;
use crate::AppState;
use crate::error::Failure;

pub async fn handle(
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<&'static str, Failure> {
    let outcome = receive(&app, query.as_deref(), &headers, body).await;
    match &outcome {
        Ok(what) => tracing::info!(hook = "nginx-rtmp", outcome = %what, "callback"),
        Err(f) => {
            tracing::warn!(hook = "nginx-rtmp", outcome = "rejected", status = f.status.as_u16(), reason = %f.body.message, "callback")
        }
    }
    outcome.map(|_| "OK")
}

async fn receive(app: &AppState, query: Option<&str>, headers: &HeaderMap, body: Body) -> Result<String, Failure> {
    local::check_secret(app, query)?;
    let body = read_body(headers, body).await?;
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let field = |k: &str| form.get(k).cloned();
    match field("call").as_deref() {
        Some("record_done") => {
            let path = field("path").filter(|p| !p.is_empty()).ok_or_else(|| Failure::missing("path"))?;
            let announced = Announced {
                source: "nginx-rtmp",
                streamer_id: local::stream_id("name", field("name"))?,
                path: PathBuf::from(path),
                record: local::record_format(&format!("record={}", field("record").unwrap_or_default())),
                raw: String::from_utf8_lossy(&body).into_owned(),
            };
            local::ingest(app, announced).await
        }
        Some("publish") => local::live(app, local::stream_id("name", field("name"))?, true).await,
        Some("publish_done") => local::live(app, local::stream_id("name", field("name"))?, false).await,
        Some(other) => Ok(format!("ignored: call={other}")),
        None => Err(Failure::missing("call")),
    }
}
