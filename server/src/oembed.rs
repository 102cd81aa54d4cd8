//! `GET /oembed?url=…`: oEmbed (<https://oembed.com/>) for links to this server's replays
//! (`/u/{streamer}/replays/{id}`, `/embed/replays/{id}`) and profiles (`/u/{streamer}`,
//! `/embed/u/{streamer}`), so a site or a chat app given a link can put the player in
//! its page: a sandboxed `<iframe>` of the embed page.
//!
//! The link is read as `crate::meta` reads a page's path (the same pages, the same public
//! reads): a link to another host, to any other page, or to a missing, hidden or gone
//! replay or streamer is a 404 in the API's error shape. Only JSON is made: `format=xml`
//! (or any other) is 501, as the spec says. Pages link here with
//! `<link rel="alternate" type="application/json+oembed">` (`meta::inject`).

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use relive_api::OEmbed;
use serde::Deserialize;

use crate::AppState;
use crate::error::Failure;
use crate::meta;

/// The player's size when the consumer sets no limit: 16:9.
pub const DEFAULT_SIZE: (u32, u32) = (640, 360);

/// What the iframe may do: run the app (scripts, its own origin for the API and the
/// workers), open the full page in a new tab, and go fullscreen.
pub const SANDBOX: &str = "allow-scripts allow-same-origin allow-popups allow-presentation";

/// `?url=&maxwidth=&maxheight=&format=` as received (checked by the handler).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OEmbedQuery {
    /// A link to a replay (`/u/{streamer}/replays/{id}`, `/embed/replays/{id}`) or a
    /// profile (`/u/{streamer}`) on this server.
    pub url: Option<String>,
    /// The most pixels wide the consumer can show (a positive whole number).
    pub maxwidth: Option<String>,
    /// The most pixels high.
    pub maxheight: Option<String>,
    /// `json` (the default); anything else is 501.
    pub format: Option<String>,
}

/// `{origin}/oembed?url={page}&format=json`: the discovery address of a page.
pub fn endpoint(origin: &str, page: &str) -> String {
    format!("{origin}/oembed?url={}&format=json", relive_api::percent::encode(page))
}

#[utoipa::path(get, path = "/oembed", tag = "public",
    params(OEmbedQuery),
    responses((status = 200, body = OEmbed, description = "An iframe of the page's embed version, 16:9"),
        (status = 400, body = relive_api::ApiError, description = "`url` missing, or a size that is not a positive number"),
        (status = 404, body = relive_api::ApiError,
            description = "Not a link to a replay or profile on this server, or one that is missing, hidden or gone"),
        (status = 501, body = relive_api::ApiError, description = "A `format` other than `json`")))]
pub async fn oembed(
    State(app): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<OEmbedQuery>,
) -> Result<Json<OEmbed>, Failure> {
    if let Some(f) = q.format.as_deref().filter(|f| !f.eq_ignore_ascii_case("json")) {
        return Err(Failure::new(
            StatusCode::NOT_IMPLEMENTED,
            "not_implemented",
            format!("format `{f}` is not made; ask for json"),
        )
        .field("format"));
    }
    let limit = |field: &str, v: &Option<String>| match v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|n| *n > 0)
            .map(Some)
            .ok_or_else(|| Failure::invalid(field, "must be a positive whole number of pixels")),
    };
    let (max_w, max_h) = (limit("maxwidth", &q.maxwidth)?, limit("maxheight", &q.maxheight)?);
    let url = q.url.as_deref().map(str::trim).filter(|u| !u.is_empty()).ok_or_else(|| Failure::missing("url"))?;
    let origin =
        meta::origin(&app, &headers).ok_or_else(|| Failure::not_found("this server's address is not known"))?;
    let not_ours = || Failure::not_found("not a link to a replay or a profile on this server");
    let path = path_on(url, &origin).ok_or_else(not_ours)?;
    let page = meta::page(path).ok_or_else(not_ours)?;
    let p = meta::lookup(&app, page, path, &origin).await.map_err(|f| match f.status {
        StatusCode::NOT_FOUND | StatusCode::GONE => Failure::not_found(f.body.message),
        _ => f,
    })?;
    let (width, height) = fit(max_w, max_h);
    let html = format!(
        "<iframe src=\"{}\" width=\"{width}\" height=\"{height}\" title=\"{}\" frameborder=\"0\" \
         allow=\"autoplay; fullscreen; picture-in-picture\" allowfullscreen sandbox=\"{SANDBOX}\" \
         loading=\"lazy\"></iframe>",
        meta::escape(&p.embed_url),
        meta::escape(&p.title),
    );
    let (thumbnail_url, thumbnail_width, thumbnail_height) = match p.poster {
        Some((u, w, h)) => (Some(u), Some(w), Some(h)),
        None => (None, None, None),
    };
    Ok(Json(OEmbed {
        kind: "video".into(),
        version: "1.0".into(),
        title: p.title,
        author_name: p.author_name,
        author_url: p.author_url,
        provider_name: "Relive".into(),
        provider_url: format!("{origin}/"),
        html,
        width,
        height,
        thumbnail_url,
        thumbnail_width,
        thumbnail_height,
    }))
}

/// The path of `url` if it is on `origin` (scheme and host compared without case; the
/// query and fragment dropped).
fn path_on<'a>(url: &'a str, origin: &str) -> Option<&'a str> {
    let head = url.get(..origin.len())?;
    if !head.eq_ignore_ascii_case(origin) {
        return None;
    }
    let rest = &url[origin.len()..];
    let path = rest.split(['?', '#']).next().unwrap_or("");
    path.starts_with('/').then_some(path)
}

/// 16:9 within the limits, at most [`DEFAULT_SIZE`]; at least 1 × 1.
fn fit(max_w: Option<u32>, max_h: Option<u32>) -> (u32, u32) {
    let (w, h) = DEFAULT_SIZE;
    let by_height = max_h.map_or(w, |mh| (u64::from(mh) * 16 / 9) as u32);
    let width = w.min(max_w.unwrap_or(w)).min(by_height).max(1);
    let height = (width * 9 / 16).clamp(1, max_h.unwrap_or(h).min(h));
    (width, height)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_keep_16_9_within_the_limits() {
        assert_eq!(fit(None, None), (640, 360));
        assert_eq!(fit(Some(320), None), (320, 180));
        assert_eq!(fit(Some(1920), Some(1080)), (640, 360));
        assert_eq!(fit(None, Some(90)), (160, 90));
        assert_eq!(fit(Some(500), Some(200)), (355, 199));
        assert_eq!(fit(Some(1), Some(1)), (1, 1));
    }

    #[test]
    fn links_on_this_origin_only() {
        let o = "https://replay.example.com";
        assert_eq!(path_on("https://replay.example.com/u/mei/replays/3?t=20#x", o), Some("/u/mei/replays/3"));
        assert_eq!(path_on("HTTPS://Replay.Example.com/u/mei", o), Some("/u/mei"));
        for foreign in [
            "https://replay.example.com.evil.net/u/mei",
            "https://replay.example.comu/mei",
            "http://replay.example.com/u/mei",
            "https://other.example/u/mei",
            "https://replay.example.com",
            "/u/mei",
        ] {
            assert_eq!(path_on(foreign, o), None, "{foreign}");
        }
    }

    #[test]
    fn discovery_address_encodes_the_page() {
        assert_eq!(
            endpoint("https://r.example", "https://r.example/u/a b/replays/1"),
            "https://r.example/oembed?url=https%3A%2F%2Fr.example%2Fu%2Fa%20b%2Freplays%2F1&format=json"
        );
    }
}
