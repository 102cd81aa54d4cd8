//! What the `<video>` plays from. The controls never look past this: a progressive
//! file (MP4, AAC, HLS where the browser has it) plays through `src`; an FLV is
//! remuxed to fragmented MP4 here, in WebAssembly, and fed through Media Source
//! Extensions ([`super::mse`]); without MSE, the server's progressive MP4 of it plays.

use std::rc::Rc;

use relive_api::{Replay, ReplayFormat};
use web_sys::HtmlVideoElement;

use super::mse::{self, FlvEngine};
use crate::i18n::Key;

#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// The browser plays the file itself.
    Progressive(String),
    /// An FLV, remuxed in the page; `index` is the server's keyframe index of it.
    Flv { url: String, index: String },
}

/// A source playing in an element; `detach` before attaching another.
pub enum Attached {
    Element,
    Flv(Rc<FlvEngine>),
}

impl Attached {
    pub fn detach(&self) {
        if let Attached::Flv(engine) = self {
            engine.destroy();
        }
    }
}

impl Source {
    pub fn for_replay(r: &Replay) -> Source {
        match r.format {
            ReplayFormat::Flv if mse::supported() => {
                Source::Flv { url: r.url.clone(), index: format!("/api/v1/replays/{}/keyframes", r.id) }
            }
            // No Media Source Extensions (iPhone Safari before 17.1): the server's MP4 of it.
            ReplayFormat::Flv => Source::Progressive(format!("/api/v1/replays/{}/mp4", r.id)),
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
            Source::Flv { url, index } => {
                FlvEngine::start(video, url.clone(), index.clone(), on_error).map(Attached::Flv)
            }
        }
    }
}
