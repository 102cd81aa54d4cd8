//! The seek bar: what is buffered, what is played, a range input to seek with, and
//! the time under the pointer.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::state::use_player;
use crate::format::{clock, decimal};
use crate::i18n::{Key, fill, use_i18n};

#[component]
pub fn SeekBar() -> impl IntoView {
    let (i18n, p) = (use_i18n(), use_player());
    let valuetext =
        move || fill(i18n.t(Key::SeekValue), &[("time", &clock(p.current.get())), ("total", &clock(p.duration.get()))]);
    let hover = move |ev: leptos::ev::PointerEvent| {
        let Some(el) = ev.current_target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else { return };
        let rect = el.get_bounding_client_rect();
        if rect.width() > 0.0 {
            let f = ((ev.client_x() as f64 - rect.left()) / rect.width()).clamp(0.0, 1.0);
            p.scrub.set(Some(f * p.duration.get_untracked()));
        }
    };
    view! {
        <div class="seek" on:pointermove=hover on:pointerleave=move |_| p.scrub.set(None)>
            <div class="seek-track" aria-hidden="true">
                {move || p.buffered.get().into_iter().map(|(a, b)| {
                    let style = format!("left:{}%;width:{}%", decimal(p.percent(a), 2), decimal((p.percent(b) - p.percent(a)).max(0.0), 2));
                    view! { <span class="seek-buffered" style=style></span> }
                }).collect_view()}
                <span class="seek-played" style=move || format!("width:{}%", decimal(p.percent(p.current.get()), 2))></span>
            </div>
            <input
                class="seek-input"
                type="range"
                min="0"
                step="any"
                prop:max=move || p.duration.get().max(0.0)
                prop:value=move || p.current.get()
                aria-label=move || i18n.t(Key::Seek)
                aria-valuetext=valuetext
                on:input=move |ev| {
                    let t = event_target::<web_sys::HtmlInputElement>(&ev).value_as_number();
                    if t.is_finite() { p.scrub.set(Some(t)); p.seek_to(t) }
                }
                on:change=move |_| p.scrub.set(None)
            />
            {move || p.scrub.get().map(|t| view! {
                <span class="seek-tip" style=format!("left:{}%", decimal(p.percent(t), 2)) aria-hidden="true">{clock(t)}</span>
            })}
        </div>
    }
}
