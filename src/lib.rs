//! Relive's web app (placeholder until the app lands).
use leptos::prelude::*;

#[component]
pub fn App() -> impl IntoView {
    view! { <main><h1>"Relive"</h1></main> }
}
