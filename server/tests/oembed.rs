//! oEmbed (`/oembed?url=…`), the link-preview tags and discovery link of the pages a
//! crawler fetches without JavaScript, and the cross-origin reads the web app makes when
//! it is hosted on another origin (media, keyframes: `Range` preflights and exposed headers).

mod common;

use std::time::Duration;

use common::{ADMIN_TOKEN, CALLBACK_KEY, Server, now, session_recording, write_file};
use serde_json::{Value, json};

fn with_dist() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_file(
        &dir.path().join("dist/index.html"),
        b"<!doctype html><html><head><title>Relive</title></head><body></body></html>",
    );
    dir
}

const SHOT: &str = "https://cos.example.com/live/mei-screenshot-1-1280x720.jpg";

/// A server with streamer `mei` ("小美 <Mei>") and one replay whose poster is a Tencent
/// screenshot; the replay's id.
async fn server_with_replay() -> (Server, i64) {
    let s = Server::start_in(with_dist(), &["--tencent-callback-key", CALLBACK_KEY, "--admin-token", ADMIN_TOKEN]);
    let profile = json!({"display_name": "小美 <Mei>", "bio": "Songs & talk"});
    let (status, _) = s.admin(reqwest::Method::PUT, "/api/v1/streamers/mei", Some(ADMIN_TOKEN), Some(profile)).await;
    assert_eq!(status, 200);
    let t0 = now() - 7200;
    let shot = json!({"app": "push.example.com", "appname": "live", "channel_id": "mei", "stream_id": "mei",
        "create_time": t0 + 10, "event_type": 200, "file_size": 30_000, "width": 1280, "height": 720,
        "pic_full_url": SHOT, "pic_url": "/live/mei-screenshot-1-1280x720.jpg", "stream_param": "txSecret=x&txTime=1"});
    assert_eq!(s.tencent(shot).await.0, 200);
    let mut rec = session_recording("mei", "sess-1", "file-1", t0, 65);
    rec["video_url"] = json!("https://1234567890.vod2.myqcloud.com/abc/file-1/f0.mp4");
    assert_eq!(s.tencent(rec).await.0, 200);
    for _ in 0..300 {
        let (_, page) = s.get("/api/v1/streamers/mei/replays").await;
        if page["items"][0]["poster_url"].is_string() {
            assert_eq!(page["items"][0]["poster_url"], SHOT);
            let id = page["items"][0]["id"].as_i64().unwrap();
            return (s, id);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the replay never got its poster");
}

async fn oembed(s: &Server, url: &str, extra: &str) -> (u16, Value) {
    let q = url::form_urlencoded::Serializer::new(String::new()).append_pair("url", url).finish();
    s.get(&format!("/oembed?{q}{extra}")).await
}

#[tokio::test]
async fn oembed_for_a_replay_and_a_profile() {
    let (s, id) = server_with_replay().await;
    let watch = s.url(&format!("/u/mei/replays/{id}"));
    let embed = s.url(&format!("/embed/replays/{id}"));

    let (status, o) = oembed(&s, &watch, "&maxwidth=320&format=json").await;
    assert_eq!(status, 200, "{o}");
    assert_eq!((o["type"].as_str(), o["version"].as_str()), (Some("video"), Some("1.0")), "{o}");
    assert_eq!((o["width"].as_u64(), o["height"].as_u64()), (Some(320), Some(180)), "16:9 within maxwidth: {o}");
    let title = o["title"].as_str().unwrap();
    assert!(title.ends_with(" · 小美 <Mei>"), "{o}");
    assert_eq!(o["author_name"], "小美 <Mei>");
    assert_eq!(o["author_url"], s.url("/u/mei"));
    assert_eq!((o["provider_name"].as_str(), o["provider_url"].as_str()), (Some("Relive"), Some(&*s.url("/"))));
    assert_eq!(o["thumbnail_url"], SHOT, "the poster: {o}");
    let (tw, th) = (o["thumbnail_width"].as_u64().unwrap(), o["thumbnail_height"].as_u64().unwrap());
    assert!(tw > 0 && tw * 9 == th * 16, "{o}");
    let html = o["html"].as_str().unwrap();
    assert!(html.starts_with(&format!(r#"<iframe src="{embed}" width="320" height="180" "#)), "{html}");
    assert!(html.contains(r#" sandbox="allow-scripts allow-same-origin allow-popups allow-presentation""#), "{html}");
    assert!(html.contains(r#" allow="autoplay; fullscreen; picture-in-picture""#), "{html}");
    assert!(html.contains("小美 &lt;Mei&gt;") && !html.contains("<Mei>"), "the title escaped: {html}");
    assert!(html.ends_with("></iframe>"));

    // The embed page's own link, with a time and no format: the same replay, the default size.
    let (status, o) = oembed(&s, &format!("{embed}?t=30"), "").await;
    assert_eq!((status, o["width"].as_u64(), o["height"].as_u64()), (200, Some(640), Some(360)), "{o}");
    assert!(o["html"].as_str().unwrap().contains(&format!(r#"src="{embed}""#)));
    // A height limit narrows it too, keeping 16:9.
    let (_, o) = oembed(&s, &watch, "&maxwidth=1000&maxheight=90").await;
    assert_eq!((o["width"].as_u64(), o["height"].as_u64()), (Some(160), Some(90)), "{o}");

    // A profile: an iframe of its embed page; no poster, no thumbnail.
    let (status, o) = oembed(&s, &s.url("/u/mei"), "").await;
    assert_eq!(status, 200, "{o}");
    assert_eq!((o["type"].as_str(), o["title"].as_str()), (Some("video"), Some("小美 <Mei>")), "{o}");
    assert!(o["html"].as_str().unwrap().starts_with(&format!(r#"<iframe src="{}""#, s.url("/embed/u/mei"))), "{o}");
    assert!(o.get("thumbnail_url").is_none(), "{o}");

    // XML is not made.
    let (status, e) = oembed(&s, &watch, "&format=xml").await;
    assert_eq!((status, e["error"].as_str()), (501, Some("not_implemented")), "{e}");

    // Not ours, not a page with an embed, or nothing there: 404 in the API's error shape.
    let foreign = format!("https://evil.example/u/mei/replays/{id}");
    let suffix = s.url("").replacen("http://", "http://x", 1) + &format!("/u/mei/replays/{id}");
    for url in [
        foreign.as_str(),
        &suffix,
        &s.url("/u/mei/replays/999999"),
        &s.url("/u/nobody"),
        &s.url("/about"),
        &s.url("/api/v1/replays/1"),
        "not a url",
    ] {
        let (status, e) = oembed(&s, url, "").await;
        assert_eq!((status, e["error"].as_str()), (404, Some("not_found")), "{url}: {e}");
        assert!(e["message"].is_string());
    }
    let (status, e) = s.get("/oembed").await;
    assert_eq!((status, e["field"].as_str()), (400, Some("url")), "{e}");
    let (status, e) = oembed(&s, &watch, "&maxwidth=-5").await;
    assert_eq!((status, e["field"].as_str()), (400, Some("maxwidth")), "{e}");

    // Readable from other origins (a page's script asking for the embed code).
    let r = reqwest::Client::new()
        .get(s.url(&format!(
            "/oembed?url={}",
            url::form_urlencoded::byte_serialize(watch.as_bytes()).collect::<String>()
        )))
        .header("origin", "https://blog.example")
        .send()
        .await
        .unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["access-control-allow-origin"].to_str().unwrap()), (200, "*"));

    // Hidden: no embed, and no preview.
    let (status, _) = s
        .admin(
            reqwest::Method::PATCH,
            &format!("/api/v1/replays/{id}"),
            Some(ADMIN_TOKEN),
            Some(json!({"hidden": true})),
        )
        .await;
    assert!(status == 200 || status == 204, "{status}");
    let (status, e) = oembed(&s, &watch, "").await;
    assert_eq!((status, e["error"].as_str()), (404, Some("not_found")), "hidden: {e}");
    let html = reqwest::get(&watch).await.unwrap().text().await.unwrap();
    assert!(!html.contains("og:title") && !html.contains("json+oembed"), "{html}");
}

#[tokio::test]
async fn pages_fetched_without_javascript_carry_previews_and_the_discovery_link() {
    let (s, id) = server_with_replay().await;
    let watch = s.url(&format!("/u/mei/replays/{id}"));
    // A crawler: no JavaScript, no cookies, whatever Accept.
    let html = reqwest::get(&watch).await.unwrap().text().await.unwrap();
    let head = &html[..html.find("</head>").expect("a head")];
    assert!(head.contains(r#"<meta property="og:title" content=""#) && head.contains("小美 &lt;Mei&gt;"), "{html}");
    assert!(head.contains(&format!(r#"<meta property="og:image" content="{SHOT}" />"#)), "{html}");
    assert!(head.contains(r#"<meta name="twitter:card" content="player" />"#), "{html}");
    let embed = s.url(&format!("/embed/replays/{id}"));
    assert!(head.contains(&format!(r#"<meta name="twitter:player" content="{embed}" />"#)), "{html}");
    assert!(head.contains(r#"<meta name="twitter:player:width" content="640" />"#), "{html}");
    assert!(head.contains(r#"<meta name="twitter:player:height" content="360" />"#), "{html}");
    // The discovery link, its query escaped as an attribute; it answers.
    let enc: String = url::form_urlencoded::byte_serialize(watch.as_bytes()).collect();
    let enc = enc.replace('+', "%20");
    let href = format!("{}/oembed?url={enc}&format=json", s.url(""));
    let link = format!(
        r#"<link rel="alternate" type="application/json+oembed" href="{}" title=""#,
        href.replace('&', "&amp;")
    );
    assert!(head.contains(&link), "{link} in {html}");
    let o: Value = reqwest::get(&href).await.unwrap().json().await.unwrap();
    assert_eq!(o["type"], "video", "{o}");

    // A profile: a summary card, its own discovery link.
    let html = reqwest::get(s.url("/u/mei")).await.unwrap().text().await.unwrap();
    assert!(html.contains(r#"<meta name="twitter:card" content="summary" />"#), "{html}");
    assert!(html.contains("application/json+oembed") && !html.contains("twitter:player"), "{html}");
}

#[tokio::test]
async fn media_and_keyframes_are_readable_across_origins_with_ranges() {
    let s = Server::start_in(with_dist(), &[]);
    write_file(&s.path("media/x/a.mp4"), &[7u8; 1000]);
    let client = reqwest::Client::new();
    for path in ["/media/x/a.mp4", "/api/v1/replays/1/keyframes", "/api/v1/replays/1/mp4", "/oembed"] {
        let r = client
            .request(reqwest::Method::OPTIONS, s.url(path))
            .header("origin", "https://app.example")
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "range")
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        let h = r.headers();
        assert_eq!(h["access-control-allow-origin"], "*", "{path}");
        assert!(h["access-control-allow-headers"].to_str().unwrap().to_ascii_lowercase().contains("range"), "{path}");
        assert!(h["access-control-allow-methods"].to_str().unwrap().contains("GET"), "{path}");
    }
    let r = client
        .get(s.url("/media/x/a.mp4"))
        .header("origin", "https://app.example")
        .header("range", "bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    let exposed = r.headers()["access-control-expose-headers"].to_str().unwrap().to_ascii_lowercase();
    for h in ["content-range", "content-length", "accept-ranges"] {
        assert!(exposed.contains(h), "{h} in {exposed}");
    }
    assert_eq!(r.headers()["content-range"], "bytes 10-19/1000");
    // Writes still get no CORS: another site's page cannot make them.
    let r = client
        .request(reqwest::Method::OPTIONS, s.url("/api/v1/replays/1"))
        .header("origin", "https://app.example")
        .header("access-control-request-method", "PATCH")
        .send()
        .await
        .unwrap();
    let allowed = r.headers().get("access-control-allow-methods").map(|v| v.to_str().unwrap().to_string());
    assert!(!allowed.unwrap_or_default().contains("PATCH"));
}
