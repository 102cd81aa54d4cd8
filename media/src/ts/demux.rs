//! The incremental MPEG-TS demuxer: bytes in chunks of any size → the program's H.264
//! and AAC elementary frames, with their codec configurations, in stream order.
//!
//! Packets go by PID: PID 0 to the PAT, the PAT's PMT PID to the PMT, the PMT's first
//! H.264 and first ADTS AAC stream to their PES assemblers and parsers. Packets of other
//! PIDs that come before the segment's PMT are kept (up to [`MAX_EARLY_BYTES`]) and read
//! once it is known. A section with a bad CRC is ignored; only a stream that never
//! brings a valid PMT is an error. A PMT whose video or audio is a codec this crate does
//! not remux (HEVC, MP3, AC-3, ...) and that has no H.264 or AAC stream of that kind
//! instead is refused with [`ErrorKind::UnsupportedCodec`] naming it; metadata (ID3),
//! SCTE-35 and private streams are ignored.

use super::adts::AdtsParser;
use super::h264::AvcParser;
use super::packet::{FIRST_ELEMENTARY_PID, PID_NULL, PID_PAT, Packet, Packetizer};
use super::pes::PesAssembler;
use super::psi::{Pmt, SectionAssembler, StreamKind, parse_pat, parse_pmt};
use crate::codec::{AacConfig, AvcConfig};
use crate::error::{Error, ErrorKind, Result};

/// Packets of unknown PIDs kept while waiting for a segment's PMT, at most.
pub const MAX_EARLY_BYTES: usize = 4 * 1024 * 1024;

/// One H.264 access unit: a sample of 4-byte-length-prefixed NAL units.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VideoFrame {
    /// 90 kHz, as in the stream (33-bit, not unwrapped).
    pub dts: i64,
    pub pts: i64,
    /// An IDR picture is in it.
    pub key: bool,
    pub data: Vec<u8>,
    /// Offset of the TS packet its PES started in.
    pub offset: u64,
}

/// One raw AAC frame (the ADTS header removed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AudioFrame {
    /// 90 kHz, as in the stream (33-bit, not unwrapped).
    pub pts: i64,
    /// 90 kHz ticks (1024 samples).
    pub duration: i64,
    pub data: Vec<u8>,
    pub offset: u64,
}

/// What the demuxer yields, in stream order: a configuration comes before the frames
/// it applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    VideoConfig(AvcConfig),
    AudioConfig(AacConfig),
    Video(VideoFrame),
    Audio(AudioFrame),
}

/// The streams of the program this demuxer plays.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Program {
    pub pmt_pid: u16,
    pub video_pid: Option<u16>,
    pub audio_pid: Option<u16>,
}

#[derive(Debug, Default)]
struct Stream<P> {
    pid: Option<u16>,
    pes: PesAssembler,
    parser: P,
}

/// The demuxer. Feed it one segment after another ([`Demuxer::begin_segment`]).
pub struct Demuxer {
    packets: Packetizer,
    pat: SectionAssembler,
    pmt: SectionAssembler,
    pmt_pid: Option<u16>,
    /// The last PAT and PMT sections read (repeats are not parsed again).
    last_pat: Vec<u8>,
    last_pmt: Vec<u8>,
    program: Option<Program>,
    /// A PMT arrived in this segment.
    pmt_in_segment: bool,
    /// Packets (with their offsets) of PIDs unknown before this segment's PMT.
    early: Vec<(u64, [u8; 188])>,
    video: Stream<AvcParser>,
    audio: Stream<AdtsParser>,
    /// The refusal of the current PMT, given again at the end of each segment.
    refused: Option<Error>,
    /// A valid PMT was ever read.
    had_pmt: bool,
}

/// Bytes a segment may lose to resync (a stray byte costs the packet before it too, a
/// cut packet its remains) before it is reported as damaged; its packets are still read.
pub const MAX_GARBAGE: u64 = 1024;

impl Default for Demuxer {
    fn default() -> Self {
        Self::new()
    }
}

impl Demuxer {
    pub fn new() -> Self {
        Demuxer {
            packets: Packetizer::new(),
            pat: SectionAssembler::new(),
            pmt: SectionAssembler::new(),
            pmt_pid: None,
            last_pat: Vec::new(),
            last_pmt: Vec::new(),
            program: None,
            pmt_in_segment: false,
            early: Vec::new(),
            video: Stream { pid: None, pes: PesAssembler::new(), parser: AvcParser::new() },
            audio: Stream { pid: None, pes: PesAssembler::new(), parser: AdtsParser::new() },
            refused: None,
            had_pmt: false,
        }
    }

    /// The program being played, once a PMT was read.
    pub fn program(&self) -> Option<Program> {
        self.program
    }

    /// A new segment starts (also after a seek): packet, section and PES state is
    /// dropped, as are frames being gathered. The PMT and codec configurations are kept,
    /// unless `new_range` (a discontinuity: the PIDs may change).
    pub fn begin_segment(&mut self, new_range: bool) {
        self.packets = Packetizer::new();
        self.pat.reset();
        self.pmt.reset();
        self.early.clear();
        self.pmt_in_segment = false;
        for pes in [&mut self.video.pes, &mut self.audio.pes] {
            pes.reset();
        }
        self.video.parser.reset();
        self.audio.parser.reset();
        if new_range {
            self.pmt_pid = None;
            self.last_pat.clear();
            self.last_pmt.clear();
            self.program = None;
            self.video.pid = None;
            self.audio.pid = None;
            self.refused = None;
        }
    }

    /// Offset of the next byte expected, from the start of the segment.
    pub fn offset(&self) -> u64 {
        self.packets.offset()
    }

    /// Feeds bytes; appends the frames now complete to `out`. On an error, the frames
    /// before it are in `out`.
    pub fn push(&mut self, bytes: &[u8], out: &mut Vec<Frame>) -> Result<()> {
        let mut packets = std::mem::take(&mut self.packets);
        let result = packets.push(bytes, |p, at| self.packet(p, at, out));
        self.packets = packets;
        result
    }

    /// The segment's bytes are all in: the last PES of each stream is complete.
    pub fn end_segment(&mut self, out: &mut Vec<Frame>) -> Result<()> {
        let mut packets = std::mem::take(&mut self.packets);
        let mut result = packets.finish(|p, at| self.packet(p, at, out));
        self.packets = packets;
        let mut errors = Vec::new();
        self.video.pes.flush(&mut |pes| {
            if let Err(e) = self.video.parser.push(&pes, out) {
                errors.push(e);
            }
        });
        self.video.parser.flush(out);
        self.audio.pes.flush(&mut |pes| self.audio.parser.push(&pes, out));
        self.audio.parser.reset();
        result = result.and(errors.into_iter().next().map_or(Ok(()), Err));
        if result.is_ok() {
            if let Some(e) = &self.refused {
                result = Err(e.clone());
            } else if !self.had_pmt && self.packets.packets() > 0 {
                let at = self.packets.offset();
                result = Err(Error::new(at, ErrorKind::BadStream("no valid program map table (PAT/PMT)")));
            } else if self.packets.skipped() > MAX_GARBAGE {
                // The media around the garbage is lost: a hole the player would stall at.
                let at = self.packets.offset();
                result =
                    Err(Error::new(at, ErrorKind::BadStream("damaged: the segment has bytes that are not packets")));
            }
        }
        self.early.clear();
        result
    }

    fn packet(&mut self, bytes: &[u8], at: u64, out: &mut Vec<Frame>) -> Result<()> {
        let Ok(p) = Packet::parse(bytes) else { return Ok(()) };
        if p.header.transport_error {
            return Ok(());
        }
        let pid = p.header.pid;
        if pid == PID_PAT {
            let mut sections = Vec::new();
            self.pat.push(p.header.payload_unit_start, p.payload, |s| sections.push(s.to_vec()));
            for s in sections {
                self.pat_section(&s, at, out)?;
            }
        } else if Some(pid) == self.pmt_pid {
            let mut sections = Vec::new();
            self.pmt.push(p.header.payload_unit_start, p.payload, |s| sections.push(s.to_vec()));
            for s in sections {
                self.pmt_section(&s, at, out)?;
            }
        } else if Some(pid) == self.video.pid {
            let mut error = None;
            let (parser, pes) = (&mut self.video.parser, &mut self.video.pes);
            pes.push(&p, at, &mut |pes| {
                if let Err(e) = parser.push(&pes, out) {
                    error.get_or_insert(e);
                }
            });
            return error.map_or(Ok(()), Err);
        } else if Some(pid) == self.audio.pid {
            let parser = &mut self.audio.parser;
            self.audio.pes.push(&p, at, &mut |pes| parser.push(&pes, out));
        } else if !self.pmt_in_segment
            && pid >= FIRST_ELEMENTARY_PID
            && pid != PID_NULL
            && self.early.len() * 188 < MAX_EARLY_BYTES
        {
            let mut copy = [0; 188];
            copy.copy_from_slice(bytes);
            self.early.push((at, copy));
        }
        Ok(())
    }

    fn pat_section(&mut self, section: &[u8], at: u64, out: &mut Vec<Frame>) -> Result<()> {
        if section == self.last_pat {
            return Ok(());
        }
        let Ok(Some((_, pmt_pid))) = parse_pat(section) else { return Ok(()) };
        self.last_pat = section.to_vec();
        if self.pmt_pid != Some(pmt_pid) {
            self.pmt_pid = Some(pmt_pid);
            self.pmt.reset();
            self.last_pmt.clear();
            self.replay_early(out)?;
        }
        let _ = at;
        Ok(())
    }

    fn pmt_section(&mut self, section: &[u8], at: u64, out: &mut Vec<Frame>) -> Result<()> {
        if section == self.last_pmt {
            if !self.pmt_in_segment {
                self.pmt_in_segment = true;
                self.early.clear();
            }
            return Ok(());
        }
        let Ok(pmt) = parse_pmt(section) else { return Ok(()) };
        self.last_pmt = section.to_vec();
        self.had_pmt = true;
        let first_in_segment = !self.pmt_in_segment;
        self.pmt_in_segment = true;
        let result = self.apply_pmt(&pmt, at);
        if first_in_segment {
            self.replay_early(out)?;
        }
        self.early.clear();
        result
    }

    /// Picks the program's streams; refuses a program whose video or audio is only of
    /// codecs this crate does not remux.
    fn apply_pmt(&mut self, pmt: &Pmt, at: u64) -> Result<()> {
        let pid_of = |want: StreamKind| pmt.streams.iter().find(|s| s.kind == want).map(|s| s.pid);
        let (video, audio) = (pid_of(StreamKind::H264), pid_of(StreamKind::AacAdts));
        let other_video = pmt.streams.iter().find_map(|s| match s.kind {
            StreamKind::OtherVideo(name) => Some(name),
            _ => None,
        });
        let other_audio = pmt.streams.iter().find_map(|s| match s.kind {
            StreamKind::OtherAudio(name) => Some(name),
            _ => None,
        });
        let refusal = match (video, other_video, audio, other_audio) {
            (None, Some(name), _, _) | (_, _, None, Some(name)) => Some(ErrorKind::UnsupportedCodec(name.to_string())),
            (None, None, None, None) => Some(ErrorKind::BadStream("the program has no audio or video stream")),
            _ => None,
        };
        if let Some(kind) = refusal {
            let e = Error::new(at, kind);
            self.refused = Some(e.clone());
            self.program = None;
            self.video.pid = None;
            self.audio.pid = None;
            return Err(e);
        }
        self.refused = None;
        if self.video.pid != video {
            self.video.pes.reset();
            self.video.parser.reset();
        }
        if self.audio.pid != audio {
            self.audio.pes.reset();
            self.audio.parser.reset();
        }
        self.video.pid = video;
        self.audio.pid = audio;
        self.program = Some(Program { pmt_pid: self.pmt_pid.unwrap_or_default(), video_pid: video, audio_pid: audio });
        Ok(())
    }

    /// Reads the packets kept before the PAT/PMT was known.
    fn replay_early(&mut self, out: &mut Vec<Frame>) -> Result<()> {
        let early = std::mem::take(&mut self.early);
        let mut result = Ok(());
        for (at, bytes) in &early {
            let r = self.packet(bytes, *at, out);
            if result.is_ok() {
                result = r;
            }
        }
        result
    }
}
