//! A burst of FLV recording callbacks, each naming a remote FLV to index: the hooks answer
//! at once, downloads run a few at a time through one HTTP client, memory stays bounded,
//! every index still gets built, and each file is fetched whole once (the images job reads
//! its keyframes by Range, with that index). (Before: each callback started its own download at
//! once, with no bound: ~1,000 callbacks/s against ~15,000 for MP4, 281 MB resident.)

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use common::{Server, now, recording, signed};
use futures::StreamExt;
use serde_json::{Value, json};

const SQLITE_CALLBACKS: usize = 10_000;
/// On PostgreSQL the burst is smaller: there every statement of the grouping rules is a
/// round trip (one stream's writes batch into one transaction, but run one after
/// another), ~70 callbacks/s for one stream in a debug build on 2 busy cores, so 10,000
/// would take minutes. What this test asserts (bounded downloads and memory, each file
/// fetched once, every index built) holds at any size.
const POSTGRES_CALLBACKS: usize = 2_000;
/// The same burst as MP4 callbacks (no indexing), for the rate to compare with.
const MP4_CALLBACKS: usize = 2_000;
/// `relive_server::jobs::WORKERS`.
const WORKERS: usize = 4;

/// A loopback CDN that serves one small FLV under any name, whole or a Range's slice (206),
/// and counts what it serves.
#[derive(Default)]
struct Cdn {
    in_flight: AtomicUsize,
    most_at_once: AtomicUsize,
    /// Whole fetches per name.
    served: Mutex<HashMap<String, usize>>,
    requests: AtomicUsize,
    ranged: AtomicUsize,
}

async fn start_cdn(flv: Vec<u8>) -> (String, Arc<Cdn>) {
    let cdn = Arc::new(Cdn::default());
    let flv = axum::body::Bytes::from(flv);
    let app = axum::Router::new()
        .route(
            "/{name}",
            axum::routing::get(move |State(cdn): State<Arc<Cdn>>, Path(name): Path<String>, headers: HeaderMap| {
                let flv = flv.clone();
                async move {
                    let now = cdn.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                    cdn.most_at_once.fetch_max(now, Ordering::SeqCst);
                    cdn.requests.fetch_add(1, Ordering::SeqCst);
                    let len = flv.len();
                    let range = headers
                        .get(header::RANGE)
                        .and_then(|v| v.to_str().ok()?.strip_prefix("bytes=")?.split_once('-'))
                        .and_then(|(a, b)| Some((a.parse::<usize>().ok()?, b.parse().unwrap_or(len - 1))))
                        .filter(|&(from, _)| from < len);
                    // Long enough for downloads to overlap if nothing bounds them.
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    cdn.in_flight.fetch_sub(1, Ordering::SeqCst);
                    match range {
                        Some((from, to)) => {
                            cdn.ranged.fetch_add(1, Ordering::SeqCst);
                            let to = to.min(len - 1);
                            let mut h = HeaderMap::new();
                            h.insert(header::CONTENT_RANGE, format!("bytes {from}-{to}/{len}").parse().unwrap());
                            (StatusCode::PARTIAL_CONTENT, h, flv.slice(from..=to))
                        }
                        None => {
                            *cdn.served.lock().unwrap().entry(name).or_default() += 1;
                            (StatusCode::OK, HeaderMap::new(), flv)
                        }
                    }
                }
            }),
        )
        .with_state(cdn.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, cdn)
}

/// Sends the callbacks, 64 at a time; returns callbacks per second.
async fn burst(s: &Server, payloads: Vec<Value>) -> f64 {
    let started = Instant::now();
    let n = payloads.len();
    let statuses: Vec<u16> = futures::stream::iter(payloads)
        .map(|p| async move {
            let r = s.http.post(s.url("/hooks/tencent")).json(&signed(p)).send().await.unwrap();
            r.status().as_u16()
        })
        .buffer_unordered(64)
        .collect()
        .await;
    assert!(statuses.iter().all(|&c| c == 200), "not every callback was accepted");
    n as f64 / started.elapsed().as_secs_f64()
}

/// Peak resident memory of a process, in MB.
fn peak_rss_mb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() / 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_flv_callbacks_is_answered_at_once_and_every_index_is_built() {
    let callbacks = if common::on_postgres() { POSTGRES_CALLBACKS } else { SQLITE_CALLBACKS };
    // The first 16 KB of the demo FLV: a valid FLV cut short, indexed up to the cut.
    let flv = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/demo/night-studio.flv")).unwrap();
    let (cdn_base, cdn) = start_cdn(flv[..16 * 1024].to_vec()).await;
    let s = Server::start_with(&["--tencent-callback-key", common::CALLBACK_KEY, "--hook-rate-limit", "0"]);
    // Far enough apart (over --broadcast-gap) that each file is its own broadcast.
    let t = now() - 3600 - callbacks as i64 * 1000;

    let flv_callbacks = (0..callbacks)
        .map(|i| {
            let mut p = recording("burst", &format!("flv-{i}"), t + i as i64 * 1000, 60);
            p["file_format"] = json!("flv");
            p["video_url"] = json!(format!("{cdn_base}/{i}.flv"));
            p
        })
        .collect();
    let flv_rate = burst(&s, flv_callbacks).await;
    let mp4_callbacks =
        (0..MP4_CALLBACKS).map(|i| recording("mp4-burst", &format!("mp4-{i}"), t + i as i64 * 1000, 60)).collect();
    let mp4_rate = burst(&s, mp4_callbacks).await;
    let build = if cfg!(debug_assertions) { "debug" } else { "release" };
    eprintln!(
        "{callbacks} FLV callbacks: {flv_rate:.0}/s; {MP4_CALLBACKS} MP4 callbacks: {mp4_rate:.0}/s ({build} build)"
    );

    // Every queued index is built: each file fetched whole once, and never more than WORKERS
    // at once.
    // 600 s: on this 2-core machine, shared with other builds, 10,000 indexes took 215 s
    // alone and up to ~300 s under load (each job a claim, an index and a finish: three
    // durable commits). The assertion is that every one is built, not how fast.
    let deadline = Instant::now() + Duration::from_secs(600);
    while cdn.served.lock().unwrap().len() < callbacks {
        assert!(Instant::now() < deadline, "only {} of {callbacks} indexed", cdn.served.lock().unwrap().len());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let most = cdn.most_at_once.load(Ordering::SeqCst);
    eprintln!("downloads at once: at most {most}; server peak resident memory: {} MB", peak_rss_mb(s.pid()));
    assert!(most <= WORKERS, "{most} downloads ran at once");
    // Each file whole once, by its index job; the images jobs (crate::images, two at a
    // time, running behind) read the head and the picked keyframes by Range with that
    // index. Their jobs still running fetch nothing whole either: checked again below.
    let fetched_twice = |cdn: &Cdn| cdn.served.lock().unwrap().values().filter(|&&n| n > 1).count();
    assert_eq!(fetched_twice(&cdn), 0, "files fetched whole more than once");
    // Unbounded downloads took this burst to 281 MB. Bounded, a debug build peaks at
    // 145–165 MB: since this limit was set at 150, the writer's page cache grew by 14 MiB
    // (issue 15, bench/README.md), and the images jobs decode two recordings at a time.
    // 200 MB still fails the unbounded case by a wide margin.
    assert!(peak_rss_mb(s.pid()) < 200, "the server grew to {} MB", peak_rss_mb(s.pid()));

    // ...and stored: every replay's index answers 200 (a missing one would answer 202).
    let mut ids = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, page) = s.get(&format!("/api/v1/streamers/burst/replays?limit=100{cursor}")).await;
        assert_eq!(status, 200, "{page}");
        ids.extend(page["items"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(ids.len(), callbacks);
    // The last saves may still be in the writer's batch: allow a moment.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let s = &s;
    let statuses: Vec<u16> = futures::stream::iter(ids)
        .map(|id| async move { s.get(&format!("/api/v1/replays/{id}/keyframes")).await.0 })
        .buffer_unordered(16)
        .collect()
        .await;
    let built = statuses.iter().filter(|&&c| c == 200).count();
    assert_eq!(built, callbacks, "{} indexes missing", callbacks - built);
    let whole: usize = cdn.served.lock().unwrap().values().sum();
    let ranged = cdn.ranged.load(Ordering::SeqCst);
    eprintln!("{whole} whole fetches, {ranged} Range requests (images jobs so far)");
    assert_eq!(whole, callbacks, "each file fetched whole once");
    assert!(ranged > 0, "no images job read by Range");
    assert_eq!(fetched_twice(&cdn), 0, "files fetched whole more than once");
}
