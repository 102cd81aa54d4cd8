//! MPEG-TS (HLS segments) → fragmented MP4, incrementally: [`TsRemuxer::begin_segment`]
//! with the segment's place in the playlist, [`TsRemuxer::push`] its bytes as they
//! arrive, [`TsRemuxer::end_segment`], and take init and media segments out for a
//! `SourceBuffer` — the same [`Output`]s, MIME strings and track ids (video 1, audio 2)
//! as the FLV [`Remuxer`](crate::Remuxer).
//!
//! # Timeline
//!
//! Output time (ms) = (timestamp − base) / 90 + anchor, per discontinuity range: the
//! first segment of a range that the remuxer sees sets its anchor (that segment's
//! `start_ms`) and base (the smallest first DTS/PTS among its streams, 90 kHz). Later
//! segments of the range keep the mapping — after a seek too — so consecutive segments
//! follow on by their own timestamps, a discontinuity starts again at its playlist
//! position, and a seek back into a range already seen lands where it did before.
//!
//! 33-bit timestamps are unwrapped: each is moved by multiples of 2^33 to within 2^32
//! of a reference (the stream's previous timestamp, or the base).
//!
//! A segment whose timestamps jump more than [`MAX_JUMP_MS`] from where its range's
//! mapping would put it (Tencent's 续录 playlists may lack the discontinuity tag) starts
//! a new mapping at its `start_ms`. Within a segment, a stream that jumps more than
//! [`MAX_JUMP_MS`] forward or [`MAX_BACK_MS`] back continues where it was.

use super::demux::{Demuxer, Frame};
use super::pes::{TICKS_PER_SECOND, TIMESTAMP_MODULO};
use crate::error::Result;
use crate::mp4::{Sample, Track, TrackConfig};
use crate::remux::{AUDIO_TRACK, Output, VIDEO_TRACK, due_media, init_output};

/// A timestamp further than this from where it was expected is a discontinuity.
pub const MAX_JUMP_MS: i64 = 10_000;
/// A step back further than this within a stream is a discontinuity.
pub const MAX_BACK_MS: i64 = 1_000;
/// An init segment is sent without a stream the PMT announced once the other has
/// buffered this much.
const MAX_WAIT_FOR_CONFIG_MS: i64 = 1_000;
/// A segment's timeline mapping is chosen once every stream has a frame, or one of
/// them spans this much, or this many frames wait.
const MAX_WAIT_FOR_STREAMS_TICKS: i64 = TICKS_PER_SECOND;
const MAX_WAITING_FRAMES: usize = 2_000;
/// `start_ms` is clamped to this (about 35,000 years): no arithmetic can overflow.
const MAX_START_MS: i64 = 1 << 50;
/// Mappings kept at most; beyond, the oldest not in use is replaced (only a stream
/// whose timestamps jump all the time gets there).
const MAX_MAPPINGS: usize = 1024;
const VIDEO: usize = 0;
const AUDIO: usize = 1;

/// Moves a 33-bit timestamp by multiples of 2^33 to within 2^32 of `reference` (hls.js
/// `normalizePts`).
pub fn unwrap_timestamp(ts: i64, reference: i64) -> i64 {
    let k = (reference - ts + TIMESTAMP_MODULO / 2).div_euclid(TIMESTAMP_MODULO);
    ts + k * TIMESTAMP_MODULO
}

/// 90 kHz ticks to milliseconds, rounded.
pub(crate) fn ticks_to_ms(ticks: i64) -> i64 {
    (2 * ticks + 90).div_euclid(180)
}

/// One piece of the timeline: timestamps from `base` (unwrapped) go to `anchor` ms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Mapping {
    range: u64,
    base: i64,
    anchor: i64,
}

impl Mapping {
    fn to_ms(self, ts: i64) -> i64 {
        ticks_to_ms(ts - self.base) + self.anchor
    }
}

/// A stream's place on the timeline.
#[derive(Clone, Copy, Debug, Default)]
struct Clock {
    /// Index in `TsRemuxer::mappings`.
    mapping: Option<usize>,
    /// The last timestamp, unwrapped: the reference for the next.
    last: Option<i64>,
    /// Where the next frame should start (ms), within the segment.
    expected: Option<i64>,
}

/// One track's samples on their way out: a sample's duration is known when the next
/// one arrives, or at the end of the segment.
#[derive(Debug)]
struct TrackState {
    track: Track,
    last: Option<(Sample, Option<i64>)>,
    ready: Vec<Sample>,
    last_duration: u32,
}

impl TrackState {
    fn new(track: Track) -> Self {
        let last_duration = if track.is_video() { 33 } else { 23 };
        TrackState { track, last: None, ready: Vec::new(), last_duration }
    }

    /// Adds a sample at `dts` (ms), closing the previous one. `end`: where it ends, when
    /// known (audio).
    fn add(&mut self, dts: i64, cts: i32, key: bool, data: Vec<u8>, end: Option<i64>) {
        if let Some((mut prev, _)) = self.last.take() {
            prev.duration = (dts - prev.dts).clamp(1, i64::from(u32::MAX)) as u32;
            self.last_duration = prev.duration;
            self.ready.push(prev);
        }
        self.last = Some((Sample { dts, cts, duration: 0, key, data }, end));
    }

    /// Closes the newest sample: with its own end, or the previous duration.
    fn close(&mut self) {
        if let Some((mut s, end)) = self.last.take() {
            s.duration = match end {
                Some(end) if end > s.dts => (end - s.dts).min(i64::from(u32::MAX)) as u32,
                _ => self.last_duration.max(1),
            };
            self.ready.push(s);
        }
    }

    fn buffered_ms(&self) -> i64 {
        match (self.ready.first(), &self.last) {
            (Some(a), Some((b, _))) => b.dts - a.dts,
            _ => 0,
        }
    }
}

/// The segment being read.
#[derive(Debug, Default)]
struct Segment {
    start_ms: i64,
    range: u64,
    /// The segment before it was of the same range.
    same_range_as_previous: bool,
    /// The timeline mapping is chosen; until then frames wait in `waiting`.
    mapped: bool,
    waiting: Vec<Frame>,
    /// The first and the latest timestamp of each stream among `waiting` (the latest
    /// unwrapped against the first).
    seen: [Option<(i64, i64)>; 2],
}

/// The incremental TS → fragmented MP4 remuxer, fed one HLS segment at a time.
pub struct TsRemuxer {
    demux: Demuxer,
    frames: Vec<Frame>,
    segment: Segment,
    begun: bool,
    mappings: Vec<Mapping>,
    /// Where `new_mapping` looks for one to replace, once there are `MAX_MAPPINGS`.
    recycle: usize,
    clocks: [Clock; 2],
    video: Option<TrackState>,
    audio: Option<TrackState>,
    init_sent: bool,
    /// A media segment went out since this segment began.
    media_sent: bool,
    sequence: u32,
    out: Vec<Output>,
}

impl Default for TsRemuxer {
    fn default() -> Self {
        Self::new()
    }
}

impl TsRemuxer {
    pub fn new() -> Self {
        TsRemuxer {
            demux: Demuxer::new(),
            frames: Vec::new(),
            segment: Segment::default(),
            begun: false,
            mappings: Vec::new(),
            recycle: 0,
            clocks: [Clock::default(); 2],
            video: None,
            audio: None,
            init_sent: false,
            media_sent: false,
            sequence: 0,
            out: Vec::new(),
        }
    }

    /// A new HLS segment begins. `start_ms`: where it starts on the output timeline
    /// (the playlist's cumulative EXTINF, ms). `discontinuity`: its discontinuity
    /// sequence number (EXT-X-DISCONTINUITY-SEQUENCE + the DISCONTINUITY tags before it).
    /// Drops packet/PES state and samples not yet given out (so it also serves as the
    /// restart after a seek), keeps codec configurations and the per-discontinuity
    /// timestamp mapping.
    pub fn begin_segment(&mut self, start_ms: i64, discontinuity: u64) {
        let same_range = self.begun && self.segment.range == discontinuity;
        self.demux.begin_segment(!same_range);
        self.segment = Segment {
            start_ms: start_ms.clamp(-MAX_START_MS, MAX_START_MS),
            range: discontinuity,
            same_range_as_previous: same_range,
            ..Segment::default()
        };
        self.begun = true;
        self.media_sent = false;
        for t in [&mut self.video, &mut self.audio].into_iter().flatten() {
            t.last = None;
            t.ready.clear();
        }
        for c in &mut self.clocks {
            c.expected = None;
        }
    }

    /// Feeds bytes of the current segment, in chunks of any size. Output produced
    /// before an error stays available.
    pub fn push(&mut self, bytes: &[u8]) -> Result<()> {
        if !self.begun {
            self.begin_segment(0, 0);
        }
        let mut frames = std::mem::take(&mut self.frames);
        let result = self.demux.push(bytes, &mut frames);
        for f in frames.drain(..) {
            self.frame(f);
        }
        self.frames = frames;
        self.emit(false);
        result
    }

    /// The current segment's bytes are all in: flush the PES being assembled, close
    /// the samples, emit what is left.
    pub fn end_segment(&mut self) -> Result<()> {
        if !self.begun {
            self.begin_segment(0, 0);
        }
        let mut frames = std::mem::take(&mut self.frames);
        let result = self.demux.end_segment(&mut frames);
        for f in frames.drain(..) {
            self.frame(f);
        }
        self.frames = frames;
        if !self.segment.mapped {
            self.map_segment();
        }
        for t in [&mut self.video, &mut self.audio].into_iter().flatten() {
            t.close();
        }
        self.emit(true);
        result
    }

    /// Takes the segments produced so far.
    pub fn take_output(&mut self) -> Vec<Output> {
        std::mem::take(&mut self.out)
    }

    fn frame(&mut self, f: Frame) {
        if self.segment.mapped {
            self.place(f);
            return;
        }
        let timed = match &f {
            Frame::Video(v) => Some((VIDEO, v.dts)),
            Frame::Audio(a) => Some((AUDIO, a.pts)),
            _ => None,
        };
        self.segment.waiting.push(f);
        if let Some((stream, ts)) = timed {
            let seen = &mut self.segment.seen[stream];
            match seen {
                None => *seen = Some((ts, ts)),
                Some((first, last)) => *last = unwrap_timestamp(ts, *first),
            }
            if self.ready_to_map() {
                self.map_segment();
            }
        }
    }

    /// Every stream of the program has a frame in this segment, or one has waited long.
    fn ready_to_map(&self) -> bool {
        let program = self.demux.program().unwrap_or_default();
        let [video, audio] = self.segment.seen;
        let all = (video.is_some() || program.video_pid.is_none()) && (audio.is_some() || program.audio_pid.is_none());
        let long = self.segment.seen.iter().flatten().any(|(first, last)| last - first >= MAX_WAIT_FOR_STREAMS_TICKS);
        all || long || self.segment.waiting.len() > MAX_WAITING_FRAMES
    }

    /// Chooses the segment's timeline mapping, then places the frames that waited.
    fn map_segment(&mut self) {
        self.segment.mapped = true;
        let seen: Vec<i64> = self.segment.seen.iter().flatten().map(|s| s.0).collect();
        if let Some(&first) = seen.first() {
            // The smallest first timestamp among the streams.
            let t = seen.iter().map(|&s| unwrap_timestamp(s, first)).min().unwrap_or(first);
            let (mapping, t) = self.choose_mapping(t);
            for c in &mut self.clocks {
                *c = Clock { mapping: Some(mapping), last: Some(t), expected: None };
            }
        }
        for f in std::mem::take(&mut self.segment.waiting) {
            self.place(f);
        }
    }

    /// The mapping for a segment whose first timestamp is `t` (raw); returns it and `t`
    /// unwrapped.
    fn choose_mapping(&mut self, t: i64) -> (usize, i64) {
        let (range, start) = (self.segment.range, self.segment.start_ms);
        let window = -MAX_BACK_MS * 90..=MAX_JUMP_MS * 90;
        // The segment after the one before: continuous by its own timestamps.
        if self.segment.same_range_as_previous
            && let Some(c) = self.clocks.iter().filter(|c| c.last.is_some()).max_by_key(|c| c.last)
            && let (Some(m), Some(last)) = (c.mapping, c.last)
            && self.mappings.get(m).is_some_and(|m| m.range == range)
        {
            let u = unwrap_timestamp(t, last);
            if window.contains(&(u - last)) {
                return (m, u);
            }
        }
        // A mapping of this range that puts it near its playlist position.
        let best = self
            .mappings
            .iter()
            .enumerate()
            .filter(|(_, m)| m.range == range)
            .map(|(i, m)| {
                let u = unwrap_timestamp(t, m.base);
                (i, u, (m.to_ms(u) - start).abs())
            })
            .min_by_key(|&(_, _, distance)| distance);
        if let Some((i, u, distance)) = best
            && distance <= MAX_JUMP_MS
        {
            return (i, u);
        }
        // The first segment of the range, or a jump: a new mapping at the playlist position.
        let u = best.map_or(t, |(_, u, _)| u);
        (self.new_mapping(Mapping { range, base: u, anchor: start }), u)
    }

    /// Adds a mapping; returns its index.
    fn new_mapping(&mut self, m: Mapping) -> usize {
        if self.mappings.len() < MAX_MAPPINGS {
            self.mappings.push(m);
            return self.mappings.len() - 1;
        }
        let in_use = |i: usize| self.clocks.iter().any(|c| c.mapping == Some(i));
        let mut i = self.recycle % MAX_MAPPINGS;
        while in_use(i) {
            i = (i + 1) % MAX_MAPPINGS;
        }
        self.recycle = i + 1;
        self.mappings[i] = m;
        i
    }

    /// A timestamp of `stream` on the output timeline (ms), and unwrapped; a jump within
    /// the segment continues from where the stream was.
    fn position(&mut self, stream: usize, ts: i64) -> (i64, i64) {
        let range = self.segment.range;
        let clock = self.clocks[stream];
        let mapping = match clock.mapping {
            Some(m) => m,
            None => self.new_mapping(Mapping { range, base: ts, anchor: self.segment.start_ms }),
        };
        let m = self.mappings[mapping];
        let u = unwrap_timestamp(ts, clock.last.unwrap_or(m.base));
        let mut placed = (mapping, u, m.to_ms(u));
        if let Some(expected) = clock.expected {
            let fits = |ms: i64| (expected - MAX_BACK_MS..=expected + MAX_JUMP_MS).contains(&ms);
            if !fits(placed.2) {
                let other = self.mappings.iter().enumerate().filter(|(_, m)| m.range == range).find_map(|(i, m)| {
                    let u = unwrap_timestamp(ts, m.base);
                    fits(m.to_ms(u)).then_some((i, u, m.to_ms(u)))
                });
                // Else on from where the streams got to (the furthest, so that no stream
                // overlaps itself).
                let anchor = self.clocks.iter().filter_map(|c| c.expected).max().unwrap_or(expected);
                placed = other.unwrap_or_else(|| (self.new_mapping(Mapping { range, base: u, anchor }), u, anchor));
            }
        }
        let (mapping, u, ms) = placed;
        self.clocks[stream].mapping = Some(mapping);
        self.clocks[stream].last = Some(u);
        (ms, u)
    }

    /// Places a frame on the timeline and adds it to its track (or applies a
    /// configuration).
    fn place(&mut self, f: Frame) {
        match f {
            Frame::VideoConfig(c) => self.configure(Track { id: VIDEO_TRACK, config: TrackConfig::Video(c) }),
            Frame::AudioConfig(c) => self.configure(Track { id: AUDIO_TRACK, config: TrackConfig::Audio(c) }),
            Frame::Video(v) => {
                let (dts, u) = self.position(VIDEO, v.dts);
                let m = self.mappings[self.clocks[VIDEO].mapping.unwrap_or_default()];
                let pts = m.to_ms(unwrap_timestamp(v.pts, u));
                let cts = (pts - dts).clamp(-100_000, 100_000) as i32;
                let duration = self.video.as_ref().map_or(33, |t| i64::from(t.last_duration));
                self.clocks[VIDEO].expected = Some(dts + duration);
                if let Some(t) = &mut self.video {
                    t.add(dts, cts, v.key, v.data, None);
                }
            }
            Frame::Audio(a) => {
                let (pts, u) = self.position(AUDIO, a.pts);
                let m = self.mappings[self.clocks[AUDIO].mapping.unwrap_or_default()];
                let end = m.to_ms(u + a.duration);
                self.clocks[AUDIO].expected = Some(end);
                if let Some(t) = &mut self.audio {
                    t.add(pts, 0, true, a.data, Some(end));
                }
            }
        }
    }

    /// A configuration: a new track, or a new configuration for one.
    fn configure(&mut self, track: Track) {
        let video = track.is_video();
        let slot = if video { &self.video } else { &self.audio };
        if slot.as_ref().is_some_and(|t| t.track == track) {
            return;
        }
        if slot.is_some() && self.init_sent {
            // A change: what came before goes out under the old init segment.
            for t in [&mut self.video, &mut self.audio].into_iter().flatten() {
                t.close();
            }
            self.emit(true);
        }
        let slot = if video { &mut self.video } else { &mut self.audio };
        match slot {
            Some(t) => t.track = track,
            None => *slot = Some(TrackState::new(track)),
        }
        // A new init segment, with both tracks, before the next media.
        self.init_sent = false;
    }

    fn ready_for_init(&self, end: bool) -> bool {
        let program = self.demux.program().unwrap_or_default();
        let (v, a) = (self.video.is_some(), self.audio.is_some());
        if !v && !a {
            return false;
        }
        let complete = (v || program.video_pid.is_none()) && (a || program.audio_pid.is_none());
        let waited = [&self.video, &self.audio].into_iter().flatten().any(|t| t.buffered_ms() > MAX_WAIT_FOR_CONFIG_MS);
        complete || waited || end
    }

    fn emit(&mut self, end: bool) {
        if !self.init_sent {
            if !self.ready_for_init(end) {
                return;
            }
            let tracks: Vec<&Track> = [&self.video, &self.audio].into_iter().flatten().map(|t| &t.track).collect();
            self.out.push(init_output(&tracks));
            self.init_sent = true;
        }
        // After a segment's first media segment, samples are gathered (as in the FLV remuxer).
        let tracks = [&mut self.video, &mut self.audio].map(|t| t.as_mut().map(|t| (&t.track, &mut t.ready)));
        self.out.extend(due_media(tracks, &mut self.sequence, &mut self.media_sent, end));
    }
}

/// A whole TS file (one segment at 0) to fragmented MP4 outputs; for tests and benches.
pub fn remux_all(ts: &[u8]) -> Result<Vec<Output>> {
    let mut r = TsRemuxer::new();
    r.begin_segment(0, 0);
    r.push(ts)?;
    r.end_segment()?;
    Ok(r.take_output())
}
