-- Issue 14, files that are gone (src/gone.rs): a recording whose host answers 404 or
-- 410, or whose storage time ran out (Tencent's StorageTime), leaves the public timeline;
-- a broadcast whose every part is gone leaves the public lists. Nothing is deleted: the
-- admin API still sees and deletes them.

-- When the server found the file gone (the check's 404/410, or `expires_at` passed).
ALTER TABLE replays ADD COLUMN gone_at INTEGER;
-- When the recording service deletes it: a Tencent recording's end_time + --tencent-storage-time.
ALTER TABLE replays ADD COLUMN expires_at INTEGER;
-- When the periodic check (--check-files-every) last asked the file's host; a new part
-- starts at its arrival (a file may take a moment to reach every CDN node), a part from
-- before this migration at 0 (checked in the first round).
ALTER TABLE replays ADD COLUMN checked_at INTEGER NOT NULL DEFAULT 0;
-- Set, in the same transaction, when the last of its parts not deleted is gone; cleared
-- when a part that is not gone arrives. Public lists leave it out from their index.
ALTER TABLE broadcasts ADD COLUMN gone_at INTEGER;

-- The lists' covering indexes of 0006 and 0007, without what is gone.
DROP INDEX broadcasts_page;
CREATE INDEX broadcasts_page ON broadcasts (
    streamer_id, sort_time DESC, id DESC, title, status, failure, started_at, ended_at, hidden, deleted_at, merged_into,
    gone_at
) WHERE hidden = 0 AND deleted_at IS NULL AND merged_into IS NULL AND gone_at IS NULL;
DROP INDEX replays_timeline;
CREATE INDEX replays_timeline ON replays (
    broadcast_id, start_time, id, format, url, end_time, duration_ms, size_bytes, codecs, width, height, streamer_id,
    deleted_at, alternate, gone_at
) WHERE deleted_at IS NULL AND alternate = 0 AND gone_at IS NULL;

-- The expiry sweep: parts whose time is up.
CREATE INDEX replays_expiring ON replays (expires_at) WHERE expires_at IS NOT NULL AND gone_at IS NULL AND deleted_at IS NULL;
-- The periodic check: the parts checked longest ago.
CREATE INDEX replays_to_check ON replays (checked_at) WHERE gone_at IS NULL AND deleted_at IS NULL;
