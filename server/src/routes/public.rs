//! Public reads: the streamer directory, profiles, replay lists, single replays.
//! Hidden and deleted replays never appear here.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use relive_api::{Replay, ReplayDetail, ReplayPage, Streamer, StreamerPage};

use super::{PageQuery, ReplayListParams, StreamerListParams};
use crate::AppState;
use crate::error::Failure;
use crate::store::{ReplayKey, ReplayRow, StreamerKey};

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
) -> Result<Json<ReplayPage>, Failure> {
    let q = PageQuery::from(q)?;
    let after = q.cursor(|t, id| Some(ReplayKey { start_time: t, id: id.parse().ok()? }))?;
    let limit = q.limit()?;
    let page = app.store.replays(id, after, limit).await?.ok_or_else(|| Failure::not_found("no such streamer"))?;
    let base = app.config.public_base();
    Ok(Json(ReplayPage {
        items: page.items.into_iter().map(|r| replay_json(r, base.as_deref())).collect(),
        next_cursor: page.next.map(|k| format!("{}.{}", k.start_time, k.id)),
    }))
}

#[utoipa::path(get, path = "/api/v1/replays/{id}", tag = "public", params(("id" = i64, Path)),
    responses((status = 200, body = ReplayDetail), (status = 404, body = relive_api::ApiError)))]
pub async fn replay(State(app): State<AppState>, Path(id): Path<String>) -> Result<Json<ReplayDetail>, Failure> {
    let gone = || Failure::not_found("no such replay");
    let id: i64 = id.parse().map_err(|_| gone())?;
    let row = app.store.replay(id).await?.filter(|r| !r.hidden).ok_or_else(gone)?;
    let streamer = app.store.streamer(row.streamer_id.clone()).await?.ok_or_else(gone)?;
    let base = app.config.public_base();
    Ok(Json(ReplayDetail { replay: replay_json(row, base.as_deref()), streamer }))
}

/// A stored replay as the API shows it: the default title filled in, and local paths
/// made absolute when a public URL is configured.
pub fn replay_json(r: ReplayRow, public_base: Option<&str>) -> Replay {
    let url = match public_base {
        Some(base) if r.url.starts_with('/') => format!("{base}{}", r.url),
        _ => r.url,
    };
    let title_is_default = r.title.as_deref().is_none_or(|t| t.trim().is_empty());
    Replay {
        id: r.id,
        title: if title_is_default { utc_minute(r.start_time) } else { r.title.unwrap_or_default() },
        title_is_default,
        streamer_id: r.streamer_id,
        format: r.format,
        url,
        start_time: r.start_time,
        end_time: r.end_time,
        duration_secs: r.duration_ms as f64 / 1000.0,
        size_bytes: r.size_bytes,
        status: r.status,
        failure: None,
        codecs: r.facts.as_ref().map(|f| f.codecs.clone()),
        width: r.facts.as_ref().map(|f| f.width).filter(|w| *w > 0),
        height: r.facts.as_ref().map(|f| f.height).filter(|h| *h > 0),
        formats: vec![r.format],
        parts: Vec::new(),
        gaps: Vec::new(),
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
