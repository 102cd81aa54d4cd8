//! The PostgreSQL backend: a pool of connections (`deadpool-postgres` over
//! `tokio-postgres`) and the schema ([`migrations`]). The statements are the store's
//! ([`super::queries`]), run on a blocking thread through [`Db::Postgres`].
//!
//! # Transactions
//! - A write is one transaction, answered after `COMMIT` (PostgreSQL's default
//!   `synchronous_commit = on`: flushed to the primary's WAL; with replicas, durable on
//!   the primary only unless `synchronous_standby_names` is set).
//! - The grouping rules read a stream's broadcasts, decide, and write: two instances
//!   placing parts of one stream at once must not both decide on what they read. SQLite
//!   has one writer; here a write first takes its stream's advisory lock ([`Scope`]), so
//!   the writes of one stream run one after another while different streams' run at
//!   once, at `READ COMMITTED` (each statement sees what the last writer committed).
//!   `SERIALIZABLE` was tried first: in a burst of 10,000 callbacks
//!   (`tests/indexing_burst.rs`) some were still refused after every retry.
//!   A write that lost a deadlock anyway runs again from the start (up to [`MAX_TRIES`]).
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
use crate::store::permits::{Permits, PoolWaits};

/// How often a write that lost a serialization conflict is tried in all.
pub const MAX_TRIES: u32 = 8;

/// Connections per instance. N instances × this must stay below the server's
/// `max_connections` (100 by default), or PgBouncer (transaction mode) goes in front.
pub const POOL_SIZE: usize = 16;

#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    /// As many permits as connections, taken before a blocking thread is: a burst of
    /// writes waits here instead of parking hundreds of threads on the pool.
    permits: Permits,
    /// Writes waiting for their stream's batch, by [`Scope::batch_key`].
    batches: Batches,
    /// The runtime the connections run on (see `open`).
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
        // The connections are driven by a runtime of their own (one thread): a statement's
        // round trip never waits for the server's workers, busy as they may be with
        // requests or images. It lives as long as the process (a store is opened once).
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("relive-pg")
            .enable_all()
            .build()
            .map_err(StoreError::Io)?;
        let rt = Box::leak(Box::new(runtime)).handle().clone();
        let first = pool.clone();
        let version = rt
            .spawn(async move {
                let mut client = first.get().await.map_err(pool_error)?;
                migrations::migrate(&mut client).await.map_err(|e| StoreError::Database(DbError::from(e).to_string()))
            })
            .await
            .map_err(|_| StoreError::Closed)??;
        tracing::info!(version, "PostgreSQL schema ready");
        let permits = Permits::new(POOL_SIZE);
        Ok(PgStore { pool, permits, batches: Default::default(), rt })
    }

    /// Runs `f` in a transaction that first takes the locks `scope` names (see the
    /// module's "Transactions"), again if it loses a deadlock; `Ok` once committed.
    pub async fn write<T, F>(&self, scope: Scope, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Fn(&Db) -> Result<T, StoreError> + Send + 'static,
    {
        self.write_at(scope, f).await
    }

    /// A write that takes no lock of the rules: statements that lock the rows they change
    /// and need nothing more (the jobs' claims with `SKIP LOCKED`, fenced single-row
    /// updates: `crate::store::jobs`).
    pub async fn write_read_committed<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Fn(&Db) -> Result<T, StoreError> + Send + 'static,
    {
        self.write_at(Scope::Rows, f).await
    }

    /// Queues `f` with the writes of its stream: the first becomes the batch's leader,
    /// which takes a connection and runs every write queued for that stream by then in one
    /// transaction (each in a savepoint), as SQLite's writer batches all writes (each
    /// undone alone if it fails).
    async fn write_at<T, F>(&self, scope: Scope, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Fn(&Db) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job: Box<dyn BatchJob> = Box::new(Job { f, result: None, reply });
        let key = scope.batch_key();
        let lead = match &key {
            None => Some(vec![job]),
            Some(k) => {
                let mut batches = self.batches.lock().unwrap_or_else(|p| p.into_inner());
                match batches.get_mut(k) {
                    Some(queued) => {
                        queued.push(job);
                        None
                    }
                    None => {
                        batches.insert(k.clone(), vec![job]);
                        Some(Vec::new())
                    }
                }
            }
        };
        if let Some(mut alone) = lead {
            // A task of its own: if this caller goes away, the batches it leads still run.
            // It runs the key's batches one after another (what arrives meanwhile is the
            // next batch) until none is waiting; then the next write of the key leads.
            let (pool, rt, permits, batches) =
                (self.pool.clone(), self.rt.clone(), self.permits.clone(), self.batches.clone());
            tokio::spawn(async move {
                loop {
                    let Ok(permit) = permits.acquire().await else { return };
                    let jobs = match &key {
                        None => std::mem::take(&mut alone),
                        Some(k) => {
                            let mut waiting = batches.lock().unwrap_or_else(|p| p.into_inner());
                            match waiting.get_mut(k).map(std::mem::take) {
                                Some(jobs) if !jobs.is_empty() => jobs,
                                _ => {
                                    waiting.remove(k);
                                    return;
                                }
                            }
                        }
                    };
                    if jobs.is_empty() {
                        return;
                    }
                    let (pool, rt, scope) = (pool.clone(), rt.clone(), scope.clone());
                    let _ = tokio::task::spawn_blocking(move || {
                        let _permit = permit;
                        run_batch(&pool, &rt, &scope, jobs);
                    })
                    .await;
                }
            });
        }
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// Runs `f` in a read-only transaction that sees one state of the database.
    /// The connections in use and the waits for one (`/metrics`).
    pub fn waits(&self) -> PoolWaits {
        self.permits.waits()
    }

    pub async fn read<T, E, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        E: Into<StoreError>,
        F: FnOnce(&Db) -> Result<T, E> + Send + 'static,
    {
        let (pool, rt) = (self.pool.clone(), self.rt.clone());
        let permit = self.permits.acquire().await?;
        blocking(move || {
            let _permit = permit;
            let mut client = rt.block_on(pool.get()).map_err(pool_error)?;
            let tx = rt
                .block_on(
                    client.build_transaction().isolation_level(IsolationLevel::RepeatableRead).read_only(true).start(),
                )
                .map_err(db_error)?;
            let pg = PgTx { tx: &tx, rt: &rt, conflict: Cell::new(false) };
            let v = f(&Db::Postgres(&pg)).map_err(Into::into)?;
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

/// What a write may touch, for the locks it takes first. SQLite has one writer and
/// ignores this; on PostgreSQL, writes of different streams run at once.
#[derive(Clone, Debug)]
pub enum Scope {
    /// One stream's rows (its streamer, broadcasts, parts, sessions).
    Streamer(String),
    /// The rows of the stream a broadcast's or a part's id belongs to.
    Id(i64),
    /// The rows of the stream an HLS session (by folder) belongs to.
    Folder(String),
    /// Any stream's: waits for every other write of the rules, and they for it.
    Everything,
    /// Only rows the statements lock themselves: no lock of the rules.
    Rows,
}

/// Advisory lock keys. Writes of the rules share [`ALL_STREAMS`] (one 64-bit key) and
/// take their stream's (two 32-bit keys, a key space of its own: class [`STREAM_CLASS`],
/// the stream id's `hashtext`); a write over every stream takes [`ALL_STREAMS`] alone,
/// exclusively. Always in that order, so two writes never wait for each other in a circle.
pub const ALL_STREAMS: i64 = i64::from_be_bytes(*b"relive-w");
pub const STREAM_CLASS: i32 = i32::from_be_bytes(*b"rlvs");

impl Scope {
    /// Writes of the same key wait for one batch: those of one stream, and those of
    /// every stream. An id's or folder's stream is only known inside the transaction:
    /// such writes batch with the same id's or folder's.
    fn batch_key(&self) -> Option<String> {
        match self {
            Scope::Streamer(s) => Some(format!("s:{s}")),
            Scope::Id(id) => Some(format!("i:{id}")),
            Scope::Folder(f) => Some(format!("f:{f}")),
            Scope::Everything => Some("*".into()),
            Scope::Rows => None,
        }
    }
}

fn lock(db: &Db, scope: &Scope) -> Result<(), DbError> {
    let stream = |from: &str, key: &dyn crate::store::db::ToValue| -> Result<(), DbError> {
        db.execute_batch(&format!("SELECT pg_advisory_xact_lock_shared({ALL_STREAMS})"))?;
        db.query_row(
            &format!("SELECT pg_advisory_xact_lock({STREAM_CLASS}, hashtext(s)) FROM ({from}) AS owner(s)"),
            [key],
            |_| Ok(()),
        )
        .or_else(|e| match e {
            // No such row: nothing of a stream to guard (the write finds nothing either).
            DbError::NoRow => Ok(()),
            e => Err(e),
        })
    };
    match scope {
        Scope::Rows => Ok(()),
        Scope::Everything => db.execute_batch(&format!("SELECT pg_advisory_xact_lock({ALL_STREAMS})")),
        Scope::Streamer(s) => stream("SELECT CAST(?1 AS TEXT)", s),
        Scope::Id(id) => stream(
            "SELECT streamer_id FROM broadcasts WHERE id = ?1 UNION ALL SELECT streamer_id FROM replays WHERE id = ?1",
            id,
        ),
        Scope::Folder(f) => stream("SELECT streamer_id FROM hls_sessions WHERE folder = ?1", f),
    }
}

/// The writes waiting, per batch key.
type Batches = std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, Vec<Box<dyn BatchJob>>>>>;

/// A write waiting in a batch: run in the batch's transaction (again if the batch is
/// retried), then told how the transaction ended.
trait BatchJob: Send {
    fn run(&mut self, db: &Db);
    fn finish(self: Box<Self>, commit: Result<(), String>);
}

struct Job<T, F> {
    f: F,
    result: Option<Result<T, StoreError>>,
    reply: tokio::sync::oneshot::Sender<Result<T, StoreError>>,
}

impl<T: Send, F: Fn(&Db) -> Result<T, StoreError> + Send> BatchJob for Job<T, F> {
    fn run(&mut self, db: &Db) {
        // A savepoint per write: one that fails rolls back alone.
        self.result = Some(match db.execute_batch("SAVEPOINT job") {
            Err(e) => Err(e.into()),
            Ok(()) => {
                let r = (self.f)(db);
                let end = if r.is_ok() { "RELEASE job" } else { "ROLLBACK TO job; RELEASE job" };
                db.execute_batch(end).map_err(StoreError::from).and(r)
            }
        });
    }

    fn finish(self: Box<Self>, commit: Result<(), String>) {
        let _ = self.reply.send(crate::store::batched_answer(commit, self.result));
    }
}

/// Runs a batch in one transaction that first takes the locks of its scope; again, whole,
/// if it lost a deadlock (up to [`MAX_TRIES`] times).
fn run_batch(pool: &Pool, rt: &Handle, scope: &Scope, mut jobs: Vec<Box<dyn BatchJob>>) {
    let commit = (|| {
        let mut client = rt.block_on(pool.get()).map_err(|e| pool_error(e).to_string())?;
        let mut tries = 0;
        loop {
            tries += 1;
            let tx = rt
                .block_on(client.build_transaction().isolation_level(IsolationLevel::ReadCommitted).start())
                .map_err(|e| DbError::from(e).to_string())?;
            let pg = PgTx { tx: &tx, rt, conflict: Cell::new(false) };
            let db = Db::Postgres(&pg);
            let locked = lock(&db, scope);
            if locked.is_ok() {
                for job in jobs.iter_mut() {
                    job.run(&db);
                }
            }
            let lost = pg.conflict.get();
            let outcome = match (locked, lost) {
                (Err(e), false) => return Err(e.to_string()),
                (Err(e), true) => e.to_string(),
                (Ok(()), true) => "lost a deadlock".to_string(),
                (Ok(()), false) => match rt.block_on(tx.commit()) {
                    Ok(()) => return Ok(()),
                    Err(e) if is_conflict(&e) => DbError::from(e).to_string(),
                    Err(e) => return Err(DbError::from(e).to_string()),
                },
            };
            if tries >= MAX_TRIES {
                return Err(outcome);
            }
            // Let the winner finish before trying again.
            std::thread::sleep(Duration::from_millis(2 << tries.min(6)));
        }
    })();
    if let Err(e) = &commit {
        tracing::error!(error = %e, writes = jobs.len(), "PostgreSQL write failed");
    }
    for job in jobs {
        job.finish(commit.clone());
    }
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
