//! Response headers that protect viewers, cross-origin rules for the API, and a rate
//! limit on the hooks.
//!
//! - HTML pages carry a Content-Security-Policy: scripts only from this site (the one
//!   inline loader trunk writes is allowed by its hash) plus WebAssembly; only
//!   `/embed/...` may be framed by other sites (`--embed-frame-ancestors`), every other
//!   page by this site alone.
//! - The API, media, images and oEmbed answer cross-origin reads (GET, with `Range`) so
//!   other sites can list replays and the web app can be hosted on another origin; writes
//!   get no CORS headers, so browsers keep other sites from making them.
//! - The client's address ([`ClientIp`], what the rate limit keys on) is the TCP peer's,
//!   unless that peer is a proxy named by `--trusted-proxy`: then it is read from
//!   `X-Forwarded-For` ([`client_ip`]). A header from any other peer is ignored, since
//!   anyone can send one.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha256};
use tower_http::cors::{Any, CorsLayer};

use crate::AppState;
use crate::error::Failure;

/// CORS for `/api/v1`, `/media/`, `/images/` and `/oembed`: any origin may read (the web
/// app hosted on another origin, other sites' players), with `Range` requests and their
/// answers' headers readable; nothing else is allowed across origins.
pub fn api_cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::HEAD])
        .allow_headers([header::RANGE])
        .expose_headers([header::CONTENT_RANGE, header::CONTENT_LENGTH, header::ACCEPT_RANGES])
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
    ClientIp(ip): ClientIp,
    req: Request,
    next: Next,
) -> Response {
    if app.hook_limiter.allow(ip, app.config.hook_rate_limit) {
        return next.run(req).await;
    }
    tracing::warn!(client = %ip, path = %req.uri().path(), outcome = "rejected", reason = "rate limited", "callback");
    let mut res = Failure::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "too many hook calls from this address; retry shortly",
    )
    .into_response();
    res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    res
}

/// An address or a CIDR range of them (`10.0.0.7`, `10.0.0.0/8`, `fd00::/8`): a
/// `--trusted-proxy`. IPv4-mapped IPv6 addresses (`::ffff:10.0.0.7`, what a peer looks
/// like on a dual-stack listener) are matched as the IPv4 address they carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpRange {
    net: IpAddr,
    prefix: u8,
}

impl IpRange {
    /// Whether `ip` is in the range.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.net, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => mask(u32::from(net).into(), u32::from(ip).into(), self.prefix, 32),
            (IpAddr::V6(net), IpAddr::V6(ip)) => mask(u128::from(net), u128::from(ip), self.prefix, 128),
            _ => false,
        }
    }
}

/// Whether `a` and `b` agree in their first `prefix` of `bits` bits.
fn mask(a: u128, b: u128, prefix: u8, bits: u8) -> bool {
    let host_bits = u32::from(bits - prefix);
    (a ^ b).checked_shr(host_bits).unwrap_or(0) == 0
}

impl std::str::FromStr for IpRange {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let net: IpAddr =
            addr.parse().map_err(|_| format!("`{s}` is not an IP address or a CIDR range (e.g. 10.0.0.0/8)"))?;
        let net = net.to_canonical();
        let bits = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= bits)
                .ok_or_else(|| format!("`{s}`: the prefix length must be 0 to {bits}"))?,
        };
        Ok(IpRange { net, prefix })
    }
}

impl std::fmt::Display for IpRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.net, self.prefix)
    }
}

/// The client's address: `peer` (the TCP peer), unless it is a trusted proxy; then the
/// right-most `X-Forwarded-For` entry that is not itself trusted (each proxy appends the
/// address it was called from, so entries left of the first untrusted one may be forged
/// by the client). Several `X-Forwarded-For` headers are read as one list, in order.
/// A header that is missing, empty or has an entry that is not an address (with or
/// without a port) gives `peer`; a list of trusted proxies only gives its left-most.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpRange]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|r| r.contains(ip));
    let peer = peer.to_canonical();
    if !is_trusted(peer) {
        return peer;
    }
    let mut chain = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        let Ok(value) = value.to_str() else { return peer };
        for entry in value.split(',') {
            match forwarded_entry(entry) {
                Some(ip) => chain.push(ip),
                None => return peer,
            }
        }
    }
    match chain.iter().rev().find(|ip| !is_trusted(**ip)) {
        Some(ip) => *ip,
        None => chain.first().copied().unwrap_or(peer),
    }
}

/// One `X-Forwarded-For` entry: `1.2.3.4`, `2001:db8::1`, or with a port (`1.2.3.4:5678`,
/// `[2001:db8::1]:5678`), as some proxies write.
fn forwarded_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    let ip = entry.parse::<IpAddr>().ok().or_else(|| entry.parse::<SocketAddr>().ok().map(|a| a.ip()))?;
    Some(ip.to_canonical())
}

/// The client's address as [`client_ip`] reads it (`--trusted-proxy`), for anything that
/// keys on who is calling.
#[derive(Clone, Copy, Debug)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Self::Rejection> {
        // Every connection gets its peer in `serve`; a request without one (an in-process
        // call) is the unspecified address.
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([0, 0, 0, 0]), |ConnectInfo(a)| a.ip());
        Ok(ClientIp(client_ip(peer, &parts.headers, &app.config.trusted_proxy)))
    }
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

    fn ranges(list: &[&str]) -> Vec<IpRange> {
        list.iter().map(|r| r.parse().unwrap()).collect()
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ranges_parse_and_match() {
        let r: IpRange = "10.0.0.0/8".parse().unwrap();
        assert!(r.contains(ip("10.255.0.1")) && !r.contains(ip("11.0.0.1")));
        assert!(r.contains(ip("::ffff:10.1.2.3")), "IPv4-mapped peers match");
        let one: IpRange = "127.0.0.1".parse().unwrap();
        assert!(one.contains(ip("127.0.0.1")) && !one.contains(ip("127.0.0.2")));
        let v6: IpRange = "fd00::/8".parse().unwrap();
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")) && !v6.contains(ip("10.0.0.1")));
        let all: IpRange = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("8.8.8.8")));
        assert!(" 192.168.1.0/24 ".parse::<IpRange>().unwrap().contains(ip("192.168.1.9")));
        for bad in ["", "proxy.local", "10.0.0.0/33", "fd00::/129", "10.0.0.0/x", "10.0.0.0/"] {
            assert!(bad.parse::<IpRange>().is_err(), "{bad}");
        }
        assert_eq!(r.to_string(), "10.0.0.0/8");
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_sends() {
        let trusted = ranges(&["10.0.0.0/8"]);
        assert_eq!(client_ip(ip("203.0.113.9"), &xff(&["1.1.1.1"]), &trusted), ip("203.0.113.9"));
        assert_eq!(client_ip(ip("203.0.113.9"), &xff(&["1.1.1.1"]), &[]), ip("203.0.113.9"), "no flag");
    }

    #[test]
    fn behind_trusted_proxies_the_right_most_untrusted_entry_is_the_client() {
        let trusted = ranges(&["10.0.0.0/8", "192.168.0.1"]);
        let peer = ip("10.0.0.2");
        assert_eq!(client_ip(peer, &xff(&["198.51.100.7"]), &trusted), ip("198.51.100.7"));
        // A client-forged entry on the left is passed over.
        assert_eq!(client_ip(peer, &xff(&["6.6.6.6, 198.51.100.7, 192.168.0.1"]), &trusted), ip("198.51.100.7"));
        // Several headers are one list.
        assert_eq!(client_ip(peer, &xff(&["6.6.6.6", "198.51.100.7,10.1.1.1"]), &trusted), ip("198.51.100.7"));
        // Ports and IPv6 are read.
        assert_eq!(client_ip(peer, &xff(&["198.51.100.7:4711"]), &trusted), ip("198.51.100.7"));
        assert_eq!(client_ip(peer, &xff(&["[2001:db8::5]:80"]), &trusted), ip("2001:db8::5"));
        assert_eq!(client_ip(peer, &xff(&["2001:db8::5"]), &trusted), ip("2001:db8::5"));
        // Only trusted proxies: the left-most of them.
        assert_eq!(client_ip(peer, &xff(&["10.9.9.9, 192.168.0.1"]), &trusted), ip("10.9.9.9"));
        // A mapped peer is trusted as its IPv4 address.
        assert_eq!(client_ip(ip("::ffff:10.0.0.2"), &xff(&["198.51.100.7"]), &trusted), ip("198.51.100.7"));
    }

    #[test]
    fn a_missing_or_malformed_header_gives_the_peer() {
        let trusted = ranges(&["10.0.0.0/8"]);
        let peer = ip("10.0.0.2");
        assert_eq!(client_ip(peer, &HeaderMap::new(), &trusted), peer);
        for bad in ["", "unknown", "1.2.3.4, nonsense", "1.2.3.4,,5.6.7.8", "1.2.3.4 5.6.7.8"] {
            assert_eq!(client_ip(peer, &xff(&[bad]), &trusted), peer, "{bad:?}");
        }
    }
}
