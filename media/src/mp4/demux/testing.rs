//! Hand-built `moov` boxes for the demuxer's unit tests: each table written as given,
//! right or wrong, with the crate's box writer and sample entries.

use crate::codec::{AacConfig, AvcConfig};
use crate::flv::testing::{ASC_44100_STEREO, AVC_640X360, hex};
use crate::mp4::write::{Writer, stsd};
use crate::mp4::{Track, TrackConfig};

/// One track's boxes, as they will be written.
#[derive(Clone, Debug)]
pub struct Trak {
    pub handler: [u8; 4],
    /// The sample entry's track; `None`: an `hev1` entry instead.
    pub config: Option<Track>,
    pub timescale: u32,
    pub stts: Vec<(u32, u32)>,
    /// Version, then (count, offset) runs.
    pub ctts: Option<(u8, Vec<(u32, i32)>)>,
    /// (first chunk, samples per chunk, sample description).
    pub stsc: Vec<(u32, u32, u32)>,
    /// Each sample's size; with `same`, `stsz` says one size for all (`sizes` gives the count).
    pub sizes: Vec<u32>,
    pub same: Option<u32>,
    /// Write `stz2` with this field size instead of `stsz`.
    pub stz2: Option<u8>,
    pub chunks: Vec<u64>,
    pub co64: bool,
    /// 1-based, as in the file.
    pub stss: Option<Vec<u32>>,
    /// Version, then (segment duration, media time) entries.
    pub elst: Option<(u8, Vec<(u64, i64)>)>,
}

pub fn avc() -> AvcConfig {
    AvcConfig::parse(&hex(AVC_640X360)).unwrap()
}

pub fn aac() -> AacConfig {
    AacConfig::parse(&ASC_44100_STEREO).unwrap()
}

impl Trak {
    /// Video at 12800 Hz, 40 ms frames, one sample a chunk at `chunks`, sizes given.
    pub fn video(sizes: &[u32], chunks: &[u64]) -> Trak {
        Trak {
            handler: *b"vide",
            config: Some(Track { id: 1, config: TrackConfig::Video(avc()) }),
            timescale: 12800,
            stts: vec![(sizes.len() as u32, 512)],
            ctts: None,
            stsc: vec![(1, 1, 1)],
            sizes: sizes.to_vec(),
            same: None,
            stz2: None,
            chunks: chunks.to_vec(),
            co64: false,
            stss: None,
            elst: None,
        }
    }

    /// AAC at 44.1 kHz, 1024 samples a frame, `per_chunk` frames a chunk.
    pub fn audio(sizes: &[u32], chunks: &[u64], per_chunk: u32) -> Trak {
        Trak {
            handler: *b"soun",
            config: Some(Track { id: 2, config: TrackConfig::Audio(aac()) }),
            timescale: 44100,
            stts: vec![(sizes.len() as u32, 1024)],
            stsc: vec![(1, per_chunk, 1)],
            ..Trak::video(sizes, chunks)
        }
    }
}

fn table(w: &mut Writer, kind: &[u8; 4], version: u8, rows: &[Vec<u64>], widths: &[usize]) {
    w.begin_full(kind, version, 0);
    w.u32(rows.len() as u32);
    for row in rows {
        for (&v, &width) in row.iter().zip(widths) {
            if width == 8 {
                w.u64(v);
            } else {
                w.u32(v as u32);
            }
        }
    }
    w.end();
}

/// `moov` with `mvhd` (of `movie_timescale`) and the tracks.
pub fn moov(movie_timescale: u32, traks: &[Trak]) -> Vec<u8> {
    let mut w = Writer::with_capacity(4096);
    w.begin(b"moov");
    w.begin_full(b"mvhd", 0, 0);
    w.u32(0);
    w.u32(0);
    w.u32(movie_timescale);
    w.u32(0);
    w.zeros(80);
    w.end();
    for t in traks {
        w.begin(b"trak");
        if let Some((version, entries)) = &t.elst {
            w.begin(b"edts");
            w.begin_full(b"elst", *version, 0);
            w.u32(entries.len() as u32);
            for &(duration, media_time) in entries {
                if *version == 1 {
                    w.u64(duration);
                    w.u64(media_time as u64);
                } else {
                    w.u32(duration as u32);
                    w.u32(media_time as u32);
                }
                w.u32(0x0001_0000);
            }
            w.end();
            w.end();
        }
        w.begin(b"mdia");
        w.begin_full(b"mdhd", 0, 0);
        w.u32(0);
        w.u32(0);
        w.u32(t.timescale);
        w.u32(0);
        w.u16(0x55c4);
        w.u16(0);
        w.end();
        w.begin_full(b"hdlr", 0, 0);
        w.u32(0);
        w.bytes(&t.handler);
        w.zeros(13);
        w.end();
        w.begin(b"minf");
        w.begin(b"stbl");
        match &t.config {
            Some(track) => stsd(&mut w, track),
            None => {
                w.begin_full(b"stsd", 0, 0);
                w.u32(1);
                w.begin(b"hev1");
                w.zeros(78);
                w.end();
                w.end();
            }
        }
        let rows = |v: &[(u32, u32)]| v.iter().map(|&(a, b)| vec![u64::from(a), u64::from(b)]).collect::<Vec<_>>();
        table(&mut w, b"stts", 0, &rows(&t.stts), &[4, 4]);
        if let Some((version, runs)) = &t.ctts {
            let runs: Vec<(u32, u32)> = runs.iter().map(|&(n, o)| (n, o as u32)).collect();
            table(&mut w, b"ctts", *version, &rows(&runs), &[4, 4]);
        }
        if let Some(keys) = &t.stss {
            table(&mut w, b"stss", 0, &keys.iter().map(|&k| vec![u64::from(k)]).collect::<Vec<_>>(), &[4]);
        }
        let stsc: Vec<Vec<u64>> = t.stsc.iter().map(|&(a, b, c)| vec![a.into(), b.into(), c.into()]).collect();
        table(&mut w, b"stsc", 0, &stsc, &[4, 4, 4]);
        match (t.stz2, t.same) {
            (Some(bits), _) => {
                w.begin_full(b"stz2", 0, 0);
                w.bytes(&[0, 0, 0, bits]);
                w.u32(t.sizes.len() as u32);
                match bits {
                    4 => {
                        for pair in t.sizes.chunks(2) {
                            w.u8((pair[0] << 4) as u8 | pair.get(1).map_or(0, |&s| s as u8));
                        }
                    }
                    8 => t.sizes.iter().for_each(|&s| w.u8(s as u8)),
                    _ => t.sizes.iter().for_each(|&s| w.u16(s as u16)),
                }
                w.end();
            }
            (None, same) => {
                w.begin_full(b"stsz", 0, 0);
                w.u32(same.unwrap_or(0));
                w.u32(t.sizes.len() as u32);
                if same.is_none() {
                    t.sizes.iter().for_each(|&s| w.u32(s));
                }
                w.end();
            }
        }
        let offsets: Vec<Vec<u64>> = t.chunks.iter().map(|&c| vec![c]).collect();
        if t.co64 {
            table(&mut w, b"co64", 0, &offsets, &[8]);
        } else {
            table(&mut w, b"stco", 0, &offsets, &[4]);
        }
        w.end(); // stbl
        w.end(); // minf
        w.end(); // mdia
        w.end(); // trak
    }
    w.end();
    w.buf
}

/// A file of `len` bytes where byte `i` is `i % 251`: every sample's bytes differ from
/// its neighbours'.
pub fn file(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}
