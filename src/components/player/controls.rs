//! The control bar: the seek bar above a row of play, volume, time, speed, share,
//! embed, picture-in-picture and full screen.

use leptos::prelude::*;

use super::seek_bar::SeekBar;
use super::share::{EmbedButton, ShareButton};
use super::speed::Speed;
use super::state::use_player;
use super::volume::Volume;
use crate::browser;
use crate::format::clock;
use crate::i18n::{Key, use_i18n};

pub fn icon(path: &'static str) -> impl IntoView {
    view! { <svg viewBox="0 0 24 24" aria-hidden="true"><path d=path/></svg> }
}

#[component]
pub fn Controls(watch_path: String, title: Option<Signal<String>>) -> impl IntoView {
    let (i18n, p) = (use_i18n(), use_player());
    let pip_supported = browser::has_true(&browser::window().document().unwrap().into(), "pictureInPictureEnabled");
    view! {
        <div class="player-controls" on:pointerdown=move |ev| ev.stop_propagation()>
            <SeekBar/>
            <div class="control-row">
                <button class="icon-button" on:click=move |_| p.play_pause()
                    aria-label=move || i18n.t(if p.playing.get() { Key::Pause } else { Key::Play })>
                    {move || if p.playing.get() { icon("M6 5h4v14H6zM14 5h4v14h-4z") } else { icon("M8 5v14l11-7z") }}
                </button>
                <Volume/>
                <span class="time" aria-hidden="true">
                    <span class="time-current">{move || clock(p.current.get())}</span>
                    <span class="time-total">" / "{move || clock(p.duration.get())}</span>
                </span>
                <span class="spacer"></span>
                <Speed/>
                <ShareButton watch_path/>
                <EmbedButton title/>
                {pip_supported.then(|| view! {
                    <button class="icon-button" on:click=move |_| p.toggle_pip() aria-label=move || i18n.t(Key::PictureInPicture)>
                        {icon("M19 11h-8v6h8zm4 8V5a2 2 0 0 0-2-2H3a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h18a2 2 0 0 0 2-2zm-2 0H3V5h18z")}
                    </button>
                })}
                <button class="icon-button" on:click=move |_| p.toggle_fullscreen()
                    aria-label=move || i18n.t(if p.fullscreen.get() { Key::ExitFullscreen } else { Key::Fullscreen })>
                    {move || if p.fullscreen.get() {
                        icon("M5 16h3v3h2v-5H5zm3-8H5v2h5V5H8zm6 11h2v-3h3v-2h-5zm2-11V5h-2v5h5V8z")
                    } else {
                        icon("M7 14H5v5h5v-2H7zm-2-4h2V7h3V5H5zm12 7h-3v2h5v-5h-2zM14 5v2h3v3h2V5z")
                    }}
                </button>
            </div>
        </div>
    }
}
