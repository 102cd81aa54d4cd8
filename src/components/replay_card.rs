use leptos::prelude::*;
use relive_api::Replay;
use wasm_bindgen::JsCast;

use super::broadcast::{StatusBadge, card_formats, status_key};
use crate::browser;
use crate::format::{self, hue};
use crate::i18n::{Key, fill, use_i18n};

/// A replay (a broadcast) in a grid or list: its poster (the picture the server made,
/// lazy-loaded over the generated gradient, which stays while it loads, when there is
/// none or when it fails) with duration, formats
/// and status, title, when, how many parts, size. The relative date shows the absolute
/// one on hover and focus. A broadcast with nothing in yet links to its page too.
#[component]
pub fn ReplayCard(replay: Replay, href: String, #[prop(optional)] current: bool) -> impl IntoView {
    let i18n = use_i18n();
    let r = StoredValue::new(replay);
    let title = move || display_title(&r.read_value(), i18n.get());
    let poster_style = format!("--hue: {}", hue(&format!("{}{}", r.read_value().streamer_id, r.read_value().id)));
    let duration = r.read_value().duration_secs;
    let start = r.read_value().start_time;
    let status = r.read_value().status;
    let parts = r.read_value().parts.len();
    let formats = card_formats(&r.read_value());
    let offset = browser::utc_offset_minutes();
    let poster_img = r.read_value().poster_url.clone().map(|src| view! { <PosterImage src/> });
    let label = move || match status_key(status) {
        Some(k) => fill(i18n.t(Key::WatchReplayStatus), &[("title", &title()), ("status", i18n.t(k))]),
        None => fill(i18n.t(Key::WatchReplay), &[("title", &title())]),
    };
    view! {
        <a class="replay-card" class:current=current href=href data-status=status.as_str()
            aria-current=move || current.then_some("true")
            aria-label=label>
            <span class="poster" style=poster_style aria-hidden="true">
                {poster_img}
                <svg class="poster-play" viewBox="0 0 24 24"><path d="M8 5v14l11-7z"/></svg>
                {(duration > 0.0).then(|| view! { <span class="badge duration">{format::clock(duration)}</span> })}
                <span class="poster-tags">
                    {(!formats.is_empty()).then(|| view! { <span class="badge format">{formats}</span> })}
                    <StatusBadge status failure=r.read_value().failure.clone() class="badge"/>
                </span>
                {current.then(|| view! { <span class="badge now">{move || i18n.t(Key::NowPlaying)}</span> })}
            </span>
            <span class="replay-meta">
                <span class="replay-title">{title}</span>
                <span class="replay-sub">
                    <time datetime=format::iso(start)>
                        <span class="rel">{move || format::relative(browser::now(), start, offset, i18n.get())}</span>
                        <span class="abs">{move || format::date_time(start, offset, i18n.get())}</span>
                    </time>
                    {(parts > 1).then(|| view! { <span class="parts-count">{move || format::parts_label(parts, i18n.get())}</span> })}
                    {move || (r.read_value().size_bytes > 0).then(|| view! { <span class="size">{format::size(r.read_value().size_bytes)}</span> })}
                </span>
            </span>
        </a>
    }
}

/// A poster over the generated gradient: decorative (what it shows is in the label
/// around it), filling the box it is in; hidden if it fails to load, so the gradient
/// shows.
#[component]
pub fn PosterImage(src: String) -> impl IntoView {
    view! {
        <img class="poster-img" src=src alt="" loading="lazy" decoding="async"
            on:error=|ev| {
                if let Some(img) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok()) {
                    img.set_hidden(true);
                }
            }/>
    }
}

/// A replay's title; the server's default (made from the date) is shown in the
/// viewer's own time zone and language instead.
pub fn display_title(r: &Replay, locale: crate::i18n::Locale) -> String {
    if r.title_is_default {
        format::date_time(r.start_time, browser::utc_offset_minutes(), locale)
    } else {
        r.title.clone()
    }
}

/// The shape of a card while its data loads.
#[component]
pub fn ReplayCardSkeleton() -> impl IntoView {
    view! {
        <div class="replay-card skeleton" aria-hidden="true">
            <span class="poster"></span>
            <span class="replay-meta"><span class="line"></span><span class="line short"></span></span>
        </div>
    }
}
