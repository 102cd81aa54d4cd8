//! Reading recordings through `relive_media`: local files from disk and remote ones
//! streamed once with bounded memory. The container code is pure; the I/O is here.

use std::io::Read;
use std::path::Path;

use futures_util::StreamExt;
use relive_api::KeyframeIndex;
use relive_media::Indexer;

/// What one pass over an FLV finds: every keyframe, the duration, codecs, picture size.
pub type FlvProbe = relive_media::KeyframeIndex;

const CHUNK: usize = 256 * 1024;

/// One pass over a local FLV.
pub fn flv_file(path: &Path) -> Result<FlvProbe, String> {
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
pub async fn flv_url(client: &reqwest::Client, url: &str) -> Result<FlvProbe, String> {
    let resp = client.get(url).send().await.map_err(|e| format!("cannot fetch the recording: {e}"))?;
    if !resp.status().is_success() {
        return Err(format!("fetching the recording answered {}", resp.status()));
    }
    let mut indexer = Indexer::new();
    let mut body = resp.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| format!("the download of the recording broke off: {e}"))?;
        indexer.push(&chunk).map_err(|e| e.to_string())?;
    }
    indexer.finish().map_err(|e| e.to_string())
}

/// An FLV's keyframes as the API serves them.
pub fn keyframes(flv: &FlvProbe) -> KeyframeIndex {
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

/// Duration and picture size of an MP4.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mp4Facts {
    pub duration_ms: u64,
    pub width: u32,
    pub height: u32,
}

/// Duration (ms) and the first video track's size, from an MP4's `moov`.
pub fn mp4_file(path: &Path) -> Result<Mp4Facts, String> {
    use std::io::{Seek, SeekFrom};
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
    Ok(Mp4Facts { duration_ms, width, height })
}
