//! The keyframes a part's images are made of, read from where the part is (a file under
//! `--media-dir`, or a remote URL signed with `Config::vod_url`) through
//! `relive_media::frames`, and handed on one at a time through a small channel:
//!
//! - **FLV**: by its keyframe index (`playback::build_index`'s, kept in the store for the
//!   player's seeks; a remote file's is the index job's, waited for: the file is streamed
//!   once in all): the head (what comes before the first keyframe, 64 KiB of it first,
//!   the rest if the AVC sequence header is not in those),
//!   then for each target the first indexed keyframe at or after it, its tag alone (a
//!   seek, or a Range request: its size guessed from the last one's, a second request
//!   for the rest when it is larger). Without an index (the file could not be indexed),
//!   or from a host that answers a Range request with the whole file (200), the file is
//!   streamed once from its start (local: 256 KiB reads; remote: one GET), stopping as
//!   soon as every target is met or the maker needs no more.
//! - **MP4**: the `moov` (found by walking the top-level boxes: the head, then a jump or
//!   two; remote: Range requests), then only the picked keyframes' bytes (a seek, or a
//!   Range request each).
//! - **HLS**: the playlist (a master's first variant), then for each target the first
//!   segment starting at or after it, whole; its first keyframe is placed at the
//!   segment's start in the playlist.
//!
//! Memory: a chunk, a keyframe or a segment (≤ 64 MiB, a few MB in practice), a `moov`
//! (≤ 64 MiB); never a whole file.

use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;

use axum::http::{StatusCode, header};
use relive_api::{KeyframeIndex, ReplayFormat};
use relive_media::codec::AvcConfig;
use relive_media::flv::TagHeader;
use relive_media::frames::{
    FlvHead, FlvKeyframes, Keyframe, Mp4Keyframes, Targets, flv_head, flv_keyframe_tag, ts_first_keyframe,
};
use relive_media::hls::MediaPlaylist;
use relive_media::mp4::BoxHeader;
use relive_media::mp4::demux::{MoovLocation, locate_moov};
use tokio::sync::mpsc;

use crate::AppState;
use crate::jobs::Job;
use crate::playback::{Location, locate};
use crate::probe;
use crate::store::{KeyframeIndexState, ReplayRow, unix_now};

/// Bytes read at a time from a local file; the head read to find an MP4's `moov`.
const CHUNK: usize = 256 * 1024;
/// The largest `moov`, and the largest HLS segment, read.
const MAX_MOOV: u64 = 64 * 1024 * 1024;
const MAX_SEGMENT: u64 = 64 * 1024 * 1024;
/// An FLV's head read first for its AVC sequence header (up to its first keyframe); read
/// on to that keyframe (at most [`MAX_FLV_HEAD`]) when the header is not in it.
const FLV_HEAD: u64 = 64 * 1024;
const MAX_FLV_HEAD: u64 = 16 * 1024 * 1024;
/// The first keyframe tag's read (a later one's: the last one's size, a quarter more and
/// 256 bytes; never past the next keyframe's tag).
const FLV_TAG_GUESS: u64 = 64 * 1024;
/// How often the store is asked whether a remote FLV's index job is done.
const INDEX_POLL: std::time::Duration = std::time::Duration::from_millis(250);

/// Why keyframes could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadError {
    pub message: String,
    /// Worth another try later: the host timed out, failed (5xx), or the connection broke.
    pub transient: bool,
    /// The host answered 404 or 410: the file is gone.
    pub gone: Option<u16>,
}

impl ReadError {
    pub fn permanent(message: impl Into<String>) -> ReadError {
        ReadError { message: message.into(), transient: false, gone: None }
    }

    fn transient(message: impl Into<String>) -> ReadError {
        ReadError { message: message.into(), transient: true, gone: None }
    }

    fn media(e: relive_media::Error) -> ReadError {
        ReadError::permanent(e.to_string())
    }
}

/// Where a part's bytes are.
#[derive(Clone, Debug)]
enum Src {
    Local(PathBuf),
    Remote(String),
}

/// A part ready to be read: its duration (for the plan) and how to read it.
pub struct Opened {
    pub duration_ms: i64,
    what: What,
}

enum What {
    /// With its keyframe index, unless it could not be indexed.
    Flv {
        src: Src,
        index: Option<KeyframeIndex>,
    },
    Mp4 {
        src: Src,
        index: Box<Mp4Keyframes>,
    },
    Hls {
        playlist: MediaPlaylist,
        root: Option<PathBuf>,
    },
}

fn source(app: &AppState, url: &str) -> Result<(Src, Option<String>), ReadError> {
    match locate(url, &app.config.media_dir, app.config.public_base().as_deref()) {
        Some(Location::Local(_)) => {
            let address = format!("/media/{}", url.split_once("/media/").map_or("", |(_, rel)| rel));
            let root = media_root(app)?;
            let path = probe::local_file(&root, &address)
                .map_err(|_| ReadError::permanent(format!("{address} is not a file in the media folder (deleted?)")))?;
            Ok((Src::Local(path), Some(address)))
        }
        Some(Location::Remote(url)) => Ok((Src::Remote(url), None)),
        None => Err(ReadError::permanent("the recording's URL points outside the media folder")),
    }
}

fn media_root(app: &AppState) -> Result<PathBuf, ReadError> {
    app.config.media_dir.canonicalize().map_err(|e| ReadError::permanent(format!("the media folder: {e}")))
}

/// Finds the part and what is needed to plan: its duration (the stored one; an MP4's
/// `moov` or an HLS playlist tells it when the stored one is unknown).
pub async fn open(app: &AppState, part: &ReplayRow) -> Result<Opened, ReadError> {
    let stored = part.duration_ms as i64;
    match part.format {
        ReplayFormat::Flv => {
            let (src, _) = source(app, &part.url)?;
            let index = flv_index(app, part, &src).await?;
            let duration_ms = if stored > 0 { stored } else { index.as_ref().map_or(0, |ix| ix.duration_ms) };
            Ok(Opened { duration_ms, what: What::Flv { src, index } })
        }
        ReplayFormat::Mp4 => {
            let (src, _) = source(app, &part.url)?;
            let moov = read_moov(app, &src).await?;
            let (index, facts) = tokio::task::spawn_blocking(move || {
                let index = Mp4Keyframes::from_moov(&moov).map_err(ReadError::media)?;
                let body = BoxHeader::parse(&moov, 0)
                    .ok()
                    .flatten()
                    .and_then(|h| moov.get(h.header_len as usize..))
                    .unwrap_or_default();
                Ok::<_, ReadError>((index, relive_media::mp4::probe_moov(body).ok()))
            })
            .await
            .map_err(|e| ReadError::permanent(e.to_string()))??;
            if index.samples.is_empty() {
                return Err(ReadError::permanent("the MP4 has no video"));
            }
            let duration_ms = if stored > 0 { stored } else { facts.map_or(0, |f| f.duration_ms as i64) };
            Ok(Opened { duration_ms, what: What::Mp4 { src, index: Box::new(index) } })
        }
        ReplayFormat::Hls => {
            let (src, address) = source(app, &part.url)?;
            let (playlist, root) = match (src, address) {
                (Src::Local(path), Some(address)) => {
                    let root = media_root(app)?;
                    let r = root.clone();
                    let m = tokio::task::spawn_blocking(move || probe::hls_playlist_file(&r, &path, &address))
                        .await
                        .map_err(|e| ReadError::permanent(e.to_string()))?
                        .map_err(ReadError::permanent)?;
                    (m, Some(root))
                }
                (Src::Remote(url), _) => {
                    let sign = |u: &str| signed(app, u);
                    let m = probe::hls_playlist_signed(app.jobs.http(), &url, &sign).await.map_err(classify_text)?;
                    (m, None)
                }
                (Src::Local(_), None) => return Err(ReadError::permanent("the playlist has no address")),
            };
            if playlist.segments.iter().any(|s| s.map.is_some()) {
                return Err(ReadError::permanent("fragmented-MP4 HLS segments (EXT-X-MAP) are not read for images"));
            }
            if playlist.segments.is_empty() {
                return Err(ReadError::permanent("the playlist has no segment"));
            }
            Ok(Opened { duration_ms: playlist.duration_ms(), what: What::Hls { playlist, root } })
        }
        ReplayFormat::Aac => Err(ReadError::permanent("an audio-only recording has no picture")),
    }
}

/// An FLV part's keyframe index: the stored one; else a local file's built now (a read of
/// the file, as `/keyframes` does), a remote file's waited for from its index job
/// (`Job::IndexKeyframes`, queued at ingest; queued here if it is not — the queue holds
/// one per part — so the file is streamed once, by that job, for the player and the
/// images both). `None`: the file could not be indexed (the images stream it, and find
/// why, or that it is gone).
async fn flv_index(app: &AppState, part: &ReplayRow, src: &Src) -> Result<Option<KeyframeIndex>, ReadError> {
    let mut queued = false;
    loop {
        match app.store.keyframe_index(part.id).await {
            Ok(KeyframeIndexState::Ready(ix)) => return Ok(Some(ix)),
            Ok(KeyframeIndexState::Failed(e)) => {
                tracing::debug!(part = part.id, error = %e, "images: no keyframe index, the FLV is streamed");
                return Ok(None);
            }
            Ok(KeyframeIndexState::Building) => {}
            Err(e) => return Err(ReadError::transient(format!("cannot read the keyframe index: {e}"))),
        }
        match src {
            Src::Local(_) => return Ok(crate::playback::build_index(app, part.id, &part.url).await.ok()),
            Src::Remote(_) if !queued => {
                app.jobs.enqueue(Job::IndexKeyframes { replay: part.id, url: part.url.clone() }).await;
                queued = true;
            }
            Src::Remote(_) => {}
        }
        tokio::time::sleep(INDEX_POLL).await;
    }
}

/// The playlist reader's errors are text: a 404/410 or 5xx in them still counts.
fn classify_text(message: String) -> ReadError {
    let answered = |code: &str| message.contains(&format!("answered {code}"));
    if answered("404") || answered("410") {
        let status = if answered("404") { 404 } else { 410 };
        return ReadError { message, transient: false, gone: Some(status) };
    }
    let transient = message.contains("answered 5") || message.contains("cannot fetch") || message.contains("broke off");
    ReadError { message, transient, gone: None }
}

/// Sends the keyframes meeting `targets`, in time order, until every target is met, the
/// file ends, or the receiver is gone (the maker needs no more: not an error).
pub async fn feed(
    app: &AppState,
    opened: Opened,
    targets: Vec<i64>,
    tx: mpsc::Sender<Keyframe>,
) -> Result<(), ReadError> {
    match opened.what {
        What::Flv { src, index: Some(index) } if !index.offsets.is_empty() => {
            flv_by_index(app, &src, &index, targets, &tx).await
        }
        What::Flv { src, .. } => flv_stream(app, &src, Targets::new(targets), None, &tx).await,
        What::Mp4 { src, index } => {
            for s in index.pick(Targets::new(targets)) {
                let bytes = read_range(app, &src, s.offset, u64::from(s.size)).await?;
                if bytes.len() < s.size as usize {
                    return Err(ReadError::permanent(format!("the file ends inside the keyframe at {} ms", s.time_ms)));
                }
                let annexb = match index.annexb(&bytes) {
                    Ok(a) => a,
                    Err(e) => {
                        tracing::debug!(time_ms = s.time_ms, error = %e, "MP4 keyframe passed over");
                        continue;
                    }
                };
                if tx.send(Keyframe { time_ms: s.time_ms, annexb }).await.is_err() {
                    break;
                }
            }
            Ok(())
        }
        What::Hls { playlist, root } => hls(app, &playlist, root.as_deref(), targets, &tx).await,
    }
}

/// An FLV read by its index: the head for the AVC configuration, then each picked
/// keyframe's tag alone. A keyframe is placed at its indexed time (the player's timeline:
/// from the file's first media timestamp) plus its composition time. Where the index
/// cannot serve (no sequence header before the first keyframe; a host that ignores
/// Range), the file is streamed for what is still wanted.
async fn flv_by_index(
    app: &AppState,
    src: &Src,
    index: &KeyframeIndex,
    targets: Vec<i64>,
    tx: &mpsc::Sender<Keyframe>,
) -> Result<(), ReadError> {
    let mut targets = Targets::new(targets);
    let config = match flv_config(app, src, index.offsets[0]).await? {
        Got::Bytes(Some(c)) => c,
        Got::Bytes(None) => return flv_stream(app, src, targets, None, tx).await,
        Got::Whole(whole) => return flv_stream(app, src, targets, Some(whole), tx).await,
    };
    let (mut guess, mut read, mut damaged, mut last_error) = (FLV_TAG_GUESS, 0, 0, None);
    for (i, (&time_ms, &offset)) in index.times_ms.iter().zip(&index.offsets).enumerate() {
        if targets.done() {
            break;
        }
        if !targets.wants(time_ms) {
            continue;
        }
        // The tag ends before the next keyframe's: never read past that.
        let room = index.offsets.get(i + 1).map_or(u64::MAX, |&next| next.saturating_sub(offset));
        let mut bytes = match read_flv(app, src, offset, guess.min(room).max(TagHeader::LEN as u64)).await? {
            Got::Bytes(b) => b,
            Got::Whole(whole) => return flv_stream(app, src, targets, Some(whole), tx).await,
        };
        let header = TagHeader::parse(&bytes, offset)
            .map_err(ReadError::media)?
            .ok_or_else(|| ReadError::permanent(format!("the file ends inside the keyframe at {time_ms} ms")))?;
        let len = TagHeader::LEN as u64 + u64::from(header.data_size);
        if (bytes.len() as u64) < len {
            let from = offset + bytes.len() as u64;
            match read_flv(app, src, from, len - bytes.len() as u64).await? {
                Got::Bytes(rest) => bytes.extend_from_slice(&rest),
                Got::Whole(whole) => return flv_stream(app, src, targets, Some(whole), tx).await,
            }
        }
        guess = len + len / 4 + 256;
        read += 1;
        match flv_keyframe_tag(&config, &bytes, offset) {
            Ok(Some(kf)) => {
                let time_ms = time_ms + (kf.time_ms - header.timestamp);
                targets.take(time_ms);
                if tx.send(Keyframe { time_ms, annexb: kf.annexb }).await.is_err() {
                    return Ok(());
                }
            }
            // No IDR slice: the next keyframe meets the target, as a streamed read does.
            Ok(None) => {}
            Err(e) if matches!(e.kind, relive_media::ErrorKind::UnsupportedCodec(_)) => {
                return Err(ReadError::media(e));
            }
            Err(e) => {
                tracing::debug!(time_ms, error = %e, "damaged FLV keyframe passed over");
                damaged += 1;
                last_error = Some(e.to_string());
            }
        }
    }
    match last_error {
        Some(e) if damaged == read => Err(ReadError::permanent(format!("every keyframe read is damaged: {e}"))),
        _ => Ok(()),
    }
}

/// What a read by byte range got.
enum Got<T> {
    Bytes(T),
    /// The host answered the Range request with the whole file (200): read it as a stream.
    Whole(reqwest::Response),
}

/// The AVC configuration from an FLV's head: what comes before the first keyframe's tag
/// (at `first`), 64 KiB of it, then the rest if the sequence header was not in those.
/// `None`: none before the first keyframe (or the head is cut short): only a streamed
/// read can tell.
async fn flv_config(app: &AppState, src: &Src, first: u64) -> Result<Got<Option<AvcConfig>>, ReadError> {
    let mut asked = FLV_HEAD.min(first);
    let mut head = match read_flv(app, src, 0, asked).await? {
        Got::Bytes(b) => b,
        Got::Whole(whole) => return Ok(Got::Whole(whole)),
    };
    loop {
        match flv_head(&head).map_err(ReadError::media)? {
            FlvHead::Config(c) => return Ok(Got::Bytes(Some(c))),
            FlvHead::NeedMore if head.len() as u64 == asked && asked < first && first <= MAX_FLV_HEAD => {
                match read_flv(app, src, asked, first - asked).await? {
                    Got::Bytes(more) => head.extend_from_slice(&more),
                    Got::Whole(whole) => return Ok(Got::Whole(whole)),
                }
                asked = first;
            }
            FlvHead::NeedMore | FlvHead::KeyframeFirst => return Ok(Got::Bytes(None)),
        }
    }
}

/// Up to `len` bytes of an FLV from `from`; a remote host's 200 to the Range request is
/// handed back to be streamed.
async fn read_flv(app: &AppState, src: &Src, from: u64, len: u64) -> Result<Got<Vec<u8>>, ReadError> {
    match src {
        Src::Local(_) => read_range(app, src, from, len).await.map(Got::Bytes),
        Src::Remote(url) => {
            let resp = get(app, url, Some((from, len))).await?;
            if resp.status() != StatusCode::PARTIAL_CONTENT {
                tracing::debug!(url, status = %resp.status(), "the host ignores Range: the FLV is streamed");
                return Ok(Got::Whole(resp));
            }
            body_up_to(resp, url, 0, len).await.map(Got::Bytes)
        }
    }
}

/// The FLV streamed from its start for `targets` (what is still wanted): read from the
/// local file, or from `whole` (a response with the whole file) or a GET of it.
async fn flv_stream(
    app: &AppState,
    src: &Src,
    targets: Targets,
    whole: Option<reqwest::Response>,
    tx: &mpsc::Sender<Keyframe>,
) -> Result<(), ReadError> {
    match src {
        Src::Local(path) => {
            let (path, tx) = (path.clone(), tx.clone());
            tokio::task::spawn_blocking(move || flv_file(&path, targets, &tx))
                .await
                .map_err(|e| ReadError::permanent(e.to_string()))?
        }
        Src::Remote(url) => {
            let resp = match whole {
                Some(r) => r,
                None => get(app, url, None).await?,
            };
            flv_url(resp, url, targets, tx).await
        }
    }
}

fn flv_file(path: &std::path::Path, targets: Targets, tx: &mpsc::Sender<Keyframe>) -> Result<(), ReadError> {
    let mut f =
        std::fs::File::open(path).map_err(|e| ReadError::permanent(format!("cannot open the recording: {e}")))?;
    let mut k = FlvKeyframes::new(targets);
    let mut buf = vec![0; CHUNK];
    loop {
        let n = f.read(&mut buf).map_err(|e| ReadError::permanent(format!("cannot read the recording: {e}")))?;
        if n == 0 {
            return k.finish().map_err(ReadError::media);
        }
        for kf in k.push(&buf[..n]).map_err(ReadError::media)? {
            if tx.blocking_send(kf).is_err() {
                return Ok(());
            }
        }
        if k.done() {
            return Ok(());
        }
    }
}

async fn flv_url(
    mut resp: reqwest::Response,
    url: &str,
    targets: Targets,
    tx: &mpsc::Sender<Keyframe>,
) -> Result<(), ReadError> {
    let mut k = FlvKeyframes::new(targets);
    loop {
        let chunk =
            resp.chunk().await.map_err(|e| ReadError::transient(format!("the download of {url} broke off: {e}")))?;
        let Some(chunk) = chunk else { return k.finish().map_err(ReadError::media) };
        for kf in k.push(&chunk).map_err(ReadError::media)? {
            if tx.send(kf).await.is_err() {
                return Ok(());
            }
        }
        if k.done() {
            return Ok(());
        }
    }
}

async fn hls(
    app: &AppState,
    playlist: &MediaPlaylist,
    root: Option<&std::path::Path>,
    targets: Vec<i64>,
    tx: &mpsc::Sender<Keyframe>,
) -> Result<(), ReadError> {
    let segments = pick_segments(playlist.segments.iter().map(|s| s.start_ms), Targets::new(targets));
    let (mut read, mut damaged, mut last_error) = (0, 0, None);
    for i in segments {
        let seg = &playlist.segments[i];
        let src = if seg.url.starts_with("http://") || seg.url.starts_with("https://") {
            Src::Remote(seg.url.clone())
        } else {
            let root = root.ok_or_else(|| ReadError::permanent(format!("the playlist names {}", seg.url)))?;
            Src::Local(probe::local_file(root, &seg.url).map_err(ReadError::permanent)?)
        };
        let (from, len) = seg.byte_range.unwrap_or((0, MAX_SEGMENT));
        let bytes = read_range(app, &src, from, len.min(MAX_SEGMENT)).await?;
        let first = tokio::task::spawn_blocking(move || ts_first_keyframe(&bytes))
            .await
            .map_err(|e| ReadError::permanent(e.to_string()))?;
        read += 1;
        match first {
            Ok(Some(kf)) => {
                let kf = Keyframe { time_ms: seg.start_ms + kf.time_ms, annexb: kf.annexb };
                if tx.send(kf).await.is_err() {
                    return Ok(());
                }
            }
            Ok(None) => {}
            // Another codec is the whole recording's, not one segment's.
            Err(e) if matches!(e.kind, relive_media::ErrorKind::UnsupportedCodec(_)) => {
                return Err(ReadError::media(e));
            }
            Err(e) => {
                tracing::debug!(segment = %seg.url, error = %e, "damaged HLS segment passed over");
                damaged += 1;
                last_error = Some(e.to_string());
            }
        }
    }
    match last_error {
        Some(e) if damaged == read => Err(ReadError::permanent(format!("every segment read is damaged: {e}"))),
        _ => Ok(()),
    }
}

/// For each target, the first segment starting at or after it (each once, in order):
/// a segment's first keyframe is at its start.
pub fn pick_segments(starts: impl Iterator<Item = i64>, mut targets: Targets) -> Vec<usize> {
    let mut picked = Vec::new();
    for (i, start) in starts.enumerate() {
        if targets.done() {
            break;
        }
        if targets.wants(start) {
            targets.take(start);
            picked.push(i);
        }
    }
    picked
}

/// A remote URL as it may be fetched now: signed for Tencent VOD's Key hotlink
/// protection (a no-op without a key), unless it carries a signature already (a segment
/// URI the CDN signed in its playlist): `Config::fetch_url`.
fn signed(app: &AppState, url: &str) -> String {
    app.config.fetch_url(url, unix_now())
}

/// A GET of a remote file (`range`: from, length), its status judged: 404/410 gone,
/// other 4xx permanent, 5xx and network failures transient.
async fn get(app: &AppState, url: &str, range: Option<(u64, u64)>) -> Result<reqwest::Response, ReadError> {
    let mut req = app.jobs.http().get(signed(app, url));
    if let Some((from, len)) = range {
        req = req.header(header::RANGE, format!("bytes={from}-{}", from + len.max(1) - 1));
    }
    let resp = req.send().await.map_err(|e| ReadError::transient(format!("cannot fetch {url}: {e}")))?;
    let status = resp.status();
    match status {
        s if s.is_success() => Ok(resp),
        StatusCode::NOT_FOUND | StatusCode::GONE => Err(ReadError {
            message: format!("fetching {url} answered {status}"),
            transient: false,
            gone: Some(status.as_u16()),
        }),
        s if s.is_server_error() || s == StatusCode::TOO_MANY_REQUESTS => {
            Err(ReadError::transient(format!("fetching {url} answered {s}")))
        }
        s => Err(ReadError::permanent(format!("fetching {url} answered {s}"))),
    }
}

/// Up to `len` bytes from `from` (fewer at the end of the file). A host that ignores the
/// Range header is read from the start, the bytes before `from` dropped.
async fn read_range(app: &AppState, src: &Src, from: u64, len: u64) -> Result<Vec<u8>, ReadError> {
    match src {
        Src::Local(path) => {
            let path = path.clone();
            tokio::task::spawn_blocking(move || {
                let mut f = std::fs::File::open(&path)
                    .map_err(|e| ReadError::permanent(format!("cannot open the recording: {e}")))?;
                f.seek(SeekFrom::Start(from)).map_err(|e| ReadError::permanent(e.to_string()))?;
                let mut out = Vec::new();
                f.take(len).read_to_end(&mut out).map_err(|e| ReadError::permanent(format!("cannot read: {e}")))?;
                Ok(out)
            })
            .await
            .map_err(|e| ReadError::permanent(e.to_string()))?
        }
        Src::Remote(url) => {
            let resp = get(app, url, Some((from, len))).await?;
            let skip = if resp.status() == StatusCode::PARTIAL_CONTENT { 0 } else { from };
            body_up_to(resp, url, skip, len).await
        }
    }
}

/// Up to `len` bytes of a response's body after its first `skip` bytes.
async fn body_up_to(mut resp: reqwest::Response, url: &str, mut skip: u64, len: u64) -> Result<Vec<u8>, ReadError> {
    let mut out = Vec::new();
    while (out.len() as u64) < len {
        let Some(chunk) =
            resp.chunk().await.map_err(|e| ReadError::transient(format!("the download of {url} broke off: {e}")))?
        else {
            break;
        };
        let mut c = &chunk[..];
        let n = skip.min(c.len() as u64) as usize;
        skip -= n as u64;
        c = &c[n..];
        let want = (len - out.len() as u64).min(c.len() as u64) as usize;
        out.extend_from_slice(&c[..want]);
    }
    Ok(out)
}

/// The whole `moov` box (header included): the top-level boxes walked from byte 0,
/// reading the head, then jumping over the boxes before it (an `mdat` first: one more
/// read there).
async fn read_moov(app: &AppState, src: &Src) -> Result<Vec<u8>, ReadError> {
    let mut base = 0u64;
    let mut want = CHUNK as u64;
    for _ in 0..8 {
        let head = read_range(app, src, base, want).await?;
        let short = (head.len() as u64) < want;
        let bad = |e: relive_media::Error| ReadError::permanent(format!("{} (at byte {})", e.kind, e.offset + base));
        match locate_moov(&head).map_err(bad)? {
            MoovLocation::Found { offset, size } => {
                if size > MAX_MOOV {
                    return Err(ReadError::permanent("the moov is larger than 64 MiB"));
                }
                let size = if size == 0 { MAX_MOOV } else { size };
                return match head.get(offset as usize..).filter(|rest| rest.len() as u64 >= size) {
                    Some(rest) => Ok(rest[..size as usize].to_vec()),
                    None => read_range(app, src, base + offset, size).await,
                };
            }
            MoovLocation::At { offset } if !short || offset < head.len() as u64 => {
                base += offset;
                want = CHUNK as u64;
            }
            MoovLocation::NeedMore if !short && want < 4 * CHUNK as u64 => want *= 2,
            _ => return Err(ReadError::permanent("no moov box: the MP4 is incomplete (still being written?)")),
        }
    }
    Err(ReadError::permanent("no moov box where the top-level boxes lead"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_target_takes_the_first_segment_starting_at_or_after_it() {
        let starts = [0, 4000, 8000, 12000, 16000];
        let pick = |t: Vec<i64>| pick_segments(starts.iter().copied(), Targets::new(t));
        assert_eq!(pick(vec![0, 1000, 2000, 3000, 4000, 5000]), [0, 1, 2]);
        assert_eq!(pick(vec![0, 10_000, 17_000]), [0, 3]);
        assert_eq!(pick(vec![]), Vec::<usize>::new());
    }

    #[test]
    fn playlist_errors_are_classified() {
        assert_eq!(
            classify_text("fetching the playlist http://x/a.m3u8 answered 404 Not Found".into()).gone,
            Some(404)
        );
        assert!(classify_text("fetching the playlist x answered 503 Service Unavailable".into()).transient);
        assert!(!classify_text("the playlist is not valid: no #EXTM3U".into()).transient);
    }
}
