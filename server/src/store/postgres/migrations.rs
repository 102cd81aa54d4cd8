//! PostgreSQL's schema, in order: table `schema_migrations` lists the versions applied.
//!
//! The list starts at 9 with one baseline file (`server/migrations/postgres/0009_baseline.sql`,
//! the schema SQLite has after its 0001..0009). From now on every schema change lands as a
//! pair with the same number: `server/migrations/sqlite/NNNN_x.sql` (added to SQLite's list)
//! and `server/migrations/postgres/NNNN_x.sql` (added to [`MIGRATIONS`] here);
//! `tests/schema_parity.rs` checks that both lists end at the same version and give the
//! same tables, columns and indexes.
//!
//! [`migrate`] runs in one transaction under a transaction-level advisory lock
//! ([`MIGRATION_LOCK`]): N instances starting together migrate once (the others wait on the
//! lock, then find every version applied), and a failed migration leaves nothing behind
//! (PostgreSQL's DDL is transactional). A transaction-level lock, unlike a session-level
//! one, also works through PgBouncer in transaction pooling mode; so does the simple query
//! protocol used throughout (no prepared statements). A step that cannot run in a
//! transaction (`CREATE INDEX CONCURRENTLY`) would need a flagged step of its own.

use tokio_postgres::{Client, Error, SimpleQueryMessage};

/// The key of the advisory lock held while migrating: the ASCII bytes of "relive-m"
/// (0x72656c6976652d6d) read as a big-endian i64. Any fixed value works as long as nothing
/// else in the database takes the same one; it must never change, or an old and a new
/// release starting together would migrate at once.
pub const MIGRATION_LOCK: i64 = i64::from_be_bytes(*b"relive-m");

/// Each version and its SQL, ascending.
const MIGRATIONS: &[(u32, &str)] = &[
    (9, include_str!("../../../migrations/postgres/0009_baseline.sql")),
    (10, include_str!("../../../migrations/postgres/0010_jobs.sql")),
];

/// The version this build migrates to (the last of [`MIGRATIONS`]).
pub const LATEST: u32 = MIGRATIONS[MIGRATIONS.len() - 1].0;

// The versions ascend (checked when compiling).
const _: () = {
    let mut i = 1;
    while i < MIGRATIONS.len() {
        assert!(MIGRATIONS[i - 1].0 < MIGRATIONS[i].0, "MIGRATIONS must ascend");
        i += 1;
    }
};

/// Applies the migrations not applied yet, all in one transaction, and answers the
/// database's version: [`LATEST`], or more when a newer release has migrated it already
/// (the caller decides whether to run on a newer schema).
pub async fn migrate(client: &mut Client) -> Result<u32, Error> {
    let tx = client.transaction().await?;
    tx.batch_execute(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")).await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version INT PRIMARY KEY,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
         )",
    )
    .await?;
    let applied = versions(&tx).await?;
    for &(version, sql) in MIGRATIONS {
        if applied.contains(&version) {
            continue;
        }
        tx.batch_execute(sql).await?;
        tx.batch_execute(&format!("INSERT INTO schema_migrations (version) VALUES ({version})")).await?;
        tracing::info!(migration = version, "applied PostgreSQL migration");
    }
    tx.commit().await?;
    Ok(applied.into_iter().max().map_or(LATEST, |v| v.max(LATEST)))
}

/// The versions `schema_migrations` lists.
async fn versions(tx: &tokio_postgres::Transaction<'_>) -> Result<Vec<u32>, Error> {
    let rows = tx.simple_query("SELECT version FROM schema_migrations").await?;
    Ok(rows
        .iter()
        .filter_map(|m| match m {
            // An INT column holds no value u32 cannot parse but a negative one, which no
            // migration of ours writes.
            SimpleQueryMessage::Row(row) => row.get(0).and_then(|v| v.parse().ok()),
            _ => None,
        })
        .collect())
}
