//! A replay's storyboard: the WebVTT file of seek-bar previews (`Replay::storyboard_url`).
//! Each cue is a stretch of the timeline and its text an image URL with a
//! `#xywh=x,y,w,h` fragment: that rectangle of the image (a tile of a sprite sheet) is
//! the preview. Pure: parsed once when the seek bar is first hovered, looked up on every
//! pointer move.

/// A rectangle of an image, in the image's pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rect {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

/// One cue: from `start` to `end` (seconds), show `rect` of the image at `url`.
#[derive(Clone, Debug, PartialEq)]
pub struct Tile {
    pub start: f64,
    pub end: f64,
    /// Absolute, or absolute-path (`/media/…`) when the VTT's own URL was.
    pub url: String,
    pub rect: Rect,
}

/// The tiles in time order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Storyboard {
    tiles: Vec<Tile>,
}

impl Storyboard {
    /// Reads a WebVTT file fetched from `base` (relative image URLs resolve against it).
    /// Cues that are not a time range and an image with a `#xywh=` fragment are skipped.
    /// (Written small: it is in the first download.)
    pub fn parse(text: &str, base: &str) -> Storyboard {
        let mut tiles: Vec<Tile> = Vec::new();
        // The timings just read: the next line is the cue's image.
        let mut cue = None;
        for line in text.lines().map(str::trim) {
            if line.is_empty() {
                cue = None;
            } else if line.contains("-->") {
                cue = timings(line);
            } else if let (Some((start, end)), Some((url, rect))) = (cue.take(), image(line)) {
                // In time order (they come so: each goes at the end).
                let at = tiles.partition_point(|t| t.start <= start);
                tiles.insert(at, Tile { start, end, url: resolve(base, url), rect });
            }
        }
        Storyboard { tiles }
    }

    pub fn tiles(&self) -> &[Tile] {
        &self.tiles
    }

    /// The tile showing time `t` (seconds): the last one starting at or before it, if it
    /// has not ended (the last tile also holds its own end, the replay's).
    pub fn tile_at(&self, t: f64) -> Option<&Tile> {
        let i = self.tiles.partition_point(|c| c.start <= t).checked_sub(1)?;
        let tile = &self.tiles[i];
        let last = i + 1 == self.tiles.len();
        (t < tile.end || (last && t <= tile.end)).then_some(tile)
    }
}

/// `00:01:02.500 --> 00:01:05.000 align:start` → (62.5, 65.0).
fn timings(line: &str) -> Option<(f64, f64)> {
    let (a, b) = line.split_once("-->")?;
    let start = timestamp(a.trim_end())?;
    let end = timestamp(b.trim_start().split([' ', '\t']).next()?)?;
    (end > start).then_some((start, end))
}

/// `HH:MM:SS.mmm` (hours of any length) or `MM:SS.mmm`, in seconds.
pub fn timestamp(s: &str) -> Option<f64> {
    let (clock, millis) = s.split_once('.')?;
    let millis = digits(millis).filter(|_| millis.len() == 3)?;
    let (rest, sec) = clock.rsplit_once(':')?;
    let (h, m) = match rest.rsplit_once(':') {
        Some((h, m)) => (digits(h)?, m),
        None => (0, rest),
    };
    let sexagesimal = |f: &str| digits(f).filter(|n| f.len() == 2 && *n < 60);
    let (m, sec) = (sexagesimal(m)?, sexagesimal(sec)?);
    Some(((h * 60 + m) * 60 + sec) as f64 + millis as f64 / 1000.0)
}

/// A plain decimal number (ASCII digits only).
fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 12 {
        return None;
    }
    s.bytes().try_fold(0, |n, b| b.is_ascii_digit().then(|| n * 10 + u64::from(b - b'0')))
}

/// `sheet.jpg#xywh=160,0,160,90` (or `#xywh=pixel:…`) → the URL and the rectangle.
fn image(text: &str) -> Option<(&str, Rect)> {
    let (url, values) = text.split_once("#xywh=")?;
    let values = values.strip_prefix("pixel:").unwrap_or(values);
    let mut n = values.split(',').map(|v| digits(v.trim()).and_then(|n| u32::try_from(n).ok()));
    let (x, y, w, h) = (n.next()??, n.next()??, n.next()??, n.next()??);
    (n.next().is_none() && w > 0 && h > 0 && !url.is_empty()).then_some((url, Rect { x, y, w, h }))
}

/// `reference` resolved against `base` (an absolute URL or an absolute path): an
/// absolute URL stays, `//host/…` takes the base's scheme, `/…` its origin, anything
/// else its directory (`.` and `..` are left for the browser to apply).
pub fn resolve(base: &str, reference: &str) -> String {
    let base = base.split(['?', '#']).next().unwrap_or_default();
    let scheme = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme..].find('/').map_or(base.len(), |i| scheme + i);
    let absolute = reference.split(['/', '?', '#']).next().is_some_and(|s| s.ends_with(':'));
    let prefix = if absolute {
        ""
    } else if reference.starts_with("//") {
        &base[..scheme.saturating_sub(2)]
    } else if reference.starts_with('/') {
        &base[..host_end]
    } else {
        let dir = base[host_end..].rfind('/').map_or(host_end, |i| host_end + i);
        return format!("{}/{reference}", &base[..dir]);
    };
    format!("{prefix}{reference}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const VTT: &str = "WEBVTT\n\nNOTE made by relive\n\n01:00:00.000 --> 01:00:05.500\n/abs/sheet-9.jpg#xywh=320,180,160,90\n\n1\n00:00:00.000 --> 00:00:10.000\nsheet-0.jpg#xywh=0,0,160,90\n\n\
        00:00:10.000 --> 00:00:20.000 align:start\nsheet-0.jpg#xywh=160,0,160,90\n\n\
        00:20.000 --> 00:30.000\r\nhttps://cdn.example/x/sheet-1.jpg#xywh=pixel:0,90,160,90\n\n\
        00:00:30.000 --> 00:00:40.000\nno-fragment.jpg\n\n\
        00:00:40.000 --> 00:00:35.000\nsheet-1.jpg#xywh=0,0,160,90\n\n\
        00:00:xx.000 --> 00:00:50.000\nsheet-1.jpg#xywh=0,0,160,90\n\n\
        00:00:50.000 --> 00:01:00.000\nsheet-1.jpg#xywh=0,0,0,90\n";

    #[test]
    fn cues_become_tiles_in_time_order_and_bad_ones_are_skipped() {
        let s = Storyboard::parse(VTT, "https://relive.example/media/storyboards/7/storyboard.vtt?sig=1");
        let tiles = s.tiles();
        assert_eq!(tiles.len(), 4, "{tiles:#?}");
        assert_eq!(
            tiles[0],
            Tile {
                start: 0.0,
                end: 10.0,
                url: "https://relive.example/media/storyboards/7/sheet-0.jpg".into(),
                rect: Rect { x: 0, y: 0, w: 160, h: 90 }
            }
        );
        assert_eq!(tiles[1].rect.x, 160);
        assert_eq!((tiles[2].start, tiles[2].end), (20.0, 30.0), "MM:SS.mmm");
        assert_eq!(tiles[2].url, "https://cdn.example/x/sheet-1.jpg");
        assert_eq!(tiles[2].rect, Rect { x: 0, y: 90, w: 160, h: 90 });
        assert_eq!((tiles[3].start, tiles[3].end), (3600.0, 3605.5));
        assert_eq!(tiles[3].url, "https://relive.example/abs/sheet-9.jpg");
    }

    #[test]
    fn a_tile_is_found_for_a_time() {
        let s = Storyboard::parse(VTT, "/media/7/storyboard.vtt");
        let at = |t| s.tile_at(t).map(|c| (c.start, c.url.as_str()));
        assert_eq!(at(0.0), Some((0.0, "/media/7/sheet-0.jpg")));
        assert_eq!(at(9.999), Some((0.0, "/media/7/sheet-0.jpg")));
        assert_eq!(at(10.0), Some((10.0, "/media/7/sheet-0.jpg")));
        assert_eq!(at(35.0), None, "a stretch without a tile");
        assert_eq!(at(-1.0), None);
        assert_eq!(at(3605.5), Some((3600.0, "/abs/sheet-9.jpg")), "the last tile holds its end");
        assert_eq!(at(3606.0), None);
        assert_eq!(Storyboard::default().tile_at(1.0), None);
    }

    #[test]
    fn timestamps() {
        assert_eq!(timestamp("00:01:02.500"), Some(62.5));
        assert_eq!(timestamp("01:02.500"), Some(62.5));
        assert_eq!(timestamp("100:00:00.001"), Some(360_000.001));
        for bad in ["1:02.500", "00:60.000", "00:00:00", "00:00.5", "aa:00.000", "00:00:00:00.000", ""] {
            assert_eq!(timestamp(bad), None, "{bad}");
        }
    }

    #[test]
    fn urls_resolve_against_the_vtt() {
        let b = "https://h.example/a/b/s.vtt?t=1";
        assert_eq!(resolve(b, "x.jpg"), "https://h.example/a/b/x.jpg");
        assert_eq!(resolve(b, "../x.jpg?k=2"), "https://h.example/a/b/../x.jpg?k=2", "the browser applies `..`");
        assert_eq!(resolve(b, "/x.jpg"), "https://h.example/x.jpg");
        assert_eq!(resolve(b, "//cdn.example/x.jpg"), "https://cdn.example/x.jpg");
        assert_eq!(resolve(b, "http://o.example/x.jpg"), "http://o.example/x.jpg");
        assert_eq!(resolve("https://h.example", "x.jpg"), "https://h.example/x.jpg");
        assert_eq!(resolve("/media/1/s.vtt", "x.jpg"), "/media/1/x.jpg");
        assert_eq!(resolve("/media/1/s.vtt", "/y.jpg"), "/y.jpg");
        assert_eq!(resolve("/media/1/s.vtt", "//cdn.example/y.jpg"), "//cdn.example/y.jpg");
        assert_eq!(resolve(b, "y.jpg?u=http://x"), "https://h.example/a/b/y.jpg?u=http://x");
    }
}
