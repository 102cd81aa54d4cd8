//! All of Relive's SQL, behind one narrow interface.
//!
//! Callers speak in domain values (`NewReplay`, `LiveEvent`, keys for pages) and get
//! domain values back; nothing outside this module sees a connection or a statement,
//! so a PostgreSQL backend can later sit behind the same methods.
//!
//! SQLite layout:
//! - one **writer** thread owns the only write connection. It takes jobs from a queue,
//!   runs as many as are waiting in one transaction (each inside its own savepoint, so
//!   one failing job does not undo the others), commits with `synchronous=FULL`, and
//!   only then answers each job. A write that returned `Ok` is on disk: callers may
//!   acknowledge it to the outside world. Batching keeps that fast under load.
//! - a small pool of **read** connections (WAL lets them read while the writer writes).

use std::path::Path;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{SystemTime, UNIX_EPOCH};

use relive_api::{KeyframeIndex, ReplayFormat, ReplayStatus, Streamer, StreamerUpdate};
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, params};
use tokio::sync::{Semaphore, oneshot};

/// Schema migrations, applied in order; `PRAGMA user_version` counts those applied.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_keyframe_indexes.sql"),
    include_str!("../migrations/0003_media_facts.sql"),
    include_str!("../migrations/0004_replay_pages_covering.sql"),
];

/// The most jobs committed in one transaction.
const MAX_BATCH: usize = 512;
const READERS: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] rusqlite::Error),
    #[error("cannot create the database folder: {0}")]
    Io(#[from] std::io::Error),
    #[error("the database writer has stopped")]
    Closed,
}

/// A recording to store, as a hook announced it.
#[derive(Clone, Debug)]
pub struct NewReplay {
    pub streamer_id: String,
    /// Who announced it: `tencent`, `demo`, ...
    pub source: String,
    /// The file's id at the source; (source, source_file_id) is stored once.
    pub source_file_id: String,
    pub title: Option<String>,
    pub format: ReplayFormat,
    pub url: String,
    pub start_time: i64,
    pub end_time: i64,
    pub duration_ms: u64,
    pub size_bytes: u64,
    /// The announcement as received, kept whole.
    pub raw_payload: Option<String>,
    /// What probing the file found, when it was probed.
    pub facts: Option<MediaFacts>,
}

/// Codecs and picture size of a recording, from probing the file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MediaFacts {
    /// RFC 6381 codec strings, comma-separated: `avc1.64001f,mp4a.40.2`.
    pub codecs: String,
    pub width: u32,
    pub height: u32,
}

/// What became of a `NewReplay`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ingest {
    Stored(i64),
    /// Already announced before (a retry): nothing changed.
    Duplicate(i64),
}

/// A stream went live or stopped. Events are applied in their own order, not in
/// arrival order: (time, sequence, phase) must be newer than the last one applied.
#[derive(Clone, Debug)]
pub struct LiveEvent {
    pub streamer_id: String,
    pub live: bool,
    pub event_time: i64,
    /// The service's sequence number, if any (Tencent gives one per push session).
    pub sequence: u64,
}

/// A stored replay, as reads return it.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplayRow {
    pub id: i64,
    pub streamer_id: String,
    pub title: Option<String>,
    pub format: ReplayFormat,
    pub url: String,
    pub start_time: i64,
    pub end_time: i64,
    pub duration_ms: u64,
    pub size_bytes: u64,
    pub status: ReplayStatus,
    pub hidden: bool,
    pub facts: Option<MediaFacts>,
}

/// Position in a replay list (newest first): the last row of the previous page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplayKey {
    pub start_time: i64,
    pub id: i64,
}

/// Position in the streamer directory (newest streamers first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamerKey {
    pub created_at: i64,
    pub id: String,
}

/// A change to one replay; `None` leaves a field alone.
#[derive(Clone, Debug, Default)]
pub struct ReplayChange {
    /// `Some(None)` restores the default title.
    pub title: Option<Option<String>>,
    pub hidden: Option<bool>,
}

pub fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// The handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    writer: mpsc::Sender<Box<dyn WriteJob>>,
    readers: Arc<ReadPool>,
}

impl Store {
    /// Opens (creating if needed) the database at `path`, applies migrations and starts
    /// the writer thread.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut conn = Connection::open(path)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;
             PRAGMA busy_timeout = 5000;",
        )?;
        migrate(&mut conn)?;

        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let r =
                Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
            r.execute_batch("PRAGMA busy_timeout = 5000;")?;
            // Plans never depend on bound values. Without this, SQLite (3.46+) plans
            // `LIMIT ?` for the value bound, so every new binding expires the cached
            // statement and each list request compiled its query again (~18 % of a list
            // request's CPU under load, measured with perf).
            r.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
            readers.push(r);
        }

        let (tx, rx) = mpsc::channel::<Box<dyn WriteJob>>();
        std::thread::Builder::new().name("relive-db-writer".into()).spawn(move || writer_loop(conn, rx))?;
        Ok(Store {
            writer: tx,
            readers: Arc::new(ReadPool { conns: Mutex::new(readers), permits: Arc::new(Semaphore::new(READERS)) }),
        })
    }

    // ---- writes -----------------------------------------------------------------

    /// Stores a recording once: a repeat of the same (source, source_file_id) is a
    /// `Duplicate`, even if the replay was deleted since. Creates the streamer, with a
    /// default profile, if the stream id is new.
    pub async fn record_replay(&self, r: NewReplay) -> Result<Ingest, StoreError> {
        self.write(move |c| {
            let now = unix_now();
            ensure_streamer(c, &r.streamer_id, now)?;
            let inserted: Option<i64> = c
                .query_row(
                    "INSERT INTO replays (streamer_id, source, source_file_id, title, format, url,
                        start_time, end_time, duration_ms, size_bytes, status, raw_payload, created_at,
                        codecs, width, height)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'ready', ?11, ?12, ?13, ?14, ?15)
                     ON CONFLICT (source, source_file_id) DO NOTHING
                     RETURNING id",
                    params![
                        r.streamer_id,
                        r.source,
                        r.source_file_id,
                        r.title,
                        r.format.as_str(),
                        r.url,
                        r.start_time,
                        r.end_time,
                        r.duration_ms as i64,
                        r.size_bytes as i64,
                        r.raw_payload,
                        now,
                        r.facts.as_ref().map(|f| f.codecs.clone()),
                        r.facts.as_ref().map(|f| f.width),
                        r.facts.as_ref().map(|f| f.height),
                    ],
                    |row| row.get(0),
                )
                .optional()?;
            match inserted {
                Some(id) => Ok(Ingest::Stored(id)),
                None => {
                    let id = c.query_row(
                        "SELECT id FROM replays WHERE source = ?1 AND source_file_id = ?2",
                        params![r.source, r.source_file_id],
                        |row| row.get(0),
                    )?;
                    Ok(Ingest::Duplicate(id))
                }
            }
        })
        .await
    }

    /// Applies a live-status event if it is newer than the last one applied to that
    /// streamer. Returns whether it changed anything.
    pub async fn apply_live_event(&self, e: LiveEvent) -> Result<bool, StoreError> {
        self.write(move |c| {
            let now = unix_now();
            ensure_streamer(c, &e.streamer_id, now)?;
            let seq = format!("{:020}", e.sequence);
            // A start and a stop of one push session can share time and sequence: the stop is later.
            let phase = if e.live { 0 } else { 1 };
            let changed = c.execute(
                "UPDATE streamers SET live = ?2, live_event_time = ?3, live_event_seq = ?4,
                        live_event_phase = ?5, updated_at = ?6
                 WHERE id = ?1 AND (live_event_time IS NULL
                     OR (live_event_time, live_event_seq, live_event_phase) < (?3, ?4, ?5))",
                params![e.streamer_id, e.live, e.event_time, seq, phase, now],
            )?;
            Ok(changed > 0)
        })
        .await
    }

    /// Creates or replaces a streamer's profile (fields already validated).
    pub async fn put_streamer(&self, id: String, u: StreamerUpdate) -> Result<(), StoreError> {
        self.write(move |c| {
            let now = unix_now();
            c.execute(
                "INSERT INTO streamers (id, display_name, avatar_url, bio, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)
                 ON CONFLICT (id) DO UPDATE SET display_name = ?2, avatar_url = ?3, bio = ?4, updated_at = ?5",
                params![id, u.display_name, u.avatar_url, u.bio, now],
            )?;
            Ok(())
        })
        .await
    }

    /// Changes a replay's title or visibility. Returns false if there is no such replay.
    pub async fn change_replay(&self, id: i64, ch: ReplayChange) -> Result<bool, StoreError> {
        self.write(move |c| {
            let exists = c
                .query_row("SELECT 1 FROM replays WHERE id = ?1 AND deleted_at IS NULL", [id], |_| Ok(()))
                .optional()?
                .is_some();
            if !exists {
                return Ok(false);
            }
            if let Some(title) = ch.title {
                c.execute("UPDATE replays SET title = ?2 WHERE id = ?1", params![id, title])?;
            }
            if let Some(hidden) = ch.hidden {
                c.execute("UPDATE replays SET hidden = ?2 WHERE id = ?1", params![id, hidden])?;
            }
            Ok(true)
        })
        .await
    }

    /// Removes a replay from every read. The row stays (as a tombstone) so that a late
    /// retry of its callback is recognised as a duplicate instead of bringing it back.
    pub async fn delete_replay(&self, id: i64) -> Result<bool, StoreError> {
        self.write(move |c| {
            let n = c.execute(
                "UPDATE replays SET deleted_at = ?2, hidden = 1 WHERE id = ?1 AND deleted_at IS NULL",
                params![id, unix_now()],
            )?;
            Ok(n > 0)
        })
        .await
    }

    /// Keeps a replay's keyframe index (or why there is none). A replay whose duration
    /// was unknown takes the index's.
    pub async fn save_keyframe_index(
        &self,
        replay_id: i64,
        index: Result<KeyframeIndex, String>,
    ) -> Result<(), StoreError> {
        self.write(move |c| {
            let (ix, error) = match index {
                Ok(ix) => (ix, None),
                Err(e) => (KeyframeIndex { duration_ms: 0, times_ms: vec![], offsets: vec![] }, Some(e)),
            };
            let json = |v: &[i64]| format!("[{}]", v.iter().map(i64::to_string).collect::<Vec<_>>().join(","));
            let offsets: Vec<i64> = ix.offsets.iter().map(|&o| o as i64).collect();
            c.execute(
                "INSERT INTO keyframe_indexes (replay_id, duration_ms, times_ms, offsets, error, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (replay_id) DO UPDATE SET duration_ms = ?2, times_ms = ?3, offsets = ?4, error = ?5, created_at = ?6",
                params![replay_id, ix.duration_ms, json(&ix.times_ms), json(&offsets), error, unix_now()],
            )?;
            if ix.duration_ms > 0 {
                c.execute(
                    "UPDATE replays SET duration_ms = ?2, end_time = start_time + ?2 / 1000 WHERE id = ?1 AND duration_ms = 0",
                    params![replay_id, ix.duration_ms],
                )?;
            }
            Ok(())
        })
        .await
    }

    // ---- reads ------------------------------------------------------------------

    /// Streamers whose stream stopped at or after `since` (Unix seconds), newest first.
    pub async fn recently_ended(&self, since: i64) -> Result<Vec<String>, StoreError> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT id FROM streamers WHERE live = 0 AND live_event_phase = 1 AND live_event_time >= ?1
                 ORDER BY live_event_time DESC LIMIT 1000",
            )?;
            stmt.query_map([since], |r| r.get(0))?.collect()
        })
        .await
    }

    /// A replay's keyframe index: `None` if not computed yet; `Some(Err)` with the reason
    /// if the file could not be indexed.
    pub async fn keyframe_index(&self, replay_id: i64) -> Result<Option<Result<KeyframeIndex, String>>, StoreError> {
        self.read(move |c| {
            c.query_row(
                "SELECT duration_ms, times_ms, offsets, error FROM keyframe_indexes WHERE replay_id = ?1",
                [replay_id],
                |row| {
                    let parse = |s: String| -> Vec<i64> {
                        s.trim_matches(['[', ']'])
                            .split(',')
                            .filter(|x| !x.is_empty())
                            .filter_map(|x| x.parse().ok())
                            .collect()
                    };
                    let error: Option<String> = row.get(3)?;
                    Ok(match error {
                        Some(e) => Err(e),
                        None => Ok(KeyframeIndex {
                            duration_ms: row.get(0)?,
                            times_ms: parse(row.get(1)?),
                            offsets: parse(row.get(2)?).into_iter().map(|o| o as u64).collect(),
                        }),
                    })
                },
            )
            .optional()
        })
        .await
    }

    /// One streamer's public profile and figures.
    pub async fn streamer(&self, id: String) -> Result<Option<Streamer>, StoreError> {
        self.read(move |c| streamer_by_id(c, &id)).await
    }

    /// A page of the directory, newest streamers first, after `after` if given.
    pub async fn streamers(
        &self,
        after: Option<StreamerKey>,
        limit: u32,
    ) -> Result<(Vec<Streamer>, Option<StreamerKey>), StoreError> {
        self.read(move |c| {
            let (t, id) = match &after {
                Some(k) => (k.created_at, k.id.clone()),
                None => (i64::MAX, String::new()),
            };
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {STREAMER_COLUMNS}, s.created_at FROM streamers s
                 WHERE (s.created_at < ?1 OR (s.created_at = ?1 AND s.id > ?2))
                 ORDER BY s.created_at DESC, s.id ASC LIMIT ?3"
            ))?;
            let rows = stmt
                .query_map(params![t, id, limit as i64 + 1], |row| {
                    Ok((streamer_from_row(row)?, row.get::<_, i64>(7)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(page(rows, limit, |(s, created_at)| StreamerKey { created_at: *created_at, id: s.id.clone() })
                .map_items(|(s, _)| s))
        })
        .await
    }

    /// A page of a streamer's visible replays, newest first, after `after` if given;
    /// `None` if there is no such streamer. One read: the hottest query of all.
    pub async fn replays(
        &self,
        streamer_id: String,
        after: Option<ReplayKey>,
        limit: u32,
    ) -> Result<Option<(Vec<ReplayRow>, Option<ReplayKey>)>, StoreError> {
        self.read(move |c| {
            // Only existence: the profile's figures sum every replay, which a page does not need.
            let exists = c.prepare_cached("SELECT 1 FROM streamers WHERE id = ?1")?.exists([&streamer_id])?;
            if !exists {
                return Ok(None);
            }
            let k = after.unwrap_or(ReplayKey { start_time: i64::MAX, id: i64::MAX });
            let mut stmt = c.prepare_cached(&replay_page_sql())?;
            let rows = stmt
                .query_map(params![streamer_id, k.start_time, k.id, limit as i64 + 1], replay_from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Some(page(rows, limit, |r| ReplayKey { start_time: r.start_time, id: r.id }).into_tuple()))
        })
        .await
    }

    /// One replay that has not been deleted (hidden ones included: callers decide).
    pub async fn replay(&self, id: i64) -> Result<Option<ReplayRow>, StoreError> {
        self.read(move |c| {
            c.query_row(
                &format!("SELECT {REPLAY_COLUMNS} FROM replays WHERE id = ?1 AND deleted_at IS NULL"),
                [id],
                replay_from_row,
            )
            .optional()
        })
        .await
    }

    /// Whether every committed replay and streamer row is intact (`PRAGMA integrity_check`).
    pub async fn integrity_ok(&self) -> Result<bool, StoreError> {
        self.read(|c| c.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0)).map(|s| s == "ok")).await
    }

    // ---- plumbing ---------------------------------------------------------------

    async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job = Box::new(Job { f: Some(f), result: None, reply: tx });
        self.writer.send(job).map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, rusqlite::Error> + Send + 'static,
    {
        // The permit moves into the blocking task: if this future is dropped (the client
        // went away), the connection stays counted as busy until the task gives it back.
        let permit = self.readers.permits.clone().acquire_owned().await.map_err(|_| StoreError::Closed)?;
        let pool = self.readers.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let conn = pool.conns.lock().unwrap_or_else(|p| p.into_inner()).pop().ok_or(StoreError::Closed)?;
            let result = f(&conn).map_err(StoreError::from);
            pool.conns.lock().unwrap_or_else(|p| p.into_inner()).push(conn);
            result
        })
        .await
        .map_err(|_| StoreError::Closed)?
    }
}

struct ReadPool {
    conns: Mutex<Vec<Connection>>,
    /// As many permits as connections: holding one guarantees a connection is free.
    permits: Arc<Semaphore>,
}

/// A unit of work for the writer thread: `run` inside the open transaction, then
/// `finish` once the transaction's fate is known.
trait WriteJob: Send {
    fn run(&mut self, conn: &Connection);
    fn finish(self: Box<Self>, commit: Result<(), String>);
}

struct Job<T, F> {
    f: Option<F>,
    result: Option<Result<T, StoreError>>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> WriteJob for Job<T, F>
where
    T: Send,
    F: FnOnce(&Connection) -> Result<T, StoreError> + Send,
{
    fn run(&mut self, conn: &Connection) {
        let Some(f) = self.f.take() else { return };
        // A savepoint per job: a failing job rolls back alone.
        let result = match conn.execute_batch("SAVEPOINT job") {
            Err(e) => Err(e.into()),
            Ok(()) => {
                let r = f(conn);
                let end = if r.is_ok() { "RELEASE job" } else { "ROLLBACK TO job; RELEASE job" };
                match conn.execute_batch(end) {
                    Ok(()) => r,
                    Err(e) => Err(e.into()),
                }
            }
        };
        self.result = Some(result);
    }

    fn finish(self: Box<Self>, commit: Result<(), String>) {
        let answer = match (commit, self.result) {
            (Ok(()), Some(r)) => r,
            (Ok(()), None) => Err(StoreError::Closed),
            // Nothing of this job reached the disk, whatever it returned.
            (Err(e), _) => Err(StoreError::Db(rusqlite::Error::InvalidParameterName(format!("commit failed: {e}")))),
        };
        let _ = self.reply.send(answer);
    }
}

fn writer_loop(conn: Connection, rx: mpsc::Receiver<Box<dyn WriteJob>>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let commit = conn.execute_batch("BEGIN IMMEDIATE").map_err(|e| e.to_string()).and_then(|()| {
            for job in batch.iter_mut() {
                job.run(&conn);
            }
            conn.execute_batch("COMMIT").map_err(|e| {
                let _ = conn.execute_batch("ROLLBACK");
                e.to_string()
            })
        });
        if let Err(e) = &commit {
            tracing::error!(error = %e, jobs = batch.len(), "database commit failed");
        }
        for job in batch {
            job.finish(commit.clone());
        }
    }
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let applied: usize = conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))? as usize;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
        tx.commit()?;
        tracing::info!(migration = i + 1, "applied database migration");
    }
    Ok(())
}

fn ensure_streamer(c: &Connection, id: &str, now: i64) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO streamers (id, display_name, created_at, updated_at) VALUES (?1, ?1, ?2, ?2)
         ON CONFLICT (id) DO NOTHING",
        params![id, now],
    )?;
    Ok(())
}

const STREAMER_COLUMNS: &str = "s.id, s.display_name, s.avatar_url, s.bio, s.live,
    (SELECT COUNT(*) FROM replays r WHERE r.streamer_id = s.id AND r.hidden = 0 AND r.deleted_at IS NULL),
    (SELECT COALESCE(SUM(duration_ms), 0) FROM replays r WHERE r.streamer_id = s.id AND r.hidden = 0 AND r.deleted_at IS NULL)";

fn streamer_from_row(row: &Row) -> rusqlite::Result<Streamer> {
    Ok(Streamer {
        id: row.get(0)?,
        display_name: row.get(1)?,
        avatar_url: row.get(2)?,
        bio: row.get(3)?,
        live: row.get(4)?,
        replay_count: row.get::<_, i64>(5)? as u64,
        total_duration_secs: row.get::<_, i64>(6)? as f64 / 1000.0,
    })
}

fn streamer_by_id(c: &Connection, id: &str) -> rusqlite::Result<Option<Streamer>> {
    c.query_row(&format!("SELECT {STREAMER_COLUMNS} FROM streamers s WHERE s.id = ?1"), [id], streamer_from_row)
        .optional()
}

const REPLAY_COLUMNS: &str = "id, streamer_id, title, format, url, start_time, end_time, duration_ms, size_bytes, status, hidden, codecs, width, height";

/// A streamer's visible replays after the cursor (?2, ?3): ?1 streamer, ?4 how many.
/// Served from the covering index `replays_visible_page` alone.
fn replay_page_sql() -> String {
    format!(
        "SELECT {REPLAY_COLUMNS} FROM replays
         WHERE streamer_id = ?1 AND hidden = 0 AND deleted_at IS NULL
           AND (start_time, id) < (?2, ?3)
         ORDER BY start_time DESC, id DESC LIMIT ?4"
    )
}

fn replay_from_row(row: &Row) -> rusqlite::Result<ReplayRow> {
    let text_enum = |i: usize, v: Option<ReplayFormat>| {
        v.ok_or_else(|| rusqlite::Error::InvalidColumnType(i, "format".into(), rusqlite::types::Type::Text))
    };
    let format: String = row.get(3)?;
    let status: String = row.get(9)?;
    Ok(ReplayRow {
        id: row.get(0)?,
        streamer_id: row.get(1)?,
        title: row.get(2)?,
        format: text_enum(3, ReplayFormat::parse(&format))?,
        url: row.get(4)?,
        start_time: row.get(5)?,
        end_time: row.get(6)?,
        duration_ms: row.get::<_, i64>(7)? as u64,
        size_bytes: row.get::<_, i64>(8)? as u64,
        status: ReplayStatus::parse(&status).unwrap_or(ReplayStatus::Ready),
        hidden: row.get(10)?,
        facts: row.get::<_, Option<String>>(11)?.map(|codecs| MediaFacts {
            codecs,
            width: row.get::<_, Option<u32>>(12).ok().flatten().unwrap_or(0),
            height: row.get::<_, Option<u32>>(13).ok().flatten().unwrap_or(0),
        }),
    })
}

/// Rows fetched with `limit + 1`: the extra row only tells that another page exists.
struct Page<T, K> {
    items: Vec<T>,
    next: Option<K>,
}

impl<T, K> Page<T, K> {
    fn map_items<U>(self, f: impl FnMut(T) -> U) -> (Vec<U>, Option<K>) {
        (self.items.into_iter().map(f).collect(), self.next)
    }
    fn into_tuple(self) -> (Vec<T>, Option<K>) {
        (self.items, self.next)
    }
}

fn page<T, K>(mut rows: Vec<T>, limit: u32, key: impl Fn(&T) -> K) -> Page<T, K> {
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next = if more { rows.last().map(key) } else { None };
    Page { items: rows, next }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replay(file_id: &str, start: i64) -> NewReplay {
        NewReplay {
            streamer_id: "alice".into(),
            source: "test".into(),
            source_file_id: file_id.into(),
            title: None,
            format: ReplayFormat::Mp4,
            url: "https://example.com/a.mp4".into(),
            start_time: start,
            end_time: start + 60,
            duration_ms: 60_000,
            size_bytes: 1000,
            raw_payload: None,
            facts: None,
        }
    }

    #[tokio::test]
    async fn stores_once_and_pages_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).unwrap();
        assert!(matches!(store.record_replay(replay("a", 100)).await.unwrap(), Ingest::Stored(_)));
        let again = store.record_replay(replay("a", 100)).await.unwrap();
        assert!(matches!(again, Ingest::Duplicate(_)));
        store.record_replay(replay("b", 200)).await.unwrap();
        store.record_replay(replay("c", 300)).await.unwrap();

        let (p1, next) = store.replays("alice".into(), None, 2).await.unwrap().unwrap();
        assert_eq!(p1.iter().map(|r| r.start_time).collect::<Vec<_>>(), vec![300, 200]);
        let (p2, end) = store.replays("alice".into(), next, 2).await.unwrap().unwrap();
        assert_eq!(p2.iter().map(|r| r.start_time).collect::<Vec<_>>(), vec![100]);
        assert_eq!(end, None);

        let s = store.streamer("alice".into()).await.unwrap().unwrap();
        assert_eq!((s.display_name.as_str(), s.replay_count, s.total_duration_secs), ("alice", 3, 180.0));
        assert!(store.integrity_ok().await.unwrap());
    }

    #[tokio::test]
    async fn deleted_replay_stays_a_duplicate() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).unwrap();
        let Ingest::Stored(id) = store.record_replay(replay("a", 100)).await.unwrap() else { panic!() };
        assert!(store.delete_replay(id).await.unwrap());
        assert!(store.replay(id).await.unwrap().is_none());
        assert_eq!(store.record_replay(replay("a", 100)).await.unwrap(), Ingest::Duplicate(id));
        assert!(store.replay(id).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn late_live_events_do_not_win() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).unwrap();
        let ev = |live, t, seq| LiveEvent { streamer_id: "bob".into(), live, event_time: t, sequence: seq };
        assert!(store.apply_live_event(ev(false, 20, 7)).await.unwrap());
        // The session's start arrives after its stop: ignored.
        assert!(!store.apply_live_event(ev(true, 10, 7)).await.unwrap());
        // Same second and session: the stop is the later phase.
        assert!(!store.apply_live_event(ev(true, 20, 7)).await.unwrap());
        assert!(!store.streamer("bob".into()).await.unwrap().unwrap().live);
        assert!(store.apply_live_event(ev(true, 30, 8)).await.unwrap());
        assert!(store.streamer("bob".into()).await.unwrap().unwrap().live);
    }

    /// The plans SQLite picks for the hottest reads: a wrong one still answers correctly,
    /// only slowly, so nothing else would notice.
    #[test]
    fn replay_pages_are_read_from_the_covering_index_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        drop(Store::open(&path).unwrap());
        let c = Connection::open(&path).unwrap();
        let plan = |sql: &str| -> String {
            let mut stmt = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            let rows = stmt.query_map(params!["alice", 1, 2, 3], |r| r.get::<_, String>(3)).unwrap();
            rows.map(Result::unwrap).collect::<Vec<_>>().join("\n")
        };
        let page = plan(&replay_page_sql());
        assert!(page.contains("USING COVERING INDEX replays_visible_page"), "{page}");
        assert!(!page.contains("TEMP B-TREE"), "sorts instead of walking the index: {page}");
        let profile = plan(&format!("SELECT {STREAMER_COLUMNS} FROM streamers s WHERE s.id = ?1 AND ?2 AND ?3 AND ?4"));
        assert_eq!(profile.matches("COVERING INDEX replays_visible_page").count(), 2, "{profile}");
    }

    /// A client that goes away mid-read must not hand the read's connection to someone else
    /// while its query still runs (found by the list benchmark: such reads failed with 500s).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_abandoned_read_keeps_its_connection_until_the_query_ends() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).unwrap();
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let slow: Vec<_> = (0..READERS)
            .map(|_| {
                let (store, started) = (store.clone(), started_tx.clone());
                tokio::spawn(async move {
                    store
                        .read(move |_| {
                            started.send(()).unwrap();
                            std::thread::sleep(std::time::Duration::from_millis(300));
                            Ok(())
                        })
                        .await
                })
            })
            .collect();
        for _ in 0..READERS {
            started_rx.recv_timeout(std::time::Duration::from_secs(5)).unwrap();
        }
        for task in slow {
            task.abort();
        }
        // Every connection is still busy: these wait for them instead of failing.
        let quick = (0..READERS).map(|_| store.read(|c| c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))));
        for result in futures_util::future::join_all(quick).await {
            assert_eq!(result.unwrap(), 1);
        }
    }

    #[tokio::test]
    async fn migrations_are_applied_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        drop(Store::open(&path).unwrap());
        let store = Store::open(&path).unwrap();
        assert!(store.integrity_ok().await.unwrap());
    }
}
