//! A small pool of read-only connections: WAL lets them read while the writer writes.

use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::store::StoreError;
use crate::store::permits::{Permits, PoolWaits};
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags};

pub const READERS: usize = 4;

/// The read connections; cheap to clone.
#[derive(Clone)]
pub struct Readers(Arc<Pool>);

struct Pool {
    conns: Mutex<Vec<Connection>>,
    /// As many permits as connections: holding one guarantees a connection is free.
    permits: Permits,
}

impl Readers {
    pub fn open(path: &Path) -> Result<Readers, StoreError> {
        let mut conns = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let c =
                Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
            c.execute_batch("PRAGMA busy_timeout = 5000;")?;
            // Plans never depend on bound values. Without this, SQLite (3.46+) plans
            // `LIMIT ?` for the value bound, so every new binding expires the cached
            // statement and each list request compiled its query again (~18 % of a list
            // request's CPU under load, measured with perf).
            c.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
            conns.push(c);
        }
        Ok(Readers(Arc::new(Pool { conns: Mutex::new(conns), permits: Permits::new(READERS) })))
    }

    /// The read connections in use and the waits for one (`/metrics`).
    pub fn waits(&self) -> PoolWaits {
        self.0.permits.waits()
    }

    /// Runs `f` on a free connection, on the blocking pool.
    pub async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        // The permit moves into the blocking task: if this future is dropped (the client
        // went away), the connection stays counted as busy until the task gives it back.
        let permit = self.0.permits.acquire().await?;
        let pool = self.0.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let conn = pool.conns.lock().unwrap_or_else(|p| p.into_inner()).pop().ok_or(StoreError::Closed)?;
            let result = f(&conn);
            pool.conns.lock().unwrap_or_else(|p| p.into_inner()).push(conn);
            result
        })
        .await
        .map_err(|_| StoreError::Closed)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client that goes away mid-read must not hand the read's connection to someone else
    /// while its query still runs (found by the list benchmark: such reads failed with 500s).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_abandoned_read_keeps_its_connection_until_the_query_ends() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        drop(crate::store::sqlite::SqliteStore::open(&path).unwrap());
        let readers = Readers::open(&path).unwrap();
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let slow: Vec<_> = (0..READERS)
            .map(|_| {
                let (readers, started) = (readers.clone(), started_tx.clone());
                tokio::spawn(async move {
                    readers
                        .read(move |_| {
                            started.send(()).unwrap();
                            std::thread::sleep(std::time::Duration::from_millis(300));
                            Ok(())
                        })
                        .await
                })
            })
            .collect();
        for _ in 0..READERS {
            started_rx.recv_timeout(std::time::Duration::from_secs(5)).unwrap();
        }
        for task in slow {
            task.abort();
        }
        // Every connection is still busy: these wait for them instead of failing.
        let quick = (0..READERS).map(|_| readers.read(|c| Ok(c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?)));
        for result in futures_util::future::join_all(quick).await {
            assert_eq!(result.unwrap(), 1);
        }
    }
}
