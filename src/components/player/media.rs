//! The `<video>` element and what its events change in the [`PlayerState`].

use leptos::prelude::*;

use super::state::{PlayerState, RESUME_MARGIN, resume_key, use_player};
use crate::browser;
use crate::format::{decimal, parse_decimal};
use crate::i18n::Key;

impl PlayerState {
    fn on_loaded(self) {
        let Some(v) = self.video() else { return };
        self.on_duration();
        let d = self.duration.get_untracked();
        if let Some(t) = self.pending_seek.get_value() {
            self.pending_seek.set_value(None);
            let t = if d > 0.0 { t.min(d) } else { t };
            // A sequence's part: the time in it (the part holding `t` is the one loaded).
            let offset = self.sequence.with_value(|s| s.as_ref().map_or(0.0, |s| s.part().offset));
            v.set_current_time((t - offset).max(0.0));
            self.current.set(self.timeline(v.current_time()));
        } else if let Some(saved) = browser::storage_get(&resume_key(self.replay_id)).and_then(|s| parse_decimal(&s))
            && saved > RESUME_MARGIN
            && (d <= 0.0 || saved < d - RESUME_MARGIN)
        {
            self.resume_offer.set(Some(saved));
        }
    }

    /// The element's duration, unless it plays one part of a sequence (whose duration is
    /// the broadcast's, all along).
    fn on_duration(self) {
        let Some(v) = self.video() else { return };
        if v.duration().is_finite() && v.duration() > 0.0 && !self.in_sequence() {
            self.duration.set(v.duration());
        }
    }

    fn on_time(self) {
        let Some(v) = self.video() else { return };
        // A part loading for a seek: its target stays shown until the seek is made.
        if self.in_sequence() && self.pending_seek.get_value().is_some() {
            return;
        }
        let t = self.timeline(v.current_time());
        self.current.set(t);
        // Remember the position every few seconds of playback.
        if (t - self.last_saved.get_value()).abs() >= 3.0 && t > RESUME_MARGIN {
            self.last_saved.set_value(t);
            browser::storage_set(&resume_key(self.replay_id), &decimal(t, 1));
        }
    }

    fn on_progress(self) {
        let Some(v) = self.video() else { return };
        let ranges = v.buffered();
        self.buffered.set(
            (0..ranges.length())
                .filter_map(|i| Some((self.timeline(ranges.start(i).ok()?), self.timeline(ranges.end(i).ok()?))))
                .collect(),
        );
    }

    fn on_media_error(self) {
        let Some(v) = self.video() else { return };
        // An element with no src (an unplayable source) reports nothing worth showing.
        if self.error.get_untracked().is_some() || v.src().is_empty() {
            return;
        }
        // A signed URL that expired: a fresh one, and on from here (failing again with
        // the fresh one: refused).
        let renewed = self.renewing.get_value();
        if self.renew_src(&v) {
            return;
        }
        let key = match v.error().map(|e| e.code()) {
            _ if renewed => Key::ErrRefused,
            Some(2) => Key::ErrNetwork,
            Some(3) => Key::ErrDecode,
            _ => Key::ErrUnsupported,
        };
        self.pending_seek.set_value(Some(self.current.get_untracked()));
        self.error.set(Some(key));
        self.playing.set(false);
    }

    fn on_ended(self) {
        // A sequence's part ended: the next one plays from its start at once.
        let next = self.sequence.with_value(|s| s.as_ref().and_then(|s| Some((s.next()?, s.start(s.next()?)))));
        if let (Some((index, at)), Some(v)) = (next, self.video()) {
            self.pending_seek.set_value(Some(at));
            self.current.set(at);
            self.open_part(&v, index, true);
            return;
        }
        self.ended.set(true);
        self.playing.set(false);
        browser::storage_remove(&resume_key(self.replay_id));
    }

    fn on_play(self) {
        self.playing.set(true);
        self.started.set(true);
        self.ended.set(false);
        self.poke()
    }
}

/// The element itself. A click plays or pauses; a double click goes full screen. (A
/// finger's taps, presses and drags: [`super::gestures`].)
#[component]
pub fn PlayerVideo() -> impl IntoView {
    let p = use_player();
    let video = move || p.video();
    view! {
        <video
            node_ref=p.video_ref
            playsinline=true
            preload="metadata"
            poster=p.replay.read_value().poster_url.clone()
            // A finger's taps are the gestures' ([`super::gestures`]): a tap waits to see
            // whether a second follows.
            on:click=move |_| { if !p.touch_input.get_value() { p.play_pause() } }
            on:dblclick=move |_| { if !p.touch_input.get_value() { p.toggle_fullscreen() } }
            on:loadedmetadata=move |_| p.on_loaded()
            on:durationchange=move |_| p.on_duration()
            on:timeupdate=move |_| p.on_time()
            on:progress=move |_| p.on_progress()
            on:play=move |_| p.on_play()
            on:pause=move |_| { p.playing.set(false); p.controls_shown.set(true) }
            on:waiting=move |_| p.waiting.set(true)
            on:playing=move |_| p.waiting.set(false)
            on:canplay=move |_| { p.waiting.set(false); p.renewing.set_value(false) }
            on:volumechange=move |_| {
                if let Some(v) = video() { p.volume.set(v.volume()); p.muted.set(v.muted()) }
            }
            on:ratechange=move |_| { if let Some(v) = video() { p.rate.set(v.playback_rate()) } }
            on:error=move |_| p.on_media_error()
            on:ended=move |_| p.on_ended()
        ></video>
    }
}
