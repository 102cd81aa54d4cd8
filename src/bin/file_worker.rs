//! The player's file-remuxing Web Worker: FLV (`relive_media::Remuxer`) and MP4
//! (`relive_media::mp4::demux`) files to fragmented MP4, behind `postMessage`.
//!
//! Built by trunk as a separate module (`data-type="worker"` in index.html) and started
//! only when an FLV replay, or a broadcast with FLV or MP4 parts, plays, so the
//! remuxers are not part of the first page load and their work stays off the page's
//! main thread. Each part of a broadcast is an `open` (its container and its place on
//! the timeline), then the bytes of the file as read with `Range` requests.
//!
//! It speaks the engine's protocol, `src/engine/protocol/` (`relive_web::engine::protocol`
//! in the app): it takes [`ToWorker`] messages and answers with [`FromWorker`] ones. The
//! module is compiled in here from the same file, not linked from the app's crate, which
//! would bring the app's dependencies into the worker (about 8 KB more for the worker to download).

#[cfg(target_arch = "wasm32")]
use js_sys::Uint8Array;
use relive_media::mp4::demux::{MoovLocation, Mp4Remuxer, locate_moov};
use relive_media::{Output, Remuxer};

// Both directions are compiled; the worker uses one side of each.
#[allow(dead_code)]
#[path = "../engine/protocol/mod.rs"]
mod protocol;

use protocol::{FileFormat, FromWorker, ToWorker};

/// A seek target at most this far past the `moov` of a faststart MP4 is reached by
/// reading on; further, the download restarts at its keyframe.
const READ_ON: u64 = 1 << 20;

/// The file open and the generation of the last restart.
#[derive(Default)]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
struct State {
    file: File,
    generation: u32,
}

#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
enum File {
    Flv {
        remuxer: Box<Remuxer>,
        /// Opened at a keyframe past the start: the bytes before the first restart are
        /// the file's head (its header and codec configurations), read for those alone;
        /// the keyframe read after the restart is the time base, at this place.
        head: Option<i64>,
    },
    Mp4(Mp4),
}

impl Default for File {
    fn default() -> Self {
        File::Flv { remuxer: Box::default(), head: None }
    }
}

/// An MP4 file: its `moov` first (wherever it is), then its samples.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
enum Mp4 {
    /// Reading the top-level boxes from byte `from` (0, or where the `moov` is); while
    /// `moving`, the page was asked to read on from elsewhere and what comes before its
    /// restart is not wanted.
    Locating {
        bytes: Vec<u8>,
        from: u64,
        moving: bool,
        place_ms: i64,
        start_ms: i64,
    },
    Reading(Box<Mp4Remuxer>),
}

#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
impl State {
    /// Handles one message; `send` posts each answer.
    fn handle<B>(
        &mut self,
        msg: ToWorker<B>,
        bytes: impl Fn(&B) -> Vec<u8>,
        send: &mut dyn FnMut(FromWorker<Vec<u8>>),
    ) {
        let generation = self.generation;
        match msg {
            ToWorker::Push(data) => {
                self.push(&bytes(&data), send);
                send(FromWorker::Pushed);
            }
            ToWorker::Restart { offset, generation } => {
                self.generation = generation;
                match &mut self.file {
                    File::Flv { remuxer, head } => {
                        remuxer.restart_at(offset);
                        if let Some(place_ms) = head.take() {
                            remuxer.clear_time_base();
                            remuxer.set_place(place_ms);
                        }
                    }
                    File::Mp4(Mp4::Locating { bytes, from, moving, .. }) => {
                        bytes.clear();
                        *from = offset;
                        *moving = false;
                    }
                    File::Mp4(Mp4::Reading(r)) => r.restart_at(offset),
                }
            }
            ToWorker::Open { format, place_ms, start_ms, generation } => {
                self.generation = generation;
                self.file = match format {
                    FileFormat::Flv => {
                        let mut remuxer = Box::<Remuxer>::default();
                        remuxer.set_place(place_ms + start_ms);
                        File::Flv { remuxer, head: (start_ms > 0).then_some(place_ms + start_ms) }
                    }
                    FileFormat::Mp4 => {
                        File::Mp4(Mp4::Locating { bytes: Vec::new(), from: 0, moving: false, place_ms, start_ms })
                    }
                    FileFormat::Hls => {
                        let e = relive_media::Error::new(0, relive_media::ErrorKind::UnsupportedCodec("HLS".into()));
                        send(FromWorker::error(generation, &e, false));
                        File::default()
                    }
                };
            }
            // HLS only; this worker is never sent these.
            ToWorker::Segment { .. } | ToWorker::Playlist { .. } => {}
            // Taken by the message loop (`protocol::js::serve`) before this.
            ToWorker::Recycle(_) => {}
            // Reading moved elsewhere: the old download's end is no end.
            ToWorker::Finish if matches!(self.file, File::Mp4(Mp4::Locating { moving: true, .. })) => {}
            ToWorker::Finish => {
                let result = match &mut self.file {
                    File::Flv { remuxer, .. } => remuxer.finish(),
                    File::Mp4(Mp4::Reading(r)) => r.finish(),
                    File::Mp4(_) => Err(relive_media::Error::new(0, relive_media::ErrorKind::Truncated)),
                };
                self.send_outputs(send);
                if let Err(e) = result {
                    send(FromWorker::error(generation, &e, true));
                }
                send(FromWorker::Done { generation });
            }
        }
    }

    fn push(&mut self, chunk: &[u8], send: &mut dyn FnMut(FromWorker<Vec<u8>>)) {
        let generation = self.generation;
        let result = match &mut self.file {
            File::Flv { remuxer, head } => {
                let result = remuxer.push(chunk);
                if head.is_some() {
                    // The head's own samples are not the ones wanted: only its
                    // configurations (the init segment) go out.
                    for out in remuxer.take_output().into_iter().filter(|o| matches!(o, Output::Init { .. })) {
                        send(FromWorker::output(generation, out));
                    }
                }
                result
            }
            File::Mp4(Mp4::Reading(r)) => r.push(chunk),
            File::Mp4(Mp4::Locating { moving: true, .. }) => Ok(()),
            File::Mp4(Mp4::Locating { .. }) => self.locate(chunk, send),
        };
        self.send_outputs(send);
        if let Err(e) = result {
            send(FromWorker::error(generation, &e, false));
        }
    }

    /// Gathers an MP4's first bytes until its `moov` is read, then reads on from where
    /// playback starts (asking the page to move there when that is elsewhere).
    fn locate(&mut self, chunk: &[u8], send: &mut dyn FnMut(FromWorker<Vec<u8>>)) -> relive_media::Result<()> {
        let File::Mp4(Mp4::Locating { bytes, from, moving, place_ms, start_ms }) = &mut self.file else {
            return Ok(());
        };
        bytes.extend_from_slice(chunk);
        // Where the moov lies in `bytes` (from byte `from` of the file).
        let (at, size) = match locate_moov(bytes)? {
            MoovLocation::Found { offset, size } => (offset, size),
            MoovLocation::At { offset } => {
                // Past what was read: the moov is after the mdat (one more request).
                send(FromWorker::Need { generation: self.generation, offset: *from + offset });
                *moving = true;
                bytes.clear();
                return Ok(());
            }
            MoovLocation::NeedMore => return Ok(()),
        };
        let end = if size == 0 { None } else { usize::try_from(at + size).ok() };
        let Some(end) = end.filter(|&e| e <= bytes.len()) else { return Ok(()) };
        let moov_end = *from + end as u64;
        let (place_ms, start_ms) = (*place_ms, *start_ms);
        let rest = bytes.split_off(end);
        let mut r = Mp4Remuxer::new(&bytes[at as usize..])?;
        r.set_time_offset(place_ms);
        // The keyframes as the page's seek index takes them: times in the file.
        let (times, offsets) = r.keyframes();
        let keyframes = times.iter().zip(&offsets).map(|(&t, &o)| ((t - place_ms) as f64 / 1000.0, o)).collect();
        let duration = Some(r.duration_ms() as f64 / 1000.0);
        send(FromWorker::Metadata { generation: self.generation, duration, keyframes });
        // Where to read from: the keyframe at or before the target.
        let i = times.partition_point(|&t| t - place_ms <= start_ms).saturating_sub(1);
        let target = offsets.get(i).copied().unwrap_or(moov_end);
        let outputs: Vec<Output> = r.take_output().into_iter().filter(|o| !matches!(o, Output::Metadata(_))).collect();
        for out in outputs {
            send(FromWorker::output(self.generation, out));
        }
        if target >= moov_end && target - moov_end <= READ_ON {
            // Faststart: the samples follow in this very download (from its first
            // keyframe on; the few before a near target are appended too).
            r.restart_at(moov_end);
            let result = r.push(&rest);
            self.file = File::Mp4(Mp4::Reading(Box::new(r)));
            return result;
        }
        // The samples are elsewhere (before a moov at the end, or far on).
        self.file = File::Mp4(Mp4::Reading(Box::new(r)));
        send(FromWorker::Need { generation: self.generation, offset: target });
        Ok(())
    }

    fn send_outputs(&mut self, send: &mut dyn FnMut(FromWorker<Vec<u8>>)) {
        let outputs = match &mut self.file {
            File::Flv { remuxer, .. } => remuxer.take_output(),
            File::Mp4(Mp4::Reading(r)) => r.take_output(),
            File::Mp4(_) => Vec::new(),
        };
        for out in outputs {
            send(FromWorker::output(self.generation, out));
        }
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {
    let mut state = State::default();
    protocol::js::serve(move |msg, send| state.handle(msg, Uint8Array::to_vec, send));
}

/// The worker runs only in a browser; natively this binary does nothing.
#[cfg(not(target_arch = "wasm32"))]
fn main() {}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(state: &mut State, msg: ToWorker<Vec<u8>>) -> Vec<FromWorker<Vec<u8>>> {
        let mut out = Vec::new();
        state.handle(msg, Vec::clone, &mut |m| out.push(m));
        out
    }

    #[test]
    fn answers_carry_the_generation_of_the_last_restart() {
        let mut state = State::default();
        assert_eq!(answers(&mut state, ToWorker::Restart { offset: 13, generation: 4 }), vec![]);
        let out = answers(&mut state, ToWorker::Push(b"not an flv at all".to_vec()));
        assert_eq!(out.last(), Some(&FromWorker::Pushed));
        assert!(out.iter().filter_map(FromWorker::generation).all(|g| g == 4), "{out:?}");
        let out = answers(&mut state, ToWorker::Finish);
        assert_eq!(out.last(), Some(&FromWorker::Done { generation: 4 }));
    }

    /// A 4-second MP4 made by ffmpeg (H.264 + AAC), `moov` first or last.
    fn mp4(faststart: bool) -> Vec<u8> {
        let path = std::env::temp_dir().join(format!("relive-file-worker-{}-{faststart}.mp4", std::process::id()));
        let mut args: Vec<&str> = "-hide_banner -loglevel error -y -f lavfi -i testsrc2=size=160x90:rate=25 -f lavfi -i sine=sample_rate=44100 -t 4 -c:v libx264 -pix_fmt yuv420p -g 25 -c:a aac".split(' ').collect();
        if faststart {
            args.extend(["-movflags", "+faststart"]);
        }
        let path_str = path.to_str().unwrap().to_string();
        args.push(&path_str);
        let status = std::process::Command::new("ffmpeg").args(&args).status().expect("ffmpeg runs");
        assert!(status.success());
        let bytes = std::fs::read(&path).unwrap();
        let _ = std::fs::remove_file(&path);
        bytes
    }

    /// Pushes `bytes` in 64 KiB pieces; the answers.
    fn push_all(state: &mut State, bytes: &[u8]) -> Vec<FromWorker<Vec<u8>>> {
        bytes.chunks(64 * 1024).flat_map(|c| answers(state, ToWorker::Push(c.to_vec()))).collect()
    }

    fn media_starts(out: &[FromWorker<Vec<u8>>]) -> Vec<i64> {
        out.iter()
            .filter_map(|m| if let FromWorker::Media { start_ms, .. } = m { Some(*start_ms) } else { None })
            .collect()
    }

    fn need(out: &[FromWorker<Vec<u8>>]) -> Option<u64> {
        out.iter().find_map(|m| if let FromWorker::Need { offset, .. } = m { Some(*offset) } else { None })
    }

    #[test]
    fn a_faststart_mp4_is_read_in_one_pass_at_its_place() {
        let file = mp4(true);
        let mut state = State::default();
        let open = ToWorker::Open { format: FileFormat::Mp4, place_ms: 10_000, start_ms: 0, generation: 1 };
        assert_eq!(answers(&mut state, open), vec![]);
        let mut out = push_all(&mut state, &file);
        out.extend(answers(&mut state, ToWorker::Finish));
        assert_eq!(need(&out), None, "no second request");
        assert!(matches!(out.iter().find(|m| !matches!(m, FromWorker::Pushed)), Some(FromWorker::Metadata { .. })));
        assert!(out.iter().any(|m| matches!(m, FromWorker::Init { .. })));
        let starts = media_starts(&out);
        assert_eq!(starts.first(), Some(&10_000), "placed at 10 s");
        assert_eq!(out.last(), Some(&FromWorker::Done { generation: 1 }));
        assert!(
            !out.iter().any(|m| matches!(m, FromWorker::Error { .. })),
            "{:?}",
            out.iter().find(|m| matches!(m, FromWorker::Error { .. }))
        );
    }

    #[test]
    fn a_moov_at_the_end_costs_one_more_request() {
        let file = mp4(false);
        let mut state = State::default();
        answers(&mut state, ToWorker::Open { format: FileFormat::Mp4, place_ms: 0, start_ms: 0, generation: 1 });
        // The download from byte 0 brings the mdat: the worker asks for the moov.
        let out = push_all(&mut state, &file[..64 * 1024]);
        let moov = need(&out).expect("asks for the moov") as usize;
        assert_eq!(&file[moov + 4..moov + 8], b"moov");
        // The old download's end is no end.
        assert_eq!(answers(&mut state, ToWorker::Finish), vec![]);
        answers(&mut state, ToWorker::Restart { offset: moov as u64, generation: 2 });
        let out = push_all(&mut state, &file[moov..]);
        assert!(out.iter().any(|m| matches!(m, FromWorker::Init { generation: 2, .. })));
        let first = need(&out).expect("then for the samples") as usize;
        assert!(first < moov);
        answers(&mut state, ToWorker::Restart { offset: first as u64, generation: 3 });
        let mut out = push_all(&mut state, &file[first..moov]);
        out.extend(answers(&mut state, ToWorker::Finish));
        assert_eq!(media_starts(&out).first(), Some(&0));
        assert_eq!(out.last(), Some(&FromWorker::Done { generation: 3 }));
        assert!(!out.iter().any(|m| matches!(m, FromWorker::Error { .. })));
    }

    #[test]
    fn an_mp4_opened_at_a_time_starts_at_its_keyframe() {
        let file = mp4(true);
        let mut state = State::default();
        answers(&mut state, ToWorker::Open { format: FileFormat::Mp4, place_ms: 0, start_ms: 3_100, generation: 1 });
        let out = push_all(&mut state, &file[..64 * 1024]);
        // The keyframe at 3 s lies beyond what reading on would bring cheaply, or not:
        // either way, output starts at or before it and the metadata lists it.
        let Some(FromWorker::Metadata { keyframes, .. }) =
            out.iter().find(|m| matches!(m, FromWorker::Metadata { .. }))
        else {
            panic!("no metadata: {out:?}")
        };
        // (Times of presentation: the first frame shows 2 frames after its decode.)
        assert!(keyframes.iter().any(|&(t, _)| (t - 3.0).abs() < 0.1), "{keyframes:?}");
    }

    #[test]
    fn an_flv_opened_at_a_keyframe_reads_its_head_for_the_configurations_only() {
        let mut state = State::default();
        answers(
            &mut state,
            ToWorker::Open { format: FileFormat::Flv, place_ms: 60_000, start_ms: 2_000, generation: 1 },
        );
        // Not an FLV: an error, with the generation of the open.
        let out = answers(&mut state, ToWorker::Push(b"nope".to_vec()));
        assert!(out.iter().filter_map(FromWorker::generation).all(|g| g == 1), "{out:?}");
    }
}
