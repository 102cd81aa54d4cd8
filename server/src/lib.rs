//! Relive's replay server: recording callbacks in, replay lists out, the web app served.
//!
//! A recording's way through: [`hooks`] (one `parse` per recording service, a request to
//! an event) → [`ingest`] (one step applies any event: stores it, then queues what
//! follows; recordings are grouped into broadcasts by `ingest::broadcast`) → [`store`]
//! (all SQL, behind one facade; `Ok` means committed) and [`jobs`]
//! (background work: keyframe indexes of remote FLVs, HLS durations from playlists). [`reconcile`] produces the same
//! events from Tencent's file list. Reads go [`routes`] → [`store`].
//!
//! - [`config`]: command-line flags and their environment variables.
//! - [`demo`]: the demo streamers and replays of `--demo`.
//! - [`download`]: a whole broadcast as one MP4, remuxed from its parts while it is sent.
//! - [`error`]: `Failure`, the one error handlers return (status + JSON body).
//! - [`files`]: durable writes under the media folder (fsync, rename, folder fsync).
//! - [`gone`]: recordings whose files are gone (404/410, storage time): out of public lists.
//! - [`hooks`]: callbacks from Tencent, nginx-rtmp and SRS (`/hooks/...`).
//! - [`ingest`]: events from any service, applied.
//! - [`jobs`]: durable background jobs (a table every instance claims from) and the one shared HTTP client.
//! - [`media`]: local recordings, served safely with ranges and validators (`/media/...`).
//! - [`metrics`]: `/metrics` (Prometheus text): hook calls, route latencies, the job queue.
//! - [`playback`]: keyframe indexes and MP4 copies of FLV replays, for the player.
//! - [`probe`]: reading recordings (files and URLs) through `relive_media`.
//! - [`reconcile`]: polling Tencent's file list for recordings whose callbacks were lost.
//! - [`routes`]: the JSON API under `/api/v1` (public reads, admin writes, OpenAPI).
//! - [`security`]: response headers, CORS, the client's address behind proxies, the
//!   hooks' rate limit.
//! - [`signing`]: Tencent's signatures (callbacks, push URLs) and constant-time compare.
//! - [`storage`]: the media store (local disk, or S3-compatible object storage): MP4
//!   copies, posters and storyboards, uploaded recordings; create-only writes, ranges.
//! - [`store`]: the database facade and its SQLite backend.
//! - [`web`]: the built single-page app.

pub mod config;
pub mod demo;
pub mod download;
pub mod error;
pub mod files;
pub mod gone;
pub mod hooks;
pub mod images;
pub mod ingest;
pub mod jobs;
pub mod media;
pub mod meta;
pub mod metrics;
pub mod oembed;
pub mod playback;
pub mod probe;
pub mod reconcile;
pub mod routes;
pub mod security;
pub mod signing;
pub mod storage;
pub mod store;
pub mod web;

use std::sync::Arc;

use axum::Router;
use axum::routing::{any, get, post};
use axum::{Json, http::StatusCode};
use tower_http::compression::CompressionLayer;

use crate::config::Config;
use crate::error::Failure;
use crate::store::Store;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<Config>,
    pub jobs: jobs::Jobs,
    pub hook_limiter: security::RateLimiter,
    /// What `/metrics` reports.
    pub metrics: metrics::Metrics,
    /// One turn at a time per stream for SRS's HLS recordings.
    pub hls_locks: ingest::srs_hls::Locks,
    /// Where MP4 copies, images and (with object storage) uploaded recordings live.
    pub media: storage::MediaStore,
}

/// The whole HTTP surface.
pub fn app(state: AppState) -> Router {
    Router::new()
        .nest("/api/v1", routes::router().layer(api_compression()).layer(security::api_cors()))
        .route(
            "/api/{*rest}",
            any(|| async { Failure::not_found("no such API endpoint; the API lives under /api/v1") }),
        )
        .nest("/hooks", hooks_router(&state))
        .route("/healthz", get(health))
        .route("/readyz", get(health))
        .route("/metrics", get(metrics::guarded))
        .route("/oembed", get(oembed::oembed).layer(security::api_cors()))
        .route("/media/{*path}", get(media::serve).layer(security::api_cors()))
        .route("/images/{part}/{file}", get(images::serve).layer(security::api_cors()))
        .merge(web::spa(&state.config.dist, state.clone()))
        .layer(axum::middleware::from_fn_with_state(state.clone(), security::headers))
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .with_state(state)
}

/// JSON responses compressed at level 2 (brotli, gzip, zstd alike). A page of 20 replays
/// (5.9 KB) is 822 B at brotli 2 against 796 B at tower-http's default brotli 4, and the
/// server answers ~11,000 instead of ~9,000 list requests/s from browsers (bench/server).
/// Video (`/mp4`, `/download.mp4`) is left as it is: it does not compress, and a download
/// streamed without a length would be compressed chunk by chunk for nothing.
fn api_compression() -> CompressionLayer<impl tower_http::compression::Predicate> {
    use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
    CompressionLayer::new()
        .quality(tower_http::CompressionLevel::Precise(2))
        .compress_when(DefaultPredicate::new().and(NotForContentType::const_new("video/")))
}

fn hooks_router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/tencent", post(hooks::tencent::handle))
        .route("/nginx-rtmp", post(hooks::nginx_rtmp::handle))
        .route("/srs", post(hooks::srs::handle))
        .layer(axum::middleware::from_fn_with_state(state.clone(), security::hook_rate_limit))
}

/// `/healthz` and `/readyz`: 200 when the database answers a trivial query and the media
/// store answers (object storage: a HEAD; local disk: always), else 503 with the error. The process answering at all is the liveness; load balancers should
/// probe `/readyz` (the same check, under the name they expect), so that a server that
/// lost its database is taken out of rotation rather than restarted.
async fn health(axum::extract::State(app): axum::extract::State<AppState>) -> (StatusCode, Json<serde_json::Value>) {
    let (db, storage) = tokio::join!(app.store.ping(), app.media.ping());
    health_answer(db.map_err(|e| e.to_string()), storage)
}

/// The health answer for what the database's and the media store's pings gave.
fn health_answer(db: Result<(), String>, storage: Result<(), String>) -> (StatusCode, Json<serde_json::Value>) {
    let word = |r: &Result<(), String>| r.as_ref().map_or_else(|e| e.clone(), |()| "ok".to_string());
    match (&db, &storage) {
        (Ok(()), Ok(())) => (
            StatusCode::OK,
            Json(serde_json::json!({
                "status": "ok", "database": "ok", "storage": "ok", "version": env!("CARGO_PKG_VERSION")
            })),
        ),
        _ => {
            tracing::error!(database = %word(&db), storage = %word(&storage), "health check: not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({
                    "status": "unavailable", "database": word(&db), "storage": word(&storage),
                    "version": env!("CARGO_PKG_VERSION")
                })),
            )
        }
    }
}

/// Opens the database, seeds demo data if asked, and serves until Ctrl-C or SIGTERM.
pub async fn run(config: Config) -> anyhow::Result<()> {
    use anyhow::Context;

    if config.tencent_callback_key.as_deref().is_none_or(str::is_empty) {
        tracing::warn!(
            "NO TENCENT CALLBACK KEY: /hooks/tencent accepts unsigned callbacks from anyone. \
             Set --tencent-callback-key (RELIVE_TENCENT_CALLBACK_KEY) to the key of your callback template."
        );
    }
    if config.hook_secret.as_deref().is_none_or(str::is_empty) {
        tracing::warn!(
            "NO HOOK SECRET: /hooks/nginx-rtmp and /hooks/srs accept calls from anyone who can reach them. \
             Set --hook-secret (RELIVE_HOOK_SECRET) and add ?secret=... to the hook URLs."
        );
    }
    if config.admin_token.as_deref().is_none_or(str::is_empty) {
        tracing::info!("no --admin-token: the admin API is closed");
    }
    let store = Store::open_with(&config.db, config.grouping())
        .await
        .with_context(|| format!("opening database {}", config.db))?;
    if config.demo {
        demo::seed(&store, &config.media_dir).await.context("seeding demo data")?;
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let addr = listener.local_addr()?;
    if !config.dist.join("index.html").exists() {
        tracing::warn!(dist = %config.dist.display(), "the web app is not built there: pages will say so (run `make build`)");
    }
    files::create_dir_durably(&config.images_dir)
        .with_context(|| format!("making the images folder {}", config.images_dir.display()))?;
    let media = storage::MediaStore::from_config(&config).context("the media store")?;
    tracing::info!(store = %media.describe(), "media store");
    let jobs = jobs::Jobs::new(store.clone(), config.instance(), std::time::Duration::from_secs(config.job_lease_secs))
        .context("making the HTTP client")?;
    let state = AppState {
        store,
        config: Arc::new(config),
        jobs,
        hook_limiter: Default::default(),
        metrics: Default::default(),
        hls_locks: Default::default(),
        media,
    };
    // The durable jobs' worker slots; with reconcile on, a first round is queued (once,
    // however many instances start) by their housekeeping.
    jobs::Jobs::start(&state);
    // SRS HLS recordings whose closing was lost with the last run, and idle ones.
    tokio::spawn(ingest::srs_hls::sweep_forever(state.clone()));
    // Broadcasts whose files are all in, or whose settle time passed.
    tokio::spawn(ingest::promote_forever(state.clone()));
    // Recordings past their storage time, and checks that remote files are still there.
    tokio::spawn(gone::check_forever(state.clone()));
    // Posters and storyboards of recordings that have none (the demo's among them).
    tokio::spawn(images::backfill(state.clone()));
    if let Some(at) = state.config.metrics_listen {
        let listener =
            tokio::net::TcpListener::bind(at).await.with_context(|| format!("listening for /metrics on {at}"))?;
        println!("Relive metrics at http://{}/metrics", listener.local_addr()?);
        tokio::spawn(serve(listener, metrics::router(state.clone())));
    }
    // Tests and scripts read this line to learn the address.
    println!("Relive is running at http://{addr}/");
    serve(listener, app(state.clone())).await;
    state.jobs.stop().await;
    Ok(())
}

/// How long a client may take to send a request's headers, and then its body.
pub const HEADER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Accepts connections until Ctrl-C or SIGTERM, then lets open requests finish. Unlike
/// `axum::serve`, a client that sends its headers too slowly (slow-loris) is cut off.
async fn serve(listener: tokio::net::TcpListener, app: Router) {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use hyper_util::server::conn::auto::Builder;
    use tower::ServiceExt;

    let app = app.layer(tower_http::timeout::RequestBodyTimeoutLayer::new(BODY_TIMEOUT));
    let mut builder = Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(HEADER_TIMEOUT);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut req: axum::extract::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
            app.clone().oneshot(req.map(axum::body::Body::new))
        });
        let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service).into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
        });
    }
    tokio::select! {
        _ = graceful.shutdown() => {},
        _ = tokio::time::sleep(std::time::Duration::from_secs(10)) => tracing::warn!("connections still open at shutdown"),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_is_503_with_the_database_error_when_it_does_not_answer() {
        let (status, Json(body)) = health_answer(Ok(()), Ok(()));
        assert_eq!(status, StatusCode::OK);
        assert_eq!((body["status"].as_str(), body["database"].as_str()), (Some("ok"), Some("ok")));
        let (status, Json(body)) = health_answer(Err("database is locked".into()), Ok(()));
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["status"], "unavailable");
        assert_eq!(body["database"], "database is locked");
        let (status, Json(body)) = health_answer(Ok(()), Err("connection refused".into()));
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!((body["database"].as_str(), body["storage"].as_str()), (Some("ok"), Some("connection refused")));
    }
}
