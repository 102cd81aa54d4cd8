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
    pub fn parse(text: &str, base: &str) -> Storyboard {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text).replace("\r\n", "\n").replace('\r', "\n");
        let mut tiles = Vec::new();
        for block in text.split("\n\n") {
            let mut lines = block.lines().map(str::trim).filter(|l| !l.is_empty());
            // An identifier line may come before the timings; the header and NOTE blocks have none.
            let Some(timing) = lines.by_ref().find(|l| l.contains("-->")) else { continue };
            let Some(payload) = lines.next() else { continue };
            if let (Some((start, end)), Some((url, rect))) = (timings(timing), image(payload)) {
                tiles.push(Tile { start, end, url: resolve(base, url), rect });
            }
        }
        tiles.sort_by(|a, b| a.start.total_cmp(&b.start));
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
    let start = timestamp(a.trim())?;
    let end = timestamp(b.split_whitespace().next()?)?;
    (end > start).then_some((start, end))
}

/// `HH:MM:SS.mmm` (hours of any length) or `MM:SS.mmm`, in seconds.
pub fn timestamp(s: &str) -> Option<f64> {
    let (clock, millis) = s.split_once('.')?;
    if millis.len() != 3 || !millis.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let fields: Vec<&str> = clock.split(':').collect();
    let number = |f: &str| (!f.is_empty() && f.bytes().all(|b| b.is_ascii_digit())).then(|| f.parse::<u64>().ok())?;
    let (h, m, sec) = match fields.as_slice() {
        [h, m, s] => (number(h)?, number(m)?, number(s)?),
        [m, s] => (0, number(m)?, number(s)?),
        _ => return None,
    };
    if m > 59 || sec > 59 || fields.iter().skip(fields.len() - 2).any(|f| f.len() != 2) {
        return None;
    }
    Some((h * 3600 + m * 60 + sec) as f64 + millis.parse::<u64>().ok()? as f64 / 1000.0)
}

/// `sheet.jpg#xywh=160,0,160,90` (or `#xywh=pixel:…`) → the URL and the rectangle.
fn image(text: &str) -> Option<(&str, Rect)> {
    let (url, fragment) = text.split_once('#')?;
    let values = fragment.strip_prefix("xywh=")?;
    let values = values.strip_prefix("pixel:").unwrap_or(values);
    let n: Vec<u32> = values.split(',').map(|v| v.trim().parse().ok()).collect::<Option<_>>()?;
    match n.as_slice() {
        &[x, y, w, h] if w > 0 && h > 0 && !url.is_empty() => Some((url, Rect { x, y, w, h })),
        _ => None,
    }
}

/// `reference` resolved against `base` (an absolute URL or an absolute path): an
/// absolute URL stays, `//host/…` takes the base's scheme, `/…` its origin, anything
/// else its directory (with `.` and `..` segments applied).
pub fn resolve(base: &str, reference: &str) -> String {
    let base = base.split(['?', '#']).next().unwrap_or("");
    let scheme_end = base.find("://").map(|i| i + 3);
    if reference.contains("://") {
        return reference.to_string();
    }
    if let Some(rest) = reference.strip_prefix("//") {
        let scheme = scheme_end.map_or("https://", |i| &base[..i]);
        return format!("{scheme}{rest}");
    }
    // The origin (`https://host`, or nothing for a path) and the path.
    let (origin, path) = match scheme_end {
        Some(i) => match base[i..].find('/') {
            Some(j) => base.split_at(i + j),
            None => (base, "/"),
        },
        None => ("", base),
    };
    let joined = if reference.starts_with('/') {
        reference.to_string()
    } else {
        format!("{}{reference}", &path[..path.rfind('/').map_or(0, |i| i + 1)])
    };
    let (joined, tail) = match joined.find(['?', '#']) {
        Some(i) => joined.split_at(i),
        None => (joined.as_str(), ""),
    };
    let mut segments: Vec<&str> = Vec::new();
    let parts: Vec<&str> = joined.split('/').collect();
    for (k, seg) in parts.iter().enumerate() {
        match *seg {
            "." => {}
            ".." => {
                if segments.len() > 1 {
                    segments.pop();
                }
            }
            s => segments.push(s),
        }
        // A trailing `.` or `..` leaves a directory.
        if k + 1 == parts.len() && matches!(*seg, "." | "..") {
            segments.push("");
        }
    }
    format!("{origin}{}{tail}", segments.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const VTT: &str = "WEBVTT\n\nNOTE made by relive\n\n1\n00:00:00.000 --> 00:00:10.000\nsheet-0.jpg#xywh=0,0,160,90\n\n\
        00:00:10.000 --> 00:00:20.000 align:start\nsheet-0.jpg#xywh=160,0,160,90\n\n\
        00:20.000 --> 00:30.000\r\nhttps://cdn.example/x/sheet-1.jpg#xywh=pixel:0,90,160,90\n\n\
        00:00:30.000 --> 00:00:40.000\nno-fragment.jpg\n\n\
        00:00:40.000 --> 00:00:35.000\nsheet-1.jpg#xywh=0,0,160,90\n\n\
        00:00:xx.000 --> 00:00:50.000\nsheet-1.jpg#xywh=0,0,160,90\n\n\
        00:00:50.000 --> 00:01:00.000\nsheet-1.jpg#xywh=0,0,0,90\n\n\
        01:00:00.000 --> 01:00:05.500\n/abs/sheet-9.jpg#xywh=320,180,160,90\n";

    #[test]
    fn cues_become_tiles_and_bad_ones_are_skipped() {
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
        assert_eq!(resolve(b, "../x.jpg?k=2"), "https://h.example/a/x.jpg?k=2");
        assert_eq!(resolve(b, "./c/x.jpg"), "https://h.example/a/b/c/x.jpg");
        assert_eq!(resolve(b, "../../../x.jpg"), "https://h.example/x.jpg");
        assert_eq!(resolve(b, "/x.jpg"), "https://h.example/x.jpg");
        assert_eq!(resolve(b, "//cdn.example/x.jpg"), "https://cdn.example/x.jpg");
        assert_eq!(resolve(b, "http://o.example/x.jpg"), "http://o.example/x.jpg");
        assert_eq!(resolve("https://h.example", "x.jpg"), "https://h.example/x.jpg");
        assert_eq!(resolve("/media/1/s.vtt", "x.jpg"), "/media/1/x.jpg");
        assert_eq!(resolve("/media/1/s.vtt", "/y.jpg"), "/y.jpg");
    }
}
