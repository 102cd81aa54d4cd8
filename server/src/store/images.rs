//! The store's half of posters and storyboards (`crate::images`): what the images job
//! made of each part (or why it could not), Tencent's screenshots (event 200), and the
//! reads that put them on replays — one query for a whole page of broadcasts.

use super::postgres::Scope;
use super::{ReplayRow, Store, StoreError, queries, unix_now};

/// Where a part's images stand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImagesState {
    /// Poster and storyboard written under `--images-dir`.
    Made,
    /// The job could not make them (see `error`).
    Failed,
    /// The recording service's screenshots cover the part: nothing of our own.
    None,
}

impl ImagesState {
    pub fn as_str(self) -> &'static str {
        match self {
            ImagesState::Made => "made",
            ImagesState::Failed => "failed",
            ImagesState::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<ImagesState> {
        match s {
            "made" => Some(ImagesState::Made),
            "failed" => Some(ImagesState::Failed),
            "none" => Some(ImagesState::None),
            _ => None,
        }
    }
}

/// A part's storyboard: tiles packed into sprite sheets (`sheet-{n}.jpg`), `columns`
/// tiles to a row, `rows` rows to a sheet.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Storyboard {
    pub tile_width: u32,
    pub tile_height: u32,
    pub columns: u32,
    pub rows: u32,
    /// The planned spacing of tiles (ms).
    pub interval_ms: i64,
    /// Each tile's keyframe time, ms from the part's start, ascending.
    pub tiles: Vec<i64>,
}

impl Storyboard {
    /// Tile `i`'s sheet and its rectangle there (x, y, w, h).
    pub fn place(&self, i: usize) -> (usize, [u32; 4]) {
        let per_sheet = (self.columns * self.rows).max(1) as usize;
        let (sheet, j) = (i / per_sheet, (i % per_sheet) as u32);
        let columns = self.columns.max(1);
        (sheet, [(j % columns) * self.tile_width, (j / columns) * self.tile_height, self.tile_width, self.tile_height])
    }
}

/// What the images job left for a part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartImages {
    pub part: i64,
    pub state: ImagesState,
    pub error: Option<String>,
    /// A failure worth another try later (a host timing out, a 5xx).
    pub transient: bool,
    /// Tries so far (set by the store).
    pub attempts: u32,
    /// poster.jpg's width and height, when there is one.
    pub poster: Option<(u32, u32)>,
    /// The storyboard, when there is one.
    pub storyboard: Option<Storyboard>,
    pub made_at: i64,
}

impl PartImages {
    /// A failure: `transient` ones are tried again at a later start (a few times).
    pub fn failed(part: i64, error: String, transient: bool, now: i64) -> PartImages {
        PartImages {
            part,
            state: ImagesState::Failed,
            error: Some(error),
            transient,
            attempts: 0,
            poster: None,
            storyboard: None,
            made_at: now,
        }
    }
}

/// A screenshot as Tencent's event 200 announces it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewScreenshot {
    pub streamer_id: String,
    /// When the picture was taken (Unix seconds).
    pub create_time: i64,
    /// `pic_full_url`: where it can be fetched (http(s)).
    pub url: String,
    /// `pic_url` as given (a path).
    pub pic_url: Option<String>,
    pub width: u32,
    pub height: u32,
    pub file_size: Option<u64>,
    pub raw_payload: Option<String>,
}

/// Smaller than this, a screenshot is taken for a black frame.
pub const MIN_GOOD_SCREENSHOT_BYTES: u64 = 4096;

impl NewScreenshot {
    /// Worth showing: a picture size, an http(s) URL (or a path on this server, for the
    /// demo), and not tiny.
    pub fn good(&self) -> bool {
        self.width > 0
            && self.height > 0
            && (self.url.starts_with("https://") || self.url.starts_with("http://") || self.url.starts_with("/media/"))
            && self.file_size.is_none_or(|s| s >= MIN_GOOD_SCREENSHOT_BYTES)
    }
}

/// A stored good screenshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Screenshot {
    pub create_time: i64,
    pub url: String,
    pub width: u32,
    pub height: u32,
}

/// A broadcast whose pictures a list wants: its timeline parts (in order) and the
/// stream and time its screenshots are looked for in (inclusive).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PictureQuery {
    pub broadcast: i64,
    pub streamer_id: String,
    pub from: i64,
    pub to: i64,
    pub parts: Vec<i64>,
}

/// What a list shows of a broadcast's pictures.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pictures {
    /// Its timeline parts with a poster made, in timeline order.
    pub posters: Vec<i64>,
    /// Some part has storyboard tiles.
    pub tiles: bool,
    /// The first good screenshot in its extent.
    pub first_screenshot: Option<Screenshot>,
}

impl Store {
    /// Keeps what the images job made of a part (replacing an earlier try's), counting
    /// the tries.
    pub async fn save_part_images(&self, images: PartImages) -> Result<(), StoreError> {
        self.write(Scope::Id(images.part), move |c| queries::images::save_part_images(c, &images)).await
    }

    /// Stores a screenshot once per (stream, URL): false for a repeat.
    pub async fn record_screenshot(&self, s: NewScreenshot) -> Result<bool, StoreError> {
        self.write(Scope::Streamer(s.streamer_id.clone()), move |c| {
            queries::images::record_screenshot(c, &s, unix_now())
        })
        .await
    }

    /// What the images job left for these parts (those it has not looked at are absent).
    pub async fn part_images(&self, parts: Vec<i64>) -> Result<Vec<PartImages>, StoreError> {
        self.read(move |c| queries::images::part_images(c, &parts)).await
    }

    /// A stream's good screenshots taken from `from` to `to` (inclusive), by time; at
    /// most `limit`.
    pub async fn screenshots(
        &self,
        streamer_id: String,
        from: i64,
        to: i64,
        limit: u32,
    ) -> Result<Vec<Screenshot>, StoreError> {
        self.read(move |c| queries::images::screenshots(c, &streamer_id, from, to, limit)).await
    }

    /// The pictures of a page of broadcasts, in one read whatever the page's size: the
    /// parts' posters and tiles, and each broadcast's first good screenshot.
    pub async fn pictures(&self, queries: Vec<PictureQuery>) -> Result<Vec<(i64, Pictures)>, StoreError> {
        self.read(move |c| queries::images::pictures(c, &queries)).await
    }

    /// Parts that need images, newest first, with ids below `before`: on the timeline,
    /// not deleted or gone, with video (FLV, MP4, HLS), and never looked at — or failed
    /// for a passing reason fewer than `max_attempts` times.
    pub async fn parts_needing_images(
        &self,
        before: i64,
        limit: u32,
        max_attempts: u32,
    ) -> Result<Vec<ReplayRow>, StoreError> {
        self.read(move |c| queries::images::parts_needing_images(c, before, limit, max_attempts)).await
    }
}
