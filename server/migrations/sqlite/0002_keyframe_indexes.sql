-- Where playback of an FLV replay can start: computed once per replay, kept here.
CREATE TABLE keyframe_indexes (
    replay_id   INTEGER PRIMARY KEY REFERENCES replays (id),
    duration_ms INTEGER NOT NULL,
    -- JSON arrays of equal length: keyframe times (ms) and their tags' byte offsets.
    times_ms    TEXT NOT NULL,
    offsets     TEXT NOT NULL,
    -- Why the file could not be indexed, when it could not (then the arrays are empty).
    error       TEXT,
    created_at  INTEGER NOT NULL
);
