//! Where to jump in the file: the keyframe index, from the server
//! (`GET /api/v1/replays/{id}/keyframes`, in the API's own type) or else from the
//! file's own metadata, and the lookup of the keyframe at or before a time.

use std::cell::RefCell;

use relive_api::KeyframeIndex;
use wasm_bindgen_futures::JsFuture;

use super::download::{fetch, sleep};

/// A keyframe: its time, and the byte offset of its tag, where a `Range` request starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeekPoint {
    pub time_ms: i64,
    pub offset: u64,
}

/// The last keyframe at or before `time_ms` (the first one if none is).
pub fn point_before(ix: &KeyframeIndex, time_ms: i64) -> Option<SeekPoint> {
    let n = ix.times_ms.len().min(ix.offsets.len());
    let i = ix.times_ms[..n].partition_point(|&t| t <= time_ms).saturating_sub(1);
    Some(SeekPoint { time_ms: *ix.times_ms.get(i)?, offset: *ix.offsets.get(i)? })
}

/// The index of the file playing, once known.
#[derive(Default)]
pub struct SeekIndex(RefCell<Option<KeyframeIndex>>);

impl SeekIndex {
    /// The server's index: it replaces the file's own.
    pub fn set(&self, ix: KeyframeIndex) {
        *self.0.borrow_mut() = Some(ix);
    }

    /// The file's own keyframes (seconds, byte offsets), used while there is no other.
    pub fn offer_metadata(&self, keyframes: &[(f64, u64)]) {
        if self.0.borrow().is_none() && !keyframes.is_empty() {
            let (times_ms, offsets) = keyframes.iter().map(|&(t, p)| ((t * 1000.0) as i64, p)).unzip();
            self.set(KeyframeIndex { duration_ms: 0, times_ms, offsets });
        }
    }

    /// The first keyframe: what comes before it is the file's head.
    pub fn first(&self) -> Option<SeekPoint> {
        let ix = self.0.borrow();
        let ix = ix.as_ref()?;
        Some(SeekPoint { time_ms: *ix.times_ms.first()?, offset: *ix.offsets.first()? })
    }

    /// The seek point for `time` seconds.
    pub fn point_before(&self, time: f64) -> Option<SeekPoint> {
        self.0.borrow().as_ref().and_then(|ix| point_before(ix, (time * 1000.0) as i64))
    }
}

/// Fetches the server's index. The server may still be building it (202): ask again,
/// less and less often, for about two minutes.
pub async fn load(url: &str) -> Option<KeyframeIndex> {
    for attempt in 0..30 {
        let resp = fetch(url, None, None).await.ok()?;
        match resp.status() {
            200 => {
                let value = JsFuture::from(resp.json().ok()?).await.ok()?;
                return serde_wasm_bindgen::from_value::<KeyframeIndex>(value).ok();
            }
            202 => sleep((500 * (attempt + 1)).min(5000)).await,
            _ => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(points: &[(i64, u64)]) -> KeyframeIndex {
        KeyframeIndex {
            duration_ms: 10_000,
            times_ms: points.iter().map(|p| p.0).collect(),
            offsets: points.iter().map(|p| p.1).collect(),
        }
    }

    #[test]
    fn the_keyframe_at_or_before_a_time() {
        let ix = index(&[(0, 13), (2000, 500), (4000, 900)]);
        let at = |t| point_before(&ix, t).map(|p| (p.time_ms, p.offset));
        assert_eq!(at(0), Some((0, 13)));
        assert_eq!(at(1999), Some((0, 13)));
        assert_eq!(at(2000), Some((2000, 500)));
        assert_eq!(at(3500), Some((2000, 500)));
        assert_eq!(at(60_000), Some((4000, 900)));
        // Before the first keyframe: the first.
        assert_eq!(point_before(&index(&[(40, 13), (2000, 500)]), 10).map(|p| p.offset), Some(13));
        assert_eq!(point_before(&index(&[]), 10), None);
    }

    #[test]
    fn uneven_lists_are_read_as_far_as_both_go() {
        let ix = KeyframeIndex { duration_ms: 0, times_ms: vec![0, 1000, 2000], offsets: vec![1, 2] };
        assert_eq!(point_before(&ix, 5000), Some(SeekPoint { time_ms: 1000, offset: 2 }));
    }

    #[test]
    fn metadata_is_used_only_without_the_servers_index() {
        let s = SeekIndex::default();
        s.offer_metadata(&[(0.0, 13), (2.5, 700)]);
        assert_eq!(s.point_before(3.0), Some(SeekPoint { time_ms: 2500, offset: 700 }));
        s.set(index(&[(0, 13), (2000, 500)]));
        s.offer_metadata(&[(0.0, 13), (2.5, 700)]);
        assert_eq!(s.point_before(3.0), Some(SeekPoint { time_ms: 2000, offset: 500 }));
    }
}
