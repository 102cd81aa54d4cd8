//! One page per route.

mod directory;
mod embed;
mod not_found;
mod profile;
mod watch;

pub use directory::Directory;
pub use embed::{EmbedProfile, EmbedReplay};
pub use not_found::NotFound;
pub use profile::Profile;
pub use watch::Watch;

/// The address of a replay's watch page.
pub fn watch_href(streamer_id: &str, replay_id: i64) -> String {
    format!("/u/{}/replays/{replay_id}", crate::api::encode(streamer_id))
}

pub fn profile_href(streamer_id: &str) -> String {
    format!("/u/{}", crate::api::encode(streamer_id))
}
