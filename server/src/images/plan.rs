//! Which keyframes a part's images are made of, and at what size: pure arithmetic.

/// Tile spacings a storyboard may have, seconds: the smallest giving at most
/// [`MAX_TILES`] tiles is taken, so a viewer's seek bar shows round numbers.
pub const LADDER_SECS: &[i64] = &[1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600];
/// The most tiles a part's storyboard has (a 3-hour part: one every 2 minutes, 90).
pub const MAX_TILES: i64 = 150;
/// Storyboard tiles are this wide; their height keeps the picture's aspect.
pub const TILE_WIDTH: u32 = 160;
/// Posters keep the video's size up to this width.
pub const POSTER_MAX_WIDTH: u32 = 1280;
/// Tiles per row, and rows, of one sprite sheet (a 16:9 sheet is 1600 × 900).
pub const SHEET_COLUMNS: u32 = 10;
pub const SHEET_ROWS: u32 = 10;
/// The poster is looked for this far in at most (or at 10 % of a shorter part).
pub const POSTER_AT_MS: i64 = 5_000;

/// The keyframes wanted: each target is met by the first keyframe at or after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub interval_ms: i64,
    /// One tile target every `interval_ms` from 0, before the end.
    pub tiles: Vec<i64>,
    /// Poster candidates in order: the first whose picture is not near black wins.
    pub poster: Vec<i64>,
}

impl Plan {
    /// The plan for a part of `duration_ms` (> 0).
    pub fn new(duration_ms: i64) -> Plan {
        let duration_ms = duration_ms.max(1);
        let interval_ms = interval_ms(duration_ms);
        let tiles = (0..).map(|i| i * interval_ms).take_while(|&t| t < duration_ms).collect();
        let first = POSTER_AT_MS.min(duration_ms / 10);
        let mut poster: Vec<i64> = [first, first + 5_000, first + 15_000, duration_ms / 4, duration_ms / 2]
            .into_iter()
            .filter(|&t| t < duration_ms)
            .collect();
        poster.sort_unstable();
        poster.dedup();
        Plan { interval_ms, tiles, poster }
    }

    /// Every target, for `relive_media::frames::Targets`.
    pub fn targets(&self) -> Vec<i64> {
        let mut all: Vec<i64> = self.tiles.iter().chain(&self.poster).copied().collect();
        all.sort_unstable();
        all.dedup();
        all
    }
}

/// The smallest spacing of the ladder giving at most [`MAX_TILES`] tiles; past the
/// ladder's top, whole hours.
pub fn interval_ms(duration_ms: i64) -> i64 {
    let tiles = |step_ms: i64| (duration_ms + step_ms - 1) / step_ms;
    LADDER_SECS.iter().map(|s| s * 1000).find(|&step| tiles(step) <= MAX_TILES).unwrap_or_else(|| {
        let hours = (duration_ms + MAX_TILES * 3_600_000 - 1) / (MAX_TILES * 3_600_000);
        hours * 3_600_000
    })
}

/// The poster's size: the picture's own, narrowed to [`POSTER_MAX_WIDTH`] keeping its
/// aspect.
pub fn poster_size(width: u32, height: u32) -> (u32, u32) {
    if width <= POSTER_MAX_WIDTH {
        (width, height)
    } else {
        (POSTER_MAX_WIDTH, scaled(height, POSTER_MAX_WIDTH, width))
    }
}

/// A tile's size: [`TILE_WIDTH`] wide (a narrower picture keeps its width), the height
/// by the aspect, at most four times the width (a strange stream stays a strip).
pub fn tile_size(width: u32, height: u32) -> (u32, u32) {
    let w = TILE_WIDTH.min(width.max(1));
    (w, scaled(height, w, width).min(4 * w))
}

/// `v * num / den` rounded, at least 1.
fn scaled(v: u32, num: u32, den: u32) -> u32 {
    let den = u64::from(den.max(1));
    ((u64::from(v) * u64::from(num) + den / 2) / den).clamp(1, u64::from(u32::MAX)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interval_is_the_smallest_rung_with_at_most_150_tiles() {
        assert_eq!(interval_ms(20_000), 1_000);
        assert_eq!(interval_ms(150_000), 1_000);
        assert_eq!(interval_ms(150_001), 2_000);
        assert_eq!(interval_ms(60_000 * 10), 5_000);
        assert_eq!(interval_ms(3_600_000), 30_000);
        assert_eq!(interval_ms(3 * 3_600_000), 120_000);
        assert_eq!(interval_ms(24 * 3_600_000), 600_000);
        assert_eq!(interval_ms(200 * 3_600_000), 7_200_000);
        for d in [1, 999, 1_000, 45_500, 1_000_000, 10_800_000, 100_000_000] {
            let p = Plan::new(d);
            assert!(p.tiles.len() as i64 <= MAX_TILES, "{d}");
            assert_eq!(p.tiles[0], 0);
            assert!(*p.tiles.last().unwrap() < d.max(1));
        }
    }

    #[test]
    fn poster_candidates_start_a_few_seconds_in() {
        let p = Plan::new(60_000);
        assert_eq!(p.poster, [5_000, 10_000, 15_000, 20_000, 30_000]);
        assert_eq!(p.tiles.len(), 60);
        // A short part: 10 % in.
        assert_eq!(Plan::new(20_000).poster, [2_000, 5_000, 7_000, 10_000, 17_000]);
        let p = Plan::new(3 * 3_600_000);
        assert_eq!((p.interval_ms, p.tiles.len()), (120_000, 90));
        assert_eq!(p.targets().len(), 90 + 4, "5 s, 10 s, 20 s and 45 min are not tiles; 90 min is");
    }

    #[test]
    fn sizes_keep_the_aspect() {
        assert_eq!(poster_size(1920, 1080), (1280, 720));
        assert_eq!(poster_size(640, 360), (640, 360));
        assert_eq!(poster_size(1080, 1920), (1080, 1920));
        assert_eq!(tile_size(1920, 1080), (160, 90));
        assert_eq!(tile_size(720, 1280), (160, 284));
        assert_eq!(tile_size(100, 50), (100, 50));
        assert_eq!(tile_size(4000, 2), (160, 1));
        assert_eq!(tile_size(160, 10_000), (160, 640));
    }
}
