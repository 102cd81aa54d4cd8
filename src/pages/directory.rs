use leptos::prelude::*;

use crate::api;

/// `/`: every streamer, newest first.
#[component]
pub fn Directory() -> impl IntoView {
    let page = LocalResource::new(|| api::streamers(None));
    view! {
        <h1>"Streamers"</h1>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || page.get().map(|r| match r {
                Ok(p) => view! {
                    <ul class="streamer-list">
                        {p.items.into_iter().map(|s| view! {
                            <li><a href=format!("/u/{}", api::encode(&s.id))>{s.display_name}</a></li>
                        }).collect_view()}
                    </ul>
                }.into_any(),
                Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
            })}
        </Suspense>
    }
}
