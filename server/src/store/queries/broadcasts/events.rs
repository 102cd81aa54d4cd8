//! Live events (a push or publish starting or ending) and Tencent's recording status
//! (event 332): the broadcast they open, reopen, end or fail.

use crate::store::db::{Db, params};
use relive_api::ReplayStatus;

use super::{Fresh, alive, insert, map_session, merge, nearby, next_id, refresh, session, state};
use crate::ingest::broadcast::{self as rules, Signal, Span};
use crate::store::queries::{apply_streamer_live, ensure_streamer, status_text};
use crate::store::{
    BroadcastChange, Grouping, LiveApplied, LiveEvent, RecordEvent, RecordStatus, SessionKey, StoreError,
};

/// A push started or ended: the streamer's `live`, and the broadcast.
pub fn apply_live_event(c: &Db, e: &LiveEvent, g: &Grouping, now: i64) -> Result<LiveApplied, StoreError> {
    ensure_streamer(c, &e.streamer_id, now)?;
    let live_changed = apply_streamer_live(c, e, now)?;
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
pub fn apply_record_status(c: &Db, s: &RecordStatus, g: &Grouping, now: i64) -> Result<BroadcastChange, StoreError> {
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
            &format!(
                "UPDATE broadcasts SET last_seq = {}(COALESCE(last_seq, ''), ?2) WHERE id = ?1",
                c.dialect().greatest()
            ),
            params![broadcast, seq],
        )?;
    }
    Ok(change)
}

/// A push or a recording (re)started at `t`: it reopens the broadcast it reaches (by its
/// session, or within the gap), or opens a new one.
fn start(
    c: &Db,
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
    let nearby = nearby(c, streamer, span, g)?;
    // Broadcasts being recorded for another push of the same service (see rules::for_start).
    let mut replaced = Vec::new();
    if let Some(k) = key {
        for b in nearby.iter().filter(|b| b.extent.open) {
            let other = c
                .prepare_cached(
                    "SELECT 1 FROM broadcast_sessions WHERE broadcast_id = ?1 AND source = ?2 AND key != ?3
                     AND started_at IS NOT NULL AND ended_at IS NULL",
                )?
                .exists(params![b.id, k.source, k.key])?;
            if other {
                replaced.push(b.id);
            }
        }
    }
    let placement = rules::place(g, span, keyed.as_ref(), &rules::for_start(&nearby, &replaced));
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
    // before this start lost its end (at the latest now). Its sessions stay open: should
    // their real end come after all, it says when the push ended. (On this broadcast, an
    // end of an earlier session of the same source is superseded by this one: `finish`.)
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
        refresh(c, b, g, now)?;
    }
    if let Some(k) = key {
        map_session(c, streamer, k, target)?;
        c.execute(
            "UPDATE broadcast_sessions SET started_at = ?4, ended_at = NULL WHERE streamer_id = ?1 AND source = ?2 AND key = ?3",
            params![streamer, k.source, k.key, t],
        )?;
    }
    c.execute(
        &format!(
            "UPDATE broadcasts SET status = 'recording', ended_at = NULL, started_at = {}(COALESCE(started_at, ?2), ?2),
                 updated_at = ?3 WHERE id = ?1",
            c.dialect().least()
        ),
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
    c: &Db,
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
        // A repeated push end (Tencent retries, nginx-rtmp and SRS may call twice).
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
    // When the push began, if the end tells (Tencent's push_duration).
    let began = (span.start < span.end).then_some(span.start);
    let s = state(c, target)?;
    let status = rules::next_status(s.status, end.signal);
    let ended_at = match s.ended_at {
        Some(known) if end.keep_earlier_end => known,
        _ => t,
    };
    c.execute(
        "UPDATE broadcasts SET status = ?2, ended_at = ?3, failure = COALESCE(?4, failure),
             started_at = COALESCE(started_at, ?5), updated_at = ?6 WHERE id = ?1",
        params![target, status_text(status), ended_at, end.failure, began, now],
    )?;
    if let Some(k) = key {
        map_session(c, streamer, k, target)?;
        c.execute(
            "UPDATE broadcast_sessions SET started_at = COALESCE(started_at, ?4),
                 ended_at = CASE WHEN ?5 THEN COALESCE(ended_at, ?6) ELSE ended_at END
             WHERE streamer_id = ?1 AND source = ?2 AND key = ?3",
            params![streamer, k.source, k.key, began, end.session_ends, t],
        )?;
    }
    Ok(match refresh(c, target, g, now)? {
        Some(status) => BroadcastChange::Applied { broadcast: target, status },
        None => BroadcastChange::Stale,
    })
}
