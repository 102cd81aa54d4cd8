//! What operators run the server with: health and readiness, `/metrics`, JSON logs.

mod common;

use std::collections::HashMap;

use common::{ADMIN_TOKEN, CALLBACK_KEY, Server, recording, signed};

#[tokio::test]
async fn health_and_readiness_report_the_database() {
    let s = Server::start();
    for path in ["/healthz", "/readyz"] {
        let (status, body) = s.get(path).await;
        assert_eq!(status, 200, "{path}: {body}");
        assert_eq!(body["status"], "ok", "{path}");
        assert_eq!(body["database"], "ok", "{path}");
        assert!(body["version"].is_string(), "{path}");
    }
}

/// One sample of the text format: `name{labels} value`, labels in order.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: Vec<(String, String)>,
    value: f64,
}

/// Parses the exposition strictly: every line a comment (`# HELP`/`# TYPE`) or a sample
/// whose value is a number, label values quoted.
fn parse(text: &str) -> Vec<Sample> {
    let mut samples = Vec::new();
    for line in text.lines() {
        if line.starts_with("# HELP ") || line.starts_with("# TYPE ") {
            continue;
        }
        assert!(!line.is_empty() && !line.starts_with('#'), "stray line {line:?}");
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("no value: {line:?}"));
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("bad value: {line:?}"));
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').unwrap_or_else(|| panic!("unclosed labels: {line:?}"));
                let labels = body
                    .split("\",")
                    .map(|kv| {
                        let (k, v) = kv.split_once("=\"").unwrap_or_else(|| panic!("bad label: {line:?}"));
                        (k.to_string(), v.trim_end_matches('"').to_string())
                    })
                    .collect();
                (name, labels)
            }
            None => (series, Vec::new()),
        };
        assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "bad name: {line:?}");
        samples.push(Sample { name: name.to_string(), labels, value });
    }
    samples
}

/// The value of the sample `name` with exactly these labels (0 when absent).
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    let want: HashMap<_, _> = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    samples
        .iter()
        .find(|s| s.name == name && s.labels.iter().cloned().collect::<HashMap<_, _>>() == want)
        .map_or(0.0, |s| s.value)
}

async fn scrape(s: &Server, token: &str) -> Vec<Sample> {
    let r = s.http.get(s.url("/metrics")).bearer_auth(token).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    parse(&r.text().await.unwrap())
}

#[tokio::test]
async fn metrics_count_routes_and_hooks_behind_a_token() {
    let s = Server::start_with(&[
        "--tencent-callback-key",
        CALLBACK_KEY,
        "--admin-token",
        ADMIN_TOKEN,
        "--metrics-token",
        "scrape-me",
    ]);
    assert_eq!(s.http.get(s.url("/metrics")).send().await.unwrap().status(), 401);
    assert_eq!(s.http.get(s.url("/metrics")).bearer_auth("wrong").send().await.unwrap().status(), 401);
    let before = scrape(&s, "scrape-me").await;
    assert_eq!(value(&before, "relive_build_info", &[("version", env!("CARGO_PKG_VERSION"))]), 1.0);

    let p = signed(recording("m1", "f-m1", common::now(), 10));
    assert_eq!(s.tencent(p.clone()).await.0, 200);
    assert_eq!(s.tencent(p).await.0, 200, "a retry: duplicate");
    let mut bad = signed(recording("m1", "f-m2", common::now(), 10));
    bad["sign"] = "0".repeat(32).into();
    assert_eq!(s.post_json("/hooks/tencent", &bad).await.0, 401);
    assert_eq!(s.get("/api/v1/streamers/m1/replays").await.0, 200);
    assert_eq!(s.get("/api/v1/replays/999999").await.0, 404);
    assert_eq!(s.get("/api/v1/replays/999998").await.0, 404);

    let after = scrape(&s, "scrape-me").await;
    let hooks = |outcome, status| {
        value(&after, "relive_hook_callbacks_total", &[("hook", "tencent"), ("outcome", outcome), ("status", status)])
    };
    assert_eq!(hooks("accepted", "2xx"), 1.0);
    assert_eq!(hooks("duplicate", "2xx"), 1.0);
    assert_eq!(hooks("rejected", "4xx"), 1.0);
    // Routes are their patterns, not the paths asked for.
    let route = "/api/v1/replays/{id}";
    assert_eq!(value(&after, "relive_http_requests_total", &[("route", route), ("status", "4xx")]), 2.0);
    assert_eq!(value(&after, "relive_http_request_duration_seconds_count", &[("route", route)]), 2.0);
    assert_eq!(value(&after, "relive_http_request_duration_seconds_bucket", &[("route", route), ("le", "+Inf")]), 2.0);
    assert!(after.iter().all(|s| s.labels.iter().all(|(_, v)| !v.contains("999999"))), "a raw path as a label");
    let hook_route = [("route", "/hooks/tencent"), ("status", "2xx")];
    assert_eq!(value(&after, "relive_http_requests_total", &hook_route), 2.0);
    assert!(value(&after, "relive_http_request_duration_seconds_sum", &[("route", "/hooks/tencent")]) > 0.0);
    // Buckets are cumulative.
    let buckets: Vec<f64> = after
        .iter()
        .filter(|x| x.name == "relive_http_request_duration_seconds_bucket" && x.labels[0].1 == route)
        .map(|x| x.value)
        .collect();
    assert!(buckets.len() > 2 && buckets.windows(2).all(|w| w[0] <= w[1]), "{buckets:?}");
    // The database's connections: SQLite's 4 readers, or PostgreSQL's pool of 16.
    let size = if common::on_postgres() { 16.0 } else { 4.0 };
    assert_eq!(value(&after, "relive_store_connections", &[]), size);
    assert!(value(&after, "relive_store_connections_in_use", &[]) <= size);
    assert!(value(&after, "relive_store_wait_seconds_total", &[]) >= 0.0);
}

#[tokio::test]
async fn metrics_are_404_unless_configured_and_free_on_their_own_listener() {
    let s = Server::start();
    assert_eq!(s.http.get(s.url("/metrics")).send().await.unwrap().status(), 404);

    // A free port for the metrics listener.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let at = format!("127.0.0.1:{port}");
    let s = Server::start_with(&["--hook-secret", "s", "--metrics-listen", &at]);
    assert_eq!(s.post_form("/hooks/nginx-rtmp?secret=wrong", &[("call", "publish"), ("name", "x")]).await.0, 401);
    assert_eq!(s.http.get(s.url("/metrics")).send().await.unwrap().status(), 404, "not on the main listener");
    let r = s.http.get(format!("http://{at}/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let samples = parse(&r.text().await.unwrap());
    let labels = [("hook", "nginx-rtmp"), ("outcome", "rejected"), ("status", "4xx")];
    assert_eq!(value(&samples, "relive_hook_callbacks_total", &labels), 1.0);
}

#[test]
fn json_logs_are_one_object_a_line() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let mut child = Command::new(env!("CARGO_BIN_EXE_relive"))
        .args(["--listen", "127.0.0.1:0", "--db", &p("relive.db"), "--dist", &p("dist")])
        .args(["--media-dir", &p("media"), "--images-dir", &p("images"), "--log-format", "json"])
        .env("RELIVE_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    // The first line at start-up is the unsigned-callbacks warning.
    let line = stderr.lines().next().unwrap().unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let event: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
    assert_eq!(event["level"], "WARN", "{line}");
    assert!(event["fields"]["message"].as_str().unwrap().contains("NO TENCENT CALLBACK KEY"), "{line}");
}
