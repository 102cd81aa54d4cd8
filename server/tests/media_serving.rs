//! `/media/`: byte ranges, validators, MIME types, and nothing outside the folder.

mod common;

use common::{Server, write_file};

fn server_with_file() -> (Server, Vec<u8>) {
    let s = Server::start_with(&[]);
    let bytes: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
    write_file(&s.path("media/live/a.flv"), &bytes);
    write_file(&s.path("secret.txt"), b"top secret");
    (s, bytes)
}

#[tokio::test]
async fn ranges() {
    let (s, bytes) = server_with_file();
    let get = |range: &'static str| s.http.get(s.url("/media/live/a.flv")).header("range", range).send();
    let r = get("bytes=10-19").await.unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.headers()["content-range"], "bytes 10-19/1000");
    assert_eq!(r.bytes().await.unwrap(), bytes[10..20]);
    let r = get("bytes=-100").await.unwrap();
    assert_eq!(r.status(), 206, "suffix range");
    assert_eq!(r.bytes().await.unwrap(), bytes[900..]);
    let r = get("bytes=990-").await.unwrap();
    assert_eq!(r.bytes().await.unwrap(), bytes[990..]);
    assert_eq!(get("bytes=5000-6000").await.unwrap().status(), 416);
    let r = s.http.get(s.url("/media/live/a.flv")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "video/x-flv");
    assert_eq!(r.headers()["accept-ranges"], "bytes");
}

#[tokio::test]
async fn conditional_requests() {
    let (s, _) = server_with_file();
    let r = s.http.get(s.url("/media/live/a.flv")).send().await.unwrap();
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let modified = r.headers()["last-modified"].to_str().unwrap().to_string();
    let r = s.http.get(s.url("/media/live/a.flv")).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(r.status(), 304);
    let r = s.http.get(s.url("/media/live/a.flv")).header("if-modified-since", &modified).send().await.unwrap();
    assert_eq!(r.status(), 304);
    let r = s.http.get(s.url("/media/live/a.flv")).header("if-none-match", "\"other\"").send().await.unwrap();
    assert_eq!(r.status(), 200);
    // If-Range with a stale validator: the whole file, not a range of the new one.
    let r = s
        .http
        .get(s.url("/media/live/a.flv"))
        .header("range", "bytes=0-9")
        .header("if-range", "\"stale\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = s
        .http
        .get(s.url("/media/live/a.flv"))
        .header("range", "bytes=0-9")
        .header("if-range", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
}

#[tokio::test]
async fn nothing_outside_the_folder() {
    let (s, _) = server_with_file();
    #[cfg(unix)]
    std::os::unix::fs::symlink(s.path("secret.txt"), s.path("media/live/link.flv")).unwrap();
    // Sent raw, so no client tidies the path first.
    for path in [
        "/media/../secret.txt",
        "/media/%2e%2e/secret.txt",
        "/media/live/%2E%2E/%2E%2E/secret.txt",
        "/media/live/link.flv",
        "/media//etc/passwd",
        "/media/%2Fetc%2Fpasswd",
        "/media/live/nope.flv",
    ] {
        let (status, body) = raw_get(&s.base, path).await;
        assert!(status == 404 || status == 400, "{path}: {status}");
        assert!(!body.contains("top secret") && !body.contains("root:"), "{path}");
    }
}

async fn raw_get(base: &str, path: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).await.unwrap();
    let status = out.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, out)
}
