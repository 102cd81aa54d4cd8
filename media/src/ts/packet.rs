//! Transport stream packets: 188 bytes, sync byte `0x47`, a 4-byte header, an optional
//! adaptation field, a payload (ISO/IEC 13818-1 §2.4.3). [`Packetizer`] cuts bytes pushed
//! in chunks of any size into packets, keeping an incomplete packet between chunks, and
//! finds the packet grid again after garbage.

use crate::error::{Error, ErrorKind, Result};

pub const PACKET_LEN: usize = 188;
pub const SYNC_BYTE: u8 = 0x47;

/// The program association table's PID.
pub const PID_PAT: u16 = 0x0000;
/// The service description table's (DVB), ignored.
pub const PID_SDT: u16 = 0x0011;
/// Null packets (stuffing), ignored.
pub const PID_NULL: u16 = 0x1FFF;
/// PIDs below this are reserved for tables (PAT, CAT, TSDT, DVB SI).
pub const FIRST_ELEMENTARY_PID: u16 = 0x0010;

/// Without finding a packet, a segment is refused as not MPEG-TS after this many bytes.
const MAX_BYTES_WITHOUT_SYNC: u64 = 64 * 1024;

/// The 4-byte packet header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PacketHeader {
    pub transport_error: bool,
    /// A PES packet or PSI section starts in this packet's payload.
    pub payload_unit_start: bool,
    pub pid: u16,
    pub scrambling: u8,
    pub has_adaptation: bool,
    pub has_payload: bool,
    pub continuity_counter: u8,
}

impl PacketHeader {
    pub fn parse(b: &[u8; 4]) -> PacketHeader {
        PacketHeader {
            transport_error: b[1] & 0x80 != 0,
            payload_unit_start: b[1] & 0x40 != 0,
            pid: u16::from(b[1] & 0x1F) << 8 | u16::from(b[2]),
            scrambling: b[3] >> 6,
            has_adaptation: b[3] & 0x20 != 0,
            has_payload: b[3] & 0x10 != 0,
            continuity_counter: b[3] & 0x0F,
        }
    }
}

/// What this crate reads of an adaptation field.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AdaptationField {
    /// The continuity counter (or the time base) restarts here: not a loss.
    pub discontinuity: bool,
    pub random_access: bool,
    /// Program clock reference in 27 MHz units (base × 300 + extension). Not needed for
    /// HLS, read for completeness.
    pub pcr: Option<u64>,
}

/// One packet, borrowed from the input.
#[derive(Clone, Copy, Debug)]
pub struct Packet<'a> {
    pub header: PacketHeader,
    pub adaptation: Option<AdaptationField>,
    pub payload: &'a [u8],
}

impl<'a> Packet<'a> {
    /// Reads a packet: `bytes` is 188 bytes starting with the sync byte. An adaptation
    /// field longer than the packet is an error (the packet is to be skipped).
    pub fn parse(bytes: &'a [u8]) -> std::result::Result<Packet<'a>, &'static str> {
        if bytes.len() != PACKET_LEN || bytes[0] != SYNC_BYTE {
            return Err("not a 188-byte packet starting with 0x47");
        }
        let header = PacketHeader::parse(&[bytes[0], bytes[1], bytes[2], bytes[3]]);
        let mut start = 4;
        let mut adaptation = None;
        if header.has_adaptation {
            let len = usize::from(bytes[4]);
            if len > PACKET_LEN - 5 {
                return Err("adaptation field longer than the packet");
            }
            let field = &bytes[5..5 + len];
            let mut a = AdaptationField::default();
            if let Some(&flags) = field.first() {
                a.discontinuity = flags & 0x80 != 0;
                a.random_access = flags & 0x40 != 0;
                if flags & 0x10 != 0 && field.len() >= 7 {
                    let p = &field[1..7];
                    let base = u64::from(p[0]) << 25
                        | u64::from(p[1]) << 17
                        | u64::from(p[2]) << 9
                        | u64::from(p[3]) << 1
                        | u64::from(p[4] >> 7);
                    let ext = u64::from(p[4] & 1) << 8 | u64::from(p[5]);
                    a.pcr = Some(base * 300 + ext);
                }
            }
            adaptation = Some(a);
            start = 5 + len;
        }
        let payload = if header.has_payload { &bytes[start..] } else { &[][..] };
        Ok(Packet { header, adaptation, payload })
    }
}

/// Where the next packet starts, found by the sync byte repeating at +188 and +376.
#[derive(Debug, PartialEq, Eq)]
enum Sync {
    /// A packet starts here.
    At(usize),
    /// Nothing before this offset can start a packet; more bytes are needed to decide
    /// about the rest.
    NeedMore(usize),
}

/// Finds a sync offset: `0x47` at `i`, `i + 188` and `i + 376`. With `last`, the
/// repeats are checked only as far as the data goes (the end of a segment).
fn find_sync(data: &[u8], last: bool) -> Sync {
    let mut i = 0;
    while let Some(found) = data[i..].iter().position(|&b| b == SYNC_BYTE) {
        i += found;
        let mut ok = true;
        for k in 1..=2 {
            match data.get(i + k * PACKET_LEN) {
                Some(&b) if b != SYNC_BYTE => ok = false,
                Some(_) => {}
                None if !last => return Sync::NeedMore(i),
                None => {}
            }
        }
        if ok {
            return Sync::At(i);
        }
        i += 1;
    }
    Sync::NeedMore(data.len())
}

/// Cuts a byte stream into packets. Whole packets are read in place; an incomplete one
/// (or bytes still being searched for sync) is kept for the next chunk. A packet is
/// given out once the first byte after it is in (it must be the next sync byte), or at
/// [`Packetizer::finish`].
#[derive(Debug, Default)]
pub struct Packetizer {
    pending: Vec<u8>,
    /// Offset of the next byte not consumed (the first of `pending`).
    offset: u64,
    synced: bool,
    packets: u64,
    /// Bytes skipped while searching for sync.
    skipped: u64,
    refused: bool,
}

impl Packetizer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Offset of the next byte not yet consumed, from the start of the input.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Packets found so far.
    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// Bytes skipped as garbage so far.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// Adds bytes; calls `on_packet(bytes, offset)` for every whole packet. An error
    /// from `on_packet` stops this push (the packet counts as read); the bytes after it
    /// are read by the next push (or `finish`).
    pub fn push(&mut self, mut chunk: &[u8], mut on_packet: impl FnMut(&[u8], u64) -> Result<()>) -> Result<()> {
        while !self.pending.is_empty() && !chunk.is_empty() {
            // Complete what is pending with a few packets' worth of the chunk, then go on
            // reading the chunk in place.
            let old = self.pending.len();
            let take = chunk.len().min(3 * PACKET_LEN);
            self.pending.extend_from_slice(&chunk[..take]);
            let pending = std::mem::take(&mut self.pending);
            let (used, result) = self.scan(&pending, false, &mut on_packet);
            self.pending = pending;
            if used >= old {
                self.pending.clear();
                chunk = &chunk[used - old..];
            } else {
                self.pending.drain(..used);
                chunk = &chunk[take..];
            }
            self.offset += used as u64;
            if result.is_err() {
                // Kept for the next push: an error loses no data after it.
                self.pending.extend_from_slice(chunk);
                return result;
            }
        }
        if self.pending.is_empty() {
            let (used, result) = self.scan(chunk, false, &mut on_packet);
            self.offset += used as u64;
            self.pending.extend_from_slice(&chunk[used..]);
            result?;
        }
        self.check_sync()
    }

    /// The input is complete: reads what is pending with the resync rule relaxed to the
    /// data there is; drops a trailing incomplete packet. An error if no packet was ever
    /// found in a non-empty input.
    pub fn finish(&mut self, mut on_packet: impl FnMut(&[u8], u64) -> Result<()>) -> Result<()> {
        let pending = std::mem::take(&mut self.pending);
        let (used, result) = self.scan(&pending, true, &mut on_packet);
        self.offset += used as u64;
        self.offset += (pending.len() - used) as u64;
        result?;
        if self.packets == 0 && self.offset > 0 && !self.refused {
            self.refused = true;
            return Err(Error::new(0, ErrorKind::BadStream("not MPEG-TS: no packets (sync byte 0x47) found")));
        }
        Ok(())
    }

    fn check_sync(&mut self) -> Result<()> {
        if self.packets == 0 && self.skipped > MAX_BYTES_WITHOUT_SYNC && !self.refused {
            self.refused = true;
            return Err(Error::new(0, ErrorKind::BadStream("not MPEG-TS: no packets (sync byte 0x47) found")));
        }
        Ok(())
    }

    /// Reads packets from `data` (at `self.offset`); returns the bytes consumed.
    fn scan(
        &mut self,
        data: &[u8],
        last: bool,
        on_packet: &mut impl FnMut(&[u8], u64) -> Result<()>,
    ) -> (usize, Result<()>) {
        let mut pos = 0;
        loop {
            if self.synced {
                // A packet is read when the next one's sync byte is there too (or at the
                // end): garbage between packets is then caught where it starts.
                let next = data.get(pos + PACKET_LEN);
                if data.len() - pos < PACKET_LEN || (next.is_none() && !last) {
                    return (pos, Ok(()));
                }
                if data[pos] == SYNC_BYTE && next.is_none_or(|&b| b == SYNC_BYTE) {
                    let at = self.offset + pos as u64;
                    let packet = &data[pos..pos + PACKET_LEN];
                    pos += PACKET_LEN;
                    self.packets += 1;
                    if let Err(e) = on_packet(packet, at) {
                        return (pos, Err(e));
                    }
                    continue;
                }
                self.synced = false;
            }
            match find_sync(&data[pos..], last) {
                Sync::At(i) => {
                    pos += i;
                    self.skipped += i as u64;
                    self.synced = true;
                }
                Sync::NeedMore(i) => {
                    self.skipped += i as u64;
                    return (pos + i, Ok(()));
                }
            }
        }
    }
}
