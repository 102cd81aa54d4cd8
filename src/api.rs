//! The server's `/api/v1`, fetched with gloo-net into the shared `relive_api` types.
//! Every address of the API the app uses is made here.

use relive_api::{ReplayDetail, ReplayPage, Streamer, StreamerPage};
use serde::de::DeserializeOwned;

pub use relive_api::percent::encode;

/// Why a request failed; `Clone` so resources holding it can be awaited. The UI says
/// what it means in the viewer's language, so no message text is carried (and none of
/// the error formatting code is downloaded). (Not the server's `ApiError`, the body of
/// its error answers.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FetchError {
    NotFound,
    /// Any other answer than 200.
    Status(u16),
    /// No answer, or one that was not the JSON expected.
    Network,
}

/// The root of every API address.
const API: &str = "/api/v1";

/// Streamers per page of the directory.
const STREAMER_PAGE: u32 = 24;

async fn get_json<T: DeserializeOwned>(url: &str) -> Result<T, FetchError> {
    let resp = gloo_net::http::Request::get(url).send().await.map_err(|_| FetchError::Network)?;
    match resp.status() {
        200 => {
            // The browser's JSON.parse, then serde over the JS value: smaller than serde_json.
            let text = resp.text().await.map_err(|_| FetchError::Network)?;
            let value = js_sys::JSON::parse(&text).map_err(|_| FetchError::Network)?;
            serde_wasm_bindgen::from_value(value).map_err(|_| FetchError::Network)
        }
        404 => Err(FetchError::NotFound),
        s => Err(FetchError::Status(s)),
    }
}

fn page_query(limit: u32, cursor: Option<&str>) -> String {
    match cursor {
        Some(c) => format!("?limit={limit}&cursor={}", encode(c)),
        None => format!("?limit={limit}"),
    }
}

pub fn streamers_url(cursor: Option<&str>) -> String {
    format!("{API}/streamers{}", page_query(STREAMER_PAGE, cursor))
}

pub fn streamer_url(id: &str) -> String {
    format!("{API}/streamers/{}", encode(id))
}

pub fn replays_url(streamer_id: &str, cursor: Option<&str>, limit: u32) -> String {
    format!("{API}/streamers/{}/replays{}", encode(streamer_id), page_query(limit, cursor))
}

pub fn replay_url(id: i64) -> String {
    format!("{API}/replays/{id}")
}

/// The server's keyframe index of an FLV replay (202 while it is being made).
pub fn keyframes_url(id: i64) -> String {
    format!("{API}/replays/{id}/keyframes")
}

/// The whole broadcast as one MP4, remuxed by the server as it streams (a download).
pub fn download_url(id: i64) -> String {
    format!("{API}/replays/{id}/download.mp4")
}

/// The server's progressive MP4 of an FLV replay, for browsers without MSE.
pub fn mp4_url(id: i64) -> String {
    format!("{API}/replays/{id}/mp4")
}

/// A text file (a storyboard's WebVTT), wherever it is.
pub async fn text(url: &str) -> Result<String, FetchError> {
    let resp = gloo_net::http::Request::get(url).send().await.map_err(|_| FetchError::Network)?;
    match resp.status() {
        200 => resp.text().await.map_err(|_| FetchError::Network),
        404 => Err(FetchError::NotFound),
        s => Err(FetchError::Status(s)),
    }
}

pub async fn streamers(cursor: Option<String>) -> Result<StreamerPage, FetchError> {
    get_json(&streamers_url(cursor.as_deref())).await
}

pub async fn streamer(id: String) -> Result<Streamer, FetchError> {
    get_json(&streamer_url(&id)).await
}

pub async fn replays(streamer_id: String, cursor: Option<String>, limit: u32) -> Result<ReplayPage, FetchError> {
    get_json(&replays_url(&streamer_id, cursor.as_deref(), limit)).await
}

pub async fn replay(id: i64) -> Result<ReplayDetail, FetchError> {
    get_json(&replay_url(id)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(streamers_url(None), "/api/v1/streamers?limit=24");
        assert_eq!(streamers_url(Some("a b")), "/api/v1/streamers?limit=24&cursor=a%20b");
        assert_eq!(streamer_url("小明/x"), format!("/api/v1/streamers/{}", encode("小明/x")));
        assert_eq!(replays_url("mei", Some("c"), 12), "/api/v1/streamers/mei/replays?limit=12&cursor=c");
        assert_eq!(replay_url(3), "/api/v1/replays/3");
        assert_eq!(keyframes_url(3), "/api/v1/replays/3/keyframes");
        assert_eq!(mp4_url(3), "/api/v1/replays/3/mp4");
    }
}
