//! A safety net for lost Tencent callbacks: every `--reconcile-interval` seconds, ask
//! Tencent's file-list API (`Live_Tape_GetFilelist`) for the recordings of streams that
//! ended in the last day, and store any the callbacks missed (once: on `file_id`, like
//! the callbacks). Requests go one at a time; failures are retried with backoff and
//! logged, and never stop the server.
//!
//! A round is a durable job (`crate::jobs`, kind `reconcile`, key 0): one of them is
//! queued or running at a time across every instance on the database, so exactly one
//! instance polls Tencent per interval; the round's finish queues the next one
//! ([`round_job`]). Each instance queues a first round at start ([`schedule`], a no-op
//! when one is there); when the instance running a round dies, its lease runs out and
//! another instance takes the round over.

use std::time::Duration;

use relive_api::ReplayFormat;
use serde_json::Value;

use crate::AppState;
use crate::hooks::tencent;
use crate::ingest::{Event, Outcome, ingest};
use crate::jobs::Job;
use crate::signing::md5_hex;
use crate::store::{NewJob, NewReplay, unix_now, unix_now_ms};

/// Streams that stopped within this many seconds are asked about.
const LOOK_BACK_SECS: i64 = 24 * 3600;
const PAGE_SIZE: u32 = 100;
const MAX_PAGES: u32 = 20;
const ATTEMPTS: u32 = 4;
/// Between two streams' queries: the API is not for frequent calls.
const PAUSE: Duration = Duration::from_millis(200);

/// Whether reconciliation is configured (APPID and API key).
pub fn enabled(app: &AppState) -> bool {
    app.config.tencent_appid.as_deref().is_some_and(|s| !s.is_empty())
        && app.config.tencent_api_key.as_deref().is_some_and(|s| !s.is_empty())
}

/// The next round, an interval from now.
fn next_round(app: &AppState) -> NewJob {
    let interval_ms = i64::try_from(app.config.reconcile_interval).unwrap_or(i64::MAX / 2_000).saturating_mul(1000);
    Job::Reconcile.row(unix_now_ms() + interval_ms)
}

/// Queues a round an interval from now unless one is queued or running (at start, and
/// by the jobs' housekeeping should the chain of rounds have broken).
pub async fn schedule(app: &AppState) {
    match app.store.enqueue_job(next_round(app), unix_now_ms()).await {
        Ok(true) => tracing::info!(
            every_secs = app.config.reconcile_interval,
            "reconcile: polling Tencent's file list for missed recordings"
        ),
        Ok(false) => {}
        Err(e) => tracing::warn!(error = %e, "reconcile: cannot queue a round"),
    }
}

/// The `reconcile` job: one round; answers the next round, which its finish queues.
pub async fn round_job(app: &AppState) -> NewJob {
    match round(app).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(added = n, "reconcile: stored recordings the callbacks missed"),
        Err(e) => tracing::warn!(error = %e, "reconcile: round failed"),
    }
    next_round(app)
}

/// One round over the recently ended streams; returns how many replays were added.
pub async fn round(app: &AppState) -> Result<usize, String> {
    let streams = app.store.recently_ended(unix_now() - LOOK_BACK_SECS).await.map_err(|e| e.to_string())?;
    let mut added = 0;
    for stream in streams {
        match reconcile_stream(app, &stream).await {
            Ok(n) => added += n,
            Err(e) => tracing::warn!(stream = %stream, error = %e, "reconcile: giving up on this stream for now"),
        }
        tokio::time::sleep(PAUSE).await;
    }
    Ok(added)
}

async fn reconcile_stream(app: &AppState, stream: &str) -> Result<usize, String> {
    let mut added = 0;
    for page in 1..=MAX_PAGES {
        let output = with_retries(|| fetch_page(app, stream, page)).await?;
        let files = output["file_list"].as_array().cloned().unwrap_or_default();
        for file in &files {
            match to_replay(app, stream, file) {
                Some(r) => {
                    if let Outcome::Stored { replay, .. } =
                        ingest(app, Event::Recording(r)).await.map_err(|f| f.body.message)?
                    {
                        added += 1;
                        tracing::info!(stream = %stream, replay, "reconcile: stored a recording the callbacks missed");
                    }
                }
                None => {
                    tracing::warn!(stream = %stream, file = %file, "reconcile: a listed file without a usable id or URL")
                }
            }
        }
        let total = output["all_count"].as_u64().unwrap_or(0);
        if files.len() < PAGE_SIZE as usize || u64::from(page * PAGE_SIZE) >= total {
            break;
        }
    }
    Ok(added)
}

async fn with_retries<F, Fut>(mut f: F) -> Result<Value, String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Value, String>>,
{
    let mut delay = Duration::from_millis(250);
    let mut last = String::new();
    for attempt in 1..=ATTEMPTS {
        match f().await {
            Ok(v) => return Ok(v),
            Err(e) => {
                tracing::warn!(attempt, error = %e, "reconcile: file-list request failed");
                last = e;
                if attempt < ATTEMPTS {
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
            }
        }
    }
    Err(last)
}

async fn fetch_page(app: &AppState, stream: &str, page: u32) -> Result<Value, String> {
    let (appid, key) =
        (app.config.tencent_appid.as_deref().unwrap_or(""), app.config.tencent_api_key.as_deref().unwrap_or(""));
    let t = unix_now() + 60;
    let query = [
        ("appid", appid.to_string()),
        ("interface", "Live_Tape_GetFilelist".to_string()),
        ("Param.s.channel_id", stream.to_string()),
        ("Param.n.page_no", page.to_string()),
        ("Param.n.page_size", PAGE_SIZE.to_string()),
        ("t", t.to_string()),
        ("sign", md5_hex(&[key, &t.to_string()])),
    ];
    let timeout =
        Duration::from_secs(app.config.reconcile_interval).clamp(Duration::from_secs(1), Duration::from_secs(10));
    let resp = app
        .jobs
        .http()
        .get(&app.config.tencent_api_url)
        .query(&query)
        .timeout(timeout)
        .send()
        .await
        .map_err(|e| format!("request: {e}"))?;
    if !resp.status().is_success() {
        return Err(format!("HTTP {}", resp.status()));
    }
    let bytes = resp.bytes().await.map_err(|e| format!("reading the answer: {e}"))?;
    let body: Value = serde_json::from_slice(&bytes).map_err(|e| format!("not JSON: {e}"))?;
    match body["ret"].as_i64() {
        Some(0) => Ok(body["output"].clone()),
        Some(code) => Err(format!("API error {code}: {}", body["message"].as_str().unwrap_or(""))),
        None => Err("answer without `ret`".into()),
    }
}

/// A file-list entry as a replay. Times are Beijing time (UTC+8), `YYYY-MM-DD HH:MM:SS`.
fn to_replay(app: &AppState, stream: &str, file: &Value) -> Option<NewReplay> {
    let text = |k: &str| match &file[k] {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let file_id = text("file_id")?;
    let url = match (text("record_file_url"), text("vid"), app.config.tencent_vod_bizid.as_deref()) {
        (Some(u), _, _) => u,
        (None, Some(vid), Some(bizid)) => format!("http://{bizid}.vod.myqcloud.com/{vid}.f0.flv"),
        _ => return None,
    };
    let url = crate::hooks::http_url("record_file_url", &url).ok()?;
    let start = text("start_time").and_then(|s| beijing_time(&s))?;
    let end = text("end_time").and_then(|s| beijing_time(&s)).unwrap_or(start).max(start);
    let format =
        url.split(['?', '#']).next()?.rsplit('.').next().and_then(ReplayFormat::parse).unwrap_or(ReplayFormat::Flv);
    // The list gives no duration. For HLS the playlist tells it (ingest queues that, with
    // the span as the fallback); for the others the span is the duration.
    let duration_ms = if format == ReplayFormat::Hls { 0 } else { ((end - start) * 1000) as u64 };
    Some(NewReplay {
        streamer_id: stream.to_string(),
        source: tencent::SOURCE.into(),
        source_file_id: file_id,
        title: None,
        format,
        url,
        start_time: start,
        end_time: end,
        duration_ms,
        size_bytes: file["file_size"].as_u64().unwrap_or(0),
        raw_payload: Some(file.to_string()),
        facts: None,
        follow_ups: Vec::new(),
        // The list tells no session: time places it.
        sessions: Vec::new(),
    })
}

/// `2016-12-10 08:00:00` in UTC+8 → Unix seconds.
fn beijing_time(s: &str) -> Option<i64> {
    let (date, time) = s.trim().split_once(' ')?;
    let d: Vec<i64> = date.split('-').map(|x| x.parse().ok()).collect::<Option<_>>()?;
    let t: Vec<u32> = time.split(':').map(|x| x.parse().ok()).collect::<Option<_>>()?;
    let ([y, m, day], [hh, mm, ss]) = (d.as_slice(), t.as_slice()) else { return None };
    let t = relive_api::time::unix(*y, u32::try_from(*m).ok()?, u32::try_from(*day).ok()?, *hh, *mm, *ss)?;
    Some(t - 8 * 3600)
}

#[cfg(test)]
mod tests {
    use super::beijing_time;

    #[test]
    fn beijing_times() {
        assert_eq!(beijing_time("2016-09-06 12:20:47"), Some(1_473_135_647));
        assert_eq!(beijing_time("1970-01-01 08:00:00"), Some(0));
        assert_eq!(beijing_time("2016-13-06"), None);
        assert_eq!(beijing_time("yesterday"), None);
    }
}
