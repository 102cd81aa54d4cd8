//! FLV → fragmented MP4, incrementally: push FLV bytes as they arrive, take init and
//! media segments out for a `SourceBuffer`. Or, with [`to_mp4`], a whole FLV to one
//! progressive MP4.
//!
//! Timestamps are rebased so the first sample of the file is at 0. After a seek (a
//! byte range starting at a keyframe), [`Remuxer::restart_at`] keeps that base, so
//! segments land at their true place on the timeline. Timestamps that jump back, or
//! forward by more than [`MAX_GAP_MS`], are stitched to follow on.

#[cfg(test)]
mod tests;
mod track;

use crate::codec::{AacConfig, AvcConfig};
use crate::error::{Error, ErrorKind, Result};
use crate::flv::amf::{Metadata, parse_metadata};
use crate::flv::demux::{Demuxer, Header, Tag};
use crate::flv::tag::{
    AacPacketType, AudioFormat, AudioTagHeader, AvcPacketType, FrameType, TagType, VideoCodec, VideoTagHeader,
};
use crate::mp4::{self, Sample, Track, TrackConfig};
use track::TrackState;

pub const VIDEO_TRACK: u32 = 1;
pub const AUDIO_TRACK: u32 = 2;
/// A forward jump in timestamps beyond this is a discontinuity, not a gap to keep.
pub const MAX_GAP_MS: i64 = 5000;
/// Media buffered before an init segment is forced out when a track announced by the
/// header never sends its configuration.
const MAX_WAIT_FOR_CONFIG_MS: i64 = 1000;
/// Media gathered into one media segment, once the first segment (after the start or a
/// restart) has gone out at once: fewer, larger segments cost the player fewer messages
/// and buffer allocations than one per pushed chunk.
pub const BATCH_MS: i64 = 1000;

/// What the remuxer gives back.
#[derive(Clone, Debug, PartialEq)]
pub enum Output {
    /// An initialisation segment, and the MIME type with codecs for `addSourceBuffer`.
    Init { data: Vec<u8>, mime: String },
    /// A media segment covering `[start_ms, end_ms)` of the output timeline.
    Media { data: Vec<u8>, start_ms: i64, end_ms: i64 },
    /// The file's `onMetaData`.
    Metadata(Metadata),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Fragmented,
    Collect,
}

/// The incremental remuxer.
pub struct Remuxer {
    demux: Demuxer,
    mode: Mode,
    header: Option<Header>,
    video: Option<TrackState>,
    audio: Option<TrackState>,
    time_base: Option<i64>,
    /// Where the time base lies on the output timeline (ms): a part's place in a broadcast.
    place_ms: i64,
    init_sent: bool,
    /// A media segment went out since the start or the last restart.
    media_sent: bool,
    sequence: u32,
    metadata_sent: bool,
    framerate: Option<f64>,
    out: Vec<Output>,
}

impl Default for Remuxer {
    fn default() -> Self {
        Self::new()
    }
}

impl Remuxer {
    pub fn new() -> Self {
        Remuxer {
            demux: Demuxer::new(),
            mode: Mode::Fragmented,
            header: None,
            video: None,
            audio: None,
            time_base: None,
            place_ms: 0,
            init_sent: false,
            media_sent: false,
            sequence: 0,
            metadata_sent: false,
            framerate: None,
            out: Vec::new(),
        }
    }

    /// Continues from `offset`, the first byte of a tag (a keyframe's position), after
    /// a seek: codec configurations and the time base are kept; samples not yet given
    /// out are dropped.
    pub fn restart_at(&mut self, offset: u64) {
        self.demux = Demuxer::at_tag(offset);
        self.media_sent = false;
        for t in [&mut self.video, &mut self.audio].into_iter().flatten() {
            t.last = None;
            t.ready.clear();
        }
    }

    /// The time base: the first sample's FLV timestamp, once known.
    pub fn time_base(&self) -> Option<i64> {
        self.time_base
    }

    /// Sets the time base (the file's first timestamp), e.g. from a keyframe index,
    /// when reading starts mid-file.
    pub fn set_time_base(&mut self, base: i64) {
        self.time_base = Some(base);
    }

    /// Forgets the time base: the next sample read sets it again (a file whose head was
    /// read for its configurations, continued from a keyframe further on).
    pub fn clear_time_base(&mut self) {
        self.time_base = None;
    }

    /// Puts the time base at `place_ms` on the output timeline instead of 0: a part of
    /// a broadcast played after others, or a file read from a keyframe at `place_ms`
    /// (its first sample read becomes the time base).
    pub fn set_place(&mut self, place_ms: i64) {
        self.place_ms = place_ms;
    }

    /// The file offset up to which input has been consumed.
    pub fn offset(&self) -> u64 {
        self.demux.offset()
    }

    /// Feeds FLV bytes. Output produced before an error stays available.
    pub fn push(&mut self, chunk: &[u8]) -> Result<()> {
        let mut demux = std::mem::take(&mut self.demux);
        let result = demux.push(chunk, |tag| self.tag(tag));
        self.header = self.header.or(demux.header());
        self.demux = demux;
        result?;
        self.emit(false);
        Ok(())
    }

    /// Ends the input: closes the last samples and emits what is left. An error if the
    /// input stopped inside a tag (what came before is still emitted).
    pub fn finish(&mut self) -> Result<()> {
        for t in [&mut self.video, &mut self.audio].into_iter().flatten() {
            t.close();
        }
        self.emit(true);
        self.demux.finish()
    }

    /// Takes the segments produced so far.
    pub fn take_output(&mut self) -> Vec<Output> {
        std::mem::take(&mut self.out)
    }

    fn tag(&mut self, tag: Tag<'_>) -> Result<()> {
        let (data, offset, timestamp) = (tag.data, tag.offset, tag.timestamp());
        let err = |kind| Err(Error::new(offset, kind));
        match tag.tag_type() {
            TagType::Script => {
                // Broken metadata is no reason to refuse the media.
                if let Ok(Some(m)) = parse_metadata(data) {
                    self.framerate = self.framerate.or(m.framerate.filter(|f| *f > 0.0 && *f < 1000.0));
                    if !self.metadata_sent {
                        self.metadata_sent = true;
                        self.out.push(Output::Metadata(m));
                    }
                }
                Ok(())
            }
            TagType::Audio => {
                let Some(h) = AudioTagHeader::parse(data) else { return Ok(()) };
                if h.format != AudioFormat::AAC {
                    return err(ErrorKind::UnsupportedCodec(h.format.name().into()));
                }
                let payload = &data[AudioTagHeader::AAC_LEN.min(data.len())..];
                match h.aac_packet_type {
                    Some(AacPacketType::SEQUENCE_HEADER) => {
                        let config = AacConfig::parse(payload).map_err(|k| Error::new(offset, k))?;
                        let track = Track { id: AUDIO_TRACK, config: TrackConfig::Audio(config.clone()) };
                        let frame_ms = (1_024_000 / config.sample_rate.max(1)).max(1);
                        self.configure(track, frame_ms, |r| &mut r.audio);
                        Ok(())
                    }
                    Some(AacPacketType::RAW) => {
                        let Some(base) = self.base(timestamp) else { return Ok(()) };
                        if let Some(t) = &mut self.audio {
                            t.add(timestamp - base, 0, true, payload.to_vec());
                        }
                        Ok(())
                    }
                    _ => Ok(()),
                }
            }
            TagType::Video => {
                let Some(h) = VideoTagHeader::parse(data) else { return Ok(()) };
                if h.enhanced {
                    let fourcc = VideoTagHeader::fourcc(data);
                    return err(ErrorKind::UnsupportedCodec(format!("enhanced FLV video '{fourcc}'")));
                }
                if h.frame_type == FrameType::INFO_OR_COMMAND {
                    return Ok(());
                }
                if h.codec != VideoCodec::AVC {
                    return err(ErrorKind::UnsupportedCodec(h.codec.name().into()));
                }
                if data.len() < VideoTagHeader::AVC_LEN {
                    return err(ErrorKind::CorruptTag("AVC video tag shorter than its header"));
                }
                let payload = &data[VideoTagHeader::AVC_LEN..];
                match h.packet_type {
                    Some(AvcPacketType::SEQUENCE_HEADER) => {
                        let config = AvcConfig::parse(payload).map_err(|k| Error::new(offset, k))?;
                        let frame_ms = self.framerate.map_or(40, |f| (1000.0 / f).round() as u32).max(1);
                        let track = Track { id: VIDEO_TRACK, config: TrackConfig::Video(config) };
                        self.configure(track, frame_ms, |r| &mut r.video);
                        Ok(())
                    }
                    Some(AvcPacketType::NALU) => {
                        let cts = h.composition_time.clamp(-100_000, 100_000);
                        let Some(base) = self.base(timestamp) else { return Ok(()) };
                        if let Some(t) = &mut self.video {
                            t.add(timestamp - base, cts, h.is_keyframe(), payload.to_vec());
                        }
                        Ok(())
                    }
                    _ => Ok(()),
                }
            }
        }
    }

    /// The time base, set by the first audio or video sample tag — even one of a track
    /// with no sequence header yet, whose sample is then dropped.
    fn base(&mut self, timestamp: i64) -> Option<i64> {
        Some(*self.time_base.get_or_insert(timestamp) - self.place_ms)
    }

    /// A sequence header: a new track, or a new configuration for one.
    fn configure(&mut self, track: Track, frame_ms: u32, slot: impl Fn(&mut Self) -> &mut Option<TrackState>) {
        let same = slot(self).as_ref().is_some_and(|t| t.track == track);
        if same {
            return;
        }
        if slot(self).is_some() && self.init_sent {
            // A configuration change: what came before goes out under the old init.
            for t in [&mut self.video, &mut self.audio].into_iter().flatten() {
                t.close();
            }
            self.emit(true);
            self.init_sent = false;
        }
        match slot(self) {
            Some(t) => t.track = track,
            s @ None => *s = Some(TrackState::new(track, frame_ms)),
        }
        if self.init_sent {
            // A track that appeared after the init: announce both again.
            self.init_sent = false;
        }
    }

    fn ready_for_init(&self, end: bool) -> bool {
        let (has_audio, has_video) = self.header.map_or((false, false), |h| (h.has_audio, h.has_video));
        let (a, v) = (self.audio.is_some(), self.video.is_some());
        if !a && !v {
            return false;
        }
        let complete = (a || !has_audio) && (v || !has_video);
        let waited = [&self.video, &self.audio].into_iter().flatten().any(|t| t.buffered_ms() > MAX_WAIT_FOR_CONFIG_MS);
        complete || waited || end
    }

    fn emit(&mut self, end: bool) {
        if self.mode == Mode::Collect {
            return;
        }
        if !self.init_sent {
            if !self.ready_for_init(end) {
                return;
            }
            let tracks: Vec<&Track> = [&self.video, &self.audio].into_iter().flatten().map(|t| &t.track).collect();
            self.out.push(init_output(&tracks));
            self.init_sent = true;
        }
        let tracks = [&mut self.video, &mut self.audio].map(|t| t.as_mut().map(|t| (&t.track, &mut t.ready)));
        self.out.extend(due_media(tracks, &mut self.sequence, &mut self.media_sent, end));
    }
}

/// The media segment of the samples each track has ready, once it is due: the first
/// after the start (or a restart, `media_sent` false) at once, then when [`BATCH_MS`] are
/// ready (from the first sample to the end of the last), and whatever is left at `end`.
/// Takes the samples it puts out. Both remuxers' one batching rule.
pub(crate) fn due_media(
    tracks: [Option<(&Track, &mut Vec<Sample>)>; 2],
    sequence: &mut u32,
    media_sent: &mut bool,
    end: bool,
) -> Option<Output> {
    let span = |s: &[Sample]| match (s.first(), s.last()) {
        (Some(a), Some(b)) => b.dts + i64::from(b.duration) - a.dts,
        _ => 0,
    };
    let ready_ms = tracks.iter().flatten().map(|(_, s)| span(s)).max().unwrap_or(0);
    if !end && *media_sent && ready_ms < BATCH_MS {
        return None;
    }
    let taken: Vec<(&Track, Vec<Sample>)> = tracks.into_iter().flatten().map(|(t, s)| (t, std::mem::take(s))).collect();
    let parts: Vec<(&Track, &[Sample])> = taken.iter().map(|(t, s)| (*t, s.as_slice())).collect();
    let media = media_output(*sequence + 1, &parts)?;
    *sequence += 1;
    *media_sent = true;
    Some(media)
}

/// The init segment of `tracks`, with the MIME type and codecs for `addSourceBuffer`
/// (`video/mp4` when one track is video, else `audio/mp4`). Both remuxers' one form.
pub(crate) fn init_output(tracks: &[&Track]) -> Output {
    let codecs: Vec<String> = tracks.iter().map(|t| t.codec_string()).collect();
    let kind = if tracks.iter().any(|t| t.is_video()) { "video" } else { "audio" };
    let mime = format!("{kind}/mp4; codecs=\"{}\"", codecs.join(","));
    Output::Init { data: mp4::init_segment(tracks), mime }
}

/// A media segment of each track's samples, spanning the earliest decode time to the
/// latest end; `None` when there are no samples.
pub(crate) fn media_output(sequence: u32, parts: &[(&Track, &[Sample])]) -> Option<Output> {
    let (mut start, mut end_ms) = (i64::MAX, i64::MIN);
    for (_, samples) in parts {
        if let (Some(a), Some(b)) = (samples.first(), samples.last()) {
            start = start.min(a.dts);
            end_ms = end_ms.max(b.dts + i64::from(b.duration));
        }
    }
    (start != i64::MAX).then(|| Output::Media { data: mp4::media_segment(sequence, parts), start_ms: start, end_ms })
}

/// A whole FLV as one progressive MP4 (`moov` first), for browsers without MSE and
/// for downloads.
pub fn to_mp4(flv: &[u8]) -> Result<Vec<u8>> {
    let mut r = Remuxer::new();
    r.mode = Mode::Collect;
    r.push(flv)?;
    r.finish()?;
    let tracks: Vec<(Track, Vec<Sample>)> =
        [r.video.take(), r.audio.take()].into_iter().flatten().map(|t| (t.track, t.ready)).collect();
    if tracks.iter().all(|(_, s)| s.is_empty()) {
        return Err(Error::new(r.demux.offset(), ErrorKind::BadStream("no audio or video samples")));
    }
    Ok(mp4::progressive(&tracks))
}

/// Remuxes a whole FLV held in memory to fragmented MP4 segments.
pub fn remux_all(flv: &[u8]) -> Result<Vec<Output>> {
    let mut r = Remuxer::new();
    r.push(flv)?;
    r.finish()?;
    Ok(r.take_output())
}
