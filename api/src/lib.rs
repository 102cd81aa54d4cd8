//! The JSON shapes of Relive's HTTP API: one definition of each, used by the server
//! (which serialises them, and with the `openapi` feature describes them) and by the
//! web app (which deserialises them).
//!
//! Conventions: times are Unix seconds (UTC); durations are seconds as a float;
//! sizes are bytes; ids of streamers are the stream ids the recording service uses.
//!
//! The shapes are here, at the root; beside them, the rules both sides apply alike:
//! [`percent`] (encoding path segments and query values), [`limits`] (what a stream id
//! may be) and [`time`] (calendar arithmetic).

pub mod limits;
pub mod percent;
pub mod time;

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// The largest page a list endpoint returns, whatever `limit` asks for.
pub const MAX_PAGE_LIMIT: u32 = 100;
/// The page size when `limit` is not given.
pub const DEFAULT_PAGE_LIMIT: u32 = 20;

/// A streamer's public profile, with figures about their replays.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Streamer {
    /// The stream id the recording service uses; also the profile's address (`/u/{id}`).
    pub id: String,
    pub display_name: String,
    /// An http(s) URL, or none: clients then show the name's initials.
    pub avatar_url: Option<String>,
    /// Plain text; line breaks are meaningful. Never HTML.
    pub bio: String,
    /// Whether the streamer is pushing a stream now, from the recording service's events.
    pub live: bool,
    /// Visible replays.
    pub replay_count: u64,
    /// Sum of the visible replays' durations, in seconds.
    pub total_duration_secs: f64,
}

/// A page of the streamer directory.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct StreamerPage {
    pub items: Vec<Streamer>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// The container a recording was written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ReplayFormat {
    Flv,
    Mp4,
    Hls,
    /// Audio only (Tencent Cloud records these for audio streams).
    Aac,
}

impl ReplayFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ReplayFormat::Flv => "flv",
            ReplayFormat::Mp4 => "mp4",
            ReplayFormat::Hls => "hls",
            ReplayFormat::Aac => "aac",
        }
    }

    /// Parses a format name as recording services spell it (`FLV`, `mp4`, `m3u8`, ...).
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "flv" => Some(ReplayFormat::Flv),
            "mp4" => Some(ReplayFormat::Mp4),
            "hls" | "m3u8" => Some(ReplayFormat::Hls),
            "aac" => Some(ReplayFormat::Aac),
            _ => None,
        }
    }
}

/// Where a replay (a broadcast) is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ReplayStatus {
    /// The stream is live and being recorded: parts may be listed, more will come.
    Recording,
    /// The stream ended; files are still arriving (Tencent calls back minutes after a
    /// file closes) or being indexed.
    Processing,
    /// Every part is in.
    Ready,
    /// The recording service could not record (see `failure`).
    Failed,
}

impl ReplayStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReplayStatus::Recording => "recording",
            ReplayStatus::Processing => "processing",
            ReplayStatus::Ready => "ready",
            ReplayStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "recording" => Some(ReplayStatus::Recording),
            "processing" => Some(ReplayStatus::Processing),
            "ready" => Some(ReplayStatus::Ready),
            "failed" => Some(ReplayStatus::Failed),
            _ => None,
        }
    }
}

/// A replay: one broadcast, made of the recordings ("parts") of one push, or of pushes
/// restarted within the server's `--broadcast-gap`.
///
/// The parts lie end to end on one timeline (`parts[i].offset_secs`), so a time on
/// the replay (`?t=`, the seek bar) is a time in the media; the wall-clock time lost
/// between two parts is given in `gaps`, not played. Before issue 13 a replay was
/// one file: for a one-part replay `format`, `url`, `codecs`, `width` and `height`
/// keep that meaning, and for several parts they are the first part's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Replay {
    /// Stable: the id of the recording that made the broadcast (for a replay from
    /// before broadcasts, its own id), or a fresh one when a push started it before any
    /// file. Ids of parts and broadcasts never collide: the id of any of its parts, and
    /// of a broadcast merged into it, also finds it (`GET /api/v1/replays/{id}`).
    pub id: i64,
    pub streamer_id: String,
    /// The admin's title, or else the start time written as `YYYY-MM-DD HH:MM UTC`.
    pub title: String,
    /// True when `title` is the default made from the date: a client may then show
    /// the start time in the viewer's own time zone and language instead.
    pub title_is_default: bool,
    /// The first part's container (`flv` while no part is in yet).
    pub format: ReplayFormat,
    /// Every container among the parts, in timeline order, each once.
    #[serde(default)]
    pub formats: Vec<ReplayFormat>,
    /// Where the first part plays from: an absolute http(s) URL, or a path on this
    /// server; empty while no part is in yet.
    pub url: String,
    /// Wall-clock start of the first part (or of the push, before any part is in).
    pub start_time: i64,
    /// Wall-clock end of the last part (or of the push).
    pub end_time: i64,
    /// Seconds on the timeline: the sum of the parts' durations.
    pub duration_secs: f64,
    /// The sum of the parts' sizes.
    pub size_bytes: u64,
    pub status: ReplayStatus,
    /// Why the recording failed, when `status` is `failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// RFC 6381 codec strings (`avc1.64001f,mp4a.40.2`), when the file was probed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codecs: Option<String>,
    /// Picture size in pixels, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// The recordings, in timeline order.
    #[serde(default)]
    pub parts: Vec<ReplayPart>,
    /// Where the recording stopped between two parts and for how long.
    #[serde(default)]
    pub gaps: Vec<ReplayGap>,
    /// A picture of the broadcast for cards, the player before playback and link
    /// previews: a frame a few seconds into the first part that has one (made by the
    /// server), else the recording service's first good screenshot of the broadcast
    /// (Tencent's event 200). Absent until one is made, or when nothing can make one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poster_url: Option<String>,
    /// A WebVTT storyboard on the replay's timeline: one cue per tile, its text an image
    /// URL with a `#xywh=x,y,w,h` fragment (a tile of a sprite sheet, or a whole
    /// screenshot). Absent when there is nothing to preview.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storyboard_url: Option<String>,
    /// Admin views only: when the server found the broadcast's files gone (the host
    /// answered 404 or 410, or the recording service's storage time ran out), Unix
    /// seconds. Such a replay has left the public lists and pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gone_at: Option<i64>,
}

/// One recording (file or playlist) of a broadcast.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ReplayPart {
    /// The recording's own id.
    pub id: i64,
    pub format: ReplayFormat,
    /// An absolute http(s) URL, or a path on this server.
    pub url: String,
    /// Where the part starts on the replay's timeline, in seconds.
    pub offset_secs: f64,
    pub duration_secs: f64,
    pub size_bytes: u64,
    /// Wall-clock start and end (Unix seconds).
    pub start_time: i64,
    pub end_time: i64,
    /// The server's keyframe index of the file (`GET /api/v1/replays/{part id}/keyframes`),
    /// for FLV parts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyframes_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codecs: Option<String>,
    /// When `url` stops working, Unix seconds: it is signed for a CDN's hotlink
    /// protection (Tencent VOD's Key). A request answered 403 then means "ask again":
    /// `GET /api/v1/replays/{id}` gives freshly signed URLs, and playback goes on from
    /// where it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_expires_at: Option<i64>,
    /// Admin views only: when the server found this file gone (see `Replay::gone_at`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gone_at: Option<i64>,
}

/// Time the recording lost between two parts: the timeline goes on from `at_secs`
/// with the next part, `duration_secs` of wall-clock time later.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ReplayGap {
    /// Where on the timeline (the next part's offset), in seconds.
    pub at_secs: f64,
    /// Wall-clock seconds missing.
    pub duration_secs: f64,
}

/// A page of a streamer's replays, newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ReplayPage {
    pub items: Vec<Replay>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// One replay with the streamer it belongs to: what a watch page needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ReplayDetail {
    pub replay: Replay,
    pub streamer: Streamer,
}

/// Every error response: a stable machine-readable `error` code and a sentence for people.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ApiError {
    /// e.g. `not_found`, `invalid_field`, `missing_field`, `bad_signature`, `unauthorized`.
    pub error: String,
    pub message: String,
    /// The request field at fault, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// Admin: the editable part of a profile (`PUT /api/v1/streamers/{id}`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct StreamerUpdate {
    /// 1 to 64 characters, not only spaces.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 64, pattern = r"\S"))]
    pub display_name: String,
    /// http(s) only, up to 2048 characters; null, empty or absent removes it.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 2048,
            pattern = r"^(|https?://[a-z]([a-z0-9-]{0,30}[a-z0-9])?(\.[a-z]([a-z0-9-]{0,30}[a-z0-9])?)*(/\S*)?)$"
        )
    )]
    pub avatar_url: Option<String>,
    /// Plain text, up to 2000 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub bio: String,
}

/// Admin: a change to a replay (`PATCH /api/v1/replays/{id}`); absent fields stay as they are.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ReplayUpdate {
    /// A new title (up to 200 characters); an empty string restores the default.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub title: Option<String>,
    #[serde(default)]
    pub hidden: Option<bool>,
}

/// Admin: which file format the recording service should write for a push.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum RecordFormat {
    #[default]
    Flv,
    Mp4,
}

impl RecordFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordFormat::Flv => "flv",
            RecordFormat::Mp4 => "mp4",
        }
    }
}

/// Admin: ask for a push URL (`POST /api/v1/streamers/{id}/push-url`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PushUrlRequest {
    #[serde(default)]
    pub record: RecordFormat,
    /// How long the URL stays valid, in seconds (default one day, at most 30 days).
    #[serde(default, deserialize_with = "whole_seconds")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 2592000))]
    pub valid_secs: Option<u64>,
}

/// A count of seconds that JSON may spell `3600` or `3600.0`.
fn whole_seconds<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let v: Option<f64> = Option::deserialize(d)?;
    match v {
        None => Ok(None),
        Some(x) if x >= 0.0 && x.fract() == 0.0 && x <= 9.0e15 => Ok(Some(x as u64)),
        Some(_) => Err(serde::de::Error::custom("valid_secs must be a whole number of seconds")),
    }
}

/// A signed RTMP push URL with recording on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PushUrl {
    pub url: String,
    /// Unix seconds after which the recording service refuses the URL.
    pub expires_at: i64,
}

/// Where playback of an FLV replay can start (`GET /api/v1/replays/{id}/keyframes`):
/// every video keyframe's time and byte offset, found in one pass over the file, so
/// files without a `keyframes` index in their metadata can be seeked too.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct KeyframeIndex {
    /// The true duration, in milliseconds.
    pub duration_ms: i64,
    /// Keyframe times in milliseconds from the start, ascending.
    pub times_ms: Vec<i64>,
    /// The byte offset of each keyframe's tag: a `Range` request starts there.
    pub offsets: Vec<u64>,
}

/// An oEmbed answer (`GET /oembed?url=…`, <https://oembed.com/>): how another site embeds
/// a replay or a profile from a link to it. Always `type` `video` (a profile is an
/// iframe of its embed page too) and `version` `1.0`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct OEmbed {
    /// `video`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `1.0`.
    pub version: String,
    pub title: String,
    /// The streamer's display name.
    pub author_name: String,
    /// The streamer's profile page.
    pub author_url: String,
    /// `Relive`.
    pub provider_name: String,
    /// This server's public origin.
    pub provider_url: String,
    /// An `<iframe>` of the embed page (sandboxed), `width` × `height`.
    pub html: String,
    /// 16:9, 640 × 360 unless `maxwidth`/`maxheight` ask for less.
    pub width: u32,
    pub height: u32,
    /// The replay's poster, when it has one (with its size).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail_width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail_height: Option<u32>,
}

/// What `/hooks/*` answer on success; Tencent Cloud expects exactly `{"code":0}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct HookAck {
    pub code: i32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse_as_services_spell_them() {
        assert_eq!(ReplayFormat::parse("FLV"), Some(ReplayFormat::Flv));
        assert_eq!(ReplayFormat::parse("m3u8"), Some(ReplayFormat::Hls));
        assert_eq!(ReplayFormat::parse("webm"), None);
        for f in [ReplayFormat::Flv, ReplayFormat::Mp4, ReplayFormat::Hls, ReplayFormat::Aac] {
            assert_eq!(ReplayFormat::parse(f.as_str()), Some(f));
            assert_eq!(serde_json::to_value(f).unwrap(), f.as_str());
        }
    }

    #[test]
    fn replay_update_fields_are_optional() {
        let u: ReplayUpdate = serde_json::from_str(r#"{"hidden":true}"#).unwrap();
        assert_eq!(u, ReplayUpdate { title: None, hidden: Some(true) });
    }

    #[test]
    fn valid_secs_may_be_spelled_as_a_float() {
        let r: PushUrlRequest = serde_json::from_str(r#"{"valid_secs": 3600.0}"#).unwrap();
        assert_eq!(r.valid_secs, Some(3600));
        assert!(serde_json::from_str::<PushUrlRequest>(r#"{"valid_secs": 1.5}"#).is_err());
        assert_eq!(serde_json::from_str::<PushUrlRequest>("{}").unwrap().valid_secs, None);
    }

    #[test]
    fn api_error_omits_absent_field() {
        let e = ApiError { error: "not_found".into(), message: "no such replay".into(), field: None };
        assert_eq!(serde_json::to_string(&e).unwrap(), r#"{"error":"not_found","message":"no such replay"}"#);
    }

    #[test]
    fn oembed_spells_type_and_omits_a_missing_thumbnail() {
        let o = OEmbed {
            kind: "video".into(),
            version: "1.0".into(),
            title: "t".into(),
            author_name: "a".into(),
            author_url: "https://r/u/a".into(),
            provider_name: "Relive".into(),
            provider_url: "https://r/".into(),
            html: "<iframe></iframe>".into(),
            width: 640,
            height: 360,
            thumbnail_url: None,
            thumbnail_width: None,
            thumbnail_height: None,
        };
        let v = serde_json::to_value(&o).unwrap();
        assert_eq!((v["type"].as_str(), v["version"].as_str()), (Some("video"), Some("1.0")));
        assert!(v.get("kind").is_none() && v.get("thumbnail_url").is_none(), "{v}");
        assert_eq!(serde_json::from_value::<OEmbed>(v).unwrap(), o);
    }
}
