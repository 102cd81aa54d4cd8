//! MPEG-TS (the segments of HLS recordings): packets → PSI/PES → H.264 and AAC frames →
//! fragmented MP4 through the same muxer as FLV. Being written (issue 12).

mod remux;

pub use remux::{TsRemuxer, remux_all};
