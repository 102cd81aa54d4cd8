use leptos::prelude::*;

use crate::browser;
use crate::i18n::{Key, Locale, use_i18n};

/// The site bar: home link and language switch.
#[component]
pub fn SiteHeader() -> impl IntoView {
    let i18n = use_i18n();
    let on_change = move |ev: leptos::ev::Event| {
        if let Some(l) = Locale::from_tag(&event_target_value(&ev)) {
            i18n.locale.set(l);
            browser::storage_set(crate::LOCALE_KEY, l.tag());
        }
    };
    view! {
        <a class="skip-link" href="#main">{move || i18n.t(Key::SkipToContent)}</a>
        <header class="site-header">
            <a class="brand" href="/">
                <svg class="brand-mark" viewBox="0 0 32 32" aria-hidden="true"><rect width="32" height="32" rx="8"/><path d="M12 9.5v13l10-6.5z"/></svg>
                "Relive"
            </a>
            <label class="lang-switch">
                <span class="visually-hidden">{move || i18n.t(Key::Language)}</span>
                <select on:change=on_change prop:value=move || i18n.get().tag()>
                    {Locale::ALL.iter().map(|l| view! { <option value=l.tag()>{l.native_name()}</option> }).collect_view()}
                </select>
            </label>
        </header>
    }
}
