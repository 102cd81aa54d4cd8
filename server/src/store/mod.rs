//! The database, behind one facade: [`Store`].
//!
//! Callers speak in the values of [`model`] (`NewReplay`, `LiveEvent`, `RecordStatus`,
//! keys for pages) and get those values back (`BroadcastRow` with its parts,
//! `ReplayRow`); nothing outside this module sees a connection, a statement or a
//! database's error type. SQLite ([`sqlite`]) is the default backend, PostgreSQL
//! ([`postgres`]) the one for several instances. Both run the same statements and rules ([`queries`], through
//! [`db`]): a backend only keeps connections and transactions.
//!
//! # The durability contract
//! Every write method returns `Ok` only once what it wrote is committed to disk: callers
//! may acknowledge it to the outside world (a hook answers 200 on it). An `Err` means
//! nothing of that write is stored — [`StoreError::CommitFailed`] when the transaction it
//! was batched into failed to commit.
//!
//! # Broadcasts
//! A replay is a broadcast: the recordings ("parts") of one push, or of pushes restarted
//! within the gap. Every write that brings a part or a live event applies the grouping
//! rules of `crate::ingest::broadcast` in the same transaction: the part is placed,
//! broadcasts it bridges are merged, the status moves. Parts and broadcasts share one id
//! space, and any id a broadcast ever had (its own, a merged one's, a part's) finds it.

pub mod db;
mod gone;
mod images;
mod jobs;
mod model;
mod permits;
pub mod postgres;
mod queries;
pub mod sqlite;

pub use permits::PoolWaits;

use std::path::PathBuf;

use relive_api::{KeyframeIndex, Streamer, StreamerUpdate};

use self::db::Db;
use self::postgres::Scope;
pub use gone::{FileCheck, PartGone};
pub use images::{
    ImagesState, MIN_GOOD_SCREENSHOT_BYTES, NewScreenshot, PartImages, PictureQuery, Pictures, Screenshot, Storyboard,
};
pub use jobs::{
    ClaimedJob, DEFAULT_MAX_ATTEMPTS, FollowUp, JobDepth, JobFailed, JobLease, JobOutcome, NewJob, retry_delay_ms,
    unix_now_ms,
};
pub use model::*;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(String),
    /// The transaction this write was part of did not commit: nothing of it is stored.
    #[error("the commit failed, nothing of this write is stored: {0}")]
    CommitFailed(String),
    #[error("cannot create the database folder: {0}")]
    Io(#[from] std::io::Error),
    #[error("the database has stopped")]
    Closed,
}

/// What a write batched into a transaction answers once the transaction ended: its own
/// result if it committed (`None`: it never ran), else nothing of it reached the disk,
/// whatever it returned. Both backends' writers batch.
fn batched_answer<T>(commit: Result<(), String>, result: Option<Result<T, StoreError>>) -> Result<T, StoreError> {
    match (commit, result) {
        (Ok(()), Some(r)) => r,
        (Ok(()), None) => Err(StoreError::Closed),
        (Err(e), _) => Err(StoreError::CommitFailed(e)),
    }
}

/// Which database `--db` names: `sqlite:path` or a plain path (SQLite, created with its
/// folder when missing), or `postgres://…` (PostgreSQL; `?host=/dir` for a socket folder).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DbUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DbUrl {
    pub fn parse(s: &str) -> Result<DbUrl, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("the database location is empty".into());
        }
        if let Some(path) = s.strip_prefix("sqlite://").or_else(|| s.strip_prefix("sqlite:")) {
            return match path {
                "" => Err("`sqlite:` needs a file path, e.g. sqlite:data/relive.db".into()),
                p => Ok(DbUrl::Sqlite(p.into())),
            };
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return s
                .parse::<tokio_postgres::Config>()
                .map(|_| DbUrl::Postgres(s.to_string()))
                .map_err(|e| format!("bad PostgreSQL URL: {e}"));
        }
        match s.split_once("://") {
            Some((scheme, _)) if !scheme.contains(['/', '\\']) => Err(format!(
                "unknown database scheme `{scheme}://`: use sqlite:path, a file path or postgres://user@host/db"
            )),
            _ => Ok(DbUrl::Sqlite(s.into())),
        }
    }
}

impl std::fmt::Display for DbUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DbUrl::Sqlite(p) => write!(f, "sqlite:{}", p.display()),
            // Never a password in a log line.
            DbUrl::Postgres(url) => match url::Url::parse(url) {
                Ok(mut u) if u.password().is_some() => {
                    let _ = u.set_password(Some("***"));
                    write!(f, "{u}")
                }
                _ => write!(f, "{url}"),
            },
        }
    }
}

/// The handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
    grouping: Grouping,
}

/// Where the statements of [`queries`] run: each backend only keeps connections and
/// transactions.
#[derive(Clone)]
enum Backend {
    Sqlite(sqlite::SqliteStore),
    Postgres(postgres::PgStore),
}

impl Store {
    /// Opens (creating if needed) the database, applies migrations and gets it ready.
    /// Groups with the default gap and settle time.
    pub async fn open(url: &DbUrl) -> Result<Store, StoreError> {
        Store::open_with(url, Grouping::default()).await
    }

    /// Opens the database with how recordings are grouped into broadcasts.
    pub async fn open_with(url: &DbUrl, grouping: Grouping) -> Result<Store, StoreError> {
        let backend = match url {
            DbUrl::Sqlite(path) => Backend::Sqlite(sqlite::SqliteStore::open(path)?),
            DbUrl::Postgres(url) => Backend::Postgres(postgres::PgStore::open(url).await?),
        };
        Ok(Store { backend, grouping })
    }

    /// Runs `f` in a write transaction; `Ok` once it committed. `scope` says which
    /// stream's rows it may touch (PostgreSQL runs different streams' writes at once). `f`
    /// may run more than once (PostgreSQL retries a transaction that lost a deadlock), so
    /// it only writes through the database.
    async fn write<T, F>(&self, scope: Scope, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Fn(&Db) -> Result<T, StoreError> + Send + 'static,
    {
        match &self.backend {
            Backend::Sqlite(s) => s.write(f).await,
            Backend::Postgres(p) => p.write(scope, f).await,
        }
    }

    /// The database connections in use and the waits for one, for `/metrics`.
    pub fn pool_waits(&self) -> PoolWaits {
        match &self.backend {
            Backend::Sqlite(s) => s.waits(),
            Backend::Postgres(p) => p.waits(),
        }
    }

    /// Runs `f` on a consistent view of the database.
    async fn read<T, E, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        E: Into<StoreError>,
        F: FnOnce(&Db) -> Result<T, E> + Send + 'static,
    {
        match &self.backend {
            Backend::Sqlite(s) => s.read(f).await,
            Backend::Postgres(p) => p.read(f).await,
        }
    }

    // ---- writes: `Ok` means committed to disk -------------------------------------

    /// Stores a recording once, as a part of its broadcast (placed, and broadcasts it
    /// bridges merged, by `crate::ingest::broadcast`): a repeat of the same (source,
    /// source_file_id) is a `Duplicate`, even if the part was deleted since. Creates the
    /// streamer, with a default profile, if the stream id is new.
    pub async fn record_replay(&self, r: NewReplay) -> Result<Ingest, StoreError> {
        let g = self.grouping;
        self.write(Scope::Streamer(r.streamer_id.clone()), move |c| {
            queries::broadcasts::record_part(c, &r, &g, unix_now())
        })
        .await
    }

    /// Applies a live event: the streamer's `live` if the event is newer than the last one
    /// applied to that streamer, and the start or end of a broadcast (made, reopened,
    /// ended) as `crate::ingest::broadcast` says.
    pub async fn apply_live_event(&self, e: LiveEvent) -> Result<LiveApplied, StoreError> {
        let g = self.grouping;
        self.write(Scope::Streamer(e.streamer_id.clone()), move |c| {
            queries::broadcasts::apply_live_event(c, &e, &g, unix_now())
        })
        .await
    }

    /// Applies Tencent's recording status (event 332) to its broadcast, unless the
    /// session had an event of a later `seq` already (`Stale`).
    pub async fn apply_record_status(&self, s: RecordStatus) -> Result<BroadcastChange, StoreError> {
        let g = self.grouping;
        self.write(Scope::Streamer(s.streamer_id.clone()), move |c| {
            queries::broadcasts::apply_record_status(c, &s, &g, unix_now())
        })
        .await
    }

    /// Moves `processing` broadcasts that are due to `ready`, and removes those that no
    /// file came for within the settle time (`now`: Unix seconds).
    pub async fn promote_broadcasts(&self, now: i64) -> Result<Promoted, StoreError> {
        let g = self.grouping;
        self.write(Scope::Everything, move |c| queries::broadcasts::promote(c, &g, now)).await
    }

    /// Creates or replaces a streamer's profile (fields already validated).
    pub async fn put_streamer(&self, id: String, u: StreamerUpdate) -> Result<(), StoreError> {
        self.write(Scope::Streamer(id.clone()), move |c| queries::put_streamer(c, &id, &u)).await
    }

    /// Changes the title or visibility of the broadcast any of its ids names. Returns
    /// false if there is no such broadcast.
    pub async fn change_broadcast(&self, id: i64, ch: ReplayChange) -> Result<bool, StoreError> {
        self.write(Scope::Id(id), move |c| queries::change_broadcast(c, id, ch.clone())).await
    }

    /// Removes a broadcast (any of its ids) and its parts from every read. The rows stay
    /// (as tombstones) so that a late retry of a callback is recognised as a duplicate
    /// instead of bringing a part back.
    pub async fn delete_broadcast(&self, id: i64) -> Result<bool, StoreError> {
        self.write(Scope::Id(id), move |c| queries::broadcasts::delete_broadcast(c, id, unix_now())).await
    }

    /// Removes one part of the broadcast `id` names; without parts left, the broadcast too.
    pub async fn delete_part(&self, id: i64, part_id: i64) -> Result<PartDeleted, StoreError> {
        let g = self.grouping;
        self.write(Scope::Id(id), move |c| queries::broadcasts::delete_part(c, id, part_id, &g, unix_now())).await
    }

    /// Keeps a part's keyframe index (or why there is none). A part whose duration
    /// was unknown takes the index's.
    pub async fn save_keyframe_index(&self, id: i64, index: Result<KeyframeIndex, String>) -> Result<(), StoreError> {
        let g = self.grouping;
        self.write(Scope::Id(id), move |c| queries::save_keyframe_index(c, id, &index, &g)).await
    }

    /// Sets the duration of a replay whose duration is unknown (0), e.g. from its HLS
    /// playlist. Returns whether it did (false: no such replay, or it had a duration).
    pub async fn set_replay_duration(&self, id: i64, duration_ms: u64) -> Result<bool, StoreError> {
        let g = self.grouping;
        self.write(Scope::Id(id), move |c| queries::set_replay_duration(c, id, duration_ms, &g)).await
    }

    /// Opens an HLS session for `s.streamer_id` unless one is open already; returns the
    /// session in force (the existing one, or `s`).
    pub async fn open_hls_session(&self, s: HlsSession) -> Result<HlsSession, StoreError> {
        self.write(Scope::Streamer(s.streamer_id.clone()), move |c| queries::open_hls_session(c, &s)).await
    }

    /// Adds (or replaces, by `seq`) a segment of an open session; `now` is its arrival.
    /// An error if the session is not open.
    pub async fn add_hls_segment(&self, folder: String, seg: HlsSegment, now: i64) -> Result<(), StoreError> {
        self.write(Scope::Folder(folder.clone()), move |c| queries::add_hls_segment(c, &folder, &seg, now)).await
    }

    /// Marks an open session as ending (on_unpublish came at `at`; a first mark stands).
    /// Returns whether the session is open.
    pub async fn end_hls_session(&self, folder: String, at: i64) -> Result<bool, StoreError> {
        self.write(Scope::Folder(folder.clone()), move |c| queries::end_hls_session(c, &folder, at)).await
    }

    /// Closes a session and, in the same transaction, stores the part made of it (as
    /// [`Store::record_replay`] does: a repeat is a `Duplicate`). Its segments are
    /// forgotten; the closed session is kept a day to recognise late segments.
    pub async fn close_hls_session(
        &self,
        folder: String,
        replay: Option<NewReplay>,
        now: i64,
    ) -> Result<Option<Ingest>, StoreError> {
        let g = self.grouping;
        self.write(Scope::Folder(folder.clone()), move |c| {
            queries::close_hls_session(c, &folder, replay.as_ref(), now, &g)
        })
        .await
    }

    // ---- reads --------------------------------------------------------------------

    /// The stream's open HLS session, if any.
    pub async fn open_hls_session_of(&self, streamer_id: String) -> Result<Option<HlsSession>, StoreError> {
        self.read(move |c| queries::open_hls_session_of(c, &streamer_id)).await
    }

    /// The stream's latest session that on_unpublish ended and that closed at or after `since`.
    pub async fn last_unpublished_hls_session(
        &self,
        streamer_id: String,
        since: i64,
    ) -> Result<Option<HlsSession>, StoreError> {
        self.read(move |c| queries::last_unpublished_hls_session(c, &streamer_id, since)).await
    }

    /// Open sessions to close: ended by on_unpublish, or without a segment since `idle_before`.
    pub async fn hls_sessions_to_close(&self, idle_before: i64) -> Result<Vec<HlsSession>, StoreError> {
        self.read(move |c| queries::hls_sessions_to_close(c, idle_before)).await
    }

    /// A session's segments, in `seq` order.
    pub async fn hls_segments(&self, folder: String) -> Result<Vec<HlsSegment>, StoreError> {
        self.read(move |c| queries::hls_segments(c, &folder)).await
    }

    /// Streamers whose stream stopped at or after `since` (Unix seconds), newest first.
    pub async fn recently_ended(&self, since: i64) -> Result<Vec<String>, StoreError> {
        self.read(move |c| queries::recently_ended(c, since)).await
    }

    /// Where a replay's keyframe index stands.
    pub async fn keyframe_index(&self, replay_id: i64) -> Result<KeyframeIndexState, StoreError> {
        self.read(move |c| queries::keyframe_index(c, replay_id)).await
    }

    /// One streamer's public profile and figures.
    pub async fn streamer(&self, id: String) -> Result<Option<Streamer>, StoreError> {
        self.read(move |c| queries::streamer(c, &id)).await
    }

    /// A page of the directory, newest streamers first, after `after` if given.
    pub async fn streamers(
        &self,
        after: Option<StreamerKey>,
        limit: u32,
    ) -> Result<Page<Streamer, StreamerKey>, StoreError> {
        self.read(move |c| queries::streamers(c, after.as_ref(), limit)).await
    }

    /// A page of a streamer's visible broadcasts with their timeline parts, newest
    /// (by `sort_time`) first, after `after` if given; `None` if there is no such
    /// streamer. Two queries in one read, whatever the page's size: the hottest read.
    pub async fn broadcasts(
        &self,
        streamer_id: String,
        after: Option<ReplayKey>,
        limit: u32,
    ) -> Result<Option<Page<BroadcastRow, ReplayKey>>, StoreError> {
        self.read(move |c| queries::broadcasts_page(c, &streamer_id, after, limit)).await
    }

    /// The broadcast any of its ids names — its own, that of a broadcast merged into it,
    /// or one of its parts' — unless deleted (hidden ones included: callers decide), with
    /// its timeline parts that are not gone (a gone broadcast comes with `gone_at` and no
    /// parts: see [`Store::broadcast_with_gone`]).
    pub async fn broadcast(&self, id: i64) -> Result<Option<BroadcastRow>, StoreError> {
        self.read(move |c| queries::broadcast(c, id)).await
    }

    /// One recording (a part) that has not been deleted; `hidden` when its broadcast is.
    pub async fn part(&self, id: i64) -> Result<Option<ReplayRow>, StoreError> {
        self.read(move |c| queries::part(c, id)).await
    }

    /// Whether the database answers a trivial query now (readiness: `/healthz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.read(|c| c.query_row("SELECT 1", (), |r| r.get::<_, i64>(0)).map(drop)).await
    }

    /// Whether every committed row is intact (SQLite: `PRAGMA integrity_check`).
    pub async fn integrity_ok(&self) -> Result<bool, StoreError> {
        self.read(|c| c.integrity_ok()).await
    }
}

#[cfg(test)]
mod tests;
