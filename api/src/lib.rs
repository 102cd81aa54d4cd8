//! The JSON shapes of Relive's HTTP API: one definition of each, used by the server
//! (which serialises them, and with the `openapi` feature describes them) and by the
//! web app (which deserialises them).
//!
//! Conventions: times are Unix seconds (UTC); durations are seconds as a float;
//! sizes are bytes; ids of streamers are the stream ids the recording service uses.

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// The largest page a list endpoint returns, whatever `limit` asks for.
pub const MAX_PAGE_LIMIT: u32 = 100;
/// The page size when `limit` is not given.
pub const DEFAULT_PAGE_LIMIT: u32 = 20;

/// Percent-encoding of one path segment or query value: how the web app writes addresses
/// and how both sides read them back.
pub mod percent {
    /// Encodes every byte but ASCII letters, digits and `-._~`.
    pub fn encode(s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        for b in s.bytes() {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }

    /// Decodes `%XX` escapes; `None` if one is malformed or the bytes are not UTF-8.
    pub fn decode(s: &str) -> Option<String> {
        let hex = |b: u8| match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        };
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                let (hi, lo) = (hex(*bytes.get(i + 1)?)?, hex(*bytes.get(i + 2)?)?);
                out.push(hi * 16 + lo);
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).ok()
    }
}

/// Upper bounds on what an admin may store in a profile or a title, in characters.
pub mod limits {
    pub const DISPLAY_NAME_MAX: usize = 64;
    pub const BIO_MAX: usize = 2000;
    pub const URL_MAX: usize = 2048;
    pub const TITLE_MAX: usize = 200;
    pub const STREAM_ID_MAX: usize = 128;

    /// Why `id` cannot be a streamer's id, or `None` if it can. The one rule for every way
    /// a streamer arrives (each kind of recording callback, the admin API): 1 to 128
    /// characters, not only spaces, no control characters, and not `.` or `..` (URL
    /// parsers resolve those, even percent-encoded, so no address could reach the
    /// profile). Any other character is fine: addresses percent-encode it, `/` included.
    pub fn stream_id_problem(id: &str) -> Option<&'static str> {
        if id.trim().is_empty() {
            Some("must not be empty or only spaces")
        } else if id.chars().count() > STREAM_ID_MAX {
            Some("must be at most 128 characters")
        } else if id.chars().any(char::is_control) {
            Some("must not contain control characters")
        } else if id == "." || id == ".." {
            Some("must not be `.` or `..`")
        } else {
            None
        }
    }
}

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

/// Where a replay is in its life. Every replay listed today is `ready`: a recording is
/// listed once its file is announced. States before that (recording, processing, failed)
/// come with broadcasts made of several parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ReplayStatus {
    Ready,
}

impl ReplayStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReplayStatus::Ready => "ready",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ready" => Some(ReplayStatus::Ready),
            _ => None,
        }
    }
}

/// One recording of a broadcast.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Replay {
    pub id: i64,
    pub streamer_id: String,
    /// The admin's title, or else the start time written as `YYYY-MM-DD HH:MM UTC`.
    pub title: String,
    /// True when `title` is the default made from the date: a client may then show
    /// the start time in the viewer's own time zone and language instead.
    pub title_is_default: bool,
    pub format: ReplayFormat,
    /// Where the file plays from: an absolute http(s) URL, or a path on this server.
    pub url: String,
    pub start_time: i64,
    pub end_time: i64,
    /// Seconds; 0 when the recording service did not say and it could not be derived.
    pub duration_secs: f64,
    pub size_bytes: u64,
    pub status: ReplayStatus,
    /// RFC 6381 codec strings (`avc1.64001f,mp4a.40.2`), when the file was probed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codecs: Option<String>,
    /// Picture size in pixels, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
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

/// What `/hooks/*` answer on success; Tencent Cloud expects exactly `{"code":0}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct HookAck {
    pub code: i32,
}

/// Calendar arithmetic both sides need (the server's default titles, the web app's
/// local dates): one definition.
pub mod time {
    /// A proleptic Gregorian date and time.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Civil {
        pub year: i64,
        pub month: u32,
        pub day: u32,
        pub hour: u32,
        pub minute: u32,
        pub second: u32,
    }

    /// Unix seconds to a calendar date and time (Howard Hinnant's `civil_from_days`).
    pub fn civil(t: i64) -> Civil {
        let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        Civil {
            year: yoe + era * 400 + i64::from(month <= 2),
            month,
            day,
            hour: (secs / 3600) as u32,
            minute: (secs % 3600 / 60) as u32,
            second: (secs % 60) as u32,
        }
    }

    /// A calendar date and time to Unix seconds (`days_from_civil`); `None` if a field
    /// is out of range.
    pub fn unix(year: i64, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> Option<i64> {
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
            return None;
        }
        let (y, m) = if month <= 2 { (year - 1, i64::from(month) + 9) } else { (year, i64::from(month) - 3) };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * m + 2) / 5 + i64::from(day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        Some(days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoding_round_trips() {
        for s in ["mei", "小明 live", "a/b?c=d&e", "50%", "x+y", ""] {
            assert_eq!(percent::decode(&percent::encode(s)).as_deref(), Some(s));
        }
        assert_eq!(percent::encode("a b/小"), "a%20b%2F%E5%B0%8F");
        assert_eq!(percent::decode("/%2e%2e/x").as_deref(), Some("/../x"));
        for bad in ["%", "%4", "%zz", "%+1", "%E5%B0", "%ff"] {
            assert_eq!(percent::decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn stream_ids() {
        for ok in ["mei", "1400012345_abc", "小明", "a/b", "a b", ".a", "...", &"x".repeat(128)] {
            assert_eq!(limits::stream_id_problem(ok), None, "{ok}");
        }
        for bad in ["", "   ", ".", "..", "a\nb", "a\u{7f}", &"x".repeat(129)] {
            assert!(limits::stream_id_problem(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn calendar_round_trips() {
        for t in [0, 951_782_400, 1_473_135_647, -86_401, 4_102_444_800] {
            let c = time::civil(t);
            assert_eq!(time::unix(c.year, c.month, c.day, c.hour, c.minute, c.second), Some(t));
        }
        assert_eq!(
            time::civil(951_782_400),
            time::Civil { year: 2000, month: 2, day: 29, hour: 0, minute: 0, second: 0 }
        );
        assert_eq!(time::unix(2016, 13, 6, 0, 0, 0), None);
    }

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
}
