//! The SQLite backend: one writer thread ([`writer`]) that batches writes into durable
//! transactions, a pool of read connections ([`readers`]), every statement and row
//! mapping ([`sql`]), and the schema ([`migrations`]).

pub(super) mod broadcasts;
mod gone;
mod images;
pub mod migrations;
mod readers;
pub(super) mod sql;
mod writer;

use std::path::Path;

use relive_api::{KeyframeIndex, Streamer, StreamerUpdate};
use rusqlite::Connection;

use self::readers::Readers;
use self::writer::Writer;
use crate::store::{
    BroadcastChange, BroadcastRow, Grouping, HlsSegment, HlsSession, Ingest, KeyframeIndexState, LiveApplied,
    LiveEvent, NewReplay, Page, PartDeleted, Promoted, RecordStatus, ReplayChange, ReplayKey, ReplayRow, StoreError,
    StreamerKey, unix_now,
};

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Database(e.to_string())
    }
}

#[derive(Clone)]
pub struct SqliteStore {
    writer: Writer,
    readers: Readers,
    grouping: Grouping,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`, applies migrations and starts
    /// the writer thread.
    pub fn open(path: &Path, grouping: Grouping) -> Result<SqliteStore, StoreError> {
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
        migrations::migrate(&mut conn)?;
        let readers = Readers::open(path)?;
        Ok(SqliteStore { writer: Writer::start(conn)?, readers, grouping })
    }

    pub async fn record_replay(&self, r: NewReplay) -> Result<Ingest, StoreError> {
        let g = self.grouping;
        self.writer.write(move |c| broadcasts::record_part(c, &r, &g, unix_now())).await
    }

    pub async fn apply_live_event(&self, e: LiveEvent) -> Result<LiveApplied, StoreError> {
        let g = self.grouping;
        self.writer.write(move |c| broadcasts::apply_live_event(c, &e, &g, unix_now())).await
    }

    pub async fn apply_record_status(&self, s: RecordStatus) -> Result<BroadcastChange, StoreError> {
        let g = self.grouping;
        self.writer.write(move |c| broadcasts::apply_record_status(c, &s, &g, unix_now())).await
    }

    pub async fn promote_broadcasts(&self, now: i64) -> Result<Promoted, StoreError> {
        let g = self.grouping;
        self.writer.write(move |c| broadcasts::promote(c, &g, now)).await
    }

    pub async fn put_streamer(&self, id: String, u: StreamerUpdate) -> Result<(), StoreError> {
        self.writer.write(move |c| sql::put_streamer(c, &id, &u)).await
    }

    pub async fn change_broadcast(&self, id: i64, ch: ReplayChange) -> Result<bool, StoreError> {
        self.writer.write(move |c| sql::change_broadcast(c, id, ch)).await
    }

    pub async fn delete_broadcast(&self, id: i64) -> Result<bool, StoreError> {
        self.writer.write(move |c| broadcasts::delete_broadcast(c, id, unix_now())).await
    }

    pub async fn delete_part(&self, id: i64, part_id: i64) -> Result<PartDeleted, StoreError> {
        let g = self.grouping;
        self.writer.write(move |c| broadcasts::delete_part(c, id, part_id, &g, unix_now())).await
    }

    pub async fn save_keyframe_index(&self, id: i64, index: Result<KeyframeIndex, String>) -> Result<(), StoreError> {
        let g = self.grouping;
        self.writer.write(move |c| sql::save_keyframe_index(c, id, &index, &g)).await
    }

    pub async fn set_replay_duration(&self, id: i64, duration_ms: u64) -> Result<bool, StoreError> {
        let g = self.grouping;
        self.writer.write(move |c| sql::set_replay_duration(c, id, duration_ms, &g)).await
    }

    pub async fn open_hls_session(&self, s: HlsSession) -> Result<HlsSession, StoreError> {
        self.writer.write(move |c| sql::open_hls_session(c, &s)).await
    }

    pub async fn add_hls_segment(&self, folder: String, seg: HlsSegment, now: i64) -> Result<(), StoreError> {
        self.writer.write(move |c| sql::add_hls_segment(c, &folder, &seg, now)).await
    }

    pub async fn end_hls_session(&self, folder: String, at: i64) -> Result<bool, StoreError> {
        self.writer.write(move |c| sql::end_hls_session(c, &folder, at)).await
    }

    pub async fn close_hls_session(
        &self,
        folder: String,
        replay: Option<NewReplay>,
        now: i64,
    ) -> Result<Option<Ingest>, StoreError> {
        let g = self.grouping;
        self.writer.write(move |c| sql::close_hls_session(c, &folder, replay.as_ref(), now, &g)).await
    }

    pub async fn open_hls_session_of(&self, streamer_id: String) -> Result<Option<HlsSession>, StoreError> {
        self.readers.read(move |c| sql::open_hls_session_of(c, &streamer_id)).await
    }

    pub async fn last_unpublished_hls_session(
        &self,
        streamer_id: String,
        since: i64,
    ) -> Result<Option<HlsSession>, StoreError> {
        self.readers.read(move |c| sql::last_unpublished_hls_session(c, &streamer_id, since)).await
    }

    pub async fn hls_sessions_to_close(&self, idle_before: i64) -> Result<Vec<HlsSession>, StoreError> {
        self.readers.read(move |c| sql::hls_sessions_to_close(c, idle_before)).await
    }

    pub async fn hls_segments(&self, folder: String) -> Result<Vec<HlsSegment>, StoreError> {
        self.readers.read(move |c| sql::hls_segments(c, &folder)).await
    }

    pub async fn recently_ended(&self, since: i64) -> Result<Vec<String>, StoreError> {
        self.readers.read(move |c| sql::recently_ended(c, since)).await
    }

    pub async fn keyframe_index(&self, replay_id: i64) -> Result<KeyframeIndexState, StoreError> {
        self.readers.read(move |c| sql::keyframe_index(c, replay_id)).await
    }

    pub async fn streamer(&self, id: String) -> Result<Option<Streamer>, StoreError> {
        self.readers.read(move |c| sql::streamer(c, &id)).await
    }

    pub async fn streamers(
        &self,
        after: Option<StreamerKey>,
        limit: u32,
    ) -> Result<Page<Streamer, StreamerKey>, StoreError> {
        self.readers.read(move |c| sql::streamers(c, after.as_ref(), limit)).await
    }

    pub async fn broadcasts(
        &self,
        streamer_id: String,
        after: Option<ReplayKey>,
        limit: u32,
    ) -> Result<Option<Page<BroadcastRow, ReplayKey>>, StoreError> {
        self.readers.read(move |c| sql::broadcasts_page(c, &streamer_id, after, limit)).await
    }

    pub async fn broadcast(&self, id: i64) -> Result<Option<BroadcastRow>, StoreError> {
        self.readers.read(move |c| sql::broadcast(c, id)).await
    }

    pub async fn part(&self, id: i64) -> Result<Option<ReplayRow>, StoreError> {
        self.readers.read(move |c| sql::part(c, id)).await
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        self.readers.read(|c| Ok(c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0)).map(drop)?)).await
    }

    pub async fn integrity_ok(&self) -> Result<bool, StoreError> {
        self.readers.read(sql::integrity_ok).await
    }
}
