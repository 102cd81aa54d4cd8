use leptos::prelude::*;
use relive_api::{Replay, ReplayStatus, Streamer};

use super::directory::replay_count;
use crate::api::{self, FetchError};
use crate::components::{Avatar, Bio, EmptyState, ErrorState, PagedList, Placeholders, ReplayCard, ReplayCardSkeleton};
use crate::format;
use crate::i18n::{Key, fill, use_i18n};
use crate::paging::{Pager, StreamerReplays};
use crate::router::Route;

pub const REPLAY_PAGE: u32 = 12;

/// `/u/:streamer`: a streamer's profile and their history replays.
#[component]
pub fn Profile(id: String) -> impl IntoView {
    let i18n = use_i18n();
    let streamer = LocalResource::new({
        let id = id.clone();
        move || api::streamer(id.clone())
    });
    let pager = Pager::new(StreamerReplays { streamer_id: id.clone(), page_size: REPLAY_PAGE });
    let retry_all = move || {
        streamer.refetch();
        pager.load_more();
    };
    view! {
        {move || match streamer.get() {
            None => view! { <ProfileHeaderSkeleton/> }.into_any(),
            Some(Ok(s)) => {
                crate::browser::set_document_title(&format!("{} · Relive", s.display_name));
                view! { <ProfileHeader streamer=s recording=newest_recording(pager)/> }.into_any()
            }
            Some(Err(FetchError::NotFound)) => view! { <EmptyState title=Key::StreamerNotFound/> }.into_any(),
            Some(Err(_)) => view! { <ErrorState on_retry=retry_all/> }.into_any(),
        }}
        <Show when=move || !matches!(streamer.get(), Some(Err(FetchError::NotFound)))>
            <section class="replays" aria-labelledby="replays-heading">
                <h2 id="replays-heading">{move || i18n.t(Key::HistoryReplays)}</h2>
                <ReplayGrid pager href=move |r: &relive_api::Replay| Route::watch(&r.streamer_id, r.id).href()/>
            </section>
        </Show>
    }
}

/// Whether the streamer's newest broadcast (the first of their replays) is being recorded.
pub fn newest_recording(pager: Pager<StreamerReplays>) -> Signal<bool> {
    Signal::derive(move || pager.items.with(|items| items.first().is_some_and(|r| r.status == ReplayStatus::Recording)))
}

/// Name, photo, one badge (recording now, else live), figures and bio.
#[component]
pub fn ProfileHeader(
    streamer: Streamer,
    #[prop(optional)] compact: bool,
    /// The newest broadcast is being recorded: "Recording now" instead of "LIVE".
    #[prop(optional)]
    recording: Option<Signal<bool>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let s = StoredValue::new(streamer);
    let live = s.read_value().live;
    let badge = move || {
        let recording = recording.is_some_and(|r| r.get());
        (recording || live).then(|| {
            let key = if recording { Key::StatusRecording } else { Key::Live };
            view! { <span class="live-badge" data-status=recording.then_some("recording")>{move || i18n.t(key)}</span> }
        })
    };
    view! {
        <header class="profile-header" class:compact=compact>
            <Avatar name=s.read_value().display_name.clone() url=s.read_value().avatar_url.clone() size=if compact { "md" } else { "xl" }/>
            <div class="profile-text">
                <h1 class="profile-name">
                    {s.read_value().display_name.clone()}
                    {badge}
                </h1>
                <p class="profile-stats muted">
                    {move || replay_count(i18n.get(), s.read_value().replay_count)}" · "
                    {move || fill(i18n.t(Key::TotalRecorded), &[("d", &format::total(s.read_value().total_duration_secs, i18n.get()))])}
                </p>
                {(!compact && !s.read_value().bio.is_empty()).then(|| view! { <Bio text=s.read_value().bio.clone()/> })}
            </div>
        </header>
    }
}

#[component]
fn ProfileHeaderSkeleton() -> impl IntoView {
    view! {
        <header class="profile-header skeleton" aria-busy="true">
            <span class="avatar avatar-xl"></span>
            <div class="profile-text"><span class="line"></span><span class="line short"></span></div>
        </header>
    }
}

/// A streamer's replays as a grid of cards, loading more as it scrolls into view, with
/// skeletons, an empty state and an error state with retry.
#[component]
pub fn ReplayGrid(
    pager: Pager<StreamerReplays>,
    href: impl Fn(&relive_api::Replay) -> String + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let placeholders = Placeholders {
        skeleton: ViewFn::from(|| {
            view! {
                <div class="replay-grid" aria-busy="true">{(0..6).map(|_| view! { <ReplayCardSkeleton/> }).collect_view()}</div>
            }
        }),
        empty: ViewFn::from(|| view! { <EmptyState title=Key::NoReplays hint=Key::NoReplaysHint/> }),
    };
    view! {
        <PagedList pager class="replay-grid" key=|r: &Replay| r.id item=move |r| view! { <ReplayCard href=href(&r) replay=r/> }.into_any() placeholders/>
    }
}
