//! Files that are gone: Tencent VOD deletes a recording when its template's `StorageTime`
//! runs out, and an operator may delete one by hand. A replay whose file is gone would be
//! a dead card; instead it leaves the public lists, while the admin API still sees it
//! (`gone_at`) and can delete it.
//!
//! - **At ingest** ([`record`]): a Tencent recording with `--tencent-storage-time` > 0
//!   gets `expires_at = end_time + storage time`, in the same transaction as the part; one
//!   already past it is gone at once.
//! - **Expiry** ([`check_forever`]): every few seconds, parts whose `expires_at` passed are
//!   marked gone (at their expiry).
//! - **Checks** ([`check_forever`], [`check_file`]): every `--check-files-every` seconds
//!   (default a day; 0 = off) each remote part is checked once, through the jobs queue
//!   (`Job::CheckFile`, a few queued at a time): a HEAD with the signed URL, or a one-byte
//!   GET (`Range: bytes=0-0`) where HEAD is refused (403, 405, 501). 404 or 410: gone.
//!   Anything else — timeouts, 5xx, a 403 — changes nothing and is logged; the part is
//!   asked again a period later.
//! - **Other jobs** call [`file_gone`] when a host answers 404 or 410: the part's own URL
//!   is asked then (a missing segment is not a missing recording), unless the part arrived
//!   less than [`GRACE_SECS`] ago (a new file may not be on every CDN node yet).
//!
//! What "gone" does (the store, `store/gone.rs`): the part leaves the broadcast's public
//! timeline (offsets, gaps, duration and size computed without it; an alternate recording
//! of the same time takes its place); a broadcast left with no part that is not gone gets
//! `gone_at` and leaves the lists and the streamer's figures, and its public
//! `GET /api/v1/replays/{id}` answers 410. Nothing is deleted.

use std::time::Duration;

use axum::http::header;

use crate::AppState;
use crate::jobs::Job;
use crate::playback::{Location, locate};
use crate::store::{Ingest, NewReplay, StoreError, unix_now};

/// How often expiries are applied and due checks queued (at most; more often when
/// `--check-files-every` is shorter).
pub const SWEEP_EVERY: Duration = Duration::from_secs(5);
/// Checks waiting in the jobs queue at most: other jobs never wait behind many of them.
pub const MAX_QUEUED_CHECKS: usize = 16;
/// Seconds after a recording's arrival before another job's 404 may judge it gone.
pub const GRACE_SECS: i64 = 600;
/// How long one check may take.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(20);

/// What a host's answer says of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// 2xx (3xx are followed).
    There,
    /// 404 or 410.
    Gone,
    /// Anything else: nothing is concluded.
    Unknown,
}

pub fn verdict(status: u16) -> Verdict {
    match status {
        200..=299 => Verdict::There,
        404 | 410 => Verdict::Gone,
        _ => Verdict::Unknown,
    }
}

/// Whether a HEAD answered this was refused as a method (a GET may still work).
pub fn head_refused(status: u16) -> bool {
    matches!(status, 403 | 405 | 501)
}

/// When the recording service deletes this recording, if it does: Tencent's, with
/// `--tencent-storage-time` set.
pub fn expiry(storage_time: i64, r: &NewReplay) -> Option<i64> {
    (storage_time > 0 && r.source == crate::hooks::tencent::SOURCE).then(|| r.end_time.saturating_add(storage_time))
}

/// Stores a recording (as `Store::record_replay`), with its expiry when it has one.
pub async fn record(app: &AppState, r: NewReplay) -> Result<Ingest, StoreError> {
    match expiry(app.config.tencent_storage_time, &r) {
        Some(at) => {
            let stored = app.store.record_replay_expiring(r, at).await?;
            if let Ingest::Stored(row) = &stored
                && row.gone_at.is_some()
            {
                tracing::warn!(
                    part = row.id,
                    expired_at = at,
                    "a recording past its storage time: stored, but gone (not listed)"
                );
            }
            Ok(stored)
        }
        None => app.store.record_replay(r).await,
    }
}

/// Another job's fetch of something of a part's (its file, a segment, a variant) was
/// answered `status`. On 404 or 410 the part's own URL is asked at once (signed HEAD, as
/// the periodic check does), and if that says gone too the part is marked gone: it
/// leaves the public timeline, and its broadcast the lists if nothing is left. Not within
/// [`GRACE_SECS`] of its arrival (a new file may not have reached every CDN node yet: the
/// periodic check judges it later), nor for other statuses, nor for local files.
pub async fn file_gone(app: &AppState, part_id: i64, status: u16) {
    if verdict(status) != Verdict::Gone {
        tracing::warn!(part = part_id, status, "file_gone called for a status that does not say gone: ignored");
        return;
    }
    let f = match app.store.file_to_check(part_id).await {
        Ok(Some(f)) => f,
        Ok(None) => return,
        Err(e) => return tracing::error!(part = part_id, error = %e, "cannot read a recording to check"),
    };
    if unix_now() - f.arrived_at < GRACE_SECS {
        tracing::info!(part = part_id, status, "a new recording answered {status}: left to the periodic check");
        return;
    }
    let Some(Location::Remote(url)) = locate(&f.url, &app.config.media_dir, app.config.public_base().as_deref()) else {
        return;
    };
    match ask(app, &url).await {
        Ok(s) if verdict(s) == Verdict::Gone => mark_gone(app, part_id, s).await,
        Ok(s) => tracing::info!(part = part_id, status = s, "a fetch answered {status}, but the recording's URL {s}"),
        Err(e) => tracing::warn!(part = part_id, url, error = %e, "recording file check failed"),
    }
}

/// Marks a part gone (its host said so).
async fn mark_gone(app: &AppState, part_id: i64, status: u16) {
    match app.store.mark_part_gone(part_id, unix_now()).await {
        Ok(Some(g)) => tracing::warn!(
            part = g.part,
            status,
            broadcast = g.broadcast,
            broadcast_gone = g.broadcast_gone,
            "recording file gone: it leaves the public timeline{}",
            if g.broadcast_gone { ", and its broadcast the lists" } else { "" }
        ),
        Ok(None) => {}
        Err(e) => tracing::error!(part = part_id, error = %e, "cannot mark a recording gone"),
    }
}

/// Applies expiries and queues due checks, forever.
pub async fn check_forever(app: AppState) {
    let every = app.config.check_files_every;
    let tick = match every {
        0 => SWEEP_EVERY,
        n => SWEEP_EVERY.min(Duration::from_secs(n)),
    };
    if every > 0 {
        tracing::info!(every_secs = every, "checking that remote recordings are still there");
    }
    loop {
        let now = unix_now();
        match app.store.expire_parts(now).await {
            Ok(gone) => {
                for g in gone {
                    tracing::warn!(
                        part = g.part,
                        broadcast = g.broadcast,
                        broadcast_gone = g.broadcast_gone,
                        "recording past its storage time: it leaves the public timeline"
                    );
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot apply recording expiries"),
        }
        // A backlog of due checks (the first round after an upgrade, a large library) is
        // worked through a second at a time; else the next look is a tick later.
        let backlog = every > 0 && queue_checks(&app, now, every).await;
        tokio::time::sleep(if backlog { BACKLOG_EVERY.min(tick) } else { tick }).await;
    }
}

/// Between looks while checks are due in numbers.
const BACKLOG_EVERY: Duration = Duration::from_secs(1);
/// Due parts read at a look: local ones are noted as checked at once, remote ones queued
/// while there is room ([`MAX_QUEUED_CHECKS`]).
const DUE_AT_A_LOOK: u32 = 500;

/// Queues checks of the parts not checked for `every` seconds, a few at a time; local
/// parts are only noted as checked (their files are this server's). Whether due parts
/// were left for the next look.
async fn queue_checks(app: &AppState, now: i64, every: u64) -> bool {
    let room = MAX_QUEUED_CHECKS.saturating_sub(app.jobs.waiting().await);
    if room == 0 {
        return true;
    }
    let before = now.saturating_sub(every as i64);
    let due = match app.store.files_to_check(before, DUE_AT_A_LOOK).await {
        Ok(due) => due,
        Err(e) => {
            tracing::warn!(error = %e, "cannot list recordings to check");
            return false;
        }
    };
    let base = app.config.public_base();
    let (mut local, mut queued, mut left) = (Vec::new(), 0, due.len() == DUE_AT_A_LOOK as usize);
    for f in due {
        match locate(&f.url, &app.config.media_dir, base.as_deref()) {
            Some(Location::Remote(url)) if queued < room => {
                app.jobs.enqueue(Job::CheckFile { part: f.part, url }).await;
                queued += 1;
            }
            Some(Location::Remote(_)) => left = true,
            _ => local.push(f.part),
        }
    }
    if !local.is_empty()
        && let Err(e) = app.store.files_checked(local, now).await
    {
        tracing::warn!(error = %e, "cannot note local recordings as checked");
    }
    left
}

/// Asks a remote part's host whether its file is there (the `Job::CheckFile` job).
pub async fn check_file(app: &AppState, part: i64, url: &str) {
    let status = ask(app, url).await;
    match status {
        Ok(s) => match verdict(s) {
            Verdict::There => tracing::debug!(part, status = s, "recording file checked: there"),
            Verdict::Gone => mark_gone(app, part, s).await,
            Verdict::Unknown => {
                tracing::warn!(part, url, status = s, "recording file check: the host answered neither yes nor gone")
            }
        },
        Err(e) => tracing::warn!(part, url, error = %e, "recording file check failed"),
    }
    if let Err(e) = app.store.files_checked(vec![part], unix_now()).await {
        tracing::warn!(part, error = %e, "cannot note a recording as checked");
    }
}

/// The status the host gives the signed URL: HEAD, then a one-byte GET if HEAD is refused.
async fn ask(app: &AppState, url: &str) -> Result<u16, String> {
    let http = app.jobs.http();
    let signed = app.config.fetch_url(url, unix_now());
    let head = http.head(&signed).timeout(CHECK_TIMEOUT).send().await.map_err(|e| without_url(&e))?;
    let status = head.status().as_u16();
    if !head_refused(status) {
        return Ok(status);
    }
    let signed = app.config.fetch_url(url, unix_now());
    let get = http
        .get(&signed)
        .header(header::RANGE, "bytes=0-0")
        .timeout(CHECK_TIMEOUT)
        .send()
        .await
        .map_err(|e| without_url(&e))?;
    // A host that ignores the range sends the whole file: the status is all we wanted
    // (the body is dropped unread).
    Ok(get.status().as_u16())
}

/// An HTTP error without its URL (a signed URL need not go into the logs).
fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    match std::error::Error::source(e) {
        Some(s) => format!("{kind}: {s}"),
        None => kind.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use relive_api::ReplayFormat;

    #[test]
    fn only_404_and_410_say_gone() {
        assert_eq!(verdict(200), Verdict::There);
        assert_eq!(verdict(206), Verdict::There);
        for s in [404, 410] {
            assert_eq!(verdict(s), Verdict::Gone);
        }
        for s in [401, 403, 429, 500, 502, 503] {
            assert_eq!(verdict(s), Verdict::Unknown, "{s}");
        }
        assert!(head_refused(405) && head_refused(501) && head_refused(403));
        assert!(!head_refused(404) && !head_refused(200));
    }

    #[test]
    fn only_tencent_recordings_expire() {
        let mut r = NewReplay {
            streamer_id: "a".into(),
            source: crate::hooks::tencent::SOURCE.into(),
            source_file_id: "f".into(),
            title: None,
            format: ReplayFormat::Flv,
            url: "https://x.vod2.myqcloud.com/a/f0.flv".into(),
            start_time: 1000,
            end_time: 1600,
            duration_ms: 600_000,
            size_bytes: 1,
            raw_payload: None,
            facts: None,
            follow_ups: Vec::new(),
            sessions: vec![],
        };
        assert_eq!(expiry(0, &r), None);
        assert_eq!(expiry(86_400, &r), Some(1600 + 86_400));
        r.source = "nginx-rtmp".into();
        assert_eq!(expiry(86_400, &r), None);
    }
}
