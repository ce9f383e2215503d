//! Tests of the profiles, the trimming and the transforms, on generated images and the golden
//! vectors.

use std::path::PathBuf;

use image::{Rgb, RgbImage};
use quell_robust::transform::{self, Family, SplitMix64};
use quell_robust::{LumaImage, Profile, Rect, TrimRule};

fn vectors() -> PathBuf {
    std::env::var_os("QUELL_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors")
        })
        .join("pdq/images")
}

fn vector(path: &str) -> RgbImage {
    let bytes = std::fs::read(vectors().join(path)).unwrap();
    image::load_from_memory(&bytes).unwrap().to_rgb8()
}

/// Deterministic texture with no flat line anywhere: every edge line is far from uniform.
fn texture(w: u32, h: u32, seed: u64) -> RgbImage {
    let mut rng = SplitMix64::new(seed, 0, 0);
    RgbImage::from_fn(w, h, |x, y| {
        let v = ((x * 7 + y * 3) % 160) as u8 + (rng.below(90) as u8);
        Rgb([v, v.wrapping_mul(3), 255 - v])
    })
}

fn inner(image: &RgbImage) -> Rect {
    TrimRule::V1.inner_rect(&LumaImage::from_rgb(image))
}

#[test]
fn trimming_leaves_an_unframed_image_whole() {
    let t = texture(120, 90, 1);
    assert_eq!(
        inner(&t),
        Rect {
            x: 0,
            y: 0,
            width: 120,
            height: 90
        }
    );
}

#[test]
fn trimming_recovers_the_inner_rectangle_of_borders_and_letterboxes() {
    let t = texture(120, 90, 2);
    for colour in [Rgb([0, 0, 0]), Rgb([255, 255, 255]), Rgb([90, 140, 30])] {
        assert_eq!(
            inner(&transform::border(&t, 0.1, colour)),
            Rect {
                x: 12,
                y: 9,
                width: 120,
                height: 90
            },
            "{colour:?}"
        );
    }
    assert_eq!(
        inner(&transform::letterbox(&t, 0.2, Rgb([0, 0, 0]))),
        Rect {
            x: 0,
            y: 18,
            width: 120,
            height: 90
        }
    );
    // Uneven sides, each its own colour.
    let mut framed = RgbImage::from_pixel(150, 130, Rgb([250, 250, 250]));
    for y in 0..130 {
        for x in 0..7 {
            framed.put_pixel(x, y, Rgb([10, 10, 200]));
        }
    }
    image::imageops::replace(&mut framed, &t, 7, 25);
    assert_eq!(
        inner(&framed),
        Rect {
            x: 7,
            y: 25,
            width: 120,
            height: 90
        }
    );
}

#[test]
fn trimming_removes_caption_bars_with_text_and_screenshot_canvases() {
    let t = texture(200, 150, 3);
    let mut rng = SplitMix64::new(9, 0, 0);
    let below = transform::caption(&t, 0.15, false, &mut rng);
    assert_eq!(
        inner(&below),
        Rect {
            x: 0,
            y: 0,
            width: 200,
            height: 150
        }
    );
    let above = transform::caption(&t, 0.15, true, &mut rng);
    assert_eq!(
        inner(&above),
        Rect {
            x: 0,
            y: 22,
            width: 200,
            height: 150
        }
    );
    let shot = transform::screenshot(&t, 0.7, &mut rng);
    let (cw, ch) = shot.dimensions();
    assert_eq!(
        inner(&shot),
        Rect {
            x: ((cw - 200) / 2) as usize,
            y: ((ch - 150) / 2) as usize,
            width: 200,
            height: 150
        }
    );
}

#[test]
fn transforms_are_deterministic_in_the_seed() {
    let t = texture(160, 120, 4);
    for family in Family::ALL {
        let a = family.variants(&t, 7, 3);
        let b = family.variants(&t, 7, 3);
        assert!(!a.is_empty(), "{}", family.name());
        assert_eq!(a, b, "{}", family.name());
    }
    // The parameters do depend on the seed and the image number.
    let dims = |seed, n| Family::CentreCrop.variants(&t, seed, n)[0].dimensions();
    let seen: std::collections::HashSet<_> =
        (0..8).flat_map(|s| [dims(s, 0), dims(0, s)]).collect();
    assert!(seen.len() > 3, "{seen:?}");
}

#[test]
fn profile_names_round_trip_and_unknown_names_are_refused() {
    for p in Profile::ALL {
        assert_eq!(Profile::from_name(p.name()).unwrap(), p);
    }
    let err = Profile::from_name("pdq-v0").unwrap_err().to_string();
    assert!(
        err.contains("pdq-v0") && err.contains("pdq-robust-v1"),
        "{err}"
    );
}

#[test]
fn submission_and_upload_hashes_of_the_same_image_match_exactly() {
    for path in [
        "reg-test-input/dih/bridge-1-original.jpg",
        "reg-test-input/labelme-subset/q0291.jpg",
    ] {
        let luma = LumaImage::from_rgb(&vector(path));
        for p in Profile::ALL {
            let d = Profile::distance(&p.upload_hashes(&luma), &p.submission_hashes(&luma));
            assert_eq!(d.get(), 0, "{path} {p}");
        }
    }
}

#[test]
fn the_robust_profile_matches_framed_captioned_and_screenshotted_copies() {
    let original = vector("reg-test-input/labelme-subset/q1050.jpg");
    let robust = Profile::RobustV1;
    let registered = robust.submission_hashes(&LumaImage::from_rgb(&original));
    let plain_registered = Profile::PlainV1.submission_hashes(&LumaImage::from_rgb(&original));
    let mut rng = SplitMix64::new(1, 2, 3);
    for (what, variant) in [
        (
            "border",
            transform::border(&original, 0.1, Rgb([255, 255, 255])),
        ),
        (
            "caption",
            transform::caption(&original, 0.15, false, &mut rng),
        ),
        (
            "screenshot",
            transform::screenshot(&original, 0.7, &mut rng),
        ),
        (
            "rotate90+border",
            image::imageops::rotate90(&transform::border(&original, 0.1, Rgb([0, 0, 0]))),
        ),
    ] {
        let luma = LumaImage::from_rgb(&variant);
        let d = Profile::distance(&robust.upload_hashes(&luma), &registered);
        assert!(d <= robust.threshold(), "{what}: {d}");
        let plain = Profile::distance(&Profile::PlainV1.upload_hashes(&luma), &plain_registered);
        assert!(
            plain > Profile::PlainV1.threshold(),
            "{what}: plain PDQ already matches ({plain})"
        );
    }
}

#[test]
fn distinct_vector_images_do_not_match_under_the_robust_profile() {
    let files = [
        "reg-test-input/labelme-subset/q0291.jpg",
        "reg-test-input/labelme-subset/q1050.jpg",
        "reg-test-input/dih/bridge-1-original.jpg",
        "reg-test-input/pen-and-coaster.png",
    ];
    let lumas: Vec<LumaImage> = files
        .iter()
        .map(|f| LumaImage::from_rgb(&vector(f)))
        .collect();
    let p = Profile::RobustV1;
    for (i, a) in lumas.iter().enumerate() {
        let registered = p.submission_hashes(a);
        for (j, b) in lumas.iter().enumerate() {
            if i != j {
                let d = Profile::distance(&p.upload_hashes(b), &registered);
                assert!(d > p.threshold(), "{} vs {}: {d}", files[j], files[i]);
            }
        }
    }
}
