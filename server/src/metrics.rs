//! `/metrics` in Prometheus's text exposition format (0.0.4), written by hand: a few
//! counters and one histogram need no client library.
//!
//! - `relive_hook_callbacks_total{hook, outcome, status}`: every call to `/hooks/...`,
//!   by service (`tencent`, `nginx-rtmp`, `srs`), what became of it (`accepted`,
//!   `duplicate`, `stale`, `ignored` as `hooks::logged` logs them; `rate_limited`;
//!   `rejected` for any other refusal) and status class (`2xx`, `4xx`, `5xx`).
//! - `relive_http_request_duration_seconds{route}`: time to the response's headers (a
//!   streamed body, such as `/download.mp4`, goes on after it), by the route's pattern
//!   (axum's `MatchedPath`, e.g. `/api/v1/replays/{id}`, never the raw path, so ids do not
//!   make a series each; `fallback` for the web app and anything unrouted).
//! - `relive_http_requests_total{route, status}`: the same requests by status class.
//! - `relive_jobs_waiting{kind}`, `relive_jobs_scheduled{kind}`,
//!   `relive_jobs_running{kind}`, `relive_jobs_oldest_waiting_seconds{kind}`: the
//!   background queue, as [`queue_depths`] reads it.
//! - `relive_store_connections`, `relive_store_connections_in_use`,
//!   `relive_store_waiting`: the database connections (SQLite's readers, PostgreSQL's
//!   pool) and the callers waiting for one now; `relive_store_waits_total` and
//!   `relive_store_wait_seconds_total`: since start, how often and how long a read or
//!   write waited for a connection (their ratio is the mean wait).
//! - `relive_build_info{version}`: always 1.
//!
//! Who may read it: with `--metrics-token`, `/metrics` on the main listener wants
//! `Authorization: Bearer <token>` (401 otherwise); with `--metrics-listen`, a second
//! listener (meant for a private address) serves it to anyone who reaches it. With
//! neither, the main listener answers 404: counts of callbacks and routes are not for
//! the public.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::AppState;
use crate::error::Failure;
use crate::signing::constant_time_eq;
use crate::store::PoolWaits;

/// Upper bounds (seconds) of the latency histogram's buckets; `+Inf` follows.
pub const BUCKETS: [f64; 8] = [0.001, 0.005, 0.025, 0.1, 0.25, 1.0, 2.5, 10.0];

/// The content type Prometheus expects of the text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The counters; cheap to clone (one per process, in [`AppState`]).
#[derive(Clone, Default)]
pub struct Metrics(Arc<Mutex<Counts>>);

#[derive(Default)]
struct Counts {
    /// (hook, outcome, status class) → calls.
    hooks: BTreeMap<(String, &'static str, &'static str), u64>,
    /// Route pattern → its latencies and statuses.
    routes: BTreeMap<String, RouteStats>,
}

#[derive(Default)]
struct RouteStats {
    /// Requests at or under each of [`BUCKETS`] (not cumulative; summed when written).
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum_secs: f64,
    statuses: BTreeMap<&'static str, u64>,
}

tokio::task_local! {
    /// What became of the hook call being answered, set by `hooks::logged` (see
    /// [`note_hook_outcome`]) and read by [`track`] around it.
    static HOOK_OUTCOME: std::cell::Cell<Option<&'static str>>;
}

/// Records the outcome of the hook call this task is answering (`accepted`,
/// `duplicate`, …) for `relive_hook_callbacks_total`. Outside [`track`] it does nothing.
pub fn note_hook_outcome(outcome: &'static str) {
    let _ = HOOK_OUTCOME.try_with(|o| o.set(Some(outcome)));
}

impl Metrics {
    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts one request to `route` answered with `status` after `elapsed`.
    pub fn request(&self, route: &str, status: StatusCode, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        let class = status_class(status);
        let mut c = self.lock();
        let stats = match c.routes.get_mut(route) {
            Some(s) => s,
            None => c.routes.entry(route.to_string()).or_default(),
        };
        if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
            stats.buckets[i] += 1;
        }
        stats.count += 1;
        stats.sum_secs += secs;
        *stats.statuses.entry(class).or_default() += 1;
    }

    /// Counts one call to a hook.
    pub fn hook(&self, hook: &str, outcome: &'static str, status: StatusCode) {
        let mut c = self.lock();
        *c.hooks.entry((hook.to_string(), outcome, status_class(status))).or_default() += 1;
    }

    /// Everything, in the text exposition format, with the job queue as `queue` says and
    /// the database connections as `pool` does.
    pub fn render(&self, queue: &[QueueDepth], pool: PoolWaits) -> String {
        let mut out = String::new();
        let _ = write_all(&mut out, &self.lock(), queue).and_then(|()| write_pool(&mut out, pool));
        out
    }
}

/// One kind of background job, as the queue gauges report it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueueDepth {
    pub kind: String,
    /// Due and waiting for a worker.
    pub waiting: u64,
    /// Queued for later (a retry's backoff, a next round).
    pub scheduled: u64,
    pub running: u64,
    /// How long the oldest waiting job has waited; `None` when none waits.
    pub oldest_wait: Option<Duration>,
}

/// The job queue now, for the gauges: the durable jobs table, every instance's
/// (`crate::jobs::Jobs::depth`).
pub async fn queue_depths(app: &AppState) -> Vec<QueueDepth> {
    app.jobs
        .depth()
        .await
        .into_iter()
        .map(|d| QueueDepth {
            kind: d.kind,
            waiting: d.due,
            scheduled: d.scheduled,
            running: d.running,
            oldest_wait: d.oldest_due_ms.map(|ms| Duration::from_millis(ms.max(0) as u64)),
        })
        .collect()
}

/// A queue gauge's value for one kind.
type Gauge = fn(&QueueDepth) -> String;

fn write_all(out: &mut String, c: &Counts, queue: &[QueueDepth]) -> std::fmt::Result {
    writeln!(out, "# HELP relive_build_info The running build; always 1.")?;
    writeln!(out, "# TYPE relive_build_info gauge")?;
    writeln!(out, "relive_build_info{{version=\"{}\"}} 1", escape(env!("CARGO_PKG_VERSION")))?;

    writeln!(out, "# HELP relive_hook_callbacks_total Calls to /hooks/..., by service, outcome and status class.")?;
    writeln!(out, "# TYPE relive_hook_callbacks_total counter")?;
    for ((hook, outcome, status), n) in &c.hooks {
        writeln!(
            out,
            "relive_hook_callbacks_total{{hook=\"{}\",outcome=\"{outcome}\",status=\"{status}\"}} {n}",
            escape(hook)
        )?;
    }

    writeln!(out, "# HELP relive_http_requests_total HTTP requests, by route pattern and status class.")?;
    writeln!(out, "# TYPE relive_http_requests_total counter")?;
    for (route, s) in &c.routes {
        for (status, n) in &s.statuses {
            writeln!(out, "relive_http_requests_total{{route=\"{}\",status=\"{status}\"}} {n}", escape(route))?;
        }
    }

    writeln!(out, "# HELP relive_http_request_duration_seconds Time to the response's headers, by route pattern.")?;
    writeln!(out, "# TYPE relive_http_request_duration_seconds histogram")?;
    for (route, s) in &c.routes {
        let route = escape(route);
        let mut cumulative = 0;
        for (bound, n) in BUCKETS.iter().zip(s.buckets) {
            cumulative += n;
            writeln!(
                out,
                "relive_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {cumulative}"
            )?;
        }
        writeln!(out, "relive_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}", s.count)?;
        writeln!(out, "relive_http_request_duration_seconds_sum{{route=\"{route}\"}} {}", s.sum_secs)?;
        writeln!(out, "relive_http_request_duration_seconds_count{{route=\"{route}\"}} {}", s.count)?;
    }

    let gauges: [(&str, &str, Gauge); 4] = [
        ("relive_jobs_waiting", "Background jobs due and waiting for a worker, by kind.", |d| d.waiting.to_string()),
        ("relive_jobs_scheduled", "Background jobs queued for later (retries, next rounds), by kind.", |d| {
            d.scheduled.to_string()
        }),
        ("relive_jobs_running", "Background jobs running now, by kind.", |d| d.running.to_string()),
        (
            "relive_jobs_oldest_waiting_seconds",
            "How long the oldest waiting job of a kind has waited (0: none waits).",
            |d| d.oldest_wait.map_or(0.0, |w| w.as_secs_f64()).to_string(),
        ),
    ];
    for (name, help, value) in gauges {
        writeln!(out, "# HELP {name} {help}")?;
        writeln!(out, "# TYPE {name} gauge")?;
        for d in queue {
            writeln!(out, "{name}{{kind=\"{}\"}} {}", escape(&d.kind), value(d))?;
        }
    }
    Ok(())
}

fn write_pool(out: &mut String, p: PoolWaits) -> std::fmt::Result {
    let series: [(&str, &str, &str, String); 5] = [
        ("relive_store_connections", "gauge", "Database connections this instance keeps.", p.size.to_string()),
        ("relive_store_connections_in_use", "gauge", "Database connections in use now.", p.in_use.to_string()),
        (
            "relive_store_waiting",
            "gauge",
            "Reads and writes waiting for a database connection now.",
            p.waiting.to_string(),
        ),
        (
            "relive_store_waits_total",
            "counter",
            "Reads and writes that waited for a database connection.",
            p.waits.to_string(),
        ),
        (
            "relive_store_wait_seconds_total",
            "counter",
            "Time reads and writes spent waiting for a database connection.",
            p.waited_secs.to_string(),
        ),
    ];
    for (name, kind, help, value) in series {
        writeln!(out, "# HELP {name} {help}")?;
        writeln!(out, "# TYPE {name} {kind}")?;
        writeln!(out, "{name} {value}")?;
    }
    Ok(())
}

/// A label value as the text format wants it: `\`, `"` and newlines escaped.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn status_class(status: StatusCode) -> &'static str {
    match status.as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// Middleware on the whole app: times each request by its route pattern, and counts
/// hook calls with their outcome.
pub async fn track(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    // `MatchedPath` is an `Arc<str>`: cloning it costs no allocation per request.
    let matched = req.extensions().get::<MatchedPath>().cloned();
    let route = matched.as_ref().map_or("fallback", |m| m.as_str());
    let hook = route.strip_prefix("/hooks/");
    let (res, outcome) = match hook {
        Some(_) => {
            HOOK_OUTCOME
                .scope(std::cell::Cell::new(None), async {
                    let res = next.run(req).await;
                    (res, HOOK_OUTCOME.with(|o| o.get()))
                })
                .await
        }
        None => (next.run(req).await, None),
    };
    app.metrics.request(route, res.status(), start.elapsed());
    if let Some(hook) = hook {
        let outcome = match res.status() {
            s if s.is_success() => outcome.unwrap_or("accepted"),
            StatusCode::TOO_MANY_REQUESTS => "rate_limited",
            _ => "rejected",
        };
        app.metrics.hook(hook, outcome, res.status());
    }
    res
}

/// `/metrics` on the main listener: only with `--metrics-token`, and the token.
pub async fn guarded(State(app): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = app.config.metrics_token.as_deref().filter(|t| !t.is_empty()) else {
        return Failure::not_found("no such page").into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !constant_time_eq(given.trim().as_bytes(), token.as_bytes()) {
        let mut res = Failure::unauthorized("unauthorized", "/metrics needs Authorization: Bearer <--metrics-token>")
            .into_response();
        res.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        return res;
    }
    exposition(&app).await
}

/// The router of `--metrics-listen`: `/metrics` to anyone who reaches it.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(|State(app): State<AppState>| async move { exposition(&app).await }))
        .with_state(state)
}

async fn exposition(app: &AppState) -> Response {
    let queue = queue_depths(app).await;
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], app.metrics.render(&queue, app.store.pool_waits())).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_counters_and_a_cumulative_histogram() {
        let m = Metrics::default();
        m.request("/api/v1/replays/{id}", StatusCode::OK, Duration::from_millis(3));
        m.request("/api/v1/replays/{id}", StatusCode::NOT_FOUND, Duration::from_millis(200));
        m.request("/api/v1/replays/{id}", StatusCode::OK, Duration::from_secs(60));
        m.hook("tencent", "accepted", StatusCode::OK);
        m.hook("tencent", "accepted", StatusCode::OK);
        m.hook("srs", "rate_limited", StatusCode::TOO_MANY_REQUESTS);
        let queue = [QueueDepth {
            kind: "images".into(),
            waiting: 3,
            running: 2,
            oldest_wait: Some(Duration::from_millis(1500)),
            ..Default::default()
        }];
        let pool = PoolWaits { size: 16, in_use: 3, waiting: 2, waits: 7, waited_secs: 0.25 };
        let text = m.render(&queue, pool);
        let has = |line: &str| assert!(text.lines().any(|l| l == line), "no `{line}` in\n{text}");
        has(&format!("relive_build_info{{version=\"{}\"}} 1", env!("CARGO_PKG_VERSION")));
        has("relive_hook_callbacks_total{hook=\"tencent\",outcome=\"accepted\",status=\"2xx\"} 2");
        has("relive_hook_callbacks_total{hook=\"srs\",outcome=\"rate_limited\",status=\"4xx\"} 1");
        has("relive_http_requests_total{route=\"/api/v1/replays/{id}\",status=\"2xx\"} 2");
        has("relive_http_requests_total{route=\"/api/v1/replays/{id}\",status=\"4xx\"} 1");
        has("relive_http_request_duration_seconds_bucket{route=\"/api/v1/replays/{id}\",le=\"0.001\"} 0");
        has("relive_http_request_duration_seconds_bucket{route=\"/api/v1/replays/{id}\",le=\"0.005\"} 1");
        has("relive_http_request_duration_seconds_bucket{route=\"/api/v1/replays/{id}\",le=\"0.25\"} 2");
        has("relive_http_request_duration_seconds_bucket{route=\"/api/v1/replays/{id}\",le=\"10\"} 2");
        has("relive_http_request_duration_seconds_bucket{route=\"/api/v1/replays/{id}\",le=\"+Inf\"} 3");
        has("relive_http_request_duration_seconds_count{route=\"/api/v1/replays/{id}\"} 3");
        has("relive_jobs_waiting{kind=\"images\"} 3");
        has("relive_jobs_scheduled{kind=\"images\"} 0");
        has("relive_jobs_running{kind=\"images\"} 2");
        has("relive_jobs_oldest_waiting_seconds{kind=\"images\"} 1.5");
        has("relive_store_connections 16");
        has("relive_store_connections_in_use 3");
        has("relive_store_waiting 2");
        has("relive_store_waits_total 7");
        has("relive_store_wait_seconds_total 0.25");
        has("# TYPE relive_store_waits_total counter");
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
