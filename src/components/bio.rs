use leptos::prelude::*;

use crate::format::{Segment, linkify};

/// A bio as plain text: line breaks kept (by CSS), http(s) links clickable. Never HTML.
#[component]
pub fn Bio(text: String) -> impl IntoView {
    let parts = linkify(&text)
        .into_iter()
        .map(|s| match s {
            Segment::Text(t) => t.into_any(),
            Segment::Link(href) => {
                let label = href.clone();
                view! { <a href=href rel="noopener nofollow ugc" target="_blank">{label}</a> }.into_any()
            }
        })
        .collect_view();
    view! { <p class="bio">{parts}</p> }
}
