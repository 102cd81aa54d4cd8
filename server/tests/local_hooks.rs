//! nginx-rtmp and SRS hooks: files on this machine, probed and served.

mod common;

use common::{Server, write_file};
use serde_json::json;

const SECRET: &str = "hook-secret-1";
const DEMO_FLV: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/demo/night-studio.flv");
const DEMO_MP4: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/demo/city-walk.mp4");

fn server() -> Server {
    Server::start_with(&["--hook-secret", SECRET, "--admin-token", common::ADMIN_TOKEN])
}

async fn nginx(s: &Server, secret: &str, form: &[(&str, &str)]) -> (u16, serde_json::Value) {
    let body = url_encode(form);
    let r = s
        .http
        .post(s.url(&format!("/hooks/nginx-rtmp?secret={secret}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
}

fn url_encode(form: &[(&str, &str)]) -> String {
    form.iter()
        .map(|(k, v)| {
            format!(
                "{k}={}",
                v.bytes()
                    .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
                    .collect::<String>()
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn recording(s: &Server, rel: &str, from: &str) -> String {
    let path = s.path("media").join(rel);
    write_file(&path, &std::fs::read(from).unwrap());
    path.to_string_lossy().into_owned()
}

#[tokio::test]
async fn nginx_record_done_is_probed_listed_and_indexed() {
    let s = server();
    let path = recording(&s, "live/anna-1700000000.flv", DEMO_FLV);
    let form = [
        ("call", "record_done"),
        ("app", "live"),
        ("name", "anna"),
        ("path", &path),
        ("recorder", ""),
        ("record", "flv"),
    ];
    let (status, body) = nginx(&s, SECRET, &form).await;
    assert_eq!(status, 200, "{body}");
    // Retried: still one.
    assert_eq!(nginx(&s, SECRET, &form).await.0, 200);
    let (_, page) = s.get("/api/v1/streamers/anna/replays").await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    let r = &items[0];
    assert_eq!(r["format"], "flv");
    assert_eq!(r["url"], "/media/live/anna-1700000000.flv");
    assert!((r["duration_secs"].as_f64().unwrap() - 20.0).abs() < 0.5, "{r}");
    assert_eq!((r["width"].as_u64(), r["height"].as_u64()), (Some(640), Some(360)));
    assert!(r["codecs"].as_str().unwrap().contains("mp4a.40.2"), "{r}");
    // The index came with the probe.
    let (status, ix) = s.get(&format!("/api/v1/replays/{}/keyframes", r["id"])).await;
    assert_eq!((status, ix["times_ms"].as_array().unwrap().len()), (200, 10));
}

#[tokio::test]
async fn record_mp4_from_an_flv_recorder_lists_an_mp4() {
    let s = server();
    let path = recording(&s, "live/ben.flv", DEMO_FLV);
    let (status, _) =
        nginx(&s, SECRET, &[("call", "record_done"), ("name", "ben"), ("path", &path), ("record", "mp4")]).await;
    assert_eq!(status, 200);
    let (_, page) = s.get("/api/v1/streamers/ben/replays").await;
    let r = &page["items"][0];
    assert_eq!(r["format"], "mp4");
    assert_eq!(r["url"], "/media/live/ben.mp4");
    let bytes = reqwest::get(s.url("/media/live/ben.mp4")).await.unwrap().bytes().await.unwrap();
    assert_eq!(&bytes[4..8], b"ftyp");
    assert_eq!(r["size_bytes"].as_u64().unwrap(), bytes.len() as u64);
}

#[tokio::test]
async fn bad_hook_calls_are_refused_with_reasons() {
    let s = server();
    let path = recording(&s, "live/c.flv", DEMO_FLV);
    let ok = [("call", "record_done"), ("name", "c"), ("path", path.as_str())];
    let (status, body) = nginx(&s, "wrong", &ok).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("bad_secret")));

    let outside = s.path("elsewhere.flv");
    write_file(&outside, &std::fs::read(DEMO_FLV).unwrap());
    let traversal = format!("{}/../elsewhere.flv", s.path("media").display());
    for (p, why) in [
        (outside.to_string_lossy().into_owned(), "outside"),
        (traversal, "outside"),
        ("/etc/passwd".to_string(), "outside"),
        (s.path("media/live/missing.flv").to_string_lossy().into_owned(), "names no file"),
    ] {
        let (status, body) = nginx(&s, SECRET, &[("call", "record_done"), ("name", "c"), ("path", &p)]).await;
        assert_eq!(status, 400, "{p}: {body}");
        assert_eq!(body["field"], "path");
        assert!(body["message"].as_str().unwrap().contains(why), "{p}: {body}");
    }
    let not_media = recording(&s, "live/notes.flv", concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"));
    let (status, body) = nginx(&s, SECRET, &[("call", "record_done"), ("name", "c"), ("path", &not_media)]).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"].as_str().unwrap().contains("not a playable recording"), "{body}");
    assert_eq!(s.get("/api/v1/streamers/c").await.0, 404, "nothing stored");
}

#[tokio::test]
async fn nginx_publish_events_set_live_status() {
    let s = server();
    assert_eq!(nginx(&s, SECRET, &[("call", "publish"), ("name", "dora"), ("record", "flv")]).await.0, 200);
    assert_eq!(s.get("/api/v1/streamers/dora").await.1["live"], true);
    assert_eq!(nginx(&s, SECRET, &[("call", "publish_done"), ("name", "dora")]).await.0, 200);
    assert_eq!(s.get("/api/v1/streamers/dora").await.1["live"], false);
    // A wrong secret refuses the publish itself.
    assert_eq!(nginx(&s, "nope", &[("call", "publish"), ("name", "dora")]).await.0, 401);
}

#[tokio::test]
async fn srs_dvr_and_publish_payloads() {
    let s = server();
    let media = s.path("media");
    // An hour apart (a file's time is its modification time): two broadcasts.
    let flv = recording(&s, "srs/live/eva.1700000000000.flv", DEMO_FLV);
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options().write(true).open(&flv).unwrap().set_modified(hour_ago).unwrap();
    recording(&s, "srs/live/eva.1700000100000.mp4", DEMO_MP4);
    let hook = |body: serde_json::Value, secret: &str| {
        let url = s.url(&format!("/hooks/srs?secret={secret}"));
        let client = s.http.clone();
        async move {
            let r = client.post(url).json(&body).send().await.unwrap();
            (r.status().as_u16(), r.json::<serde_json::Value>().await.unwrap_or_default())
        }
    };
    // SRS names the file relative to its working directory.
    let dvr = json!({"action": "on_dvr", "client_id": "341w361a", "ip": "127.0.0.1", "vhost": "__defaultVhost__",
        "app": "live", "stream": "eva", "param": "?vhost=a&record=flv", "cwd": media.join("srs").to_string_lossy(),
        "file": "./live/eva.1700000000000.flv"});
    assert_eq!(hook(dvr.clone(), SECRET).await, (200, json!({"code": 0})));
    assert_eq!(hook(dvr, SECRET).await.0, 200, "repeated");
    let mp4 = json!({"action": "on_dvr", "app": "live", "stream": "eva", "param": "",
        "cwd": "/nowhere", "file": media.join("srs/live/eva.1700000100000.mp4").to_string_lossy()});
    assert_eq!(hook(mp4, SECRET).await.0, 200);
    let (_, page) = s.get("/api/v1/streamers/eva/replays").await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let mp4 = items.iter().find(|r| r["format"] == "mp4").unwrap();
    assert!((mp4["duration_secs"].as_f64().unwrap() - 20.0).abs() < 0.5, "{mp4}");
    assert_eq!(mp4["width"], 640);

    assert_eq!(hook(json!({"action": "on_publish", "stream": "eva"}), SECRET).await.0, 200);
    assert_eq!(s.get("/api/v1/streamers/eva").await.1["live"], true);
    assert_eq!(hook(json!({"action": "on_unpublish", "stream": "eva"}), SECRET).await.0, 200);
    assert_eq!(s.get("/api/v1/streamers/eva").await.1["live"], false);
    assert_eq!(hook(json!({"action": "on_publish", "stream": "eva"}), "bad").await.0, 401);
    let (status, body) = hook(json!({"action": "on_dvr", "stream": "eva"}), SECRET).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("file")));
}

#[tokio::test]
async fn push_urls_for_a_local_rtmp_server() {
    let s = Server::start_with(&["--admin-token", common::ADMIN_TOKEN, "--rtmp-url", "rtmp://127.0.0.1/live/"]);
    let (status, body) = s
        .admin(
            reqwest::Method::POST,
            "/api/v1/streamers/fay/push-url",
            Some(common::ADMIN_TOKEN),
            Some(json!({"record": "mp4"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["url"], "rtmp://127.0.0.1/live/fay?record=mp4");
}
