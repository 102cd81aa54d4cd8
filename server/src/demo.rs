//! `--demo`: a couple of streamers with profiles and replays (MP4, FLV and HLS), and the
//! video files they play, so a newcomer sees a working page at once: one-file replays, a
//! broadcast in three parts with a gap between the last two, and a streamer live now
//! whose broadcast is being recorded (no file yet), and a Tencent-style broadcast whose
//! poster and storyboard are the recording service's screenshots (event 200 records,
//! their pictures decoded from the demo file at seeding and served under `/media/`).
//! The others get posters and storyboards from the images job at start-up (its backfill).
//! Seeding is idempotent.

use std::path::Path;

use relive_api::{ReplayFormat, StreamerUpdate};

use crate::store::{LiveEvent, NewReplay, NewScreenshot, SessionKey, Store, StoreError, unix_now};

/// The demo recordings, committed under `server/demo/` (see make-demo-media.sh there).
const FILES: &[(&str, &[u8])] = &[
    ("city-walk.mp4", include_bytes!("../demo/city-walk.mp4")),
    ("night-studio.flv", include_bytes!("../demo/night-studio.flv")),
    // HLS: a VOD playlist and its five 4-second TS segments.
    ("harbour/index.m3u8", include_bytes!("../demo/harbour/index.m3u8")),
    ("harbour/harbour-0.ts", include_bytes!("../demo/harbour/harbour-0.ts")),
    ("harbour/harbour-1.ts", include_bytes!("../demo/harbour/harbour-1.ts")),
    ("harbour/harbour-2.ts", include_bytes!("../demo/harbour/harbour-2.ts")),
    ("harbour/harbour-3.ts", include_bytes!("../demo/harbour/harbour-3.ts")),
    ("harbour/harbour-4.ts", include_bytes!("../demo/harbour/harbour-4.ts")),
    // A broadcast in three parts, 10 s each.
    ("relay/relay-0.flv", include_bytes!("../demo/relay/relay-0.flv")),
    ("relay/relay-1.flv", include_bytes!("../demo/relay/relay-1.flv")),
    ("relay/relay-2.flv", include_bytes!("../demo/relay/relay-2.flv")),
];
const FILE_SECS: u64 = 20;

struct DemoStreamer {
    id: &'static str,
    name: &'static str,
    bio: &'static str,
    /// (file, title, hours ago)
    replays: &'static [(&'static str, Option<&'static str>, i64)],
}

const STREAMERS: &[DemoStreamer] = &[
    DemoStreamer {
        id: "xiaoyu",
        name: "小雨 Xiaoyu",
        bio: "城市漫步和夜景直播 🌃\nCity walks and night views, every Friday at 20:00.\nhttps://example.com/xiaoyu",
        replays: &[
            ("city-walk.mp4", Some("外滩夜景漫步 · The Bund at night"), 3),
            ("night-studio.flv", Some("工作室闲聊 · Studio chat"), 27),
            ("city-walk.mp4", None, 75),
            ("night-studio.flv", Some("周末特别节目 · Weekend special"), 170),
            ("city-walk.mp4", None, 340),
            // Appended, not inserted: a replay's demo id is its place in this list.
            ("harbour/index.m3u8", Some("海港日落 · Harbour sunset (HLS)"), 10),
        ],
    },
    DemoStreamer {
        id: "chen_music",
        name: "Chen 的音乐台",
        bio: "Piano covers and late-night requests.\n钢琴翻奏，深夜点歌。",
        replays: &[
            ("night-studio.flv", Some("深夜点歌 · Late-night requests"), 30),
            ("city-walk.mp4", Some("Piano covers #12"), 200),
            ("harbour/index.m3u8", Some("港口夜曲 · Harbour nocturne (HLS)"), 90),
        ],
    },
];

/// The demo broadcast in parts: its streamer, title, and when it began (hours ago).
const RELAY: (&str, &str, i64) = ("xiaoyu", "三段直播 · A broadcast in three parts", 50);
/// Its parts: (file, seconds after the broadcast began, milliseconds long). The push was
/// cut after the second part and restarted 90 s later, within the gap: one broadcast
/// with a marked gap.
const RELAY_PARTS: &[(&str, i64, u64)] =
    &[("relay/relay-0.flv", 0, 10_000), ("relay/relay-1.flv", 10, 10_000), ("relay/relay-2.flv", 110, 10_000)];
/// The Tencent-style broadcast: streamer, title, hours ago, its file; and when in it its
/// screenshots were taken (ms), as Tencent's screenshot template would (every 4 s here).
const SCREENSHOTS: (&str, &str, i64, &str) =
    ("chen_music", "腾讯云截图封面 · Poster from Tencent screenshots", 6, "night-studio.flv");
const SCREENSHOT_AT_MS: &[i64] = &[2_000, 6_000, 10_000, 14_000, 18_000];
/// The streamer live now, whose broadcast is being recorded (no file yet).
const LIVE: &str = "chen_music";

/// Writes the demo files into `media_dir/demo/` and seeds the database.
pub async fn seed(store: &Store, media_dir: &Path) -> Result<(), SeedError> {
    let dir = media_dir.join("demo");
    std::fs::create_dir_all(&dir)?;
    for (name, bytes) in FILES {
        let path = dir.join(name);
        if std::fs::metadata(&path).map(|m| m.len() != bytes.len() as u64).unwrap_or(true) {
            std::fs::create_dir_all(path.parent().unwrap_or(&dir))?;
            std::fs::write(&path, bytes)?;
        }
    }
    let now = unix_now();
    let mut created = 0;
    for s in STREAMERS {
        if store.streamer(s.id.into()).await?.is_none() {
            let profile = StreamerUpdate { display_name: s.name.into(), avatar_url: None, bio: s.bio.into() };
            store.put_streamer(s.id.into(), profile).await?;
            created += 1;
        }
        for (i, (file, title, hours_ago)) in s.replays.iter().enumerate() {
            let format = match file.rsplit('.').next() {
                Some("flv") => ReplayFormat::Flv,
                Some("m3u8") => ReplayFormat::Hls,
                _ => ReplayFormat::Mp4,
            };
            // An HLS replay's size is its segments'.
            let folder = file.rsplit_once('/').map_or("", |(f, _)| f);
            let size = match format {
                ReplayFormat::Hls => FILES
                    .iter()
                    .filter(|(n, _)| n.starts_with(folder) && n.ends_with(".ts"))
                    .map(|(_, b)| b.len() as u64)
                    .sum(),
                _ => FILES.iter().find(|(n, _)| n == file).map_or(0, |(_, b)| b.len() as u64),
            };
            let start = now - hours_ago * 3600;
            store
                .record_replay(NewReplay {
                    streamer_id: s.id.into(),
                    source: "demo".into(),
                    source_file_id: format!("{}-{i}", s.id),
                    title: title.map(String::from),
                    format,
                    url: format!("/media/demo/{file}"),
                    start_time: start,
                    end_time: start + FILE_SECS as i64,
                    duration_ms: FILE_SECS * 1000,
                    size_bytes: size,
                    raw_payload: None,
                    facts: None,
                    follow_ups: Vec::new(),
                    sessions: Vec::new(),
                })
                .await?;
        }
    }
    // After the one-file replays, so that their ids stay what they were.
    let (streamer, title, hours_ago) = RELAY;
    let began = now - hours_ago * 3600;
    for (i, (file, at, duration_ms)) in RELAY_PARTS.iter().enumerate() {
        let start = began + at;
        store
            .record_replay(NewReplay {
                streamer_id: streamer.into(),
                source: "demo".into(),
                source_file_id: format!("{streamer}-relay-{i}"),
                title: Some(title.into()),
                format: ReplayFormat::Flv,
                url: format!("/media/demo/{file}"),
                start_time: start,
                end_time: start + (*duration_ms / 1000) as i64,
                duration_ms: *duration_ms,
                size_bytes: FILES.iter().find(|(n, _)| n == file).map_or(0, |(_, b)| b.len() as u64),
                raw_payload: None,
                facts: None,
                follow_ups: Vec::new(),
                // One push session, so the parts stay one broadcast whatever --broadcast-gap is.
                sessions: vec![SessionKey::new("demo", format!("{streamer}-relay"))],
            })
            .await?;
    }
    // The Tencent-style broadcast: its screenshots first, as Tencent sends them.
    let (streamer, title, hours_ago, file) = SCREENSHOTS;
    let start = now - hours_ago * 3600;
    let shots_dir = dir.join("shots");
    let flv = dir.join(file);
    let shots = tokio::task::spawn_blocking(move || screenshots(&flv, &shots_dir))
        .await
        .map_err(|e| SeedError::Io(std::io::Error::other(e)))??;
    for (at_ms, name, width, height, size) in shots {
        store
            .record_screenshot(NewScreenshot {
                streamer_id: streamer.into(),
                create_time: start + at_ms / 1000,
                url: format!("/media/demo/shots/{name}"),
                pic_url: None,
                width,
                height,
                file_size: Some(size),
                raw_payload: None,
            })
            .await?;
    }
    store
        .record_replay(NewReplay {
            streamer_id: streamer.into(),
            source: "demo".into(),
            source_file_id: format!("{streamer}-screenshots"),
            title: Some(title.into()),
            format: ReplayFormat::Flv,
            url: format!("/media/demo/{file}"),
            start_time: start,
            end_time: start + FILE_SECS as i64,
            duration_ms: FILE_SECS * 1000,
            size_bytes: FILES.iter().find(|(n, _)| *n == file).map_or(0, |(_, b)| b.len() as u64),
            raw_payload: None,
            facts: None,
            follow_ups: Vec::new(),
            sessions: Vec::new(),
        })
        .await?;
    // Live now: a second seeding finds the session still open and changes nothing.
    store
        .apply_live_event(LiveEvent {
            streamer_id: LIVE.into(),
            live: true,
            event_time: now,
            sequence: 0,
            session: Some(SessionKey::new("demo", format!("{LIVE}-live"))),
            stamped: false,
            push_started_at: None,
        })
        .await?;
    if created > 0 {
        tracing::info!(streamers = created, "seeded demo data");
    }
    Ok(())
}

/// A demo screenshot: its time in the file (ms), file name, width, height and bytes.
type Shot = (i64, String, u32, u32, u64);

/// The demo's screenshots: keyframes of `flv` at [`SCREENSHOT_AT_MS`] decoded in-process
/// and written as JPEG into `dir` (once).
fn screenshots(flv: &Path, dir: &Path) -> Result<Vec<Shot>, SeedError> {
    use crate::images::picture;
    use relive_media::frames::{FlvKeyframes, Targets};

    let bad = |e: String| SeedError::Io(std::io::Error::other(e));
    let mut k = FlvKeyframes::new(Targets::new(SCREENSHOT_AT_MS.to_vec()));
    let keyframes = k.push(&std::fs::read(flv)?).map_err(|e| bad(e.to_string()))?;
    let mut decoder = openh264::decoder::Decoder::new().map_err(|e| bad(e.to_string()))?;
    let mut out = Vec::new();
    for (i, kf) in keyframes.iter().enumerate() {
        let name = format!("shot-{i}.jpg");
        let path = dir.join(&name);
        let rgb = picture::decode(&mut decoder, &kf.annexb).map_err(bad)?;
        if !path.exists() {
            crate::files::write_durably(&path, &picture::jpeg(&rgb, picture::POSTER_QUALITY).map_err(bad)?)?;
        }
        out.push((kf.time_ms, name, rgb.width, rgb.height, std::fs::metadata(&path)?.len()));
    }
    Ok(out)
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("writing demo files: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}
