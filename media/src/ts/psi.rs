//! Program-specific information: the program association table (PAT, PID 0) and the
//! program map table (PMT) it points to, their CRC-32/MPEG-2, and sections spanning
//! packets (ISO/IEC 13818-1 §2.4.4).

/// Section table ids.
pub const TABLE_PAT: u8 = 0x00;
pub const TABLE_PMT: u8 = 0x02;

/// The longest section: `section_length` is at most 1021 for PAT and PMT.
const MAX_SECTION_LEN: usize = 3 + 1021;

/// Named `stream_type` values of a PMT (ISO/IEC 13818-1 Table 2-34, ATSC A/52, HLS).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StreamType(pub u8);

impl StreamType {
    pub const MPEG1_VIDEO: StreamType = StreamType(0x01);
    pub const MPEG2_VIDEO: StreamType = StreamType(0x02);
    pub const MPEG1_AUDIO: StreamType = StreamType(0x03);
    pub const MPEG2_AUDIO: StreamType = StreamType(0x04);
    pub const PRIVATE_SECTIONS: StreamType = StreamType(0x05);
    /// PES with private data: AC-3, E-AC-3, Opus, subtitles... told apart by descriptors.
    pub const PRIVATE_PES: StreamType = StreamType(0x06);
    pub const AAC_ADTS: StreamType = StreamType(0x0F);
    pub const MPEG4_VIDEO: StreamType = StreamType(0x10);
    pub const AAC_LATM: StreamType = StreamType(0x11);
    /// Timed metadata (ID3 in HLS).
    pub const METADATA: StreamType = StreamType(0x15);
    pub const H264: StreamType = StreamType(0x1B);
    pub const HEVC: StreamType = StreamType(0x24);
    pub const VVC: StreamType = StreamType(0x33);
    pub const AVS2: StreamType = StreamType(0x42);
    pub const AC3: StreamType = StreamType(0x81);
    pub const DTS: StreamType = StreamType(0x82);
    pub const SCTE35: StreamType = StreamType(0x86);
    pub const EAC3: StreamType = StreamType(0x87);
    /// HLS SAMPLE-AES encrypted streams.
    pub const SAMPLE_AES_AC3: StreamType = StreamType(0xC1);
    pub const SAMPLE_AES_AAC: StreamType = StreamType(0xCF);
    pub const SAMPLE_AES_H264: StreamType = StreamType(0xDB);
    pub const VC1: StreamType = StreamType(0xEA);
}

/// What a PMT entry is to this crate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamKind {
    H264,
    AacAdts,
    /// Video this crate does not remux, by name.
    OtherVideo(&'static str),
    /// Audio this crate does not remux, by name.
    OtherAudio(&'static str),
    /// Metadata, subtitles, SCTE-35, private data: ignored.
    Ignored,
}

/// Descriptor tags that name the codec of a `PRIVATE_PES` stream.
const DESCRIPTOR_REGISTRATION: u8 = 0x05;
const DESCRIPTOR_AC3: u8 = 0x6A;
const DESCRIPTOR_EAC3: u8 = 0x7A;
const DESCRIPTOR_DTS: u8 = 0x7B;

/// Classifies a PMT entry by its stream type and, for private PES, its descriptors.
pub fn classify(stream_type: StreamType, descriptors: &[u8]) -> StreamKind {
    use StreamKind::*;
    match stream_type {
        StreamType::H264 => H264,
        StreamType::AAC_ADTS => AacAdts,
        StreamType::HEVC => OtherVideo("HEVC"),
        StreamType::VVC => OtherVideo("VVC (H.266)"),
        StreamType::MPEG1_VIDEO => OtherVideo("MPEG-1 video"),
        StreamType::MPEG2_VIDEO => OtherVideo("MPEG-2 video"),
        StreamType::MPEG4_VIDEO => OtherVideo("MPEG-4 Part 2 video"),
        StreamType::AVS2 => OtherVideo("AVS2"),
        StreamType::VC1 => OtherVideo("VC-1"),
        StreamType::SAMPLE_AES_H264 => OtherVideo("SAMPLE-AES encrypted H.264"),
        StreamType::MPEG1_AUDIO | StreamType::MPEG2_AUDIO => OtherAudio("MPEG audio (MP3)"),
        StreamType::AAC_LATM => OtherAudio("AAC in LATM"),
        StreamType::AC3 => OtherAudio("AC-3"),
        StreamType::EAC3 => OtherAudio("E-AC-3"),
        StreamType::DTS => OtherAudio("DTS"),
        StreamType::SAMPLE_AES_AAC => OtherAudio("SAMPLE-AES encrypted AAC"),
        StreamType::SAMPLE_AES_AC3 => OtherAudio("SAMPLE-AES encrypted AC-3"),
        StreamType::PRIVATE_PES => {
            for (tag, body) in Descriptors(descriptors) {
                match (tag, body) {
                    (DESCRIPTOR_AC3, _) => return OtherAudio("AC-3"),
                    (DESCRIPTOR_EAC3, _) => return OtherAudio("E-AC-3"),
                    (DESCRIPTOR_DTS, _) => return OtherAudio("DTS"),
                    (DESCRIPTOR_REGISTRATION, [a, b, c, d, ..]) => match &[*a, *b, *c, *d] {
                        b"AC-3" => return OtherAudio("AC-3"),
                        b"EAC3" => return OtherAudio("E-AC-3"),
                        b"Opus" => return OtherAudio("Opus"),
                        b"HEVC" => return OtherVideo("HEVC"),
                        _ => {}
                    },
                    _ => {}
                }
            }
            Ignored
        }
        _ => Ignored,
    }
}

/// Iterates `(tag, body)` over a descriptor loop; stops at a descriptor cut short.
struct Descriptors<'a>(&'a [u8]);

impl<'a> Iterator for Descriptors<'a> {
    type Item = (u8, &'a [u8]);
    fn next(&mut self) -> Option<Self::Item> {
        let [tag, len, rest @ ..] = self.0 else { return None };
        let body = rest.get(..usize::from(*len))?;
        self.0 = &rest[usize::from(*len)..];
        Some((*tag, body))
    }
}

const fn crc_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = (i as u32) << 24;
        let mut k = 0;
        while k < 8 {
            c = if c & 0x8000_0000 != 0 { (c << 1) ^ 0x04C1_1DB7 } else { c << 1 };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
}

static CRC_TABLE: [u32; 256] = crc_table();

/// CRC-32/MPEG-2: polynomial 0x04C11DB7, initial value 0xFFFFFFFF, not reflected, no
/// final xor. Over a whole section, its CRC field included, it gives 0.
pub fn crc32_mpeg2(data: &[u8]) -> u32 {
    data.iter().fold(0xFFFF_FFFF, |crc, &b| (crc << 8) ^ CRC_TABLE[((crc >> 24) as u8 ^ b) as usize])
}

/// The fields shared by PAT and PMT sections (long form), checked: `table_id`, the
/// syntax indicator, a length within the data, `current_next_indicator`, the CRC.
/// Returns the body between the 8-byte header and the CRC.
fn long_section(section: &[u8], table_id: u8) -> Result<(u16, &[u8]), &'static str> {
    if section.len() < 12 {
        return Err("section too short");
    }
    if section[0] != table_id {
        return Err("unexpected table id");
    }
    if section[1] & 0x80 == 0 {
        return Err("section syntax indicator not set");
    }
    let len = 3 + (usize::from(section[1] & 0x0F) << 8 | usize::from(section[2]));
    if len < 12 || len > section.len() {
        return Err("section length out of range");
    }
    let section = &section[..len];
    if crc32_mpeg2(section) != 0 {
        return Err("section CRC mismatch");
    }
    if section[5] & 0x01 == 0 {
        return Err("section not current (current_next_indicator 0)");
    }
    let id = u16::from(section[3]) << 8 | u16::from(section[4]);
    Ok((id, &section[8..len - 4]))
}

/// The PAT's first program: `(program_number, pmt_pid)`. Program 0 (the network PID)
/// is skipped.
pub fn parse_pat(section: &[u8]) -> Result<Option<(u16, u16)>, &'static str> {
    let (_, body) = long_section(section, TABLE_PAT)?;
    Ok(body
        .chunks_exact(4)
        .map(|e| (u16::from(e[0]) << 8 | u16::from(e[1]), u16::from(e[2] & 0x1F) << 8 | u16::from(e[3])))
        .find(|&(program, _)| program != 0))
}

/// One elementary stream of a PMT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PmtStream {
    pub stream_type: StreamType,
    pub pid: u16,
    pub kind: StreamKind,
}

/// A program map table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pmt {
    pub program_number: u16,
    pub pcr_pid: u16,
    pub streams: Vec<PmtStream>,
}

pub fn parse_pmt(section: &[u8]) -> Result<Pmt, &'static str> {
    let (program_number, body) = long_section(section, TABLE_PMT)?;
    if body.len() < 4 {
        return Err("PMT too short");
    }
    let pcr_pid = u16::from(body[0] & 0x1F) << 8 | u16::from(body[1]);
    let info_len = usize::from(body[2] & 0x0F) << 8 | usize::from(body[3]);
    let mut rest = body.get(4 + info_len..).ok_or("PMT program info longer than the section")?;
    let mut streams = Vec::new();
    while rest.len() >= 5 {
        let stream_type = StreamType(rest[0]);
        let pid = u16::from(rest[1] & 0x1F) << 8 | u16::from(rest[2]);
        let es_len = usize::from(rest[3] & 0x0F) << 8 | usize::from(rest[4]);
        let descriptors = rest.get(5..5 + es_len).ok_or("PMT stream descriptors longer than the section")?;
        streams.push(PmtStream { stream_type, pid, kind: classify(stream_type, descriptors) });
        rest = &rest[5 + es_len..];
    }
    Ok(Pmt { program_number, pcr_pid, streams })
}

/// Reassembles PSI sections from packet payloads of one PID: a section may span
/// packets, and one packet may end a section and start the next.
#[derive(Debug, Default)]
pub struct SectionAssembler {
    buf: Vec<u8>,
    /// A section is being assembled in `buf`.
    active: bool,
}

impl SectionAssembler {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn reset(&mut self) {
        self.buf.clear();
        self.active = false;
    }

    /// Feeds a packet's payload; `on_section` gets each complete section (its CRC not
    /// yet checked).
    pub fn push(&mut self, unit_start: bool, payload: &[u8], mut on_section: impl FnMut(&[u8])) {
        if unit_start {
            let Some((&pointer, rest)) = payload.split_first() else { return };
            let pointer = usize::from(pointer);
            let Some(tail) = rest.get(..pointer) else {
                self.reset();
                return;
            };
            if self.active {
                self.buf.extend_from_slice(tail);
                self.drain(&mut on_section);
            }
            self.buf.clear();
            self.buf.extend_from_slice(&rest[pointer..]);
            self.active = true;
        } else if self.active {
            self.buf.extend_from_slice(payload);
        } else {
            return;
        }
        self.drain(&mut on_section);
    }

    /// Gives out the complete sections at the front of `buf`.
    fn drain(&mut self, on_section: &mut impl FnMut(&[u8])) {
        let mut pos = 0;
        while self.active {
            let rest = &self.buf[pos..];
            match rest.first() {
                None => {
                    break;
                }
                Some(0xFF) => {
                    // Stuffing: no more sections in this unit.
                    self.active = false;
                    break;
                }
                Some(_) if rest.len() < 3 => break,
                Some(_) => {
                    let len = 3 + (usize::from(rest[1] & 0x0F) << 8 | usize::from(rest[2]));
                    if len > MAX_SECTION_LEN {
                        self.active = false;
                        break;
                    }
                    if rest.len() < len {
                        break;
                    }
                    on_section(&rest[..len]);
                    pos += len;
                }
            }
        }
        if self.active {
            self.buf.drain(..pos);
        } else {
            self.buf.clear();
        }
    }
}
