//! A part's poster and storyboard made from its keyframes as they come, in time order:
//! each keyframe the [`Plan`] wants is decoded once and serves as a tile, a poster
//! candidate or both. One decoded picture at a time; the sprite sheet being filled is
//! the only other picture held. Blocking (decoding, scaling, JPEG): the blocking pool.

use std::path::{Path, PathBuf};

use openh264::decoder::Decoder;
use relive_media::frames::Keyframe;

use super::picture::{self, Sheets};
use super::plan::{self, Plan};
use crate::store::Storyboard;

/// What was made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Made {
    pub poster: Option<(u32, u32)>,
    pub storyboard: Option<Storyboard>,
    /// Keyframes decoded, and those that would not decode.
    pub decoded: usize,
    pub undecodable: usize,
}

type SheetWriter = Box<dyn FnMut(usize, Vec<u8>) -> Result<(), String> + Send>;

pub struct Maker {
    dir: PathBuf,
    plan: Plan,
    decoder: Decoder,
    /// The next tile target and poster candidate not yet met.
    next_tile: usize,
    next_poster: usize,
    poster: Option<(u32, u32)>,
    /// The brightest of the dark candidates, as JPEG, should every candidate be dark.
    fallback: Option<(f64, Vec<u8>, (u32, u32))>,
    sheets: Option<Sheets<SheetWriter>>,
    tiles: Vec<i64>,
    decoded: usize,
    undecodable: usize,
    last_error: Option<String>,
}

impl Maker {
    /// Images of a part `duration_ms` long, written into `dir` (`poster.jpg`, `sheet-N.jpg`).
    pub fn new(dir: &Path, duration_ms: i64) -> Result<Maker, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
        let decoder = Decoder::new().map_err(|e| format!("cannot start the H.264 decoder: {e}"))?;
        Ok(Maker {
            dir: dir.to_path_buf(),
            plan: Plan::new(duration_ms),
            decoder,
            next_tile: 0,
            next_poster: 0,
            poster: None,
            fallback: None,
            sheets: None,
            tiles: Vec::new(),
            decoded: 0,
            undecodable: 0,
            last_error: None,
        })
    }

    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Takes the next keyframe (times ascending). A keyframe that will not decode is
    /// passed over (counted); an error is what stops the whole part (a disk full).
    pub fn add(&mut self, kf: &Keyframe) -> Result<(), String> {
        let t = kf.time_ms;
        let tile = self.plan.tiles.get(self.next_tile).is_some_and(|&target| t >= target);
        let poster = self.poster.is_none() && self.plan.poster.get(self.next_poster).is_some_and(|&c| t >= c);
        if !tile && !poster {
            return Ok(());
        }
        while self.plan.tiles.get(self.next_tile).is_some_and(|&target| target <= t) {
            self.next_tile += 1;
        }
        while self.plan.poster.get(self.next_poster).is_some_and(|&c| c <= t) {
            self.next_poster += 1;
        }
        let frame = match picture::decode(&mut self.decoder, &kf.annexb) {
            Ok(f) => f,
            Err(e) => {
                tracing::debug!(time_ms = t, error = %e, "keyframe passed over");
                self.undecodable += 1;
                self.last_error = Some(e);
                return Ok(());
            }
        };
        self.decoded += 1;
        let (tw, th) = match &self.sheets {
            Some(s) => s.tile_size(),
            None => plan::tile_size(frame.width, frame.height),
        };
        let small = picture::downscale(&frame, tw, th);
        if tile {
            let sheets = self.sheets.get_or_insert_with(|| {
                let dir = self.dir.clone();
                let write: SheetWriter = Box::new(move |n, bytes| {
                    crate::files::write_durably(&dir.join(format!("sheet-{n}.jpg")), &bytes)
                        .map_err(|e| format!("cannot write a sprite sheet: {e}"))
                });
                Sheets::new((tw, th), plan::SHEET_COLUMNS, plan::SHEET_ROWS, write)
            });
            sheets.add(&small)?;
            self.tiles.push(t);
        }
        if poster {
            let luma = picture::mean_luma(&small);
            let dark = luma < picture::BLACK_LUMA;
            if !dark || self.fallback.as_ref().is_none_or(|(l, _, _)| luma > *l) {
                let size = plan::poster_size(frame.width, frame.height);
                let scaled = picture::downscale(&frame, size.0, size.1);
                drop(frame);
                let bytes = picture::jpeg(&scaled, picture::POSTER_QUALITY)?;
                if dark {
                    self.fallback = Some((luma, bytes, size));
                } else {
                    self.write_poster(&bytes, size)?;
                }
            }
        }
        Ok(())
    }

    fn write_poster(&mut self, bytes: &[u8], size: (u32, u32)) -> Result<(), String> {
        crate::files::write_durably(&self.dir.join("poster.jpg"), bytes)
            .map_err(|e| format!("cannot write the poster: {e}"))?;
        self.poster = Some(size);
        self.fallback = None;
        Ok(())
    }

    /// Every target met: nothing more to read.
    pub fn done(&self) -> bool {
        self.next_tile >= self.plan.tiles.len() && (self.poster.is_some() || self.next_poster >= self.plan.poster.len())
    }

    /// Writes the last sheet (and a dark poster if no candidate was lighter). An error
    /// when nothing could be made.
    pub fn finish(mut self) -> Result<Made, String> {
        if self.poster.is_none()
            && let Some((_, bytes, size)) = self.fallback.take()
        {
            self.write_poster(&bytes, size)?;
        }
        let storyboard = match self.sheets.take() {
            Some(sheets) => {
                let (tile_width, tile_height) = sheets.tile_size();
                sheets.finish()?;
                Some(Storyboard {
                    tile_width,
                    tile_height,
                    columns: plan::SHEET_COLUMNS,
                    rows: plan::SHEET_ROWS,
                    interval_ms: self.plan.interval_ms,
                    tiles: std::mem::take(&mut self.tiles),
                })
            }
            None => None,
        };
        if self.poster.is_none() && storyboard.is_none() {
            return Err(match (self.undecodable, self.last_error) {
                (0, _) => "no keyframe found to make a picture of".into(),
                (n, e) => format!("no keyframe would decode ({n} tried): {}", e.unwrap_or_default()),
            });
        }
        Ok(Made { poster: self.poster, storyboard, decoded: self.decoded, undecodable: self.undecodable })
    }
}

#[cfg(test)]
mod tests {
    use openh264::encoder::Encoder;
    use openh264::formats::{RgbSliceU8, YUVBuffer};

    use super::*;

    /// Real H.264 keyframes of one colour each, from OpenH264's encoder.
    pub fn keyframes(width: usize, height: usize, colours: &[(i64, [u8; 3])]) -> Vec<Keyframe> {
        let mut enc = Encoder::new().unwrap();
        colours
            .iter()
            .map(|&(time_ms, rgb)| {
                let data: Vec<u8> = rgb.iter().copied().cycle().take(width * height * 3).collect();
                let yuv = YUVBuffer::from_rgb8_source(RgbSliceU8::new(&data, (width, height)));
                enc.force_intra_frame();
                Keyframe { time_ms, annexb: enc.encode(&yuv).unwrap().to_vec() }
            })
            .collect()
    }

    fn jpeg_size(bytes: &[u8]) -> (u16, u16) {
        let at = bytes.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        (u16::from_be_bytes([bytes[at + 7], bytes[at + 8]]), u16::from_be_bytes([bytes[at + 5], bytes[at + 6]]))
    }

    #[test]
    fn a_black_start_is_passed_over_for_the_poster_and_tiles_follow_the_keyframes() {
        let dir = tempfile::tempdir().unwrap();
        // 30 s: tiles every second planned, a keyframe every 2 s; black for the first 4 s.
        let colours: Vec<(i64, [u8; 3])> =
            (0..15).map(|i| (i * 2000, if i < 2 { [0, 0, 0] } else { [200, 40, 40] })).collect();
        let mut m = Maker::new(dir.path(), 30_000).unwrap();
        assert_eq!(m.plan().poster[0], 3_000);
        for kf in keyframes(320, 180, &colours) {
            m.add(&kf).unwrap();
        }
        assert!(!m.done(), "no keyframe comes at or after the 29 s target");
        let made = m.finish().unwrap();
        assert_eq!(made.poster, Some((320, 180)));
        let b = made.storyboard.unwrap();
        assert_eq!((b.tile_width, b.tile_height, b.interval_ms), (160, 90, 1000));
        assert_eq!(b.tiles, (0..15).map(|i| i * 2000).collect::<Vec<_>>(), "one tile per keyframe");
        let poster = std::fs::read(dir.path().join("poster.jpg")).unwrap();
        assert_eq!(jpeg_size(&poster), (320, 180));
        let sheet = std::fs::read(dir.path().join("sheet-0.jpg")).unwrap();
        assert_eq!(jpeg_size(&sheet), (1600, 180), "15 tiles: one full row and a half");
        assert!(!dir.path().join("sheet-1.jpg").exists());
    }

    #[test]
    fn an_all_dark_part_gets_its_lightest_candidate_and_garbage_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let colours: Vec<(i64, [u8; 3])> = (0..10).map(|i| (i * 1000, [i as u8, i as u8, i as u8])).collect();
        let mut m = Maker::new(dir.path(), 10_000).unwrap();
        for kf in keyframes(64, 64, &colours) {
            m.add(&kf).unwrap();
        }
        assert_eq!(m.finish().unwrap().poster, Some((64, 64)));

        let mut m = Maker::new(dir.path(), 10_000).unwrap();
        m.add(&Keyframe { time_ms: 0, annexb: vec![0, 0, 0, 1, 0x65, 1, 2, 3] }).unwrap();
        m.add(&Keyframe { time_ms: 5000, annexb: vec![0xFF; 64] }).unwrap();
        let e = m.finish().unwrap_err();
        assert!(e.starts_with("no keyframe would decode (2 tried)") || e.starts_with("no keyframe found"), "{e}");
    }
}
