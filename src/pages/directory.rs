use leptos::prelude::*;

use super::profile_href;
use crate::components::{Avatar, EmptyState, ErrorState, LoadMoreFooter, Sentinel};
use crate::format;
use crate::i18n::{Key, fill, use_i18n};
use crate::paging::{LoadState, Pager, StreamerDirectory};

/// `/`: every streamer, newest first.
#[component]
pub fn Directory() -> impl IntoView {
    let i18n = use_i18n();
    crate::browser::set_document_title("Relive");
    let pager = Pager::new(StreamerDirectory);
    let more = move || pager.load_more();
    view! {
        <h1 class="page-title">{move || i18n.t(Key::Streamers)}</h1>
        {move || {
            let (empty, state) = (pager.items.with(Vec::is_empty), pager.state.get());
            match (empty, state) {
                (true, LoadState::Loading) => view! {
                    <ul class="streamer-grid" aria-busy="true">
                        {(0..6).map(|_| view! { <li class="streamer-card skeleton" aria-hidden="true"><span class="avatar avatar-lg"></span><span class="line"></span></li> }).collect_view()}
                    </ul>
                }.into_any(),
                (true, LoadState::Failed) => view! { <ErrorState on_retry=more/> }.into_any(),
                (true, LoadState::Idle) => view! { <EmptyState title=Key::DirectoryEmpty/> }.into_any(),
                _ => ().into_any(),
            }
        }}
        <ul class="streamer-grid">
            <For each=move || pager.items.get() key=|s| s.id.clone() let:s>
                <li>
                    <a class="streamer-card" href=profile_href(&s.id)>
                        <Avatar name=s.display_name.clone() url=s.avatar_url.clone() size="lg"/>
                        <span class="streamer-card-name">{s.display_name.clone()}</span>
                        {s.live.then(|| view! { <span class="live-badge">{move || i18n.t(Key::Live)}</span> })}
                        <span class="muted">{move || replay_count(i18n.get(), s.replay_count)}" · "
                            {move || format::total(s.total_duration_secs, i18n.get())}</span>
                    </a>
                </li>
            </For>
        </ul>
        <LoadMoreFooter state=pager.state has_more=Signal::derive(move || pager.has_more())
            any=Signal::derive(move || !pager.items.with(Vec::is_empty)) on_more=more/>
        <Show when=move || pager.has_more() && pager.state.get() == LoadState::Idle>
            <Sentinel on_visible=more/>
        </Show>
    }
}

pub fn replay_count(locale: crate::i18n::Locale, n: u64) -> String {
    if n == 1 {
        locale.text(Key::ReplaysOne).into()
    } else {
        fill(locale.text(Key::ReplaysMany), &[("n", &n.to_string())])
    }
}
