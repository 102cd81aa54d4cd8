//! Relive's web app: the streamer directory, profile pages with history replays, and
//! the replay player. Client-side rendered with Leptos; data from the server's `/api/v1`.

pub mod api;
pub mod pages;

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::pages::{Directory, NotFound, Profile};

#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <header class="site-header">
                <a class="brand" href="/">"Relive"</a>
            </header>
            <main id="main">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=Directory/>
                    <Route path=path!("/u/:streamer") view=Profile/>
                </Routes>
            </main>
        </Router>
    }
}
