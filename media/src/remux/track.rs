//! One track's samples on their way out: durations are known when the next sample
//! arrives, and timestamp discontinuities are stitched here.

use crate::mp4::{Sample, Track};
use crate::remux::MAX_GAP_MS;

pub(super) struct TrackState {
    pub track: Track,
    /// The newest sample: its duration is known only when the next one arrives.
    pub last: Option<Sample>,
    pub ready: Vec<Sample>,
    /// Added to this track's rebased timestamps to stitch discontinuities.
    shift: i64,
    last_duration: u32,
}

impl TrackState {
    pub fn new(track: Track, default_duration: u32) -> Self {
        TrackState { track, last: None, ready: Vec::new(), shift: 0, last_duration: default_duration }
    }

    /// Adds a sample at `dts` (rebased), closing the previous one.
    pub fn add(&mut self, mut dts: i64, cts: i32, key: bool, data: Vec<u8>) {
        if let Some(prev) = &self.last {
            let expected = prev.dts + i64::from(self.last_duration);
            let adjusted = dts + self.shift;
            if adjusted < prev.dts || adjusted > prev.dts + MAX_GAP_MS {
                self.shift += expected - adjusted;
            }
        }
        dts += self.shift;
        if let Some(mut prev) = self.last.take() {
            let d = (dts - prev.dts).clamp(0, u32::MAX as i64) as u32;
            prev.duration = if d == 0 { 1 } else { d };
            self.last_duration = prev.duration;
            self.ready.push(prev);
        }
        self.last = Some(Sample { dts, cts, duration: 0, key, data });
    }

    /// Closes the newest sample with the previous duration (end of input, or a cut).
    pub fn close(&mut self) {
        if let Some(mut s) = self.last.take() {
            s.duration = self.last_duration.max(1);
            self.ready.push(s);
        }
    }

    pub fn buffered_ms(&self) -> i64 {
        match (self.ready.first(), &self.last) {
            (Some(a), Some(b)) => b.dts - a.dts,
            _ => 0,
        }
    }
}
