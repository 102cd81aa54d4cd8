//! Keyframes from an FLV, two ways:
//!
//! - [`FlvKeyframes`]: read once, front to back, in chunks of any size: a remote
//!   recording is streamed, not fetched whole, and reading stops once every target is
//!   met. Tags go through [`flv::demux`](crate::flv::demux) (whole tags read in place,
//!   only an incomplete tail copied) and [`flv::tag`](crate::flv::tag); the only media
//!   copied is the wanted keyframes'.
//! - [`flv_head`] and [`flv_keyframe_tag`]: by byte ranges, for a caller that knows where
//!   the keyframes' tags are (a keyframe index, `relive_media::index`): the file's first
//!   bytes give the AVC configuration, then each picked keyframe's tag is read alone.

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

/// A video tag's header and payload, if it is AVC media or configuration; `None` for
/// audio, script data and video info/command frames. Another codec is refused by name.
fn avc_tag<'a>(tag: &Tag<'a>) -> Result<Option<(VideoTagHeader, &'a [u8])>> {
    if tag.tag_type() != TagType::Video {
        return Ok(None);
    }
    let err = |kind| Err(Error::new(tag.offset, kind));
    let Some(h) = VideoTagHeader::parse(tag.data) else { return Ok(None) };
    if h.enhanced {
        let fourcc = VideoTagHeader::fourcc(tag.data);
        return err(ErrorKind::UnsupportedCodec(format!("enhanced FLV video '{fourcc}'")));
    }
    if h.frame_type == FrameType::INFO_OR_COMMAND {
        return Ok(None);
    }
    if h.codec != VideoCodec::AVC {
        return err(ErrorKind::UnsupportedCodec(h.codec.name().into()));
    }
    let Some(payload) = tag.data.get(VideoTagHeader::AVC_LEN..) else {
        return err(ErrorKind::CorruptTag("AVC video tag shorter than its header"));
    };
    Ok(Some((h, payload)))
}

/// A keyframe tag's picture with `config`: its time (the tag's timestamp plus its
/// composition time) and Annex B; `None` without an IDR slice.
fn keyframe(tag: &Tag<'_>, h: &VideoTagHeader, payload: &[u8], config: &AvcConfig) -> Result<Option<Keyframe>> {
    let time_ms = tag.timestamp() + i64::from(h.composition_time);
    let at = tag.offset + (TagHeader::LEN + VideoTagHeader::AVC_LEN) as u64;
    Ok(annexb(config, payload, at)?.map(|annexb| Keyframe { time_ms, annexb }))
}

/// One tag: a sequence header is kept, a wanted keyframe given; other tags are skipped.
fn video_tag(
    tag: &Tag<'_>,
    targets: &mut Targets,
    config: &mut Option<AvcConfig>,
    found: &mut Vec<Keyframe>,
) -> Result<()> {
    let Some((h, payload)) = avc_tag(tag)? else { return Ok(()) };
    match h.packet_type {
        Some(AvcPacketType::SEQUENCE_HEADER) => {
            *config = Some(AvcConfig::parse(payload).map_err(|k| Error::new(tag.offset, k))?);
        }
        Some(AvcPacketType::NALU) if h.is_keyframe() => {
            let time = tag.timestamp() + i64::from(h.composition_time);
            let Some(config) = config.as_ref().filter(|_| targets.wants(time)) else { return Ok(()) };
            if let Some(kf) = keyframe(tag, &h, payload, config)? {
                targets.take(kf.time_ms);
                found.push(kf);
            }
        }
        _ => {}
    }
    Ok(())
}

/// What an FLV's head (its first bytes, from byte 0) tells a reader of single keyframe
/// tags ([`flv_head`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FlvHead {
    /// The AVC configuration the keyframes decode with: the last sequence header before
    /// the first keyframe, or before the end of the head's whole tags when no keyframe
    /// is in them.
    Config(AvcConfig),
    /// No sequence header in the head's whole tags, nor a keyframe: read more of it.
    NeedMore,
    /// A keyframe comes before any sequence header: the configuration comes later, if
    /// at all (only a reading from the start, [`FlvKeyframes`], finds it).
    KeyframeFirst,
}

/// Reads an FLV's head for [`flv_keyframe_tag`]: the file header, then its whole tags
/// (a tag cut by the end of `head` is left for a longer head). Errors as
/// [`FlvKeyframes`] gives them: not an FLV, a corrupt tag, video in another codec.
pub fn flv_head(head: &[u8]) -> Result<FlvHead> {
    let mut demux = Demuxer::new();
    let (mut config, mut keyframe_seen) = (None, false);
    demux.push(head, |tag| {
        if keyframe_seen {
            return Ok(());
        }
        let Some((h, payload)) = avc_tag(&tag)? else { return Ok(()) };
        match h.packet_type {
            Some(AvcPacketType::SEQUENCE_HEADER) => {
                config = Some(AvcConfig::parse(payload).map_err(|k| Error::new(tag.offset, k))?);
            }
            Some(AvcPacketType::NALU) if h.is_keyframe() => keyframe_seen = true,
            _ => {}
        }
        Ok(())
    })?;
    Ok(match (config, keyframe_seen) {
        (Some(c), _) => FlvHead::Config(c),
        (None, false) => FlvHead::NeedMore,
        (None, true) => FlvHead::KeyframeFirst,
    })
}

/// The keyframe in one FLV tag read alone: `tag` is the file's bytes from the tag's first
/// byte (`offset` in the file, where a keyframe index points), at least its 11-byte
/// header and its data (the previous-tag-size after it, or more, is ignored); `config`
/// from [`flv_head`]. The keyframe's time is the tag's timestamp plus its composition
/// time, as [`FlvKeyframes`] gives it. `None` when the tag is not an AVC keyframe with an
/// IDR slice ([`FlvKeyframes`] passes such a keyframe over: take the next one). Errors:
/// [`ErrorKind::Truncated`] if `tag` stops inside the tag; a corrupt tag header or NAL
/// unit; another codec.
pub fn flv_keyframe_tag(config: &AvcConfig, tag: &[u8], offset: u64) -> Result<Option<Keyframe>> {
    let Some(header) = TagHeader::parse(tag, offset)? else { return Err(Error::new(offset, ErrorKind::Truncated)) };
    let end = TagHeader::LEN + header.data_size as usize;
    let Some(data) = tag.get(TagHeader::LEN..end) else { return Err(Error::new(offset, ErrorKind::Truncated)) };
    let tag = Tag { header, data, offset };
    match avc_tag(&tag)? {
        Some((h, payload)) if h.packet_type == Some(AvcPacketType::NALU) && h.is_keyframe() => {
            keyframe(&tag, &h, payload, config)
        }
        _ => Ok(None),
    }
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

    /// The keyframes for `targets` read as a caller with an index does: the head, then
    /// each picked keyframe's tag alone (its bytes to the end of the file: only the tag's
    /// own are read).
    fn by_index(f: &[u8], head_len: usize, targets: &[i64]) -> Result<Vec<Keyframe>> {
        let points = crate::flv::index::index(f)?.points;
        let FlvHead::Config(config) = flv_head(&f[..head_len])? else { panic!("no configuration in the head") };
        let mut targets = Targets::new(targets.to_vec());
        let mut out = Vec::new();
        for p in points {
            if targets.wants(p.time_ms) {
                let kf = flv_keyframe_tag(&config, &f[p.offset as usize..], p.offset)?.unwrap();
                targets.take(kf.time_ms);
                out.push(kf);
            }
        }
        Ok(out)
    }

    #[test]
    fn a_keyframe_read_by_its_tag_alone_is_the_streamed_one() {
        let f = recording(50);
        let targets = [0, 2000, 4000, 4050, 9000];
        assert_eq!(by_index(&f, 4096, &targets).unwrap(), run(&f, 4096, &targets).unwrap());
        let f = recording(10);
        let targets: Vec<i64> = (0..10).map(|s| s * 1000).collect();
        let streamed = run(&f, 4096, &targets).unwrap();
        assert_eq!(streamed.len(), 10);
        assert_eq!(by_index(&f, 200, &targets).unwrap(), streamed);
        // Without its trailing previous-tag-size, the tag reads the same; cut, it is Truncated.
        let points = crate::flv::index::index(&f).unwrap().points;
        let FlvHead::Config(config) = flv_head(&f[..200]).unwrap() else { panic!() };
        // The keyframe at 1200 ms (1280 with its composition time), the second streamed.
        let i = points.iter().position(|p| p.time_ms == 1200).unwrap();
        let (at, next) = (points[i].offset as usize, points[i + 1].offset as usize);
        let len = 11 + u32::from_be_bytes([0, f[at + 1], f[at + 2], f[at + 3]]) as usize;
        let whole = flv_keyframe_tag(&config, &f[at..at + len], at as u64).unwrap().unwrap();
        assert_eq!(whole, streamed[1]);
        assert_eq!(flv_keyframe_tag(&config, &f[at..next], at as u64).unwrap().unwrap(), whole);
        for cut in [0, 5, 11, len - 1] {
            let e = flv_keyframe_tag(&config, &f[at..at + cut], at as u64).unwrap_err();
            assert_eq!(e, Error::new(at as u64, ErrorKind::Truncated), "cut at {cut}");
        }
        // Not a keyframe (an inter frame, an audio tag, a sequence header): none.
        let inter = avc_frame(40, false, 0, 30);
        assert_eq!(flv_keyframe_tag(&config, &inter, 0).unwrap(), None);
        assert_eq!(flv_keyframe_tag(&config, &aac_frame(40, 30), 0).unwrap(), None);
        assert_eq!(flv_keyframe_tag(&config, &avc_sequence_header(0, &hex(AVC_320X180)), 0).unwrap(), None);
        // Another codec is refused, a bad NAL length is an error where it is.
        let hevc = tag(TagType::Video, 0, &[0x1c, 1, 0, 0, 0, 0, 0, 0, 1, 0x26]);
        assert!(matches!(flv_keyframe_tag(&config, &hevc, 0).unwrap_err().kind, ErrorKind::UnsupportedCodec(_)));
        let mut bad = avc_frame(0, true, 0, 20);
        bad[11 + 5] = 0x7f;
        assert_eq!(
            flv_keyframe_tag(&config, &bad, 1000).unwrap_err(),
            Error::new(1000 + 16, ErrorKind::BadStream("a NAL unit runs past the end of its frame"))
        );
    }

    #[test]
    fn the_head_gives_the_configuration_in_force_at_the_first_keyframe() {
        let f = recording(50);
        assert_eq!(flv_head(&f[..5]).unwrap(), FlvHead::NeedMore);
        assert_eq!(flv_head(&f[..13 + 11]).unwrap(), FlvHead::NeedMore, "the sequence header is cut");
        let config = AvcConfig::parse(&hex(AVC_640X360)).unwrap();
        assert_eq!(flv_head(&f[..200]).unwrap(), FlvHead::Config(config.clone()));
        assert_eq!(flv_head(&f).unwrap(), FlvHead::Config(config));
        // Metadata and audio first: more is needed until the sequence header is whole.
        let script = tag(TagType::Script, 0, &[0x02; 3000]);
        let g = file(
            true,
            true,
            &[script, aac_sequence_header(0, &[0x12, 0x10]), avc_sequence_header(0, &hex(AVC_320X180))],
        );
        assert_eq!(flv_head(&g[..2000]).unwrap(), FlvHead::NeedMore);
        assert_eq!(flv_head(&g[..g.len() - 5]).unwrap(), FlvHead::NeedMore);
        assert!(matches!(flv_head(&g).unwrap(), FlvHead::Config(c) if c.width == 320));
        // Two sequence headers before the first keyframe: the second; one after it: not that one.
        let mut tags = vec![avc_sequence_header(0, &hex(AVC_640X360)), avc_sequence_header(0, &hex(AVC_320X180))];
        tags.push(avc_frame(0, true, 0, 50));
        tags.push(avc_sequence_header(40, &hex(AVC_640X360)));
        assert!(matches!(flv_head(&file(false, true, &tags)).unwrap(), FlvHead::Config(c) if c.width == 320));
        // A keyframe before any sequence header.
        let h = file(false, true, &[avc_frame(0, true, 0, 50), avc_sequence_header(20, &hex(AVC_640X360))]);
        assert_eq!(flv_head(&h).unwrap(), FlvHead::KeyframeFirst);
        // Not an FLV; another codec.
        assert_eq!(flv_head(b"ID3\x04 an MP3").unwrap_err().kind, ErrorKind::NotFlv);
        let vp6 = file(false, true, &[tag(TagType::Video, 0, &[0x14, 0])]);
        assert_eq!(flv_head(&vp6).unwrap_err().kind, ErrorKind::UnsupportedCodec("VP6 video".into()));
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
