//! Placing a recording: stored once, then joined to its broadcast (by session, else by
//! time), merging what it bridges.

use crate::store::db::{Db, params};

use super::{
    Fresh, Gone, alive, insert, map_session, merge, nearby, refresh_known, session, set_status, state, timeline_spans,
};
use crate::ingest::broadcast::{self as rules, Signal, Span};
use crate::store::queries::{ensure_streamer, insert_part, part};
use crate::store::{Grouping, Ingest, NewReplay, StoreError};
use relive_api::ReplayStatus;

/// Stores a recording once and places it in its broadcast (see `crate::ingest::broadcast`).
///
/// Where it goes is decided before it is inserted (those reads are of broadcasts and
/// sessions, which the part does not change), so a part joining a broadcast, bridging
/// nothing (a push's every part after the first), is inserted in place. Setting
/// `broadcast_id` after rewrote both of its index entries, the timeline's a wide one.
pub fn record_part(c: &Db, r: &NewReplay, g: &Grouping, now: i64) -> Result<Ingest, StoreError> {
    ensure_streamer(c, &r.streamer_id, now)?;
    let span = Span::new(r.start_time, r.end_time);
    let mut keyed = None;
    // The broadcast each session maps to now, as far as read (those after the first
    // alive one are not).
    let mut mapped = Vec::with_capacity(r.sessions.len());
    for k in &r.sessions {
        let s = session(c, &r.streamer_id, k)?;
        mapped.push(s.as_ref().map(|s| s.broadcast_id));
        if let Some(s) = s
            && let Some(b) = alive(c, s.broadcast_id)?
        {
            keyed = Some(b);
            break;
        }
    }
    let placement = rules::place(g, span, keyed.as_ref(), &nearby(c, &r.streamer_id, span, g)?);
    let duplicate = || -> Result<Ingest, StoreError> {
        let id = c.query_row(
            "SELECT id FROM replays WHERE source = ?1 AND source_file_id = ?2",
            params![r.source, r.source_file_id],
            |row| row.get(0),
        )?;
        Ok(Ingest::Duplicate(id))
    };
    let (id, target) = match placement.join {
        Some(b) if placement.merge.is_empty() => {
            let alternate = rules::is_alternate(span, &timeline_spans(c, b)?);
            match insert_part(c, r, now, Some(b), alternate)? {
                Some(id) => (id, b),
                None => return duplicate(),
            }
        }
        join => {
            let Some(id) = insert_part(c, r, now, None, false)? else { return duplicate() };
            let target = match join {
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
            (id, target)
        }
    };
    for (i, k) in r.sessions.iter().enumerate() {
        // A session already on its broadcast (a push's every part after the first) is
        // not written again.
        if mapped.get(i).copied().flatten() != Some(target) {
            map_session(c, &r.streamer_id, k, target)?;
        }
    }
    if r.title.is_some() {
        c.execute("UPDATE broadcasts SET title = COALESCE(title, ?2) WHERE id = ?1", params![target, r.title])?;
    }
    let s = state(c, target)?;
    let status = rules::next_status(s.status, Signal::Part);
    // Its state as refreshing needs it: as read, unless this changed it.
    let known = if status != s.status {
        set_status(c, target, status, now)?;
        // A failed broadcast whose push end is unknown: this file is as far as it goes.
        c.execute("UPDATE broadcasts SET ended_at = COALESCE(ended_at, ?2) WHERE id = ?1", params![target, span.end])?;
        None
    } else {
        Some(s)
    };
    // The part just stored is not gone: neither is its broadcast any more.
    refresh_known(c, target, g, now, Gone::NotAny, known)?;
    crate::store::queries::jobs::enqueue_follow_ups(c, id, &r.follow_ups, now)?;
    let row = part(c, id)?.ok_or_else(|| StoreError::Database(format!("part {id} vanished")))?;
    Ok(Ingest::Stored(row))
}
