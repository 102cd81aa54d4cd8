//! Policy headers, cross-origin rules and the hook rate limit.

mod common;

use common::{Server, recording, signed, write_file};

fn with_dist(extra: &[&str]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    write_file(
        &dir.path().join("dist/index.html"),
        b"<!doctype html><title>Relive</title><script type=module>import init from '/app.js';</script>",
    );
    Server::start_in(dir, extra)
}

#[tokio::test]
async fn pages_carry_a_content_security_policy_and_framing_rules() {
    let s = with_dist(&["--embed-frame-ancestors", "https://partner.example"]);
    let page = reqwest::get(s.url("/u/alice")).await.unwrap();
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("frame-ancestors 'self'"), "{csp}");
    assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-"), "{csp}");
    let scripts = csp.split(';').find(|d| d.trim_start().starts_with("script-src")).unwrap();
    assert!(!scripts.contains(" 'unsafe-eval'") && !scripts.contains("'unsafe-inline'"), "{csp}");
    assert_eq!(page.headers()["x-frame-options"], "SAMEORIGIN");
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");

    let embed = reqwest::get(s.url("/embed/replays/1")).await.unwrap();
    let csp = embed.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.ends_with("frame-ancestors https://partner.example"), "{csp}");
    assert!(embed.headers().get("x-frame-options").is_none());

    // The default lets any site embed.
    let open = with_dist(&[]);
    let csp = reqwest::get(open.url("/embed/u/x")).await.unwrap().headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.ends_with("frame-ancestors *"), "{csp}");
}

#[tokio::test]
async fn other_sites_may_read_the_api_but_not_write() {
    let s = Server::start();
    let r = s.http.get(s.url("/api/v1/streamers")).header("origin", "https://other.example").send().await.unwrap();
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    for method in ["PUT", "PATCH", "DELETE", "POST"] {
        let pre = s
            .http
            .request(reqwest::Method::OPTIONS, s.url("/api/v1/streamers/x"))
            .header("origin", "https://other.example")
            .header("access-control-request-method", method)
            .header("access-control-request-headers", "authorization,content-type")
            .send()
            .await
            .unwrap();
        let allowed = pre
            .headers()
            .get("access-control-allow-methods")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        assert!(!allowed.contains(method), "{method} allowed: {allowed}");
    }
}

#[tokio::test]
async fn hooks_are_rate_limited_per_address() {
    let s = Server::start_with(&["--tencent-callback-key", common::CALLBACK_KEY, "--hook-rate-limit", "2"]);
    let p = signed(recording("rl", "f", common::now(), 10));
    let mut statuses = Vec::new();
    for _ in 0..30 {
        statuses.push(s.post_json("/hooks/tencent", &p).await.0);
    }
    // A burst of 20 (ten seconds' worth), then 429 with a reason.
    assert_eq!(statuses.iter().filter(|&&c| c == 200).count(), 20, "{statuses:?}");
    assert!(statuses[20..].iter().all(|&c| c == 429), "{statuses:?}");
    let (status, body) = s.post_json("/hooks/tencent", &p).await;
    assert_eq!((status, body["error"].as_str()), (429, Some("rate_limited")));
    // The API is not limited.
    assert_eq!(s.get("/api/v1/streamers/rl").await.0, 200);
}

#[tokio::test]
async fn a_client_too_slow_with_its_headers_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = Server::start();
    let addr = s.base.trim_start_matches("http://").to_string();
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    // The headers never end: the server closes the connection (after 10 s).
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(std::time::Duration::from_secs(30), slow.read(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "still open: {read:?}");
    // Others were served all along.
    assert_eq!(s.get("/healthz").await.0, 200);
}

/// Sends hook calls as `client` (an `X-Forwarded-For`) until the first 429; how many passed.
async fn calls_until_limited(s: &Server, client: &str) -> usize {
    let p = signed(recording("xff", "f", common::now(), 10));
    for passed in 0..100 {
        let r = s.http.post(s.url("/hooks/tencent")).header("x-forwarded-for", client).json(&p).send().await.unwrap();
        if r.status() == 429 {
            return passed;
        }
    }
    100
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_bucket() {
    let limit = ["--tencent-callback-key", common::CALLBACK_KEY, "--hook-rate-limit", "1"];
    let s = Server::start_with(&[&limit[..], &["--trusted-proxy", "127.0.0.1"]].concat());
    assert_eq!(calls_until_limited(&s, "198.51.100.1").await, 10, "a burst of ten seconds' worth");
    // Another client behind the same proxy is not held back by the first…
    assert_eq!(calls_until_limited(&s, "203.0.113.7, 127.0.0.1").await, 10);
    // …and the first is still limited, whatever it claims left of the proxy's entry.
    assert_eq!(calls_until_limited(&s, "203.0.113.99, 198.51.100.1").await, 0);

    // Without the flag the header is anyone's to send, and is ignored: one bucket.
    let s = Server::start_with(&limit);
    assert_eq!(calls_until_limited(&s, "198.51.100.1").await, 10);
    assert_eq!(calls_until_limited(&s, "203.0.113.7").await, 0);
}
