//! The seek bar's preview: the storyboard's tile for the time under the pointer (or
//! being dragged to), above the time. The storyboard (`Replay::storyboard_url`, a
//! WebVTT of sprite-sheet tiles, [`crate::storyboard`]) is fetched once, when the bar
//! is first hovered or dragged.
//!
//! A tile shows at [`PREVIEW_WIDTH`] whatever its size: the sheet is the background of
//! a box of the tile's own size, moved to the tile, and that box scaled (so the sheet's
//! own size need not be known). The element carries the tile as `data-url` and
//! `data-xywh`, for tests that check what it shows.

use leptos::prelude::*;

use super::state::PlayerState;
use crate::api;
use crate::format::decimal;
use crate::storyboard::{Rect, Storyboard, Tile};

/// The width a tile shows at (CSS pixels).
pub const PREVIEW_WIDTH: f64 = 160.0;
/// The tip around the preview: its padding on each side (see `.seek-tip.with-preview`).
pub const TIP_PADDING: f64 = 3.0;

/// A tile of `rect` shown `width` wide: its scale and its height.
pub fn tile_box(rect: Rect, width: f64) -> (f64, f64) {
    let scale = width / f64::from(rect.w.max(1));
    (scale, (f64::from(rect.h) * scale).round())
}

/// Where a tip `tip_width` wide starts (from the bar's left) to be centred on `x`,
/// but inside a bar `bar_width` wide (at its left edge if the bar is narrower).
pub fn tip_left(x: f64, tip_width: f64, bar_width: f64) -> f64 {
    (x - tip_width / 2.0).min(bar_width - tip_width).max(0.0)
}

/// A URL inside CSS `url("…")`.
fn css_url(url: &str) -> String {
    url.replace('\\', "%5C").replace('"', "%22").replace(['\n', '\r'], "")
}

/// The storyboard of a player: none until asked for, then fetched once.
#[derive(Clone, Copy)]
pub struct Previews {
    board: RwSignal<Option<Storyboard>>,
    asked: StoredValue<bool>,
}

impl Previews {
    pub fn new() -> Self {
        Previews { board: RwSignal::new(None), asked: StoredValue::new(false) }
    }

    /// Fetches the storyboard the first time the bar is hovered or dragged.
    pub fn want(self, p: PlayerState) {
        if self.asked.get_value() {
            return;
        }
        self.asked.set_value(true);
        let Some(url) = p.replay.read_value().storyboard_url.clone() else { return };
        let board = self.board;
        leptos::task::spawn_local(async move {
            match api::text(&url).await {
                Ok(text) => {
                    let _ = board.try_set(Some(Storyboard::parse(&text, &url)));
                }
                Err(_) => web_sys::console::warn_1(&format!("storyboard {url}: not loaded").into()),
            }
        });
    }

    /// The tile for `t` seconds, if there is a storyboard and a tile there.
    pub fn tile_at(self, t: f64) -> Option<Tile> {
        self.board.with(|b| b.as_ref().and_then(|b| b.tile_at(t).cloned()))
    }
}

impl Default for Previews {
    fn default() -> Self {
        Self::new()
    }
}

/// A tile at [`PREVIEW_WIDTH`].
#[component]
pub fn SeekPreview(tile: Tile) -> impl IntoView {
    let Rect { x, y, w, h } = tile.rect;
    let (scale, height) = tile_box(tile.rect, PREVIEW_WIDTH);
    // (Numbers through `decimal`: core's float formatting would weigh on the download.)
    let sheet = format!(
        "width:{w}px;height:{h}px;background-image:url(\"{}\");background-position:-{x}px -{y}px;transform:scale({})",
        css_url(&tile.url),
        decimal(scale, 4)
    );
    view! {
        <span class="seek-preview" data-url=tile.url data-xywh=format!("{x},{y},{w},{h}")
            style=format!("width:{}px;height:{}px", decimal(PREVIEW_WIDTH, 0), decimal(height, 0))>
            <span class="seek-preview-tile" style=sheet></span>
        </span>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tile_shows_at_the_preview_width() {
        let r = |w, h| Rect { x: 0, y: 0, w, h };
        assert_eq!(tile_box(r(160, 90), 160.0), (1.0, 90.0));
        assert_eq!(tile_box(r(320, 180), 160.0), (0.5, 90.0));
        assert_eq!(tile_box(r(80, 60), 160.0), (2.0, 120.0), "4:3, scaled up");
        assert_eq!(tile_box(r(0, 60), 160.0).0, 160.0, "no division by zero");
    }

    #[test]
    fn the_tip_stays_inside_the_bar() {
        assert_eq!(tip_left(500.0, 166.0, 1000.0), 417.0, "centred on the pointer");
        assert_eq!(tip_left(10.0, 166.0, 1000.0), 0.0, "at the left edge");
        assert_eq!(tip_left(995.0, 166.0, 1000.0), 834.0, "at the right edge");
        assert_eq!(tip_left(50.0, 166.0, 120.0), 0.0, "a bar narrower than the tip: from its left");
    }

    #[test]
    fn urls_are_quoted_for_css() {
        assert_eq!(css_url(r#"/a "b"\c.jpg"#), "/a %22b%22%5Cc.jpg");
    }
}
