//! Keyframes from an FLV read once, front to back, in chunks of any size: a remote
//! recording is streamed, not fetched whole, and reading stops once every target is
//! met. Tags go through [`flv::demux`](crate::flv::demux) (whole tags read in place, only
//! an incomplete tail copied) and [`flv::tag`](crate::flv::tag); the only media copied
//! is the wanted keyframes'.

use super::{Keyframe, Targets, annexb};
use crate::codec::AvcConfig;
use crate::error::{Error, ErrorKind, Result};
use crate::flv::demux::{Demuxer, Tag};
use crate::flv::tag::{AvcPacketType, FrameType, TagHeader, TagType, VideoCodec, VideoTagHeader};

/// An FLV's keyframes for a set of [`Targets`].
///
/// ```text
/// let mut k = FlvKeyframes::new(Targets::new(vec![0, 2000, 4000]));
/// for chunk in body { frames.extend(k.push(&chunk)?); if k.done() { break } }
/// k.finish()?;   // only when the whole file was read: Truncated if it was cut
/// ```
///
/// A keyframe's time is its tag's timestamp plus its composition time (ms), as the
/// file has them: the FLV remuxer (the player) moves its timeline so that the first
/// audio or video tag is at 0, which is where recorders put it anyway.
///
/// Video in another codec than H.264 (HEVC as codec id 12 or enhanced FLV, VP6, Sorenson
/// H.263) is refused at its first tag with [`ErrorKind::UnsupportedCodec`] naming it, as
/// the remuxer refuses it; audio is not looked at. A keyframe before the first AVC
/// sequence header, or without an IDR slice, cannot be decoded on its own and is passed
/// over: a later keyframe meets the target.
#[derive(Default)]
pub struct FlvKeyframes {
    demux: Demuxer,
    targets: Targets,
    config: Option<AvcConfig>,
    /// An error met in a push that also found keyframes: those were given, this is
    /// given by the next call (as the remuxer gives what came before a bad tag).
    error: Option<Error>,
}

impl FlvKeyframes {
    pub fn new(targets: Targets) -> Self {
        FlvKeyframes { demux: Demuxer::new(), targets, config: None, error: None }
    }

    /// Feeds the file's next bytes; gives the wanted keyframes now complete, in file
    /// order. Corrupt data or another codec is an error with the byte offset in the
    /// file; keyframes found in the same chunk before it are given first, the error by
    /// the next call. Once [`done`](Self::done), bytes are ignored.
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<Keyframe>> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let mut found = Vec::new();
        if self.targets.done() {
            return Ok(found);
        }
        let (targets, config) = (&mut self.targets, &mut self.config);
        let result = self.demux.push(chunk, |tag| {
            if targets.done() {
                return Ok(());
            }
            video_tag(&tag, targets, config, &mut found)
        });
        match result {
            Ok(()) => Ok(found),
            Err(e) if found.is_empty() => {
                self.error = Some(e.clone());
                Err(e)
            }
            Err(e) => {
                self.error = Some(e);
                Ok(found)
            }
        }
    }

    /// Every target is met: the caller may stop reading.
    pub fn done(&self) -> bool {
        self.targets.done()
    }

    /// What is still wanted (the next target: [`Targets::next`]).
    pub fn targets(&self) -> &Targets {
        &self.targets
    }

    /// The file ended: [`ErrorKind::Truncated`] if it stopped inside a tag, or the error
    /// a push met. `Ok` once [`done`](Self::done) without an error: the bytes after
    /// that were not read, so a cut there is not seen.
    pub fn finish(&self) -> Result<()> {
        match &self.error {
            Some(e) => Err(e.clone()),
            None if self.targets.done() => Ok(()),
            None => self.demux.finish(),
        }
    }
}

/// One tag: a sequence header is kept, a wanted keyframe given; other tags are skipped.
fn video_tag(
    tag: &Tag<'_>,
    targets: &mut Targets,
    config: &mut Option<AvcConfig>,
    found: &mut Vec<Keyframe>,
) -> Result<()> {
    if tag.tag_type() != TagType::Video {
        return Ok(());
    }
    let err = |kind| Err(Error::new(tag.offset, kind));
    let Some(h) = VideoTagHeader::parse(tag.data) else { return Ok(()) };
    if h.enhanced {
        let fourcc = VideoTagHeader::fourcc(tag.data);
        return err(ErrorKind::UnsupportedCodec(format!("enhanced FLV video '{fourcc}'")));
    }
    if h.frame_type == FrameType::INFO_OR_COMMAND {
        return Ok(());
    }
    if h.codec != VideoCodec::AVC {
        return err(ErrorKind::UnsupportedCodec(h.codec.name().into()));
    }
    let Some(payload) = tag.data.get(VideoTagHeader::AVC_LEN..) else {
        return err(ErrorKind::CorruptTag("AVC video tag shorter than its header"));
    };
    match h.packet_type {
        Some(AvcPacketType::SEQUENCE_HEADER) => {
            *config = Some(AvcConfig::parse(payload).map_err(|k| Error::new(tag.offset, k))?);
        }
        Some(AvcPacketType::NALU) if h.is_keyframe() => {
            let time = tag.timestamp() + i64::from(h.composition_time);
            let Some(config) = config.as_ref().filter(|_| targets.wants(time)) else { return Ok(()) };
            let at = tag.offset + (TagHeader::LEN + VideoTagHeader::AVC_LEN) as u64;
            if let Some(annexb) = annexb(config, payload, at)? {
                targets.take(time);
                found.push(Keyframe { time_ms: time, annexb });
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flv::testing::{
        AVC_320X180, AVC_640X360, aac_frame, aac_sequence_header, avc_frame, avc_sequence_header, file, hex, tag,
    };
    use crate::ts::h264::split_annex_b;

    /// NAL unit types of an Annex B access unit, checking every start code is 4 bytes.
    fn types(annexb: &[u8]) -> Vec<u8> {
        assert!(annexb.starts_with(&[0, 0, 0, 1]));
        let (lead, nals) = split_annex_b(annexb);
        assert!(lead.is_empty());
        nals.map(|n| n[0] & 0x1f).collect()
    }

    /// A 10 s FLV at 25 fps: sequence headers, a keyframe every `gop` frames (the
    /// keyframe's composition time 80 ms, as with B-frames), AAC between.
    fn recording(gop: u32) -> Vec<u8> {
        let mut tags = vec![avc_sequence_header(0, &hex(AVC_640X360)), aac_sequence_header(0, &[0x12, 0x10])];
        for i in 0..250 {
            tags.push(avc_frame(i * 40, i % gop == 0, if i % gop == 0 { 80 } else { 0 }, 100 + i as usize));
            tags.push(aac_frame(i * 40 + 10, 50));
        }
        file(true, true, &tags)
    }

    fn run(bytes: &[u8], chunk: usize, targets: &[i64]) -> Result<Vec<Keyframe>> {
        let mut k = FlvKeyframes::new(Targets::new(targets.to_vec()));
        let mut out = Vec::new();
        for c in bytes.chunks(chunk.max(1)) {
            out.extend(k.push(c)?);
        }
        k.finish()?;
        Ok(out)
    }

    #[test]
    fn first_keyframe_at_or_after_each_target() {
        let f = recording(50);
        let got = run(&f, 4096, &[0, 2000, 4000, 4050, 9000]).unwrap();
        // 0 → 80; 2000 → 2080; 4000 and 4050 → 4080 (once); 9000 → none after 8080.
        assert_eq!(got.iter().map(|k| k.time_ms).collect::<Vec<_>>(), vec![80, 2080, 4080]);
        for k in &got {
            assert_eq!(types(&k.annexb), vec![7, 8, 5]);
        }
        // SPS and PPS from the record, then the frame's one NAL unit (its size: 100 + i).
        let sets = AvcConfig::parse(&hex(AVC_640X360)).unwrap();
        let sets = sets.parameter_sets().unwrap();
        let expected = 4 + sets[0].len() + 4 + sets[1].len() + 4 + 150;
        assert_eq!(got[1].annexb.len(), expected);
    }

    #[test]
    fn any_chunking_gives_the_same_and_stops_when_done() {
        let f = recording(25);
        let whole = run(&f, f.len(), &[500, 2000, 7000]).unwrap();
        assert_eq!(whole.len(), 3);
        for chunk in [1, 7, 188, 4096] {
            assert_eq!(run(&f, chunk, &[500, 2000, 7000]).unwrap(), whole, "chunk {chunk}");
        }
        let mut k = FlvKeyframes::new(Targets::new(vec![0]));
        let first = k.push(&f[..2000]).unwrap();
        assert_eq!(first.len(), 1);
        assert!(k.done());
        assert_eq!(k.push(b"anything: not read").unwrap(), vec![]);
    }

    #[test]
    fn configuration_changes_and_missing_ones() {
        // A keyframe before any sequence header is passed over; the next one serves.
        let mut tags = vec![avc_frame(0, true, 0, 50), avc_sequence_header(20, &hex(AVC_640X360))];
        tags.push(avc_frame(40, true, 0, 50));
        tags.push(avc_sequence_header(60, &hex(AVC_320X180)));
        tags.push(avc_frame(80, true, 0, 50));
        let f = file(false, true, &tags);
        let got = run(&f, 10, &[0, 60]).unwrap();
        assert_eq!(got.iter().map(|k| k.time_ms).collect::<Vec<_>>(), vec![40, 80]);
        // The second picture comes with the second configuration's SPS.
        let sps = AvcConfig::parse(&hex(AVC_320X180)).unwrap();
        let sps = sps.parameter_sets().unwrap()[0];
        assert_eq!(&got[1].annexb[4..4 + sps.len()], sps);
    }

    #[test]
    fn other_codecs_are_refused_by_name() {
        let refusal = |data: &[u8]| {
            let f = file(false, true, &[tag(TagType::Video, 0, data)]);
            match run(&f, 64, &[0]).unwrap_err().kind {
                ErrorKind::UnsupportedCodec(name) => name,
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(refusal(&[0x1c, 0, 0, 0, 0]), "HEVC video (codec id 12)");
        assert_eq!(refusal(&[0x90, b'h', b'v', b'c', b'1']), "enhanced FLV video 'hvc1'");
        assert_eq!(refusal(&[0x12, 0]), "Sorenson H.263 video");
        assert_eq!(refusal(&[0x14, 0]), "VP6 video");
    }

    #[test]
    fn corrupt_input_is_an_error_after_what_came_before() {
        let mut f = recording(50);
        let cut = f.len() - 300;
        assert_eq!(run(&f[..cut], 1000, &[0, 9000]).unwrap_err().kind, ErrorKind::Truncated);
        // A keyframe whose NAL length runs past its tag: an error at that length field.
        let bad = avc_frame(0, true, 0, 20);
        let mut bad_len = bad.clone();
        bad_len[11 + 5] = 0x7f;
        let g = file(false, true, &[avc_sequence_header(0, &hex(AVC_640X360)), bad_len]);
        let e = run(&g, 100, &[0]).unwrap_err();
        let tag_at = 13 + (11 + 5 + hex(AVC_640X360).len() + 4) as u64;
        assert_eq!(e, Error::new(tag_at + 16, ErrorKind::BadStream("a NAL unit runs past the end of its frame")));
        // A broken tag after a wanted keyframe: the keyframe, then the error.
        let n = f.len();
        f[n - 4..].copy_from_slice(&[0xff; 4]); // the last previous-tag-size
        let mut k = FlvKeyframes::new(Targets::new(vec![0, 9000]));
        assert_eq!(k.push(&f).unwrap().len(), 1);
        assert!(k.push(&[]).is_err());
        assert!(k.finish().is_err());
        // Every cut and a byte changed anywhere: never a panic.
        let f = recording(10);
        for n in (0..f.len()).step_by(997) {
            let _ = run(&f[..n], 33, &[0, 3000, 6000]);
            let mut g = f.clone();
            g[n] ^= 0x5a;
            let _ = run(&g, 33, &[0, 3000, 6000]);
        }
    }

    #[test]
    fn sei_and_delimiters_are_left_out_and_a_non_idr_keyframe_passed_over() {
        let record = hex(AVC_640X360);
        let with_nals = |ts: u32, nals: &[&[u8]]| {
            let mut d = vec![0x17, 1, 0, 0, 0];
            for n in nals {
                d.extend_from_slice(&(n.len() as u32).to_be_bytes());
                d.extend_from_slice(n);
            }
            tag(TagType::Video, ts, &d)
        };
        let tags = [
            avc_sequence_header(0, &record),
            // A "keyframe" of a non-IDR I slice (open GOP): not decodable alone.
            with_nals(0, &[&[0x09, 0xf0], &[0x41, 0x88, 1, 2]]),
            with_nals(
                40,
                &[&[0x09, 0xf0], &[0x06, 5, 1, 0x80], &[0x65, 0x88, 1], &[0x65, 0x48, 2], &[], &[0x0c, 0xff]],
            ),
        ];
        let got = run(&file(false, true, &tags), 5, &[0]).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].time_ms, 40);
        assert_eq!(types(&got[0].annexb), vec![7, 8, 5, 5]);
        assert!(got[0].annexb.ends_with(&[0, 0, 0, 1, 0x65, 0x88, 1, 0, 0, 0, 1, 0x65, 0x48, 2]));
    }
}
