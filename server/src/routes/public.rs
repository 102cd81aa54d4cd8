//! Public reads: the streamer directory, profiles, replay lists, single replays.
//! A replay is a broadcast (its parts laid end to end by `crate::ingest::broadcast`).
//! Hidden and deleted replays never appear here.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use relive_api::{Replay, ReplayDetail, ReplayFormat, ReplayGap, ReplayPage, ReplayPart, Streamer, StreamerPage};

use super::admin::Admin;
use super::{PageQuery, ReplayListParams, StreamerListParams};
use crate::AppState;
use crate::config::Config;
use crate::error::Failure;
use crate::ingest::broadcast;
use crate::playback::{Location, locate};
use crate::store::unix_now;
use crate::store::{BroadcastRow, ReplayKey, StreamerKey};

#[utoipa::path(get, path = "/api/v1/streamers", tag = "public", params(StreamerListParams),
    responses((status = 200, body = StreamerPage), (status = 400, body = relive_api::ApiError)))]
pub async fn streamers(
    State(app): State<AppState>,
    q: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<StreamerPage>, Failure> {
    let q = PageQuery::from(q)?;
    let after = q.cursor(|t, id| Some(StreamerKey { created_at: t, id: id.to_string() }))?;
    let page = app.store.streamers(after, q.limit()?).await?;
    Ok(Json(StreamerPage { items: page.items, next_cursor: page.next.map(|k| format!("{}.{}", k.created_at, k.id)) }))
}

#[utoipa::path(get, path = "/api/v1/streamers/{id}", tag = "public", params(("id" = String, Path)),
    responses((status = 200, body = Streamer), (status = 404, body = relive_api::ApiError)))]
pub async fn streamer(State(app): State<AppState>, Path(id): Path<String>) -> Result<Json<Streamer>, Failure> {
    app.store.streamer(id).await?.map(Json).ok_or_else(|| Failure::not_found("no such streamer"))
}

#[utoipa::path(get, path = "/api/v1/streamers/{id}/replays", tag = "public",
    params(("id" = String, Path), ReplayListParams),
    responses((status = 200, body = ReplayPage), (status = 400, body = relive_api::ApiError), (status = 404, body = relive_api::ApiError)))]
pub async fn streamer_replays(
    State(app): State<AppState>,
    Path(id): Path<String>,
    q: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, Failure> {
    let q = PageQuery::from(q)?;
    let after = q.cursor(|t, id| Some(ReplayKey { sort_time: t, id: id.parse().ok()? }))?;
    let limit = q.limit()?;
    let page = app.store.broadcasts(id, after, limit).await?.ok_or_else(|| Failure::not_found("no such streamer"))?;
    let base = app.config.public_base();
    let mut items: Vec<Replay> =
        page.items.into_iter().map(|r| signed(replay_json(r, base.as_deref()), &app.config)).collect();
    // Posters and storyboards: one read for the whole page.
    crate::images::decorate(&app, &mut items).await;
    let page = ReplayPage { items, next_cursor: page.next.map(|k| format!("{}.{}", k.sort_time, k.id)) };
    Ok(uncached(Json(page), &app.config))
}

#[utoipa::path(get, path = "/api/v1/replays/{id}", tag = "public",
    params(("id" = i64, Path, description = "The replay's id, or the id of any of its parts, or of a replay merged into it")),
    responses((status = 200, body = ReplayDetail,
            description = "Remote recording URLs are signed for this request (see `ReplayPart.url_expires_at`). \
                With the admin token, a replay whose files are gone is given too, with `gone_at` (and its parts \
                gone with theirs)"),
        (status = 404, body = relive_api::ApiError),
        (status = 410, body = relive_api::ApiError,
            description = "`gone`: every recording of the replay is gone (deleted by its host, or past its storage time)")))]
pub async fn replay(State(app): State<AppState>, Path(id): Path<String>) -> Result<Json<ReplayDetail>, Failure> {
    replay_as(app, false, id).await
}

/// `GET /api/v1/replays/{id}` as routed: the admin's bearer token (when given and right)
/// shows a replay whose files are gone, with when they went.
pub async fn replay_or_admin(
    State(app): State<AppState>,
    admin: Result<Admin, Failure>,
    Path(id): Path<String>,
) -> Result<Response, Failure> {
    let config = app.config.clone();
    Ok(uncached(replay_as(app, admin.is_ok(), id).await?, &config))
}

/// A response with signed URLs is for its requester alone (a cache shared between
/// viewers would hand one signature to many: `rlimit` counts their addresses).
fn uncached(json: impl IntoResponse, config: &Config) -> Response {
    let mut res = json.into_response();
    if config.tencent_vod_key.is_some() {
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    }
    res
}

async fn replay_as(app: AppState, admin: bool, id: String) -> Result<Json<ReplayDetail>, Failure> {
    let gone = || Failure::not_found("no such replay");
    let id: i64 = id.parse().map_err(|_| gone())?;
    let row = match admin {
        true => app.store.broadcast_with_gone(id).await?,
        false => app.store.broadcast(id).await?,
    };
    let row = row.filter(|r| !r.hidden).ok_or_else(gone)?;
    if row.gone_at.is_some() && !admin {
        return Err(Failure::new(
            StatusCode::GONE,
            "gone",
            "this replay's recordings are no longer available: their host deleted them, or their storage time ran out",
        ));
    }
    let streamer = app.store.streamer(row.streamer_id.clone()).await?.ok_or_else(gone)?;
    let base = app.config.public_base();
    let mut replay = [signed(replay_json(row, base.as_deref()), &app.config)];
    crate::images::decorate(&app, &mut replay).await;
    let [replay] = replay;
    Ok(Json(ReplayDetail { replay, streamer }))
}

/// A replay's remote recording URLs signed for this request (Tencent VOD's Key hotlink
/// protection, `Config::vod_url`: a fresh `us` each, `url_expires_at` on the parts);
/// local ones as they are. The key itself never leaves the server.
pub fn signed(mut r: Replay, config: &Config) -> Replay {
    if config.tencent_vod_key.is_none() {
        return r;
    }
    let now = unix_now();
    let base = config.public_base();
    let remote = |url: &str| matches!(locate(url, &config.media_dir, base.as_deref()), Some(Location::Remote(_)));
    if remote(&r.url) {
        r.url = config.vod_url(&r.url, now).0;
    }
    for p in &mut r.parts {
        if remote(&p.url) {
            (p.url, p.url_expires_at) = config.vod_url(&p.url, now);
        }
    }
    r
}

/// A stored broadcast as the API shows it: its parts laid end to end with the gaps
/// between them, the first part's facts, the default title filled in, and local paths
/// made absolute when a public URL is configured.
pub fn replay_json(b: BroadcastRow, public_base: Option<&str>) -> Replay {
    let absolute = |url: String| match public_base {
        Some(base) if url.starts_with('/') => format!("{base}{url}"),
        _ => url,
    };
    let spans: Vec<(i64, i64, u64)> = b.parts.iter().map(|p| (p.start_time, p.end_time, p.duration_ms)).collect();
    let layout = broadcast::layout(&spans);
    let first = b.parts.first();
    let start_time = first.map_or(b.started_at.unwrap_or(b.sort_time), |p| p.start_time);
    let end_time = match b.parts.iter().map(|p| p.end_time).max() {
        Some(end) => end,
        None => b.ended_at.or(b.started_at).unwrap_or(start_time),
    };
    let mut formats: Vec<ReplayFormat> = Vec::new();
    for p in &b.parts {
        if !formats.contains(&p.format) {
            formats.push(p.format);
        }
    }
    let title_is_default = b.title.as_deref().is_none_or(|t| t.trim().is_empty());
    let facts = first.and_then(|p| p.facts.clone());
    Replay {
        id: b.id,
        title: if title_is_default { utc_minute(start_time) } else { b.title.unwrap_or_default() },
        title_is_default,
        streamer_id: b.streamer_id,
        format: first.map_or(ReplayFormat::Flv, |p| p.format),
        formats,
        url: first.map(|p| absolute(p.url.clone())).unwrap_or_default(),
        start_time,
        end_time,
        duration_secs: b.parts.iter().map(|p| p.duration_ms).sum::<u64>() as f64 / 1000.0,
        size_bytes: b.parts.iter().map(|p| p.size_bytes).sum(),
        status: b.status,
        failure: b.failure.filter(|_| b.status == relive_api::ReplayStatus::Failed),
        codecs: facts.as_ref().map(|f| f.codecs.clone()).filter(|c| !c.is_empty()),
        width: facts.as_ref().map(|f| f.width).filter(|w| *w > 0),
        height: facts.as_ref().map(|f| f.height).filter(|h| *h > 0),
        gaps: layout.gaps.iter().map(|&(at_secs, duration_secs)| ReplayGap { at_secs, duration_secs }).collect(),
        parts: b
            .parts
            .into_iter()
            .zip(layout.offsets)
            .map(|(p, offset_secs)| ReplayPart {
                id: p.id,
                format: p.format,
                url: absolute(p.url),
                offset_secs,
                duration_secs: p.duration_ms as f64 / 1000.0,
                size_bytes: p.size_bytes,
                start_time: p.start_time,
                end_time: p.end_time,
                keyframes_url: (p.format == ReplayFormat::Flv).then(|| format!("/api/v1/replays/{}/keyframes", p.id)),
                codecs: p.facts.map(|f| f.codecs).filter(|c| !c.is_empty()),
                url_expires_at: None,
                gone_at: p.gone_at,
            })
            .collect(),
        poster_url: None,
        storyboard_url: None,
        gone_at: b.gone_at,
    }
}

/// `YYYY-MM-DD HH:MM UTC` for a Unix time.
pub fn utc_minute(t: i64) -> String {
    let c = relive_api::time::civil(t);
    format!("{:04}-{:02}-{:02} {:02}:{:02} UTC", c.year, c.month, c.day, c.hour, c.minute)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_minute_formats_known_dates() {
        assert_eq!(utc_minute(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_minute(1_473_135_647), "2016-09-06 04:20 UTC");
        assert_eq!(utc_minute(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(utc_minute(-1), "1969-12-31 23:59 UTC");
    }
}
