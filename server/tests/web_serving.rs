//! Serving the built web app, local media and the demo data.

mod common;

use common::{Server, write_file};

fn with_dist() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    write_file(&dist.join("index.html"), b"<!doctype html><title>Relive</title>");
    write_file(&dist.join("index.html.br"), b"brotli-bytes-stand-in");
    write_file(&dist.join("relive-web-0123456789abcdef_bg.wasm"), b"\0asm\x01\0\0\0");
    write_file(&dist.join("relive-web-0123456789abcdef.js"), b"export default 1;");
    dir
}

#[tokio::test]
async fn spa_routes_fall_back_to_index_and_assets_are_cached() {
    let s = Server::start_in(with_dist(), &[]);
    let client = reqwest::Client::new();

    for path in ["/", "/u/alice", "/u/alice/replays/3", "/embed/replays/3"] {
        let r = client.get(s.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["cache-control"], "no-cache", "{path}");
        assert!(r.text().await.unwrap().contains("<title>Relive</title>"), "{path}");
    }

    let r = client.get(s.url("/relive-web-0123456789abcdef_bg.wasm")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/wasm");
    assert_eq!(r.headers()["cache-control"], "public, max-age=31536000, immutable");

    // A precompressed sibling is served to clients that accept it.
    let r = client.get(s.url("/u/alice")).header("accept-encoding", "br").send().await.unwrap();
    assert_eq!(r.headers()["content-encoding"], "br");

    assert_eq!(client.get(s.url("/missing-0123456789abcdef.js")).send().await.unwrap().status(), 404);
    let r = client.get(s.url("/api/v1/nothing")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-type"], "application/json");

    let (status, health) = s.get("/healthz").await;
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")));
}

#[tokio::test]
async fn replay_and_profile_pages_carry_link_previews() {
    use common::{ADMIN_TOKEN, CALLBACK_KEY, now, recording};
    let s = Server::start_in(with_dist(), &["--tencent-callback-key", CALLBACK_KEY, "--admin-token", ADMIN_TOKEN]);
    let profile = serde_json::json!({"display_name": "小美 \"Mei\"", "avatar_url": "https://cdn.example.com/a.png", "bio": "Songs <3"});
    let (status, _) = s.admin(reqwest::Method::PUT, "/api/v1/streamers/mei", Some(ADMIN_TOKEN), Some(profile)).await;
    assert_eq!(status, 200);
    let (status, _) = s.tencent(recording("mei", "f1", now() - 3600, 65)).await;
    assert_eq!(status, 200);
    let (_, list) = s.get("/api/v1/streamers/mei/replays").await;
    let id = list["items"][0]["id"].as_i64().unwrap();
    let client = reqwest::Client::new();

    let page = |path: String| {
        let client = client.clone();
        async move {
            let r = client.get(&path).header("accept-encoding", "br").send().await.unwrap();
            assert_eq!(r.status(), 200);
            assert_eq!(r.headers()["cache-control"], "no-cache");
            assert!(
                r.headers().get("content-encoding").is_none(),
                "{path}: made for the page, not the precompressed file"
            );
            r.text().await.unwrap()
        }
    };
    let html = page(s.url("/u/mei")).await;
    assert!(html.contains(r#"<meta property="og:title" content="小美 &quot;Mei&quot;" />"#), "{html}");
    assert!(html.contains(r#"<meta property="og:image" content="https://cdn.example.com/a.png" />"#), "{html}");
    assert!(html.contains(r#"content="Songs &lt;3""#), "{html}");
    for path in [format!("/u/mei/replays/{id}"), format!("/embed/replays/{id}")] {
        let html = page(s.url(&path)).await;
        assert!(html.contains(r#"<meta property="og:type" content="video.other" />"#), "{html}");
        assert!(html.contains("1:05 · Relive"), "the duration in the description: {html}");
        assert!(html.contains(&format!(r#"<meta property="og:url" content="{}" />"#, s.url(&path))), "{html}");
    }
    // No such replay: the plain page (the app says it is not found), precompressed.
    let r = client.get(s.url("/u/mei/replays/999999")).header("accept-encoding", "br").send().await.unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["content-encoding"].to_str().unwrap()), (200, "br"));
}

#[tokio::test]
async fn unbuilt_app_says_how_to_build_it() {
    let s = Server::start();
    let r = reqwest::get(s.url("/u/alice")).await.unwrap();
    assert_eq!(r.status(), 503);
    assert!(r.text().await.unwrap().contains("make build"));
}

#[tokio::test]
async fn demo_data_is_seeded_once_with_playable_files() {
    let s = Server::start_with(&["--demo"]);
    let (_, dir) = s.get("/api/v1/streamers").await;
    let ids: Vec<&str> = dir["items"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"xiaoyu") && ids.contains(&"chen_music"), "{ids:?}");

    let (_, page) = s.get("/api/v1/streamers/xiaoyu/replays").await;
    let items = page["items"].as_array().unwrap();
    assert!(items.len() >= 5);
    let formats: Vec<&str> = items.iter().map(|r| r["format"].as_str().unwrap()).collect();
    assert!(formats.contains(&"mp4") && formats.contains(&"flv") && formats.contains(&"hls"), "{formats:?}");

    // The files play from this server, with byte ranges: every part of every replay.
    let client = reqwest::Client::new();
    let parts: Vec<&serde_json::Value> = items.iter().flat_map(|r| r["parts"].as_array().unwrap()).collect();
    assert!(parts.len() > items.len(), "one replay has several parts");
    for r in parts {
        let url = s.url(r["url"].as_str().unwrap());
        let resp = client.get(&url).header("range", "bytes=0-15").send().await.unwrap();
        assert_eq!(resp.status(), 206, "{url}");
        let head = resp.bytes().await.unwrap();
        assert_eq!(head.len(), 16);
        let magic_ok = match r["format"].as_str().unwrap() {
            "flv" => head.starts_with(b"FLV"),
            "hls" => head.starts_with(b"#EXTM3U"),
            _ => &head[4..8] == b"ftyp",
        };
        assert!(magic_ok, "{url}");
    }
    // The HLS replay: a VOD playlist of 20 s whose segments are served beside it.
    let hls = items.iter().find(|r| r["format"] == "hls").unwrap();
    assert_eq!(hls["duration_secs"], 20.0);
    let url = s.url(hls["url"].as_str().unwrap());
    let text = client.get(&url).send().await.unwrap().text().await.unwrap();
    let Ok(relive_media::hls::Playlist::Media(m)) = relive_media::hls::parse(&text, hls["url"].as_str().unwrap())
    else {
        panic!("{text}")
    };
    assert_eq!((m.segments.len(), m.duration_ms(), m.vod), (5, 20_000, true));
    for seg in &m.segments {
        let resp = client.get(s.url(&seg.url)).header("range", "bytes=0-187").send().await.unwrap();
        assert_eq!(resp.headers()["content-type"], "video/mp2t", "{}", seg.url);
        assert_eq!(resp.bytes().await.unwrap()[0], 0x47, "{}", seg.url);
    }

    // A broadcast in three FLV parts, with a gap between the second and the third.
    let relay = items.iter().find(|r| r["parts"].as_array().unwrap().len() == 3).unwrap();
    let offsets: Vec<f64> =
        relay["parts"].as_array().unwrap().iter().map(|p| p["offset_secs"].as_f64().unwrap()).collect();
    assert_eq!(offsets, [0.0, 10.0, 20.0]);
    assert_eq!(relay["gaps"], serde_json::json!([{"at_secs": 20.0, "duration_secs": 90.0}]));
    assert_eq!((relay["duration_secs"].as_f64(), relay["status"].as_str()), (Some(30.0), Some("ready")));
    let part = &relay["parts"][1];
    assert_eq!(part["keyframes_url"], format!("/api/v1/replays/{}/keyframes", part["id"]));
    assert_eq!(s.get(part["keyframes_url"].as_str().unwrap()).await.0, 200);
    // A part's id finds its broadcast.
    assert_eq!(s.get(&format!("/api/v1/replays/{}", part["id"])).await.1["replay"]["id"], relay["id"]);

    // chen_music is live, and being recorded: listed first, without a file yet.
    let (_, chen) = s.get("/api/v1/streamers/chen_music").await;
    assert_eq!(chen["live"], true);
    let (_, page) = s.get("/api/v1/streamers/chen_music/replays").await;
    let live = &page["items"][0];
    assert_eq!((live["status"].as_str(), live["parts"].as_array().map(Vec::len)), (Some("recording"), Some(0)));
    let chen_count = page["items"].as_array().unwrap().len();

    // A restart with --demo adds nothing twice.
    let count = items.len();
    let dir = s.stop();
    let s = Server::start_in(dir, &["--demo"]);
    let (_, page) = s.get("/api/v1/streamers/xiaoyu/replays").await;
    assert_eq!(page["items"].as_array().unwrap().len(), count);
    let (_, page) = s.get("/api/v1/streamers/chen_music/replays").await;
    assert_eq!(page["items"].as_array().unwrap().len(), chen_count);
}

#[tokio::test]
async fn public_url_makes_local_links_absolute() {
    let s = Server::start_with(&["--demo", "--public-url", "https://replay.example.com/"]);
    let (_, page) = s.get("/api/v1/streamers/chen_music/replays").await;
    // The first is being recorded (no file yet); the next one's links.
    let r = &page["items"][1];
    assert!(r["url"].as_str().unwrap().starts_with("https://replay.example.com/media/demo/"));
    assert!(r["parts"][0]["url"].as_str().unwrap().starts_with("https://replay.example.com/media/demo/"));
}
