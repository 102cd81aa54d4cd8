//! Mute and volume.

use leptos::prelude::*;

use super::controls::icon;
use super::state::use_player;
use crate::format::decimal;
use crate::i18n::{Key, use_i18n};

#[component]
pub fn Volume() -> impl IntoView {
    let (i18n, p) = (use_i18n(), use_player());
    let shown = move || if p.muted.get() { 0.0 } else { p.volume.get() };
    view! {
        <div class="volume">
            <button class="icon-button" on:click=move |_| p.toggle_mute()
                aria-label=move || i18n.t(if p.muted.get() { Key::Unmute } else { Key::Mute })>
                {move || if p.muted.get() || p.volume.get() == 0.0 {
                    icon("M4 9v6h4l5 5V4L8 9H4zm12.6 3 2.7-2.7-1.4-1.4-2.7 2.7-2.7-2.7-1.4 1.4 2.7 2.7-2.7 2.7 1.4 1.4 2.7-2.7 2.7 2.7 1.4-1.4z")
                } else {
                    icon("M4 9v6h4l5 5V4L8 9H4zm12.5 3A4.5 4.5 0 0 0 14 8v8a4.5 4.5 0 0 0 2.5-4z")
                }}
            </button>
            <input class="volume-input" type="range" min="0" max="1" step="0.05"
                prop:value=shown
                aria-label=move || i18n.t(Key::Volume)
                aria-valuetext=move || format!("{}%", decimal(shown() * 100.0, 0))
                on:input=move |ev| {
                    let x = event_target::<web_sys::HtmlInputElement>(&ev).value_as_number();
                    if x.is_finite() { p.set_volume(x) }
                }
            />
        </div>
    }
}
