-- Durable background jobs (issue 15): the work that follows an ingest (a remote FLV's
-- keyframe index, an HLS duration, a part's images, a file's check) and the reconcile
-- round, kept in the database so that no job is lost with a process and several
-- instances on one PostgreSQL share them (src/store/jobs.rs says how they are claimed).
-- Times are Unix MILLISECONDS (run_at, lease_until, created_at, finished_at): leases of
-- a few seconds and retries in tests need finer than the seconds the other tables use.
CREATE TABLE jobs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    -- 'keyframes', 'hls_duration', 'check_file', 'images', 'reconcile'.
    kind          TEXT NOT NULL,
    -- The part's id, or 0 for a job of which there is one (the reconcile round).
    key           INTEGER NOT NULL,
    -- What the job needs besides its key, as a JSON object ({"url": ..., "fallback_ms": ...}).
    payload       TEXT NOT NULL DEFAULT '{}',
    state         TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'failed')),
    -- Not claimed before (a retry's backoff, the next reconcile round).
    run_at        INTEGER NOT NULL,
    -- Claims so far: a claim adds one, and a finish or a heartbeat must name it (fencing).
    attempts      INTEGER NOT NULL DEFAULT 0,
    max_attempts  INTEGER NOT NULL DEFAULT 5,
    -- While running: until when the worker holds it; past it, another may claim it.
    lease_until   INTEGER,
    -- The instance (--instance-id) and slot that claimed it last.
    worker        TEXT,
    last_error    TEXT,
    created_at    INTEGER NOT NULL,
    finished_at   INTEGER
);
-- A job is queued once while it waits or runs (enqueue: ON CONFLICT DO NOTHING on it);
-- once done or failed, the same (kind, key) may be queued again.
CREATE UNIQUE INDEX jobs_live_once ON jobs (kind, key) WHERE state = 'queued' OR state = 'running';
-- Claiming: the due queued jobs, and running ones whose lease ran out, oldest run_at first.
CREATE INDEX jobs_claim ON jobs (state, run_at);
