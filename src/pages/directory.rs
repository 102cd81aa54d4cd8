use leptos::prelude::*;
use relive_api::Streamer;

use crate::components::{Avatar, EmptyState, PagedList, Placeholders};
use crate::format;
use crate::i18n::{Key, fill, use_i18n};
use crate::paging::{Pager, StreamerDirectory};
use crate::router::Route;

/// `/`: every streamer, newest first.
#[component]
pub fn Directory() -> impl IntoView {
    let i18n = use_i18n();
    crate::browser::set_document_title("Relive");
    let placeholders = Placeholders {
        skeleton: ViewFn::from(|| {
            view! {
                <ul class="streamer-grid" aria-busy="true">
                    {(0..6).map(|_| view! { <li class="streamer-card skeleton" aria-hidden="true"><span class="avatar avatar-lg"></span><span class="line"></span></li> }).collect_view()}
                </ul>
            }
        }),
        empty: ViewFn::from(|| view! { <EmptyState title=Key::DirectoryEmpty/> }),
    };
    let item = move |s: Streamer| {
        view! {
            <li>
                <a class="streamer-card" href=Route::profile(&s.id).href()>
                    <Avatar name=s.display_name.clone() url=s.avatar_url.clone() size="lg"/>
                    <span class="streamer-card-name">{s.display_name.clone()}</span>
                    {s.live.then(|| view! { <span class="live-badge">{move || i18n.t(Key::Live)}</span> })}
                    <span class="muted">{move || replay_count(i18n.get(), s.replay_count)}" · "
                        {move || format::total(s.total_duration_secs, i18n.get())}</span>
                </a>
            </li>
        }
        .into_any()
    };
    view! {
        <h1 class="page-title">{move || i18n.t(Key::Streamers)}</h1>
        <PagedList pager=Pager::new(StreamerDirectory) class="streamer-grid" ul=true key=|s: &Streamer| s.id.clone() item placeholders/>
    }
}

pub fn replay_count(locale: crate::i18n::Locale, n: u64) -> String {
    if n == 1 {
        locale.text(Key::ReplaysOne).into()
    } else {
        fill(locale.text(Key::ReplaysMany), &[("n", &n.to_string())])
    }
}
