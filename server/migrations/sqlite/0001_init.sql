-- Streamers: one per stream id a recording service has told us about.
CREATE TABLE streamers (
    id              TEXT PRIMARY KEY,
    display_name    TEXT NOT NULL,
    avatar_url      TEXT,
    bio             TEXT NOT NULL DEFAULT '',
    live            INTEGER NOT NULL DEFAULT 0,
    -- Order of the last live-status event applied, so a late event never overrides a newer one:
    -- (event time, sequence zero-padded to 20 digits, phase: 0 = start, 1 = stop).
    live_event_time INTEGER,
    live_event_seq  TEXT,
    live_event_phase INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX streamers_by_created ON streamers (created_at DESC, id);

-- Replays: one per recording file.
CREATE TABLE replays (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    streamer_id    TEXT NOT NULL REFERENCES streamers (id),
    -- Who announced it ('tencent', 'demo', ...) and its id there: a repeated callback is stored once.
    source         TEXT NOT NULL,
    source_file_id TEXT NOT NULL,
    title          TEXT,
    format         TEXT NOT NULL,
    -- An absolute http(s) URL, or a path on this server starting with '/'.
    url            TEXT NOT NULL,
    start_time     INTEGER NOT NULL,
    end_time       INTEGER NOT NULL,
    duration_ms    INTEGER NOT NULL CHECK (duration_ms >= 0),
    size_bytes     INTEGER NOT NULL CHECK (size_bytes >= 0),
    status         TEXT NOT NULL DEFAULT 'ready',
    hidden         INTEGER NOT NULL DEFAULT 0,
    -- Set by an admin's DELETE: the row stays so a late callback retry is still a duplicate.
    deleted_at     INTEGER,
    -- The callback exactly as received, unknown fields included.
    raw_payload    TEXT,
    created_at     INTEGER NOT NULL,
    UNIQUE (source, source_file_id)
);
-- Public replay lists: newest first, keyset-paged on (start_time, id).
CREATE INDEX replays_visible_by_streamer ON replays (streamer_id, start_time DESC, id DESC) WHERE hidden = 0 AND deleted_at IS NULL;
