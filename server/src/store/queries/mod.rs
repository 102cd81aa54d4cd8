//! Every statement of the store, for both databases, and the mapping between rows and
//! the store's values (`super::db` says how one text serves SQLite and PostgreSQL). Each
//! function runs inside what its caller gives it: a write's transaction, or a read.
//!
//! [`broadcasts`] applies the grouping rules; [`images`] keeps posters, storyboards and
//! screenshots; [`gone`] tracks recordings whose files went away.

pub mod broadcasts;
pub mod gone;
pub mod images;
pub mod jobs;

use crate::store::db::{Db, DbError, Dialect, OptionalExtension, Row, params};
use relive_api::{KeyframeIndex, ReplayFormat, ReplayStatus, Streamer, StreamerUpdate};

use crate::store::{
    BroadcastRow, Grouping, HlsSegment, HlsSession, Ingest, KeyframeIndexState, LiveEvent, MediaFacts, NewReplay, Page,
    ReplayChange, ReplayKey, ReplayRow, StoreError, StreamerKey, unix_now,
};

// ---- writes ---------------------------------------------------------------------

/// Inserts a recording once: its id, or `None` if (source, source_file_id) is stored
/// already. In `broadcast` when the caller (`broadcasts::record_part`) knows it already,
/// else without one, set by the caller after.
pub fn insert_part(
    c: &Db,
    r: &NewReplay,
    now: i64,
    broadcast: Option<i64>,
    alternate: bool,
) -> Result<Option<i64>, StoreError> {
    Ok(c.prepare_cached(
        "INSERT INTO replays (streamer_id, source, source_file_id, title, format, url,
            start_time, end_time, duration_ms, size_bytes, status, raw_payload, created_at,
            codecs, width, height, checked_at, broadcast_id, alternate)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'ready', ?11, ?12, ?13, ?14, ?15, ?12, ?16, ?17)
         ON CONFLICT (source, source_file_id) DO NOTHING
         RETURNING id",
    )?
    .query_row(
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
            broadcast,
            alternate,
        ],
        |row| row.get(0),
    )
    .optional()?)
}

/// The streamer's `live`, if the event is newer than the last one applied. An unstamped
/// event is the newest by definition: writes are serialized (SQLite's one writer,
/// PostgreSQL's serializable transactions), so the last one committed wins, on whichever
/// instance it arrived — no clock or counter of a process decides.
pub fn apply_streamer_live(c: &Db, e: &LiveEvent, now: i64) -> Result<bool, StoreError> {
    ensure_streamer(c, &e.streamer_id, now)?;
    if !e.stamped {
        let changed = c.execute(
            "UPDATE streamers SET live = ?2, live_event_time = ?3, live_event_seq = ?4, live_event_phase = ?5,
                 updated_at = ?3
             WHERE id = ?1",
            params![e.streamer_id, e.live, now, format!("{:020}", 0), if e.live { 0 } else { 1 }],
        )?;
        return Ok(changed > 0);
    }
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

pub fn put_streamer(c: &Db, id: &str, u: &StreamerUpdate) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO streamers (id, display_name, avatar_url, bio, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)
         ON CONFLICT (id) DO UPDATE SET display_name = ?2, avatar_url = ?3, bio = ?4, updated_at = ?5",
        params![id, u.display_name, u.avatar_url, u.bio, unix_now()],
    )?;
    Ok(())
}

/// Changes the title or visibility of the broadcast `id` names (any of its ids).
pub fn change_broadcast(c: &Db, id: i64, ch: ReplayChange) -> Result<bool, StoreError> {
    let Some(b) = broadcasts::resolve(c, id)? else { return Ok(false) };
    if let Some(title) = ch.title {
        c.execute("UPDATE broadcasts SET title = ?2, updated_at = ?3 WHERE id = ?1", params![b, title, unix_now()])?;
    }
    if let Some(hidden) = ch.hidden {
        c.execute("UPDATE broadcasts SET hidden = ?2, updated_at = ?3 WHERE id = ?1", params![b, hidden, unix_now()])?;
    }
    Ok(true)
}

/// Keyframe times and offsets are kept as JSON arrays (`[0,2000,...]`).
pub fn save_keyframe_index(
    c: &Db,
    replay_id: i64,
    index: &Result<KeyframeIndex, String>,
    g: &Grouping,
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
        set_replay_duration(c, replay_id, ix.duration_ms as u64, g)?;
    }
    Ok(())
}

/// Sets the duration of a replay whose duration is unknown (0), and the extent of its
/// broadcast. Returns whether it did.
pub fn set_replay_duration(c: &Db, id: i64, duration_ms: u64, g: &Grouping) -> Result<bool, StoreError> {
    let n = c.execute(
        "UPDATE replays SET duration_ms = ?2, end_time = start_time + CAST(?2 AS BIGINT) / 1000
         WHERE id = ?1 AND duration_ms = 0",
        params![id, duration_ms as i64],
    )?;
    let broadcast: Option<i64> =
        c.query_row("SELECT broadcast_id FROM replays WHERE id = ?1", [id], |r| r.get(0)).optional()?.flatten();
    if n > 0
        && let Some(b) = broadcast
    {
        // Its span changed: which parts are the same recording again may too.
        broadcasts::recompute_alternates(c, b)?;
        broadcasts::refresh(c, b, g, unix_now())?;
    }
    Ok(n > 0)
}

// ---- SRS HLS sessions ---------------------------------------------------------------

/// How long closed sessions are kept, to recognise late segments of a closed publish.
const CLOSED_SESSION_KEPT_SECS: i64 = 24 * 3600;

const SESSION_COLUMNS: &str = "folder, streamer_id, client_id, started_at, updated_at, ending_at, closed_at";

fn session_from_row(row: &Row) -> Result<HlsSession, DbError> {
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
pub fn open_hls_session(c: &Db, s: &HlsSession) -> Result<HlsSession, StoreError> {
    c.execute(
        &format!(
            "INSERT INTO hls_sessions ({SESSION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, NULL, NULL) ON CONFLICT DO NOTHING"
        ),
        params![s.folder, s.streamer_id, s.client_id, s.started_at, s.updated_at],
    )?;
    open_hls_session_of(c, &s.streamer_id)?
        .ok_or_else(|| StoreError::Database(format!("no open HLS session for {} after opening one", s.streamer_id)))
}

pub fn add_hls_segment(c: &Db, folder: &str, seg: &HlsSegment, now: i64) -> Result<(), StoreError> {
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
pub fn end_hls_session(c: &Db, folder: &str, at: i64) -> Result<bool, StoreError> {
    let n = c.execute(
        "UPDATE hls_sessions SET ending_at = COALESCE(ending_at, ?2) WHERE folder = ?1 AND closed_at IS NULL",
        params![folder, at],
    )?;
    Ok(n > 0)
}

/// Closes a session: stores its replay (if any) in the same transaction, forgets its
/// segments, and drops sessions closed more than a day ago.
pub fn close_hls_session(
    c: &Db,
    folder: &str,
    replay: Option<&NewReplay>,
    now: i64,
    g: &Grouping,
) -> Result<Option<Ingest>, StoreError> {
    let ingest = replay.map(|r| broadcasts::record_part(c, r, g, now)).transpose()?;
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

pub fn open_hls_session_of(c: &Db, streamer_id: &str) -> Result<Option<HlsSession>, DbError> {
    c.query_row(
        &format!("SELECT {SESSION_COLUMNS} FROM hls_sessions WHERE streamer_id = ?1 AND closed_at IS NULL"),
        [streamer_id],
        session_from_row,
    )
    .optional()
}

/// The stream's session closed last at or after `since` that on_unpublish ended.
pub fn last_unpublished_hls_session(c: &Db, streamer_id: &str, since: i64) -> Result<Option<HlsSession>, DbError> {
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
pub fn hls_sessions_to_close(c: &Db, idle_before: i64) -> Result<Vec<HlsSession>, DbError> {
    let mut stmt = c.prepare(&format!(
        "SELECT {SESSION_COLUMNS} FROM hls_sessions
         WHERE closed_at IS NULL AND (ending_at IS NOT NULL OR updated_at < ?1) ORDER BY started_at"
    ))?;
    stmt.query_map([idle_before], session_from_row)?.collect()
}

pub fn hls_segments(c: &Db, folder: &str) -> Result<Vec<HlsSegment>, DbError> {
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

pub fn ensure_streamer(c: &Db, id: &str, now: i64) -> Result<(), DbError> {
    c.execute(
        "INSERT INTO streamers (id, display_name, created_at, updated_at) VALUES (?1, ?1, ?2, ?2)
         ON CONFLICT (id) DO NOTHING",
        params![id, now],
    )?;
    Ok(())
}

// ---- reads ----------------------------------------------------------------------

pub fn recently_ended(c: &Db, since: i64) -> Result<Vec<String>, DbError> {
    let mut stmt = c.prepare_cached(
        "SELECT id FROM streamers WHERE live = 0 AND live_event_phase = 1 AND live_event_time >= ?1
         ORDER BY live_event_time DESC LIMIT 1000",
    )?;
    stmt.query_map([since], |r| r.get(0))?.collect()
}

pub fn keyframe_index(c: &Db, replay_id: i64) -> Result<KeyframeIndexState, DbError> {
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

fn json_column<T: serde::de::DeserializeOwned>(row: &Row, i: usize) -> Result<T, DbError> {
    let text: String = row.get(i)?;
    serde_json::from_str(&text).map_err(|e| DbError::Other(format!("column {i}: {e}")))
}

pub fn streamer(c: &Db, id: &str) -> Result<Option<Streamer>, DbError> {
    c.query_row(&format!("SELECT {STREAMER_COLUMNS} FROM streamers s WHERE s.id = ?1"), [id], streamer_from_row)
        .optional()
}

pub fn streamers(c: &Db, after: Option<&StreamerKey>, limit: u32) -> Result<Page<Streamer, StreamerKey>, DbError> {
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

/// A page of a streamer's visible broadcasts with their timeline parts: one query for
/// the broadcasts, one for all their parts, in one read transaction. `None` if there is
/// no such streamer. The hottest read of all.
pub fn broadcasts_page(
    c: &Db,
    streamer_id: &str,
    after: Option<ReplayKey>,
    limit: u32,
) -> Result<Option<Page<BroadcastRow, ReplayKey>>, DbError> {
    let tx = c.snapshot()?;
    // Only existence: the profile's figures sum every replay, which a page does not need.
    if !tx.prepare_cached("SELECT 1 FROM streamers WHERE id = ?1")?.exists([streamer_id])? {
        return Ok(None);
    }
    let k = after.unwrap_or(ReplayKey { sort_time: i64::MAX, id: i64::MAX });
    let rows = tx
        .prepare_cached(&broadcast_page_sql())?
        .query_map(params![streamer_id, k.sort_time, k.id, limit as i64 + 1], broadcast_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    let mut page = Page::from_rows(rows, limit, |b| ReplayKey { sort_time: b.sort_time, id: b.id });
    attach_parts(&tx, &mut page.items)?;
    tx.end()?;
    Ok(Some(page))
}

/// The visible-or-hidden, not deleted broadcast any of its ids names (its own, a
/// tombstone's, a part's), with its timeline parts.
pub fn broadcast(c: &Db, id: i64) -> Result<Option<BroadcastRow>, DbError> {
    let tx = c.snapshot()?;
    let Some(b) = broadcasts::resolve(&tx, id)? else { return Ok(None) };
    let row = tx
        .prepare_cached(&format!("SELECT {BROADCAST_COLUMNS} FROM broadcasts WHERE id = ?1"))?
        .query_row([b], broadcast_from_row)
        .optional()?;
    let mut rows: Vec<BroadcastRow> = row.into_iter().collect();
    attach_parts(&tx, &mut rows)?;
    tx.end()?;
    Ok(rows.pop())
}

/// Fills in the broadcasts' timeline parts, in start order: one query for them all.
fn attach_parts(c: &Db, items: &mut [BroadcastRow]) -> Result<(), DbError> {
    if items.is_empty() {
        return Ok(());
    }
    let ids = to_json(&items.iter().map(|b| b.id).collect::<Vec<_>>());
    let parts = c
        .prepare_cached(&timeline_parts_sql(c.dialect()))?
        .query_map([ids], part_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    for p in parts {
        if let Some(b) = items.iter_mut().find(|b| Some(b.id) == p.broadcast_id) {
            b.parts.push(p);
        }
    }
    Ok(())
}

/// One recording (a part), not deleted; `hidden` when its broadcast is hidden or deleted.
pub fn part(c: &Db, id: i64) -> Result<Option<ReplayRow>, DbError> {
    c.prepare_cached(&format!(
        "SELECT {PART_COLUMNS} FROM replays r LEFT JOIN broadcasts b ON b.id = r.broadcast_id
         WHERE r.id = ?1 AND r.deleted_at IS NULL"
    ))?
    .query_row([id], part_from_row)
    .optional()
}

// ---- rows -----------------------------------------------------------------------

/// A broadcast is visible when it is neither hidden, deleted, merged into another nor
/// gone (every part's file gone: `crate::gone`).
const VISIBLE: &str = "hidden = 0 AND deleted_at IS NULL AND merged_into IS NULL AND gone_at IS NULL";

/// A streamer's figures count visible broadcasts, and sum their timeline parts.
pub const STREAMER_COLUMNS: &str = "s.id, s.display_name, s.avatar_url, s.bio, s.live,
    (SELECT COUNT(*) FROM broadcasts b
        WHERE b.streamer_id = s.id AND b.hidden = 0 AND b.deleted_at IS NULL AND b.merged_into IS NULL
            AND b.gone_at IS NULL),
    (SELECT COALESCE(SUM(r.duration_ms), 0) FROM broadcasts b
        JOIN replays r ON r.broadcast_id = b.id AND r.deleted_at IS NULL AND r.alternate = 0 AND r.gone_at IS NULL
        WHERE b.streamer_id = s.id AND b.hidden = 0 AND b.deleted_at IS NULL AND b.merged_into IS NULL
            AND b.gone_at IS NULL)";

fn streamer_from_row(row: &Row) -> Result<Streamer, DbError> {
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

pub fn status_text(s: ReplayStatus) -> &'static str {
    s.as_str()
}

pub(super) const BROADCAST_COLUMNS: &str =
    "id, streamer_id, title, hidden, status, failure, started_at, ended_at, sort_time, gone_at";

/// A streamer's visible broadcasts after the cursor (?2, ?3): ?1 streamer, ?4 how many.
/// Served from the covering index `broadcasts_page` alone.
pub fn broadcast_page_sql() -> String {
    format!(
        "SELECT {BROADCAST_COLUMNS} FROM broadcasts
         WHERE streamer_id = ?1 AND {VISIBLE} AND (sort_time, id) < (?2, ?3)
         ORDER BY sort_time DESC, id DESC LIMIT ?4"
    )
}

/// The timeline parts of the broadcasts listed in ?1 (a JSON array of ids), in start
/// order. Served from the covering index `replays_timeline` alone.
pub fn timeline_parts_sql(d: Dialect) -> String {
    format!(
        "SELECT id, streamer_id, broadcast_id, format, url, start_time, end_time, duration_ms, size_bytes, 0, 0,
            codecs, width, height, gone_at
     FROM replays WHERE broadcast_id IN {} AND deleted_at IS NULL AND alternate = 0
         AND gone_at IS NULL
     ORDER BY broadcast_id, start_time, id",
        d.json_ids("?1")
    )
}

pub(super) fn broadcast_from_row(row: &Row) -> Result<BroadcastRow, DbError> {
    let status: String = row.get(4)?;
    Ok(BroadcastRow {
        id: row.get(0)?,
        streamer_id: row.get(1)?,
        title: row.get(2)?,
        hidden: row.get(3)?,
        status: ReplayStatus::parse(&status).unwrap_or(ReplayStatus::Ready),
        failure: row.get(5)?,
        started_at: row.get(6)?,
        ended_at: row.get(7)?,
        sort_time: row.get(8)?,
        gone_at: row.get(9)?,
        parts: Vec::new(),
    })
}

pub(super) const PART_COLUMNS: &str = "r.id, r.streamer_id, r.broadcast_id, r.format, r.url, r.start_time, r.end_time,
    r.duration_ms, r.size_bytes, (COALESCE(b.hidden, 0) = 1 OR b.deleted_at IS NOT NULL), r.alternate, r.codecs, r.width, r.height, r.gone_at";

pub(super) fn part_from_row(row: &Row) -> Result<ReplayRow, DbError> {
    let format: String = row.get(3)?;
    Ok(ReplayRow {
        id: row.get(0)?,
        streamer_id: row.get(1)?,
        broadcast_id: row.get(2)?,
        format: ReplayFormat::parse(&format)
            .ok_or_else(|| DbError::Other(format!("column 3: unknown format {format}")))?,
        url: row.get(4)?,
        start_time: row.get(5)?,
        end_time: row.get(6)?,
        duration_ms: row.get::<_, i64>(7)? as u64,
        size_bytes: row.get::<_, i64>(8)? as u64,
        hidden: row.get(9)?,
        alternate: row.get(10)?,
        facts: row.get::<_, Option<String>>(11)?.map(|codecs| MediaFacts {
            codecs,
            width: row.get::<_, Option<u32>>(12).ok().flatten().unwrap_or(0),
            height: row.get::<_, Option<u32>>(13).ok().flatten().unwrap_or(0),
        }),
        gone_at: row.get(14)?,
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
        let c = rusqlite::Connection::open(&path).unwrap();
        let plan = |sql: &str| -> String {
            let mut stmt = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            let n = stmt.parameter_count();
            let values: [&dyn rusqlite::ToSql; 4] = [&"alice", &1, &2, &3];
            let rows = stmt.query_map(&values[..n], |r| r.get::<_, String>(3)).unwrap();
            rows.map(Result::unwrap).collect::<Vec<_>>().join("\n")
        };
        let page = plan(&broadcast_page_sql());
        assert!(page.contains("USING COVERING INDEX broadcasts_page"), "{page}");
        assert!(!page.contains("TEMP B-TREE"), "sorts instead of walking the index: {page}");
        let parts = plan(&timeline_parts_sql(Dialect::Sqlite));
        assert!(parts.contains("USING COVERING INDEX replays_timeline"), "{parts}");
        assert!(!parts.contains("TEMP B-TREE"), "sorts instead of walking the index: {parts}");
        let profile = plan(&format!("SELECT {STREAMER_COLUMNS} FROM streamers s WHERE s.id = ?1 AND ?2 AND ?3 AND ?4"));
        assert_eq!(profile.matches("COVERING INDEX broadcasts_page").count(), 2, "{profile}");
        assert!(profile.contains("COVERING INDEX replays_timeline"), "{profile}");
    }
}
