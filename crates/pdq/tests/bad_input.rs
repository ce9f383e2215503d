//! Bad and unusual input: a clear result or a clear error, never a panic, memory bounded.

use std::io::Cursor;

use image::{ImageBuffer, ImageFormat, Rgb, RgbImage};
use quell_pdq::decode::{DecodeError, DecodeLimits, DecodeOptions, decode};
use quell_pdq::{Rgb8, hash};

use crate::vectors::pdq_dir;

fn encode(img: impl Into<image::DynamicImage>, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.into().write_to(&mut out, format).unwrap();
    out.into_inner()
}

fn photo() -> RgbImage {
    image::open(pdq_dir().join("decoded/reg-test-input__labelme-subset__q2821.png"))
        .unwrap()
        .to_rgb8()
}

fn opts() -> DecodeOptions {
    DecodeOptions::default()
}

#[test]
fn zero_bytes() {
    let err = decode(&[], &opts()).unwrap_err();
    assert!(matches!(err, DecodeError::Empty), "{err}");
    assert_eq!(err.to_string(), "the file is empty");
}

#[test]
fn not_an_image() {
    let err = decode(b"%PDF-1.7 this is not an image", &opts()).unwrap_err();
    assert!(matches!(err, DecodeError::UnknownFormat), "{err}");
}

#[test]
fn truncated_jpeg_is_an_error() {
    let bytes =
        std::fs::read(pdq_dir().join("images/reg-test-input/dih/bridge-1-original.jpg")).unwrap();
    for keep in [100, 600, bytes.len() / 2, bytes.len() - 2] {
        let err = decode(&bytes[..keep], &opts()).unwrap_err();
        assert!(
            matches!(
                err,
                DecodeError::Truncated { format: "JPEG" }
                    | DecodeError::Malformed { format: "JPEG", .. }
            ),
            "first {keep} bytes: {err}"
        );
    }
}

/// A valid PNG header claiming 100000×100000 pixels is refused from the header alone.
#[test]
fn huge_declared_dimensions_are_refused_before_allocating() {
    let mut png = encode(
        ImageBuffer::from_pixel(8, 8, Rgb([1u8, 2, 3])),
        ImageFormat::Png,
    );
    // IHDR data starts at byte 16: width, height (big-endian), then the chunk CRC at 29..33.
    png[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    png[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    let err = decode(&png, &opts()).unwrap_err();
    assert!(
        matches!(
            err,
            DecodeError::TooManyPixels {
                width: 100_000,
                height: 100_000,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("100000x100000"), "{err}");

    // Within the pixel limit but over the memory limit.
    let tight = DecodeOptions {
        limits: DecodeLimits {
            max_pixels: u64::MAX,
            max_alloc: 1 << 20,
        },
        ..opts()
    };
    let err = decode(&png, &tight).unwrap_err();
    assert!(matches!(err, DecodeError::TooMuchMemory { .. }), "{err}");
}

/// A complete JPEG with data after its end marker (as some cameras append) is not truncated;
/// one cut inside an embedded thumbnail's segment is.
#[test]
fn jpeg_structure_check() {
    let bytes =
        std::fs::read(pdq_dir().join("images/reg-test-input/exif-rotn/exif-rotn-1.jpg")).unwrap();
    let mut trailing = bytes.clone();
    trailing.extend_from_slice(&[0xff, 0xda, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 0xff, 0xd8]);
    assert!(decode(&trailing, &opts()).is_ok());
    // The APP1 (EXIF) segment with its thumbnail comes first: cut inside it.
    let err = decode(&bytes[..2000], &opts()).unwrap_err();
    assert!(
        matches!(
            err,
            DecodeError::Truncated { .. } | DecodeError::Malformed { .. }
        ),
        "{err}"
    );
}

#[test]
fn corrupted_png_chunk_is_an_error() {
    let mut png = encode(photo(), ImageFormat::Png);
    let mid = png.len() / 2;
    for b in &mut png[mid..mid + 64] {
        *b ^= 0x5a;
    }
    let err = decode(&png, &opts()).unwrap_err();
    assert!(
        matches!(err, DecodeError::Malformed { format: "PNG", .. }),
        "{err}"
    );
}

/// The format comes from the content: the same bytes hash the same whatever they are called,
/// so the library never sees a name. (The CLI test checks a misnamed file end to end.)
#[test]
fn animated_gif_hashes_its_first_frame() {
    use image::codecs::gif::GifEncoder;
    use image::{Delay, Frame, RgbaImage};
    let first = image::DynamicImage::ImageRgb8(photo()).to_rgba8();
    let second = RgbaImage::from_pixel(first.width(), first.height(), image::Rgba([9, 9, 9, 255]));
    let mut gif = Vec::new();
    {
        let mut enc = GifEncoder::new(&mut gif);
        for f in [first.clone(), second] {
            enc.encode_frame(Frame::from_parts(
                f,
                0,
                0,
                Delay::from_numer_denom_ms(100, 1),
            ))
            .unwrap();
        }
    }
    let img = decode(&gif, &opts()).unwrap();
    assert_eq!(img.format(), "GIF");
    let got = hash(&img);
    assert!(
        got.quality.is_matchable(),
        "first frame has detail, quality {}",
        got.quality
    );
    // GIF quantises to 256 colours, so compare with the photo loosely.
    let p = photo();
    let want = hash(&Rgb8::new(
        p.as_raw(),
        p.width() as usize,
        p.height() as usize,
        3,
    ));
    assert!(
        got.hash.distance(&want.hash).get() <= 31,
        "{}",
        got.hash.distance(&want.hash)
    );
}

#[test]
fn one_pixel_image_hashes_to_zero_with_quality_zero() {
    let png = encode(
        ImageBuffer::from_pixel(1, 1, Rgb([200u8, 10, 10])),
        ImageFormat::Png,
    );
    let got = hash(&decode(&png, &opts()).unwrap());
    assert_eq!(got.hash, quell_hash::Pdq::ZERO);
    assert_eq!(got.quality.get(), 0);
}

#[test]
fn uniform_image_has_quality_zero() {
    let png = encode(
        ImageBuffer::from_pixel(640, 480, Rgb([90u8, 90, 90])),
        ImageFormat::Png,
    );
    let got = hash(&decode(&png, &opts()).unwrap());
    assert_eq!(got.quality.get(), 0);
    assert!(!got.quality.is_matchable());
}

/// A 16-bit PNG hashes like its 8-bit rendering.
#[test]
fn sixteen_bit_png_hashes_like_eight_bit() {
    let p = photo();
    let wide: ImageBuffer<Rgb<u16>, Vec<u16>> =
        ImageBuffer::from_fn(p.width(), p.height(), |x, y| {
            let Rgb([r, g, b]) = *p.get_pixel(x, y);
            Rgb([u16::from(r) * 257, u16::from(g) * 257, u16::from(b) * 257])
        });
    let img = decode(&encode(wide, ImageFormat::Png), &opts()).unwrap();
    assert_eq!(img.color(), image::ColorType::Rgb16);
    let want = hash(&Rgb8::new(
        p.as_raw(),
        p.width() as usize,
        p.height() as usize,
        3,
    ));
    assert_eq!(hash(&img), want);
}

/// Random garbage and random truncations of real files never panic.
#[test]
fn garbage_never_panics() {
    let dir = pdq_dir();
    let mut seeds: Vec<Vec<u8>> = [
        "images/reg-test-input/dih/bridge-1-original.jpg",
        "images/misc-images/modes/LAB.webp",
        "images/misc-images/c.png",
        "images/reg-test-input/pen-and-coaster.png",
    ]
    .iter()
    .map(|f| std::fs::read(dir.join(f)).unwrap())
    .collect();
    seeds.push(encode(photo(), ImageFormat::Gif));
    seeds.push(encode(photo(), ImageFormat::Bmp));
    seeds.push(encode(photo(), ImageFormat::Tiff));
    let mut x = 0x9e3779b97f4a7c15u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for seed in &seeds {
        for _ in 0..24 {
            let mut bytes = seed[..(next() as usize % seed.len()) + 1].to_vec();
            for _ in 0..(next() % 8) {
                let i = next() as usize % bytes.len();
                bytes[i] = next() as u8;
            }
            if let Ok(img) = decode(&bytes, &opts()) {
                let _ = hash(&img);
            }
        }
    }
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
