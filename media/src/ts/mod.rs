//! MPEG-TS, the segments of HLS recordings: packets → PSI/PES → H.264 and AAC frames →
//! fragmented MP4 through the same muxer as FLV ([`TsRemuxer`]).
//!
//! - [`packet`]: 188-byte packets (header, adaptation field), cut from chunks of any size
//!   ([`packet::Packetizer`]), found again after garbage.
//! - [`psi`]: PAT and PMT sections (spanning packets), CRC-32/MPEG-2, stream types.
//! - [`pes`]: PES reassembly with the continuity counter checked; 33-bit PTS/DTS.
//! - [`h264`]: Annex B → length-prefixed access units; SPS/PPS → `avcC`.
//! - [`adts`]: ADTS → raw AAC frames and the AudioSpecificConfig; frames cut by a PES end.
//! - [`demux`]: the incremental demuxer: bytes → configurations and frames.
//! - [`remux`](mod@remux): frames → init and media segments on the playlist's timeline.

pub mod adts;
pub mod demux;
pub mod h264;
pub mod packet;
pub mod pes;
pub mod psi;
pub mod remux;
#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;

pub use remux::{TsRemuxer, remux_all};
