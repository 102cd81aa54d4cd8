//! The PostgreSQL backend: a pool of connections (`deadpool-postgres` over
//! `tokio-postgres`) and the schema ([`migrations`]). The statements are the store's
//! ([`super::queries`]), run on a blocking thread through [`Db::Postgres`].
//!
//! # Transactions
//! - A write is one `SERIALIZABLE` transaction, answered after `COMMIT` (PostgreSQL's
//!   default `synchronous_commit = on`: flushed to the primary's WAL; with replicas, durable
//!   on the primary only unless `synchronous_standby_names` is set). Several instances may
//!   place parts of one stream at once: where SQLite has one writer, PostgreSQL detects
//!   the conflict and the loser runs again from the start (up to [`MAX_TRIES`] times).
//! - A read is one `REPEATABLE READ, READ ONLY` transaction: a page and its parts are read
//!   from one state of the database, as on SQLite.

mod migrations;

use std::cell::Cell;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio::runtime::Handle;
use tokio_postgres::IsolationLevel;

use crate::store::StoreError;
use crate::store::db::{Db, DbError, PgTx};

/// How often a write that lost a serialization conflict is tried in all.
pub const MAX_TRIES: u32 = 8;

/// Connections per instance. N instances × this must stay below the server's
/// `max_connections` (100 by default), or PgBouncer (transaction mode) goes in front.
pub const POOL_SIZE: usize = 16;

#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    rt: Handle,
}

impl PgStore {
    /// Connects, applies the migrations not applied yet (once, however many instances
    /// start together) and keeps a pool.
    pub async fn open(url: &str) -> Result<PgStore, StoreError> {
        let config: tokio_postgres::Config = url.parse().map_err(|e| StoreError::Database(format!("{e}")))?;
        let manager = Manager::from_config(
            config,
            tokio_postgres::NoTls,
            ManagerConfig { recycling_method: RecyclingMethod::Fast },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .wait_timeout(Some(Duration::from_secs(30)))
            .create_timeout(Some(Duration::from_secs(10)))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .map_err(|e| StoreError::Database(e.to_string()))?;
        let mut client = pool.get().await.map_err(pool_error)?;
        let version =
            migrations::migrate(&mut client).await.map_err(|e| StoreError::Database(DbError::from(e).to_string()))?;
        tracing::info!(version, "PostgreSQL schema ready");
        Ok(PgStore { pool, rt: Handle::current() })
    }

    /// Runs `f` in a serializable transaction, again while it loses a serialization
    /// conflict; `Ok` once committed.
    pub async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Fn(&Db) -> Result<T, StoreError> + Send + 'static,
    {
        let (pool, rt) = (self.pool.clone(), self.rt.clone());
        blocking(move || {
            let mut client = rt.block_on(pool.get()).map_err(pool_error)?;
            let mut tries = 0;
            loop {
                tries += 1;
                let tx = rt
                    .block_on(client.build_transaction().isolation_level(IsolationLevel::Serializable).start())
                    .map_err(db_error)?;
                let pg = PgTx { tx: &tx, rt: &rt, conflict: Cell::new(false) };
                let result = f(&Db::Postgres(&pg));
                let conflict = pg.conflict.get();
                drop(pg);
                let outcome = match result {
                    Ok(v) => match rt.block_on(tx.commit()) {
                        Ok(()) => return Ok(v),
                        Err(e) if is_conflict(&e) => Err(StoreError::CommitFailed(DbError::from(e).to_string())),
                        Err(e) => return Err(StoreError::CommitFailed(DbError::from(e).to_string())),
                    },
                    // Dropping the transaction rolls it back.
                    Err(e) if conflict => Err(e),
                    Err(e) => return Err(e),
                };
                if tries >= MAX_TRIES {
                    return outcome;
                }
                // Let the winner finish before trying again.
                std::thread::sleep(Duration::from_millis(2 << tries.min(6)));
            }
        })
        .await
    }

    /// Runs `f` in a read-only transaction that sees one state of the database.
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        E: Into<StoreError>,
        F: FnOnce(&Db) -> Result<T, E> + Send + 'static,
    {
        let (pool, rt) = (self.pool.clone(), self.rt.clone());
        blocking(move || {
            let mut client = rt.block_on(pool.get()).map_err(pool_error)?;
            let tx = rt
                .block_on(
                    client.build_transaction().isolation_level(IsolationLevel::RepeatableRead).read_only(true).start(),
                )
                .map_err(db_error)?;
            let pg = PgTx { tx: &tx, rt: &rt, conflict: Cell::new(false) };
            let v = f(&Db::Postgres(&pg)).map_err(Into::into)?;
            drop(pg);
            rt.block_on(tx.commit()).map_err(db_error)?;
            Ok(v)
        })
        .await
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f).await.map_err(|_| StoreError::Closed)?
}

/// Lost to a concurrent transaction: serialization failure or deadlock.
fn is_conflict(e: &tokio_postgres::Error) -> bool {
    e.code().is_some_and(|c| matches!(c.code(), "40001" | "40P01"))
}

fn db_error(e: tokio_postgres::Error) -> StoreError {
    StoreError::Database(DbError::from(e).to_string())
}

fn pool_error(e: deadpool_postgres::PoolError) -> StoreError {
    StoreError::Database(format!("no PostgreSQL connection: {e}"))
}

/// The URL of database `name` in the cluster `base` names, created (empty) if missing:
/// how tests and benchmarks get a database of their own in one throwaway cluster
/// (`scripts/with-postgres.sh` sets `RELIVE_TEST_PG`).
pub async fn database_in(base: &str, name: &str) -> Result<String, StoreError> {
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(StoreError::Database(format!("bad database name {name}")));
    }
    let (client, connection) = tokio_postgres::connect(base, tokio_postgres::NoTls).await.map_err(db_error)?;
    let driver = tokio::spawn(connection);
    match client.batch_execute(&format!("CREATE DATABASE {name}")).await {
        Ok(()) => {}
        // 42P04: duplicate_database.
        Err(e) if e.code().is_some_and(|c| c.code() == "42P04") => {}
        Err(e) => return Err(db_error(e)),
    }
    drop(client);
    let _ = driver.await;
    let (head, query) = base.split_once('?').unwrap_or((base, ""));
    let server = match head.split_once("://") {
        Some((scheme, rest)) => format!("{scheme}://{}", rest.split_once('/').map_or(rest, |(authority, _)| authority)),
        None => head.to_string(),
    };
    Ok(if query.is_empty() { format!("{server}/{name}") } else { format!("{server}/{name}?{query}") })
}
