//! Media on S3-compatible object storage (`--media-store s3://…`), against a real
//! SeaweedFS (`tests/common/seaweedfs.rs`): MP4 copies written create-only once, posters
//! and sprite sheets in the bucket, `/media/` and `/mp4` answered with ranges proxied or
//! redirected to presigned URLs, a local (nginx-rtmp) recording uploaded and replayed from
//! the bucket, and `/readyz` failing when the store stops answering.

mod common;
#[path = "common/seaweedfs.rs"]
mod seaweedfs;

use std::time::{Duration, Instant};

use common::{Server, write_file};
use object_store::{ObjectStore, PutMode, PutOptions};
use seaweedfs::SeaweedFs;

const SECRET: &str = "hook-secret-1";
const DEMO_FLV: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/demo/night-studio.flv");

fn server(sw: &SeaweedFs, extra: &[&str]) -> Server {
    {
        let mut env = common::SERVER_ENV.lock().unwrap();
        if env.is_empty() {
            *env = SeaweedFs::env();
        }
    }
    let mut args: Vec<String> = sw.flags();
    args.extend(["--hook-secret", SECRET].map(String::from));
    args.extend(extra.iter().map(|s| s.to_string()));
    Server::start_with(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

async fn object(store: &dyn ObjectStore, key: &str) -> Option<bytes::Bytes> {
    match store.get(&key.into()).await {
        Ok(g) => Some(g.bytes().await.unwrap()),
        Err(object_store::Error::NotFound { .. }) => None,
        Err(e) => panic!("{key}: {e}"),
    }
}

async fn wait_for_object(store: &dyn ObjectStore, key: &str) -> bytes::Bytes {
    let started = Instant::now();
    loop {
        if let Some(b) = object(store, key).await {
            return b;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{key} never came");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn demo_flv_id(s: &Server) -> i64 {
    let (_, page) = s.get("/api/v1/streamers/xiaoyu/replays").await;
    page["items"].as_array().unwrap().iter().find(|r| r["format"] == "flv").unwrap()["id"].as_i64().unwrap()
}

#[tokio::test]
async fn seaweedfs_honours_create_only_puts() {
    let sw = SeaweedFs::start();
    let store = sw.store();
    let opts = || PutOptions { mode: PutMode::Create, ..Default::default() };
    store.put_opts(&"derived/x".into(), "first".into(), opts()).await.unwrap();
    let second = store.put_opts(&"derived/x".into(), "second".into(), opts()).await;
    assert!(matches!(second, Err(object_store::Error::AlreadyExists { .. })), "{second:?}");
    assert_eq!(object(store.as_ref(), "derived/x").await.unwrap(), "first");
}

#[tokio::test]
async fn mp4_copies_are_made_once_into_the_bucket_and_served_with_ranges() {
    let sw = SeaweedFs::start();
    let store = sw.store();
    // Two instances of one bucket (the demo's parts have the same ids in both), one proxying, one redirecting.
    let a = server(&sw, &["--demo"]);
    let b = server(&sw, &["--demo", "--media-redirect"]);
    let id = demo_flv_id(&a).await;
    assert_eq!(id, demo_flv_id(&b).await);
    let key = format!("derived/mp4/{id}.mp4");
    assert!(object(store.as_ref(), &key).await.is_none());

    // Asked of both at once: each queues its job, one object is written.
    let url = |s: &Server| s.url(&format!("/api/v1/replays/{id}/mp4"));
    let (ra, rb) = tokio::join!(reqwest::get(url(&a)), reqwest::get(url(&b)));
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!((ra.status().as_u16(), rb.status().as_u16()), (200, 200));
    assert_eq!(ra.headers()["content-type"], "video/mp4");
    let (ba, bb) = (ra.bytes().await.unwrap(), rb.bytes().await.unwrap());
    assert_eq!(&ba[4..8], b"ftyp");
    assert_eq!(ba, bb, "identical bytes from both instances");
    let stored = object(store.as_ref(), &key).await.unwrap();
    assert_eq!(stored, ba);
    let listed: Vec<_> = {
        use futures::TryStreamExt;
        store.list(Some(&"derived/mp4".into())).try_collect::<Vec<_>>().await.unwrap()
    };
    assert_eq!(listed.iter().filter(|m| m.location.as_ref() == key).count(), 1);

    // Proxied with Range.
    let r = a.http.get(url(&a)).header("range", "bytes=100-1099").send().await.unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.headers()["content-range"], format!("bytes 100-1099/{}", stored.len()));
    assert_eq!(r.headers()["content-length"], "1000");
    assert_eq!(r.bytes().await.unwrap(), stored.slice(100..1100));

    // Redirected to a presigned URL, which answers the Range.
    let no_follow = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = no_follow.get(url(&b)).send().await.unwrap();
    assert_eq!(r.status(), 302);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(&sw.endpoint) && location.contains("X-Amz-Signature="), "{location}");
    let r = reqwest::Client::new().get(&location).header("range", "bytes=100-1099").send().await.unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.headers()["content-range"], format!("bytes 100-1099/{}", stored.len()));
    assert_eq!(r.bytes().await.unwrap(), stored.slice(100..1100));
    // Followed by an ordinary client, Range and all.
    let r = b.http.get(url(&b)).header("range", "bytes=0-99").send().await.unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.bytes().await.unwrap(), stored.slice(0..100));

    // The posters the demo's backfill made are in the bucket and served from it.
    let poster = wait_for_object(store.as_ref(), &format!("images/{id}/poster.jpg")).await;
    assert_eq!(&poster[..2], &[0xFF, 0xD8]);
    std::fs::remove_dir_all(a.path("images")).ok();
    let r = reqwest::get(a.url(&format!("/images/{id}/poster.jpg"))).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap(), poster);
}

#[tokio::test]
async fn a_local_recording_is_uploaded_and_replays_from_the_bucket() {
    let sw = SeaweedFs::start();
    let store = sw.store();
    let s = server(&sw, &[]);
    let path = s.path("media").join("live/anna-1700000000.flv");
    let flv = std::fs::read(DEMO_FLV).unwrap();
    write_file(&path, &flv);
    let form = [("call", "record_done"), ("app", "live"), ("name", "anna"), ("path", &path.to_string_lossy())];
    let (status, body) = s.post_form(&format!("/hooks/nginx-rtmp?secret={SECRET}"), &form).await;
    assert_eq!(status, 200, "{body}");
    // In the bucket before the hook's 200.
    assert_eq!(object(store.as_ref(), "media/live/anna-1700000000.flv").await.unwrap(), flv);
    let (_, page) = s.get("/api/v1/streamers/anna/replays").await;
    let id = page["items"][0]["id"].as_i64().unwrap();
    assert_eq!(page["items"][0]["url"], "/media/live/anna-1700000000.flv");
    // Its poster goes to the bucket too.
    wait_for_object(store.as_ref(), &format!("images/{id}/poster.jpg")).await;

    // Gone from this disk (another instance, or the recorder cleaning up): from the bucket.
    std::fs::remove_file(&path).unwrap();
    let r = s.http.get(s.url("/media/live/anna-1700000000.flv")).header("range", "bytes=0-1023").send().await.unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.headers()["content-range"], format!("bytes 0-1023/{}", flv.len()));
    assert_eq!(r.headers()["content-type"], "video/x-flv");
    assert_eq!(&r.bytes().await.unwrap()[..], &flv[..1024]);
    let whole = reqwest::get(s.url("/media/live/anna-1700000000.flv")).await.unwrap();
    assert_eq!(whole.status(), 200);
    assert_eq!(&whole.bytes().await.unwrap()[..], &flv[..]);
    // Its MP4 copy is made from the uploaded FLV.
    let r = reqwest::get(s.url(&format!("/api/v1/replays/{id}/mp4"))).await.unwrap();
    assert_eq!(r.status(), 200);
    let mp4 = r.bytes().await.unwrap();
    assert_eq!(&mp4[4..8], b"ftyp");
    assert_eq!(object(store.as_ref(), &format!("derived/mp4/{id}.mp4")).await.unwrap(), mp4);
    assert_eq!(reqwest::get(s.url("/media/live/missing.flv")).await.unwrap().status(), 404);
}

#[tokio::test]
async fn readyz_fails_when_the_store_does_not_answer() {
    let mut sw = SeaweedFs::start();
    let s = server(&sw, &[]);
    let (status, body) = s.get("/readyz").await;
    assert_eq!((status, body["storage"].as_str()), (200, Some("ok")), "{body}");
    sw.stop();
    let (status, body) = s.get("/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["database"], "ok");
    assert!(body["storage"].as_str().is_some_and(|e| e != "ok"), "{body}");
    assert_eq!(s.get("/healthz").await.0, 503);
}
