//! Relive's web app: the streamer directory, profile pages with history replays, and
//! the replay player. Client-side rendered with Leptos; data from the server's `/api/v1`.
//! `src/README.md` tells how the parts fit and how to add to them.
//!
//! - [`router`]: the routes, parsed from and made into addresses ([`router::Route`]), and
//!   links that stay in the app.
//! - [`pages`]: one component per route.
//! - [`api`]: the HTTP calls and every `/api/v1` address; [`paging`]: lists that grow
//!   page by page.
//! - [`components`]: the pieces pages share — the paged list, cards, states — and the
//!   [`components::player`], a state in context with its parts around it.
//! - [`engine`]: plays what the browser cannot (FLV) through Media Source Extensions,
//!   with a remuxing Web Worker (`src/bin/file_worker.rs`) spoken to in
//!   [`engine::protocol`].
//! - [`i18n`]: zh-CN and English catalogs; [`format`]: pure formatting and parsing;
//!   [`storyboard`]: the seek bar's previews (a WebVTT of sprite-sheet tiles).
//! - [`browser`]: thin wrappers over the web APIs used.

pub mod api;
pub mod browser;
pub mod components;
pub mod engine;
pub mod format;
pub mod i18n;
pub mod pages;
pub mod paging;
pub mod router;
pub mod storyboard;
#[cfg(test)]
mod testing;

use leptos::prelude::*;

use crate::components::SiteHeader;
use crate::i18n::{I18n, Locale};
use crate::pages::{Directory, EmbedProfile, EmbedReplay, NotFound, Playground, Profile, Watch};
use crate::router::{Route, provide_location};

/// Where the viewer's language choice is remembered.
pub const LOCALE_KEY: &str = "relive:locale";

#[component]
pub fn App() -> impl IntoView {
    let initial = browser::storage_get(LOCALE_KEY)
        .and_then(|t| Locale::from_tag(&t))
        .unwrap_or_else(|| Locale::negotiate(browser::preferred_languages().iter().map(String::as_str)));
    let i18n = I18n { locale: RwSignal::new(initial) };
    provide_context(i18n);
    Effect::new(move |_| browser::set_html_lang(i18n.get().tag()));
    view! { <Shell/> }
}

/// Site chrome around the routes; embeds get none.
#[component]
fn Shell() -> impl IntoView {
    let location = provide_location();
    let route = Memo::new(move |_| Route::parse(&location.path.read()));
    let embed = Memo::new(move |_| route.read().is_embed());
    Effect::new(move |_| {
        if let Some(body) = browser::window().document().and_then(|d| d.body()) {
            let _ = body.class_list().toggle_with_force("embedded", embed.get());
        }
    });
    view! {
        <Show when=move || !embed.get()>
            <SiteHeader/>
        </Show>
        <main id="main" tabindex="-1">
            // A new route or new parameters: a fresh page.
            {move || match route.get() {
                Route::Directory => view! { <Directory/> }.into_any(),
                Route::Profile { streamer } => view! { <Profile id=streamer/> }.into_any(),
                Route::Watch { replay, .. } => view! { <Watch replay/> }.into_any(),
                Route::EmbedReplay { replay } => view! { <EmbedReplay replay/> }.into_any(),
                Route::EmbedProfile { streamer } => view! { <EmbedProfile id=streamer/> }.into_any(),
                Route::EmbedPlayground => view! { <Playground/> }.into_any(),
                Route::NotFound => view! { <NotFound/> }.into_any(),
            }}
        </main>
    }
}
