//! Broadcasts, written: the store's half of `crate::ingest::broadcast`. Each function
//! runs inside one write job (one savepoint of the writer's transaction): it reads what
//! the rules need, asks them, and writes what they decided — a part placed, broadcasts
//! merged, a status moved — so a callback's whole effect commits or none of it does.

use relive_api::ReplayStatus;
use rusqlite::{Connection, OptionalExtension, params};

use crate::ingest::broadcast::{self as rules, Candidate, Extent, PartSpan, Promotion, Signal, Span};
use crate::store::{
    BroadcastChange, Grouping, Ingest, LiveApplied, LiveEvent, NewReplay, Promoted, RecordEvent, RecordStatus,
    SessionKey, StoreError,
};

use super::sql::{ensure_streamer, insert_part, part, status_text};

// ---- ids --------------------------------------------------------------------------------

/// A fresh id for a broadcast made before any part. Parts and broadcasts share one id
/// space: the parts' AUTOINCREMENT sequence (`sqlite_sequence`, row `replays`). Raising
/// it here, in the same transaction as the broadcast's insert, reserves the id: SQLite
/// gives the next part max(sequence, largest id) + 1, so no part ever takes it, and a
/// rolled-back write gives the id back with everything else. (SQLite documents that
/// `sqlite_sequence` may be changed with ordinary statements; only raising it is safe,
/// which is all this does.)
fn next_id(c: &Connection) -> Result<i64, StoreError> {
    let top: i64 = c.query_row(
        "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'replays'), 0),
                    COALESCE((SELECT MAX(id) FROM replays), 0),
                    COALESCE((SELECT MAX(id) FROM broadcasts), 0))",
        [],
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
struct State {
    status: ReplayStatus,
    title: Option<String>,
    hidden: bool,
    failure: Option<String>,
    started_at: Option<i64>,
    ended_at: Option<i64>,
    last_seq: Option<String>,
    sort_time: i64,
}

fn state(c: &Connection, id: i64) -> Result<State, StoreError> {
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

fn candidate_from_row(r: &rusqlite::Row) -> rusqlite::Result<Candidate> {
    Ok(Candidate {
        id: r.get(0)?,
        sort_time: r.get(1)?,
        extent: Extent { start: r.get(2)?, end: r.get(3)?, open: r.get(4)? },
    })
}

/// The broadcast `id`, if it is alive (neither deleted nor merged into another).
fn alive(c: &Connection, id: i64) -> Result<Option<Candidate>, StoreError> {
    Ok(c.query_row(
        &format!("SELECT {CANDIDATE} FROM broadcasts WHERE id = ?1 AND deleted_at IS NULL AND merged_into IS NULL"),
        [id],
        candidate_from_row,
    )
    .optional()?)
}

/// The stream's live broadcasts that `span` may reach within the gap, and those being
/// recorded (which reach forward without end).
fn nearby(c: &Connection, streamer: &str, span: Span, g: &Grouping) -> Result<Vec<Candidate>, StoreError> {
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
struct Session {
    broadcast_id: i64,
    started_at: Option<i64>,
    ended_at: Option<i64>,
    last_seq: Option<String>,
}

fn session(c: &Connection, streamer: &str, k: &SessionKey) -> Result<Option<Session>, StoreError> {
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
fn map_session(c: &Connection, streamer: &str, k: &SessionKey, broadcast: i64) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT INTO broadcast_sessions (streamer_id, source, key, broadcast_id) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (streamer_id, source, key) DO UPDATE SET broadcast_id = ?4",
    )?
    .execute(params![streamer, k.source, k.key, broadcast])?;
    Ok(())
}

/// The timeline's parts (start, end), in no particular order.
fn timeline_spans(c: &Connection, broadcast: i64) -> Result<Vec<Span>, StoreError> {
    let mut stmt = c.prepare_cached(
        "SELECT start_time, end_time FROM replays WHERE broadcast_id = ?1 AND deleted_at IS NULL AND alternate = 0",
    )?;
    let rows = stmt.query_map([broadcast], |r| Ok(Span::new(r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

// ---- writing what the rules decided -------------------------------------------------------

/// A new broadcast.
struct Fresh<'a> {
    id: i64,
    streamer: &'a str,
    title: Option<&'a str>,
    sort_time: i64,
    status: ReplayStatus,
    started_at: Option<i64>,
    ended_at: Option<i64>,
    extent: Span,
}

fn insert(c: &Connection, b: Fresh, now: i64) -> Result<i64, StoreError> {
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
fn merge(c: &Connection, survivor: i64, losers: &[i64], now: i64) -> Result<(), StoreError> {
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

/// Decides again which of a broadcast's parts are alternates (after a merge or a deletion).
fn recompute_alternates(c: &Connection, broadcast: i64) -> Result<(), StoreError> {
    let parts: Vec<PartSpan> = c
        .prepare_cached("SELECT id, start_time, end_time FROM replays WHERE broadcast_id = ?1 AND deleted_at IS NULL")?
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
pub fn refresh(c: &Connection, id: i64, g: &Grouping, now: i64) -> Result<Option<ReplayStatus>, StoreError> {
    let (first, last, last_timeline): (Option<i64>, Option<i64>, Option<i64>) = c
        .prepare_cached(
            "SELECT MIN(start_time), MAX(MAX(end_time, start_time)), MAX(CASE WHEN alternate = 0 THEN end_time END)
             FROM replays WHERE broadcast_id = ?1 AND deleted_at IS NULL",
        )?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    let s = state(c, id)?;
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
fn remove_unrecorded(c: &Connection, id: i64, now: i64) -> Result<(), StoreError> {
    c.execute("UPDATE broadcasts SET deleted_at = ?2, updated_at = ?2 WHERE id = ?1", params![id, now])?;
    tracing::info!(broadcast = id, "broadcast without any recording removed after the settle time");
    Ok(())
}

fn set_status(c: &Connection, id: i64, status: ReplayStatus, now: i64) -> Result<(), StoreError> {
    c.prepare_cached("UPDATE broadcasts SET status = ?2, updated_at = ?3 WHERE id = ?1")?.execute(params![
        id,
        status_text(status),
        now
    ])?;
    Ok(())
}

// ---- parts --------------------------------------------------------------------------------

/// Stores a recording once and places it in its broadcast (see `crate::ingest::broadcast`).
pub fn record_part(c: &Connection, r: &NewReplay, g: &Grouping, now: i64) -> Result<Ingest, StoreError> {
    ensure_streamer(c, &r.streamer_id, now)?;
    let Some(id) = insert_part(c, r, now)? else {
        let id = c.query_row(
            "SELECT id FROM replays WHERE source = ?1 AND source_file_id = ?2",
            params![r.source, r.source_file_id],
            |row| row.get(0),
        )?;
        return Ok(Ingest::Duplicate(id));
    };
    let span = Span::new(r.start_time, r.end_time);
    let mut keyed = None;
    for k in &r.sessions {
        if let Some(s) = session(c, &r.streamer_id, k)?
            && let Some(b) = alive(c, s.broadcast_id)?
        {
            keyed = Some(b);
            break;
        }
    }
    let placement = rules::place(g, span, keyed.as_ref(), &nearby(c, &r.streamer_id, span, g)?);
    let target = match placement.join {
        Some(b) => b,
        // No push was heard of: nothing more is known to come.
        None => insert(
            c,
            Fresh {
                id,
                streamer: &r.streamer_id,
                title: r.title.as_deref(),
                sort_time: span.start,
                status: ReplayStatus::Ready,
                started_at: None,
                ended_at: None,
                extent: span,
            },
            now,
        )?,
    };
    merge(c, target, &placement.merge, now)?;
    let alternate = rules::is_alternate(span, &timeline_spans(c, target)?);
    c.prepare_cached("UPDATE replays SET broadcast_id = ?2, alternate = ?3 WHERE id = ?1")?
        .execute(params![id, target, alternate])?;
    for k in &r.sessions {
        map_session(c, &r.streamer_id, k, target)?;
    }
    if r.title.is_some() {
        c.execute("UPDATE broadcasts SET title = COALESCE(title, ?2) WHERE id = ?1", params![target, r.title])?;
    }
    let s = state(c, target)?;
    let status = rules::next_status(s.status, Signal::Part);
    if status != s.status {
        set_status(c, target, status, now)?;
        // A failed broadcast whose push end is unknown: this file is as far as it goes.
        c.execute("UPDATE broadcasts SET ended_at = COALESCE(ended_at, ?2) WHERE id = ?1", params![target, span.end])?;
    }
    refresh(c, target, g, now)?;
    let row = part(c, id)?.ok_or_else(|| StoreError::Database(format!("part {id} vanished")))?;
    Ok(Ingest::Stored(row))
}

// ---- live events ----------------------------------------------------------------------------

/// A push started or ended: the streamer's `live`, and the broadcast.
pub fn apply_live_event(c: &Connection, e: &LiveEvent, g: &Grouping, now: i64) -> Result<LiveApplied, StoreError> {
    ensure_streamer(c, &e.streamer_id, now)?;
    let live_changed = super::sql::apply_streamer_live(c, e, now)?;
    let broadcast = if e.live {
        start(c, &e.streamer_id, e.session.as_ref(), e.event_time, e.stamped, g, now)?
    } else {
        let span = Span::new(e.push_started_at.unwrap_or(e.event_time), e.event_time);
        let end = End { signal: Signal::End, session_ends: true, keep_earlier_end: false, failure: None };
        finish(c, &e.streamer_id, e.session.as_ref(), span, end, g, now)?
    };
    Ok(LiveApplied { live_changed, broadcast })
}

/// Tencent's recording status (event 332), in `seq` order per session.
pub fn apply_record_status(
    c: &Connection,
    s: &RecordStatus,
    g: &Grouping,
    now: i64,
) -> Result<BroadcastChange, StoreError> {
    ensure_streamer(c, &s.streamer_id, now)?;
    let seq = format!("{:020}", s.seq);
    if let Some(k) = &s.session
        && let Some(known) = session(c, &s.streamer_id, k)?
        && known.last_seq.as_ref().is_some_and(|last| *last >= seq)
    {
        return Ok(BroadcastChange::Stale);
    }
    let t = s.event_time;
    let key = s.session.as_ref();
    let change = match s.event {
        RecordEvent::StartSucceeded | RecordEvent::Resumed => start(c, &s.streamer_id, key, t, false, g, now)?,
        RecordEvent::Paused | RecordEvent::Ended => {
            let end = End {
                signal: Signal::End,
                session_ends: s.event == RecordEvent::Ended,
                keep_earlier_end: true,
                failure: None,
            };
            finish(c, &s.streamer_id, key, Span::at(t), end, g, now)?
        }
        RecordEvent::StartFailed | RecordEvent::Error => {
            let reason = match s.detail.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
                Some(detail) => format!("{}: {detail}", s.event.as_str()),
                None => s.event.as_str().to_string(),
            };
            let end = End { signal: Signal::Failed, session_ends: true, keep_earlier_end: true, failure: Some(reason) };
            finish(c, &s.streamer_id, key, Span::at(t), end, g, now)?
        }
    };
    if let Some(k) = key {
        c.execute(
            "UPDATE broadcast_sessions SET last_seq = ?4 WHERE streamer_id = ?1 AND source = ?2 AND key = ?3",
            params![s.streamer_id, k.source, k.key, seq],
        )?;
    }
    if let BroadcastChange::Applied { broadcast, .. } | BroadcastChange::Superseded { broadcast } = change {
        c.execute(
            "UPDATE broadcasts SET last_seq = MAX(COALESCE(last_seq, ''), ?2) WHERE id = ?1",
            params![broadcast, seq],
        )?;
    }
    Ok(change)
}

/// A push or a recording (re)started at `t`: it reopens the broadcast it reaches (by its
/// session, or within the gap), or opens a new one.
fn start(
    c: &Connection,
    streamer: &str,
    key: Option<&SessionKey>,
    t: i64,
    stamped: bool,
    g: &Grouping,
    now: i64,
) -> Result<BroadcastChange, StoreError> {
    let mut keyed = None;
    if let Some(s) = key.map(|k| session(c, streamer, k)).transpose()?.flatten() {
        match s.ended_at {
            // The start of a push whose end was applied already: late.
            Some(end) if stamped && t <= end => return Ok(BroadcastChange::Stale),
            // The id is used again (nginx-rtmp restarted) or the session resumed: time decides.
            Some(_) => {}
            None => keyed = alive(c, s.broadcast_id)?,
        }
    }
    let span = Span::at(t);
    let placement = rules::place(g, span, keyed.as_ref(), &nearby(c, streamer, span, g)?);
    let target = match placement.join {
        Some(b) => b,
        None => {
            let id = next_id(c)?;
            let fresh = Fresh {
                id,
                streamer,
                title: None,
                sort_time: t,
                status: ReplayStatus::Recording,
                started_at: Some(t),
                ended_at: None,
                extent: span,
            };
            insert(c, fresh, now)?
        }
    };
    merge(c, target, &placement.merge, now)?;
    // A stream pushes once at a time: a broadcast of it still being recorded that began
    // before this start lost its end, and so did this broadcast's earlier sessions.
    let lost: Vec<i64> = c
        .prepare_cached(
            "SELECT id FROM broadcasts WHERE streamer_id = ?1 AND status = 'recording' AND id != ?2
             AND deleted_at IS NULL AND merged_into IS NULL AND ext_start <= ?3",
        )?
        .query_map(params![streamer, target, t], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for b in lost {
        tracing::warn!(broadcast = b, stream = streamer, "a new push began before this broadcast's end was heard");
        c.execute("UPDATE broadcasts SET status = 'processing', ended_at = ?2 WHERE id = ?1", params![b, t])?;
        c.execute(
            "UPDATE broadcast_sessions SET ended_at = ?2 WHERE broadcast_id = ?1 AND started_at IS NOT NULL AND ended_at IS NULL",
            params![b, t],
        )?;
        refresh(c, b, g, now)?;
    }
    if let Some(k) = key {
        c.execute(
            "UPDATE broadcast_sessions SET ended_at = ?4 WHERE broadcast_id = ?1 AND source = ?2 AND key != ?3
             AND started_at IS NOT NULL AND ended_at IS NULL",
            params![target, k.source, k.key, t],
        )?;
        map_session(c, streamer, k, target)?;
        c.execute(
            "UPDATE broadcast_sessions SET started_at = ?4, ended_at = NULL WHERE streamer_id = ?1 AND source = ?2 AND key = ?3",
            params![streamer, k.source, k.key, t],
        )?;
    }
    c.execute(
        "UPDATE broadcasts SET status = 'recording', ended_at = NULL, started_at = MIN(COALESCE(started_at, ?2), ?2),
             updated_at = ?3 WHERE id = ?1",
        params![target, t, now],
    )?;
    refresh(c, target, g, now)?;
    Ok(BroadcastChange::Applied { broadcast: target, status: ReplayStatus::Recording })
}

/// How an end applies.
struct End {
    signal: Signal,
    /// The session is over (a push cut, `record_ended`), not paused.
    session_ends: bool,
    /// An end already known stands (Tencent's `record_ended` comes long after the cut).
    keep_earlier_end: bool,
    failure: Option<String>,
}

/// A push or a recording ended (or failed) over `span` (its end is `span.end`): its
/// session's broadcast, else the one it reaches, else a new one (without parts: deleted
/// after the settle time unless it failed).
fn finish(
    c: &Connection,
    streamer: &str,
    key: Option<&SessionKey>,
    span: Span,
    end: End,
    g: &Grouping,
    now: i64,
) -> Result<BroadcastChange, StoreError> {
    let t = span.end;
    let mut target = None;
    if let Some(k) = key
        && let Some(s) = session(c, streamer, k)?
    {
        // A repeated push end (a retry, or a session ended by a newer push).
        if end.signal == Signal::End && !end.keep_earlier_end && s.ended_at.is_some() {
            return Ok(BroadcastChange::Stale);
        }
        // A newer session of the same source carries the broadcast on.
        let superseded = s.started_at.is_some()
            && c.prepare_cached(
                "SELECT 1 FROM broadcast_sessions WHERE broadcast_id = ?1 AND source = ?2 AND key != ?3
                 AND started_at > ?4 AND ended_at IS NULL",
            )?
            .exists(params![s.broadcast_id, k.source, k.key, s.started_at])?;
        if superseded {
            if end.session_ends {
                c.execute(
                    "UPDATE broadcast_sessions SET ended_at = COALESCE(ended_at, ?4)
                     WHERE streamer_id = ?1 AND source = ?2 AND key = ?3",
                    params![streamer, k.source, k.key, t],
                )?;
            }
            return Ok(BroadcastChange::Superseded { broadcast: s.broadcast_id });
        }
        target = alive(c, s.broadcast_id)?.map(|b| b.id);
    }
    let target = match target.or(rules::end_target(g, span, &nearby(c, streamer, span, g)?)) {
        Some(b) => b,
        None => {
            let id = next_id(c)?;
            let status = rules::next_status(ReplayStatus::Recording, end.signal);
            let fresh = Fresh {
                id,
                streamer,
                title: None,
                sort_time: span.start,
                status,
                started_at: Some(span.start),
                ended_at: Some(t),
                extent: span,
            };
            insert(c, fresh, now)?
        }
    };
    let s = state(c, target)?;
    let status = rules::next_status(s.status, end.signal);
    let ended_at = match s.ended_at {
        Some(known) if end.keep_earlier_end => known,
        _ => t,
    };
    c.execute(
        "UPDATE broadcasts SET status = ?2, ended_at = ?3, failure = COALESCE(?4, failure),
             started_at = COALESCE(started_at, ?5), updated_at = ?6 WHERE id = ?1",
        params![target, status_text(status), ended_at, end.failure, span.start, now],
    )?;
    if let Some(k) = key {
        map_session(c, streamer, k, target)?;
        c.execute(
            "UPDATE broadcast_sessions SET started_at = COALESCE(started_at, ?4),
                 ended_at = CASE WHEN ?5 THEN COALESCE(ended_at, ?6) ELSE ended_at END
             WHERE streamer_id = ?1 AND source = ?2 AND key = ?3",
            params![streamer, k.source, k.key, span.start, end.session_ends, t],
        )?;
    }
    Ok(match refresh(c, target, g, now)? {
        Some(status) => BroadcastChange::Applied { broadcast: target, status },
        None => BroadcastChange::Stale,
    })
}

// ---- promotion ------------------------------------------------------------------------------

/// Moves every `processing` broadcast that is due to `ready`, and removes those that no
/// file came for within the settle time.
pub fn promote(c: &Connection, g: &Grouping, now: i64) -> Result<Promoted, StoreError> {
    let waiting: Vec<(i64, Option<i64>, Option<i64>)> = c
        .prepare_cached(
            "SELECT b.id, b.ended_at,
                (SELECT MAX(end_time) FROM replays r WHERE r.broadcast_id = b.id AND r.deleted_at IS NULL AND r.alternate = 0)
             FROM broadcasts b WHERE b.status = 'processing' AND b.deleted_at IS NULL AND b.merged_into IS NULL",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
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

// ---- admin ----------------------------------------------------------------------------------

/// The live broadcast an id names: a broadcast's, a tombstone's (its survivor), or a
/// part's (its broadcast). `None` if deleted or unknown.
pub fn resolve(c: &Connection, id: i64) -> rusqlite::Result<Option<i64>> {
    let mut next = c
        .prepare_cached("SELECT id FROM broadcasts WHERE id = ?1")?
        .query_row([id], |r| r.get::<_, i64>(0))
        .optional()?;
    if next.is_none() {
        next = c
            .prepare_cached("SELECT broadcast_id FROM replays WHERE id = ?1 AND deleted_at IS NULL")?
            .query_row([id], |r| r.get::<_, Option<i64>>(0))
            .optional()?
            .flatten();
    }
    // Tombstones point straight at their survivor (merges keep it so); a few hops at most.
    for _ in 0..8 {
        let Some(b) = next else { return Ok(None) };
        let (merged_into, deleted): (Option<i64>, bool) = c
            .prepare_cached("SELECT merged_into, deleted_at IS NOT NULL FROM broadcasts WHERE id = ?1")?
            .query_row([b], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
            .unwrap_or((None, true));
        match merged_into {
            Some(m) => next = Some(m),
            None if deleted => return Ok(None),
            None => return Ok(Some(b)),
        }
    }
    Ok(None)
}

/// Deletes a broadcast and its parts (kept as tombstones, so a retried callback is still a duplicate).
pub fn delete_broadcast(c: &Connection, id: i64, now: i64) -> Result<bool, StoreError> {
    let Some(b) = resolve(c, id)? else { return Ok(false) };
    c.execute("UPDATE broadcasts SET deleted_at = ?2, updated_at = ?2 WHERE id = ?1", params![b, now])?;
    c.execute("UPDATE replays SET deleted_at = ?2 WHERE broadcast_id = ?1 AND deleted_at IS NULL", params![b, now])?;
    Ok(true)
}

/// Deletes one part of the broadcast `id` names: the broadcast is shorter, or, without
/// parts left, deleted too.
pub fn delete_part(
    c: &Connection,
    id: i64,
    part_id: i64,
    g: &Grouping,
    now: i64,
) -> Result<crate::store::PartDeleted, StoreError> {
    use crate::store::PartDeleted;
    let Some(b) = resolve(c, id)? else { return Ok(PartDeleted::NotFound) };
    let n = c.execute(
        "UPDATE replays SET deleted_at = ?3 WHERE id = ?2 AND broadcast_id = ?1 AND deleted_at IS NULL",
        params![b, part_id, now],
    )?;
    if n == 0 {
        return Ok(PartDeleted::NotFound);
    }
    let left = c.prepare_cached("SELECT 1 FROM replays WHERE broadcast_id = ?1 AND deleted_at IS NULL")?.exists([b])?;
    if !left {
        c.execute("UPDATE broadcasts SET deleted_at = ?2, updated_at = ?2 WHERE id = ?1", params![b, now])?;
        return Ok(PartDeleted::BroadcastDeleted);
    }
    recompute_alternates(c, b)?;
    refresh(c, b, g, now)?;
    Ok(PartDeleted::Deleted)
}

// ---- migration ------------------------------------------------------------------------------

/// Migration 0006: every recording not deleted becomes a part; a streamer's recordings
/// (hidden ones apart, so that hiding stays as the admin set it) are grouped by time
/// alone with the default gap, in start order; each group is a broadcast with the id,
/// title and visibility of its first part, and `ready`.
pub fn group_existing(c: &Connection) -> Result<(), StoreError> {
    let g = Grouping::default();
    let now = crate::store::unix_now();
    let mut stmt = c.prepare(
        "SELECT id, streamer_id, hidden, start_time, end_time, title, created_at FROM replays
         WHERE deleted_at IS NULL ORDER BY streamer_id, hidden, start_time, id",
    )?;
    type Row = (i64, String, bool, i64, i64, Option<String>, i64);
    let rows =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)))?;
    let mut group: Vec<Row> = Vec::new();
    let flush = |group: &mut Vec<Row>| -> Result<(), StoreError> {
        let spans: Vec<Span> = group.iter().map(|r| Span::new(r.3, r.4)).collect();
        let firsts = rules::group_by_time(&g, &spans);
        let mut i = 0;
        while i < group.len() {
            let members: Vec<usize> = (i..group.len()).take_while(|&j| firsts[j] == i).collect();
            let first = &group[i];
            let extent = Span::new(
                members.iter().map(|&j| group[j].3).min().unwrap_or(first.3),
                members.iter().map(|&j| group[j].4.max(group[j].3)).max().unwrap_or(first.4),
            );
            c.execute(
                "INSERT INTO broadcasts (id, streamer_id, title, hidden, status, sort_time, ext_start, ext_end,
                     created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, 'ready', ?5, ?6, ?7, ?8, ?9)",
                params![first.0, first.1, first.5, first.2, first.3, extent.start, extent.end, first.6, now],
            )?;
            let parts: Vec<PartSpan> = members.iter().map(|&j| PartSpan { id: group[j].0, span: spans[j] }).collect();
            let alternates = rules::alternates(&parts);
            for p in &parts {
                c.execute(
                    "UPDATE replays SET broadcast_id = ?2, alternate = ?3 WHERE id = ?1",
                    params![p.id, first.0, alternates.contains(&p.id)],
                )?;
            }
            i += members.len();
        }
        group.clear();
        Ok(())
    };
    let mut count = 0usize;
    for row in rows {
        let row = row?;
        if group.last().is_some_and(|last| (&last.1, last.2) != (&row.1, row.2)) {
            flush(&mut group)?;
        }
        group.push(row);
        count += 1;
    }
    flush(&mut group)?;
    tracing::info!(recordings = count, "recordings grouped into broadcasts");
    Ok(())
}
