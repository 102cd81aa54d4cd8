//! The one write connection, on its own thread. It takes jobs from a queue, runs as many
//! as are waiting in one transaction (one failing job does not undo the others: see
//! [`writer_loop`]), commits with `synchronous=FULL`, and only then answers each job. A
//! write that returned `Ok` is on disk; batching keeps that fast under load. A second
//! thread checkpoints the WAL ([`checkpointer`]).

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
/// - `wal_autocheckpoint`: every 4,000 pages (16 MiB of WAL) instead of 1,000. A
///   checkpoint in this thread, at the end of a commit, took 8 % of its time at 1,000;
///   the [`checkpointer`] now does nearly all of it, and this one only makes sure the
///   WAL starts over (copying the few frames left).
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
    /// Starts the writer thread on `conn`, and the checkpointer on `checkpoints` (a second
    /// connection to the same file).
    pub fn start(conn: Connection, checkpoints: Connection) -> std::io::Result<Writer> {
        let (queue, jobs) = mpsc::channel::<Box<dyn WriteJob>>();
        let (committed, commits) = mpsc::sync_channel::<()>(1);
        std::thread::Builder::new().name("relive-db-ckpt".into()).spawn(move || checkpointer(checkpoints, commits))?;
        std::thread::Builder::new()
            .name("relive-db-writer".into())
            .spawn(move || writer_loop(conn, jobs, committed))?;
        Ok(Writer { queue })
    }

    /// Runs `f` in the next transaction; answers once that transaction committed. `f` may
    /// run twice (see [`writer_loop`]): all it does is in the database, undone between.
    pub async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Fn(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        self.queue.send(Box::new(Job { f, result: None, reply })).map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }
}

/// A unit of work for the writer thread: `run` inside the open transaction (alone, or
/// inside a savepoint of its own), then `finish` once the transaction's fate is known.
trait WriteJob: Send {
    /// Runs the job; whether it succeeded (its result is kept either way).
    fn run(&mut self, conn: &Connection, savepoint: bool) -> bool;
    fn finish(self: Box<Self>, commit: Result<(), String>);
}

struct Job<T, F> {
    f: F,
    result: Option<Result<T, StoreError>>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> WriteJob for Job<T, F>
where
    T: Send,
    F: Fn(&Connection) -> Result<T, StoreError> + Send,
{
    fn run(&mut self, conn: &Connection, savepoint: bool) -> bool {
        if !savepoint {
            let r = (self.f)(conn);
            let ok = r.is_ok();
            self.result = Some(r);
            return ok;
        }
        // A failing job rolls back alone. Both statements kept prepared.
        let result = match conn.prepare_cached("SAVEPOINT job").and_then(|mut s| s.execute([])) {
            Err(e) => Err(e.into()),
            Ok(_) => {
                let r = (self.f)(conn);
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
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn finish(self: Box<Self>, commit: Result<(), String>) {
        let _ = self.reply.send(crate::store::batched_answer(commit, self.result));
    }
}

/// Takes every job waiting (up to [`MAX_BATCH`]) into one transaction and commits it.
///
/// Optimistic: the jobs run one after another with no savepoint between them, as nearly
/// all succeed. A savepoint per job cost a statement journal, a copy of every page a job
/// touches that an earlier job of the batch had changed (`subjournalPageIfRequired`,
/// 8 % of this thread in the profile), and two statements. When a job fails, the whole
/// transaction is rolled back and the batch run again, each job in a savepoint of its
/// own, so the failure undoes only that job. That is why a job's closure is `Fn`: it may
/// run twice, and everything it did the first time was rolled back (the PostgreSQL
/// backend retries its transactions the same way).
///
/// After each commit the checkpointer is told, and copies the WAL into the database
/// file on its own thread.
fn writer_loop(conn: Connection, jobs: mpsc::Receiver<Box<dyn WriteJob>>, committed: mpsc::SyncSender<()>) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let commit = run_batch(&conn, &mut batch);
        if let Err(e) = &commit {
            tracing::error!(error = %e, jobs = batch.len(), "database commit failed");
        }
        for job in batch {
            job.finish(commit.clone());
        }
        // Full: a checkpoint is due already.
        let _ = committed.try_send(());
    }
}

fn run_batch(conn: &Connection, batch: &mut [Box<dyn WriteJob>]) -> Result<(), String> {
    let begin = || conn.execute_batch("BEGIN IMMEDIATE").map_err(|e| e.to_string());
    begin()?;
    let clean = batch.iter_mut().all(|job| job.run(conn, false));
    if !clean {
        conn.execute_batch("ROLLBACK").map_err(|e| e.to_string())?;
        if batch.len() == 1 {
            // Nothing else to keep: the job's own error is its answer.
            return Ok(());
        }
        begin()?;
        for job in batch.iter_mut() {
            job.run(conn, true);
        }
    }
    conn.execute_batch("COMMIT").map_err(|e| {
        let _ = conn.execute_batch("ROLLBACK");
        e.to_string()
    })
}

/// How often, at most, the checkpointer copies the WAL into the database file while
/// commits come.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(200);

/// Copies committed pages from the WAL into the database file (a `PASSIVE` checkpoint,
/// which never blocks the writer or a reader) after commits, at most every
/// [`CHECKPOINT_EVERY`], on its own connection and thread. In the writer's thread, a
/// checkpoint (copying the pages, then `fsync`ing the database file) took 11 % of its
/// time in the profile, and its waits for the disk held every caller of the batch after.
///
/// The writer keeps its own autocheckpoint ([`PRAGMAS`]): by then this thread has copied
/// nearly every frame, so the writer's copies only the last few. It must stay: the WAL
/// starts over from its beginning only when a checkpoint copied all of it before the next
/// write, which one running beside a steady stream of commits seldom does, and the file
/// would grow without end. Exits when the writer does.
fn checkpointer(conn: Connection, commits: mpsc::Receiver<()>) {
    while commits.recv().is_ok() {
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "WAL checkpoint failed (the writer's own will do it)");
        }
        std::thread::sleep(CHECKPOINT_EVERY);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    /// A writer (and its checkpointer) on a fresh WAL database holding `schema`; the
    /// folder lives as long as the returned guard.
    fn writer_on(schema: &str) -> (tempfile::TempDir, std::path::PathBuf, Writer) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let c = Connection::open(&path).unwrap();
        c.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;").unwrap();
        c.execute_batch(PRAGMAS).unwrap();
        c.execute_batch(schema).unwrap();
        let writer = Writer::start(c, Connection::open(&path).unwrap()).unwrap();
        (dir, path, writer)
    }

    fn insert(x: i64) -> impl Fn(&Connection) -> Result<i64, StoreError> + Send + 'static {
        move |c: &Connection| {
            c.execute("INSERT INTO t (x) VALUES (?1)", [x])?;
            Ok(x)
        }
    }

    /// One batch: a job that fails after writing, and one that breaks a constraint, undo
    /// only their own writes; the others commit, once each, though they ran twice.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_job_undoes_only_itself() {
        let (_dir, path, writer) = writer_on("CREATE TABLE t (x INTEGER PRIMARY KEY)");
        // The first job holds the writer, so the rest queue up behind it: one batch.
        let (held, hold) = std::sync::mpsc::channel::<()>();
        let first = tokio::spawn({
            let w = writer.clone();
            async move {
                w.write(move |c| {
                    let _ = hold.recv_timeout(Duration::from_secs(5));
                    insert(0)(c)
                })
                .await
            }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = |x: i64| {
            let runs = runs.clone();
            move |c: &Connection| {
                runs.fetch_add(1, Ordering::SeqCst);
                insert(x)(c)
            }
        };
        let fails_after_writing = |c: &Connection| -> Result<i64, StoreError> {
            insert(2)(c)?;
            Err(StoreError::Database("no".into()))
        };
        let rest = futures::future::join5(
            writer.write(counted(1)),
            writer.write(fails_after_writing),
            writer.write(counted(3)),
            writer.write(insert(1)),
            async {
                held.send(()).unwrap();
                writer.write(counted(4)).await
            },
        );
        let (one, two, three, dup, four) = rest.await;
        assert_eq!(first.await.unwrap().unwrap(), 0);
        assert_eq!((one.unwrap(), three.unwrap(), four.unwrap()), (1, 3, 4));
        assert!(two.is_err() && dup.is_err(), "{two:?} {dup:?}");
        let check = Connection::open(&path).unwrap();
        let xs: Vec<i64> = check
            .prepare("SELECT x FROM t ORDER BY x")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(xs, [0, 1, 3, 4]);
        // Run optimistically, rolled back, then again in savepoints.
        assert!(runs.load(Ordering::SeqCst) >= 4, "{runs:?}");
    }

    /// Under a steady stream of commits the checkpointer copies the WAL, and the WAL
    /// starts over rather than growing with every write.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_wal_starts_over_under_steady_writes() {
        let (_dir, path, writer) = writer_on("CREATE TABLE t (x INTEGER PRIMARY KEY, pad BLOB)");
        // ~40,000 pages written in all: ten times the writer's autocheckpoint.
        for round in 0..400i64 {
            let writes = (0..10i64).map(|i| {
                writer.write(move |c| {
                    c.execute("INSERT INTO t (x, pad) VALUES (?1, zeroblob(40000))", [round * 10 + i])?;
                    Ok(())
                })
            });
            for r in futures::future::join_all(writes).await {
                r.unwrap();
            }
        }
        let wal = std::fs::metadata(path.with_extension("db-wal")).unwrap().len();
        let db = std::fs::metadata(&path).unwrap().len();
        assert!(db > 150_000_000, "the rows reached the database file: {db} B");
        assert!(wal < 40_000_000, "the WAL started over: {wal} B");
    }
}
