//! Reading fragmented MP4 back in tests: the samples of a media segment.

use super::Boxes;

/// One output sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Out {
    pub track: u32,
    pub dts: u64,
    pub duration: u32,
    pub cts: i32,
    pub key: bool,
}

pub fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_be_bytes(b[i..i + 4].try_into().unwrap())
}

/// The samples of a media segment, from `tfhd`, `tfdt` and `trun`.
pub fn samples(segment: &[u8]) -> Vec<Out> {
    let moof = Boxes::new(segment, 0).next().unwrap().unwrap();
    assert_eq!(moof.kind, b"moof");
    let mut out = Vec::new();
    for traf in moof.children().map(Result::unwrap).filter(|b| b.kind == b"traf") {
        let field = |kind: &[u8; 4]| traf.require(kind, "traf child").unwrap().full().unwrap().2;
        let track = u32_at(field(b"tfhd"), 0);
        let mut dts = u64::from_be_bytes(field(b"tfdt")[..8].try_into().unwrap());
        let trun = field(b"trun");
        for i in 0..u32_at(trun, 0) as usize {
            let at = 8 + 16 * i;
            let (duration, flags, cts) = (u32_at(trun, at), u32_at(trun, at + 8), u32_at(trun, at + 12) as i32);
            out.push(Out { track, dts, duration, cts, key: flags & 0x0001_0000 == 0 });
            dts += u64::from(duration);
        }
    }
    out
}
