//! Serving the built web app (trunk's `dist/`).
//!
//! - Files are served precompressed (`.br`, `.gz` beside them, made at build time).
//! - Client routes (`/u/alice`, any path without a file extension) get `index.html`.
//! - trunk puts a content hash in asset names: those are cached for a year, immutable;
//!   `index.html` is revalidated on every load so a deploy shows at once.
//! - A replay's or profile's page gets `index.html` with link-preview tags (`crate::meta`).

use std::path::Path;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

use crate::AppState;

pub fn spa(dist: &Path, state: AppState) -> Router<AppState> {
    let index = dist.join("index.html");
    let assets = ServeDir::new(dist).precompressed_br().precompressed_gzip().append_index_html_on_directories(false);
    let fallback = move |State(app): State<AppState>, req: Request| {
        let index = index.clone();
        async move {
            let path = req.uri().path();
            let last = path.rsplit('/').next().unwrap_or("");
            if last.contains('.') {
                return (StatusCode::NOT_FOUND, "not found").into_response();
            }
            if !index.exists() {
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The web app is not built: run `make build` (or point --dist at trunk's dist folder).",
                )
                    .into_response();
            }
            // A page with a link preview: the file with its tags (not precompressed).
            if let Some(origin) = crate::meta::origin(&app, req.headers())
                && let Some(preview) = crate::meta::preview(&app, path, &origin).await
                && let Ok(html) = tokio::fs::read_to_string(&index).await
            {
                let headers = [(header::CONTENT_TYPE, "text/html; charset=utf-8")];
                return (headers, crate::meta::inject(&html, &preview)).into_response();
            }
            match ServeFile::new(&index).precompressed_br().precompressed_gzip().oneshot(req).await {
                Ok(r) => r.into_response(),
                Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
            }
        }
    };
    Router::new()
        .fallback_service(assets.fallback(axum::routing::any(fallback).with_state(state)))
        .layer(middleware::from_fn(cache_headers))
}

async fn cache_headers(req: Request, next: Next) -> Response {
    let hashed = is_hashed_asset(req.uri().path());
    let mut res = next.run(req).await;
    if res.status().is_success() || res.status() == StatusCode::NOT_MODIFIED {
        let value = if hashed { "public, max-age=31536000, immutable" } else { "no-cache" };
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    }
    res
}

/// trunk names assets `name-<hash>.ext` (or `_bg.wasm`): a 64-bit hash in hex, which
/// loses its leading zeros (so 16 digits or a few fewer).
fn is_hashed_asset(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or("");
    let stem = file.split('.').next().unwrap_or("");
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-')
        .is_some_and(|(_, hash)| (10..=16).contains(&hash.len()) && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::is_hashed_asset;

    #[test]
    fn recognises_trunk_hashed_names() {
        assert!(is_hashed_asset("/relive-web-5f1e2d3c4b5a6978_bg.wasm"));
        assert!(is_hashed_asset("/relive-web-5f1e2d3c4b5a6978.js"));
        assert!(is_hashed_asset("/main-0123456789abcdef.css"));
        assert!(is_hashed_asset("/main-f43dc813dcd0e03.css"));
        assert!(!is_hashed_asset("/my-cat.png"));
        assert!(!is_hashed_asset("/index.html"));
        assert!(!is_hashed_asset("/u/alice"));
        assert!(!is_hashed_asset("/favicon.svg"));
    }
}
