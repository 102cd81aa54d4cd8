//! Pages for iframes on other sites: no site chrome, filling whatever size they get.

use leptos::prelude::*;

use super::profile::{ProfileHeader, REPLAY_PAGE, ReplayGrid, newest_recording};
use crate::api::{self, FetchError};
use crate::components::broadcast::playable;
use crate::components::player::{EmbedOptions, Player};
use crate::components::{BroadcastPanel, EmptyState, ErrorState, display_title};
use crate::i18n::{Key, use_i18n};
use crate::paging::{Pager, StreamerReplays};
use crate::router::{Route, use_location};

/// `/embed/replays/:replay`: just the player, with the title linking to Relive; while a
/// broadcast has nothing to play yet, the panel saying so. The address's parameters
/// (`start`, `end`, `autoplay`, `muted`, `loop`, `controls`, `lang`, `title`) are read
/// by [`EmbedOptions`]; the page that frames it may drive the player ([`embed_api`]).
///
/// [`embed_api`]: crate::components::player::embed_api
#[component]
pub fn EmbedReplay(replay: String) -> impl IntoView {
    let i18n = use_i18n();
    let id = replay.parse::<i64>().unwrap_or(-1);
    let location = use_location();
    let options = EmbedOptions::from_query(|name| location.query(name));
    // The page's language over the browser's (not remembered: the viewer's choice is).
    if let Some(lang) = options.lang {
        i18n.locale.set(lang);
    }
    let start_at = options.start;
    let detail = LocalResource::new(move || api::replay(id));
    view! {
        <div class="embed-fill">
            {move || match detail.get() {
                None => view! { <div class="player-skeleton skeleton" aria-busy="true"></div> }.into_any(),
                Some(Ok(d)) if !playable(&d.replay) => {
                    view! { <BroadcastPanel replay=d.replay on_change=move || detail.refetch()/> }.into_any()
                }
                Some(Ok(d)) => {
                    let r = StoredValue::new(d.replay.clone());
                    let title = Signal::derive(move || display_title(&r.read_value(), i18n.get()));
                    view! {
                        <Player replay=d.replay.clone() watch_path=Route::watch(&d.replay.streamer_id, d.replay.id).href()
                            start_at=start_at embed=true title=title options=options.clone()/>
                    }.into_any()
                }
                Some(Err(FetchError::NotFound)) => view! { <EmptyState title=Key::ReplayNotFound/> }.into_any(),
                Some(Err(_)) => view! { <ErrorState on_retry=move || detail.refetch()/> }.into_any(),
            }}
        </div>
    }
}

/// `/embed/u/:streamer`: a compact profile and its replays; replays play inside the frame.
#[component]
pub fn EmbedProfile(id: String) -> impl IntoView {
    let streamer = LocalResource::new({
        let id = id.clone();
        move || api::streamer(id.clone())
    });
    let pager = Pager::new(StreamerReplays { streamer_id: id, page_size: REPLAY_PAGE });
    view! {
        <div class="embed-profile">
            {move || match streamer.get() {
                None => ().into_any(),
                Some(Ok(s)) => view! { <ProfileHeader streamer=s compact=true recording=newest_recording(pager)/> }.into_any(),
                Some(Err(FetchError::NotFound)) => view! { <EmptyState title=Key::StreamerNotFound/> }.into_any(),
                Some(Err(_)) => view! { <ErrorState on_retry=move || streamer.refetch()/> }.into_any(),
            }}
            <ReplayGrid pager href=|r: &relive_api::Replay| Route::embed_replay(r.id).href()/>
        </div>
    }
}
