//! The admin API: authentication, profile edits, push URLs.

mod common;

use common::{ADMIN_TOKEN, Server, md5_hex, now};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn admin_calls_need_the_token() {
    let s = Server::start();
    let profile = json!({"display_name": "X"});
    for token in [None, Some("wrong"), Some("")] {
        let calls = [
            (Method::PUT, "/api/v1/streamers/a", Some(profile.clone())),
            (Method::PATCH, "/api/v1/replays/1", Some(json!({"hidden": true}))),
            (Method::DELETE, "/api/v1/replays/1", None),
            (Method::POST, "/api/v1/streamers/a/push-url", Some(json!({}))),
        ];
        for (method, path, body) in calls {
            let (status, reply) = s.admin(method.clone(), path, token, body).await;
            assert_eq!(status, 401, "{method} {path} with {token:?}: {reply}");
            assert_eq!(reply["error"], "unauthorized");
        }
    }
    assert_eq!(s.get("/api/v1/streamers/a").await.0, 404, "nothing was created");

    // With no token configured the admin API is closed to everyone.
    let closed = Server::start_with(&[]);
    let (status, body) = closed.admin(Method::PUT, "/api/v1/streamers/a", Some(""), Some(profile)).await;
    assert_eq!(status, 401);
    assert!(body["message"].as_str().unwrap().contains("--admin-token"));
}

#[tokio::test]
async fn profiles_round_trip_as_plain_data() {
    let s = Server::start();
    let bio = "<script>alert('x')</script>\n<img src=x onerror=alert(1)>\n第二行";
    let (status, saved) = s
        .admin(
            Method::PUT,
            "/api/v1/streamers/xiao_mei",
            Some(ADMIN_TOKEN),
            Some(json!({"display_name": "  小美 Mei  ", "avatar_url": "https://cdn.example.com/a.png", "bio": bio})),
        )
        .await;
    assert_eq!(status, 200, "{saved}");
    let (_, got) = s.get("/api/v1/streamers/xiao_mei").await;
    assert_eq!(got["bio"], bio, "stored and returned exactly, as data");
    assert_eq!(got["display_name"], "小美 Mei");
    assert_eq!(got["avatar_url"], "https://cdn.example.com/a.png");
    assert_eq!(got, saved);
}

/// Stream ids follow one rule wherever a streamer arrives (`relive_api::limits::stream_id_problem`):
/// any character but control characters, `/` included, percent-encoded in addresses.
#[tokio::test]
async fn stream_ids_with_slashes_and_spaces_have_profiles() {
    let s = Server::start();
    for (id, path) in [("room/7", "room%2F7"), ("小明 live", "%E5%B0%8F%E6%98%8E%20live")] {
        let profile = json!({"display_name": id});
        let (status, saved) =
            s.admin(Method::PUT, &format!("/api/v1/streamers/{path}"), Some(ADMIN_TOKEN), Some(profile)).await;
        assert_eq!((status, saved["id"].as_str()), (200, Some(id)), "{saved}");
        let (status, got) = s.get(&format!("/api/v1/streamers/{path}")).await;
        assert_eq!((status, got["id"].as_str()), (200, Some(id)));
    }
    let (status, reply) =
        s.admin(Method::PUT, "/api/v1/streamers/a%01b", Some(ADMIN_TOKEN), Some(json!({"display_name": "x"}))).await;
    assert_eq!((status, reply["field"].as_str()), (400, Some("id")), "{reply}");
    let (status, _) = s
        .admin(
            Method::PUT,
            &format!("/api/v1/streamers/{}", "x".repeat(129)),
            Some(ADMIN_TOKEN),
            Some(json!({"display_name": "x"})),
        )
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn profile_fields_are_validated() {
    let s = Server::start();
    let put = |body| s.admin(Method::PUT, "/api/v1/streamers/v", Some(ADMIN_TOKEN), Some(body));
    let cases = [
        (json!({"display_name": "ok", "avatar_url": "javascript:alert(1)"}), "avatar_url"),
        (json!({"display_name": "ok", "avatar_url": "data:image/png;base64,AAAA"}), "avatar_url"),
        (json!({"display_name": "   "}), "display_name"),
        (json!({"display_name": "n".repeat(65)}), "display_name"),
        (json!({"display_name": "ok", "bio": "b".repeat(2001)}), "bio"),
    ];
    for (body, field) in cases {
        let (status, reply) = put(body).await;
        assert_eq!((status, reply["field"].as_str()), (400, Some(field)), "{reply}");
    }
    let (status, reply) = put(json!({"display_name": 5})).await;
    assert_eq!(status, 400, "{reply}");
    assert_eq!(reply["error"], "invalid_body");
    assert_eq!(s.get("/api/v1/streamers/v").await.0, 404, "nothing stored");
}

#[tokio::test]
async fn push_url_signature_matches_md5() {
    let s = Server::start_with(&[
        "--admin-token",
        ADMIN_TOKEN,
        "--push-domain",
        "push.example.com",
        "--tencent-push-key",
        "push-key-123",
    ]);
    let before = now();
    let (status, body) = s
        .admin(
            Method::POST,
            "/api/v1/streamers/anchor_1/push-url",
            Some(ADMIN_TOKEN),
            Some(json!({"record": "mp4", "valid_secs": 3600})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let url = body["url"].as_str().unwrap();
    let expires = body["expires_at"].as_i64().unwrap();
    assert!((before + 3600..=now() + 3600).contains(&expires));

    let (head, query) = url.split_once('?').unwrap();
    assert_eq!(head, "rtmp://push.example.com/live/anchor_1");
    let params: std::collections::HashMap<_, _> = query.split('&').filter_map(|kv| kv.split_once('=')).collect();
    let tx_time = format!("{expires:X}");
    assert_eq!(params["txTime"], tx_time);
    assert_eq!(params["txSecret"], md5_hex(&format!("push-key-123anchor_1{tx_time}")));
    assert_eq!(params["record"], "mp4");

    // FLV is the default.
    let (_, body) =
        s.admin(Method::POST, "/api/v1/streamers/anchor_1/push-url", Some(ADMIN_TOKEN), Some(json!({}))).await;
    assert!(body["url"].as_str().unwrap().ends_with("&record=flv"));

    // Not configured: a clear 409.
    let bare = Server::start();
    let (status, body) =
        bare.admin(Method::POST, "/api/v1/streamers/a/push-url", Some(ADMIN_TOKEN), Some(json!({}))).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("not_configured")));
}
