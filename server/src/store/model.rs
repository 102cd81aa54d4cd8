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

/// A stream went live or stopped. Events are applied in their own order, not in
/// arrival order: (time, sequence, phase) must be newer than the last one applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveEvent {
    pub streamer_id: String,
    pub live: bool,
    pub event_time: i64,
    /// The service's sequence number, if any (Tencent gives one per push session).
    pub sequence: u64,
}

/// A stored replay, as reads return it.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplayRow {
    pub id: i64,
    pub streamer_id: String,
    pub title: Option<String>,
    pub format: ReplayFormat,
    pub url: String,
    pub start_time: i64,
    pub end_time: i64,
    pub duration_ms: u64,
    pub size_bytes: u64,
    pub status: ReplayStatus,
    pub hidden: bool,
    pub facts: Option<MediaFacts>,
}

/// Position in a replay list (newest first): the last row of the previous page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplayKey {
    pub start_time: i64,
    pub id: i64,
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
