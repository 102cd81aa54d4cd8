//! The store's half of files that are gone (`crate::gone`): marking parts gone (their
//! host answered 404/410, or their storage time ran out), the periodic check's
//! bookkeeping, and the admin's view of a broadcast with its gone parts.
//!
//! A part gone leaves the public timeline; a broadcast whose every part (not deleted) is
//! gone leaves the public lists, the streamer's figures and `broadcast` reads by the
//! public routes — its `gone_at` is kept in the same transaction as its parts'.

use super::postgres::Scope;
use super::{Ingest, NewReplay, Store, StoreError, queries, unix_now};
use crate::store::BroadcastRow;

/// What marking a part gone did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartGone {
    pub part: i64,
    pub broadcast: Option<i64>,
    /// Its broadcast has no part left that is not gone: it left the public lists.
    pub broadcast_gone: bool,
}

/// A part whose file is due for a check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileCheck {
    pub part: i64,
    /// As stored (never signed).
    pub url: String,
    /// When it was stored (Unix seconds).
    pub arrived_at: i64,
}

impl Store {
    /// As [`Store::record_replay`], and in the same transaction the part's expiry (when
    /// its service deletes it, Unix seconds); a part already past it is gone at once.
    pub async fn record_replay_expiring(&self, r: NewReplay, expires_at: i64) -> Result<Ingest, StoreError> {
        let g = self.grouping;
        self.write(Scope::Streamer(r.streamer_id.clone()), move |c| {
            queries::gone::record_part_expiring(c, &r, &g, expires_at, unix_now())
        })
        .await
    }

    /// Marks a part's file gone at `at`: it leaves the timeline (an alternate recording of
    /// the same time takes its place), and its broadcast leaves the lists if no part is
    /// left. `None` if it was gone or deleted already, or is unknown.
    pub async fn mark_part_gone(&self, part: i64, at: i64) -> Result<Option<PartGone>, StoreError> {
        self.write(Scope::Id(part), move |c| queries::gone::mark_gone(c, part, at)).await
    }

    /// Marks gone, at their expiry, the parts whose storage time ran out by `now`.
    pub async fn expire_parts(&self, now: i64) -> Result<Vec<PartGone>, StoreError> {
        self.write(Scope::Everything, move |c| queries::gone::expire(c, now)).await
    }

    /// Up to `limit` parts, neither gone nor deleted, whose file was last checked at or
    /// before `before` (never checked: 0), longest ago first.
    pub async fn files_to_check(&self, before: i64, limit: u32) -> Result<Vec<FileCheck>, StoreError> {
        self.read(move |c| queries::gone::due_checks(c, before, limit)).await
    }

    /// A part neither gone nor deleted, to check.
    pub async fn file_to_check(&self, part: i64) -> Result<Option<FileCheck>, StoreError> {
        self.read(move |c| queries::gone::file_to_check(c, part)).await
    }

    /// Notes that these parts' files were checked at `at`.
    pub async fn files_checked(&self, parts: Vec<i64>, at: i64) -> Result<(), StoreError> {
        self.write(Scope::Rows, move |c| queries::gone::mark_checked(c, &parts, at)).await
    }

    /// The broadcast any of its ids names (not deleted; hidden and gone ones included),
    /// with every timeline part, gone ones too, each with its `gone_at`: the admin's view.
    pub async fn broadcast_with_gone(&self, id: i64) -> Result<Option<BroadcastRow>, StoreError> {
        self.read(move |c| queries::gone::broadcast_with_gone(c, id)).await
    }
}
