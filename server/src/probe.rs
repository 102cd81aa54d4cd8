//! Reading recordings through `relive_media`: local files from disk and remote ones
//! streamed once with bounded memory. The container code is pure; the I/O is here.

use std::io::Read;
use std::path::Path;

use futures_util::StreamExt;
use relive_api::KeyframeIndex;
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
