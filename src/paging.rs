//! Loading a cursor-paged list one page at a time (infinite scroll and "load more").

use std::future::Future;

use leptos::prelude::*;
use leptos::task::spawn_local;
use relive_api::{Replay, Streamer};

use crate::api::{self, FetchError};

/// Where pages come from.
pub trait PageSource: Clone + Send + Sync + 'static {
    type Item: Clone + Send + Sync + 'static;
    fn fetch(
        &self,
        cursor: Option<String>,
    ) -> impl Future<Output = Result<(Vec<Self::Item>, Option<String>), FetchError>>;
}

/// The streamer directory.
#[derive(Clone)]
pub struct StreamerDirectory;

impl PageSource for StreamerDirectory {
    type Item = Streamer;
    async fn fetch(&self, cursor: Option<String>) -> Result<(Vec<Streamer>, Option<String>), FetchError> {
        api::streamers(cursor).await.map(|p| (p.items, p.next_cursor))
    }
}

/// One streamer's replays, newest first.
#[derive(Clone)]
pub struct StreamerReplays {
    pub streamer_id: String,
    pub page_size: u32,
}

impl PageSource for StreamerReplays {
    type Item = Replay;
    async fn fetch(&self, cursor: Option<String>) -> Result<(Vec<Replay>, Option<String>), FetchError> {
        api::replays(self.streamer_id.clone(), cursor, self.page_size).await.map(|p| (p.items, p.next_cursor))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadState {
    Loading,
    Idle,
    Failed,
}

/// A list growing page by page. Copy: hand it to as many closures as need it.
pub struct Pager<S: PageSource> {
    pub items: RwSignal<Vec<S::Item>>,
    pub state: RwSignal<LoadState>,
    next: RwSignal<Option<String>>,
    /// No page fetched yet, or the last fetch said there is more.
    more: RwSignal<bool>,
    source: StoredValue<S>,
}

impl<S: PageSource> Clone for Pager<S> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<S: PageSource> Copy for Pager<S> {}

impl<S: PageSource> Pager<S> {
    /// Starts loading the first page at once.
    pub fn new(source: S) -> Self {
        let p = Pager {
            items: RwSignal::new(Vec::new()),
            state: RwSignal::new(LoadState::Idle),
            next: RwSignal::new(None),
            more: RwSignal::new(true),
            source: StoredValue::new(source),
        };
        p.load_more();
        p
    }

    pub fn has_more(self) -> bool {
        self.more.get()
    }

    /// Fetches the next page unless one is loading or there is none. After a failure
    /// this is also the retry.
    pub fn load_more(self) {
        if self.state.get_untracked() == LoadState::Loading || !self.more.get_untracked() {
            return;
        }
        self.state.set(LoadState::Loading);
        let source = self.source.get_value();
        let cursor = self.next.get_untracked();
        spawn_local(async move {
            let result = source.fetch(cursor).await;
            // The page may have gone while we waited: then there is nothing to update.
            match result {
                Ok((items, next)) => {
                    let _ = self.items.try_update(|v| v.extend(items));
                    let _ = self.more.try_set(next.is_some());
                    let _ = self.next.try_set(next);
                    let _ = self.state.try_set(LoadState::Idle);
                }
                Err(_) => {
                    let _ = self.state.try_set(LoadState::Failed);
                }
            }
        });
    }
}
