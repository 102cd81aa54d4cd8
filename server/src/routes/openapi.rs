//! `GET /api/v1/openapi.json`: the API described from the same types it serves.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{admin, public};

#[derive(OpenApi)]
#[openapi(
    info(title = "Relive API", description = "Replay lists of streamers' recorded broadcasts."),
    paths(
        public::streamers, public::streamer, public::streamer_replays, public::replay,
        crate::playback::keyframes, crate::playback::mp4,
        admin::put_streamer, admin::patch_replay, admin::delete_replay, admin::push_url,
    ),
    components(schemas(
        relive_api::Streamer, relive_api::StreamerPage, relive_api::Replay, relive_api::ReplayPage,
        relive_api::ReplayDetail, relive_api::ReplayFormat, relive_api::ReplayStatus, relive_api::ApiError,
        relive_api::StreamerUpdate, relive_api::ReplayUpdate, relive_api::PushUrlRequest, relive_api::PushUrl,
        relive_api::RecordFormat, relive_api::KeyframeIndex,
    )),
    modifiers(&AdminAuth),
    tags((name = "public", description = "Reads anyone may make"), (name = "admin", description = "Writes that need the admin token")),
)]
pub struct ApiDoc;

struct AdminAuth;

impl Modify for AdminAuth {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "admin",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
