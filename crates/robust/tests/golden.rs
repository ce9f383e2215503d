//! The product's hash profiles are frozen: every output they give on the golden images is
//! committed in `tests/golden/<profile>.txt` and compared here, line for line. Registries and
//! members hold these hashes, so a change in any of them is a new profile version, never an
//! edit of these files. (A new profile gets its file once, written with
//! `QUELL_WRITE_GOLDEN=1 cargo test -p quell-robust --test golden`, and is then held to it.)
//!
//! Sets of images, one file each: `<profile>.txt` (the images as `quell` decodes them,
//! JPEG included) and `<profile>.lossless.txt` (lossless PNGs only, so that another
//! implementation that decodes them, the page's TypeScript, sees the same pixels and must give
//! the same lines); and for `pdq-robust-v6`, `<profile>.screen.txt` (three photographs inside
//! a synthetic app screen, for its framed photo).
//!
//! Format, one line each: `image <path>` (under the vectors' `pdq/images` in the first file,
//! under `pdq/` in the lossless one), then the image's submission hashes in order, `submit
//! <part> <hash> <quality>`, then its upload searches in order, `upload <kind> <hash>`.

use std::fmt::Write as _;
use std::path::PathBuf;

use quell_robust::{LumaImage, Profile};

/// Shared vectors of several kinds: a photograph and edits of it, small and tiny images, a
/// PNG drawing, a photograph with a plain background, natural scenes.
const IMAGES: [&str; 8] = [
    "bridge-mods/aaa-orig.jpg",
    "bridge-mods/shrink-a-lot.jpg",
    "bridge-mods/square-128x128.jpg",
    "misc-images/c.png",
    "misc-images/small.jpg",
    "reg-test-input/pen-and-coaster.png",
    "reg-test-input/labelme-subset/q0003.jpg",
    "reg-test-input/labelme-subset/q0122.jpg",
];

/// Lossless images of the same kinds, under the vectors' `pdq/`: a drawing, a photograph on a
/// plain background, a large photograph, its 512 px square, small, portrait and tiny images
/// (below and above the 512 px copy the profile decides on), a natural scene.
const LOSSLESS: [&str; 8] = [
    "images/misc-images/c.png",
    "images/reg-test-input/pen-and-coaster.png",
    "decoded/reg-test-input__dih__bridge-1-original.png",
    "decoded/bridge-mods__square-512x512.png",
    "decoded/bridge-mods__shrink-a-lot.png",
    "decoded/misc-images__small.png",
    "decoded/misc-images__wee.png",
    "decoded/reg-test-input__labelme-subset__q0122.png",
];

fn vectors() -> PathBuf {
    std::env::var_os("QUELL_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors")
        })
        .join("pdq")
}

/// A set of golden images: the files' directory under the vectors' `pdq/`, the images, and
/// the golden file's suffix.
struct Set {
    dir: &'static str,
    images: &'static [&'static str],
    suffix: &'static str,
    /// Each image shown inside a synthetic app screen ([`on_a_screen`]) instead.
    screen: bool,
}

const DECODED_BY_QUELL: Set = Set {
    dir: "images",
    images: &IMAGES,
    suffix: "",
    screen: false,
};

const LOSSLESS_SET: Set = Set {
    dir: "",
    images: &LOSSLESS,
    suffix: ".lossless",
    screen: false,
};

/// Photographs inside a screenshot of an app, for the upload's framed photo (`pdq-robust-v6`).
const ON_A_SCREEN: Set = Set {
    dir: "",
    images: &[
        "decoded/reg-test-input__dih__bridge-1-original.png",
        "decoded/reg-test-input__labelme-subset__q0122.png",
        "images/reg-test-input/pen-and-coaster.png",
    ],
    suffix: ".screen",
    screen: true,
};

/// `image` at half the width of a light screen, between a header and buttons and caption
/// lines that reach into the margins beside it (integer arithmetic only: the picture is
/// part of the golden file's contract).
fn on_a_screen(image: &image::RgbImage) -> image::RgbImage {
    let (w, h) = image.dimensions();
    let (sw, top) = (w * 2, w / 4);
    let sh = top + h + w / 2;
    let mut out = image::RgbImage::from_pixel(sw, sh, image::Rgb([255, 255, 255]));
    image::imageops::replace(&mut out, image, i64::from(w / 2), i64::from(top));
    let line = (w / 40).max(2);
    for y0 in [
        top / 3,
        top + h + line,
        top + h + 3 * line,
        top + h + 5 * line,
    ] {
        for y in y0..y0 + line {
            for x in (line..sw - 4 * line).filter(|x| x / line % 3 != 2) {
                out.put_pixel(x, y, image::Rgb([30, 30, 30]));
            }
        }
    }
    out
}

/// What `profile` gives on the golden images, in the file's format.
fn outputs(profile: Profile, set: &Set) -> String {
    let mut out = String::new();
    for path in set.images {
        let bytes = std::fs::read(vectors().join(set.dir).join(path)).unwrap();
        let mut rgb = image::load_from_memory(&bytes).unwrap().to_rgb8();
        if set.screen {
            rgb = on_a_screen(&rgb);
        }
        let image = LumaImage::from_rgb(&rgb);
        let _ = writeln!(out, "image {path}");
        for (part, h) in profile.submission_entries(&image) {
            let _ = writeln!(out, "submit {} {} {}", part.name(), h.hash, h.quality.get());
        }
        for q in profile.upload_queries(&image) {
            let _ = writeln!(out, "upload {} {}", q.kind.name(), q.hash);
        }
    }
    out
}

fn check(profile: Profile, set: &Set) {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{}{}.txt", profile.name(), set.suffix));
    let got = outputs(profile, set);
    if std::env::var_os("QUELL_WRITE_GOLDEN").is_some() && !file.exists() {
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, &got).unwrap();
    }
    let want = std::fs::read_to_string(&file).unwrap();
    let first_difference = got
        .lines()
        .zip(want.lines())
        .position(|(g, w)| g != w)
        .map(|i| (i + 1, got.lines().nth(i), want.lines().nth(i)));
    assert!(
        got == want,
        "{} changed its outputs: a new profile version is needed, not an edit of {}. \
         First difference (line, got, committed): {first_difference:?}; lines {} vs {}",
        profile.name(),
        file.display(),
        got.lines().count(),
        want.lines().count()
    );
}

#[test]
fn the_plain_profile_gives_its_committed_outputs() {
    check(Profile::PlainV1, &DECODED_BY_QUELL);
    check(Profile::PlainV1, &LOSSLESS_SET);
}

#[test]
fn the_profile_that_was_the_default_gives_its_committed_outputs() {
    check(Profile::RobustV5, &DECODED_BY_QUELL);
    check(Profile::RobustV5, &LOSSLESS_SET);
}

#[test]
fn the_default_profile_gives_its_committed_outputs() {
    assert_eq!(Profile::DEFAULT, Profile::RobustV6);
    check(Profile::RobustV6, &DECODED_BY_QUELL);
    check(Profile::RobustV6, &LOSSLESS_SET);
    check(Profile::RobustV6, &ON_A_SCREEN);
}

#[test]
fn members_hold_what_the_default_profile_searches() {
    assert_eq!(
        Profile::DEFAULT_HELD,
        quell_hash::searched_with(Profile::DEFAULT.name()).join(",")
    );
}

#[test]
fn every_profile_of_the_product_has_golden_outputs() {
    // The product's profiles (the lab's retired ones are not held to goldens): each has its
    // files, and the default is among them.
    let product = ["pdq-plain-v1", "pdq-robust-v5", "pdq-robust-v6"];
    assert!(product.contains(&Profile::DEFAULT.name()));
    for name in product {
        let profile = Profile::from_name(name).unwrap();
        assert!(quell_hash::FILED_PROFILES.contains(&name) == profile.searches_by_part());
        for set in [&DECODED_BY_QUELL, &LOSSLESS_SET] {
            let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/golden")
                .join(format!("{name}{}.txt", set.suffix));
            assert!(file.exists(), "{}", file.display());
        }
    }
    #[cfg(not(feature = "lab"))]
    assert_eq!(
        Profile::ALL.map(Profile::name),
        product,
        "a profile of the product without golden outputs"
    );
}
