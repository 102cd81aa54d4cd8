//! `GET /api/v1/openapi.json`: the API described from the same types it serves.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{admin, public};

#[derive(OpenApi)]
#[openapi(
    info(title = "Relive API", description = DESCRIPTION),
    paths(
        public::streamers, public::streamer, public::streamer_replays, public::replay,
        crate::playback::keyframes, crate::playback::mp4, crate::download::download, crate::images::storyboard,
        crate::oembed::oembed,
        admin::put_streamer, admin::patch_replay, admin::delete_replay, admin::delete_part, admin::push_url,
    ),
    components(schemas(
        relive_api::Streamer, relive_api::StreamerPage, relive_api::Replay, relive_api::ReplayPage,
        relive_api::ReplayDetail, relive_api::ReplayFormat, relive_api::ReplayStatus, relive_api::ApiError,
        relive_api::ReplayPart, relive_api::ReplayGap,
        relive_api::StreamerUpdate, relive_api::ReplayUpdate, relive_api::PushUrlRequest, relive_api::PushUrl,
        relive_api::RecordFormat, relive_api::KeyframeIndex, relive_api::OEmbed,
    )),
    modifiers(&AdminAuth),
    tags((name = "public", description = "Reads anyone may make"), (name = "admin", description = "Writes that need the admin token")),
)]
pub struct ApiDoc;

/// The document's description: what a replay is, and what changed when it became a broadcast.
const DESCRIPTION: &str = "Replay lists of streamers' recorded broadcasts.

A replay is one broadcast: the recordings (parts) of one push, or of pushes restarted \
within the server's --broadcast-gap. Since issue 13 (before, a replay was one file):

- `parts` are the recordings in timeline order, laid end to end: `offset_secs` is where a \
part starts on the replay's timeline; `gaps` tell where wall-clock time was lost between \
two parts (not played). The same time recorded twice (two templates, or a DVR file beside \
an HLS recording) is kept once on the timeline.
- `format`, `url`, `codecs`, `width`, `height` are the first part's (for a one-part replay, \
exactly what they were); `formats` lists every part's container; `start_time` is the first \
part's start and `end_time` the last part's end (the push's, before any part is in); \
`duration_secs` and `size_bytes` are sums over the parts.
- `status` is `recording`, `processing` (the push ended, files are still coming), `ready` \
or `failed` (with `failure`, the reason). A replay being recorded may have no parts yet.
- A replay's id stays: it is its first recording's id, and the id of any of its parts, or \
of a replay later merged into it, finds it too. `/replays/{id}/keyframes` and \
`/replays/{id}/mp4` are per file: `{id}` is a part's id (a part's `keyframes_url`).
- Lists are ordered by when a replay was first known (`next_cursor` stays valid while \
parts arrive); a streamer's `replay_count` and `total_duration_secs` count replays, not files.
- `GET /replays/{id}/download.mp4` (any of the replay's ids) is the whole replay as one \
MP4, remuxed from its parts while it is sent (chunked, no length; a failure after the \
first byte ends it early).
- `poster_url` is a picture of the replay (a frame a few seconds into its first part, made \
by the server, else the recording service's first good screenshot); `storyboard_url` \
(`GET /replays/{id}/storyboard.vtt`) is a WebVTT storyboard on the replay's timeline for \
seek-bar previews: cues end to end, each an image URL with a `#xywh=x,y,w,h` fragment.
- Admin: `PATCH`/`DELETE /replays/{id}` act on the whole replay; \
`DELETE /replays/{id}/parts/{part_id}` removes one part.";

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
