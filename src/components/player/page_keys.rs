//! The player's shortcuts at page level, as on YouTube and Bilibili: on the watch and
//! embed pages its keys work whenever nothing that takes keys itself has focus (a text
//! field, a button, a link, another control), not only once the player region has it.
//! Space then never scrolls the page. Inside the player its own handler answers
//! ([`PlayerState::on_key`]), as before.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::state::PlayerState;

/// What owns its keys: typing, pressing, choosing, moving within. A key with focus in
/// (or on) one of these is left to it.
pub const INTERACTIVE: &str = "input, textarea, select, button, a[href], area[href], summary, iframe, object, embed, \
     audio[controls], video[controls], [contenteditable]:not([contenteditable=\"false\"]), [role=button], [role=link], \
     [role=textbox], [role=searchbox], [role=combobox], [role=listbox], [role=option], [role=slider], [role=spinbutton], \
     [role=checkbox], [role=radio], [role=switch], [role=tab], [role=menu], [role=menuitem], [role=menubar], \
     [role=tree], [role=grid], [role=dialog]";

/// Answers the player's keys on the whole page while the player is there.
pub fn install(p: PlayerState) {
    let handle = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.default_prevented() || ev.is_composing() {
            return;
        }
        if let Some(target) = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) {
            // In the player: its own handler has had the key.
            if target.closest(".player").ok().flatten().is_some() {
                return;
            }
            if target.closest(INTERACTIVE).ok().flatten().is_some() {
                return;
            }
        }
        p.on_key(ev);
    });
    on_cleanup(move || handle.remove());
}
