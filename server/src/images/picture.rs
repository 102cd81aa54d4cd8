//! Pictures: a keyframe decoded (OpenH264, in-process), scaled down by area averaging,
//! judged for darkness, written as JPEG, and tiles packed into sprite sheets. Blocking
//! and CPU-bound: run on the blocking pool.

use openh264::decoder::Decoder;
use openh264::formats::YUVSource;

/// Larger pictures are refused (a corrupt SPS could ask for gigabytes).
pub const MAX_SIDE: u32 = 8192;
/// JPEG quality of posters and of sprite sheets.
pub const POSTER_QUALITY: u8 = 82;
pub const SHEET_QUALITY: u8 = 75;
/// A picture whose mean luma (0–255) is below this is taken for a black frame.
pub const BLACK_LUMA: f64 = 20.0;

/// An RGB picture, 3 bytes a pixel, rows top to bottom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rgb {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

impl Rgb {
    pub fn new(width: u32, height: u32) -> Rgb {
        Rgb { width, height, data: vec![0; width as usize * height as usize * 3] }
    }

    /// A picture of one colour (tests).
    pub fn filled(width: u32, height: u32, rgb: [u8; 3]) -> Rgb {
        Rgb { width, height, data: rgb.iter().copied().cycle().take(width as usize * height as usize * 3).collect() }
    }
}

/// Decodes one keyframe (an Annex B access unit with its SPS and PPS) into RGB.
pub fn decode(decoder: &mut Decoder, annexb: &[u8]) -> Result<Rgb, String> {
    let to_rgb = |yuv: &openh264::decoder::DecodedYUV<'_>| -> Result<Rgb, String> {
        let (w, h) = yuv.dimensions();
        if w == 0 || h == 0 || w > MAX_SIDE as usize || h > MAX_SIDE as usize {
            return Err(format!("a picture of {w}×{h}"));
        }
        let mut rgb = Rgb::new(w as u32, h as u32);
        yuv.write_rgb8(&mut rgb.data);
        Ok(rgb)
    };
    let decoded = match decoder.decode(annexb).map_err(|e| format!("H.264 decoding failed: {e}"))? {
        Some(yuv) => Some(to_rgb(&yuv)?),
        None => None,
    };
    // A lone keyframe often waits in the decoder until it is flushed.
    let flushed = decoder.flush_remaining().map_err(|e| format!("H.264 decoding failed: {e}"))?;
    match decoded {
        Some(rgb) => Ok(rgb),
        None => flushed.last().map(to_rgb).unwrap_or_else(|| Err("the keyframe decoded to no picture".into())),
    }
}

/// `src` scaled to `width` × `height` by averaging the source pixels each output pixel
/// covers (a box filter; sharp enough for thumbnails, no aliasing when shrinking). Also
/// enlarges (then each output pixel takes its nearest source pixel).
pub fn downscale(src: &Rgb, width: u32, height: u32) -> Rgb {
    let (sw, sh) = (src.width as usize, src.height as usize);
    let (w, h) = (width.max(1) as usize, height.max(1) as usize);
    if (sw, sh) == (w, h) {
        return src.clone();
    }
    // Column spans: output x covers source columns xs[x]..xs[x + 1] (at least one).
    let span = |i: usize, n: usize, of: usize| -> (usize, usize) {
        let a = (i * of / n).min(of - 1);
        let b = ((i + 1) * of / n).clamp(a + 1, of);
        (a, b)
    };
    let cols: Vec<(usize, usize)> = (0..w).map(|x| span(x, w, sw)).collect();
    let mut out = Rgb::new(w as u32, h as u32);
    let mut acc = vec![0u32; w * 3];
    for y in 0..h {
        let (y0, y1) = span(y, h, sh);
        acc.iter_mut().for_each(|a| *a = 0);
        for sy in y0..y1 {
            let row = &src.data[sy * sw * 3..(sy + 1) * sw * 3];
            for (x, &(x0, x1)) in cols.iter().enumerate() {
                let (mut r, mut g, mut b) = (0u32, 0u32, 0u32);
                for px in row[x0 * 3..x1 * 3].chunks_exact(3) {
                    r += u32::from(px[0]);
                    g += u32::from(px[1]);
                    b += u32::from(px[2]);
                }
                acc[x * 3] += r;
                acc[x * 3 + 1] += g;
                acc[x * 3 + 2] += b;
            }
        }
        let dst = &mut out.data[y * w * 3..(y + 1) * w * 3];
        for (x, &(x0, x1)) in cols.iter().enumerate() {
            let n = ((x1 - x0) * (y1 - y0)) as u32;
            for c in 0..3 {
                dst[x * 3 + c] = ((acc[x * 3 + c] + n / 2) / n) as u8;
            }
        }
    }
    out
}

/// Mean luma (BT.601 weights, 0–255).
pub fn mean_luma(img: &Rgb) -> f64 {
    let n = (img.data.len() / 3).max(1) as f64;
    let sum: u64 =
        img.data.chunks_exact(3).map(|p| u64::from(p[0]) * 299 + u64::from(p[1]) * 587 + u64::from(p[2]) * 114).sum();
    sum as f64 / 1000.0 / n
}

/// Whether a picture is near black (a fade-in, a camera not yet open).
pub fn is_black(img: &Rgb) -> bool {
    mean_luma(img) < BLACK_LUMA
}

/// A baseline JPEG of `img` (4:2:0).
pub fn jpeg(img: &Rgb, quality: u8) -> Result<Vec<u8>, String> {
    let (w, h) = (u16::try_from(img.width), u16::try_from(img.height));
    let (Ok(w), Ok(h)) = (w, h) else { return Err(format!("{}×{} is too large for a JPEG", img.width, img.height)) };
    let mut out = Vec::with_capacity(img.data.len() / 10);
    let mut enc = jpeg_encoder::Encoder::new(&mut out, quality);
    enc.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
    enc.encode(&img.data, w, h, jpeg_encoder::ColorType::Rgb).map_err(|e| format!("JPEG encoding failed: {e}"))?;
    Ok(out)
}

/// Sprite sheets filled tile by tile: one sheet in memory at a time, written out (by
/// `write`) when full and at the end. A sheet with fewer tiles than a row is as wide as
/// its tiles; one with fewer rows is as tall as its rows.
pub struct Sheets<W: FnMut(usize, Vec<u8>) -> Result<(), String>> {
    tile: (u32, u32),
    columns: u32,
    rows: u32,
    sheet: Option<Rgb>,
    /// Tiles on the current sheet, and sheets written.
    on_sheet: u32,
    written: usize,
    write: W,
}

impl<W: FnMut(usize, Vec<u8>) -> Result<(), String>> Sheets<W> {
    pub fn new(tile: (u32, u32), columns: u32, rows: u32, write: W) -> Self {
        Sheets { tile, columns, rows, sheet: None, on_sheet: 0, written: 0, write }
    }

    pub fn tile_size(&self) -> (u32, u32) {
        self.tile
    }

    /// Adds a tile (scaled to the tile size if it is not).
    pub fn add(&mut self, tile: &Rgb) -> Result<(), String> {
        let (tw, th) = self.tile;
        let scaled;
        let tile = if (tile.width, tile.height) == (tw, th) {
            tile
        } else {
            scaled = downscale(tile, tw, th);
            &scaled
        };
        let (columns, rows) = (self.columns, self.rows);
        let sheet = self.sheet.get_or_insert_with(|| Rgb::new(columns * tw, rows * th));
        let (cx, cy) = (self.on_sheet % columns, self.on_sheet / columns);
        let stride = sheet.width as usize * 3;
        let row_len = tw as usize * 3;
        for y in 0..th as usize {
            let at = (cy as usize * th as usize + y) * stride + cx as usize * row_len;
            sheet.data[at..at + row_len].copy_from_slice(&tile.data[y * row_len..(y + 1) * row_len]);
        }
        self.on_sheet += 1;
        if self.on_sheet == columns * rows {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), String> {
        let Some(mut sheet) = self.sheet.take() else { return Ok(()) };
        let (tw, th) = self.tile;
        let used_rows = self.on_sheet.div_ceil(self.columns);
        if used_rows < self.rows {
            sheet.data.truncate(sheet.width as usize * (used_rows * th) as usize * 3);
            sheet.height = used_rows * th;
        }
        if self.on_sheet < self.columns {
            // One partial row: as wide as its tiles.
            let w = self.on_sheet * tw;
            let mut narrow = Rgb::new(w, sheet.height);
            for y in 0..sheet.height as usize {
                let from = y * sheet.width as usize * 3;
                narrow.data[y * w as usize * 3..(y + 1) * w as usize * 3]
                    .copy_from_slice(&sheet.data[from..from + w as usize * 3]);
            }
            sheet = narrow;
        }
        let bytes = jpeg(&sheet, SHEET_QUALITY)?;
        (self.write)(self.written, bytes)?;
        self.written += 1;
        self.on_sheet = 0;
        Ok(())
    }

    /// Writes the last sheet; how many were written.
    pub fn finish(mut self) -> Result<usize, String> {
        self.flush()?;
        Ok(self.written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downscaling_averages_the_area_each_pixel_covers() {
        // Left half red, right half blue, 4 × 2 → 2 × 1.
        let mut src = Rgb::filled(4, 2, [255, 0, 0]);
        for y in 0..2 {
            for x in 2..4 {
                src.data[(y * 4 + x) * 3..(y * 4 + x) * 3 + 3].copy_from_slice(&[0, 0, 255]);
            }
        }
        assert_eq!(downscale(&src, 2, 1).data, [255, 0, 0, 0, 0, 255]);
        // All of it into one pixel: the mean.
        assert_eq!(downscale(&src, 1, 1).data, [128, 0, 128]);
        // 1920 × 1080 of one colour stays that colour at any size.
        let big = Rgb::filled(1920, 1080, [10, 200, 30]);
        let small = downscale(&big, 160, 90);
        assert_eq!((small.width, small.height), (160, 90));
        assert!(small.data.chunks_exact(3).all(|p| p == [10, 200, 30]));
        // Sizes that do not divide evenly cover every source pixel once.
        let odd = downscale(&Rgb::filled(7, 5, [90, 90, 90]), 3, 2);
        assert!(odd.data.iter().all(|&v| v == 90));
        // Enlarging works too.
        assert_eq!(downscale(&Rgb::filled(1, 1, [1, 2, 3]), 2, 2).data, [1, 2, 3].repeat(4));
    }

    #[test]
    fn black_is_judged_by_mean_luma() {
        assert!(is_black(&Rgb::filled(8, 8, [0, 0, 0])));
        assert!(is_black(&Rgb::filled(8, 8, [16, 16, 16])));
        assert!(!is_black(&Rgb::filled(8, 8, [60, 60, 60])));
        assert!(!is_black(&Rgb::filled(8, 8, [0, 0, 255])), "pure blue is dark but not black: luma 29");
        assert!((mean_luma(&Rgb::filled(2, 2, [255, 255, 255])) - 255.0).abs() < 1e-9);
    }

    #[test]
    fn sheets_pack_tiles_row_by_row_and_shrink_the_last_one() {
        let mut written: Vec<(usize, Vec<u8>)> = Vec::new();
        let mut sheets = Sheets::new((4, 2), 3, 2, |n, bytes| {
            written.push((n, bytes));
            Ok(())
        });
        for i in 0..8u8 {
            sheets.add(&Rgb::filled(4, 2, [i * 30, 0, 0])).unwrap();
        }
        assert_eq!(sheets.finish().unwrap(), 2);
        let size = |jpeg: &[u8]| {
            // The SOF0 marker's height and width.
            let at = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
            let h = u16::from_be_bytes([jpeg[at + 5], jpeg[at + 6]]);
            let w = u16::from_be_bytes([jpeg[at + 7], jpeg[at + 8]]);
            (w, h)
        };
        assert_eq!(written.iter().map(|(n, _)| *n).collect::<Vec<_>>(), [0, 1]);
        assert_eq!(size(&written[0].1), (12, 4), "a full sheet: 3 × 2 tiles");
        assert_eq!(size(&written[1].1), (8, 2), "the last: 2 tiles in one row");
    }
}
