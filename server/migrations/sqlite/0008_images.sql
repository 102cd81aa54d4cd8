-- Issue 14, posters and storyboards (src/images/): what the images job made of each
-- recording, and Tencent's screenshots (event 200). The images are files under
-- --images-dir ({part}/poster.jpg, {part}/sheet-{n}.jpg); these rows say what is there.

-- One row per part the job has looked at.
CREATE TABLE part_images (
    replay_id     INTEGER PRIMARY KEY REFERENCES replays (id),
    -- 'made' (poster and storyboard written), 'failed' (see error), or 'none' (the
    -- recording service's screenshots cover it: no images of our own).
    state         TEXT NOT NULL,
    error         TEXT,
    -- A failure worth another try at a later start (a host that timed out or answered
    -- 5xx), and how many tries were made: a corrupt file is not tried again.
    transient     INTEGER NOT NULL DEFAULT 0,
    attempts      INTEGER NOT NULL DEFAULT 1,
    -- poster.jpg's size (NULL: no poster).
    poster_width  INTEGER,
    poster_height INTEGER,
    -- The storyboard: tiles of tile_width x tile_height, sheet_columns to a row and
    -- sheet_rows rows to a sheet (sheet-0.jpg, sheet-1.jpg, ...), one every interval_ms
    -- planned; `tiles` the JSON array of each tile's keyframe time (ms from the part's
    -- start), in order: tile i is on sheet i / (columns * rows).
    tile_width    INTEGER,
    tile_height   INTEGER,
    sheet_columns INTEGER,
    sheet_rows    INTEGER,
    interval_ms   INTEGER,
    tiles         TEXT NOT NULL DEFAULT '[]',
    made_at       INTEGER NOT NULL
);

-- Tencent's screenshots (event 200), kept per stream by time: they attach to the
-- broadcast whose extent their create_time falls in when it is read, so ones arriving
-- before the recording (the usual order) count too. A retry of the same callback is
-- stored once (stream, pic_full_url).
CREATE TABLE screenshots (
    id          INTEGER PRIMARY KEY,
    streamer_id TEXT NOT NULL,
    create_time INTEGER NOT NULL,
    -- pic_full_url (http(s)), and pic_url as given.
    url         TEXT NOT NULL,
    pic_url     TEXT,
    width       INTEGER NOT NULL,
    height      INTEGER NOT NULL,
    file_size   INTEGER,
    -- Worth showing: a picture size, and not tiny (a black frame is a few hundred bytes).
    good        INTEGER NOT NULL,
    raw_payload TEXT,
    created_at  INTEGER NOT NULL,
    UNIQUE (streamer_id, url)
);
CREATE INDEX screenshots_by_time ON screenshots (streamer_id, good, create_time);
