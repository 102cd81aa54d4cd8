//! `GET /api/v1/replays/{id}/download.mp4`: a whole broadcast as one fragmented MP4,
//! remuxed from its parts while it is sent, for streamers keeping their own copy.
//!
//! **Before the first byte** (failures are JSON `ApiError`s): the broadcast is found as
//! `GET /replays/{id}` finds it (its id, a merged one's, a part's; hidden or deleted: 404);
//! it needs a part (409 `no_parts`); then every part's codec configuration is read — an
//! FLV's sequence headers (its first bytes), an MP4's `moov`, an HLS playlist and the head
//! of its first segment — which also shows each part can be reached: 422 `unremuxable`
//! for a part that is gone or cannot be remuxed (HEVC, fMP4 HLS segments, …), with the
//! reason; 422 `mixed_configurations` when a part is encoded otherwise than the first
//! (another resolution, profile or sample rate: see below); 502 `upstream` when a remote
//! part's host fails; 503 `busy` past [`MAX_DOWNLOADS`] at once.
//!
//! **Then** `200`, `Content-Type: video/mp4`, `Content-Disposition: attachment` with
//! `<streamer>-<YYYYMMDD-HHMM>.mp4` (UTC start; RFC 5987 `filename*` for other
//! characters), no `Content-Length` (chunked). The body is one init segment (the first
//! part's, with the broadcast's duration in `mvhd` and `mehd`), then `moof`+`mdat`
//! fragments: each part in timeline order, read in chunks (a local file with `tokio::fs`,
//! a remote one streamed with the shared HTTP client of [`crate::jobs`], its timeouts)
//! and remuxed as it arrives by its own remuxer, placed at its offset on the broadcast's
//! timeline — or where the part before really ended, if later (a part's media lasts a
//! little longer than its stored duration: the AAC priming, the B-frame delay) — so
//! decode times only increase. `relive_media::mp4::join::Joiner` keeps one init segment
//! and renumbers each fragment's `mfhd`. FLV: `Remuxer::set_place`. MP4: the `moov`
//! (local: read where it is; remote: the head, then one Range request if it lies after
//! the `mdat`), `Mp4Remuxer::set_time_offset`, then only the bytes its samples lie in.
//! HLS: the playlist (a master's first variant), each TS segment through
//! `TsRemuxer::begin_segment(place + segment start, discontinuity)`.
//!
//! **One configuration.** A file has one sample description per track, so every part
//! must decode under the first part's: the same H.264 SPS and PPS, the same AAC
//! configuration (`join::same_configuration`; bytes that only repeat these may differ,
//! as between an FLV and an HLS recording of one encoder). A broadcast whose parts
//! differ is refused before the first byte, naming both, rather than written with several
//! sample descriptions: players handle those badly or not at all (a switch of
//! description between fragments), and a clear refusal beats a file that breaks halfway.
//! The parts stay downloadable one by one.
//!
//! **Memory** stays at a few MB whatever the broadcast's length: one chunk read
//! ([`CHUNK`]), the remuxer's samples in flight (at most one batch, ~1 s of media; an
//! MP4 part's sample tables, ~11 bytes a sample), and at most [`QUEUED`] fragments
//! waiting for the client (the channel blocks the remux when the client reads slowly).
//!
//! **Mid-stream failures** (a part gone since, a host failing, corrupt media) end the
//! body early — the client sees a broken chunked transfer, a truncated download — and
//! are logged with the replay and part. A recording cut off at its end (the last tag or
//! sample incomplete) is not a failure: everything before it is sent. A damaged TS
//! segment (garbage in the stream) is logged and passed over, as a player would.

use std::path::PathBuf;

use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use futures_util::StreamExt;
use relive_api::ReplayFormat;
use relive_media::hls::MediaPlaylist;
use relive_media::mp4::demux::{MoovLocation, Mp4Remuxer, locate_moov};
use relive_media::mp4::join::{Joiner, describe, same_configuration};
use relive_media::ts::TsRemuxer;
use relive_media::{ErrorKind, Output, Remuxer};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio::sync::{Semaphore, SemaphorePermit, mpsc};

use crate::AppState;
use crate::error::Failure;
use crate::ingest::broadcast;
use crate::playback::{Location, locate};
use crate::probe;
use crate::store::{ReplayRow, unix_now};

/// Bytes read at a time from a local file (a remote one comes as the network gives it).
pub const CHUNK: usize = 256 * 1024;
/// Fragments produced and not yet taken by the client.
pub const QUEUED: usize = 2;
/// Downloads at once; more get 503 (each holds a few MB and a remux's CPU).
pub const MAX_DOWNLOADS: usize = 8;
/// Parts whose configurations are read at once before answering.
const PREFLIGHT_AT_ONCE: usize = 4;
/// An FLV's or a TS segment's configurations are looked for in this many first bytes.
const HEAD_LIMIT: u64 = 4 * 1024 * 1024;
/// The largest `moov` read (a 3-hour recording's is ~7 MB).
const MAX_MOOV: u64 = 64 * 1024 * 1024;

static SLOTS: Semaphore = Semaphore::const_new(MAX_DOWNLOADS);

#[utoipa::path(get, path = "/api/v1/replays/{id}/download.mp4", tag = "public",
    params(("id" = i64, Path, description = "The replay's id, or the id of any of its parts, or of a replay merged into it")),
    responses(
        (status = 200, content_type = "video/mp4",
            description = "The whole replay as one fragmented MP4 (one init segment, then moof+mdat fragments), \
                remuxed from its parts while it is sent: no Content-Length, `Content-Disposition: attachment` \
                with `<streamer>-<YYYYMMDD-HHMM>.mp4`. A failure after the first byte ends the body early \
                (a truncated download)."),
        (status = 404, body = relive_api::ApiError, description = "No such replay (or hidden)"),
        (status = 410, body = relive_api::ApiError, description = "`gone`: every recording of the replay is gone"),
        (status = 409, body = relive_api::ApiError, description = "`no_parts`: the replay has no recording yet"),
        (status = 422, body = relive_api::ApiError,
            description = "`unremuxable`: a part is gone or cannot be remuxed (the reason names it); \
                `mixed_configurations`: a part is encoded otherwise than the first"),
        (status = 502, body = relive_api::ApiError, description = "`upstream`: a remote part's host failed"),
        (status = 503, body = relive_api::ApiError, description = "`busy`: too many downloads at once"),
    ))]
pub async fn download(State(app): State<AppState>, UrlPath(id): UrlPath<String>) -> Result<Response, Failure> {
    let gone = || Failure::not_found("no such replay");
    let id: i64 = id.parse().map_err(|_| gone())?;
    let b = app.store.broadcast(id).await?.filter(|r| !r.hidden).ok_or_else(gone)?;
    if b.gone_at.is_some() {
        return Err(Failure::new(StatusCode::GONE, "gone", "this replay's recordings are no longer available"));
    }
    app.store.streamer(b.streamer_id.clone()).await?.ok_or_else(gone)?;
    if b.parts.is_empty() {
        return Err(Failure::new(StatusCode::CONFLICT, "no_parts", "this replay has no recording yet"));
    }
    let permit = SLOTS.try_acquire().map_err(|_| {
        Failure::new(StatusCode::SERVICE_UNAVAILABLE, "busy", "too many downloads at once: try again in a minute")
    })?;
    let spans: Vec<(i64, i64, u64)> = b.parts.iter().map(|p| (p.start_time, p.end_time, p.duration_ms)).collect();
    let offsets = broadcast::layout(&spans).offsets;
    let duration_ms: u64 = b.parts.iter().map(|p| p.duration_ms).sum();
    let (replay, start_time) = (b.id, b.parts[0].start_time);
    let parts: Vec<Part> = b
        .parts
        .into_iter()
        .zip(offsets)
        .map(|(row, at)| Part { offset_ms: (at * 1000.0).round() as i64, row })
        .collect();

    // Every part's configuration, before answering (a few parts read at once: remote
    // ones are a request or two each), compared with the first part's.
    let wanted: Vec<(i64, ReplayFormat, String)> =
        parts.iter().map(|p| (p.row.id, p.row.format, p.row.url.clone())).collect();
    let shared = app.clone();
    let mut inits = futures_util::stream::iter(wanted)
        .map(move |(id, format, url)| {
            let app = shared.clone();
            async move { configuration(&app, format, &url).await.map_err(|e| e.failure(id)) }
        })
        .buffered(PREFLIGHT_AT_ONCE);
    let mut first: Option<(i64, Vec<u8>)> = None;
    for part in &parts {
        let Some(init) = inits.next().await else { break };
        let init = init?;
        match &first {
            None => first = Some((part.row.id, init)),
            Some((first_id, first_init)) => {
                if !same_configuration(first_init, &init).unwrap_or(false) {
                    let said = |i: &[u8]| describe(i).unwrap_or_else(|e| e.to_string());
                    return Err(Failure::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "mixed_configurations",
                        format!(
                            "part {} is encoded otherwise than part {first_id} ({} against {}): one MP4 holds one \
                             configuration; download the parts one by one",
                            part.row.id,
                            said(&init),
                            said(first_init)
                        ),
                    ));
                }
            }
        }
    }
    drop(inits);

    let (tx, rx) = mpsc::channel(QUEUED);
    tokio::spawn(produce(app.clone(), replay, parts, (duration_ms > 0).then_some(duration_ms), tx, permit));
    let body = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
    let mut res = Response::new(Body::from_stream(body));
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("video/mp4"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&content_disposition(&b.streamer_id, start_time)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

/// `attachment; filename="<streamer>-<YYYYMMDD-HHMM>.mp4"` (UTC), the name ASCII-safe
/// (letters, digits, `-`, `_`, `.`; others become `_`), with RFC 5987's
/// `filename*=UTF-8''…` carrying the real name when it differs.
pub fn content_disposition(streamer: &str, start_time: i64) -> String {
    let c = relive_api::time::civil(start_time);
    let when = format!("{:04}{:02}{:02}-{:02}{:02}", c.year, c.month, c.day, c.hour, c.minute);
    let safe: String =
        streamer.chars().map(|ch| if ch.is_ascii_alphanumeric() || "-_.".contains(ch) { ch } else { '_' }).collect();
    let safe = if safe.chars().any(|c| c.is_ascii_alphanumeric()) { safe } else { "replay".to_string() };
    let name = format!("{streamer}-{when}.mp4");
    let ascii = format!("{safe}-{when}.mp4");
    if ascii == name {
        format!("attachment; filename=\"{ascii}\"")
    } else {
        format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", relive_api::percent::encode(&name))
    }
}

/// A part on the broadcast's timeline.
struct Part {
    row: ReplayRow,
    offset_ms: i64,
}

/// Where bytes come from.
#[derive(Clone, Debug)]
enum Source {
    Local(PathBuf),
    Remote(String),
}

/// Why a part cannot be read: the status and error code it answers before the first
/// byte, and the reason.
#[derive(Debug)]
struct PartError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl PartError {
    fn unremuxable(message: impl Into<String>) -> Self {
        PartError { status: StatusCode::UNPROCESSABLE_ENTITY, code: "unremuxable", message: message.into() }
    }

    fn upstream(message: impl Into<String>) -> Self {
        PartError { status: StatusCode::BAD_GATEWAY, code: "upstream", message: message.into() }
    }

    fn media(e: relive_media::Error) -> Self {
        Self::unremuxable(e.to_string())
    }

    fn failure(self, part: i64) -> Failure {
        Failure::new(self.status, self.code, format!("part {part}: {}", self.message))
    }
}

impl std::fmt::Display for PartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The media folder, canonical (what `/media/` serves).
fn media_root(app: &AppState) -> Result<PathBuf, PartError> {
    app.config.media_dir.canonicalize().map_err(|e| PartError::unremuxable(format!("the media folder: {e}")))
}

/// A local address (`/media/a%20b/c.flv`) as the file it names in the media folder.
fn local_file(root: &std::path::Path, address: &str) -> Result<PathBuf, PartError> {
    let path = address.split(['?', '#']).next().unwrap_or("");
    path.strip_prefix("/media/")
        .and_then(relive_api::percent::decode)
        .and_then(|rel| crate::media::resolve(root, &rel))
        .ok_or_else(|| PartError::unremuxable(format!("{address} is not a file in the media folder (deleted?)")))
}

/// A part's URL as a file here (with its `/media/...` address) or a remote URL.
fn part_source(app: &AppState, url: &str) -> Result<(Source, Option<String>), PartError> {
    match locate(url, &app.config.media_dir, app.config.public_base().as_deref()) {
        Some(Location::Local(_)) => {
            let address = format!("/media/{}", url.split_once("/media/").map_or("", |(_, rel)| rel));
            Ok((Source::Local(local_file(&media_root(app)?, &address)?), Some(address)))
        }
        Some(Location::Remote(url)) => Ok((Source::Remote(url), None)),
        None => Err(PartError::unremuxable("its URL points outside the media folder")),
    }
}

/// Bytes of a file from an offset, in chunks, up to a length.
enum Reader {
    Local { file: tokio::fs::File, left: Option<u64> },
    Remote { resp: reqwest::Response, skip: u64, left: Option<u64>, url: String },
}

impl Reader {
    /// From byte `from`, `len` bytes (to the end when `None`). A remote file is asked
    /// for with a Range header; a host that ignores it is read from the start, the bytes
    /// before `from` dropped.
    async fn open(app: &AppState, source: &Source, from: u64, len: Option<u64>) -> Result<Reader, PartError> {
        match source {
            Source::Local(path) => {
                let name = path.file_name().unwrap_or_default().to_string_lossy();
                let mut file = tokio::fs::File::open(path)
                    .await
                    .map_err(|e| PartError::unremuxable(format!("cannot open its file {name}: {e}")))?;
                if from > 0 {
                    file.seek(std::io::SeekFrom::Start(from))
                        .await
                        .map_err(|e| PartError::unremuxable(format!("cannot read the recording: {e}")))?;
                }
                Ok(Reader::Local { file, left: len })
            }
            Source::Remote(url) => {
                // Signed at each request (a long download outlives a signature); errors
                // name the URL as stored.
                let mut req = app.jobs.http().get(app.config.fetch_url(url, unix_now()));
                if from > 0 || len.is_some() {
                    let end = len.map_or(String::new(), |n| (from + n.max(1) - 1).to_string());
                    req = req.header(header::RANGE, format!("bytes={from}-{end}"));
                }
                let resp = req
                    .send()
                    .await
                    .map_err(|e| PartError::upstream(format!("cannot fetch {url}: {}", e.without_url())))?;
                let status = resp.status();
                let skip = match status {
                    StatusCode::PARTIAL_CONTENT => 0,
                    StatusCode::OK => from,
                    s if s.is_client_error() => {
                        return Err(PartError::unremuxable(format!("fetching {url} answered {s}")));
                    }
                    s => return Err(PartError::upstream(format!("fetching {url} answered {s}"))),
                };
                Ok(Reader::Remote { resp, skip, left: len, url: url.clone() })
            }
        }
    }

    /// The next chunk; `None` at the end (of the file, or of the length asked for).
    async fn next(&mut self) -> Result<Option<Bytes>, PartError> {
        match self {
            Reader::Local { file, left } => {
                let want = left.map_or(CHUNK, |l| CHUNK.min(usize::try_from(l).unwrap_or(CHUNK)));
                if want == 0 {
                    return Ok(None);
                }
                let mut buf = vec![0; want];
                let n = file
                    .read(&mut buf)
                    .await
                    .map_err(|e| PartError::unremuxable(format!("cannot read the recording: {e}")))?;
                if n == 0 {
                    return Ok(None);
                }
                buf.truncate(n);
                if let Some(l) = left {
                    *l -= n as u64;
                }
                Ok(Some(Bytes::from(buf)))
            }
            Reader::Remote { resp, skip, left, url } => loop {
                if *left == Some(0) {
                    return Ok(None);
                }
                let Some(mut chunk) = resp.chunk().await.map_err(|e| {
                    PartError::upstream(format!("the download of {url} broke off: {}", e.without_url()))
                })?
                else {
                    return Ok(None);
                };
                if *skip > 0 {
                    let n = (*skip).min(chunk.len() as u64);
                    *skip -= n;
                    chunk = chunk.slice(n as usize..);
                }
                if let Some(l) = left {
                    let n = (*l).min(chunk.len() as u64);
                    chunk.truncate(n as usize);
                    *l -= n;
                }
                if !chunk.is_empty() {
                    return Ok(Some(chunk));
                }
            },
        }
    }
}

/// A part's init segment: what it configures decoders with.
async fn configuration(app: &AppState, format: ReplayFormat, url: &str) -> Result<Vec<u8>, PartError> {
    let init = |outs: Vec<Output>| {
        outs.into_iter().find_map(|o| match o {
            Output::Init { data, .. } => Some(data),
            _ => None,
        })
    };
    match format {
        ReplayFormat::Flv => {
            let (source, _) = part_source(app, url)?;
            let mut reader = Reader::open(app, &source, 0, Some(HEAD_LIMIT)).await?;
            let mut r = Remuxer::new();
            while let Some(chunk) = reader.next().await? {
                r.push(&chunk).map_err(PartError::media)?;
                if let Some(data) = init(r.take_output()) {
                    return Ok(data);
                }
            }
            // A short file, or configurations later than the head: what the end gives.
            let _ = r.finish();
            init(r.take_output())
                .ok_or_else(|| PartError::unremuxable("no H.264 or AAC configuration in its first 4 MiB".to_string()))
        }
        ReplayFormat::Mp4 => {
            let (source, _) = part_source(app, url)?;
            let (mut r, _) = mp4_remuxer(app, &source).await?;
            init(r.take_output()).ok_or_else(|| PartError::unremuxable("no init segment"))
        }
        ReplayFormat::Hls => {
            let (playlist, root) = hls_playlist(app, url).await?;
            let seg = playlist.segments.first().ok_or_else(|| PartError::unremuxable("its playlist has no segment"))?;
            let source = segment_source(root.as_deref(), &seg.url)?;
            let (from, len) = seg.byte_range.map_or((0, None), |(o, l)| (o, Some(l)));
            let mut reader = Reader::open(app, &source, from, Some(len.unwrap_or(HEAD_LIMIT).min(HEAD_LIMIT))).await?;
            let mut r = TsRemuxer::new();
            r.begin_segment(0, seg.discontinuity);
            while let Some(chunk) = reader.next().await? {
                let pushed = r.push(&chunk);
                if let Some(data) = init(r.take_output()) {
                    return Ok(data);
                }
                if let Err(e) = pushed
                    && matches!(e.kind, ErrorKind::UnsupportedCodec(_))
                {
                    return Err(PartError::media(e));
                }
            }
            let ended = r.end_segment();
            match init(r.take_output()) {
                Some(data) => Ok(data),
                None => Err(ended.err().map_or_else(
                    || PartError::unremuxable("no H.264 or AAC configuration in its first segment"),
                    PartError::media,
                )),
            }
        }
        ReplayFormat::Aac => Err(PartError::unremuxable(NO_AAC)),
    }
}

/// Why an audio-only AAC recording (raw ADTS) is refused.
const NO_AAC: &str = "audio-only AAC recordings are not remuxed into a download: fetch the file itself";

/// An MP4's `moov` read where it lies, and its remuxer (with the `moov`'s file offset).
async fn mp4_remuxer(app: &AppState, source: &Source) -> Result<(Mp4Remuxer, u64), PartError> {
    let (moov, at) = read_moov(app, source).await?;
    let r = tokio::task::spawn_blocking(move || Mp4Remuxer::new(&moov))
        .await
        .map_err(|e| PartError::unremuxable(e.to_string()))?
        .map_err(|e| PartError::unremuxable(format!("{} (at byte {})", e.kind, e.offset + at)))?;
    Ok((r, at))
}

/// The whole `moov` box of an MP4 and its offset: the top-level boxes walked from byte 0
/// (the head: a faststart `moov` is in it); a `moov` after the `mdat` is read from where
/// the boxes lead (for a remote file: one more Range request).
async fn read_moov(app: &AppState, source: &Source) -> Result<(Vec<u8>, u64), PartError> {
    let mut from = 0u64;
    // The head, then a jump or two (past the mdat; rarely past another large box).
    for _ in 0..4 {
        let mut reader = Reader::open(app, source, from, None).await?;
        let mut bytes: Vec<u8> = Vec::new();
        loop {
            let chunk = reader.next().await?;
            let ended = chunk.is_none();
            if let Some(c) = chunk {
                bytes.extend_from_slice(&c);
            }
            let no_moov = || PartError::unremuxable("no moov box: the MP4 is incomplete (still being written?)");
            match locate_moov(&bytes)
                .map_err(|e| PartError::unremuxable(format!("{} (at byte {})", e.kind, e.offset + from)))?
            {
                MoovLocation::Found { offset, size } => {
                    if size > MAX_MOOV || (size == 0 && bytes.len() as u64 - offset > MAX_MOOV) {
                        return Err(PartError::unremuxable("its moov is larger than 64 MiB"));
                    }
                    let have = bytes.len() as u64;
                    let end =
                        if size == 0 { ended.then_some(have) } else { Some(offset + size).filter(|&e| e <= have) };
                    if let Some(end) = end {
                        bytes.truncate(end as usize);
                        bytes.drain(..offset as usize);
                        return Ok((bytes, from + offset));
                    }
                    if ended {
                        return Err(PartError::unremuxable("the file ends inside its moov"));
                    }
                }
                MoovLocation::At { offset } => {
                    if ended && offset >= bytes.len() as u64 {
                        return Err(no_moov());
                    }
                    if offset > bytes.len() as u64 {
                        from += offset;
                        break;
                    }
                }
                MoovLocation::NeedMore if ended => return Err(no_moov()),
                MoovLocation::NeedMore => {}
            }
        }
    }
    Err(PartError::unremuxable("no moov box where its top-level boxes lead"))
}

/// An HLS part's media playlist, and the media folder when it is local (its segments'
/// `/media/...` addresses are files there).
async fn hls_playlist(app: &AppState, url: &str) -> Result<(MediaPlaylist, Option<PathBuf>), PartError> {
    let (source, address) = part_source(app, url)?;
    let playlist = match (source, address) {
        (Source::Local(path), Some(address)) => {
            let root = media_root(app)?;
            let r = root.clone();
            let m = tokio::task::spawn_blocking(move || probe::hls_playlist_file(&r, &path, &address))
                .await
                .map_err(|e| PartError::unremuxable(e.to_string()))?
                .map_err(PartError::unremuxable)?;
            (m, Some(root))
        }
        (Source::Remote(url), _) => {
            let config = app.config.clone();
            let sign = move |u: &str| config.fetch_url(u, unix_now());
            (probe::hls_playlist_signed(app.jobs.http(), &url, &sign).await.map_err(PartError::unremuxable)?, None)
        }
        (Source::Local(_), None) => return Err(PartError::unremuxable("its playlist has no address")),
    };
    if playlist.0.segments.iter().any(|s| s.map.is_some()) {
        return Err(PartError::unremuxable(
            "its HLS segments are fragmented MP4 (EXT-X-MAP): only MPEG-TS segments are remuxed for a download",
        ));
    }
    Ok(playlist)
}

/// Where an HLS segment is: a file in the media folder (for a local playlist), or a URL.
fn segment_source(root: Option<&std::path::Path>, url: &str) -> Result<Source, PartError> {
    if url.starts_with("http://") || url.starts_with("https://") {
        return Ok(Source::Remote(url.to_string()));
    }
    match root {
        Some(root) => Ok(Source::Local(local_file(root, url)?)),
        None => Err(PartError::unremuxable(format!("its playlist names {url}, which cannot be fetched"))),
    }
}

/// Why the stream stopped early.
enum Stop {
    /// The client went away: nothing to report.
    Gone,
    Failed(String),
}

impl From<PartError> for Stop {
    fn from(e: PartError) -> Self {
        Stop::Failed(e.message)
    }
}

impl From<relive_media::Error> for Stop {
    fn from(e: relive_media::Error) -> Self {
        Stop::Failed(e.to_string())
    }
}

/// The body's side of the channel: outputs joined, then sent.
struct Sink {
    joiner: Joiner,
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    bytes: u64,
}

impl Sink {
    async fn emit(&mut self, outputs: Vec<Output>) -> Result<(), Stop> {
        for o in outputs {
            if let Some(data) = self.joiner.push(o)? {
                self.bytes += data.len() as u64;
                self.tx.send(Ok(Bytes::from(data))).await.map_err(|_| Stop::Gone)?;
            }
        }
        Ok(())
    }
}

/// Remuxes the parts one after another into the channel; ends it early on a failure.
async fn produce(
    app: AppState,
    replay: i64,
    parts: Vec<Part>,
    duration_ms: Option<u64>,
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    _permit: SemaphorePermit<'static>,
) {
    let started = std::time::Instant::now();
    let mut sink = Sink { joiner: Joiner::new(duration_ms), tx, bytes: 0 };
    for part in &parts {
        let place = sink.joiner.end_ms().map_or(part.offset_ms, |end| end.max(part.offset_ms));
        let done = match part.row.format {
            ReplayFormat::Flv => flv(&app, part, place, &mut sink).await,
            ReplayFormat::Mp4 => mp4(&app, part, place, &mut sink).await,
            ReplayFormat::Hls => hls(&app, part, place, &mut sink).await,
            ReplayFormat::Aac => Err(Stop::Failed(NO_AAC.into())),
        };
        match done {
            Ok(()) => {}
            Err(Stop::Gone) => {
                tracing::info!(replay, part = part.row.id, bytes = sink.bytes, "download: the client went away");
                return;
            }
            Err(Stop::Failed(e)) => {
                tracing::warn!(replay, part = part.row.id, bytes = sink.bytes, error = %e, "download cut short");
                let _ = sink.tx.send(Err(std::io::Error::other(format!("part {}: {e}", part.row.id)))).await;
                return;
            }
        }
    }
    tracing::info!(
        replay,
        parts = parts.len(),
        bytes = sink.bytes,
        fragments = sink.joiner.fragments(),
        ms = started.elapsed().as_millis() as u64,
        "download sent"
    );
}

/// `finish`'s error, unless it is only the recording's end cut off mid-tag or mid-sample
/// (logged: everything before it went out).
fn finished(result: relive_media::Result<()>, part: &Part) -> Result<(), Stop> {
    match result {
        Err(e) if e.kind == ErrorKind::Truncated => {
            tracing::warn!(part = part.row.id, error = %e, "download: a part ends early; sent what it has");
            Ok(())
        }
        other => Ok(other?),
    }
}

async fn flv(app: &AppState, part: &Part, place: i64, sink: &mut Sink) -> Result<(), Stop> {
    let (source, _) = part_source(app, &part.row.url)?;
    let mut reader = Reader::open(app, &source, 0, None).await?;
    let mut r = Remuxer::new();
    r.set_place(place);
    while let Some(chunk) = reader.next().await? {
        let pushed = r.push(&chunk);
        sink.emit(r.take_output()).await?;
        pushed?;
    }
    let end = r.finish();
    sink.emit(r.take_output()).await?;
    finished(end, part)
}

async fn mp4(app: &AppState, part: &Part, place: i64, sink: &mut Sink) -> Result<(), Stop> {
    let (source, _) = part_source(app, &part.row.url)?;
    let (mut r, _) = mp4_remuxer(app, &source).await?;
    r.set_time_offset(place);
    let (from, to) = r.sample_span();
    r.start_at(from);
    let mut reader = Reader::open(app, &source, from, Some(to - from)).await?;
    while let Some(chunk) = reader.next().await? {
        r.push(&chunk)?;
        sink.emit(r.take_output()).await?;
    }
    let end = r.finish();
    sink.emit(r.take_output()).await?;
    finished(end, part)
}

async fn hls(app: &AppState, part: &Part, place: i64, sink: &mut Sink) -> Result<(), Stop> {
    let (playlist, root) = hls_playlist(app, &part.row.url).await?;
    let mut r = TsRemuxer::new();
    for seg in &playlist.segments {
        let source = segment_source(root.as_deref(), &seg.url)?;
        let (from, len) = seg.byte_range.map_or((0, None), |(o, l)| (o, Some(l)));
        let mut reader = Reader::open(app, &source, from, len).await?;
        r.begin_segment(place + seg.start_ms, seg.discontinuity);
        let mut damaged = None;
        while let Some(chunk) = reader.next().await? {
            if damaged.is_some() {
                continue;
            }
            let pushed = r.push(&chunk);
            sink.emit(r.take_output()).await?;
            if let Err(e) = pushed {
                if matches!(e.kind, ErrorKind::UnsupportedCodec(_)) {
                    return Err(e.into());
                }
                damaged = Some(e);
            }
        }
        let ended = r.end_segment();
        sink.emit(r.take_output()).await?;
        if let Some(e) = damaged.or(ended.err()) {
            if matches!(e.kind, ErrorKind::UnsupportedCodec(_)) {
                return Err(e.into());
            }
            tracing::warn!(part = part.row.id, segment = %seg.url, error = %e, "download: a damaged HLS segment, passed over");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_ascii_with_the_real_name_beside() {
        // 2025-04-01 05:08 UTC.
        let t = 1_743_484_094;
        assert_eq!(content_disposition("anna", t), "attachment; filename=\"anna-20250401-0508.mp4\"");
        assert_eq!(content_disposition("a.b_c-d", t), "attachment; filename=\"a.b_c-d-20250401-0508.mp4\"");
        assert_eq!(
            content_disposition("小雨", t),
            "attachment; filename=\"replay-20250401-0508.mp4\"; \
             filename*=UTF-8''%E5%B0%8F%E9%9B%A8-20250401-0508.mp4"
        );
        assert_eq!(
            content_disposition("zoë \"x\"", t),
            "attachment; filename=\"zo___x_-20250401-0508.mp4\"; filename*=UTF-8''zo%C3%AB%20%22x%22-20250401-0508.mp4"
        );
        assert_eq!(content_disposition("a", 0), "attachment; filename=\"a-19700101-0000.mp4\"");
    }
}
