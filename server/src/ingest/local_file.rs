//! Recordings written on this machine (nginx-rtmp, SRS): the hook names a file; it must
//! lie inside `--media-dir`. The file is probed once — duration, size, codecs, picture
//! size, which such hooks never tell — and served from `/media/`. A push that asked for
//! `record=mp4` from a recorder that writes only FLV gets an MP4 remuxed from it, and
//! that is what is listed. An `.m3u8` is an HLS recording: its duration is the playlist's
//! (a master playlist's first variant), and every segment it names must be a file in the
//! media folder.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use relive_api::{KeyframeIndex, RecordFormat, ReplayFormat};

use crate::error::Failure;
use relive_media::FlvIndex;
use relive_media::mp4::Mp4Facts;

use crate::probe;
use crate::store::{MediaFacts, NewReplay, SessionKey, unix_now};

/// A finished recording on this machine, as a hook announced it.
#[derive(Debug, PartialEq, Eq)]
pub struct LocalRecording {
    pub source: &'static str,
    pub streamer_id: String,
    /// The file as the hook named it, resolved against the recorder's directory when relative.
    pub path: PathBuf,
    /// What the push asked for (`record=flv|mp4` in its query).
    pub record: Option<RecordFormat>,
    /// The publish it was recorded from (nginx-rtmp's `clientid`, SRS's `client_id`):
    /// the broadcast that publish opened.
    pub session: Option<SessionKey>,
    pub raw: String,
}

/// A checked and probed local recording, ready to store.
pub struct Probed {
    pub replay: NewReplay,
    /// The FLV's keyframe index, when the listed file is that FLV.
    pub keyframes: Option<KeyframeIndex>,
}

enum Found {
    Flv(FlvIndex),
    Mp4(Mp4Facts),
    Hls(probe::LocalHls),
}

/// Checks that the file lies in the media folder, probes it (and makes the MP4 copy a
/// `record=mp4` push asked for) on the blocking pool.
pub async fn probe(media_dir: &Path, a: LocalRecording) -> Result<Probed, Failure> {
    let root = media_dir.canonicalize().map_err(|_| {
        Failure::invalid("path", format!("cannot be checked: the media folder {} does not exist", media_dir.display()))
    })?;
    let path =
        a.path.canonicalize().map_err(|_| Failure::invalid("path", format!("names no file: {}", a.path.display())))?;
    let rel = path
        .strip_prefix(&root)
        .map_err(|_| Failure::invalid("path", format!("is outside the media folder {}", root.display())))?
        .to_path_buf();
    if !path.is_file() {
        return Err(Failure::invalid("path", "is not a file"));
    }
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let mtime = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or_else(unix_now, |d| d.as_secs() as i64);
    let wants_mp4 = a.record == Some(RecordFormat::Mp4);

    let probe_path = path.clone();
    let (probe_root, address) = (root.clone(), format!("/media/{}", url_path(&rel)));
    let (found, mp4_copy) = tokio::task::spawn_blocking(move || -> Result<_, String> {
        match ext.as_str() {
            "flv" => {
                let flv = probe::flv_file(&probe_path)?;
                // The push asked for MP4 and the recorder wrote FLV: remux it, once.
                let mp4 = if wants_mp4 {
                    let out = probe_path.with_extension("mp4");
                    if !out.exists() {
                        probe::make_mp4(&probe_path, &out)?;
                    }
                    Some(out)
                } else {
                    None
                };
                Ok((Found::Flv(flv), mp4))
            }
            "mp4" => Ok((Found::Mp4(probe::mp4_file(&probe_path)?), None)),
            "m3u8" => Ok((Found::Hls(probe::hls_file(&probe_root, &probe_path, &address)?), None)),
            other => Err(format!("recordings must be .flv, .mp4 or .m3u8, not .{other}")),
        }
    })
    .await
    .map_err(|e| Failure::invalid("path", e.to_string()))?
    .map_err(|e| Failure::invalid("path", format!("is not a playable recording: {e}")))?;

    let (duration_ms, facts, format, index, hls_size) = match found {
        Found::Flv(flv) => {
            let codecs =
                [flv.video_codec.clone(), flv.audio_codec.clone()].into_iter().flatten().collect::<Vec<_>>().join(",");
            let facts = MediaFacts { codecs, width: flv.width, height: flv.height };
            (flv.duration_ms.max(0) as u64, Some(facts), ReplayFormat::Flv, Some(probe::keyframes(&flv)), None)
        }
        Found::Mp4(f) => {
            let facts = MediaFacts { codecs: String::new(), width: f.width, height: f.height };
            (f.duration_ms, Some(facts), ReplayFormat::Mp4, None, None)
        }
        Found::Hls(h) => {
            // A master playlist tells codecs and picture size; a media playlist neither.
            let facts = h.facts.variant.as_ref().map(|v| MediaFacts {
                codecs: v.codecs.clone().unwrap_or_default(),
                width: v.resolution.map_or(0, |r| r.0),
                height: v.resolution.map_or(0, |r| r.1),
            });
            (h.facts.duration_ms, facts, ReplayFormat::Hls, None, Some(h.size_bytes))
        }
    };
    let (listed, format, keyframes) = match &mp4_copy {
        Some(m) => (m.strip_prefix(&root).unwrap_or(m).to_path_buf(), ReplayFormat::Mp4, None),
        None => (rel.clone(), format, index),
    };
    let size = hls_size.unwrap_or_else(|| std::fs::metadata(root.join(&listed)).map(|m| m.len()).unwrap_or(0));
    let start = mtime - (duration_ms / 1000) as i64;
    let replay = NewReplay {
        streamer_id: a.streamer_id,
        source: a.source.into(),
        source_file_id: slash_path(&rel),
        title: None,
        format,
        url: format!("/media/{}", url_path(&listed)),
        start_time: start,
        end_time: start + (duration_ms / 1000) as i64,
        duration_ms,
        size_bytes: size,
        raw_payload: Some(a.raw),
        facts,
        follow_ups: Vec::new(),
        sessions: a.session.into_iter().collect(),
    };
    Ok(Probed { replay, keyframes })
}

/// With object storage (`--media-store s3://…`), uploads the recording a hook announced
/// (the listed file: the FLV, or the MP4 remuxed from it) to `media/{path}`, create-only,
/// in parts when large, before the replay is stored: the replay's URL stays
/// `/media/{path}`, which every instance answers from the bucket. HLS recordings (a
/// playlist and its segments) stay on this machine's disk. Nothing on local disk.
pub async fn upload(app: &crate::AppState, replay: &NewReplay) -> Result<(), Failure> {
    if !app.media.is_object() || replay.format == ReplayFormat::Hls {
        return Ok(());
    }
    let rel = replay.url.strip_prefix("/media/").and_then(relive_api::percent::decode).unwrap_or_default();
    let file = app.config.media_dir.join(&rel);
    let key = crate::storage::media_key(&rel);
    match app.media.upload_file(&key, &file).await {
        Ok(created) => {
            tracing::info!(key, created, "recording in the media store");
            Ok(())
        }
        Err(e) => Err(Failure::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "storage",
            format!("the recording could not be uploaded: {e}"),
        )),
    }
}

fn slash_path(p: &Path) -> String {
    p.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// A relative path as a URL path, each segment percent-encoded.
pub(crate) fn url_path(p: &Path) -> String {
    p.components()
        .map(|c| {
            url::form_urlencoded::byte_serialize(c.as_os_str().to_string_lossy().as_bytes())
                .collect::<String>()
                .replace('+', "%20")
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_paths_are_encoded_per_segment() {
        assert_eq!(url_path(Path::new("live/a b#1.flv")), "live/a%20b%231.flv");
    }
}
