//! Where the media the server writes lives: MP4 copies, posters and storyboards, and
//! (with object storage) the recordings of nginx-rtmp and SRS, uploaded at ingest.
//!
//! One set of keys for both backends:
//!
//! | key | what |
//! |---|---|
//! | `media/{path}` | a local recording, `/media/{path}` (uploaded from `--media-dir`) |
//! | `derived/mp4/{part}.mp4` | the MP4 copy of an FLV part (`Job::Mp4`) |
//! | `images/{part}/poster.jpg`, `images/{part}/sheet-{n}.jpg` | a part's poster and sprite sheets |
//!
//! - **Local disk** (the default): `media/…` and `derived/…` under `--media-dir`,
//!   `images/…` under `--images-dir`. Writes are the durable ones of `crate::files`
//!   (data and folder fsynced; object_store's `LocalFileSystem` fsyncs neither), and
//!   `/media/` and `/images/` serve the files as they always did.
//! - **S3-compatible object storage** (`--media-store s3://bucket[/prefix]`, the
//!   `object_store` crate's `AmazonS3`): the same keys under the prefix. `/media/` and
//!   `/images/` serve a file of this machine's disk when it has one (the recorder's host),
//!   else the object: proxied (one HEAD, then a ranged GET streamed through: `206` with
//!   `Content-Range`), or with `--media-redirect` a 302 to a presigned GET URL valid
//!   [`PRESIGN_TTL`] (the browser sends its `Range` to the bucket).
//!
//! **Create-only**: an MP4 copy or an uploaded recording is written with `PutMode::Create`
//! (`If-None-Match: *`; locally a hard link, which fails on an existing name): two
//! instances making the same copy store one object, the second finding it there ("already
//! there" is success, not an error). A recording above [`MULTIPART_OVER`] goes up in
//! parts (a multipart upload completes atomically, but S3 has no create-only multipart
//! here: a HEAD first, and two racing uploads of one file put the same bytes). Posters and
//! sprite sheets are replaced by a job's later try, so they are plain (atomic) PUTs.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as ObjectPath;
use object_store::signer::Signer;
use object_store::{
    BackoffConfig, ClientOptions, GetOptions, GetRange, ObjectStore, PutMode, PutOptions, PutPayload, RetryConfig,
    WriteMultipart,
};
use tower::ServiceExt;
use tower_http::services::ServeFile;

use crate::config::Config;

/// How long a presigned URL of `--media-redirect` is valid.
pub const PRESIGN_TTL: Duration = Duration::from_secs(3600);
/// Files larger than this are uploaded in parts of [`PART_SIZE`].
pub const MULTIPART_OVER: u64 = 32 << 20;
pub const PART_SIZE: usize = 16 << 20;
/// Parts in flight at once in a multipart upload.
const PARTS_AT_ONCE: usize = 4;
/// A HEAD, a small PUT or the health check gives up after this.
const QUICK: Duration = Duration::from_secs(10);
/// The key the health check asks for (absent is fine: the answer is what counts).
const PING_KEY: &str = "relive-health-check";

/// The media store; cheap to clone.
#[derive(Clone)]
pub struct MediaStore(Arc<Backend>);

enum Backend {
    Local {
        media_dir: PathBuf,
        images_dir: PathBuf,
    },
    Object {
        store: Arc<dyn ObjectStore>,
        /// The same store as a URL signer (`None`: an in-memory store of the unit tests).
        signer: Option<Arc<AmazonS3>>,
        /// `prefix/` or empty.
        prefix: String,
        redirect: bool,
        name: String,
    },
}

/// The key of a part's MP4 copy.
pub fn mp4_key(part: i64) -> String {
    format!("derived/mp4/{part}.mp4")
}

/// The key of a local recording's file, from its path under `--media-dir` (`/`-separated).
pub fn media_key(rel: &str) -> String {
    format!("media/{rel}")
}

/// A relative path of plain names only (no `..`, no root, not empty), `/`-separated.
fn plain(rel: &str) -> Option<&str> {
    let p = Path::new(rel);
    (!rel.is_empty() && p.components().all(|c| matches!(c, Component::Normal(_)))).then_some(rel)
}

impl MediaStore {
    /// Local disk: the default.
    pub fn local(media_dir: PathBuf, images_dir: PathBuf) -> MediaStore {
        MediaStore(Arc::new(Backend::Local { media_dir, images_dir }))
    }

    /// Any `object_store` (the unit tests' `InMemory`), without presigned URLs.
    pub fn object(store: Arc<dyn ObjectStore>, name: &str) -> MediaStore {
        MediaStore(Arc::new(Backend::Object {
            store,
            signer: None,
            prefix: String::new(),
            redirect: false,
            name: name.into(),
        }))
    }

    /// The store the flags name: `--media-store s3://bucket[/prefix]` with `--s3-endpoint`,
    /// `--s3-region` and `--media-redirect`, credentials from the environment; unset, local disk.
    pub fn from_config(c: &Config) -> anyhow::Result<MediaStore> {
        let Some(url) = c.media_store.as_deref().map(str::trim).filter(|u| !u.is_empty()) else {
            return Ok(MediaStore::local(c.media_dir.clone(), c.images_dir.clone()));
        };
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| anyhow::anyhow!("--media-store must be s3://bucket or s3://bucket/prefix, not {url}"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        anyhow::ensure!(!bucket.is_empty(), "--media-store names no bucket: {url}");
        let prefix = prefix.trim_matches('/');
        let mut b = AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .with_region(&c.s3_region)
            // Few, quick retries: a request waiting on them holds a viewer or a health check.
            .with_retry(RetryConfig {
                backoff: BackoffConfig {
                    init_backoff: Duration::from_millis(100),
                    max_backoff: Duration::from_secs(2),
                    base: 2.0,
                },
                max_retries: 3,
                retry_timeout: Duration::from_secs(15),
            })
            // No overall timeout: a proxied body streams for as long as the viewer reads
            // (the quick operations have their own, [`QUICK`]).
            .with_client_options(
                ClientOptions::new().with_connect_timeout(Duration::from_secs(5)).with_timeout_disabled(),
            );
        if let Some(endpoint) = c.s3_endpoint.as_deref() {
            b = b.with_endpoint(endpoint).with_allow_http(endpoint.starts_with("http://"));
        }
        let s3 = Arc::new(b.build()?);
        Ok(MediaStore(Arc::new(Backend::Object {
            store: s3.clone(),
            signer: Some(s3),
            prefix: if prefix.is_empty() { String::new() } else { format!("{prefix}/") },
            redirect: c.media_redirect,
            name: url.to_string(),
        })))
    }

    /// Whether media lives in object storage (else on this machine's disk).
    pub fn is_object(&self) -> bool {
        matches!(*self.0, Backend::Object { .. })
    }

    /// What it is, for the start-up log.
    pub fn describe(&self) -> String {
        match &*self.0 {
            Backend::Local { media_dir, images_dir } => {
                format!("local disk ({} and {})", media_dir.display(), images_dir.display())
            }
            Backend::Object { name, redirect, .. } => {
                format!("{name} ({})", if *redirect { "redirected to presigned URLs" } else { "proxied" })
            }
        }
    }

    /// A key's file on this machine (local disk only).
    pub fn local_path(&self, key: &str) -> Option<PathBuf> {
        let Backend::Local { media_dir, images_dir } = &*self.0 else { return None };
        let (top, rest) = key.split_once('/')?;
        let rest = plain(rest)?;
        match top {
            "media" => Some(media_dir.join(rest)),
            "derived" => Some(media_dir.join("derived").join(rest)),
            "images" => Some(images_dir.join(rest)),
            _ => None,
        }
    }

    fn object_path(prefix: &str, key: &str) -> ObjectPath {
        ObjectPath::from(format!("{prefix}{key}"))
    }

    /// Writes `bytes` at `key` unless something is there already: `Ok(true)` written,
    /// `Ok(false)` it was there (made by another instance, or an earlier try).
    pub async fn put_create(&self, key: &str, bytes: Bytes) -> Result<bool, String> {
        match &*self.0 {
            Backend::Local { .. } => {
                let path = self.local_path(key).ok_or_else(|| format!("not a key: {key}"))?;
                tokio::task::spawn_blocking(move || crate::files::create_durably(&path, &bytes))
                    .await
                    .map_err(|e| e.to_string())?
                    .map_err(|e| format!("cannot write {key}: {e}"))
            }
            Backend::Object { store, prefix, .. } => {
                let opts = PutOptions { mode: PutMode::Create, ..Default::default() };
                match store.put_opts(&Self::object_path(prefix, key), PutPayload::from_bytes(bytes), opts).await {
                    Ok(_) => Ok(true),
                    Err(object_store::Error::AlreadyExists { .. }) => Ok(false),
                    Err(e) => Err(format!("cannot write {key}: {e}")),
                }
            }
        }
    }

    /// Writes `bytes` at `key`, replacing what is there (one PUT: readers see the old or
    /// the new object, whole).
    pub async fn put(&self, key: &str, bytes: Bytes) -> Result<(), String> {
        match &*self.0 {
            Backend::Local { .. } => {
                let path = self.local_path(key).ok_or_else(|| format!("not a key: {key}"))?;
                tokio::task::spawn_blocking(move || crate::files::write_durably(&path, &bytes))
                    .await
                    .map_err(|e| e.to_string())?
                    .map_err(|e| format!("cannot write {key}: {e}"))
            }
            Backend::Object { store, prefix, .. } => store
                .put(&Self::object_path(prefix, key), PutPayload::from_bytes(bytes))
                .await
                .map(|_| ())
                .map_err(|e| format!("cannot write {key}: {e}")),
        }
    }

    /// Uploads a file of this machine's disk to `key`, create-only (see the module's
    /// doc; in parts above [`MULTIPART_OVER`]). `Ok(false)`: already there. Local disk:
    /// nothing to do (the file is where it is served from).
    pub async fn upload_file(&self, key: &str, file: &Path) -> Result<bool, String> {
        let Backend::Object { store, prefix, .. } = &*self.0 else { return Ok(false) };
        let size = tokio::fs::metadata(file).await.map_err(|e| format!("{}: {e}", file.display()))?.len();
        if self.head(key).await?.is_some() {
            return Ok(false);
        }
        let started = Instant::now();
        let created = if size <= MULTIPART_OVER {
            let bytes = tokio::fs::read(file).await.map_err(|e| format!("{}: {e}", file.display()))?;
            self.put_create(key, bytes.into()).await?
        } else {
            use tokio::io::AsyncReadExt;
            let path = Self::object_path(prefix, key);
            let upload = store.put_multipart(&path).await.map_err(|e| format!("cannot upload {key}: {e}"))?;
            let mut w = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
            let mut f = tokio::fs::File::open(file).await.map_err(|e| format!("{}: {e}", file.display()))?;
            let mut buf = vec![0u8; 1 << 20];
            loop {
                let n = match f.read(&mut buf).await {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) => {
                        let _ = w.abort().await;
                        return Err(format!("{}: {e}", file.display()));
                    }
                };
                w.write(&buf[..n]);
                w.wait_for_capacity(PARTS_AT_ONCE).await.map_err(|e| format!("cannot upload {key}: {e}"))?;
            }
            w.finish().await.map_err(|e| format!("cannot upload {key}: {e}"))?;
            true
        };
        let secs = started.elapsed().as_secs_f64();
        tracing::info!(key, bytes = size, secs, mb_per_s = size as f64 / 1e6 / secs.max(1e-6), "uploaded");
        Ok(created)
    }

    /// The size of what `key` holds, `None` if nothing.
    pub async fn head(&self, key: &str) -> Result<Option<u64>, String> {
        match &*self.0 {
            Backend::Local { .. } => {
                let path = self.local_path(key).ok_or_else(|| format!("not a key: {key}"))?;
                match tokio::fs::metadata(&path).await {
                    Ok(m) if m.is_file() => Ok(Some(m.len())),
                    Ok(_) => Ok(None),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(format!("{}: {e}", path.display())),
                }
            }
            Backend::Object { store, prefix, .. } => {
                match tokio::time::timeout(QUICK, store.head(&Self::object_path(prefix, key))).await {
                    Ok(Ok(meta)) => Ok(Some(meta.size)),
                    Ok(Err(object_store::Error::NotFound { .. })) => Ok(None),
                    Ok(Err(e)) => Err(format!("cannot look for {key}: {e}")),
                    Err(_) => Err(format!("cannot look for {key}: no answer in {QUICK:?}")),
                }
            }
        }
    }

    /// The whole of what `key` holds.
    pub async fn get(&self, key: &str) -> Result<Bytes, String> {
        match &*self.0 {
            Backend::Local { .. } => {
                let path = self.local_path(key).ok_or_else(|| format!("not a key: {key}"))?;
                tokio::fs::read(&path).await.map(Bytes::from).map_err(|e| format!("{}: {e}", path.display()))
            }
            Backend::Object { store, prefix, .. } => {
                let got = store.get(&Self::object_path(prefix, key)).await.map_err(|e| format!("{key}: {e}"))?;
                got.bytes().await.map_err(|e| format!("{key}: {e}"))
            }
        }
    }

    /// Whether the store answers (`/readyz`): local disk always does; object storage is
    /// asked for a key (absent is an answer too).
    pub async fn ping(&self) -> Result<(), String> {
        if !self.is_object() {
            return Ok(());
        }
        self.head(PING_KEY).await.map(|_| ())
    }

    /// Answers `req` with what `key` holds: `mime`, `Cache-Control: cache`, ranges and
    /// `ETag`; 404 if nothing is there.
    pub async fn serve(&self, key: &str, req: Request, mime: &str, cache: &'static str) -> Response {
        match &*self.0 {
            Backend::Local { .. } => {
                let Some(path) = self.local_path(key) else { return not_found() };
                match ServeFile::new_with_mime(&path, &mime.parse().expect("a MIME type")).oneshot(req).await {
                    Ok(mut res) => {
                        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
                        res.into_response()
                    }
                    Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
                }
            }
            Backend::Object { store, signer, prefix, redirect, .. } => {
                let path = Self::object_path(prefix, key);
                if *redirect && let Some(signer) = signer {
                    // Only when there is something to sign for: a 302 to a 404 helps nobody.
                    return match self.head(key).await {
                        Ok(Some(_)) => match signer.signed_url(Method::GET, &path, PRESIGN_TTL).await {
                            Ok(url) => (
                                StatusCode::FOUND,
                                [
                                    (header::LOCATION, url.to_string()),
                                    // The URL expires: no cache may keep the redirect.
                                    (header::CACHE_CONTROL, "private, no-store".to_string()),
                                ],
                            )
                                .into_response(),
                            Err(e) => unavailable(format!("cannot sign {key}: {e}")),
                        },
                        Ok(None) => not_found(),
                        Err(e) => unavailable(e),
                    };
                }
                proxy(store.as_ref(), &path, key, req.headers(), mime, cache).await
            }
        }
    }
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "no such file").into_response()
}

fn unavailable(e: String) -> Response {
    tracing::warn!(error = %e, "media store");
    (StatusCode::SERVICE_UNAVAILABLE, "the media store does not answer").into_response()
}

/// A `Range` header against a file of `size` bytes.
#[derive(Debug, PartialEq, Eq)]
pub enum Ranged {
    /// No range, several, or one that is not `bytes=`: the whole file.
    Whole,
    /// Bytes `start..=end`.
    Part(u64, u64),
    /// 416.
    Unsatisfiable,
}

pub fn parse_range(value: &str, size: u64) -> Ranged {
    let Some(spec) = value.trim().strip_prefix("bytes=") else { return Ranged::Whole };
    if spec.contains(',') {
        return Ranged::Whole;
    }
    let Some((a, b)) = spec.trim().split_once('-') else { return Ranged::Whole };
    let (a, b) = (a.trim(), b.trim());
    let num = |s: &str| s.parse::<u64>().ok();
    match (a.is_empty(), b.is_empty()) {
        // The last n bytes.
        (true, false) => match num(b) {
            Some(0) => Ranged::Unsatisfiable,
            Some(n) if size > 0 => Ranged::Part(size.saturating_sub(n), size - 1),
            Some(_) => Ranged::Unsatisfiable,
            None => Ranged::Whole,
        },
        (false, _) => match (num(a), if b.is_empty() { Some(u64::MAX) } else { num(b) }) {
            (Some(s), Some(e)) if s <= e => {
                if s >= size {
                    Ranged::Unsatisfiable
                } else {
                    Ranged::Part(s, e.min(size - 1))
                }
            }
            _ => Ranged::Whole,
        },
        (true, true) => Ranged::Whole,
    }
}

/// One object through this server: a HEAD for its size and `ETag`, then a GET of the
/// range asked for, streamed as it comes.
async fn proxy(
    store: &dyn ObjectStore,
    path: &ObjectPath,
    key: &str,
    headers: &HeaderMap,
    mime: &str,
    cache: &'static str,
) -> Response {
    let meta = match tokio::time::timeout(QUICK, store.head(path)).await {
        Ok(Ok(m)) => m,
        Ok(Err(object_store::Error::NotFound { .. })) => return not_found(),
        Ok(Err(e)) => return unavailable(format!("{key}: {e}")),
        Err(_) => return unavailable(format!("{key}: no answer in {QUICK:?}")),
    };
    let size = meta.size;
    let etag = meta.e_tag.as_deref().map(|t| if t.starts_with('"') { t.to_string() } else { format!("\"{t}\"") });
    if let Some(tag) = &etag
        && headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"))
    {
        let mut res = StatusCode::NOT_MODIFIED.into_response();
        res.headers_mut().insert(header::ETAG, HeaderValue::from_str(tag).expect("an ETag is ASCII"));
        return res;
    }
    // If-Range with another validator: the whole file, not a range of this one.
    let if_range_ok = headers
        .get(header::IF_RANGE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| !v.starts_with('"') || etag.as_deref() == Some(v));
    let ranged = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        Some(r) if if_range_ok => parse_range(r, size),
        _ => Ranged::Whole,
    };
    let (status, range) = match ranged {
        Ranged::Whole => (StatusCode::OK, None),
        Ranged::Part(s, e) => (StatusCode::PARTIAL_CONTENT, Some((s, e))),
        Ranged::Unsatisfiable => {
            return (
                StatusCode::RANGE_NOT_SATISFIABLE,
                [(header::CONTENT_RANGE, format!("bytes */{size}")), (header::ACCEPT_RANGES, "bytes".into())],
            )
                .into_response();
        }
    };
    let opts = GetOptions { range: range.map(|(s, e)| GetRange::Bounded(s..e + 1)), ..Default::default() };
    let got = match store.get_opts(path, opts).await {
        Ok(g) => g,
        Err(object_store::Error::NotFound { .. }) => return not_found(),
        Err(e) => return unavailable(format!("{key}: {e}")),
    };
    let length = range.map_or(size, |(s, e)| e - s + 1);
    let mut res = Response::new(Body::from_stream(got.into_stream()));
    *res.status_mut() = status;
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_str(mime).expect("a MIME type"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Some((s, e)) = range {
        h.insert(header::CONTENT_RANGE, HeaderValue::from_str(&format!("bytes {s}-{e}/{size}")).expect("ASCII"));
    }
    if let Some(tag) = etag.as_deref().and_then(|t| HeaderValue::from_str(t).ok()) {
        h.insert(header::ETAG, tag);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::memory::InMemory;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-99", 1000), Ranged::Part(0, 99));
        assert_eq!(parse_range("bytes=900-", 1000), Ranged::Part(900, 999));
        assert_eq!(parse_range("bytes=-100", 1000), Ranged::Part(900, 999));
        assert_eq!(parse_range("bytes=-5000", 1000), Ranged::Part(0, 999));
        assert_eq!(parse_range("bytes=990-2000", 1000), Ranged::Part(990, 999));
        assert_eq!(parse_range("bytes=1000-", 1000), Ranged::Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 1000), Ranged::Unsatisfiable);
        assert_eq!(parse_range("bytes=5-1", 1000), Ranged::Whole);
        assert_eq!(parse_range("bytes=0-1,5-6", 1000), Ranged::Whole);
        assert_eq!(parse_range("items=0-1", 1000), Ranged::Whole);
    }

    #[test]
    fn local_keys_stay_in_their_folders() {
        let s = MediaStore::local("/m".into(), "/i".into());
        assert_eq!(s.local_path(&mp4_key(7)), Some(PathBuf::from("/m/derived/mp4/7.mp4")));
        assert_eq!(s.local_path("images/7/poster.jpg"), Some(PathBuf::from("/i/7/poster.jpg")));
        assert_eq!(s.local_path(&media_key("live/a.flv")), Some(PathBuf::from("/m/live/a.flv")));
        assert_eq!(s.local_path("media/../etc/passwd"), None);
        assert_eq!(s.local_path("other/x"), None);
    }

    #[tokio::test]
    async fn create_only_keeps_the_first_write() {
        let dir = tempfile::tempdir().unwrap();
        let local = MediaStore::local(dir.path().join("m"), dir.path().join("i"));
        let memory = MediaStore::object(Arc::new(InMemory::new()), "memory");
        for s in [local, memory] {
            assert_eq!(s.head("derived/mp4/1.mp4").await.unwrap(), None);
            assert!(s.put_create("derived/mp4/1.mp4", Bytes::from_static(b"first")).await.unwrap());
            assert!(!s.put_create("derived/mp4/1.mp4", Bytes::from_static(b"second")).await.unwrap());
            assert_eq!(s.get("derived/mp4/1.mp4").await.unwrap(), Bytes::from_static(b"first"));
            assert_eq!(s.head("derived/mp4/1.mp4").await.unwrap(), Some(5));
            s.put("images/1/poster.jpg", Bytes::from_static(b"a")).await.unwrap();
            s.put("images/1/poster.jpg", Bytes::from_static(b"bb")).await.unwrap();
            assert_eq!(s.get("images/1/poster.jpg").await.unwrap(), Bytes::from_static(b"bb"));
            s.ping().await.unwrap();
        }
    }

    #[tokio::test]
    async fn proxied_ranges() {
        let s = MediaStore::object(Arc::new(InMemory::new()), "memory");
        let data: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
        s.put_create("media/a.flv", data.clone().into()).await.unwrap();
        let req =
            Request::builder().uri("/media/a.flv").header("range", "bytes=1000-1999").body(Body::empty()).unwrap();
        let res = s.serve("media/a.flv", req, "video/x-flv", "public, max-age=3600").await;
        assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(res.headers()[header::CONTENT_RANGE], "bytes 1000-1999/10000");
        assert_eq!(res.headers()[header::CONTENT_LENGTH], "1000");
        let body = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
        assert_eq!(&body[..], &data[1000..2000]);
        let req = Request::builder().uri("/").header("range", "bytes=20000-").body(Body::empty()).unwrap();
        assert_eq!(s.serve("media/a.flv", req, "video/x-flv", "no-cache").await.status(), 416);
        let req = Request::builder().uri("/").body(Body::empty()).unwrap();
        assert_eq!(s.serve("media/b.flv", req, "video/x-flv", "no-cache").await.status(), 404);
    }
}
