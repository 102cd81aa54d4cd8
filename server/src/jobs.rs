//! Background work that follows an ingest — the keyframe index of a remote FLV, the
//! duration of an HLS replay from its playlist, a file's check, a part's poster and
//! storyboard — and the reconcile round: kept in the database's `jobs` table
//! (`crate::store::jobs`), run by [`WORKERS`] worker slots per instance, with one shared
//! HTTP client with connect and read timeouts.
//!
//! Durable: a job is a row, queued in the same transaction as what caused it (a part's
//! follow-ups with the part: `NewReplay::follow_ups`), so a job is never lost with a
//! process, and several instances on one PostgreSQL share the work. Each slot claims a
//! job with a lease (`--job-lease-secs`), extends it every third of the lease while the
//! job runs, and finishes it, or fails it (retried with backoff, `failed` after its
//! attempts). A process that dies stops extending its leases: past them, another slot
//! (of any instance, this one after a restart) takes its jobs over. Delivery is at least
//! once; every job's effect is idempotent (an index upserted per part, a duration set
//! once, images replaced, reconcile keyed by `file_id`).
//!
//! Each job is queued once while it waits or runs (keyed by kind and part), so a part
//! asked for again meanwhile is not downloaded twice. A kind may run fewer at once than
//! [`WORKERS`] on an instance ([`Job::at_once`]: images, which take a core each, two):
//! a slot only claims the kinds that have room. A slot claims again at once after a job,
//! wakes when this instance queues one, and otherwise looks every [`POLL`] (jobs queued
//! by other instances, retries coming due, leases running out). MP4 copies are jobs too
//! (`Job::Mp4`, one at a time per instance): `/mp4` queues one and waits for its object.
//!
//! A job whose failure will not pass (an FLV that cannot be remuxed) says so
//! ([`Failed::ForGood`]) and is `failed` at once, its error kept for whoever waits on it.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::json;
use tokio::sync::Notify;

use crate::AppState;
use crate::store::{ClaimedJob, FollowUp, JobDepth, JobFailed, NewJob, Store, unix_now_ms};

/// Jobs running at once per instance: downloads are I/O-bound, and this bounds memory
/// and the load on the CDN the recordings come from.
pub const WORKERS: usize = 4;
/// Connecting to a recording's host, and then any pause in its answer.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
pub const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// An idle slot looks at the table this often.
pub const POLL: Duration = Duration::from_secs(1);
/// Housekeeping (failing jobs whose last lease ran out, deleting old rows) this often.
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(600);
/// Done rows are kept a week, failed ones a month (to see what failed, and why).
const KEEP_DONE_MS: i64 = 7 * 86_400_000;
const KEEP_FAILED_MS: i64 = 30 * 86_400_000;

/// One piece of background work.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Job {
    /// Build and keep an FLV replay's keyframe index.
    IndexKeyframes { replay: i64, url: String },
    /// Set an HLS replay's unknown duration from its playlist (a master playlist's first
    /// variant). Tried twice; if the playlist cannot be read, `fallback_ms` (the service's
    /// end − start, when it gave them) is kept instead.
    HlsDuration { replay: i64, url: String, fallback_ms: u64 },
    /// Ask a remote part's host whether its file is still there (`crate::gone`): a
    /// signed HEAD (or a one-byte GET where HEAD is refused); 404 or 410 mark it gone.
    CheckFile { part: i64, url: String },
    /// Make a part's poster and storyboard (`crate::images`): its keyframes read once,
    /// decoded in-process, written under `--images-dir`; or its failure stored.
    Images { part: i64 },
    /// Make an FLV part's MP4 copy (`crate::playback::make_mp4_copy`), written create-only
    /// to the media store's `derived/mp4/{part}.mp4`.
    Mp4 { part: i64 },
    /// One round of `crate::reconcile` (one of them at a time across the instances); its
    /// finish queues the next, `--reconcile-interval` later.
    Reconcile,
}

/// Pause before the second attempt at a playlist.
pub const HLS_RETRY_AFTER: Duration = Duration::from_secs(3);

/// Every kind a slot of this release runs (a newer release's kinds are left to it).
const KINDS: [&str; 6] = ["keyframes", "hls_duration", "check_file", "images", "mp4", "reconcile"];

/// Why a job's try failed.
#[derive(Debug, PartialEq, Eq)]
pub enum Failed {
    /// Passing (a timeout, a store that did not answer): tried again after a backoff.
    Retry(String),
    /// Lasting (the file cannot be converted): `failed` now, no more tries.
    ForGood(String),
}

impl From<String> for Failed {
    fn from(e: String) -> Failed {
        Failed::Retry(e)
    }
}

impl Job {
    /// The kind, as the table names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Job::IndexKeyframes { .. } => "keyframes",
            Job::HlsDuration { .. } => "hls_duration",
            Job::CheckFile { .. } => "check_file",
            Job::Images { .. } => "images",
            Job::Mp4 { .. } => "mp4",
            Job::Reconcile => "reconcile",
        }
    }

    /// What it is about (the part), 0 for the one reconcile round.
    fn key(&self) -> i64 {
        match self {
            Job::IndexKeyframes { replay, .. } | Job::HlsDuration { replay, .. } => *replay,
            Job::CheckFile { part, .. } | Job::Images { part } | Job::Mp4 { part } => *part,
            Job::Reconcile => 0,
        }
    }

    fn payload(&self) -> String {
        match self {
            Job::IndexKeyframes { url, .. } | Job::CheckFile { url, .. } => json!({ "url": url }),
            Job::HlsDuration { url, fallback_ms, .. } => json!({ "url": url, "fallback_ms": fallback_ms }),
            Job::Images { .. } | Job::Mp4 { .. } | Job::Reconcile => json!({}),
        }
        .to_string()
    }

    /// Claims of it before it is `failed`. Jobs store their own lasting failures (an
    /// index that cannot be built, images that cannot be made); what fails a try here is
    /// a panic, or the process dying under it.
    fn max_attempts(&self) -> u32 {
        match self {
            Job::Images { .. } => crate::images::MAX_ATTEMPTS,
            _ => crate::store::DEFAULT_MAX_ATTEMPTS,
        }
    }

    /// How many jobs of this kind may run at once on one instance.
    fn at_once(kind: &str) -> usize {
        match kind {
            "images" => crate::images::AT_ONCE,
            // A copy reads the whole FLV into memory.
            "mp4" => 1,
            _ => WORKERS,
        }
    }

    /// The job as a row, due at `run_at` (Unix ms).
    pub fn row(&self, run_at: i64) -> NewJob {
        NewJob {
            kind: self.kind().into(),
            key: self.key(),
            payload: self.payload(),
            run_at,
            max_attempts: self.max_attempts(),
        }
    }

    /// The job as a follow-up of a part being stored: its part is the one stored (the
    /// part id in `self` is not used).
    pub fn follow_up(&self) -> FollowUp {
        FollowUp { kind: self.kind().into(), payload: self.payload(), max_attempts: self.max_attempts() }
    }

    /// The job a claimed row describes.
    fn from_row(j: &ClaimedJob) -> Result<Job, String> {
        let p: serde_json::Value =
            serde_json::from_str(&j.payload).map_err(|e| format!("{} job {}: bad payload: {e}", j.kind, j.key))?;
        let url = || {
            p["url"]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("{} job {}: no url in its payload", j.kind, j.key))
        };
        Ok(match j.kind.as_str() {
            "keyframes" => Job::IndexKeyframes { replay: j.key, url: url()? },
            "hls_duration" => {
                Job::HlsDuration { replay: j.key, url: url()?, fallback_ms: p["fallback_ms"].as_u64().unwrap_or(0) }
            }
            "check_file" => Job::CheckFile { part: j.key, url: url()? },
            "images" => Job::Images { part: j.key },
            "mp4" => Job::Mp4 { part: j.key },
            "reconcile" => Job::Reconcile,
            other => return Err(format!("unknown job kind {other}")),
        })
    }
}

/// The queue's handle; cheap to clone.
#[derive(Clone)]
pub struct Jobs(Arc<Inner>);

struct Inner {
    http: reqwest::Client,
    store: Store,
    /// This instance's name (`--instance-id`); a slot claims as `{instance}/{n}`.
    instance: String,
    lease: Duration,
    /// Woken when this instance queues a job, or a slot took one (there may be more).
    wake: Notify,
    /// Jobs running here, and places taken by claims under way, per kind.
    running: std::sync::Mutex<HashMap<String, usize>>,
    stopping: AtomicBool,
}

impl Jobs {
    pub fn new(store: Store, instance: String, lease: Duration) -> Result<Jobs, reqwest::Error> {
        let http = reqwest::Client::builder().connect_timeout(CONNECT_TIMEOUT).read_timeout(READ_TIMEOUT).build()?;
        Ok(Jobs(Arc::new(Inner {
            http,
            store,
            instance,
            lease,
            wake: Notify::new(),
            running: Default::default(),
            stopping: AtomicBool::new(false),
        })))
    }

    /// Starts the worker slots and the housekeeping.
    pub fn start(app: &AppState) {
        for n in 0..WORKERS {
            tokio::spawn(slot(app.clone(), n));
        }
        tokio::spawn(housekeeping(app.clone()));
    }

    /// At shutdown: stops claiming, and hands the jobs running here back to the queue, so
    /// another instance (or this one restarted) takes them at once rather than after
    /// their leases. A job killed without this (SIGKILL, a crash) waits for its lease.
    pub async fn stop(&self) {
        self.0.stopping.store(true, Ordering::SeqCst);
        self.0.wake.notify_waiters();
        match self.0.store.hand_back_jobs(self.0.instance.clone(), unix_now_ms()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(jobs = n, "jobs: handed back to the queue at shutdown"),
            Err(e) => tracing::warn!(error = %e, "jobs: cannot hand back at shutdown; their leases will run out"),
        }
    }

    /// The HTTP client every outgoing request shares.
    pub fn http(&self) -> &reqwest::Client {
        &self.0.http
    }

    /// Queues a job now unless the same one is waiting or running (then nothing), and
    /// wakes a slot. A failure to store it is logged: the triggers that use this (a
    /// viewer's `/keyframes`, the periodic checks, the images backfill) ask again.
    pub async fn enqueue(&self, job: Job) {
        match self.0.store.enqueue_job(job.row(unix_now_ms()), unix_now_ms()).await {
            Ok(true) => self.woke(),
            Ok(false) => {}
            Err(e) => tracing::error!(job = job.kind(), key = job.key(), error = %e, "cannot queue a job"),
        }
    }

    /// Wakes a slot: a job of this instance's was queued (a part's follow-ups).
    pub fn woke(&self) {
        self.0.wake.notify_one();
    }

    /// Jobs due and waiting for a slot, of every kind and instance (a failed read counts
    /// as full, so that the callers holding back for room hold back).
    pub async fn waiting(&self) -> usize {
        match self.0.store.jobs_due(unix_now_ms()).await {
            Ok(n) => usize::try_from(n).unwrap_or(usize::MAX),
            Err(e) => {
                tracing::warn!(error = %e, "cannot count the jobs waiting");
                usize::MAX
            }
        }
    }

    /// Per kind: jobs due, scheduled and running, and the oldest due one's wait (`/metrics`).
    pub async fn depth(&self) -> Vec<JobDepth> {
        self.0.store.job_depth(unix_now_ms()).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "cannot read the jobs' depth");
            Vec::new()
        })
    }

    fn lease_ms(&self) -> i64 {
        self.0.lease.as_millis() as i64
    }
}

/// One worker slot: claims a job of a kind with room here, runs it under its lease, and
/// claims again; idle, waits for a wake or [`POLL`].
async fn slot(app: AppState, n: usize) {
    let jobs = app.jobs.clone();
    let worker = format!("{}/{n}", jobs.0.instance);
    let reconcile = crate::reconcile::enabled(&app);
    while !jobs.0.stopping.load(Ordering::SeqCst) {
        // A place is taken in every kind with room before claiming, and given back in the
        // kinds the claim did not take: the slots claim at once (SQLite's writer commits
        // their claims together) and a kind's limit still holds.
        let kinds: Vec<String> = {
            let mut running = jobs.0.running.lock().unwrap_or_else(|p| p.into_inner());
            KINDS
                .iter()
                .filter(|k| **k != "reconcile" || reconcile)
                .filter(|k| {
                    let n = running.entry(k.to_string()).or_default();
                    let room = *n < Job::at_once(k);
                    *n += usize::from(room);
                    room
                })
                .map(|k| k.to_string())
                .collect()
        };
        let claimed = match jobs.0.store.claim_job(worker.clone(), kinds.clone(), jobs.lease_ms(), unix_now_ms()).await
        {
            Ok(j) => j,
            Err(e) => {
                tracing::warn!(worker, error = %e, "cannot claim a job");
                None
            }
        };
        {
            let mut running = jobs.0.running.lock().unwrap_or_else(|p| p.into_inner());
            for k in kinds.iter().filter(|k| claimed.as_ref().is_none_or(|c| c.kind != **k)) {
                if let Some(n) = running.get_mut(k) {
                    *n = n.saturating_sub(1);
                }
            }
        }
        let Some(claimed) = claimed else {
            tokio::select! {
                _ = jobs.0.wake.notified() => {}
                _ = tokio::time::sleep(POLL) => {}
            }
            continue;
        };
        // There may be more: another idle slot looks too.
        jobs.0.wake.notify_one();
        let kind = claimed.kind.clone();
        execute(&app, claimed).await;
        if let Some(n) = jobs.0.running.lock().unwrap_or_else(|p| p.into_inner()).get_mut(&kind) {
            *n = n.saturating_sub(1);
        }
    }
}

/// Runs a claimed job, beating its lease every third of it, then finishes or fails it.
/// A lost lease (another slot took the job over) stops it.
async fn execute(app: &AppState, claimed: ClaimedJob) {
    let store = &app.store;
    let lease = claimed.lease.clone();
    let (kind, key) = (claimed.kind.clone(), claimed.key);
    let job = match Job::from_row(&claimed) {
        Ok(job) => job,
        Err(e) => {
            tracing::error!(job = %kind, key, error = %e, "a job that cannot be read");
            let _ = store.fail_job(lease, e, unix_now_ms()).await;
            return;
        }
    };
    // A panicking job must not take the slot with it.
    let mut task = tokio::spawn(run(app.clone(), job));
    let mut beat = tokio::time::interval(app.jobs.0.lease / 3);
    beat.tick().await;
    let outcome = loop {
        tokio::select! {
            r = &mut task => break r,
            _ = beat.tick() => match store.heartbeat_job(lease.clone(), app.jobs.lease_ms(), unix_now_ms()).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!(job = %kind, key, attempt = lease.attempts, "job lease lost: another worker has it");
                    task.abort();
                    return;
                }
                Err(e) => tracing::warn!(job = %kind, key, error = %e, "cannot extend a job's lease"),
            },
        }
    };
    let now = unix_now_ms();
    let result = match outcome {
        Ok(Ok(next)) => match store.finish_job(lease.clone(), next, now).await {
            Ok(true) => return,
            Ok(false) => {
                return tracing::warn!(job = %kind, key, "job done, but its lease was lost: the other worker's run counts");
            }
            Err(e) => {
                return tracing::error!(job = %kind, key, error = %e, "cannot mark a job done (it will run again)");
            }
        },
        Ok(Err(Failed::Retry(e))) => store.fail_job(lease.clone(), e, now).await,
        Ok(Err(Failed::ForGood(e))) => {
            tracing::warn!(job = %kind, key, error = %e, "job failed for good");
            store.give_up_job(lease.clone(), e, now).await
        }
        Err(e) => {
            tracing::error!(job = %kind, key, error = %e, "background job panicked");
            store.fail_job(lease.clone(), format!("panicked: {e}"), now).await
        }
    };
    match result {
        Ok(JobFailed::Retry { at }) => {
            tracing::warn!(job = %kind, key, attempt = lease.attempts, retry_in_ms = at - now, "job failed, will retry")
        }
        Ok(JobFailed::GaveUp) => tracing::error!(job = %kind, key, attempt = lease.attempts, "job failed for good"),
        Ok(JobFailed::Lost) => {}
        Err(e) => tracing::error!(job = %kind, key, error = %e, "cannot mark a job failed"),
    }
}

/// Runs one job. `Ok` with the job to queue when this one is done (the next reconcile
/// round), `Err` to try it again later.
async fn run(app: AppState, job: Job) -> Result<Option<NewJob>, Failed> {
    match job {
        Job::IndexKeyframes { replay, url } => {
            if part_alive(&app, replay).await? && !indexed(&app, replay).await? {
                let _ = crate::playback::build_index(&app, replay, &url).await;
            }
        }
        Job::HlsDuration { replay, url, fallback_ms } => {
            if part_alive(&app, replay).await? {
                hls_duration(&app, replay, &url, fallback_ms).await
            }
        }
        Job::CheckFile { part, url } => crate::gone::check_file(&app, part, &url).await,
        Job::Images { part } => crate::images::run(&app, part).await,
        Job::Mp4 { part } => crate::playback::make_mp4_copy(&app, part).await?,
        Job::Reconcile => return Ok(Some(crate::reconcile::round_job(&app).await)),
    }
    Ok(None)
}

/// Whether a part is still there and not gone (one stored already gone, or deleted since
/// its jobs were queued, needs none).
async fn part_alive(app: &AppState, id: i64) -> Result<bool, String> {
    match app.store.part(id).await {
        Ok(Some(p)) => Ok(p.gone_at.is_none()),
        Ok(None) => Ok(false),
        Err(e) => Err(format!("cannot read part {id}: {e}")),
    }
}

/// Whether a part's keyframe index is stored already (built, or failed for good). A job
/// queued by a caller that saw none just before the index job finished (a viewer's
/// `/keyframes`, the images waiting for it) then ends without fetching the file again.
async fn indexed(app: &AppState, part: i64) -> Result<bool, String> {
    match app.store.keyframe_index(part).await {
        Ok(crate::store::KeyframeIndexState::Building) => Ok(false),
        Ok(_) => Ok(true),
        Err(e) => Err(format!("cannot read the keyframe index of part {part}: {e}")),
    }
}

/// Fails jobs whose last attempt's lease ran out, deletes old rows and, with reconcile
/// on, queues a round if none is (the chain of rounds broken by a round that failed for
/// good), every [`HOUSEKEEPING_EVERY`].
async fn housekeeping(app: AppState) {
    loop {
        let now = unix_now_ms();
        match app.store.prune_jobs(now - KEEP_DONE_MS, now - KEEP_FAILED_MS, now).await {
            Ok((0, 0)) => {}
            Ok((failed, deleted)) => tracing::info!(failed, deleted, "jobs: housekeeping"),
            Err(e) => tracing::warn!(error = %e, "jobs: housekeeping failed"),
        }
        if crate::reconcile::enabled(&app) {
            crate::reconcile::schedule(&app).await;
        }
        tokio::time::sleep(HOUSEKEEPING_EVERY).await;
        if app.jobs.0.stopping.load(Ordering::SeqCst) {
            return;
        }
    }
}

async fn hls_duration(app: &AppState, replay: i64, url: &str, fallback_ms: u64) {
    let mut outcome = Err(String::new());
    for attempt in 1..=2 {
        outcome = crate::playback::hls_facts(app, url).await;
        match &outcome {
            Ok(_) => break,
            Err(e) => tracing::warn!(replay, attempt, error = %e, "cannot read the HLS playlist"),
        }
        if attempt == 1 {
            tokio::time::sleep(HLS_RETRY_AFTER).await;
        }
    }
    let duration_ms = match outcome {
        Ok(f) => {
            tracing::info!(
                replay,
                duration_ms = f.duration_ms,
                segments = f.segments,
                "HLS duration from its playlist"
            );
            f.duration_ms
        }
        Err(_) => fallback_ms,
    };
    if duration_ms > 0
        && let Err(e) = app.store.set_replay_duration(replay, duration_ms).await
    {
        tracing::error!(replay, error = %e, "cannot store the HLS duration");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_round_trip_through_their_rows() {
        for job in [
            Job::IndexKeyframes { replay: 3, url: "https://cdn.example.com/a.flv".into() },
            Job::HlsDuration { replay: 4, url: "https://cdn.example.com/a.m3u8".into(), fallback_ms: 61_000 },
            Job::CheckFile { part: 5, url: "https://cdn.example.com/b.mp4".into() },
            Job::Images { part: 6 },
            Job::Mp4 { part: 7 },
            Job::Reconcile,
        ] {
            let row = job.row(0);
            assert!(KINDS.contains(&row.kind.as_str()));
            let claimed = ClaimedJob {
                lease: crate::store::JobLease { id: 1, worker: "w".into(), attempts: 1 },
                kind: row.kind,
                key: row.key,
                payload: row.payload,
                max_attempts: row.max_attempts,
            };
            assert_eq!(Job::from_row(&claimed), Ok(job));
        }
    }
}
