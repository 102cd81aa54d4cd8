//! One page per route.

mod directory;
mod not_found;
mod profile;

pub use directory::Directory;
pub use not_found::NotFound;
pub use profile::Profile;
