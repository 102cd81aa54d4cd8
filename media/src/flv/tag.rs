//! FLV tag headers, typed: the 11-byte tag header every tag starts with, and the first
//! bytes of audio and video tag data (format, codec, frame type, packet type,
//! composition time). The demuxer, the indexer and the remuxer all read them here.
//!
//! The codec ids and packet types are newtypes over the byte with named constants, so
//! a value this crate does not know is still carried (for error messages) and can be
//! matched on by name: `match h.codec { VideoCodec::AVC => …, _ => … }`.

use crate::error::{Error, ErrorKind, Result};

/// The tag types FLV defines; the demuxer refuses any other.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum TagType {
    Audio = 8,
    Video = 9,
    /// Script data (AMF0), such as `onMetaData`.
    Script = 18,
}

impl TagType {
    pub fn from_u8(v: u8) -> Option<TagType> {
        match v {
            8 => Some(TagType::Audio),
            9 => Some(TagType::Video),
            18 => Some(TagType::Script),
            _ => None,
        }
    }
}

/// The 11 bytes before a tag's data: `type(1) size(3) timestamp(3) ts_ext(1) stream_id(3)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TagHeader {
    pub tag_type: TagType,
    /// Bytes of tag data after this header.
    pub data_size: u32,
    /// Milliseconds: the 24-bit field with its extension byte as the high byte, signed.
    pub timestamp: i64,
    /// Always 0 (anything else is refused).
    pub stream_id: u32,
}

impl TagHeader {
    /// Bytes in a tag header.
    pub const LEN: usize = 11;

    /// Reads a tag header from the start of `bytes`; `None` if fewer than
    /// [`TagHeader::LEN`] bytes are there yet. `offset` is where `bytes` starts in the
    /// file, for errors: an encrypted tag (filter bit), an unknown tag type, or a
    /// stream id other than 0.
    #[inline]
    pub fn parse(bytes: &[u8], offset: u64) -> Result<Option<TagHeader>> {
        let Some(b) = bytes.get(..Self::LEN) else { return Ok(None) };
        if b[0] & 0x20 != 0 {
            return Err(Error::new(offset, ErrorKind::UnsupportedCodec("encrypted FLV".into())));
        }
        let Some(tag_type) = TagType::from_u8(b[0] & 0x1f) else {
            return Err(Error::new(offset, ErrorKind::CorruptTag("unknown tag type")));
        };
        let data_size = u32::from_be_bytes([0, b[1], b[2], b[3]]);
        let timestamp = i64::from(u32::from_be_bytes([b[7], b[4], b[5], b[6]]) as i32);
        let stream_id = u32::from_be_bytes([0, b[8], b[9], b[10]]);
        if stream_id != 0 {
            return Err(Error::new(offset + 8, ErrorKind::CorruptTag("stream id is not 0")));
        }
        Ok(Some(TagHeader { tag_type, data_size, timestamp, stream_id }))
    }
}

/// A video tag's codec id (the low 4 bits of its first byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct VideoCodec(pub u8);

impl VideoCodec {
    pub const SORENSON_H263: VideoCodec = VideoCodec(2);
    pub const SCREEN_VIDEO: VideoCodec = VideoCodec(3);
    pub const VP6: VideoCodec = VideoCodec(4);
    pub const VP6_ALPHA: VideoCodec = VideoCodec(5);
    pub const SCREEN_VIDEO_2: VideoCodec = VideoCodec(6);
    /// H.264: the only video codec this crate remuxes.
    pub const AVC: VideoCodec = VideoCodec(7);
    /// H.265 in the unofficial (Chinese CDN) extension: the AVC layout with id 12.
    pub const HEVC: VideoCodec = VideoCodec(12);

    /// What to call it when refusing it.
    pub fn name(self) -> &'static str {
        match self {
            VideoCodec::AVC => "H.264 video",
            VideoCodec::HEVC => "HEVC video (codec id 12)",
            VideoCodec::SORENSON_H263 => "Sorenson H.263 video",
            VideoCodec::VP6 | VideoCodec::VP6_ALPHA => "VP6 video",
            _ => "non-H.264 video",
        }
    }
}

/// A video tag's frame type (bits 4-6 of its first byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FrameType(pub u8);

impl FrameType {
    pub const KEY: FrameType = FrameType(1);
    pub const INTER: FrameType = FrameType(2);
    pub const DISPOSABLE_INTER: FrameType = FrameType(3);
    pub const GENERATED_KEY: FrameType = FrameType(4);
    /// Video info or command frame: no picture.
    pub const INFO_OR_COMMAND: FrameType = FrameType(5);
}

/// The AVC (and codec-12 HEVC) packet type, byte 1 of a video tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AvcPacketType(pub u8);

impl AvcPacketType {
    /// An AVCDecoderConfigurationRecord follows.
    pub const SEQUENCE_HEADER: AvcPacketType = AvcPacketType(0);
    /// Length-prefixed NAL units (one frame) follow.
    pub const NALU: AvcPacketType = AvcPacketType(1);
    pub const END_OF_SEQUENCE: AvcPacketType = AvcPacketType(2);
}

/// The first bytes of a video tag's data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VideoTagHeader {
    /// Enhanced FLV (the high bit of the first byte): a FourCC in bytes 1-4, and
    /// `codec` means nothing.
    pub enhanced: bool,
    pub frame_type: FrameType,
    pub codec: VideoCodec,
    /// For AVC and codec-12 HEVC: byte 1, if the tag has one.
    pub packet_type: Option<AvcPacketType>,
    /// For AVC and codec-12 HEVC: bytes 2-4, presentation minus decode time in
    /// milliseconds (signed 24 bits); 0 if the tag is shorter.
    pub composition_time: i32,
}

impl VideoTagHeader {
    /// Bytes before the payload of an AVC (or codec-12 HEVC) tag.
    pub const AVC_LEN: usize = 5;

    /// Reads the header at the start of a video tag's data; `None` if it is empty.
    #[inline]
    pub fn parse(data: &[u8]) -> Option<VideoTagHeader> {
        let &first = data.first()?;
        let codec = VideoCodec(first & 0x0f);
        let avc_like = matches!(codec, VideoCodec::AVC | VideoCodec::HEVC);
        let composition_time = match data.get(2..5) {
            Some(c) if avc_like => ((c[0] as i32) << 24 | (c[1] as i32) << 16 | (c[2] as i32) << 8) >> 8,
            _ => 0,
        };
        Some(VideoTagHeader {
            enhanced: first & 0x80 != 0,
            frame_type: FrameType((first >> 4) & 0x07),
            codec,
            packet_type: if avc_like { data.get(1).map(|&p| AvcPacketType(p)) } else { None },
            composition_time,
        })
    }

    pub fn is_keyframe(&self) -> bool {
        self.frame_type == FrameType::KEY
    }

    /// An enhanced-FLV tag's FourCC (`hvc1`, `av01`, …), lossily as text.
    pub fn fourcc(data: &[u8]) -> String {
        data.get(1..5).map(|f| String::from_utf8_lossy(f).into_owned()).unwrap_or_default()
    }
}

/// An audio tag's sound format (the high 4 bits of its first byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AudioFormat(pub u8);

impl AudioFormat {
    pub const PCM_PLATFORM: AudioFormat = AudioFormat(0);
    pub const ADPCM: AudioFormat = AudioFormat(1);
    pub const MP3: AudioFormat = AudioFormat(2);
    pub const PCM_LE: AudioFormat = AudioFormat(3);
    pub const NELLYMOSER_16K: AudioFormat = AudioFormat(4);
    pub const NELLYMOSER_8K: AudioFormat = AudioFormat(5);
    pub const NELLYMOSER: AudioFormat = AudioFormat(6);
    pub const G711_ALAW: AudioFormat = AudioFormat(7);
    pub const G711_MULAW: AudioFormat = AudioFormat(8);
    /// The only audio format this crate remuxes.
    pub const AAC: AudioFormat = AudioFormat(10);
    pub const SPEEX: AudioFormat = AudioFormat(11);
    pub const MP3_8K: AudioFormat = AudioFormat(14);
    pub const DEVICE_SPECIFIC: AudioFormat = AudioFormat(15);

    /// What to call it when refusing it.
    pub fn name(self) -> &'static str {
        match self {
            AudioFormat::AAC => "AAC audio",
            AudioFormat::MP3 | AudioFormat::MP3_8K => "MP3 audio",
            AudioFormat::SPEEX => "Speex audio",
            AudioFormat::NELLYMOSER_16K | AudioFormat::NELLYMOSER_8K | AudioFormat::NELLYMOSER => "Nellymoser audio",
            AudioFormat::G711_ALAW | AudioFormat::G711_MULAW => "G.711 audio",
            _ => "non-AAC audio",
        }
    }
}

/// The AAC packet type, byte 1 of an AAC audio tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AacPacketType(pub u8);

impl AacPacketType {
    /// An AudioSpecificConfig follows.
    pub const SEQUENCE_HEADER: AacPacketType = AacPacketType(0);
    /// One raw AAC frame follows.
    pub const RAW: AacPacketType = AacPacketType(1);
}

/// The first bytes of an audio tag's data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AudioTagHeader {
    pub format: AudioFormat,
    /// 0-3: 5.5, 11, 22 or 44 kHz (AAC always says 3; the real rate is in its config).
    pub rate: u8,
    /// 16-bit samples (else 8-bit).
    pub sixteen_bit: bool,
    /// Stereo (else mono).
    pub stereo: bool,
    /// For AAC: byte 1, if the tag has one.
    pub aac_packet_type: Option<AacPacketType>,
}

impl AudioTagHeader {
    /// Bytes before the payload of an AAC tag.
    pub const AAC_LEN: usize = 2;

    /// Reads the header at the start of an audio tag's data; `None` if it is empty.
    #[inline]
    pub fn parse(data: &[u8]) -> Option<AudioTagHeader> {
        let &first = data.first()?;
        let format = AudioFormat(first >> 4);
        Some(AudioTagHeader {
            format,
            rate: (first >> 2) & 0x03,
            sixteen_bit: first & 0x02 != 0,
            stereo: first & 0x01 != 0,
            aac_packet_type: if format == AudioFormat::AAC { data.get(1).map(|&p| AacPacketType(p)) } else { None },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_header() {
        let h = TagHeader::parse(&[9, 0, 1, 2, 0xaa, 0xbb, 0xcc, 0x01, 0, 0, 0, 99], 0).unwrap().unwrap();
        assert_eq!(h, TagHeader { tag_type: TagType::Video, data_size: 258, timestamp: 0x01aa_bbcc, stream_id: 0 });
        // The extension byte is the high byte of a signed 32-bit value.
        let h = TagHeader::parse(&[8, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0], 0).unwrap().unwrap();
        assert_eq!((h.tag_type, h.timestamp), (TagType::Audio, -1));
        assert_eq!(TagHeader::parse(&[18, 0, 0], 0).unwrap(), None);
        let at = |b: &[u8]| TagHeader::parse(b, 100).unwrap_err();
        assert_eq!(at(&[7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).kind, ErrorKind::CorruptTag("unknown tag type"));
        assert_eq!(at(&[9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]).offset, 108);
        assert!(matches!(at(&[0x29, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).kind, ErrorKind::UnsupportedCodec(_)));
    }

    #[test]
    fn video_tag_header() {
        let h = VideoTagHeader::parse(&[0x17, 1, 0xff, 0xff, 0xfe, 0xaa]).unwrap();
        assert!(!h.enhanced && h.is_keyframe());
        assert_eq!((h.codec, h.packet_type, h.composition_time), (VideoCodec::AVC, Some(AvcPacketType::NALU), -2));
        let h = VideoTagHeader::parse(&[0x27, 0, 0, 0, 80]).unwrap();
        assert_eq!((h.frame_type, h.packet_type, h.composition_time), (FrameType::INTER, Some(AvcPacketType(0)), 80));
        let h = VideoTagHeader::parse(&[0x22, 1, 2, 3, 4]).unwrap();
        assert_eq!((h.codec, h.packet_type, h.composition_time), (VideoCodec::SORENSON_H263, None, 0));
        let h = VideoTagHeader::parse(&[0x1c]).unwrap();
        assert_eq!((h.codec, h.packet_type), (VideoCodec::HEVC, None));
        let h = VideoTagHeader::parse(&[0x90, b'h', b'v', b'c', b'1']).unwrap();
        assert!(h.enhanced && h.is_keyframe());
        assert_eq!(VideoTagHeader::fourcc(&[0x90, b'h', b'v', b'c', b'1']), "hvc1");
        assert_eq!(VideoTagHeader::parse(&[]), None);
    }

    #[test]
    fn audio_tag_header() {
        let h = AudioTagHeader::parse(&[0xaf, 1, 0x21]).unwrap();
        assert_eq!(h.format, AudioFormat::AAC);
        assert_eq!((h.rate, h.sixteen_bit, h.stereo, h.aac_packet_type), (3, true, true, Some(AacPacketType::RAW)));
        let h = AudioTagHeader::parse(&[0x2e, 1]).unwrap();
        assert_eq!((h.format, h.rate, h.stereo, h.aac_packet_type), (AudioFormat::MP3, 3, false, None));
        assert_eq!(AudioTagHeader::parse(&[0xaf]).unwrap().aac_packet_type, None);
        assert_eq!(AudioFormat(4).name(), "Nellymoser audio");
        assert_eq!(AudioTagHeader::parse(&[]), None);
    }
}
