//! Reading recordings through `relive_media`: local files from disk and remote ones
//! streamed once with bounded memory — FLV indexes, MP4 facts, HLS playlists' durations.
//! The container code is pure; the I/O is here.

use std::io::Read;
use std::path::Path;

use futures_util::StreamExt;
use relive_api::KeyframeIndex;
use relive_media::hls::{self, MediaPlaylist, Playlist};
use relive_media::mp4::{BoxHeader, Mp4Facts};
use relive_media::{FlvIndex, Indexer};

const CHUNK: usize = 256 * 1024;

/// One pass over a local FLV.
pub fn flv_file(path: &Path) -> Result<FlvIndex, String> {
    let mut file = std::fs::File::open(path).map_err(|e| format!("cannot open the recording: {e}"))?;
    let mut indexer = Indexer::new();
    let mut buf = vec![0; CHUNK];
    loop {
        let n = file.read(&mut buf).map_err(|e| format!("cannot read the recording: {e}"))?;
        if n == 0 {
            break;
        }
        indexer.push(&buf[..n]).map_err(|e| e.to_string())?;
    }
    indexer.finish().map_err(|e| e.to_string())
}

/// One pass over a remote FLV, streamed: memory stays at one chunk whatever its size.
pub async fn flv_url(client: &reqwest::Client, url: &str) -> Result<FlvIndex, String> {
    let resp = client.get(url).send().await.map_err(|e| format!("cannot fetch the recording: {}", e.without_url()))?;
    if !resp.status().is_success() {
        return Err(format!("fetching the recording answered {}", resp.status()));
    }
    let mut indexer = Indexer::new();
    let mut body = resp.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| format!("the download of the recording broke off: {}", e.without_url()))?;
        indexer.push(&chunk).map_err(|e| e.to_string())?;
    }
    indexer.finish().map_err(|e| e.to_string())
}

/// An FLV's keyframes as the API serves them.
pub fn keyframes(flv: &FlvIndex) -> KeyframeIndex {
    KeyframeIndex {
        duration_ms: flv.duration_ms,
        times_ms: flv.points.iter().map(|p| p.time_ms).collect(),
        offsets: flv.points.iter().map(|p| p.offset).collect(),
    }
}

/// Remuxes a whole FLV to a progressive MP4 at `out` (written beside, then renamed).
pub fn make_mp4(flv: &Path, out: &Path) -> Result<(), String> {
    let bytes = std::fs::read(flv).map_err(|e| format!("cannot read the recording: {e}"))?;
    let mp4 = relive_media::to_mp4(&bytes).map_err(|e| e.to_string())?;
    let dir = out.parent().ok_or("no cache folder")?;
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let tmp = out.with_extension("mp4.part");
    std::fs::write(&tmp, mp4).map_err(|e| e.to_string())?;
    std::fs::rename(&tmp, out).map_err(|e| e.to_string())
}

/// Duration and the first video track's picture size: `moov` found among the top-level
/// boxes without reading `mdat`, and read by `relive_media::mp4::probe_moov`.
pub fn mp4_file(path: &Path) -> Result<Mp4Facts, String> {
    use std::io::{Seek, SeekFrom};
    let mut f = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let len = f.metadata().map_err(|e| e.to_string())?.len();
    let mut at = 0u64;
    loop {
        if at >= len {
            return Err("no moov box".into());
        }
        let mut head = [0u8; BoxHeader::MAX_LEN];
        f.seek(SeekFrom::Start(at)).map_err(|e| e.to_string())?;
        let n = read_up_to(&mut f, &mut head).map_err(|e| e.to_string())?;
        let header = BoxHeader::parse(&head[..n], at).map_err(|e| e.to_string())?.ok_or("no moov box")?;
        let size = header.size_within(len - at, at).map_err(|e| e.to_string())?;
        if header.kind == *b"moov" {
            if size > MAX_MOOV {
                return Err("moov larger than 64 MiB".into());
            }
            let mut body = vec![0; (size - header.header_len) as usize];
            f.seek(SeekFrom::Start(at + header.header_len)).map_err(|e| e.to_string())?;
            f.read_exact(&mut body).map_err(|e| e.to_string())?;
            // The probe counts offsets from the body's first byte: report the file's.
            let body_at = at + header.header_len;
            return relive_media::mp4::probe_moov(&body)
                .map_err(|e| format!("{} (at byte {})", e.kind, e.offset + body_at));
        }
        at += size;
    }
}

const MAX_MOOV: u64 = 64 * 1024 * 1024;

/// Reads until `buf` is full or the file ends; how many bytes were read.
fn read_up_to(f: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// What an HLS playlist tells of a recording.
#[derive(Clone, Debug, PartialEq)]
pub struct HlsFacts {
    /// The sum of the segments' `EXTINF`s.
    pub duration_ms: u64,
    pub segments: usize,
    /// The variant followed, when the playlist was a master playlist.
    pub variant: Option<hls::Variant>,
}

/// A local HLS recording: its playlist's facts and the bytes of its segments.
#[derive(Clone, Debug, PartialEq)]
pub struct LocalHls {
    pub facts: HlsFacts,
    pub size_bytes: u64,
}

/// The largest playlist read: a day of 2-second segments is about 3 MB.
pub const MAX_PLAYLIST: usize = 8 * 1024 * 1024;

/// What a playlist leads to: its segments, or a master playlist's first variant to read
/// next (see [`variant_playlist`]).
enum Step {
    Media(MediaPlaylist),
    Follow(hls::Variant),
}

fn first_playlist(text: &str, url: &str) -> Result<Step, String> {
    match hls::parse(text, url).map_err(|e| format!("the playlist is not valid: {e}"))? {
        Playlist::Media(m) => Ok(Step::Media(m)),
        Playlist::Master(variants) => {
            variants.into_iter().next().map(Step::Follow).ok_or_else(|| "the master playlist names no variant".into())
        }
    }
}

/// A master playlist's variant: a media playlist (one level only).
fn variant_playlist(text: &str, url: &str) -> Result<MediaPlaylist, String> {
    match hls::parse(text, url).map_err(|e| format!("the variant playlist {url} is not valid: {e}"))? {
        Playlist::Media(m) => Ok(m),
        Playlist::Master(_) => Err(format!("the variant playlist {url} is a master playlist too")),
    }
}

fn hls_facts(m: &MediaPlaylist, variant: Option<hls::Variant>) -> HlsFacts {
    HlsFacts { duration_ms: m.duration_ms().max(0) as u64, segments: m.segments.len(), variant }
}

/// How a URL is fetched: signed for the CDN's hotlink protection (`Config::fetch_url`),
/// or as it is.
pub type Sign<'a> = &'a (dyn Fn(&str) -> String + Send + Sync);

/// A remote playlist's facts (a master playlist's first variant followed). Each playlist
/// is fetched at `sign(url)`, and its URIs resolved against the URL as stored (so the
/// segments carry no signature of the playlist's: whoever fetches them signs them).
pub async fn hls_url(client: &reqwest::Client, url: &str, sign: Sign<'_>) -> Result<HlsFacts, String> {
    match first_playlist(&fetch_text(client, url, sign).await?, url)? {
        Step::Media(m) => Ok(hls_facts(&m, None)),
        Step::Follow(v) => Ok(hls_facts(&variant_playlist(&fetch_text(client, &v.url, sign).await?, &v.url)?, Some(v))),
    }
}

/// A remote HLS recording's media playlist (a master playlist's first variant followed),
/// its URIs resolved against `url`, fetched as it is given. Behind a CDN's hotlink
/// protection, [`hls_playlist_signed`] signs each playlist it fetches (a master's
/// variant too) and leaves the segments unsigned for their fetcher to sign.
pub async fn hls_playlist_url(client: &reqwest::Client, url: &str) -> Result<MediaPlaylist, String> {
    hls_playlist_signed(client, url, &|u: &str| u.to_string()).await
}

/// A remote HLS recording's media playlist (a master playlist's first variant followed),
/// its URIs resolved; fetched as [`hls_url`] says.
pub async fn hls_playlist_signed(client: &reqwest::Client, url: &str, sign: Sign<'_>) -> Result<MediaPlaylist, String> {
    match first_playlist(&fetch_text(client, url, sign).await?, url)? {
        Step::Media(m) => Ok(m),
        Step::Follow(v) => variant_playlist(&fetch_text(client, &v.url, sign).await?, &v.url),
    }
}

/// A local HLS recording's media playlist (a master playlist's first variant followed):
/// the playlist at `path` under the media folder `root` (canonical), whose address is
/// `url` (`/media/...`), which its URIs are resolved against.
pub fn hls_playlist_file(root: &Path, path: &Path, url: &str) -> Result<MediaPlaylist, String> {
    match first_playlist(&read_text(path)?, url)? {
        Step::Media(m) => Ok(m),
        Step::Follow(v) => variant_playlist(&read_text(&local_file(root, &v.url)?)?, &v.url),
    }
}

/// A playlist's text, fetched at `sign(url)`; errors name `url` (never a signature).
async fn fetch_text(client: &reqwest::Client, url: &str, sign: Sign<'_>) -> Result<String, String> {
    let resp = client
        .get(sign(url))
        .send()
        .await
        .map_err(|e| format!("cannot fetch the playlist {url}: {}", e.without_url()))?;
    if !resp.status().is_success() {
        return Err(format!("fetching the playlist {url} answered {}", resp.status()));
    }
    let mut body = resp.bytes_stream();
    let mut bytes = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| format!("the download of the playlist {url} broke off: {}", e.without_url()))?;
        if bytes.len() + chunk.len() > MAX_PLAYLIST {
            return Err(format!("the playlist {url} is larger than {} MiB", MAX_PLAYLIST >> 20));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// A playlist under the media folder `root` (canonical), read as the media route serves
/// it: `url` is its address (`/media/...`), which its URIs are resolved against. Every
/// segment (and init section) must be a file in the media folder.
pub fn hls_file(root: &Path, path: &Path, url: &str) -> Result<LocalHls, String> {
    let (m, variant) = match first_playlist(&read_text(path)?, url)? {
        Step::Media(m) => (m, None),
        Step::Follow(v) => (variant_playlist(&read_text(&local_file(root, &v.url)?)?, &v.url)?, Some(v)),
    };
    let mut files = std::collections::BTreeSet::new();
    for s in &m.segments {
        files.insert(local_file(root, &s.url)?);
        if let Some(init) = &s.map {
            files.insert(local_file(root, &init.url)?);
        }
    }
    let size_bytes = files.iter().map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0)).sum();
    Ok(LocalHls { facts: hls_facts(&m, variant), size_bytes })
}

/// The file a local address (`/media/a%20b/c.ts?x`) names, if it is a file in `root`.
pub fn local_file(root: &Path, url: &str) -> Result<std::path::PathBuf, String> {
    let path = url.split(['?', '#']).next().unwrap_or("");
    path.strip_prefix("/media/")
        .and_then(relive_api::percent::decode)
        .and_then(|rel| crate::media::resolve(root, &rel))
        .ok_or_else(|| format!("the playlist names {url}, which is not a file in the media folder"))
}

fn read_text(path: &Path) -> Result<String, String> {
    let f = std::fs::File::open(path).map_err(|e| format!("cannot open the playlist {}: {e}", path.display()))?;
    let mut bytes = Vec::new();
    f.take(MAX_PLAYLIST as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read the playlist {}: {e}", path.display()))?;
    if bytes.len() > MAX_PLAYLIST {
        return Err(format!("the playlist {} is larger than {} MiB", path.display(), MAX_PLAYLIST >> 20));
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
