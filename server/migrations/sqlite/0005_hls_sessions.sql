-- SRS's on_hls: the segments of each publish, gathered until on_unpublish closes them
-- into one HLS replay (src/ingest/srs_hls.rs). Kept here so a restart loses nothing.
CREATE TABLE hls_sessions (
    -- Under the media folder: where the segments are linked and the playlist is written.
    folder      TEXT PRIMARY KEY,
    streamer_id TEXT NOT NULL,
    -- SRS's client_id of the publishing connection ('' when SRS gave none).
    client_id   TEXT NOT NULL,
    started_at  INTEGER NOT NULL,
    -- The last segment's arrival: a session idle for long is closed.
    updated_at  INTEGER NOT NULL,
    -- When on_unpublish came: closed once late on_hls calls had time to arrive.
    ending_at   INTEGER,
    -- When it was closed (its replay made, or nothing to make). Closed rows are kept a
    -- day, to recognise an on_hls that arrives after its publish was closed.
    closed_at   INTEGER
);
-- At most one open session per stream.
CREATE UNIQUE INDEX hls_sessions_open ON hls_sessions (streamer_id) WHERE closed_at IS NULL;
CREATE INDEX hls_sessions_closed ON hls_sessions (streamer_id, closed_at) WHERE closed_at IS NOT NULL;

-- The segments of open sessions (deleted when their session closes).
CREATE TABLE hls_segments (
    folder     TEXT NOT NULL REFERENCES hls_sessions (folder),
    -- SRS's seq_no: the playlist lists segments in this order.
    seq        INTEGER NOT NULL,
    -- Seconds, as SRS measured them (EXTINF).
    duration   REAL NOT NULL,
    -- The segment's file name inside the session's folder.
    file       TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    PRIMARY KEY (folder, seq)
) WITHOUT ROWID;
