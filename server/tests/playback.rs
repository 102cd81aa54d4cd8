//! Keyframe indexes and MP4 copies of FLV replays.

mod common;

use common::{Server, now};
use serde_json::json;

async fn demo_flv_id(s: &Server) -> i64 {
    let (_, page) = s.get("/api/v1/streamers/xiaoyu/replays").await;
    page["items"].as_array().unwrap().iter().find(|r| r["format"] == "flv").unwrap()["id"].as_i64().unwrap()
}

#[tokio::test]
async fn local_flv_is_indexed_once_and_kept() {
    let s = Server::start_with(&["--demo"]);
    let id = demo_flv_id(&s).await;
    let (status, ix) = s.get(&format!("/api/v1/replays/{id}/keyframes")).await;
    assert_eq!(status, 200, "{ix}");
    let times = ix["times_ms"].as_array().unwrap();
    let offsets = ix["offsets"].as_array().unwrap();
    // 20 s with a keyframe every 2 s (gop 50 at 25 fps).
    assert_eq!(times.len(), 10);
    assert_eq!(times.len(), offsets.len());
    assert_eq!(times[0], 0);
    assert!((19_900..=20_200).contains(&ix["duration_ms"].as_i64().unwrap()), "{ix}");
    // Each offset is the first byte of a video tag (type 9).
    let flv = std::fs::read(s.path("media/demo/night-studio.flv")).unwrap();
    for o in offsets {
        assert_eq!(flv[o.as_u64().unwrap() as usize], 9);
    }
    // Kept: the same answer after a restart, from the database.
    let dir = s.stop();
    std::fs::remove_file(dir.path().join("media/demo/night-studio.flv")).unwrap();
    let s = Server::start_in(dir, &[]);
    let (status, again) = s.get(&format!("/api/v1/replays/{id}/keyframes")).await;
    assert_eq!((status, again), (200, ix));
}

#[tokio::test]
async fn remote_flv_is_indexed_in_the_background_and_fills_a_missing_duration() {
    let s = Server::start();
    let flv = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/demo/night-studio.flv")).unwrap();
    common::write_file(&s.path("media/remote/a.flv"), &flv);
    // Announced by Tencent with start after end (no duration), at a URL this server serves.
    let url = format!("{}/media/remote/a.flv", s.base);
    let p = json!({"event_type": 100, "stream_id": "far", "file_id": "r1", "file_format": "flv",
        "start_time": now() - 10, "end_time": now() - 20, "file_size": flv.len(), "video_url": url});
    assert_eq!(s.tencent(p).await.0, 200);
    let (_, page) = s.get("/api/v1/streamers/far/replays").await;
    let id = page["items"][0]["id"].as_i64().unwrap();
    let path = format!("/api/v1/replays/{id}/keyframes");
    let mut answer = s.get(&path).await;
    for _ in 0..50 {
        if answer.0 == 200 {
            break;
        }
        assert_eq!(answer.0, 202, "{}", answer.1);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        answer = s.get(&path).await;
    }
    assert_eq!(answer.0, 200, "{}", answer.1);
    assert_eq!(answer.1["times_ms"].as_array().unwrap().len(), 10);
    let (_, r) = s.get(&format!("/api/v1/replays/{id}")).await;
    assert!((19.9..=20.2).contains(&r["replay"]["duration_secs"].as_f64().unwrap()), "{r}");
}

#[tokio::test]
async fn a_corrupt_flv_says_why_it_cannot_be_indexed() {
    let s = Server::start_with(&["--demo"]);
    let id = demo_flv_id(&s).await;
    let path = s.path("media/demo/night-studio.flv");
    let mut flv = std::fs::read(&path).unwrap();
    // Walk to the 20th tag and break its header.
    let mut at = 13;
    for _ in 0..20 {
        let size = u32::from_be_bytes([0, flv[at + 1], flv[at + 2], flv[at + 3]]) as usize;
        at += 11 + size + 4;
    }
    flv[at..at + 16].copy_from_slice(b"this is not flv!");
    std::fs::write(&path, &flv).unwrap();
    let (status, body) = s.get(&format!("/api/v1/replays/{id}/keyframes")).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["message"].as_str().unwrap().contains("at byte"), "{body}");
    assert_eq!(s.get("/api/v1/replays/999/keyframes").await.0, 404);
}

#[tokio::test]
async fn mp4_copy_of_a_local_flv() {
    let s = Server::start_with(&["--demo"]);
    let id = demo_flv_id(&s).await;
    let client = reqwest::Client::new();
    let r = client.get(s.url(&format!("/api/v1/replays/{id}/mp4"))).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "video/mp4");
    let body = r.bytes().await.unwrap();
    assert_eq!(&body[4..8], b"ftyp");
    let moov = body.windows(4).position(|w| w == b"moov").unwrap();
    let mdat = body.windows(4).position(|w| w == b"mdat").unwrap();
    assert!(moov < mdat);
    // Byte ranges work on it, as players need.
    let r = client.get(s.url(&format!("/api/v1/replays/{id}/mp4"))).header("range", "bytes=0-99").send().await.unwrap();
    assert_eq!(r.status(), 206);
    // An MP4 replay needs none.
    let (_, page) = s.get("/api/v1/streamers/xiaoyu/replays").await;
    let mp4_id =
        page["items"].as_array().unwrap().iter().find(|r| r["format"] == "mp4").unwrap()["id"].as_i64().unwrap();
    assert_eq!(s.get(&format!("/api/v1/replays/{mp4_id}/mp4")).await.0, 409);
}
