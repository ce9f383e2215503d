//! The transform families of the robustness evaluation: what re-posters do to an image.
//!
//! Every variant is a pure function of the image, the family and a seed, so two runs (and
//! the tests) see the same pixels. Parameters are drawn from each family's range with a
//! small SplitMix64 generator keyed by `(seed, image number, family)`.

use image::imageops::{self, FilterType};
use image::{Rgb, RgbImage};

/// A transform family, as listed in the evaluation's report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    /// JPEG re-encoding at quality 30–70.
    Jpeg,
    /// Downscaling to 25–50% of each side.
    Resize,
    /// Keeping the central 70–90% of each side.
    CentreCrop,
    /// Cutting 15% off one side.
    SideCrop,
    /// A uniform border of 10% on every side, or a 10% letterbox top and bottom.
    Border,
    /// A flat caption bar of 15% of the height, with blocks of "text", above or below.
    Caption,
    /// An opaque logo, 20% of the width square, in a corner.
    Logo,
    /// The image at 70% inside a larger canvas with a status bar and a navigation bar.
    Screenshot,
    /// Rotation by 90, 180 or 270 degrees.
    Rotate90,
    /// Mirroring left–right or top–bottom.
    Flip,
    /// Rotation by ±3–5 degrees on a black-filled canvas of the same size.
    Tilt,
    /// Conversion to grey.
    Grayscale,
    /// Brightness ±20–40 and contrast ±20–40%.
    BrightnessContrast,
    /// Gaussian blur, sigma 1–3.
    Blur,
    /// Chains: crop+JPEG+resize, screenshot+JPEG, caption+resize, border+rotate, tilt+JPEG.
    Chain,
    /// A large sticker, emoji, logo or watermark over 10–25% of the image: an opaque block in
    /// a corner, a translucent band along an edge, an opaque disc near a corner.
    Occlusion,
    /// The photo shown at 40–60% of a phone screen's width inside an app's chrome: a status
    /// bar, a header with an avatar and a name, caption lines and a row of buttons, on a light
    /// or a dark theme.
    AppScreenshot,
    /// Chains of those with re-encoding: occlusion+JPEG+resize, app screenshot+JPEG,
    /// caption+occlusion, crop+occlusion+JPEG.
    OcclusionChain,
}

impl Family {
    /// Every family, in report order.
    pub const ALL: [Family; 18] = [
        Family::Jpeg,
        Family::Resize,
        Family::CentreCrop,
        Family::SideCrop,
        Family::Border,
        Family::Caption,
        Family::Logo,
        Family::Screenshot,
        Family::Rotate90,
        Family::Flip,
        Family::Tilt,
        Family::Grayscale,
        Family::BrightnessContrast,
        Family::Blur,
        Family::Chain,
        Family::Occlusion,
        Family::AppScreenshot,
        Family::OcclusionChain,
    ];

    /// The family's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Family::Jpeg => "jpeg q30-70",
            Family::Resize => "resize 25-50%",
            Family::CentreCrop => "centre crop 70-90%",
            Family::SideCrop => "one-side crop 15%",
            Family::Border => "border/letterbox 10%",
            Family::Caption => "caption bar 15%",
            Family::Logo => "corner logo 20%",
            Family::Screenshot => "screenshot (70% in canvas)",
            Family::Rotate90 => "rotate 90/180/270",
            Family::Flip => "flip h/v",
            Family::Tilt => "rotate ±3-5°",
            Family::Grayscale => "grayscale",
            Family::BrightnessContrast => "brightness/contrast",
            Family::Blur => "blur σ1-3",
            Family::Chain => "chains",
            Family::Occlusion => "occlusion 10-25%",
            Family::AppScreenshot => "app screenshot (40-60%)",
            Family::OcclusionChain => "occlusion/app chains",
        }
    }

    /// The variants of `image` in this family (a few per family), deterministic in
    /// `(seed, image_number)`.
    pub fn variants(self, image: &RgbImage, seed: u64, image_number: u64) -> Vec<RgbImage> {
        let mut rng = SplitMix64::new(seed, image_number, self as u64);
        match self {
            Family::Jpeg => vec![jpeg(image, rng.range_u8(30, 70))],
            Family::Resize => vec![scale(image, rng.range_f64(0.25, 0.5))],
            Family::CentreCrop => vec![centre_crop(image, rng.range_f64(0.7, 0.9))],
            Family::SideCrop => vec![side_crop(image, rng.below(4), 0.15)],
            Family::Border => {
                let colour = rng.colour();
                vec![
                    border(image, 0.1, colour),
                    letterbox(image, 0.1, Rgb([0, 0, 0])),
                ]
            }
            Family::Caption => vec![caption(image, 0.15, rng.below(2) == 0, &mut rng)],
            Family::Logo => vec![logo(image, 0.2, rng.below(4), &mut rng)],
            Family::Screenshot => vec![screenshot(image, 0.7, &mut rng)],
            Family::Rotate90 => vec![
                imageops::rotate90(image),
                imageops::rotate180(image),
                imageops::rotate270(image),
            ],
            Family::Flip => vec![
                imageops::flip_horizontal(image),
                imageops::flip_vertical(image),
            ],
            Family::Tilt => {
                let degrees = rng.range_f64(3.0, 5.0);
                let sign = if rng.below(2) == 0 { -1.0 } else { 1.0 };
                vec![tilt(image, sign * degrees)]
            }
            Family::Grayscale => {
                let grey = imageops::grayscale(image);
                vec![image::DynamicImage::ImageLuma8(grey).to_rgb8()]
            }
            Family::BrightnessContrast => {
                let b = rng.range_f64(20.0, 40.0) as i32 * if rng.below(2) == 0 { -1 } else { 1 };
                let c =
                    rng.range_f64(20.0, 40.0) as f32 * if rng.below(2) == 0 { -1.0 } else { 1.0 };
                vec![imageops::contrast(&imageops::brighten(image, b), c)]
            }
            Family::Blur => vec![imageops::blur(image, rng.range_f64(1.0, 3.0) as f32)],
            Family::Chain => vec![
                scale(&jpeg(&centre_crop(image, 0.85), 50), 0.5),
                jpeg(&screenshot(image, 0.7, &mut rng), 60),
                scale(&caption(image, 0.15, false, &mut rng), 0.5),
                imageops::rotate90(&border(image, 0.1, Rgb([255, 255, 255]))),
                jpeg(&tilt(image, 4.0), 50),
            ],
            Family::Occlusion => {
                let share = rng.range_f64(0.10, 0.25);
                let corner = rng.below(4);
                let band_share = rng.range_f64(0.10, 0.25);
                let edge = rng.below(4);
                let disc_share = rng.range_f64(0.10, 0.25);
                let disc_corner = rng.below(4);
                vec![
                    corner_block(image, share, corner, &mut rng),
                    edge_band(image, band_share, edge, 0.5, &mut rng),
                    disc(image, disc_share, disc_corner, &mut rng),
                ]
            }
            Family::AppScreenshot => {
                let share = rng.range_f64(0.4, 0.6);
                let dark = rng.below(2) == 0;
                vec![app_screenshot(image, share, dark, &mut rng)]
            }
            Family::OcclusionChain => {
                let corner = rng.below(4);
                let edge = rng.below(4);
                vec![
                    scale(&jpeg(&corner_block(image, 0.2, corner, &mut rng), 60), 0.6),
                    jpeg(&app_screenshot(image, 0.5, false, &mut rng), 70),
                    caption(
                        &edge_band(image, 0.15, edge, 0.6, &mut rng),
                        0.15,
                        true,
                        &mut rng,
                    ),
                    jpeg(&disc(&centre_crop(image, 0.85), 0.15, corner, &mut rng), 50),
                ]
            }
        }
    }
}

/// An opaque patterned block (a sticker or a logo) covering `share` of the image's area, as
/// square as the image allows, in corner `corner` (0–3) with a 2% margin.
pub fn corner_block(image: &RgbImage, share: f64, corner: u64, rng: &mut SplitMix64) -> RgbImage {
    let (w, h) = image.dimensions();
    let side = (f64::from(w) * f64::from(h) * share).sqrt();
    let (bw, bh) = (
        (side as u32).clamp(1, w),
        ((f64::from(w) * f64::from(h) * share / side) as u32).clamp(1, h),
    );
    let (mx, my) = (w / 50, h / 50);
    let x = if corner.is_multiple_of(2) {
        mx.min(w - bw)
    } else {
        w.saturating_sub(bw + mx)
    };
    let y = if corner < 2 {
        my.min(h - bh)
    } else {
        h.saturating_sub(bh + my)
    };
    let (a, b) = (rng.colour(), rng.colour());
    let mut out = image.clone();
    for yy in y..y + bh {
        for xx in x..x + bw {
            // Stripes and a frame: strong edges, as a sticker's artwork has.
            let stripe = ((xx - x) * 6 / bw.max(1) + (yy - y) * 6 / bh.max(1)) % 2;
            out.put_pixel(xx, yy, if stripe == 0 { a } else { b });
        }
    }
    out
}

/// A band along edge `edge` (0 top, 1 bottom, 2 left, 3 right) covering `share` of the image,
/// blended over it at `alpha` (a watermark or a translucent banner), with "text" in it.
pub fn edge_band(
    image: &RgbImage,
    share: f64,
    edge: u64,
    alpha: f64,
    rng: &mut SplitMix64,
) -> RgbImage {
    let (w, h) = image.dimensions();
    let (x, y, bw, bh) = match edge {
        0 => (0, 0, w, ((f64::from(h) * share) as u32).max(1)),
        1 => {
            let bh = ((f64::from(h) * share) as u32).max(1);
            (0, h - bh, w, bh)
        }
        2 => (0, 0, ((f64::from(w) * share) as u32).max(1), h),
        _ => {
            let bw = ((f64::from(w) * share) as u32).max(1);
            (w - bw, 0, bw, h)
        }
    };
    let tint = rng.colour();
    let mut band = RgbImage::from_pixel(bw, bh, tint);
    draw_text(&mut band, 0, 0, bw, bh, Rgb([250, 250, 250]), rng);
    let mut out = image.clone();
    for yy in 0..bh {
        for xx in 0..bw {
            let under = out.get_pixel(x + xx, y + yy).0;
            let over = band.get_pixel(xx, yy).0;
            let mix = |c: usize| {
                (f64::from(over[c]) * alpha + f64::from(under[c]) * (1.0 - alpha)).round() as u8
            };
            out.put_pixel(x + xx, y + yy, Rgb([mix(0), mix(1), mix(2)]));
        }
    }
    out
}

/// An opaque disc (an emoji) covering `share` of the image's area, centred a radius and a
/// 2% margin in from corner `corner`, with a face-like ring.
pub fn disc(image: &RgbImage, share: f64, corner: u64, rng: &mut SplitMix64) -> RgbImage {
    let (w, h) = image.dimensions();
    let r = (f64::from(w) * f64::from(h) * share / std::f64::consts::PI)
        .sqrt()
        .min(f64::from(w.min(h)) / 2.0);
    let (mx, my) = (f64::from(w) / 50.0, f64::from(h) / 50.0);
    let cx = if corner.is_multiple_of(2) {
        r + mx
    } else {
        f64::from(w) - r - mx
    };
    let cy = if corner < 2 {
        r + my
    } else {
        f64::from(h) - r - my
    };
    let (fill, ring) = (rng.colour(), rng.colour());
    let mut out = image.clone();
    for (x, y, px) in out.enumerate_pixels_mut() {
        let d = ((f64::from(x) + 0.5 - cx).powi(2) + (f64::from(y) + 0.5 - cy).powi(2)).sqrt();
        if d <= r {
            *px = if d > r * 0.85 || (d < r * 0.5 && d > r * 0.4) {
                ring
            } else {
                fill
            };
        }
    }
    out
}

/// The image scaled to `share` of a portrait phone screen's width, inside an app's chrome: a
/// status bar, a header (avatar and name), the photo, a row of buttons and caption lines, on
/// a dark or a light background.
pub fn app_screenshot(image: &RgbImage, share: f64, dark: bool, rng: &mut SplitMix64) -> RgbImage {
    let (w, h) = image.dimensions();
    let screen_w = ((f64::from(w) / share).round() as u32).max(w + 2);
    let (background, ink, bar) = if dark {
        (Rgb([0, 0, 0]), Rgb([235, 235, 235]), Rgb([22, 22, 24]))
    } else {
        (
            Rgb([255, 255, 255]),
            Rgb([20, 20, 20]),
            Rgb([246, 246, 246]),
        )
    };
    let unit = (screen_w / 12).max(4);
    let status_h = unit / 2;
    let header_h = unit;
    let buttons_h = unit;
    let caption_h = unit * 2;
    let screen_h = status_h + header_h + h + buttons_h + caption_h + unit;
    let mut out = RgbImage::from_pixel(screen_w, screen_h, background);
    for y in 0..status_h {
        for x in 0..screen_w {
            out.put_pixel(x, y, bar);
        }
    }
    draw_text(&mut out, 0, 0, screen_w / 4, status_h, ink, rng);
    // Header: a round avatar and a name.
    let avatar = rng.colour();
    let (acx, acy, ar) = (unit / 2 + unit / 4, status_h + header_h / 2, header_h / 3);
    for y in status_h..status_h + header_h {
        for x in 0..unit * 2 {
            if (x.abs_diff(acx)).pow(2) + (y.abs_diff(acy)).pow(2) <= ar * ar {
                out.put_pixel(x, y, avatar);
            }
        }
    }
    draw_text(&mut out, unit, status_h, screen_w / 2, header_h, ink, rng);
    let x = (screen_w - w) / 2;
    let photo_y = status_h + header_h;
    imageops::replace(&mut out, image, i64::from(x), i64::from(photo_y));
    // Buttons: a row of small squares; then two lines of caption.
    let buttons_y = photo_y + h;
    for i in 0..4 {
        let bx = unit / 2 + i * unit * 3 / 2;
        for y in buttons_y + unit / 4..buttons_y + unit * 3 / 4 {
            for x in bx..(bx + unit / 2).min(screen_w) {
                out.put_pixel(x, y, ink);
            }
        }
    }
    draw_text(
        &mut out,
        0,
        buttons_y + buttons_h,
        screen_w,
        caption_h,
        ink,
        rng,
    );
    out
}

/// Re-encodes as JPEG at `quality` and decodes again.
pub fn jpeg(image: &RgbImage, quality: u8) -> RgbImage {
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality)
        .encode_image(image)
        .expect("encoding to memory cannot fail");
    image::load_from_memory(&bytes)
        .expect("our own JPEG decodes")
        .to_rgb8()
}

/// Resizes both sides by `factor` (triangle filter, at least 8 pixels a side).
pub fn scale(image: &RgbImage, factor: f64) -> RgbImage {
    let w = ((f64::from(image.width()) * factor).round() as u32).max(8);
    let h = ((f64::from(image.height()) * factor).round() as u32).max(8);
    imageops::resize(image, w, h, FilterType::Triangle)
}

/// The central `fraction` of each side.
pub fn centre_crop(image: &RgbImage, fraction: f64) -> RgbImage {
    let (w, h) = image.dimensions();
    let cw = ((f64::from(w) * fraction).round() as u32).max(1);
    let ch = ((f64::from(h) * fraction).round() as u32).max(1);
    imageops::crop_imm(image, (w - cw) / 2, (h - ch) / 2, cw, ch).to_image()
}

/// Cuts `fraction` off one side: 0 top, 1 bottom, 2 left, 3 right.
pub fn side_crop(image: &RgbImage, side: u64, fraction: f64) -> RgbImage {
    let (w, h) = image.dimensions();
    let cw = (f64::from(w) * fraction).round() as u32;
    let ch = (f64::from(h) * fraction).round() as u32;
    let (x, y, nw, nh) = match side {
        0 => (0, ch, w, h - ch),
        1 => (0, 0, w, h - ch),
        2 => (cw, 0, w - cw, h),
        _ => (0, 0, w - cw, h),
    };
    imageops::crop_imm(image, x, y, nw, nh).to_image()
}

/// Pads every side by `fraction` of the image's size with `colour`.
pub fn border(image: &RgbImage, fraction: f64, colour: Rgb<u8>) -> RgbImage {
    let (w, h) = image.dimensions();
    let (bx, by) = (
        (f64::from(w) * fraction) as u32,
        (f64::from(h) * fraction) as u32,
    );
    let mut out = RgbImage::from_pixel(w + 2 * bx, h + 2 * by, colour);
    imageops::replace(&mut out, image, i64::from(bx), i64::from(by));
    out
}

/// Bars of `fraction` of the height above and below.
pub fn letterbox(image: &RgbImage, fraction: f64, colour: Rgb<u8>) -> RgbImage {
    let (w, h) = image.dimensions();
    let by = (f64::from(h) * fraction) as u32;
    let mut out = RgbImage::from_pixel(w, h + 2 * by, colour);
    imageops::replace(&mut out, image, 0, i64::from(by));
    out
}

/// A flat bar of `fraction` of the height with rows of dark "glyph" blocks, above or below.
pub fn caption(image: &RgbImage, fraction: f64, above: bool, rng: &mut SplitMix64) -> RgbImage {
    let (w, h) = image.dimensions();
    let bar = ((f64::from(h) * fraction) as u32).max(4);
    let mut out = RgbImage::from_pixel(w, h + bar, Rgb([250, 250, 250]));
    let (image_y, bar_y) = if above { (bar, 0) } else { (0, h) };
    imageops::replace(&mut out, image, 0, i64::from(image_y));
    draw_text(&mut out, 0, bar_y, w, bar, Rgb([20, 20, 20]), rng);
    out
}

/// Glyph-sized dark blocks along one or two lines inside a box, covering about a third of
/// each text line, as words do.
fn draw_text(
    out: &mut RgbImage,
    x0: u32,
    y0: u32,
    w: u32,
    h: u32,
    ink: Rgb<u8>,
    rng: &mut SplitMix64,
) {
    let lines = if h >= 40 { 2 } else { 1 };
    let line_h = h / (2 * lines + 1);
    let glyph_w = line_h.max(2) * 2 / 3;
    for line in 0..lines {
        let top = y0 + line_h * (2 * line + 1);
        let mut x = x0 + w / 10;
        while x + glyph_w < x0 + w - w / 10 {
            if rng.below(3) == 0 {
                // A space between words.
                x += glyph_w;
                continue;
            }
            for yy in top..(top + line_h).min(y0 + h) {
                for xx in x..x + glyph_w * 2 / 3 {
                    out.put_pixel(xx, yy, ink);
                }
            }
            x += glyph_w;
        }
    }
}

/// An opaque square logo, `fraction` of the width on a side, in corner `corner` (0–3), with
/// a margin of 2% of the width.
pub fn logo(image: &RgbImage, fraction: f64, corner: u64, rng: &mut SplitMix64) -> RgbImage {
    let (w, h) = image.dimensions();
    let side = ((f64::from(w) * fraction) as u32).clamp(2, h.max(2) - 1);
    let margin = w / 50;
    let x = if corner.is_multiple_of(2) {
        margin
    } else {
        w - side - margin
    };
    let y = if corner < 2 {
        margin
    } else {
        h.saturating_sub(side + margin)
    };
    let (a, b) = (rng.colour(), rng.colour());
    let mut out = image.clone();
    for yy in y..(y + side).min(h) {
        for xx in x..(x + side).min(w) {
            // Concentric rings, a pattern with strong edges like a real logo.
            let (dx, dy) = (xx.abs_diff(x + side / 2), yy.abs_diff(y + side / 2));
            let ring = (dx.max(dy) * 8 / side.max(1)) % 2;
            out.put_pixel(xx, yy, if ring == 0 { a } else { b });
        }
    }
    out
}

/// The image scaled so its width is `fraction` of a portrait phone canvas's, centred, with a
/// status bar (time and icons) and a navigation bar.
pub fn screenshot(image: &RgbImage, fraction: f64, rng: &mut SplitMix64) -> RgbImage {
    let (w, h) = image.dimensions();
    let canvas_w = (f64::from(w) / fraction).round() as u32;
    let canvas_h = (f64::from(h) / fraction).round() as u32 + canvas_w / 2;
    let background = Rgb([18, 18, 18]);
    let mut out = RgbImage::from_pixel(canvas_w, canvas_h, background);
    let status_h = (canvas_h / 25).max(4);
    let nav_h = (canvas_h / 16).max(4);
    for y in 0..status_h {
        for x in 0..canvas_w {
            out.put_pixel(x, y, Rgb([40, 40, 48]));
        }
    }
    for y in canvas_h - nav_h..canvas_h {
        for x in 0..canvas_w {
            out.put_pixel(x, y, Rgb([28, 28, 30]));
        }
    }
    draw_text(
        &mut out,
        0,
        0,
        canvas_w / 3,
        status_h,
        Rgb([230, 230, 230]),
        rng,
    );
    let x = (canvas_w - w) / 2;
    let y = (canvas_h - h) / 2;
    imageops::replace(&mut out, image, i64::from(x), i64::from(y));
    out
}

/// Rotation by `degrees` counter-clockwise on a black canvas of the same size (bilinear).
pub fn tilt(image: &RgbImage, degrees: f64) -> RgbImage {
    let (w, h) = image.dimensions();
    let (sin, cos) = degrees.to_radians().sin_cos();
    let (cx, cy) = (f64::from(w) / 2.0, f64::from(h) / 2.0);
    RgbImage::from_fn(w, h, |x, y| {
        let (dx, dy) = (f64::from(x) + 0.5 - cx, f64::from(y) + 0.5 - cy);
        let sx = cos * dx - sin * dy + cx - 0.5;
        let sy = sin * dx + cos * dy + cy - 0.5;
        if sx < -0.5 || sy < -0.5 || sx > f64::from(w) - 0.5 || sy > f64::from(h) - 0.5 {
            return Rgb([0, 0, 0]);
        }
        let (sx, sy) = (
            sx.clamp(0.0, f64::from(w - 1)),
            sy.clamp(0.0, f64::from(h - 1)),
        );
        let (x0, y0) = (sx.floor() as u32, sy.floor() as u32);
        let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
        let (fx, fy) = (sx - f64::from(x0), sy - f64::from(y0));
        let mut px = [0u8; 3];
        for (c, v) in px.iter_mut().enumerate() {
            let p = |x, y| f64::from(image.get_pixel(x, y)[c]);
            let top = p(x0, y0) * (1.0 - fx) + p(x1, y0) * fx;
            let bottom = p(x0, y1) * (1.0 - fx) + p(x1, y1) * fx;
            *v = (top * (1.0 - fy) + bottom * fy).round() as u8;
        }
        Rgb(px)
    })
}

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and the same on every platform.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator keyed by a seed and two more numbers.
    pub fn new(seed: u64, a: u64, b: u64) -> Self {
        let mut g = SplitMix64(seed);
        let s = g.next_u64() ^ a.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let mut g = SplitMix64(s);
        SplitMix64(g.next_u64() ^ b.wrapping_mul(0xbf58_476d_1ce4_e5b9))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// Uniform in `[lo, hi)`.
    pub fn range_f64(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `lo..=hi`.
    pub fn range_u8(&mut self, lo: u8, hi: u8) -> u8 {
        lo + self.below(u64::from(hi - lo) + 1) as u8
    }

    /// A random opaque colour.
    pub fn colour(&mut self) -> Rgb<u8> {
        let v = self.next_u64().to_le_bytes();
        Rgb([v[0], v[1], v[2]])
    }
}
