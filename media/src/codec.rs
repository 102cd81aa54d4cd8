//! Codec configurations: H.264's AVCDecoderConfigurationRecord and AAC's
//! AudioSpecificConfig, as FLV sequence headers carry them, or built from what MPEG-TS
//! carries (SPS and PPS NAL units; ADTS headers).

use crate::error::ErrorKind;

/// H.264 configuration: the record (which becomes `avcC` as is) and what it says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AvcConfig {
    pub record: Vec<u8>,
    pub profile: u8,
    pub compatibility: u8,
    pub level: u8,
    /// Bytes in each NAL unit's length prefix (1, 2 or 4).
    pub nal_length_size: u8,
    pub width: u32,
    pub height: u32,
}

impl AvcConfig {
    pub fn parse(record: &[u8]) -> Result<AvcConfig, ErrorKind> {
        let bad = ErrorKind::BadCodecConfig;
        if record.len() < 7 || record[0] != 1 {
            return Err(bad("AVC configuration record too short or of unknown version"));
        }
        let nal_length_size = (record[4] & 0x03) + 1;
        if nal_length_size == 3 {
            return Err(bad("AVC NAL length size of 3"));
        }
        let sps_count = record[5] & 0x1f;
        if sps_count == 0 {
            return Err(bad("AVC configuration without an SPS"));
        }
        let len = ((record[6] as usize) << 8) | *record.get(7).ok_or(bad("AVC configuration ends early"))? as usize;
        let sps = record.get(8..8 + len).ok_or(bad("AVC SPS ends early"))?;
        let (width, height) = sps_dimensions(sps).ok_or(bad("unreadable SPS"))?;
        Ok(AvcConfig {
            record: record.to_vec(),
            profile: record[1],
            compatibility: record[2],
            level: record[3],
            nal_length_size,
            width,
            height,
        })
    }

    /// A record around one SPS and one PPS (NAL units, header byte included, emulation
    /// prevention bytes kept), with 4-byte NAL lengths: what an Annex B stream (MPEG-TS)
    /// carries in band. Checked by [`AvcConfig::parse`].
    pub fn from_sps_pps(sps: &[u8], pps: &[u8]) -> Result<AvcConfig, ErrorKind> {
        let bad = ErrorKind::BadCodecConfig;
        if sps.len() < 4 || sps[0] & 0x1F != 7 {
            return Err(bad("not an SPS, or too short"));
        }
        if pps.is_empty() || pps[0] & 0x1F != 8 {
            return Err(bad("not a PPS"));
        }
        let (Ok(sps_len), Ok(pps_len)) = (u16::try_from(sps.len()), u16::try_from(pps.len())) else {
            return Err(bad("SPS or PPS longer than 65535 bytes"));
        };
        let mut record = Vec::with_capacity(11 + sps.len() + pps.len());
        // version, profile, compatibility, level, 4-byte lengths, one SPS
        record.extend_from_slice(&[1, sps[1], sps[2], sps[3], 0xFF, 0xE1]);
        record.extend_from_slice(&sps_len.to_be_bytes());
        record.extend_from_slice(sps);
        record.push(1);
        record.extend_from_slice(&pps_len.to_be_bytes());
        record.extend_from_slice(pps);
        AvcConfig::parse(&record)
    }

    /// The RFC 6381 codec string: `avc1.PPCCLL`.
    pub fn codec_string(&self) -> String {
        format!("avc1.{:02x}{:02x}{:02x}", self.profile, self.compatibility, self.level)
    }

    /// Every SPS, then every PPS, of the record (NAL units, header byte included): what a
    /// decoder fed Annex B needs before an IDR picture. [`AvcConfig::parse`] read only
    /// the first SPS; a record cut in its later lists is an error here.
    pub fn parameter_sets(&self) -> Result<Vec<&[u8]>, ErrorKind> {
        let bad = ErrorKind::BadCodecConfig;
        let r = &self.record;
        let mut sets = Vec::new();
        // Each list is a count, then (u16 length, NAL unit) pairs: the SPS count is the
        // low 5 bits of byte 5, the PPS count a whole byte after the SPS list.
        let mut at = 5;
        for mask in [0x1f, 0xff] {
            let count = r.get(at).ok_or(bad("AVC configuration ends early"))? & mask;
            at += 1;
            for _ in 0..count {
                let len = r.get(at..at + 2).ok_or(bad("AVC parameter set length ends early"))?;
                let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
                sets.push(r.get(at + 2..at + 2 + len).ok_or(bad("AVC parameter set ends early"))?);
                at += 2 + len;
            }
        }
        Ok(sets)
    }
}

/// AAC configuration: the AudioSpecificConfig (which goes into `esds`) and what it says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AacConfig {
    pub asc: Vec<u8>,
    pub object_type: u8,
    pub sample_rate: u32,
    pub channels: u8,
}

/// The sampling frequencies by index (ISO/IEC 14496-3 Table 1.18).
pub(crate) const SAMPLE_RATES: [u32; 13] =
    [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

impl AacConfig {
    pub fn parse(asc: &[u8]) -> Result<AacConfig, ErrorKind> {
        let bad = ErrorKind::BadCodecConfig;
        let mut r = BitReader::new(asc);
        let mut object_type = r.bits(5).ok_or(bad("AAC configuration too short"))? as u8;
        if object_type == 31 {
            object_type = 32 + r.bits(6).ok_or(bad("AAC configuration too short"))? as u8;
        }
        if object_type == 0 {
            return Err(bad("AAC object type 0"));
        }
        let index = r.bits(4).ok_or(bad("AAC configuration too short"))? as usize;
        let sample_rate = if index == 15 {
            r.bits(24).ok_or(bad("AAC configuration too short"))?
        } else {
            *SAMPLE_RATES.get(index).ok_or(bad("AAC sampling frequency index out of range"))?
        };
        if sample_rate == 0 {
            return Err(bad("AAC sample rate 0"));
        }
        let channels = r.bits(4).ok_or(bad("AAC configuration too short"))? as u8;
        Ok(AacConfig { asc: asc.to_vec(), object_type, sample_rate, channels: channels.max(1) })
    }

    /// The two-byte AudioSpecificConfig for what an ADTS header says: the audio object
    /// type (ADTS profile + 1), the sampling frequency index and the channel configuration.
    pub fn from_adts(object_type: u8, frequency_index: u8, channel_config: u8) -> Result<AacConfig, ErrorKind> {
        if !(1..=31).contains(&object_type) || frequency_index > 12 || channel_config > 7 {
            return Err(ErrorKind::BadCodecConfig("ADTS fields out of range"));
        }
        let asc = [object_type << 3 | frequency_index >> 1, (frequency_index & 1) << 7 | channel_config << 3];
        AacConfig::parse(&asc)
    }

    /// The RFC 6381 codec string: `mp4a.40.N`.
    pub fn codec_string(&self) -> String {
        format!("mp4a.40.{}", self.object_type)
    }
}

/// Reads bits most significant first, and H.264's Exp-Golomb codes.
pub(crate) struct BitReader<'a> {
    data: &'a [u8],
    bit: usize,
}

impl<'a> BitReader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        BitReader { data, bit: 0 }
    }

    pub fn bits(&mut self, n: u32) -> Option<u32> {
        let mut v = 0u32;
        for _ in 0..n {
            let byte = *self.data.get(self.bit / 8)?;
            v = (v << 1) | u32::from((byte >> (7 - self.bit % 8)) & 1);
            self.bit += 1;
        }
        Some(v)
    }

    pub fn flag(&mut self) -> Option<bool> {
        self.bits(1).map(|b| b == 1)
    }

    pub fn ue(&mut self) -> Option<u32> {
        let mut zeros = 0;
        while self.bits(1)? == 0 {
            zeros += 1;
            if zeros > 31 {
                return None;
            }
        }
        Some(((1u64 << zeros) - 1 + u64::from(self.bits(zeros)?)) as u32)
    }

    pub fn se(&mut self) -> Option<i32> {
        let k = self.ue()? as i64;
        Some(if k % 2 == 1 { ((k + 1) / 2) as i32 } else { (-(k / 2)) as i32 })
    }
}

/// Width and height in pixels from an SPS NAL unit (header byte included).
pub fn sps_dimensions(nal: &[u8]) -> Option<(u32, u32)> {
    // Remove emulation-prevention bytes (00 00 03 → 00 00).
    let mut rbsp = Vec::with_capacity(nal.len());
    let mut zeros = 0;
    for &b in nal.get(1..)? {
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
        rbsp.push(b);
    }
    let mut r = BitReader::new(&rbsp);
    let profile = r.bits(8)?;
    r.bits(16)?; // constraint flags, level
    r.ue()?; // seq_parameter_set_id
    let mut chroma_format = 1;
    if matches!(profile, 100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135) {
        chroma_format = r.ue()?;
        if chroma_format == 3 {
            r.flag()?; // separate_colour_plane_flag
        }
        r.ue()?; // bit_depth_luma_minus8
        r.ue()?; // bit_depth_chroma_minus8
        r.flag()?; // qpprime_y_zero_transform_bypass_flag
        if r.flag()? {
            let lists = if chroma_format == 3 { 12 } else { 8 };
            for i in 0..lists {
                if r.flag()? {
                    let size = if i < 6 { 16 } else { 64 };
                    let (mut last, mut next) = (8i32, 8i32);
                    for _ in 0..size {
                        if next != 0 {
                            next = (last + r.se()? + 256) % 256;
                        }
                        last = if next == 0 { last } else { next };
                    }
                }
            }
        }
    }
    r.ue()?; // log2_max_frame_num_minus4
    match r.ue()? {
        0 => {
            r.ue()?;
        }
        1 => {
            r.flag()?;
            r.se()?;
            r.se()?;
            let n = r.ue()?;
            if n > 255 {
                return None;
            }
            for _ in 0..n {
                r.se()?;
            }
        }
        _ => {}
    }
    r.ue()?; // max_num_ref_frames
    r.flag()?; // gaps_in_frame_num_value_allowed_flag
    // Sizes are computed in u64 and bounded: a hostile SPS may declare anything.
    let width_mbs = u64::from(r.ue()?) + 1;
    let height_units = u64::from(r.ue()?) + 1;
    let frame_mbs_only = r.flag()?;
    if !frame_mbs_only {
        r.flag()?; // mb_adaptive_frame_field_flag
    }
    r.flag()?; // direct_8x8_inference_flag
    let field = 2 - u64::from(frame_mbs_only);
    let (mut crop_x, mut crop_y) = (0u64, 0u64);
    if r.flag()? {
        let (left, right, top, bottom) =
            (u64::from(r.ue()?), u64::from(r.ue()?), u64::from(r.ue()?), u64::from(r.ue()?));
        let (unit_x, unit_y) = match chroma_format {
            0 | 3 => (1, field),
            1 => (2, 2 * field),
            _ => (2, field),
        };
        crop_x = unit_x * (left + right);
        crop_y = unit_y * (top + bottom);
    }
    let width = (width_mbs * 16).checked_sub(crop_x)?;
    let height = (field * height_units * 16).checked_sub(crop_y)?;
    (width > 0 && height > 0 && width <= 16384 && height <= 16384).then_some((width as u32, height as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aac_config() {
        // AAC-LC, 44.1 kHz, stereo.
        let c = AacConfig::parse(&[0x12, 0x10]).unwrap();
        assert_eq!((c.object_type, c.sample_rate, c.channels), (2, 44100, 2));
        assert_eq!(c.codec_string(), "mp4a.40.2");
        // HE-AAC signalled explicitly (object type 5), 24 kHz mono.
        let c = AacConfig::parse(&[0x2B, 0x08]).unwrap();
        assert_eq!((c.object_type, c.sample_rate, c.channels), (5, 24000, 1));
        assert!(AacConfig::parse(&[]).is_err());
        assert!(AacConfig::parse(&[0x17, 0x80]).is_err(), "frequency index 14 is reserved");
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn sps_dimensions_of_real_streams() {
        // x264 Main profile 640x360 (cropped from 368 lines) and High profile 320x180.
        assert_eq!(sps_dimensions(&hex("674d401eecc05017fcb808800000030080000019078b16cd")), Some((640, 360)));
        assert_eq!(sps_dimensions(&hex("6764000cacd941419f9f011000000300100000030320f1429960")), Some((320, 180)));
        assert_eq!(sps_dimensions(&hex("6764")), None);
    }

    #[test]
    fn hostile_sizes_are_refused_not_overflowed() {
        // Found by the fuzzer (media/fuzz/crashes): huge width, height and crop values.
        for sps in
            ["6700af2f00138856e500000001617663354c6176630000", "677e000aacd94426c0be000003000400810000100010e10800b317"]
        {
            assert_eq!(sps_dimensions(&hex(sps)), None, "{sps}");
        }
        // 2^32-1 macroblocks wide: overflowed u32 (and wrapped to a small width in
        // release builds).
        let mut bits = String::from("01000010"); // profile 66
        bits += "0000000000011110"; // constraints, level 30
        bits += "1"; // sps id 0
        bits += "1"; // log2_max_frame_num_minus4 0
        bits += "1"; // poc type 0
        bits += "1"; // log2_max_poc_lsb_minus4 0
        bits += "1"; // max_num_ref_frames 0
        bits += "0"; // gaps
        bits += &format!("{}1{}", "0".repeat(31), "1".repeat(31)); // width_mbs_minus1 = 2^32 - 2
        bits += "1"; // height
        bits += "1"; // frame_mbs_only
        bits += "1"; // direct_8x8
        bits += "0"; // no cropping
        while bits.len() % 8 != 0 {
            bits.push('0');
        }
        let mut nal = vec![0x67];
        nal.extend((0..bits.len()).step_by(8).map(|i| u8::from_str_radix(&bits[i..i + 8], 2).unwrap()));
        assert_eq!(sps_dimensions(&nal), None);
    }

    #[test]
    fn avc_record() {
        let record = hex("014d401effe10018674d401eecc05017fcb808800000030080000019078b16cd01000568e97b2c80");
        let c = AvcConfig::parse(&record).unwrap();
        assert_eq!((c.width, c.height, c.nal_length_size), (640, 360, 4));
        assert_eq!(c.codec_string(), "avc1.4d401e");
        assert!(AvcConfig::parse(&record[..12]).is_err());
        assert!(AvcConfig::parse(&[]).is_err());
    }

    #[test]
    fn parameter_sets_of_a_record() {
        let c = AvcConfig::parse(&hex(crate::flv::testing::AVC_640X360)).unwrap();
        let sets = c.parameter_sets().unwrap();
        assert_eq!(sets.len(), 2);
        assert_eq!((sets[0][0] & 0x1f, sets[0].len()), (7, 24));
        assert_eq!(sets[1], &hex("68e97b2c80")[..]);
        // Two SPS and no PPS is read as such; a record cut inside its PPS list is refused.
        let mut two = c.record[..6].to_vec();
        two[5] = 0xe2;
        for _ in 0..2 {
            two.extend_from_slice(&c.record[6..8 + 24]);
        }
        two.push(0);
        let two = AvcConfig::parse(&two).unwrap();
        assert_eq!(two.parameter_sets().unwrap().len(), 2);
        let mut cut = c.clone();
        cut.record.truncate(cut.record.len() - 1);
        assert!(matches!(cut.parameter_sets(), Err(ErrorKind::BadCodecConfig(_))));
        cut.record.truncate(8 + 24);
        assert!(cut.parameter_sets().is_err(), "no PPS count");
    }

    #[test]
    fn avc_record_from_sps_and_pps() {
        let record = hex("014d401effe10018674d401eecc05017fcb808800000030080000019078b16cd01000568e97b2c80");
        let sps = &record[8..8 + 0x18];
        let pps = &record[record.len() - 5..];
        let c = AvcConfig::from_sps_pps(sps, pps).unwrap();
        assert_eq!(c.record, record, "the same record as x264's in FLV");
        assert_eq!((c.width, c.height, c.codec_string().as_str()), (640, 360, "avc1.4d401e"));
        assert!(AvcConfig::from_sps_pps(pps, sps).is_err(), "PPS given as SPS");
        assert!(AvcConfig::from_sps_pps(&sps[..3], pps).is_err());
        assert!(AvcConfig::from_sps_pps(&sps[..6], pps).is_err(), "an SPS cut short is unreadable");
    }

    #[test]
    fn aac_config_from_adts_fields() {
        // AAC-LC (ADTS profile 1), 44.1 kHz (index 4), stereo: the usual 0x12 0x10.
        let c = AacConfig::from_adts(2, 4, 2).unwrap();
        assert_eq!(c.asc, [0x12, 0x10]);
        assert_eq!((c.object_type, c.sample_rate, c.channels), (2, 44100, 2));
        assert_eq!(AacConfig::from_adts(2, 3, 1).unwrap().asc, [0x11, 0x88], "48 kHz mono");
        assert!(AacConfig::from_adts(2, 13, 2).is_err());
        assert!(AacConfig::from_adts(0, 4, 2).is_err());
    }

    #[test]
    fn exp_golomb() {
        // 1 → 0, 010 → 1, 011 → 2, 00100 → 3
        let mut r = BitReader::new(&[0b1010_0110, 0b0100_0000]);
        assert_eq!((r.ue(), r.ue(), r.ue(), r.ue()), (Some(0), Some(1), Some(2), Some(3)));
        let mut r = BitReader::new(&[0b0100_1100]);
        assert_eq!((r.se(), r.se()), (Some(1), Some(-1)));
    }
}
