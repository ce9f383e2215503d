//! Tests of the profiles, the trimming and the transforms, on generated images and the golden
//! vectors.

use std::path::PathBuf;

use image::{Rgb, RgbImage};
use quell_lab::transform::{self, Family, SplitMix64};
use quell_pdq::LumaRows;
use quell_robust::UploadKind::{Cut, Trim, TrimTurned, Whole, WholeTurned};
use quell_robust::{LumaImage, Profile, Query, Rect, ShrinkingRows, Side, TrimRule, UploadKind};

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

/// The occlusions cover the share of the image they are asked to, where they are asked to,
/// and the app screenshot holds the photo unchanged at the share of the screen's width.
#[test]
fn occlusions_cover_their_share_and_app_screenshots_hold_the_photo() {
    let t = texture(300, 200, 9);
    let changed = |o: &RgbImage| {
        let n = t.pixels().zip(o.pixels()).filter(|(a, b)| a != b).count();
        n as f64 / f64::from(t.width() * t.height())
    };
    let mut rng = SplitMix64::new(1, 2, 3);
    for share in [0.1, 0.25] {
        for corner in 0..4 {
            let block = transform::corner_block(&t, share, corner, &mut rng);
            assert!(
                (changed(&block) - share).abs() < 0.02,
                "block {share} {corner}"
            );
            let disc = transform::disc(&t, share, corner, &mut rng);
            assert!(
                (changed(&disc) - share).abs() < 0.03,
                "disc {share} {corner}"
            );
            let band = transform::edge_band(&t, share, corner, 0.5, &mut rng);
            assert!(changed(&band) <= share + 0.01, "band {share} {corner}");
            assert!(changed(&band) > share * 0.5, "band {share} {corner}");
        }
    }
    // A top band leaves the bottom rows alone; a corner block its opposite corner.
    let band = transform::edge_band(&t, 0.2, 0, 0.5, &mut rng);
    assert_eq!(band.get_pixel(5, 195), t.get_pixel(5, 195));
    let block = transform::corner_block(&t, 0.2, 0, &mut rng);
    assert_eq!(block.get_pixel(295, 195), t.get_pixel(295, 195));
    for dark in [false, true] {
        let shot = transform::app_screenshot(&t, 0.5, dark, &mut rng);
        assert_eq!(shot.width(), 600);
        let found = (0..shot.height() - t.height())
            .find(|&y| image::imageops::crop_imm(&shot, 150, y, 300, 200).to_image() == t);
        assert!(
            found.is_some(),
            "the photo is inside the screenshot unchanged"
        );
    }
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
fn the_registry_files_by_part_exactly_the_profiles_that_search_by_part() {
    let by_part: Vec<&str> = Profile::ALL
        .into_iter()
        .filter(|p| p.searches_by_part())
        .map(Profile::name)
        .collect();
    assert_eq!(by_part, quell_hash::FILED_PROFILES);
}

#[test]
fn submission_entries_carry_each_hash_quality_as_the_hasher_reports_it() {
    let luma = LumaImage::from_rgb(&vector("reg-test-input/labelme-subset/q0291.jpg"));
    let entries = Profile::RobustV5.submission_entries(&luma);
    assert_eq!(
        entries
            .iter()
            .map(|&(part, h)| (part, h.hash))
            .collect::<Vec<_>>(),
        Profile::RobustV5.submission_parts(&luma)
    );
    // The first entry is the image's own hash, with the quality a plain hash reports.
    assert_eq!(entries[0].1, quell_pdq::hash(&luma));
    // A plain field with detail in one corner: its crops and cuts keep less or more of it.
    let mut corner = RgbImage::from_pixel(240, 240, Rgb([128, 128, 128]));
    image::imageops::replace(&mut corner, &texture(60, 60, 7), 0, 0);
    let entries = Profile::RobustV5.submission_entries(&LumaImage::from_rgb(&corner));
    let mut qualities: Vec<u8> = entries.iter().map(|(_, h)| h.quality.get()).collect();
    // Nothing below the registry's floor of 50 but the image's own hash.
    assert!(qualities[1..].iter().all(|&q| q >= 50), "{qualities:?}");
    qualities.sort_unstable();
    qualities.dedup();
    assert!(qualities.len() > 1, "{qualities:?}");
}

#[test]
fn an_upload_s_first_search_is_its_plain_hash_with_the_plain_quality_and_its_only_whole_one() {
    let photo = vector("reg-test-input/labelme-subset/q0291.jpg");
    let pixels = quell_pdq::Rgb8::new(
        photo.as_raw(),
        photo.width() as usize,
        photo.height() as usize,
        3,
    );
    let plain = quell_pdq::hash(&pixels);
    for p in Profile::ALL {
        let (quality, queries) = p.upload_from_rows(&pixels);
        assert_eq!(
            (queries[0].hash, quality),
            (plain.hash, plain.quality),
            "{p}"
        );
        assert_eq!(queries[0].kind, UploadKind::Whole, "{p}");
        // The registry's flood rule takes a `whole` query to start the next upload.
        if p.searches_by_part() {
            assert!(
                queries[1..].iter().all(|q| q.kind != UploadKind::Whole),
                "{p}"
            );
        }
    }
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
    for robust in [
        Profile::RobustV1,
        Profile::RobustV2,
        Profile::RobustV3,
        Profile::RobustV4,
        Profile::RobustV5,
        Profile::RobustV6,
    ] {
        framed_copies_match(&original, robust);
    }
}

/// What `pdq-robust-v6` adds: a sticker or an emoji over up to a quarter of the image in a
/// corner (its deeper cuts), and the photo at half a phone screen's width inside an app's
/// chrome (the framed photo), which v5 misses.
#[test]
fn v6_matches_large_corner_occlusions_and_app_screenshots_that_v5_misses() {
    let mut rng = SplitMix64::new(4, 5, 6);
    // (q0003 is a dim photograph whose cuts fall below quality 50 and are not registered.)
    for path in PHOTOS.iter().filter(|p| !p.ends_with("q0003.jpg")) {
        let original = vector(path);
        let luma = LumaImage::from_rgb(&original);
        let v5 = Profile::RobustV5.submission_parts(&luma);
        let v6 = Profile::RobustV6.submission_parts(&luma);
        // v6 registers every hash v5 does, and its deeper cuts (those of quality 50 or more).
        assert!(v5.iter().all(|e| v6.contains(e)), "{path}");
        let mut v5_missed = 0;
        for (what, copy) in [
            (
                "block 25%",
                transform::corner_block(&original, 0.25, 1, &mut rng),
            ),
            ("disc 20%", transform::disc(&original, 0.2, 2, &mut rng)),
            (
                "app, light",
                transform::app_screenshot(&original, 0.5, false, &mut rng),
            ),
            // (At half the screen's width: these vector photographs are 256 px or so, and a
            // screen they fill less of is shrunk for the trims by a factor that blurs them.)
            (
                "app, dark",
                transform::app_screenshot(&original, 0.5, true, &mut rng),
            ),
        ] {
            let copy = LumaImage::from_rgb(&copy);
            // v6's uploads make every search v5's make (what lets a query of either search
            // both profiles' hashes, `quell_hash::searched_with`).
            let searches = |p: Profile| -> Vec<(UploadKind, quell_hash::Pdq)> {
                p.upload_queries(&copy)
                    .iter()
                    .map(|q| (q.kind, q.hash))
                    .collect()
            };
            let v6_searches = searches(Profile::RobustV6);
            assert!(
                searches(Profile::RobustV5)
                    .iter()
                    .all(|s| v6_searches.contains(s)),
                "{path}: {what}"
            );
            assert!(
                Profile::RobustV6.match_distance(&copy, &v6).is_some(),
                "{path}: {what}"
            );
            v5_missed += usize::from(Profile::RobustV5.match_distance(&copy, &v5).is_none());
        }
        assert!(v5_missed > 0, "{path}: v5 matched every copy already");
    }
}

fn framed_copies_match(original: &RgbImage, robust: Profile) {
    let original = original.clone();
    let registered = robust.submission_parts(&LumaImage::from_rgb(&original));
    let plain_registered = Profile::PlainV1.submission_parts(&LumaImage::from_rgb(&original));
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
        let d = robust.match_distance(&luma, &registered);
        assert!(d.is_some(), "{robust} {what}");
        let plain = Profile::PlainV1.match_distance(&luma, &plain_registered);
        assert_eq!(plain, None, "{what}: plain PDQ already matches");
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
    for p in [
        Profile::RobustV1,
        Profile::RobustV2,
        Profile::RobustV3,
        Profile::RobustV4,
        Profile::RobustV5,
        Profile::RobustV6,
    ] {
        for (i, a) in lumas.iter().enumerate() {
            let registered = p.submission_parts(a);
            for (j, b) in lumas.iter().enumerate() {
                if i != j {
                    let d = p.match_distance(b, &registered);
                    assert_eq!(d, None, "{p}: {} vs {}", files[j], files[i]);
                }
            }
        }
    }
}

fn kinds(queries: &[Query]) -> Vec<UploadKind> {
    queries.iter().map(|q| q.kind).collect()
}

/// The vector photographs the trimming and v2 tests run on.
const PHOTOS: [&str; 6] = [
    "reg-test-input/labelme-subset/q0003.jpg",
    "reg-test-input/labelme-subset/q0122.jpg",
    "reg-test-input/labelme-subset/q0746.jpg",
    "reg-test-input/labelme-subset/q1050.jpg",
    "reg-test-input/labelme-subset/q2821.jpg",
    "reg-test-input/dih/bridge-1-original.jpg",
];

#[test]
fn trimming_a_framed_photograph_removes_the_frame_and_what_it_removes_unframed() {
    // Submission trims the photograph, upload trims the framed copy: the two must agree, or
    // the trimmed hashes cannot match. (Photographs with a flat sky lose it on both sides.)
    for rule in [
        TrimRule::V1,
        TrimRule::V2,
        TrimRule::STRICT,
        TrimRule::V3_STRICT,
    ] {
        for path in PHOTOS {
            let photo = vector(path);
            let (w, h) = (photo.width() as usize, photo.height() as usize);
            let own = rule.inner_rect(&LumaImage::from_rgb(&photo));
            if own.width * 4 < w || own.height * 4 < h {
                // Trimmed to the cap (q0003, nearly flat): the cap is a share of the size
                // trimmed, so a frame moves it. Such images match through their whole hash.
                continue;
            }
            // Unless the photograph's own edge is dominated by a level near the border's (a
            // run may then continue into it; two ±12 windows each holding 60% of a line are
            // at most 24 levels apart).
            let luma = LumaImage::from_rgb(&photo);
            let column = |x: usize| (0..h).map(|y| luma.get(x, y)).collect::<Vec<_>>();
            let edges = [
                luma.row(0).to_vec(),
                luma.row(h - 1).to_vec(),
                column(0),
                column(w - 1),
            ];
            let levels: Vec<f32> = edges
                .iter()
                .filter_map(|e| TrimRule::V1.dominant_level(e))
                .collect();
            let mut checked = 0;
            for level in (0..=255u8).step_by(15) {
                if levels.iter().any(|l| (l - f32::from(level)).abs() <= 24.0) {
                    continue;
                }
                checked += 1;
                let framed = transform::border(&photo, 0.1, Rgb([level, level, level]));
                let (bx, by) = ((w as f64 * 0.1) as usize, (h as f64 * 0.1) as usize);
                // Edges are peeled in turn, and a line is judged over what is still kept, so
                // a frame's own columns can tip the photograph's last row over the dominance
                // share: allow a line or two (1%), never more.
                let got = rule.inner_rect(&LumaImage::from_rgb(&framed));
                let want = Rect {
                    x: bx + own.x,
                    y: by + own.y,
                    ..own
                };
                let slack = |n: usize| (n / 100).max(2);
                let close = |a: usize, b: usize, n: usize| a.abs_diff(b) <= slack(n);
                assert!(
                    close(got.x, want.x, w)
                        && close(got.y, want.y, h)
                        && close(got.x + got.width, want.x + want.width, w)
                        && close(got.y + got.height, want.y + want.height, h),
                    "{rule:?} {path} in a border of {level}: {got:?}, want {want:?}"
                );
            }
            assert!(checked >= 10, "{path}: {levels:?}");
        }
    }
}

#[test]
fn v2_hashes_are_deterministic_and_differ_from_v1_only_by_additions() {
    for path in PHOTOS.iter().take(2) {
        let luma = LumaImage::from_rgb(&vector(path));
        let a = Profile::RobustV2.submission_hashes(&luma);
        assert_eq!(a, Profile::RobustV2.submission_hashes(&luma), "{path}");
        let up = Profile::RobustV2.upload_hashes(&luma);
        assert_eq!(up, Profile::RobustV2.upload_hashes(&luma), "{path}");
        // v2 registers everything v1 does, so it never loses a v1 match.
        let v1 = Profile::RobustV1.submission_hashes(&luma);
        assert!(v1.iter().all(|h| a.contains(h)), "{path}");
        // v2's upload starts with the full image's 8 dihedral hashes, and ends with the
        // four sub-region hashes.
        let queries = Profile::RobustV2.upload_queries(&luma);
        assert_eq!(up[..8], quell_pdq::hash_dihedral(&luma).hashes, "{path}");
        assert_eq!(kinds(&queries)[..2], [Whole, WholeTurned], "{path}");
        let cuts = queries.iter().filter(|q| q.kind == Cut).count();
        assert_eq!(cuts, 4, "{path}");
        assert!(queries[queries.len() - 4..].iter().all(|q| q.kind == Cut));
    }
}

#[test]
fn v2_matches_corner_logo_copies() {
    let original = vector("reg-test-input/labelme-subset/q0746.jpg");
    let registered = Profile::RobustV2.submission_hashes(&LumaImage::from_rgb(&original));
    for corner in 0..4 {
        let mut rng = SplitMix64::new(5, corner, 0);
        let logo = transform::logo(&original, 0.2, corner, &mut rng);
        let up = Profile::RobustV2.upload_hashes(&LumaImage::from_rgb(&logo));
        let d = Profile::distance(&up, &registered);
        assert!(d <= Profile::RobustV2.threshold(), "corner {corner}: {d}");
    }
}

#[test]
fn downscaling_is_the_mean_of_each_block() {
    let mut rng = SplitMix64::new(3, 1, 4);
    for (w, h, side) in [(64, 48, 16), (100, 37, 25), (7, 300, 30), (40, 40, 40)] {
        let data: Vec<f32> = (0..w * h).map(|_| rng.below(256) as f32).collect();
        let image = LumaImage::new(w, h, data);
        let small = image.downscale(side);
        assert!(small.width().max(small.height()) <= side, "{w}x{h}");
        // `shrink` averages the same footprints in another order: the same to rounding.
        let shrunk = image.shrink(side);
        assert_eq!(
            (shrunk.width(), shrunk.height()),
            (small.width(), small.height())
        );
        // Oracle: every output pixel is the mean of the pixels whose index maps into it.
        let (ow, oh) = (small.width(), small.height());
        for oy in 0..oh {
            for ox in 0..ow {
                let (x0, x1) = (ox * w / ow, ((ox + 1) * w / ow).max(ox * w / ow + 1));
                let (y0, y1) = (oy * h / oh, ((oy + 1) * h / oh).max(oy * h / oh + 1));
                let mut sum = 0.0;
                for y in y0..y1 {
                    for x in x0..x1 {
                        sum += image.get(x, y);
                    }
                }
                let mean = sum / ((x1 - x0) * (y1 - y0)) as f32;
                assert!(
                    (small.get(ox, oy) - mean).abs() < 1e-3
                        && (shrunk.get(ox, oy) - mean).abs() < 1e-3,
                    "{w}x{h} at {ox},{oy}"
                );
            }
        }
    }
    let flat = LumaImage::new(300, 200, vec![77.0; 300 * 200]);
    let small = flat.downscale(64);
    assert_eq!((small.width(), small.height()), (64, 43));
    assert!((0..43).all(|y| small.row(y).iter().all(|&v| (v - 77.0).abs() < 1e-3)));
}

#[test]
fn downscaling_an_empty_image_gives_it_back() {
    for (w, h) in [(0, 300), (300, 0), (0, 0)] {
        let image = LumaImage::new(w, h, Vec::new());
        let small = image.downscale(64);
        assert_eq!((small.width(), small.height()), (w, h));
        let shrunk = image.shrink(64);
        assert_eq!((shrunk.width(), shrunk.height()), (w, h));
    }
}

#[test]
fn padding_then_trimming_gives_the_image_back() {
    let t = LumaImage::from_rgb(&texture(90, 70, 8));
    for sides in [&Side::ALL[..], &[Side::Top, Side::Bottom], &[Side::Left]] {
        let padded = t.pad(250.0, 6, sides);
        let r = TrimRule::V1.inner_rect(&padded);
        assert_eq!(padded.crop(r), t, "{sides:?}");
    }
}

#[test]
fn the_evaluation_lists_exactly_the_variants_its_match_rule_misses() {
    use quell_lab::eval::{CorpusImage, EvalConfig, evaluate, markdown};
    let small = |path: &str| CorpusImage {
        path: path.into(),
        pixels: image::imageops::thumbnail(&vector(path), 160, 120),
    };
    let originals = [small(PHOTOS[0]), small(PHOTOS[3])];
    let distractors = [CorpusImage {
        path: "texture".into(),
        pixels: texture(160, 120, 11),
    }];
    let config = EvalConfig {
        seed: 1,
        profiles: vec![Profile::PlainV1, Profile::RobustV2, Profile::RobustV3],
    };
    let reports = evaluate(&originals, &distractors, &config);
    for r in &reports {
        let t = r.profile.threshold();
        let unmatched: usize = r
            .rule
            .genuine
            .iter()
            .map(|m| m.iter().filter(|&&m| !m).count())
            .sum();
        assert_eq!(r.misses.len(), unmatched, "{}", r.profile);
        assert!(r.misses.iter().all(|m| m.distance > t && m.original < 2));
        // Without a second stage the rule is the first stage's threshold; with one it
        // accepts more, and only pairs whose second distance is within the second stage.
        for (k, (_, d)) in r.genuine.iter().enumerate() {
            for ((&d, &d2), &m) in d.iter().zip(&r.second.genuine[k]).zip(&r.rule.genuine[k]) {
                match r.profile.second_threshold() {
                    None => assert_eq!(m, d <= t, "{}", r.profile),
                    Some(t2) => assert!(m >= (d <= t) && (!m || d <= t || d2 <= t2)),
                }
            }
        }
        // Two ordered pairs of distinct originals, and the distractor against both.
        assert_eq!(r.impostor.len(), 4);
        assert!(r.upload_micros.0 > 0.0 && r.upload_micros.1 > 0.0);
    }
    let md = markdown(&reports, 2, 1);
    assert!(
        md.contains("`pdq-robust-v2`") && md.contains("| **mean** |"),
        "{md}"
    );
}

/// Reads a source's rows in a given order, as a consumer other than the PDQ hasher might.
fn read_rows(source: &impl LumaRows, order: impl Iterator<Item = usize>) {
    let mut row = vec![0.0; source.width()];
    for y in order {
        source.luma_row(y, &mut row);
    }
}

#[test]
fn the_small_copy_built_while_hashing_is_bit_for_bit_the_shrink() {
    let mut rng = SplitMix64::new(9, 2, 6);
    for (w, h, side) in [
        (1024, 683, 512),
        (300, 1001, 512),
        (513, 512, 512),
        (200, 150, 512),
        (97, 61, 40),
        (4, 900, 512),
        (3, 3, 512),
    ] {
        let data: Vec<f32> = (0..w * h)
            .map(|_| rng.below(25_600) as f32 / 100.0)
            .collect();
        let image = LumaImage::new(w, h, data);
        let want = image.shrink(side);
        // The real consumer: the PDQ hasher reads every row once, in order (or, below 5
        // pixels a side, none at all).
        let shrinking = ShrinkingRows::new(&image, side);
        let hashed = quell_pdq::hash_dihedral(&shrinking);
        assert_eq!(hashed, quell_pdq::hash_dihedral(&image), "{w}x{h}");
        let got = shrinking.finish();
        assert_eq!(got, want, "{w}x{h} to {side}");
        assert!(
            got.row(0)
                .iter()
                .zip(want.row(0))
                .all(|(a, b)| a.to_bits() == b.to_bits())
        );
        // Rows skipped, repeated or out of order: the copy is made from the source again.
        for order in [
            (0..h).rev().collect::<Vec<_>>(),
            (0..h).filter(|y| y % 2 == 0).collect(),
            (0..h).chain(0..1).collect(),
        ] {
            let shrinking = ShrinkingRows::new(&image, side);
            read_rows(&shrinking, order.into_iter());
            assert_eq!(shrinking.finish(), want, "{w}x{h} read out of order");
        }
    }
}

#[test]
fn trims_decided_on_the_512_pixel_copy_agree_with_the_full_image() {
    // v3 decides every trim on its 512 px copy. Mapped back to full-image pixels, its
    // rectangle must lie within a few pixels of the one decided on the full image (v2), for
    // borders, letterboxes and caption bars of generated and photographed images alike.
    let mut checked = 0;
    for (k, path) in PHOTOS.iter().enumerate() {
        let photo = vector(path);
        let base = image::imageops::resize(
            &photo,
            1000,
            1000 * photo.height() / photo.width(),
            image::imageops::FilterType::Triangle,
        );
        let mut rng = SplitMix64::new(4, k as u64, 0);
        for (what, variant) in [
            (
                "border",
                transform::border(&base, 0.1, Rgb([255, 255, 255])),
            ),
            (
                "black border",
                transform::border(&base, 0.07, Rgb([0, 0, 0])),
            ),
            ("caption", transform::caption(&base, 0.15, false, &mut rng)),
            (
                "texture in grey",
                transform::border(&texture(1100, 700, k as u64), 0.12, Rgb([128, 128, 128])),
            ),
        ] {
            let full = LumaImage::from_rgb(&variant);
            let small = full.shrink(512);
            let scale = full.width() as f64 / small.width() as f64;
            for rule in [TrimRule::V2, TrimRule::STRICT] {
                let want = rule.inner_rect(&full);
                if want.width * 4 < full.width() || want.height * 4 < full.height() {
                    continue; // Trimmed to the cap (q0003): the cap moves with any change.
                }
                let got = rule.inner_rect(&small);
                let edges = |r: Rect, s: f64| {
                    [r.x, r.y, r.x + r.width, r.y + r.height].map(|v| v as f64 * s)
                };
                let (g, w) = (edges(got, scale), edges(want, 1.0));
                // Two small-copy pixels, one for the box filter's blur and one for rounding,
                // plus 1% of the side for a line of text the bridge may or may not jump.
                let slack = 2.0 * scale + full.width().max(full.height()) as f64 * 0.01;
                assert!(
                    g.iter().zip(&w).all(|(a, b)| (a - b).abs() <= slack),
                    "{rule:?} {path} {what}: small {got:?} (×{scale:.2}), full {want:?}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 30, "{checked}");
}

#[test]
fn v3_to_v6_hashes_are_deterministic_and_the_same_from_pixels_or_luminance() {
    let filed = |p: Profile| matches!(p, Profile::RobustV5 | Profile::RobustV6);
    for profile in [
        Profile::RobustV3,
        Profile::RobustV4,
        Profile::RobustV5,
        Profile::RobustV6,
    ] {
        for path in PHOTOS.iter().take(3) {
            let photo = vector(path);
            let luma = LumaImage::from_rgb(&photo);
            let a = profile.submission_hashes(&luma);
            assert_eq!(a, profile.submission_hashes(&luma), "{path}");
            // v3–v6 register everything v1 does, so they never lose a v1 match; v4
            // registers everything v3 does, v5 everything v4 does of quality 50 or more, v6
            // everything v5 does.
            let kept = |p: Profile| -> Vec<quell_hash::Pdq> {
                p.submission_entries(&luma)
                    .into_iter()
                    .filter(|(_, h)| !filed(profile) || h.quality.is_matchable())
                    .map(|(_, h)| h.hash)
                    .collect()
            };
            assert!(
                kept(Profile::RobustV1).iter().all(|h| a.contains(h)),
                "{path}"
            );
            let before = match profile {
                Profile::RobustV4 => Some(Profile::RobustV3),
                Profile::RobustV5 => Some(Profile::RobustV4),
                Profile::RobustV6 => Some(Profile::RobustV5),
                _ => None,
            };
            if let Some(before) = before {
                assert!(
                    kept(before).iter().all(|h| a.contains(h)),
                    "{path} {profile}"
                );
            }
            let framed = transform::border(&photo, 0.1, Rgb([255, 255, 255]));
            for image in [&photo, &framed] {
                let luma = LumaImage::from_rgb(image);
                let up = profile.upload_hashes(&luma);
                let (fw, fh) = (image.width() as usize, image.height() as usize);
                let streamed = profile.upload_hashes_from_rows(&quell_pdq::Rgb8::new(
                    image.as_raw(),
                    fw,
                    fh,
                    3,
                ));
                assert_eq!(up, streamed, "{path}");
                assert_eq!(up, profile.upload_hashes(&luma), "{path}");
                // The full image's dihedral group is plain PDQ's (v5: its first hash), then
                // the trims' groups (v5: hashes), then the four sub-regions of the loose trim
                // (v4, v5: and of the whole image, when the two differ).
                let queries = profile.upload_queries(&luma);
                let group = if filed(profile) { 1 } else { 8 };
                assert_eq!(
                    up[..group],
                    quell_pdq::hash_dihedral(&luma).hashes[..group],
                    "{path}"
                );
                let count = |k| queries.iter().filter(|q| q.kind == k).count();
                assert_eq!(count(Whole), 1, "{path} {profile}");
                assert_eq!(count(WholeTurned), group - 1, "{path} {profile}");
                assert_eq!(
                    count(TrimTurned),
                    (group - 1) * count(Trim),
                    "{path} {profile}"
                );
                // (A photograph with a flat edge trims too.)
                let decide = luma.shrink(512);
                let whole = Rect {
                    x: 0,
                    y: 0,
                    width: decide.width(),
                    height: decide.height(),
                };
                let loose = TrimRule::V2.inner_rect(&decide);
                let mut bases = vec![loose];
                if profile != Profile::RobustV3 && loose != whole {
                    bases.push(whole);
                }
                // v5, v6: and of its smooth trim, when that differs from both.
                let smooth = quell_robust::SmoothTrim::V5.inner_rect(&decide);
                if filed(profile) && !bases.contains(&smooth) && smooth != whole {
                    bases.push(smooth);
                }
                // v6: each base cut three deep (a quarter, 40% and 55% of a side).
                let depths = if profile == Profile::RobustV6 { 3 } else { 1 };
                let cuts = 4 * depths * bases.len();
                assert_eq!(count(Cut), cuts, "{path} {profile}");
                let tail = &kinds(&queries)[queries.len() - cuts..];
                assert!(tail.iter().all(|&k| k == Cut), "{path} {profile}");
                if image == &framed {
                    assert!(count(Trim) > 0, "{path}: the frame was not trimmed");
                }
            }
        }
    }
}

#[test]
fn the_second_distance_equals_a_brute_force_search_over_disjoint_pairs() {
    use quell_hash::{Distance, Pdq};
    let mut rng = SplitMix64::new(11, 0, 0);
    // Hashes a few bits from a handful of bases, so distances tie and cluster as real
    // profiles' do (crops of one image, the dihedral group of one upload).
    let bases: Vec<Pdq> = (0..3)
        .map(|_| Pdq::from_fn(|_| rng.below(2) == 0))
        .collect();
    let near = |rng: &mut SplitMix64| {
        let base = bases[rng.below(3) as usize];
        let flips = rng.below(60) as usize;
        let picked: Vec<usize> = (0..flips).map(|_| rng.below(256) as usize).collect();
        Pdq::from_fn(|k| base.bit(k) ^ picked.contains(&k))
    };
    for case in 0..400 {
        let up: Vec<Pdq> = (0..rng.below(6)).map(|_| near(&mut rng)).collect();
        let reg: Vec<Pdq> = (0..rng.below(6)).map(|_| near(&mut rng)).collect();
        let mut want = Distance::new(256);
        for (i, u) in up.iter().enumerate() {
            for (j, r) in reg.iter().enumerate() {
                for (k, u2) in up.iter().enumerate() {
                    for (l, r2) in reg.iter().enumerate() {
                        if i != k && j != l {
                            want = want.min(u.distance(r).max(u2.distance(r2)));
                        }
                    }
                }
            }
        }
        assert_eq!(
            Profile::second_distance(&up, &reg),
            want,
            "case {case}: {} upload, {} registered",
            up.len(),
            reg.len()
        );
        assert!(Profile::second_distance(&up, &reg) >= Profile::distance(&up, &reg));
    }
}

/// Random upload and registered hash sets of a few hashes each, drawn near a handful of bases
/// so distances tie and cluster as real profiles' do, with repeated values (a symmetric
/// image's dihedral copies) on both sides.
fn clustered_hash_sets(rng: &mut SplitMix64) -> (Vec<quell_hash::Pdq>, Vec<quell_hash::Pdq>) {
    use quell_hash::Pdq;
    let bases: Vec<Pdq> = (0..3)
        .map(|_| Pdq::from_fn(|_| rng.below(2) == 0))
        .collect();
    let near = |rng: &mut SplitMix64, set: &mut Vec<Pdq>| {
        if !set.is_empty() && rng.below(5) == 0 {
            set.push(set[rng.below(set.len() as u64) as usize]);
            return;
        }
        let base = bases[rng.below(3) as usize];
        let flips = rng.below(45) as usize;
        let picked: Vec<usize> = (0..flips).map(|_| rng.below(256) as usize).collect();
        set.push(Pdq::from_fn(|k| base.bit(k) ^ picked.contains(&k)));
    };
    let (mut up, mut reg) = (Vec::new(), Vec::new());
    for _ in 0..rng.below(7) {
        near(rng, &mut up);
    }
    for _ in 0..rng.below(7) {
        near(rng, &mut reg);
    }
    (up, reg)
}

#[test]
fn the_match_rule_equals_a_brute_force_search_of_its_definition() {
    use quell_hash::Distance;
    use quell_robust::{HashPair, Part, Query, UploadKind};
    let mut rng = SplitMix64::new(12, 0, 0);
    let mut second_stage_only = 0;
    let mut outside_the_plan = 0;
    for case in 0..6000 {
        let (up, reg) = clustered_hash_sets(&mut rng);
        // Each hash made by a random computation and filed under a random part.
        let kinds: Vec<UploadKind> = up
            .iter()
            .map(|_| UploadKind::ALL[rng.below(5) as usize])
            .collect();
        let reg: Vec<(Part, quell_hash::Pdq)> = reg
            .into_iter()
            .map(|r| (Part::ALL[rng.below(3) as usize], r))
            .collect();
        for profile in Profile::ALL {
            let t = profile.threshold();
            let queries: Vec<Query> = up
                .iter()
                .zip(&kinds)
                .map(|(&hash, &kind)| Query {
                    hash,
                    kind,
                    searches: profile.plan(kind),
                })
                .collect();
            // The definition: the pairs the plan searches are those of a registered hash in
            // a part the upload hash's kind searches, within that search's distance; a match
            // is such a pair within the threshold, or two such pairs within the second stage
            // whose upload hashes differ and whose registered hashes differ.
            let mut searched = Vec::new();
            for q in &queries {
                for &(part, r) in &reg {
                    let d = q.hash.distance(&r);
                    let within = profile
                        .plan(q.kind)
                        .iter()
                        .find(|(p, _)| *p == part)
                        .map(|&(_, w)| w);
                    if within.is_some_and(|w| d <= w) {
                        searched.push((q.hash, r, d));
                    } else if d <= t {
                        outside_the_plan += 1;
                    }
                }
            }
            let nearest = searched.iter().map(|p| p.2).min();
            let mut two_pairs = false;
            if let Some(t2) = profile.second_threshold() {
                for &(u, r, d) in &searched {
                    for &(u2, r2, d2) in &searched {
                        two_pairs |= u != u2 && r != r2 && d <= t2 && d2 <= t2;
                    }
                }
            }
            let want = nearest.filter(|&n| n <= t || two_pairs);
            second_stage_only += usize::from(nearest.is_some_and(|n| n > t) && two_pairs);
            assert_eq!(
                profile.match_queries(&queries, &reg),
                want,
                "case {case} {profile}: {up:?} / {reg:?}"
            );
            // The rule given the searched pairs in any order, with pairs beyond the search
            // distance mixed in (an index searched wider), decides the same.
            let mut pairs: Vec<HashPair> = searched
                .iter()
                .map(|&(upload, registered, distance)| HashPair {
                    upload,
                    registered,
                    distance,
                })
                .chain(up.iter().map(|&u| HashPair {
                    upload: u,
                    registered: u,
                    distance: Distance::new(200),
                }))
                .collect();
            pairs.reverse();
            assert_eq!(profile.match_rule(&pairs), want, "case {case} {profile}");
            assert!(profile.search_distance() >= t);
        }
    }
    // The generator reaches the cases the second stage and the plan exist for.
    assert!(second_stage_only > 20, "{second_stage_only}");
    assert!(outside_the_plan > 20, "{outside_the_plan}");
    assert_eq!(
        Profile::RobustV3.second_threshold(),
        Some(Distance::new(48))
    );
    assert_eq!(Profile::RobustV2.second_threshold(), None);
}

#[test]
fn the_v3_strict_trim_takes_a_jpeg_screenshot_canvas_off_past_the_status_bar() {
    // A screenshot's status bar has text; after JPEG its first rows ring. `STRICT` stops at
    // the bar; `V3_STRICT` jumps its text and starts below its ringing, so the canvas comes
    // off and what is left is the photograph (to 5% of the 512 px copy's height: a dark
    // photograph's own edge may be eaten, its rows being 90% at the canvas level).
    let (mut strict_found, mut v3_found) = (0, 0);
    for (k, path) in PHOTOS.iter().enumerate().skip(1) {
        let photo = vector(path);
        let mut rng = SplitMix64::new(7, k as u64, 0);
        let shot = transform::jpeg(&transform::screenshot(&photo, 0.7, &mut rng), 60);
        let small = LumaImage::from_rgb(&shot).shrink(512);
        let scale = shot.width() as f64 / small.width() as f64;
        let (cw, ch) = (shot.width() as f64, shot.height() as f64);
        let (pw, ph) = (photo.width() as f64, photo.height() as f64);
        // Where the photograph sits, in small-copy pixels.
        let want = [
            (cw - pw) / 2.0,
            (ch - ph) / 2.0,
            (cw + pw) / 2.0,
            (ch + ph) / 2.0,
        ]
        .map(|v| v / scale);
        let found = |rule: TrimRule| {
            let r = rule.inner_rect(&small);
            [r.x, r.y, r.x + r.width, r.y + r.height]
                .iter()
                .zip(&want)
                .all(|(&a, b)| (a as f64 - b).abs() <= 0.05 * small.height() as f64)
        };
        strict_found += usize::from(found(TrimRule::STRICT));
        v3_found += usize::from(found(TrimRule::V3_STRICT));
    }
    assert!(
        v3_found >= 3 && v3_found > strict_found,
        "photograph found in {v3_found} of 5 screenshots by V3_STRICT, {strict_found} by STRICT"
    );
}

/// A vector photograph darkened to grey levels 4–34, a night photograph: most of it is
/// within ±12 of a dark-mode screenshot canvas (#121212), little of it within ±3.
fn night_photo(path: &str) -> RgbImage {
    let mut photo = vector(path);
    for p in photo.pixels_mut() {
        p.0 = p.0.map(|c| 4 + (u16::from(c) * 30 / 255) as u8);
    }
    photo
}

#[test]
fn the_tight_trim_takes_a_screenshot_canvas_off_a_dark_photograph_as_off_nothing() {
    // What a rule leaves of a dark photograph inside a JPEG screenshot should be what it
    // leaves of the bare photograph: then the upload's trim meets the registered one.
    let (mut tight_same, mut strict_same) = (0, 0);
    for (k, path) in PHOTOS.iter().enumerate().skip(1) {
        let photo = night_photo(path);
        let mut rng = SplitMix64::new(7, k as u64, 0);
        let shot = transform::jpeg(&transform::screenshot(&photo, 0.7, &mut rng), 60);
        let small = LumaImage::from_rgb(&shot).shrink(512);
        let bare = LumaImage::from_rgb(&photo).shrink(512);
        let scale = shot.width() as f64 / small.width() as f64;
        let bare_scale = photo.width() as f64 / bare.width() as f64;
        let (x0, y0) = (
            f64::from(shot.width() - photo.width()) / 2.0 / scale,
            f64::from(shot.height() - photo.height()) / 2.0 / scale,
        );
        let same = |rule: TrimRule| {
            let (r, b) = (rule.inner_rect(&small), rule.inner_rect(&bare));
            let got = [r.x, r.y, r.x + r.width, r.y + r.height].map(|v| v as f64);
            // The bare photograph's trim, placed where the photograph is in the screenshot.
            let want = [
                x0 + b.x as f64 * bare_scale / scale,
                y0 + b.y as f64 * bare_scale / scale,
                x0 + (b.x + b.width) as f64 * bare_scale / scale,
                y0 + (b.y + b.height) as f64 * bare_scale / scale,
            ];
            let slack = 0.02 * small.height() as f64;
            got.iter().zip(&want).all(|(a, b)| (a - b).abs() <= slack)
        };
        tight_same += usize::from(same(TrimRule::TIGHT));
        strict_same += usize::from(same(TrimRule::V3_STRICT));
    }
    // Measured: 2 of 5 for TIGHT, 1 for V3_STRICT (a darkened photograph has flat lines of
    // its own, which both rules peel, not always alike).
    assert!(
        tight_same > strict_same,
        "the bare photograph's trim found in {tight_same} of 5 screenshots by TIGHT, \
         {strict_same} by V3_STRICT"
    );
}

#[test]
fn v4_matches_dark_photographs_in_screenshots_that_v3_misses() {
    let (mut v3_found, mut v4_found) = (0, 0);
    for (k, path) in PHOTOS.iter().enumerate() {
        let photo = night_photo(path);
        let mut rng = SplitMix64::new(7, k as u64, 0);
        let shot = transform::jpeg(&transform::screenshot(&photo, 0.7, &mut rng), 60);
        let (upload, registered) = (LumaImage::from_rgb(&shot), LumaImage::from_rgb(&photo));
        for (p, found) in [
            (Profile::RobustV3, &mut v3_found),
            (Profile::RobustV4, &mut v4_found),
        ] {
            let d = p.match_distance(&upload, &p.submission_parts(&registered));
            *found += usize::from(d.is_some());
        }
    }
    // Measured: v4 2 of 6, v3 none. Brightened to levels 4–60 both match 3: the tight trim
    // matters for the darkest photographs.
    assert!(
        v4_found > v3_found,
        "of {} dark screenshots v4 matches {v4_found}, v3 {v3_found}",
        PHOTOS.len()
    );
}

#[test]
fn an_expanded_rotation_holds_the_whole_image() {
    let image = LumaImage::from_rgb(&texture(120, 80, 2));
    let same = image.rotate_expanded(0.0, 255.0);
    assert_eq!((same.width(), same.height()), (120, 80));
    assert!((0..80).all(|y| same.row(y) == image.row(y)));
    let tilted = image.rotate_expanded(4.0, 255.0);
    let (s, c) = 4f64.to_radians().sin_cos();
    assert_eq!(tilted.width(), (120.0 * c + 80.0 * s).ceil() as usize);
    assert_eq!(tilted.height(), (120.0 * s + 80.0 * c).ceil() as usize);
    // The corners are fill; the centre is the image's centre.
    let (w, h) = (tilted.width(), tilted.height());
    for (x, y) in [(0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1)] {
        assert_eq!(tilted.get(x, y), 255.0);
    }
    assert!((tilted.get(w / 2, h / 2) - image.get(60, 40)).abs() < 40.0);
}

#[test]
fn v4_matches_crops_to_another_aspect_ratio_that_v3_misses() {
    let (mut v3_found, mut v4_found, mut tried) = (0, 0, 0);
    for path in PHOTOS {
        let photo = LumaImage::from_rgb(&vector(path));
        for (fx, fy) in [(0.88, 0.74), (0.72, 0.86)] {
            let upload = photo.centre_crop_axes(fx, fy);
            tried += 1;
            for (p, found) in [
                (Profile::RobustV3, &mut v3_found),
                (Profile::RobustV4, &mut v4_found),
            ] {
                let d = p.match_distance(&upload, &p.submission_parts(&photo));
                *found += usize::from(d.is_some());
            }
        }
    }
    // Measured: v4 11 of 12, v3 1.
    assert!(
        v4_found >= tried - 1 && v3_found <= tried / 4,
        "of {tried} crops v4 matches {v4_found}, v3 {v3_found}"
    );
}

#[test]
fn v5_registers_turned_copies_and_searches_each_upload_hash_in_its_parts_only() {
    use quell_hash::Pdq;
    use quell_robust::Part;
    let p = Profile::RobustV5;
    let photo = vector(PHOTOS[3]);
    let luma = LumaImage::from_rgb(&photo);
    let registered = p.submission_parts(&luma);
    let whole: Vec<Pdq> = registered
        .iter()
        .filter(|(part, _)| *part == Part::Whole)
        .map(|&(_, h)| h)
        .collect();
    for h in quell_pdq::hash_dihedral(&luma).hashes {
        assert!(
            whole.contains(&h),
            "a dihedral hash of the image is not registered"
        );
    }
    use image::imageops;
    for (what, turned) in [
        ("rotate90", imageops::rotate90(&photo)),
        ("rotate180", imageops::rotate180(&photo)),
        ("rotate270", imageops::rotate270(&photo)),
        ("flip h", imageops::flip_horizontal(&photo)),
        ("flip v", imageops::flip_vertical(&photo)),
    ] {
        let upload = LumaImage::from_rgb(&turned);
        let queries = p.upload_queries(&upload);
        // One hash per computation, never turned: the image, up to four trims, up to
        // twelve cuts (of the loose trim, the whole image and the smooth trim).
        assert!(queries.len() <= 17, "{what}: {}", queries.len());
        assert!(
            queries
                .iter()
                .all(|q| !matches!(q.kind, WholeTurned | TrimTurned)),
            "{what}"
        );
        for q in &queries {
            for &(part, d) in q.searches {
                assert_eq!(part == Part::Cut, q.kind == Cut, "{what} {:?}", q.kind);
                assert!(d <= p.threshold());
            }
        }
        assert!(p.match_distance(&upload, &registered).is_some(), "{what}");
    }
    // A pair outside the plan does not count: the image's own hashes filed as cuts are not
    // searched by its whole-image hash.
    let as_cuts: Vec<(Part, Pdq)> = whole.iter().map(|&h| (Part::Cut, h)).collect();
    let as_whole: Vec<(Part, Pdq)> = whole.iter().map(|&h| (Part::Whole, h)).collect();
    assert_eq!(p.match_distance(&luma, &as_whole).map(|d| d.get()), Some(0));
    assert_eq!(p.match_distance(&luma, &as_cuts), None);
}

/// `photo` in a window (a one-pixel outline and a title bar with text) on a desktop: a
/// vertical gradient wallpaper from `top` to `bottom` and a taskbar with icons.
fn desktop(photo: &RgbImage, top: u8, bottom: u8) -> (RgbImage, Rect) {
    let (w, h) = (photo.width(), photo.height());
    let (dw, dh) = (w * 10 / 7, h * 3 / 2);
    let taskbar = dh / 25;
    let title = dh * 35 / 1000;
    let (wx, wy) = ((dw - w) / 2, (dh - taskbar - h - title) / 2);
    let mut out = RgbImage::from_fn(dw, dh, |x, y| {
        let t = f64::from(y) / f64::from(dh);
        let v = (f64::from(top) * (1.0 - t) + f64::from(bottom) * t) as u8;
        if y >= dh - taskbar {
            let icon = x > taskbar && x < 8 * taskbar && (x / taskbar) % 2 == 1;
            let inside = y > dh - taskbar * 4 / 5 && y < dh - taskbar / 5;
            return if icon && inside {
                Rgb([90, 120, 200])
            } else {
                Rgb([30, 30, 36])
            };
        }
        Rgb([v, v / 2 + 60, 255 - v])
    });
    for x in wx - 1..=wx + w {
        out.put_pixel(x, wy - 1, Rgb([0, 0, 0]));
        out.put_pixel(x, wy + title + h, Rgb([0, 0, 0]));
    }
    for y in wy - 1..=wy + title + h {
        out.put_pixel(wx - 1, y, Rgb([0, 0, 0]));
        out.put_pixel(wx + w, y, Rgb([0, 0, 0]));
    }
    for y in 0..title {
        for x in 0..w {
            // "Text": blocks in the title bar's middle rows, over its first third.
            let text = y > title / 4 && y < title * 3 / 4 && x < w / 3 && (x / 3) % 3 != 0;
            let v = if text { 30 } else { 232 };
            out.put_pixel(wx + x, wy + y, Rgb([v, v, v]));
        }
    }
    image::imageops::replace(&mut out, photo, i64::from(wx), i64::from(wy + title));
    let rect = Rect {
        x: wx as usize,
        y: (wy + title) as usize,
        width: w as usize,
        height: h as usize,
    };
    (out, rect)
}

#[test]
fn the_smooth_trim_takes_a_gradient_desktop_and_a_title_bar_off_and_keeps_textured_edges() {
    use quell_robust::SmoothTrim;
    let photo = texture(360, 240, 4);
    // A textured image loses nothing.
    let whole = LumaImage::from_rgb(&photo);
    assert_eq!(
        SmoothTrim::V5.inner_rect(&whole),
        Rect {
            x: 0,
            y: 0,
            width: 360,
            height: 240
        }
    );
    for (top, bottom) in [(40, 220), (200, 30), (120, 130)] {
        let (shot, rect) = desktop(&photo, top, bottom);
        let luma = LumaImage::from_rgb(&shot);
        let found = SmoothTrim::V5.inner_rect(&luma);
        let near = |a: usize, b: usize| a.abs_diff(b) <= 2;
        assert!(
            near(found.x, rect.x)
                && near(found.y, rect.y)
                && near(found.width, rect.width)
                && near(found.height, rect.height),
            "gradient {top}→{bottom}: {found:?}, the photograph is at {rect:?}"
        );
        // The level rules keep the wallpaper on (its columns hold every level of the
        // gradient), except where it is nearly flat.
        if top.abs_diff(bottom) > 100 {
            let loose = TrimRule::V2.inner_rect(&luma);
            assert!(loose.width > rect.width + 20, "{top}→{bottom}: {loose:?}");
        }
    }
    // A smooth image is not trimmed to a sliver: at most 80% of each side goes.
    let flat = LumaImage::new(
        300,
        200,
        (0..300 * 200).map(|i| (i % 300) as f32 / 3.0).collect(),
    );
    let r = SmoothTrim::V5.inner_rect(&flat);
    assert!(r.width >= 60 && r.height >= 40, "{r:?}");
}
