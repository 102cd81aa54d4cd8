//! Two instances on one PostgreSQL database, as behind a load balancer: signed Tencent
//! callbacks alternate between them (every tenth goes to both), live start and stop
//! events of one stream land on different instances, both run the background jobs and
//! the reconcile rounds. A third of the way through, instance A is SIGKILLed; what A
//! was sent from then on goes to B. Then:
//! - every callback answered 200 is stored, each file once;
//! - every part's jobs ran to completion, once each: the jobs A held when it died were
//!   taken over by B (attempt 2), no other job ran twice, and no recording was
//!   downloaded more often than its jobs were attempted;
//! - Tencent's file list was polled by one instance at a time (never two calls at once),
//!   at most once per round, the rounds no more often than the interval, and on after A
//!   died;
//! - each stream's live state is its last event's; B stayed ready throughout;
//! - an MP4 copy asked of A and B at once is made once: one object in the shared bucket
//!   (a real SeaweedFS), the same bytes from both;
//! - a cursor from A pages on B, and after A is restarted both list the same pages;
//! - the database is intact (amcheck).
//!
//! PostgreSQL only: `make test` runs it in its PostgreSQL pass (`make test-postgres`).
//! SQLite is one process's database by design. `RELIVE_MI_CALLBACKS` sets the load.

mod common;
#[path = "common/seaweedfs.rs"]
mod seaweedfs;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use common::{Server, TestDb, now, on_postgres, recording, signed, wait_for};
use seaweedfs::SeaweedFs;
use serde_json::{Value, json};

const STREAMERS: usize = 40;
/// Streams with live events (and so polled by reconcile rounds).
const LIVE_STREAMS: usize = 8;
const IN_FLIGHT: usize = 32;
const LEASE_SECS: u64 = 4;
const HOOK_SECRET: &str = "mi-hook-secret";

/// A loopback CDN: the head of a real FLV at every `.flv` path, Range honoured, and a
/// few bytes that are no video at every other path (their images jobs end at once: the
/// test is about who runs the jobs, not about pictures); counts whole-file GETs per path
/// (what an index job or a full read costs).
#[derive(Default)]
struct Cdn {
    whole: Mutex<HashMap<String, usize>>,
}

async fn start_cdn() -> (String, Arc<Cdn>) {
    let demo = |name: &str| std::fs::read(format!("{}/demo/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    // A 24 KB head: real headers and a keyframe or two, cheap to index and read.
    let flv = Arc::new(demo("night-studio.flv")[..24 * 1024].to_vec());
    let mp4 = Arc::new(b"not a video file".to_vec());
    let cdn = Arc::new(Cdn::default());
    let app = axum::Router::new()
        .route(
            "/{name}",
            axum::routing::get(move |State(cdn): State<Arc<Cdn>>, Path(name): Path<String>, headers: HeaderMap| {
                let body = if name.ends_with(".flv") { flv.clone() } else { mp4.clone() };
                async move {
                    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok()).and_then(parse_range);
                    let Some((from, to)) = range else {
                        *cdn.whole.lock().unwrap().entry(name).or_default() += 1;
                        // Slow enough that a kill finds index jobs mid-download.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        return (StatusCode::OK, body.to_vec()).into_response();
                    };
                    let len = body.len() as u64;
                    if from >= len {
                        return (
                            StatusCode::RANGE_NOT_SATISFIABLE,
                            [(header::CONTENT_RANGE, format!("bytes */{len}"))],
                        )
                            .into_response();
                    }
                    let to = to.min(len - 1);
                    (
                        StatusCode::PARTIAL_CONTENT,
                        [(header::CONTENT_RANGE, format!("bytes {from}-{to}/{len}"))],
                        body[from as usize..=to as usize].to_vec(),
                    )
                        .into_response()
                }
            }),
        )
        .with_state(cdn.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, cdn)
}

/// `bytes=a-b` or `bytes=a-`.
fn parse_range(v: &str) -> Option<(u64, u64)> {
    let (a, b) = v.strip_prefix("bytes=")?.split_once('-')?;
    Some((a.parse().ok()?, if b.is_empty() { u64::MAX } else { b.parse().ok()? }))
}

/// Tencent's file-list API: each live stream lists one file (also sent by callback);
/// every call takes 100 ms, so two pollers at once would overlap.
#[derive(Default)]
struct FileList {
    cdn: String,
    /// (stream, when) of every call.
    calls: Mutex<Vec<(String, Instant)>>,
    in_flight: AtomicUsize,
    most_at_once: AtomicUsize,
}

async fn start_file_list(cdn: String) -> (String, Arc<FileList>) {
    let api = Arc::new(FileList { cdn, ..FileList::default() });
    let app = axum::Router::new()
        .route(
            "/common_access",
            axum::routing::get(
                |State(api): State<Arc<FileList>>, Query(q): Query<HashMap<String, String>>| async move {
                    let n = api.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                    api.most_at_once.fetch_max(n, Ordering::SeqCst);
                    let stream = q.get("Param.s.channel_id").cloned().unwrap_or_default();
                    api.calls.lock().unwrap().push((stream.clone(), Instant::now()));
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    api.in_flight.fetch_sub(1, Ordering::SeqCst);
                    // The stream's first callback's file: `mi-{k}` for stream `mi{k:02}`.
                    let k: usize = stream.trim_start_matches("mi").parse().unwrap_or(0);
                    axum::Json(json!({
                        "ret": 0, "retcode": 0, "errmsg": "", "message": "",
                        "output": {"all_count": 1, "file_list": [
                            {"file_id": format!("mi-{k}"), "vid": format!("v{k}"),
                             "record_file_url": file_url(&api.cdn, k),
                             "start_time": "2026-11-24 10:00:00", "end_time": "2026-11-24 10:01:00"}
                        ]}
                    }))
                },
            ),
        )
        .with_state(api.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/common_access", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, api)
}

/// Callback `i`'s file: FLV for even `i` (a keyframe index job downloads it), else MP4.
fn file_url(cdn: &str, i: usize) -> String {
    format!("{cdn}/mi-{i}.{}", if i.is_multiple_of(2) { "flv" } else { "mp4" })
}

fn callback(cdn: &str, i: usize, t0: i64) -> Value {
    let mut p = recording(&format!("mi{:02}", i % STREAMERS), &format!("mi-{i}"), t0 + 100 * i as i64, 60);
    p["video_url"] = json!(file_url(cdn, i));
    p["file_format"] = json!(if i.is_multiple_of(2) { "flv" } else { "mp4" });
    p
}

/// The two instances' addresses; A's calls go to B once A is gone.
#[derive(Clone)]
struct Balancer {
    http: reqwest::Client,
    a: String,
    b: String,
}

impl Balancer {
    /// Posts a signed Tencent callback to A (`to_a`) or B; a call A cannot answer (its
    /// connection refused or cut by the kill) is sent to B, as a balancer would retry.
    async fn tencent(&self, to_a: bool, payload: &Value) -> u16 {
        let body = signed(payload.clone());
        if to_a && let Ok(r) = self.http.post(format!("{}/hooks/tencent", self.a)).json(&body).send().await {
            return r.status().as_u16();
        }
        let r = self.http.post(format!("{}/hooks/tencent", self.b)).json(&body).send().await;
        r.unwrap_or_else(|e| panic!("B did not answer: {e}")).status().as_u16()
    }
}

fn args(instance: &str, api: &str, bucket: &SeaweedFs) -> Vec<String> {
    let lease = LEASE_SECS.to_string();
    let mut args = bucket.flags();
    args.extend(
        [
            "--tencent-callback-key",
            common::CALLBACK_KEY,
            "--hook-secret",
            HOOK_SECRET,
            "--hook-rate-limit",
            "0",
            "--job-lease-secs",
            &lease,
            "--instance-id",
            instance,
            "--tencent-appid",
            "1234",
            "--tencent-api-key",
            "api-key",
            "--tencent-api-url",
            api,
            "--reconcile-interval",
            "1",
        ]
        .map(str::to_string),
    );
    args
}

fn start(db: Option<&TestDb>, args: &[String]) -> Server {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match db {
        Some(db) => Server::start_sharing(db, &args),
        None => Server::start_with(&args),
    }
}

/// Every page of a streamer's replay list, `limit` a page, walked from `base`.
async fn pages(http: &reqwest::Client, base: &str, stream: &str, limit: usize) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{base}/api/v1/streamers/{stream}/replays?limit={limit}");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page: Value = http.get(url).send().await.unwrap().json().await.unwrap();
        cursor = page["next_cursor"].as_str().map(str::to_string);
        out.push(page);
        if cursor.is_none() {
            return out;
        }
    }
}

/// `kind key` → `state attempts worker` of every part job (reconcile rounds aside).
fn part_jobs(db: &TestDb) -> BTreeMap<String, String> {
    db.strings(
        "SELECT kind || ' ' || key || '|' || state || ' ' || attempts || ' ' || COALESCE(worker, '')
         FROM jobs WHERE kind <> 'reconcile' AND kind <> 'check_file'",
    )
    .into_iter()
    .map(|row| {
        let (job, rest) = row.split_once('|').unwrap();
        (job.to_string(), rest.to_string())
    })
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_one_truth_through_a_kill() {
    if !on_postgres() {
        // Not skipped: `make test` runs this binary again on PostgreSQL, where it runs.
        println!("multi_instance: PostgreSQL only (make test-postgres)");
        return;
    }
    let callbacks: usize = std::env::var("RELIVE_MI_CALLBACKS").ok().and_then(|v| v.parse().ok()).unwrap_or(600);
    let (cdn_base, cdn) = start_cdn().await;
    let (api_url, api) = start_file_list(cdn_base.clone()).await;
    let bucket = SeaweedFs::start();
    *common::SERVER_ENV.lock().unwrap() = SeaweedFs::env();
    let began = Instant::now();
    let mut a = start(None, &args("A", &api_url, &bucket));
    let db = a.db.clone();
    let b = start(Some(&db), &args("B", &api_url, &bucket));
    let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
    let lb = Balancer { http: http.clone(), a: a.base.clone(), b: b.base.clone() };

    // A recording nginx-rtmp wrote on A's host: A uploads it to the bucket, B plays it
    // from there, and its MP4 copy, asked of both at once, is made once.
    let flv = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/demo/night-studio.flv")).unwrap();
    let path = a.path("media").join("live/mi39-1700000000.flv");
    common::write_file(&path, &flv);
    let form = [("call", "record_done"), ("app", "live"), ("name", "mi39"), ("path", &path.to_string_lossy())];
    let (status, body) = a.post_form(&format!("/hooks/nginx-rtmp?secret={HOOK_SECRET}"), &form).await;
    assert_eq!(status, 200, "{body}");
    let played = http.get(b.url("/media/live/mi39-1700000000.flv")).send().await.unwrap();
    assert_eq!(played.status(), 200);
    assert_eq!(played.bytes().await.unwrap(), flv, "B plays A's recording from the bucket");
    let full_id = db.strings("SELECT id FROM replays WHERE url = '/media/live/mi39-1700000000.flv'")[0].clone();
    let mp4 = |s: &Server| s.url(&format!("/api/v1/replays/{full_id}/mp4"));
    let (on_a, on_b) = tokio::join!(http.get(mp4(&a)).send(), http.get(mp4(&b)).send());
    let (on_a, on_b) = (on_a.unwrap(), on_b.unwrap());
    assert_eq!((on_a.status().as_u16(), on_b.status().as_u16()), (200, 200));
    let (on_a, on_b) = (on_a.bytes().await.unwrap(), on_b.bytes().await.unwrap());
    assert_eq!(&on_a[4..8], b"ftyp");
    assert_eq!(on_a, on_b, "the same MP4 from both instances");
    let copies: Vec<_> = {
        use futures::TryStreamExt;
        bucket.store().list(Some(&"derived/mp4".into())).try_collect::<Vec<_>>().await.unwrap()
    };
    let key = format!("derived/mp4/{full_id}.mp4");
    assert_eq!(copies.iter().map(|m| m.location.to_string()).collect::<Vec<_>>(), [key], "one object");
    assert_eq!(copies[0].size as usize, on_a.len());

    // B answers /readyz 200 throughout.
    let load_done = Arc::new(AtomicBool::new(false));
    let ready = {
        let (http, url, done) = (http.clone(), b.url("/readyz"), load_done.clone());
        tokio::spawn(async move {
            let (mut ok, mut bad) = (0, Vec::new());
            while !done.load(Ordering::SeqCst) {
                match http.get(&url).send().await {
                    Ok(r) if r.status() == 200 => ok += 1,
                    other => bad.push(format!("{other:?}")),
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            (ok, bad)
        })
    };

    // Live events: LIVE_STREAMS streams go live on A and stop on B, six times; the even
    // ones go live once more at the end. Event times order them, whoever stores them.
    let t0 = now();
    let live = {
        let lb = lb.clone();
        tokio::spawn(async move {
            let mut expect = BTreeMap::new();
            for round in 0..6i64 {
                for s in 0..LIVE_STREAMS {
                    let stream = format!("mi{s:02}");
                    let at = t0 - 1000 + round * 10;
                    let ev = |kind: i64, at: i64| json!({"event_type": kind, "stream_id": stream, "event_time": at, "sequence": "1"});
                    assert_eq!(lb.tencent(true, &ev(1, at)).await, 200);
                    assert_eq!(lb.tencent(false, &ev(0, at + 5)).await, 200);
                    expect.insert(stream.clone(), false);
                    if round == 5 && s.is_multiple_of(2) {
                        assert_eq!(lb.tencent(true, &ev(1, at + 8)).await, 200);
                        expect.insert(stream, true);
                    }
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            expect
        })
    };

    // The load: IN_FLIGHT senders over the callbacks, alternating A and B.
    let next = Arc::new(AtomicUsize::new(0));
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut senders = Vec::new();
    for _ in 0..IN_FLIGHT {
        let (lb, next, acked, cdn_base) = (lb.clone(), next.clone(), acked.clone(), cdn_base.clone());
        senders.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= callbacks {
                    return;
                }
                let p = callback(&cdn_base, i, t0 - 500_000);
                let status = if i.is_multiple_of(10) {
                    let (x, y) = tokio::join!(lb.tencent(true, &p), lb.tencent(false, &p));
                    assert_eq!((x, y), (200, 200), "callback {i} sent to both");
                    x
                } else {
                    lb.tencent(i.is_multiple_of(2), &p).await
                };
                assert_eq!(status, 200, "callback {i}");
                acked.lock().unwrap().push(format!("mi-{i}"));
            }
        }));
    }

    // A cursor taken on A, to be followed on B after A is gone.
    let started = Instant::now();
    let (first, cursor) = loop {
        let page: Value =
            http.get(a.url("/api/v1/streamers/mi00/replays?limit=2")).send().await.unwrap().json().await.unwrap();
        if let Some(c) = page["next_cursor"].as_str() {
            break (page.clone(), c.to_string());
        }
        assert!(started.elapsed() < Duration::from_secs(60), "mi00 never had two pages: {page}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    // A third of the way: SIGKILL A.
    wait_for("a third of the callbacks", Duration::from_secs(300), || acked.lock().unwrap().len() >= callbacks / 3)
        .await;
    a.kill();
    let killed = Instant::now();
    let held_by_a: HashSet<String> = db
        .strings("SELECT kind || ' ' || key FROM jobs WHERE state = 'running' AND worker LIKE 'A/%'")
        .into_iter()
        .collect();
    let acked_at_kill = acked.lock().unwrap().len();

    let second: Value = http
        .get(b.url(&format!("/api/v1/streamers/mi00/replays?limit=2&cursor={cursor}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = second["items"].as_array().expect("A's cursor pages on B");
    assert!(!items.is_empty(), "{second}");
    let seen: HashSet<&Value> = first["items"].as_array().unwrap().iter().map(|r| &r["id"]).collect();
    assert!(items.iter().all(|r| !seen.contains(&r["id"])), "the next page, not the first again");

    for s in senders {
        s.await.unwrap();
    }
    let expect_live = live.await.unwrap();
    let sent = began.elapsed();

    // Every part's jobs run out (A's taken over once its lease lapses), and rounds go on.
    let started = Instant::now();
    while !part_jobs(&db).values().all(|v| v.starts_with("done ")) {
        // Generous: images take two slots per instance, and the machine is shared.
        if started.elapsed() > Duration::from_secs(300) {
            let states = db.strings(
                "SELECT kind || ' ' || state || ' ' || COUNT(*) || ' attempts ' || MAX(attempts)
                 FROM jobs GROUP BY kind, state ORDER BY 1",
            );
            panic!("part jobs not done after 300 s: {states:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    wait_for("a reconcile round after A died", Duration::from_secs(60), || {
        let after = killed + Duration::from_secs(LEASE_SECS + 1);
        api.calls.lock().unwrap().iter().any(|(_, at)| *at > after)
    })
    .await;
    load_done.store(true, Ordering::SeqCst);
    let (ready_ok, not_ready) = ready.await.unwrap();
    let elapsed = began.elapsed();

    // Every acknowledged callback stored, each file once.
    let acked: Vec<String> = acked.lock().unwrap().clone();
    assert_eq!(acked.len(), callbacks);
    let stored = db.strings("SELECT source_file_id FROM replays WHERE source_file_id LIKE 'mi-%'");
    let stored_set: HashSet<&String> = stored.iter().collect();
    assert_eq!(stored.len(), stored_set.len(), "no file stored twice");
    let missing: Vec<&String> = acked.iter().filter(|f| !stored_set.contains(f)).collect();
    assert!(missing.is_empty(), "acknowledged but not stored: {missing:?}");

    // Each part's jobs: one row, done; attempt 2 (B) for those A held, 1 for the rest.
    let jobs = part_jobs(&db);
    let flv_parts = db.strings(
        "SELECT id || ' ' || source_file_id FROM replays WHERE source_file_id LIKE 'mi-%' AND url LIKE '%.flv'",
    );
    assert_eq!(flv_parts.len(), callbacks.div_ceil(2));
    assert_eq!(
        jobs.get(&format!("mp4 {full_id}")).map(String::as_str).unwrap_or("").split(' ').take(2).collect::<Vec<_>>(),
        ["done", "1"],
        "one MP4 job, run once"
    );
    for part in &flv_parts {
        let id = part.split(' ').next().unwrap();
        assert!(jobs.contains_key(&format!("keyframes {id}")), "part {part} queued its index");
        assert!(jobs.contains_key(&format!("images {id}")), "part {part} queued its images");
    }
    let mut taken_over = 0;
    for (job, row) in &jobs {
        let mut f = row.split(' ');
        let (state, attempts, worker) = (f.next().unwrap(), f.next().unwrap(), f.next().unwrap_or(""));
        assert_eq!(state, "done", "{job}");
        if held_by_a.contains(job) {
            taken_over += 1;
            assert_eq!(attempts, "2", "{job}: A's job taken over once ({row})");
            assert!(worker.starts_with("B/"), "{job}: by B ({row})");
        } else {
            assert_eq!(attempts, "1", "{job}: ran once ({row})");
        }
    }
    // No recording fetched whole more often than its jobs were attempted.
    let whole = cdn.whole.lock().unwrap().clone();
    for part in &flv_parts {
        let (id, file) = part.split_once(' ').unwrap();
        let tries: usize = ["keyframes", "images", "mp4"]
            .iter()
            .filter_map(|k| jobs.get(&format!("{k} {id}")))
            .map(|row| row.split(' ').nth(1).unwrap().parse::<usize>().unwrap())
            .sum();
        let got = whole.get(&format!("{file}.flv")).copied().unwrap_or(0);
        assert!(got <= tries, "{file}.flv fetched whole {got} times for {tries} job attempts");
    }

    // Reconcile: one poller at a time, each stream once a round, rounds at the interval.
    let calls = api.calls.lock().unwrap().clone();
    let rounds =
        db.strings("SELECT COUNT(*) FROM jobs WHERE kind = 'reconcile' AND state = 'done'")[0].parse::<u64>().unwrap();
    assert_eq!(api.most_at_once.load(Ordering::SeqCst), 1, "never two pollers at once");
    assert!(rounds >= 2, "rounds ran: {rounds}");
    assert!(rounds <= elapsed.as_secs() + 2, "{rounds} rounds in {elapsed:?} at a 1 s interval");
    let mut per_stream: BTreeMap<&str, u64> = BTreeMap::new();
    for (stream, _) in &calls {
        *per_stream.entry(stream).or_default() += 1;
    }
    // + 2: the round A died in (done again by B) and one under way.
    for (stream, n) in &per_stream {
        assert!(*n <= rounds + 2, "{stream} polled {n} times in {rounds} rounds");
    }

    // Live state: each stream's last event, asked of B.
    for (stream, live) in &expect_live {
        let (status, body) = b.get(&format!("/api/v1/streamers/{stream}")).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["live"], json!(live), "{stream}: {body}");
    }
    assert!(not_ready.is_empty(), "B not ready {} times: {:?}", not_ready.len(), &not_ready[..not_ready.len().min(3)]);

    // A restarted: both instances list the same pages with the same cursors.
    let a2 = start(Some(&db), &args("A2", &api_url, &bucket));
    for s in [0, 1, LIVE_STREAMS, STREAMERS - 1] {
        let stream = format!("mi{s:02}");
        let (on_a, on_b) = tokio::join!(pages(&http, &a2.base, &stream, 7), pages(&http, &b.base, &stream, 7));
        assert_eq!(on_a, on_b, "{stream}");
        assert!(on_a.len() > 1, "{stream}: more than one page");
    }
    assert!(db.intact(), "amcheck");

    println!(
        "multi_instance: {callbacks} callbacks ({acked_at_kill} acknowledged when A was killed) sent in {sent:.1?}; \
         {} part jobs, {taken_over} taken over from A; {rounds} reconcile rounds, {} file-list calls in {elapsed:.1?}; \
         B ready at all {ready_ok} checks",
        jobs.len(),
        calls.len()
    );
}
