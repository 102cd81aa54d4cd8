//! What the `<video>` plays from. The controls never look past this: a progressive
//! file (MP4, AAC) plays through `src`; an FLV or an HLS playlist, and a broadcast of
//! several recordings, are remuxed to fragmented MP4 in the page by the
//! [`engine`](crate::engine) and fed through Media Source Extensions; without MSE, an
//! FLV plays as the server's progressive MP4 of it and HLS through the browser's own
//! support (Safari), and a broadcast part after part through `src` ([`Source::Parts`]):
//! the player keeps one timeline over them with a [`Sequence`] (which part is in the
//! element, and where a time of the broadcast is), switching `src` at a part's end or
//! on a seek into another part.

use std::rc::Rc;

use relive_api::{Replay, ReplayFormat, ReplayPart};
use web_sys::HtmlVideoElement;

use crate::api;
use crate::engine::{self, Demux, Engine, EngineSource, PartSource};
use crate::i18n::Key;

#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// The browser plays the file itself.
    Progressive(String),
    /// A file the engine remuxes in the page.
    Engine(EngineSource),
    /// A broadcast without MSE: its parts one after another through `src`, each as the
    /// browser plays it (the player goes through them with a [`Sequence`]).
    Parts(Vec<ProgressivePart>),
}

/// A broadcast's part as the browser plays it, and where it sits on the broadcast.
#[derive(Clone, Debug, PartialEq)]
pub struct ProgressivePart {
    pub url: String,
    /// Seconds into the broadcast where it starts.
    pub offset: f64,
    pub duration: f64,
}

/// A broadcast played part after part through `src`: its parts and the one in the
/// element. The element's time is the part's; the player's is the broadcast's.
#[derive(Clone, Debug, PartialEq)]
pub struct Sequence {
    parts: Vec<ProgressivePart>,
    index: usize,
}

impl Sequence {
    /// `None` without parts.
    pub fn new(parts: Vec<ProgressivePart>) -> Option<Sequence> {
        (!parts.is_empty()).then_some(Sequence { parts, index: 0 })
    }

    /// The part in the element.
    pub fn index(&self) -> usize {
        self.index
    }

    pub fn part(&self) -> &ProgressivePart {
        &self.parts[self.index]
    }

    /// Puts part `index` in the element (the last one if past the end).
    pub fn go(&mut self, index: usize) {
        self.index = index.min(self.parts.len() - 1);
    }

    /// The part after the one in the element, if any.
    pub fn next(&self) -> Option<usize> {
        (self.index + 1 < self.parts.len()).then_some(self.index + 1)
    }

    /// Where part `index` starts on the broadcast.
    pub fn start(&self, index: usize) -> f64 {
        self.parts.get(index).map_or(0.0, |p| p.offset)
    }

    /// The broadcast's length: its parts end to end (where the last one ends).
    pub fn duration(&self) -> f64 {
        self.parts.last().map_or(0.0, |p| p.offset + p.duration)
    }

    /// The element's time `local` (in the part it plays) on the broadcast.
    pub fn to_broadcast(&self, local: f64) -> f64 {
        self.part().offset + local
    }

    /// The part holding `t` seconds of the broadcast (the last one starting at or before
    /// it), and the time in that part.
    pub fn locate(&self, t: f64) -> (usize, f64) {
        let i = self.parts.iter().rposition(|p| p.offset <= t).unwrap_or(0);
        (i, (t - self.parts[i].offset).max(0.0))
    }
}

/// A source playing in an element; `detach` before attaching another.
pub enum Attached {
    Element,
    Engine(Rc<Engine>),
}

impl Attached {
    pub fn detach(&self) {
        if let Attached::Engine(engine) = self {
            engine.destroy();
        }
    }
}

impl Source {
    pub fn for_replay(r: &Replay) -> Source {
        let parts = playable_parts(r);
        let mse = engine::supported();
        match parts.as_slice() {
            [one] => Source::for_part(one, mse),
            // A broadcast: its parts end to end, through the engine.
            [first, ..] if mse && parts.iter().all(|p| demux(p.format).is_some()) => {
                Source::Engine(EngineSource { parts: parts.iter().filter_map(part_source).collect() })
            }
            // No MSE: part after part through `src`, on one timeline.
            [_, _, ..] if !mse => Source::Parts(parts.iter().map(progressive_part).collect()),
            // A part the engine cannot read (AAC): the first part alone.
            [first, ..] => Source::for_part(first, mse),
            [] => Source::Progressive(r.url.clone()),
        }
    }

    /// One file or playlist.
    fn for_part(p: &ReplayPart, mse: bool) -> Source {
        match p.format {
            ReplayFormat::Flv if mse => {
                Source::Engine(EngineSource::single(Demux::Flv, p.url.clone(), Some(keyframes(p))))
            }
            // No Media Source Extensions (iPhone Safari before 17.1): the server's MP4 of it.
            ReplayFormat::Flv => Source::Progressive(api::mp4_url(p.id)),
            // HLS through our own remuxer wherever MSE (or ManagedMediaSource) exists, even
            // where the browser claims native HLS: Chromium's is not reliable yet.
            ReplayFormat::Hls if mse => Source::Engine(EngineSource::single(Demux::Hls, p.url.clone(), None)),
            // Neither: the browser's own HLS (Safari on iPhones before iOS 17.1).
            ReplayFormat::Mp4 | ReplayFormat::Aac | ReplayFormat::Hls => Source::Progressive(p.url.clone()),
        }
    }

    /// Points the element at this source. `on_error` shows a message in the player
    /// for failures found after this returns (a corrupt FLV, say).
    pub fn attach(&self, video: &HtmlVideoElement, on_error: impl Fn(Key) + 'static) -> Result<Attached, Key> {
        match self {
            Source::Progressive(url) => {
                video.set_src(url);
                Ok(Attached::Element)
            }
            Source::Engine(source) => Engine::start(video, source.clone(), on_error).map(Attached::Engine),
            // The first part; the player moves on through the others (`PlayerState::attach`
            // starts at the part holding a pending seek instead).
            Source::Parts(parts) => {
                if let Some(first) = parts.first() {
                    video.set_src(&first.url);
                }
                Ok(Attached::Element)
            }
        }
    }
}

/// The replay's parts; a replay from before broadcasts (no `parts`) is its own one part.
fn playable_parts(r: &Replay) -> Vec<ReplayPart> {
    if !r.parts.is_empty() {
        return r.parts.clone();
    }
    if r.url.is_empty() {
        return Vec::new();
    }
    vec![ReplayPart {
        id: r.id,
        format: r.format,
        url: r.url.clone(),
        offset_secs: 0.0,
        duration_secs: r.duration_secs,
        size_bytes: r.size_bytes,
        start_time: r.start_time,
        end_time: r.end_time,
        keyframes_url: None,
        codecs: r.codecs.clone(),
        url_expires_at: None,
        gone_at: None,
    }]
}

/// A part as the browser plays it without MSE: an FLV as the server's MP4 of it, the
/// rest as they are (HLS natively, as Safari does).
fn progressive_part(p: &ReplayPart) -> ProgressivePart {
    let url = match p.format {
        ReplayFormat::Flv => api::mp4_url(p.id),
        ReplayFormat::Mp4 | ReplayFormat::Aac | ReplayFormat::Hls => p.url.clone(),
    };
    ProgressivePart { url, offset: p.offset_secs, duration: p.duration_secs }
}

fn demux(f: ReplayFormat) -> Option<Demux> {
    match f {
        ReplayFormat::Flv => Some(Demux::Flv),
        ReplayFormat::Mp4 => Some(Demux::Mp4),
        ReplayFormat::Hls => Some(Demux::Hls),
        ReplayFormat::Aac => None,
    }
}

fn keyframes(p: &ReplayPart) -> String {
    p.keyframes_url.clone().unwrap_or_else(|| api::keyframes_url(p.id))
}

fn part_source(p: &ReplayPart) -> Option<PartSource> {
    let demux = demux(p.format)?;
    Some(PartSource {
        demux,
        url: p.url.clone(),
        index_url: (demux == Demux::Flv).then(|| keyframes(p)),
        offset_ms: (p.offset_secs * 1000.0).round() as i64,
        duration_ms: (p.duration_secs * 1000.0).round() as i64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sequence() -> Sequence {
        let part = |url: &str, offset, duration| ProgressivePart { url: url.into(), offset, duration };
        Sequence::new(vec![part("a", 0.0, 6.0), part("b", 6.0, 6.5), part("c", 12.5, 5.5)]).unwrap()
    }

    #[test]
    fn a_sequence_spans_its_parts() {
        assert_eq!(sequence().duration(), 18.0);
        assert_eq!(Sequence::new(Vec::new()), None);
    }

    #[test]
    fn a_time_of_the_broadcast_is_in_one_part() {
        let s = sequence();
        assert_eq!(s.locate(0.0), (0, 0.0));
        assert_eq!(s.locate(5.5), (0, 5.5));
        assert_eq!(s.locate(6.0), (1, 0.0), "a part's start is in it");
        assert_eq!(s.locate(14.0), (2, 1.5));
        assert_eq!(s.locate(99.0), (2, 86.5), "past the end: the last part (the element stops at its end)");
        assert_eq!(s.locate(-1.0), (0, 0.0));
    }

    #[test]
    fn the_element_time_is_offset_by_its_part() {
        let mut s = sequence();
        assert_eq!(s.to_broadcast(2.0), 2.0);
        assert_eq!(s.next(), Some(1));
        s.go(2);
        assert_eq!((s.index(), s.part().url.as_str()), (2, "c"));
        assert_eq!(s.to_broadcast(2.0), 14.5);
        assert_eq!(s.next(), None, "the last part");
        assert_eq!(s.start(1), 6.0);
        s.go(7);
        assert_eq!(s.index(), 2);
    }

    fn part(id: i64, format: ReplayFormat, offset: f64, duration: f64) -> ReplayPart {
        ReplayPart {
            id,
            format,
            url: format!("/media/{id}"),
            offset_secs: offset,
            duration_secs: duration,
            size_bytes: 1,
            start_time: 0,
            end_time: 0,
            keyframes_url: None,
            codecs: None,
            url_expires_at: None,
            gone_at: None,
        }
    }

    #[test]
    fn without_mse_a_part_plays_as_the_browser_can() {
        assert_eq!(
            progressive_part(&part(7, ReplayFormat::Flv, 6.0, 4.0)),
            ProgressivePart { url: api::mp4_url(7), offset: 6.0, duration: 4.0 }
        );
        for f in [ReplayFormat::Mp4, ReplayFormat::Aac, ReplayFormat::Hls] {
            assert_eq!(progressive_part(&part(8, f, 0.0, 1.0)).url, "/media/8");
        }
    }
}
