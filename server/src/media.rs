//! `GET /media/{path}`: local recordings under `--media-dir`, with `Range`,
//! `Last-Modified`, `ETag` and the right MIME type (HLS: `application/vnd.apple.mpegurl`
//! for `.m3u8`, `video/mp2t` for `.ts`). Nothing outside the folder is ever served: `..`,
//! encoded or not, absolute paths and symlinks leading out all get 404.
//!
//! Media files never change once written, so they may be cached for an hour; playlists
//! may (a recorder's sliding window), so they are revalidated with their `ETag` each time.

use std::path::{Component, Path, PathBuf};
use std::time::UNIX_EPOCH;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use relive_api::percent;
use tower::ServiceExt;
use tower_http::services::ServeFile;

use crate::AppState;

/// The file a request path names, if it is a file inside `root` (symlinks resolved).
pub fn resolve(root: &Path, rel: &str) -> Option<PathBuf> {
    let rel = Path::new(rel.trim_start_matches('/'));
    if rel.as_os_str().is_empty() || !rel.components().all(|c| matches!(c, Component::Normal(_))) {
        return None;
    }
    let root = root.canonicalize().ok()?;
    let path = root.join(rel).canonicalize().ok()?;
    (path.starts_with(&root) && path.is_file()).then_some(path)
}

/// A relative path of plain names only.
fn plain(rel: &str) -> bool {
    !rel.is_empty() && Path::new(rel).components().all(|c| matches!(c, Component::Normal(_)))
}

/// The types of recordings by extension, for objects (files get `ServeFile`'s guess).
fn mime_guess(rel: &str) -> &'static str {
    match Path::new(rel).extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("flv") => "video/x-flv",
        Some("mp4") => "video/mp4",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("aac") => "audio/aac",
        _ => "application/octet-stream",
    }
}

/// A strong validator from size and modification time.
fn etag(meta: &std::fs::Metadata) -> String {
    let mtime = meta.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos());
    format!("\"{:x}-{:x}\"", meta.len(), mtime)
}

const PLAYLIST: &str = "application/vnd.apple.mpegurl";

/// The types the guess by extension gets wrong or leaves out (`.ts` is TypeScript to it).
fn mime(path: &Path) -> Option<&'static str> {
    match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "m3u8" => Some(PLAYLIST),
        "ts" => Some("video/mp2t"),
        "m4s" => Some("video/iso.segment"),
        _ => None,
    }
}

pub async fn serve(State(app): State<AppState>, req: Request) -> Response {
    // The path as sent, percent-decoded once (so `%2e%2e` is `..` and refused).
    let raw = req.uri().path().strip_prefix("/media").unwrap_or("");
    let decoded = percent::decode(raw);
    let Some(path) = decoded.as_deref().and_then(|p| resolve(&app.config.media_dir, p)) else {
        // Not on this machine: with object storage, the recording its recorder's instance
        // uploaded (`crate::storage`), proxied or redirected.
        if app.media.is_object()
            && let Some(rel) = decoded.as_deref().map(|p| p.trim_start_matches('/')).filter(|p| plain(p))
        {
            let kind = mime(Path::new(rel));
            let cache = if kind == Some(PLAYLIST) { "no-cache" } else { "public, max-age=3600" };
            let guessed = mime_guess(rel);
            return app.media.serve(&crate::storage::media_key(rel), req, kind.unwrap_or(guessed), cache).await;
        }
        return (StatusCode::NOT_FOUND, "no such recording").into_response();
    };
    let Ok(meta) = std::fs::metadata(&path) else {
        return (StatusCode::NOT_FOUND, "no such recording").into_response();
    };
    let tag = etag(&meta);
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"));
    let tag_value = HeaderValue::from_str(&tag).expect("an ETag is ASCII");
    if matches {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, tag_value)]).into_response();
    }
    // If-Range with an old validator: send the whole file, not a range of the new one.
    let mut req = req;
    if let Some(if_range) = req.headers().get(header::IF_RANGE).and_then(|v| v.to_str().ok())
        && if_range.starts_with('"')
        && if_range != tag
    {
        req.headers_mut().remove(header::RANGE);
    }
    let kind = mime(&path);
    let serve = match kind {
        Some(m) => ServeFile::new_with_mime(&path, &m.parse().expect("a MIME type")),
        None => ServeFile::new(&path),
    };
    match serve.oneshot(req).await {
        Ok(mut res) => {
            res.headers_mut().insert(header::ETAG, tag_value);
            let cache = if kind == Some(PLAYLIST) { "no-cache" } else { "public, max-age=3600" };
            res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
            res.into_response()
        }
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_inside_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("media");
        std::fs::create_dir_all(root.join("live")).unwrap();
        std::fs::write(root.join("live/a.flv"), b"FLV").unwrap();
        std::fs::write(dir.path().join("secret.txt"), b"no").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(dir.path().join("secret.txt"), root.join("live/escape.flv")).unwrap();
        assert!(resolve(&root, "live/a.flv").is_some());
        assert!(resolve(&root, "/live/a.flv").is_some());
        for bad in ["../secret.txt", "live/../../secret.txt", "live/escape.flv", "", "live", "live/missing.flv"] {
            assert_eq!(resolve(&root, bad), None, "{bad}");
        }
        assert_eq!(percent::decode("/%2e%2e/secret.txt").as_deref(), Some("/../secret.txt"));
        assert_eq!(percent::decode("/bad%zz"), None);
    }
}
