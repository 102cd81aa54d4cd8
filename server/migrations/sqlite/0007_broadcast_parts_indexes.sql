-- The parts' indexes of issue 13, made after 0006 has set every recording's broadcast:
-- building an index once over the rows is cheaper than keeping it through their update
-- (300,000 recordings, debug build: 26 s instead of 57 s).
-- A page's parts, and a broadcast's timeline, from the index alone.
CREATE INDEX replays_timeline ON replays (
    broadcast_id, start_time, id, format, url, end_time, duration_ms, size_bytes, codecs, width, height, streamer_id,
    deleted_at, alternate
) WHERE deleted_at IS NULL AND alternate = 0;
CREATE INDEX replays_by_broadcast ON replays (broadcast_id);
