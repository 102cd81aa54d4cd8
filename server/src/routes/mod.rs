//! The HTTP API under `/api/v1`: public reads, admin writes, the OpenAPI document.

pub mod admin;
pub mod openapi;
pub mod public;

use axum::Router;
use axum::extract::FromRequest;
use axum::extract::rejection::QueryRejection;
use axum::routing::{delete, get, post};
use relive_api::{DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT};
use serde::Deserialize;

use crate::AppState;
use crate::error::Failure;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/streamers", get(public::streamers))
        .route("/streamers/{id}", get(public::streamer).put(admin::put_streamer))
        .route("/streamers/{id}/replays", get(public::streamer_replays))
        .route("/streamers/{id}/push-url", post(admin::push_url))
        .route("/replays/{id}", get(public::replay_or_admin).patch(admin::patch_replay).delete(admin::delete_replay))
        .route("/replays/{id}/parts/{part_id}", delete(admin::delete_part))
        .route("/replays/{id}/keyframes", get(crate::playback::keyframes))
        .route("/replays/{id}/mp4", get(crate::playback::mp4))
        .route("/replays/{id}/download.mp4", get(crate::download::download))
        .route("/replays/{id}/storyboard.vtt", get(crate::images::storyboard))
        .route("/openapi.json", get(openapi::document))
        .fallback(|| async { Failure::not_found("no such API endpoint") })
}

/// A JSON object body (an array that serde could map onto a struct is refused), whose
/// rejection is a 400 `ApiError` with a reason.
pub struct JsonBody<T>(pub T);

impl<T, S> FromRequest<S> for JsonBody<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Failure;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let json =
            req.headers().get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| {
                v.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
            });
        if !json {
            return Err(Failure::bad_request(
                "invalid_body",
                "send the body as JSON, with Content-Type: application/json",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| Failure::bad_request("invalid_body", e.body_text()))?;
        match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(v @ serde_json::Value::Object(_)) => serde_json::from_value(v)
                .map(JsonBody)
                .map_err(|e| Failure::bad_request("invalid_body", format!("the body does not fit: {e}"))),
            Ok(_) => Err(Failure::bad_request("invalid_body", "the body must be a JSON object")),
            Err(e) => Err(Failure::bad_request("invalid_body", format!("the body is not valid JSON: {e}"))),
        }
    }
}

/// `?limit=&cursor=` of the list endpoints, as received (checked by the methods).
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

/// The documentation of `?limit=&cursor=` on the streamer directory.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct StreamerListParams {
    /// Page size from 1 (default 20); more than 100 gives 100.
    #[param(minimum = 1)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = r"^[0-9]{1,15}\.[^/\x00-\x1f\x7f-\x9f]{1,128}$")]
    cursor: Option<String>,
}

/// The documentation of `?limit=&cursor=` on replay lists.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ReplayListParams {
    /// Page size from 1 (default 20); more than 100 gives 100.
    #[param(minimum = 1)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = r"^-?[0-9]{1,15}\.[0-9]{1,15}$")]
    cursor: Option<String>,
}

impl PageQuery {
    pub fn from(q: Result<axum::extract::Query<PageQuery>, QueryRejection>) -> Result<PageQuery, Failure> {
        q.map(|q| q.0).map_err(|e| Failure::bad_request("invalid_query", e.body_text()))
    }

    pub fn limit(&self) -> Result<u32, Failure> {
        match self.limit.as_deref() {
            None => Ok(DEFAULT_PAGE_LIMIT),
            Some(s) => match s.parse::<i64>() {
                Ok(n) if n >= 1 => Ok(n.min(i64::from(MAX_PAGE_LIMIT)) as u32),
                _ => Err(Failure::invalid("limit", "must be a whole number from 1 (more than 100 gives 100)")),
            },
        }
    }

    /// The cursor split as `<number>.<rest>`, both parts given to `parse`.
    pub fn cursor<K>(&self, parse: impl FnOnce(i64, &str) -> Option<K>) -> Result<Option<K>, Failure> {
        let Some(c) = self.cursor.as_deref() else { return Ok(None) };
        c.split_once('.')
            .and_then(|(n, rest)| parse(n.parse().ok()?, rest))
            .map(Some)
            .ok_or_else(|| Failure::invalid("cursor", "is not a cursor this server gave out"))
    }
}
