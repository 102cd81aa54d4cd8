//! Broadcasts, written: the store's half of `crate::ingest::broadcast`. Each function
//! runs inside one write job (of the writer's batch, undone alone if it fails): it reads what
//! the rules need, asks them, and writes what they decided — a part placed, broadcasts
//! merged, a status moved — so a callback's whole effect commits or none of it does.
//!
//! This module holds what every write shares (ids, reading candidates and sessions,
//! inserting, merging, refreshing a broadcast's extent and promoting it); [`parts`]
//! places recordings, [`events`] applies live events and Tencent's recording status,
//! [`admin`] resolves ids and deletes, [`migrate`] groups the recordings of a database
//! made before broadcasts.

mod admin;
mod events;
mod migrate;
mod parts;

pub use admin::{delete_broadcast, delete_part, resolve};
pub use events::{apply_live_event, apply_record_status};
pub use migrate::group_existing;
pub use parts::record_part;

use crate::store::db::{Db, DbError, Dialect, OptionalExtension, Row, params};
use relive_api::ReplayStatus;

use crate::ingest::broadcast::{self as rules, Candidate, Extent, PartSpan, Promotion, Span};
use crate::store::{Grouping, Promoted, SessionKey, StoreError};

use crate::store::queries::status_text;

// ---- ids --------------------------------------------------------------------------------

/// A fresh id for a broadcast made before any part. Parts and broadcasts share one id
/// space: the parts' AUTOINCREMENT sequence (`sqlite_sequence`, row `replays`). Raising
/// it here, in the same transaction as the broadcast's insert, reserves the id: SQLite
/// gives the next part max(sequence, largest id) + 1, so no part ever takes it, and a
/// rolled-back write gives the id back with everything else. (SQLite documents that
/// `sqlite_sequence` may be changed with ordinary statements; only raising it is safe,
/// which is all this does.) PostgreSQL: the next value of `replays.id`'s identity
/// sequence, which parts take theirs from too.
pub(super) fn next_id(c: &Db) -> Result<i64, StoreError> {
    if c.dialect() == Dialect::Postgres {
        return Ok(c.query_row("SELECT nextval(pg_get_serial_sequence('replays', 'id'))", (), |r| r.get(0))?);
    }
    let top: i64 = c.query_row(
        "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'replays'), 0),
                    COALESCE((SELECT MAX(id) FROM replays), 0),
                    COALESCE((SELECT MAX(id) FROM broadcasts), 0))",
        (),
        |r| r.get(0),
    )?;
    let id = top + 1;
    if c.execute("UPDATE sqlite_sequence SET seq = ?1 WHERE name = 'replays'", [id])? == 0 {
        c.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('replays', ?1)", [id])?;
    }
    Ok(id)
}

// ---- reading what the rules need --------------------------------------------------------

/// A broadcast's mutable state.
#[derive(Clone, Debug)]
pub(super) struct State {
    pub status: ReplayStatus,
    pub title: Option<String>,
    pub hidden: bool,
    pub failure: Option<String>,
    pub started_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub last_seq: Option<String>,
    pub sort_time: i64,
}

pub(super) fn state(c: &Db, id: i64) -> Result<State, StoreError> {
    Ok(c.query_row(
        "SELECT status, title, hidden, failure, started_at, ended_at, last_seq, sort_time FROM broadcasts WHERE id = ?1",
        [id],
        |r| {
            Ok(State {
                status: ReplayStatus::parse(&r.get::<_, String>(0)?).unwrap_or(ReplayStatus::Ready),
                title: r.get(1)?,
                hidden: r.get(2)?,
                failure: r.get(3)?,
                started_at: r.get(4)?,
                ended_at: r.get(5)?,
                last_seq: r.get(6)?,
                sort_time: r.get(7)?,
            })
        },
    )?)
}

const CANDIDATE: &str = "id, sort_time, ext_start, ext_end, status = 'recording'";

fn candidate_from_row(r: &Row) -> Result<Candidate, DbError> {
    Ok(Candidate {
        id: r.get(0)?,
        sort_time: r.get(1)?,
        extent: Extent { start: r.get(2)?, end: r.get(3)?, open: r.get(4)? },
    })
}

/// The broadcast `id`, if it is alive (neither deleted nor merged into another).
pub(super) fn alive(c: &Db, id: i64) -> Result<Option<Candidate>, StoreError> {
    Ok(c.query_row(
        &format!("SELECT {CANDIDATE} FROM broadcasts WHERE id = ?1 AND deleted_at IS NULL AND merged_into IS NULL"),
        [id],
        candidate_from_row,
    )
    .optional()?)
}

/// The stream's live broadcasts that `span` may reach within the gap, and those being
/// recorded (which reach forward without end).
pub(super) fn nearby(c: &Db, streamer: &str, span: Span, g: &Grouping) -> Result<Vec<Candidate>, StoreError> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {CANDIDATE} FROM broadcasts
         WHERE streamer_id = ?1 AND deleted_at IS NULL AND merged_into IS NULL AND ext_end >= ?2 AND ext_start <= ?3
         UNION
         SELECT {CANDIDATE} FROM broadcasts
         WHERE streamer_id = ?1 AND status = 'recording' AND deleted_at IS NULL AND merged_into IS NULL AND ext_start <= ?3"
    ))?;
    let rows = stmt.query_map(
        params![streamer, span.start.saturating_sub(g.gap_secs), span.end.saturating_add(g.gap_secs)],
        candidate_from_row,
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[derive(Debug)]
pub(super) struct Session {
    pub broadcast_id: i64,
    pub started_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub last_seq: Option<String>,
}

pub(super) fn session(c: &Db, streamer: &str, k: &SessionKey) -> Result<Option<Session>, StoreError> {
    Ok(c.prepare_cached(
        "SELECT broadcast_id, started_at, ended_at, last_seq FROM broadcast_sessions
         WHERE streamer_id = ?1 AND source = ?2 AND key = ?3",
    )?
    .query_row(params![streamer, k.source, k.key], |r| {
        Ok(Session { broadcast_id: r.get(0)?, started_at: r.get(1)?, ended_at: r.get(2)?, last_seq: r.get(3)? })
    })
    .optional()?)
}

/// Maps a session to a broadcast (a session seen again is moved there).
pub(super) fn map_session(c: &Db, streamer: &str, k: &SessionKey, broadcast: i64) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT INTO broadcast_sessions (streamer_id, source, key, broadcast_id) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (streamer_id, source, key) DO UPDATE SET broadcast_id = ?4",
    )?
    .execute(params![streamer, k.source, k.key, broadcast])?;
    Ok(())
}

/// The timeline's parts (start, end), in no particular order.
pub(super) fn timeline_spans(c: &Db, broadcast: i64) -> Result<Vec<Span>, StoreError> {
    let mut stmt = c.prepare_cached(
        "SELECT start_time, end_time FROM replays
         WHERE broadcast_id = ?1 AND deleted_at IS NULL AND alternate = 0 AND gone_at IS NULL",
    )?;
    let rows = stmt.query_map([broadcast], |r| Ok(Span::new(r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

// ---- writing what the rules decided -------------------------------------------------------

/// A new broadcast.
pub(super) struct Fresh<'a> {
    pub id: i64,
    pub streamer: &'a str,
    pub title: Option<&'a str>,
    pub sort_time: i64,
    pub status: ReplayStatus,
    pub started_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub extent: Span,
}

pub(super) fn insert(c: &Db, b: Fresh, now: i64) -> Result<i64, StoreError> {
    c.prepare_cached(
        "INSERT INTO broadcasts (id, streamer_id, status, started_at, ended_at, sort_time, ext_start, ext_end,
             created_at, updated_at, title)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10)",
    )?
    .execute(params![
        b.id,
        b.streamer,
        status_text(b.status),
        b.started_at,
        b.ended_at,
        b.sort_time,
        b.extent.start,
        b.extent.end,
        now,
        b.title
    ])?;
    Ok(b.id)
}

/// Merges `losers` into `survivor`: their parts and sessions move, they become
/// tombstones pointing at it (as do tombstones that pointed at them), and the survivor
/// takes the liveliest status, the first title found, and stays hidden if any was.
pub(super) fn merge(c: &Db, survivor: i64, losers: &[i64], now: i64) -> Result<(), StoreError> {
    if losers.is_empty() {
        return Ok(());
    }
    let mut all = vec![state(c, survivor)?];
    for &l in losers {
        all.push(state(c, l)?);
        c.execute("UPDATE replays SET broadcast_id = ?1 WHERE broadcast_id = ?2", params![survivor, l])?;
        c.execute("UPDATE broadcast_sessions SET broadcast_id = ?1 WHERE broadcast_id = ?2", params![survivor, l])?;
        c.execute("UPDATE broadcasts SET merged_into = ?1 WHERE merged_into = ?2", params![survivor, l])?;
        c.execute("UPDATE broadcasts SET merged_into = ?1, updated_at = ?3 WHERE id = ?2", params![survivor, l, now])?;
    }
    let status = rules::merged_status(all.iter().map(|s| s.status));
    let mut by_list_order = all.clone();
    by_list_order.sort_by_key(|s| s.sort_time);
    let title = all[0].title.clone().or_else(|| by_list_order.iter().find_map(|s| s.title.clone()));
    let ended_at = match status {
        ReplayStatus::Recording => None,
        _ => all.iter().filter_map(|s| s.ended_at).max(),
    };
    c.execute(
        "UPDATE broadcasts SET status = ?2, title = ?3, hidden = ?4, failure = ?5, started_at = ?6, ended_at = ?7,
             last_seq = ?8, updated_at = ?9 WHERE id = ?1",
        params![
            survivor,
            status_text(status),
            title,
            all.iter().any(|s| s.hidden),
            all.iter().find_map(|s| s.failure.clone()),
            all.iter().filter_map(|s| s.started_at).min(),
            ended_at,
            all.iter().filter_map(|s| s.last_seq.clone()).max(),
            now
        ],
    )?;
    recompute_alternates(c, survivor)?;
    tracing::info!(broadcast = survivor, merged = ?losers, "broadcasts merged: a part or a push bridged them");
    Ok(())
}

/// Decides again which of a broadcast's parts are alternates (after a merge, a deletion,
/// or a file found gone: those are left out, their alternates take their place).
pub(super) fn recompute_alternates(c: &Db, broadcast: i64) -> Result<(), StoreError> {
    let parts: Vec<PartSpan> = c
        .prepare_cached(
            "SELECT id, start_time, end_time FROM replays WHERE broadcast_id = ?1 AND deleted_at IS NULL AND gone_at IS NULL",
        )?
        .query_map([broadcast], |r| Ok(PartSpan { id: r.get(0)?, span: Span::new(r.get(1)?, r.get(2)?) }))?
        .collect::<Result<_, _>>()?;
    let alternates = rules::alternates(&parts);
    for p in &parts {
        c.prepare_cached("UPDATE replays SET alternate = ?2 WHERE id = ?1 AND alternate != ?2")?
            .execute(params![p.id, alternates.contains(&p.id)])?;
    }
    Ok(())
}

/// Keeps a broadcast's extent (its parts and push), then promotes it if it is due.
/// Returns its status, or `None` if it was deleted (no file came within the settle time).
pub fn refresh(c: &Db, id: i64, g: &Grouping, now: i64) -> Result<Option<ReplayStatus>, StoreError> {
    refresh_known(c, id, g, now, Gone::Count, None)
}

/// Whether a broadcast is gone, for [`refresh_known`].
pub(super) enum Gone {
    /// Count its parts: gone when every one is.
    Count,
    /// A part not gone was just added: it is not.
    NotAny,
}

/// [`refresh`], told what its caller knows already: whether the broadcast is gone, and
/// its state as it now is (read again if `None`).
pub(super) fn refresh_known(
    c: &Db,
    id: i64,
    g: &Grouping,
    now: i64,
    gone: Gone,
    state_now: Option<State>,
) -> Result<Option<ReplayStatus>, StoreError> {
    // A part not gone arriving brings a gone broadcast back; a deletion may leave only gone ones.
    match gone {
        Gone::Count => {
            super::gone::refresh_broadcast(c, id)?;
        }
        Gone::NotAny => super::gone::not_gone(c, id)?,
    }
    let (first, last, last_timeline): (Option<i64>, Option<i64>, Option<i64>) = c
        .prepare_cached(&format!(
            "SELECT MIN(start_time), MAX({}(end_time, start_time)), MAX(CASE WHEN alternate = 0 THEN end_time END)
                 FROM replays WHERE broadcast_id = ?1 AND deleted_at IS NULL",
            c.dialect().greatest()
        ))?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    let s = match state_now {
        Some(s) => s,
        None => state(c, id)?,
    };
    let start = [first, s.started_at].into_iter().flatten().min();
    let end = [last, s.started_at, s.ended_at].into_iter().flatten().max();
    if let (Some(start), Some(end)) = (start, end) {
        c.prepare_cached("UPDATE broadcasts SET ext_start = ?2, ext_end = ?3 WHERE id = ?1")?.execute(params![
            id,
            start,
            end.max(start)
        ])?;
    }
    match rules::promotion(g, s.status, s.ended_at, last_timeline, now) {
        Promotion::Keep => Ok(Some(s.status)),
        Promotion::Ready => {
            set_status(c, id, ReplayStatus::Ready, now)?;
            Ok(Some(ReplayStatus::Ready))
        }
        Promotion::Delete => {
            remove_unrecorded(c, id, now)?;
            Ok(None)
        }
    }
}

/// Deletes a broadcast that no file ever came for (a push without recording). It is
/// marked deleted, not removed: its sessions still tell that their pushes ended (a late
/// retry of a start stays stale), while a file that comes very late (reconciliation)
/// is placed by time into a new broadcast, deleted ones being no candidates.
pub(super) fn remove_unrecorded(c: &Db, id: i64, now: i64) -> Result<(), StoreError> {
    c.execute("UPDATE broadcasts SET deleted_at = ?2, updated_at = ?2 WHERE id = ?1", params![id, now])?;
    tracing::info!(broadcast = id, "broadcast without any recording removed after the settle time");
    Ok(())
}

pub(super) fn set_status(c: &Db, id: i64, status: ReplayStatus, now: i64) -> Result<(), StoreError> {
    c.prepare_cached("UPDATE broadcasts SET status = ?2, updated_at = ?3 WHERE id = ?1")?.execute(params![
        id,
        status_text(status),
        now
    ])?;
    Ok(())
}

// ---- promotion ------------------------------------------------------------------------------

/// Moves every `processing` broadcast that is due to `ready`, and removes those that no
/// file came for within the settle time.
pub fn promote(c: &Db, g: &Grouping, now: i64) -> Result<Promoted, StoreError> {
    let waiting: Vec<(i64, Option<i64>, Option<i64>)> = c
        .prepare_cached(
            "SELECT b.id, b.ended_at,
                (SELECT MAX(end_time) FROM replays r WHERE r.broadcast_id = b.id AND r.deleted_at IS NULL AND r.alternate = 0)
             FROM broadcasts b WHERE b.status = 'processing' AND b.deleted_at IS NULL AND b.merged_into IS NULL",
        )?
        .query_map((), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut done = Promoted::default();
    for (id, ended_at, last_end) in waiting {
        match rules::promotion(g, ReplayStatus::Processing, ended_at, last_end, now) {
            Promotion::Keep => {}
            Promotion::Ready => {
                set_status(c, id, ReplayStatus::Ready, now)?;
                done.ready += 1;
            }
            Promotion::Delete => {
                remove_unrecorded(c, id, now)?;
                done.deleted += 1;
            }
        }
    }
    Ok(done)
}
