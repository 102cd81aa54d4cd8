-- What probing a local recording tells (nginx-rtmp and SRS announce a path and no more).
ALTER TABLE replays ADD COLUMN codecs TEXT;
ALTER TABLE replays ADD COLUMN width INTEGER;
ALTER TABLE replays ADD COLUMN height INTEGER;
