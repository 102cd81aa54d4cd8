//! The embed page's parameters (`/embed/replays/{id}?start=20&end=25&autoplay=1…`): read
//! from the address ([`EmbedOptions::from_query`]), written back into one
//! ([`EmbedOptions::query`], for the playground and the embed code), and what they do to
//! the player ([`install`], [`autoplay`], [`UnmuteOffer`]). A value that does not parse is
//! ignored: the parameter keeps its default.

use leptos::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::HtmlVideoElement;

use super::state::{PlayerState, play, use_player};
use crate::browser;
use crate::format::{decimal, parse_start_time};
use crate::i18n::{Key, Locale, use_i18n};

#[derive(Clone, Debug, PartialEq)]
pub struct EmbedOptions {
    /// Seconds where playback begins (`start`, or `t` in any of its formats).
    pub start: Option<f64>,
    /// Seconds where playback pauses (or starts over from `start`, with `loop`).
    pub end: Option<f64>,
    /// Play at once; muted if the browser refuses sound without a click.
    pub autoplay: bool,
    pub muted: bool,
    /// From `start` again at `end` or at the end.
    pub looped: bool,
    /// The control bar and the big play button (`controls=0`: none; keys and the API stay).
    pub controls: bool,
    /// The language, over the browser's.
    pub lang: Option<Locale>,
    /// The title bar.
    pub title: bool,
}

impl Default for EmbedOptions {
    fn default() -> Self {
        EmbedOptions {
            start: None,
            end: None,
            autoplay: false,
            muted: false,
            looped: false,
            controls: true,
            lang: None,
            title: true,
        }
    }
}

/// `1`/`true` or `0`/`false`; anything else is no answer.
fn flag(v: Option<String>) -> Option<bool> {
    match v?.trim() {
        "1" | "true" => Some(true),
        "0" | "false" => Some(false),
        _ => None,
    }
}

impl EmbedOptions {
    /// The options in a query, `query(name)` giving a parameter's decoded value.
    pub fn from_query(query: impl Fn(&str) -> Option<String>) -> EmbedOptions {
        let d = EmbedOptions::default();
        let start =
            query("start").and_then(|s| parse_start_time(&s)).or_else(|| query("t").and_then(|s| parse_start_time(&s)));
        // An end before the start (or at 0) means nothing.
        let end = query("end").and_then(|s| parse_start_time(&s)).filter(|&e| e > start.unwrap_or(0.0));
        let lang = query("lang").and_then(|l| match l.as_str() {
            "en" => Some(Locale::En),
            "zh-CN" | "zh-cn" | "zh" => Some(Locale::ZhCn),
            _ => None,
        });
        EmbedOptions {
            start,
            end,
            autoplay: flag(query("autoplay")).unwrap_or(d.autoplay),
            muted: flag(query("muted")).unwrap_or(d.muted),
            looped: flag(query("loop")).unwrap_or(d.looped),
            controls: flag(query("controls")).unwrap_or(d.controls),
            lang,
            title: flag(query("title")).unwrap_or(d.title),
        }
    }

    /// The query string (with its `?`, or empty) for these options: only what differs
    /// from the defaults, in a fixed order.
    pub fn query(&self) -> String {
        let mut parts = Vec::new();
        if let Some(s) = self.start.filter(|s| *s > 0.0) {
            parts.push(format!("start={}", decimal(s, 1)));
        }
        if let Some(e) = self.end {
            parts.push(format!("end={}", decimal(e, 1)));
        }
        for (on, name) in [(self.autoplay, "autoplay"), (self.muted, "muted"), (self.looped, "loop")] {
            if on {
                parts.push(format!("{name}=1"));
            }
        }
        if !self.controls {
            parts.push("controls=0".into());
        }
        if let Some(l) = self.lang {
            parts.push(format!("lang={}", l.tag()));
        }
        if !self.title {
            parts.push("title=0".into());
        }
        if parts.is_empty() { String::new() } else { format!("?{}", parts.join("&")) }
    }

    /// Where a loop starts again.
    fn loop_start(&self) -> f64 {
        self.start.unwrap_or(0.0)
    }
}

/// The `<iframe>` code for an embed address: the one the share menu and the playground
/// give to copy.
pub fn iframe_code(src: &str, title: &str) -> String {
    let title = title.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;");
    format!(
        "<iframe src=\"{}\" width=\"640\" height=\"360\" title=\"{title}\" \
         allow=\"autoplay; fullscreen; picture-in-picture\" allowfullscreen style=\"border:0\"></iframe>",
        src.replace('"', "%22")
    )
}

/// What `end`, `loop` and `muted` do, once the element is there. `unmute` is the offer
/// to turn the sound on after a muted autoplay: it goes once the sound is on.
pub fn install(p: PlayerState, o: EmbedOptions, unmute: RwSignal<bool>) {
    let listeners = StoredValue::new_local(Vec::new());
    let o = StoredValue::new(o);
    Effect::new(move |_| {
        let Some(v) = p.video_ref.get() else { return };
        if o.with_value(|o| o.muted) {
            v.set_muted(true);
        }
        // The time at the last `timeupdate`: `end` is when playback crosses it, not when
        // a seek lands past it.
        let last = StoredValue::new(f64::NAN);
        let video = v.clone();
        let on_time = move |_| {
            let t = p.now();
            let before = last.get_value();
            last.set_value(t);
            let Some(end) = o.with_value(|o| o.end) else { return };
            if !video.paused() && before < end && t >= end && t - before < 1.5 {
                if o.with_value(|o| o.looped) {
                    p.seek_to(o.with_value(EmbedOptions::loop_start));
                } else {
                    let _ = video.pause();
                    p.seek_to(end);
                }
            }
        };
        let video = v.clone();
        let on_ended = move |_| {
            // The player marks the end first (a broadcast's part ending is not it).
            if o.with_value(|o| o.looped) && p.ended.get_untracked() {
                p.seek_to(o.with_value(EmbedOptions::loop_start));
                play(&video);
            }
        };
        let video = v.clone();
        let on_volume = move |_| {
            if !video.muted() {
                let _ = unmute.try_set(false);
            }
        };
        let target: &web_sys::EventTarget = v.as_ref();
        listeners.set_value(vec![
            browser::listen(target, "timeupdate", on_time),
            browser::listen(target, "ended", on_ended),
            browser::listen(target, "volumechange", on_volume),
        ]);
    });
}

/// Plays with sound if the browser lets it; if it refuses, muted, with the offer to
/// turn the sound on.
pub fn autoplay(v: &HtmlVideoElement, unmute: RwSignal<bool>) {
    let Ok(first) = v.play() else { return };
    let v = v.clone();
    leptos::task::spawn_local(async move {
        if JsFuture::from(first).await.is_ok() || v.muted() || !v.paused() {
            return;
        }
        v.set_muted(true);
        if let Ok(second) = v.play()
            && JsFuture::from(second).await.is_ok()
        {
            let _ = unmute.try_set(true);
        }
    });
}

/// After a muted autoplay: a button to turn the sound on.
#[component]
pub fn UnmuteOffer(unmute: RwSignal<bool>) -> impl IntoView {
    let (i18n, p) = (use_i18n(), use_player());
    view! {
        <Show when=move || unmute.get() && p.muted.get()>
            <button class="unmute-offer button" on:click=move |_| {
                if let Some(v) = p.video() { v.set_muted(false); }
                unmute.set(false);
            }>
                <svg viewBox="0 0 24 24" aria-hidden="true"><path d="M3 9v6h4l5 5V4L7 9zm13.5 3A4.5 4.5 0 0 0 14 8v8a4.5 4.5 0 0 0 2.5-4z"/></svg>
                {move || i18n.t(Key::TapToUnmute)}
            </button>
        </Show>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(q: &str) -> EmbedOptions {
        let q = q.to_string();
        EmbedOptions::from_query(move |name| crate::router::query_value(&q, name))
    }

    #[test]
    fn defaults() {
        assert_eq!(parse(""), EmbedOptions::default());
        assert_eq!(EmbedOptions::default().query(), "");
        let d = EmbedOptions::default();
        assert!(d.controls && d.title && !d.autoplay && !d.muted && !d.looped);
    }

    #[test]
    fn every_parameter() {
        let o = parse("?start=20&end=25&autoplay=1&muted=1&loop=1&controls=0&lang=zh-CN&title=0");
        assert_eq!(
            o,
            EmbedOptions {
                start: Some(20.0),
                end: Some(25.0),
                autoplay: true,
                muted: true,
                looped: true,
                controls: false,
                lang: Some(Locale::ZhCn),
                title: false,
            }
        );
        assert_eq!(o.query(), "?start=20&end=25&autoplay=1&muted=1&loop=1&controls=0&lang=zh-CN&title=0");
        assert_eq!(parse(&o.query()), o, "round trip");
        assert_eq!(parse("?lang=en").lang, Some(Locale::En));
        assert_eq!(parse("?autoplay=true&controls=false").query(), "?autoplay=1&controls=0");
    }

    #[test]
    fn t_is_the_start_and_takes_its_formats() {
        assert_eq!(parse("?t=1m30s").start, Some(90.0));
        assert_eq!(parse("?t=1:30").start, Some(90.0));
        assert_eq!(parse("?start=1m&t=5").start, Some(60.0), "start wins over t");
        assert_eq!(parse("?start=bad&t=5").start, Some(5.0));
    }

    #[test]
    fn invalid_values_keep_the_defaults() {
        let o = parse("?start=-3&end=abc&autoplay=yes&muted=2&loop=&controls=maybe&lang=fr&title=no");
        assert_eq!(o, EmbedOptions::default());
        assert_eq!(parse("?start=30&end=20").end, None, "an end before the start");
        assert_eq!(parse("?end=0").end, None);
        assert_eq!(parse("?start=30&end=20").start, Some(30.0));
    }

    #[test]
    fn the_iframe_code() {
        assert_eq!(
            iframe_code("https://r.example/embed/replays/3?start=20", "A \"live\" <show> & more"),
            "<iframe src=\"https://r.example/embed/replays/3?start=20\" width=\"640\" height=\"360\" \
             title=\"A &quot;live&quot; &lt;show> &amp; more\" allow=\"autoplay; fullscreen; picture-in-picture\" \
             allowfullscreen style=\"border:0\"></iframe>"
        );
    }
}
