//! SQLite's schema, in order: `PRAGMA user_version` counts the migrations applied.
//! A new migration is a new file in `server/migrations/sqlite/` added to the end of the list.

use rusqlite::Connection;

use crate::store::StoreError;

const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/sqlite/0001_init.sql"),
    include_str!("../../../migrations/sqlite/0002_keyframe_indexes.sql"),
    include_str!("../../../migrations/sqlite/0003_media_facts.sql"),
    include_str!("../../../migrations/sqlite/0004_replay_pages_covering.sql"),
    include_str!("../../../migrations/sqlite/0005_hls_sessions.sql"),
];

/// Applies the migrations not applied yet, each in its own transaction.
pub fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let applied: usize = conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))? as usize;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
        tx.commit()?;
        tracing::info!(migration = i + 1, "applied database migration");
    }
    Ok(())
}
