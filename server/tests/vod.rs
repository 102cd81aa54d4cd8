//! Tencent VOD's Key hotlink protection and files that are gone, against the real server
//! and a loopback CDN that enforces the documented signature
//! (`sign == md5(KEY + Dir + t + exper + rlimit + us)`, `t` lower-case hex and not past,
//! else 403; `../shared/research/tencent-production.md` §8):
//! - every recording URL the API hands out is signed per request, carries
//!   `url_expires_at`, plays, is refused once expired, and a new read signs it again; the
//!   key is in no response (API JSON, pages);
//! - the server's own reads sign too: the keyframe index of a remote FLV, an HLS
//!   playlist's duration, `/download.mp4` of FLV, MP4 and HLS (each segment signed);
//! - HLS under the three CDN behaviours §10 question 1 leaves open (segments checked,
//!   segments unchecked, segments signed by the CDN in its playlist);
//! - a file its host deletes (404) leaves the public lists after the periodic check
//!   (`--check-files-every`), 410 publicly, `gone_at` for the admin, nothing else
//!   touched; `--tencent-storage-time` makes a recording past its time leave the lists.

mod common;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::Response;
use common::{ADMIN_TOKEN, CALLBACK_KEY, Server, md5_hex, now, session_recording};
use serde_json::{Value, json};

/// The CDN's (and Relive's) Key: never to be seen outside the server.
const KEY: &str = "VodKey0123456789abcd";

// ---- the test CDN --------------------------------------------------------------------------

/// What the CDN asks of HLS segments (`tencent-production.md` §10, question 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Segments {
    /// Every request, segments too, must carry its own valid signature.
    Checked,
    /// Playlists are checked, segments are not.
    Open,
    /// The CDN signs the segment URIs in the playlists it serves (absolute, each with its
    /// own `t`/`us`/`sign`), and checks segments.
    Rewritten,
}

#[derive(Clone)]
struct Cdn(Arc<CdnState>);

struct CdnState {
    segments: Segments,
    files: Mutex<HashMap<String, Vec<u8>>>,
    /// Paths answering this status whatever the signature (a host failing).
    forced: Mutex<HashMap<String, u16>>,
    /// Paths whose HEAD is refused (405).
    no_head: Mutex<HashSet<String>>,
    /// (method, path and query, status) of every request.
    log: Mutex<Vec<(String, String, u16)>>,
    base: OnceLock<String>,
}

impl Cdn {
    async fn start(segments: Segments) -> Cdn {
        let cdn = Cdn(Arc::new(CdnState {
            segments,
            files: Mutex::default(),
            forced: Mutex::default(),
            no_head: Mutex::default(),
            log: Mutex::default(),
            base: OnceLock::new(),
        }));
        let app = axum::Router::new().fallback(serve).with_state(cdn.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        cdn.0.base.set(format!("http://{}", listener.local_addr().unwrap())).unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        cdn
    }

    fn base(&self) -> &str {
        self.0.base.get().unwrap()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base())
    }

    fn put(&self, path: &str, bytes: Vec<u8>) {
        self.0.files.lock().unwrap().insert(path.to_string(), bytes);
    }

    fn delete(&self, path: &str) {
        self.0.files.lock().unwrap().remove(path);
    }

    fn force(&self, path: &str, status: u16) {
        self.0.forced.lock().unwrap().insert(path.to_string(), status);
    }

    fn refuse_head(&self, path: &str) {
        self.0.no_head.lock().unwrap().insert(path.to_string());
    }

    fn log(&self) -> Vec<(String, String, u16)> {
        self.0.log.lock().unwrap().clone()
    }

    /// Requests for `path` (any query) with `method`, and their statuses.
    fn answers(&self, method: &str, path: &str) -> Vec<u16> {
        self.log()
            .into_iter()
            .filter(|(m, p, _)| m == method && p.split('?').next() == Some(path))
            .map(|(_, _, s)| s)
            .collect()
    }
}

/// The CDN's own signature, as the research note gives it (computed here, apart from the
/// server's code).
fn cdn_sign(path: &str, expires: i64, us: &str) -> String {
    let dir = &path[..=path.rfind('/').unwrap()];
    let t = format!("{expires:x}");
    format!("t={t}&us={us}&sign={}", md5_hex(&format!("{KEY}{dir}{t}{us}")))
}

/// Whether a request's query carries a valid, unexpired signature for `path`. Each
/// parameter must appear once (a URL signed twice is refused).
fn signature_ok(path: &str, query: &str) -> bool {
    let mut q: HashMap<&str, &str> = HashMap::new();
    for kv in query.split('&').filter(|s| !s.is_empty()) {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        if q.insert(k, v).is_some() {
            return false;
        }
    }
    let (Some(t), Some(us), Some(sign)) = (q.get("t"), q.get("us"), q.get("sign")) else { return false };
    let exper = q.get("exper").copied().unwrap_or("");
    let rlimit = q.get("rlimit").copied().unwrap_or("");
    let dir = &path[..=path.rfind('/').unwrap()];
    let expected = md5_hex(&format!("{KEY}{dir}{t}{exper}{rlimit}{us}"));
    let fresh = i64::from_str_radix(t, 16).is_ok_and(|t| t >= now()) && t.chars().all(|c| !c.is_ascii_uppercase());
    fresh && expected == *sign
}

async fn serve(State(cdn): State<Cdn>, method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path().to_string();
    let query = uri.query().unwrap_or("").to_string();
    let answer = answer(&cdn, &method, &path, &query, &headers);
    cdn.0.log.lock().unwrap().push((method.to_string(), uri.to_string(), answer.status().as_u16()));
    answer
}

fn status(code: u16) -> Response {
    Response::builder().status(code).body(Body::from(format!("{code}"))).unwrap()
}

fn answer(cdn: &Cdn, method: &Method, path: &str, query: &str, headers: &HeaderMap) -> Response {
    if let Some(&code) = cdn.0.forced.lock().unwrap().get(path) {
        return status(code);
    }
    let segment = path.ends_with(".ts");
    let checked = !(segment && cdn.0.segments == Segments::Open);
    if checked && !signature_ok(path, query) {
        return status(403);
    }
    if method == Method::HEAD && cdn.0.no_head.lock().unwrap().contains(path) {
        return status(405);
    }
    let Some(mut bytes) = cdn.0.files.lock().unwrap().get(path).cloned() else { return status(404) };
    if path.ends_with(".m3u8") && cdn.0.segments == Segments::Rewritten {
        let dir = &path[..=path.rfind('/').unwrap()];
        let text = String::from_utf8(bytes).unwrap();
        let lines: Vec<String> = text
            .lines()
            .map(|l| match l.starts_with('#') || l.trim().is_empty() {
                true => l.to_string(),
                false => {
                    let seg = format!("{dir}{l}");
                    format!("{}{seg}?{}", cdn.base(), cdn_sign(&seg, now() + 60, "cdn0000001"))
                }
            })
            .collect();
        bytes = (lines.join("\n") + "\n").into_bytes();
    }
    let len = bytes.len() as u64;
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok()).and_then(|r| {
        let (a, b) = r.strip_prefix("bytes=")?.split_once('-')?;
        let a: u64 = a.parse().ok()?;
        let b: u64 = if b.is_empty() { len - 1 } else { b.parse::<u64>().ok()?.min(len - 1) };
        (a <= b && a < len).then_some((a, b))
    });
    let builder = Response::builder().header(header::ACCEPT_RANGES, "bytes");
    match range {
        Some((a, b)) => builder
            .status(StatusCode::PARTIAL_CONTENT)
            .header(header::CONTENT_RANGE, format!("bytes {a}-{b}/{len}"))
            .body(Body::from(bytes[a as usize..=b as usize].to_vec()))
            .unwrap(),
        None => builder.status(StatusCode::OK).body(Body::from(bytes)).unwrap(),
    }
}

// ---- media -----------------------------------------------------------------------------------

/// 6-second FLV, MP4 and HLS (three 2-second TS segments), made once per run.
fn media() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("relive-vod-tests-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("hls")).unwrap();
        common::test_pattern("6", "320x180", &[], &dir.join("a.flv"));
        common::test_pattern("6", "320x180", &["-movflags", "+faststart"], &dir.join("b.mp4"));
        let pattern = dir.join("hls/seg%d.ts");
        let hls = ["-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod", "-hls_segment_filename"];
        common::test_pattern(
            "6",
            "320x180",
            &[&hls[..], &[pattern.to_str().unwrap()]].concat(),
            &dir.join("hls/index.m3u8"),
        );
        dir
    })
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(media().join(name)).unwrap()
}

/// Puts the HLS recording on the CDN under `dir` (`/live/x/`); with `segments_in`, the
/// segments go to that other folder and the playlist names them there.
fn put_hls(cdn: &Cdn, dir: &str, segments_in: Option<&str>) {
    let mut playlist = String::from_utf8(read("hls/index.m3u8")).unwrap();
    for i in 0..3 {
        let name = format!("seg{i}.ts");
        match segments_in {
            Some(other) => {
                cdn.put(&format!("{other}{name}"), read(&format!("hls/{name}")));
                playlist = playlist
                    .replace(&name, &format!("..{}{name}", &other[other[..other.len() - 1].rfind('/').unwrap()..]));
            }
            None => cdn.put(&format!("{dir}{name}"), read(&format!("hls/{name}"))),
        }
    }
    cdn.put(&format!("{dir}index.m3u8"), playlist.into_bytes());
}

// ---- Relive ------------------------------------------------------------------------------------

/// Relive with the VOD key (and a built web app's index.html, so pages answer).
fn relive(extra: &[&str]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    common::write_file(
        &dir.path().join("dist/index.html"),
        b"<!doctype html><html><head><title>Relive</title></head><body></body></html>",
    );
    let mut args = vec!["--tencent-callback-key", CALLBACK_KEY, "--admin-token", ADMIN_TOKEN, "--tencent-vod-key", KEY];
    args.extend_from_slice(extra);
    Server::start_in(dir, &args)
}

/// Announces a Tencent recording (event 100) at `url`, its format from its extension;
/// `duration` 0 leaves it to the server to find (HLS: from the playlist).
async fn announce(s: &Server, stream: &str, file_id: &str, url: &str, start: i64, duration: i64) {
    let format = match url.rsplit('.').next() {
        Some("m3u8") => "hls",
        Some(ext) => ext,
        None => "flv",
    };
    let mut p = session_recording(stream, &format!("s-{file_id}"), file_id, start, duration.max(6));
    p["duration"] = json!(duration);
    p["video_url"] = json!(url);
    p["file_format"] = json!(format);
    let (status, body) = s.tencent(p).await;
    assert_eq!(status, 200, "{body}");
}

/// A GET's status and body text (for the key search).
async fn text(s: &Server, path: &str, token: Option<&str>) -> (u16, String) {
    let mut req = s.http.get(s.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// A streamer's listed replays.
async fn listed(s: &Server, stream: &str) -> Vec<Value> {
    let (status, page) = s.get(&format!("/api/v1/streamers/{stream}/replays?limit=100")).await;
    assert_eq!(status, 200, "{page}");
    page["items"].as_array().unwrap().clone()
}

/// Polls until `done` holds for the streamer's list (`secs` at most); the last list.
async fn listed_until(s: &Server, stream: &str, secs: u64, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let items = listed(s, stream).await;
        if done(&items) || std::time::Instant::now() > deadline {
            return items;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn fetch(url: &str) -> (u16, Vec<u8>) {
    let r = reqwest::get(url).await.unwrap();
    (r.status().as_u16(), r.bytes().await.unwrap().to_vec())
}

/// A replay as seen publicly, without what changes at every read (the signature).
fn unsigned(mut r: Value) -> Value {
    let strip = |u: &mut Value| {
        if let Some(s) = u.as_str() {
            *u = json!(s.split('?').next().unwrap());
        }
    };
    strip(&mut r["url"]);
    for p in r["parts"].as_array_mut().unwrap() {
        strip(&mut p["url"]);
        p.as_object_mut().unwrap().remove("url_expires_at");
    }
    r
}

// ---- signed URLs ----------------------------------------------------------------------------

#[tokio::test]
async fn urls_are_signed_per_request_expire_and_are_signed_again() {
    let cdn = Cdn::start(Segments::Checked).await;
    cdn.put("/live/fay/f0.flv", read("a.flv"));
    cdn.put("/live/moe/f0.mp4", read("b.mp4"));
    put_hls(&cdn, "/live/hal/", None);
    // Unsigned, or signed with another key: refused.
    assert_eq!(fetch(&cdn.url("/live/moe/f0.mp4")).await.0, 403);
    let forged = format!("t={:x}&us=1&sign={}", now() + 60, md5_hex("nope"));
    assert_eq!(fetch(&format!("{}?{forged}", cdn.url("/live/moe/f0.mp4"))).await.0, 403);

    let s = relive(&["--tencent-vod-sign-ttl", "10"]);
    let t0 = now() - 3600;
    announce(&s, "fay", "fay-1", &cdn.url("/live/fay/f0.flv"), t0, 6).await;
    announce(&s, "moe", "moe-1", &cdn.url("/live/moe/f0.mp4"), t0, 6).await;
    // No duration: the server reads the playlist (signed) for it.
    announce(&s, "hal", "hal-1", &cdn.url("/live/hal/index.m3u8"), t0, 0).await;

    // The keyframe index of the remote FLV is built through a signed fetch.
    let fay = listed(&s, "fay").await;
    let part = fay[0]["parts"][0]["id"].as_i64().unwrap();
    let mut index = Value::Null;
    for _ in 0..100 {
        let (status, body) = s.get(&format!("/api/v1/replays/{part}/keyframes")).await;
        if status == 200 {
            index = body;
            break;
        }
        assert_eq!(status, 202, "{body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(index["times_ms"].as_array().map(Vec::len), Some(6), "{index}");
    assert!(cdn.answers("GET", "/live/fay/f0.flv").contains(&200), "{:?}", cdn.log());
    assert!(!cdn.answers("GET", "/live/fay/f0.flv").contains(&403), "{:?}", cdn.log());
    // The HLS duration, from the playlist read signed.
    let hal = listed_until(&s, "hal", 10, |i| i[0]["duration_secs"].as_f64() > Some(5.9)).await;
    assert!((hal[0]["duration_secs"].as_f64().unwrap() - 6.0).abs() < 0.1, "{}", hal[0]);

    // Every URL handed out is signed, expires with the TTL, and plays.
    let mut handed = Vec::new();
    for (stream, path, name) in [
        ("fay", "/live/fay/f0.flv", "a.flv"),
        ("moe", "/live/moe/f0.mp4", "b.mp4"),
        ("hal", "/live/hal/index.m3u8", ""),
    ] {
        let r = listed(&s, stream).await.remove(0);
        let p = &r["parts"][0];
        let url = p["url"].as_str().unwrap();
        assert!(url.starts_with(&format!("{}?t=", cdn.url(path))) && url.contains("&sign="), "{url}");
        let expires = p["url_expires_at"].as_i64().unwrap();
        assert!((now() + 8..=now() + 11).contains(&expires), "{expires}");
        assert_eq!(&url[url.find("t=").unwrap() + 2..url.find("&us=").unwrap()], format!("{expires:x}"));
        let (status, bytes) = fetch(url).await;
        assert_eq!(status, 200, "{url}");
        if !name.is_empty() {
            assert_eq!(bytes, read(name));
        }
        // The replay's own url is the first part's, signed with its own link id.
        let top = r["url"].as_str().unwrap();
        assert!(top.starts_with(&format!("{}?t=", cdn.url(path))) && top != url, "{top} / {url}");
        assert_eq!(fetch(top).await.0, 200);
        // A second read signs again: another `us`.
        let again = listed(&s, stream).await.remove(0);
        assert_ne!(again["parts"][0]["url"], p["url"]);
        handed.push((r["id"].as_i64().unwrap(), url.to_string(), expires, path));
    }

    // The server's remote reads for a download sign too (HLS: each segment).
    for (id, _, _, _) in &handed {
        let res = s.http.get(s.url(&format!("/api/v1/replays/{id}/download.mp4"))).send().await.unwrap();
        assert_eq!(res.status(), 200, "{id}");
        let bytes = res.bytes().await.unwrap();
        assert!(bytes.len() > 100_000 && &bytes[4..8] == b"ftyp", "{id}: {} bytes", bytes.len());
    }
    for seg in ["seg0.ts", "seg1.ts", "seg2.ts"] {
        let answers = cdn.answers("GET", &format!("/live/hal/{seg}"));
        assert!(!answers.is_empty() && answers.iter().all(|&s| s == 200 || s == 206), "{seg}: {answers:?}");
    }

    // Responses with signed URLs are for their requester alone.
    for path in ["/api/v1/streamers/fay/replays".to_string(), format!("/api/v1/replays/{}", handed[0].0)] {
        let r = s.http.get(s.url(&path)).send().await.unwrap();
        assert_eq!(r.headers()["cache-control"], "private, no-store", "{path}");
    }

    // The key is in no response: API JSON, the pages.
    let mut pages = vec![
        "/api/v1/streamers".to_string(),
        "/api/v1/openapi.json".into(),
        "/".into(),
        "/u/fay".into(),
        "/healthz".into(),
    ];
    for (id, _, _, _) in &handed {
        pages.push(format!("/api/v1/replays/{id}"));
        pages.push(format!("/watch/{id}"));
        pages.push(format!("/embed/{id}"));
    }
    for stream in ["fay", "moe", "hal"] {
        pages.push(format!("/api/v1/streamers/{stream}"));
        pages.push(format!("/api/v1/streamers/{stream}/replays"));
    }
    for page in &pages {
        for token in [None, Some(ADMIN_TOKEN)] {
            let (status, body) = text(&s, page, token).await;
            assert!(status < 500, "{page}: {status}");
            assert!(!body.contains(KEY), "{page} gives the key away");
        }
    }

    // Past its expiry a URL is refused; reading the replay again gives one that works.
    let latest = handed.iter().map(|h| h.2).max().unwrap();
    while now() <= latest {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    for (id, old, _, path) in &handed {
        assert_eq!(fetch(old).await.0, 403, "{old}");
        let (status, detail) = s.get(&format!("/api/v1/replays/{id}")).await;
        assert_eq!(status, 200, "{detail}");
        let p = &detail["replay"]["parts"][0];
        let fresh = p["url"].as_str().unwrap();
        assert!(fresh.starts_with(&cdn.url(path)) && fresh != old, "{fresh}");
        assert!(p["url_expires_at"].as_i64().unwrap() > now() + 5, "{p}");
        // Where the player goes on: a Range request from the middle.
        let r = s.http.get(fresh).header("range", "bytes=10-59").send().await.unwrap();
        assert_eq!(r.status(), 206, "{fresh}");
        assert_eq!(r.bytes().await.unwrap().len(), 50);
    }
}

/// HLS under each behaviour of the research note's §10 question 1, as far as the server
/// is concerned: it reads the playlist's duration and downloads the replay in all three
/// (signing each segment it fetches, and leaving alone the segment URIs a CDN signed
/// itself), and the playlist URL it hands out leads to playable segments the way the
/// player resolves them (the playlist's query carried onto same-origin segments, which
/// the signature covers: it is per directory).
#[tokio::test]
async fn hls_plays_whichever_way_the_cdn_treats_segments() {
    let s = relive(&[]);
    let t0 = now() - 7200;
    for (i, mode) in [Segments::Checked, Segments::Open, Segments::Rewritten].into_iter().enumerate() {
        let cdn = Cdn::start(mode).await;
        put_hls(&cdn, "/vod/rec/", None);
        let stream = format!("h{i}");
        announce(&s, &stream, &format!("hls-{i}"), &cdn.url("/vod/rec/index.m3u8"), t0, 0).await;
        let r = listed_until(&s, &stream, 10, |items| items[0]["duration_secs"].as_f64() > Some(5.9)).await.remove(0);
        assert!((r["duration_secs"].as_f64().unwrap() - 6.0).abs() < 0.1, "{mode:?}: {r}");

        // The player's way: the signed playlist, then its segments resolved against it.
        let url = r["parts"][0]["url"].as_str().unwrap().to_string();
        let (status, body) = fetch(&url).await;
        assert_eq!(status, 200, "{mode:?}");
        let relive_media::hls::Playlist::Media(m) =
            relive_media::hls::parse(&String::from_utf8(body).unwrap(), &url).unwrap()
        else {
            panic!("a media playlist")
        };
        assert_eq!(m.segments.len(), 3);
        for seg in &m.segments {
            assert_eq!(fetch(&seg.url).await.0, 200, "{mode:?}: {}", seg.url);
        }

        // The server's way: a download reads every segment.
        let res = s.http.get(s.url(&format!("/api/v1/replays/{}/download.mp4", r["id"]))).send().await.unwrap();
        assert_eq!(res.status(), 200, "{mode:?}");
        assert!(res.bytes().await.unwrap().len() > 100_000, "{mode:?}");
        let refused: Vec<_> = cdn.log().into_iter().filter(|(_, _, st)| *st == 403).collect();
        assert!(refused.is_empty(), "{mode:?}: {refused:?}");
    }

    // Segments in another folder than the playlist, segments checked: the server signs
    // each for its own folder and downloads; the playlist's signature carried onto them
    // does not cover them (the player needs segments beside their playlist, as Tencent
    // writes them).
    let cdn = Cdn::start(Segments::Checked).await;
    put_hls(&cdn, "/vod/list/", Some("/vod/segs/"));
    announce(&s, "away", "hls-away", &cdn.url("/vod/list/index.m3u8"), t0, 6).await;
    let r = listed(&s, "away").await.remove(0);
    let res = s.http.get(s.url(&format!("/api/v1/replays/{}/download.mp4", r["id"]))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.bytes().await.unwrap().len() > 100_000);
    let url = r["parts"][0]["url"].as_str().unwrap().to_string();
    let (_, body) = fetch(&url).await;
    let relive_media::hls::Playlist::Media(m) =
        relive_media::hls::parse(&String::from_utf8(body).unwrap(), &url).unwrap()
    else {
        panic!("a media playlist")
    };
    assert!(m.segments[0].url.contains("/vod/segs/seg0.ts?t="), "{}", m.segments[0].url);
    assert_eq!(fetch(&m.segments[0].url).await.0, 403);
}

// ---- files that are gone ------------------------------------------------------------------------

#[tokio::test]
async fn a_file_its_host_deletes_leaves_the_public_lists() {
    let cdn = Cdn::start(Segments::Checked).await;
    let files =
        ["/v/ada1/f0.mp4", "/v/ada2/f0.mp4", "/v/bob/f0.mp4", "/v/cyd/f0.mp4", "/v/eve1/f0.mp4", "/v/eve2/f0.mp4"];
    for f in files {
        cdn.put(f, format!("bytes of {f}").into_bytes());
    }
    let s = relive(&["--check-files-every", "1"]);
    let t0 = now() - 5 * 3600;
    // ada: two broadcasts hours apart; bob: one (its host refuses HEAD); cyd: one (its
    // host will fail); eve: one broadcast of two parts.
    announce(&s, "ada", "ada-1", &cdn.url("/v/ada1/f0.mp4"), t0, 60).await;
    announce(&s, "ada", "ada-2", &cdn.url("/v/ada2/f0.mp4"), t0 + 7200, 30).await;
    announce(&s, "bob", "bob-1", &cdn.url("/v/bob/f0.mp4"), t0, 40).await;
    announce(&s, "cyd", "cyd-1", &cdn.url("/v/cyd/f0.mp4"), t0, 50).await;
    let mut e1 = session_recording("eve", "eve-s", "eve-1", t0, 100);
    e1["video_url"] = json!(cdn.url("/v/eve1/f0.mp4"));
    let mut e2 = session_recording("eve", "eve-s", "eve-2", t0 + 110, 20);
    e2["video_url"] = json!(cdn.url("/v/eve2/f0.mp4"));
    assert_eq!(s.tencent(e1).await.0, 200);
    assert_eq!(s.tencent(e2).await.0, 200);
    cdn.refuse_head("/v/bob/f0.mp4");

    // The checks run (signed: a HEAD unsigned would be refused) and change nothing.
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while files.iter().any(|f| cdn.answers("HEAD", f).is_empty()) {
        assert!(std::time::Instant::now() < deadline, "not every file was checked: {:?}", cdn.log());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for f in files.iter().filter(|f| !f.contains("bob")) {
        assert_eq!(cdn.answers("HEAD", f)[0], 200, "{f}: {:?}", cdn.log());
    }
    assert_eq!(cdn.answers("HEAD", "/v/bob/f0.mp4")[0], 405);
    assert_eq!(cdn.answers("GET", "/v/bob/f0.mp4")[0], 206, "{:?}", cdn.log());
    let before: HashMap<&str, Vec<Value>> = {
        let mut m = HashMap::new();
        for st in ["ada", "bob", "cyd", "eve"] {
            m.insert(st, listed(&s, st).await.into_iter().map(unsigned).collect());
        }
        m
    };
    assert_eq!(before["ada"].len(), 2);
    assert_eq!(before["eve"][0]["parts"].as_array().unwrap().len(), 2);
    let (_, ada) = s.get("/api/v1/streamers/ada").await;
    assert_eq!((ada["replay_count"].as_u64(), ada["total_duration_secs"].as_f64()), (Some(2), Some(90.0)));

    // The host deletes ada's first, bob's and eve's first file; cyd's host starts failing.
    for f in ["/v/ada1/f0.mp4", "/v/bob/f0.mp4", "/v/eve1/f0.mp4"] {
        cdn.delete(f);
    }
    cdn.force("/v/cyd/f0.mp4", 500);
    let gone_id = before["ada"].iter().find(|r| r["duration_secs"] == 60.0).unwrap()["id"].as_i64().unwrap();
    let ada_now = listed_until(&s, "ada", 20, |i| i.len() == 1).await;
    assert_eq!(ada_now.len(), 1, "ada's deleted file did not leave the list");
    assert_eq!(listed_until(&s, "bob", 10, |i| i.is_empty()).await.len(), 0, "bob's (HEAD refused, GET 404)");
    let eve = listed_until(&s, "eve", 10, |i| i[0]["parts"].as_array().unwrap().len() == 1).await;
    // A few more rounds of checks against cyd's failing host.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while cdn.answers("HEAD", "/v/cyd/f0.mp4").iter().filter(|&&s| s == 500).count() < 2 {
        assert!(std::time::Instant::now() < deadline, "cyd's file was not checked again");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // The other replays are as they were; eve's lost a part, its timeline recomputed.
    assert_eq!(unsigned(ada_now[0].clone()), before["ada"].iter().find(|r| r["id"] != gone_id).unwrap().clone());
    assert_eq!(listed(&s, "cyd").await.into_iter().map(unsigned).collect::<Vec<_>>(), before["cyd"]);
    let eve = unsigned(eve[0].clone());
    assert_eq!(eve["id"], before["eve"][0]["id"]);
    assert_eq!(eve["parts"][0]["id"], before["eve"][0]["parts"][1]["id"]);
    assert_eq!((eve["parts"][0]["offset_secs"].as_f64(), eve["duration_secs"].as_f64()), (Some(0.0), Some(20.0)));
    assert_eq!(eve["gaps"], json!([]));
    assert!(eve.get("gone_at").is_none(), "{eve}");
    let (_, ada) = s.get("/api/v1/streamers/ada").await;
    assert_eq!((ada["replay_count"].as_u64(), ada["total_duration_secs"].as_f64()), (Some(1), Some(30.0)));
    let (_, bob) = s.get("/api/v1/streamers/bob").await;
    assert_eq!((bob["replay_count"].as_u64(), bob["total_duration_secs"].as_f64()), (Some(0), Some(0.0)));

    // Publicly: 410 with a reason; also by its part's id, and its download.
    let gone_part = before["ada"].iter().find(|r| r["id"] == gone_id).unwrap()["parts"][0]["id"].as_i64().unwrap();
    for path in [format!("/api/v1/replays/{gone_id}"), format!("/api/v1/replays/{gone_part}")] {
        let (status, body) = s.get(&path).await;
        assert_eq!((status, body["error"].as_str()), (410, Some("gone")), "{path}: {body}");
        assert!(body["message"].as_str().unwrap().contains("no longer available"), "{body}");
    }
    let (status, body) = s.get(&format!("/api/v1/replays/{gone_id}/download.mp4")).await;
    assert_eq!((status, body["error"].as_str()), (410, Some("gone")), "{body}");
    // The admin sees it, with when it went; and eve's gone part beside the other.
    let (status, body) = s.admin(Method::GET, &format!("/api/v1/replays/{gone_id}"), Some(ADMIN_TOKEN), None).await;
    assert_eq!(status, 200, "{body}");
    let gone_at = body["replay"]["gone_at"].as_i64().unwrap();
    assert!((now() - 30..=now()).contains(&gone_at), "{body}");
    assert_eq!(body["replay"]["parts"][0]["gone_at"].as_i64(), Some(gone_at));
    let (_, body) = s.admin(Method::GET, &format!("/api/v1/replays/{}", eve["id"]), Some(ADMIN_TOKEN), None).await;
    let parts = body["replay"]["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 2, "{body}");
    assert!(parts[0]["gone_at"].is_i64() && parts[1].get("gone_at").is_none(), "{body}");
    assert!(body["replay"].get("gone_at").is_none(), "{body}");
    // A wrong token is the public view.
    let (status, _) = s.admin(Method::GET, &format!("/api/v1/replays/{gone_id}"), Some("wrong"), None).await;
    assert_eq!(status, 410);
    // The API's description lists the 410s.
    let (_, doc) = s.get("/api/v1/openapi.json").await;
    for path in ["/api/v1/replays/{id}", "/api/v1/replays/{id}/download.mp4", "/api/v1/replays/{id}/keyframes"] {
        assert!(doc["paths"][path]["get"]["responses"]["410"].is_object(), "{path}: {}", doc["paths"][path]);
    }
    // The admin deletes it as before.
    let path = format!("/api/v1/replays/{gone_id}");
    assert_eq!(s.admin(Method::DELETE, &path, Some(ADMIN_TOKEN), None).await.0, 204);
    assert_eq!(s.admin(Method::GET, &path, Some(ADMIN_TOKEN), None).await.0, 404);
    assert_eq!(s.get(&path).await.0, 404);
}

#[tokio::test]
async fn recordings_past_their_storage_time_leave_the_lists() {
    let s = relive(&["--tencent-storage-time", "3600", "--check-files-every", "0"]);
    let url = |name: &str| format!("https://1234567890.vod2.myqcloud.com/abc/{name}/f0.mp4");
    let t = now();
    // Ended 2 h ago: past its hour at arrival. Ends its hour in a few seconds. Recent.
    announce(&s, "old", "old-1", &url("old"), t - 7200 - 60, 60).await;
    announce(&s, "soon", "soon-1", &url("soon"), t - 3600 - 60 + 5, 60).await;
    announce(&s, "new", "new-1", &url("new"), t - 120, 60).await;

    assert!(listed(&s, "old").await.is_empty());
    let (_, old) = s.get("/api/v1/streamers/old").await;
    assert_eq!(old["replay_count"], 0);
    let (_, page) = s.admin(Method::GET, "/api/v1/streamers/old/replays", None, None).await;
    assert_eq!(page["items"], json!([]));
    assert_eq!(listed(&s, "soon").await.len(), 1);
    let id = listed(&s, "soon").await[0]["id"].as_i64().unwrap();
    // A repeated callback changes nothing.
    announce(&s, "old", "old-1", &url("old"), t - 7200 - 60, 60).await;
    assert!(listed(&s, "old").await.is_empty());

    // "soon" leaves the list once its time is up (the sweep runs every few seconds).
    assert!(listed_until(&s, "soon", 20, |i| i.is_empty()).await.is_empty());
    assert!(now() >= t + 5, "left before its time");
    let (status, body) = s.get(&format!("/api/v1/replays/{id}")).await;
    assert_eq!((status, body["error"].as_str()), (410, Some("gone")), "{body}");
    let (_, body) = s.admin(Method::GET, &format!("/api/v1/replays/{id}"), Some(ADMIN_TOKEN), None).await;
    assert_eq!(body["replay"]["gone_at"].as_i64(), Some(t - 3600 + 5 + 3600), "{body}");
    assert_eq!(listed(&s, "new").await.len(), 1);
}

/// The key is in no log line either, whatever the server does with signed URLs (debug
/// logs of every crate: the HTTP client's included).
#[tokio::test]
async fn the_key_is_in_no_log_line() {
    use std::io::{BufRead, BufReader};
    let cdn = Cdn::start(Segments::Checked).await;
    cdn.put("/live/lou/f0.flv", read("a.flv"));
    put_hls(&cdn, "/live/lou-hls/", None);
    cdn.put("/live/lou-gone/f0.mp4", b"soon gone".to_vec());
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("relive.log");
    let p = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let mut child = Command::new(env!("CARGO_BIN_EXE_relive"))
        .args(["--listen", "127.0.0.1:0", "--db", &common::TestDb::for_dir(dir.path()).arg()])
        .args(["--dist", &p("dist"), "--media-dir", &p("media"), "--images-dir", &p("images")])
        .args(["--tencent-callback-key", CALLBACK_KEY, "--admin-token", ADMIN_TOKEN, "--tencent-vod-key", KEY])
        .args(["--tencent-vod-sign-ttl", "10", "--check-files-every", "1"])
        .env("RELIVE_LOG", "debug")
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    while !line.starts_with("Relive is running at ") {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "the server stopped");
    }
    let base = line.trim().trim_start_matches("Relive is running at ").trim_end_matches('/').to_string();
    let http = reqwest::Client::new();
    let t0 = now() - 3600;
    for (nth, (file, path, duration)) in
        [("l1", "/live/lou/f0.flv", 6), ("l2", "/live/lou-hls/index.m3u8", 0), ("l3", "/live/lou-gone/f0.mp4", 6)]
            .into_iter()
            .enumerate()
    {
        let mut p = session_recording("lou", file, file, t0 - 7200 * nth as i64, duration.max(6));
        p["duration"] = json!(duration);
        p["video_url"] = json!(cdn.url(path));
        p["file_format"] = json!(if path.ends_with("m3u8") { "hls" } else { &path[path.len() - 3..] });
        let r = http.post(format!("{base}/hooks/tencent")).json(&common::signed(p)).send().await.unwrap();
        assert_eq!(r.status(), 200);
    }
    cdn.delete("/live/lou-gone/f0.mp4");
    // Index, playlist, checks, a download and the lists run a few seconds.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let page: Value =
            http.get(format!("{base}/api/v1/streamers/lou/replays")).send().await.unwrap().json().await.unwrap();
        let items = page["items"].as_array().unwrap();
        if items.len() == 2 && cdn.answers("GET", "/live/lou/f0.flv").contains(&200) {
            let id = items[0]["id"].as_i64().unwrap();
            let r = http.get(format!("{base}/api/v1/replays/{id}/download.mp4")).send().await.unwrap();
            assert_eq!(r.status(), 200);
            r.bytes().await.unwrap();
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{page}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("recording file gone"), "the check ran: {logged}");
    assert!(logged.lines().count() > 20, "{logged}");
    assert!(!logged.contains(KEY), "a log line has the key");
}
