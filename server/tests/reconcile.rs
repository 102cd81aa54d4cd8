//! Reconciliation against a local fake of Tencent's file-list API that serves the
//! documented response shape, its error codes, and a slow answer.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::{Query, State};
use axum::routing::get;
use common::{Server, now, recording};
use serde_json::{Value, json};

#[derive(Clone, Default)]
struct Fake {
    calls: Arc<AtomicUsize>,
    signed_ok: Arc<AtomicUsize>,
}

/// Call 1 fails with an API error, call 2 takes too long, then the list is served.
async fn filelist(
    State(fake): State<Fake>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> axum::Json<Value> {
    let n = fake.calls.fetch_add(1, Ordering::SeqCst);
    let t: i64 = q["t"].parse().unwrap();
    if q["sign"] == common::md5_hex(&format!("api-key{t}"))
        && q["interface"] == "Live_Tape_GetFilelist"
        && q["appid"] == "1234"
    {
        fake.signed_ok.fetch_add(1, Ordering::SeqCst);
    }
    match n {
        0 => return axum::Json(json!({"ret": 20601, "retcode": 20601, "message": "channel busy", "output": {}})),
        1 => tokio::time::sleep(std::time::Duration::from_secs(3)).await,
        _ => {}
    }
    assert_eq!(q["Param.s.channel_id"], "recon");
    axum::Json(json!({
        "ret": 0, "retcode": 0, "errmsg": "", "message": "",
        "output": {"all_count": 3, "file_list": [
            // Already announced by a callback: stays one replay.
            {"file_id": "seen-1", "vid": "200025724_aaa", "record_file_url": "http://200025724.vod.myqcloud.com/200025724_aaa.f0.flv",
             "start_time": "2026-11-24 10:00:00", "end_time": "2026-11-24 10:30:00"},
            // Missed: a URL given.
            {"file_id": "missed-2", "vid": "200025724_bbb", "record_file_url": "http://200025724.vod.myqcloud.com/200025724_bbb.f0.mp4",
             "start_time": "2026-11-24 11:00:00", "end_time": "2026-11-24 11:20:00"},
            // Missed: only a vid, the URL assembled from the VOD bizid.
            {"file_id": "missed-3", "vid": "200025724_ccc", "record_file_url": "",
             "start_time": "2026-11-24 12:00:00", "end_time": "2026-11-24 12:05:00"}
        ]}
    }))
}

#[tokio::test]
async fn missed_files_appear_once_despite_api_errors_and_timeouts() {
    let fake = Fake::default();
    let app = axum::Router::new().route("/common_access", get(filelist)).with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = format!("http://{}/common_access", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let s = Server::start_with(&[
        // The push below left no file of its own: its broadcast goes at once.
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
        "--tencent-vod-bizid",
        "200025724",
        "--reconcile-interval",
        "1",
    ]);
    // The stream ran and stopped; one of its files arrived by callback.
    let t = now();
    assert_eq!(
        s.tencent(json!({"event_type": 1, "stream_id": "recon", "event_time": t - 100, "sequence": "9"})).await.0,
        200
    );
    assert_eq!(
        s.tencent(json!({"event_type": 0, "stream_id": "recon", "event_time": t - 10, "sequence": "9"})).await.0,
        200
    );
    let mut seen = recording("recon", "seen-1", 1_764_000_000, 1800);
    seen["video_url"] = json!("http://200025724.vod.myqcloud.com/200025724_aaa.f0.flv");
    assert_eq!(s.tencent(seen).await.0, 200);

    let mut items = Vec::new();
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        items = s.get("/api/v1/streamers/recon/replays").await.1["items"].as_array().cloned().unwrap_or_default();
        if items.len() >= 3 {
            break;
        }
    }
    let mut urls: Vec<&str> = items.iter().map(|r| r["url"].as_str().unwrap()).collect();
    urls.sort();
    assert_eq!(
        urls,
        vec![
            "http://200025724.vod.myqcloud.com/200025724_aaa.f0.flv",
            "http://200025724.vod.myqcloud.com/200025724_bbb.f0.mp4",
            "http://200025724.vod.myqcloud.com/200025724_ccc.f0.flv",
        ]
    );
    let missed = items.iter().find(|r| r["url"].as_str().unwrap().ends_with("bbb.f0.mp4")).unwrap();
    assert_eq!(missed["duration_secs"], 1200.0);
    assert_eq!(missed["start_time"], 1_795_489_200, "11:00 Beijing time is 03:00 UTC");
    assert!(fake.calls.load(Ordering::SeqCst) >= 3, "retried after the error and the timeout");
    assert_eq!(
        fake.signed_ok.load(Ordering::SeqCst),
        fake.calls.load(Ordering::SeqCst),
        "every call signed md5(key + t)"
    );
    // Later rounds add nothing twice.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(s.get("/api/v1/streamers/recon/replays").await.1["items"].as_array().unwrap().len(), 3);
    let (_, health) = s.get("/healthz").await;
    assert_eq!(health["status"], "ok", "the server kept running");
}
