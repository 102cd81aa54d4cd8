//! One step for every event a recording service tells us of, whoever parsed it: the
//! hooks (`crate::hooks`) and reconciliation (`crate::reconcile`) produce [`Event`]s,
//! [`ingest`] stores each and starts what follows from what the store returned (an FLV's
//! keyframe index, or an HLS replay's duration from its playlist, goes to the background
//! [`jobs`](crate::jobs) queue), and answers with an [`Outcome`] once the store has
//! committed. SRS's `on_hls` segments are gathered per publish by [`srs_hls`], and a
//! publish's end makes them one HLS replay.
//!
//! A new recording service is a new parser producing these events; a new kind of event
//! (Tencent's screenshots, recording status) is a new `Event` variant and one arm here.

mod local_file;
pub mod srs_hls;

use relive_api::ReplayFormat;

use crate::AppState;
use crate::error::Failure;
use crate::jobs::Job;
use crate::store::{Ingest, LiveEvent, NewReplay, unix_now};

pub use local_file::LocalRecording;
pub use srs_hls::SrsSegment;

/// What a recording service told us, once parsed.
#[derive(Debug)]
pub enum Event {
    /// A finished recording at a URL, fully described by the service (Tencent).
    Recording(NewReplay),
    /// A finished recording on this machine, to be checked and probed (nginx-rtmp, SRS).
    LocalRecording(LocalRecording),
    /// A finished HLS segment of a publish in progress (SRS `on_hls`).
    HlsSegment(SrsSegment),
    /// A stream went live or stopped.
    Live(LiveChange),
    /// Understood, and nothing to do: what it was (`event_type 332`, `call=play`).
    Ignored(String),
}

#[derive(Debug, PartialEq, Eq)]
pub struct LiveChange {
    pub streamer_id: String,
    pub live: bool,
    pub order: EventOrder,
    /// The service's id of the publish, when it gives one (SRS's `client_id`).
    pub session: Option<String>,
}

/// How live events of one stream are put in order.
#[derive(Debug, PartialEq, Eq)]
pub enum EventOrder {
    /// The service's own time and sequence number.
    Stamped { time: i64, sequence: u64 },
    /// The service says neither but sends its events in order (nginx-rtmp, SRS): the time
    /// of arrival, and this process's count of arrivals.
    Arrival,
}

/// What became of an event. A rejected one is a `Failure` instead.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A new replay.
    Stored { replay: i64, file: String, streamer: String },
    /// That recording was announced before: nothing changed.
    Duplicate { replay: i64, file: String },
    /// A segment was added to the recording of a publish in progress.
    Segment { streamer: String, seq: u64, folder: String },
    /// The stream's live status is now `live`.
    LiveChanged { streamer: String, live: bool },
    /// An event older than the last one applied to that stream: nothing changed.
    Stale { streamer: String, live: bool },
    /// Nothing to do.
    Ignored { what: String },
}

impl Outcome {
    /// The word logs use: `accepted`, `duplicate`, `stale` or `ignored`.
    pub fn kind(&self) -> &'static str {
        match self {
            Outcome::Stored { .. } | Outcome::LiveChanged { .. } | Outcome::Segment { .. } => "accepted",
            Outcome::Duplicate { .. } => "duplicate",
            Outcome::Stale { .. } => "stale",
            Outcome::Ignored { .. } => "ignored",
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = |live: bool| if live { "live" } else { "offline" };
        match self {
            Outcome::Stored { replay, file, streamer } => write!(f, "{file} of stream {streamer} as replay {replay}"),
            Outcome::Duplicate { replay, file } => write!(f, "{file} already replay {replay}"),
            Outcome::Segment { streamer, seq, folder } => write!(f, "segment {seq} of stream {streamer} into {folder}"),
            Outcome::LiveChanged { streamer, live } => write!(f, "stream {streamer} is {}", state(*live)),
            Outcome::Stale { streamer, live } => {
                write!(f, "{} event of stream {streamer} older than the last one applied", state(*live))
            }
            Outcome::Ignored { what } => f.write_str(what),
        }
    }
}

/// Applies one event. Answers only once what it stored is committed.
pub async fn ingest(app: &AppState, event: Event) -> Result<Outcome, Failure> {
    match event {
        Event::Recording(replay) => {
            let file = replay.source_file_id.clone();
            let stored = app.store.record_replay(replay).await?;
            if let Ingest::Stored(row) = &stored {
                match row.format {
                    // FLV replays get their keyframe index before the first viewer asks.
                    ReplayFormat::Flv => {
                        app.jobs.enqueue(app, Job::IndexKeyframes { replay: row.id, url: row.url.clone() })
                    }
                    // An HLS replay of unknown duration: its playlist tells.
                    ReplayFormat::Hls if row.duration_ms == 0 => {
                        let fallback_ms = (row.end_time - row.start_time).max(0) as u64 * 1000;
                        app.jobs.enqueue(app, Job::HlsDuration { replay: row.id, url: row.url.clone(), fallback_ms })
                    }
                    _ => {}
                }
            }
            Ok(outcome(stored, file))
        }
        Event::LocalRecording(local) => {
            let probed = local_file::probe(&app.config.media_dir, local).await?;
            let file = probed.replay.source_file_id.clone();
            let stored = app.store.record_replay(probed.replay).await?;
            if let (Ingest::Stored(row), Some(ix)) = (&stored, probed.keyframes) {
                // Probing read every keyframe already: keep the index, no job needed.
                app.store.save_keyframe_index(row.id, Ok(ix)).await?;
            }
            Ok(outcome(stored, file))
        }
        Event::HlsSegment(segment) => srs_hls::add_segment(app, segment).await,
        Event::Live(change) => {
            let (time, sequence) = match change.order {
                EventOrder::Stamped { time, sequence } => (time, sequence),
                EventOrder::Arrival => (unix_now(), next_arrival()),
            };
            let (streamer, live) = (change.streamer_id, change.live);
            let e = LiveEvent { streamer_id: streamer.clone(), live, event_time: time, sequence };
            let applied = app.store.apply_live_event(e).await?;
            // A publish boundary ends (or closes) the HLS recording gathered from on_hls.
            if let Err(f) = srs_hls::publish_changed(app, &streamer, change.session.as_deref(), live).await {
                if !live {
                    return Err(f);
                }
                // Never refuse a publish over the previous one's recording.
                tracing::error!(stream = %streamer, error = %f.body.message, "srs hls: cannot close the previous recording");
            }
            Ok(if applied { Outcome::LiveChanged { streamer, live } } else { Outcome::Stale { streamer, live } })
        }
        Event::Ignored(what) => Ok(Outcome::Ignored { what }),
    }
}

fn outcome(stored: Ingest, file: String) -> Outcome {
    match stored {
        Ingest::Stored(row) => Outcome::Stored { replay: row.id, file, streamer: row.streamer_id },
        Ingest::Duplicate(replay) => Outcome::Duplicate { replay, file },
    }
}

/// Arrivals counted by this process, for services that order nothing themselves.
fn next_arrival() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static SEQ: AtomicU64 = AtomicU64::new(0);
    SEQ.fetch_add(1, Ordering::Relaxed)
}
