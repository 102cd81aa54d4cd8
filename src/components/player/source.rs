//! What the `<video>` plays from. The controls never look past this: a progressive
//! file (MP4, AAC, HLS where the browser has it) plays through `src`; FLV will plug in
//! here through Media Source Extensions without touching the controls.

use relive_api::{Replay, ReplayFormat};
use web_sys::HtmlVideoElement;

use crate::i18n::Key;

#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// The browser plays the file itself.
    Progressive(String),
    /// Not playable here; the message says why.
    Unplayable(Key),
}

impl Source {
    pub fn for_replay(r: &Replay) -> Source {
        match r.format {
            ReplayFormat::Mp4 | ReplayFormat::Aac | ReplayFormat::Hls => Source::Progressive(r.url.clone()),
            ReplayFormat::Flv => Source::Unplayable(Key::ErrFlvNotYet),
        }
    }

    /// Points the element at this source; the message for the viewer if it cannot.
    pub fn attach(&self, video: &HtmlVideoElement) -> Result<(), Key> {
        match self {
            Source::Progressive(url) => {
                video.set_src(url);
                Ok(())
            }
            Source::Unplayable(why) => Err(*why),
        }
    }

    /// Whether trying again can help (it cannot for a format we do not play).
    pub fn retryable(&self) -> bool {
        matches!(self, Source::Progressive(_))
    }
}
