//! One step for every event a recording service tells us of, whoever parsed it: the
//! hooks (`crate::hooks`) and reconciliation (`crate::reconcile`) produce [`Event`]s,
//! [`ingest`] stores each and starts what follows from what the store returned (an FLV's
//! keyframe index, or an HLS replay's duration from its playlist, goes to the background
//! [`jobs`](crate::jobs) queue), and answers with an [`Outcome`] once the store has
//! committed. SRS's `on_hls` segments are gathered per publish by [`srs_hls`], and a
//! publish's end makes them one HLS replay.
//!
//! Recordings are parts of broadcasts: [`broadcast`] holds the rules (which broadcast a
//! part or a live event belongs to, merges, alternates, the timeline, the status), the
//! store applies them in the same transaction as what it stores, and [`promote_forever`]
//! moves broadcasts whose files are all in to `ready`.
//!
//! A new recording service is a new parser producing these events; a new kind of event
//! (Tencent's screenshots) is a new `Event` variant and one arm here.

pub mod broadcast;
mod local_file;
pub mod srs_hls;

use std::time::Duration;

use relive_api::ReplayFormat;

use crate::AppState;
use crate::error::Failure;
use crate::jobs::Job;
use crate::store::{BroadcastChange, Ingest, LiveEvent, NewReplay, NewScreenshot, RecordStatus, SessionKey, unix_now};

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
    /// Tencent's recording status changed (event 332).
    RecordStatus(RecordStatus),
    /// A screenshot of a stream (Tencent's event 200): a poster, a coarse storyboard.
    Screenshot(NewScreenshot),
    /// Understood, and nothing to do: what it was (`event_type 321`, `call=play`).
    Ignored(String),
}

#[derive(Debug, PartialEq, Eq)]
pub struct LiveChange {
    pub streamer_id: String,
    pub live: bool,
    pub order: EventOrder,
    /// The service's id of the publish, when it gives one (Tencent's `sequence`,
    /// nginx-rtmp's `clientid`, SRS's `client_id`).
    pub session: Option<SessionKey>,
    /// When the push began, if an end tells (Tencent's `push_duration`).
    pub push_started_at: Option<i64>,
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
    /// A new part of broadcast `broadcast`.
    Stored { replay: i64, broadcast: i64, file: String, streamer: String },
    /// That recording was announced before: nothing changed.
    Duplicate { replay: i64, file: String },
    /// A segment was added to the recording of a publish in progress.
    Segment { streamer: String, seq: u64, folder: String },
    /// The stream's live status is now `live`; its broadcast is now `status`.
    LiveChanged { streamer: String, live: bool, broadcast: BroadcastChange },
    /// An event older than the last one applied to that stream: nothing changed.
    Stale { streamer: String, live: bool },
    /// A recording status applied to a broadcast.
    RecordStatus { streamer: String, event: &'static str, seq: u64, broadcast: BroadcastChange },
    /// A recording status older than the last one applied to its session.
    StaleRecordStatus { streamer: String, event: &'static str, seq: u64 },
    /// A screenshot stored (`new`), or a repeat of one (a retried callback).
    Screenshot { streamer: String, create_time: i64, new: bool },
    /// Nothing to do.
    Ignored { what: String },
}

impl Outcome {
    /// The word logs use: `accepted`, `duplicate`, `stale` or `ignored`.
    pub fn kind(&self) -> &'static str {
        match self {
            Outcome::Stored { .. }
            | Outcome::LiveChanged { .. }
            | Outcome::Segment { .. }
            | Outcome::RecordStatus { .. }
            | Outcome::Screenshot { new: true, .. } => "accepted",
            Outcome::Screenshot { new: false, .. } => "duplicate",
            Outcome::Duplicate { .. } => "duplicate",
            Outcome::Stale { .. } | Outcome::StaleRecordStatus { .. } => "stale",
            Outcome::Ignored { .. } => "ignored",
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = |live: bool| if live { "live" } else { "offline" };
        match self {
            Outcome::Stored { replay, broadcast, file, streamer } => {
                write!(f, "{file} of stream {streamer} as part {replay} of broadcast {broadcast}")
            }
            Outcome::Duplicate { replay, file } => write!(f, "{file} already replay {replay}"),
            Outcome::Segment { streamer, seq, folder } => write!(f, "segment {seq} of stream {streamer} into {folder}"),
            Outcome::LiveChanged { streamer, live, broadcast } => {
                write!(f, "stream {streamer} is {}; {}", state(*live), describe(broadcast))
            }
            Outcome::Stale { streamer, live } => {
                write!(f, "{} event of stream {streamer} older than the last one applied", state(*live))
            }
            Outcome::RecordStatus { streamer, event, seq, broadcast } => {
                write!(f, "{event} (seq {seq}) of stream {streamer}: {}", describe(broadcast))
            }
            Outcome::StaleRecordStatus { streamer, event, seq } => {
                write!(f, "{event} (seq {seq}) of stream {streamer} older than the last one applied to its session")
            }
            Outcome::Screenshot { streamer, create_time, new } => {
                let again = if *new { "" } else { " (already stored)" };
                write!(f, "screenshot of stream {streamer} at {create_time}{again}")
            }
            Outcome::Ignored { what } => f.write_str(what),
        }
    }
}

fn describe(b: &BroadcastChange) -> String {
    match b {
        BroadcastChange::Applied { broadcast, status } => format!("broadcast {broadcast} is {}", status.as_str()),
        BroadcastChange::Stale => "the broadcast already had a later event".into(),
        BroadcastChange::Superseded { broadcast } => format!("broadcast {broadcast} goes on with a newer session"),
    }
}

/// Applies one event. Answers only once what it stored is committed.
pub async fn ingest(app: &AppState, event: Event) -> Result<Outcome, Failure> {
    match event {
        Event::Recording(mut replay) => {
            let file = replay.source_file_id.clone();
            // What follows, queued with the part in its transaction (the jobs skip a part
            // stored already gone).
            match replay.format {
                // FLV replays get their keyframe index before the first viewer asks.
                ReplayFormat::Flv => {
                    replay.follow_ups.push(Job::IndexKeyframes { replay: 0, url: replay.url.clone() }.follow_up())
                }
                // An HLS replay of unknown duration: its playlist tells.
                ReplayFormat::Hls if replay.duration_ms == 0 => {
                    let fallback_ms = (replay.end_time - replay.start_time).max(0) as u64 * 1000;
                    let job = Job::HlsDuration { replay: 0, url: replay.url.clone(), fallback_ms };
                    replay.follow_ups.push(job.follow_up());
                }
                _ => {}
            }
            // Its poster and storyboard (`crate::images`).
            crate::images::follow_up(&mut replay);
            // With its expiry, when its service deletes it (`crate::gone`).
            let stored = crate::gone::record(app, replay).await?;
            if matches!(stored, Ingest::Stored(_)) {
                app.jobs.woke();
            }
            Ok(outcome(stored, file))
        }
        Event::LocalRecording(local) => {
            let mut probed = local_file::probe(&app.config.media_dir, local).await?;
            // With object storage, the file goes there before the hook's 200.
            local_file::upload(app, &probed.replay).await?;
            let file = probed.replay.source_file_id.clone();
            crate::images::follow_up(&mut probed.replay);
            let stored = app.store.record_replay(probed.replay).await?;
            if let (Ingest::Stored(row), Some(ix)) = (&stored, probed.keyframes) {
                // Probing read every keyframe already: keep the index, no job needed.
                app.store.save_keyframe_index(row.id, Ok(ix)).await?;
            }
            if matches!(stored, Ingest::Stored(_)) {
                app.jobs.woke();
            }
            Ok(outcome(stored, file))
        }
        Event::HlsSegment(segment) => srs_hls::add_segment(app, segment).await,
        Event::Live(change) => {
            let (time, sequence, stamped) = match change.order {
                EventOrder::Stamped { time, sequence } => (time, sequence, true),
                // Ordered by the database (`store::LiveEvent`), not by this process.
                EventOrder::Arrival => (unix_now(), 0, false),
            };
            let (streamer, live) = (change.streamer_id, change.live);
            let client_id = change.session.as_ref().filter(|k| k.source == "srs").map(|k| k.key.clone());
            let e = LiveEvent {
                streamer_id: streamer.clone(),
                live,
                event_time: time,
                sequence,
                session: change.session,
                stamped,
                push_started_at: change.push_started_at,
            };
            let applied = app.store.apply_live_event(e).await?;
            // A publish boundary ends (or closes) the HLS recording gathered from on_hls.
            if let Err(f) = srs_hls::publish_changed(app, &streamer, client_id.as_deref(), live).await {
                if !live {
                    return Err(f);
                }
                // Never refuse a publish over the previous one's recording.
                tracing::error!(stream = %streamer, error = %f.body.message, "srs hls: cannot close the previous recording");
            }
            Ok(match (applied.live_changed, applied.broadcast) {
                (false, BroadcastChange::Stale) => Outcome::Stale { streamer, live },
                (_, broadcast) => Outcome::LiveChanged { streamer, live, broadcast },
            })
        }
        Event::RecordStatus(status) => {
            let (streamer, event, seq) = (status.streamer_id.clone(), status.event.as_str(), status.seq);
            Ok(match app.store.apply_record_status(status).await? {
                BroadcastChange::Stale => Outcome::StaleRecordStatus { streamer, event, seq },
                broadcast => Outcome::RecordStatus { streamer, event, seq, broadcast },
            })
        }
        Event::Screenshot(shot) => {
            let (streamer, create_time) = (shot.streamer_id.clone(), shot.create_time);
            let new = app.store.record_screenshot(shot).await?;
            Ok(Outcome::Screenshot { streamer, create_time, new })
        }
        Event::Ignored(what) => Ok(Outcome::Ignored { what }),
    }
}

fn outcome(stored: Ingest, file: String) -> Outcome {
    match stored {
        Ingest::Stored(row) => Outcome::Stored {
            replay: row.id,
            broadcast: row.broadcast_id.unwrap_or(row.id),
            file,
            streamer: row.streamer_id,
        },
        Ingest::Duplicate(replay) => Outcome::Duplicate { replay, file },
    }
}

/// How often broadcasts waiting for files are looked at (more often with a settle time
/// under 40 s, as tests use).
pub const PROMOTE_EVERY: Duration = Duration::from_secs(10);

/// Moves broadcasts whose files are all in (or whose settle time passed) to `ready`, and
/// removes pushes that left no file, every [`PROMOTE_EVERY`]. Each ingest does the same
/// for the broadcast it touched; this catches the ones that wait for time alone.
pub async fn promote_forever(app: AppState) {
    let quarter = Duration::from_secs((app.config.broadcast_settle / 4).max(1) as u64);
    let mut every = tokio::time::interval(PROMOTE_EVERY.min(quarter));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        match app.store.promote_broadcasts(unix_now()).await {
            Ok(p) if p.ready + p.deleted > 0 => {
                tracing::info!(ready = p.ready, removed = p.deleted, "broadcasts promoted")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "cannot promote broadcasts"),
        }
    }
}
