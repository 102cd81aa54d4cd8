//! Pure formatting and parsing: times, durations, sizes, dates, initials, links.
//! No browser APIs here, so all of it is tested natively.

use crate::i18n::{Key, Locale, fill};

// Numbers are formatted and parsed here with integer arithmetic: core's float
// formatting and parsing would add some 20 KB to the download for a handful of uses.

/// `x` with at most `places` decimals, trailing zeros dropped: `2.5`, `14`, `0.35`.
pub fn decimal(x: f64, places: u32) -> String {
    let scale = 10i64.pow(places);
    let n = (x * scale as f64).round() as i64;
    let (sign, n) = if n < 0 { ("-", -n) } else { ("", n) };
    let (int, frac) = (n / scale, n % scale);
    if frac == 0 {
        return format!("{sign}{int}");
    }
    let digits = format!("{frac:0width$}", width = places as usize);
    format!("{sign}{int}.{}", digits.trim_end_matches('0'))
}

/// Parses a plain decimal (`95`, `12.5`): no sign, no exponent.
pub fn parse_decimal(s: &str) -> Option<f64> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
        || int.len() > 15
    {
        return None;
    }
    let whole = if int.is_empty() { 0 } else { int.parse::<u64>().ok()? };
    let frac = &frac[..frac.len().min(9)];
    let part = if frac.is_empty() { 0.0 } else { frac.parse::<u64>().ok()? as f64 / 10f64.powi(frac.len() as i32) };
    Some(whole as f64 + part)
}

/// Parses a `?t=` start time: `95`, `95s`, `1h2m3s`, `2m`, `1:02:03`, `2:05`.
pub fn parse_start_time(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Some(secs) = parse_decimal(s) {
        return Some(secs);
    }
    if s.contains(':') {
        let parts: Vec<&str> = s.split(':').collect();
        if parts.len() > 3 || parts.iter().any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit())) {
            return None;
        }
        return Some(parts.iter().fold(0.0, |acc, p| acc * 60.0 + p.parse::<u32>().unwrap_or(0) as f64));
    }
    let (mut total, mut number, mut last_unit) = (0.0, String::new(), 0u8);
    for c in s.chars() {
        match c {
            '0'..='9' => number.push(c),
            'h' | 'm' | 's' => {
                let rank = match c {
                    'h' => 3,
                    'm' => 2,
                    _ => 1,
                };
                // Units must come in order (h, m, s), each once, each after a number.
                if number.is_empty() || (last_unit != 0 && rank >= last_unit) {
                    return None;
                }
                let scale = match c {
                    'h' => 3600.0,
                    'm' => 60.0,
                    _ => 1.0,
                };
                total += number.parse::<u32>().ok()? as f64 * scale;
                number.clear();
                last_unit = rank;
            }
            _ => return None,
        }
    }
    number.is_empty().then_some(total)
}

/// A player clock: `0:05`, `12:34`, `1:02:03`.
pub fn clock(secs: f64) -> String {
    let t = if secs.is_finite() && secs > 0.0 { secs.floor() as u64 } else { 0 };
    let (h, m, s) = (t / 3600, t / 60 % 60, t % 60);
    if h > 0 { format!("{h}:{m:02}:{s:02}") } else { format!("{m}:{s:02}") }
}

/// A duration in words: `1 h 5 min`, `12 min`, `40 s` (or Chinese).
pub fn duration_words(secs: f64, locale: Locale) -> String {
    let t = secs.max(0.0).round() as u64;
    let (h, m) = (t / 3600, t / 60 % 60);
    if h > 0 {
        fill(locale.text(Key::DurationHm), &[("h", &h.to_string()), ("m", &m.to_string())])
    } else if m > 0 {
        fill(locale.text(Key::DurationM), &[("m", &m.to_string())])
    } else {
        fill(locale.text(Key::DurationS), &[("s", &t.to_string())])
    }
}

/// How many parts a broadcast has, for a card: `3 parts` / `3 段`.
pub fn parts_label(n: usize, locale: Locale) -> String {
    fill(locale.text(Key::PartsCount), &[("n", &n.to_string())])
}

/// The containers of a broadcast for its format badge: `FLV`, `FLV+MP4`.
pub fn formats_label(formats: &[relive_api::ReplayFormat]) -> String {
    let mut out = String::new();
    for f in formats {
        if !out.is_empty() {
            out.push('+');
        }
        out.push_str(&f.as_str().to_ascii_uppercase());
    }
    out
}

/// The time of day in local time: `20:01`.
pub fn time_of_day(t: i64, offset_minutes: i32) -> String {
    let c = civil(t + offset_minutes as i64 * 60);
    format!("{:02}:{:02}", c.hour, c.minute)
}

/// A total recorded time: hours from one hour up (`2.5 hours`, `14 hours`), else in
/// minutes or seconds.
pub fn total(secs: f64, locale: Locale) -> String {
    if secs >= 3600.0 { fill(locale.text(Key::Hours), &[("h", &hours(secs))]) } else { duration_words(secs, locale) }
}

/// Total recorded hours, one decimal below 10: `2.5`, `12`.
pub fn hours(secs: f64) -> String {
    let h = secs.max(0.0) / 3600.0;
    if h < 10.0 { decimal(h, 1) } else { format!("{}", h.round() as u64) }
}

/// Bytes for people: `900 B`, `1.2 KB`, `34 MB`, `1.5 GB` (1 KB = 1024 B).
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else if v < 10.0 {
        format!("{} {}", decimal(v, 1), UNITS[unit])
    } else {
        format!("{} {}", v.round() as u64, UNITS[unit])
    }
}

/// How long ago `then` was, both Unix seconds: `3 h ago`, `yesterday`, ... For older
/// times, the date (see [`date`]).
pub fn relative(now: i64, then: i64, offset_minutes: i32, locale: Locale) -> String {
    let ago = (now - then).max(0);
    let n = |k: Key, v: i64| fill(locale.text(k), &[("n", &v.to_string())]);
    let day = |t: i64| (t + offset_minutes as i64 * 60).div_euclid(86_400);
    match ago {
        0..60 => locale.text(Key::JustNow).to_string(),
        60..3600 => n(Key::MinutesAgo, ago / 60),
        _ if day(now) == day(then) => n(Key::HoursAgo, ago / 3600),
        _ if day(now) - day(then) == 1 => locale.text(Key::Yesterday).to_string(),
        _ if day(now) - day(then) < 7 => n(Key::DaysAgo, day(now) - day(then)),
        _ => date(then, offset_minutes, locale),
    }
}

/// A calendar date in local time: `Nov 24, 2026` / `2026年11月24日`.
pub fn date(t: i64, offset_minutes: i32, locale: Locale) -> String {
    let c = civil(t + offset_minutes as i64 * 60);
    match locale {
        Locale::En => format!("{} {}, {}", MONTHS[c.month as usize - 1], c.day, c.year),
        Locale::ZhCn => format!("{}年{}月{}日", c.year, c.month, c.day),
    }
}

/// Date and time in local time: `Nov 24, 2026, 20:15` / `2026年11月24日 20:15`.
pub fn date_time(t: i64, offset_minutes: i32, locale: Locale) -> String {
    let c = civil(t + offset_minutes as i64 * 60);
    let d = date(t, offset_minutes, locale);
    match locale {
        Locale::En => format!("{d}, {:02}:{:02}", c.hour, c.minute),
        Locale::ZhCn => format!("{d} {:02}:{:02}", c.hour, c.minute),
    }
}

/// ISO 8601 (UTC) for `<time datetime>`.
pub fn iso(t: i64) -> String {
    let c = civil(t);
    format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", c.year, c.month, c.day, c.hour, c.minute, c.second)
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

use relive_api::time::civil;

/// Up to two initials for an avatar: `Xiao Yu` → `XY`, `小雨` → `小`.
pub fn initials(name: &str) -> String {
    let words: Vec<&str> = name.split_whitespace().collect();
    let first = |w: &str| w.chars().next().map(|c| c.to_uppercase().collect::<String>()).unwrap_or_default();
    match words.as_slice() {
        [] => "?".into(),
        [one] => first(one),
        [a, .., b] if [a, b].iter().all(|w| w.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())) => {
            first(a) + &first(b)
        }
        [a, ..] => first(a),
    }
}

/// A piece of a bio: plain text, or an http(s) link to make clickable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    Text(String),
    Link(String),
}

/// Splits plain text into text and http(s) links. Nothing here is ever HTML.
pub fn linkify(text: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = find_link_start(rest) {
        if start > 0 {
            out.push(Segment::Text(rest[..start].to_string()));
        }
        let tail = &rest[start..];
        let mut end =
            tail.find(|c: char| c.is_whitespace() || "<>\"'".contains(c) || !c.is_ascii()).unwrap_or(tail.len());
        // Trailing punctuation belongs to the sentence, not the link.
        while end > 0 && ".,;:!?)]}".contains(&tail[end - 1..end]) {
            end -= 1;
        }
        let url = &tail[..end];
        if url.len() > "https://".len() {
            out.push(Segment::Link(url.to_string()));
        } else {
            out.push(Segment::Text(url.to_string()));
        }
        rest = &tail[end..];
    }
    if !rest.is_empty() {
        out.push(Segment::Text(rest.to_string()));
    }
    out
}

fn find_link_start(s: &str) -> Option<usize> {
    [s.find("https://"), s.find("http://")].into_iter().flatten().min()
}

/// A hue (0–359) derived from a string, for generated posters and avatars.
pub fn hue(seed: &str) -> u32 {
    seed.bytes().fold(2166136261u32, |h, b| (h ^ b as u32).wrapping_mul(16777619)) % 360
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_times_parse_in_every_spelling() {
        assert_eq!(parse_start_time("95"), Some(95.0));
        assert_eq!(parse_start_time("12.5"), Some(12.5));
        assert_eq!(parse_start_time("95s"), Some(95.0));
        assert_eq!(parse_start_time("1h2m3s"), Some(3723.0));
        assert_eq!(parse_start_time("2m"), Some(120.0));
        assert_eq!(parse_start_time("1h"), Some(3600.0));
        assert_eq!(parse_start_time("1:02:03"), Some(3723.0));
        assert_eq!(parse_start_time("2:05"), Some(125.0));
        for bad in ["", "abc", "-5", "1m2h", "1h1h", "h", "5x", "1:", "1::2", "NaN", "inf"] {
            assert_eq!(parse_start_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn decimals_without_float_formatting() {
        assert_eq!(decimal(2.5, 1), "2.5");
        assert_eq!(decimal(2.0, 1), "2");
        assert_eq!(decimal(0.349, 2), "0.35");
        assert_eq!(decimal(33.333333, 2), "33.33");
        assert_eq!(decimal(-1.25, 1), "-1.3");
        assert_eq!(parse_decimal("12.5"), Some(12.5));
        assert_eq!(parse_decimal("0.75"), Some(0.75));
        assert_eq!(parse_decimal(".5"), Some(0.5));
        assert_eq!(parse_decimal("7"), Some(7.0));
        for bad in ["", ".", "1e5", "-1", "1.2.3", "abc"] {
            assert_eq!(parse_decimal(bad), None, "{bad}");
        }
    }

    #[test]
    fn clocks() {
        assert_eq!(clock(0.0), "0:00");
        assert_eq!(clock(5.9), "0:05");
        assert_eq!(clock(754.0), "12:34");
        assert_eq!(clock(3723.0), "1:02:03");
        assert_eq!(clock(f64::NAN), "0:00");
    }

    #[test]
    fn durations_and_sizes_for_people() {
        assert_eq!(duration_words(3900.0, Locale::En), "1 h 5 min");
        assert_eq!(duration_words(3900.0, Locale::ZhCn), "1 小时 5 分钟");
        assert_eq!(duration_words(720.0, Locale::En), "12 min");
        assert_eq!(duration_words(40.0, Locale::ZhCn), "40 秒");
        assert_eq!(hours(9000.0), "2.5");
        assert_eq!(hours(50_000.0), "14");
        assert_eq!(total(9000.0, Locale::En), "2.5 hours");
        assert_eq!(total(100.0, Locale::ZhCn), "1 分钟");
        assert_eq!(size(900), "900 B");
        assert_eq!(size(1260), "1.2 KB");
        assert_eq!(size(1024), "1 KB");
        assert_eq!(size(34 * 1024 * 1024 + 5), "34 MB");
        assert_eq!(size(1_610_612_736), "1.5 GB");
    }

    #[test]
    fn parts_formats_and_times_of_day() {
        use relive_api::ReplayFormat::{Flv, Mp4};
        assert_eq!(parts_label(3, Locale::En), "3 parts");
        assert_eq!(parts_label(3, Locale::ZhCn), "3 段");
        assert_eq!(formats_label(&[Flv]), "FLV");
        assert_eq!(formats_label(&[Flv, Mp4]), "FLV+MP4");
        assert_eq!(formats_label(&[]), "");
        let t = 1_764_014_460; // 2025-11-24 20:01 UTC
        assert_eq!(time_of_day(t, 0), "20:01");
        assert_eq!(time_of_day(t, 8 * 60), "04:01");
        assert_eq!(time_of_day(t, -(5 * 60 + 30)), "14:31");
    }

    #[test]
    fn dates_in_local_time_and_words() {
        let t = 1_764_015_300; // 2025-11-24 20:15 UTC
        assert_eq!(date_time(t, 0, Locale::En), "Nov 24, 2025, 20:15");
        assert_eq!(date_time(t, 8 * 60, Locale::ZhCn), "2025年11月25日 04:15");
        assert_eq!(iso(t), "2025-11-24T20:15:00Z");
        assert_eq!(relative(t + 30, t, 0, Locale::En), "just now");
        assert_eq!(relative(t + 600, t, 0, Locale::ZhCn), "10 分钟前");
        assert_eq!(relative(t + 3 * 3600, t, 0, Locale::En), "3 h ago");
        assert_eq!(relative(t + 6 * 3600, t, 0, Locale::En), "yesterday");
        assert_eq!(relative(t + 3 * 86_400, t, 0, Locale::ZhCn), "3 天前");
        assert_eq!(relative(t + 30 * 86_400, t, 0, Locale::En), "Nov 24, 2025");
    }

    #[test]
    fn initials_for_avatars() {
        assert_eq!(initials("Xiao Yu"), "XY");
        assert_eq!(initials("小雨 Xiaoyu"), "小");
        assert_eq!(initials("chen"), "C");
        assert_eq!(initials("Chen 的音乐台"), "C");
        assert_eq!(initials("  "), "?");
    }

    #[test]
    fn links_in_bios() {
        let s = linkify("see https://example.com/a?b=1. and http://x.cn\nok <script>");
        assert_eq!(
            s,
            vec![
                Segment::Text("see ".into()),
                Segment::Link("https://example.com/a?b=1".into()),
                Segment::Text(". and ".into()),
                Segment::Link("http://x.cn".into()),
                Segment::Text("\nok <script>".into()),
            ]
        );
        assert_eq!(linkify("javascript:alert(1)"), vec![Segment::Text("javascript:alert(1)".into())]);
        assert_eq!(
            linkify("https:// nothing"),
            vec![Segment::Text("https://".into()), Segment::Text(" nothing".into())]
        );
    }
}
