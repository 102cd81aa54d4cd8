//! The first keyframe of an MPEG-TS segment (HLS): the segment goes through the TS
//! demuxer ([`ts::demux`](crate::ts::demux)), which already turns Annex B into access
//! units with a key flag (an IDR slice is in it) and the in-band SPS/PPS into an
//! [`AvcConfig`]; this module puts the two back together.

use super::{Keyframe, annexb};
use crate::codec::AvcConfig;
use crate::error::Result;
use crate::ts::demux::{Demuxer, Frame};
use crate::ts::remux::{ticks_to_ms, unwrap_timestamp};

/// One whole segment's first keyframe (the first access unit with an IDR slice, once an
/// SPS and PPS came before it); `None` if it has none (audio only, or a segment cut
/// mid-GOP).
///
/// Its `time_ms` is its presentation time relative to the segment's first timestamp —
/// the smallest of the first video DTS and the first audio PTS, as the TS remuxer maps a
/// segment — rounded to ms, 33-bit wraps unwrapped. The caller places it by the
/// playlist: the segment's start time plus `time_ms`, which is where the player shows it
/// for the first segment of a discontinuity range (later ones follow on by their own
/// timestamps, within a frame or two of their `EXTINF` sums).
///
/// Errors are the TS remuxer's for the same segment (offsets in the segment): not
/// MPEG-TS, no program map table, a damaged segment, and a program in another codec than
/// H.264 and AAC (`UnsupportedCodec("HEVC")`, also for MP3 audio: the demuxer refuses
/// the program as the player would).
pub fn ts_first_keyframe(segment: &[u8]) -> Result<Option<Keyframe>> {
    let mut demux = Demuxer::new();
    let mut frames = Vec::new();
    demux.push(segment, &mut frames)?;
    demux.end_segment(&mut frames)?;
    let mut config: Option<AvcConfig> = None;
    // The first video DTS and audio PTS; then the keyframe's PTS and access unit.
    let mut firsts: [Option<i64>; 2] = [None, None];
    let mut key = None;
    for f in frames {
        match f {
            Frame::VideoConfig(c) => config = Some(c),
            Frame::Video(v) => {
                firsts[0].get_or_insert(v.dts);
                if key.is_none()
                    && v.key
                    && let Some(c) = &config
                    && let Some(a) = annexb(c, &v.data, v.offset)?
                {
                    key = Some((v.pts, a));
                }
            }
            Frame::Audio(a) => _ = firsts[1].get_or_insert(a.pts),
            Frame::AudioConfig(_) => {}
        }
        if key.is_some() && firsts.iter().all(Option::is_some) {
            break;
        }
    }
    let Some((pts, annexb)) = key else { return Ok(None) };
    // The smallest first timestamp, unwrapped against the keyframe's (the video's is
    // before it, the audio's near it: all within 2^32 ticks, 13 hours).
    let base = firsts.iter().flatten().map(|&t| unwrap_timestamp(t, pts)).min().unwrap_or(pts);
    Ok(Some(Keyframe { time_ms: ticks_to_ms(pts - base), annexb }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::flv::testing::hex;
    use crate::ts::h264::split_annex_b;
    use crate::ts::psi::StreamType;
    use crate::ts::testing::{AUD, PMT_PID, PPS, SPS, Ts, annex_b, av_stream, pat_section, pes, pmt_section, slice};

    fn types(a: &[u8]) -> Vec<u8> {
        split_annex_b(a).1.map(|n| n[0] & 0x1f).collect()
    }

    #[test]
    fn the_first_keyframe_relative_to_the_first_timestamp() {
        // Video from 10 s (90 kHz), a keyframe every 25 frames; audio alongside.
        let seg = av_stream(900_000, 60, 25);
        let k = ts_first_keyframe(&seg).unwrap().unwrap();
        assert_eq!(k.time_ms, 0);
        assert_eq!(types(&k.annexb), vec![7, 8, 5]);
        let (sps, pps) = (hex(SPS), hex(PPS));
        let mut expected = annex_b(&[&sps, &pps]);
        expected.extend_from_slice(&annex_b(&[&slice(true, true, 300)]));
        assert_eq!(k.annexb, expected, "SPS, PPS, the slice; the AUD left out");
    }

    #[test]
    fn a_segment_cut_mid_gop_and_a_wrap() {
        // Starts with 5 P frames: the keyframe is at the 6th frame (200 ms), after audio
        // that starts 20 ms before the video.
        let mut ts = Ts::new();
        ts.psi(true, true);
        let start = (1u64 << 33) - 9000; // 100 ms before the 33-bit wrap
        ts.audio(start - 1800, 2);
        for i in 0..10u64 {
            let t = (start + i * 3600) & ((1 << 33) - 1);
            ts.video(t, t, i == 5, true);
        }
        let k = ts_first_keyframe(&ts.bytes).unwrap().unwrap();
        assert_eq!(k.time_ms, 220);
        // No keyframe at all; no video at all.
        let mut ts = Ts::new();
        ts.psi(true, false);
        ts.video(0, 0, false, false).video(3600, 3600, false, false);
        assert_eq!(ts_first_keyframe(&ts.bytes).unwrap(), None);
        let mut ts = Ts::new();
        ts.psi(false, true).audio(0, 2);
        assert_eq!(ts_first_keyframe(&ts.bytes).unwrap(), None);
    }

    #[test]
    fn other_codecs_and_garbage_are_errors() {
        let mut ts = Ts::new();
        let pmt = pmt_section(&[(StreamType(0x24), 0x100, &[])]);
        ts.section(0, &pat_section(PMT_PID));
        ts.section(PMT_PID, &pmt);
        ts.data(0x100, &pes(0xE0, Some(0), None, &annex_b(&[&AUD]), false));
        assert_eq!(ts_first_keyframe(&ts.bytes).unwrap_err().kind, ErrorKind::UnsupportedCodec("HEVC".into()));
        let html = b"<!doctype html><title>404</title>".repeat(2000);
        assert!(ts_first_keyframe(&html).is_err());
        let seg = av_stream(0, 30, 25);
        for n in (0..seg.len()).step_by(101) {
            let _ = ts_first_keyframe(&seg[..n]);
            let mut g = seg.clone();
            g[n] ^= 0x47;
            let _ = ts_first_keyframe(&g);
        }
    }
}
