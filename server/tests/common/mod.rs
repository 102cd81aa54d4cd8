//! Starts the real `relive` binary on a loopback port with a fresh database, and talks
//! to it over HTTP. The database is a SQLite file in the server's folder, or, with
//! `RELIVE_TEST_DB=postgres`, a PostgreSQL database of its own in the cluster
//! `RELIVE_TEST_PG` names (`scripts/with-postgres.sh`): `make test` runs this suite both
//! ways, from one build.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use md5::{Digest, Md5};
use serde_json::{Value, json};

pub const CALLBACK_KEY: &str = "test-callback-key";
pub const ADMIN_TOKEN: &str = "test-admin-token";

/// Environment variables every server of this test binary gets besides this process's
/// (object storage's credentials: `tests/object_storage.rs`).
pub static SERVER_ENV: std::sync::Mutex<Vec<(String, String)>> = std::sync::Mutex::new(Vec::new());

pub struct Server {
    child: Child,
    pub base: String,
    pub dir: tempfile::TempDir,
    pub http: reqwest::Client,
    /// The database it runs on.
    pub db: TestDb,
}

/// Whether this run's servers are on PostgreSQL (`RELIVE_TEST_DB=postgres`).
pub fn on_postgres() -> bool {
    std::env::var("RELIVE_TEST_DB").as_deref() == Ok("postgres")
}

/// A test server's database, to look into from the test.
#[derive(Clone, Debug)]
pub enum TestDb {
    Sqlite(PathBuf),
    Postgres(String),
}

impl TestDb {
    /// The database for a server in `dir`: PostgreSQL when the run asks for it, unless
    /// the folder brings a SQLite file of its own (a test of SQLite's migrations); the
    /// same folder gives the same database again (a restart).
    pub fn for_dir(dir: &Path) -> TestDb {
        let file = dir.join("relive.db");
        if std::env::var("RELIVE_TEST_DB").as_deref() != Ok("postgres") || file.exists() {
            return TestDb::Sqlite(file);
        }
        let base = std::env::var("RELIVE_TEST_PG")
            .expect("RELIVE_TEST_DB=postgres needs RELIVE_TEST_PG: run under scripts/with-postgres.sh");
        let name: String =
            dir.file_name().unwrap().to_string_lossy().chars().filter(char::is_ascii_alphanumeric).collect();
        let name = format!("it_{}", name.to_lowercase());
        TestDb::Postgres(on_own_runtime(async move {
            relive_server::store::postgres::database_in(&base, &name).await.unwrap()
        }))
    }

    /// What `--db` takes.
    pub fn arg(&self) -> String {
        match self {
            TestDb::Sqlite(p) => p.to_string_lossy().into_owned(),
            TestDb::Postgres(url) => url.clone(),
        }
    }

    /// The first column of every row of `sql` (SQL both databases take), as text.
    pub fn strings(&self, sql: &str) -> Vec<String> {
        match self {
            TestDb::Sqlite(p) => {
                let c = rusqlite::Connection::open(p).unwrap();
                let mut stmt = c.prepare(sql).unwrap();
                stmt.query_map([], |r| {
                    Ok(match r.get_ref(0)? {
                        rusqlite::types::ValueRef::Null => String::new(),
                        rusqlite::types::ValueRef::Integer(i) => i.to_string(),
                        rusqlite::types::ValueRef::Real(f) => f.to_string(),
                        rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                        rusqlite::types::ValueRef::Blob(_) => "<blob>".into(),
                    })
                })
                .unwrap()
                .map(Result::unwrap)
                .collect()
            }
            TestDb::Postgres(url) => {
                let (url, sql) = (url.clone(), sql.to_string());
                on_own_runtime(async move {
                    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
                    tokio::spawn(conn);
                    // The simple protocol answers every column as text.
                    client
                        .simple_query(&sql)
                        .await
                        .unwrap()
                        .into_iter()
                        .filter_map(|m| match m {
                            tokio_postgres::SimpleQueryMessage::Row(r) => Some(r.get(0).unwrap_or("").to_string()),
                            _ => None,
                        })
                        .collect()
                })
            }
        }
    }

    /// Whether the database is intact: SQLite's `integrity_check`; PostgreSQL's
    /// `amcheck` over every B-tree index of the schema, heap included.
    pub fn intact(&self) -> bool {
        match self {
            TestDb::Sqlite(_) => self.strings("PRAGMA integrity_check") == ["ok"],
            TestDb::Postgres(_) => {
                self.strings("CREATE EXTENSION IF NOT EXISTS amcheck");
                let checked = self.strings(
                    "SELECT bt_index_check(c.oid, true)::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                     JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am a ON a.oid = c.relam
                     WHERE n.nspname = 'public' AND a.amname = 'btree'",
                );
                !checked.is_empty()
            }
        }
    }
}

/// Runs a future to its end on a runtime of its own (from sync code, or inside a test's).
fn on_own_runtime<T: Send + 'static>(f: impl std::future::Future<Output = T> + Send + 'static) -> T {
    std::thread::spawn(move || tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f))
        .join()
        .unwrap()
}

impl Server {
    /// A server with a callback key and an admin token, and no web app built.
    pub fn start() -> Server {
        Self::start_with(&["--tencent-callback-key", CALLBACK_KEY, "--admin-token", ADMIN_TOKEN])
    }

    pub fn start_with(extra: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        Self::start_in(dir, extra)
    }

    /// Starts on an existing folder (its `relive.db`, `dist/`, `media/`).
    pub fn start_in(dir: tempfile::TempDir, extra: &[&str]) -> Server {
        let db = TestDb::for_dir(dir.path());
        Self::start_on(dir, db, extra)
    }

    /// Another instance on `db`, in a folder of its own (`tests/multi_instance.rs`: two
    /// instances on one PostgreSQL database).
    pub fn start_sharing(db: &TestDb, extra: &[&str]) -> Server {
        Self::start_on(tempfile::tempdir().unwrap(), db.clone(), extra)
    }

    fn start_on(dir: tempfile::TempDir, db: TestDb, extra: &[&str]) -> Server {
        let p = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
        let mut child = Command::new(env!("CARGO_BIN_EXE_relive"))
            .args([
                "--listen",
                "127.0.0.1:0",
                "--db",
                &db.arg(),
                "--dist",
                &p("dist"),
                "--media-dir",
                &p("media"),
                "--images-dir",
                &p("images"),
            ])
            .args(extra)
            .envs(SERVER_ENV.lock().unwrap().clone())
            // Quiet unless asked: RELIVE_TEST_LOG=info cargo test ...
            .env("RELIVE_LOG", std::env::var("RELIVE_TEST_LOG").unwrap_or_else(|_| "error".into()))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start relive");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("Relive is running at ") {
                    let _ = tx.send(url.trim_end_matches('/').to_string());
                }
            }
        });
        let base = rx.recv_timeout(Duration::from_secs(30)).expect("server printed its address");
        Server { child, base, dir, http: reqwest::Client::new(), db }
    }

    /// The server's process id (to read its memory from /proc).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = self.http.get(self.url(path)).send().await.unwrap();
        status_json(r).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = self.http.post(self.url(path)).json(body).send().await.unwrap();
        status_json(r).await
    }

    /// A form POST (`application/x-www-form-urlencoded`, as nginx-rtmp's hooks send).
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let r = self
            .http
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        status_json(r).await
    }

    pub async fn post_raw(&self, path: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
        let r =
            self.http.post(self.url(path)).header("content-type", "application/json").body(body).send().await.unwrap();
        status_json(r).await
    }

    /// An admin call; `token` None sends no Authorization header.
    pub async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self.http.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        status_json(req.send().await.unwrap()).await
    }

    /// Sends a signed Tencent callback (sign and t filled in) and returns status and body.
    pub async fn tencent(&self, payload: Value) -> (u16, Value) {
        self.post_json("/hooks/tencent", &signed(payload)).await
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stops the server as an orchestrator does (SIGTERM, then waiting up to 30 s for it to
    /// finish) and hands back its folder.
    pub fn terminate(mut self) -> tempfile::TempDir {
        let sent = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        assert!(sent.success());
        let started = std::time::Instant::now();
        while self.child.try_wait().unwrap().is_none() {
            assert!(started.elapsed() < Duration::from_secs(30), "the server did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
        self.stop()
    }

    /// Stops the server and hands back its folder, to start again on the same database.
    pub fn stop(mut self) -> tempfile::TempDir {
        self.kill();
        let dir = tempfile::tempdir().unwrap();
        std::mem::replace(&mut self.dir, dir)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn status_json(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// Waits until `ok` holds, looking every 100 ms; the test fails after `timeout`.
pub async fn wait_for(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !ok() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// md5 hex, computed here independently of the server's own signing code.
pub fn md5_hex(s: &str) -> String {
    Md5::digest(s.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Fills in `t` (valid for 10 minutes) and `sign` for the test key, unless already set.
pub fn signed(mut payload: Value) -> Value {
    let obj = payload.as_object_mut().unwrap();
    let t = obj.get("t").and_then(Value::as_i64).unwrap_or(now() + 600);
    obj.insert("t".into(), json!(t));
    obj.entry("sign").or_insert_with(|| json!(md5_hex(&format!("{CALLBACK_KEY}{t}"))));
    payload
}

/// A current-shape recording callback. Its recording session (`task_id`) is its own: a
/// broadcast of one file unless time groups it with others (`session_recording` names one).
pub fn recording(stream_id: &str, file_id: &str, start: i64, duration: i64) -> Value {
    json!({
        "appid": 1234567890, "app": "push.example.com", "appname": "live",
        "stream_id": stream_id, "channel_id": stream_id,
        "file_id": file_id, "record_file_id": file_id, "file_format": "mp4", "task_id": format!("task-{file_id}"),
        "start_time": start, "end_time": start + duration, "duration": duration,
        "file_size": 1_000_000, "stream_param": "record=mp4",
        "video_url": format!("https://1234567890.vod2.myqcloud.com/abc/{file_id}/f0.mp4"),
        "event_type": 100, "media_start_time": 0, "record_bps": 0, "callback_ext": "{}"
    })
}

/// A recording of a recording session, named as Tencent does: `callback_ext.session_id`
/// (JSON inside a string) equal to `task_id`.
pub fn session_recording(stream_id: &str, session: &str, file_id: &str, start: i64, duration: i64) -> Value {
    let mut p = recording(stream_id, file_id, start, duration);
    p["task_id"] = json!(session);
    p["callback_ext"] =
        json!(json!({"video_codec": "h264", "session_id": session, "resolution": "1280x720"}).to_string());
    p
}

pub fn write_file(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// Runs ffmpeg (quiet, overwriting) with `args` then `out`; the test fails if it does.
pub fn ffmpeg(args: &[&str], out: &Path) {
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .arg(out)
        .status()
        .expect("ffmpeg runs (scripts/setup.sh installs it)");
    assert!(status.success(), "ffmpeg made {}", out.display());
}

/// `seconds` of ffmpeg's test picture (`size`) and tone, H.264 (a keyframe a second,
/// yuv420p) and AAC, then `extra`, into `out`.
pub fn test_pattern(seconds: &str, size: &str, extra: &[&str], out: &Path) {
    let video = format!("testsrc2=size={size}:rate=25");
    let mut args = vec!["-f", "lavfi", "-i", &video, "-f", "lavfi", "-i", "sine", "-t", seconds];
    args.extend(["-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "25", "-c:a", "aac"]);
    args.extend(extra);
    ffmpeg(&args, out);
}
