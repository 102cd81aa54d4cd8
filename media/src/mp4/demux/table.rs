//! One track's sample tables, read from its `trak` (ISO 14496-12 §8.6–8.7): where each
//! sample is in the file and how large, when it decodes and when it is presented, and
//! whether it is a sync sample.
//!
//! The tables are kept in the compact form the file gives them: sizes one `u32` a sample
//! (none when `stsz` gives one size for all), chunk offsets and each chunk's first sample
//! (12 bytes a chunk), `stts` and `ctts` as (count, value) runs (8 bytes a run), and the
//! sync samples (4 bytes a keyframe). A sample's offset and times are worked out in
//! order by a [`Cursor`]: one step per sample, or a jump to any sample in
//! O(runs + log chunks).
//!
//! Every table is checked against the others when read: `stts`, `stsc` and `stsz` must
//! count the same samples, `stss` must name samples that exist, in order, and each
//! track's samples must lie one after another in the file (no sample ending past
//! 2^64). What does not fit is an [`Error`] (`BadBox`, `BadStream`), with the offset of
//! the box at fault, counted from the first byte of the `moov` given; never a panic.
//! `ctts` is read leniently: samples it does not cover have an offset of 0, and runs
//! past the last sample are ignored (writers get its count wrong more than the others').

use crate::error::{Error, ErrorKind, Result};
use crate::mp4::probe::{Fields, Mdhd};
use crate::mp4::read::Mp4Box;

/// Samples per track at most (2^24, about 16.7 million: three days of 60 fps video, four
/// of 48 kHz AAC). Bounds the work a hostile table can ask for.
pub const MAX_SAMPLES: u32 = 1 << 24;
/// Milliseconds are clamped to ±2^50 (35,000 years): no sum or difference of them overflows.
pub(crate) const MAX_MS: i64 = 1 << 50;
/// The edit list's shift is clamped to ±2^62 ticks.
const MAX_SHIFT: i128 = 1 << 62;

#[derive(Clone, Debug)]
enum Sizes {
    /// `stsz` with one size for every sample.
    Same(u32),
    Each(Vec<u32>),
}

/// Chunk offsets: 4 bytes each when all are below 4 GiB (`co64` too), else 8.
#[derive(Clone, Debug)]
enum Offsets {
    Narrow(Vec<u32>),
    Wide(Vec<u64>),
}

impl Offsets {
    fn get(&self, chunk: usize) -> u64 {
        match self {
            Offsets::Narrow(v) => v.get(chunk).map_or(0, |&o| u64::from(o)),
            Offsets::Wide(v) => v.get(chunk).copied().unwrap_or(0),
        }
    }

    fn len(&self) -> usize {
        match self {
            Offsets::Narrow(v) => v.len(),
            Offsets::Wide(v) => v.len(),
        }
    }
}

/// Composition offsets: `ctts`'s (count, offset) runs, or one `i32` a sample when that
/// is smaller (B-frames make runs of one or two samples).
#[derive(Clone, Debug)]
enum Offsets32 {
    Runs(Vec<(u32, i32)>),
    Each(Vec<i32>),
}

/// A track's samples: sizes, places in the file, times, sync samples.
#[derive(Clone, Debug)]
pub struct SampleTable {
    /// `mdhd`: units per second, never 0.
    timescale: u32,
    /// Added to a decode time (ticks from the first sample's) to put it on the movie
    /// timeline: the initial empty edits (in this track's timescale) minus the first
    /// edit's `media_time`; 0 without an edit list.
    shift: i64,
    count: u32,
    sizes: Sizes,
    chunk_offsets: Offsets,
    /// The index of each chunk's first sample (non-decreasing; 0 for the first chunk).
    chunk_first: Vec<u32>,
    /// `stts`: (samples, duration in ticks).
    stts: Vec<(u32, u32)>,
    /// `ctts`: composition offsets in ticks, signed in both versions.
    ctts: Offsets32,
    /// `stss`, 0-based and increasing; `None` without the box: every sample is a sync sample.
    sync: Option<Vec<u32>>,
}

/// One sample, as the tables give it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SampleInfo {
    /// Its number in the track, from 0.
    pub index: u32,
    /// Its first byte in the file.
    pub offset: u64,
    pub size: u32,
    /// Decode time in the track's timescale, from the first sample's (0); the edit list
    /// is applied by [`SampleTable::ms`].
    pub dts: i64,
    /// Composition (presentation) minus decode time, in the track's timescale.
    pub cts: i32,
    /// Its `stts` duration, in the track's timescale.
    pub duration: u32,
    /// A sync sample (a keyframe).
    pub key: bool,
}

impl SampleInfo {
    /// The offset after its last byte.
    pub fn end(&self) -> u64 {
        self.offset.saturating_add(u64::from(self.size))
    }
}

/// A position in a track's samples; read it with [`SampleTable::get`], move it with
/// [`SampleTable::advance`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    index: u32,
    chunk: usize,
    offset: u64,
    dts: i64,
    stts: Run,
    ctts: Run,
    sync: usize,
}

impl Cursor {
    /// The sample it is at (the track's sample count at the end).
    pub fn index(&self) -> u32 {
        self.index
    }
}

/// A place in a run-length table: the run, and how many of its samples are behind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Run {
    at: usize,
    used: u32,
}

impl Run {
    /// Moves past exhausted runs (and runs of 0 samples).
    fn settle<T>(&mut self, runs: &[(u32, T)]) {
        while let Some(r) = runs.get(self.at)
            && self.used >= r.0
        {
            self.at += 1;
            self.used = 0;
        }
    }

    fn value<T: Copy + Default>(&self, runs: &[(u32, T)]) -> T {
        runs.get(self.at).map_or(T::default(), |r| r.1)
    }

    fn step<T>(&mut self, runs: &[(u32, T)]) {
        if self.at < runs.len() {
            self.used += 1;
            self.settle(runs);
        }
    }

    /// The place of sample `index`, and the sum of count × value of the runs before it.
    fn find<T: Copy + Into<i64>>(runs: &[(u32, T)], index: u32) -> (Run, i64) {
        let (mut left, mut sum) = (index, 0i64);
        for (at, &(n, v)) in runs.iter().enumerate() {
            if left < n {
                let mut run = Run { at, used: left };
                run.settle(runs);
                return (run, sum + i64::from(left) * v.into());
            }
            left -= n;
            sum += i64::from(n) * v.into();
        }
        (Run { at: runs.len(), used: 0 }, sum)
    }
}

impl SampleTable {
    /// The tables of a `trak`; `movie_timescale` is `mvhd`'s, for the edit list's empty
    /// edits. `trak` must have been read from the `moov` (offsets in errors are its).
    pub fn parse(trak: &Mp4Box<'_>, movie_timescale: u32) -> Result<SampleTable> {
        let mdia = trak.require(b"mdia", "trak without mdia")?;
        let mdhd_box = mdia.require(b"mdhd", "mdia without mdhd")?;
        let timescale = Mdhd::parse(&mdhd_box)?.timescale;
        if timescale == 0 {
            return Err(Error::new(mdhd_box.offset, ErrorKind::BadBox("mdhd with a timescale of 0")));
        }
        let stbl = mdia.require(b"minf", "mdia without minf")?.require(b"stbl", "minf without stbl")?;
        let [mut stsd, mut stts, mut ctts, mut stsc, mut stsz, mut stco, mut stss] = [None; 7];
        for b in stbl.children() {
            let b = b?;
            let slot = match b.kind.as_bytes() {
                b"stsd" => &mut stsd,
                b"stts" => &mut stts,
                b"ctts" => &mut ctts,
                b"stsc" => &mut stsc,
                b"stsz" | b"stz2" => &mut stsz,
                b"stco" | b"co64" => &mut stco,
                b"stss" => &mut stss,
                _ => continue,
            };
            slot.get_or_insert(b);
        }
        let at = stbl.offset;
        fn need<'a>(b: Option<Mp4Box<'a>>, at: u64, what: &'static str) -> Result<Mp4Box<'a>> {
            b.ok_or(Error::new(at, ErrorKind::BadBox(what)))
        }
        let entries = {
            let stsd = need(stsd, at, "stbl without stsd")?;
            Fields::of(&stsd, "stsd shorter than its fields")?.2.u32()?
        };
        let (sizes, count) = sizes(&need(stsz, at, "stbl without stsz or stz2")?)?;
        let stts = time_to_sample(&need(stts, at, "stbl without stts")?, count)?;
        let chunk_box = need(stco, at, "stbl without stco or co64")?;
        let chunk_offsets = chunk_offsets(&chunk_box)?;
        let chunk_first = sample_to_chunk(&need(stsc, at, "stbl without stsc")?, chunk_offsets.len(), count, entries)?;
        let ctts = match ctts {
            Some(b) => composition_offsets(&b, count)?,
            None => Offsets32::Runs(Vec::new()),
        };
        let sync = stss.map(|b| sync_samples(&b, count)).transpose()?;
        let shift = edit_shift(trak, movie_timescale, timescale)?;
        let table = SampleTable { timescale, shift, count, sizes, chunk_offsets, chunk_first, stts, ctts, sync };
        table.check_layout(chunk_box.offset)?;
        Ok(table)
    }

    /// Each sample starts at or after the end of the one before, and ends before 2^64.
    fn check_layout(&self, at: u64) -> Result<()> {
        let mut c = self.cursor(0);
        let mut end = 0u64;
        while let Some(s) = self.get(&c) {
            if s.offset < end {
                return Err(Error::new(at, ErrorKind::BadStream("a track's samples are not in file order")));
            }
            end = s
                .offset
                .checked_add(u64::from(s.size))
                .ok_or(Error::new(at, ErrorKind::BadBox("a sample ends past 2^64")))?;
            self.advance(&mut c);
        }
        Ok(())
    }

    /// Samples in the track.
    pub fn len(&self) -> u32 {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Units per second of [`SampleInfo::dts`], `cts` and `duration`.
    pub fn timescale(&self) -> u32 {
        self.timescale
    }

    /// A time of this track (a decode time, or decode time + composition offset, in
    /// ticks as [`SampleInfo`] gives them) on the movie timeline, in milliseconds,
    /// rounded to the nearest (halves up): (ticks + shift) × 1000 / timescale, where
    /// shift = the initial empty edits − the first edit's `media_time`. Clamped to ±2^50.
    pub fn ms(&self, ticks: i64) -> i64 {
        let t = i128::from(ticks) + i128::from(self.shift);
        let ts = i128::from(self.timescale);
        (2 * t * 1000 + ts).div_euclid(2 * ts).clamp(-i128::from(MAX_MS), i128::from(MAX_MS)) as i64
    }

    fn size(&self, index: u32) -> u32 {
        match &self.sizes {
            Sizes::Same(s) => *s,
            Sizes::Each(v) => v.get(index as usize).copied().unwrap_or(0),
        }
    }

    /// A cursor at sample `index` (at the end for `index` ≥ the sample count).
    pub fn cursor(&self, index: u32) -> Cursor {
        let index = index.min(self.count);
        let chunk = self.chunk_first.partition_point(|&f| f <= index).saturating_sub(1);
        let first = self.chunk_first.get(chunk).copied().unwrap_or(0).min(index);
        let within: u64 = match &self.sizes {
            Sizes::Same(s) => u64::from(*s) * u64::from(index - first),
            Sizes::Each(v) => v.get(first as usize..index as usize).unwrap_or(&[]).iter().map(|&s| u64::from(s)).sum(),
        };
        let offset = self.chunk_offsets.get(chunk).saturating_add(within);
        let (stts, dts) = Run::find(&self.stts, index);
        let (ctts, _) = match &self.ctts {
            Offsets32::Runs(runs) => Run::find(runs, index),
            Offsets32::Each(_) => (Run::default(), 0),
        };
        let sync = self.sync.as_ref().map_or(0, |s| s.partition_point(|&k| k < index));
        Cursor { index, chunk, offset, dts, stts, ctts, sync }
    }

    /// The sample at `c`; `None` at the end.
    pub fn get(&self, c: &Cursor) -> Option<SampleInfo> {
        (c.index < self.count).then(|| SampleInfo {
            index: c.index,
            offset: c.offset,
            size: self.size(c.index),
            dts: c.dts,
            cts: match &self.ctts {
                Offsets32::Runs(runs) => c.ctts.value(runs),
                Offsets32::Each(v) => v.get(c.index as usize).copied().unwrap_or(0),
            },
            duration: c.stts.value(&self.stts),
            key: self.sync.as_ref().is_none_or(|s| s.get(c.sync) == Some(&c.index)),
        })
    }

    /// Moves `c` to the next sample.
    pub fn advance(&self, c: &mut Cursor) {
        if c.index >= self.count {
            return;
        }
        c.offset = c.offset.saturating_add(u64::from(self.size(c.index)));
        c.dts += i64::from(c.stts.value(&self.stts));
        c.stts.step(&self.stts);
        if let Offsets32::Runs(runs) = &self.ctts {
            c.ctts.step(runs);
        }
        if self.sync.as_ref().is_some_and(|s| s.get(c.sync) == Some(&c.index)) {
            c.sync += 1;
        }
        c.index += 1;
        while c.chunk + 1 < self.chunk_first.len() && self.chunk_first[c.chunk + 1] <= c.index {
            c.chunk += 1;
            c.offset = self.chunk_offsets.get(c.chunk);
        }
    }

    /// Bytes of heap the tables hold.
    pub fn heap_bytes(&self) -> usize {
        let sizes = match &self.sizes {
            Sizes::Same(_) => 0,
            Sizes::Each(v) => v.capacity() * 4,
        };
        let offsets = match &self.chunk_offsets {
            Offsets::Narrow(v) => v.capacity() * 4,
            Offsets::Wide(v) => v.capacity() * 8,
        };
        let ctts = match &self.ctts {
            Offsets32::Runs(v) => v.capacity() * 8,
            Offsets32::Each(v) => v.capacity() * 4,
        };
        sizes
            + offsets
            + self.chunk_first.capacity() * 4
            + self.stts.capacity() * 8
            + ctts
            + self.sync.as_ref().map_or(0, |s| s.capacity() * 4)
    }
}

/// A table's entry count, checked against the bytes left for entries of `entry` bytes.
fn entries(f: &mut Fields<'_>, entry: usize, at: u64, what: &'static str) -> Result<usize> {
    let n = f.u32()? as usize;
    if n.checked_mul(entry).is_none_or(|bytes| bytes > f.remaining()) {
        return Err(Error::new(at, ErrorKind::BadBox(what)));
    }
    Ok(n)
}

/// `stsz` or `stz2`: every sample's size, and the sample count.
fn sizes(b: &Mp4Box<'_>) -> Result<(Sizes, u32)> {
    let too_many = Error::new(b.offset, ErrorKind::BadBox("a track of more than 2^24 samples"));
    if b.kind == b"stsz" {
        let (_, _, mut f) = Fields::of(b, "stsz shorter than its fields")?;
        let same = f.u32()?;
        let count = f.u32()?;
        if count > MAX_SAMPLES {
            return Err(too_many);
        }
        if same != 0 {
            return Ok((Sizes::Same(same), count));
        }
        if (count as usize).saturating_mul(4) > f.remaining() {
            return Err(Error::new(b.offset, ErrorKind::BadBox("stsz shorter than its sample count")));
        }
        let mut sizes = Vec::with_capacity(count as usize);
        for _ in 0..count {
            sizes.push(f.u32()?);
        }
        return Ok((Sizes::Each(sizes), count));
    }
    // stz2: 24 bits reserved, the field size (4, 8 or 16 bits), the count, the fields.
    let (_, _, mut f) = Fields::of(b, "stz2 shorter than its fields")?;
    let [_, _, _, bits] = f.take::<4>()?;
    let count = f.u32()?;
    if count > MAX_SAMPLES {
        return Err(too_many);
    }
    if !matches!(bits, 4 | 8 | 16) {
        return Err(Error::new(b.offset, ErrorKind::BadBox("stz2 field size other than 4, 8 and 16")));
    }
    if (count as usize * usize::from(bits)).div_ceil(8) > f.remaining() {
        return Err(Error::new(b.offset, ErrorKind::BadBox("stz2 shorter than its sample count")));
    }
    let mut sizes = Vec::with_capacity(count as usize);
    match bits {
        4 => {
            let mut byte = 0;
            for i in 0..count {
                if i % 2 == 0 {
                    byte = f.take::<1>()?[0];
                    sizes.push(u32::from(byte >> 4));
                } else {
                    sizes.push(u32::from(byte & 0x0f));
                }
            }
        }
        8 => {
            for _ in 0..count {
                sizes.push(u32::from(f.take::<1>()?[0]));
            }
        }
        _ => {
            for _ in 0..count {
                sizes.push(u32::from(f.u16()?));
            }
        }
    }
    Ok((Sizes::Each(sizes), count))
}

/// `stts`: (count, duration) runs, which must count `samples` samples.
fn time_to_sample(b: &Mp4Box<'_>, samples: u32) -> Result<Vec<(u32, u32)>> {
    let (_, _, mut f) = Fields::of(b, "stts shorter than its fields")?;
    let n = entries(&mut f, 8, b.offset, "stts shorter than its entry count")?;
    let mut runs = Vec::with_capacity(n);
    let mut total = 0u64;
    for _ in 0..n {
        let (count, delta) = (f.u32()?, f.u32()?);
        total += u64::from(count);
        if count > 0 {
            runs.push((count, delta));
        }
    }
    if total != u64::from(samples) {
        return Err(Error::new(b.offset, ErrorKind::BadBox("stts and stsz disagree on the sample count")));
    }
    Ok(runs)
}

/// `ctts` (version 0 or 1) for `samples` samples: runs, or one offset a sample when
/// that is smaller. Offsets are read as signed in both versions, as ffmpeg reads them
/// (version 0 says unsigned, but no real offset is near 2^31).
fn composition_offsets(b: &Mp4Box<'_>, samples: u32) -> Result<Offsets32> {
    let (_, _, mut f) = Fields::of(b, "ctts shorter than its fields")?;
    let n = entries(&mut f, 8, b.offset, "ctts shorter than its entry count")?;
    let mut runs = Vec::with_capacity(n);
    for _ in 0..n {
        let (count, offset) = (f.u32()?, f.u32()? as i32);
        if count > 0 {
            runs.push((count, offset));
        }
    }
    if runs.len() * 8 <= samples as usize * 4 {
        return Ok(Offsets32::Runs(runs));
    }
    let mut each = Vec::with_capacity(samples as usize);
    for &(count, offset) in &runs {
        let take = count.min(samples - each.len() as u32);
        each.extend(std::iter::repeat_n(offset, take as usize));
    }
    Ok(Offsets32::Each(each))
}

/// `stco` (32-bit) or `co64` (64-bit) chunk offsets.
fn chunk_offsets(b: &Mp4Box<'_>) -> Result<Offsets> {
    let (_, _, mut f) = Fields::of(b, "stco shorter than its fields")?;
    if b.kind == b"stco" {
        let n = entries(&mut f, 4, b.offset, "stco shorter than its entry count")?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(f.u32()?);
        }
        return Ok(Offsets::Narrow(v));
    }
    let n = entries(&mut f, 8, b.offset, "co64 shorter than its entry count")?;
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(f.u64()?);
    }
    if v.iter().all(|&o| o <= u64::from(u32::MAX)) {
        return Ok(Offsets::Narrow(v.iter().map(|&o| o as u32).collect()));
    }
    Ok(Offsets::Wide(v))
}

/// `stsc`: the first sample of each of `chunks` chunks. Its runs must start at chunk 1,
/// go up, stay within the chunks, and give `samples` samples in all; each names sample
/// description 1 of the `descriptions` in `stsd` (another is refused: a track whose
/// codec configuration changes).
fn sample_to_chunk(b: &Mp4Box<'_>, chunks: usize, samples: u32, descriptions: u32) -> Result<Vec<u32>> {
    let err = |what| Err(Error::new(b.offset, ErrorKind::BadBox(what)));
    let (_, _, mut f) = Fields::of(b, "stsc shorter than its fields")?;
    let n = entries(&mut f, 12, b.offset, "stsc shorter than its entry count")?;
    let mut runs = Vec::with_capacity(n);
    for _ in 0..n {
        runs.push((f.u32()?, f.u32()?, f.u32()?));
    }
    if chunks == 0 {
        return if samples == 0 { Ok(Vec::new()) } else { err("samples but no chunks") };
    }
    if runs.first().is_none_or(|r| r.0 != 1) {
        return err("stsc does not start at chunk 1");
    }
    let mut first = Vec::with_capacity(chunks);
    let mut total = 0u64;
    for (i, &(chunk, per_chunk, description)) in runs.iter().enumerate() {
        if description == 0 || description > descriptions {
            return err("stsc names a sample description that stsd lacks");
        }
        if description != 1 {
            let why = "a track with several sample descriptions (its codec configuration changes)".to_string();
            return Err(Error::new(b.offset, ErrorKind::UnsupportedCodec(why)));
        }
        let next = runs.get(i + 1).map_or(chunks as u64 + 1, |r| u64::from(r.0));
        if next <= u64::from(chunk) || u64::from(chunk) > chunks as u64 || next > chunks as u64 + 1 {
            return err("stsc chunks out of order or past the last chunk");
        }
        for _ in chunk..next as u32 {
            if total > u64::from(samples) {
                return err("stsc and stsz disagree on the sample count");
            }
            first.push(total as u32);
            total += u64::from(per_chunk);
        }
    }
    if total != u64::from(samples) {
        return err("stsc and stsz disagree on the sample count");
    }
    Ok(first)
}

/// `stss`: the sync samples, numbered from 1 in the box, from 0 here; they must exist
/// and go up.
fn sync_samples(b: &Mp4Box<'_>, samples: u32) -> Result<Vec<u32>> {
    let (_, _, mut f) = Fields::of(b, "stss shorter than its fields")?;
    let n = entries(&mut f, 4, b.offset, "stss shorter than its entry count")?;
    let mut sync = Vec::with_capacity(n);
    for _ in 0..n {
        let k = f.u32()?;
        if k == 0 || k > samples || sync.last().is_some_and(|&last| k - 1 <= last) {
            return Err(Error::new(
                b.offset,
                ErrorKind::BadBox("stss names a sample that does not exist, or out of order"),
            ));
        }
        sync.push(k - 1);
    }
    Ok(sync)
}

/// What the edit list (`edts`/`elst`) does to the track's decode times, in its ticks:
/// the initial empty edits (`media_time` −1: the track starts that much later; in the
/// movie's timescale, converted) minus the first real edit's `media_time` (the media
/// time presented first: ffmpeg's B-frame delay, or AAC priming). Later edits are
/// ignored: a recording is not an edited film.
fn edit_shift(trak: &Mp4Box<'_>, movie_timescale: u32, timescale: u32) -> Result<i64> {
    let Some(elst) = trak.child(b"edts")?.map(|e| e.child(b"elst")).transpose()?.flatten() else { return Ok(0) };
    let (version, _, mut f) = Fields::of(&elst, "elst shorter than its fields")?;
    let n = entries(&mut f, if version == 1 { 20 } else { 12 }, elst.offset, "elst shorter than its entry count")?;
    let (mut empty, mut media_time) = (0u128, 0i64);
    for _ in 0..n {
        let (duration, time) =
            if version == 1 { (f.u64()?, f.u64()? as i64) } else { (u64::from(f.u32()?), i64::from(f.u32()? as i32)) };
        f.skip(4)?; // media_rate
        match time {
            -1 => empty += u128::from(duration),
            t if t < -1 => return Err(Error::new(elst.offset, ErrorKind::BadBox("elst with a negative media time"))),
            t => {
                media_time = t;
                break;
            }
        }
    }
    if empty > 0 && movie_timescale == 0 {
        return Err(Error::new(elst.offset, ErrorKind::BadBox("an empty edit in a movie with a timescale of 0")));
    }
    let empty_ticks = empty.saturating_mul(u128::from(timescale)).checked_div(u128::from(movie_timescale)).unwrap_or(0);
    let shift = i128::try_from(empty_ticks).unwrap_or(MAX_SHIFT) - i128::from(media_time);
    Ok(shift.clamp(-MAX_SHIFT, MAX_SHIFT) as i64)
}
