//! What an id names (a broadcast, a tombstone's survivor, a part's broadcast), and the
//! admin's deletions.

use crate::store::db::{Db, DbError, OptionalExtension, params};

use super::{recompute_alternates, refresh};
use crate::store::{Grouping, StoreError};

/// The live broadcast an id names: a broadcast's, a tombstone's (its survivor), or a
/// part's (its broadcast). `None` if deleted or unknown.
pub fn resolve(c: &Db, id: i64) -> Result<Option<i64>, DbError> {
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
pub fn delete_broadcast(c: &Db, id: i64, now: i64) -> Result<bool, StoreError> {
    let Some(b) = resolve(c, id)? else { return Ok(false) };
    c.execute("UPDATE broadcasts SET deleted_at = ?2, updated_at = ?2 WHERE id = ?1", params![b, now])?;
    c.execute("UPDATE replays SET deleted_at = ?2 WHERE broadcast_id = ?1 AND deleted_at IS NULL", params![b, now])?;
    Ok(true)
}

/// Deletes one part of the broadcast `id` names: the broadcast is shorter, or, without
/// parts left, deleted too.
pub fn delete_part(
    c: &Db,
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
