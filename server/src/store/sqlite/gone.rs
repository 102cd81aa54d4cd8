//! Files that are gone (`crate::gone`), written and read: a part marked gone leaves the
//! timeline, and its broadcast's `gone_at` is kept in the same transaction (set when its
//! last part not deleted is gone, cleared when a part that is not gone arrives), so the
//! lists leave gone broadcasts out from their index (migration 0009).

use rusqlite::{Connection, OptionalExtension, params};

use super::broadcasts::{self, recompute_alternates};
use super::sql::{BROADCAST_COLUMNS, PART_COLUMNS, broadcast_from_row, part_from_row};
use super::{SqliteStore, sql};
use crate::store::{BroadcastRow, FileCheck, Ingest, NewReplay, PartGone, StoreError, unix_now};

/// Marks a part gone at `at` (unless deleted or gone already), decides its broadcast's
/// alternates again without it (a recording of the same time takes its place) and keeps
/// the broadcast's `gone_at`. `None` if nothing changed.
pub fn mark_gone(c: &Connection, part: i64, at: i64) -> Result<Option<PartGone>, StoreError> {
    let broadcast: Option<Option<i64>> = c
        .prepare_cached(
            "UPDATE replays SET gone_at = ?2 WHERE id = ?1 AND gone_at IS NULL AND deleted_at IS NULL
             RETURNING broadcast_id",
        )?
        .query_row(params![part, at], |r| r.get(0))
        .optional()?;
    let Some(broadcast) = broadcast else { return Ok(None) };
    let broadcast_gone = match broadcast {
        Some(b) => {
            recompute_alternates(c, b)?;
            refresh_broadcast(c, b)?
        }
        None => false,
    };
    Ok(Some(PartGone { part, broadcast, broadcast_gone }))
}

/// Keeps a broadcast's `gone_at`: set (to its parts' latest) when it has parts not
/// deleted and every one is gone, else cleared. Whether it is gone.
pub fn refresh_broadcast(c: &Connection, broadcast: i64) -> Result<bool, StoreError> {
    let (parts, live, latest): (i64, i64, Option<i64>) = c
        .prepare_cached(
            "SELECT COUNT(*), COALESCE(SUM(gone_at IS NULL), 0), MAX(gone_at)
             FROM replays WHERE broadcast_id = ?1 AND deleted_at IS NULL",
        )?
        .query_row([broadcast], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    let gone = parts > 0 && live == 0;
    if gone {
        c.prepare_cached("UPDATE broadcasts SET gone_at = COALESCE(gone_at, ?2) WHERE id = ?1")?
            .execute(params![broadcast, latest])?;
    } else {
        c.prepare_cached("UPDATE broadcasts SET gone_at = NULL WHERE id = ?1 AND gone_at IS NOT NULL")?
            .execute([broadcast])?;
    }
    Ok(gone)
}

/// Sets when a part's file will be deleted by its service; one already past is gone now
/// (at its expiry).
pub fn set_expiry(c: &Connection, part: i64, expires_at: i64, now: i64) -> Result<Option<PartGone>, StoreError> {
    c.prepare_cached("UPDATE replays SET expires_at = ?2 WHERE id = ?1")?.execute(params![part, expires_at])?;
    if expires_at <= now { mark_gone(c, part, expires_at) } else { Ok(None) }
}

/// Parts whose storage time ran out by `now` (a few hundred a round), marked gone at
/// their expiry.
pub fn expire(c: &Connection, now: i64) -> Result<Vec<PartGone>, StoreError> {
    let due: Vec<(i64, i64)> = c
        .prepare_cached(
            "SELECT id, expires_at FROM replays
             WHERE expires_at <= ?1 AND expires_at IS NOT NULL AND gone_at IS NULL AND deleted_at IS NULL
             ORDER BY expires_at LIMIT 500",
        )?
        .query_map([now], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut gone = Vec::new();
    for (part, at) in due {
        gone.extend(mark_gone(c, part, at)?);
    }
    Ok(gone)
}

/// Parts not gone nor deleted whose file was last checked at or before `before`,
/// longest ago first.
pub fn due_checks(c: &Connection, before: i64, limit: u32) -> rusqlite::Result<Vec<FileCheck>> {
    c.prepare_cached(
        "SELECT id, url FROM replays WHERE gone_at IS NULL AND deleted_at IS NULL AND checked_at <= ?1
         ORDER BY checked_at LIMIT ?2",
    )?
    .query_map(params![before, limit], |r| Ok(FileCheck { part: r.get(0)?, url: r.get(1)? }))?
    .collect()
}

pub fn mark_checked(c: &Connection, parts: &[i64], at: i64) -> Result<(), StoreError> {
    let mut stmt = c.prepare_cached("UPDATE replays SET checked_at = ?2 WHERE id = ?1")?;
    for p in parts {
        stmt.execute(params![p, at])?;
    }
    Ok(())
}

/// The broadcast any of its ids names, gone or not, with every part on its timeline
/// including those gone (each with its `gone_at`): what the admin sees.
pub fn broadcast_with_gone(c: &Connection, id: i64) -> rusqlite::Result<Option<BroadcastRow>> {
    let tx = c.unchecked_transaction()?;
    let Some(b) = broadcasts::resolve(&tx, id)? else { return Ok(None) };
    let Some(mut row) = tx
        .prepare_cached(&format!("SELECT {BROADCAST_COLUMNS} FROM broadcasts WHERE id = ?1"))?
        .query_row([b], broadcast_from_row)
        .optional()?
    else {
        return Ok(None);
    };
    row.parts = tx
        .prepare_cached(&format!(
            "SELECT {PART_COLUMNS} FROM replays r LEFT JOIN broadcasts b ON b.id = r.broadcast_id
             WHERE r.broadcast_id = ?1 AND r.deleted_at IS NULL AND r.alternate = 0
             ORDER BY r.start_time, r.id"
        ))?
        .query_map([b], part_from_row)?
        .collect::<Result<_, _>>()?;
    tx.commit()?;
    Ok(Some(row))
}

impl SqliteStore {
    pub async fn record_replay_expiring(&self, r: NewReplay, expires_at: i64) -> Result<Ingest, StoreError> {
        let g = self.grouping;
        self.writer
            .write(move |c| {
                let now = unix_now();
                let ingest = broadcasts::record_part(c, &r, &g, now)?;
                match ingest {
                    Ingest::Stored(row) => {
                        set_expiry(c, row.id, expires_at, now)?;
                        let row = sql::part(c, row.id)?
                            .ok_or_else(|| StoreError::Database(format!("part {} vanished", row.id)))?;
                        Ok(Ingest::Stored(row))
                    }
                    dup => Ok(dup),
                }
            })
            .await
    }

    pub async fn mark_part_gone(&self, part: i64, at: i64) -> Result<Option<PartGone>, StoreError> {
        self.writer.write(move |c| mark_gone(c, part, at)).await
    }

    pub async fn expire_parts(&self, now: i64) -> Result<Vec<PartGone>, StoreError> {
        self.writer.write(move |c| expire(c, now)).await
    }

    pub async fn files_to_check(&self, before: i64, limit: u32) -> Result<Vec<FileCheck>, StoreError> {
        self.readers.read(move |c| due_checks(c, before, limit)).await
    }

    pub async fn files_checked(&self, parts: Vec<i64>, at: i64) -> Result<(), StoreError> {
        self.writer.write(move |c| mark_checked(c, &parts, at)).await
    }

    pub async fn broadcast_with_gone(&self, id: i64) -> Result<Option<BroadcastRow>, StoreError> {
        self.readers.read(move |c| broadcast_with_gone(c, id)).await
    }
}
