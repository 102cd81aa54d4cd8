//! What the `<video>` plays from. The controls never look past this: a progressive
//! file (MP4, AAC) plays through `src`; an FLV or an HLS playlist is remuxed to
//! fragmented MP4 in the page by the [`engine`](crate::engine) and fed through Media
//! Source Extensions; without MSE, an FLV plays as the server's progressive MP4 of it
//! and HLS through the browser's own support (Safari).

use std::rc::Rc;

use relive_api::{Replay, ReplayFormat};
use web_sys::HtmlVideoElement;

use crate::api;
use crate::engine::{self, Demux, Engine, EngineSource};
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
        match r.format {
            ReplayFormat::Flv if engine::supported() => Source::Engine(EngineSource {
                demux: Demux::Flv,
                url: r.url.clone(),
                index_url: Some(api::keyframes_url(r.id)),
            }),
            // No Media Source Extensions (iPhone Safari before 17.1): the server's MP4 of it.
            ReplayFormat::Flv => Source::Progressive(api::mp4_url(r.id)),
            // HLS through our own remuxer wherever MSE (or ManagedMediaSource) exists, even
            // where the browser claims native HLS: Chromium's is not reliable yet.
            ReplayFormat::Hls if engine::supported() => {
                Source::Engine(EngineSource { demux: Demux::Hls, url: r.url.clone(), index_url: None })
            }
            // Neither: the browser's own HLS (Safari on iPhones before iOS 17.1).
            ReplayFormat::Mp4 | ReplayFormat::Aac | ReplayFormat::Hls => Source::Progressive(r.url.clone()),
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
