//! Decoding uploaded image files into pixels PDQ can hash, with bounded memory.
//!
//! Formats: JPEG (baseline, progressive, CMYK), PNG (1–16 bit, palette, alpha), WebP (lossy
//! and lossless), GIF (the first frame), BMP and TIFF, recognised by content, not by file name.
//!
//! Pixels are converted as the reference tools see them (Pillow's `convert("RGB")`): grey is
//! replicated, palettes are expanded, **alpha is dropped, not composited**. Samples wider than
//! 8 bits are rounded to 8 bits first (`round(v / 257)`), so a 16-bit file hashes like its
//! 8-bit rendering. EXIF orientation is ignored by default, like the reference; ask for
//! [`Orientation::FromExif`] to hash the image as a viewer displays it.
//!
//! Limits are checked from the header, before any pixel buffer is allocated: a file claiming
//! 100000×100000 pixels costs nothing.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageReader};

use crate::luma::{Gray8, LumaRows, Rgb8, rgb_luma};

/// Upper bounds on what a single file may cost to decode.
#[derive(Clone, Copy, Debug)]
pub struct DecodeLimits {
    /// Largest accepted `width × height`. Default: 100 megapixels.
    pub max_pixels: u64,
    /// Largest pixel buffer the decoder may allocate, in bytes. Default: 400 MiB, which with
    /// a file of up to 100 MiB keeps one decode under about 512 MiB.
    pub max_alloc: u64,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        Self {
            max_pixels: 100_000_000,
            max_alloc: 400 << 20,
        }
    }
}

/// Whether to apply the EXIF Orientation tag before hashing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Orientation {
    /// Hash the pixels as stored in the file, as the reference and python-threatexchange do.
    #[default]
    AsStored,
    /// Rotate and flip as the EXIF Orientation tag says, as image viewers display it.
    FromExif,
}

/// How to decode.
#[derive(Clone, Copy, Debug, Default)]
pub struct DecodeOptions {
    /// Resource bounds.
    pub limits: DecodeLimits,
    /// EXIF orientation policy.
    pub orientation: Orientation,
}

/// Why a file could not be decoded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Zero bytes.
    #[error("the file is empty")]
    Empty,
    /// The content matches no supported image format.
    #[error("not a supported image (JPEG, PNG, WebP, GIF, BMP or TIFF)")]
    UnknownFormat,
    /// The header declares more pixels than allowed.
    #[error("{width}x{height} is {} megapixels, over the limit of {} megapixels", pixels(*.width, *.height) / 1_000_000, .max_pixels / 1_000_000)]
    TooManyPixels {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
        /// The limit in force.
        max_pixels: u64,
    },
    /// The decoded pixels would need more memory than allowed.
    #[error("decoding needs more than the {} MiB memory limit", .max_alloc >> 20)]
    TooMuchMemory {
        /// The limit in force, in bytes.
        max_alloc: u64,
    },
    /// The file ends before the image data does.
    #[error("truncated {format} file: the image data ends early")]
    Truncated {
        /// The format the content was recognised as.
        format: &'static str,
    },
    /// The file is corrupt, or uses a feature the decoder does not support.
    #[error("{format} data is corrupt or unsupported: {source}")]
    Malformed {
        /// The format the content was recognised as.
        format: &'static str,
        /// The decoder's description.
        source: image::ImageError,
    },
}

fn pixels(width: u32, height: u32) -> u64 {
    u64::from(width) * u64::from(height)
}

/// A decoded image, ready to hash.
pub struct DecodedImage {
    image: DynamicImage,
    format: &'static str,
}

impl DecodedImage {
    /// The recognised container format, e.g. `"JPEG"`.
    pub fn format(&self) -> &'static str {
        self.format
    }

    /// The decoded pixels.
    pub fn image(&self) -> &DynamicImage {
        &self.image
    }
}

impl std::fmt::Debug for DecodedImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecodedImage")
            .field("format", &self.format)
            .field("width", &self.image.width())
            .field("height", &self.image.height())
            .field("color", &self.image.color())
            .finish()
    }
}

/// What an image's header says, learned before any pixels are decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageInfo {
    /// The recognised container format, e.g. `"JPEG"`.
    pub format: &'static str,
    /// Width in pixels, as stored.
    pub width: u32,
    /// Height in pixels, as stored.
    pub height: u32,
    /// The most memory decoding will hold at once, in bytes: the decoded pixel buffer, twice
    /// over when EXIF orientation is applied (a rotation makes a copy).
    pub peak_bytes: u64,
}

/// An image whose header has been read and checked, with its pixels not yet decoded.
///
/// Callers use [`Probed::info`] to budget memory across parallel decodes before calling
/// [`Probed::decode`].
pub struct Probed<'a> {
    decoder: Box<dyn ImageDecoder + 'a>,
    info: ImageInfo,
    options: DecodeOptions,
}

impl std::fmt::Debug for Probed<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Probed")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl<'a> Probed<'a> {
    /// What the header says.
    pub fn info(&self) -> &ImageInfo {
        &self.info
    }

    /// Decodes the pixels.
    ///
    /// # Errors
    /// [`DecodeError::Malformed`] for corrupt data, [`DecodeError::TooMuchMemory`] if the
    /// decoder needs more than the limit after all.
    pub fn decode(self) -> Result<DecodedImage, DecodeError> {
        let Probed {
            mut decoder,
            info,
            options,
        } = self;
        let malformed = |source| classify(info.format, options.limits.max_alloc, source);
        let exif_orientation = match options.orientation {
            Orientation::AsStored => None,
            // A missing or unreadable tag means "as stored", as in every viewer.
            Orientation::FromExif => decoder.orientation().ok(),
        };
        let mut image = DynamicImage::from_decoder(decoder).map_err(malformed)?;
        if let Some(o) = exif_orientation {
            image.apply_orientation(o);
        }
        Ok(DecodedImage {
            image,
            format: info.format,
        })
    }
}

/// Reads and checks an image's header without decoding its pixels.
///
/// # Errors
/// As [`decode`], for everything detectable from the header and the file's structure.
pub fn probe<'a>(bytes: &'a [u8], options: &DecodeOptions) -> Result<Probed<'a>, DecodeError> {
    let (decoder, info) = open(bytes, options)?;
    Ok(Probed {
        decoder: Box::new(decoder),
        info,
        options: *options,
    })
}

/// Decodes an image file held in memory.
///
/// # Errors
/// See [`DecodeError`]: empty input, unrecognised content, limits exceeded, or corrupt data.
pub fn decode(bytes: &[u8], options: &DecodeOptions) -> Result<DecodedImage, DecodeError> {
    probe(bytes, options)?.decode()
}

/// Recognises the format, checks the header against the limits and returns a decoder that
/// has not yet allocated its pixel buffer.
fn open<'a>(
    bytes: &'a [u8],
    options: &DecodeOptions,
) -> Result<(impl ImageDecoder + 'a, ImageInfo), DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .expect("reading from memory cannot fail");
    let format = reader.format().ok_or(DecodeError::UnknownFormat)?;
    let format_name = format_name(format);
    let malformed = |source| classify(format_name, options.limits.max_alloc, source);
    if format == image::ImageFormat::Jpeg && !jpeg_is_complete(bytes) {
        return Err(DecodeError::Truncated {
            format: format_name,
        });
    }

    let mut decoder = reader.into_decoder().map_err(malformed)?;
    let (width, height) = decoder.dimensions();
    if pixels(width, height) > options.limits.max_pixels {
        return Err(DecodeError::TooManyPixels {
            width,
            height,
            max_pixels: options.limits.max_pixels,
        });
    }
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(options.limits.max_alloc);
    decoder.set_limits(limits).map_err(malformed)?;
    let buffer = decoder.total_bytes();
    if buffer > options.limits.max_alloc {
        return Err(DecodeError::TooMuchMemory {
            max_alloc: options.limits.max_alloc,
        });
    }
    let copies = match options.orientation {
        Orientation::AsStored => 1,
        Orientation::FromExif => 2,
    };
    let info = ImageInfo {
        format: format_name,
        width,
        height,
        peak_bytes: buffer.saturating_mul(copies),
    };
    Ok((decoder, info))
}

/// Whether the first bytes of a file (a few dozen suffice) are those of a supported image.
pub fn is_supported_image(head: &[u8]) -> bool {
    image::guess_format(head).is_ok_and(|f| format_name(f) != "image")
}

/// Whether a JPEG's segments and scans run to an end-of-image marker before the data ends.
///
/// JPEG decoders (zune-jpeg included) fill missing scan data with grey rather than fail, which
/// would hash a half-grey picture without a word. This walks the marker structure: segments
/// by their lengths (so an embedded EXIF thumbnail, inside its APP1 segment, is skipped), and
/// each scan's entropy-coded data to the next marker (inside it, `FF` is always followed by
/// `00` or a restart marker). Data after the end marker is ignored, as decoders ignore it.
/// A structure it cannot follow is left for the decoder to report.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    const EOI: u8 = 0xd9;
    const SOS: u8 = 0xda;
    let mut i = 2; // After SOI, which format detection has already matched.
    loop {
        // Markers may be preceded by any number of fill bytes (FF).
        while i < bytes.len() && bytes[i] == 0xff && bytes.get(i + 1) == Some(&0xff) {
            i += 1;
        }
        let Some(&[ff, marker]) = bytes
            .get(i..i + 2)
            .map(|m| <&[u8; 2]>::try_from(m).unwrap())
        else {
            return false;
        };
        if ff != 0xff {
            return true;
        }
        i += 2;
        match marker {
            EOI => return true,
            0x01 | 0xd0..=0xd7 => continue,
            _ => {}
        }
        let Some(len) = bytes
            .get(i..i + 2)
            .map(|l| usize::from(u16::from_be_bytes([l[0], l[1]])))
        else {
            return false;
        };
        i += len;
        if i > bytes.len() {
            return false;
        }
        if marker == SOS {
            // Skip entropy-coded data: find an FF that starts a real marker.
            loop {
                match memchr::memchr(0xff, &bytes[i..]) {
                    None => return false,
                    Some(k) => {
                        i += k;
                        match bytes.get(i + 1) {
                            None => return false,
                            Some(0x00 | 0xd0..=0xd7) => i += 2,
                            Some(_) => break,
                        }
                    }
                }
            }
        }
    }
}

fn classify(format: &'static str, max_alloc: u64, source: image::ImageError) -> DecodeError {
    match source {
        image::ImageError::Limits(_) => DecodeError::TooMuchMemory { max_alloc },
        source => DecodeError::Malformed { format, source },
    }
}

fn format_name(format: image::ImageFormat) -> &'static str {
    use image::ImageFormat as F;
    match format {
        F::Jpeg => "JPEG",
        F::Png => "PNG",
        F::WebP => "WebP",
        F::Gif => "GIF",
        F::Bmp => "BMP",
        F::Tiff => "TIFF",
        _ => "image",
    }
}

impl LumaRows for DecodedImage {
    fn width(&self) -> usize {
        self.image.width() as usize
    }

    fn height(&self) -> usize {
        self.image.height() as usize
    }

    fn luma_row(&self, y: usize, out: &mut [f32]) {
        let (w, h) = (self.width(), self.height());
        match &self.image {
            DynamicImage::ImageRgb8(b) => Rgb8::new(b.as_raw(), w, h, 3).luma_row(y, out),
            DynamicImage::ImageRgba8(b) => Rgb8::new(b.as_raw(), w, h, 4).luma_row(y, out),
            DynamicImage::ImageLuma8(b) => Gray8::new(b.as_raw(), w, h, 1).luma_row(y, out),
            DynamicImage::ImageLumaA8(b) => Gray8::new(b.as_raw(), w, h, 2).luma_row(y, out),
            DynamicImage::ImageRgb16(b) => wide_row(b.as_raw(), w, y, 3, 3, narrow_u16, out),
            DynamicImage::ImageRgba16(b) => wide_row(b.as_raw(), w, y, 4, 3, narrow_u16, out),
            DynamicImage::ImageLuma16(b) => wide_row(b.as_raw(), w, y, 1, 1, narrow_u16, out),
            DynamicImage::ImageLumaA16(b) => wide_row(b.as_raw(), w, y, 2, 1, narrow_u16, out),
            DynamicImage::ImageRgb32F(b) => wide_row(b.as_raw(), w, y, 3, 3, narrow_f32, out),
            DynamicImage::ImageRgba32F(b) => wide_row(b.as_raw(), w, y, 4, 3, narrow_f32, out),
            // `DynamicImage` is non-exhaustive; a future layout is converted row by row.
            other => {
                let row = other.crop_imm(0, y as u32, w as u32, 1).to_rgb8();
                Rgb8::new(row.as_raw(), w, 1, 3).luma_row(0, out);
            }
        }
    }
}

/// Luminance of a row of wider-than-8-bit samples: each colour sample is narrowed to 8 bits,
/// then weighted as an 8-bit pixel would be. `colors` is 3 for RGB, 1 for grey.
fn wide_row<T: Copy>(
    samples: &[T],
    width: usize,
    y: usize,
    channels: usize,
    colors: usize,
    narrow: fn(T) -> u8,
    out: &mut [f32],
) {
    let row = &samples[y * width * channels..(y + 1) * width * channels];
    for (o, px) in out.iter_mut().zip(row.chunks_exact(channels)) {
        let (r, g, b) = if colors == 3 {
            (narrow(px[0]), narrow(px[1]), narrow(px[2]))
        } else {
            let v = narrow(px[0]);
            (v, v, v)
        };
        *o = rgb_luma(r, g, b);
    }
}

fn narrow_u16(v: u16) -> u8 {
    ((u32::from(v) + 128) / 257) as u8
}

fn narrow_f32(v: f32) -> u8 {
    (v.clamp(0.0, 1.0) * 255.0).round() as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrowing_rounds_to_nearest() {
        assert_eq!(narrow_u16(0), 0);
        assert_eq!(narrow_u16(65535), 255);
        assert_eq!(narrow_u16(257 * 100), 100);
        assert_eq!(narrow_u16(257 * 100 + 128), 100);
        assert_eq!(narrow_u16(257 * 100 + 129), 101);
        assert_eq!(narrow_f32(0.5), 128);
        assert_eq!(narrow_f32(-1.0), 0);
        assert_eq!(narrow_f32(2.0), 255);
    }
}
