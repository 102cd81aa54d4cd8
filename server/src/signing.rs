//! Signatures: Tencent Cloud Live's md5 schemes and constant-time comparison.

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
}
