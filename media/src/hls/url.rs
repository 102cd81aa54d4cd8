//! URI references resolved against a playlist's URL (RFC 3986 §5.2), written by hand: the
//! browser build has no URL crate, and playlists need only this. The base may be an
//! absolute URL (`https://cdn.example/a/index.m3u8`) or only a path
//! (`/media/abc/index.m3u8`, the same-origin case); then results are paths too.

/// The five components of a URI reference (RFC 3986 §3), borrowed from it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Parts<'a> {
    scheme: Option<&'a str>,
    authority: Option<&'a str>,
    path: &'a str,
    query: Option<&'a str>,
    fragment: Option<&'a str>,
}

fn split(s: &str) -> Parts<'_> {
    let (rest, fragment) = match s.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (s, None),
    };
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, Some(q)),
        None => (rest, None),
    };
    let (scheme, rest) = match rest.split_once(':') {
        Some((sch, r)) if is_scheme(sch) => (Some(sch), r),
        _ => (None, rest),
    };
    let (authority, path) = match rest.strip_prefix("//") {
        Some(r) => {
            let end = r.find('/').unwrap_or(r.len());
            (Some(&r[..end]), &r[end..])
        }
        None => (None, rest),
    };
    Parts { scheme, authority, path, query, fragment }
}

/// `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`, so `seg:1.ts` has a scheme but
/// `a/b:c` does not (the colon comes after a slash).
fn is_scheme(s: &str) -> bool {
    let mut bytes = s.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

/// RFC 3986 §5.2.4: `.` and `..` segments removed (`/a/b/../c` → `/a/c`); a `..` above
/// the root stays at the root.
fn remove_dot_segments(path: &str) -> String {
    let absolute = path.starts_with('/');
    let segments: Vec<&str> = path.split('/').skip(usize::from(absolute)).collect();
    let mut out: Vec<&str> = Vec::with_capacity(segments.len());
    let last = segments.len().saturating_sub(1);
    for (i, seg) in segments.iter().enumerate() {
        match *seg {
            "." => {}
            ".." => {
                out.pop();
            }
            s => {
                out.push(s);
                continue;
            }
        }
        // A path ending in `.` or `..` names a folder: keep its trailing slash.
        if i == last {
            out.push("");
        }
    }
    let joined = out.join("/");
    if absolute { format!("/{joined}") } else { joined }
}

/// The target of `reference` against `base` (RFC 3986 §5.2.2, strict: a reference with a
/// scheme is absolute), before it is written out.
fn target<'a>(base: &Parts<'a>, r: &Parts<'a>) -> (Parts<'a>, String) {
    if r.scheme.is_some() {
        return (*r, remove_dot_segments(r.path));
    }
    if r.authority.is_some() {
        return (Parts { scheme: base.scheme, ..*r }, remove_dot_segments(r.path));
    }
    let inherit = Parts { scheme: base.scheme, authority: base.authority, ..*r };
    if r.path.is_empty() {
        return (Parts { query: r.query.or(base.query), ..inherit }, base.path.to_string());
    }
    if r.path.starts_with('/') {
        return (inherit, remove_dot_segments(r.path));
    }
    // Merge (§5.2.3): the base's path up to its last slash, then the reference's.
    let merged = if base.authority.is_some() && base.path.is_empty() {
        format!("/{}", r.path)
    } else {
        let dir = base.path.rfind('/').map_or("", |i| &base.path[..=i]);
        format!("{dir}{}", r.path)
    };
    (inherit, remove_dot_segments(&merged))
}

fn write(p: &Parts, path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 64);
    if let Some(s) = p.scheme {
        out.push_str(s);
        out.push(':');
    }
    if let Some(a) = p.authority {
        out.push_str("//");
        out.push_str(a);
    }
    out.push_str(path);
    if let Some(q) = p.query {
        out.push('?');
        out.push_str(q);
    }
    if let Some(f) = p.fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

/// `reference` resolved against `base`, exactly as RFC 3986 §5.2 says.
pub fn resolve(base: &str, reference: &str) -> String {
    let (t, path) = target(&split(base), &split(reference));
    write(&t, &path)
}

/// `reference` resolved against a playlist's URL, with the playlist's query string carried
/// onto it when it has none of its own and stays on the playlist's origin: a signed
/// playlist URL (`index.m3u8?t=..&sign=..`) signs its segments too (Tencent's key hotlink
/// protection signs a folder, not a file). A reference to another host never gets it, so a
/// signature is not handed to a third party.
pub fn resolve_carrying_query(base: &str, reference: &str) -> String {
    let (b, r) = (split(base), split(reference));
    let (mut t, path) = target(&b, &r);
    let same_origin = (r.scheme.is_none() && r.authority.is_none())
        || (eq_ignore_case(t.scheme, b.scheme) && eq_ignore_case(t.authority, b.authority));
    if t.query.is_none() && same_origin {
        t.query = b.query.filter(|q| !q.is_empty());
    }
    write(&t, &path)
}

fn eq_ignore_case(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        (None, None) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 3986 §5.4.1 and §5.4.2, every example.
    #[test]
    fn rfc3986_examples() {
        let base = "http://a/b/c/d;p?q";
        let cases = [
            ("g:h", "g:h"),
            ("g", "http://a/b/c/g"),
            ("./g", "http://a/b/c/g"),
            ("g/", "http://a/b/c/g/"),
            ("/g", "http://a/g"),
            ("//g", "http://g"),
            ("?y", "http://a/b/c/d;p?y"),
            ("g?y", "http://a/b/c/g?y"),
            ("#s", "http://a/b/c/d;p?q#s"),
            ("g#s", "http://a/b/c/g#s"),
            ("g?y#s", "http://a/b/c/g?y#s"),
            (";x", "http://a/b/c/;x"),
            ("g;x", "http://a/b/c/g;x"),
            ("g;x?y#s", "http://a/b/c/g;x?y#s"),
            ("", "http://a/b/c/d;p?q"),
            (".", "http://a/b/c/"),
            ("./", "http://a/b/c/"),
            ("..", "http://a/b/"),
            ("../", "http://a/b/"),
            ("../g", "http://a/b/g"),
            ("../..", "http://a/"),
            ("../../", "http://a/"),
            ("../../g", "http://a/g"),
            // Abnormal examples.
            ("../../../g", "http://a/g"),
            ("../../../../g", "http://a/g"),
            ("/./g", "http://a/g"),
            ("/../g", "http://a/g"),
            ("g.", "http://a/b/c/g."),
            (".g", "http://a/b/c/.g"),
            ("g..", "http://a/b/c/g.."),
            ("..g", "http://a/b/c/..g"),
            ("./../g", "http://a/b/g"),
            ("./g/.", "http://a/b/c/g/"),
            ("g/./h", "http://a/b/c/g/h"),
            ("g/../h", "http://a/b/c/h"),
            ("g;x=1/./y", "http://a/b/c/g;x=1/y"),
            ("g;x=1/../y", "http://a/b/c/y"),
            ("g?y/./x", "http://a/b/c/g?y/./x"),
            ("g?y/../x", "http://a/b/c/g?y/../x"),
            ("g#s/./x", "http://a/b/c/g#s/./x"),
            ("g#s/../x", "http://a/b/c/g#s/../x"),
            ("http:g", "http:g"),
        ];
        for (r, want) in cases {
            assert_eq!(resolve(base, r), want, "{r:?}");
        }
    }

    #[test]
    fn bases_that_are_only_paths() {
        let base = "/media/abc/index.m3u8";
        assert_eq!(resolve(base, "seg1.ts"), "/media/abc/seg1.ts");
        assert_eq!(resolve(base, "../x/b.ts"), "/media/x/b.ts");
        assert_eq!(resolve(base, "/other/c.ts"), "/other/c.ts");
        assert_eq!(resolve(base, "https://cdn.example/d.ts"), "https://cdn.example/d.ts");
        assert_eq!(resolve(base, "//cdn.example/e.ts"), "//cdn.example/e.ts");
        assert_eq!(resolve("index.m3u8", "a.ts"), "a.ts");
        assert_eq!(resolve("live/index.m3u8", "../../a.ts"), "a.ts");
        assert_eq!(resolve("https://h.example", "a.ts"), "https://h.example/a.ts");
    }

    #[test]
    fn the_playlists_query_is_carried_on_its_origin_only() {
        let base = "https://vod.example/x/y/index.m3u8?t=6553ff10&us=72d4&sign=f35f";
        let r = |u| resolve_carrying_query(base, u);
        assert_eq!(r("a.ts"), "https://vod.example/x/y/a.ts?t=6553ff10&us=72d4&sign=f35f");
        assert_eq!(r("/z/b.ts"), "https://vod.example/z/b.ts?t=6553ff10&us=72d4&sign=f35f");
        assert_eq!(r("https://VOD.example/x/c.ts"), "https://VOD.example/x/c.ts?t=6553ff10&us=72d4&sign=f35f");
        assert_eq!(r("a.ts?own=1"), "https://vod.example/x/y/a.ts?own=1", "its own query wins");
        assert_eq!(r("https://other.example/a.ts"), "https://other.example/a.ts", "no signature to other hosts");
        assert_eq!(r("//other.example/a.ts"), "https://other.example/a.ts");
        assert_eq!(r("a.ts#frag"), "https://vod.example/x/y/a.ts?t=6553ff10&us=72d4&sign=f35f#frag");
        assert_eq!(resolve_carrying_query("/m/i.m3u8?", "a.ts"), "/m/a.ts", "an empty query is not carried");
        assert_eq!(resolve_carrying_query("/m/i.m3u8?k=1", "a.ts"), "/m/a.ts?k=1");
        assert_eq!(resolve_carrying_query("/m/i.m3u8", "a.ts"), "/m/a.ts");
    }
}
