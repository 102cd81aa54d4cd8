//! HLS replays against the real server: Tencent `hls` recordings (their playlists on a
//! loopback CDN), local `.m3u8` recordings, `/media/` types and ranges, SRS `on_hls`
//! gathered into one replay per publish, across restarts, and reconciliation.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri};
use axum::routing::get;
use common::{Server, now, recording, write_file};
use serde_json::{Value, json};

const SECRET: &str = "hook-secret-hls";
const DEMO_HLS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/demo/harbour");

/// A loopback CDN: path → (status, body); it records each request's path and query.
#[derive(Clone, Default)]
struct Cdn {
    files: Arc<Mutex<HashMap<String, (u16, String)>>>,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Cdn {
    async fn start(files: &[(&str, u16, &str)]) -> (Cdn, String) {
        let cdn = Cdn::default();
        for (path, status, body) in files {
            cdn.files.lock().unwrap().insert(path.to_string(), (*status, body.to_string()));
        }
        let app = axum::Router::new().fallback(get(serve)).with_state(cdn.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (cdn, base)
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

async fn serve(State(cdn): State<Cdn>, uri: Uri) -> (StatusCode, String) {
    cdn.requests.lock().unwrap().push(uri.to_string());
    match cdn.files.lock().unwrap().get(uri.path()) {
        Some((status, body)) => (StatusCode::from_u16(*status).unwrap(), body.clone()),
        None => (StatusCode::NOT_FOUND, "no such file".into()),
    }
}

/// Polls a streamer's replays until `done` holds (10 s at most); returns the last page.
async fn replays_until(s: &Server, streamer: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let mut items = Vec::new();
    for _ in 0..100 {
        let (status, page) = s.get(&format!("/api/v1/streamers/{streamer}/replays?limit=100")).await;
        items = if status == 200 { page["items"].as_array().cloned().unwrap_or_default() } else { Vec::new() };
        if done(&items) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    items
}

/// An HLS recording callback; `nth` places it that many hours after the first, so each
/// is its own broadcast.
fn hls_recording(stream: &str, file_id: &str, url: &str, duration: Option<i64>, nth: i64) -> Value {
    let mut p = recording(stream, file_id, 1_743_484_094 + nth * 3600, 59);
    p["file_format"] = json!("hls");
    p["video_url"] = json!(url);
    match duration {
        Some(d) => p["duration"] = json!(d),
        None => {
            p.as_object_mut().unwrap().remove("duration");
        }
    }
    p
}

const MEDIA_PLAYLIST: &str = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n#EXT-X-PLAYLIST-TYPE:VOD\n\
#EXTINF:4.000,\na-0.ts\n#EXTINF:4.000,\na-1.ts\n#EXT-X-DISCONTINUITY\n#EXTINF:2.520,\na-2.ts\n#EXT-X-ENDLIST\n";

#[tokio::test]
async fn tencent_hls_with_and_without_a_duration() {
    let master = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000,CODECS=\"avc1.64001f,mp4a.40.2\",RESOLUTION=1280x720\n\
720/index.m3u8\n";
    let (cdn, base) = Cdn::start(&[
        ("/rec/s42/a_eof.m3u8", 200, MEDIA_PLAYLIST),
        ("/rec/s42/master.m3u8", 200, master),
        ("/rec/s42/720/index.m3u8", 200, MEDIA_PLAYLIST),
        ("/rec/s42/broken.m3u8", 200, "<html>not a playlist</html>"),
    ])
    .await;
    let s = Server::start();

    // With a duration: stored as it says, and no playlist is fetched.
    let with = hls_recording("s42", "with", &format!("{base}/rec/s42/with.m3u8"), Some(59), 0);
    assert_eq!(s.tencent(with).await, (200, json!({"code": 0})));
    // Without one (absent, or 0): the playlist tells it, a master's first variant
    // followed, a signed URL's query carried on.
    let without = hls_recording("s42", "without", &format!("{base}/rec/s42/a_eof.m3u8"), None, 1);
    assert_eq!(s.tencent(without).await.0, 200);
    let zero = hls_recording("s42", "zero", &format!("{base}/rec/s42/master.m3u8?t=6553ff10&sign=abc"), Some(0), 2);
    assert_eq!(s.tencent(zero).await.0, 200);
    // A playlist that cannot be read: the span end - start stands in.
    let broken = hls_recording("s42", "broken", &format!("{base}/rec/s42/broken.m3u8"), None, 3);
    assert_eq!(s.tencent(broken).await.0, 200);
    // Uppercase format, and a .m3u8 URL whatever the format says.
    let mut upper = hls_recording("s42", "upper", &format!("{base}/rec/s42/upper.m3u8"), Some(30), 4);
    upper["file_format"] = json!("FLV");
    assert_eq!(s.tencent(upper).await.0, 200);

    let by_url = |items: &[Value], id: &str| -> Option<Value> {
        items.iter().find(|r| r["url"].as_str().is_some_and(|u| u.contains(id))).cloned()
    };
    let items = replays_until(&s, "s42", |items| {
        items.len() == 5
            && items.iter().all(|r| r["duration_secs"].as_f64() != Some(0.0))
            && by_url(items, "broken").is_some_and(|r| r["duration_secs"] == 59.0)
    })
    .await;
    assert_eq!(items.len(), 5, "{items:?}");
    assert!(items.iter().all(|r| r["format"] == "hls"), "{items:?}");
    let secs = |id: &str| by_url(&items, id).unwrap()["duration_secs"].as_f64().unwrap();
    assert_eq!(secs("with.m3u8"), 59.0);
    assert_eq!(secs("a_eof"), 10.52);
    assert_eq!(secs("master"), 10.52);
    assert_eq!(secs("broken"), 59.0, "the span, when the playlist cannot be read");
    assert_eq!(secs("upper"), 30.0);
    let zero = by_url(&items, "master").unwrap();
    assert_eq!(zero["end_time"].as_i64().unwrap() - zero["start_time"].as_i64().unwrap(), 10);
    let requests = cdn.requests();
    // Once at most: the images job reads it for pictures (crate::images), never for its duration.
    let with_fetches = requests.iter().filter(|r| r.contains("with.m3u8")).count();
    assert!(with_fetches <= 1, "no fetch for the duration when the callback tells: {requests:?}");
    assert!(requests.contains(&"/rec/s42/720/index.m3u8?t=6553ff10&sign=abc".to_string()), "{requests:?}");
    // HLS is never keyframe-indexed.
    let (status, body) = s.get(&format!("/api/v1/replays/{}/keyframes", zero["id"])).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("not_flv")));
}

fn copy_demo_hls(s: &Server, folder: &str) -> Vec<u8> {
    let mut ts = Vec::new();
    for entry in std::fs::read_dir(DEMO_HLS).unwrap() {
        let entry = entry.unwrap();
        let bytes = std::fs::read(entry.path()).unwrap();
        if entry.file_name() == "harbour-1.ts" {
            ts = bytes.clone();
        }
        write_file(&s.path("media").join(folder).join(entry.file_name()), &bytes);
    }
    ts
}

async fn nginx_record_done(s: &Server, name: &str, path: &str) -> (u16, Value) {
    s.post_form(
        &format!("/hooks/nginx-rtmp?secret={SECRET}"),
        &[("call", "record_done"), ("name", name), ("path", path)],
    )
    .await
}

#[tokio::test]
async fn a_local_playlist_is_an_hls_replay_and_served_with_its_types() {
    let s = Server::start_with(&["--hook-secret", SECRET]);
    let ts = copy_demo_hls(&s, "live/harbour");
    let path = s.path("media/live/harbour/index.m3u8").to_string_lossy().into_owned();
    let (status, body) = nginx_record_done(&s, "hana", &path).await;
    assert_eq!(status, 200, "{body}");
    let (_, page) = s.get("/api/v1/streamers/hana/replays").await;
    let r = &page["items"][0];
    assert_eq!(r["format"], "hls");
    assert_eq!(r["url"], "/media/live/harbour/index.m3u8");
    assert_eq!(r["duration_secs"], 20.0);
    let segments: u64 =
        (0..5).map(|i| std::fs::metadata(s.path(&format!("media/live/harbour/harbour-{i}.ts"))).unwrap().len()).sum();
    assert_eq!(r["size_bytes"].as_u64(), Some(segments));
    assert_eq!(s.get(&format!("/api/v1/replays/{}/keyframes", r["id"])).await.0, 409, "no FLV index for HLS");

    // The playlist and its segments, with their types; segments take ranges.
    let res = s.http.get(s.url("/media/live/harbour/index.m3u8")).send().await.unwrap();
    assert_eq!(res.headers()["content-type"], "application/vnd.apple.mpegurl");
    assert_eq!(res.headers()["cache-control"], "no-cache", "playlists are revalidated");
    assert!(res.headers().contains_key("etag"));
    assert!(res.text().await.unwrap().contains("harbour-4.ts"));
    let res = s.http.get(s.url("/media/live/harbour/harbour-1.ts")).send().await.unwrap();
    assert_eq!(res.headers()["content-type"], "video/mp2t");
    assert_eq!(res.headers()["accept-ranges"], "bytes");
    assert_eq!(res.bytes().await.unwrap(), ts);
    let res =
        s.http.get(s.url("/media/live/harbour/harbour-1.ts")).header("range", "bytes=188-375").send().await.unwrap();
    assert_eq!(res.status(), 206);
    assert_eq!(res.headers()["content-range"], format!("bytes 188-375/{}", ts.len()));
    assert_eq!(res.headers()["content-type"], "video/mp2t");
    let packet = res.bytes().await.unwrap();
    assert_eq!((packet.len(), packet[0]), (188, 0x47), "one whole TS packet");

    // A master playlist is followed to its first variant; a playlist naming a missing
    // segment, or one outside the folder, is refused with the reason.
    let master = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=200000,CODECS=\"avc1.4d401e,mp4a.40.2\",RESOLUTION=640x360\n\
harbour/index.m3u8\n";
    write_file(&s.path("media/live/master.m3u8"), master.as_bytes());
    // Another stream: on "hana", written at the same time, it would be the same
    // recording again (an alternate, off the timeline).
    let (status, body) =
        nginx_record_done(&s, "hana-master", &s.path("media/live/master.m3u8").to_string_lossy()).await;
    assert_eq!(status, 200, "{body}");
    let items = replays_until(&s, "hana-master", |i| i.len() == 1).await;
    let m = items.iter().find(|r| r["url"] == "/media/live/master.m3u8").unwrap();
    assert_eq!((m["duration_secs"].as_f64(), m["width"].as_u64()), (Some(20.0), Some(640)));
    assert_eq!(m["codecs"], "avc1.4d401e,mp4a.40.2");
    for (name, text, why) in [
        ("missing.m3u8", "#EXTM3U\n#EXTINF:4,\nharbour/nope.ts\n#EXT-X-ENDLIST\n", "not a file in the media folder"),
        ("escape.m3u8", "#EXTM3U\n#EXTINF:4,\n../../secret.ts\n", "not a file in the media folder"),
        (
            "locked.m3u8",
            "#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI=\"k\"\n#EXTINF:4,\nharbour/harbour-0.ts\n",
            "encrypted",
        ),
        ("junk.m3u8", "<html>", "#EXTM3U"),
    ] {
        write_file(&s.path("media/live").join(name), text.as_bytes());
        let (status, body) = nginx_record_done(&s, "hana", &s.path("media/live").join(name).to_string_lossy()).await;
        assert_eq!(status, 400, "{name}: {body}");
        assert!(body["message"].as_str().unwrap().contains(why), "{name}: {body}");
    }
    assert_eq!(replays_until(&s, "hana", |_| true).await.len(), 1);
    assert_eq!(replays_until(&s, "hana", |_| true).await[0]["parts"].as_array().unwrap().len(), 1);
}

/// An SRS `on_hls` body as SRS 5 sends it, for a segment SRS wrote under `cwd`.
fn on_hls(s: &Server, stream: &str, client: &str, seq: u64, duration: f64) -> Value {
    json!({
        "server_id": "vid-0xk989d", "service_id": "plw5x4c1", "action": "on_hls", "client_id": client,
        "ip": "127.0.0.1", "vhost": "__defaultVhost__", "app": "live", "tcUrl": "rtmp://127.0.0.1/live",
        "stream": stream, "param": "", "duration": duration, "cwd": s.path("media/srs").to_string_lossy(),
        "file": format!("./objs/nginx/html/live/{stream}-{seq}.ts"), "url": format!("live/{stream}-{seq}.ts"),
        "m3u8": format!("./objs/nginx/html/live/{stream}.m3u8"), "m3u8_url": format!("live/{stream}.m3u8"),
        "seq_no": seq, "stream_url": format!("/live/{stream}"), "stream_id": "vid-5ce54b6"
    })
}

/// Writes SRS's segment `seq` (a real TS file) where `on_hls` will name it.
fn srs_writes(s: &Server, stream: &str, seq: u64) -> Vec<u8> {
    let bytes = std::fs::read(format!("{DEMO_HLS}/harbour-{}.ts", seq % 5)).unwrap();
    write_file(&s.path(&format!("media/srs/objs/nginx/html/live/{stream}-{seq}.ts")), &bytes);
    bytes
}

async fn srs(s: &Server, body: &Value) -> (u16, Value) {
    let r = s.http.post(s.url(&format!("/hooks/srs?secret={SECRET}"))).json(body).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn srs_server() -> Server {
    Server::start_with(&["--hook-secret", SECRET, "--srs-hls-grace", "1"])
}

#[tokio::test]
async fn srs_segments_of_a_publish_become_one_replay() {
    let s = srs_server();
    let publish = json!({"action": "on_publish", "client_id": "c1", "stream": "mei", "app": "live", "param": ""});
    assert_eq!(srs(&s, &publish).await, (200, json!({"code": 0})));
    let durations = [4.0, 4.004, 3.996, 2.5];
    let mut segments = Vec::new();
    // Out of order, one repeated: the playlist follows seq_no.
    for seq in [0u64, 2, 1, 1] {
        segments.push((seq, srs_writes(&s, "mei", seq)));
        assert_eq!(srs(&s, &on_hls(&s, "mei", "c1", seq, durations[seq as usize])).await, (200, json!({"code": 0})));
    }
    // SRS's window moves on and deletes its own files: ours are links.
    std::fs::remove_dir_all(s.path("media/srs/objs/nginx/html/live")).unwrap();

    // Malformed calls are refused with a reason, and lose nothing.
    srs_writes(&s, "mei", 9);
    write_file(&s.path("media/srs/objs/nginx/html/live/mei-8.ts"), b"not a TS file");
    write_file(&s.path("elsewhere/mei-7.ts"), &std::fs::read(format!("{DEMO_HLS}/harbour-0.ts")).unwrap());
    let mut outside = on_hls(&s, "mei", "c1", 7, 4.0);
    outside["file"] = json!(s.path("elsewhere/mei-7.ts").to_string_lossy());
    let mut no_seq = on_hls(&s, "mei", "c1", 9, 4.0);
    no_seq.as_object_mut().unwrap().remove("seq_no");
    let mut bad_duration = on_hls(&s, "mei", "c1", 9, 4.0);
    bad_duration["duration"] = json!("long");
    let mut missing = on_hls(&s, "mei", "c1", 10, 4.0);
    missing["file"] = json!("./objs/nginx/html/live/mei-10.ts");
    for (body, field) in [
        (outside, "file"),
        (on_hls(&s, "mei", "c1", 8, 4.0), "file"),
        (no_seq, "seq_no"),
        (bad_duration, "duration"),
        (missing, "file"),
    ] {
        let (status, answer) = srs(&s, &body).await;
        assert_eq!((status, answer["field"].as_str()), (400, Some(field)), "{answer}");
    }
    let r = s.http.post(s.url(&format!("/hooks/srs?secret={SECRET}"))).body("{\"action\": \"on_hls\",").send().await;
    assert_eq!(r.unwrap().status(), 400);
    // While the publish runs, its broadcast is listed as being recorded, without a file.
    let live = replays_until(&s, "mei", |_| true).await;
    assert_eq!(live.len(), 1, "{live:?}");
    assert_eq!((live[0]["status"].as_str(), live[0]["parts"].as_array().unwrap().len()), (Some("recording"), 0));

    // on_unpublish, and the last segment's on_hls after it (SRS sends both at once).
    let unpublish = json!({"action": "on_unpublish", "client_id": "c1", "stream": "mei", "app": "live"});
    assert_eq!(srs(&s, &unpublish).await.0, 200);
    segments.push((3, srs_writes(&s, "mei", 3)));
    assert_eq!(srs(&s, &on_hls(&s, "mei", "c1", 3, 2.5)).await.0, 200);

    let items = replays_until(&s, "mei", |i| i.first().is_some_and(|r| r["status"] == "ready")).await;
    assert_eq!(items.len(), 1, "{items:?}");
    let r = &items[0];
    assert_eq!(r["format"], "hls");
    assert_eq!(r["id"], live[0]["id"], "the publish's broadcast");
    assert_eq!(r["duration_secs"], 14.5);
    let url = r["url"].as_str().unwrap();
    assert!(url.starts_with("/media/relive-hls/mei-") && url.ends_with("/index.m3u8"), "{url}");
    let res = s.http.get(s.url(url)).send().await.unwrap();
    assert_eq!(res.headers()["content-type"], "application/vnd.apple.mpegurl");
    let text = res.text().await.unwrap();
    assert_eq!(
        text,
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-TARGETDURATION:5\n#EXT-X-MEDIA-SEQUENCE:0\n\
#EXTINF:4.000,\n0.ts\n#EXTINF:4.004,\n1.ts\n#EXTINF:3.996,\n2.ts\n#EXTINF:2.500,\n3.ts\n#EXT-X-ENDLIST\n"
    );
    let folder = url.trim_end_matches("index.m3u8");
    for (seq, bytes) in &segments {
        let got = s.http.get(s.url(&format!("{folder}{seq}.ts"))).send().await.unwrap().bytes().await.unwrap();
        assert_eq!(&got[..], &bytes[..], "segment {seq}");
    }
    let total: u64 =
        [0u64, 1, 2, 3].iter().map(|seq| segments.iter().find(|(s, _)| s == seq).unwrap().1.len() as u64).sum();
    assert_eq!(r["size_bytes"].as_u64(), Some(total));

    // A straggler of the closed publish is ignored; a later publish is a new recording,
    // and, restarted within the broadcast gap, a second part of the same broadcast.
    srs_writes(&s, "mei", 4);
    assert_eq!(srs(&s, &on_hls(&s, "mei", "c1", 4, 1.0)).await.0, 200);
    assert_eq!(srs(&s, &json!({"action": "on_publish", "client_id": "c2", "stream": "mei"})).await.0, 200);
    srs_writes(&s, "mei", 0);
    assert_eq!(srs(&s, &on_hls(&s, "mei", "c2", 0, 4.0)).await.0, 200);
    assert_eq!(srs(&s, &json!({"action": "on_unpublish", "client_id": "c2", "stream": "mei"})).await.0, 200);
    wait_for_playlists(&s, "mei", 2).await;
    // In this test's compressed time the second recording's wall-clock span lies inside
    // the first's: the same window recorded again, kept off the timeline (an alternate).
    let items = replays_until(&s, "mei", |i| i.first().is_some_and(|r| r["status"] == "ready")).await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!((items[0]["id"].clone(), items[0]["duration_secs"].as_f64()), (live[0]["id"].clone(), Some(14.5)));
}

/// Waits until `n` SRS recordings of `stream` have their playlists written.
async fn wait_for_playlists(s: &Server, stream: &str, n: usize) {
    let count = || {
        let Ok(dirs) = std::fs::read_dir(s.path("media/relive-hls")) else { return 0 };
        dirs.flatten()
            .filter(|d| d.file_name().to_string_lossy().starts_with(&format!("{stream}-")))
            .flat_map(|d| std::fs::read_dir(d.path()).into_iter().flatten().flatten())
            .filter(|publish| publish.path().join("index.m3u8").exists())
            .count()
    };
    for _ in 0..100 {
        if count() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{} of {n} playlists of {stream} written", count());
}

#[tokio::test]
async fn an_unpublish_without_segments_makes_no_replay() {
    // The broadcast the publish opened waits --broadcast-settle seconds for files.
    let s = Server::start_with(&["--hook-secret", SECRET, "--srs-hls-grace", "1", "--broadcast-settle", "2"]);
    assert_eq!(srs(&s, &json!({"action": "on_publish", "client_id": "x", "stream": "quiet"})).await.0, 200);
    assert_eq!(srs(&s, &json!({"action": "on_unpublish", "client_id": "x", "stream": "quiet"})).await.0, 200);
    let waiting = replays_until(&s, "quiet", |_| true).await;
    assert_eq!((waiting.len(), waiting[0]["status"].as_str()), (1, Some("processing")), "{waiting:?}");
    assert!(replays_until(&s, "quiet", |i| i.is_empty()).await.is_empty(), "no file came: no card");
    let (status, profile) = s.get("/api/v1/streamers/quiet").await;
    assert_eq!((status, profile["replay_count"].as_u64(), profile["live"].as_bool()), (200, Some(0), Some(false)));
    assert_eq!(s.get(&format!("/api/v1/replays/{}", waiting[0]["id"])).await.0, 404);
}

#[tokio::test]
async fn an_open_srs_recording_survives_restarts() {
    // Long grace: the server is killed while the recording waits to close.
    let s = Server::start_with(&["--hook-secret", SECRET, "--srs-hls-grace", "60"]);
    for seq in 0..2 {
        srs_writes(&s, "rin", seq);
        assert_eq!(srs(&s, &on_hls(&s, "rin", "r1", seq, 4.0)).await.0, 200);
    }
    let dir = s.stop();
    let s = Server::start_in(dir, &["--hook-secret", SECRET, "--srs-hls-grace", "60"]);
    srs_writes(&s, "rin", 2);
    assert_eq!(srs(&s, &on_hls(&s, "rin", "r1", 2, 1.5)).await.0, 200);
    assert_eq!(srs(&s, &json!({"action": "on_unpublish", "client_id": "r1", "stream": "rin"})).await.0, 200);
    let dir = s.stop();
    // Restarted with a short grace: the lost closing is done at start-up.
    let s = Server::start_in(dir, &["--hook-secret", SECRET, "--srs-hls-grace", "1"]);
    // The unpublish opened (and ended) a broadcast; the recording joins it once closed.
    let items = replays_until(&s, "rin", |i| i.first().is_some_and(|r| r["duration_secs"] != 0.0)).await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["duration_secs"], 9.5);
    let text = s.http.get(s.url(items[0]["url"].as_str().unwrap())).send().await.unwrap().text().await.unwrap();
    assert_eq!(text.matches("#EXTINF").count(), 3, "{text}");
    assert!(text.ends_with("#EXT-X-ENDLIST\n"));

    // A publish whose on_unpublish never came is closed by the next publish.
    srs_writes(&s, "rin", 0);
    assert_eq!(srs(&s, &on_hls(&s, "rin", "r2", 0, 4.0)).await.0, 200);
    let dir = s.stop();
    let s = Server::start_in(dir, &["--hook-secret", SECRET, "--srs-hls-grace", "1"]);
    assert_eq!(srs(&s, &json!({"action": "on_publish", "client_id": "r3", "stream": "rin"})).await.0, 200);
    wait_for_playlists(&s, "rin", 2).await;
    // Seconds after the first publish, within the broadcast gap: the same broadcast (the
    // recording's wall-clock span, compressed here, lies inside the first's: an alternate).
    let items = replays_until(&s, "rin", |_| true).await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["duration_secs"], 9.5);
}

/// Reconciliation lists a missed `.m3u8` recording as HLS, with its playlist's duration.
#[derive(Clone)]
struct FileList(String);

async fn filelist(State(list): State<FileList>, Query(q): Query<HashMap<String, String>>) -> axum::Json<Value> {
    assert_eq!(q["Param.s.channel_id"], "recon_hls");
    axum::Json(json!({"ret": 0, "retcode": 0, "message": "", "output": {"all_count": 1, "file_list": [
        {"file_id": "missed-hls", "record_file_url": list.0,
         "start_time": "2026-11-24 11:00:00", "end_time": "2026-11-24 11:20:00"}
    ]}}))
}

#[tokio::test]
async fn reconciliation_finds_missed_hls_recordings() {
    let (_cdn, base) = Cdn::start(&[("/rec/missed.m3u8", 200, MEDIA_PLAYLIST)]).await;
    let app = axum::Router::new()
        .route("/common_access", get(filelist))
        .with_state(FileList(format!("{base}/rec/missed.m3u8")));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = format!("http://{}/common_access", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let s = Server::start_with(&[
        // The push below left no file here: its broadcast goes at once.
        "--broadcast-settle",
        "1",
        "--tencent-callback-key",
        common::CALLBACK_KEY,
        "--tencent-appid",
        "1234",
        "--tencent-api-key",
        "api-key",
        "--tencent-api-url",
        &api,
        "--reconcile-interval",
        "1",
    ]);
    let t = now();
    assert_eq!(s.tencent(json!({"event_type": 1, "stream_id": "recon_hls", "event_time": t - 100})).await.0, 200);
    assert_eq!(s.tencent(json!({"event_type": 0, "stream_id": "recon_hls", "event_time": t - 10})).await.0, 200);
    let items = replays_until(&s, "recon_hls", |i| i.first().is_some_and(|r| r["duration_secs"] != 0.0)).await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!((items[0]["format"].as_str(), items[0]["duration_secs"].as_f64()), (Some("hls"), Some(10.52)));
}
