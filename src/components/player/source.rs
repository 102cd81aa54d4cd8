//! What the `<video>` plays from. The controls never look past this: a progressive
//! file (MP4, AAC) plays through `src`; an FLV or an HLS playlist, and a broadcast of
//! several recordings, are remuxed to fragmented MP4 in the page by the
//! [`engine`](crate::engine) and fed through Media Source Extensions; without MSE, an
//! FLV plays as the server's progressive MP4 of it and HLS through the browser's own
//! support (Safari), and a broadcast part after part through `src` ([`Source::Parts`]):
//! the player keeps one timeline over them with a [`Sequence`] (which part is in the
//! element, and where a time of the broadcast is), switching `src` at a part's end or
//! on a seek into another part.
//!
//! A part's URL may be signed for a CDN's hotlink protection and expire
//! (`ReplayPart::url_expires_at`): [`refresher`] asks the API for it again, for the
//! engine (which renews before reads and after a 403) and for the element (which
//! renews after a media error, [`PlayerState::renew_src`](super::PlayerState)).

use std::rc::Rc;

use relive_api::{Replay, ReplayFormat, ReplayPart};
use web_sys::HtmlVideoElement;

use crate::api;
use crate::engine::{self, Demux, Engine, EngineSource, PartSource, PartUrl, Refresh};
use crate::i18n::Key;

#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// The browser plays the file itself (its `offset` is 0).
    Progressive(ProgressivePart),
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
    /// When `url` stops working (a CDN signed it), Unix seconds.
    pub expires_at: Option<i64>,
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

    /// Part `index` has a freshly signed URL.
    pub fn renew(&mut self, index: usize, fresh: PartUrl) {
        if let Some(p) = self.parts.get_mut(index) {
            p.url = fresh.url;
            p.expires_at = fresh.expires_at;
        }
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
            [] => Source::Progressive(ProgressivePart {
                url: r.url.clone(),
                offset: 0.0,
                duration: 0.0,
                expires_at: None,
            }),
        }
    }

    /// The file the element plays itself, when a CDN signed its URL: its part's index.
    pub fn signed_progressive(&self) -> Option<usize> {
        match self {
            Source::Progressive(p) if p.expires_at.is_some() => Some(0),
            _ => None,
        }
    }

    /// The file the element plays has a freshly signed URL.
    pub fn renew(&mut self, fresh: PartUrl) {
        if let Source::Progressive(p) = self {
            p.url = fresh.url;
            p.expires_at = fresh.expires_at;
        }
    }

    /// One file or playlist.
    fn for_part(p: &ReplayPart, mse: bool) -> Source {
        match p.format {
            ReplayFormat::Flv if mse => {
                Source::Engine(EngineSource::single(Demux::Flv, p.url.clone(), Some(keyframes(p)), p.url_expires_at))
            }
            // HLS through our own remuxer wherever MSE (or ManagedMediaSource) exists, even
            // where the browser claims native HLS: Chromium's is not reliable yet.
            ReplayFormat::Hls if mse => {
                Source::Engine(EngineSource::single(Demux::Hls, p.url.clone(), None, p.url_expires_at))
            }
            // No Media Source Extensions (iPhone Safari before 17.1): the server's MP4 of an
            // FLV; the browser's own HLS (Safari on iPhones before iOS 17.1).
            ReplayFormat::Flv | ReplayFormat::Mp4 | ReplayFormat::Aac | ReplayFormat::Hls => {
                Source::Progressive(progressive_part(p))
            }
        }
    }

    /// Points the element at this source. `on_error` shows a message in the player
    /// for failures found after this returns (a corrupt FLV, say); `refresh` renews
    /// signed URLs the engine reads.
    pub fn attach(
        &self,
        video: &HtmlVideoElement,
        on_error: impl Fn(Key) + 'static,
        refresh: Option<Refresh>,
    ) -> Result<Attached, Key> {
        match self {
            Source::Progressive(p) => {
                video.set_src(&p.url);
                Ok(Attached::Element)
            }
            Source::Engine(source) => Engine::start(video, source.clone(), on_error, refresh).map(Attached::Engine),
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
    let (url, expires_at) = match p.format {
        ReplayFormat::Flv => (api::mp4_url(p.id), None),
        ReplayFormat::Mp4 | ReplayFormat::Aac | ReplayFormat::Hls => (p.url.clone(), p.url_expires_at),
    };
    ProgressivePart { url, offset: p.offset_secs, duration: p.duration_secs, expires_at }
}

/// Asks the API for part `index`'s URL again (freshly signed): the replay is fetched
/// again and the part found by its id (a broadcast still recording may have more parts
/// by then).
pub fn refresher(r: &Replay) -> Refresh {
    let ids: Rc<Vec<i64>> = Rc::new(playable_parts(r).iter().map(|p| p.id).collect());
    let replay_id = r.id;
    Rc::new(move |index| {
        let ids = ids.clone();
        Box::pin(async move {
            let fresh = api::replay(replay_id).await.ok()?.replay;
            fresh_url(&fresh, *ids.get(index)?)
        })
    })
}

/// Part `id`'s URL in a replay fetched again.
fn fresh_url(r: &Replay, id: i64) -> Option<PartUrl> {
    let part = playable_parts(r).into_iter().find(|p| p.id == id)?;
    Some(PartUrl { url: part.url, expires_at: part.url_expires_at })
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
        expires_at: p.url_expires_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::part;

    fn sequence() -> Sequence {
        let part =
            |url: &str, offset, duration| ProgressivePart { url: url.into(), offset, duration, expires_at: None };
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

    #[test]
    fn without_mse_a_part_plays_as_the_browser_can() {
        assert_eq!(
            progressive_part(&part(7, ReplayFormat::Flv, 6.0, 4.0)),
            ProgressivePart { url: api::mp4_url(7), offset: 6.0, duration: 4.0, expires_at: None }
        );
        for f in [ReplayFormat::Mp4, ReplayFormat::Aac, ReplayFormat::Hls] {
            assert_eq!(progressive_part(&part(8, f, 0.0, 1.0)).url, "/media/8");
        }
    }

    #[test]
    fn a_signed_part_keeps_its_expiry_and_is_found_again_by_id() {
        let signed = |id, format| ReplayPart { url_expires_at: Some(1000 + id), ..part(id, format, 0.0, 1.0) };
        assert_eq!(progressive_part(&signed(8, ReplayFormat::Mp4)).expires_at, Some(1008));
        assert_eq!(progressive_part(&signed(7, ReplayFormat::Flv)).expires_at, None, "the server's MP4 of it");
        assert_eq!(part_source(&signed(9, ReplayFormat::Hls)).unwrap().expires_at, Some(1009));

        let mut s = Sequence::new(vec![progressive_part(&signed(8, ReplayFormat::Mp4))]).unwrap();
        s.renew(0, PartUrl { url: "/media/8?sign=new".into(), expires_at: Some(2000) });
        assert_eq!((s.part().url.as_str(), s.part().expires_at), ("/media/8?sign=new", Some(2000)));

        let replay = |parts: Vec<ReplayPart>| Replay {
            id: 3,
            streamer_id: "mei".into(),
            title_is_default: true,
            format: ReplayFormat::Mp4,
            url: "/media/legacy?sign=x".into(),
            duration_secs: 2.0,
            ..crate::testing::replay(relive_api::ReplayStatus::Ready, parts)
        };

        // A broadcast that grew meanwhile: the part is found by its id, not its place.
        let grown = replay(vec![signed(5, ReplayFormat::Mp4), signed(8, ReplayFormat::Mp4)]);
        assert_eq!(fresh_url(&grown, 8), Some(PartUrl { url: "/media/8".into(), expires_at: Some(1008) }));
        assert_eq!(fresh_url(&grown, 6), None);
        // A replay from before broadcasts is its own one part.
        assert_eq!(fresh_url(&replay(Vec::new()), 3).map(|u| u.url), Some("/media/legacy?sign=x".into()));
    }
}
