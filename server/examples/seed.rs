//! Seeds a database for the server benchmarks (`bench/server/`), through the store's
//! public API only: `Store::open` and `record_replay`, many calls in flight at once so
//! the writer thread commits them in batches, as it does under a burst of callbacks.
//!
//! ```sh
//! cargo run --release -p relive-server --example seed -- DB [REPLAYS] [STREAMERS] [IN_FLIGHT]
//! ```
//!
//! `DB` is what `relive --db` takes: a SQLite path, or a `postgres://` URL (`seed URL 0`
//! only applies the migrations: `bench/server/run.sh` fills PostgreSQL by copying the
//! seeded SQLite database's rows with `COPY`, `bench/server/sqlite-to-pg.py`).
//!
//! Defaults: 1,000,000 replays, 10,000 streamers (`bench_00000` ...), 1024 in flight.
//! The first 1 % of streamers ("heavy") hold 20 % of the replays, so that some lists are
//! 100 pages long; the others share the rest evenly. Each streamer's replays are spread
//! over the two years before now (5 min to 3 h long), and they are recorded in start-time
//! order across all streamers, as callbacks would have arrived. Deterministic apart from
//! "now". Prints the heavy streamers' ids to stdout's last line (`heavy: N`) and the rate.

use std::path::PathBuf;
use std::time::Instant;

use futures::StreamExt;
use relive_api::ReplayFormat;
use relive_server::store::{DbUrl, Ingest, NewReplay, Store, unix_now};

const YEAR: i64 = 365 * 86_400;

/// splitmix64: a small deterministic generator, enough for plausible data.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(db) = args.first() else {
        anyhow::bail!("usage: seed DB [REPLAYS] [STREAMERS] [IN_FLIGHT]");
    };
    let db = DbUrl::parse(db).map_err(anyhow::Error::msg)?;
    let arg = |i: usize, default: u64| args.get(i).map(|s| s.parse::<u64>()).transpose().map(|v| v.unwrap_or(default));
    let replays = arg(1, 1_000_000)?;
    let streamers = arg(2, 10_000)?.max(1);
    let in_flight = arg(3, 1024)?.max(1) as usize;

    // How many replays each streamer gets: 1 % of them share 20 %, the rest share 80 %.
    let heavy = (streamers / 100).max(1);
    let light = streamers - heavy;
    let heavy_total = if light == 0 { replays } else { replays / 5 };
    let share = |total: u64, n: u64, i: u64| total / n + u64::from(i < total % n);
    let counts: Vec<u64> = (0..streamers)
        .map(|s| if s < heavy { share(heavy_total, heavy, s) } else { share(replays - heavy_total, light, s - heavy) })
        .collect();

    // Every replay's start time; then all of them in start-time order.
    let now = unix_now();
    let first = now - 2 * YEAR;
    let mut rng = Rng(0x5EED);
    let mut plan: Vec<(i64, u32, u32)> = Vec::with_capacity(replays as usize);
    for (s, &n) in counts.iter().enumerate() {
        let step = (2 * YEAR) / n.max(1) as i64;
        for k in 0..n {
            let jitter = rng.below(step.max(1) as u64 / 2 + 1) as i64;
            plan.push((first + k as i64 * step + jitter, s as u32, k as u32));
        }
    }
    plan.sort_unstable();

    let store = Store::open(&db).await?;
    let started = Instant::now();
    let mut done = 0u64;
    let mut stored = 0u64;
    let mut last_report = Instant::now();
    let mut calls = futures::stream::iter(plan.into_iter().map(|(start, s, k)| {
        let store = store.clone();
        // Per-replay values from its own generator, so they do not depend on the order of completion.
        let mut r = Rng(((s as u64) << 32) | k as u64);
        let duration = 300 + r.below(3 * 3600 - 300) as i64;
        let streamer_id = format!("bench_{s:05}");
        let file_id = format!("5285890{s:05}{k:06}");
        async move {
            store
                .record_replay(NewReplay {
                    url: format!("https://vod.example.com/{streamer_id}/{file_id}/f0.mp4"),
                    streamer_id,
                    source: "tencent".into(),
                    source_file_id: file_id,
                    title: None,
                    format: ReplayFormat::Mp4,
                    start_time: start,
                    end_time: start + duration,
                    duration_ms: duration as u64 * 1000,
                    // ~1.5 Mbit/s
                    size_bytes: duration as u64 * 190_000,
                    raw_payload: None,
                    facts: None,
                    follow_ups: Vec::new(),
                    // Hours apart at least: each replay is its own broadcast, grouped by time.
                    sessions: Vec::new(),
                })
                .await
        }
    }))
    .buffer_unordered(in_flight);
    while let Some(result) = calls.next().await {
        if let Ingest::Stored(_) = result? {
            stored += 1;
        }
        done += 1;
        if last_report.elapsed().as_secs() >= 10 {
            last_report = Instant::now();
            eprintln!(
                "  seeded {done} of {replays} ({:.0} replays/s so far)",
                done as f64 / started.elapsed().as_secs_f64()
            );
        }
    }
    let secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(stored == replays, "stored {stored} of {replays}: the database was not empty");
    // Let the writer thread close the database, which folds the WAL into the file, so
    // that the file alone is the database (copies of it need nothing else).
    drop(calls);
    drop(store);
    if let DbUrl::Sqlite(path) = &db {
        let wal = PathBuf::from(format!("{}-wal", path.display()));
        let closing = Instant::now();
        while wal.exists() && closing.elapsed().as_secs() < 60 {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
    println!(
        "seeded {replays} replays over {streamers} streamers in {secs:.1} s: {:.0} replays/s ({in_flight} calls in flight)",
        replays as f64 / secs
    );
    println!("heavy: {heavy}");
    Ok(())
}
