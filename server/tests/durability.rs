//! A 200 means durable: thousands of callbacks fired concurrently, the server killed
//! with SIGKILL in the middle, restarted on the same database: every callback that
//! was answered 200 is stored exactly once, and the database is intact. On SQLite and,
//! with `RELIVE_TEST_DB=postgres`, on PostgreSQL.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{Server, now, recording, signed};

const CALLBACKS: usize = 4000;
const STREAMERS: usize = 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_acknowledged_callback_survives_sigkill() {
    let mut s = Server::start_with(&["--tencent-callback-key", common::CALLBACK_KEY, "--hook-rate-limit", "0"]);
    let url = s.url("/hooks/tencent");
    let client = reqwest::Client::builder().pool_max_idle_per_host(64).build().unwrap();
    let acked = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let ok_count = Arc::new(AtomicUsize::new(0));
    let sem = Arc::new(tokio::sync::Semaphore::new(64));
    let t0 = now() - 100_000;
    let mut tasks = Vec::new();
    for i in 0..CALLBACKS {
        let (client, url, acked, ok_count, sem) =
            (client.clone(), url.clone(), acked.clone(), ok_count.clone(), sem.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = sem.acquire().await.unwrap();
            let file_id = format!("dur-{i}");
            let body = signed(recording(&format!("dur{}", i % STREAMERS), &file_id, t0 + i as i64, 60));
            if let Ok(r) = client.post(&url).json(&body).send().await
                && r.status() == 200
                && r.text().await.is_ok_and(|t| t.contains("\"code\":0"))
            {
                acked.lock().unwrap().push(file_id);
                ok_count.fetch_add(1, Ordering::SeqCst);
            }
        }));
    }
    // Kill it mid-stream.
    while ok_count.load(Ordering::SeqCst) < CALLBACKS / 3 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    s.kill(); // SIGKILL
    for t in tasks {
        let _ = t.await;
    }
    let acked: HashSet<String> = acked.lock().unwrap().iter().cloned().collect();
    assert!(acked.len() >= CALLBACKS / 3 && acked.len() < CALLBACKS, "killed mid-stream: {} acknowledged", acked.len());

    let db = s.db.clone();
    let dir = s.stop();
    assert!(db.intact(), "the database is intact");
    let stored: HashSet<String> =
        db.strings("SELECT source_file_id FROM replays WHERE source = 'tencent'").into_iter().collect();
    let missing: Vec<_> = acked.difference(&stored).collect();
    assert!(missing.is_empty(), "{} acknowledged callbacks lost, e.g. {:?}", missing.len(), missing.first());
    let rows: usize = db.strings("SELECT COUNT(*) FROM replays")[0].parse().unwrap();
    assert_eq!(rows, stored.len(), "each stored once");
    // The server starts again on that database and serves it.
    let s = Server::start_in(dir, &[]);
    let (status, page) = s.get("/api/v1/streamers/dur0/replays?limit=100").await;
    assert_eq!(status, 200);
    assert!(!page["items"].as_array().unwrap().is_empty());
}
