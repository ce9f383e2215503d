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

use image::{ColorType, DynamicImage, ImageDecoder, ImageReader};

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
    color: ColorType,
    width: u32,
    height: u32,
    storage: Storage,
    format: &'static str,
}

/// Where the pixels live.
enum Storage {
    /// Decoded straight into a buffer that goes back to the thread's pool when the image is
    /// dropped (see [`PooledBuffer`]).
    Pooled(PooledBuffer),
    /// Produced by `image`'s own conversions (after an EXIF rotation, or for a pixel layout
    /// this module does not read directly).
    Image(DynamicImage),
}

impl DecodedImage {
    /// The recognised container format, e.g. `"JPEG"`.
    pub fn format(&self) -> &'static str {
        self.format
    }

    /// Width in pixels, after any EXIF orientation was applied.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels, after any EXIF orientation was applied.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The pixel layout the decoder produced (8- or 16-bit, grey or colour, with or without
    /// alpha, or 32-bit float).
    pub fn color(&self) -> ColorType {
        self.color
    }

    /// The pixels, row-major, in [`DecodedImage::color`]'s layout, native-endian samples.
    fn bytes(&self) -> &[u8] {
        match &self.storage {
            Storage::Pooled(buf) => buf.bytes(),
            Storage::Image(image) => image.as_bytes(),
        }
    }
}

impl std::fmt::Debug for DecodedImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecodedImage")
            .field("format", &self.format)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("color", &self.color)
            .finish()
    }
}

/// A pixel buffer reused across the images one thread decodes.
///
/// A 12-megapixel RGB image is 36 MB, above glibc's largest `mmap` threshold, so a fresh
/// buffer per image is mapped, faulted in page by page and unmapped again: about 15% of the
/// time of hashing such a file. Keeping one buffer per thread (up to [`POOL_MAX_BYTES`]) and
/// never shrinking its length means a reused buffer is neither re-faulted nor re-zeroed.
struct PooledBuffer {
    buf: Vec<u8>,
    len: usize,
}

/// Larger buffers are freed after use rather than kept, so an occasional huge image does not
/// pin its memory for the rest of a run.
const POOL_MAX_BYTES: usize = 64 << 20;

thread_local! {
    static POOL: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl PooledBuffer {
    fn take(len: usize) -> Self {
        let mut buf = POOL.with(|p| std::mem::take(&mut *p.borrow_mut()));
        if buf.len() < len {
            buf.resize(len, 0);
        }
        Self { buf, len }
    }

    fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.buf[..self.len]
    }
}

impl Drop for PooledBuffer {
    fn drop(&mut self) {
        if self.buf.len() <= POOL_MAX_BYTES {
            let buf = std::mem::take(&mut self.buf);
            POOL.with(|p| {
                let mut pooled = p.borrow_mut();
                if buf.len() > pooled.len() {
                    *pooled = buf;
                }
            });
        }
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
        let orientation = match options.orientation {
            Orientation::AsStored => image::metadata::Orientation::NoTransforms,
            // A missing or unreadable tag means "as stored", as in every viewer.
            Orientation::FromExif => decoder
                .orientation()
                .unwrap_or(image::metadata::Orientation::NoTransforms),
        };
        let color = decoder.color_type();
        if orientation == image::metadata::Orientation::NoTransforms && is_direct(color) {
            let mut buf = PooledBuffer::take(
                usize::try_from(decoder.total_bytes()).expect("checked against max_alloc"),
            );
            decoder.read_image(buf.bytes_mut()).map_err(malformed)?;
            return Ok(DecodedImage {
                color,
                width: info.width,
                height: info.height,
                storage: Storage::Pooled(buf),
                format: info.format,
            });
        }
        let mut image = DynamicImage::from_decoder(decoder).map_err(malformed)?;
        image.apply_orientation(orientation);
        if !is_direct(image.color()) {
            image = DynamicImage::ImageRgb8(image.to_rgb8());
        }
        Ok(DecodedImage {
            color: image.color(),
            width: image.width(),
            height: image.height(),
            storage: Storage::Image(image),
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

/// The pixel layouts [`LumaRows`] reads directly from the decoded bytes.
fn is_direct(color: ColorType) -> bool {
    use ColorType as C;
    matches!(
        color,
        C::L8
            | C::La8
            | C::Rgb8
            | C::Rgba8
            | C::L16
            | C::La16
            | C::Rgb16
            | C::Rgba16
            | C::Rgb32F
            | C::Rgba32F
    )
}

impl LumaRows for DecodedImage {
    fn width(&self) -> usize {
        self.width as usize
    }

    fn height(&self) -> usize {
        self.height as usize
    }

    fn luma_row(&self, y: usize, out: &mut [f32]) {
        use ColorType as C;
        let (w, h, bytes) = (self.width as usize, self.height as usize, self.bytes());
        match self.color {
            C::Rgb8 => Rgb8::new(bytes, w, h, 3).luma_row(y, out),
            C::Rgba8 => Rgb8::new(bytes, w, h, 4).luma_row(y, out),
            C::L8 => Gray8::new(bytes, w, h, 1).luma_row(y, out),
            C::La8 => Gray8::new(bytes, w, h, 2).luma_row(y, out),
            C::Rgb16 => wide_row(bytes, w, y, 3, 3, narrow_u16, out),
            C::Rgba16 => wide_row(bytes, w, y, 4, 3, narrow_u16, out),
            C::L16 => wide_row(bytes, w, y, 1, 1, narrow_u16, out),
            C::La16 => wide_row(bytes, w, y, 2, 1, narrow_u16, out),
            C::Rgb32F => wide_row(bytes, w, y, 3, 3, narrow_f32, out),
            C::Rgba32F => wide_row(bytes, w, y, 4, 3, narrow_f32, out),
            other => unreachable!("decode converts {other:?} to RGB8"),
        }
    }
}

/// Luminance of a row of wider-than-8-bit samples (native-endian, `B` bytes each): each colour
/// sample is narrowed to 8 bits, then weighted as an 8-bit pixel would be. `colors` is 3 for
/// RGB, 1 for grey.
fn wide_row<const B: usize>(
    bytes: &[u8],
    width: usize,
    y: usize,
    channels: usize,
    colors: usize,
    narrow: fn([u8; B]) -> u8,
    out: &mut [f32],
) {
    let pixel = channels * B;
    let row = &bytes[y * width * pixel..(y + 1) * width * pixel];
    let sample = |px: &[u8], c: usize| narrow(px[c * B..(c + 1) * B].try_into().expect("B bytes"));
    for (o, px) in out.iter_mut().zip(row.chunks_exact(pixel)) {
        let (r, g, b) = if colors == 3 {
            (sample(px, 0), sample(px, 1), sample(px, 2))
        } else {
            let v = sample(px, 0);
            (v, v, v)
        };
        *o = rgb_luma(r, g, b);
    }
}

fn narrow_u16(sample: [u8; 2]) -> u8 {
    ((u32::from(u16::from_ne_bytes(sample)) + 128) / 257) as u8
}

fn narrow_f32(sample: [u8; 4]) -> u8 {
    (f32::from_ne_bytes(sample).clamp(0.0, 1.0) * 255.0).round() as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrowing_rounds_to_nearest() {
        let u16 = |v: u16| narrow_u16(v.to_ne_bytes());
        assert_eq!(u16(0), 0);
        assert_eq!(u16(65535), 255);
        assert_eq!(u16(257 * 100), 100);
        assert_eq!(u16(257 * 100 + 128), 100);
        assert_eq!(u16(257 * 100 + 129), 101);
        let f32 = |v: f32| narrow_f32(v.to_ne_bytes());
        assert_eq!(f32(0.5), 128);
        assert_eq!(f32(-1.0), 0);
        assert_eq!(f32(2.0), 255);
    }
}
