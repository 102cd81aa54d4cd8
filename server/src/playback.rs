//! What the player needs beyond a replay's file (and `hls_facts`, a playlist's facts
//! wherever it lives):
//! Both are per file: `{id}` is a part's id (a replay's parts link to them; a one-part
//! replay's id is its part's).
//! - `GET /api/v1/replays/{id}/keyframes`: every keyframe's time and byte offset of an
//!   FLV replay, computed once (reading a local file, or streaming a remote one in the
//!   background with bounded memory) and kept in the database;
//! - `GET /api/v1/replays/{id}/mp4`: a progressive MP4 of a local FLV replay, made by a
//!   durable job on first request and kept in the media store (`derived/mp4/{id}.mp4`),
//!   for browsers without Media Source Extensions and for downloads.

use std::path::{Component, Path, PathBuf};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Path as UrlPath, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use relive_api::{KeyframeIndex, ReplayFormat};

use crate::AppState;
use crate::error::Failure;
use crate::jobs::{Failed, Job};
use crate::store::{KeyframeIndexState, ReplayRow, unix_now};
use crate::{probe, storage};

/// Where a replay's file is.
#[derive(Debug, PartialEq)]
pub enum Location {
    Local(PathBuf),
    Remote(String),
}

/// A replay URL as a file under the media dir (paths `/media/...`, or the public URL's),
/// or a remote http(s) URL. `None` for a path that would leave the media dir.
pub fn locate(url: &str, media_dir: &Path, public_base: Option<&str>) -> Option<Location> {
    let local =
        url.strip_prefix("/media/").or_else(|| public_base.and_then(|b| url.strip_prefix(b)?.strip_prefix("/media/")));
    match local {
        Some(rel) => {
            let rel = Path::new(rel);
            rel.components().all(|c| matches!(c, Component::Normal(_))).then(|| Location::Local(media_dir.join(rel)))
        }
        None if url.starts_with("http://") || url.starts_with("https://") => Some(Location::Remote(url.to_string())),
        None => None,
    }
}

/// Builds and stores the index of a replay; returns it.
pub async fn build_index(app: &AppState, replay: i64, url: &str) -> Result<KeyframeIndex, String> {
    let result = match locate(url, &app.config.media_dir, app.config.public_base().as_deref()) {
        Some(Location::Local(path)) => tokio::task::spawn_blocking(move || probe::flv_file(&path))
            .await
            .unwrap_or_else(|e| Err(e.to_string()))
            .map(|flv| probe::keyframes(&flv)),
        // Signed for the CDN's hotlink protection when configured (`Config::fetch_url`).
        Some(Location::Remote(url)) => probe::flv_url(app.jobs.http(), &app.config.fetch_url(&url, unix_now()))
            .await
            .map(|flv| probe::keyframes(&flv)),
        None => Err("the recording's URL points outside the media folder".into()),
    };
    match &result {
        Ok(ix) => {
            tracing::info!(replay, keyframes = ix.times_ms.len(), duration_ms = ix.duration_ms, "indexed")
        }
        Err(e) => tracing::warn!(replay, error = %e, "cannot index"),
    }
    if let Err(e) = app.store.save_keyframe_index(replay, result.clone()).await {
        tracing::error!(replay, error = %e, "cannot store the keyframe index");
    }
    result
}

/// The facts of an HLS replay's playlist, local (read from the media folder) or remote.
pub async fn hls_facts(app: &AppState, url: &str) -> Result<probe::HlsFacts, String> {
    match locate(url, &app.config.media_dir, app.config.public_base().as_deref()) {
        Some(Location::Local(_)) => {
            let root = app.config.media_dir.canonicalize().map_err(|e| format!("the media folder: {e}"))?;
            // The playlist's address on this server, which its URIs are resolved against.
            let address = format!("/media/{}", url.split_once("/media/").map_or("", |(_, rel)| rel));
            tokio::task::spawn_blocking(move || {
                let path = probe::local_file(&root, &address)?;
                probe::hls_file(&root, &path, &address).map(|h| h.facts)
            })
            .await
            .unwrap_or_else(|e| Err(e.to_string()))
        }
        Some(Location::Remote(url)) => {
            let config = app.config.clone();
            probe::hls_url(app.jobs.http(), &url, &move |u: &str| config.fetch_url(u, unix_now())).await
        }
        None => Err("the recording's URL points outside the media folder".into()),
    }
}

async fn visible_flv(app: &AppState, id: &str) -> Result<ReplayRow, Failure> {
    let gone = || Failure::not_found("no such replay");
    let id: i64 = id.parse().map_err(|_| gone())?;
    let replay = app.store.part(id).await?.filter(|r| !r.hidden).ok_or_else(gone)?;
    if replay.gone_at.is_some() {
        return Err(Failure::new(StatusCode::GONE, "gone", "this recording's file is no longer available"));
    }
    if replay.format != ReplayFormat::Flv {
        return Err(Failure::new(
            StatusCode::CONFLICT,
            "not_flv",
            "only FLV replays need this: the others play as they are",
        ));
    }
    Ok(replay)
}

#[utoipa::path(get, path = "/api/v1/replays/{id}/keyframes", tag = "public", params(("id" = i64, Path)),
    responses((status = 200, body = KeyframeIndex), (status = 202, description = "being built: ask again shortly"),
        (status = 404, body = relive_api::ApiError), (status = 409, body = relive_api::ApiError),
        (status = 410, body = relive_api::ApiError, description = "`gone`: the recording's file is gone"),
        (status = 422, body = relive_api::ApiError)))]
pub async fn keyframes(State(app): State<AppState>, UrlPath(id): UrlPath<String>) -> Result<Response, Failure> {
    let replay = visible_flv(&app, &id).await?;
    let unindexable = |e: String| Failure::new(StatusCode::UNPROCESSABLE_ENTITY, "unindexable", e);
    match app.store.keyframe_index(replay.id).await? {
        KeyframeIndexState::Ready(ix) => return Ok(Json(ix).into_response()),
        KeyframeIndexState::Failed(e) => return Err(unindexable(e)),
        KeyframeIndexState::Building => {}
    }
    match locate(&replay.url, &app.config.media_dir, app.config.public_base().as_deref()) {
        // A local file is quick to read: answer now.
        Some(Location::Local(_)) => {
            build_index(&app, replay.id, &replay.url).await.map(|ix| Json(ix).into_response()).map_err(unindexable)
        }
        _ => {
            app.jobs.enqueue(Job::IndexKeyframes { replay: replay.id, url: replay.url }).await;
            Ok((StatusCode::ACCEPTED, Json(serde_json::json!({"status": "indexing"}))).into_response())
        }
    }
}

/// How long `/mp4` waits for a copy being made before answering 503 (ask again).
pub const MP4_WAIT: Duration = Duration::from_secs(120);
/// How often a waiting `/mp4` looks.
const MP4_LOOK: Duration = Duration::from_millis(200);

#[utoipa::path(get, path = "/api/v1/replays/{id}/mp4", tag = "public", params(("id" = i64, Path)),
    responses((status = 200, content_type = "video/mp4"), (status = 206, description = "a range of it"),
        (status = 302, description = "with `--media-redirect`: to a presigned URL of the copy"),
        (status = 404, body = relive_api::ApiError),
        (status = 409, body = relive_api::ApiError), (status = 422, body = relive_api::ApiError),
        (status = 503, body = relive_api::ApiError, description = "`busy`: the copy is still being made, ask again")))]
/// The copy is a durable job (`Job::Mp4`): the first request queues it and waits for its
/// object (any instance may make it), later ones find it made. The answer is as before
/// jobs: the MP4, made on first request.
pub async fn mp4(State(app): State<AppState>, UrlPath(id): UrlPath<String>, req: Request) -> Result<Response, Failure> {
    let replay = visible_flv(&app, &id).await?;
    if !matches!(
        locate(&replay.url, &app.config.media_dir, app.config.public_base().as_deref()),
        Some(Location::Local(_))
    ) {
        return Err(Failure::new(
            StatusCode::CONFLICT,
            "not_local",
            "an MP4 is made only of recordings stored on this server",
        ));
    }
    let key = storage::mp4_key(replay.id);
    let store_down = |e: String| Failure::new(StatusCode::SERVICE_UNAVAILABLE, "storage", e);
    let deadline = Instant::now() + MP4_WAIT;
    let mut asked = false;
    loop {
        if app.media.head(&key).await.map_err(store_down)?.is_some() {
            return Ok(app.media.serve(&key, req, "video/mp4", "public, max-age=3600").await);
        }
        let job = app.store.job_outcome("mp4", replay.id).await?;
        match job {
            Some(j) if j.state == "queued" || j.state == "running" => {}
            Some(j) if j.failed_for_good() => {
                return Err(Failure::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "unconvertible",
                    j.last_error.unwrap_or_default(),
                ));
            }
            Some(j) if asked => {
                return Err(Failure::new(
                    StatusCode::BAD_GATEWAY,
                    "mp4_failed",
                    format!("the MP4 copy was not made: {}", j.last_error.unwrap_or_else(|| j.state.clone())),
                ));
            }
            _ => {
                app.jobs.enqueue(Job::Mp4 { part: replay.id }).await;
                asked = true;
                continue;
            }
        }
        if Instant::now() >= deadline {
            return Err(Failure::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "the MP4 copy is still being made: ask again shortly",
            ));
        }
        tokio::time::sleep(MP4_LOOK).await;
    }
}

/// The job `Job::Mp4`: an FLV part remuxed into a progressive MP4 (`moov` first), written
/// create-only to `derived/mp4/{part}.mp4`. The FLV is read from this machine's media
/// folder, or from the media store where it was uploaded. A second run (another
/// instance, a retry) finds the object there, or loses the create race: either is done.
pub async fn make_mp4_copy(app: &AppState, part: i64) -> Result<(), Failed> {
    let replay = match app.store.part(part).await {
        Ok(Some(p)) if p.gone_at.is_none() => p,
        Ok(_) => return Ok(()),
        Err(e) => return Err(Failed::Retry(format!("cannot read part {part}: {e}"))),
    };
    if replay.format != ReplayFormat::Flv {
        return Err(Failed::ForGood("only FLV replays get an MP4 copy".into()));
    }
    let key = storage::mp4_key(part);
    if app.media.head(&key).await?.is_some() {
        return Ok(());
    }
    let flv = match locate(&replay.url, &app.config.media_dir, app.config.public_base().as_deref()) {
        Some(Location::Local(path)) if path.is_file() => {
            tokio::fs::read(&path).await.map_err(|e| Failed::Retry(format!("cannot read the recording: {e}")))?
        }
        // Uploaded at ingest by the recorder's instance (`--media-store s3://…`).
        Some(Location::Local(_)) if app.media.is_object() => {
            let rel = replay.url.split_once("/media/").map_or("", |(_, r)| r);
            let rel = relive_api::percent::decode(rel).unwrap_or_default();
            app.media.get(&storage::media_key(&rel)).await?.to_vec()
        }
        Some(Location::Local(path)) => {
            return Err(Failed::ForGood(format!("the recording is not on this machine: {}", path.display())));
        }
        _ => return Err(Failed::ForGood("an MP4 is made only of recordings stored on this server".into())),
    };
    let started = Instant::now();
    let mp4 = tokio::task::spawn_blocking(move || relive_media::to_mp4(&flv).map_err(|e| e.to_string()))
        .await
        .map_err(|e| Failed::Retry(e.to_string()))?
        .map_err(Failed::ForGood)?;
    let bytes = mp4.len();
    let created = app.media.put_create(&key, mp4.into()).await?;
    tracing::info!(part, key, bytes, created, secs = started.elapsed().as_secs_f64(), "MP4 copy");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_local_and_remote_files() {
        let m = Path::new("/srv/media");
        assert_eq!(locate("/media/demo/a.flv", m, None), Some(Location::Local(m.join("demo/a.flv"))));
        assert_eq!(
            locate("https://replay.example.com/media/x.flv", m, Some("https://replay.example.com")),
            Some(Location::Local(m.join("x.flv")))
        );
        assert_eq!(
            locate("http://vod.example.com/x.flv", m, None),
            Some(Location::Remote("http://vod.example.com/x.flv".into()))
        );
        assert_eq!(locate("/media/../etc/passwd", m, None), None);
        assert_eq!(locate("/media//etc/passwd", m, None), None);
        assert_eq!(locate("file:///etc/passwd", m, None), None);
    }
}
