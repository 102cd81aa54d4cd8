//! The public read API: paging, visibility, errors, the OpenAPI document.

mod common;

use std::collections::HashSet;

use common::{ADMIN_TOKEN, Server, now, recording, signed};
use reqwest::Method;
use serde_json::{Value, json};

async fn ingest_many(s: &Server, stream: &str, prefix: &str, starts: impl Iterator<Item = i64>) {
    let payloads: Vec<Value> =
        starts.enumerate().map(|(i, t)| signed(recording(stream, &format!("{prefix}-{i}-{t}"), t, 60))).collect();
    for chunk in payloads.chunks(50) {
        let sends = chunk.iter().map(|p| s.post_json("/hooks/tencent", p));
        for (status, body) in futures::future::join_all(sends).await {
            assert_eq!(status, 200, "{body}");
        }
    }
}

#[tokio::test]
async fn pages_have_no_duplicates_or_gaps_while_recordings_arrive() {
    let s = Server::start();
    let base = now() - 1_000_000;
    // 250 recordings far enough apart (over --broadcast-gap) to be 250 broadcasts.
    ingest_many(&s, "pager", "old", (0..250).map(|i| base + i * 1000)).await;

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut arrivals = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/streamers/pager/replays?limit=20&cursor={}", urlencode(c)),
            None => "/api/v1/streamers/pager/replays?limit=20".to_string(),
        };
        let (status, page) = s.get(&path).await;
        assert_eq!(status, 200, "{page}");
        for r in page["items"].as_array().unwrap() {
            seen.push((
                r["start_time"].as_i64().unwrap(),
                r["id"].as_i64().unwrap(),
                r["url"].as_str().unwrap().to_string(),
            ));
        }
        // New recordings arrive between pages.
        arrivals += 3;
        ingest_many(&s, "pager", "new", (arrivals - 3..arrivals).map(|i| now() + i)).await;
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 250, "every original replay exactly once");
    let ids: HashSet<i64> = seen.iter().map(|r| r.1).collect();
    assert_eq!(ids.len(), 250, "no duplicates");
    assert!(seen.iter().all(|r| r.2.contains("/old-")), "pages started before the arrivals never show them");
    assert!(seen.windows(2).all(|w| (w[0].0, w[0].1) > (w[1].0, w[1].1)), "strictly newest first");

    // The first page now starts with the newest arrival.
    let (_, first) = s.get("/api/v1/streamers/pager/replays?limit=1").await;
    assert!(first["items"][0]["url"].as_str().unwrap().contains("/new-"));
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn hidden_replays_vanish_from_public_reads() {
    let s = Server::start();
    // Hours apart: three broadcasts.
    ingest_many(&s, "hider", "f", [now() - 30_000, now() - 20_000, now() - 10_000].into_iter()).await;
    let (_, page) = s.get("/api/v1/streamers/hider/replays").await;
    let id = page["items"][1]["id"].as_i64().unwrap();

    let (status, _) = s
        .admin(Method::PATCH, &format!("/api/v1/replays/{id}"), Some(ADMIN_TOKEN), Some(json!({"hidden": true})))
        .await;
    assert_eq!(status, 204);
    let (_, page) = s.get("/api/v1/streamers/hider/replays").await;
    let ids: Vec<i64> = page["items"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(ids.len(), 2);
    assert!(!ids.contains(&id));
    assert_eq!(s.get(&format!("/api/v1/replays/{id}")).await.0, 404);
    let (_, streamer) = s.get("/api/v1/streamers/hider").await;
    assert_eq!((streamer["replay_count"].as_i64(), streamer["total_duration_secs"].as_f64()), (Some(2), Some(120.0)));

    // Shown again.
    s.admin(Method::PATCH, &format!("/api/v1/replays/{id}"), Some(ADMIN_TOKEN), Some(json!({"hidden": false}))).await;
    assert_eq!(s.get(&format!("/api/v1/replays/{id}")).await.0, 200);

    // Deleted: gone for good, and a retried callback does not bring it back.
    assert_eq!(s.admin(Method::DELETE, &format!("/api/v1/replays/{id}"), Some(ADMIN_TOKEN), None).await.0, 204);
    assert_eq!(s.get(&format!("/api/v1/replays/{id}")).await.0, 404);
    assert_eq!(s.admin(Method::DELETE, &format!("/api/v1/replays/{id}"), Some(ADMIN_TOKEN), None).await.0, 404);
}

#[tokio::test]
async fn titles_can_be_set_and_reset() {
    let s = Server::start();
    ingest_many(&s, "titled", "f", [1_700_000_000].into_iter()).await;
    let (_, page) = s.get("/api/v1/streamers/titled/replays").await;
    let id = page["items"][0]["id"].as_i64().unwrap();
    let path = format!("/api/v1/replays/{id}");
    s.admin(Method::PATCH, &path, Some(ADMIN_TOKEN), Some(json!({"title": "  周五夜谈  "}))).await;
    let (_, d) = s.get(&path).await;
    assert_eq!(
        (d["replay"]["title"].as_str(), d["replay"]["title_is_default"].as_bool()),
        (Some("周五夜谈"), Some(false))
    );
    s.admin(Method::PATCH, &path, Some(ADMIN_TOKEN), Some(json!({"title": ""}))).await;
    let (_, d) = s.get(&path).await;
    assert_eq!(d["replay"]["title"], "2023-11-14 22:13 UTC");
    let (status, body) =
        s.admin(Method::PATCH, &path, Some(ADMIN_TOKEN), Some(json!({"title": "x".repeat(201)}))).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("title")));
}

#[tokio::test]
async fn reads_report_errors_as_json() {
    let s = Server::start();
    let (status, body) = s.get("/api/v1/streamers/nobody").await;
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
    assert_eq!(s.get("/api/v1/streamers/nobody/replays").await.0, 404);
    assert_eq!(s.get("/api/v1/replays/999").await.0, 404);
    assert_eq!(s.get("/api/v1/replays/not-a-number").await.0, 404);
    assert_eq!(s.get("/api/v1/no-such-thing").await.1["error"], "not_found");
    assert_eq!(s.get("/api/nope").await.0, 404);

    ingest_many(&s, "q", "f", [now()].into_iter()).await;
    let (status, body) = s.get("/api/v1/streamers/q/replays?limit=0").await;
    assert_eq!((status, body["field"].as_str()), (400, Some("limit")));
    let (status, body) = s.get("/api/v1/streamers/q/replays?cursor=garbage").await;
    assert_eq!((status, body["field"].as_str()), (400, Some("cursor")));
    // An over-large limit is capped, not refused.
    assert_eq!(s.get("/api/v1/streamers/q/replays?limit=100000").await.0, 200);
}

#[tokio::test]
async fn directory_pages_through_streamers() {
    let s = Server::start();
    for i in 0..7 {
        // File ids unique per streamer: "f-0-{now - i}" repeats when the clock ticks
        // between two streamers, and a repeated file id is a duplicate (no replay).
        ingest_many(&s, &format!("dir{i}"), &format!("f{i}"), [now() - i].into_iter()).await;
    }
    let mut names = HashSet::new();
    let mut cursor = String::new();
    loop {
        let (status, page) = s.get(&format!("/api/v1/streamers?limit=3{cursor}")).await;
        assert_eq!(status, 200, "{page}");
        for st in page["items"].as_array().unwrap() {
            assert!(names.insert(st["id"].as_str().unwrap().to_string()));
            assert_eq!(st["replay_count"], 1);
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={}", urlencode(c)),
            None => break,
        }
    }
    assert_eq!(names.len(), 7);
}

#[tokio::test]
async fn openapi_document_describes_the_api() {
    let s = Server::start();
    let (status, doc) = s.get("/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/streamers",
        "/api/v1/streamers/{id}/replays",
        "/api/v1/replays/{id}",
        "/api/v1/streamers/{id}/push-url",
        "/api/v1/replays/{id}/parts/{part_id}",
    ] {
        assert!(doc["paths"][path].is_object(), "missing {path}");
    }
    assert!(doc["components"]["schemas"]["Replay"]["properties"]["duration_secs"].is_object());
    assert!(doc["components"]["schemas"]["ReplayPart"]["properties"]["offset_secs"].is_object());
    assert!(doc["info"]["description"].as_str().unwrap().contains("A replay is one broadcast"));
}
