//! A broadcast's storyboard as WebVTT: one cue per picture on the broadcast's timeline,
//! end to end from 0 to the whole duration, each cue's text an image URL with a
//! `#xywh=x,y,w,h` fragment (a tile of a sprite sheet, or a whole screenshot). Pure.

use std::fmt::Write;

use crate::store::{Screenshot, Storyboard};

/// One part of the timeline and the pictures it has.
#[derive(Clone, Debug)]
pub struct PartBoard<'a> {
    /// Where it starts on the broadcast's timeline, and how long it is (ms).
    pub offset_ms: i64,
    pub duration_ms: i64,
    /// Its wall-clock extent (Unix seconds), which screenshots are placed by.
    pub start_time: i64,
    pub end_time: i64,
    /// Its own storyboard and the URL its sheets are under (`…/images/{part}`).
    pub tiles: Option<(String, &'a Storyboard)>,
}

/// A cue: from `start_ms` to `end_ms` on the timeline, this picture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cue {
    pub start_ms: i64,
    pub end_ms: i64,
    pub text: String,
}

/// The cues of a timeline `total_ms` long: each part's tiles at their keyframe times
/// (shifted by the part's offset); a part without tiles takes the screenshots taken
/// during it, at `create_time − its start + its offset`. Cues follow each other without
/// gaps: the first starts at 0, each ends where the next starts, the last at the end.
pub fn cues(parts: &[PartBoard<'_>], shots: &[Screenshot], total_ms: i64) -> Vec<Cue> {
    let mut points: Vec<(i64, String)> = Vec::new();
    for p in parts {
        let within = |t: i64| p.offset_ms + t.clamp(0, (p.duration_ms - 1).max(0));
        match &p.tiles {
            Some((base, board)) => {
                for (i, &t) in board.tiles.iter().enumerate() {
                    let (sheet, [x, y, w, h]) = board.place(i);
                    points.push((within(t), format!("{base}/sheet-{sheet}.jpg#xywh={x},{y},{w},{h}")));
                }
            }
            None => {
                for s in shots
                    .iter()
                    .filter(|s| s.create_time >= p.start_time && s.create_time < p.end_time.max(p.start_time + 1))
                {
                    let at = within((s.create_time - p.start_time).saturating_mul(1000));
                    points.push((at, format!("{}#xywh=0,0,{},{}", s.url, s.width, s.height)));
                }
            }
        }
    }
    points.sort_by_key(|(at, _)| *at);
    points.dedup_by_key(|(at, _)| *at);
    points.retain(|(at, _)| *at < total_ms);
    let n = points.len();
    let starts: Vec<i64> = points.iter().enumerate().map(|(i, (at, _))| if i == 0 { 0 } else { *at }).collect();
    points
        .into_iter()
        .enumerate()
        .map(|(i, (_, text))| Cue {
            start_ms: starts[i],
            end_ms: if i + 1 < n { starts[i + 1] } else { total_ms },
            text,
        })
        .collect()
}

/// `HH:MM:SS.mmm`.
pub fn timestamp(ms: i64) -> String {
    let ms = ms.max(0);
    format!("{:02}:{:02}:{:02}.{:03}", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000)
}

/// The WebVTT file.
pub fn write(cues: &[Cue]) -> String {
    let mut out = String::with_capacity(16 + cues.len() * 96);
    out.push_str("WEBVTT\n");
    for c in cues {
        let _ = write!(out, "\n{} --> {}\n{}\n", timestamp(c.start_ms), timestamp(c.end_ms), c.text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn board(tiles: Vec<i64>) -> Storyboard {
        Storyboard { tile_width: 160, tile_height: 90, columns: 10, rows: 10, interval_ms: 10_000, tiles }
    }

    #[test]
    fn timestamps() {
        assert_eq!(timestamp(0), "00:00:00.000");
        assert_eq!(timestamp(3_723_004), "01:02:03.004");
        assert_eq!(timestamp(10 * 3_600_000 + 59_999), "10:00:59.999");
    }

    #[test]
    fn tiles_and_screenshots_on_one_timeline_end_to_end() {
        let b = board((0..12).map(|i| i * 10_000 + 40).collect());
        let parts = [
            // 120 s with its own tiles (first keyframe at 40 ms).
            PartBoard {
                offset_ms: 0,
                duration_ms: 120_000,
                start_time: 1000,
                end_time: 1120,
                tiles: Some(("/images/5".into(), &b)),
            },
            // 60 s after a 30 s gap, screenshots only.
            PartBoard { offset_ms: 120_000, duration_ms: 60_000, start_time: 1150, end_time: 1210, tiles: None },
        ];
        let shot =
            |t: i64| Screenshot { create_time: t, url: format!("https://cos/{t}.jpg"), width: 1280, height: 720 };
        // 1100 falls in the first part (tiles win there), 1130 in the gap: neither shown.
        let shots = [shot(1100), shot(1130), shot(1150), shot(1180)];
        let c = cues(&parts, &shots, 180_000);
        assert_eq!(c.len(), 14);
        assert_eq!(c[0], Cue { start_ms: 0, end_ms: 10_040, text: "/images/5/sheet-0.jpg#xywh=0,0,160,90".into() });
        assert_eq!(c[1].text, "/images/5/sheet-0.jpg#xywh=160,0,160,90");
        assert_eq!(c[11].text, "/images/5/sheet-0.jpg#xywh=160,90,160,90");
        assert_eq!((c[11].start_ms, c[11].end_ms), (110_040, 120_000));
        assert_eq!(
            c[12],
            Cue { start_ms: 120_000, end_ms: 150_000, text: "https://cos/1150.jpg#xywh=0,0,1280,720".into() }
        );
        assert_eq!((c[13].start_ms, c[13].end_ms), (150_000, 180_000));
        for w in c.windows(2) {
            assert_eq!(w[0].end_ms, w[1].start_ms);
            assert!(w[0].start_ms < w[0].end_ms);
        }
        let text = write(&c);
        assert!(text.starts_with("WEBVTT\n\n00:00:00.000 --> 00:00:10.040\n/images/5/sheet-0.jpg#xywh=0,0,160,90\n"));
        assert!(text.ends_with("00:02:30.000 --> 00:03:00.000\nhttps://cos/1180.jpg#xywh=0,0,1280,720\n"));
    }

    #[test]
    fn nothing_to_show_is_an_empty_storyboard() {
        assert!(cues(&[], &[], 10_000).is_empty());
        assert_eq!(write(&[]), "WEBVTT\n");
    }
}
