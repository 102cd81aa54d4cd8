//! Playback speed.

use leptos::prelude::*;

use super::state::use_player;
use crate::format::{decimal, parse_decimal};
use crate::i18n::{Key, use_i18n};

/// Playback speeds as the select spells them (strings: no float formatting needed).
const SPEEDS: [&str; 7] = ["0.5", "0.75", "1", "1.25", "1.5", "1.75", "2"];

#[component]
pub fn Speed() -> impl IntoView {
    let (i18n, p) = (use_i18n(), use_player());
    view! {
        <label class="speed">
            <span class="visually-hidden">{move || i18n.t(Key::Speed)}</span>
            <select prop:value=move || decimal(p.rate.get(), 2)
                on:change=move |ev| {
                    if let Some(r) = parse_decimal(&event_target_value(&ev)) { p.choose_rate(r) }
                }>
                {SPEEDS.iter().map(|&s| view! {
                    <option value=s>{move || if s == "1" { i18n.t(Key::SpeedNormal).to_string() } else { format!("{s}×") }}</option>
                }).collect_view()}
            </select>
        </label>
    }
}
