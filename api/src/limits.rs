//! Upper bounds on what an admin may store in a profile or a title, in characters.

pub const DISPLAY_NAME_MAX: usize = 64;
pub const BIO_MAX: usize = 2000;
pub const URL_MAX: usize = 2048;
pub const TITLE_MAX: usize = 200;
pub const STREAM_ID_MAX: usize = 128;

/// Why `id` cannot be a streamer's id, or `None` if it can. The one rule for every way
/// a streamer arrives (each kind of recording callback, the admin API): 1 to 128
/// characters, not only spaces, no control characters, and not `.` or `..` (URL
/// parsers resolve those, even percent-encoded, so no address could reach the
/// profile). Any other character is fine: addresses percent-encode it, `/` included.
pub fn stream_id_problem(id: &str) -> Option<&'static str> {
    if id.trim().is_empty() {
        Some("must not be empty or only spaces")
    } else if id.chars().count() > STREAM_ID_MAX {
        Some("must be at most 128 characters")
    } else if id.chars().any(char::is_control) {
        Some("must not contain control characters")
    } else if id == "." || id == ".." {
        Some("must not be `.` or `..`")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_ids() {
        for ok in ["mei", "1400012345_abc", "小明", "a/b", "a b", ".a", "...", &"x".repeat(128)] {
            assert_eq!(stream_id_problem(ok), None, "{ok}");
        }
        for bad in ["", "   ", ".", "..", "a\nb", "a\u{7f}", &"x".repeat(129)] {
            assert!(stream_id_problem(bad).is_some(), "{bad:?}");
        }
    }
}
