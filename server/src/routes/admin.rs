//! Admin writes, behind `Authorization: Bearer <--admin-token>` (compared in constant time).

use axum::Json;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use relive_api::{PushUrl, PushUrlRequest, ReplayUpdate, Streamer, StreamerUpdate, limits};

use super::JsonBody;
use crate::AppState;
use crate::error::Failure;
use crate::hooks::http_url;
use crate::signing::{constant_time_eq, tencent_push_url};
use crate::store::{PartDeleted, ReplayChange, unix_now};

/// Proof that the request carries the admin token. Never logged.
pub struct Admin;

impl FromRequestParts<AppState> for Admin {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Self::Rejection> {
        let Some(token) = app.config.admin_token.as_deref().filter(|t| !t.is_empty()) else {
            return Err(Failure::unauthorized(
                "unauthorized",
                "the admin API is closed: start the server with --admin-token",
            ));
        };
        let given = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if constant_time_eq(given.trim().as_bytes(), token.as_bytes()) {
            Ok(Admin)
        } else {
            Err(Failure::unauthorized(
                "unauthorized",
                "a valid `Authorization: Bearer <admin token>` header is required",
            ))
        }
    }
}

#[utoipa::path(put, path = "/api/v1/streamers/{id}", tag = "admin",
    params(("id" = String, Path, description = "The stream id: 1 to 128 characters, not only spaces, no control characters, not `.` or `..`",
        pattern = r"^(?!\.\.?$)(?=.*\S)[^\x00-\x1f\x7f-\x9f]{1,128}$")),
    request_body = StreamerUpdate, security(("admin" = [])),
    responses((status = 200, body = Streamer), (status = 400, body = relive_api::ApiError), (status = 401, body = relive_api::ApiError)))]
pub async fn put_streamer(
    _: Admin,
    State(app): State<AppState>,
    Path(id): Path<String>,
    JsonBody(update): JsonBody<StreamerUpdate>,
) -> Result<Json<Streamer>, Failure> {
    if let Some(why) = limits::stream_id_problem(&id) {
        return Err(Failure::invalid("id", why));
    }
    let update = validate_profile(update)?;
    app.store.put_streamer(id.clone(), update).await?;
    let saved = app.store.streamer(id).await?.ok_or_else(|| Failure::not_found("no such streamer"))?;
    Ok(Json(saved))
}

/// Trims and bounds a profile; avatar URLs must be http(s).
pub fn validate_profile(u: StreamerUpdate) -> Result<StreamerUpdate, Failure> {
    let display_name = u.display_name.trim().to_string();
    if display_name.is_empty() || display_name.chars().count() > limits::DISPLAY_NAME_MAX {
        return Err(Failure::invalid("display_name", format!("must be 1 to {} characters", limits::DISPLAY_NAME_MAX)));
    }
    if u.bio.chars().count() > limits::BIO_MAX {
        return Err(Failure::invalid("bio", format!("must be at most {} characters", limits::BIO_MAX)));
    }
    let avatar_url = match u.avatar_url.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) if s.chars().count() > limits::URL_MAX => {
            return Err(Failure::invalid("avatar_url", format!("must be at most {} characters", limits::URL_MAX)));
        }
        Some(s) => Some(http_url("avatar_url", s)?),
    };
    Ok(StreamerUpdate { display_name, avatar_url, bio: u.bio.trim_end().to_string() })
}

#[utoipa::path(patch, path = "/api/v1/replays/{id}", tag = "admin",
    params(("id" = i64, Path, description = "The replay's id (or any id that finds it, as for GET)")),
    request_body = ReplayUpdate, security(("admin" = [])),
    responses((status = 204), (status = 400, body = relive_api::ApiError), (status = 401, body = relive_api::ApiError), (status = 404, body = relive_api::ApiError)))]
pub async fn patch_replay(
    _: Admin,
    State(app): State<AppState>,
    Path(id): Path<String>,
    JsonBody(update): JsonBody<ReplayUpdate>,
) -> Result<StatusCode, Failure> {
    let id = replay_id(&id)?;
    let title = match update.title {
        None => None,
        Some(t) if t.trim().is_empty() => Some(None),
        Some(t) if t.trim().chars().count() > limits::TITLE_MAX => {
            return Err(Failure::invalid("title", format!("must be at most {} characters", limits::TITLE_MAX)));
        }
        Some(t) => Some(Some(t.trim().to_string())),
    };
    let found = app.store.change_broadcast(id, ReplayChange { title, hidden: update.hidden }).await?;
    if found { Ok(StatusCode::NO_CONTENT) } else { Err(Failure::not_found("no such replay")) }
}

#[utoipa::path(delete, path = "/api/v1/replays/{id}", tag = "admin",
    params(("id" = i64, Path, description = "The replay's id (or any id that finds it, as for GET)")),
    security(("admin" = [])),
    responses((status = 204, description = "The replay and all its parts are deleted"),
        (status = 401, body = relive_api::ApiError), (status = 404, body = relive_api::ApiError)))]
pub async fn delete_replay(
    _: Admin,
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, Failure> {
    let id = replay_id(&id)?;
    if app.store.delete_broadcast(id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Failure::not_found("no such replay"))
    }
}

#[utoipa::path(delete, path = "/api/v1/replays/{id}/parts/{part_id}", tag = "admin",
    params(("id" = i64, Path, description = "The replay's id (or any id that finds it, as for GET)"),
        ("part_id" = i64, Path, description = "The id of one of its parts")),
    security(("admin" = [])),
    responses((status = 204, description = "The part is deleted: the replay is shorter, or, if it was its last part, deleted too"),
        (status = 401, body = relive_api::ApiError), (status = 404, body = relive_api::ApiError)))]
pub async fn delete_part(
    _: Admin,
    State(app): State<AppState>,
    Path((id, part_id)): Path<(String, String)>,
) -> Result<StatusCode, Failure> {
    let (id, part_id) = (replay_id(&id)?, replay_id(&part_id)?);
    match app.store.delete_part(id, part_id).await? {
        PartDeleted::NotFound => Err(Failure::not_found("no such part of this replay")),
        PartDeleted::Deleted | PartDeleted::BroadcastDeleted => Ok(StatusCode::NO_CONTENT),
    }
}

/// Default and largest validity of a push URL.
const PUSH_URL_DEFAULT_SECS: u64 = 24 * 3600;
const PUSH_URL_MAX_SECS: u64 = 30 * 24 * 3600;

#[utoipa::path(post, path = "/api/v1/streamers/{id}/push-url", tag = "admin",
    params(("id" = String, Path, pattern = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")),
    request_body = PushUrlRequest, security(("admin" = [])),
    responses((status = 200, body = PushUrl), (status = 400, body = relive_api::ApiError), (status = 401, body = relive_api::ApiError), (status = 409, body = relive_api::ApiError)))]
pub async fn push_url(
    _: Admin,
    State(app): State<AppState>,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<PushUrlRequest>,
) -> Result<Json<PushUrl>, Failure> {
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c)) {
        return Err(Failure::invalid("id", "a stream id in a push URL may use only letters, digits, `_`, `-` and `.`"));
    }
    let valid = req.valid_secs.unwrap_or(PUSH_URL_DEFAULT_SECS);
    if valid == 0 || valid > PUSH_URL_MAX_SECS {
        return Err(Failure::invalid("valid_secs", format!("must be from 1 to {PUSH_URL_MAX_SECS}")));
    }
    let expires_at = unix_now() + valid as i64;
    let config = &app.config;
    match (config.push_domain.as_deref(), config.tencent_push_key.as_deref(), config.rtmp_url.as_deref()) {
        (Some(domain), Some(key), _) => {
            Ok(Json(PushUrl { url: tencent_push_url(domain, key, &id, expires_at, req.record.as_str()), expires_at }))
        }
        // A local nginx-rtmp or SRS: no signature, and no expiry of its own.
        (_, _, Some(base)) => Ok(Json(PushUrl {
            url: format!("{}/{id}?record={}", base.trim_end_matches('/'), req.record.as_str()),
            expires_at,
        })),
        _ => Err(Failure::new(
            StatusCode::CONFLICT,
            "not_configured",
            "push URLs need --push-domain with --tencent-push-key, or --rtmp-url for a local nginx-rtmp or SRS",
        )),
    }
}

fn replay_id(s: &str) -> Result<i64, Failure> {
    s.parse().map_err(|_| Failure::not_found("no such replay"))
}
