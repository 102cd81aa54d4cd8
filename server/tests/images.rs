//! Posters and storyboards against the real server (issue 14): ffmpeg-made recordings
//! whose colour changes every 10 s — black, green, blue, yellow, magenta, cyan — as a
//! local FLV (nginx-rtmp), a remote MP4 (a Tencent callback; fetched over HTTP with Range
//! requests), a remote FLV (streamed once, by its keyframe index's job; its keyframes then
//! read by Range, or streamed from a host that ignores Range) and a local HLS playlist:
//! the poster is a JPEG of the video's size, passed over the black start; the storyboard
//! VTT covers the whole duration end to end; the tile for 35 s has the yellow of 30–40 s. Tencent's screenshots (event 200, signed)
//! give a Tencent replay its poster and storyboard; a malformed one is 400 and changes
//! nothing; a corrupt FLV gets a stored failure, and the server goes on.

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use common::{Server, now, session_recording, write_file};
use serde_json::{Value, json};

/// The blocks' colours, 10 s each.
const COLOURS: [[u8; 3]; 6] = [[0, 0, 0], [40, 200, 40], [40, 40, 200], [220, 220, 40], [200, 40, 200], [40, 200, 200]];
const SECS: f64 = 60.0;

/// One 60-second recording into `out`: H.264 (a keyframe a second, 320 × 180) and AAC.
fn ffmpeg(extra: &[&str], out: &Path) {
    let colours: Vec<String> =
        COLOURS.iter().map(|c| format!("color=c=0x{:02x}{:02x}{:02x}:s=320x180:r=25:d=10", c[0], c[1], c[2])).collect();
    let concat: String = (0..COLOURS.len()).map(|i| format!("[{i}:v]")).collect::<String>()
        + &format!("concat=n={}:v=1:a=0[v]", COLOURS.len());
    let audio = format!("{}:a", COLOURS.len());
    let mut args: Vec<&str> = colours.iter().flat_map(|c| ["-f", "lavfi", "-i", c.as_str()]).collect();
    args.extend(["-f", "lavfi", "-i", "sine=duration=60", "-filter_complex", &concat, "-map", "[v]", "-map", &audio]);
    args.extend(["-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "25", "-c:a", "aac", "-t", "60"]);
    args.extend(extra);
    common::ffmpeg(&args, out);
}

/// The test media, made once per run.
fn media() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("relive-images-tests-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("hls")).unwrap();
        ffmpeg(&[], &dir.join("colours.flv"));
        // moov after mdat (ffmpeg's default): the job jumps to it.
        ffmpeg(&[], &dir.join("colours.mp4"));
        let pattern = dir.join("hls/colours-%d.ts");
        let hls = ["-f", "hls", "-hls_time", "4", "-hls_playlist_type", "vod", "-hls_segment_filename"];
        ffmpeg(&[&hls[..], &[pattern.to_str().unwrap()]].concat(), &dir.join("hls/colours.m3u8"));
        dir
    })
}

/// Copies test media `name` (a file, or a folder's files) into the media folder at `rel`.
fn place(s: &Server, name: &str, rel: &str) -> PathBuf {
    let (from, to) = (media().join(name), s.path("media").join(rel));
    if from.is_dir() {
        for f in std::fs::read_dir(&from).unwrap() {
            let f = f.unwrap();
            write_file(&to.join(f.file_name()), &std::fs::read(f.path()).unwrap());
        }
    } else {
        write_file(&to, &std::fs::read(from).unwrap());
    }
    to
}

fn server() -> Server {
    Server::start_with(&["--tencent-callback-key", common::CALLBACK_KEY, "--admin-token", common::ADMIN_TOKEN])
}

async fn nginx_record_done(s: &Server, name: &str, path: &Path) {
    let path = path.display().to_string();
    let (status, body) = s
        .post_form("/hooks/nginx-rtmp", &[("call", "record_done"), ("app", "live"), ("name", name), ("path", &path)])
        .await;
    assert_eq!(status, 200, "{body}");
}

/// The streamer's one replay once `done` says so (the images job runs behind).
async fn replay_when(s: &Server, stream: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..600 {
        let (status, page) = s.get(&format!("/api/v1/streamers/{stream}/replays")).await;
        if status == 200 && page["items"].as_array().is_some_and(|i| i.len() == 1 && done(&i[0])) {
            return page["items"][0].clone();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{stream}'s replay never got there");
}

async fn bytes(s: &Server, path: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let url = if path.starts_with("http") { path.to_string() } else { s.url(path) };
    let r = s.http.get(url).send().await.unwrap();
    (r.status().as_u16(), r.headers().clone(), r.bytes().await.unwrap().to_vec())
}

/// A JPEG decoded: width, height, RGB.
fn decode(jpeg: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut d = jpeg_decoder::Decoder::new(jpeg);
    let pixels = d.decode().expect("a JPEG");
    let info = d.info().unwrap();
    assert_eq!(info.pixel_format, jpeg_decoder::PixelFormat::RGB24);
    (u32::from(info.width), u32::from(info.height), pixels)
}

/// The mean colour of a rectangle of an RGB picture `width` wide (its inner 80 %, away
/// from the edges that JPEG blurs into the neighbouring tiles).
fn mean(rgb: &[u8], width: u32, [x, y, w, h]: [u32; 4]) -> [f64; 3] {
    let (mx, my) = (w / 10, h / 10);
    let mut sum = [0f64; 3];
    let mut n = 0f64;
    for yy in y + my..y + h - my {
        for xx in x + mx..x + w - mx {
            let at = ((yy * width + xx) * 3) as usize;
            for c in 0..3 {
                sum[c] += f64::from(rgb[at + c]);
            }
            n += 1.0;
        }
    }
    sum.map(|v| v / n)
}

fn near(got: [f64; 3], want: [u8; 3]) -> bool {
    got.iter().zip(want).all(|(g, w)| (g - f64::from(w)).abs() < 30.0)
}

/// A cue: start and end (ms) and its text.
fn parse_vtt(text: &str) -> Vec<(i64, i64, String)> {
    let ms = |t: &str| {
        let (hms, milli) = t.trim().split_once('.').unwrap();
        let p: Vec<i64> = hms.split(':').map(|v| v.parse().unwrap()).collect();
        ((p[0] * 60 + p[1]) * 60 + p[2]) * 1000 + milli.parse::<i64>().unwrap()
    };
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("WEBVTT"));
    let mut cues = Vec::new();
    while let Some(line) = lines.next() {
        if let Some((a, b)) = line.split_once(" --> ") {
            cues.push((ms(a), ms(b), lines.next().unwrap().to_string()));
        }
    }
    cues
}

/// Checks a replay's poster and storyboard: the poster a 320 × 180 JPEG of the first
/// block that is not black (green); the VTT's cues end to end over the whole duration;
/// the tile under 35 s yellow. Returns the cues.
async fn check_images(s: &Server, r: &Value) -> Vec<(i64, i64, String)> {
    let poster = r["poster_url"].as_str().unwrap();
    let (status, headers, jpeg) = bytes(s, poster).await;
    assert_eq!(status, 200, "{poster}");
    assert_eq!(headers["content-type"], "image/jpeg");
    assert!(headers.contains_key("etag"));
    let (w, h, rgb) = decode(&jpeg);
    assert_eq!((w, h), (320, 180));
    let colour = mean(&rgb, w, [0, 0, w, h]);
    assert!(near(colour, COLOURS[1]), "the poster is the first block that is not black: {colour:?}");

    let board = r["storyboard_url"].as_str().unwrap();
    assert_eq!(board, format!("/api/v1/replays/{}/storyboard.vtt", r["id"]));
    let (status, headers, text) = bytes(s, board).await;
    assert_eq!(status, 200);
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/vtt"));
    let cues = parse_vtt(&String::from_utf8(text).unwrap());
    assert!(cues.len() >= 10, "{cues:?}");
    assert_eq!(cues[0].0, 0);
    let total = (r["duration_secs"].as_f64().unwrap() * 1000.0).round() as i64;
    assert!((total as f64 - SECS * 1000.0).abs() < 500.0, "{total}");
    assert_eq!(cues.last().unwrap().1, total, "the last cue ends with the replay");
    for w in cues.windows(2) {
        assert_eq!(w[0].1, w[1].0, "cues are contiguous: {w:?}");
        assert!(w[0].0 < w[0].1);
    }
    let (_, _, tile) = cues.iter().find(|(a, b, _)| *a <= 35_000 && 35_000 < *b).unwrap();
    let (url, xywh) = tile.split_once("#xywh=").unwrap();
    let xywh: Vec<u32> = xywh.split(',').map(|v| v.parse().unwrap()).collect();
    assert_eq!((xywh[2], xywh[3]), (160, 90));
    let (status, _, sheet) = bytes(s, url).await;
    assert_eq!(status, 200, "{url}");
    let (sw, _, rgb) = decode(&sheet);
    let colour = mean(&rgb, sw, [xywh[0], xywh[1], xywh[2], xywh[3]]);
    assert!(near(colour, COLOURS[3]), "the tile for 35 s is the 30–40 s block's yellow: {colour:?}");
    cues
}

#[tokio::test]
async fn a_local_flv_gets_a_poster_and_a_storyboard() {
    let s = server();
    let path = place(&s, "colours.flv", "live/flv-1700000000.flv");
    nginx_record_done(&s, "flv", &path).await;
    let r = replay_when(&s, "flv", |r| r["storyboard_url"].is_string()).await;
    let cues = check_images(&s, &r).await;
    // A keyframe a second: a tile a second, each at its keyframe's time.
    assert_eq!(cues.len(), 60, "{cues:?}");
    assert_eq!(r["poster_url"], format!("/images/{}/poster.jpg", r["parts"][0]["id"]));
    // Revalidation by ETag.
    let (_, headers, _) = bytes(&s, r["poster_url"].as_str().unwrap()).await;
    let again = s
        .http
        .get(s.url(r["poster_url"].as_str().unwrap()))
        .header("if-none-match", headers["etag"].clone())
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    // Only posters and sheets, and only of parts that exist.
    for bad in ["/images/1/poster.png", "/images/1/../relive.db", "/images/999/poster.jpg", "/images/x/sheet-0.jpg"] {
        assert_eq!(bytes(&s, bad).await.0, 404, "{bad}");
    }
}

#[tokio::test]
async fn a_remote_mp4_is_read_with_range_requests() {
    let s = server();
    place(&s, "colours.mp4", "cdn/colours.mp4");
    let t0 = now() - 3600;
    let mut p = session_recording("mp4", "sess-1", "file-1", t0, 60);
    // Served by the server itself over HTTP: a remote file as far as the job knows.
    p["video_url"] = json!(s.url("/media/cdn/colours.mp4"));
    p["file_format"] = json!("mp4");
    let (status, body) = s.tencent(p).await;
    assert_eq!(status, 200, "{body}");
    let r = replay_when(&s, "mp4", |r| r["storyboard_url"].is_string()).await;
    check_images(&s, &r).await;
}

#[tokio::test]
async fn a_local_hls_recording_gets_a_segment_a_tile() {
    let s = server();
    let dir = place(&s, "hls", "live/hls");
    nginx_record_done(&s, "hls", &dir.join("colours.m3u8")).await;
    let r = replay_when(&s, "hls", |r| r["storyboard_url"].is_string()).await;
    let cues = check_images(&s, &r).await;
    assert_eq!(cues.len(), 15, "4-second segments: {cues:?}");
}

/// A loopback CDN serving one file under any name: whole (200), or a `Range: bytes=a-b`
/// slice (206) when `ranges` (else the whole file, as a host that ignores Range does);
/// counting requests and the body bytes it hands out.
#[derive(Default)]
struct Cdn {
    whole: AtomicUsize,
    ranged: AtomicUsize,
    sent: AtomicU64,
}

async fn start_cdn(file: Vec<u8>, ranges: bool) -> (String, Arc<Cdn>) {
    use axum::http::{HeaderMap, StatusCode, header};
    let cdn = Arc::new(Cdn::default());
    let file = axum::body::Bytes::from(file);
    let counts = cdn.clone();
    let app = axum::Router::new().route(
        "/{name}",
        axum::routing::get(move |headers: HeaderMap| {
            let (file, cdn) = (file.clone(), counts.clone());
            async move {
                let len = file.len() as u64;
                let range = headers
                    .get(header::RANGE)
                    .and_then(|v| v.to_str().ok()?.strip_prefix("bytes=")?.split_once('-'))
                    .and_then(|(a, b)| Some((a.parse::<u64>().ok()?, b.parse::<u64>().ok().unwrap_or(len - 1))))
                    .filter(|_| ranges);
                match range {
                    Some((from, _)) if from >= len => {
                        (StatusCode::RANGE_NOT_SATISFIABLE, HeaderMap::new(), axum::body::Bytes::new())
                    }
                    Some((from, to)) => {
                        let to = to.min(len - 1);
                        cdn.ranged.fetch_add(1, Ordering::SeqCst);
                        cdn.sent.fetch_add(to + 1 - from, Ordering::SeqCst);
                        let mut h = HeaderMap::new();
                        h.insert(header::CONTENT_RANGE, format!("bytes {from}-{to}/{len}").parse().unwrap());
                        (StatusCode::PARTIAL_CONTENT, h, file.slice(from as usize..=to as usize))
                    }
                    None => {
                        cdn.whole.fetch_add(1, Ordering::SeqCst);
                        cdn.sent.fetch_add(len, Ordering::SeqCst);
                        (StatusCode::OK, HeaderMap::new(), file)
                    }
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, cdn)
}

/// The test FLV as a Tencent recording on `cdn`: its replay once its images are made, and
/// what the CDN served (whole fetches, Range requests, bytes).
async fn remote_flv(ranges: bool) -> (Server, Value, usize, usize, u64) {
    let s = server();
    let (base, cdn) = start_cdn(std::fs::read(media().join("colours.flv")).unwrap(), ranges).await;
    let mut p = session_recording("rflv", "sess-f", "file-f", now() - 3600, 60);
    p["video_url"] = json!(format!("{base}/colours.flv"));
    p["file_format"] = json!("flv");
    assert_eq!(s.tencent(p).await.0, 200);
    let r = replay_when(&s, "rflv", |r| r["storyboard_url"].is_string()).await;
    let (whole, ranged) = (cdn.whole.load(Ordering::SeqCst), cdn.ranged.load(Ordering::SeqCst));
    (s, r, whole, ranged, cdn.sent.load(Ordering::SeqCst))
}

#[tokio::test]
async fn a_remote_flv_is_streamed_once_and_its_keyframes_read_by_range() {
    let (s, r, whole, ranged, sent) = remote_flv(true).await;
    let cues = check_images(&s, &r).await;
    assert_eq!(cues.len(), 60, "a keyframe a second: a tile a second: {cues:?}");
    let size = std::fs::metadata(media().join("colours.flv")).unwrap().len();
    eprintln!(
        "remote FLV of {size} bytes: {sent} bytes sent ({:.2} × the file): {whole} whole fetch(es), {ranged} Range \
         requests",
        sent as f64 / size as f64
    );
    // The keyframe index's job streams it once; the images job reads the head and the
    // picked keyframes' tags by Range.
    assert_eq!(whole, 1, "streamed once");
    assert!(ranged >= 60, "{ranged} Range requests");
    assert!((sent as f64) < 1.3 * size as f64, "{sent} bytes sent for a file of {size}");
    // The player's index is the one the images were read by.
    let (status, ix) = s.get(&format!("/api/v1/replays/{}/keyframes", r["parts"][0]["id"])).await;
    assert_eq!(status, 200, "{ix}");
    assert_eq!(ix["times_ms"].as_array().unwrap().len(), 60);
}

#[tokio::test]
async fn a_remote_flv_from_a_host_that_ignores_range_is_streamed() {
    let (s, r, whole, ranged, sent) = remote_flv(false).await;
    let cues = check_images(&s, &r).await;
    assert_eq!(cues.len(), 60, "{cues:?}");
    // The index's pass, and the images' Range request answered with the whole file (as
    // every remote FLV was read before: twice).
    let size = std::fs::metadata(media().join("colours.flv")).unwrap().len();
    eprintln!("remote FLV of {size} bytes from a host that ignores Range: {sent} bytes sent, {whole} whole fetches");
    assert_eq!((whole, ranged), (2, 0));
}

/// An event 200 callback.
fn screenshot(stream: &str, t: i64, url: &str, size: i64) -> Value {
    json!({"app": "push.example.com", "appname": "live", "channel_id": stream, "stream_id": stream,
        "create_time": t, "event_type": 200, "file_size": size, "width": 1280, "height": 720,
        "pic_full_url": url, "pic_url": url.split_once(".com").map_or("", |(_, p)| p),
        "stream_param": "txSecret=x&txTime=1"})
}

#[tokio::test]
async fn tencent_screenshots_give_a_replay_its_poster_and_storyboard() {
    let s = server();
    let t0 = now() - 7200;
    let shot = |i: i64| format!("https://cos.example.com/live/tx-screenshot-{i}-1280x720.jpg");
    // Screenshots come before the file, as they do: a black one first (tiny), then good ones.
    let (status, body) = s.tencent(screenshot("tx", t0 + 5, &shot(0), 700)).await;
    assert_eq!(status, 200, "{body}");
    for i in 1..6 {
        assert_eq!(s.tencent(screenshot("tx", t0 + 10 * i, &shot(i), 30_000)).await.0, 200);
    }
    // A retry is stored once; one of another stream, and one outside the window, count not.
    assert_eq!(s.tencent(screenshot("tx", t0 + 10, &shot(1), 30_000)).await.0, 200);
    assert_eq!(s.tencent(screenshot("other", t0 + 15, "https://cos.example.com/o.jpg", 30_000)).await.0, 200);
    assert_eq!(s.tencent(screenshot("tx", t0 + 4000, "https://cos.example.com/late.jpg", 30_000)).await.0, 200);
    // Malformed: refused with the reason, nothing stored.
    let mut bad = screenshot("tx", t0 + 1, "https://cos.example.com/first.jpg", 30_000);
    bad.as_object_mut().unwrap().remove("pic_full_url");
    let (status, body) = s.tencent(bad).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("pic_full_url")), "{body}");
    let mut bad = screenshot("tx", t0 + 1, "https://cos.example.com/first.jpg", 30_000);
    bad["create_time"] = json!("yesterday");
    assert_eq!(s.tencent(bad).await.0, 400);
    let mut bad = screenshot("tx", t0 + 1, "ftp://cos.example.com/first.jpg", 30_000);
    bad["width"] = json!(1280);
    assert_eq!(s.tencent(bad).await.0, 400);

    let mut p = session_recording("tx", "sess-tx", "file-tx", t0, 60);
    p["video_url"] = json!("https://1234567890.vod2.myqcloud.com/abc/file-tx/f0.flv");
    p["file_format"] = json!("flv");
    assert_eq!(s.tencent(p).await.0, 200);
    let r = replay_when(&s, "tx", |r| r["poster_url"].is_string()).await;
    assert_eq!(r["poster_url"], shot(1), "the first good screenshot: {r}");
    let (status, _, text) = bytes(&s, r["storyboard_url"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    let cues = parse_vtt(&String::from_utf8(text).unwrap());
    let texts: Vec<&str> = cues.iter().map(|c| c.2.as_str()).collect();
    let want: Vec<String> = (1..6).map(|i| format!("{}#xywh=0,0,1280,720", shot(i))).collect();
    assert_eq!(texts, want);
    let times: Vec<(i64, i64)> = cues.iter().map(|c| (c.0, c.1)).collect();
    assert_eq!(times, [(0, 20_000), (20_000, 30_000), (30_000, 40_000), (40_000, 50_000), (50_000, 60_000)]);
    // The part has screenshots: the job made nothing of its own (its file does not exist).
    let state: String = wait_for_state(&s.db, r["parts"][0]["id"].as_i64().unwrap()).await;
    assert_eq!(state, "none");
}

async fn wait_for_state(db: &common::TestDb, part: i64) -> String {
    for _ in 0..600 {
        let state = db
            .strings(&format!("SELECT state || ':' || COALESCE(error, '') FROM part_images WHERE replay_id = {part}"));
        if let Some(s) = state.into_iter().next() {
            return s.trim_end_matches(':').to_string();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("part {part}'s images were never looked at");
}

#[tokio::test]
async fn a_corrupt_flv_is_a_stored_failure() {
    let s = server();
    // An FLV header, then noise.
    let mut junk = std::fs::read(media().join("colours.flv")).unwrap()[..13].to_vec();
    let mut x = 0x2545_f491_4f6c_dd1du64;
    junk.extend((0..200_000).map(|_| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x as u8
    }));
    write_file(&s.path("media").join("cdn/junk.flv"), &junk);
    let mut p = session_recording("junk", "sess-j", "file-j", now() - 3600, 60);
    p["video_url"] = json!(s.url("/media/cdn/junk.flv"));
    p["file_format"] = json!("flv");
    assert_eq!(s.tencent(p).await.0, 200);
    let (_, page) = s.get("/api/v1/streamers/junk/replays").await;
    let part = page["items"][0]["parts"][0]["id"].as_i64().unwrap();
    let state = wait_for_state(&s.db, part).await;
    assert!(state.starts_with("failed:"), "{state}");
    let (_, page) = s.get("/api/v1/streamers/junk/replays").await;
    assert!(page["items"][0].get("poster_url").is_none(), "{page}");
    assert!(page["items"][0].get("storyboard_url").is_none(), "{page}");
    assert_eq!(s.get("/healthz").await.0, 200, "still serving");
}
