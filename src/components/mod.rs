//! Pieces the pages are built from.

mod avatar;
mod bio;
mod header;
mod paged_list;
mod replay_card;
mod sentinel;
mod status;

pub mod broadcast;
pub mod player;

pub use avatar::Avatar;
pub use bio::Bio;
pub use broadcast::{BroadcastNote, BroadcastPanel, PartsList, StatusBadge};
pub use header::SiteHeader;
pub use paged_list::{PagedList, Placeholders};
pub use replay_card::{ReplayCard, ReplayCardSkeleton, display_title};
pub use sentinel::Sentinel;
pub use status::{EmptyState, ErrorState, LoadMoreFooter};
