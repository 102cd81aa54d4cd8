//! SRS's HLS, made into replays. SRS calls `on_hls` once per finished TS segment; the
//! segments of one publish (from the first segment to `on_unpublish`) become one HLS
//! replay: a VOD playlist of them in `seq_no` order, ending in `EXT-X-ENDLIST`.
//!
//! - A segment must be a `.ts` file in the media folder (as every hook's file must). It
//!   is hard-linked (copied across file systems) into this publish's folder,
//!   `relive-hls/<stream>-<hash>/<start ms>/<seq>.ts`, and fsynced: SRS deletes its own
//!   segments as its sliding window moves (`hls_cleanup`), and a link keeps ours without
//!   copying a byte. The link is in place before the hook answers.
//! - The open publish (its folder, SRS's `client_id`, its segments) lives in the
//!   database ([`HlsSession`]): a restart loses nothing, and closing is one transaction
//!   that stores the replay and marks the session closed.
//! - `on_unpublish` does not close at once: SRS sends the last segment's `on_hls`
//!   concurrently with `on_unpublish` (from its async callback queue), so the session is
//!   marked ending and closed `--srs-hls-grace` seconds later. The playlist is written
//!   then (write, fsync, rename), and the replay listed.
//! - A new publish of the stream (`on_publish`, or a segment with another `client_id`)
//!   closes a session whose `on_unpublish` never came (SRS restarted); so does an hour
//!   without segments. A segment whose `client_id` is that of a publish closed by
//!   `on_unpublish` within the last ten minutes is late: it is ignored, with a warning.
//! - A publish without segments makes no replay.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use relive_api::ReplayFormat;
use relive_media::hls::{self, Playlist};

use super::Outcome;
use crate::AppState;
use crate::error::Failure;
use crate::files;
use crate::ingest::local_file::url_path;
use crate::store::{HlsSegment, HlsSession, Ingest, NewReplay, SessionKey, unix_now};

/// The folder, under the media folder, of the replays made of SRS's segments.
pub const FOLDER: &str = "relive-hls";
/// The playlist's name in a publish's folder.
pub const PLAYLIST: &str = "index.m3u8";
/// A session without a segment for this long is closed.
pub const IDLE_SECS: i64 = 3600;
/// A segment of a publish closed by `on_unpublish` this recently is late, not new.
pub const LATE_SECS: i64 = 600;
/// How often idle sessions are looked for.
const SWEEP_EVERY: Duration = Duration::from_secs(300);

/// One `on_hls` call: a finished segment.
#[derive(Debug, PartialEq)]
pub struct SrsSegment {
    pub streamer_id: String,
    /// SRS's id of the publishing connection; empty when not given.
    pub client_id: String,
    /// The segment file, resolved against SRS's working directory.
    pub path: PathBuf,
    pub seq: u64,
    /// Seconds.
    pub duration: f64,
}

/// One lock per stream (striped): a stream's segments, publish changes and closing run
/// one at a time.
#[derive(Clone)]
pub struct Locks(Arc<Vec<tokio::sync::Mutex<()>>>);

impl Default for Locks {
    fn default() -> Self {
        Locks(Arc::new((0..64).map(|_| tokio::sync::Mutex::new(())).collect()))
    }
}

impl Locks {
    async fn lock(&self, streamer_id: &str) -> tokio::sync::MutexGuard<'_, ()> {
        let mut h = DefaultHasher::new();
        streamer_id.hash(&mut h);
        self.0[(h.finish() % self.0.len() as u64) as usize].lock().await
    }
}

/// Adds a segment to its stream's open session (opening one if needed). Answers once
/// the segment is linked and recorded.
pub async fn add_segment(app: &AppState, seg: SrsSegment) -> Result<Outcome, Failure> {
    let root = app.config.media_dir.canonicalize().map_err(|_| {
        Failure::invalid("file", format!("cannot be checked: the media folder {} does not exist", dir(app)))
    })?;
    let src = check_segment(&root, &seg.path)?;
    let _turn = app.hls_locks.lock(&seg.streamer_id).await;
    let now = unix_now();
    let mut open = app.store.open_hls_session_of(seg.streamer_id.clone()).await?;
    if let Some(s) = &open
        && !seg.client_id.is_empty()
        && !s.client_id.is_empty()
        && s.client_id != seg.client_id
    {
        // Another publish: the previous one ended without on_unpublish.
        close(app, s).await?;
        open = None;
    }
    let session = match open {
        Some(s) => s,
        None => {
            if !seg.client_id.is_empty()
                && let Some(last) =
                    app.store.last_unpublished_hls_session(seg.streamer_id.clone(), now - LATE_SECS).await?
                && last.client_id == seg.client_id
            {
                tracing::warn!(stream = %seg.streamer_id, seq = seg.seq, folder = %last.folder,
                    "srs hls: a segment arrived after its publish was closed; raise --srs-hls-grace if this recurs");
                return Ok(Outcome::Ignored {
                    what: format!(
                        "segment {} of stream {} came after its recording {} was closed",
                        seg.seq, seg.streamer_id, last.folder
                    ),
                });
            }
            let started = now - seg.duration.round() as i64;
            let new = HlsSession {
                folder: session_folder(&seg.streamer_id, started),
                streamer_id: seg.streamer_id.clone(),
                client_id: seg.client_id.clone(),
                started_at: started,
                updated_at: now,
                ending_at: None,
                closed_at: None,
            };
            app.store.open_hls_session(new).await?
        }
    };
    let file = format!("{}.ts", seg.seq);
    let dst = app.config.media_dir.join(&session.folder).join(&file);
    let size = tokio::task::spawn_blocking(move || -> std::io::Result<u64> {
        files::create_dir_durably(dst.parent().expect("a segment has a folder"))?;
        files::link_durably(&src, &dst)?;
        Ok(std::fs::metadata(&dst)?.len())
    })
    .await
    .map_err(|e| storage_failed(e.to_string()))?
    .map_err(|e| storage_failed(format!("cannot keep the segment: {e}")))?;
    let record = HlsSegment { seq: seg.seq, duration: seg.duration, file, size_bytes: size };
    app.store.add_hls_segment(session.folder.clone(), record, now).await?;
    Ok(Outcome::Segment { streamer: seg.streamer_id, seq: seg.seq, folder: session.folder })
}

/// A publish of `streamer_id` started or stopped (`client_id`: SRS's id of it, if
/// known). A start closes a session left open by another publish; a stop marks the open
/// session ending, to be closed after the grace period.
pub async fn publish_changed(
    app: &AppState,
    streamer_id: &str,
    client_id: Option<&str>,
    live: bool,
) -> Result<(), Failure> {
    let _turn = app.hls_locks.lock(streamer_id).await;
    let Some(s) = app.store.open_hls_session_of(streamer_id.to_string()).await? else { return Ok(()) };
    if live {
        let same_publish = client_id.is_some_and(|c| !c.is_empty() && c == s.client_id);
        if !same_publish {
            close(app, &s).await?;
        }
    } else {
        app.store.end_hls_session(s.folder.clone(), unix_now()).await?;
        tokio::spawn(close_later(app.clone(), s, grace(app)));
    }
    Ok(())
}

/// Closes, at start-up and then every few minutes, the sessions whose closing was lost
/// with the process (ended by on_unpublish) and those idle for an hour.
pub async fn sweep_forever(app: AppState) {
    loop {
        let now = unix_now();
        match app.store.hls_sessions_to_close(now - IDLE_SECS).await {
            Ok(sessions) => {
                for s in sessions {
                    let left = match s.ending_at {
                        Some(at) => (at + grace(&app).as_secs() as i64 - now).max(0) as u64,
                        None => 0,
                    };
                    tokio::spawn(close_later(app.clone(), s, Duration::from_secs(left)));
                }
            }
            Err(e) => tracing::warn!(error = %e, "srs hls: cannot look for sessions to close"),
        }
        tokio::time::sleep(SWEEP_EVERY).await;
    }
}

fn grace(app: &AppState) -> Duration {
    Duration::from_secs(app.config.srs_hls_grace)
}

/// Closes `s` after `after`, if it is still open then (and, unless on_unpublish ended it,
/// still idle).
async fn close_later(app: AppState, s: HlsSession, after: Duration) {
    tokio::time::sleep(after).await;
    let _turn = app.hls_locks.lock(&s.streamer_id).await;
    let current = match app.store.open_hls_session_of(s.streamer_id.clone()).await {
        Ok(Some(c)) if c.folder == s.folder => c,
        Ok(_) => return,
        Err(e) => return tracing::error!(folder = %s.folder, error = %e, "srs hls: cannot read the session to close"),
    };
    if current.ending_at.is_none() && current.updated_at >= unix_now() - IDLE_SECS {
        return; // segments came meanwhile
    }
    if let Err(f) = close(&app, &current).await {
        tracing::error!(folder = %s.folder, error = %f.body.message, "srs hls: cannot close the recording; retried later");
    }
}

/// Writes the session's playlist and stores its replay, in that order (the replay is
/// listed only once its playlist is on disk); a session without segments makes none.
/// Idempotent: run again after a crash, it writes the same playlist and finds the replay
/// stored. Call with the stream's lock held.
async fn close(app: &AppState, s: &HlsSession) -> Result<Option<Ingest>, Failure> {
    let segments = app.store.hls_segments(s.folder.clone()).await?;
    let now = unix_now();
    if segments.is_empty() {
        app.store.close_hls_session(s.folder.clone(), None, now).await?;
        tracing::info!(stream = %s.streamer_id, folder = %s.folder, "srs hls: publish closed without segments: no replay");
        return Ok(None);
    }
    let text = playlist(&segments);
    let duration_ms = match hls::parse(&text, "/") {
        Ok(Playlist::Media(m)) => m.duration_ms().max(0) as u64,
        other => return Err(storage_failed(format!("the playlist made does not read back: {other:?}"))),
    };
    let index = app.config.media_dir.join(&s.folder).join(PLAYLIST);
    tokio::task::spawn_blocking(move || files::write_durably(&index, text.as_bytes()))
        .await
        .map_err(|e| storage_failed(e.to_string()))?
        .map_err(|e| storage_failed(format!("cannot write the playlist: {e}")))?;
    let rel = format!("{}/{PLAYLIST}", s.folder);
    let raw = serde_json::json!({
        "action": "on_hls", "client_id": s.client_id, "segments": segments.len(),
        "first_seq": segments.first().map(|g| g.seq), "last_seq": segments.last().map(|g| g.seq),
    });
    let mut replay = NewReplay {
        streamer_id: s.streamer_id.clone(),
        source: "srs".into(),
        source_file_id: rel.clone(),
        title: None,
        format: ReplayFormat::Hls,
        url: format!("/media/{}", url_path(Path::new(&rel))),
        start_time: s.started_at,
        end_time: s.started_at + (duration_ms / 1000) as i64,
        duration_ms,
        size_bytes: segments.iter().map(|g| g.size_bytes).sum(),
        raw_payload: Some(raw.to_string()),
        facts: None,
        follow_ups: Vec::new(),
        // The publish's broadcast: beside its DVR file (if SRS wrote one too) it is an alternate.
        sessions: Some(&s.client_id)
            .filter(|c| !c.is_empty())
            .map(|c| SessionKey::new(crate::hooks::srs::SOURCE, c.as_str()))
            .into_iter()
            .collect(),
    };
    crate::images::follow_up(&mut replay);
    let stored = app.store.close_hls_session(s.folder.clone(), Some(replay), now).await?;
    let replay = match &stored {
        Some(Ingest::Stored(row)) => {
            app.jobs.woke();
            row.id
        }
        Some(Ingest::Duplicate(id)) => *id,
        None => 0,
    };
    tracing::info!(stream = %s.streamer_id, folder = %s.folder, replay, segments = segments.len(), duration_ms,
        "srs hls: publish closed into a replay");
    Ok(stored)
}

/// A VOD playlist of the segments (in `seq` order). A gap in the numbers (a segment
/// never announced) is marked as a discontinuity, so players join the two sides.
pub fn playlist(segments: &[HlsSegment]) -> String {
    let target = segments.iter().map(|g| g.duration.ceil() as u64).max().unwrap_or(0).max(1);
    let mut out = format!(
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-TARGETDURATION:{target}\n#EXT-X-MEDIA-SEQUENCE:0\n"
    );
    let mut previous: Option<u64> = None;
    for g in segments {
        if previous.is_some_and(|p| p.checked_add(1) != Some(g.seq)) {
            out.push_str("#EXT-X-DISCONTINUITY\n");
        }
        out.push_str(&format!("#EXTINF:{:.3},\n{}\n", g.duration, g.file));
        previous = Some(g.seq);
    }
    out.push_str("#EXT-X-ENDLIST\n");
    out
}

/// A publish's folder: `relive-hls/<stream, letters kept>-<hash>/<start, Unix ms>`. The
/// hash keeps streams apart whose ids differ only in the letters replaced.
fn session_folder(streamer_id: &str, started: i64) -> String {
    let safe: String = streamer_id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .take(48)
        .collect();
    let hash = crate::signing::md5_hex(&[streamer_id]);
    // The clock's milliseconds keep two publishes starting in the same second apart.
    let subsec_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_millis());
    let ms = started.saturating_mul(1000).saturating_add(i64::from(subsec_ms));
    format!("{FOLDER}/{safe}-{}/{ms}", &hash[..8])
}

/// The segment SRS names, if it is a `.ts` file in the media folder (`root`, canonical)
/// that starts like MPEG-TS.
fn check_segment(root: &Path, path: &Path) -> Result<PathBuf, Failure> {
    let p = path.canonicalize().map_err(|_| Failure::invalid("file", format!("names no file: {}", path.display())))?;
    if !p.starts_with(root) {
        return Err(Failure::invalid("file", format!("is outside the media folder {}", root.display())));
    }
    if !p.is_file() {
        return Err(Failure::invalid("file", "is not a file"));
    }
    if !p.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("ts")) {
        return Err(Failure::invalid("file", "must be a .ts segment"));
    }
    let mut first = [0u8; 1];
    let read = std::fs::File::open(&p).and_then(|mut f| std::io::Read::read(&mut f, &mut first));
    if !matches!(read, Ok(1)) || first[0] != 0x47 {
        return Err(Failure::invalid("file", "is not an MPEG-TS segment (no 0x47 sync byte)"));
    }
    Ok(p)
}

fn storage_failed(message: String) -> Failure {
    Failure::new(axum::http::StatusCode::INTERNAL_SERVER_ERROR, "storage_failed", message)
}

fn dir(app: &AppState) -> String {
    app.config.media_dir.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(seq: u64, duration: f64) -> HlsSegment {
        HlsSegment { seq, duration, file: format!("{seq}.ts"), size_bytes: 1 }
    }

    #[test]
    fn playlists_list_segments_in_order_and_mark_gaps() {
        let text = playlist(&[seg(3, 10.0), seg(4, 9.9871), seg(6, 2.5)]);
        assert_eq!(
            text,
            "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-TARGETDURATION:10\n#EXT-X-MEDIA-SEQUENCE:0\n\
#EXTINF:10.000,\n3.ts\n#EXTINF:9.987,\n4.ts\n#EXT-X-DISCONTINUITY\n#EXTINF:2.500,\n6.ts\n#EXT-X-ENDLIST\n"
        );
        let Ok(Playlist::Media(m)) = hls::parse(&text, "/media/x/index.m3u8") else { panic!() };
        assert!(m.vod && m.ended);
        assert_eq!(m.duration_ms(), 22_487);
        assert_eq!(m.segments[2].url, "/media/x/6.ts");
    }

    #[test]
    fn folders_are_safe_path_segments() {
        let f = session_folder("主播/../x y", 1_700_000_000);
        let parts: Vec<&str> = f.split('/').collect();
        assert_eq!(parts.len(), 3, "{f}");
        assert_eq!(parts[0], FOLDER);
        assert!(parts[1].starts_with("______x_y-"), "{f}");
        assert!(parts[1].chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'), "{f}");
        assert!(parts[2].starts_with("1700000000"), "{f}");
        assert_ne!(session_folder("a.b", 1).split('/').nth(1), session_folder("a_b", 1).split('/').nth(1));
    }
}
