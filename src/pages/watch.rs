use leptos::either::Either;
use leptos::prelude::*;
use relive_api::{Replay, ReplayDetail};

use crate::api::{self, FetchError};
use crate::components::broadcast::playable;
use crate::components::player::{NextUp, Player};
use crate::components::{
    Avatar, BroadcastNote, BroadcastPanel, EmptyState, ErrorState, PagedList, PartsList, ReplayCard, display_title,
};
use crate::format::{self, parse_start_time};
use crate::i18n::{Key, fill, use_i18n};
use crate::paging::{Pager, StreamerReplays};
use crate::router::{Route, use_location};

/// `/u/:streamer/replays/:replay?t=95`: the player, what is playing, and the
/// streamer's other replays.
#[component]
pub fn Watch(replay: String) -> impl IntoView {
    match replay.parse::<i64>() {
        Ok(id) => view! { <WatchView id/> }.into_any(),
        Err(_) => view! { <EmptyState title=Key::ReplayNotFound/> }.into_any(),
    }
}

#[component]
fn WatchView(id: i64) -> impl IntoView {
    let detail = LocalResource::new(move || api::replay(id));
    view! {
        {move || match detail.get() {
            None => view! { <div class="watch-layout"><div class="player-skeleton skeleton" aria-busy="true"></div></div> }.into_any(),
            Some(Ok(d)) => view! { <WatchLoaded detail=d on_change=move || detail.refetch()/> }.into_any(),
            Some(Err(FetchError::NotFound)) => view! { <EmptyState title=Key::ReplayNotFound/> }.into_any(),
            Some(Err(_)) => view! { <ErrorState on_retry=move || detail.refetch()/> }.into_any(),
        }}
    }
}

/// The player (with a broadcast's parts under it, and a note while more may come), or
/// the panel that stands in for it while nothing can play yet; `on_change` loads the
/// replay again once something can.
#[component]
fn WatchLoaded(detail: ReplayDetail, #[prop(into)] on_change: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let start_at = use_location().query("t").and_then(|t| parse_start_time(&t));
    let ReplayDetail { replay, streamer } = detail;
    let r = StoredValue::new(replay.clone());
    let title = Signal::derive(move || display_title(&r.read_value(), i18n.get()));
    crate::browser::set_document_title(&format!("{} · {} · Relive", title.get_untracked(), streamer.display_name));

    let others = Pager::new(StreamerReplays { streamer_id: streamer.id.clone(), page_size: 20 });
    let next = Signal::derive(move || {
        others.items.with(|items| {
            let pos = items.iter().position(|x| x.id == r.read_value().id)?;
            items.get(pos + 1).map(|n| NextUp {
                title: display_title(n, i18n.get()),
                href: Route::watch(&n.streamer_id, n.id).href(),
            })
        })
    });
    let offset = crate::browser::utc_offset_minutes();
    let name = streamer.display_name.clone();
    let stage = if playable(&replay) {
        let (parts, gaps) = (replay.parts.clone(), replay.gaps.clone());
        let several = parts.len() > 1;
        let note = replay.clone();
        Either::Left(view! {
            <Player replay=replay.clone() watch_path=Route::watch(&replay.streamer_id, replay.id).href() start_at=start_at
                next=next autoplay=true title=title mini=true>
                <BroadcastNote replay=note/>
                {several.then(|| view! { <PartsList parts gaps/> })}
            </Player>
        })
    } else {
        Either::Right(view! { <BroadcastPanel replay=replay.clone() on_change/> })
    };
    view! {
        <div class="watch-layout">
            <div class="watch-main">
                {stage}
                <h1 class="watch-title">{title}</h1>
                <p class="watch-meta">
                    <a class="watch-streamer" href=Route::profile(&streamer.id).href()>
                        <Avatar name=streamer.display_name.clone() url=streamer.avatar_url.clone() size="sm"/>
                        {streamer.display_name.clone()}
                    </a>
                    <span class="muted">
                        <time datetime=format::iso(replay.start_time)>{move || format::date_time(r.read_value().start_time, offset, i18n.get())}</time>
                        {(replay.duration_secs > 0.0).then(|| view! { " · " {move || format::duration_words(r.read_value().duration_secs, i18n.get())} })}
                    </span>
                    // Streamers keep their own copy: every part in one file.
                    {(!replay.parts.is_empty()).then(|| view! {
                        <a class="download-link" href=crate::api::download_url(replay.id) download="">{move || i18n.t(Key::DownloadMp4)}</a>
                    })}
                </p>
            </div>
            <aside class="watch-side" aria-labelledby="more-heading">
                <h2 id="more-heading">{move || fill(i18n.t(Key::MoreFrom), &[("name", &name)])}</h2>
                <PagedList pager=others class="replay-list" key=|x: &Replay| x.id item=move |x: Replay| view! {
                    <ReplayCard current=x.id == r.read_value().id href=Route::watch(&x.streamer_id, x.id).href() replay=x/>
                }.into_any()/>
            </aside>
        </div>
    }
}
