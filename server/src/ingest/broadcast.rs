//! The rules that make recordings into broadcasts ("one broadcast, one replay"): where a
//! part or a live event goes, when two broadcasts become one, which parts lie on the
//! timeline, where the timeline has gaps, and how a broadcast's status moves. Pure
//! functions of what the store read; the store (`crate::store::sqlite::broadcasts`)
//! runs them inside one write transaction and writes what they decide.
//!
//! # Where a part goes
//! In order: (a) Tencent's `session_id` / `task_id`, (b) the publish it came from
//! (nginx-rtmp's `clientid`, SRS's `client_id`) — a session key already mapped to a
//! broadcast places the part there, if the part lies within `settle` of it (a key that
//! comes back later, such as an API recording task spanning several pushes or an id an
//! nginx restart reuses, no longer holds); (c) otherwise time: a broadcast whose
//! extent the part overlaps or comes within `gap` of (a broadcast being recorded
//! reaches forward without end). Every broadcast the part reaches this way, and the one
//! its key names, become ONE: the one listed first (the earliest `sort_time`) survives,
//! the others become tombstones pointing at it. No broadcast reached: a new one.
//!
//! Live starts (a push, a publish, Tencent's `record_start_succeeded`/`record_resumed`)
//! go the same way, as an instant: a start within `gap` of a broadcast reopens it (a
//! push cut and restarted within the gap is one broadcast with a gap in its timeline).
//! A stream pushes once at a time: a broadcast still being recorded for another push of
//! the same service lost that push's end; a start places itself against what is known
//! of it ([`for_start`]), and, if it goes elsewhere, ends it.
//!
//! # Timeline
//! Parts lie end to end in start order. A part whose time overlaps a part already on
//! the timeline by more than half of the shorter of the two is the same push recorded
//! twice: an *alternate*, kept but not on the timeline; the part that arrived first
//! (the lower id) wins. Wall-clock time lost between two parts over [`GAP_MARK_SECS`]
//! is reported as a gap.
//!
//! # Status
//! `recording → processing → ready`, or `failed`. A start makes it `recording`; an end
//! `processing` (a failure stays a failure); a file arriving for a failed broadcast
//! makes it `processing` again. `processing` becomes `ready` once the last timeline part
//! ends at or after the push's end − [`READY_SLACK_SECS`], or `settle` seconds after the
//! push ended; then a broadcast without any file is deleted (a push without recording
//! leaves no card), unless it failed.

use relive_api::ReplayStatus;

use crate::store::Grouping;

/// Gaps between parts longer than this (seconds) are reported; shorter ones are the
/// rounding of whole-second times.
pub const GAP_MARK_SECS: i64 = 2;
/// A broadcast is complete once its last part ends this close to the push's end.
pub const READY_SLACK_SECS: i64 = 60;

/// A wall-clock span, in Unix seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: i64,
    pub end: i64,
}

impl Span {
    /// A span from `start` to `end` (an end before the start is the start).
    pub fn new(start: i64, end: i64) -> Span {
        Span { start, end: end.max(start) }
    }

    pub fn at(t: i64) -> Span {
        Span { start: t, end: t }
    }

    fn len(self) -> i64 {
        self.end - self.start
    }
}

/// The time a broadcast covers: its parts and its push, as far as they are known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Extent {
    pub start: i64,
    pub end: i64,
    /// Being recorded: the extent reaches forward without end.
    pub open: bool,
}

/// A broadcast as the placement rules see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub id: i64,
    pub sort_time: i64,
    pub extent: Extent,
}

/// Within `within` seconds of the extent (or overlapping it).
fn near(e: &Extent, s: Span, within: i64) -> bool {
    s.end >= e.start.saturating_sub(within) && (e.open || s.start <= e.end.saturating_add(within))
}

/// (c): the span overlaps the broadcast or comes within the gap of it.
pub fn adjacent(g: &Grouping, e: &Extent, s: Span) -> bool {
    near(e, s, g.gap_secs)
}

/// Whether a session key still places a span in the broadcast it is mapped to.
pub fn key_holds(g: &Grouping, e: &Extent, s: Span) -> bool {
    near(e, s, g.settle_secs.max(g.gap_secs))
}

/// Where a part or a start goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    /// The broadcast it joins; `None`: a new one.
    pub join: Option<i64>,
    /// Broadcasts that become one with `join` (they turn into tombstones pointing at it).
    pub merge: Vec<i64>,
}

/// Places `span`: into its key's broadcast `keyed` (if the key holds) and every
/// broadcast in `nearby` it is adjacent to, which become one — the first listed survives.
pub fn place(g: &Grouping, span: Span, keyed: Option<&Candidate>, nearby: &[Candidate]) -> Placement {
    let mut group: Vec<&Candidate> = keyed.filter(|k| key_holds(g, &k.extent, span)).into_iter().collect();
    for c in nearby {
        if adjacent(g, &c.extent, span) && !group.iter().any(|x| x.id == c.id) {
            group.push(c);
        }
    }
    match group.iter().min_by_key(|c| (c.sort_time, c.id)) {
        None => Placement { join: None, merge: Vec::new() },
        Some(survivor) => {
            let id = survivor.id;
            Placement { join: Some(id), merge: group.iter().map(|c| c.id).filter(|&c| c != id).collect() }
        }
    }
}

/// The candidates a new start is placed among. A broadcast being recorded for another
/// push of the same service (`replaced`: ids) is, for this start, closed at its known
/// extent: a stream pushes once at a time, so that push ended, and its end was lost. A
/// restart within the gap of what is known still joins it; a push hours later does not.
pub fn for_start(nearby: &[Candidate], replaced: &[i64]) -> Vec<Candidate> {
    nearby
        .iter()
        .map(|c| {
            let mut c = *c;
            if replaced.contains(&c.id) {
                c.extent.open = false;
            }
            c
        })
        .collect()
}

/// Which broadcast an end (of a push, or of a recording) with no mapped session belongs
/// to: one being recorded that it reaches, else the first listed one it is adjacent to.
/// Ends never merge broadcasts.
pub fn end_target(g: &Grouping, span: Span, nearby: &[Candidate]) -> Option<i64> {
    let reached = nearby.iter().filter(|c| adjacent(g, &c.extent, span));
    reached.min_by_key(|c| (!c.extent.open, c.sort_time, c.id)).map(|c| c.id)
}

// ---- timeline -------------------------------------------------------------------------

/// A part as the timeline rules see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartSpan {
    /// Its id, which is also its arrival order.
    pub id: i64,
    pub span: Span,
}

/// The same push recorded twice: the two overlap by more than half of the shorter.
pub fn same_recording(a: Span, b: Span) -> bool {
    let overlap = a.end.min(b.end) - a.start.max(b.start);
    overlap > 0 && 2 * overlap > a.len().min(b.len())
}

/// Whether a new part is an alternate of a part already on the timeline.
pub fn is_alternate(part: Span, timeline: &[Span]) -> bool {
    timeline.iter().any(|t| same_recording(part, *t))
}

/// The ids of the alternates among a broadcast's parts: in arrival order, each part
/// joins the timeline unless it is the same recording as one already there.
pub fn alternates(parts: &[PartSpan]) -> Vec<i64> {
    let mut by_arrival = parts.to_vec();
    by_arrival.sort_by_key(|p| p.id);
    let mut timeline: Vec<Span> = Vec::new();
    let mut out = Vec::new();
    for p in by_arrival {
        if is_alternate(p.span, &timeline) {
            out.push(p.id);
        } else {
            timeline.push(p.span);
        }
    }
    out
}

/// A timeline part's place: where it starts on the replay's timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    /// One per part, in the order given: seconds from the timeline's start.
    pub offsets: Vec<f64>,
    /// (where on the timeline, wall-clock seconds missing), for each loss over
    /// [`GAP_MARK_SECS`].
    pub gaps: Vec<(f64, f64)>,
}

/// Lays timeline parts (in start order) end to end: `(start, end, duration in ms)`.
pub fn layout(parts: &[(i64, i64, u64)]) -> Layout {
    let mut offsets = Vec::with_capacity(parts.len());
    let mut gaps = Vec::new();
    let mut at_ms: u64 = 0;
    let mut reached: Option<i64> = None;
    for &(start, end, duration_ms) in parts {
        let at = at_ms as f64 / 1000.0;
        if let Some(prev_end) = reached
            && start - prev_end > GAP_MARK_SECS
        {
            gaps.push((at, (start - prev_end) as f64));
        }
        offsets.push(at);
        at_ms += duration_ms;
        reached = Some(reached.map_or(end, |r| r.max(end)));
    }
    Layout { offsets, gaps }
}

// ---- status ---------------------------------------------------------------------------

/// What happened to a broadcast.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// A push started or recording (re)started.
    Start,
    /// A push ended, or recording paused or ended.
    End,
    /// Recording failed.
    Failed,
    /// A file arrived.
    Part,
}

/// The status after `signal`.
pub fn next_status(current: ReplayStatus, signal: Signal) -> ReplayStatus {
    use ReplayStatus::*;
    match (signal, current) {
        (Signal::Start, _) => Recording,
        (Signal::End, Failed) => Failed,
        (Signal::End, _) => Processing,
        (Signal::Failed, _) => Failed,
        (Signal::Part, Failed) => Processing,
        (Signal::Part, other) => other,
    }
}

/// The status of broadcasts merged into one: the liveliest.
pub fn merged_status(statuses: impl IntoIterator<Item = ReplayStatus>) -> ReplayStatus {
    let rank = |s: &ReplayStatus| match s {
        ReplayStatus::Recording => 3,
        ReplayStatus::Processing => 2,
        ReplayStatus::Ready => 1,
        ReplayStatus::Failed => 0,
    };
    statuses.into_iter().max_by_key(rank).unwrap_or(ReplayStatus::Ready)
}

/// What the periodic check (and every ingest) does with a broadcast.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Promotion {
    Keep,
    Ready,
    /// No file came within the settle time: the push was not recorded.
    Delete,
}

/// `processing → ready` once the last timeline part (`last_end`, `None`: no part)
/// reaches the push's end, or `settle` after it; then a broadcast without a part is
/// deleted.
pub fn promotion(
    g: &Grouping,
    status: ReplayStatus,
    ended_at: Option<i64>,
    last_end: Option<i64>,
    now: i64,
) -> Promotion {
    if status != ReplayStatus::Processing {
        return Promotion::Keep;
    }
    // A broadcast without a known push end that is processing has nothing to wait for.
    let Some(ended) = ended_at else {
        return if last_end.is_some() { Promotion::Ready } else { Promotion::Keep };
    };
    match last_end {
        Some(end) if end >= ended - READY_SLACK_SECS => Promotion::Ready,
        _ if now >= ended.saturating_add(g.settle_secs) => {
            if last_end.is_some() {
                Promotion::Ready
            } else {
                Promotion::Delete
            }
        }
        _ => Promotion::Keep,
    }
}

/// Groups parts already stored (one streamer's, sorted by start) by time alone: the
/// migration of recordings made before broadcasts. Returns, per part, the index of its
/// group's first part.
pub fn group_by_time(g: &Grouping, parts: &[Span]) -> Vec<usize> {
    let mut out = Vec::with_capacity(parts.len());
    let mut current: Option<(usize, Extent)> = None;
    for (i, &s) in parts.iter().enumerate() {
        current = match current {
            Some((first, e)) if adjacent(g, &e, s) => {
                Some((first, Extent { start: e.start.min(s.start), end: e.end.max(s.end), open: false }))
            }
            _ => Some((i, Extent { start: s.start, end: s.end, open: false })),
        };
        out.push(current.map_or(i, |(first, _)| first));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ReplayStatus::*;

    const G: Grouping = Grouping { gap_secs: 300, settle_secs: 2100 };

    fn cand(id: i64, sort_time: i64, start: i64, end: i64, open: bool) -> Candidate {
        Candidate { id, sort_time, extent: Extent { start, end, open } }
    }

    #[test]
    fn parts_join_by_overlap_or_within_the_gap() {
        let b = cand(1, 1000, 1000, 2000, false);
        assert_eq!(place(&G, Span::new(2000, 2600), None, &[b]).join, Some(1), "touching");
        assert_eq!(place(&G, Span::new(2300, 2600), None, &[b]).join, Some(1), "300 s after");
        assert_eq!(place(&G, Span::new(2301, 2600), None, &[b]).join, None, "301 s after");
        assert_eq!(place(&G, Span::new(400, 700), None, &[b]).join, Some(1), "300 s before");
        assert_eq!(place(&G, Span::new(100, 699), None, &[b]).join, None, "301 s before");
        // Being recorded: reaches forward without end, but not backward.
        let live = cand(2, 1000, 1000, 1000, true);
        assert_eq!(place(&G, Span::new(90_000, 91_000), None, &[live]).join, Some(2));
        assert_eq!(place(&G, Span::new(0, 600), None, &[live]).join, None);
    }

    #[test]
    fn a_part_bridging_two_broadcasts_merges_them_into_the_first_listed() {
        let a = cand(10, 1000, 1000, 2000, false);
        let b = cand(7, 2500, 2500, 3000, false);
        let p = place(&G, Span::new(2100, 2400), None, &[b, a]);
        assert_eq!(p, Placement { join: Some(10), merge: vec![7] });
        // Only one reached: no merge.
        assert_eq!(place(&G, Span::new(2800, 3100), None, &[a, b]), Placement { join: Some(7), merge: vec![] });
    }

    #[test]
    fn a_session_key_places_a_part_within_the_settle_time_and_merges_what_it_bridges() {
        let keyed = cand(1, 1000, 1000, 2000, false);
        // 续录: the same recording session 20 minutes later (beyond the gap, within settle).
        assert_eq!(place(&G, Span::new(3200, 3800), Some(&keyed), &[]).join, Some(1));
        // A key that comes back hours later no longer holds: time decides.
        assert_eq!(place(&G, Span::new(20_000, 20_600), Some(&keyed), &[]).join, None);
        // The keyed broadcast and a broadcast the part reaches by time become one.
        let restarted = cand(5, 3100, 3100, 3100, true);
        assert_eq!(
            place(&G, Span::new(3200, 3800), Some(&keyed), &[restarted]),
            Placement { join: Some(1), merge: vec![5] }
        );
    }

    #[test]
    fn a_start_does_not_join_a_broadcast_another_push_kept_open_hours_ago() {
        let open = cand(1, 1000, 1000, 2000, true);
        let near = for_start(&[open], &[1]);
        assert_eq!(place(&G, Span::at(2200), None, &near).join, Some(1), "a restart within the gap");
        assert_eq!(place(&G, Span::at(9000), None, &near).join, None, "hours later");
        assert_eq!(place(&G, Span::at(9000), None, &for_start(&[open], &[])).join, Some(1), "its own push");
    }

    #[test]
    fn ends_prefer_the_broadcast_being_recorded_and_never_merge() {
        let done = cand(1, 1000, 1000, 2000, false);
        let live = cand(2, 2100, 2100, 2100, true);
        assert_eq!(end_target(&G, Span::new(2100, 2200), &[done, live]), Some(2));
        assert_eq!(end_target(&G, Span::at(2200), &[done]), Some(1));
        assert_eq!(end_target(&G, Span::at(9000), &[done]), None);
    }

    #[test]
    fn the_same_window_recorded_twice_is_an_alternate_and_the_first_arrival_wins() {
        let flv = PartSpan { id: 3, span: Span::new(0, 1800) };
        let hls = PartSpan { id: 5, span: Span::new(5, 1790) };
        let next = PartSpan { id: 4, span: Span::new(1790, 3600) };
        // `next` overlaps `hls` by 10 s only: not the same recording.
        assert_eq!(alternates(&[hls, next, flv]), vec![5]);
        assert!(same_recording(Span::new(0, 100), Span::new(40, 200)), "60 > half of 100");
        assert!(!same_recording(Span::new(0, 100), Span::new(50, 200)), "50 is not more than half");
        assert!(!same_recording(Span::new(0, 0), Span::new(0, 0)), "no length, no overlap");
        // The first one deleted: the alternate takes its place.
        assert_eq!(alternates(&[hls, next]), Vec::<i64>::new());
    }

    #[test]
    fn parts_lie_end_to_end_and_lost_time_is_a_gap() {
        let l = layout(&[(1000, 1060, 60_000), (1060, 1120, 59_500), (1300, 1360, 60_000), (1362, 1400, 38_000)]);
        assert_eq!(l.offsets, vec![0.0, 60.0, 119.5, 179.5]);
        assert_eq!(l.gaps, vec![(119.5, 180.0)], "2 s is rounding, not a gap");
        assert_eq!(layout(&[]), Layout { offsets: vec![], gaps: vec![] });
    }

    #[test]
    fn status_moves_from_recording_to_ready_or_fails() {
        assert_eq!(next_status(Ready, Signal::Start), Recording);
        assert_eq!(next_status(Recording, Signal::End), Processing);
        assert_eq!(next_status(Failed, Signal::End), Failed);
        assert_eq!(next_status(Recording, Signal::Failed), Failed);
        assert_eq!(next_status(Failed, Signal::Part), Processing);
        assert_eq!(next_status(Recording, Signal::Part), Recording);
        assert_eq!(merged_status([Ready, Recording, Failed]), Recording);
        assert_eq!(merged_status([Ready, Failed]), Ready);
    }

    #[test]
    fn processing_becomes_ready_when_the_last_part_reaches_the_end_or_the_settle_time_passes() {
        let p = |ended, last, now| promotion(&G, Processing, ended, last, now);
        assert_eq!(p(Some(10_000), Some(9_940), 10_001), Promotion::Ready, "60 s before the end");
        assert_eq!(p(Some(10_000), Some(9_939), 10_001), Promotion::Keep, "files still to come");
        assert_eq!(p(Some(10_000), Some(9_000), 12_100), Promotion::Ready, "settled");
        assert_eq!(p(Some(10_000), None, 12_099), Promotion::Keep);
        assert_eq!(p(Some(10_000), None, 12_100), Promotion::Delete, "a push without recording");
        assert_eq!(promotion(&G, Failed, Some(10_000), None, 99_999), Promotion::Keep, "failures stay");
        assert_eq!(promotion(&G, Recording, None, None, 99_999), Promotion::Keep);
    }

    #[test]
    fn migration_groups_by_time_alone() {
        let parts = [Span::new(0, 60), Span::new(60, 120), Span::new(400, 460), Span::new(1000, 1060)];
        assert_eq!(group_by_time(&G, &parts), vec![0, 0, 0, 3]);
        // A long first part still reaches a later one that starts inside it.
        assert_eq!(group_by_time(&G, &[Span::new(0, 5000), Span::new(10, 20), Span::new(5200, 5300)]), vec![0, 0, 0]);
    }
}
