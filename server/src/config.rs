//! Command-line flags, each with an environment variable of the same meaning.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

use crate::store::{DbUrl, Grouping};

/// Relive's replay server: takes recording callbacks from the streaming service,
/// keeps the recordings in SQLite (or PostgreSQL) and serves replay lists and the web app.
#[derive(Clone, Debug, Parser)]
#[command(name = "relive", version, about, long_about = None, after_help = SEVERAL_INSTANCES)]
pub struct Config {
    /// Address to listen on (use port 0 to pick a free one; the chosen URL is printed).
    #[arg(long, env = "RELIVE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// The database: `sqlite:path` or a plain file path (SQLite, created with its folder
    /// when missing).
    #[arg(long, env = "RELIVE_DB", default_value = "data/relive.db", value_parser = DbUrl::parse)]
    pub db: DbUrl,

    /// The built web app (trunk's dist folder), served at `/`.
    #[arg(long, env = "RELIVE_DIST", default_value = "dist")]
    pub dist: PathBuf,

    /// Folder of local recordings, served at `/media/`.
    #[arg(long, env = "RELIVE_MEDIA_DIR", default_value = "data/media")]
    pub media_dir: PathBuf,

    /// Folder of the posters and storyboard sprite sheets the server makes
    /// (`{part}/poster.jpg`, `{part}/sheet-{n}.jpg`), served at `/images/`; created on start.
    #[arg(long, env = "RELIVE_IMAGES_DIR", default_value = "data/images")]
    pub images_dir: PathBuf,

    /// At start, how many recordings without a poster and storyboard (newest first) get
    /// them made in the background; 0 turns this off (new recordings always get theirs).
    #[arg(long, env = "RELIVE_IMAGES_BACKFILL", default_value_t = 10_000)]
    pub images_backfill: u32,

    /// Tencent Cloud Live callback key: callbacks must carry sign = md5(key + t).
    /// Without it, callbacks are accepted unsigned (a warning says so at start-up).
    #[arg(long, env = "RELIVE_TENCENT_CALLBACK_KEY", hide_env_values = true)]
    pub tencent_callback_key: Option<String>,

    /// Tencent Cloud Live push authentication key, for signed push URLs (txSecret).
    #[arg(long, env = "RELIVE_TENCENT_PUSH_KEY", hide_env_values = true)]
    pub tencent_push_key: Option<String>,

    /// Tencent Cloud Live APPID, for the file-list API (`Live_Tape_GetFilelist`) that
    /// reconciliation polls. With `--tencent-api-key`, reconciliation is on.
    #[arg(long, env = "RELIVE_TENCENT_APPID")]
    pub tencent_appid: Option<String>,

    /// Tencent Cloud Live API authentication key (sign = md5(key + t)).
    #[arg(long, env = "RELIVE_TENCENT_API_KEY", hide_env_values = true)]
    pub tencent_api_key: Option<String>,

    /// The file-list API's address.
    #[arg(long, env = "RELIVE_TENCENT_API_URL", default_value = "http://fcgi.video.qcloud.com/common_access")]
    pub tencent_api_url: String,

    /// Tencent VOD bizid, to make play URLs of files the list gives only a `vid` for
    /// (`http://{bizid}.vod.myqcloud.com/{vid}.f0.flv`).
    #[arg(long, env = "RELIVE_TENCENT_VOD_BIZID")]
    pub tencent_vod_bizid: Option<String>,

    /// Seconds between reconciliation rounds.
    #[arg(long, env = "RELIVE_RECONCILE_INTERVAL", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    pub reconcile_interval: u64,

    /// Push domain for generated push URLs, e.g. `push.example.com`.
    #[arg(long, env = "RELIVE_PUSH_DOMAIN")]
    pub push_domain: Option<String>,

    /// Shared secret for the nginx-rtmp and SRS hooks, which sign nothing: their
    /// callback URLs must carry `?secret=<this>`. Without it, those hooks are open.
    #[arg(long, env = "RELIVE_HOOK_SECRET", hide_env_values = true)]
    pub hook_secret: Option<String>,

    /// RTMP base URL of a local nginx-rtmp or SRS server (e.g. `rtmp://127.0.0.1/live`),
    /// for push URLs when there is no Tencent push domain.
    #[arg(long, env = "RELIVE_RTMP_URL")]
    pub rtmp_url: Option<String>,

    /// Who may frame the `/embed/...` pages (CSP `frame-ancestors` sources, e.g.
    /// `https://a.example https://b.example`). Every other page may be framed only by
    /// this site.
    #[arg(long, env = "RELIVE_EMBED_FRAME_ANCESTORS", default_value = "*")]
    pub embed_frame_ancestors: String,

    /// Hook calls a second allowed from one address (bursts up to ten times that);
    /// more get 429. 0 turns the limit off.
    #[arg(long, env = "RELIVE_HOOK_RATE_LIMIT", default_value_t = 200)]
    pub hook_rate_limit: u32,

    /// A reverse proxy or load balancer in front of this server (an IP, or a CIDR
    /// range such as `10.0.0.0/8`); repeat the flag, or separate with commas in the
    /// variable. A request whose TCP peer is one of these is taken to come from the
    /// right-most address in its `X-Forwarded-For` that is not; from any other peer the
    /// header is ignored. Unset: the TCP peer is always the client.
    #[arg(long, env = "RELIVE_TRUSTED_PROXY", value_delimiter = ',', value_name = "IP|CIDR")]
    pub trusted_proxy: Vec<crate::security::IpRange>,

    /// Seconds an SRS HLS recording stays open after `on_unpublish` before it is closed
    /// into a replay: SRS sends the last segment's `on_hls` concurrently with it.
    #[arg(long, env = "RELIVE_SRS_HLS_GRACE", default_value_t = 5)]
    pub srs_hls_grace: u64,

    /// Seconds: recordings and pushes of a stream this close to a broadcast (overlapping,
    /// or starting within this long of its end) belong to it. A push cut and restarted
    /// within it is one broadcast with a gap; later, two.
    #[arg(long, env = "RELIVE_BROADCAST_GAP", default_value_t = 300, value_parser = clap::value_parser!(i64).range(0..=86_400))]
    pub broadcast_gap: i64,

    /// Seconds after a push ended that its broadcast waits for files before it is
    /// `ready` anyway (a broadcast that got no file by then is removed). The default is
    /// Tencent's longest recording resumption (续录) timeout, 30 minutes, plus 5 minutes
    /// for its files to be delivered.
    #[arg(long, env = "RELIVE_BROADCAST_SETTLE", default_value_t = 2100, value_parser = clap::value_parser!(i64).range(0..=7 * 86_400))]
    pub broadcast_settle: i64,

    /// Tencent VOD's Key hotlink protection key ("Key 防盗链", 8–20 letters or digits):
    /// with it, every remote recording URL the server hands out or fetches is signed
    /// (`t`, `us`, `sign`; see `signing::tencent_vod_sign`). Never sent to browsers.
    #[arg(long, env = "RELIVE_TENCENT_VOD_KEY", hide_env_values = true)]
    pub tencent_vod_key: Option<String>,

    /// How long a signed VOD URL stays valid, in seconds. The player asks for a fresh
    /// one when a request is refused, so this need not cover a whole viewing.
    #[arg(long, env = "RELIVE_TENCENT_VOD_SIGN_TTL", default_value_t = 7200, value_parser = clap::value_parser!(i64).range(10..=31_536_000))]
    pub tencent_vod_sign_ttl: i64,

    /// Signed URLs' preview length in seconds (`exper`; 0 = the whole video).
    #[arg(long, env = "RELIVE_TENCENT_VOD_EXPER", default_value_t = 0)]
    pub tencent_vod_exper: u32,

    /// Signed URLs' limit of distinct client IPs (`rlimit`, 1–9; Tencent advises 3 for
    /// one viewer, whose mobile IP may change). Unset: no limit.
    #[arg(long, env = "RELIVE_TENCENT_VOD_RLIMIT", value_parser = clap::value_parser!(u8).range(1..=9))]
    pub tencent_vod_rlimit: Option<u8>,

    /// Only URLs on these hosts (comma-separated) are signed; unset: every remote
    /// recording URL is (remote recordings come from Tencent).
    #[arg(long, env = "RELIVE_TENCENT_VOD_DOMAINS", value_delimiter = ',')]
    pub tencent_vod_domains: Vec<String>,

    /// Tencent's recording template `StorageTime` in seconds (0 = kept forever): a
    /// Tencent recording leaves the public lists this long after its end, when VOD
    /// deletes it.
    #[arg(long, env = "RELIVE_TENCENT_STORAGE_TIME", default_value_t = 0)]
    pub tencent_storage_time: i64,

    /// Seconds between checks of each remote recording's file (a signed HEAD; 404 or 410:
    /// the file is gone, and leaves the public lists — see `gone.rs`). 0 turns the
    /// checks off.
    #[arg(long, env = "RELIVE_CHECK_FILES_EVERY", default_value_t = 86_400)]
    pub check_files_every: u64,

    /// Bearer token for the admin API; without it the admin API is closed.
    #[arg(long, env = "RELIVE_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,

    /// This server's public base URL (e.g. `https://replay.example.com`), used to make
    /// absolute links to local recordings. Without it, links are paths on this server.
    #[arg(long, env = "RELIVE_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Bearer token for `/metrics` (Prometheus text format) on the main listener; without
    /// it (and without `--metrics-listen`) `/metrics` answers 404.
    #[arg(long, env = "RELIVE_METRICS_TOKEN", hide_env_values = true, value_name = "TOKEN")]
    pub metrics_token: Option<String>,

    /// A second address (e.g. a private one, `10.0.0.5:9090`) that serves `/metrics`
    /// alone, without a token; port 0 picks a free one (the chosen URL is printed).
    #[arg(long, env = "RELIVE_METRICS_LISTEN", value_name = "ADDR")]
    pub metrics_listen: Option<SocketAddr>,

    /// Log lines on stderr as text for people, or as JSON objects (one a line) for a log
    /// collector. `RELIVE_LOG` sets the level (e.g. `debug`, `relive_server=debug`).
    #[arg(long, env = "RELIVE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Seed demo streamers and replays (with their video files) on start, if not there yet.
    #[arg(long, env = "RELIVE_DEMO")]
    pub demo: bool,

    /// Seconds a background job is leased to the instance that claimed it (extended every
    /// third of it while it runs): an instance that dies holds its jobs this long at most,
    /// then another takes them over (see `jobs.rs`).
    #[arg(long, env = "RELIVE_JOB_LEASE_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub job_lease_secs: u64,

    /// This instance's name in the jobs table (who holds a job); default hostname-pid.
    #[arg(long, env = "RELIVE_INSTANCE_ID")]
    pub instance_id: Option<String>,

    /// Where MP4 copies, posters and storyboards (and local recordings, uploaded at
    /// ingest) are kept: unset, on this machine's disk (`--media-dir`, `--images-dir`);
    /// `s3://bucket` (or `s3://bucket/prefix`) for S3-compatible object storage, with
    /// credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (`storage.rs`).
    #[arg(long, env = "RELIVE_MEDIA_STORE")]
    pub media_store: Option<String>,

    /// The S3-compatible endpoint (`http://127.0.0.1:8333`, `https://s3.example.com`);
    /// unset: AWS's, for the region.
    #[arg(long, env = "RELIVE_S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,

    /// The bucket's region.
    #[arg(long, env = "RELIVE_S3_REGION", default_value = "us-east-1")]
    pub s3_region: String,

    /// With `--media-store s3://…`: answer `/media/…` and `/images/…` of objects with a
    /// 302 to a presigned URL (the browser reads the bucket; its CORS must expose
    /// Content-Range, Content-Length and Accept-Ranges) instead of proxying them.
    #[arg(long, env = "RELIVE_MEDIA_REDIRECT")]
    pub media_redirect: bool,
}

/// The end of `relive --help`: a two-instance setup (README.md, "Several instances").
const SEVERAL_INSTANCES: &str = "\
Several instances (PostgreSQL 15+, behind a load balancer), e.g. on two hosts:
  relive --listen 0.0.0.0:8080 --db 'postgres://relive:secret@db.internal/relive' \\
         --trusted-proxy 10.0.0.0/8 --tencent-callback-key \"$KEY\" --admin-token \"$TOKEN\" \\
         --media-store s3://relive-media --s3-endpoint http://s3.internal:8333 \\
         --instance-id web-1 --metrics-listen 10.0.0.5:9090
  (the same on the second host with --instance-id web-2; S3 keys in AWS_ACCESS_KEY_ID
  and AWS_SECRET_ACCESS_KEY)
They migrate once, share every write, job and reconcile round through the database and
the media through the bucket, and take over a dead instance's jobs after
--job-lease-secs. Health checks: GET /readyz.";

/// How log lines are written (`--log-format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One readable line per event.
    Text,
    /// One JSON object per line (tracing-subscriber's JSON formatter: `timestamp`,
    /// `level`, `fields`, `target`).
    Json,
}

impl Config {
    /// This instance's name among those sharing the database: `--instance-id`, or
    /// hostname-pid (unique per process, so a restart is another instance).
    pub fn instance(&self) -> String {
        match self.instance_id.as_deref().map(str::trim) {
            Some(id) if !id.is_empty() => id.to_string(),
            _ => {
                let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
                    .or_else(|_| std::fs::read_to_string("/etc/hostname"))
                    .map(|h| h.trim().to_string())
                    .ok()
                    .filter(|h| !h.is_empty())
                    .unwrap_or_else(|| "relive".into());
                format!("{host}-{}", std::process::id())
            }
        }
    }

    /// How recordings are grouped into broadcasts.
    pub fn grouping(&self) -> Grouping {
        Grouping { gap_secs: self.broadcast_gap, settle_secs: self.broadcast_settle }
    }

    /// A recording's URL as it may be fetched or handed out now: signed for Tencent
    /// VOD's Key hotlink protection when a key is configured and the URL is remote (on
    /// one of `--tencent-vod-domains`, if given), with the signature's expiry; else as
    /// it is, with `None`.
    pub fn vod_url(&self, url: &str, now: i64) -> (String, Option<i64>) {
        let Some(key) = self.tencent_vod_key.as_deref() else { return (url.to_string(), None) };
        let host = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .and_then(|r| r.split(['/', '?', '#']).next())
            .map(|h| h.rsplit_once('@').map_or(h, |(_, h)| h))
            .map(|h| h.split(':').next().unwrap_or(h));
        let listed = |h: &str| {
            self.tencent_vod_domains.is_empty() || self.tencent_vod_domains.iter().any(|d| d.eq_ignore_ascii_case(h))
        };
        match host.filter(|h| listed(h)) {
            Some(_) => {
                let expires_at = now + self.tencent_vod_sign_ttl;
                let exper =
                    if self.tencent_vod_exper == 0 { String::new() } else { self.tencent_vod_exper.to_string() };
                let rlimit = self.tencent_vod_rlimit.map(|r| r.to_string()).unwrap_or_default();
                match crate::signing::tencent_vod_sign(
                    url,
                    key,
                    expires_at,
                    &exper,
                    &rlimit,
                    &crate::signing::link_id(),
                ) {
                    Some(signed) => (signed, Some(expires_at)),
                    None => (url.to_string(), None),
                }
            }
            None => (url.to_string(), None),
        }
    }

    /// A URL the server itself fetches now: as [`Config::vod_url`], except that one that
    /// carries a signature already (an HLS segment URI the CDN signed in its playlist) is
    /// fetched as it is, not signed twice.
    pub fn fetch_url(&self, url: &str, now: i64) -> String {
        let query = url.split('#').next().unwrap_or(url).split_once('?').map_or("", |(_, q)| q);
        if query.split('&').any(|kv| kv.starts_with("sign=")) {
            return url.to_string();
        }
        self.vod_url(url, now).0
    }

    /// The public URL without a trailing slash, if one is configured.
    pub fn public_base(&self) -> Option<String> {
        self.public_url.as_deref().map(|u| u.trim_end_matches('/').to_string()).filter(|u| !u.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(args: &[&str]) -> Config {
        Config::parse_from([&["relive"], args].concat())
    }

    #[test]
    fn help_ends_with_a_two_instance_setup() {
        use clap::CommandFactory;
        let help = Config::command().render_help().to_string();
        assert!(help.trim_end().ends_with("Health checks: GET /readyz."), "{help}");
        assert!(help.contains("--instance-id web-2"), "{help}");
    }

    #[test]
    fn remote_urls_are_signed_and_a_signed_one_is_fetched_as_it_is() {
        let c = config(&["--tencent-vod-key", "k12345678", "--tencent-vod-sign-ttl", "60"]);
        let (url, expires) = c.vod_url("https://v.example.com/a/b.flv", 1000);
        assert_eq!(expires, Some(1060));
        assert!(url.starts_with("https://v.example.com/a/b.flv?t=424&us="), "{url}");
        assert!(!url.contains("k12345678"));
        assert_eq!(c.vod_url("/media/a.flv", 1000), ("/media/a.flv".to_string(), None));
        let fetched = c.fetch_url("https://v.example.com/a/b.ts", 1000);
        assert!(fetched.contains("&sign="), "{fetched}");
        let by_cdn = "https://v.example.com/a/b.ts?t=ff&us=1&sign=00";
        assert_eq!(c.fetch_url(by_cdn, 1000), by_cdn);
        assert_eq!(config(&[]).fetch_url("https://v.example.com/a/b.ts", 1000), "https://v.example.com/a/b.ts");
    }
}
