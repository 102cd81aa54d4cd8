//! Response headers that protect viewers, cross-origin rules for the API, and a rate
//! limit on the hooks.
//!
//! - HTML pages carry a Content-Security-Policy: scripts only from this site (the one
//!   inline loader trunk writes is allowed by its hash) plus WebAssembly; only
//!   `/embed/...` may be framed by other sites (`--embed-frame-ancestors`), every other
//!   page by this site alone.
//! - The API answers cross-origin reads (GET) so other sites can list replays; writes
//!   get no CORS headers, so browsers keep other sites from making them.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha256};
use tower_http::cors::{Any, CorsLayer};

use crate::AppState;
use crate::error::Failure;

/// CORS for `/api/v1`: any origin may read; nothing else is allowed across origins.
pub fn api_cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::HEAD])
        .max_age(std::time::Duration::from_secs(3600))
}

/// Adds the policy headers to every response.
pub async fn headers(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let embed = req.uri().path().starts_with("/embed/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("referrer-policy", HeaderValue::from_static("strict-origin-when-cross-origin"));
    let is_html = h.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"));
    if is_html {
        let ancestors = if embed { app.config.embed_frame_ancestors.as_str() } else { "'self'" };
        let csp = content_security_policy(&app.config.dist.join("index.html"), ancestors);
        if let Ok(v) = HeaderValue::from_str(&csp) {
            h.insert(header::CONTENT_SECURITY_POLICY, v);
        }
        if !embed {
            h.insert("x-frame-options", HeaderValue::from_static("SAMEORIGIN"));
        }
    }
    res
}

/// The policy for the web app's pages. Media may come from anywhere over http(s)
/// (recordings live on CDNs); scripts only from here.
pub fn content_security_policy(index_html: &Path, frame_ancestors: &str) -> String {
    let inline = std::fs::read_to_string(index_html).ok().map(|html| inline_script_hashes(&html)).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{inline}; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: http: https:; media-src 'self' blob: http: https:; connect-src 'self' http: https:; \
         worker-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors {frame_ancestors}"
    )
}

/// `'sha256-…'` sources for each inline `<script>` in the page.
fn inline_script_hashes(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(open_end) = after.find('>') else { break };
        let tag = &after[..open_end];
        let body_and_rest = &after[open_end + 1..];
        let Some(close) = body_and_rest.find("</script>") else { break };
        if !tag.contains("src=") {
            let digest = Sha256::digest(&body_and_rest.as_bytes()[..close]);
            out.push_str(&format!(" 'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest)));
        }
        rest = &body_and_rest[close..];
    }
    out
}

/// A token bucket per client address for the hooks.
#[derive(Clone, Default)]
pub struct RateLimiter {
    buckets: Arc<Mutex<HashMap<IpAddr, (f64, Instant)>>>,
}

impl RateLimiter {
    /// Takes a token for `ip`; false when its bucket is empty.
    pub fn allow(&self, ip: IpAddr, per_second: u32) -> bool {
        if per_second == 0 {
            return true;
        }
        let rate = f64::from(per_second);
        let burst = rate * 10.0;
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > 100_000 {
            // Forget idle addresses rather than grow without bound.
            buckets.retain(|_, (tokens, at)| *tokens + now.duration_since(*at).as_secs_f64() * rate < burst);
        }
        let (tokens, at) = buckets.entry(ip).or_insert((burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * rate).min(burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Middleware for `/hooks/*`: 429 past the per-address rate.
pub async fn hook_rate_limit(
    State(app): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    req: Request,
    next: Next,
) -> Response {
    if app.hook_limiter.allow(addr.ip(), app.config.hook_rate_limit) {
        return next.run(req).await;
    }
    tracing::warn!(client = %addr.ip(), path = %req.uri().path(), outcome = "rejected", reason = "rate limited", "callback");
    let mut res = Failure::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "too many hook calls from this address; retry shortly",
    )
    .into_response();
    res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_inline_scripts_only() {
        let html = "<script type=module>import init from '/a.js';</script><script src=/b.js></script>";
        let h = inline_script_hashes(html);
        assert_eq!(h.matches("'sha256-").count(), 1);
        let expected = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b"import init from '/a.js';"));
        assert!(h.contains(&expected));
    }

    #[test]
    fn buckets_refill_and_run_dry() {
        let l = RateLimiter::default();
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let allowed = (0..100).filter(|_| l.allow(ip, 5)).count();
        assert_eq!(allowed, 50, "a burst of ten seconds' worth");
        assert!(l.allow("10.0.0.2".parse().unwrap(), 5), "per address");
        assert!((0..1000).all(|_| l.allow(ip, 0)), "0 = no limit");
    }
}
