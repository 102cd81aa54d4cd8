//! The store's half of durable background jobs (`crate::jobs` runs them): a `jobs` table
//! in the database instead of a queue in memory, so that a job outlives the process that
//! queued it, and several instances on one PostgreSQL share the work.
//!
//! - **Once while alive**: a (kind, key) is queued at most once while queued or running
//!   (the partial unique index `jobs_live_once`); enqueueing it again meanwhile does
//!   nothing. Once done or failed it may be queued again.
//! - **Queued with its cause**: a part's follow-ups ([`FollowUp`], on `NewReplay`) are
//!   inserted by the write that stores the part: both commit, or neither.
//! - **Leases**: a claim takes a job until `lease_until` and adds one to `attempts`; the
//!   worker extends the lease while it runs ([`Store::heartbeat_job`]). A worker that dies
//!   stops extending: past its lease, another claims the job (at-least-once delivery; the
//!   jobs' effects are idempotent: an index upserted by part, a duration set once, images
//!   replaced, reconcile keyed by `file_id`).
//! - **Fencing**: heartbeat, finish and fail name the claim ([`JobLease`]: id, worker,
//!   attempts) and change nothing if the job was claimed again since: a late finish from
//!   a lost lease is refused.
//! - **Isolation**: job writes run at `READ COMMITTED` on PostgreSQL (SQLite: its single
//!   writer as ever). Claims of several instances under `SERIALIZABLE` would read the same
//!   queue and conflict with each other on every claim; with `FOR UPDATE SKIP LOCKED` at
//!   `READ COMMITTED` each takes a different row without waiting, and every statement
//!   here is a single fenced row update that needs nothing stronger. A follow-up enqueued
//!   with its part runs in the part's `SERIALIZABLE` write.
//!
//! Times are Unix milliseconds.

use super::{Backend, Store, StoreError, queries};
use crate::store::db::Db;

/// Tries of a job unless its kind says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;

/// A job to queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewJob {
    /// What to do (`crate::jobs::Job` names its kinds).
    pub kind: String,
    /// What it is about: the part's id, or 0 for a job of which there is only one.
    pub key: i64,
    /// What else it needs: a JSON object.
    pub payload: String,
    /// Not claimed before this (Unix ms).
    pub run_at: i64,
    pub max_attempts: u32,
}

/// A job that follows a part being stored, keyed by the part's id once it has one; given
/// on `NewReplay::follow_ups`, queued in the same transaction as the part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FollowUp {
    pub kind: String,
    pub payload: String,
    pub max_attempts: u32,
}

/// Whose claim of a job this is: every later update of the job names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobLease {
    pub id: i64,
    pub worker: String,
    /// The claim's number (1 for the first).
    pub attempts: u32,
}

/// A job a worker claimed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimedJob {
    pub lease: JobLease,
    pub kind: String,
    pub key: i64,
    pub payload: String,
    pub max_attempts: u32,
}

/// What became of a failed try.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobFailed {
    /// Queued again, due at this time (Unix ms).
    Retry { at: i64 },
    /// That was its last attempt: `failed`, with the error kept.
    GaveUp,
    /// The claim was no longer this worker's: nothing changed.
    Lost,
}

/// The latest job of a (kind, key), for a request waiting on it (`/mp4`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobOutcome {
    /// `queued`, `running`, `done` or `failed`.
    pub state: String,
    pub attempts: u32,
    pub max_attempts: u32,
    pub last_error: Option<String>,
}

impl JobOutcome {
    /// Failed for a lasting reason ([`Store::give_up_job`]), not for want of attempts.
    pub fn failed_for_good(&self) -> bool {
        self.state == "failed" && self.attempts < self.max_attempts
    }
}

/// One kind's queue (`/metrics`, logs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobDepth {
    pub kind: String,
    /// Queued and due: waiting for a worker.
    pub due: u64,
    /// Queued for later (a retry's backoff, the next reconcile round).
    pub scheduled: u64,
    pub running: u64,
    /// How long the oldest due job has waited (ms).
    pub oldest_due_ms: Option<i64>,
}

/// The pause before try `attempts + 1` of a job whose try `attempts` failed: 10 s,
/// doubling, at most an hour.
pub fn retry_delay_ms(attempts: u32) -> i64 {
    (10_000i64 << attempts.saturating_sub(1).min(20)).min(3_600_000)
}

impl Store {
    /// A write at `READ COMMITTED` on PostgreSQL (see the module's "Isolation"); on SQLite
    /// the writer's transaction as every write.
    async fn write_committed<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Fn(&Db) -> Result<T, StoreError> + Send + 'static,
    {
        match &self.backend {
            Backend::Sqlite(s) => s.write(f).await,
            Backend::Postgres(p) => p.write_read_committed(f).await,
        }
    }

    /// Queues a job unless the same (kind, key) is queued or running; whether it did.
    pub async fn enqueue_job(&self, job: NewJob, now_ms: i64) -> Result<bool, StoreError> {
        self.write_committed(move |c| queries::jobs::enqueue(c, &job, now_ms)).await
    }

    /// Claims the next due job of one of `kinds` (or one whose lease ran out) for
    /// `worker`, leased for `lease_ms`.
    pub async fn claim_job(
        &self,
        worker: String,
        kinds: Vec<String>,
        lease_ms: i64,
        now_ms: i64,
    ) -> Result<Option<ClaimedJob>, StoreError> {
        self.write_committed(move |c| queries::jobs::claim(c, &worker, &kinds, now_ms + lease_ms, now_ms)).await
    }

    /// Extends a running job's lease to `now_ms + lease_ms`; false if the claim was lost.
    pub async fn heartbeat_job(&self, lease: JobLease, lease_ms: i64, now_ms: i64) -> Result<bool, StoreError> {
        self.write_committed(move |c| queries::jobs::heartbeat(c, &lease, now_ms + lease_ms)).await
    }

    /// Puts the jobs `instance` is running back in the queue, due now (at shutdown);
    /// answers how many.
    pub async fn hand_back_jobs(&self, instance: String, now_ms: i64) -> Result<usize, StoreError> {
        self.write_committed(move |c| queries::jobs::hand_back(c, &instance, now_ms)).await
    }

    /// Marks a job done and, in the same transaction, queues `next`. False (nothing
    /// changed) if the claim was lost: the job belongs to whoever claimed it since.
    pub async fn finish_job(&self, lease: JobLease, next: Option<NewJob>, now_ms: i64) -> Result<bool, StoreError> {
        self.write_committed(move |c| queries::jobs::finish(c, &lease, next.as_ref(), now_ms)).await
    }

    /// A try failed with `error`: queued again after [`retry_delay_ms`], or `failed` after
    /// its last attempt.
    pub async fn fail_job(&self, lease: JobLease, error: String, now_ms: i64) -> Result<JobFailed, StoreError> {
        let retry_at = now_ms + retry_delay_ms(lease.attempts);
        self.write_committed(move |c| queries::jobs::fail(c, &lease, &error, retry_at, now_ms)).await
    }

    /// A try failed for good (a lasting failure): `failed` now, `error` kept.
    pub async fn give_up_job(&self, lease: JobLease, error: String, now_ms: i64) -> Result<JobFailed, StoreError> {
        self.write_committed(move |c| queries::jobs::give_up(c, &lease, &error, now_ms)).await
    }

    /// The latest job of (kind, key), if there is one.
    pub async fn job_outcome(&self, kind: &'static str, key: i64) -> Result<Option<JobOutcome>, StoreError> {
        self.read(move |c| queries::jobs::outcome(c, kind, key)).await
    }

    /// Per kind: jobs due, scheduled and running, and the oldest due one's wait.
    pub async fn job_depth(&self, now_ms: i64) -> Result<Vec<JobDepth>, StoreError> {
        self.read(move |c| queries::jobs::depth(c, now_ms)).await
    }

    /// Jobs queued and due, of every kind.
    pub async fn jobs_due(&self, now_ms: i64) -> Result<u64, StoreError> {
        self.read(move |c| queries::jobs::due(c, now_ms)).await
    }

    /// Fails running jobs whose last attempt's lease ran out, and deletes done rows
    /// finished before `done_before` and failed ones before `failed_before`. Returns
    /// (failed now, deleted).
    pub async fn prune_jobs(
        &self,
        done_before: i64,
        failed_before: i64,
        now_ms: i64,
    ) -> Result<(usize, usize), StoreError> {
        self.write_committed(move |c| queries::jobs::prune(c, done_before, failed_before, now_ms)).await
    }
}

/// Unix time in milliseconds.
pub fn unix_now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}
