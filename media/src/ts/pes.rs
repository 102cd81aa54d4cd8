//! PES packets (ISO/IEC 13818-1 §2.4.3.6): reassembly from TS packets of one PID, with
//! the continuity counter checked, and the header's 33-bit PTS and DTS.

use super::packet::Packet;

/// One tick of PTS/DTS is 1/90000 s.
pub const TICKS_PER_SECOND: i64 = 90_000;
/// PTS and DTS are 33-bit counters.
pub const TIMESTAMP_MODULO: i64 = 1 << 33;

/// A PES larger than this is dropped: no real frame comes near it.
const MAX_PES_LEN: usize = 32 * 1024 * 1024;

/// Stream ids whose PES header has no optional fields (no PTS/DTS).
fn has_optional_header(stream_id: u8) -> bool {
    !matches!(stream_id, 0xBC | 0xBE | 0xBF | 0xF0 | 0xF1 | 0xF2 | 0xF8 | 0xFF)
}

/// The fields of a PES header this crate uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PesHeader {
    pub stream_id: u8,
    /// `PES_packet_length`: bytes after this field; 0 = unbounded (video).
    pub packet_length: u16,
    /// 33-bit, 90 kHz.
    pub pts: Option<i64>,
    /// 33-bit, 90 kHz; `None` when equal to the PTS.
    pub dts: Option<i64>,
    /// Where the payload starts.
    pub payload_offset: usize,
}

/// A 33-bit timestamp from its 5-byte form (`xxxx TTT1 TTTTTTTT TTTTTTT1 TTTTTTTT
/// TTTTTTT1`). Marker bits are not checked: some muxers get them wrong.
pub fn read_timestamp(b: &[u8; 5]) -> i64 {
    i64::from(b[0] & 0x0E) << 29
        | i64::from(b[1]) << 22
        | i64::from(b[2] & 0xFE) << 14
        | i64::from(b[3]) << 7
        | i64::from(b[4] >> 1)
}

impl PesHeader {
    pub fn parse(data: &[u8]) -> Result<PesHeader, &'static str> {
        if data.len() < 6 || data[..3] != [0, 0, 1] {
            return Err("PES without a start code");
        }
        let stream_id = data[3];
        let packet_length = u16::from_be_bytes([data[4], data[5]]);
        if !has_optional_header(stream_id) {
            return Ok(PesHeader { stream_id, packet_length, pts: None, dts: None, payload_offset: 6 });
        }
        if data.len() < 9 {
            return Err("PES header cut short");
        }
        let flags = data[7] >> 6;
        let header_len = usize::from(data[8]);
        let payload_offset = 9 + header_len;
        if data.len() < payload_offset {
            return Err("PES header longer than the PES");
        }
        let ts = |at: usize| data[at..at + 5].try_into().map(read_timestamp).ok();
        let (pts, dts) = match flags {
            2 if header_len >= 5 => (ts(9), None),
            3 if header_len >= 10 => (ts(9), ts(14)),
            2 | 3 => return Err("PES header too short for its timestamps"),
            _ => (None, None),
        };
        Ok(PesHeader { stream_id, packet_length, pts, dts, payload_offset })
    }
}

/// A complete PES, borrowed from the assembler.
#[derive(Debug)]
pub struct Pes<'a> {
    pub pts: Option<i64>,
    /// The DTS, or the PTS when no DTS was sent.
    pub dts: Option<i64>,
    pub payload: &'a [u8],
    /// Offset of the TS packet it started in.
    pub offset: u64,
    /// Data of this stream was lost just before this PES (a continuity gap): state
    /// carried over from the previous PES does not continue into this one.
    pub after_loss: bool,
}

/// Reassembles the PES packets of one PID.
#[derive(Debug, Default)]
pub struct PesAssembler {
    buf: Vec<u8>,
    offset: u64,
    /// A PES is being assembled in `buf`.
    started: bool,
    /// The declared length (header included), when not 0.
    expected: Option<usize>,
    continuity: Option<u8>,
    lost: bool,
}

impl PesAssembler {
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets everything, as at the start of a segment.
    pub fn reset(&mut self) {
        self.buf.clear();
        self.started = false;
        self.expected = None;
        self.continuity = None;
        self.lost = false;
    }

    /// Adds one TS packet of this PID. A PES is complete when the next one starts, or
    /// when its declared length is reached; `on_pes` gets it.
    pub fn push(&mut self, packet: &Packet<'_>, offset: u64, on_pes: &mut impl FnMut(Pes<'_>)) {
        let h = packet.header;
        if packet.adaptation.is_some_and(|a| a.discontinuity) {
            self.continuity = None;
        }
        if !h.has_payload {
            return;
        }
        let cc = h.continuity_counter;
        if let Some(prev) = self.continuity {
            if cc == prev {
                // A duplicate packet may be sent once; anything else with the same
                // counter is a loss.
                if self.started && !packet.payload.is_empty() && self.buf.ends_with(packet.payload) {
                    return;
                }
                self.drop_current();
            } else if cc != (prev + 1) & 0x0F {
                self.drop_current();
            }
        }
        self.continuity = Some(cc);
        if h.payload_unit_start {
            if self.started {
                self.complete(on_pes);
            }
            self.buf.clear();
            self.buf.extend_from_slice(packet.payload);
            self.started = true;
            self.offset = offset;
            self.expected = None;
            if self.buf.len() >= 6 {
                let len = usize::from(u16::from_be_bytes([self.buf[4], self.buf[5]]));
                self.expected = (len != 0).then_some(6 + len);
            }
        } else if self.started {
            if self.expected.is_none() && self.buf.len() < 6 && self.buf.len() + packet.payload.len() >= 6 {
                let mut head = self.buf.clone();
                head.extend_from_slice(&packet.payload[..6 - self.buf.len()]);
                let len = usize::from(u16::from_be_bytes([head[4], head[5]]));
                self.expected = (len != 0).then_some(6 + len);
            }
            self.buf.extend_from_slice(packet.payload);
            if self.buf.len() > MAX_PES_LEN {
                self.drop_current();
                return;
            }
        } else {
            return;
        }
        if self.expected.is_some_and(|e| self.buf.len() >= e) {
            self.complete(on_pes);
        }
    }

    /// The stream's data ends (end of segment): a PES being assembled is complete.
    pub fn flush(&mut self, on_pes: &mut impl FnMut(Pes<'_>)) {
        if self.started {
            self.complete(on_pes);
        }
    }

    fn drop_current(&mut self) {
        self.buf.clear();
        self.started = false;
        self.expected = None;
        self.lost = true;
    }

    fn complete(&mut self, on_pes: &mut impl FnMut(Pes<'_>)) {
        self.started = false;
        let len = self.expected.map_or(self.buf.len(), |e| e.min(self.buf.len()));
        let data = &self.buf[..len];
        if let Ok(h) = PesHeader::parse(data) {
            let payload = &data[h.payload_offset..];
            on_pes(Pes { pts: h.pts, dts: h.dts.or(h.pts), payload, offset: self.offset, after_loss: self.lost });
            self.lost = false;
        } else {
            self.lost = true;
        }
        self.buf.clear();
        self.expected = None;
    }
}
