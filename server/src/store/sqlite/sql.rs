//! Every SQLite statement, and the mapping between rows and the store's values. Each
//! function runs inside what its caller gives it: a write job's savepoint, or a read.

use relive_api::{KeyframeIndex, ReplayFormat, ReplayStatus, Streamer, StreamerUpdate};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::store::{
    HlsSegment, HlsSession, Ingest, KeyframeIndexState, LiveEvent, MediaFacts, NewReplay, Page, ReplayChange,
    ReplayKey, ReplayRow, StoreError, StreamerKey, unix_now,
};

// ---- writes ---------------------------------------------------------------------

pub fn record_replay(c: &Connection, r: &NewReplay) -> Result<Ingest, StoreError> {
    let now = unix_now();
    ensure_streamer(c, &r.streamer_id, now)?;
    let inserted = c
        .query_row(
            &format!(
                "INSERT INTO replays (streamer_id, source, source_file_id, title, format, url,
                    start_time, end_time, duration_ms, size_bytes, status, raw_payload, created_at,
                    codecs, width, height)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'ready', ?11, ?12, ?13, ?14, ?15)
                 ON CONFLICT (source, source_file_id) DO NOTHING
                 RETURNING {REPLAY_COLUMNS}"
            ),
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
            replay_from_row,
        )
        .optional()?;
    match inserted {
        Some(row) => Ok(Ingest::Stored(row)),
        None => {
            let id = c.query_row(
                "SELECT id FROM replays WHERE source = ?1 AND source_file_id = ?2",
                params![r.source, r.source_file_id],
                |row| row.get(0),
            )?;
            Ok(Ingest::Duplicate(id))
        }
    }
}

pub fn apply_live_event(c: &Connection, e: &LiveEvent) -> Result<bool, StoreError> {
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
}

pub fn put_streamer(c: &Connection, id: &str, u: &StreamerUpdate) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO streamers (id, display_name, avatar_url, bio, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)
         ON CONFLICT (id) DO UPDATE SET display_name = ?2, avatar_url = ?3, bio = ?4, updated_at = ?5",
        params![id, u.display_name, u.avatar_url, u.bio, unix_now()],
    )?;
    Ok(())
}

pub fn change_replay(c: &Connection, id: i64, ch: ReplayChange) -> Result<bool, StoreError> {
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
}

pub fn delete_replay(c: &Connection, id: i64) -> Result<bool, StoreError> {
    let n = c.execute(
        "UPDATE replays SET deleted_at = ?2, hidden = 1 WHERE id = ?1 AND deleted_at IS NULL",
        params![id, unix_now()],
    )?;
    Ok(n > 0)
}

/// Keyframe times and offsets are kept as JSON arrays (`[0,2000,...]`).
pub fn save_keyframe_index(
    c: &Connection,
    replay_id: i64,
    index: &Result<KeyframeIndex, String>,
) -> Result<(), StoreError> {
    let empty = KeyframeIndex { duration_ms: 0, times_ms: vec![], offsets: vec![] };
    let (ix, error) = match index {
        Ok(ix) => (ix, None),
        Err(e) => (&empty, Some(e)),
    };
    c.execute(
        "INSERT INTO keyframe_indexes (replay_id, duration_ms, times_ms, offsets, error, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (replay_id) DO UPDATE SET duration_ms = ?2, times_ms = ?3, offsets = ?4, error = ?5, created_at = ?6",
        params![replay_id, ix.duration_ms, to_json(&ix.times_ms), to_json(&ix.offsets), error, unix_now()],
    )?;
    if ix.duration_ms > 0 {
        c.execute(
            "UPDATE replays SET duration_ms = ?2, end_time = start_time + ?2 / 1000 WHERE id = ?1 AND duration_ms = 0",
            params![replay_id, ix.duration_ms],
        )?;
    }
    Ok(())
}

/// Sets the duration of a replay whose duration is unknown (0). Returns whether it did.
pub fn set_replay_duration(c: &Connection, id: i64, duration_ms: u64) -> Result<bool, StoreError> {
    let n = c.execute(
        "UPDATE replays SET duration_ms = ?2, end_time = start_time + ?2 / 1000 WHERE id = ?1 AND duration_ms = 0",
        params![id, duration_ms as i64],
    )?;
    Ok(n > 0)
}

// ---- SRS HLS sessions ---------------------------------------------------------------

/// How long closed sessions are kept, to recognise late segments of a closed publish.
const CLOSED_SESSION_KEPT_SECS: i64 = 24 * 3600;

const SESSION_COLUMNS: &str = "folder, streamer_id, client_id, started_at, updated_at, ending_at, closed_at";

fn session_from_row(row: &Row) -> rusqlite::Result<HlsSession> {
    Ok(HlsSession {
        folder: row.get(0)?,
        streamer_id: row.get(1)?,
        client_id: row.get(2)?,
        started_at: row.get(3)?,
        updated_at: row.get(4)?,
        ending_at: row.get(5)?,
        closed_at: row.get(6)?,
    })
}

/// Opens `s` unless the stream has an open session already; returns the one in force.
pub fn open_hls_session(c: &Connection, s: &HlsSession) -> Result<HlsSession, StoreError> {
    c.execute(
        &format!(
            "INSERT INTO hls_sessions ({SESSION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, NULL, NULL) ON CONFLICT DO NOTHING"
        ),
        params![s.folder, s.streamer_id, s.client_id, s.started_at, s.updated_at],
    )?;
    open_hls_session_of(c, &s.streamer_id)?
        .ok_or_else(|| StoreError::Database(format!("no open HLS session for {} after opening one", s.streamer_id)))
}

pub fn add_hls_segment(c: &Connection, folder: &str, seg: &HlsSegment, now: i64) -> Result<(), StoreError> {
    let open = c.execute(
        "UPDATE hls_sessions SET updated_at = ?2 WHERE folder = ?1 AND closed_at IS NULL",
        params![folder, now],
    )?;
    if open == 0 {
        return Err(StoreError::Database(format!("the HLS session {folder} is not open")));
    }
    c.execute(
        "INSERT INTO hls_segments (folder, seq, duration, file, size_bytes) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (folder, seq) DO UPDATE SET duration = ?3, file = ?4, size_bytes = ?5",
        params![folder, seq_i64(seg.seq)?, seg.duration, seg.file, seg.size_bytes as i64],
    )?;
    Ok(())
}

fn seq_i64(seq: u64) -> Result<i64, StoreError> {
    i64::try_from(seq).map_err(|_| StoreError::Database(format!("segment number {seq} is too large")))
}

/// Marks an open session as ending at `at` (the first such mark stands). Whether it is open.
pub fn end_hls_session(c: &Connection, folder: &str, at: i64) -> Result<bool, StoreError> {
    let n = c.execute(
        "UPDATE hls_sessions SET ending_at = COALESCE(ending_at, ?2) WHERE folder = ?1 AND closed_at IS NULL",
        params![folder, at],
    )?;
    Ok(n > 0)
}

/// Closes a session: stores its replay (if any) in the same transaction, forgets its
/// segments, and drops sessions closed more than a day ago.
pub fn close_hls_session(
    c: &Connection,
    folder: &str,
    replay: Option<&NewReplay>,
    now: i64,
) -> Result<Option<Ingest>, StoreError> {
    let ingest = replay.map(|r| record_replay(c, r)).transpose()?;
    c.execute("DELETE FROM hls_segments WHERE folder = ?1", [folder])?;
    c.execute("UPDATE hls_sessions SET closed_at = ?2 WHERE folder = ?1 AND closed_at IS NULL", params![folder, now])?;
    let old = now - CLOSED_SESSION_KEPT_SECS;
    c.execute(
        "DELETE FROM hls_segments WHERE folder IN (SELECT folder FROM hls_sessions WHERE closed_at < ?1)",
        [old],
    )?;
    c.execute("DELETE FROM hls_sessions WHERE closed_at < ?1", [old])?;
    Ok(ingest)
}

pub fn open_hls_session_of(c: &Connection, streamer_id: &str) -> rusqlite::Result<Option<HlsSession>> {
    c.query_row(
        &format!("SELECT {SESSION_COLUMNS} FROM hls_sessions WHERE streamer_id = ?1 AND closed_at IS NULL"),
        [streamer_id],
        session_from_row,
    )
    .optional()
}

/// The stream's session closed last at or after `since` that on_unpublish ended.
pub fn last_unpublished_hls_session(
    c: &Connection,
    streamer_id: &str,
    since: i64,
) -> rusqlite::Result<Option<HlsSession>> {
    c.query_row(
        &format!(
            "SELECT {SESSION_COLUMNS} FROM hls_sessions
             WHERE streamer_id = ?1 AND closed_at >= ?2 AND ending_at IS NOT NULL
             ORDER BY closed_at DESC LIMIT 1"
        ),
        params![streamer_id, since],
        session_from_row,
    )
    .optional()
}

/// Open sessions that on_unpublish ended, or that got no segment since `idle_before`.
pub fn hls_sessions_to_close(c: &Connection, idle_before: i64) -> rusqlite::Result<Vec<HlsSession>> {
    let mut stmt = c.prepare(&format!(
        "SELECT {SESSION_COLUMNS} FROM hls_sessions
         WHERE closed_at IS NULL AND (ending_at IS NOT NULL OR updated_at < ?1) ORDER BY started_at"
    ))?;
    stmt.query_map([idle_before], session_from_row)?.collect()
}

pub fn hls_segments(c: &Connection, folder: &str) -> rusqlite::Result<Vec<HlsSegment>> {
    let mut stmt =
        c.prepare_cached("SELECT seq, duration, file, size_bytes FROM hls_segments WHERE folder = ?1 ORDER BY seq")?;
    stmt.query_map([folder], |row| {
        Ok(HlsSegment {
            seq: row.get::<_, i64>(0)? as u64,
            duration: row.get(1)?,
            file: row.get(2)?,
            size_bytes: row.get::<_, i64>(3)? as u64,
        })
    })?
    .collect()
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

fn ensure_streamer(c: &Connection, id: &str, now: i64) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO streamers (id, display_name, created_at, updated_at) VALUES (?1, ?1, ?2, ?2)
         ON CONFLICT (id) DO NOTHING",
        params![id, now],
    )?;
    Ok(())
}

// ---- reads ----------------------------------------------------------------------

pub fn recently_ended(c: &Connection, since: i64) -> rusqlite::Result<Vec<String>> {
    let mut stmt = c.prepare_cached(
        "SELECT id FROM streamers WHERE live = 0 AND live_event_phase = 1 AND live_event_time >= ?1
         ORDER BY live_event_time DESC LIMIT 1000",
    )?;
    stmt.query_map([since], |r| r.get(0))?.collect()
}

pub fn keyframe_index(c: &Connection, replay_id: i64) -> rusqlite::Result<KeyframeIndexState> {
    let stored = c
        .query_row(
            "SELECT duration_ms, times_ms, offsets, error FROM keyframe_indexes WHERE replay_id = ?1",
            [replay_id],
            |row| {
                let error: Option<String> = row.get(3)?;
                Ok(match error {
                    Some(e) => KeyframeIndexState::Failed(e),
                    None => KeyframeIndexState::Ready(KeyframeIndex {
                        duration_ms: row.get(0)?,
                        times_ms: json_column(row, 1)?,
                        offsets: json_column(row, 2)?,
                    }),
                })
            },
        )
        .optional()?;
    Ok(stored.unwrap_or(KeyframeIndexState::Building))
}

fn json_column<T: serde::de::DeserializeOwned>(row: &Row, i: usize) -> rusqlite::Result<T> {
    let text: String = row.get(i)?;
    serde_json::from_str(&text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into()))
}

pub fn streamer(c: &Connection, id: &str) -> rusqlite::Result<Option<Streamer>> {
    c.query_row(&format!("SELECT {STREAMER_COLUMNS} FROM streamers s WHERE s.id = ?1"), [id], streamer_from_row)
        .optional()
}

pub fn streamers(
    c: &Connection,
    after: Option<&StreamerKey>,
    limit: u32,
) -> rusqlite::Result<Page<Streamer, StreamerKey>> {
    let (t, id) = match after {
        Some(k) => (k.created_at, k.id.as_str()),
        None => (i64::MAX, ""),
    };
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {STREAMER_COLUMNS}, s.created_at FROM streamers s
         WHERE (s.created_at < ?1 OR (s.created_at = ?1 AND s.id > ?2))
         ORDER BY s.created_at DESC, s.id ASC LIMIT ?3"
    ))?;
    let rows = stmt
        .query_map(params![t, id, limit as i64 + 1], |row| Ok((streamer_from_row(row)?, row.get::<_, i64>(7)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(rows, limit, |(s, created_at)| StreamerKey { created_at: *created_at, id: s.id.clone() })
        .map(|(s, _)| s))
}

/// `None` if there is no such streamer. One read: the hottest query of all.
pub fn replays(
    c: &Connection,
    streamer_id: &str,
    after: Option<ReplayKey>,
    limit: u32,
) -> rusqlite::Result<Option<Page<ReplayRow, ReplayKey>>> {
    // Only existence: the profile's figures sum every replay, which a page does not need.
    if !c.prepare_cached("SELECT 1 FROM streamers WHERE id = ?1")?.exists([streamer_id])? {
        return Ok(None);
    }
    let k = after.unwrap_or(ReplayKey { start_time: i64::MAX, id: i64::MAX });
    let mut stmt = c.prepare_cached(&replay_page_sql())?;
    let rows = stmt
        .query_map(params![streamer_id, k.start_time, k.id, limit as i64 + 1], replay_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(Page::from_rows(rows, limit, |r| ReplayKey { start_time: r.start_time, id: r.id })))
}

pub fn replay(c: &Connection, id: i64) -> rusqlite::Result<Option<ReplayRow>> {
    c.query_row(
        &format!("SELECT {REPLAY_COLUMNS} FROM replays WHERE id = ?1 AND deleted_at IS NULL"),
        [id],
        replay_from_row,
    )
    .optional()
}

pub fn integrity_ok(c: &Connection) -> rusqlite::Result<bool> {
    c.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0)).map(|s| s == "ok")
}

// ---- rows -----------------------------------------------------------------------

pub const STREAMER_COLUMNS: &str = "s.id, s.display_name, s.avatar_url, s.bio, s.live,
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

const REPLAY_COLUMNS: &str = "id, streamer_id, title, format, url, start_time, end_time, duration_ms, size_bytes, status, hidden, codecs, width, height";

/// A streamer's visible replays after the cursor (?2, ?3): ?1 streamer, ?4 how many.
/// Served from the covering index `replays_visible_page` alone.
pub fn replay_page_sql() -> String {
    format!(
        "SELECT {REPLAY_COLUMNS} FROM replays
         WHERE streamer_id = ?1 AND hidden = 0 AND deleted_at IS NULL
           AND (start_time, id) < (?2, ?3)
         ORDER BY start_time DESC, id DESC LIMIT ?4"
    )
}

fn replay_from_row(row: &Row) -> rusqlite::Result<ReplayRow> {
    let format: String = row.get(3)?;
    let status: String = row.get(9)?;
    Ok(ReplayRow {
        id: row.get(0)?,
        streamer_id: row.get(1)?,
        title: row.get(2)?,
        format: ReplayFormat::parse(&format)
            .ok_or_else(|| rusqlite::Error::InvalidColumnType(3, "format".into(), rusqlite::types::Type::Text))?,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The plans SQLite picks for the hottest reads: a wrong one still answers correctly,
    /// only slowly, so nothing else would notice.
    #[test]
    fn replay_pages_are_read_from_the_covering_index_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        drop(crate::store::sqlite::SqliteStore::open(&path).unwrap());
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
}
