//! Files that are gone (`crate::gone`), written and read: a part marked gone leaves the
//! timeline, and its broadcast's `gone_at` is kept in the same transaction (set when its
//! last part not deleted is gone, cleared when a part that is not gone arrives), so the
//! lists leave gone broadcasts out from their index (migration 0009).

use crate::store::db::{Db, DbError, OptionalExtension, Row, params};

use super::broadcasts::{self, recompute_alternates};
use super::{BROADCAST_COLUMNS, PART_COLUMNS, broadcast_from_row, part_from_row};
use crate::store::{BroadcastRow, FileCheck, Grouping, Ingest, NewReplay, PartGone, StoreError};

/// Marks a part gone at `at` (unless deleted or gone already), decides its broadcast's
/// alternates again without it (a recording of the same time takes its place) and keeps
/// the broadcast's `gone_at`. `None` if nothing changed.
pub fn mark_gone(c: &Db, part: i64, at: i64) -> Result<Option<PartGone>, StoreError> {
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
pub fn refresh_broadcast(c: &Db, broadcast: i64) -> Result<bool, StoreError> {
    let (parts, live, latest): (i64, i64, Option<i64>) = c
        .prepare_cached(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN gone_at IS NULL THEN 1 ELSE 0 END), 0), MAX(gone_at)
             FROM replays WHERE broadcast_id = ?1 AND deleted_at IS NULL",
        )?
        .query_row([broadcast], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    let gone = parts > 0 && live == 0;
    if gone {
        c.prepare_cached("UPDATE broadcasts SET gone_at = COALESCE(gone_at, ?2) WHERE id = ?1")?
            .execute(params![broadcast, latest])?;
    } else {
        not_gone(c, broadcast)?;
    }
    Ok(gone)
}

/// A part not gone was added to `broadcast`: it is not gone (any more).
pub fn not_gone(c: &Db, broadcast: i64) -> Result<(), StoreError> {
    c.prepare_cached("UPDATE broadcasts SET gone_at = NULL WHERE id = ?1 AND gone_at IS NOT NULL")?
        .execute([broadcast])?;
    Ok(())
}

/// Sets when a part's file will be deleted by its service; one already past is gone now
/// (at its expiry).
pub fn set_expiry(c: &Db, part: i64, expires_at: i64, now: i64) -> Result<Option<PartGone>, StoreError> {
    c.prepare_cached("UPDATE replays SET expires_at = ?2 WHERE id = ?1")?.execute(params![part, expires_at])?;
    if expires_at <= now { mark_gone(c, part, expires_at) } else { Ok(None) }
}

/// Parts whose storage time ran out by `now` (a few hundred a round), marked gone at
/// their expiry.
pub fn expire(c: &Db, now: i64) -> Result<Vec<PartGone>, StoreError> {
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
pub fn due_checks(c: &Db, before: i64, limit: u32) -> Result<Vec<FileCheck>, DbError> {
    c.prepare_cached(
        "SELECT id, url, created_at FROM replays WHERE gone_at IS NULL AND deleted_at IS NULL AND checked_at <= ?1
         ORDER BY checked_at LIMIT ?2",
    )?
    .query_map(params![before, limit], file_check_from_row)?
    .collect()
}

fn file_check_from_row(r: &Row) -> Result<FileCheck, DbError> {
    Ok(FileCheck { part: r.get(0)?, url: r.get(1)?, arrived_at: r.get(2)? })
}

/// One part, neither gone nor deleted, to check.
pub fn file_to_check(c: &Db, part: i64) -> Result<Option<FileCheck>, DbError> {
    c.prepare_cached(
        "SELECT id, url, created_at FROM replays WHERE id = ?1 AND gone_at IS NULL AND deleted_at IS NULL",
    )?
    .query_row([part], file_check_from_row)
    .optional()
}

pub fn mark_checked(c: &Db, parts: &[i64], at: i64) -> Result<(), StoreError> {
    let mut stmt = c.prepare_cached("UPDATE replays SET checked_at = ?2 WHERE id = ?1")?;
    for p in parts {
        stmt.execute(params![p, at])?;
    }
    Ok(())
}

/// Stores a part as `broadcasts::record_part` does, with when its service deletes it
/// (`expires_at`): a part already past it is gone at once.
pub fn record_part_expiring(
    c: &Db,
    r: &NewReplay,
    g: &Grouping,
    expires_at: i64,
    now: i64,
) -> Result<Ingest, StoreError> {
    match broadcasts::record_part(c, r, g, now)? {
        Ingest::Stored(row) => {
            set_expiry(c, row.id, expires_at, now)?;
            let row =
                super::part(c, row.id)?.ok_or_else(|| StoreError::Database(format!("part {} vanished", row.id)))?;
            Ok(Ingest::Stored(row))
        }
        dup => Ok(dup),
    }
}

/// The broadcast any of its ids names, gone or not, with every part on its timeline
/// including those gone (each with its `gone_at`): what the admin sees.
pub fn broadcast_with_gone(c: &Db, id: i64) -> Result<Option<BroadcastRow>, DbError> {
    let tx = c.snapshot()?;
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
    tx.end()?;
    Ok(Some(row))
}

#[cfg(test)]
mod tests {
    use relive_api::ReplayFormat;

    use crate::store::{DbUrl, Ingest, NewReplay, SessionKey, Store};

    fn part(file: &str, start: i64, secs: i64) -> NewReplay {
        NewReplay {
            streamer_id: "ann".into(),
            source: "tencent".into(),
            source_file_id: file.into(),
            title: None,
            format: ReplayFormat::Mp4,
            url: format!("https://vod.example.com/{file}/f0.mp4"),
            start_time: start,
            end_time: start + secs,
            duration_ms: secs as u64 * 1000,
            size_bytes: 10,
            raw_payload: None,
            facts: None,
            follow_ups: Vec::new(),
            sessions: vec![SessionKey::new("tencent", "s1")],
        }
    }

    async fn stored(store: &Store, r: NewReplay) -> i64 {
        match store.record_replay(r).await.unwrap() {
            Ingest::Stored(row) => row.id,
            other => panic!("{other:?}"),
        }
    }

    async fn listed(store: &Store) -> Vec<(i64, Vec<i64>)> {
        let page = store.broadcasts("ann".into(), None, 100).await.unwrap().unwrap();
        page.items.iter().map(|b| (b.id, b.parts.iter().map(|p| p.id).collect())).collect()
    }

    #[tokio::test]
    async fn a_broadcast_is_gone_when_its_last_part_is_and_back_when_one_arrives() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&DbUrl::Sqlite(dir.path().join("t.db"))).await.unwrap();
        let a = stored(&store, part("a", 10_000, 60)).await;
        let b = stored(&store, part("b", 10_070, 60)).await;
        // The same time recorded again (another template): an alternate of `a`.
        let alt = stored(&store, part("alt", 10_000, 60)).await;
        let other = stored(&store, part("other", 90_000, 60)).await;
        assert_eq!(listed(&store).await, vec![(other, vec![other]), (a, vec![a, b])]);

        // `a` gone: its alternate takes its place; the broadcast stays.
        let g = store.mark_part_gone(a, 500).await.unwrap().unwrap();
        assert_eq!((g.broadcast, g.broadcast_gone), (Some(a), false));
        assert_eq!(store.mark_part_gone(a, 600).await.unwrap(), None, "once");
        assert_eq!(listed(&store).await, vec![(other, vec![other]), (a, vec![alt, b])]);
        // Every part gone: out of the list and the figures; the admin's read still has it.
        store.mark_part_gone(b, 501).await.unwrap();
        let g = store.mark_part_gone(alt, 502).await.unwrap().unwrap();
        assert!(g.broadcast_gone);
        assert_eq!(listed(&store).await, vec![(other, vec![other])]);
        let s = store.streamer("ann".into()).await.unwrap().unwrap();
        assert_eq!((s.replay_count, s.total_duration_secs), (1, 60.0));
        let public = store.broadcast(a).await.unwrap().unwrap();
        assert_eq!((public.gone_at, public.parts.len()), (Some(502), 0));
        let admin = store.broadcast_with_gone(b).await.unwrap().unwrap();
        assert_eq!(admin.id, a);
        assert_eq!(admin.gone_at, Some(502));
        let gone: Vec<_> = admin.parts.iter().map(|p| (p.id, p.gone_at)).collect();
        assert!(gone.contains(&(a, Some(500))) && gone.contains(&(b, Some(501))), "{gone:?}");

        // A new recording of the same session brings it back, with only itself on it.
        let c = stored(&store, part("c", 10_140, 30)).await;
        assert_eq!(listed(&store).await, vec![(other, vec![other]), (a, vec![c])]);
        assert_eq!(store.broadcast(a).await.unwrap().unwrap().gone_at, None);
        // Deleting it leaves only gone parts: gone again.
        assert_eq!(store.delete_part(a, c).await.unwrap(), crate::store::PartDeleted::Deleted);
        assert_eq!(listed(&store).await, vec![(other, vec![other])]);
        assert!(store.integrity_ok().await.unwrap());
    }

    #[tokio::test]
    async fn expiries_apply_at_ingest_or_when_due_and_checks_come_round() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&DbUrl::Sqlite(dir.path().join("t.db"))).await.unwrap();
        let now = crate::store::unix_now();
        // Past its expiry at arrival: stored, gone at its expiry.
        let Ingest::Stored(old) = store.record_replay_expiring(part("old", 1000, 60), 2000).await.unwrap() else {
            panic!()
        };
        assert_eq!(old.gone_at, Some(2000));
        let Ingest::Stored(soon) = store.record_replay_expiring(part("soon", now, 60), now + 100).await.unwrap() else {
            panic!()
        };
        assert_eq!(soon.gone_at, None);
        assert_eq!(listed(&store).await, vec![(soon.id, vec![soon.id])]);
        assert_eq!(store.expire_parts(now + 99).await.unwrap(), vec![]);
        let gone = store.expire_parts(now + 100).await.unwrap();
        assert_eq!(gone.iter().map(|g| (g.part, g.broadcast_gone)).collect::<Vec<_>>(), vec![(soon.id, true)]);
        assert_eq!(listed(&store).await, vec![]);
        assert_eq!(store.broadcast_with_gone(soon.id).await.unwrap().unwrap().gone_at, Some(now + 100));

        // Checks: a period after arrival, then a period after the last; gone parts never.
        let keep = stored(&store, part("keep", 50_000, 60)).await;
        assert!(store.files_to_check(now - 10, 10).await.unwrap().is_empty());
        let due = store.files_to_check(now + 10, 10).await.unwrap();
        assert_eq!(due.iter().map(|f| f.part).collect::<Vec<_>>(), vec![keep]);
        assert_eq!(due[0].url, "https://vod.example.com/keep/f0.mp4");
        store.files_checked(vec![keep], now + 50).await.unwrap();
        assert!(store.files_to_check(now + 49, 10).await.unwrap().is_empty());
        assert_eq!(store.files_to_check(now + 50, 10).await.unwrap().len(), 1);
    }
}
