//! Pixels in, float luminance rows out.

/// A source of an image's luminance, one row at a time, top to bottom.
///
/// The hasher pulls rows instead of taking a whole float image, so it never holds more than a
/// few rows of `f32` beside the caller's pixels. Implement it for your own pixel layout, or use
/// [`Rgb8`] / [`Gray8`].
pub trait LumaRows {
    /// Image width in pixels.
    fn width(&self) -> usize;
    /// Image height in pixels.
    fn height(&self) -> usize;
    /// Writes the luminance of row `y` (`0..height`) into `out` (length `width`).
    fn luma_row(&self, y: usize, out: &mut [f32]);
}

/// The luminance of one 8-bit RGB pixel as the reference Python binding computes it:
/// `(R·0.299 + G·0.587) + B·0.114` in `f64`, rounded once to `f32`.
///
/// Meta's C++ evaluates the same expression in `f32`; the two differ in the last bit on about
/// 30% of pixels but gave the same hash on every vector where both could be compared (the
/// C++ CLI on the nine images of at most 512 px). The `f64` form is the one the golden file
/// was made with, so it is the one reproduced here.
#[inline]
pub fn rgb_luma(r: u8, g: u8, b: u8) -> f32 {
    // Each product is the same f64 whether computed here or looked up, and the two additions
    // keep their order, so the tables change the speed only.
    ((RED[usize::from(r)] + GREEN[usize::from(g)]) + BLUE[usize::from(b)]) as f32
}

const fn products(coefficient: f64) -> [f64; 256] {
    let mut table = [0.0; 256];
    let mut v = 0;
    while v < 256 {
        table[v] = v as f64 * coefficient;
        v += 1;
    }
    table
}

static RED: [f64; 256] = products(0.299);
static GREEN: [f64; 256] = products(0.587);
static BLUE: [f64; 256] = products(0.114);

/// `rgb_luma(v, v, v)` for every grey level.
static GREY: [f32; 256] = {
    let mut table = [0.0; 256];
    let mut v = 0;
    while v < 256 {
        table[v] = ((RED[v] + GREEN[v]) + BLUE[v]) as f32;
        v += 1;
    }
    table
};

/// A row-major buffer of interleaved 8-bit pixels, checked once at construction.
#[derive(Clone, Copy, Debug)]
struct Interleaved<'a> {
    pixels: &'a [u8],
    width: usize,
    height: usize,
    channels: usize,
}

impl<'a> Interleaved<'a> {
    fn new(pixels: &'a [u8], width: usize, height: usize, channels: usize, min: usize) -> Self {
        assert!(
            channels >= min,
            "need at least {min} channels, got {channels}"
        );
        assert!(
            pixels.len() >= width * height * channels,
            "pixel buffer too short for {width}x{height}x{channels}"
        );
        Self {
            pixels,
            width,
            height,
            channels,
        }
    }

    fn row(&self, y: usize) -> &'a [u8] {
        let stride = self.width * self.channels;
        &self.pixels[y * stride..(y + 1) * stride]
    }
}

/// Interleaved pixels with 8-bit R, G, B first in each pixel (RGB8 with `channels = 3`,
/// RGBA8 with `channels = 4`; any further channels, such as alpha, are ignored, as the
/// reference ignores alpha rather than compositing it).
#[derive(Clone, Copy, Debug)]
pub struct Rgb8<'a>(Interleaved<'a>);

impl<'a> Rgb8<'a> {
    /// Wraps a row-major buffer of `width × height` pixels of `channels` bytes each.
    ///
    /// # Panics
    /// If `channels < 3` or the buffer is shorter than `width × height × channels`.
    pub fn new(pixels: &'a [u8], width: usize, height: usize, channels: usize) -> Self {
        Self(Interleaved::new(pixels, width, height, channels, 3))
    }
}

impl LumaRows for Rgb8<'_> {
    fn width(&self) -> usize {
        self.0.width
    }
    fn height(&self) -> usize {
        self.0.height
    }
    fn luma_row(&self, y: usize, out: &mut [f32]) {
        let row = self.0.row(y);
        // Fixed-size pixel chunks for the common layouts let the compiler unroll the loop.
        match self.0.channels {
            3 => rgb_row::<3>(row, out),
            4 => rgb_row::<4>(row, out),
            n => {
                for (o, px) in out.iter_mut().zip(row.chunks_exact(n)) {
                    *o = rgb_luma(px[0], px[1], px[2]);
                }
            }
        }
    }
}

fn rgb_row<const N: usize>(row: &[u8], out: &mut [f32]) {
    let (pixels, _) = row.as_chunks::<N>();
    for (o, px) in out.iter_mut().zip(pixels) {
        *o = rgb_luma(px[0], px[1], px[2]);
    }
}

/// Interleaved 8-bit RGB whose luminance is computed as Meta's C++ computes it (and so the C++
/// vPDQ, which hashes video frames with it): `(0.299·R + 0.587·G) + 0.114·B` entirely in `f32`.
///
/// [`Rgb8`] follows the Python binding's `f64` form instead, since the photo golden file was made
/// with it. The two differ in the last bit of some pixels, and on video frames that is enough to
/// flip a bit now and then: on frame 104 of the vectors' `test-padded-dimensions` the `f64` form
/// is 2 bits away from the C++ vPDQ output while this one equals it.
#[derive(Clone, Copy, Debug)]
pub struct Rgb8F32<'a>(Interleaved<'a>);

impl<'a> Rgb8F32<'a> {
    /// Wraps a row-major buffer of `width × height` pixels of `channels` bytes each (R, G, B
    /// first; further channels ignored).
    ///
    /// # Panics
    /// If `channels < 3` or the buffer is shorter than `width × height × channels`.
    pub fn new(pixels: &'a [u8], width: usize, height: usize, channels: usize) -> Self {
        Self(Interleaved::new(pixels, width, height, channels, 3))
    }
}

/// The C++ reference's luminance of one pixel, in its order and precision (see [`Rgb8F32`]).
#[inline]
fn rgb_luma_f32(r: u8, g: u8, b: u8) -> f32 {
    0.299_f32 * f32::from(r) + 0.587_f32 * f32::from(g) + 0.114_f32 * f32::from(b)
}

impl LumaRows for Rgb8F32<'_> {
    fn width(&self) -> usize {
        self.0.width
    }
    fn height(&self) -> usize {
        self.0.height
    }
    fn luma_row(&self, y: usize, out: &mut [f32]) {
        let channels = self.0.channels;
        for (o, px) in out.iter_mut().zip(self.0.row(y).chunks_exact(channels)) {
            *o = rgb_luma_f32(px[0], px[1], px[2]);
        }
    }
}

/// 8-bit greyscale pixels, optionally interleaved with other channels (grey + alpha).
///
/// Luminance is computed as for the RGB pixel `(v, v, v)`, which is what the reference
/// tools do after converting grey images to RGB; it differs from `v` in the last bit of
/// some values.
#[derive(Clone, Copy, Debug)]
pub struct Gray8<'a>(Interleaved<'a>);

impl<'a> Gray8<'a> {
    /// Wraps a row-major buffer of `width × height` pixels of `channels` bytes each, grey first.
    ///
    /// # Panics
    /// If `channels == 0` or the buffer is shorter than `width × height × channels`.
    pub fn new(pixels: &'a [u8], width: usize, height: usize, channels: usize) -> Self {
        Self(Interleaved::new(pixels, width, height, channels, 1))
    }
}

impl LumaRows for Gray8<'_> {
    fn width(&self) -> usize {
        self.0.width
    }
    fn height(&self) -> usize {
        self.0.height
    }
    fn luma_row(&self, y: usize, out: &mut [f32]) {
        let channels = self.0.channels;
        for (o, px) in out.iter_mut().zip(self.0.row(y).chunks_exact(channels)) {
            *o = GREY[usize::from(px[0])];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_equal_the_formula_on_every_pixel_value() {
        for r in 0..=255u8 {
            for g in 0..=255u8 {
                for b in (0..=255u8).step_by(5) {
                    let want =
                        (f64::from(r) * 0.299 + f64::from(g) * 0.587 + f64::from(b) * 0.114) as f32;
                    assert_eq!(rgb_luma(r, g, b).to_bits(), want.to_bits());
                }
            }
            assert_eq!(GREY[usize::from(r)].to_bits(), rgb_luma(r, r, r).to_bits());
        }
    }

    #[test]
    fn the_f32_form_differs_from_the_f64_form_only_in_the_last_bits() {
        // Same value to within one f32 rounding step, and not always the same bits (otherwise
        // one of the two types would be pointless).
        let mut differ = 0;
        for r in (0..=255u8).step_by(3) {
            for g in (0..=255u8).step_by(3) {
                for b in (0..=255u8).step_by(3) {
                    let (a, c) = (rgb_luma(r, g, b), rgb_luma_f32(r, g, b));
                    assert!(
                        (a - c).abs() <= f32::EPSILON * 256.0,
                        "{r} {g} {b}: {a} {c}"
                    );
                    differ += usize::from(a.to_bits() != c.to_bits());
                }
            }
        }
        assert!(differ > 0);
    }
}
