//! Posters and storyboards.
pub mod make;
pub mod picture;
pub mod plan;
pub mod vtt;
