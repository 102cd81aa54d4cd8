//! What shows over the picture: the embed's title bar, the buffering spinner, the big
//! play button, an error with Retry, the offer to resume, and what is up next.

use leptos::prelude::*;

use super::NextUp;
use super::state::use_player;
use crate::format::clock;
use crate::i18n::{Key, fill, use_i18n};

/// Inside an iframe: the title, linking out to the watch page.
#[component]
pub fn TopBar(title: Signal<String>, href: String) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="player-topbar">
            <a class="player-title" href=href target="_blank" rel="noopener">{title}</a>
            <span class="player-brand">{move || i18n.t(Key::WatchOnRelive)}</span>
        </div>
    }
}

#[component]
pub fn Spinner() -> impl IntoView {
    let (i18n, p) = (use_i18n(), use_player());
    view! {
        <Show when=move || p.waiting.get() && p.playing.get() && p.error.get().is_none()>
            <div class="player-spinner" role="status"><span class="spinner" aria-hidden="true"></span>
                <span class="visually-hidden">{move || i18n.t(Key::Buffering)}</span></div>
        </Show>
    }
}

/// The first play.
#[component]
pub fn BigPlay() -> impl IntoView {
    let (i18n, p) = (use_i18n(), use_player());
    view! {
        <Show when=move || !p.started.get() && p.error.get().is_none() && !p.playing.get()>
            <button class="big-play" aria-label=move || i18n.t(Key::Play) on:click=move |_| p.play_pause()>
                <svg viewBox="0 0 24 24" aria-hidden="true"><path d="M8 5v14l11-7z"/></svg>
            </button>
        </Show>
    }
}

/// What went wrong, and Retry (from where it stopped).
#[component]
pub fn ErrorOverlay() -> impl IntoView {
    let (i18n, p) = (use_i18n(), use_player());
    move || {
        p.error.get().map(|key| {
            view! {
                <div class="player-error" role="alert">
                    <p>{i18n.t(key)}</p>
                    <button class="button" on:click=move |_| p.retry()>{i18n.t(Key::Retry)}</button>
                </div>
            }
        })
    }
}

/// "Resume from 12:34" or start over, when the position was remembered.
#[component]
pub fn ResumeOffer() -> impl IntoView {
    let (i18n, p) = (use_i18n(), use_player());
    move || {
        p.resume_offer.get().map(|t| {
            view! {
                <div class="resume-offer">
                    <button class="button" on:click=move |_| { p.seek_to(t); p.play_pause() }>
                        {fill(i18n.t(Key::ResumeFrom), &[("time", &clock(t))])}
                    </button>
                    <button class="button ghost" on:click=move |_| p.resume_offer.set(None)>{i18n.t(Key::StartOver)}</button>
                </div>
            }
        })
    }
}

/// When the replay ended: the next one.
#[component]
pub fn UpNext(next: MaybeProp<NextUp>) -> impl IntoView {
    let (i18n, p) = (use_i18n(), use_player());
    move || {
        next.get().filter(|_| p.ended.get()).map(|n| {
            view! {
                <div class="up-next">
                    <p class="up-next-label">{i18n.t(Key::UpNext)}</p>
                    <p class="up-next-title">{n.title}</p>
                    <a class="button" href=n.href>{i18n.t(Key::PlayNext)}</a>
                </div>
            }
        })
    }
}
