//! The ingest benchmark's peer: `POST /hooks/tencent` of a Tencent recording callback
//! (event 100), with what Relive promises and nothing more:
//! - the body is a JSON object; `sign == md5(key + t)` and `t` not past (120 s of skew),
//!   else 401; `stream_id`, `file_id`, `video_url`, `start_time`, `end_time` required, else 400;
//! - one writer thread takes every callback waiting, runs each insert in a savepoint of one
//!   `BEGIN IMMEDIATE` transaction, commits with `synchronous = FULL` in WAL mode, and
//!   only then answers each (200 `{"code":0}`); a repeated `file_id` is answered 200 too;
//! - the streamer row made if new, the whole payload kept, a per-streamer list index
//!   (streamer, start time, id) maintained, as Relive's parts are.
//!
//! Usage: `relive-bench-peer DB LISTEN_ADDR CALLBACK_KEY` (prints `listening on ADDR`).

use std::sync::mpsc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use md5::{Digest, Md5};
use rusqlite::{Connection, params};
use serde_json::{Map, Value};
use tokio::sync::oneshot;

struct Part {
    streamer: String,
    file_id: String,
    url: String,
    start: i64,
    end: i64,
    size: i64,
    raw: String,
}

type Job = (Part, oneshot::Sender<Result<(), String>>);

#[derive(Clone)]
struct App {
    key: String,
    queue: mpsc::Sender<Job>,
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

fn int(map: &Map<String, Value>, k: &str) -> Option<i64> {
    match map.get(k)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn text(map: &Map<String, Value>, k: &str) -> Option<String> {
    match map.get(k)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn parse(body: &[u8], key: &str) -> Result<Part, (StatusCode, &'static str)> {
    let bad = |what| (StatusCode::BAD_REQUEST, what);
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else { return Err(bad("malformed_json")) };
    let unsigned = (StatusCode::UNAUTHORIZED, "bad_signature");
    let sign = text(&map, "sign").ok_or(unsigned)?;
    let t = int(&map, "t").ok_or(unsigned)?;
    let expected: String =
        Md5::new_with_prefix(format!("{key}{t}")).finalize().iter().map(|b| format!("{b:02x}")).collect();
    if !constant_time_eq(sign.to_ascii_lowercase().as_bytes(), expected.as_bytes()) {
        return Err(unsigned);
    }
    if t.saturating_add(120) < now() {
        return Err((StatusCode::UNAUTHORIZED, "expired"));
    }
    if int(&map, "event_type") != Some(100) {
        return Err(bad("event_type"));
    }
    let start = int(&map, "start_time").ok_or(bad("start_time"))?;
    let end = int(&map, "end_time").ok_or(bad("end_time"))?;
    Ok(Part {
        streamer: text(&map, "stream_id").ok_or(bad("stream_id"))?,
        file_id: text(&map, "file_id").ok_or(bad("file_id"))?,
        url: text(&map, "video_url").filter(|u| u.starts_with("http")).ok_or(bad("video_url"))?,
        start,
        end: end.max(start),
        size: int(&map, "file_size").unwrap_or(0).max(0),
        raw: String::from_utf8_lossy(body).into_owned(),
    })
}

async fn hook(State(app): State<App>, body: Bytes) -> (StatusCode, &'static str) {
    let part = match parse(&body, &app.key) {
        Ok(p) => p,
        Err((status, why)) => return (status, why),
    };
    let (reply, answer) = oneshot::channel();
    if app.queue.send((part, reply)).is_err() {
        return (StatusCode::INTERNAL_SERVER_ERROR, "writer stopped");
    }
    match answer.await {
        Ok(Ok(())) => (StatusCode::OK, "{\"code\":0}"),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "not stored"),
    }
}

fn store(conn: &Connection, p: &Part, now: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("INSERT INTO streamers (id, created_at) VALUES (?1, ?2) ON CONFLICT (id) DO NOTHING")?
        .execute(params![p.streamer, now])?;
    conn.prepare_cached(
        "INSERT INTO parts (streamer_id, source, file_id, url, start_time, end_time, size_bytes, raw_payload, created_at)
         VALUES (?1, 'tencent', ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (source, file_id) DO NOTHING",
    )?
    .execute(params![p.streamer, p.file_id, p.url, p.start, p.end, p.size, p.raw, now])?;
    Ok(())
}

fn writer(conn: Connection, jobs: mpsc::Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < 512 {
            match jobs.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        let t = now();
        let mut results = Vec::with_capacity(batch.len());
        let commit = conn.execute_batch("BEGIN IMMEDIATE").and_then(|()| {
            for (part, _) in &batch {
                conn.execute_batch("SAVEPOINT job")?;
                let r = store(&conn, part, t);
                conn.execute_batch(if r.is_ok() { "RELEASE job" } else { "ROLLBACK TO job; RELEASE job" })?;
                results.push(r.map_err(|e| e.to_string()));
            }
            conn.execute_batch("COMMIT")
        });
        if commit.is_err() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        for (i, (_, reply)) in batch.into_iter().enumerate() {
            let r = match &commit {
                Ok(()) => results.get(i).cloned().unwrap_or(Err("not run".into())),
                Err(e) => Err(e.to_string()),
            };
            let _ = reply.send(r);
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [db, listen, key] = args.as_slice() else {
        return Err("usage: relive-bench-peer DB LISTEN_ADDR CALLBACK_KEY".into());
    };
    let conn = Connection::open(db)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         CREATE TABLE IF NOT EXISTS streamers (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL);
         CREATE TABLE IF NOT EXISTS parts (
             id INTEGER PRIMARY KEY AUTOINCREMENT,
             streamer_id TEXT NOT NULL REFERENCES streamers (id),
             source TEXT NOT NULL, file_id TEXT NOT NULL, url TEXT NOT NULL,
             start_time INTEGER NOT NULL, end_time INTEGER NOT NULL, size_bytes INTEGER NOT NULL,
             raw_payload TEXT, created_at INTEGER NOT NULL,
             UNIQUE (source, file_id));
         CREATE INDEX IF NOT EXISTS parts_list ON parts (streamer_id, start_time DESC, id DESC);",
    )?;
    let (queue, jobs) = mpsc::channel();
    std::thread::Builder::new().name("peer-writer".into()).spawn(move || writer(conn, jobs))?;
    let app = App { key: key.clone(), queue };
    let router = Router::new().route("/hooks/tencent", post(hook)).with_state(app);
    let listener = tokio::net::TcpListener::bind(listen.as_str()).await?;
    println!("listening on {}", listener.local_addr()?);
    axum::serve(listener, router).await?;
    Ok(())
}
