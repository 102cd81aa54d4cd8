//! The seek bar: what is buffered, what is played, a broadcast's gaps and part
//! boundaries, a range input to seek with, and the time under the pointer or being
//! dragged to (with the gap there, if any, and the storyboard's tile, [`super::preview`]).

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::preview::{PREVIEW_WIDTH, SeekPreview, TIP_PADDING, tip_left};
use super::state::use_player;
use crate::components::broadcast::{Mark, gap_near};
use crate::format::{clock, decimal, duration_words};
use crate::i18n::{Key, fill, use_i18n};

/// How near (in pixels) the pointer must be to a gap for the tip to tell it.
const GAP_HOVER_PX: f64 = 8.0;

#[component]
pub fn SeekBar() -> impl IntoView {
    let (i18n, p) = (use_i18n(), use_player());
    let valuetext =
        move || fill(i18n.t(Key::SeekValue), &[("time", &clock(p.current.get())), ("total", &clock(p.duration.get()))]);
    // Seconds of the timeline under GAP_HOVER_PX, at the bar's width when last hovered.
    let tolerance = StoredValue::new(0.0);
    let previews = p.previews;
    let bar = NodeRef::<leptos::html::Div>::new();
    let hover = move |ev: leptos::ev::PointerEvent| {
        previews.want(p);
        let Some(el) = ev.current_target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else { return };
        let rect = el.get_bounding_client_rect();
        if rect.width() > 0.0 {
            let f = ((ev.client_x() as f64 - rect.left()) / rect.width()).clamp(0.0, 1.0);
            let d = p.duration.get_untracked();
            tolerance.set_value(GAP_HOVER_PX / rect.width() * d);
            p.scrub.set(Some(f * d));
        }
    };
    let gap_words = move |secs: f64| fill(i18n.t(Key::GapMarker), &[("d", &duration_words(secs, i18n.get()))]);
    let marks = p.marks.get_value();
    let has_gaps = marks.iter().any(|m| matches!(m, Mark::Gap { .. }));
    // For screen readers, the gaps described on the slider (the marks themselves are drawn only).
    let gaps_id = format!("seek-gaps-{}", p.replay_id);
    let gaps_text = {
        let marks = marks.clone();
        move || {
            let mut text = String::new();
            for m in &marks {
                if let Mark::Gap { at, secs } = *m {
                    if !text.is_empty() {
                        text.push_str("; ");
                    }
                    text.push_str(&clock(at));
                    text.push_str(": ");
                    text.push_str(&gap_words(secs));
                }
            }
            text
        }
    };
    let mark_views = marks
        .into_iter()
        .map(|m| {
            let (class, gap) = match m {
                Mark::Gap { secs, .. } => ("gap-marker", Some(secs)),
                Mark::Boundary { .. } => ("part-tick", None),
            };
            view! {
                <span class=class style=move || format!("left:{}%", decimal(p.percent(m.at()), 2)) data-at=decimal(m.at(), 1)
                    data-gap-secs=gap.map(|s| decimal(s, 1)) title=move || gap.map(gap_words)></span>
            }
        })
        .collect_view();
    view! {
        <div class="seek seek-bar" node_ref=bar on:pointermove=hover on:pointerleave=move |_| p.scrub.set(None)>
            <div class="seek-track" aria-hidden="true">
                {move || p.buffered.get().into_iter().map(|(a, b)| {
                    let style = format!("left:{}%;width:{}%", decimal(p.percent(a), 2), decimal((p.percent(b) - p.percent(a)).max(0.0), 2));
                    view! { <span class="seek-buffered" style=style></span> }
                }).collect_view()}
                <span class="seek-played" style=move || format!("width:{}%", decimal(p.percent(p.current.get()), 2))></span>
                {mark_views}
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
                aria-describedby=has_gaps.then(|| gaps_id.clone())
                on:input=move |ev| {
                    let t = event_target::<web_sys::HtmlInputElement>(&ev).value_as_number();
                    if t.is_finite() { previews.want(p); p.scrub.set(Some(t)); p.seek_to(t) }
                }
                on:change=move |_| p.scrub.set(None)
            />
            {has_gaps.then(|| view! { <span id=gaps_id.clone() class="visually-hidden">{gaps_text}</span> })}
            {move || p.scrub.get().map(|t| {
                let gap = p.marks.with_value(|m| gap_near(m, t, tolerance.get_value()));
                let tile = previews.tile_at(t);
                let (with_preview, at_gap) = (tile.is_some(), gap.is_some());
                // With a tile: the tip (tile above time) kept inside the bar, in pixels.
                let left = match tile {
                    Some(_) => {
                        let width = bar.get_untracked().map_or(0.0, |b| f64::from(b.client_width()));
                        let left = tip_left(p.percent(t) / 100.0 * width, PREVIEW_WIDTH + 2.0 * TIP_PADDING, width);
                        format!("left:{}px", decimal(left, 1))
                    }
                    None => format!("left:{}%", decimal(p.percent(t), 2)),
                };
                view! {
                    <span class="seek-tip" class:with-preview=with_preview class:at-gap=at_gap style=left aria-hidden="true">
                        {tile.map(|tile| view! { <SeekPreview tile/> })}
                        <span class="seek-tip-time">{clock(t)}</span>
                        {gap.map(|secs| view! { <span class="seek-tip-gap">{gap_words(secs)}</span> })}
                    </span>
                }
            })}
        </div>
    }
}
