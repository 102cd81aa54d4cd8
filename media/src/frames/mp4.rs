//! Keyframes of a progressive MP4 from its `moov` alone: the sample tables say where
//! every keyframe is and how large, so a caller reads those bytes only (a few hundred
//! KB for a poster and a storyboard, wherever they are in a multi-GB file: locally with
//! a seek, remotely with HTTP Range). The tables are read by the MP4 demuxer's own
//! `table` (checked, with the edit list), the sample entry by `mp4::init`'s reader.

use super::{Targets, annexb};
use crate::codec::AvcConfig;
use crate::error::{Error, ErrorKind, Result};
use crate::mp4::TrackConfig;
use crate::mp4::demux::table::SampleTable;
use crate::mp4::demux::{first_entry, open_moov};
use crate::mp4::init::{codec_name, entry_config};
use crate::mp4::probe::Hdlr;

/// One video keyframe: its presentation time and where its bytes are in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeySample {
    /// Presentation time (decode time + `ctts` offset, through the edit list) on the
    /// movie timeline, ms, rounded: what ffprobe says of it.
    pub time_ms: i64,
    /// Its first byte in the file.
    pub offset: u64,
    pub size: u32,
}

/// The keyframes of a progressive MP4's video track.
///
/// ```text
/// let k = Mp4Keyframes::from_moov(&moov)?;        // the whole moov box (locate_moov)
/// for s in k.pick(Targets::new(vec![0, 2000])) {
///     let bytes = read(s.offset, s.size);           // a seek, or a Range request
///     frames.push(Keyframe { time_ms: s.time_ms, annexb: k.annexb(&bytes)? });
/// }
/// ```
///
/// The track is the first video (`vide`) track with samples, as the MP4 remuxer picks
/// it; another codec than H.264 there is refused by name (`hev1 (HEVC)`); audio tracks
/// are not read (their codec does not matter here). A file without video has no
/// samples. Times are on the movie timeline (the edit list applied: ffmpeg's B-frame
/// delay is taken off, so its first keyframe is at 0). The MP4 remuxer's output and
/// seek index ([`Mp4Remuxer::keyframes`](crate::mp4::demux::Mp4Remuxer::keyframes))
/// start the file's earliest decode time at 0 instead, a few frames apart at most: a
/// B-frame delay, or AAC priming.
#[derive(Clone, Debug)]
pub struct Mp4Keyframes {
    /// Every sync sample (`stss`; every sample without one), by time.
    pub samples: Vec<KeySample>,
    config: Option<AvcConfig>,
}

impl Mp4Keyframes {
    /// Reads the `moov` box (header included). Offsets in errors count from its first
    /// byte: tables that contradict each other, a sample entry of another codec.
    pub fn from_moov(moov: &[u8]) -> Result<Mp4Keyframes> {
        let (moov, mvhd) = open_moov(moov)?;
        for trak in moov.children() {
            let trak = trak?;
            if trak.kind != b"trak" {
                continue;
            }
            let mdia = trak.require(b"mdia", "trak without mdia")?;
            if Hdlr::parse(&mdia.require(b"hdlr", "mdia without hdlr")?)?.handler_type != Hdlr::VIDEO {
                continue;
            }
            let entry = first_entry(&mdia)?;
            let config = match entry_config(&entry)? {
                Some(TrackConfig::Video(c)) => c,
                Some(TrackConfig::Audio(_)) => {
                    return Err(Error::new(
                        entry.offset,
                        ErrorKind::BadBox("a sample entry of another kind than its track"),
                    ));
                }
                None => return Err(Error::new(entry.offset, ErrorKind::UnsupportedCodec(codec_name(entry.kind)))),
            };
            let table = SampleTable::parse(&trak, mvhd.timescale)?;
            if table.is_empty() {
                continue;
            }
            let mut samples = Vec::new();
            let mut c = table.cursor(0);
            while let Some(s) = table.get(&c) {
                if s.key {
                    let time_ms = table.ms(s.dts + i64::from(s.cts));
                    samples.push(KeySample { time_ms, offset: s.offset, size: s.size });
                }
                table.advance(&mut c);
            }
            // Decode order is presentation order for keyframes in practice; sorting
            // (stable) makes `pick` right whatever the `ctts` says.
            samples.sort_by_key(|s| s.time_ms);
            return Ok(Mp4Keyframes { samples, config: Some(config) });
        }
        Ok(Mp4Keyframes { samples: Vec::new(), config: None })
    }

    /// The video track's configuration (picture size in it); `None` without video.
    pub fn config(&self) -> Option<&AvcConfig> {
        self.config.as_ref()
    }

    /// The keyframes that meet `targets`: for each target, the first at or after it,
    /// each keyframe once; by time.
    pub fn pick(&self, mut targets: Targets) -> Vec<KeySample> {
        let mut picked = Vec::new();
        for s in &self.samples {
            if targets.done() {
                break;
            }
            if targets.wants(s.time_ms) {
                targets.take(s.time_ms);
                picked.push(*s);
            }
        }
        picked
    }

    /// A keyframe's bytes (`size` bytes from `offset`: NAL units behind lengths of the
    /// `avcC`'s size) as an Annex B access unit that decodes on its own. Offsets in
    /// errors count from the sample's first byte: a length past its end, or no IDR
    /// slice in it (an open-GOP recovery point: pick another).
    pub fn annexb(&self, sample: &[u8]) -> Result<Vec<u8>> {
        let config = self.config.as_ref().ok_or(Error::new(0, ErrorKind::BadStream("the MP4 has no video track")))?;
        annexb(config, sample, 0)?.ok_or(Error::new(
            0,
            ErrorKind::BadStream("a keyframe without an IDR slice: it does not decode on its own"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mp4::demux::testing::{Trak, moov};
    use crate::ts::h264::split_annex_b;

    /// 100 frames of 40 ms (12800 Hz), a keyframe every 25 (1 s), 2 B-frames of delay in
    /// `ctts` taken off by the edit list, as ffmpeg writes them.
    fn trak() -> Trak {
        let sizes: Vec<u32> = (0..100).map(|i| 100 + i).collect();
        let mut offset = 5000u64;
        let chunks = sizes
            .iter()
            .map(|&s| {
                offset += u64::from(s);
                offset - u64::from(s)
            })
            .collect::<Vec<_>>();
        Trak {
            stss: Some((0..4).map(|k| k * 25 + 1).collect()),
            ctts: Some((0, vec![(100, 1024)])),
            elst: Some((0, vec![(4000, 1024)])),
            ..Trak::video(&sizes, &chunks)
        }
    }

    #[test]
    fn keyframes_from_the_tables() {
        let k = Mp4Keyframes::from_moov(&moov(1000, &[Trak::audio(&[10; 40], &[100], 40), trak()])).unwrap();
        let times: Vec<i64> = k.samples.iter().map(|s| s.time_ms).collect();
        assert_eq!(times, vec![0, 1000, 2000, 3000]);
        let sizes: u64 = (0..25).map(|i| 100 + i).sum();
        assert_eq!(k.samples[1], KeySample { time_ms: 1000, offset: 5000 + sizes, size: 125 });
        assert_eq!(k.config().map(|c| (c.width, c.height)), Some((640, 360)));
        let pick = |t: &[i64]| k.pick(Targets::new(t.to_vec())).iter().map(|s| s.time_ms).collect::<Vec<_>>();
        assert_eq!(pick(&[0, 2000, 4000]), vec![0, 2000]);
        assert_eq!(pick(&[1, 500, 999, 1000, 2999]), vec![1000, 3000]);
        assert_eq!(pick(&[-100]), vec![0]);
        assert_eq!(pick(&[]), Vec::<i64>::new());
    }

    #[test]
    fn annexb_from_a_sample_in_each_length_size() {
        for size in [1usize, 2, 4] {
            let mut record = crate::flv::testing::hex(crate::flv::testing::AVC_640X360);
            record[4] = 0xfc | (size as u8 - 1);
            let mut t = trak();
            t.config =
                Some(crate::mp4::Track { id: 1, config: TrackConfig::Video(AvcConfig::parse(&record).unwrap()) });
            let k = Mp4Keyframes::from_moov(&moov(1000, &[t])).unwrap();
            let mut sample = Vec::new();
            for nal in [&[0x09u8, 0xf0][..], &[0x06, 1, 2], &[0x65, 0x88, 0x84, 0, 0x21]] {
                sample.extend_from_slice(&(nal.len() as u32).to_be_bytes()[4 - size..]);
                sample.extend_from_slice(nal);
            }
            let a = k.annexb(&sample).unwrap();
            let types: Vec<u8> = split_annex_b(&a).1.map(|n| n[0] & 0x1f).collect();
            assert_eq!(types, vec![7, 8, 5], "length size {size}");
            assert!(a.ends_with(&[0, 0, 0, 1, 0x65, 0x88, 0x84, 0, 0x21]));
            // Cut inside a length, or inside a NAL unit; a P frame.
            let e = k.annexb(&sample[..sample.len() - 1]).unwrap_err();
            assert_eq!(e.offset, (sample.len() - 5 - size) as u64);
            assert!(k.annexb(&sample[..size + 2 + size - 1]).is_err());
            assert!(k.annexb(&[&sample[..size + 2], &[0x41, 0x9a][..]].concat()).is_err());
        }
    }

    #[test]
    fn other_codecs_no_video_and_broken_tables() {
        let hevc = Trak { config: None, ..trak() };
        let e = Mp4Keyframes::from_moov(&moov(1000, &[hevc])).unwrap_err();
        assert_eq!(e.kind, ErrorKind::UnsupportedCodec("hev1 (HEVC)".into()));
        // Audio only: nothing to give, which is not an error.
        let audio = Mp4Keyframes::from_moov(&moov(1000, &[Trak::audio(&[10; 40], &[100], 40)])).unwrap();
        assert!(audio.samples.is_empty() && audio.config().is_none());
        assert!(audio.annexb(&[0, 0, 0, 1, 0x65]).is_err());
        // An audio track in an odd codec does not matter.
        let odd_audio = Trak { handler: *b"soun", config: None, ..Trak::audio(&[10; 40], &[100], 40) };
        assert_eq!(Mp4Keyframes::from_moov(&moov(1000, &[odd_audio, trak()])).unwrap().samples.len(), 4);
        let bad = Trak { stss: Some(vec![1, 200]), ..trak() };
        assert!(matches!(Mp4Keyframes::from_moov(&moov(1000, &[bad])).unwrap_err().kind, ErrorKind::BadBox(_)));
        assert!(Mp4Keyframes::from_moov(b"\0\0\0\x08free").is_err());
        // Cut anywhere, or a byte changed anywhere: an error or keyframes, never a panic.
        let m = moov(1000, &[trak()]);
        for n in 0..m.len() {
            let _ = Mp4Keyframes::from_moov(&m[..n]);
            let mut b = m.clone();
            b[n] ^= 0xa5;
            let _ = Mp4Keyframes::from_moov(&b);
        }
    }
}
