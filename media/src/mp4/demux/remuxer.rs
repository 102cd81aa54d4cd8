//! [`Mp4Remuxer`]: a progressive MP4's samples, read from its bytes in file order as
//! they arrive, out as fragmented MP4 — the same [`Output`]s, MIME strings, track ids
//! (video 1, audio 2) and batching as the FLV [`Remuxer`](crate::Remuxer), so the
//! player's worker drives either the same way.

use super::table::{Cursor, MAX_MS, SampleInfo, SampleTable};
use crate::error::{Error, ErrorKind, Result};
use crate::flv::amf::Metadata;
use crate::mp4::init::{codec_name, entry_config};
use crate::mp4::probe::{Fields, Hdlr, Mvhd};
use crate::mp4::read::{Boxes, Mp4Box};
use crate::mp4::{Sample, Track, TrackConfig};
use crate::remux::{AUDIO_TRACK, Output, VIDEO_TRACK, due_media, init_output};

const VIDEO: usize = 0;
const AUDIO: usize = 1;
/// A file without video gets a seek point a second: the first audio sample at or after
/// each whole second from the first sample (every AAC frame is a sync sample).
pub const AUDIO_SEEK_INTERVAL_MS: i64 = 1000;
/// `onMetaData`'s codec ids, as an FLV of the same streams would say them.
const FLV_AVC: f64 = 7.0;
const FLV_AAC: f64 = 10.0;

/// One track on its way out.
#[derive(Debug)]
struct TrackState {
    track: Track,
    table: SampleTable,
    /// The next sample to give out.
    cursor: Cursor,
    /// The bytes pushed so far of the cursor's sample, when it began in an earlier chunk.
    partial: Vec<u8>,
    /// Complete samples not yet in a media segment.
    ready: Vec<Sample>,
}

/// Where playing can start: a video keyframe (or, without video, an audio sample a
/// second).
#[derive(Clone, Copy, Debug)]
struct SeekPoint {
    /// The keyframe's presentation time on the movie timeline (ms, before the rebase).
    time: i64,
    /// Where reading must start: the smallest offset of the samples played from here.
    offset: u64,
    /// The keyframe's own offset (at or after `offset`).
    key_offset: u64,
    /// The first sample given out from here, per track (video, audio).
    start: [u32; 2],
}

/// A progressive MP4 (`moov` + `mdat`) → fragmented MP4, incrementally.
///
/// Built from the `moov` box ([`locate_moov`](super::locate_moov) finds it), then fed
/// the file's bytes in order from any offset, in chunks of any size:
///
/// ```text
/// let mut r = Mp4Remuxer::new(&moov)?;   // the whole moov box, header included
/// r.set_time_offset(part_start_ms);      // where this part goes on the timeline
/// for chunk in body_from(0) { r.push(&chunk)?; out(r.take_output()); }
/// r.finish()?; out(r.take_output());
/// // A seek: r.restart_at(offset) with an offset from r.keyframes(), then push from it.
/// ```
///
/// # Output
///
/// First an [`Output::Init`] (`video/mp4; codecs="avc1.PPCCLL,mp4a.40.2"`, or
/// `audio/mp4`; from the `avcC` and `esds` of the first H.264 and the first AAC track),
/// then an [`Output::Metadata`] (duration and seek points, as an FLV's `onMetaData`),
/// both at the first `push`, `finish` or `take_output`; then [`Output::Media`]
/// segments. A sample is given out once all its bytes have been pushed, each track's in
/// decode order; the tracks' samples complete in the order of their last bytes, and each
/// completion applies `remux::due_media`, the batching rule of the other remuxers: the
/// first segment (after the start or a restart) goes out at once, with that one sample,
/// then segments of at least [`BATCH_MS`](crate::remux::BATCH_MS) of either track. So at
/// most one batch of samples is held, however large the chunks, and the output does not
/// depend on how the input is cut. Bytes no sample covers (`ftyp`, `moov`, `free`, box
/// headers) are skipped.
///
/// # Timeline
///
/// Each track's times go through its edit list first: a decode time `t` (ticks from
/// the track's first sample) is on the movie timeline at `t + empty − media_time`,
/// where `empty` is the initial empty edits (converted to the track's timescale) and
/// `media_time` the first real edit's (ffmpeg writes the B-frame delay there for video,
/// and the AAC priming for audio), then in milliseconds, rounded to the nearest. Then:
///
/// **output time (ms) = movie time − first + offset**
///
/// where `first` is the earliest decode time of any track's first sample on the movie
/// timeline (so the output's first decode time is `offset`, and audio and video keep
/// their relative places), and `offset` is what [`set_time_offset`](Self::set_time_offset)
/// set (0 by default). A sample's duration is the difference of its rounded start and
/// end, so rounding never drifts; its composition offset is its rounded presentation
/// time minus its rounded decode time. The output timescale is 1 ms, as for FLV.
/// [`keyframes`](Self::keyframes) and the metadata are on the same output timeline.
///
/// # Seeking
///
/// [`keyframes`](Self::keyframes) gives, for each video keyframe, its presentation time
/// and the offset to read from so that the keyframe, the video after it and the audio
/// from its time on (from the audio sample that ends after it) all arrive: the smallest
/// file offset of those samples. [`restart_at`](Self::restart_at) such an offset, then
/// push from it (another offset starts with the first keyframe at or after it).
///
/// # Errors
///
/// [`new`](Self::new) checks every table (see `table`'s rules) and refuses other codecs
/// by name (`UnsupportedCodec("hev1 (HEVC)")`); offsets in its errors count from the
/// `moov`'s first byte. `push` does not fail; [`finish`](Self::finish) is
/// [`ErrorKind::Truncated`] when samples from where reading started never arrived (the
/// file ended early), after giving out everything before.
#[derive(Debug)]
pub struct Mp4Remuxer {
    tracks: [Option<TrackState>; 2],
    /// The earliest first decode time on the movie timeline (ms).
    first_ms: i64,
    offset_ms: i64,
    /// From `first_ms` to the end of the last sample presented (ms).
    duration_ms: i64,
    framerate: Option<f64>,
    seek: Vec<SeekPoint>,
    /// The file offset of the next byte pushed.
    pos: u64,
    /// Where reading started (0, or a restart's offset): samples before it are incomplete.
    origin: u64,
    started: bool,
    /// A media segment went out since the start or the last restart.
    media_sent: bool,
    sequence: u32,
    out: Vec<Output>,
}

impl Mp4Remuxer {
    /// Reads the `moov` box (header included): the first video track (`vide`) and the
    /// first audio track (`soun`) with samples; other tracks (text, timecode, hint) are
    /// left out.
    pub fn new(moov: &[u8]) -> Result<Self> {
        let (moov, mvhd) = open_moov(moov)?;
        let mut tracks: [Option<TrackState>; 2] = [None, None];
        for trak in moov.children() {
            let trak = trak?;
            if trak.kind != b"trak" {
                continue;
            }
            let mdia = trak.require(b"mdia", "trak without mdia")?;
            let handler = Hdlr::parse(&mdia.require(b"hdlr", "mdia without hdlr")?)?.handler_type;
            let slot = match handler {
                h if h == Hdlr::VIDEO => VIDEO,
                h if h == Hdlr::AUDIO => AUDIO,
                _ => continue,
            };
            if tracks[slot].is_some() {
                continue;
            }
            let entry = first_entry(&mdia)?;
            let config = entry_config(&entry)?
                .ok_or_else(|| Error::new(entry.offset, ErrorKind::UnsupportedCodec(codec_name(entry.kind))))?;
            if matches!(config, TrackConfig::Video(_)) != (slot == VIDEO) {
                return Err(Error::new(
                    entry.offset,
                    ErrorKind::BadBox("a sample entry of another kind than its track"),
                ));
            }
            let table = SampleTable::parse(&trak, mvhd.timescale)?;
            if table.is_empty() {
                continue;
            }
            let id = if slot == VIDEO { VIDEO_TRACK } else { AUDIO_TRACK };
            tracks[slot] = Some(TrackState {
                track: Track { id, config },
                cursor: table.cursor(0),
                table,
                partial: Vec::new(),
                ready: Vec::new(),
            });
        }
        let first_ms = tracks.iter().flatten().map(|t| t.table.ms(0)).min().ok_or(Error::new(
            moov.offset,
            ErrorKind::BadStream("no H.264 or AAC samples (a fragmented MP4's moov has none)"),
        ))?;
        let mut r = Mp4Remuxer {
            tracks,
            first_ms,
            offset_ms: 0,
            duration_ms: 0,
            framerate: None,
            seek: Vec::new(),
            pos: 0,
            origin: 0,
            started: false,
            media_sent: false,
            sequence: 0,
            out: Vec::new(),
        };
        r.index();
        Ok(r)
    }

    /// One pass over the tables: the seek points, the duration, the frame rate.
    fn index(&mut self) {
        let lead = if self.tracks[VIDEO].is_some() { VIDEO } else { AUDIO };
        let mut end = i64::MIN;
        for (i, t) in self.tracks.iter().enumerate() {
            let Some(t) = t else { continue };
            let mut c = t.table.cursor(0);
            let mut next_point = i64::MIN;
            while let Some(s) = t.table.get(&c) {
                let pts = t.table.ms(s.dts + i64::from(s.cts));
                end = end.max(t.table.ms(s.dts + i64::from(s.cts) + i64::from(s.duration)));
                if i == lead && (if lead == VIDEO { s.key } else { pts >= next_point }) {
                    let mut start = [0; 2];
                    start[i] = s.index;
                    self.seek.push(SeekPoint { time: pts, offset: s.offset, key_offset: s.offset, start });
                    let second = (pts - self.first_ms).div_euclid(AUDIO_SEEK_INTERVAL_MS);
                    next_point = self.first_ms + (second + 1) * AUDIO_SEEK_INTERVAL_MS;
                }
                if i == VIDEO && c.index() + 1 == t.table.len() {
                    let seconds = (s.dts + i64::from(s.duration)) as f64 / f64::from(t.table.timescale());
                    self.framerate = (seconds > 0.0).then(|| f64::from(t.table.len()) / seconds);
                }
                t.table.advance(&mut c);
            }
        }
        self.duration_ms = end.saturating_sub(self.first_ms).max(0);
        // Each video keyframe's audio: from the first sample that ends after it.
        if lead == VIDEO
            && let Some(a) = &self.tracks[AUDIO]
        {
            self.seek.sort_by_key(|p| p.time);
            let mut c = a.table.cursor(0);
            for p in &mut self.seek {
                while let Some(s) = a.table.get(&c)
                    && a.table.ms(s.dts + i64::from(s.cts) + i64::from(s.duration)) <= p.time
                {
                    a.table.advance(&mut c);
                }
                p.start[AUDIO] = c.index();
                if let Some(s) = a.table.get(&c) {
                    p.offset = p.offset.min(s.offset);
                }
            }
        }
    }

    /// Where the part goes on the output timeline: its first decode time is at
    /// `offset_ms` (clamped to ±2^50). Call it before the first `push`, `finish` or
    /// `take_output`: the metadata, which goes out with the init segment, uses it.
    pub fn set_time_offset(&mut self, offset_ms: i64) {
        self.offset_ms = offset_ms.clamp(-MAX_MS, MAX_MS);
    }

    /// What [`set_time_offset`](Self::set_time_offset) set (0 by default).
    pub fn time_offset(&self) -> i64 {
        self.offset_ms
    }

    /// From the first decode time to the end of the last sample presented, in ms: the
    /// part spans `[offset, offset + duration_ms)` of the output timeline.
    pub fn duration_ms(&self) -> i64 {
        self.duration_ms
    }

    /// The seek index: for each video keyframe (without video: an audio sample a
    /// second), its presentation time on the output timeline (ms) and the file offset to
    /// read from, so that it and every audio sample from its time on arrive. Sorted by
    /// time.
    pub fn keyframes(&self) -> (Vec<i64>, Vec<u64>) {
        self.seek.iter().map(|p| (self.output_ms(p.time), p.offset)).unzip()
    }

    /// Bytes of heap the sample tables and the seek index hold.
    pub fn table_bytes(&self) -> usize {
        let tables: usize = self.tracks.iter().flatten().map(|t| t.table.heap_bytes()).sum();
        tables + self.seek.capacity() * std::mem::size_of::<SeekPoint>()
    }

    /// The file offset of the next byte to push.
    pub fn offset(&self) -> u64 {
        self.pos
    }

    /// The bytes the samples lie in: from the first byte of the earliest sample to the
    /// end of the last one (each track's samples are in file order). Reading only these
    /// — [`start_at`](Self::start_at) the first, stop at the second — gives every sample
    /// and skips the `ftyp`, a `moov` before or after them, and trailing boxes.
    pub fn sample_span(&self) -> (u64, u64) {
        let mut span = (u64::MAX, 0);
        for t in self.tracks.iter().flatten() {
            if let Some(first) = t.table.get(&t.table.cursor(0)) {
                span.0 = span.0.min(first.offset);
            }
            if let Some(last) = t.table.get(&t.table.cursor(t.table.len() - 1)) {
                span.1 = span.1.max(last.end());
            }
        }
        if span.0 > span.1 { (0, 0) } else { span }
    }

    /// Before the first push: the next byte pushed is the file's byte at `offset`, at or
    /// before the first sample (`sample_span().0`), and nothing is dropped: the output is
    /// the same as reading from byte 0. (Unlike [`restart_at`](Self::restart_at), which
    /// starts again at a seek point.) Samples that begin before `offset` are left out.
    pub fn start_at(&mut self, offset: u64) {
        self.pos = offset;
        self.origin = offset;
    }

    /// Continues from `offset`: the next byte pushed is the file's byte at `offset`.
    /// Samples not yet given out are dropped; the timeline stays. Output starts again
    /// with the seek point whose offset (from [`keyframes`](Self::keyframes)) is
    /// `offset` — its keyframe, and the audio from its time. Any other offset (a
    /// keyframe's own, from an index built elsewhere) starts with the first keyframe
    /// whose bytes start at or after it, and its audio from there on (audio before
    /// `offset` was not read). Past the last keyframe nothing more comes out.
    pub fn restart_at(&mut self, offset: u64) {
        let point = self
            .seek
            .iter()
            .find(|p| p.offset == offset)
            .or_else(|| self.seek.iter().filter(|p| p.key_offset >= offset).min_by_key(|p| (p.key_offset, p.time)));
        let point = point.copied();
        for (i, t) in self.tracks.iter_mut().enumerate() {
            if let Some(t) = t {
                t.cursor = t.table.cursor(point.map_or(t.table.len(), |p| p.start[i]));
                t.partial.clear();
                t.ready.clear();
            }
        }
        self.pos = offset;
        self.origin = offset;
        self.media_sent = false;
    }

    /// Feeds the file's bytes from [`offset`](Self::offset) on, in chunks of any size.
    pub fn push(&mut self, chunk: &[u8]) -> Result<()> {
        self.begin();
        let p = self.pos;
        let q = p.saturating_add(chunk.len() as u64);
        let (first, offset, origin) = (self.first_ms, self.offset_ms, self.origin);
        while let Some((i, s)) = self.next_complete(q) {
            let Some(t) = &mut self.tracks[i] else { break };
            let data = gather(std::mem::take(&mut t.partial), chunk, p, &s, origin);
            t.table.advance(&mut t.cursor);
            if let Some(data) = data {
                let sample = output_sample(&t.table, &s, data, offset - first);
                t.ready.push(sample);
                self.emit(false);
            }
        }
        // The first bytes of samples that end after this chunk.
        for t in self.tracks.iter_mut().flatten() {
            if let Some(s) = t.table.get(&t.cursor)
                && s.offset >= origin
                && s.offset < q
            {
                if t.partial.is_empty() {
                    t.partial.reserve_exact(s.size as usize);
                }
                t.partial.extend_from_slice(&chunk[(s.offset.max(p) - p) as usize..]);
            }
        }
        self.pos = q;
        Ok(())
    }

    /// Ends the input: what is ready goes out. [`ErrorKind::Truncated`] (at the offset
    /// where the input stopped) if samples after where reading started never came.
    pub fn finish(&mut self) -> Result<()> {
        self.begin();
        self.emit(true);
        let missing = self.tracks.iter().flatten().any(|t| t.table.get(&t.cursor).is_some());
        if missing { Err(Error::new(self.pos, ErrorKind::Truncated)) } else { Ok(()) }
    }

    /// Takes the segments produced so far (the init segment and the metadata first).
    pub fn take_output(&mut self) -> Vec<Output> {
        self.begin();
        std::mem::take(&mut self.out)
    }

    /// The track whose next sample ends first (video on a tie), if it ends by `q`.
    fn next_complete(&self, q: u64) -> Option<(usize, SampleInfo)> {
        let mut next: Option<(usize, SampleInfo)> = None;
        for (i, t) in self.tracks.iter().enumerate() {
            if let Some(t) = t
                && let Some(s) = t.table.get(&t.cursor)
                && next.is_none_or(|(_, n)| s.end() < n.end())
            {
                next = Some((i, s));
            }
        }
        next.filter(|(_, s)| s.end() <= q)
    }

    fn output_ms(&self, movie_ms: i64) -> i64 {
        movie_ms - self.first_ms + self.offset_ms
    }

    /// The init segment and the metadata, once.
    fn begin(&mut self) {
        if self.started {
            return;
        }
        self.started = true;
        let tracks: Vec<&Track> = self.tracks.iter().flatten().map(|t| &t.track).collect();
        self.out.push(init_output(&tracks));
        let metadata = self.metadata();
        self.out.push(Output::Metadata(metadata));
    }

    /// What an FLV's `onMetaData` would say: the end of the part on the output timeline
    /// (offset + duration; the duration when the offset is 0), picture size, frame
    /// rate, codec ids, and the seek points as `keyframes` (seconds, byte offsets).
    fn metadata(&self) -> Metadata {
        let video = self.tracks[VIDEO].as_ref().and_then(|t| match &t.track.config {
            TrackConfig::Video(c) => Some(c),
            TrackConfig::Audio(_) => None,
        });
        let (times, offsets) = self.keyframes();
        let keyframes: Vec<(f64, u64)> = times.into_iter().map(|t| t as f64 / 1000.0).zip(offsets).collect();
        Metadata {
            duration: Some((self.offset_ms + self.duration_ms) as f64 / 1000.0),
            width: video.map(|c| f64::from(c.width)),
            height: video.map(|c| f64::from(c.height)),
            framerate: self.framerate,
            videocodecid: video.map(|_| FLV_AVC),
            audiocodecid: self.tracks[AUDIO].as_ref().map(|_| FLV_AAC),
            keyframes: (!keyframes.is_empty()).then_some(keyframes),
        }
    }

    fn emit(&mut self, end: bool) {
        let [video, audio] = &mut self.tracks;
        let parts = [video, audio].map(|t| t.as_mut().map(|t| (&t.track, &mut t.ready)));
        self.out.extend(due_media(parts, &mut self.sequence, &mut self.media_sent, end));
    }
}

/// The `moov` box at the start of `bytes` and its `mvhd` (`crate::frames` reads them too).
pub(crate) fn open_moov(bytes: &[u8]) -> Result<(Mp4Box<'_>, Mvhd)> {
    let moov = Boxes::new(bytes, 0)
        .next()
        .transpose()?
        .filter(|b| b.kind == b"moov")
        .ok_or(Error::new(0, ErrorKind::BadBox("not a moov box")))?;
    let mvhd = Mvhd::parse(&moov.require(b"mvhd", "moov without mvhd")?)?;
    Ok((moov, mvhd))
}

/// The first sample entry in `mdia`'s `stsd` (`crate::frames` reads it too).
pub(crate) fn first_entry<'a>(mdia: &Mp4Box<'a>) -> Result<Mp4Box<'a>> {
    let stbl = mdia.require(b"minf", "mdia without minf")?.require(b"stbl", "minf without stbl")?;
    let stsd = stbl.require(b"stsd", "stbl without stsd")?;
    let (_, _, mut f) = Fields::of(&stsd, "stsd shorter than its fields")?;
    f.u32()?; // entry count
    let at = f.offset();
    let entries = stsd.body.get(8..).unwrap_or_default();
    Boxes::new(entries, at)
        .next()
        .transpose()?
        .ok_or(Error::new(stsd.offset, ErrorKind::BadBox("stsd without entries")))
}

/// A sample's bytes: those pushed before this chunk (`partial`), then the rest from
/// `chunk` (whose first byte is at `p`; the sample ends in it). `None` when some are
/// missing: it began before reading did (`origin`).
fn gather(partial: Vec<u8>, chunk: &[u8], p: u64, s: &SampleInfo, origin: u64) -> Option<Vec<u8>> {
    if s.offset < origin {
        return None;
    }
    let from = (s.offset.max(p) - p) as usize;
    let to = (s.end().saturating_sub(p) as usize).max(from);
    let tail = chunk.get(from..to)?;
    let data = if partial.is_empty() {
        tail.to_vec()
    } else {
        let mut d = partial;
        d.extend_from_slice(tail);
        d
    };
    (data.len() == s.size as usize).then_some(data)
}

/// A sample on the output timeline: movie time (ms, rounded) + `shift` (offset − first).
fn output_sample(table: &SampleTable, s: &SampleInfo, data: Vec<u8>, shift: i64) -> Sample {
    let dts = table.ms(s.dts);
    let pts = table.ms(s.dts + i64::from(s.cts));
    let end = table.ms(s.dts + i64::from(s.duration));
    Sample {
        dts: dts + shift,
        cts: (pts - dts).clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32,
        duration: (end - dts).clamp(0, i64::from(u32::MAX)) as u32,
        key: s.key,
        data,
    }
}
