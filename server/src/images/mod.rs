//! Posters and seek-bar storyboards (issue 14).
//!
//! **Made here** ([`Job::Images`], one part at a time): after a part is ingested, and at
//! start-up for parts that have none ([`backfill`]), the part's keyframes are read where
//! it is ([`read`]: local file or signed remote URL, FLV/MP4/HLS through
//! `relive_media::frames`), decoded in-process by OpenH264 and made ([`make`]) into
//! - `poster.jpg`: the first keyframe at or after min(5 s, 10 %) whose picture is not
//!   near black (else the next candidates; all dark: the lightest), at the video's own
//!   size up to 1280 px wide;
//! - `sheet-{n}.jpg`: sprite sheets of 160-px-wide tiles, 10 × 10 to a sheet, one tile
//!   every N s, N the smallest of 1, 2, 5, 10, 15, 20, 30, 60, 120, 300 … giving at most
//!   150 tiles ([`plan`]), each tile at its keyframe's real time;
//!
//! written durably under `--images-dir/{part}/` and described in the store
//! (`part_images`: made, or failed with the reason). A recording that is not H.264, or
//! is corrupt, gets a stored failure; a passing one (a host timing out, a 5xx) is tried
//! again at the next start, at most [`MAX_ATTEMPTS`] times. A remote 404/410 marks the
//! part gone (`crate::gone::file_gone`).
//!
//! **Tencent's screenshots** (event 200) are stored per stream and attach to the
//! broadcast whose extent their `create_time` falls in, when read. A part with good
//! screenshots in its extent gets no images of its own (`none`).
//!
//! **Read** ([`decorate`], [`storyboard`], [`serve`]): a replay's `poster_url` is its
//! first part's poster, else its first good screenshot, else a later part's poster;
//! `storyboard_url` (`/api/v1/replays/{id}/storyboard.vtt`) is there when a part has
//! tiles or a screenshot falls in its extent. The VTT lies on the broadcast's timeline:
//! parts' tiles shifted by their offsets, screenshots at `create_time − part start +
//! part offset` in parts without tiles, cues end to end over the whole duration.
//! `GET /images/{part}/{poster.jpg | sheet-N.jpg}` serves the files (ETag, a day's cache).

pub mod make;
pub mod picture;
pub mod plan;
pub mod read;
pub mod vtt;

use std::time::{Duration, Instant};

use axum::extract::{Path as UrlPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use relive_api::{Replay, ReplayFormat, ReplayStatus};
use tokio::sync::mpsc;
use tower::ServiceExt;
use tower_http::services::ServeFile;

use crate::AppState;
use crate::error::Failure;
use crate::ingest::broadcast;
use crate::jobs::Job;
use crate::store::{ImagesState, NewReplay, PartImages, PictureQuery, ReplayRow, unix_now};

/// Images jobs running at once (each is one core's work at a time; the queue holds the
/// others back, `Job::at_once`, while other kinds of job pass them).
pub const AT_ONCE: usize = 2;
/// One part's images take at most this long (a 3-hour remote FLV's index job waited
/// for included); then the try is a passing failure.
pub const JOB_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// Tries of a part whose failures were passing ones.
pub const MAX_ATTEMPTS: u32 = 3;
/// Screenshots a storyboard shows at most (a day at one per 10 s is 8,640).
pub const MAX_SCREENSHOTS: u32 = 10_000;

/// Adds the images job to a recording about to be stored (video formats only): queued
/// with the part, in its transaction.
pub fn follow_up(replay: &mut NewReplay) {
    if replay.format != ReplayFormat::Aac {
        replay.follow_ups.push(Job::Images { part: 0 }.follow_up());
    }
}

/// Queues the images of a part stored before (video formats only).
pub async fn enqueue(app: &AppState, part: &ReplayRow) {
    if part.format != ReplayFormat::Aac {
        app.jobs.enqueue(Job::Images { part: part.id }).await;
    }
}

/// The job: makes and stores a part's images (or why not). Never panics the worker: a
/// panic in decoding is a stored failure.
pub async fn run(app: &AppState, part_id: i64) {
    let part = match app.store.part(part_id).await {
        Ok(Some(p)) if p.gone_at.is_none() => p,
        Ok(_) => return,
        Err(e) => return tracing::warn!(part = part_id, error = %e, "images: cannot read the part"),
    };
    let now = unix_now();
    match app.store.screenshots(part.streamer_id.clone(), part.start_time, part.end_time, 1).await {
        Ok(shots) if !shots.is_empty() => {
            tracing::info!(part = part_id, "images: the recording service's screenshots cover this part");
            let none = PartImages {
                state: ImagesState::None,
                error: None,
                ..PartImages::failed(part_id, String::new(), false, now)
            };
            return save(app, none).await;
        }
        Ok(_) => {}
        Err(e) => return tracing::warn!(part = part_id, error = %e, "images: cannot read screenshots"),
    }
    let started = Instant::now();
    let result = match tokio::time::timeout(JOB_TIMEOUT, make(app, &part)).await {
        Ok(r) => r,
        Err(_) => {
            Err(read::ReadError { message: format!("took longer than {JOB_TIMEOUT:?}"), transient: true, gone: None })
        }
    };
    // With object storage, what was made goes there too (every instance serves it).
    let result = match result {
        Ok(made) => upload(app, part_id).await.map(|()| made),
        Err(e) => Err(e),
    };
    let images = match result {
        Ok(made) => {
            tracing::info!(
                part = part_id,
                poster = ?made.poster,
                tiles = made.storyboard.as_ref().map_or(0, |s| s.tiles.len()),
                decoded = made.decoded,
                undecodable = made.undecodable,
                secs = started.elapsed().as_secs_f64(),
                "images made"
            );
            PartImages {
                part: part_id,
                state: ImagesState::Made,
                error: None,
                transient: false,
                attempts: 0,
                poster: made.poster,
                storyboard: made.storyboard,
                made_at: unix_now(),
            }
        }
        Err(e) => {
            tracing::warn!(part = part_id, error = %e.message, transient = e.transient, "images: cannot make them");
            if let Some(status) = e.gone {
                crate::gone::file_gone(app, part_id, status).await;
            }
            PartImages::failed(part_id, e.message, e.transient, unix_now())
        }
    };
    save(app, images).await;
}

/// Puts a part's images (made under `--images-dir`) in the object store, as
/// `images/{part}/{file}`: replaced, as a later try replaces the files. Nothing to do on
/// local disk.
async fn upload(app: &AppState, part: i64) -> Result<(), read::ReadError> {
    if !app.media.is_object() {
        return Ok(());
    }
    let dir = app.config.images_dir.join(part.to_string());
    let failed = |e: String| read::ReadError { message: format!("images: {e}"), transient: true, gone: None };
    let mut entries = tokio::fs::read_dir(&dir).await.map_err(|e| failed(e.to_string()))?;
    while let Some(entry) = entries.next_entry().await.map_err(|e| failed(e.to_string()))? {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !valid_name(&name) {
            continue;
        }
        let bytes = tokio::fs::read(entry.path()).await.map_err(|e| failed(e.to_string()))?;
        app.media.put(&format!("images/{part}/{name}"), bytes.into()).await.map_err(failed)?;
    }
    Ok(())
}

async fn save(app: &AppState, images: PartImages) {
    let part = images.part;
    if let Err(e) = app.store.save_part_images(images).await {
        tracing::error!(part, error = %e, "images: cannot store what was made");
    }
}

/// Reads the keyframes (async, [`read::feed`]) into the maker (blocking pool) through a
/// channel of two: one keyframe decoded while the next is read.
async fn make(app: &AppState, part: &ReplayRow) -> Result<make::Made, read::ReadError> {
    let opened = read::open(app, part).await?;
    if opened.duration_ms <= 0 {
        return Err(read::ReadError {
            message: "the recording's duration is not known yet".into(),
            transient: true,
            gone: None,
        });
    }
    let dir = app.config.images_dir.join(part.id.to_string());
    let duration_ms = opened.duration_ms;
    let joined = |e: tokio::task::JoinError| read::ReadError::permanent(format!("the images job failed: {e}"));
    let maker = tokio::task::spawn_blocking(move || make::Maker::new(&dir, duration_ms))
        .await
        .map_err(joined)?
        .map_err(read::ReadError::permanent)?;
    let targets = maker.plan().targets();
    let (tx, mut rx) = mpsc::channel(2);
    let consumer = tokio::task::spawn_blocking(move || {
        let mut maker = maker;
        while let Some(kf) = rx.blocking_recv() {
            maker.add(&kf)?;
            if maker.done() {
                break;
            }
        }
        drop(rx);
        maker.finish()
    });
    let fed = read::feed(app, opened, targets, tx).await;
    let made = consumer.await.map_err(joined)?;
    match (fed, made) {
        (Ok(()), Ok(made)) => Ok(made),
        (Err(e), Ok(made)) => {
            // A recording cut short or damaged late: what came before it is shown.
            tracing::warn!(part = part.id, error = %e.message, "images made of the readable part only");
            Ok(made)
        }
        (Err(e), Err(_)) => Err(e),
        (Ok(()), Err(e)) => Err(read::ReadError::permanent(e)),
    }
}

/// Queues images for parts that have none, newest first, at most `--images-backfill`
/// (default 10,000), a few at a time so that new recordings' jobs never wait behind many
/// of them.
pub async fn backfill(app: AppState) {
    let mut before = i64::MAX;
    let mut queued = 0u32;
    let limit = app.config.images_backfill;
    while queued < limit {
        let want = (limit - queued).min(32);
        let parts = match app.store.parts_needing_images(before, want, MAX_ATTEMPTS).await {
            Ok(p) if p.is_empty() => break,
            Ok(p) => p,
            Err(e) => return tracing::warn!(error = %e, "images backfill: cannot list parts"),
        };
        for p in &parts {
            while app.jobs.waiting().await >= crate::jobs::WORKERS {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            enqueue(&app, p).await;
            queued += 1;
        }
        before = parts.last().map_or(before, |p| p.id);
    }
    if queued > 0 {
        tracing::info!(parts = queued, "images backfill: queued");
    }
}

/// The `/images/{part}/{file}` names there are.
fn valid_name(file: &str) -> bool {
    file == "poster.jpg"
        || file
            .strip_prefix("sheet-")
            .and_then(|f| f.strip_suffix(".jpg"))
            .is_some_and(|n| !n.is_empty() && n.len() <= 5 && n.bytes().all(|b| b.is_ascii_digit()))
}

/// `GET /images/{part}/{file}`: a part's poster or sprite sheet, with an `ETag` and a
/// day's cache (a try after a failure may replace them). A hidden or deleted part's
/// are not served.
pub async fn serve(
    State(app): State<AppState>,
    UrlPath((part, file)): UrlPath<(String, String)>,
    req: Request,
) -> Response {
    let missing = || (StatusCode::NOT_FOUND, "no such image").into_response();
    let Some(id) = part.parse::<i64>().ok().filter(|id| *id > 0 && part.bytes().all(|b| b.is_ascii_digit())) else {
        return missing();
    };
    if !valid_name(&file) {
        return missing();
    }
    match app.store.part(id).await {
        Ok(Some(p)) if !p.hidden => {}
        _ => return missing(),
    }
    let path = app.config.images_dir.join(id.to_string()).join(&file);
    let Ok(meta) = tokio::fs::metadata(&path).await else {
        // Made by another instance: in the object store.
        if app.media.is_object() {
            return app.media.serve(&format!("images/{id}/{file}"), req, "image/jpeg", "public, max-age=86400").await;
        }
        return missing();
    };
    let mtime =
        meta.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos());
    let tag = format!("\"{:x}-{:x}\"", meta.len(), mtime);
    let tag_value = HeaderValue::from_str(&tag).expect("an ETag is ASCII");
    let cache = HeaderValue::from_static("public, max-age=86400");
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"));
    if fresh {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, tag_value), (header::CACHE_CONTROL, cache)]).into_response();
    }
    match ServeFile::new_with_mime(&path, &"image/jpeg".parse().expect("a MIME type")).oneshot(req).await {
        Ok(mut res) => {
            res.headers_mut().insert(header::ETAG, tag_value);
            res.headers_mut().insert(header::CACHE_CONTROL, cache);
            res.into_response()
        }
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// A replay's extent, where its screenshots are looked for: its parts' wall-clock span,
/// up to now while it is being recorded.
fn window(r: &Replay) -> (i64, i64) {
    let end = if r.status == ReplayStatus::Recording { r.end_time.max(unix_now()) } else { r.end_time };
    (r.start_time, end.max(r.start_time))
}

/// Fills in `poster_url` and `storyboard_url` of replays as the API shows them, with one
/// read for all of them. `public_base` makes local paths absolute.
pub async fn decorate(app: &AppState, replays: &mut [Replay]) {
    if replays.is_empty() {
        return;
    }
    let queries = replays
        .iter()
        .map(|r| {
            let (from, to) = window(r);
            PictureQuery {
                broadcast: r.id,
                streamer_id: r.streamer_id.clone(),
                from,
                to,
                parts: r.parts.iter().map(|p| p.id).collect(),
            }
        })
        .collect();
    let pictures = match app.store.pictures(queries).await {
        Ok(p) => p,
        Err(e) => return tracing::warn!(error = %e, "cannot read replays' pictures"),
    };
    let base = app.config.public_base().unwrap_or_default();
    for (r, (_, p)) in replays.iter_mut().zip(pictures) {
        let own = |id: i64| format!("{base}/images/{id}/poster.jpg");
        let first_part = r.parts.first().map(|p| p.id);
        r.poster_url = match (p.posters.first(), &p.first_screenshot) {
            (Some(&id), _) if Some(id) == first_part => Some(own(id)),
            (_, Some(s)) if s.url.starts_with('/') => Some(format!("{base}{}", s.url)),
            (_, Some(s)) => Some(s.url.clone()),
            (Some(&id), None) => Some(own(id)),
            (None, None) => None,
        };
        if p.tiles || p.first_screenshot.is_some() {
            r.storyboard_url = Some(format!("/api/v1/replays/{}/storyboard.vtt", r.id));
        }
    }
}

#[utoipa::path(get, path = "/api/v1/replays/{id}/storyboard.vtt", tag = "public", params(("id" = i64, Path)),
    responses((status = 200, content_type = "text/vtt",
            description = "WebVTT on the replay's timeline: one cue per picture, end to end from 0 to the whole \
                duration, its text an image URL with a `#xywh=x,y,w,h` fragment (a tile of a sprite sheet, or a \
                whole screenshot)"),
        (status = 404, body = relive_api::ApiError)))]
pub async fn storyboard(State(app): State<AppState>, UrlPath(id): UrlPath<String>) -> Result<Response, Failure> {
    let gone = || Failure::not_found("no such replay");
    let none = || Failure::not_found("this replay has no storyboard (yet)");
    let id: i64 = id.parse().map_err(|_| gone())?;
    let b = app.store.broadcast(id).await?.filter(|b| !b.hidden && b.gone_at.is_none()).ok_or_else(gone)?;
    let spans: Vec<(i64, i64, u64)> = b.parts.iter().map(|p| (p.start_time, p.end_time, p.duration_ms)).collect();
    let layout = broadcast::layout(&spans);
    let total_ms = b.parts.iter().map(|p| p.duration_ms as i64).sum::<i64>();
    if b.parts.is_empty() || total_ms <= 0 {
        return Err(none());
    }
    let images = app.store.part_images(b.parts.iter().map(|p| p.id).collect()).await?;
    let (from, to) = (
        b.parts.iter().map(|p| p.start_time).min().unwrap_or(0),
        b.parts.iter().map(|p| p.end_time).max().unwrap_or(0),
    );
    let shots = app.store.screenshots(b.streamer_id.clone(), from, to, MAX_SCREENSHOTS).await?;
    let base = app.config.public_base().unwrap_or_default();
    let shots: Vec<_> = shots
        .into_iter()
        .map(|mut s| {
            if s.url.starts_with('/') {
                s.url = format!("{base}{}", s.url);
            }
            s
        })
        .collect();
    let boards: Vec<vtt::PartBoard<'_>> = b
        .parts
        .iter()
        .zip(&layout.offsets)
        .map(|(p, &offset)| vtt::PartBoard {
            offset_ms: (offset * 1000.0).round() as i64,
            duration_ms: p.duration_ms as i64,
            start_time: p.start_time,
            end_time: p.end_time,
            tiles: images
                .iter()
                .find(|i| i.part == p.id && i.state == ImagesState::Made)
                .and_then(|i| i.storyboard.as_ref())
                .map(|s| (format!("{base}/images/{}", p.id), s)),
        })
        .collect();
    let cues = vtt::cues(&boards, &shots, total_ms);
    if cues.is_empty() {
        return Err(none());
    }
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/vtt; charset=utf-8")),
            // Tiles of more parts may come: a minute's cache.
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=60")),
        ],
        vtt::write(&cues),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_posters_and_sheets_are_served() {
        for ok in ["poster.jpg", "sheet-0.jpg", "sheet-12.jpg"] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in ["poster.png", "sheet-.jpg", "sheet-a.jpg", "sheet-0.jpg/..", "../x", "sheet-123456.jpg", ""] {
            assert!(!valid_name(bad), "{bad}");
        }
    }
}
