use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api;

/// `/u/:streamer`: a streamer's profile and history replays.
#[component]
pub fn Profile() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("streamer").unwrap_or_default();
    let streamer = LocalResource::new(move || api::streamer(id()));
    let replays = LocalResource::new(move || api::replays(id(), None, 20));
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || streamer.get().map(|r| match r {
                Ok(s) => view! { <h1 class="profile-name">{s.display_name}</h1><p class="bio">{s.bio}</p> }.into_any(),
                Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
            })}
            {move || replays.get().map(|r| match r {
                Ok(p) => view! {
                    <ul class="replay-list">
                        {p.items.into_iter().map(|r| view! { <li class="replay">{r.title}</li> }).collect_view()}
                    </ul>
                }.into_any(),
                Err(_) => ().into_any(),
            })}
        </Suspense>
    }
}
