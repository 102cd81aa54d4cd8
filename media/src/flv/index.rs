//! One pass over an FLV gives where every video keyframe starts (time and byte
//! offset) and the true duration: what seeking needs when the file carries no
//! `keyframes` in its metadata (nginx-rtmp and SRS recordings).

use crate::codec::{AacConfig, AvcConfig};
use crate::error::Result;
use crate::flv::demux::Demuxer;
use crate::flv::tag::{AacPacketType, AudioFormat, AudioTagHeader, AvcPacketType, TagType, VideoCodec, VideoTagHeader};

/// A place playback can start from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeekPoint {
    /// Milliseconds from the file's first media timestamp.
    pub time_ms: i64,
    /// Byte offset of the tag to start reading at.
    pub offset: u64,
}

/// What one pass over an FLV finds: every keyframe's time and byte offset, the duration,
/// codecs and picture size. (The API's `relive_api::KeyframeIndex` is the JSON a player reads.)
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlvIndex {
    /// The first media timestamp in the file (the remuxer's time base).
    pub first_timestamp: i64,
    pub duration_ms: i64,
    /// Video keyframes; for audio-only files, a point about every second.
    pub points: Vec<SeekPoint>,
    pub has_video: bool,
    pub has_audio: bool,
    /// RFC 6381 codec strings from the sequence headers (`avc1.64001f`, `mp4a.40.2`).
    pub video_codec: Option<String>,
    pub audio_codec: Option<String>,
    /// Picture size from the H.264 SPS; 0 when unknown.
    pub width: u32,
    pub height: u32,
}

impl FlvIndex {
    /// The last point at or before `time_ms` (the first point if none is).
    pub fn point_before(&self, time_ms: i64) -> Option<SeekPoint> {
        let i = self.points.partition_point(|p| p.time_ms <= time_ms);
        self.points.get(i.saturating_sub(1)).copied()
    }
}

/// Builds a [`FlvIndex`] from bytes pushed in chunks; reads only tag headers.
#[derive(Default)]
pub struct Indexer {
    demux: Demuxer,
    index: FlvIndex,
    first: Option<i64>,
    last: Option<i64>,
    previous: Option<i64>,
}

/// Audio-only files get a seek point this often.
const AUDIO_POINT_EVERY_MS: i64 = 1000;

impl Indexer {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, chunk: &[u8]) -> Result<()> {
        let Indexer { demux, index, first, last, previous } = self;
        demux.push(chunk, |tag| {
            let d = tag.data;
            // Configuration packets (sequence headers) carry no media: what they say is
            // kept; a bad one is the remuxer's problem.
            let (is_video, key) = match tag.tag_type() {
                TagType::Script => return Ok(()),
                TagType::Video => {
                    let Some(h) = VideoTagHeader::parse(d) else { return Ok(()) };
                    if !h.enhanced && h.codec == VideoCodec::AVC && h.packet_type != Some(AvcPacketType::NALU) {
                        if h.packet_type == Some(AvcPacketType::SEQUENCE_HEADER)
                            && let Ok(c) = AvcConfig::parse(d.get(VideoTagHeader::AVC_LEN..).unwrap_or_default())
                        {
                            index.video_codec = Some(c.codec_string());
                            (index.width, index.height) = (c.width, c.height);
                        }
                        return Ok(());
                    }
                    (true, h.is_keyframe())
                }
                TagType::Audio => {
                    let Some(h) = AudioTagHeader::parse(d) else { return Ok(()) };
                    if h.format == AudioFormat::AAC && h.aac_packet_type != Some(AacPacketType::RAW) {
                        if h.aac_packet_type == Some(AacPacketType::SEQUENCE_HEADER)
                            && let Ok(c) = AacConfig::parse(d.get(AudioTagHeader::AAC_LEN..).unwrap_or_default())
                        {
                            index.audio_codec = Some(c.codec_string());
                        }
                        return Ok(());
                    }
                    (false, false)
                }
            };
            let base = *first.get_or_insert(tag.timestamp());
            let t = tag.timestamp() - base;
            if last.is_none_or(|l| t > l) {
                *previous = *last;
                *last = Some(t);
            }
            if is_video {
                index.has_video = true;
                let last_point = index.points.last();
                // A keyframe after the last point (or with it, in video-only files), and
                // never two points at one time.
                if key
                    && last_point.is_none_or(|p| t > p.time_ms || !index.has_audio)
                    && last_point.is_none_or(|p| p.time_ms != t)
                {
                    index.points.push(SeekPoint { time_ms: t, offset: tag.offset });
                }
            } else {
                index.has_audio = true;
                if !index.has_video && index.points.last().is_none_or(|p| t >= p.time_ms + AUDIO_POINT_EVERY_MS) {
                    index.points.push(SeekPoint { time_ms: t, offset: tag.offset });
                }
            }
            Ok(())
        })
    }

    pub fn finish(mut self) -> Result<FlvIndex> {
        let frame = match (self.last, self.previous) {
            (Some(l), Some(p)) => (l - p).clamp(0, 1000),
            _ => 0,
        };
        self.index.first_timestamp = self.first.unwrap_or(0);
        self.index.duration_ms = self.last.map_or(0, |l| l + frame);
        // A truncated file is still indexable up to where it stops: no error for that.
        Ok(self.index)
    }
}

/// Indexes a whole FLV held in memory.
pub fn index(flv: &[u8]) -> Result<FlvIndex> {
    let mut i = Indexer::new();
    i.push(flv)?;
    i.finish()
}
