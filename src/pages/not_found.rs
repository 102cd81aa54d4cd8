use leptos::prelude::*;

use crate::i18n::{Key, use_i18n};

/// Any address the app has no page for.
#[component]
pub fn NotFound() -> impl IntoView {
    let i18n = use_i18n();
    crate::browser::set_document_title("404 · Relive");
    view! {
        <section class="not-found">
            <p class="not-found-code" aria-hidden="true">"404"</p>
            <h1>{move || i18n.t(Key::NotFoundTitle)}</h1>
            <p class="muted">{move || i18n.t(Key::NotFoundBody)}</p>
            <p><a class="button" href="/">{move || i18n.t(Key::BackHome)}</a></p>
        </section>
    }
}
