//! The durable jobs table (`migrations/*/0010_jobs.sql`): enqueue once per (kind, key)
//! while queued or running, claim with a lease, heartbeat, finish and fail fenced by
//! (id, worker, attempts). The facade and the why are `crate::store::jobs`. Times here
//! are Unix milliseconds.

use crate::store::db::{Db, Dialect, OptionalExtension, Row, ToValue, params};
use crate::store::{ClaimedJob, FollowUp, JobDepth, JobFailed, JobLease, JobOutcome, NewJob, StoreError};

/// The columns a claim returns, in [`claimed`]'s order.
const CLAIMED: &str = "id, kind, key, payload, attempts, max_attempts, worker";

/// Queues a job unless one of the same (kind, key) is queued or running; whether it was
/// queued. The conflict target names the partial unique index `jobs_live_once` by its
/// columns and predicate, which both SQLite and PostgreSQL require for a partial index.
pub fn enqueue(c: &Db, j: &NewJob, now_ms: i64) -> Result<bool, StoreError> {
    let id: Option<i64> = c
        .prepare_cached(
            "INSERT INTO jobs (kind, key, payload, run_at, max_attempts, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (kind, key) WHERE state = 'queued' OR state = 'running' DO NOTHING
             RETURNING id",
        )?
        .query_row(params![j.kind, j.key, j.payload, j.run_at, j.max_attempts, now_ms], |r| r.get(0))
        .optional()?;
    Ok(id.is_some())
}

/// Queues the follow-ups of a part just stored, keyed by its id, due now (`now`: Unix
/// seconds, as the part's own times): called by `broadcasts::record_part` in the
/// transaction that stores the part, so a part is never stored without them.
pub fn enqueue_follow_ups(c: &Db, part: i64, follow_ups: &[FollowUp], now: i64) -> Result<(), StoreError> {
    let now_ms = now.saturating_mul(1000);
    for f in follow_ups {
        let job = NewJob {
            kind: f.kind.clone(),
            key: part,
            payload: f.payload.clone(),
            run_at: now_ms,
            max_attempts: f.max_attempts,
        };
        enqueue(c, &job, now_ms)?;
    }
    Ok(())
}

/// Takes the next job of one of `kinds` for `worker`, until `lease_until`: a due queued
/// one, or a running one whose lease ran out (its worker is gone or stuck) with attempts
/// left, earliest `run_at` first. `attempts` goes up by one: the claim's fence.
///
/// PostgreSQL: the subquery locks the row it picks and skips rows other instances hold
/// (`FOR UPDATE SKIP LOCKED`), so claims of several instances at once take different
/// jobs without waiting on each other. SQLite: its single writer runs one claim at a
/// time, the plain subquery is enough.
pub fn claim(
    c: &Db,
    worker: &str,
    kinds: &[String],
    lease_until: i64,
    now_ms: i64,
) -> Result<Option<ClaimedJob>, StoreError> {
    // Only the kinds with a job queued or running (`jobs_live_once` holds exactly those,
    // by kind): a claim for kinds with nothing to do ends here. Without this, a slot woken
    // by each stored part (`Jobs::woke`) while the images kind was full walked
    // `jobs_claim` through every queued images job to find none of its kinds: under the
    // ingest benchmark, thousands of rows per claim, one claim per callback, 17 % of the
    // writer thread's time (bench/README.md).
    let live = match c.dialect() {
        Dialect::Sqlite => {
            "SELECT 1 FROM jobs INDEXED BY jobs_live_once WHERE kind = ?1 AND (state = 'queued' OR state = 'running') LIMIT 1"
        }
        Dialect::Postgres => "SELECT 1 FROM jobs WHERE kind = ?1 AND (state = 'queued' OR state = 'running') LIMIT 1",
    };
    let mut with_jobs = Vec::with_capacity(kinds.len());
    for k in kinds {
        if c.prepare_cached(live)?.query_row([k.as_str()], |_| Ok(())).optional()?.is_some() {
            with_jobs.push(k.clone());
        }
    }
    let kinds = with_jobs.as_slice();
    if kinds.is_empty() {
        return Ok(None);
    }
    let list: Vec<String> = (0..kinds.len()).map(|i| format!("?{}", i + 4)).collect();
    let kinds_in = list.join(", ");
    // SQLite, without statistics, would take the running jobs from `jobs_live_once` (every
    // queued row of those kinds): it is told which index to walk.
    let (from, lock) = match c.dialect() {
        Dialect::Sqlite => ("jobs INDEXED BY jobs_claim", ""),
        Dialect::Postgres => ("jobs", " FOR UPDATE SKIP LOCKED"),
    };
    // Two subqueries, not one with OR: each walks `jobs_claim` in order and stops at its
    // first row (an OR made SQLite read and sort every queued row at each claim). Lapsed
    // leases first: those jobs waited longest.
    let sql = format!(
        "UPDATE jobs SET state = 'running', attempts = attempts + 1, worker = ?1, lease_until = ?2
         WHERE id = COALESCE(
             (SELECT id FROM {from}
              WHERE state = 'running' AND lease_until < ?3 AND attempts < max_attempts AND kind IN ({kinds_in})
              ORDER BY lease_until LIMIT 1{lock}),
             (SELECT id FROM {from}
              WHERE state = 'queued' AND run_at <= ?3 AND kind IN ({kinds_in})
              ORDER BY run_at, id LIMIT 1{lock}))
         RETURNING {CLAIMED}"
    );
    let mut values: Vec<&dyn ToValue> = vec![&worker, &lease_until, &now_ms];
    values.extend(kinds.iter().map(|k| k as &dyn ToValue));
    Ok(c.prepare_cached(&sql)?.query_row(values.as_slice(), claimed).optional()?)
}

fn claimed(r: &Row) -> Result<ClaimedJob, crate::store::db::DbError> {
    Ok(ClaimedJob {
        lease: JobLease { id: r.get(0)?, worker: r.get(6)?, attempts: r.get(4)? },
        kind: r.get(1)?,
        key: r.get(2)?,
        payload: r.get(3)?,
        max_attempts: r.get(5)?,
    })
}

/// The fence of every update by a worker: its claim is still the job's last one.
const FENCE: &str = "id = ?1 AND worker = ?2 AND attempts = ?3 AND state = 'running'";

/// Extends a running job's lease; false if the claim is no longer this worker's.
pub fn heartbeat(c: &Db, l: &JobLease, lease_until: i64) -> Result<bool, StoreError> {
    let sql = format!("UPDATE jobs SET lease_until = ?4 WHERE {FENCE}");
    Ok(c.execute(&sql, params![l.id, l.worker, l.attempts, lease_until])? == 1)
}

/// Marks a job done, then queues `next` (the next reconcile round: only once the
/// current one is no longer running can the same (kind, key) be queued). False, and
/// nothing queued, if the claim is no longer this worker's (a late finish from a lost lease).
pub fn finish(c: &Db, l: &JobLease, next: Option<&NewJob>, now_ms: i64) -> Result<bool, StoreError> {
    let sql = format!("UPDATE jobs SET state = 'done', finished_at = ?4, lease_until = NULL WHERE {FENCE}");
    if c.execute(&sql, params![l.id, l.worker, l.attempts, now_ms])? != 1 {
        return Ok(false);
    }
    if let Some(next) = next {
        enqueue(c, next, now_ms)?;
    }
    Ok(true)
}

/// At shutdown: the jobs `instance`'s slots are running go back to the queue, due now
/// and their attempt not counted, so another instance takes them at once instead of
/// after their leases. A slot's late finish is then refused by the fence (no worker).
/// A prefix test, not LIKE: an instance's name may hold `%` or `_`.
pub fn hand_back(c: &Db, instance: &str, now_ms: i64) -> Result<usize, StoreError> {
    let prefix = format!("{instance}/");
    let sql = "UPDATE jobs SET state = 'queued', run_at = ?2, lease_until = NULL, worker = NULL,
                   attempts = attempts - 1
               WHERE state = 'running' AND substr(worker, 1, length(CAST(?1 AS TEXT))) = ?1";
    Ok(c.execute(sql, params![prefix, now_ms])?)
}

/// A try failed: queued again at `retry_at`, or `failed` for good once it had its
/// `max_attempts`; `last_error` kept either way. (The CAST: PostgreSQL would take a bare
/// parameter in a CASE for text.)
pub fn fail(c: &Db, l: &JobLease, error: &str, retry_at: i64, now_ms: i64) -> Result<JobFailed, StoreError> {
    let sql = format!(
        "UPDATE jobs SET
             state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
             finished_at = CASE WHEN attempts >= max_attempts THEN CAST(?6 AS BIGINT) ELSE NULL END,
             run_at = ?5, last_error = ?4, lease_until = NULL
         WHERE {FENCE}
         RETURNING state"
    );
    let state: Option<String> =
        c.query_row(&sql, params![l.id, l.worker, l.attempts, error, retry_at, now_ms], |r| r.get(0)).optional()?;
    Ok(match state.as_deref() {
        None => JobFailed::Lost,
        Some("failed") => JobFailed::GaveUp,
        Some(_) => JobFailed::Retry { at: retry_at },
    })
}

/// A try failed for a reason that will not pass: `failed` now, whatever attempts are
/// left (so `attempts < max_attempts` on a failed row tells such a failure).
pub fn give_up(c: &Db, l: &JobLease, error: &str, now_ms: i64) -> Result<JobFailed, StoreError> {
    let sql = format!(
        "UPDATE jobs SET state = 'failed', finished_at = ?5, last_error = ?4, lease_until = NULL WHERE {FENCE}"
    );
    Ok(match c.execute(&sql, params![l.id, l.worker, l.attempts, error, now_ms])? {
        1 => JobFailed::GaveUp,
        _ => JobFailed::Lost,
    })
}

/// The latest job of (kind, key), if any: what someone waiting on it needs to know.
pub fn outcome(c: &Db, kind: &str, key: i64) -> Result<Option<JobOutcome>, StoreError> {
    Ok(c.query_row(
        "SELECT state, attempts, max_attempts, last_error FROM jobs WHERE kind = ?1 AND key = ?2
         ORDER BY id DESC LIMIT 1",
        params![kind, key],
        |r| Ok(JobOutcome { state: r.get(0)?, attempts: r.get(1)?, max_attempts: r.get(2)?, last_error: r.get(3)? }),
    )
    .optional()?)
}

/// Per kind with jobs queued or running: how many of each, and the oldest due queued
/// job's `run_at`.
pub fn depth(c: &Db, now_ms: i64) -> Result<Vec<JobDepth>, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT kind,
                COALESCE(SUM(CASE WHEN state = 'queued' AND run_at <= ?1 THEN 1 ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN state = 'queued' AND run_at > ?1 THEN 1 ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN state = 'running' THEN 1 ELSE 0 END), 0),
                MIN(CASE WHEN state = 'queued' AND run_at <= ?1 THEN run_at END)
         FROM jobs WHERE state = 'queued' OR state = 'running'
         GROUP BY kind ORDER BY kind",
    )?;
    let rows = st.query_map(params![now_ms], |r| {
        let oldest: Option<i64> = r.get(4)?;
        Ok(JobDepth {
            kind: r.get(0)?,
            due: r.get(1)?,
            scheduled: r.get(2)?,
            running: r.get(3)?,
            oldest_due_ms: oldest.map(|at| (now_ms - at).max(0)),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Jobs queued and due, of every kind.
pub fn due(c: &Db, now_ms: i64) -> Result<u64, StoreError> {
    Ok(c.query_row("SELECT COUNT(*) FROM jobs WHERE state = 'queued' AND run_at <= ?1", params![now_ms], |r| r.get(0))?)
}

/// Housekeeping: running jobs whose lease ran out on their last attempt become `failed`
/// (no claim takes them), and rows finished before the cut-offs go. The numbers of each.
pub fn prune(c: &Db, done_before: i64, failed_before: i64, now_ms: i64) -> Result<(usize, usize), StoreError> {
    let reaped = c.execute(
        "UPDATE jobs SET state = 'failed', finished_at = ?1, lease_until = NULL,
             last_error = 'the lease ran out on the last attempt (the worker died or hung)'
         WHERE state = 'running' AND lease_until < ?1 AND attempts >= max_attempts",
        params![now_ms],
    )?;
    let pruned = c.execute(
        "DELETE FROM jobs WHERE (state = 'done' AND finished_at < ?1) OR (state = 'failed' AND finished_at < ?2)",
        params![done_before, failed_before],
    )?;
    Ok((reaped, pruned))
}
