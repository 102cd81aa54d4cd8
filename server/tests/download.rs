//! `GET /api/v1/replays/{id}/download.mp4` against the real server: a broadcast of an FLV
//! and an MP4 part (ffmpeg-made, announced as one Tencent recording session; the FLV read
//! from the media folder, the MP4 over HTTP with Range requests) and one with an HLS part
//! come out as one MP4 that ffprobe reads whole; failures before the first byte are JSON;
//! a part gone mid-stream cuts the body short; memory stays flat over a long broadcast.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::{ADMIN_TOKEN, CALLBACK_KEY, Server, now, session_recording, test_pattern};
use reqwest::Method;
use serde_json::{Value, json};

const PUBLIC: &str = "https://replay.example.com";

/// The test media, made once per run: 6-second FLV, MP4 and HLS (2-second TS segments)
/// of the same encoder settings; a 2-second MP4 of another picture size; a 20-second
/// FLV at a few Mbit/s for the long broadcast.
fn media() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("relive-download-tests-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("hls")).unwrap();
        test_pattern("6", "320x180", &[], &dir.join("a.flv"));
        test_pattern("6", "320x180", &[], &dir.join("b.mp4"));
        let pattern = dir.join("hls/seg%d.ts");
        let hls = ["-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod", "-hls_segment_filename"];
        test_pattern("6", "320x180", &[&hls[..], &[pattern.to_str().unwrap()]].concat(), &dir.join("hls/index.m3u8"));
        test_pattern("2", "640x360", &[], &dir.join("wide.mp4"));
        let busy = ["-preset", "ultrafast", "-b:v", "3M", "-minrate", "3M", "-maxrate", "3M", "-bufsize", "1M"];
        test_pattern("20", "640x360", &busy, &dir.join("long.flv"));
        dir
    })
}

/// Copies test media `name` into the server's media folder at `rel`.
fn place(s: &Server, name: &str, rel: &str) {
    let to = s.path("media").join(rel);
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(media().join(name), to).unwrap();
}

fn server() -> Server {
    Server::start_with(&["--tencent-callback-key", CALLBACK_KEY, "--admin-token", ADMIN_TOKEN, "--public-url", PUBLIC])
}

/// Announces a Tencent recording of session `session` at `url` (its format from its
/// extension), from `t0`, `secs` long.
async fn announce(s: &Server, stream: &str, session: &str, file_id: &str, url: &str, t0: i64, secs: i64) {
    let format = match url.rsplit('.').next() {
        Some("m3u8") => "hls",
        Some(ext) => ext,
        None => "flv",
    };
    let mut p = session_recording(stream, session, file_id, t0, secs);
    p["callback_ext"] = json!(json!({"session_id": session}).to_string());
    p["video_url"] = json!(url);
    p["file_format"] = json!(format);
    let (status, body) = s.tencent(p).await;
    assert_eq!(status, 200, "{body}");
}

/// The streamer's one replay.
async fn the_replay(s: &Server, stream: &str) -> Value {
    let (status, page) = s.get(&format!("/api/v1/streamers/{stream}/replays")).await;
    assert_eq!(status, 200, "{page}");
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{page}");
    items[0].clone()
}

/// Downloads `id`'s MP4 into `out`; the response's status and headers.
async fn download(s: &Server, id: i64, out: &Path) -> (u16, reqwest::header::HeaderMap) {
    let mut res = s.http.get(s.url(&format!("/api/v1/replays/{id}/download.mp4"))).send().await.unwrap();
    let (status, headers) = (res.status().as_u16(), res.headers().clone());
    let mut bytes = Vec::new();
    while let Some(chunk) = res.chunk().await.unwrap() {
        bytes.extend_from_slice(&chunk);
    }
    std::fs::write(out, bytes).unwrap();
    (status, headers)
}

fn ffprobe(args: &[&str], file: &Path) -> Value {
    let out = Command::new("ffprobe").args(["-v", "error", "-of", "json"]).args(args).arg(file).output().unwrap();
    assert!(out.status.success(), "ffprobe {}: {}", file.display(), String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// (video, audio) packets, as ffprobe `-count_packets` counts them.
fn packet_counts(file: &Path) -> (u64, u64) {
    let v = ffprobe(&["-count_packets", "-show_entries", "stream=codec_type,nb_read_packets"], file);
    let count = |kind: &str| {
        v["streams"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["codec_type"] == kind)
            .map(|s| s["nb_read_packets"].as_str().unwrap().parse::<u64>().unwrap())
            .sum()
    };
    (count("video"), count("audio"))
}

/// Checks a downloaded file: ffprobe's duration within `[secs, secs + 0.4)` (each part's
/// media runs a little past its stored duration, and the next starts after it), H.264
/// and AAC, `packets` per stream, each stream's decode times increasing, and ffmpeg
/// decodes it without a word.
fn check_mp4(file: &Path, secs: f64, packets: (u64, u64)) {
    let v = ffprobe(&["-show_entries", "format=duration,format_name:stream=codec_type,codec_name"], file);
    let duration: f64 = v["format"]["duration"].as_str().unwrap().parse().unwrap();
    println!("{}: {duration:.3} s (the broadcast's: {secs} s), packets {packets:?}", file.display());
    assert!((secs..secs + 0.4).contains(&duration), "duration {duration}, wanted {secs}");
    let codecs: Vec<(String, String)> = v["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["codec_type"].as_str().unwrap().into(), s["codec_name"].as_str().unwrap().into()))
        .collect();
    assert_eq!(codecs, [("video".into(), "h264".into()), ("audio".into(), "aac".into())]);
    assert_eq!(packet_counts(file), packets);
    let p = ffprobe(&["-show_entries", "packet=codec_type,dts_time"], file);
    for kind in ["video", "audio"] {
        let dts: Vec<f64> = p["packets"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["codec_type"] == kind)
            .map(|p| p["dts_time"].as_str().unwrap().parse().unwrap())
            .collect();
        assert!(dts.windows(2).all(|w| w[1] > w[0]), "{kind} decode times go back");
    }
    let decode =
        Command::new("ffmpeg").args(["-v", "error", "-i"]).arg(file).args(["-f", "null", "-"]).output().unwrap();
    assert!(decode.status.success() && decode.stderr.is_empty(), "{}", String::from_utf8_lossy(&decode.stderr));
}

fn sum(a: (u64, u64), b: (u64, u64)) -> (u64, u64) {
    (a.0 + b.0, a.1 + b.1)
}

#[tokio::test]
async fn an_flv_and_an_mp4_part_download_as_one_mp4() {
    let s = server();
    place(&s, "a.flv", "dl/a.flv");
    place(&s, "b.mp4", "dl/b.mp4");
    let t = now() - 3600;
    // The FLV is this server's file (its public URL); the MP4 is fetched over HTTP.
    announce(&s, "mia", "x", "f-a", &format!("{PUBLIC}/media/dl/a.flv"), t, 6).await;
    announce(&s, "mia", "x", "f-b", &format!("{}/media/dl/b.mp4", s.base), t + 6, 6).await;
    let r = the_replay(&s, "mia").await;
    let parts: Vec<i64> = r["parts"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect();
    assert_eq!(parts.len(), 2, "{r}");
    assert_eq!(r["formats"], json!(["flv", "mp4"]));

    let out = s.path("mia.mp4");
    let (status, headers) = download(&s, r["id"].as_i64().unwrap(), &out).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "video/mp4");
    let c = relive_api::time::civil(t);
    let name = format!("mia-{:04}{:02}{:02}-{:02}{:02}.mp4", c.year, c.month, c.day, c.hour, c.minute);
    assert_eq!(headers["content-disposition"], format!("attachment; filename=\"{name}\"").as_str());
    assert!(headers.get("content-length").is_none(), "{headers:?}");
    assert_eq!(headers["transfer-encoding"], "chunked");
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(&bytes[4..8], b"ftyp");
    let sources = sum(packet_counts(&media().join("a.flv")), packet_counts(&media().join("b.mp4")));
    check_mp4(&out, 12.0, sources);

    // The second part's id finds the same broadcast; browsers asking for compression
    // get the MP4 as it is.
    let again = s
        .http
        .get(s.url(&format!("/api/v1/replays/{}/download.mp4", parts[1])))
        .header("accept-encoding", "gzip, br")
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    assert!(again.headers().get("content-encoding").is_none());
    assert_eq!(again.bytes().await.unwrap(), bytes);
}

/// HLS parts, local (its segments read from the media folder) and remote (playlist and
/// segments over HTTP), around an FLV part.
#[tokio::test]
async fn a_broadcast_with_hls_parts_downloads_too() {
    let s = server();
    place(&s, "a.flv", "dl/a.flv");
    for f in std::fs::read_dir(media().join("hls")).unwrap() {
        let name = f.unwrap().file_name().into_string().unwrap();
        place(&s, &format!("hls/{name}"), &format!("dl/hls/{name}"));
    }
    let t = now() - 3600;
    announce(&s, "noor", "x", "h-1", &format!("{PUBLIC}/media/dl/hls/index.m3u8"), t, 6).await;
    announce(&s, "noor", "x", "h-2", &format!("{PUBLIC}/media/dl/a.flv"), t + 6, 6).await;
    announce(&s, "noor", "x", "h-3", &format!("{}/media/dl/hls/index.m3u8", s.base), t + 12, 6).await;
    let r = the_replay(&s, "noor").await;
    assert_eq!(r["formats"], json!(["hls", "flv"]), "{r}");
    assert_eq!(r["parts"].as_array().unwrap().len(), 3, "{r}");
    let out = s.path("noor.mp4");
    assert_eq!(download(&s, r["id"].as_i64().unwrap(), &out).await.0, 200);
    let hls = packet_counts(&media().join("hls/index.m3u8"));
    check_mp4(&out, 18.0, sum(sum(hls, packet_counts(&media().join("a.flv"))), hls));
}

#[tokio::test]
async fn failures_before_the_first_byte_are_json() {
    let s = server();
    let get = |path: String| {
        let s = &s;
        async move {
            let res = s.http.get(s.url(&path)).send().await.unwrap();
            let status = res.status().as_u16();
            let ct = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_string());
            let body: Value = res.json().await.unwrap();
            assert_eq!(ct.as_deref(), Some("application/json"), "{body}");
            (status, body)
        }
    };
    // No such replay.
    for id in ["999", "abc", "-1"] {
        let (status, body) = get(format!("/api/v1/replays/{id}/download.mp4")).await;
        assert_eq!((status, body["error"].as_str()), (404, Some("not_found")), "{id}: {body}");
    }
    let t = now() - 7200;

    // A part whose file is gone: 422 naming it.
    place(&s, "a.flv", "gone/a.flv");
    announce(&s, "gus", "g", "g-1", &format!("{PUBLIC}/media/gone/a.flv"), t, 6).await;
    announce(&s, "gus", "g", "g-2", &format!("{PUBLIC}/media/gone/b.flv"), t + 6, 6).await;
    let r = the_replay(&s, "gus").await;
    let missing = r["parts"][1]["id"].as_i64().unwrap();
    let (status, body) = get(format!("/api/v1/replays/{}/download.mp4", r["id"])).await;
    assert_eq!((status, body["error"].as_str()), (422, Some("unremuxable")), "{body}");
    assert!(body["message"].as_str().unwrap().starts_with(&format!("part {missing}:")), "{body}");

    // A remote part that answers 404.
    announce(&s, "rex", "r", "r-1", &format!("{}/media/nowhere.mp4", s.base), t, 6).await;
    let r = the_replay(&s, "rex").await;
    let (status, body) = get(format!("/api/v1/replays/{}/download.mp4", r["id"])).await;
    assert_eq!((status, body["error"].as_str()), (422, Some("unremuxable")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("404"), "{body}");

    // Parts encoded otherwise (320x180 then 640x360): refused, both named.
    place(&s, "b.mp4", "mixed/b.mp4");
    place(&s, "wide.mp4", "mixed/wide.mp4");
    announce(&s, "max", "m", "m-1", &format!("{PUBLIC}/media/mixed/b.mp4"), t, 6).await;
    announce(&s, "max", "m", "m-2", &format!("{PUBLIC}/media/mixed/wide.mp4"), t + 6, 2).await;
    let r = the_replay(&s, "max").await;
    let (status, body) = get(format!("/api/v1/replays/{}/download.mp4", r["id"])).await;
    assert_eq!((status, body["error"].as_str()), (422, Some("mixed_configurations")), "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("320x180") && message.contains("640x360"), "{message}");

    // A broadcast that is being recorded and has no file yet: 409.
    let push = json!({"event_type": 1, "stream_id": "liv", "channel_id": "liv", "event_time": now(),
        "sequence": "77", "app": "push.example.com", "appname": "live", "errcode": 0, "errmsg": "ok"});
    assert_eq!(s.tencent(push).await.0, 200);
    let r = the_replay(&s, "liv").await;
    assert_eq!(r["parts"], json!([]), "{r}");
    let (status, body) = get(format!("/api/v1/replays/{}/download.mp4", r["id"])).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("no_parts")), "{body}");

    // The route is in the API's description.
    let (_, doc) = s.get("/api/v1/openapi.json").await;
    assert!(doc["paths"]["/api/v1/replays/{id}/download.mp4"]["get"].is_object(), "{}", doc["paths"]);

    // A hidden replay is no replay (by its id or a part's).
    place(&s, "a.flv", "hid/a.flv");
    announce(&s, "hal", "h", "h-1", &format!("{PUBLIC}/media/hid/a.flv"), t, 6).await;
    let r = the_replay(&s, "hal").await;
    let path = format!("/api/v1/replays/{}", r["id"]);
    let (status, _) = s.admin(Method::PATCH, &path, Some(ADMIN_TOKEN), Some(json!({"hidden": true}))).await;
    assert_eq!(status, 204);
    for id in [&r["id"], &r["parts"][0]["id"]] {
        let (status, body) = get(format!("/api/v1/replays/{id}/download.mp4")).await;
        assert_eq!((status, body["error"].as_str()), (404, Some("not_found")), "{body}");
    }
}

/// A part removed while the download runs: the body stops short of the whole.
#[tokio::test]
async fn a_part_gone_mid_stream_cuts_the_download_short() {
    let s = server();
    place(&s, "a.flv", "cut/a.flv");
    place(&s, "b.mp4", "cut/b.mp4");
    let t = now() - 3600;
    announce(&s, "cat", "c", "c-1", &format!("{PUBLIC}/media/cut/a.flv"), t, 6).await;
    // The second part is remote (this server's /media/ over HTTP): removed after the
    // first byte, its Range request answers 404.
    announce(&s, "cat", "c", "c-2", &format!("{}/media/cut/b.mp4", s.base), t + 6, 6).await;
    let r = the_replay(&s, "cat").await;
    let mut res = s.http.get(s.url(&format!("/api/v1/replays/{}/download.mp4", r["id"]))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let first = res.chunk().await.unwrap().unwrap();
    assert_eq!(&first[4..8], b"ftyp");
    std::fs::remove_file(s.path("media/cut/b.mp4")).unwrap();
    let mut received = first.len();
    let end = loop {
        match res.chunk().await {
            Ok(Some(c)) => received += c.len(),
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    assert!(end.is_err(), "the body ends with an error, not a clean end ({received} bytes)");
    let flv_len = std::fs::metadata(media().join("a.flv")).unwrap().len() as usize;
    assert!(received < flv_len + 64 * 1024, "{received} bytes: the FLV part's, not the MP4's");
}

/// Peak RSS (VmHWM) of a process, in KiB.
fn peak_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// 40 parts of 20 s (a 13-minute broadcast, ~300 MB): the server's peak memory grows
/// by a few MB, whatever the length, also with a client that reads slowly at first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_stays_flat_over_a_long_broadcast() {
    const PARTS: i64 = 40;
    let s = server();
    let long = media().join("long.flv");
    std::fs::create_dir_all(s.path("media/long")).unwrap();
    let t = now() - 7200;
    for i in 0..PARTS {
        let rel = format!("long/part-{i:02}.flv");
        std::fs::hard_link(&long, s.path("media").join(&rel)).unwrap();
        announce(&s, "lea", "l", &format!("l-{i}"), &format!("{PUBLIC}/media/{rel}"), t + 20 * i, 20).await;
    }
    let r = the_replay(&s, "lea").await;
    assert_eq!(r["parts"].as_array().unwrap().len(), PARTS as usize);
    // The posters and storyboards the server makes of the 40 parts, in the background, are
    // not the download's memory: wait for them (every part's sheet in the storyboard).
    let ids: Vec<i64> = r["parts"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
    loop {
        let vtt = s.http.get(s.url(&format!("/api/v1/replays/{}/storyboard.vtt", r["id"]))).send().await.unwrap();
        let vtt = if vtt.status() == 200 { vtt.text().await.unwrap() } else { String::new() };
        if ids.iter().all(|id| vtt.contains(&format!("/images/{id}/"))) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the parts' storyboards were not made in 180 s");
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    // A first, small download warms the server up (threads, allocator arenas, the pool).
    let warm = s.path("warm.mp4");
    download(&s, r["parts"][0]["id"].as_i64().unwrap(), &warm).await;
    let before = peak_kib(s.pid());
    let mut res = s.http.get(s.url(&format!("/api/v1/replays/{}/download.mp4", r["id"]))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let mut received = 0u64;
    let mut n = 0;
    while let Some(chunk) = res.chunk().await.unwrap() {
        received += chunk.len() as u64;
        n += 1;
        if n < 20 {
            // Slowly at first: the server waits, it does not read ahead.
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
    let after = peak_kib(s.pid());
    let source = std::fs::metadata(&long).unwrap().len() * PARTS as u64;
    let growth = after.saturating_sub(before);
    println!(
        "download of {PARTS} parts: {} MB sent ({} MB of FLV); server peak RSS {} MB before, {} MB after: +{:.1} MB",
        received >> 20,
        source >> 20,
        before >> 10,
        after >> 10,
        growth as f64 / 1024.0
    );
    assert!(received > source * 9 / 10, "{received} of {source}");
    assert!(growth < 16 * 1024, "peak RSS grew by {growth} KiB");
}
