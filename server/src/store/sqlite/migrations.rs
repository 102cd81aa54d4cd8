//! SQLite's schema, in order: `PRAGMA user_version` counts the migrations applied.
//! A new migration is a new file in `server/migrations/sqlite/` added to the end of the list.

use rusqlite::Connection;

use crate::store::StoreError;
use crate::store::db::Db;

/// Groups the recordings of a database made before broadcasts (the store's rules, run
/// on this connection).
fn group_existing(c: &Connection) -> Result<(), StoreError> {
    crate::store::queries::broadcasts::group_existing(&Db::Sqlite(c))
}

/// A migration: its SQL, and what Rust does after it in the same transaction.
type Migration = (&'static str, Option<fn(&Connection) -> Result<(), StoreError>>);

const MIGRATIONS: &[Migration] = &[
    (include_str!("../../../migrations/sqlite/0001_init.sql"), None),
    (include_str!("../../../migrations/sqlite/0002_keyframe_indexes.sql"), None),
    (include_str!("../../../migrations/sqlite/0003_media_facts.sql"), None),
    (include_str!("../../../migrations/sqlite/0004_replay_pages_covering.sql"), None),
    (include_str!("../../../migrations/sqlite/0005_hls_sessions.sql"), None),
    // Existing recordings are grouped by the same rules new ones are (ingest::broadcast).
    (include_str!("../../../migrations/sqlite/0006_broadcasts.sql"), Some(group_existing)),
    (include_str!("../../../migrations/sqlite/0007_broadcast_parts_indexes.sql"), None),
    (include_str!("../../../migrations/sqlite/0008_images.sql"), None),
    (include_str!("../../../migrations/sqlite/0009_gone.sql"), None),
    (include_str!("../../../migrations/sqlite/0010_jobs.sql"), None),
];

/// Applies the migrations not applied yet, each in its own transaction.
pub fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    migrate_to(conn, MIGRATIONS.len())
}

/// Applies the migrations not applied yet up to the `last`-th (tests make databases of
/// an older schema with it).
pub fn migrate_to(conn: &mut Connection, last: usize) -> Result<(), StoreError> {
    let applied: usize = conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))? as usize;
    for (i, (sql, then)) in MIGRATIONS.iter().enumerate().take(last).skip(applied) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        if let Some(then) = then {
            then(&tx)?;
        }
        tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
        tx.commit()?;
        tracing::info!(migration = i + 1, "applied database migration");
    }
    Ok(())
}
