//! One page per route.

mod directory;
mod embed;
mod not_found;
mod playground;
mod profile;
mod watch;

pub use directory::Directory;
pub use embed::{EmbedProfile, EmbedReplay};
pub use not_found::NotFound;
pub use playground::Playground;
pub use profile::Profile;
pub use watch::Watch;
