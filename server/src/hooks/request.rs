//! What a callback carries, read strictly: the body (size-limited), JSON objects, fields
//! with the types services actually send, and http(s) URLs.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode, header};
use serde_json::{Map, Value};

use crate::error::Failure;

/// The largest callback body accepted.
pub const MAX_BODY: usize = 64 * 1024;
/// Bodies up to this size are read (and dropped) before a 413; larger ones are not.
const DRAIN_LIMIT: usize = 1024 * 1024;

/// Reads a whole callback body, refusing one over `MAX_BODY` with 413.
pub async fn read_body(headers: &HeaderMap, body: Body) -> Result<Bytes, Failure> {
    let too_large = || {
        Failure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("callback bodies are limited to {} KiB", MAX_BODY / 1024),
        )
    };
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if let Some(n) = declared.filter(|&n| n > MAX_BODY as u64) {
        // Read a modest excess to the end before answering, so the client, still
        // sending, gets the 413 instead of a reset connection.
        if n <= DRAIN_LIMIT as u64 {
            let _ = axum::body::to_bytes(body, DRAIN_LIMIT).await;
        }
        return Err(too_large());
    }
    axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| too_large())
}

/// Parses a JSON object body, with a reason when it is not one.
pub fn json_object(body: &[u8]) -> Result<Map<String, Value>, Failure> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Failure::bad_request("malformed_json", "the body must be a JSON object")),
        Err(e) => Err(Failure::bad_request("malformed_json", format!("the body is not valid JSON: {e}"))),
    }
}

/// Typed access to a callback's fields. Services are loose with types (numbers sent
/// as strings and the other way round), so both spellings are accepted; anything else
/// is a 400 that names the field. `null` counts as absent.
pub struct Fields<'a>(pub &'a Map<String, Value>);

impl Fields<'_> {
    fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub fn str(&self, key: &str) -> Result<Option<String>, Failure> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(Failure::invalid(key, "must be a string")),
        }
    }

    /// A required, non-empty string.
    pub fn req_str(&self, key: &str) -> Result<String, Failure> {
        match self.str(key)? {
            None => Err(Failure::missing(key)),
            Some(s) if s.trim().is_empty() => Err(Failure::invalid(key, "must not be empty")),
            Some(s) => Ok(s),
        }
    }

    pub fn int(&self, key: &str) -> Result<Option<i64>, Failure> {
        let bad = || Failure::invalid(key, "must be an integer");
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => Ok(Some(i)),
                (None, Some(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(Some(f as i64)),
                _ => Err(bad()),
            },
            Some(Value::String(s)) => s.trim().parse::<i64>().map(Some).map_err(|_| bad()),
            Some(_) => Err(bad()),
        }
    }

    /// A finite number (durations in seconds).
    pub fn float(&self, key: &str) -> Result<Option<f64>, Failure> {
        let bad = || Failure::invalid(key, "must be a number");
        let n = match self.get(key) {
            None => return Ok(None),
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
            Some(_) => None,
        };
        n.filter(|n| n.is_finite()).map(Some).ok_or_else(bad)
    }

    pub fn req_int(&self, key: &str) -> Result<i64, Failure> {
        self.int(key)?.ok_or_else(|| Failure::missing(key))
    }

    /// An unsigned integer that may exceed `i64` (sequence numbers).
    pub fn u64(&self, key: &str) -> Result<Option<u64>, Failure> {
        let bad = || Failure::invalid(key, "must be a non-negative integer");
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => n.as_u64().map(Some).ok_or_else(bad),
            Some(Value::String(s)) => s.trim().parse::<u64>().map(Some).map_err(|_| bad()),
            Some(_) => Err(bad()),
        }
    }
}

/// Checks a URL a service gave for a recording: http(s) only, so it can never reach a
/// `src` attribute as `javascript:` or `data:`.
pub fn http_url(field: &str, s: &str) -> Result<String, Failure> {
    match url::Url::parse(s.trim()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(u.to_string()),
        Ok(_) => Err(Failure::invalid(field, "must be an http or https URL")),
        Err(e) => Err(Failure::invalid(field, format!("is not a valid URL ({e})"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_accept_both_spellings_and_name_the_culprit() {
        let v = json!({"a": "12", "b": 12, "c": [1], "d": null, "e": 1.5, "f": "x"});
        let f = Fields(v.as_object().unwrap());
        assert_eq!(f.int("a").unwrap(), Some(12));
        assert_eq!(f.int("b").unwrap(), Some(12));
        assert_eq!(f.str("b").unwrap().as_deref(), Some("12"));
        assert_eq!(f.int("d").unwrap(), None);
        assert_eq!(f.int("e").unwrap_err().body.field.as_deref(), Some("e"));
        assert_eq!(f.int("f").unwrap_err().body.error, "invalid_field");
        assert_eq!(f.str("c").unwrap_err().body.field.as_deref(), Some("c"));
        assert_eq!(f.req_str("zz").unwrap_err().body.error, "missing_field");
    }

    #[test]
    fn only_http_urls_pass() {
        assert!(http_url("u", "https://a.example/x.flv").is_ok());
        assert!(http_url("u", "javascript:alert(1)").is_err());
        assert!(http_url("u", "data:text/html,hi").is_err());
        assert!(http_url("u", "not a url").is_err());
    }
}
