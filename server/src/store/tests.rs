//! The facade's promises. They run against SQLite, or against PostgreSQL when
//! `RELIVE_TEST_DB=postgres` (with `RELIVE_TEST_PG` naming a cluster: `make test` runs
//! them both ways through `scripts/with-postgres.sh`).

use std::path::Path;

use relive_api::ReplayFormat;

use super::*;

/// The store of a test's folder: a SQLite file in it, or a PostgreSQL database named
/// after it (the same folder opens the same database again).
async fn open(dir: &Path) -> Store {
    Store::open(&test_db(dir).await).await.unwrap()
}

async fn test_db(dir: &Path) -> DbUrl {
    if std::env::var("RELIVE_TEST_DB").as_deref() != Ok("postgres") {
        return DbUrl::Sqlite(dir.join("t.db"));
    }
    let base = std::env::var("RELIVE_TEST_PG")
        .expect("RELIVE_TEST_DB=postgres needs RELIVE_TEST_PG (scripts/with-postgres.sh)");
    let name: String = dir.file_name().unwrap().to_string_lossy().chars().filter(char::is_ascii_alphanumeric).collect();
    let url = postgres::database_in(&base, &format!("unit_{}", name.to_lowercase())).await.unwrap();
    DbUrl::Postgres(url)
}

fn replay(file_id: &str, start: i64) -> NewReplay {
    NewReplay {
        streamer_id: "alice".into(),
        source: "test".into(),
        source_file_id: file_id.into(),
        title: None,
        format: ReplayFormat::Mp4,
        url: "https://example.com/a.mp4".into(),
        start_time: start,
        end_time: start + 60,
        duration_ms: 60_000,
        size_bytes: 1000,
        raw_payload: None,
        facts: None,
        follow_ups: Vec::new(),
        sessions: Vec::new(),
    }
}

#[tokio::test]
async fn stores_once_and_pages_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    // Hours apart: three broadcasts.
    assert!(matches!(store.record_replay(replay("a", 10_000)).await.unwrap(), Ingest::Stored(_)));
    let again = store.record_replay(replay("a", 10_000)).await.unwrap();
    assert!(matches!(again, Ingest::Duplicate(_)));
    store.record_replay(replay("b", 20_000)).await.unwrap();
    store.record_replay(replay("c", 30_000)).await.unwrap();

    let p1 = store.broadcasts("alice".into(), None, 2).await.unwrap().unwrap();
    assert_eq!(p1.items.iter().map(|r| r.sort_time).collect::<Vec<_>>(), vec![30_000, 20_000]);
    let p2 = store.broadcasts("alice".into(), p1.next, 2).await.unwrap().unwrap();
    assert_eq!(p2.items.iter().map(|r| r.sort_time).collect::<Vec<_>>(), vec![10_000]);
    assert_eq!(p2.next, None);
    assert!(p2.items[0].parts.len() == 1 && p2.items[0].parts[0].start_time == 10_000);

    let s = store.streamer("alice".into()).await.unwrap().unwrap();
    assert_eq!((s.display_name.as_str(), s.replay_count, s.total_duration_secs), ("alice", 3, 180.0));
    assert!(store.integrity_ok().await.unwrap());
}

#[tokio::test]
async fn a_stored_replay_comes_back_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let mut r = replay("a", 100);
    r.facts = Some(MediaFacts { codecs: "avc1.64001f".into(), width: 640, height: 360 });
    let Ingest::Stored(row) = store.record_replay(r).await.unwrap() else { panic!("not stored") };
    assert_eq!(store.part(row.id).await.unwrap(), Some(row.clone()));
    assert_eq!(row.broadcast_id, Some(row.id), "a broadcast made with its first part takes its id");
    assert_eq!(
        (row.url.as_str(), row.duration_ms, row.facts.unwrap().width),
        ("https://example.com/a.mp4", 60_000, 640)
    );
}

#[tokio::test]
async fn deleted_replay_stays_a_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let Ingest::Stored(row) = store.record_replay(replay("a", 100)).await.unwrap() else { panic!() };
    let id = row.id;
    assert!(store.delete_broadcast(id).await.unwrap());
    assert!(store.part(id).await.unwrap().is_none());
    assert!(store.broadcast(id).await.unwrap().is_none());
    assert_eq!(store.record_replay(replay("a", 100)).await.unwrap(), Ingest::Duplicate(id));
    assert!(store.part(id).await.unwrap().is_none());
}

#[tokio::test]
async fn late_live_events_do_not_win() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let ev = |live, t, seq: u64| LiveEvent {
        streamer_id: "bob".into(),
        live,
        event_time: t,
        sequence: seq,
        session: Some(SessionKey::new("tencent-push", seq.to_string())),
        stamped: true,
        push_started_at: None,
    };
    let applied = store.apply_live_event(ev(false, 20, 7)).await.unwrap();
    assert!(applied.live_changed);
    // The session's start arrives after its stop: ignored, by the streamer and the broadcast.
    assert_eq!(
        store.apply_live_event(ev(true, 10, 7)).await.unwrap(),
        LiveApplied { live_changed: false, broadcast: BroadcastChange::Stale }
    );
    // Same second and session: the stop is the later phase.
    assert!(!store.apply_live_event(ev(true, 20, 7)).await.unwrap().live_changed);
    assert!(!store.streamer("bob".into()).await.unwrap().unwrap().live);
    assert!(store.apply_live_event(ev(true, 30, 8)).await.unwrap().live_changed);
    assert!(store.streamer("bob".into()).await.unwrap().unwrap().live);
}

#[tokio::test]
async fn keyframe_indexes_round_trip_and_fill_an_unknown_duration() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let mut r = replay("a", 100);
    r.duration_ms = 0;
    let Ingest::Stored(row) = store.record_replay(r).await.unwrap() else { panic!() };
    assert_eq!(store.keyframe_index(row.id).await.unwrap(), KeyframeIndexState::Building);
    let ix = KeyframeIndex { duration_ms: 5_000, times_ms: vec![0, 2_000, 4_000], offsets: vec![13, 9_000, 1 << 40] };
    store.save_keyframe_index(row.id, Ok(ix.clone())).await.unwrap();
    assert_eq!(store.keyframe_index(row.id).await.unwrap(), KeyframeIndexState::Ready(ix));
    let row = store.part(row.id).await.unwrap().unwrap();
    assert_eq!((row.duration_ms, row.end_time), (5_000, 105));
    store.save_keyframe_index(row.id, Err("not an FLV at byte 0".into())).await.unwrap();
    assert_eq!(store.keyframe_index(row.id).await.unwrap(), KeyframeIndexState::Failed("not an FLV at byte 0".into()));
}

#[tokio::test]
async fn hls_sessions_gather_segments_and_close_into_one_replay() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let session = |folder: &str, client: &str| HlsSession {
        folder: folder.into(),
        streamer_id: "srs1".into(),
        client_id: client.into(),
        started_at: 1000,
        updated_at: 1000,
        ending_at: None,
        closed_at: None,
    };
    let open_one = store.open_hls_session(session("f1", "c1")).await.unwrap();
    // One open session per stream: a second open gives the first back.
    assert_eq!(store.open_hls_session(session("f2", "c2")).await.unwrap(), open_one);
    let seg = |seq, duration| HlsSegment { seq, duration, file: format!("{seq}.ts"), size_bytes: 10 };
    for (seq, d) in [(2, 4.0), (0, 4.0), (1, 3.5), (1, 3.75)] {
        store.add_hls_segment("f1".into(), seg(seq, d), 1010).await.unwrap();
    }
    let segs = store.hls_segments("f1".into()).await.unwrap();
    assert_eq!(segs.iter().map(|s| (s.seq, s.duration)).collect::<Vec<_>>(), [(0, 4.0), (1, 3.75), (2, 4.0)]);
    assert!(store.hls_sessions_to_close(1005).await.unwrap().is_empty(), "neither ended nor idle");
    assert_eq!(store.hls_sessions_to_close(1011).await.unwrap().len(), 1, "idle");
    assert!(store.end_hls_session("f1".into(), 1020).await.unwrap());
    assert!(store.end_hls_session("f1".into(), 1030).await.unwrap());
    assert_eq!(store.open_hls_session_of("srs1".into()).await.unwrap().unwrap().ending_at, Some(1020), "first mark");
    assert_eq!(store.hls_sessions_to_close(0).await.unwrap().len(), 1, "ended");

    let mut r = replay("f1/index.m3u8", 1000);
    r.streamer_id = "srs1".into();
    r.format = ReplayFormat::Hls;
    let Some(Ingest::Stored(row)) = store.close_hls_session("f1".into(), Some(r.clone()), 1040).await.unwrap() else {
        panic!("not stored")
    };
    assert_eq!(row.format, ReplayFormat::Hls);
    assert_eq!(store.open_hls_session_of("srs1".into()).await.unwrap(), None);
    assert!(store.hls_segments("f1".into()).await.unwrap().is_empty());
    assert!(store.add_hls_segment("f1".into(), seg(3, 1.0), 1050).await.is_err(), "closed");
    let last = store.last_unpublished_hls_session("srs1".into(), 1040).await.unwrap().unwrap();
    assert_eq!((last.folder.as_str(), last.client_id.as_str(), last.closed_at), ("f1", "c1", Some(1040)));
    assert_eq!(store.last_unpublished_hls_session("srs1".into(), 1041).await.unwrap(), None);
    // Closing again (a crash before the close was known) finds the replay stored.
    assert_eq!(store.close_hls_session("f1".into(), Some(r), 1060).await.unwrap(), Some(Ingest::Duplicate(row.id)));
    // A new session; sessions closed over a day ago are dropped when another closes.
    store.open_hls_session(session("f3", "c3")).await.unwrap();
    assert_eq!(store.close_hls_session("f3".into(), None, 1040 + 86_400 + 1).await.unwrap(), None);
    assert_eq!(store.last_unpublished_hls_session("srs1".into(), 0).await.unwrap(), None);
    assert!(store.integrity_ok().await.unwrap());
}

#[tokio::test]
async fn unknown_durations_are_set_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let mut r = replay("a", 100);
    r.duration_ms = 0;
    let Ingest::Stored(row) = store.record_replay(r).await.unwrap() else { panic!() };
    assert!(store.set_replay_duration(row.id, 10_520).await.unwrap());
    assert!(!store.set_replay_duration(row.id, 99_000).await.unwrap(), "known now");
    let row = store.part(row.id).await.unwrap().unwrap();
    assert_eq!((row.duration_ms, row.end_time), (10_520, 110));
}

#[tokio::test]
async fn migrations_are_applied_once() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(dir.path()).await);
    let store = open(dir.path()).await;
    assert!(store.integrity_ok().await.unwrap());
}

#[test]
fn database_urls() {
    assert_eq!(DbUrl::parse("data/relive.db"), Ok(DbUrl::Sqlite("data/relive.db".into())));
    assert_eq!(DbUrl::parse("/abs/r.db"), Ok(DbUrl::Sqlite("/abs/r.db".into())));
    assert_eq!(DbUrl::parse("sqlite:data/r.db"), Ok(DbUrl::Sqlite("data/r.db".into())));
    assert_eq!(DbUrl::parse("sqlite:///abs/r.db"), Ok(DbUrl::Sqlite("/abs/r.db".into())));
    assert_eq!(DbUrl::parse("postgres://u@h/db"), Ok(DbUrl::Postgres("postgres://u@h/db".into())));
    assert!(DbUrl::parse("postgres://u@h:port/db").unwrap_err().contains("PostgreSQL"));
    // A password never reaches a log line.
    assert_eq!(DbUrl::parse("postgres://u:secret@h/db").unwrap().to_string(), "postgres://u:***@h/db");
    assert!(DbUrl::parse("mysql://h/db").unwrap_err().contains("mysql://"));
    assert!(DbUrl::parse("sqlite:").is_err());
    assert!(DbUrl::parse(" ").is_err());
    assert_eq!(DbUrl::parse("sqlite:x.db").unwrap().to_string(), "sqlite:x.db");
}

mod jobs;
