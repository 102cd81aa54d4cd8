//! What the hooks of recorders on this machine (nginx-rtmp, SRS) read alike: the stream
//! id, the `record=` a push asked for, and the events they announce. Recording files
//! themselves are checked and probed at ingest (`crate::ingest::LocalRecording`).

use relive_api::RecordFormat;

use crate::error::Failure;
use crate::ingest::{Event, EventOrder, LiveChange};
use crate::store::SessionKey;

/// `record=` from a query string (`a=1&record=mp4`, with or without a leading `?`).
pub fn record_format(query: &str) -> Option<RecordFormat> {
    url::form_urlencoded::parse(query.trim_start_matches('?').as_bytes()).find_map(|(k, v)| match (&*k, &*v) {
        ("record", "mp4") => Some(RecordFormat::Mp4),
        ("record", "flv") => Some(RecordFormat::Flv),
        _ => None,
    })
}

/// A stream id from `field`, present and valid (`relive_api::limits::stream_id_problem`).
pub fn stream_id(field: &str, s: Option<String>) -> Result<String, Failure> {
    let id = s.filter(|s| !s.trim().is_empty()).ok_or_else(|| Failure::missing(field))?;
    match relive_api::limits::stream_id_problem(&id) {
        Some(why) => Err(Failure::invalid(field, why)),
        None => Ok(id),
    }
}

/// A publish starting or ending (`session`: the server's id of the publish, if it gives
/// one). These servers send events in order and stamp none.
pub fn live(streamer_id: String, live: bool, session: Option<SessionKey>) -> Event {
    Event::Live(LiveChange { streamer_id, live, order: EventOrder::Arrival, session, push_started_at: None })
}

/// The server's id of a publish (`source`: which server), if it gave a non-empty one.
pub fn session(source: &str, id: Option<String>) -> Option<SessionKey> {
    id.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).map(|s| SessionKey::new(source, s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_formats_from_queries() {
        assert_eq!(record_format("?vhost=a&record=mp4"), Some(RecordFormat::Mp4));
        assert_eq!(record_format("record=flv"), Some(RecordFormat::Flv));
        assert_eq!(record_format("record=avi"), None);
        assert_eq!(record_format(""), None);
    }
}
