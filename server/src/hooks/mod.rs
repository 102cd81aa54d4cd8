//! Callbacks from recording services (`/hooks/...`): each service's module turns a
//! request into an [`Event`](crate::ingest::Event) with a pure `parse`, and its handler
//! hands that event to [`ingest`](crate::ingest::ingest), which stores it and answers
//! with an [`Outcome`]. A hook answers 200 only once what it announced is committed.
//!
//! - [`tencent`]: Tencent Cloud Live (JSON, signed with `sign = md5(key + t)`).
//! - [`nginx_rtmp`]: nginx-rtmp's `on_record_done`, `on_publish`, `on_publish_done` (a form).
//! - [`srs`]: SRS's `on_dvr`, `on_publish`, `on_unpublish` (JSON).
//! - [`local`]: what nginx-rtmp and SRS share: stream ids, `record=`, recordings on disk.
//! - [`request`]: reading bodies and fields strictly.
//!
//! A new recording service is a new module with a `parse` and a five-line handler; a new
//! event type of a service is one arm in its `parse` (and one in `ingest`).

pub mod local;
pub mod nginx_rtmp;
pub mod request;
pub mod srs;
pub mod tencent;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

pub use request::{Fields, MAX_BODY, http_url, json_object, read_body};

use crate::AppState;
use crate::error::Failure;
use crate::ingest::Outcome;
use crate::signing::constant_time_eq;

/// Logs what became of a callback — one line each, `accepted`, `duplicate`, `stale`,
/// `ignored` or `rejected` with the reason — notes it for `/metrics`, and passes the
/// result on.
pub fn logged(hook: &'static str, result: Result<Outcome, Failure>) -> Result<Outcome, Failure> {
    match &result {
        Ok(outcome) => {
            tracing::info!(hook, outcome = %outcome.kind(), detail = %outcome, "callback");
            crate::metrics::note_hook_outcome(outcome.kind());
        }
        Err(f) => log_rejection(hook, f),
    }
    result
}

fn log_rejection(hook: &str, f: &Failure) {
    tracing::warn!(hook, outcome = "rejected", status = f.status.as_u16(), reason = %f.body.message, "callback");
}

/// Proof that a call to a hook that signs nothing (nginx-rtmp, SRS) carries the shared
/// secret `--hook-secret` as `?secret=`. With no secret configured every call passes
/// (start-up warns about that).
pub struct HookSecret;

impl FromRequestParts<AppState> for HookSecret {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Self::Rejection> {
        let Some(secret) = app.config.hook_secret.as_deref().filter(|s| !s.is_empty()) else { return Ok(HookSecret) };
        let given = parts
            .uri
            .query()
            .and_then(|q| {
                url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "secret").map(|(_, v)| v.into_owned())
            })
            .unwrap_or_default();
        if constant_time_eq(given.as_bytes(), secret.as_bytes()) {
            Ok(HookSecret)
        } else {
            let f = Failure::unauthorized("bad_secret", "the hook URL must carry ?secret=<the configured hook secret>");
            log_rejection(parts.uri.path().rsplit('/').next().unwrap_or("hook"), &f);
            Err(f)
        }
    }
}
