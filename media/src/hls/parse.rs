//! The line-by-line reader behind [`parse`]: tags set state that applies to the next URI
//! line (a segment, or a variant after `EXT-X-STREAM-INF`).

use super::url::resolve_carrying_query;
use super::{ENCRYPTED, InitSection, MediaPlaylist, Playlist, PlaylistError, Segment, Variant, ms};

/// Reads a playlist. `playlist_url` is where it came from (absolute, or a path on the
/// page's origin); every URI in it is resolved against that.
pub fn parse(text: &str, playlist_url: &str) -> Result<Playlist, PlaylistError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split('\n').enumerate().map(|(i, l)| (i + 1, l.trim()));
    let mut p = Parser { base: playlist_url, ..Parser::default() };
    match lines.find(|(_, l)| !l.is_empty()) {
        Some((_, "#EXTM3U")) => {}
        Some((n, _)) => return Err(err(n, "a playlist must start with #EXTM3U")),
        None => return Err(err(1, "the playlist is empty (no #EXTM3U)")),
    }
    for (n, line) in lines {
        p.line(n, line).map_err(|m| err(n, m))?;
    }
    p.finish()
}

fn err(line: usize, message: impl Into<String>) -> PlaylistError {
    PlaylistError { line, message: message.into() }
}

/// What the next URI line will be.
#[derive(Default)]
struct Parser<'a> {
    base: &'a str,
    // ---- media playlist ----
    target_duration: Option<u32>,
    media_sequence: u64,
    discontinuity_sequence: u64,
    discontinuities: u64,
    ended: bool,
    vod: bool,
    segments: Vec<Segment>,
    /// Seconds of the segments so far.
    elapsed: f64,
    map: Option<InitSection>,
    /// Where the previous segment's byte range ended, and its URL.
    range_end: Option<(String, u64)>,
    /// Tags waiting for their URI: `EXTINF` (seconds, line), `EXT-X-BYTERANGE` (length,
    /// offset, line).
    extinf: Option<(f64, usize)>,
    byte_range: Option<(u64, Option<u64>, usize)>,
    /// The line of the first `EXTINF`, to name it when variants are mixed in.
    first_extinf: Option<usize>,
    // ---- master playlist ----
    variants: Vec<Variant>,
    /// An `EXT-X-STREAM-INF` waiting for its URI, and its line.
    stream_inf: Option<(Variant, usize)>,
}

impl Parser<'_> {
    fn line(&mut self, n: usize, line: &str) -> Result<(), String> {
        if line.is_empty() {
            return Ok(());
        }
        if !line.starts_with('#') {
            return self.uri(line);
        }
        if !line.starts_with("#EXT") {
            return Ok(()); // a comment
        }
        let (tag, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.trim();
        match tag {
            "#EXTINF" => {
                if let Some((_, at)) = self.extinf {
                    return Err(format!("#EXTINF follows the #EXTINF of line {at}, which has no URI"));
                }
                if self.stream_inf.is_some() || !self.variants.is_empty() {
                    return Err(mixed());
                }
                let secs = value.split(',').next().unwrap_or("").trim();
                let d = decimal(secs).filter(|d| d.is_finite() && *d >= 0.0);
                let d = d.ok_or_else(|| format!("#EXTINF duration \"{secs}\" is not a number of seconds"))?;
                self.extinf = Some((d, n));
                self.first_extinf.get_or_insert(n);
            }
            "#EXT-X-TARGETDURATION" => {
                // A decimal integer; a few writers put a fraction: round it up.
                let t = value.parse::<u32>().ok().or_else(|| {
                    decimal(value).filter(|t| t.is_finite() && *t >= 0.0).map(|t| t.ceil().min(1e9) as u32)
                });
                self.target_duration = Some(t.ok_or_else(|| bad_number("#EXT-X-TARGETDURATION", value))?);
            }
            "#EXT-X-MEDIA-SEQUENCE" => self.media_sequence = integer("#EXT-X-MEDIA-SEQUENCE", value)?,
            "#EXT-X-DISCONTINUITY-SEQUENCE" => {
                self.discontinuity_sequence = integer("#EXT-X-DISCONTINUITY-SEQUENCE", value)?
            }
            "#EXT-X-DISCONTINUITY" => self.discontinuities += 1,
            "#EXT-X-ENDLIST" => self.ended = true,
            "#EXT-X-PLAYLIST-TYPE" => {
                if value.eq_ignore_ascii_case("VOD") {
                    self.vod = true;
                } else if !value.eq_ignore_ascii_case("EVENT") {
                    return Err(format!("#EXT-X-PLAYLIST-TYPE must be VOD or EVENT, not \"{value}\""));
                }
            }
            "#EXT-X-BYTERANGE" => {
                let (len, off) = byte_range(value).ok_or_else(|| bad_range("#EXT-X-BYTERANGE", value))?;
                self.byte_range = Some((len, off, n));
            }
            "#EXT-X-MAP" => {
                let attrs = Attributes::parse(value)?;
                let uri = attrs.get("URI").ok_or("#EXT-X-MAP has no URI")?;
                let range = match attrs.get("BYTERANGE") {
                    None => None,
                    Some(r) => {
                        let (len, off) = byte_range(r).ok_or_else(|| bad_range("#EXT-X-MAP BYTERANGE", r))?;
                        Some((off.unwrap_or(0), len))
                    }
                };
                self.map = Some(InitSection { url: resolve_carrying_query(self.base, uri), byte_range: range });
            }
            "#EXT-X-KEY" => {
                let attrs = Attributes::parse(value)?;
                match attrs.get("METHOD") {
                    Some("NONE") => {}
                    Some(_) => return Err(ENCRYPTED.into()),
                    None => return Err("#EXT-X-KEY has no METHOD".into()),
                }
            }
            "#EXT-X-STREAM-INF" => {
                if let Some((_, at)) = self.stream_inf {
                    return Err(format!("#EXT-X-STREAM-INF follows the one of line {at}, which has no URI"));
                }
                if self.first_extinf.is_some() {
                    return Err(mixed());
                }
                let attrs = Attributes::parse(value)?;
                let variant = Variant {
                    url: String::new(),
                    bandwidth: attrs.get("BANDWIDTH").and_then(|b| b.parse().ok()),
                    codecs: attrs.get("CODECS").map(str::to_string),
                    resolution: attrs.get("RESOLUTION").and_then(resolution),
                };
                self.stream_inf = Some((variant, n));
            }
            _ => {} // EXT-X-VERSION, EXT-X-PROGRAM-DATE-TIME, EXT-X-MEDIA, ... and unknown tags
        }
        Ok(())
    }

    fn uri(&mut self, uri: &str) -> Result<(), String> {
        let url = resolve_carrying_query(self.base, uri);
        if let Some((mut variant, _)) = self.stream_inf.take() {
            variant.url = url;
            self.variants.push(variant);
            return Ok(());
        }
        let Some((duration, _)) = self.extinf.take() else {
            return Err("a URI without #EXTINF (or #EXT-X-STREAM-INF) before it".into());
        };
        let byte_range = match self.byte_range.take() {
            None => None,
            Some((len, offset, at)) => {
                let offset = match (offset, &self.range_end) {
                    (Some(o), _) => o,
                    (None, Some((prev, end))) if *prev == url => *end,
                    (None, _) => {
                        return Err(format!(
                            "the #EXT-X-BYTERANGE of line {at} has no @offset, and the segment before is not a range of the same URI"
                        ));
                    }
                };
                let end = offset.checked_add(len).ok_or_else(|| format!("the byte range of line {at} overflows"))?;
                Some((offset, len, end))
            }
        };
        self.range_end = byte_range.map(|(_, _, end)| (url.clone(), end));
        self.segments.push(Segment {
            url,
            duration,
            start_ms: ms(self.elapsed),
            byte_range: byte_range.map(|(o, l, _)| (o, l)),
            discontinuity: self.discontinuity_sequence.saturating_add(self.discontinuities),
            map: self.map.clone(),
        });
        self.elapsed += duration;
        Ok(())
    }

    fn finish(self) -> Result<Playlist, PlaylistError> {
        if let Some((_, at)) = self.stream_inf {
            return Err(err(at, "#EXT-X-STREAM-INF has no URI after it"));
        }
        if let Some((_, at)) = self.extinf {
            return Err(err(at, "#EXTINF has no URI after it"));
        }
        if let Some((_, _, at)) = self.byte_range {
            return Err(err(at, "#EXT-X-BYTERANGE has no segment after it"));
        }
        if !self.variants.is_empty() {
            return Ok(Playlist::Master(self.variants));
        }
        let longest = self.segments.iter().map(|s| s.duration).fold(0.0, f64::max);
        Ok(Playlist::Media(MediaPlaylist {
            target_duration: self.target_duration.unwrap_or(longest.ceil().min(1e9) as u32),
            media_sequence: self.media_sequence,
            ended: self.ended,
            vod: self.vod || self.ended,
            segments: self.segments,
        }))
    }
}

fn mixed() -> String {
    "a playlist has either variants (#EXT-X-STREAM-INF) or segments (#EXTINF), not both".into()
}

fn integer(tag: &str, value: &str) -> Result<u64, String> {
    value.parse().map_err(|_| bad_number(tag, value))
}

fn bad_number(tag: &str, value: &str) -> String {
    format!("{tag} must be a whole number, not \"{value}\"")
}

fn bad_range(tag: &str, value: &str) -> String {
    format!("{tag} must be <length>[@<offset>], not \"{value}\"")
}

/// `<n>[@<o>]`: length and offset.
fn byte_range(s: &str) -> Option<(u64, Option<u64>)> {
    let (len, off) = match s.split_once('@') {
        Some((l, o)) => (l, Some(o.trim().parse().ok()?)),
        None => (s, None),
    };
    Some((len.trim().parse().ok()?, off))
}

/// `<width>x<height>`.
fn resolution(s: &str) -> Option<(u32, u32)> {
    let (w, h) = s.split_once(['x', 'X'])?;
    Some((w.trim().parse().ok()?, h.trim().parse().ok()?))
}

/// An attribute list (RFC 8216 §4.2): `NAME=value,NAME="quoted, with commas"`.
#[derive(Debug)]
struct Attributes<'a>(Vec<(&'a str, &'a str)>);

impl<'a> Attributes<'a> {
    fn parse(s: &'a str) -> Result<Self, String> {
        let mut out = Vec::new();
        let mut rest = s.trim_start();
        while !rest.is_empty() {
            let (name, after) = rest.split_once('=').ok_or_else(|| format!("attribute \"{rest}\" has no '='"))?;
            let (value, after) = match after.strip_prefix('"') {
                Some(quoted) => {
                    let end = quoted.find('"').ok_or_else(|| format!("attribute {name} has no closing quote"))?;
                    let after = quoted[end + 1..].trim_start();
                    if !(after.is_empty() || after.starts_with(',')) {
                        return Err(format!("attribute {name} has text after its closing quote"));
                    }
                    (&quoted[..end], after)
                }
                None => after.split_at(after.find(',').unwrap_or(after.len())),
            };
            out.push((name.trim(), value.trim_end()));
            rest = after.strip_prefix(',').unwrap_or(after).trim_start();
        }
        Ok(Attributes(out))
    }

    fn get(&self, name: &str) -> Option<&'a str> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_lists() {
        let a = Attributes::parse(r#"BANDWIDTH=1280000,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=1280x720"#).unwrap();
        assert_eq!(a.get("BANDWIDTH"), Some("1280000"));
        assert_eq!(a.get("CODECS"), Some("avc1.64001f,mp4a.40.2"));
        assert_eq!(a.get("RESOLUTION"), Some("1280x720"));
        assert_eq!(a.get("FRAME-RATE"), None);
        let a = Attributes::parse(r#"URI="a=b.mp4", BYTERANGE="10@0","#).unwrap();
        assert_eq!((a.get("URI"), a.get("BYTERANGE")), (Some("a=b.mp4"), Some("10@0")));
        assert!(Attributes::parse("").unwrap().0.is_empty());
        assert!(Attributes::parse(r#"URI="open"#).unwrap_err().contains("closing quote"));
        assert!(Attributes::parse("METHOD").unwrap_err().contains("no '='"));
        assert!(Attributes::parse(r#"URI="a"b"#).unwrap_err().contains("after its closing quote"));
    }

    #[test]
    fn ranges_and_resolutions() {
        assert_eq!(byte_range("100@20"), Some((100, Some(20))));
        assert_eq!(byte_range("100"), Some((100, None)));
        assert_eq!(byte_range("x@1"), None);
        assert_eq!(byte_range("1@"), None);
        assert_eq!(resolution("1920x1080"), Some((1920, 1080)));
        assert_eq!(resolution("1920"), None);
    }
}

/// A non-negative decimal number (`4`, `4.004`, `.5`), as RFC 8216's decimal-floating-point
/// (no sign, no exponent). By hand rather than `str::parse::<f64>`, whose general parser
/// would add ~15 KB (brotli) to the worker that reads playlists in the browser.
fn decimal(s: &str) -> Option<f64> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() && frac.is_empty() {
        return None;
    }
    let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(frac) {
        return None;
    }
    let mut value = 0.0f64;
    for b in whole.bytes() {
        value = value * 10.0 + f64::from(b - b'0');
    }
    // Beyond 15 decimals nothing changes at f64's precision.
    let mut scale = 1.0f64;
    for b in frac.bytes().take(15) {
        scale /= 10.0;
        value += f64::from(b - b'0') * scale;
    }
    Some(value)
}

#[cfg(test)]
mod decimal_tests {
    use super::decimal;

    #[test]
    fn decimals_read_as_rfc_8216_writes_them() {
        for (text, want) in [("4", 4.0), ("4.004", 4.004), ("10.000000", 10.0), (".5", 0.5), ("3.", 3.0), ("0", 0.0)] {
            let got = decimal(text).unwrap();
            assert!((got - want).abs() < 1e-9, "{text}: {got}");
        }
        for bad in ["", ".", "-1", "1e3", "4,0", " 4", "4.0.1", "nan", "inf"] {
            assert_eq!(decimal(bad), None, "{bad}");
        }
    }
}
