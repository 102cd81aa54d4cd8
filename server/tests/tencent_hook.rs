//! `POST /hooks/tencent` against the real server and a real SQLite file.

mod common;

use common::{CALLBACK_KEY, Server, md5_hex, now, recording, signed};
use serde_json::{Value, json};

/// The example from Tencent's recording guide, byte for byte but for `t` (the guide's
/// has long expired) and the `sign` that goes with it.
fn guide_payload(t: i64) -> Value {
    json!({
        "channel_id": "2121_15919131751",
        "end_time": 1473125627,
        "event_type": 100,
        "file_format": "flv",
        "file_id": "9192487266581821586",
        "file_size": 9749353,
        "sign": md5_hex(&format!("{CALLBACK_KEY}{t}")),
        "start_time": 1473135647,
        "stream_id": "2121_15919131751",
        "t": t,
        "video_id": "200025724_ac92b781a22c4a3e937c9e61c2624af7",
        "video_url": "http://200025724.vod.myqcloud.com/200025724_ac92b781a22c4a3e937c9e61c2624af7.f0.flv"
    })
}

async fn replay_count(s: &Server, streamer: &str) -> usize {
    let (status, page) = s.get(&format!("/api/v1/streamers/{streamer}/replays?limit=100")).await;
    if status == 404 {
        return 0;
    }
    page["items"].as_array().unwrap().len()
}

#[tokio::test]
async fn guide_example_is_accepted_and_listed() {
    let s = Server::start();
    let (status, body) = s.post_json("/hooks/tencent", &guide_payload(now() + 300)).await;
    assert_eq!((status, &body), (200, &json!({"code": 0})));

    let (status, page) = s.get("/api/v1/streamers/2121_15919131751/replays").await;
    assert_eq!(status, 200);
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    let r = &items[0];
    assert_eq!(r["format"], "flv");
    assert_eq!(r["url"], "http://200025724.vod.myqcloud.com/200025724_ac92b781a22c4a3e937c9e61c2624af7.f0.flv");
    assert_eq!(r["size_bytes"], 9749353);
    assert_eq!(r["status"], "ready");
    // The guide's start_time is after its end_time: no negative duration.
    assert_eq!(r["duration_secs"], 0.0);
    assert_eq!(r["title"], "2016-09-06 04:20 UTC");
    assert_eq!(r["title_is_default"], true);

    // An unknown stream id made a streamer with a default profile.
    let (status, streamer) = s.get("/api/v1/streamers/2121_15919131751").await;
    assert_eq!(status, 200);
    assert_eq!(streamer["display_name"], "2121_15919131751");
    assert_eq!(streamer["replay_count"], 1);

    let (_, detail) = s.get(&format!("/api/v1/replays/{}", r["id"])).await;
    assert_eq!(detail["streamer"]["id"], "2121_15919131751");
}

#[tokio::test]
async fn current_shape_with_unknown_fields_is_kept() {
    let s = Server::start();
    let mut p = recording("anchor_7", "f-1", now() - 3600, 1800);
    p["some_future_field"] = json!({"nested": [1, 2, 3]});
    let (status, _) = s.tencent(p).await;
    assert_eq!(status, 200);
    let (_, page) = s.get("/api/v1/streamers/anchor_7/replays").await;
    assert_eq!(page["items"][0]["duration_secs"], 1800.0);
    assert_eq!(page["items"][0]["format"], "mp4");
}

#[tokio::test]
async fn bad_signatures_are_refused_and_store_nothing() {
    let s = Server::start();
    let t = now() + 300;

    let mut wrong = guide_payload(t);
    wrong["sign"] = json!(md5_hex(&format!("not-the-key{t}")));
    let (status, body) = s.post_json("/hooks/tencent", &wrong).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "bad_signature");

    let expired = guide_payload(now() - 3600);
    let (status, body) = s.post_json("/hooks/tencent", &expired).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "expired");

    let mut unsigned = guide_payload(t);
    unsigned.as_object_mut().unwrap().remove("sign");
    let (status, body) = s.post_json("/hooks/tencent", &unsigned).await;
    assert_eq!(status, 401);
    assert!(body["message"].as_str().unwrap().contains("sign"), "{body}");

    // Nothing was stored: not even the streamer.
    assert_eq!(s.get("/api/v1/streamers/2121_15919131751").await.0, 404);
}

#[tokio::test]
async fn repeated_callbacks_store_one_replay() {
    let s = Server::start();
    // Hours apart: each file its own broadcast.
    let p = signed(recording("dup", "same-file", now() - 30_000, 60));
    for _ in 0..5 {
        assert_eq!(s.post_json("/hooks/tencent", &p).await, (200, json!({"code": 0})));
    }
    let concurrent = (0..5).map(|_| s.post_json("/hooks/tencent", &p));
    for (status, body) in futures::future::join_all(concurrent).await {
        assert_eq!((status, body), (200, json!({"code": 0})));
    }
    // A second file arriving concurrently with repeats of a third.
    let p2 = signed(recording("dup", "other-file", now() - 20_000, 60));
    let p3 = signed(recording("dup", "third-file", now() - 10_000, 60));
    let mixed = (0..10).map(|i| s.post_json("/hooks/tencent", if i % 2 == 0 { &p2 } else { &p3 }));
    futures::future::join_all(mixed).await;
    assert_eq!(replay_count(&s, "dup").await, 3);
}

#[tokio::test]
async fn bad_input_is_rejected_with_reasons_and_loses_nothing() {
    let s = Server::start();
    assert_eq!(s.tencent(recording("keep", "kept-file", now() - 100, 60)).await.0, 200);

    let (status, body) = s.post_raw("/hooks/tencent", "{\"event_type\": 100, ").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "malformed_json");

    let mut wrong_type = recording("keep", "f2", now(), 60);
    wrong_type["start_time"] = json!("yesterday");
    let (status, body) = s.tencent(wrong_type).await;
    assert_eq!(status, 400);
    assert_eq!(body["field"], "start_time");

    let mut missing = recording("keep", "f3", now(), 60);
    missing.as_object_mut().unwrap().remove("file_id");
    let (status, body) = s.tencent(missing).await;
    assert_eq!((status, body["error"].as_str(), body["field"].as_str()), (400, Some("missing_field"), Some("file_id")));

    let mut script_url = recording("keep", "f4", now(), 60);
    script_url["video_url"] = json!("javascript:alert(1)");
    let (status, body) = s.tencent(script_url).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("video_url")));

    let mut huge = signed(recording("keep", "f5", now(), 60));
    huge["padding"] = json!("x".repeat(100 * 1024));
    let (status, body) = s.post_raw("/hooks/tencent", serde_json::to_vec(&huge).unwrap()).await;
    assert_eq!(status, 413);
    assert_eq!(body["error"], "body_too_large");

    let (status, _) = s.post_raw("/hooks/tencent", "[1,2,3]").await;
    assert_eq!(status, 400);

    // The earlier recording is intact and alone.
    let (_, page) = s.get("/api/v1/streamers/keep/replays").await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["duration_secs"], 60.0);
}

#[tokio::test]
async fn live_status_follows_event_order_not_arrival_order() {
    let s = Server::start();
    let ev = |event_type: i64, time: i64, seq: &str| {
        json!({"event_type": event_type, "stream_id": "live_one", "event_time": time, "sequence": seq,
               "app": "push.example.com", "appname": "live", "errcode": 0, "errmsg": "ok"})
    };
    let t0 = now() - 100;
    assert_eq!(s.tencent(ev(1, t0, "6674468118806626493")).await.0, 200);
    assert_eq!(s.get("/api/v1/streamers/live_one").await.1["live"], true);
    assert_eq!(s.tencent(ev(0, t0 + 50, "6674468118806626493")).await.0, 200);
    assert_eq!(s.get("/api/v1/streamers/live_one").await.1["live"], false);
    // A retried "start" of the ended session arrives late: the stream stays ended.
    assert_eq!(s.tencent(ev(1, t0, "6674468118806626493")).await.0, 200);
    assert_eq!(s.get("/api/v1/streamers/live_one").await.1["live"], false);

    // Other event types are acknowledged and change nothing.
    let (status, body) = s.tencent(json!({"event_type": 321, "stream_id": "live_one"})).await;
    assert_eq!((status, body), (200, json!({"code": 0})));
}

#[tokio::test]
async fn without_a_key_unsigned_callbacks_are_accepted() {
    let s = Server::start_with(&[]);
    let mut p = recording("open", "f", now() - 10, 5);
    p["t"] = json!(now() + 60);
    let (status, _) = s.post_json("/hooks/tencent", &p).await;
    assert_eq!(status, 200);
    assert_eq!(replay_count(&s, "open").await, 1);
}
