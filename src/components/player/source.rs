//! What the `<video>` plays from. The controls never look past this: a progressive
//! file (MP4, AAC) plays through `src`; an FLV or an HLS playlist, and a broadcast of
//! several recordings, are remuxed to fragmented MP4 in the page by the
//! [`engine`](crate::engine) and fed through Media Source Extensions; without MSE, an
//! FLV plays as the server's progressive MP4 of it and HLS through the browser's own
//! support (Safari).

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
            // No MSE, or a part the engine cannot read (AAC): the first part alone.
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
    }]
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
