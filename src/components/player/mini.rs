//! The watch page's mini-player: scrolled out of view while it plays, the player docks
//! in the corner (fixed, bottom right, inside the safe area) and plays on; Close pauses
//! it and puts it back in its place, a tap on it scrolls back up to that place.
//!
//! The player sits in a slot that keeps its height while it is docked, so the page does
//! not move; an `IntersectionObserver` on the slot tells when it leaves the screen.
//! Embeds have no slot and never dock.

use leptos::html::Div;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{IntersectionObserver, IntersectionObserverEntry};

use super::state::{PlayerState, use_player};
use crate::i18n::{Key, use_i18n};

/// Whether the player is docked, and why not.
#[derive(Clone, Copy)]
pub struct Mini {
    pub slot: NodeRef<Div>,
    pub docked: RwSignal<bool>,
    /// The slot is off screen.
    out: RwSignal<bool>,
    /// Closed while off screen: stays in its place until the slot is seen again.
    dismissed: RwSignal<bool>,
}

/// Watches the slot and docks the player while it is off screen and playing (once
/// docked, a pause keeps it docked).
pub fn install(p: PlayerState) -> Mini {
    let m = Mini {
        slot: NodeRef::new(),
        docked: RwSignal::new(false),
        out: RwSignal::new(false),
        dismissed: RwSignal::new(false),
    };
    let observer = StoredValue::new_local(None::<(IntersectionObserver, Closure<dyn FnMut(js_sys::Array)>)>);
    Effect::new(move |_| {
        let Some(slot) = m.slot.get() else { return };
        let out = m.out;
        let callback = Closure::<dyn FnMut(js_sys::Array)>::new(move |entries: js_sys::Array| {
            if let Some(e) = entries.iter().last() {
                let _ = out.try_set(!e.unchecked_into::<IntersectionObserverEntry>().is_intersecting());
            }
        });
        let Ok(o) = IntersectionObserver::new(callback.as_ref().unchecked_ref()) else { return };
        o.observe(&slot);
        observer.set_value(Some((o, callback)));
    });
    on_cleanup(move || {
        if let Some(Some((o, _))) = observer.try_update_value(Option::take) {
            o.disconnect();
        }
    });
    Effect::new(move |_| {
        let (out, playing, dismissed, fullscreen) =
            (m.out.get(), p.playing.get(), m.dismissed.get(), p.fullscreen.get());
        if !out {
            m.docked.set(false);
            if dismissed {
                m.dismissed.set(false);
            }
        } else if fullscreen {
            m.docked.set(false);
        } else if playing && !dismissed {
            m.docked.set(true);
        }
    });
    m
}

/// On the docked player: a tap anywhere goes back to its place; Close pauses and undocks.
#[component]
pub fn MiniControls(mini: Mini) -> impl IntoView {
    let (i18n, p) = (use_i18n(), use_player());
    view! {
        <Show when=move || mini.docked.get()>
            <button class="mini-back" aria-label=move || i18n.t(Key::BackToPlayer)
                on:click=move |_| { if let Some(s) = mini.slot.get_untracked() { s.scroll_into_view() } }></button>
            <button class="icon-button mini-close" aria-label=move || i18n.t(Key::CloseMiniPlayer)
                on:click=move |_| {
                    if let Some(v) = p.video() { let _ = v.pause(); }
                    mini.dismissed.set(true);
                    mini.docked.set(false);
                }>
                {super::controls::icon("M19 6.4 17.6 5 12 10.6 6.4 5 5 6.4 10.6 12 5 17.6 6.4 19 12 13.4 17.6 19 19 17.6 13.4 12z")}
            </button>
        </Show>
    }
}
