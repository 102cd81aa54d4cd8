use leptos::prelude::*;

use crate::i18n::{Key, use_i18n};
use crate::paging::LoadState;

/// Nothing to show, said kindly.
#[component]
pub fn EmptyState(title: Key, #[prop(optional)] hint: Option<Key>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="empty-state" role="status">
            <svg viewBox="0 0 48 48" aria-hidden="true"><rect x="6" y="10" width="36" height="26" rx="4"/><path d="M21 18v10l8-5z"/></svg>
            <p class="empty-title">{move || i18n.t(title)}</p>
            {hint.map(|h| view! { <p class="empty-hint">{move || i18n.t(h)}</p> })}
        </div>
    }
}

/// A failure with a way out.
#[component]
pub fn ErrorState(
    #[prop(into)] on_retry: Callback<()>,
    #[prop(default = Key::LoadFailed)] message: Key,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="error-state" role="alert">
            <p>{move || i18n.t(message)}</p>
            <button class="button" on:click=move |_| on_retry.run(())>{move || i18n.t(Key::Retry)}</button>
        </div>
    }
}

/// Below a paged list: a "load more" button (the fallback to scrolling), a spinner,
/// the error with retry, or the end.
#[component]
pub fn LoadMoreFooter(
    #[prop(into)] state: Signal<LoadState>,
    #[prop(into)] has_more: Signal<bool>,
    #[prop(into)] any: Signal<bool>,
    #[prop(into)] on_more: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        match (state.get(), has_more.get(), any.get()) {
        (LoadState::Failed, _, true) => view! { <ErrorState on_retry=on_more/> }.into_any(),
        (LoadState::Loading, _, true) => view! {
            <p class="list-footer" role="status"><span class="spinner" aria-hidden="true"></span>{i18n.t(Key::Loading)}</p>
        }.into_any(),
        (LoadState::Idle, true, true) => view! {
            <p class="list-footer"><button class="button" on:click=move |_| on_more.run(())>{i18n.t(Key::LoadMore)}</button></p>
        }.into_any(),
        (LoadState::Idle, false, true) => view! { <p class="list-footer muted">{i18n.t(Key::EndOfList)}</p> }.into_any(),
        _ => ().into_any(),
    }
    }
}
