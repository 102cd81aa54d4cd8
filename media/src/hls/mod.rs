//! HLS playlists (m3u8, RFC 8216): the VOD subset recordings use, parsed into segments
//! with their start times, byte ranges, discontinuity numbers and init sections, every URI
//! resolved against the playlist's URL. Pure and dependency-free: the browser's worker
//! and the server parse with the same code.
//!
//! - [`parse`] reads a master playlist (its variants) or a media playlist (its segments).
//! - [`MediaPlaylist::segment_at`] finds where to start for a seek: no server index is
//!   needed, segment *i* starts at the sum of the `EXTINF`s before it.
//! - [`pick_variant`] chooses the first variant the browser can play.
//!
//! Tags read: `EXTM3U` (required first), `EXT-X-VERSION`, `EXTINF`, `EXT-X-TARGETDURATION`,
//! `EXT-X-MEDIA-SEQUENCE`, `EXT-X-DISCONTINUITY-SEQUENCE`, `EXT-X-DISCONTINUITY`,
//! `EXT-X-ENDLIST`, `EXT-X-PLAYLIST-TYPE`, `EXT-X-BYTERANGE`, `EXT-X-MAP`, `EXT-X-KEY`
//! (`METHOD=NONE` only: anything else is an error, "encrypted playlists are not
//! supported") and `EXT-X-STREAM-INF`. Others (`EXT-X-PROGRAM-DATE-TIME`, `EXT-X-MEDIA`,
//! ...) and comments are skipped. A byte-order mark, CRLF line ends, blank lines and
//! surrounding spaces are tolerated.
//!
//! URIs are resolved by RFC 3986 against the playlist URL, which may be absolute or only
//! a path (`/media/abc/index.m3u8`: results are then paths). When the playlist URL has a
//! query (a signed URL, `?t=..&sign=..`) and a URI on the same origin has none, the
//! playlist's query is appended to it.
//!
//! Malformed input is a [`PlaylistError`] naming the line, never a panic.

mod parse;
mod url;

#[cfg(test)]
mod tests;

pub use parse::parse;
pub use url::resolve;

/// What a playlist is.
#[derive(Clone, Debug, PartialEq)]
pub enum Playlist {
    /// A master playlist: the renditions to choose from, in the playlist's order.
    Master(Vec<Variant>),
    Media(MediaPlaylist),
}

/// One `EXT-X-STREAM-INF` of a master playlist and the URI after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variant {
    /// The media playlist's URL, resolved (and with the master's query carried).
    pub url: String,
    /// `BANDWIDTH`, bits per second.
    pub bandwidth: Option<u64>,
    /// `CODECS`, RFC 6381 strings separated by commas: `avc1.64001f,mp4a.40.2`.
    pub codecs: Option<String>,
    /// `RESOLUTION`: width and height in pixels.
    pub resolution: Option<(u32, u32)>,
}

/// A media playlist: the segments, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct MediaPlaylist {
    /// `EXT-X-TARGETDURATION` (seconds); when missing, the longest segment rounded up.
    pub target_duration: u32,
    /// `EXT-X-MEDIA-SEQUENCE`: the number of the first segment.
    pub media_sequence: u64,
    /// `EXT-X-ENDLIST` was seen: no more segments will be added.
    pub ended: bool,
    /// `EXT-X-PLAYLIST-TYPE:VOD`, or `EXT-X-ENDLIST`: the playlist never changes.
    pub vod: bool,
    pub segments: Vec<Segment>,
}

/// One media segment.
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    /// Resolved against the playlist's URL, the playlist's query carried (see the module).
    pub url: String,
    /// Seconds, from `EXTINF`.
    pub duration: f64,
    /// Milliseconds from the playlist's start: the `EXTINF`s before it, summed in `f64`
    /// and rounded.
    pub start_ms: i64,
    /// `EXT-X-BYTERANGE` as (offset, length): the segment is that part of `url`.
    pub byte_range: Option<(u64, u64)>,
    /// The discontinuity sequence number: `EXT-X-DISCONTINUITY-SEQUENCE` plus the
    /// `EXT-X-DISCONTINUITY` tags up to this segment. Segments with different numbers
    /// may have unrelated timestamps, codecs or formats.
    pub discontinuity: u64,
    /// The `EXT-X-MAP` in force: fragmented-MP4 segments, which play without remuxing
    /// after this initialisation section.
    pub map: Option<InitSection>,
}

/// An `EXT-X-MAP`: the initialisation section of fragmented-MP4 segments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InitSection {
    pub url: String,
    /// (offset, length) within `url`; `None` for the whole resource.
    pub byte_range: Option<(u64, u64)>,
}

/// Why a playlist could not be read, and on which line (1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlaylistError {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for PlaylistError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for PlaylistError {}

/// The error message of a playlist with `EXT-X-KEY` other than `METHOD=NONE`.
pub const ENCRYPTED: &str = "encrypted playlists are not supported";

impl MediaPlaylist {
    /// The sum of every segment's duration, in milliseconds (summed in `f64`, rounded).
    pub fn duration_ms(&self) -> i64 {
        ms(self.segments.iter().map(|s| s.duration).sum())
    }

    /// The segment to start from for time `ms`: the last one starting at or before it.
    /// Times before the start give the first segment, times past the end the last one;
    /// `None` only when there are no segments.
    pub fn segment_at(&self, ms: i64) -> Option<usize> {
        if self.segments.is_empty() {
            return None;
        }
        // Start times never decrease: the first segment starting after `ms`, minus one.
        let after = self.segments.partition_point(|s| s.start_ms <= ms);
        Some(after.saturating_sub(1))
    }
}

/// Seconds to milliseconds, rounded (saturating for absurd durations).
fn ms(secs: f64) -> i64 {
    (secs * 1000.0).round() as i64
}

/// The first variant the browser can play: `playable` is asked about each variant's
/// `CODECS`; a variant without `CODECS` cannot be asked and is taken as playable (such
/// playlists are H.264 and AAC in practice).
pub fn pick_variant(variants: &[Variant], playable: impl Fn(&str) -> bool) -> Option<&Variant> {
    variants.iter().find(|v| v.codecs.as_deref().is_none_or(&playable))
}
