use leptos::prelude::*;

use crate::format::{hue, initials};

/// A streamer's photo, or their initials on a colour of their own when there is none
/// or it fails to load. Decorative: the name always stands beside it.
#[component]
pub fn Avatar(name: String, url: Option<String>, #[prop(default = "md")] size: &'static str) -> impl IntoView {
    let failed = RwSignal::new(false);
    let style = format!("--hue: {}", hue(&name));
    let letters = initials(&name);
    view! {
        <span class=format!("avatar avatar-{size}") style=style aria-hidden="true">
            {move || match url.clone().filter(|_| !failed.get()) {
                Some(src) => view! { <img src=src alt="" loading="lazy" on:error=move |_| failed.set(true)/> }.into_any(),
                None => view! { <span class="avatar-initials">{letters.clone()}</span> }.into_any(),
            }}
        </span>
    }
}
