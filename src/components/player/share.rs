//! Sharing: a link to this moment (copied, or shown to copy), the embed code, the
//! "copied" toast, and the dialog with text to copy.

use leptos::prelude::*;
use leptos::task::spawn_local;
use send_wrapper::SendWrapper;

use super::controls::icon;
use super::state::{Dialog, use_player};
use crate::browser;
use crate::i18n::{Key, use_i18n};
use crate::router::Route;

/// The link to this replay at this moment: copied, or shown in a dialog to copy.
#[component]
pub fn ShareButton(watch_path: String) -> impl IntoView {
    let (i18n, p) = (use_i18n(), use_player());
    let share = move |_| {
        let link = format!("{}{}?t={}", browser::origin(), watch_path, p.now().floor() as u64);
        spawn_local(async move {
            if browser::copy_text(&link).await {
                p.flash(Key::LinkCopied);
            } else {
                p.dialog.set(Some(Dialog::Share(link)));
            }
        });
    };
    view! {
        <button class="icon-button" on:click=share aria-label=move || i18n.t(Key::Share)>
            {icon("M18 16a3 3 0 0 0-2.4 1.2l-6.7-3.4a3 3 0 0 0 0-1.6l6.7-3.4A3 3 0 1 0 15 7l-6.7 3.4a3 3 0 1 0 0 3.2L15 17a3 3 0 1 0 3-1z")}
        </button>
    }
}

/// The `<iframe>` code of this replay's embed page.
#[component]
pub fn EmbedButton(title: Option<Signal<String>>) -> impl IntoView {
    let (i18n, p) = (use_i18n(), use_player());
    let open = move |_| {
        let name = title.map(|t| t.get_untracked()).unwrap_or_default();
        let src = Route::EmbedReplay { replay: p.replay_id.to_string() }.href();
        let code = super::embed_options::iframe_code(&format!("{}{src}", browser::origin()), &name);
        p.dialog.set(Some(Dialog::Embed(code)));
    };
    view! {
        <button class="icon-button" on:click=open aria-label=move || i18n.t(Key::Embed)>
            {icon("M8.6 16.6 4 12l4.6-4.6L7.2 6 1.2 12l6 6zm6.8 0L20 12l-4.6-4.6L16.8 6l6 6-6 6z")}
        </button>
    }
}

/// "Link copied", for a moment.
#[component]
pub fn Toast() -> impl IntoView {
    let (i18n, p) = (use_i18n(), use_player());
    move || p.toast.get().map(|k| view! { <div class="player-toast" role="status">{i18n.t(k)}</div> })
}

/// The open dialog, if any.
#[component]
pub fn ShareDialog() -> impl IntoView {
    let p = use_player();
    move || {
        p.dialog.get().map(|d| {
            let (heading, text) = match d {
                Dialog::Share(l) => (Key::Share, l),
                Dialog::Embed(c) => (Key::EmbedCode, c),
            };
            view! { <CopyDialog heading text on_close=move || p.dialog.set(None)/> }
        })
    }
}

/// A small dialog with text to copy (a link, embed code).
#[component]
fn CopyDialog(heading: Key, text: String, #[prop(into)] on_close: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let area = NodeRef::<leptos::html::Textarea>::new();
    let copied = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(a) = area.get() {
            let _ = a.focus();
            a.select();
        }
    });
    let text = SendWrapper::new(text);
    let value = (*text).clone();
    let copy = move |_| {
        let t = (*text).clone();
        spawn_local(async move {
            if browser::copy_text(&t).await {
                let _ = copied.try_set(true);
            } else if let Some(a) = area.get_untracked() {
                a.select();
            }
        });
    };
    view! {
        <div class="copy-dialog" role="dialog" aria-label=move || i18n.t(heading)
            on:keydown=move |ev: leptos::ev::KeyboardEvent| if ev.key() == "Escape" { on_close.run(()) }>
            <p class="copy-dialog-title">{move || i18n.t(heading)}</p>
            <textarea node_ref=area readonly rows="3" aria-label=move || i18n.t(heading)>{value}</textarea>
            <div class="copy-dialog-actions">
                <button class="button" on:click=copy>{move || i18n.t(if copied.get() { Key::Copied } else { Key::Copy })}</button>
                <button class="button ghost" on:click=move |_| on_close.run(())>{move || i18n.t(Key::Close)}</button>
            </div>
        </div>
    }
}
