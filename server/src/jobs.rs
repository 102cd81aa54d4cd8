//! Background work that follows an ingest — the keyframe index of a remote FLV, the
//! duration of an HLS replay from its playlist, a file's check, a part's poster and
//! storyboard — : one queue, at most [`WORKERS`] jobs running at once, one shared HTTP
//! client with connect and read timeouts. A burst of callbacks queues its jobs (a few
//! hundred bytes each) and the hooks answer at once; the downloads run behind, a few at
//! a time.
//!
//! Each job is queued once while it waits or runs (keyed by kind and replay), so a replay
//! asked for again meanwhile is not downloaded twice. A kind may run fewer at once than
//! [`WORKERS`] ([`Job::at_once`]: images, which take a core each, two): its jobs wait
//! while others pass them, and the worker that ends one takes the next. The queue lives
//! in memory: a job lost with the process is made again on the first request that needs
//! it (`/keyframes`), or at the next start (images).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::AppState;

/// Jobs running at once: downloads are I/O-bound, and this bounds memory and the load on
/// the CDN the recordings come from.
pub const WORKERS: usize = 4;
/// Connecting to a recording's host, and then any pause in its answer.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
pub const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// One piece of background work.
#[derive(Clone, Debug)]
pub enum Job {
    /// Build and keep an FLV replay's keyframe index. Only what the job needs is queued:
    /// a backlog of 100,000 such jobs is about 15 MB.
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
}

/// Pause before the second attempt at a playlist.
pub const HLS_RETRY_AFTER: Duration = Duration::from_secs(3);

impl Job {
    /// What makes two jobs the same: their kind and replay, so that a part's check or
    /// images are never taken for its index.
    fn key(&self) -> (&'static str, i64) {
        match self {
            Job::IndexKeyframes { replay, .. } | Job::HlsDuration { replay, .. } => ("replay", *replay),
            Job::CheckFile { part, .. } => ("check", *part),
            Job::Images { part } => ("images", *part),
        }
    }

    /// How many jobs of this kind may run at once.
    fn at_once(&self) -> usize {
        match self {
            Job::Images { .. } => crate::images::AT_ONCE,
            _ => WORKERS,
        }
    }
}

/// The queue; cheap to clone.
#[derive(Clone)]
pub struct Jobs(Arc<Inner>);

struct Inner {
    http: reqwest::Client,
    state: Mutex<Queue>,
    /// MP4 copies are made one at a time (they read a whole FLV into memory).
    mp4: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct Queue {
    waiting: VecDeque<Job>,
    /// Keys of the jobs waiting or running.
    queued: HashSet<(&'static str, i64)>,
    workers: usize,
    /// Jobs running, per kind.
    running: HashMap<&'static str, usize>,
}

impl Jobs {
    pub fn new() -> Result<Jobs, reqwest::Error> {
        let http = reqwest::Client::builder().connect_timeout(CONNECT_TIMEOUT).read_timeout(READ_TIMEOUT).build()?;
        Ok(Jobs(Arc::new(Inner { http, state: Mutex::default(), mp4: tokio::sync::Mutex::new(()) })))
    }

    /// The HTTP client every outgoing request shares.
    pub fn http(&self) -> &reqwest::Client {
        &self.0.http
    }

    /// Held while making an MP4 copy.
    pub async fn mp4_turn(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.0.mp4.lock().await
    }

    /// Queues a job unless the same one is waiting or running; starts a worker if fewer
    /// than [`WORKERS`] run.
    pub fn enqueue(&self, app: &AppState, job: Job) {
        let mut q = self.lock();
        if !q.queued.insert(job.key()) {
            return;
        }
        q.waiting.push_back(job);
        if q.workers < WORKERS {
            q.workers += 1;
            tokio::spawn(worker(app.clone()));
        }
    }

    /// Jobs waiting for a worker (not counting those running).
    pub fn waiting(&self) -> usize {
        self.lock().waiting.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.0.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Takes jobs, the first waiting whose kind has room, until none can run, then stops
/// (a job held back by its kind is taken by the worker that ends one of that kind).
async fn worker(app: AppState) {
    loop {
        let job = {
            let mut guard = app.jobs.lock();
            let q = &mut *guard;
            let running = &q.running;
            let room = |j: &Job| running.get(j.key().0).copied().unwrap_or(0) < j.at_once();
            match q.waiting.iter().position(room).and_then(|i| q.waiting.remove(i)) {
                Some(job) => {
                    *q.running.entry(job.key().0).or_default() += 1;
                    job
                }
                None => {
                    q.workers -= 1;
                    return;
                }
            }
        };
        let key = job.key();
        // A panicking job must not take the worker's count with it.
        let run = tokio::spawn(run(app.clone(), job));
        if let Err(e) = run.await {
            tracing::error!(job = key.0, replay = key.1, error = %e, "background job failed");
        }
        let mut q = app.jobs.lock();
        q.queued.remove(&key);
        if let Some(n) = q.running.get_mut(key.0) {
            *n = n.saturating_sub(1);
        }
    }
}

async fn run(app: AppState, job: Job) {
    match job {
        Job::IndexKeyframes { replay, url } => {
            let _ = crate::playback::build_index(&app, replay, &url).await;
        }
        Job::HlsDuration { replay, url, fallback_ms } => hls_duration(&app, replay, &url, fallback_ms).await,
        Job::CheckFile { part, url } => crate::gone::check_file(&app, part, &url).await,
        Job::Images { part } => crate::images::run(&app, part).await,
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
