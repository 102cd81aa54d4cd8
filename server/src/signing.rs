//! Signatures: Tencent Cloud Live's md5 schemes, Tencent VOD's Key hotlink protection,
//! and constant-time comparison.

use md5::{Digest, Md5};

/// Lowercase hex md5 of the concatenated parts.
pub fn md5_hex(parts: &[&str]) -> String {
    let mut h = Md5::new();
    for p in parts {
        h.update(p.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares two secrets in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Tencent's callback signature: `sign = md5(callback_key + t)`.
pub fn tencent_callback_sign(key: &str, t: i64) -> String {
    md5_hex(&[key, &t.to_string()])
}

/// A Tencent Cloud Live push URL with recording on:
/// `rtmp://{domain}/live/{stream}?txSecret=md5(key + stream + txTime)&txTime=HEX&record=fmt`,
/// where txTime is the expiry as uppercase hex Unix time.
pub fn tencent_push_url(domain: &str, key: &str, stream_id: &str, expires_at: i64, record: &str) -> String {
    let tx_time = format!("{expires_at:X}");
    let secret = md5_hex(&[key, stream_id, &tx_time]);
    format!("rtmp://{domain}/live/{stream_id}?txSecret={secret}&txTime={tx_time}&record={record}")
}

/// Tencent VOD's Key hotlink protection ("Key 防盗链"): the URL with
/// `t`, `exper`, `rlimit`, `us` and `sign = md5(KEY + Dir + t + exper + rlimit + us)`
/// appended, where `Dir` is the URL's path up to and including its last `/` and `t` the
/// expiry as lower-case hex. Empty `exper`/`rlimit` are left out of both the URL and the
/// signed string. A query the URL had is kept (before the signature's parameters);
/// `None` for a URL that is not absolute http(s).
pub fn tencent_vod_sign(url: &str, key: &str, expires_at: i64, exper: &str, rlimit: &str, us: &str) -> Option<String> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
    let path_start = rest.find('/')?;
    let path = &rest[path_start..];
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let dir = &path[..=path.rfind('/')?];
    let t = format!("{expires_at:x}");
    let sign = md5_hex(&[key, dir, &t, exper, rlimit, us]);
    let (base, fragment) = match url.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (url, None),
    };
    let mut out = String::with_capacity(base.len() + 96);
    out.push_str(base);
    out.push(if base.contains('?') { '&' } else { '?' });
    out.push_str("t=");
    out.push_str(&t);
    for (name, value) in [("exper", exper), ("rlimit", rlimit)] {
        if !value.is_empty() {
            out.push('&');
            out.push_str(name);
            out.push('=');
            out.push_str(value);
        }
    }
    out.push_str("&us=");
    out.push_str(us);
    out.push_str("&sign=");
    out.push_str(&sign);
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    Some(out)
}

/// A fresh random link id for [`tencent_vod_sign`]'s `us` (10 hex digits, as
/// Tencent's examples): not a secret, only different for every URL handed out.
pub fn link_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    // RandomState is seeded randomly per process; the counter and the clock make each call differ.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
    format!("{:010x}", h.finish() & 0xff_ffff_ffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_matches_known_vector() {
        assert_eq!(md5_hex(&["The quick brown fox jumps over the lazy dog"]), "9e107d9d372bb6826bd81d3542a419d6");
        assert_eq!(md5_hex(&["The quick brown ", "fox jumps over the lazy dog"]), "9e107d9d372bb6826bd81d3542a419d6");
    }

    #[test]
    fn constant_time_eq_compares() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secrets"));
    }

    #[test]
    fn push_url_uses_uppercase_hex_time() {
        let url = tencent_push_url("push.example.com", "k", "s1", 0x5C1E5F7F, "mp4");
        assert!(url.starts_with("rtmp://push.example.com/live/s1?txSecret="), "{url}");
        assert!(url.contains("&txTime=5C1E5F7F&record=mp4"), "{url}");
        assert!(url.contains(&md5_hex(&["k", "s1", "5C1E5F7F"])));
    }

    #[test]
    fn vod_sign_matches_the_documented_vector() {
        // ../shared/research/tencent-production.md §8: KEY, Dir /dir1/dir2/, t 6553ff10, rlimit 3, us 72d4cd1101.
        let url = tencent_vod_sign(
            "http://example.com/dir1/dir2/myVideo.mp4",
            "ExampleKey0123456789",
            0x6553ff10,
            "",
            "3",
            "72d4cd1101",
        )
        .unwrap();
        assert_eq!(
            url,
            "http://example.com/dir1/dir2/myVideo.mp4?t=6553ff10&rlimit=3&us=72d4cd1101&sign=f35f15d9b6c5cebd791d14a97c696d6e"
        );
    }

    #[test]
    fn vod_sign_keeps_a_query_and_leaves_local_paths() {
        let url = tencent_vod_sign("https://v.example.com/a/b.m3u8?x=1", "k", 16, "30", "", "u").unwrap();
        assert_eq!(
            url,
            format!(
                "https://v.example.com/a/b.m3u8?x=1&t=10&exper=30&us=u&sign={}",
                md5_hex(&["k", "/a/", "10", "30", "u"])
            )
        );
        assert_eq!(tencent_vod_sign("/media/a.flv", "k", 1, "", "", "u"), None);
        assert_eq!(tencent_vod_sign("http://host-without-path", "k", 1, "", "", "u"), None);
    }

    #[test]
    fn link_ids_differ() {
        let (a, b) = (link_id(), link_id());
        assert_eq!(a.len(), 10);
        assert_ne!(a, b);
    }
}
