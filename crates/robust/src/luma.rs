//! A whole image's luminance in memory, and the geometric steps profiles apply to it.
//!
//! Profiles work on luminance, not colour: PDQ only ever sees luminance, so cropping, trimming
//! and rotating it gives the same hash as doing so to the colour image first, at a third of
//! the memory and work.

use quell_pdq::LumaRows;

/// The sine and cosine of `degrees`, the same on every platform for the profiles' tilts (±3.5°
/// and ±4.5°): their values are fixed here as glibc computes them (what the golden vectors
/// were made with), since another libm, or a JavaScript engine (the page computes the same
/// hashes), may round the last bit otherwise. Any other angle is computed.
pub(crate) fn sin_cos_degrees(degrees: f64) -> (f64, f64) {
    const FIXED: [(f64, u64, u64); 2] = [
        (4.5, 0x3fb4_15e5_3239_8e49, 0x3fef_e6bf_2e26_60af),
        (3.5, 0x3faf_41c1_118a_a2cd, 0x3fef_f0b8_6387_164a),
    ];
    for (angle, sin, cos) in FIXED {
        if degrees.abs() == angle {
            return (f64::from_bits(sin).copysign(degrees), f64::from_bits(cos));
        }
    }
    degrees.to_radians().sin_cos()
}

/// Row-major `f32` luminance, as PDQ computes it from 8-bit RGB.
#[derive(Clone, Debug, PartialEq)]
pub struct LumaImage {
    width: usize,
    height: usize,
    data: Vec<f32>,
}

impl LumaImage {
    /// Wraps a row-major buffer. Panics if `data.len() != width * height`.
    pub fn new(width: usize, height: usize, data: Vec<f32>) -> Self {
        assert_eq!(
            data.len(),
            width * height,
            "{width}x{height} luminance buffer"
        );
        Self {
            width,
            height,
            data,
        }
    }

    /// Reads every row of any PDQ luminance source (a decoded file, an RGB buffer).
    pub fn from_rows(source: &impl LumaRows) -> Self {
        let (width, height) = (source.width(), source.height());
        let mut data = vec![0.0f32; width * height];
        if width > 0 {
            for (y, row) in data.chunks_exact_mut(width).enumerate() {
                source.luma_row(y, row);
            }
        }
        Self {
            width,
            height,
            data,
        }
    }

    /// Luminance of an 8-bit RGB image, with PDQ's weights.
    pub fn from_rgb(image: &image::RgbImage) -> Self {
        let (w, h) = (image.width() as usize, image.height() as usize);
        Self::from_rows(&quell_pdq::Rgb8::new(image.as_raw(), w, h, 3))
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// One row.
    pub fn row(&self, y: usize) -> &[f32] {
        &self.data[y * self.width..(y + 1) * self.width]
    }

    /// The pixel at `(x, y)`.
    pub fn get(&self, x: usize, y: usize) -> f32 {
        self.data[y * self.width + x]
    }

    /// The sub-rectangle `rect`, copied. Panics if it does not lie inside the image.
    pub fn crop(&self, rect: Rect) -> LumaImage {
        assert!(
            rect.x + rect.width <= self.width && rect.y + rect.height <= self.height,
            "{rect:?} outside {}x{}",
            self.width,
            self.height
        );
        let mut data = Vec::with_capacity(rect.width * rect.height);
        for y in rect.y..rect.y + rect.height {
            data.extend_from_slice(&self.row(y)[rect.x..rect.x + rect.width]);
        }
        LumaImage::new(rect.width, rect.height, data)
    }

    /// The central `fraction` of each side.
    pub fn centre_crop(&self, fraction: f64) -> LumaImage {
        self.centre_crop_axes(fraction, fraction)
    }

    /// The central `fx` of the width and `fy` of the height.
    pub fn centre_crop_axes(&self, fx: f64, fy: f64) -> LumaImage {
        let w = ((self.width as f64 * fx).round() as usize).clamp(1, self.width);
        let h = ((self.height as f64 * fy).round() as usize).clamp(1, self.height);
        self.crop(Rect {
            x: (self.width - w) / 2,
            y: (self.height - h) / 2,
            width: w,
            height: h,
        })
    }

    /// The image without `fraction` of its extent on one side.
    pub fn side_crop(&self, side: Side, fraction: f64) -> LumaImage {
        let cut_w = (self.width as f64 * fraction).round() as usize;
        let cut_h = (self.height as f64 * fraction).round() as usize;
        let (w, h) = (self.width, self.height);
        self.crop(match side {
            Side::Top => Rect {
                x: 0,
                y: cut_h,
                width: w,
                height: h - cut_h,
            },
            Side::Bottom => Rect {
                x: 0,
                y: 0,
                width: w,
                height: h - cut_h,
            },
            Side::Left => Rect {
                x: cut_w,
                y: 0,
                width: w - cut_w,
                height: h,
            },
            Side::Right => Rect {
                x: 0,
                y: 0,
                width: w - cut_w,
                height: h,
            },
        })
    }

    /// Rotated by `degrees` counter-clockwise about the centre, then cut to the largest
    /// centred rectangle of the original's aspect that holds no pixel from outside: what is
    /// left of a tilted re-post once its fill corners are cropped away (bilinear samples).
    pub fn rotate_inscribed(&self, degrees: f64) -> LumaImage {
        let (w, h) = (self.width as f64, self.height as f64);
        let (sin, cos) = sin_cos_degrees(degrees);
        let (s, c) = (sin.abs(), cos.abs());
        // The largest w·k × h·k rectangle, rotated back, fits inside the w × h original.
        let k = (w / (w * c + h * s)).min(h / (w * s + h * c));
        let (ow, oh) = (
            (w * k).floor().max(1.0) as usize,
            (h * k).floor().max(1.0) as usize,
        );
        self.rotated(degrees, (ow, oh), None)
    }

    /// The image rotated by `degrees` counter-clockwise about its centre, sampled (bilinear) on
    /// an `ow` × `oh` canvas centred on it: pixels from outside the image are `fill`, or, with
    /// none, the nearest edge pixel (a canvas that lies inside the rotated image).
    fn rotated(&self, degrees: f64, (ow, oh): (usize, usize), fill: Option<f32>) -> LumaImage {
        let (w, h) = (self.width as f64, self.height as f64);
        let (sin, cos) = sin_cos_degrees(degrees);
        let (cx, cy) = (w / 2.0, h / 2.0);
        let (ocx, ocy) = (ow as f64 / 2.0, oh as f64 / 2.0);
        let mut data = Vec::with_capacity(ow * oh);
        for y in 0..oh {
            for x in 0..ow {
                let (dx, dy) = (x as f64 + 0.5 - ocx, y as f64 + 0.5 - ocy);
                // Inverse rotation: where in the source this output pixel comes from.
                let sx = cos * dx - sin * dy + cx - 0.5;
                let sy = sin * dx + cos * dy + cy - 0.5;
                let outside = sx < -0.5 || sy < -0.5 || sx > w - 0.5 || sy > h - 0.5;
                data.push(match fill {
                    Some(fill) if outside => fill,
                    _ => self.bilinear(sx, sy),
                });
            }
        }
        LumaImage::new(ow, oh, data)
    }

    fn bilinear(&self, x: f64, y: f64) -> f32 {
        let max_x = (self.width - 1) as f64;
        let max_y = (self.height - 1) as f64;
        let (x, y) = (x.clamp(0.0, max_x), y.clamp(0.0, max_y));
        let (x0, y0) = (x.floor() as usize, y.floor() as usize);
        let (x1, y1) = ((x0 + 1).min(self.width - 1), (y0 + 1).min(self.height - 1));
        let (fx, fy) = ((x - x0 as f64) as f32, (y - y0 as f64) as f32);
        let top = self.get(x0, y0) * (1.0 - fx) + self.get(x1, y0) * fx;
        let bottom = self.get(x0, y1) * (1.0 - fx) + self.get(x1, y1) * fx;
        top * (1.0 - fy) + bottom * fy
    }
}

impl LumaRows for LumaImage {
    fn width(&self) -> usize {
        self.width
    }

    fn height(&self) -> usize {
        self.height
    }

    fn luma_row(&self, y: usize, out: &mut [f32]) {
        out.copy_from_slice(self.row(y));
    }
}

/// A rectangle of pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rect {
    /// Left column.
    pub x: usize,
    /// Top row.
    pub y: usize,
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
}

/// One side of an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The top edge.
    Top,
    /// The bottom edge.
    Bottom,
    /// The left edge.
    Left,
    /// The right edge.
    Right,
}

impl Side {
    /// All four.
    pub const ALL: [Side; 4] = [Side::Top, Side::Bottom, Side::Left, Side::Right];
}

impl LumaImage {
    /// Rotated by `degrees` counter-clockwise about the centre on a canvas of the same size,
    /// the uncovered corners filled with `fill` (bilinear samples): a tilted re-post that was
    /// not cropped afterwards.
    pub fn rotate_filled(&self, degrees: f64, fill: f32) -> LumaImage {
        self.rotated(degrees, (self.width, self.height), Some(fill))
    }

    /// Rotated by `degrees` counter-clockwise about the centre on a canvas grown to hold the
    /// whole rotated image, the corners filled with `fill` (bilinear samples): what
    /// ImageMagick's `-rotate` and Pillow's `rotate(expand=True)` make of a tilt.
    pub fn rotate_expanded(&self, degrees: f64, fill: f32) -> LumaImage {
        let (w, h) = (self.width as f64, self.height as f64);
        let (s, c) = sin_cos_degrees(degrees);
        let (s, c) = (s.abs(), c.abs());
        let canvas = (
            (w * c + h * s).ceil() as usize,
            (w * s + h * c).ceil() as usize,
        );
        self.rotated(degrees, canvas, Some(fill))
    }
}

impl LumaImage {
    /// Area-averaged (box-filtered) copy whose longer side is at most `max_side`, or a plain
    /// copy if the image is already that small. Every output pixel is the mean of the source
    /// pixels whose centres fall in its footprint, so the result depends only on the pixels
    /// and `max_side`: submission and upload get the same copy of the same image.
    pub fn downscale(&self, max_side: usize) -> LumaImage {
        let (w, h) = (self.width, self.height);
        let longer = w.max(h);
        // An empty image has no pixels to average: a copy, as `Fold` does for the same case.
        if longer <= max_side || max_side == 0 || w == 0 || h == 0 {
            return self.clone();
        }
        let ow = (w * max_side).div_ceil(longer).max(1);
        let oh = (h * max_side).div_ceil(longer).max(1);
        // Source column and row ranges of every output column and row.
        let (xs, ys) = (bins(w, ow), bins(h, oh));
        let mut row_sums = vec![0.0f32; ow];
        let mut data = Vec::with_capacity(ow * oh);
        for &(y0, y1) in &ys {
            row_sums.iter_mut().for_each(|s| *s = 0.0);
            for y in y0..y1 {
                let row = self.row(y);
                for (sum, &(x0, x1)) in row_sums.iter_mut().zip(&xs) {
                    *sum += row[x0..x1].iter().sum::<f32>();
                }
            }
            for (sum, &(x0, x1)) in row_sums.iter().zip(&xs) {
                data.push(sum / ((x1 - x0) * (y1 - y0)) as f32);
            }
        }
        LumaImage::new(ow, oh, data)
    }

    /// The image inside a frame `thickness` pixels wide of luminance `level` on the chosen
    /// sides: what a border or letterbox of that colour does to it.
    pub fn pad(&self, level: f32, thickness: usize, sides: &[Side]) -> LumaImage {
        let t = |s: Side| if sides.contains(&s) { thickness } else { 0 };
        let (top, bottom, left, right) =
            (t(Side::Top), t(Side::Bottom), t(Side::Left), t(Side::Right));
        let (w, h) = (self.width + left + right, self.height + top + bottom);
        let mut data = vec![level; w * h];
        for y in 0..self.height {
            let at = (y + top) * w + left;
            data[at..at + self.width].copy_from_slice(self.row(y));
        }
        LumaImage::new(w, h, data)
    }
}

impl LumaImage {
    /// The same area average as [`LumaImage::downscale`] (same footprints, same size), summed
    /// in the other order: down each source column over an output row's source rows first,
    /// then across the output column's footprint. The additions down columns run over whole
    /// rows at once (vectorised), which makes this several times cheaper when streaming rows
    /// ([`ShrinkingRows`]); the rounding differs from `downscale`'s, so it is a distinct step
    /// of `pdq-robust-v3`, never a replacement for v2's.
    pub fn shrink(&self, max_side: usize) -> LumaImage {
        let mut fold = Fold::new(self.width, self.height, max_side);
        for y in 0..self.height {
            fold.push(y, self.row(y));
        }
        fold.finish().expect("every row folded in order")
    }
}

/// A luminance source that builds its own small copy ([`LumaImage::shrink`]) while a consumer
/// (the PDQ hasher) reads it: one luminance conversion of the pixels serves both the
/// full-resolution hash and the small copy, and the full image is never held in memory.
///
/// The copy is bit for bit [`LumaImage::shrink`] of the source, however the rows are read:
/// rows are folded in while they arrive in order, and if the consumer skips or repeats a row
/// (the hasher reads no row of an image too small to hash), [`ShrinkingRows::finish`] reads
/// the source again instead.
pub struct ShrinkingRows<'a, S: LumaRows> {
    source: &'a S,
    max_side: usize,
    fold: std::cell::RefCell<Fold>,
}

/// The running state of a shrink: the output rows done so far and the column sums of the
/// output row being filled.
struct Fold {
    /// The next source row expected; `None` once rows came out of order.
    next_row: Option<usize>,
    /// Source column range of every output column, and source row range of every output row.
    columns: Vec<(usize, usize)>,
    rows: Vec<(usize, usize)>,
    /// Sums down each source column over the current output row's source rows.
    column_sums: Vec<f32>,
    data: Vec<f32>,
}

/// Source index range of each of `out` output samples over `n` input samples: the footprint
/// of an area-averaging downscale ([`LumaImage::downscale`]).
fn bins(n: usize, out: usize) -> Vec<(usize, usize)> {
    (0..out)
        .map(|i| (i * n / out, ((i + 1) * n / out).max(i * n / out + 1)))
        .collect()
}

impl Fold {
    fn new(w: usize, h: usize, max_side: usize) -> Self {
        let longer = w.max(h);
        let (ow, oh) = if longer <= max_side || max_side == 0 || w == 0 || h == 0 {
            (w, h)
        } else {
            (
                (w * max_side).div_ceil(longer).max(1),
                (h * max_side).div_ceil(longer).max(1),
            )
        };
        Fold {
            next_row: Some(0),
            columns: bins(w, ow),
            rows: bins(h, oh),
            column_sums: vec![0.0; w],
            data: Vec::with_capacity(ow * oh),
        }
    }

    /// Folds source row `y` in.
    fn push(&mut self, y: usize, row: &[f32]) {
        if self.next_row != Some(y) {
            self.next_row = None;
            return;
        }
        self.next_row = Some(y + 1);
        let done = self.data.len() / self.columns.len().max(1);
        let Some(&(y0, y1)) = self.rows.get(done) else {
            return;
        };
        for (sum, &v) in self.column_sums.iter_mut().zip(row) {
            *sum += v;
        }
        if y + 1 == y1 {
            for &(x0, x1) in &self.columns {
                let part = &self.column_sums[x0..x1];
                let mut across = part[0];
                for &v in &part[1..] {
                    across += v;
                }
                self.data.push(across / ((x1 - x0) * (y1 - y0)) as f32);
            }
            self.column_sums.iter_mut().for_each(|s| *s = 0.0);
        }
    }

    /// The copy, if every row arrived once and in order.
    fn finish(self) -> Option<LumaImage> {
        (self.next_row == Some(self.rows.last().map_or(0, |r| r.1)))
            .then(|| LumaImage::new(self.columns.len(), self.rows.len(), self.data))
    }
}

impl<'a, S: LumaRows> ShrinkingRows<'a, S> {
    /// Wraps `source`; the copy will have its longer side at most `max_side` (a plain copy if
    /// the source is no larger).
    pub fn new(source: &'a S, max_side: usize) -> Self {
        Self {
            source,
            max_side,
            fold: std::cell::RefCell::new(Fold::new(source.width(), source.height(), max_side)),
        }
    }

    /// The small copy, once the consumer is done reading.
    pub fn finish(self) -> LumaImage {
        match self.fold.into_inner().finish() {
            Some(copy) => copy,
            None => LumaImage::from_rows(self.source).shrink(self.max_side),
        }
    }
}

impl<S: LumaRows> LumaRows for ShrinkingRows<'_, S> {
    fn width(&self) -> usize {
        self.source.width()
    }

    fn height(&self) -> usize {
        self.source.height()
    }

    fn luma_row(&self, y: usize, out: &mut [f32]) {
        self.source.luma_row(y, out);
        self.fold.borrow_mut().push(y, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fixed values are glibc's, so outputs made on Linux are unchanged by fixing them.
    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn the_fixed_tilts_are_glibcs() {
        for degrees in [-4.5, -3.5, 3.5, 4.5, 10.0] {
            let (sin, cos) = sin_cos_degrees(degrees);
            let (want_sin, want_cos) = f64::to_radians(degrees).sin_cos();
            assert_eq!(sin.to_bits(), want_sin.to_bits(), "sin {degrees}");
            assert_eq!(cos.to_bits(), want_cos.to_bits(), "cos {degrees}");
        }
    }
}
