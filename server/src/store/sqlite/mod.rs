//! The SQLite backend: one writer thread ([`writer`]) that batches writes into durable
//! transactions (and a thread checkpointing its WAL), a pool of read connections ([`readers`]), and the schema
//! ([`migrations`]). The statements themselves are the store's ([`super::queries`]).

pub mod migrations;
mod readers;
mod writer;

use std::path::Path;

use rusqlite::Connection;

use self::readers::Readers;
use self::writer::Writer;
use crate::store::StoreError;
use crate::store::db::Db;

#[derive(Clone)]
pub struct SqliteStore {
    writer: Writer,
    readers: Readers,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`, applies migrations and starts
    /// the writer thread.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut conn = Connection::open(path)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;
             PRAGMA busy_timeout = 5000;",
        )?;
        // The writer's own settings, none of which touches durability (the WAL is still
        // fsynced at every commit): see `writer`'s module for what each saved.
        conn.execute_batch(writer::PRAGMAS)?;
        conn.set_prepared_statement_cache_capacity(writer::STATEMENT_CACHE);
        migrations::migrate(&mut conn)?;
        let readers = Readers::open(path)?;
        let checkpoints = Connection::open(path)?;
        Ok(SqliteStore { writer: Writer::start(conn, checkpoints)?, readers })
    }

    /// Runs `f` in the writer's next transaction; `Ok` once that committed.
    pub async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Fn(&Db) -> Result<T, StoreError> + Send + 'static,
    {
        self.writer.write(move |c| f(&Db::Sqlite(c))).await
    }

    /// The read connections in use and the waits for one (`/metrics`; the writer takes
    /// writes in batches and has no pool).
    pub fn waits(&self) -> crate::store::PoolWaits {
        self.readers.waits()
    }

    /// Runs `f` on a read connection.
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        E: Into<StoreError>,
        F: FnOnce(&Db) -> Result<T, E> + Send + 'static,
    {
        self.readers.read(move |c| f(&Db::Sqlite(c)).map_err(Into::into)).await
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Database(e.to_string())
    }
}
