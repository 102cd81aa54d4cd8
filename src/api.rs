//! The server's `/api/v1`, fetched with gloo-net into the shared `relive_api` types.
//! Every address of the API the app uses is made here.
//!
//! The API may live on another origin than the app (the app on a static host or a CDN):
//! [`base`] is read once from `<meta name="relive-api" content="https://api.example">` in
//! `index.html` (empty or absent: this origin). Every API address starts with it, and
//! every path-only URL the API hands out (media, posters, storyboards, keyframes) is made
//! absolute against it here, as it is fetched ([`rebase`]), so the player, the engine and
//! the workers never see an address of the app's own origin for the server's files.

use std::sync::OnceLock;

use relive_api::{Replay, ReplayDetail, ReplayPage, Streamer, StreamerPage};
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

/// The root of every API address, after [`base`].
const API: &str = "/api/v1";

/// Where the Relive server is: `https://api.example` (or with a path, no trailing
/// slash), or empty for the app's own origin.
pub fn base() -> &'static str {
    static BASE: OnceLock<String> = OnceLock::new();
    BASE.get_or_init(configured_base)
}

#[cfg(target_arch = "wasm32")]
fn configured_base() -> String {
    let doc = crate::browser::window().document();
    let content = doc
        .and_then(|d| d.query_selector("meta[name=\"relive-api\"]").ok().flatten())
        .and_then(|m| m.get_attribute("content"))
        .unwrap_or_default();
    let here = crate::browser::window().location();
    let (Ok(href), Ok(origin)) = (here.href(), here.origin()) else { return String::new() };
    api_base(&content, &href, &origin).unwrap_or_else(|| {
        web_sys::console::warn_1(&format!("relive-api: `{content}` is not an http(s) URL; using this origin").into());
        String::new()
    })
}

#[cfg(not(target_arch = "wasm32"))]
fn configured_base() -> String {
    String::new()
}

/// The base a `relive-api` meta tag's `content` names, seen from the page at `href`
/// (whose origin is `origin`): empty for this origin; `None` if it is no http(s) URL.
#[cfg(target_arch = "wasm32")]
fn api_base(content: &str, href: &str, origin: &str) -> Option<String> {
    let content = content.trim();
    if content.is_empty() {
        return Some(String::new());
    }
    let url = web_sys::Url::new_with_base(content, href).ok()?;
    if !matches!(url.protocol().as_str(), "http:" | "https:") {
        return None;
    }
    let path = url.pathname();
    let path = path.trim_end_matches('/');
    Some(if url.origin() == origin { path.to_string() } else { format!("{}{path}", url.origin()) })
}

/// `url` as the browser should fetch it: a path (`/media/…`) is on the API's server;
/// anything absolute (a CDN's URL) stays.
pub fn resolve(url: &str) -> String {
    resolve_on(base(), url)
}

fn resolve_on(base: &str, url: &str) -> String {
    if url.starts_with('/') && !url.starts_with("//") { format!("{base}{url}") } else { url.to_string() }
}

/// Every URL in a replay made absolute on the API's server ([`resolve`]).
pub fn rebase(r: &mut Replay) {
    rebase_on(base(), r)
}

fn rebase_on(base: &str, r: &mut Replay) {
    if base.is_empty() {
        return;
    }
    let fix = |u: &mut String| *u = resolve_on(base, u);
    fix(&mut r.url);
    r.poster_url.iter_mut().for_each(fix);
    r.storyboard_url.iter_mut().for_each(fix);
    for p in &mut r.parts {
        fix(&mut p.url);
        p.keyframes_url.iter_mut().for_each(fix);
    }
}

fn rebase_streamer(s: &mut Streamer) {
    if let Some(u) = &mut s.avatar_url {
        *u = resolve(u);
    }
}

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
    format!("{}{API}/streamers{}", base(), page_query(STREAMER_PAGE, cursor))
}

pub fn streamer_url(id: &str) -> String {
    format!("{}{API}/streamers/{}", base(), encode(id))
}

pub fn replays_url(streamer_id: &str, cursor: Option<&str>, limit: u32) -> String {
    format!("{}{API}/streamers/{}/replays{}", base(), encode(streamer_id), page_query(limit, cursor))
}

pub fn replay_url(id: i64) -> String {
    format!("{}{API}/replays/{id}", base())
}

/// The server's keyframe index of an FLV replay (202 while it is being made).
pub fn keyframes_url(id: i64) -> String {
    format!("{}{API}/replays/{id}/keyframes", base())
}

/// The whole broadcast as one MP4, remuxed by the server as it streams (a download).
pub fn download_url(id: i64) -> String {
    format!("{}{API}/replays/{id}/download.mp4", base())
}

/// The server's progressive MP4 of an FLV replay, for browsers without MSE.
pub fn mp4_url(id: i64) -> String {
    format!("{}{API}/replays/{id}/mp4", base())
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
    let mut page: StreamerPage = get_json(&streamers_url(cursor.as_deref())).await?;
    page.items.iter_mut().for_each(rebase_streamer);
    Ok(page)
}

pub async fn streamer(id: String) -> Result<Streamer, FetchError> {
    let mut s: Streamer = get_json(&streamer_url(&id)).await?;
    rebase_streamer(&mut s);
    Ok(s)
}

pub async fn replays(streamer_id: String, cursor: Option<String>, limit: u32) -> Result<ReplayPage, FetchError> {
    let mut page: ReplayPage = get_json(&replays_url(&streamer_id, cursor.as_deref(), limit)).await?;
    page.items.iter_mut().for_each(rebase);
    Ok(page)
}

pub async fn replay(id: i64) -> Result<ReplayDetail, FetchError> {
    let mut d: ReplayDetail = get_json(&replay_url(id)).await?;
    rebase(&mut d.replay);
    rebase_streamer(&mut d.streamer);
    Ok(d)
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

    #[test]
    fn urls_on_another_origin() {
        let api = "https://api.example:8443";
        assert_eq!(resolve_on(api, "/media/a.flv"), "https://api.example:8443/media/a.flv");
        assert_eq!(resolve_on(api, "https://cdn.example/a.flv"), "https://cdn.example/a.flv");
        assert_eq!(resolve_on(api, "//cdn.example/a.flv"), "//cdn.example/a.flv");
        assert_eq!(resolve_on("", "/media/a.flv"), "/media/a.flv");
        use crate::testing::{part, replay};
        let mut r = replay(relive_api::ReplayStatus::Ready, vec![part(7, relive_api::ReplayFormat::Flv, 0.0, 1.0)]);
        r.url = "/media/7.flv".into();
        r.poster_url = Some("/images/7/poster.jpg".into());
        r.storyboard_url = Some("https://cdn.example/7.vtt".into());
        r.parts[0].url = "/media/7.flv".into();
        r.parts[0].keyframes_url = Some("/api/v1/replays/7/keyframes".into());
        rebase_on(api, &mut r);
        assert_eq!(r.url, "https://api.example:8443/media/7.flv");
        assert_eq!(r.poster_url.as_deref(), Some("https://api.example:8443/images/7/poster.jpg"));
        assert_eq!(r.storyboard_url.as_deref(), Some("https://cdn.example/7.vtt"));
        assert_eq!(r.parts[0].url, "https://api.example:8443/media/7.flv");
        assert_eq!(r.parts[0].keyframes_url.as_deref(), Some("https://api.example:8443/api/v1/replays/7/keyframes"));
    }
}
