//! The HTTP API under `/api/v1`: public reads, admin writes, the OpenAPI document.

pub mod admin;
pub mod openapi;
pub mod public;

use axum::Router;
use axum::extract::FromRequest;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::routing::{get, post};
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
        .route("/replays/{id}", get(public::replay).patch(admin::patch_replay).delete(admin::delete_replay))
        .route("/replays/{id}/keyframes", get(crate::playback::keyframes))
        .route("/replays/{id}/mp4", get(crate::playback::mp4))
        .route("/openapi.json", get(openapi::document))
        .fallback(|| async { Failure::not_found("no such API endpoint") })
}

/// A JSON body whose rejection is an `ApiError` with a reason.
pub struct JsonBody<T>(pub T);

impl<T, S> FromRequest<S> for JsonBody<T>
where
    axum::Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = Failure;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(JsonBody(v)),
            Err(e) => Err(Failure::new(e.status(), "invalid_body", e.body_text())),
        }
    }
}

/// `?limit=&cursor=` of the list endpoints.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1 to 100 (default 20).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageQuery {
    pub fn from(q: Result<axum::extract::Query<PageQuery>, QueryRejection>) -> Result<PageQuery, Failure> {
        q.map(|q| q.0).map_err(|e| Failure::bad_request("invalid_query", e.body_text()))
    }

    pub fn limit(&self) -> Result<u32, Failure> {
        match self.limit.as_deref() {
            None => Ok(DEFAULT_PAGE_LIMIT),
            Some(s) => match s.parse::<u32>() {
                Ok(n) if n >= 1 => Ok(n.min(MAX_PAGE_LIMIT)),
                _ => Err(Failure::invalid("limit", format!("must be a whole number from 1 to {MAX_PAGE_LIMIT}"))),
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
