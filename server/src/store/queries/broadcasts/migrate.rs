//! Migration 0006's second half: the recordings of a database made before broadcasts,
//! grouped by the same rules as new ones.

use crate::store::db::{Db, params};

use crate::ingest::broadcast::{self as rules, PartSpan, Span};
use crate::store::{Grouping, StoreError};

/// Migration 0006: every recording not deleted becomes a part; a streamer's recordings
/// (hidden ones apart, so that hiding stays as the admin set it) are grouped by time
/// alone with the default gap, in start order; each group is a broadcast with the id,
/// title and visibility of its first part, and `ready`.
pub fn group_existing(c: &Db) -> Result<(), StoreError> {
    let g = Grouping::default();
    let now = crate::store::unix_now();
    let mut stmt = c.prepare(
        "SELECT id, streamer_id, hidden, start_time, end_time, title, created_at FROM replays
         WHERE deleted_at IS NULL ORDER BY streamer_id, hidden, start_time, id",
    )?;
    type Row = (i64, String, bool, i64, i64, Option<String>, i64);
    let rows =
        stmt.query_map((), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)))?;
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
            c.prepare_cached(
                "INSERT INTO broadcasts (id, streamer_id, title, hidden, status, sort_time, ext_start, ext_end,
                     created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, 'ready', ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                first.0,
                first.1,
                first.5,
                first.2,
                first.3,
                extent.start,
                extent.end,
                first.6,
                now
            ])?;
            let parts: Vec<PartSpan> = members.iter().map(|&j| PartSpan { id: group[j].0, span: spans[j] }).collect();
            let alternates = rules::alternates(&parts);
            for p in &parts {
                c.prepare_cached("UPDATE replays SET broadcast_id = ?2, alternate = ?3 WHERE id = ?1")?
                    .execute(params![p.id, first.0, alternates.contains(&p.id)])?;
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
