//! The values the store takes and gives: what callers speak in. No SQL and no database
//! type appears here, so every backend shares them.

use std::time::{SystemTime, UNIX_EPOCH};

use relive_api::{KeyframeIndex, ReplayFormat, ReplayStatus};

/// A recording to store, as a hook announced it.
#[derive(Clone, Debug)]
pub struct NewReplay {
    pub streamer_id: String,
    /// Who announced it: `tencent`, `demo`, ...
    pub source: String,
    /// The file's id at the source; (source, source_file_id) is stored once.
    pub source_file_id: String,
    pub title: Option<String>,
    pub format: ReplayFormat,
    pub url: String,
    pub start_time: i64,
    pub end_time: i64,
    pub duration_ms: u64,
    pub size_bytes: u64,
    /// The announcement as received, kept whole.
    pub raw_payload: Option<String>,
    /// What probing the file found, when it was probed.
    pub facts: Option<MediaFacts>,
    /// The recording service's ids of the push or recording session this file came
    /// from (Tencent's `session_id`/`task_id`, nginx-rtmp's `clientid`, SRS's
    /// `client_id`), in order of trust: the first one mapped to a broadcast places it.
    pub sessions: Vec<SessionKey>,
    /// Background jobs that follow this recording (its keyframe index, HLS duration,
    /// images: `crate::ingest` decides), queued keyed by the new part's id in the same
    /// transaction that stores it; none for a duplicate.
    pub follow_ups: Vec<super::FollowUp>,
}

/// A recording service's id of a push or recording session, per stream: which
/// broadcast the files and events of that session belong to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SessionKey {
    /// Which service and which kind of id: `tencent` (recording session or task),
    /// `tencent-push` (the push's `sequence`), `nginx-rtmp`, `srs`, `demo`.
    pub source: String,
    pub key: String,
}

impl SessionKey {
    pub fn new(source: &str, key: impl Into<String>) -> SessionKey {
        SessionKey { source: source.into(), key: key.into() }
    }
}

/// How recordings are grouped into broadcasts (`--broadcast-gap`, `--broadcast-settle`);
/// the rules themselves are `crate::ingest::broadcast`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grouping {
    /// Parts and pushes this close (seconds) to a broadcast belong to it.
    pub gap_secs: i64,
    /// How long after a push ended its broadcast waits for files before it is `ready`
    /// (or, with no file at all, deleted).
    pub settle_secs: i64,
}

impl Default for Grouping {
    fn default() -> Self {
        Grouping { gap_secs: 300, settle_secs: 2100 }
    }
}

/// Codecs and picture size of a recording, from probing the file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MediaFacts {
    /// RFC 6381 codec strings, comma-separated: `avc1.64001f,mp4a.40.2`.
    pub codecs: String,
    pub width: u32,
    pub height: u32,
}

/// What became of a `NewReplay`.
#[derive(Clone, Debug, PartialEq)]
pub enum Ingest {
    /// Stored now: the row as written, so what follows (indexing, ...) needs no read.
    Stored(ReplayRow),
    /// Already announced before (a retry): nothing changed. The replay's id.
    Duplicate(i64),
}

/// A stream went live or stopped. Stamped events (Tencent's) are applied in their own
/// order, not in arrival order: (time, sequence, phase) must be newer than the last one
/// applied. Unstamped ones (nginx-rtmp, SRS: sent in order, stamped with nothing) apply
/// in the order the database commits them, whichever instance took them.
/// The same event opens, reopens or ends the stream's broadcast.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveEvent {
    pub streamer_id: String,
    pub live: bool,
    pub event_time: i64,
    /// The service's sequence number, if any (Tencent gives one per push session); 0 for
    /// an unstamped event.
    pub sequence: u64,
    /// The push's id at the service, when it gives one.
    pub session: Option<SessionKey>,
    /// Whether `event_time` is the service's own (Tencent) rather than the time of
    /// arrival (nginx-rtmp, SRS): only then can a start be older than its session's end.
    pub stamped: bool,
    /// When the push began, if an end event tells (Tencent's `push_duration`).
    pub push_started_at: Option<i64>,
}

/// What a live event did to the broadcasts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveApplied {
    /// Whether the streamer's `live` changed (false: older than the last one applied).
    pub live_changed: bool,
    pub broadcast: BroadcastChange,
}

/// What an event did to a broadcast.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BroadcastChange {
    /// Applied to this broadcast, which now has this status.
    Applied { broadcast: i64, status: ReplayStatus },
    /// Older than what was applied already (or a repeat): nothing changed.
    Stale,
    /// The session's end was noted; a newer session of the same broadcast is still
    /// live, so the broadcast goes on.
    Superseded { broadcast: i64 },
}

/// Tencent's recording status (event 332), for one recording session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordStatus {
    pub streamer_id: String,
    /// `session_id` (or else `task_id`), when given.
    pub session: Option<SessionKey>,
    pub event: RecordEvent,
    /// Tencent's message sequence number: a session's events apply in `seq` order.
    pub seq: u64,
    pub event_time: i64,
    /// `record_detail` as received (a JSON string), for a failure's reason.
    pub detail: Option<String>,
}

/// `record_event` of Tencent's event 332.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordEvent {
    StartSucceeded,
    StartFailed,
    Paused,
    Resumed,
    Error,
    Ended,
}

impl RecordEvent {
    pub fn parse(s: &str) -> Option<RecordEvent> {
        Some(match s {
            "record_start_succeeded" => RecordEvent::StartSucceeded,
            "record_start_failed" => RecordEvent::StartFailed,
            "record_paused" => RecordEvent::Paused,
            "record_resumed" => RecordEvent::Resumed,
            "record_error" => RecordEvent::Error,
            "record_ended" => RecordEvent::Ended,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RecordEvent::StartSucceeded => "record_start_succeeded",
            RecordEvent::StartFailed => "record_start_failed",
            RecordEvent::Paused => "record_paused",
            RecordEvent::Resumed => "record_resumed",
            RecordEvent::Error => "record_error",
            RecordEvent::Ended => "record_ended",
        }
    }
}

/// A stored recording (a part of a broadcast), as reads return it.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplayRow {
    pub id: i64,
    pub streamer_id: String,
    /// The broadcast it belongs to (none only for recordings deleted before broadcasts).
    pub broadcast_id: Option<i64>,
    pub format: ReplayFormat,
    pub url: String,
    pub start_time: i64,
    pub end_time: i64,
    pub duration_ms: u64,
    pub size_bytes: u64,
    /// Its broadcast is hidden (or deleted): public reads skip it.
    pub hidden: bool,
    /// The same time recorded again (another template, SRS's DVR beside its HLS): kept,
    /// but not on the broadcast's timeline.
    pub alternate: bool,
    pub facts: Option<MediaFacts>,
    /// When its file was found gone (a 404/410, or its storage time ran out): public
    /// reads leave it out (`crate::gone`).
    pub gone_at: Option<i64>,
}

/// A stored broadcast, with the parts on its timeline (start order), as reads return it.
#[derive(Clone, Debug, PartialEq)]
pub struct BroadcastRow {
    pub id: i64,
    pub streamer_id: String,
    pub title: Option<String>,
    pub hidden: bool,
    pub status: ReplayStatus,
    pub failure: Option<String>,
    /// The push's start and end, when live events told them.
    pub started_at: Option<i64>,
    pub ended_at: Option<i64>,
    /// The list's order (fixed at creation).
    pub sort_time: i64,
    /// When its last part was found gone: it has left the public lists (`crate::gone`).
    pub gone_at: Option<i64>,
    pub parts: Vec<ReplayRow>,
}

/// Position in a replay list (newest first): the last row of the previous page. Lists
/// are ordered by a broadcast's `sort_time`, which never changes, so pages stay stable
/// while parts arrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplayKey {
    pub sort_time: i64,
    pub id: i64,
}

/// What deleting one part did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartDeleted {
    /// No such broadcast, or no such part in it.
    NotFound,
    /// Deleted; the broadcast goes on with its other parts.
    Deleted,
    /// Deleted, and it was the broadcast's last part: the broadcast is deleted too.
    BroadcastDeleted,
}

/// What a round of promotion did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Promoted {
    /// Broadcasts now `ready`.
    pub ready: usize,
    /// Broadcasts without any file, deleted once the settle time passed.
    pub deleted: usize,
}

/// Position in the streamer directory (newest streamers first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamerKey {
    pub created_at: i64,
    pub id: String,
}

/// One page of a list, and where the next one starts (`None`: this was the last).
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T, K> {
    pub items: Vec<T>,
    pub next: Option<K>,
}

impl<T, K> Page<T, K> {
    /// A page from rows fetched with `limit + 1`: the extra row only tells that another
    /// page exists; `key` makes the position of the page's last row.
    pub fn from_rows(mut rows: Vec<T>, limit: u32, key: impl Fn(&T) -> K) -> Self {
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next = if more { rows.last().map(key) } else { None };
        Page { items: rows, next }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U, K> {
        Page { items: self.items.into_iter().map(f).collect(), next: self.next }
    }
}

/// A change to one replay; `None` leaves a field alone.
#[derive(Clone, Debug, Default)]
pub struct ReplayChange {
    /// `Some(None)` restores the default title.
    pub title: Option<Option<String>>,
    pub hidden: Option<bool>,
}

/// Where a replay's keyframe index stands.
#[derive(Clone, Debug, PartialEq)]
pub enum KeyframeIndexState {
    /// None stored yet: it is being built, or will be on the first request for it.
    Building,
    Ready(KeyframeIndex),
    /// The file could not be indexed, and why (kept: asking again gives the same answer).
    Failed(String),
}

/// An SRS publish whose HLS segments are being gathered into one replay
/// (`crate::ingest::srs_hls`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HlsSession {
    /// Under the media folder: where its segments are linked and its playlist written.
    /// Unique; names the session.
    pub folder: String,
    pub streamer_id: String,
    /// SRS's `client_id` of the publishing connection; empty when SRS gave none.
    pub client_id: String,
    pub started_at: i64,
    /// The last segment's arrival.
    pub updated_at: i64,
    /// When `on_unpublish` came, if it did.
    pub ending_at: Option<i64>,
    /// When it was closed, if it was.
    pub closed_at: Option<i64>,
}

/// One segment of an [`HlsSession`].
#[derive(Clone, Debug, PartialEq)]
pub struct HlsSegment {
    /// SRS's `seq_no`: segments are listed in this order.
    pub seq: u64,
    /// Seconds.
    pub duration: f64,
    /// The file's name inside the session's folder.
    pub file: String,
    pub size_bytes: u64,
}

pub fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}
