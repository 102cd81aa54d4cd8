//! The server's `/api/v1`, fetched with gloo-net into the shared `relive_api` types.

use relive_api::{ReplayDetail, ReplayPage, Streamer, StreamerPage};
use serde::de::DeserializeOwned;

/// Why a request failed; `Clone` so resources holding it can be awaited. The UI says
/// what it means in the viewer's language, so no message text is carried (and none of
/// the error formatting code is downloaded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiError {
    NotFound,
    /// Any other answer than 200.
    Status(u16),
    /// No answer, or one that was not the JSON expected.
    Network,
}

async fn get_json<T: DeserializeOwned>(url: &str) -> Result<T, ApiError> {
    let resp = gloo_net::http::Request::get(url).send().await.map_err(|_| ApiError::Network)?;
    match resp.status() {
        200 => {
            // The browser's JSON.parse, then serde over the JS value: smaller than serde_json.
            let text = resp.text().await.map_err(|_| ApiError::Network)?;
            let value = js_sys::JSON::parse(&text).map_err(|_| ApiError::Network)?;
            serde_wasm_bindgen::from_value(value).map_err(|_| ApiError::Network)
        }
        404 => Err(ApiError::NotFound),
        s => Err(ApiError::Status(s)),
    }
}

pub use relive_api::percent::encode;

fn page_query(limit: u32, cursor: Option<&str>) -> String {
    match cursor {
        Some(c) => format!("?limit={limit}&cursor={}", encode(c)),
        None => format!("?limit={limit}"),
    }
}

pub async fn streamers(cursor: Option<String>) -> Result<StreamerPage, ApiError> {
    get_json(&format!("/api/v1/streamers{}", page_query(24, cursor.as_deref()))).await
}

pub async fn streamer(id: String) -> Result<Streamer, ApiError> {
    get_json(&format!("/api/v1/streamers/{}", encode(&id))).await
}

pub async fn replays(streamer_id: String, cursor: Option<String>, limit: u32) -> Result<ReplayPage, ApiError> {
    get_json(&format!("/api/v1/streamers/{}/replays{}", encode(&streamer_id), page_query(limit, cursor.as_deref())))
        .await
}

pub async fn replay(id: i64) -> Result<ReplayDetail, ApiError> {
    get_json(&format!("/api/v1/replays/{id}")).await
}
