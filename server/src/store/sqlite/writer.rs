//! The one write connection, on its own thread. It takes jobs from a queue, runs as many
//! as are waiting in one transaction (each inside its own savepoint, so one failing job
//! does not undo the others), commits with `synchronous=FULL`, and only then answers each
//! job. A write that returned `Ok` is on disk; batching keeps that fast under load.

use std::sync::mpsc;

use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::store::StoreError;

/// The most jobs committed in one transaction.
const MAX_BATCH: usize = 512;

/// Settings of the write connection (bench/README.md, "Durable ingest: where the time
/// went", measured with `perf` and `strace` under the ingest load):
/// - `temp_store = MEMORY`: each job's savepoint keeps the pages it changes in a statement
///   journal; past 64 KiB SQLite spilled it to a temporary file in `/var/tmp`, and those
///   `pwrite`s outnumbered the WAL's four to one. A statement journal only serves a
///   rollback inside the open transaction, so memory loses nothing a crash would not.
/// - `cache_size`: 16 MiB of pages instead of 2 MiB, so the b-tree pages a batch walks
///   (a random streamer's broadcasts, the indexes of a million parts) are read from the
///   WAL and the file once, not at every job.
/// - `wal_autocheckpoint`: every 4,000 pages (16 MiB of WAL) instead of 1,000. The
///   checkpoint runs in this thread, at the end of a commit (8 % of its time at 1,000):
///   a page written many times between two checkpoints (an index's hot leaf) is copied
///   to the database file once.
pub const PRAGMAS: &str = "PRAGMA temp_store = MEMORY; PRAGMA cache_size = -16384; PRAGMA wal_autocheckpoint = 4000;";

/// Prepared statements kept by the write connection. rusqlite keeps 16 by default, fewer
/// than the distinct statements of one batch (a recording's placement, its follow-ups,
/// the jobs' claims and finishes), so some were compiled again and again. A small saving
/// (compiling was under 1 % of the writer's time in the profiles), at no cost.
pub const STATEMENT_CACHE: usize = 128;

/// The queue to the writer thread; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    queue: mpsc::Sender<Box<dyn WriteJob>>,
}

impl Writer {
    /// Starts the writer thread on `conn`.
    pub fn start(conn: Connection) -> std::io::Result<Writer> {
        let (queue, jobs) = mpsc::channel::<Box<dyn WriteJob>>();
        std::thread::Builder::new().name("relive-db-writer".into()).spawn(move || writer_loop(conn, jobs))?;
        Ok(Writer { queue })
    }

    /// Runs `f` in the next transaction; answers once that transaction committed.
    pub async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        self.queue.send(Box::new(Job { f: Some(f), result: None, reply })).map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }
}

/// A unit of work for the writer thread: `run` inside the open transaction, then
/// `finish` once the transaction's fate is known.
trait WriteJob: Send {
    fn run(&mut self, conn: &Connection);
    fn finish(self: Box<Self>, commit: Result<(), String>);
}

struct Job<T, F> {
    f: Option<F>,
    result: Option<Result<T, StoreError>>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> WriteJob for Job<T, F>
where
    T: Send,
    F: FnOnce(&Connection) -> Result<T, StoreError> + Send,
{
    fn run(&mut self, conn: &Connection) {
        let Some(f) = self.f.take() else { return };
        // A savepoint per job: a failing job rolls back alone.
        // Both statements kept prepared (`execute_batch` compiled them at every job).
        let result = match conn.prepare_cached("SAVEPOINT job").and_then(|mut s| s.execute([])) {
            Err(e) => Err(e.into()),
            Ok(_) => {
                let r = f(conn);
                let end = if r.is_ok() {
                    conn.prepare_cached("RELEASE job").and_then(|mut s| s.execute([])).map(drop)
                } else {
                    conn.execute_batch("ROLLBACK TO job; RELEASE job")
                };
                match end {
                    Ok(()) => r,
                    Err(e) => Err(e.into()),
                }
            }
        };
        self.result = Some(result);
    }

    fn finish(self: Box<Self>, commit: Result<(), String>) {
        let _ = self.reply.send(crate::store::batched_answer(commit, self.result));
    }
}

fn writer_loop(conn: Connection, jobs: mpsc::Receiver<Box<dyn WriteJob>>) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let commit = conn.execute_batch("BEGIN IMMEDIATE").map_err(|e| e.to_string()).and_then(|()| {
            for job in batch.iter_mut() {
                job.run(&conn);
            }
            conn.execute_batch("COMMIT").map_err(|e| {
                let _ = conn.execute_batch("ROLLBACK");
                e.to_string()
            })
        });
        if let Err(e) = &commit {
            tracing::error!(error = %e, jobs = batch.len(), "database commit failed");
        }
        for job in batch {
            job.finish(commit.clone());
        }
    }
}
