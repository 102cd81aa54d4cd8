-- Issue 13, "one broadcast, one replay": a replay is now a broadcast made of the
-- recordings ("parts") of one push, or of pushes restarted within --broadcast-gap.
-- The rules are src/ingest/broadcast.rs; the store applies them (src/store/sqlite/broadcasts.rs).
-- After this file, migrations.rs groups the existing recordings (one broadcast each
-- group of adjacent ones), in the same transaction; 0007 then indexes the parts.
CREATE TABLE broadcasts (
    -- One id space with the parts (replays.id): a broadcast made with its first part
    -- takes that part's id; one made before any part (by a live event) takes a fresh
    -- value of the replays' AUTOINCREMENT sequence, which no part will ever take.
    id          INTEGER PRIMARY KEY,
    streamer_id TEXT NOT NULL REFERENCES streamers (id),
    -- The admin's title and visibility (replays.title and replays.hidden are unused since).
    title       TEXT,
    hidden      INTEGER NOT NULL DEFAULT 0,
    -- 'recording', 'processing', 'ready' or 'failed', and why it failed.
    status      TEXT NOT NULL,
    failure     TEXT,
    -- The push, as live events told it: its start, and its end (NULL while live, or
    -- when no event told).
    started_at  INTEGER,
    ended_at    INTEGER,
    -- The list's order, fixed when the broadcast is made (its first part's start, or its
    -- push's): pages stay stable while parts keep arriving, earlier ones included.
    sort_time   INTEGER NOT NULL,
    -- The time covered by its parts and push (kept by the store, for grouping).
    ext_start   INTEGER NOT NULL,
    ext_end     INTEGER NOT NULL,
    -- The last Tencent recording status (event 332) applied, `seq` zero-padded to 20 digits.
    last_seq    TEXT,
    -- Set when this broadcast became part of another: a tombstone, so old links resolve.
    merged_into INTEGER,
    -- Set by an admin's DELETE, when its last part was deleted, or when no file came for
    -- its push within --broadcast-settle.
    deleted_at  INTEGER,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
-- Public lists, newest first, keyset-paged on (sort_time, id), from the index alone.
CREATE INDEX broadcasts_page ON broadcasts (
    streamer_id, sort_time DESC, id DESC, title, status, failure, started_at, ended_at, hidden, deleted_at, merged_into
) WHERE hidden = 0 AND deleted_at IS NULL AND merged_into IS NULL;
-- Grouping: a stream's broadcasts near a time, and those being recorded.
CREATE INDEX broadcasts_extent ON broadcasts (streamer_id, ext_end) WHERE deleted_at IS NULL AND merged_into IS NULL;
CREATE INDEX broadcasts_recording ON broadcasts (streamer_id)
    WHERE status = 'recording' AND deleted_at IS NULL AND merged_into IS NULL;
-- Promotion: broadcasts waiting for their last files.
CREATE INDEX broadcasts_processing ON broadcasts (ended_at)
    WHERE status = 'processing' AND deleted_at IS NULL AND merged_into IS NULL;

-- Which broadcast a service's session belongs to, per stream: Tencent's recording
-- session_id / task_id ('tencent') and push sequence ('tencent-push'), nginx-rtmp's
-- clientid, SRS's client_id.
CREATE TABLE broadcast_sessions (
    streamer_id  TEXT NOT NULL,
    source       TEXT NOT NULL,
    key          TEXT NOT NULL,
    broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id),
    -- The session's own start and end, from live events (a late end of a session
    -- replaced by a newer one does not end the broadcast).
    started_at   INTEGER,
    ended_at     INTEGER,
    -- The last event 332 applied to this session, `seq` zero-padded to 20 digits.
    last_seq     TEXT,
    PRIMARY KEY (streamer_id, source, key)
) WITHOUT ROWID;
CREATE INDEX broadcast_sessions_by_broadcast ON broadcast_sessions (broadcast_id);

-- Each recording is a part of one broadcast (NULL: deleted before broadcasts existed).
ALTER TABLE replays ADD COLUMN broadcast_id INTEGER REFERENCES broadcasts (id);
-- 1: the same time recorded again, kept off the timeline (src/ingest/broadcast.rs).
ALTER TABLE replays ADD COLUMN alternate INTEGER NOT NULL DEFAULT 0;
-- (Their indexes: 0007.)
-- Lists read broadcasts now; replays.status is unused too (a part is a file).
DROP INDEX replays_visible_page;
