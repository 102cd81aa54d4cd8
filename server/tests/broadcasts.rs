//! One broadcast, one replay (issue 13), against the real server and a real SQLite file:
//! recordings grouped by session and by time, merges, alternates, deleting parts, the
//! status from recording to ready (Tencent's event 332), paging while parts arrive, and
//! the upgrade of a database made before broadcasts.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::{ADMIN_TOKEN, Server, now, recording, session_recording, signed};
use reqwest::Method;
use serde_json::{Value, json};

async fn replays(s: &Server, stream: &str) -> Vec<Value> {
    let (status, page) = s.get(&format!("/api/v1/streamers/{stream}/replays?limit=100")).await;
    assert_eq!(status, 200, "{page}");
    page["items"].as_array().unwrap().clone()
}

/// `GET /api/v1/replays/{id}`: status and the replay.
async fn replay(s: &Server, id: &Value) -> (u16, Value) {
    let (status, body) = s.get(&format!("/api/v1/replays/{id}")).await;
    (status, body["replay"].clone())
}

fn part_ids(r: &Value) -> Vec<i64> {
    r["parts"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect()
}

fn offsets(r: &Value) -> Vec<f64> {
    r["parts"].as_array().unwrap().iter().map(|p| p["offset_secs"].as_f64().unwrap()).collect()
}

/// Tencent's event 332 for a recording session.
fn record_status(stream: &str, session: &str, event: &str, seq: u64, time: i64) -> Value {
    json!({"appid": 123456789, "appname": "live", "domain": "x.livepush.myqcloud.com", "event_type": 332,
        "stream_id": stream, "session_id": session, "record_event": event, "seq": seq.to_string(), "event_time": time,
        "record_detail": "{\"file_format\":1,\"record_bps\":0,\"start_model\":1,\"record_content\":1,\"source_type\":1,\"codec_temp_id\":0}"})
}

/// Tencent's push (1) or cut (0) of push `sequence`.
fn push(stream: &str, live: bool, sequence: &str, time: i64) -> Value {
    json!({"event_type": if live { 1 } else { 0 }, "stream_id": stream, "channel_id": stream, "event_time": time,
        "sequence": sequence, "app": "push.example.com", "appname": "live", "errcode": 0, "errmsg": "ok"})
}

async fn ok(s: &Server, payload: Value) {
    let (status, body) = s.tencent(payload).await;
    assert_eq!((status, &body), (200, &json!({"code": 0})));
}

/// Tencent calls back each file of a recording session minutes after it closes; here the
/// three files of one session arrive newest first, each twice (Tencent retries). The
/// third came after a break longer than the gap (续录): only the session joins it.
#[tokio::test]
async fn one_sessions_parts_in_reverse_order_twice_each_make_one_broadcast_in_time_order() {
    let s = Server::start();
    let t = now() - 20_000;
    let files = [("f0", t, 1800), ("f1", t + 1800, 1799), ("f2", t + 4200, 600)];
    for (file, start, duration) in files.iter().rev() {
        let p = signed(session_recording("sess", "2918085116267032069", file, *start, *duration));
        for _ in 0..2 {
            assert_eq!(s.post_json("/hooks/tencent", &p).await, (200, json!({"code": 0})));
        }
    }
    let items = replays(&s, "sess").await;
    assert_eq!(items.len(), 1, "{items:?}");
    let r = &items[0];
    let urls: Vec<&str> = r["parts"].as_array().unwrap().iter().map(|p| p["url"].as_str().unwrap()).collect();
    assert!(urls[0].contains("/f0/") && urls[1].contains("/f1/") && urls[2].contains("/f2/"), "{urls:?}");
    assert_eq!(offsets(r), [0.0, 1800.0, 3599.0]);
    assert_eq!(r["gaps"], json!([{"at_secs": 3599.0, "duration_secs": 601.0}]));
    assert_eq!((r["duration_secs"].as_f64(), r["size_bytes"].as_u64()), (Some(4199.0), Some(3_000_000)));
    assert_eq!((r["start_time"].as_i64(), r["end_time"].as_i64()), (Some(t), Some(t + 4800)));
    assert_eq!((r["status"].as_str(), r["url"].as_str()), (Some("ready"), Some(urls[0])));
    // Its id is its first recording's (the first to arrive: f2); every part's id finds it.
    assert_eq!(r["id"], r["parts"][2]["id"]);
    for id in part_ids(r) {
        assert_eq!(replay(&s, &json!(id)).await.1["id"], r["id"]);
    }
    let (_, streamer) = s.get("/api/v1/streamers/sess").await;
    assert_eq!((streamer["replay_count"].as_u64(), streamer["total_duration_secs"].as_f64()), (Some(1), Some(4199.0)));
}

#[tokio::test]
async fn recording_status_moves_from_recording_to_processing_to_ready() {
    let s = Server::start();
    let (stream, session) = ("rec", "3266441426274648000");
    let t = now() - 4000;
    ok(&s, record_status(stream, session, "record_start_succeeded", 1, t)).await;
    // Being recorded, no file yet: listed, and found by its own id (no part has it).
    let items = replays(&s, stream).await;
    assert_eq!(items.len(), 1);
    let id = items[0]["id"].clone();
    let (status, r) = replay(&s, &id).await;
    assert_eq!((status, r["status"].as_str(), r["parts"].as_array().map(Vec::len)), (200, Some("recording"), Some(0)));
    assert_eq!((r["url"].as_str(), r["start_time"].as_i64()), (Some(""), Some(t)));

    // The first file arrives while the push goes on.
    ok(&s, session_recording(stream, session, "a", t, 1800)).await;
    let (_, r) = replay(&s, &id).await;
    assert_eq!((r["status"].as_str(), part_ids(&r).len()), (Some("recording"), 1));
    // The recording ended at t + 3000; the last file is not in yet.
    ok(&s, record_status(stream, session, "record_ended", 2, t + 3000)).await;
    assert_eq!(replay(&s, &id).await.1["status"], "processing");
    ok(&s, session_recording(stream, session, "b", t + 1800, 1200)).await;
    let (_, r) = replay(&s, &id).await;
    assert_eq!((r["status"].as_str(), offsets(&r)), (Some("ready"), vec![0.0, 1800.0]));
    assert_eq!(r["id"], id, "the id a live event gave it stays");
    // Parts and broadcasts share one id space: no part took the broadcast's id.
    assert!(!part_ids(&r).contains(&id.as_i64().unwrap()));
}

#[tokio::test]
async fn a_failed_recording_is_failed_with_its_reason_until_a_file_comes() {
    let s = Server::start();
    let t = now() - 600;
    let mut failed = record_status("oops", "s-1", "record_start_failed", 10, t);
    failed["record_detail"] = json!("{\"file_format\":3,\"error\":\"no video\"}");
    ok(&s, failed).await;
    let items = replays(&s, "oops").await;
    let (status, r) = replay(&s, &items[0]["id"]).await;
    assert_eq!((status, r["status"].as_str()), (200, Some("failed")));
    let reason = r["failure"].as_str().unwrap();
    assert!(reason.contains("record_start_failed") && reason.contains("no video"), "{reason}");
    // A file of the session after all: no longer failed.
    ok(&s, session_recording("oops", "s-1", "late", t, 300)).await;
    let (_, r) = replay(&s, &items[0]["id"]).await;
    assert_eq!((r["status"].as_str(), r.get("failure")), (Some("ready"), None));
}

#[tokio::test]
async fn recording_statuses_apply_in_seq_order_and_malformed_ones_store_nothing() {
    let s = Server::start();
    let t = now() - 600;
    ok(&s, record_status("seq", "s-9", "record_start_succeeded", 100, t)).await;
    ok(&s, record_status("seq", "s-9", "record_paused", 300, t + 60)).await;
    // Older than the last applied (a retry arriving late): 200, and nothing changes.
    ok(&s, record_status("seq", "s-9", "record_resumed", 200, t + 30)).await;
    ok(&s, record_status("seq", "s-9", "record_paused", 300, t + 60)).await;
    let items = replays(&s, "seq").await;
    assert_eq!((items.len(), items[0]["status"].as_str()), (1, Some("processing")));
    // A later one applies.
    ok(&s, record_status("seq", "s-9", "record_resumed", 301, t + 90)).await;
    assert_eq!(replays(&s, "seq").await[0]["status"], "recording");

    let mut no_seq = record_status("bad332", "s", "record_ended", 1, t);
    no_seq.as_object_mut().unwrap().remove("seq");
    let (status, body) = s.tencent(no_seq).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("seq")), "{body}");
    let mut no_event = record_status("bad332", "s", "record_ended", 1, t);
    no_event.as_object_mut().unwrap().remove("record_event");
    assert_eq!(s.tencent(no_event).await.1["field"], "record_event");
    assert_eq!(s.get("/api/v1/streamers/bad332").await.0, 404, "nothing stored");
}

async fn nginx(s: &Server, form: &[(&str, &str)]) -> u16 {
    s.post_form("/hooks/nginx-rtmp", form).await.0
}

/// nginx-rtmp splits one publish into several files (`record_interval`): each
/// `record_done` carries the publish's `clientid`.
#[tokio::test]
async fn nginx_publish_record_done_thrice_and_publish_done_make_one_broadcast() {
    let s = Server::start_with(&["--admin-token", ADMIN_TOKEN]);
    assert_eq!(nginx(&s, &[("call", "publish"), ("name", "nia"), ("clientid", "41"), ("record", "flv")]).await, 200);
    let id = replays(&s, "nia").await[0]["id"].clone();
    let t = std::time::SystemTime::now();
    for i in 0..3u64 {
        let path = s.path(&format!("media/rec/nia-{i}.flv"));
        let flv = std::fs::read(format!("{}/demo/relay/relay-{i}.flv", env!("CARGO_MANIFEST_DIR"))).unwrap();
        common::write_file(&path, &flv);
        // Each file closed 10 s after the one before (a file's time is its modification time).
        let closed = t - Duration::from_secs(20 - 10 * i);
        std::fs::File::options().write(true).open(&path).unwrap().set_modified(closed).unwrap();
        let form = [("call", "record_done"), ("name", "nia"), ("clientid", "41"), ("path", path.to_str().unwrap())];
        assert_eq!(nginx(&s, &form).await, 200);
    }
    assert_eq!(replay(&s, &id).await.1["status"], "recording");
    assert_eq!(nginx(&s, &[("call", "publish_done"), ("name", "nia"), ("clientid", "41")]).await, 200);
    let items = replays(&s, "nia").await;
    assert_eq!(items.len(), 1, "{items:?}");
    let r = &items[0];
    assert_eq!((r["id"].clone(), r["status"].as_str()), (id, Some("ready")));
    assert_eq!(part_ids(r).len(), 3);
    let o = offsets(r);
    assert!(o[0] == 0.0 && (o[1] - 10.0).abs() < 0.2 && (o[2] - 2.0 * o[1]).abs() < 0.2, "{o:?}");
    assert_eq!(r["formats"], json!(["flv"]));
    for p in r["parts"].as_array().unwrap() {
        assert_eq!(p["keyframes_url"], format!("/api/v1/replays/{}/keyframes", p["id"]));
        assert_eq!(s.get(p["keyframes_url"].as_str().unwrap()).await.0, 200);
    }
}

/// A push cut and restarted within --broadcast-gap is one broadcast with a marked gap;
/// after the gap, two broadcasts.
#[tokio::test]
async fn a_push_restarted_within_the_gap_is_one_broadcast_and_after_it_two() {
    let s = Server::start();
    let t = now() - 20_000;
    // Restarted 100 s after the cut: one broadcast.
    for (live, seq, at) in [(true, "11", t), (false, "11", t + 600), (true, "12", t + 700), (false, "12", t + 1300)] {
        ok(&s, push("again", live, seq, at)).await;
    }
    ok(&s, recording("again", "a-1", t, 600)).await;
    ok(&s, recording("again", "a-2", t + 700, 600)).await;
    let items = replays(&s, "again").await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["gaps"], json!([{"at_secs": 600.0, "duration_secs": 100.0}]));
    assert_eq!((items[0]["status"].as_str(), items[0]["duration_secs"].as_f64()), (Some("ready"), Some(1200.0)));

    // Restarted 400 s after the cut (over the default 300 s): two.
    for (live, seq, at) in [(true, "21", t), (false, "21", t + 600), (true, "22", t + 1000), (false, "22", t + 1600)] {
        ok(&s, push("twice", live, seq, at)).await;
    }
    ok(&s, recording("twice", "b-1", t, 600)).await;
    ok(&s, recording("twice", "b-2", t + 1000, 600)).await;
    let items = replays(&s, "twice").await;
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(items.iter().all(|r| r["status"] == "ready" && part_ids(r).len() == 1 && r["gaps"] == json!([])));
}

/// Cuts that come late: one of a push already replaced by a restart within the gap
/// does not end the broadcast; one of a push whose cut was lost, after the next push
/// began hours later, tells when that broadcast really ended.
#[tokio::test]
async fn late_cuts_neither_end_a_restarted_broadcast_nor_get_lost() {
    let s = Server::start();
    // Recent enough that --broadcast-settle (2100 s) has not passed since.
    let t = now() - 1500;
    ok(&s, push("late", true, "1", t)).await;
    ok(&s, push("late", true, "2", t + 200)).await;
    ok(&s, push("late", false, "1", t + 150)).await;
    let items = replays(&s, "late").await;
    assert_eq!((items.len(), items[0]["status"].as_str()), (1, Some("recording")), "{items:?}");
    ok(&s, push("late", false, "2", t + 800)).await;
    assert_eq!(replays(&s, "late").await[0]["status"], "processing");

    // Push 11's cut is lost for now; push 12 begins over an hour later: 11's broadcast ended.
    let t = now() - 6000;
    ok(&s, push("lost", true, "11", t)).await;
    ok(&s, recording("lost", "l-1", t, 600)).await;
    ok(&s, push("lost", true, "12", t + 5000)).await;
    let items = replays(&s, "lost").await;
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!((items[0]["status"].as_str(), items[1]["status"].as_str()), (Some("recording"), Some("processing")));
    // The retried cut says it ended at t + 600: its file covers it, so it is ready.
    ok(&s, push("lost", false, "11", t + 600)).await;
    assert_eq!(replays(&s, "lost").await[1]["status"], "ready");
}

#[tokio::test]
async fn a_late_part_bridging_two_broadcasts_merges_them_and_the_old_id_still_resolves() {
    let s = Server::start_with(&["--tencent-callback-key", common::CALLBACK_KEY, "--admin-token", ADMIN_TOKEN]);
    let t = now() - 20_000;
    ok(&s, recording("bridge", "early", t, 600)).await;
    ok(&s, recording("bridge", "later", t + 1000, 600)).await;
    let before = replays(&s, "bridge").await;
    assert_eq!(before.len(), 2, "400 s apart");
    let (later, early) = (before[0]["id"].clone(), before[1]["id"].clone());
    // The file between them, called back late.
    ok(&s, recording("bridge", "middle", t + 600, 400)).await;
    let items = replays(&s, "bridge").await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["id"], early, "the one listed first survives");
    assert_eq!(offsets(&items[0]), [0.0, 600.0, 1000.0]);
    // The merged one's id, an old link, finds the survivor; admin calls through it too.
    let (status, r) = replay(&s, &later).await;
    assert_eq!((status, r["id"].clone()), (200, early.clone()));
    let path = format!("/api/v1/replays/{later}");
    let (status, _) = s.admin(Method::PATCH, &path, Some(ADMIN_TOKEN), Some(json!({"title": "Bridged"}))).await;
    assert_eq!(status, 204);
    assert_eq!(replay(&s, &early).await.1["title"], "Bridged");
}

#[tokio::test]
async fn deleting_a_part_shortens_its_broadcast_and_the_last_one_deletes_it() {
    let s = Server::start_with(&["--tencent-callback-key", common::CALLBACK_KEY, "--admin-token", ADMIN_TOKEN]);
    let t = now() - 20_000;
    for (i, at) in [t, t + 600, t + 1200].into_iter().enumerate() {
        ok(&s, session_recording("del", "s-del", &format!("d{i}"), at, 600)).await;
    }
    let r = &replays(&s, "del").await[0];
    let (id, parts) = (r["id"].clone(), part_ids(r));
    let s = &s;
    let delete = |path: String| async move { s.admin(Method::DELETE, &path, Some(ADMIN_TOKEN), None).await };
    assert_eq!(delete(format!("/api/v1/replays/{id}/parts/{}", parts[1])).await.0, 204);
    let (_, r) = replay(s, &id).await;
    assert_eq!((part_ids(&r), r["duration_secs"].as_f64()), (vec![parts[0], parts[2]], Some(1200.0)));
    assert_eq!(r["gaps"], json!([{"at_secs": 600.0, "duration_secs": 600.0}]), "the time lost is a gap now");
    assert_eq!(delete(format!("/api/v1/replays/{id}/parts/{}", parts[1])).await.0, 404, "gone already");
    assert_eq!(delete(format!("/api/v1/replays/{id}/parts/999999")).await.0, 404);
    assert_eq!(s.admin(Method::DELETE, &format!("/api/v1/replays/{id}/parts/{}", parts[0]), None, None).await.0, 401);
    // A retried callback of the deleted part does not bring it back.
    ok(s, session_recording("del", "s-del", "d1", t + 600, 600)).await;
    assert_eq!(part_ids(&replay(s, &id).await.1), vec![parts[0], parts[2]]);
    // The first part (whose id is the broadcast's) and then the last one.
    assert_eq!(delete(format!("/api/v1/replays/{id}/parts/{}", parts[0])).await.0, 204);
    assert_eq!(replay(s, &id).await.0, 200, "the broadcast keeps its id");
    assert_eq!(delete(format!("/api/v1/replays/{id}/parts/{}", parts[2])).await.0, 204);
    assert_eq!(replay(s, &id).await.0, 404);
    assert!(replays(s, "del").await.is_empty());
    assert_eq!(s.get("/api/v1/streamers/del").await.1["replay_count"], 0);
}

#[tokio::test]
async fn the_same_window_recorded_twice_is_an_alternate_not_on_the_timeline() {
    let s = Server::start_with(&["--tencent-callback-key", common::CALLBACK_KEY, "--admin-token", ADMIN_TOKEN]);
    let t = now() - 20_000;
    // Two recording templates on one push: an MP4 and an HLS file of the same 30 minutes.
    let mp4 = session_recording("twin", "s-mp4", "mp4", t, 1800);
    let mut hls = session_recording("twin", "s-hls", "hls", t + 2, 1797);
    hls["file_format"] = json!("hls");
    hls["video_url"] = json!("https://1234567890.vod2.myqcloud.com/abc/hls/index.m3u8");
    ok(&s, mp4).await;
    ok(&s, hls).await;
    let items = replays(&s, "twin").await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!((items[0]["format"].as_str(), items[0]["duration_secs"].as_f64()), (Some("mp4"), Some(1800.0)));
    assert_eq!((part_ids(&items[0]).len(), items[0]["formats"].clone()), (1, json!(["mp4"])));
    // The first one deleted, the alternate takes its place.
    let (id, first) = (items[0]["id"].clone(), part_ids(&items[0])[0]);
    let path = format!("/api/v1/replays/{id}/parts/{first}");
    assert_eq!(s.admin(Method::DELETE, &path, Some(ADMIN_TOKEN), None).await.0, 204);
    let (_, r) = replay(&s, &id).await;
    assert_eq!((r["format"].as_str(), r["duration_secs"].as_f64()), (Some("hls"), Some(1797.0)));
}

/// Lists are ordered by when a broadcast was first known (`sort_time`, fixed): a client
/// paging through while files keep coming — new parts of the newest broadcast, parts
/// earlier than an older broadcast's first — sees every broadcast once.
#[tokio::test]
async fn paging_while_parts_keep_arriving_has_no_duplicate_and_no_gap() {
    let s = Server::start();
    let t = now() - 100_000;
    // Seven broadcasts, hours apart; the newest is a session still delivering files.
    for i in 0..6 {
        ok(&s, recording("pages", &format!("old-{i}"), t + i * 10_000, 600)).await;
    }
    ok(&s, session_recording("pages", "live-session", "new-0", t + 60_000, 600)).await;
    let mut seen: Vec<(i64, String)> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut round = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/streamers/pages/replays?limit=2&cursor={c}"),
            None => "/api/v1/streamers/pages/replays?limit=2".to_string(),
        };
        let (status, page) = s.get(&path).await;
        assert_eq!(status, 200, "{page}");
        for r in page["items"].as_array().unwrap() {
            seen.push((r["id"].as_i64().unwrap(), r["start_time"].to_string()));
        }
        // Between pages: the newest broadcast's next part, and a part from before the
        // first part of an older one (it starts earlier now, and stays in its place).
        round += 1;
        ok(&s, session_recording("pages", "live-session", &format!("new-{round}"), t + 60_000 + round * 600, 600))
            .await;
        ok(&s, recording("pages", &format!("earlier-{round}"), t + (6 - round) * 10_000 - 600, 600)).await;
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let ids: Vec<i64> = seen.iter().map(|s| s.0).collect();
    assert_eq!(ids.len(), 7, "{seen:?}");
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 7, "no duplicate: {seen:?}");
    let now_listed: Vec<i64> = replays(&s, "pages").await.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(now_listed, ids, "the same order as the pages gave");
    let newest = &replays(&s, "pages").await[0];
    assert_eq!(part_ids(newest).len(), 1 + round as usize, "every part of the newest broadcast");
}

/// A database made by the schema before broadcasts (migrations 1 to 5), with recordings
/// in it, opened by this server: adjacent recordings become one broadcast with the
/// first one's id, title and visibility; old ids still find their replay.
#[tokio::test]
async fn a_database_of_the_previous_schema_is_grouped_on_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let t = now() - 100_000;
    {
        let c = rusqlite::Connection::open(dir.path().join("relive.db")).unwrap();
        for sql in [
            include_str!("../migrations/sqlite/0001_init.sql"),
            include_str!("../migrations/sqlite/0002_keyframe_indexes.sql"),
            include_str!("../migrations/sqlite/0003_media_facts.sql"),
            include_str!("../migrations/sqlite/0004_replay_pages_covering.sql"),
            include_str!("../migrations/sqlite/0005_hls_sessions.sql"),
        ] {
            c.execute_batch(sql).unwrap();
        }
        c.execute_batch("PRAGMA user_version = 5").unwrap();
        c.execute_batch(&format!(
            "INSERT INTO streamers (id, display_name, created_at, updated_at) VALUES ('old', 'Old', {t}, {t}), ('other', 'Other', {t}, {t});
             INSERT INTO replays (id, streamer_id, source, source_file_id, title, format, url, start_time, end_time,
                 duration_ms, size_bytes, hidden, deleted_at, created_at) VALUES
               (1, 'old', 'tencent', 'a', 'Kept title', 'flv', 'https://v.example/a.flv', {a}, {a} + 600, 600000, 10, 0, NULL, {t}),
               (2, 'old', 'tencent', 'b', NULL, 'flv', 'https://v.example/b.flv', {b}, {b} + 600, 600000, 20, 0, NULL, {t}),
               (3, 'old', 'tencent', 'c', NULL, 'mp4', 'https://v.example/c.mp4', {c}, {c} + 600, 600000, 30, 0, NULL, {t}),
               (4, 'old', 'tencent', 'd', NULL, 'mp4', 'https://v.example/d.mp4', {d}, {d} + 600, 600000, 40, 1, NULL, {t}),
               (5, 'old', 'tencent', 'e', NULL, 'mp4', 'https://v.example/e.mp4', {e}, {e} + 600, 600000, 50, 0, {t}, {t}),
               (6, 'other', 'tencent', 'f', NULL, 'mp4', 'https://v.example/f.mp4', {a}, {a} + 600, 600000, 60, 0, NULL, {t});
             INSERT INTO keyframe_indexes (replay_id, duration_ms, times_ms, offsets, error, created_at)
               VALUES (2, 600000, '[0,2000]', '[13,9000]', NULL, {t});",
            a = t,
            b = t + 700,
            c = t + 20_000,
            d = t + 20_100,
            e = t + 40_000,
        ))
        .unwrap();
    }
    let s = Server::start_in(dir, &[]);
    let items = replays(&s, "old").await;
    // 1 and 2 lie 100 s apart: one broadcast, id 1, its title. 3 alone (4, hidden, is
    // kept apart and stays hidden; 5 was deleted).
    let ids: Vec<i64> = items.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [3, 1], "{items:?}");
    let first = &items[1];
    assert_eq!((first["title"].as_str(), part_ids(first)), (Some("Kept title"), vec![1, 2]));
    assert_eq!(
        (offsets(first), first["gaps"].clone()),
        (vec![0.0, 600.0], json!([{"at_secs": 600.0, "duration_secs": 100.0}]))
    );
    assert_eq!((first["status"].as_str(), first["size_bytes"].as_u64()), (Some("ready"), Some(30)));
    // Old links: 2 finds its broadcast; its keyframes are still its own file's.
    assert_eq!(replay(&s, &json!(2)).await.1["id"], 1);
    let (status, ix) = s.get("/api/v1/replays/2/keyframes").await;
    assert_eq!((status, ix["offsets"].clone()), (200, json!([13, 9000])));
    assert_eq!(replay(&s, &json!(4)).await.0, 404, "hidden stays hidden");
    assert_eq!(replay(&s, &json!(5)).await.0, 404, "deleted stays deleted");
    assert_eq!(replay(&s, &json!(6)).await.1["streamer_id"], "other", "other streamers apart");
    assert_eq!(s.get("/api/v1/streamers/old").await.1["replay_count"], 2);

    // New ids continue the old sequence; a broadcast a live event makes takes one no
    // part will take.
    ok(&s, push("fresh", true, "77", now() - 100)).await;
    let live_id = replays(&s, "fresh").await[0]["id"].as_i64().unwrap();
    assert!(live_id > 6);
    ok(&s, recording("fresh", "fresh-file", now() - 90, 30)).await;
    let r = &replays(&s, "fresh").await[0];
    assert_eq!(r["id"], live_id);
    assert_eq!(part_ids(r), [live_id + 1]);
}
