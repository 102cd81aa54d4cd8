//! Values for unit tests: a replay and its parts with everything but what a test is
//! about left empty (`Replay { id: 3, ..replay(status, parts) }` for the rest).

use relive_api::{Replay, ReplayFormat, ReplayPart, ReplayStatus};

/// Part `id`, at `/media/{id}`, `offset` and `duration` seconds on the timeline.
pub fn part(id: i64, format: ReplayFormat, offset: f64, duration: f64) -> ReplayPart {
    ReplayPart {
        id,
        format,
        url: format!("/media/{id}"),
        offset_secs: offset,
        duration_secs: duration,
        size_bytes: 1,
        start_time: 0,
        end_time: 0,
        keyframes_url: None,
        codecs: None,
        url_expires_at: None,
        gone_at: None,
    }
}

/// Replay 1 of streamer `x`, its duration the sum of its parts'.
pub fn replay(status: ReplayStatus, parts: Vec<ReplayPart>) -> Replay {
    Replay {
        id: 1,
        streamer_id: "x".into(),
        title: "t".into(),
        title_is_default: false,
        format: ReplayFormat::Flv,
        formats: Vec::new(),
        url: String::new(),
        start_time: 0,
        end_time: 0,
        duration_secs: parts.iter().map(|p| p.duration_secs).sum(),
        size_bytes: 0,
        status,
        failure: None,
        codecs: None,
        width: None,
        height: None,
        parts,
        gaps: Vec::new(),
        poster_url: None,
        storyboard_url: None,
        gone_at: None,
    }
}
