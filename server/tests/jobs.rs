//! Durable jobs (`src/jobs.rs`, `src/store/jobs.rs`): a job outlives the process that
//! held it. An FLV callback queues its keyframe index with the part; the server is killed
//! (SIGKILL) while the job's download hangs on a stalled CDN; a server started again on the
//! same database takes the job over once the dead one's lease runs out, and builds the
//! index — with no request asking for it. Stopped the ordinary way (SIGTERM), a server
//! hands its running jobs back, and the next one takes them at once.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::extract::State;
use common::{CALLBACK_KEY, Server, now, recording, wait_for};
use serde_json::json;

/// A loopback CDN serving one FLV; while `stalled`, requests hang.
#[derive(Default)]
struct Cdn {
    stalled: AtomicBool,
    /// Requests that arrived while stalled.
    hung: AtomicUsize,
    served: AtomicUsize,
    /// Of those served, the ones asking for the whole file (no `Range`): an index job's.
    whole: AtomicUsize,
}

async fn start_cdn(flv: Vec<u8>) -> (String, Arc<Cdn>) {
    let cdn = Arc::new(Cdn { stalled: AtomicBool::new(true), ..Cdn::default() });
    let flv = axum::body::Bytes::from(flv);
    let app = axum::Router::new()
        .route(
            "/{name}",
            axum::routing::get(move |State(cdn): State<Arc<Cdn>>, headers: axum::http::HeaderMap| {
                let flv = flv.clone();
                async move {
                    if cdn.stalled.load(Ordering::SeqCst) {
                        cdn.hung.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                    }
                    cdn.served.fetch_add(1, Ordering::SeqCst);
                    if !headers.contains_key(axum::http::header::RANGE) {
                        cdn.whole.fetch_add(1, Ordering::SeqCst);
                    }
                    flv
                }
            }),
        )
        .with_state(cdn.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, cdn)
}

fn args(instance: &str) -> Vec<String> {
    // 5 s: long enough that a busy machine's late heartbeat (every third of it) does not
    // let the lease lapse under a running job (it would run again, at attempt 3).
    ["--tencent-callback-key", CALLBACK_KEY, "--job-lease-secs", "5", "--instance-id", instance]
        .map(str::to_string)
        .to_vec()
}

#[tokio::test]
async fn a_job_survives_a_killed_server() {
    let flv = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/demo/night-studio.flv")).unwrap();
    let (cdn_base, cdn) = start_cdn(flv[..16 * 1024].to_vec()).await;
    let first = args("first");
    let s = Server::start_with(&first.iter().map(String::as_str).collect::<Vec<_>>());

    let mut p = recording("durable", "flv-1", now() - 120, 60);
    p["file_format"] = json!("flv");
    p["video_url"] = json!(format!("{cdn_base}/1.flv"));
    let (status, body) = s.tencent(p).await;
    assert_eq!(status, 200, "{body}");
    let part: i64 = s.db.strings("SELECT id FROM replays WHERE source_file_id = 'flv-1'")[0].parse().unwrap();
    // Queued with the part, in its transaction.
    let kinds = s.db.strings(&format!("SELECT kind FROM jobs WHERE key = {part} ORDER BY kind"));
    assert_eq!(kinds, ["images", "keyframes"]);

    // The index job is downloading from the stalled CDN: kill the server under it.
    wait_for("the index job's download", Duration::from_secs(10), || cdn.hung.load(Ordering::SeqCst) > 0).await;
    let held = s.db.strings(&format!("SELECT id || ' ' || worker FROM jobs WHERE kind = 'keyframes' AND key = {part}"));
    let (job, worker) = held[0].split_once(' ').unwrap();
    assert!(worker.starts_with("first/"), "claimed by the first server: {held:?}");
    // That row, by its id: the images job waiting for the index may queue another index
    // job if it looks just before this one finishes (that one then finds the index).
    let job = format!("id = {job}");
    let db = s.db.clone();
    let dir = s.stop();
    let state = db.strings(&format!("SELECT state || ' ' || attempts FROM jobs WHERE {job}"));
    assert_eq!(state, ["running 1"], "left running by the dead server");
    assert!(db.strings(&format!("SELECT replay_id FROM keyframe_indexes WHERE replay_id = {part}")).is_empty());

    // Started again on the same database: once the dead server's lease runs out (5 s),
    // the job is taken over and the index built, no request asking for it.
    cdn.stalled.store(false, Ordering::SeqCst);
    let second = args("second");
    let started = Instant::now();
    let s = Server::start_in(dir, &second.iter().map(String::as_str).collect::<Vec<_>>());
    let index_sql = format!("SELECT duration_ms FROM keyframe_indexes WHERE replay_id = {part} AND error IS NULL");
    wait_for("the index", Duration::from_secs(30), || !s.db.strings(&index_sql).is_empty()).await;
    let took = started.elapsed();
    let done = s.db.strings(&format!("SELECT state || ' ' || attempts || ' ' || worker FROM jobs WHERE {job}"));
    wait_for("the job's finish", Duration::from_secs(30), || {
        s.db.strings(&format!("SELECT state FROM jobs WHERE {job}")) == ["done"]
    })
    .await;
    println!("index built {took:?} after the restart; job row: {done:?}");
    let row = s.db.strings(&format!("SELECT attempts || ' ' || worker FROM jobs WHERE {job}"));
    assert!(row[0].starts_with("2 second/"), "taken over at attempt 2 by the second server: {row:?}");
    assert!(cdn.served.load(Ordering::SeqCst) >= 1);
    // The part's images ran too (made or failed: a 16 KB FLV slice), not lost either.
    wait_for("the images job", Duration::from_secs(30), || {
        s.db.strings(&format!("SELECT state FROM jobs WHERE kind = 'images' AND key = {part}")) == ["done"]
    })
    .await;
    // Once in whole, by the job taken over: an index job queued again meanwhile (see
    // above) finds the index built and fetches nothing.
    println!("served {} ({} whole)", cdn.served.load(Ordering::SeqCst), cdn.whole.load(Ordering::SeqCst));
    assert_eq!(cdn.whole.load(Ordering::SeqCst), 1, "the whole file fetched once");
    assert!(s.db.intact());
}

#[tokio::test]
async fn a_stopped_server_hands_its_jobs_back() {
    let flv = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/demo/night-studio.flv")).unwrap();
    let (cdn_base, cdn) = start_cdn(flv[..16 * 1024].to_vec()).await;
    // A long lease: a job handed back is taken at once, not when this runs out.
    let long = ["--tencent-callback-key", CALLBACK_KEY, "--job-lease-secs", "600"];
    let s = Server::start_with(&[&long[..], &["--instance-id", "first"]].concat());
    let mut p = recording("handback", "flv-h", now() - 120, 60);
    p["file_format"] = json!("flv");
    p["video_url"] = json!(format!("{cdn_base}/h.flv"));
    assert_eq!(s.tencent(p).await.0, 200);
    let part: i64 = s.db.strings("SELECT id FROM replays WHERE source_file_id = 'flv-h'")[0].parse().unwrap();
    let job = format!("kind = 'keyframes' AND key = {part}");
    wait_for("the index job's download", Duration::from_secs(10), || cdn.hung.load(Ordering::SeqCst) > 0).await;
    let db = s.db.clone();
    assert_eq!(db.strings(&format!("SELECT state || ' ' || attempts FROM jobs WHERE {job}")), ["running 1"]);

    let dir = s.terminate();
    let row =
        db.strings(&format!("SELECT state || ' ' || attempts || ' ' || COALESCE(worker, '-') FROM jobs WHERE {job}"));
    assert_eq!(row, ["queued 0 -"], "handed back, its attempt not counted");

    cdn.stalled.store(false, Ordering::SeqCst);
    let started = Instant::now();
    let s = Server::start_in(dir, &[&long[..], &["--instance-id", "second"]].concat());
    // Within 30 s: with the 600 s lease still running, only a hand-back makes it possible.
    wait_for("the job done by the next server", Duration::from_secs(30), || {
        s.db.strings(&format!("SELECT state FROM jobs WHERE {job}")) == ["done"]
    })
    .await;
    let row = s.db.strings(&format!("SELECT attempts || ' ' || worker FROM jobs WHERE {job}"));
    assert!(row[0].starts_with("1 second/"), "{row:?}");
    println!("handed-back job done {:?} after the restart (its lease had 600 s to run)", started.elapsed());
}
