//! One component for every list that grows page by page: the directory, a profile's
//! replays (also embedded), and the watch page's "more from".

use std::hash::Hash;

use leptos::prelude::*;

use super::{ErrorState, LoadMoreFooter, Sentinel};
use crate::paging::{LoadState, PageSource, Pager};

/// What a list on its own (not beside something else) shows before it has items:
/// `skeleton` while the first page loads, `empty` when there are none, an error with
/// Retry when loading failed. Such a list also loads more as its end scrolls into view.
pub struct Placeholders {
    pub skeleton: ViewFn,
    pub empty: ViewFn,
}

/// The items of `pager` in a `<ul>` (`item` renders each `<li>`) or a `<div>` of class
/// `class`, with a footer to load more (a button, a spinner, the error, or the end).
///
/// `key` and `item` are a function pointer and a callback, so that one copy of this
/// component serves every list of the same items (smaller than one per page).
#[component]
pub fn PagedList<S, K>(
    pager: Pager<S>,
    class: &'static str,
    /// A `<ul>` rather than a `<div>`.
    #[prop(optional)]
    ul: bool,
    key: fn(&S::Item) -> K,
    #[prop(into)] item: Callback<S::Item, AnyView>,
    #[prop(optional)] placeholders: Option<Placeholders>,
) -> impl IntoView
where
    S: PageSource,
    K: Eq + Hash + 'static,
{
    let more = move || pager.load_more();
    let empty = move || pager.items.with(Vec::is_empty);
    let each = move || pager.items.get();
    let item = move |x| item.run(x);
    let list = if ul {
        view! { <ul class=class><For each key children=item/></ul> }.into_any()
    } else {
        view! { <div class=class><For each key children=item/></div> }.into_any()
    };
    let standalone = placeholders.is_some();
    let status = placeholders.map(|Placeholders { skeleton, empty: none }| {
        move || match (empty(), pager.state.get()) {
            (true, LoadState::Loading) => skeleton.run(),
            (true, LoadState::Failed) => view! { <ErrorState on_retry=more/> }.into_any(),
            (true, LoadState::Idle) => none.run(),
            _ => ().into_any(),
        }
    });
    view! {
        {status}
        {list}
        <LoadMoreFooter state=pager.state has_more=Signal::derive(move || pager.has_more())
            any=Signal::derive(move || !empty()) on_more=more/>
        {standalone.then(|| view! {
            <Show when=move || pager.has_more() && pager.state.get() == LoadState::Idle && !empty()>
                <Sentinel on_visible=more/>
            </Show>
        })}
    }
}
