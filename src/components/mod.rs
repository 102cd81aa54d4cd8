//! Pieces the pages are built from.

mod avatar;
mod bio;
mod header;
mod replay_card;
mod sentinel;
mod status;

pub mod player;

pub use avatar::Avatar;
pub use bio::Bio;
pub use header::SiteHeader;
pub use replay_card::{ReplayCard, ReplayCardSkeleton, display_title};
pub use sentinel::Sentinel;
pub use status::{EmptyState, ErrorState, LoadMoreFooter};
