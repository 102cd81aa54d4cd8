//! Recordings written on this machine (nginx-rtmp, SRS): the hook names a file; it
//! must lie inside `--media-dir`. The file is probed once — duration, size, codecs,
//! picture size, which such hooks never tell — and served from `/media/`. A push that
//! asked for `record=mp4` from a recorder that writes only FLV gets an MP4 remuxed
//! from it, and that is what is listed.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use relive_api::{RecordFormat, ReplayFormat};

use crate::AppState;
use crate::error::Failure;
use crate::playback::{make_mp4, probe_flv, to_api};
use crate::signing::constant_time_eq;
use crate::store::{Ingest, LiveEvent, MediaFacts, NewReplay, unix_now};

/// A finished recording, as a hook announced it.
pub struct Announced {
    pub source: &'static str,
    pub streamer_id: String,
    /// The file as the hook named it, resolved against `cwd` when relative.
    pub path: PathBuf,
    /// What the push asked for (`record=flv|mp4` in its query).
    pub record: Option<RecordFormat>,
    pub raw: String,
}

/// Refuses a hook call without the configured shared secret (`?secret=`).
pub fn check_secret(app: &AppState, query: Option<&str>) -> Result<(), Failure> {
    let Some(secret) = app.config.hook_secret.as_deref().filter(|s| !s.is_empty()) else { return Ok(()) };
    let given = query
        .and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "secret").map(|(_, v)| v.into_owned())
        })
        .unwrap_or_default();
    if constant_time_eq(given.as_bytes(), secret.as_bytes()) {
        Ok(())
    } else {
        Err(Failure::unauthorized("bad_secret", "the hook URL must carry ?secret=<the configured hook secret>"))
    }
}

/// `record=` from a query string (`a=1&record=mp4`, with or without a leading `?`).
pub fn record_format(query: &str) -> Option<RecordFormat> {
    url::form_urlencoded::parse(query.trim_start_matches('?').as_bytes()).find_map(|(k, v)| match (&*k, &*v) {
        ("record", "mp4") => Some(RecordFormat::Mp4),
        ("record", "flv") => Some(RecordFormat::Flv),
        _ => None,
    })
}

pub fn stream_id(field: &str, s: Option<String>) -> Result<String, Failure> {
    let id = s.filter(|s| !s.trim().is_empty()).ok_or_else(|| Failure::missing(field))?;
    match relive_api::limits::stream_id_problem(&id) {
        Some(why) => Err(Failure::invalid(field, why)),
        None => Ok(id),
    }
}

pub async fn live(app: &AppState, streamer_id: String, live: bool) -> Result<String, Failure> {
    // These servers send events in order: the arrival time orders them.
    let e = LiveEvent { streamer_id: streamer_id.clone(), live, event_time: unix_now(), sequence: next_sequence() };
    app.store.apply_live_event(e).await?;
    Ok(format!("accepted: stream {streamer_id} is {}", if live { "live" } else { "offline" }))
}

fn next_sequence() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static SEQ: AtomicU64 = AtomicU64::new(0);
    SEQ.fetch_add(1, Ordering::Relaxed)
}

/// Probes and stores an announced recording. Answers only once it is committed.
pub async fn ingest(app: &AppState, a: Announced) -> Result<String, Failure> {
    let root = app.config.media_dir.canonicalize().map_err(|_| {
        Failure::invalid(
            "path",
            format!("cannot be checked: the media folder {} does not exist", app.config.media_dir.display()),
        )
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
    let (probe, mp4) = tokio::task::spawn_blocking(move || -> Result<_, String> {
        match ext.as_str() {
            "flv" => {
                let ix = probe_flv(&probe_path)?;
                // The push asked for MP4 and the recorder wrote FLV: remux it, once.
                let mp4 = if wants_mp4 {
                    let out = probe_path.with_extension("mp4");
                    if !out.exists() {
                        make_mp4(&probe_path, &out)?;
                    }
                    Some(out)
                } else {
                    None
                };
                Ok((Probe::Flv(ix), mp4))
            }
            "mp4" => Ok((Probe::Mp4(mp4_facts(&probe_path)?), None)),
            other => Err(format!("recordings must be .flv or .mp4, not .{other}")),
        }
    })
    .await
    .map_err(|e| Failure::invalid("path", e.to_string()))?
    .map_err(|e| Failure::invalid("path", format!("is not a playable recording: {e}")))?;

    let (duration_ms, facts, index) = match &probe {
        Probe::Flv(ix) => {
            let codecs =
                [ix.video_codec.clone(), ix.audio_codec.clone()].into_iter().flatten().collect::<Vec<_>>().join(",");
            (ix.duration_ms.max(0) as u64, MediaFacts { codecs, width: ix.width, height: ix.height }, Some(to_api(ix)))
        }
        Probe::Mp4(f) => (f.0, MediaFacts { codecs: String::new(), width: f.1, height: f.2 }, None),
    };
    let (listed, format) = match &mp4 {
        Some(m) => (m.strip_prefix(&root).unwrap_or(m).to_path_buf(), ReplayFormat::Mp4),
        None if probe_is_mp4(&probe) => (rel.clone(), ReplayFormat::Mp4),
        None => (rel.clone(), ReplayFormat::Flv),
    };
    let size = std::fs::metadata(root.join(&listed)).map(|m| m.len()).unwrap_or(0);
    let start = mtime - (duration_ms / 1000) as i64;
    let replay = NewReplay {
        streamer_id: a.streamer_id.clone(),
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
        facts: Some(facts),
    };
    let file = replay.source_file_id.clone();
    match app.store.record_replay(replay).await? {
        Ingest::Stored(id) => {
            if let (Some(ix), ReplayFormat::Flv) = (index, format) {
                app.store.save_keyframe_index(id, Ok(ix)).await?;
            }
            Ok(format!("accepted: {file} of stream {} as replay {id} ({} ms)", a.streamer_id, duration_ms))
        }
        Ingest::Duplicate(id) => Ok(format!("duplicate: {file} already replay {id}")),
    }
}

enum Probe {
    Flv(relive_media::KeyframeIndex),
    /// (duration ms, width, height)
    Mp4((u64, u32, u32)),
}

fn probe_is_mp4(p: &Probe) -> bool {
    matches!(p, Probe::Mp4(_))
}

fn slash_path(p: &Path) -> String {
    p.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// A relative path as a URL path, each segment percent-encoded.
fn url_path(p: &Path) -> String {
    p.components()
        .map(|c| {
            url::form_urlencoded::byte_serialize(c.as_os_str().to_string_lossy().as_bytes())
                .collect::<String>()
                .replace('+', "%20")
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Duration (ms) and the first video track's size, from an MP4's `moov`.
fn mp4_facts(path: &Path) -> Result<(u64, u32, u32), String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let len = f.metadata().map_err(|e| e.to_string())?.len();
    // Find moov among the top-level boxes without reading mdat.
    let mut at = 0u64;
    let moov = loop {
        if at + 8 > len {
            return Err("no moov box".into());
        }
        f.seek(SeekFrom::Start(at)).map_err(|e| e.to_string())?;
        let mut h = [0u8; 16];
        f.read_exact(&mut h[..8]).map_err(|e| e.to_string())?;
        let mut size = u32::from_be_bytes([h[0], h[1], h[2], h[3]]) as u64;
        let mut header = 8;
        if size == 1 {
            f.read_exact(&mut h[8..16]).map_err(|e| e.to_string())?;
            size = u64::from_be_bytes(h[8..16].try_into().unwrap_or([0; 8]));
            header = 16;
        } else if size == 0 {
            size = len - at;
        }
        if size < header {
            return Err("a box with an impossible size".into());
        }
        if &h[4..8] == b"moov" {
            if size > 64 * 1024 * 1024 {
                return Err("moov larger than 64 MiB".into());
            }
            let mut body = vec![0; (size - header) as usize];
            f.read_exact(&mut body).map_err(|e| e.to_string())?;
            break body;
        }
        at += size;
    };
    let children = |data: &[u8]| -> Vec<([u8; 4], std::ops::Range<usize>)> {
        let mut out = Vec::new();
        let mut i = 0;
        while i + 8 <= data.len() {
            let size = u32::from_be_bytes(data[i..i + 4].try_into().unwrap_or([0; 4])) as usize;
            if size < 8 || i + size > data.len() {
                break;
            }
            out.push((data[i + 4..i + 8].try_into().unwrap_or([0; 4]), i + 8..i + size));
            i += size;
        }
        out
    };
    let u32_at = |d: &[u8], i: usize| d.get(i..i + 4).map(|b| u32::from_be_bytes(b.try_into().unwrap_or([0; 4])));
    let u64_at = |d: &[u8], i: usize| d.get(i..i + 8).map(|b| u64::from_be_bytes(b.try_into().unwrap_or([0; 8])));
    let mut duration_ms = 0;
    let (mut width, mut height) = (0, 0);
    for (kind, range) in children(&moov) {
        let b = &moov[range];
        match &kind {
            b"mvhd" => {
                let (timescale, duration) = if b.first() == Some(&1) {
                    (u32_at(b, 20).unwrap_or(0), u64_at(b, 24).unwrap_or(0))
                } else {
                    (u32_at(b, 12).unwrap_or(0), u64::from(u32_at(b, 16).unwrap_or(0)))
                };
                if timescale > 0 {
                    duration_ms = duration * 1000 / u64::from(timescale);
                }
            }
            b"trak" if width == 0 => {
                if let Some((_, r)) = children(b).into_iter().find(|(k, _)| k == b"tkhd") {
                    let t = &b[r];
                    let off = if t.first() == Some(&1) { 88 } else { 76 };
                    width = u32_at(t, off).unwrap_or(0) >> 16;
                    height = u32_at(t, off + 4).unwrap_or(0) >> 16;
                }
            }
            _ => {}
        }
    }
    if duration_ms == 0 {
        return Err("the MP4 has no duration".into());
    }
    Ok((duration_ms, width, height))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_formats_from_queries() {
        assert_eq!(record_format("?vhost=a&record=mp4"), Some(RecordFormat::Mp4));
        assert_eq!(record_format("record=flv"), Some(RecordFormat::Flv));
        assert_eq!(record_format("record=avi"), None);
        assert_eq!(record_format(""), None);
    }

    #[test]
    fn url_paths_are_encoded_per_segment() {
        assert_eq!(url_path(Path::new("live/a b#1.flv")), "live/a%20b%231.flv");
    }
}
