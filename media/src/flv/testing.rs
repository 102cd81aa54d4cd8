//! Synthetic FLVs for unit tests: a header, then tags built from parts.

use crate::flv::tag::{AacPacketType, AudioFormat, AvcPacketType, FrameType, TagType, VideoCodec};

/// An AVCDecoderConfigurationRecord from x264: Main profile, 640x360.
pub const AVC_640X360: &str = "014d401effe10018674d401eecc05017fcb808800000030080000019078b16cd01000568e97b2c80";
/// An AVCDecoderConfigurationRecord around x264's High profile 320x180 SPS.
pub const AVC_320X180: &str = "0164000cffe1001a6764000cacd941419f9f011000000300100000030320f142996001000568ebecb22c";
/// AAC-LC, 44.1 kHz, stereo.
pub const ASC_44100_STEREO: [u8; 2] = [0x12, 0x10];

pub fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// A whole tag, previous-tag-size included.
pub fn tag(kind: TagType, ts: u32, data: &[u8]) -> Vec<u8> {
    raw_tag(kind as u8, ts, data)
}

/// The same with any tag type byte, valid or not.
pub fn raw_tag(kind: u8, ts: u32, data: &[u8]) -> Vec<u8> {
    let mut v = vec![kind];
    v.extend_from_slice(&(data.len() as u32).to_be_bytes()[1..]);
    v.extend_from_slice(&ts.to_be_bytes()[1..]);
    v.push((ts >> 24) as u8);
    v.extend_from_slice(&[0, 0, 0]);
    v.extend_from_slice(data);
    v.extend_from_slice(&(11 + data.len() as u32).to_be_bytes());
    v
}

/// The FLV header (announcing audio and/or video) and `PreviousTagSize0`, then the tags.
pub fn file(audio: bool, video: bool, tags: &[Vec<u8>]) -> Vec<u8> {
    let flags = if audio { 4 } else { 0 } | if video { 1 } else { 0 };
    let mut v = vec![b'F', b'L', b'V', 1, flags, 0, 0, 0, 9, 0, 0, 0, 0];
    for t in tags {
        v.extend_from_slice(t);
    }
    v
}

fn video(ts: u32, frame: FrameType, packet: AvcPacketType, cts: i32, payload: &[u8]) -> Vec<u8> {
    let mut d = vec![frame.0 << 4 | VideoCodec::AVC.0, packet.0];
    d.extend_from_slice(&cts.to_be_bytes()[1..]);
    d.extend_from_slice(payload);
    tag(TagType::Video, ts, &d)
}

pub fn avc_sequence_header(ts: u32, record: &[u8]) -> Vec<u8> {
    video(ts, FrameType::KEY, AvcPacketType::SEQUENCE_HEADER, 0, record)
}

/// One frame: a single 4-byte-length-prefixed NAL unit of `size` bytes.
pub fn avc_frame(ts: u32, key: bool, cts: i32, size: usize) -> Vec<u8> {
    let mut nal = (size as u32).to_be_bytes().to_vec();
    nal.push(if key { 0x65 } else { 0x41 });
    nal.resize(4 + size, 0xab);
    let frame = if key { FrameType::KEY } else { FrameType::INTER };
    video(ts, frame, AvcPacketType::NALU, cts, &nal)
}

fn audio(ts: u32, packet: AacPacketType, payload: &[u8]) -> Vec<u8> {
    // AAC, "44 kHz", 16-bit, stereo: what every AAC tag says.
    let mut d = vec![AudioFormat::AAC.0 << 4 | 0x0f, packet.0];
    d.extend_from_slice(payload);
    tag(TagType::Audio, ts, &d)
}

pub fn aac_sequence_header(ts: u32, asc: &[u8]) -> Vec<u8> {
    audio(ts, AacPacketType::SEQUENCE_HEADER, asc)
}

pub fn aac_frame(ts: u32, size: usize) -> Vec<u8> {
    audio(ts, AacPacketType::RAW, &vec![0x21; size])
}
