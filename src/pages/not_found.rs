use leptos::prelude::*;

/// Any address the app has no page for.
#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <section class="empty-state">
            <h1>"Page not found"</h1>
            <p><a href="/">"Back to all streamers"</a></p>
        </section>
    }
}
