//! A replay as a broadcast (issue 13): several recordings ("parts") on one timeline,
//! with gaps where the recording stopped, and a status from `recording` to `ready`.
//!
//! The pure rules first (which part plays at a time, which gap comes before a part,
//! what the seek bar marks), tested natively; then what the pages show of them: the
//! status badge, the panel in place of the player while nothing can play, the note
//! under the player while more may come, and the list of parts.

use std::time::Duration;

use leptos::prelude::*;
use relive_api::{Replay, ReplayFormat, ReplayGap, ReplayPart, ReplayStatus};

use super::player::use_player;
use crate::api;
use crate::browser;
use crate::format::{self, clock, duration_words, formats_label, time_of_day};
use crate::i18n::{Key, fill, use_i18n};

/// A gap and a part boundary closer than this (seconds) are the same place.
const SAME_PLACE: f64 = 0.5;
/// A gap shorter than this (seconds of wall clock) is shown as a plain part boundary.
const MIN_GAP: f64 = 1.0;
/// How often a page waiting for a broadcast asks again.
const POLL: Duration = Duration::from_secs(20);

/// Whether there is something to play: a part is in, or the replay is one file from
/// before broadcasts (`ready`, no parts listed).
pub fn playable(r: &Replay) -> bool {
    !r.parts.is_empty() || r.status == ReplayStatus::Ready
}

/// The containers to name on a card: every part's, else the one file's (a replay
/// from before broadcasts), else none (nothing is in yet).
pub fn card_formats(r: &Replay) -> String {
    if !r.formats.is_empty() {
        formats_label(&r.formats)
    } else if !r.parts.is_empty() {
        let mut seen: Vec<ReplayFormat> = Vec::new();
        for p in &r.parts {
            if !seen.contains(&p.format) {
                seen.push(p.format);
            }
        }
        formats_label(&seen)
    } else if r.status == ReplayStatus::Ready {
        formats_label(&[r.format])
    } else {
        String::new()
    }
}

/// The part playing at `t` seconds on the timeline: the last one starting at or before
/// it (a seek to a part's offset may land a little before it, on a keyframe).
pub fn current_part(parts: &[ReplayPart], t: f64) -> Option<usize> {
    if parts.is_empty() {
        return None;
    }
    Some(parts.iter().rposition(|p| p.offset_secs <= t + SAME_PLACE).unwrap_or(0))
}

/// The wall-clock seconds lost just before part `index`, if the recording stopped there.
pub fn gap_before(parts: &[ReplayPart], gaps: &[ReplayGap], index: usize) -> Option<f64> {
    if index == 0 {
        return None;
    }
    let at = parts.get(index)?.offset_secs;
    gaps.iter().find(|g| (g.at_secs - at).abs() < SAME_PLACE && g.duration_secs >= MIN_GAP).map(|g| g.duration_secs)
}

/// What the seek bar marks on a broadcast's timeline.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mark {
    /// The recording stopped here for `secs` of wall clock.
    Gap { at: f64, secs: f64 },
    /// One part ends and the next begins, with no time lost worth telling.
    Boundary { at: f64 },
}

impl Mark {
    pub fn at(&self) -> f64 {
        match *self {
            Mark::Gap { at, .. } | Mark::Boundary { at } => at,
        }
    }
}

/// The gaps, then the part boundaries that are not also gaps (each in timeline order;
/// the seek bar places them, so the two lists are not merged).
pub fn timeline_marks(parts: &[ReplayPart], gaps: &[ReplayGap]) -> Vec<Mark> {
    let mut marks: Vec<Mark> = gaps
        .iter()
        .filter(|g| g.duration_secs >= MIN_GAP && g.at_secs > 0.0 && g.at_secs.is_finite())
        .map(|g| Mark::Gap { at: g.at_secs, secs: g.duration_secs })
        .collect();
    for p in parts.iter().skip(1) {
        if p.offset_secs > 0.0 && !marks.iter().any(|m| (m.at() - p.offset_secs).abs() < SAME_PLACE) {
            marks.push(Mark::Boundary { at: p.offset_secs });
        }
    }
    marks
}

/// The gap within `tolerance` seconds of `t`, the nearest: its wall-clock seconds.
pub fn gap_near(marks: &[Mark], t: f64, tolerance: f64) -> Option<f64> {
    marks
        .iter()
        .filter_map(|m| match *m {
            Mark::Gap { at, secs } if (at - t).abs() <= tolerance => Some(((at - t).abs(), secs)),
            _ => None,
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, secs)| secs)
}

/// The words of a status, where there are any to show (`ready` has none).
pub fn status_key(s: ReplayStatus) -> Option<Key> {
    match s {
        ReplayStatus::Recording => Some(Key::StatusRecording),
        ReplayStatus::Processing => Some(Key::StatusProcessing),
        ReplayStatus::Failed => Some(Key::StatusFailed),
        ReplayStatus::Ready => None,
    }
}

/// "Recording now" (a red dot), "Processing" (with a hint) or "Failed" (with the
/// reason in its title); nothing for `ready`. `class` adds classes (`badge` on a poster).
#[component]
pub fn StatusBadge(
    status: ReplayStatus,
    #[prop(default = None)] failure: Option<String>,
    #[prop(optional)] class: &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    let title = move || match status {
        ReplayStatus::Processing => Some(i18n.t(Key::ProcessingHint).to_string()),
        ReplayStatus::Failed => Some(failure.clone().unwrap_or_else(|| i18n.t(Key::FailedUnknown).to_string())),
        _ => None,
    };
    status_key(status).map(|key| {
        view! {
            <span class=format!("status-badge {class}") data-status=status.as_str() title=title>{move || i18n.t(key)}</span>
        }
    })
}

/// In place of the player while nothing can play: being recorded, being prepared,
/// or failed. While waiting it asks again now and then and calls `on_change` when
/// something changed (a part is in, another status), so the page can load it.
#[component]
pub fn BroadcastPanel(replay: Replay, #[prop(into)] on_change: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let (id, status) = (replay.id, replay.status);
    let (title, hint) = match status {
        ReplayStatus::Recording => (Key::PanelRecording, Some(Key::PanelRecordingHint)),
        ReplayStatus::Processing => (Key::PanelProcessing, Some(Key::PanelProcessingHint)),
        _ => (Key::PanelFailed, None),
    };
    let failure = replay.failure.clone();
    let reason = {
        let failure = failure.clone();
        move || match &failure {
            Some(why) => fill(i18n.t(Key::FailureReason), &[("reason", why)]),
            None => i18n.t(Key::FailedUnknown).to_string(),
        }
    };
    if matches!(status, ReplayStatus::Recording | ReplayStatus::Processing) {
        let poll = move || {
            if browser::window().document().is_some_and(|d| d.hidden()) {
                return;
            }
            leptos::task::spawn_local(async move {
                if let Ok(d) = api::replay(id).await
                    && (d.replay.status != status || playable(&d.replay))
                {
                    on_change.run(());
                }
            });
        };
        if let Ok(h) = set_interval_with_handle(poll, POLL) {
            on_cleanup(move || h.clear());
        }
    }
    view! {
        <div class="broadcast-panel" data-status=status.as_str() role="status">
            <StatusBadge status failure=failure.clone()/>
            <p class="broadcast-panel-title">{move || i18n.t(title)}</p>
            <p class="broadcast-panel-hint">{move || match hint { Some(k) => i18n.t(k).to_string(), None => reason() }}</p>
        </div>
    }
}

/// Under a player that plays what is in so far: more may come, or the recording failed.
#[component]
pub fn BroadcastNote(replay: Replay) -> impl IntoView {
    let i18n = use_i18n();
    let status = replay.status;
    let text = match status {
        ReplayStatus::Recording => Some(Key::NoteRecording),
        ReplayStatus::Processing => Some(Key::NoteProcessing),
        ReplayStatus::Failed => Some(Key::NoteFailed),
        ReplayStatus::Ready => None,
    };
    let failure = replay.failure;
    text.map(|text| {
        let reason = failure.clone().map(|why| {
            view! { " " <span class="broadcast-note-reason">{move || fill(i18n.t(Key::FailureReason), &[("reason", &why)])}</span> }
        });
        view! {
            <p class="broadcast-note" data-status=status.as_str()>
                <StatusBadge status failure/>
                <span>{move || i18n.t(text)}{reason}</span>
            </p>
        }
    })
}

/// The parts of a broadcast under its player: "Part 2 · 20:35–21:10 · 35:00", the time
/// lost before each, the one playing marked (`aria-current`). A click (or Enter on its
/// button) plays from the part's start. Rendered inside the [`Player`](super::player::Player),
/// whose state it reads and drives.
#[component]
pub fn PartsList(parts: Vec<ReplayPart>, gaps: Vec<ReplayGap>) -> impl IntoView {
    let (i18n, p) = (use_i18n(), use_player());
    let offset = browser::utc_offset_minutes();
    let count = parts.len();
    let rows: Vec<_> = parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            (i, part.offset_secs, part.duration_secs, part.start_time, part.end_time, gap_before(&parts, &gaps, i))
        })
        .collect();
    let parts = StoredValue::new(parts);
    // Each row asks on each time update (a memo would cost more code than it saves work).
    let current = move || current_part(&parts.read_value(), p.current.get());
    view! {
        <section class="parts" aria-labelledby="parts-heading">
            <h2 id="parts-heading" class="parts-heading">
                {move || i18n.t(Key::Parts)}" "<span class="muted">{count}</span>
            </h2>
            <ol class="parts-list">
                {rows.into_iter().map(|(i, at, duration, start, end, gap)| {
                    let is_current = move || current() == Some(i);
                    view! {
                        <li class="part" class:current=is_current data-part-index=i
                            aria-current=move || is_current().then_some("true")
                            on:click=move |_| p.play_from(at)>
                            {gap.map(|secs| view! {
                                <span class="part-gap">{move || fill(i18n.t(Key::RecordingPaused), &[("d", &duration_words(secs, i18n.get()))])}</span>
                            })}
                            <button type="button" class="part-button">
                                <span class="part-name">{move || fill(i18n.t(Key::PartN), &[("n", &(i + 1).to_string())])}</span>
                                " · "
                                <span class="part-when">
                                    <time datetime=format::iso(start)>{time_of_day(start, offset)}</time>
                                    "–"
                                    <time datetime=format::iso(end)>{time_of_day(end, offset)}</time>
                                </span>
                                " · "
                                <span class="part-duration">{clock(duration)}</span>
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ol>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::testing::replay;

    fn part(id: i64, offset: f64, duration: f64) -> ReplayPart {
        crate::testing::part(id, ReplayFormat::Flv, offset, duration)
    }

    #[test]
    fn what_can_play() {
        // A replay from before broadcasts: ready, no parts listed, one file.
        assert!(playable(&replay(ReplayStatus::Ready, vec![])));
        assert!(!playable(&replay(ReplayStatus::Recording, vec![])));
        assert!(!playable(&replay(ReplayStatus::Processing, vec![])));
        assert!(!playable(&replay(ReplayStatus::Failed, vec![])));
        assert!(playable(&replay(ReplayStatus::Processing, vec![part(1, 0.0, 60.0)])));
        assert!(playable(&replay(ReplayStatus::Recording, vec![part(1, 0.0, 60.0)])));
    }

    #[test]
    fn formats_on_cards() {
        assert_eq!(card_formats(&replay(ReplayStatus::Ready, vec![])), "FLV");
        assert_eq!(card_formats(&replay(ReplayStatus::Recording, vec![])), "", "nothing is in yet");
        let mut r = replay(ReplayStatus::Ready, vec![part(1, 0.0, 60.0), part(2, 60.0, 60.0)]);
        r.parts[1].format = ReplayFormat::Mp4;
        assert_eq!(card_formats(&r), "FLV+MP4", "from the parts when the server lists no formats");
        r.formats = vec![ReplayFormat::Mp4, ReplayFormat::Flv];
        assert_eq!(card_formats(&r), "MP4+FLV", "the server's order");
    }

    #[test]
    fn the_part_playing_at_a_time() {
        let parts = [part(1, 0.0, 1800.0), part(2, 1800.0, 600.0), part(3, 2400.0, 60.0)];
        assert_eq!(current_part(&parts, 0.0), Some(0));
        assert_eq!(current_part(&parts, 1200.0), Some(0));
        assert_eq!(current_part(&parts, 1799.8), Some(1), "a seek to a part lands on a keyframe just before it");
        assert_eq!(current_part(&parts, 1800.0), Some(1));
        assert_eq!(current_part(&parts, 2399.0), Some(1));
        assert_eq!(current_part(&parts, 9999.0), Some(2));
        assert_eq!(current_part(&parts, -1.0), Some(0));
        assert_eq!(current_part(&[], 5.0), None);
    }

    #[test]
    fn gaps_before_parts_and_on_the_seek_bar() {
        let parts = [part(1, 0.0, 1800.0), part(2, 1800.0, 600.0), part(3, 2400.0, 60.0)];
        let gaps =
            [ReplayGap { at_secs: 1800.0, duration_secs: 120.0 }, ReplayGap { at_secs: 2400.2, duration_secs: 0.4 }];
        assert_eq!(gap_before(&parts, &gaps, 0), None);
        assert_eq!(gap_before(&parts, &gaps, 1), Some(120.0));
        assert_eq!(gap_before(&parts, &gaps, 2), None, "under a second is no gap worth telling");
        assert_eq!(gap_before(&parts, &gaps, 7), None);
        let marks = timeline_marks(&parts, &gaps);
        assert_eq!(marks, vec![Mark::Gap { at: 1800.0, secs: 120.0 }, Mark::Boundary { at: 2400.0 }]);
        assert_eq!(gap_near(&marks, 1790.0, 15.0), Some(120.0));
        assert_eq!(gap_near(&marks, 1700.0, 15.0), None);
        assert_eq!(gap_near(&marks, 2400.0, 15.0), None, "a boundary is not a gap");
        // A one-part replay marks nothing.
        assert!(timeline_marks(&parts[..1], &[]).is_empty());
    }

    #[test]
    fn statuses_with_words() {
        assert_eq!(status_key(ReplayStatus::Recording), Some(Key::StatusRecording));
        assert_eq!(status_key(ReplayStatus::Ready), None);
    }
}
