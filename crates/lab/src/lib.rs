//! The lab: how Quell's hash profiles were designed and how they are measured. Nothing in
//! the product loads it (`quell`'s default build, the registry, members); `quell eval
//! robustness` is in `quell` built with `--features lab`.
//!
//! **Key decision: the evidence stays runnable beside the product, apart from it.** The
//! figures in BENCHMARKS.md that chose `pdq-robust-v5` compare it with the profiles it was
//! designed from, so those stay reproducible here: this crate turns on `quell-robust`'s `lab`
//! feature, which adds the retired profiles `pdq-robust-v1` to v4 (and v3/v4's second stage)
//! to [`quell_robust::Profile`], and holds the evaluation ([`eval`]), the transform families
//! it scores ([`transform`]), the examples that chose v5's parameters and measured its costs,
//! and the tests of the retired profiles.
//!
//! # The retired profiles
//!
//! **`pdq-robust-v1`**
//! - *Trim* ([`TrimRule::V1`]): a run of border lines starts at an edge line with at least 97%
//!   of its pixels within ±12 grey levels of one level, and goes on while lines have at least
//!   60% of their pixels within ±12 of that level; edges are peeled in turn until none moves,
//!   never more than 80% of a dimension. This removes borders, letterboxes, caption bars with
//!   text and screenshot canvases (status and navigation bars included).
//! - Submission: for `B` = the image and, if trimming removed anything, also the trimmed
//!   image: PDQ of `B`; of `B`'s central 95%, 92.5%, …, 72.5%, 70% (each side, steps of
//!   2.5%); of `B` with 15% cut off the top, the bottom, the left, the right; and of `B`
//!   rotated by ±3.5° and ±4.5° on a black canvas of the same size, trimmed again. 20 hashes,
//!   or 40 for an image that trims.
//! - Upload: the 8 dihedral PDQ hashes of the upload and, if trimming removed anything, the 8
//!   dihedral hashes of the trimmed upload (at most two PDQ passes).
//! - Threshold: 40.
//!
//! **`pdq-robust-v2`** — v1's hashes on
//! both sides, and more hashed from one shared *small copy*: the image box-filtered so its
//! longer side is at most 256 pixels ([`LumaImage::downscale`]). PDQ reduces every image to
//! 64×64 before its DCT, so hashes of the small copy stay close to those of the full image, at
//! a fraction of the cost. Trim rectangles are always decided on the full image (text on a
//! caption bar blurs away in the small copy) and then cut from the small copy, rounded inwards.
//! Two more trim rules: [`TrimRule::V2`] (v1's, but a run may also jump over up to 4% of the
//! dimension to the next line uniform at its level: caption text blurred by a downscale) and
//! [`TrimRule::STRICT`] (a run goes on only while lines stay 90% at its level, so a canvas
//! nearly the colour of the photograph's own edge eats far less of it).
//! - Submission: v1's hashes; PDQ of the small copy cut to each of: the `V2` and `STRICT`
//!   trims of the image; for each border level in {0, 18, 255, and the level dominating each
//!   of the image's edge lines, if any} and each framing in {all four sides, top and bottom,
//!   left and right}, the `V2` and `STRICT` trims of the image framed so (a border whose
//!   colour matches the image's own edge is not stopped by that edge; the same happens here).
//!   And PDQ of the small copy and of its `V2`-trimmed part without 25% of its top, bottom,
//!   left, right (a corner logo or watermark left out). Rectangles v1 already hashed, and
//!   duplicate hashes, are dropped.
//! - Upload: the 8 dihedral PDQ hashes of the upload (full resolution, as plain); from the
//!   small copy, the 8 dihedral hashes of the `V2` trim if it removed anything, of the `STRICT`
//!   trim if it differs from that and from the whole image, and the 4 hashes of the `V2`-trimmed
//!   part without 25% of each side (identity orientation only). At most 28 hashes: one
//!   full-resolution PDQ pass and at most six small ones.
//! - Threshold: 40, the same rule as every profile (the smallest distance over all pairs).
//!
//! **`pdq-robust-v3`** — v2's recipe with
//! every decision taken on a *512 px copy* instead of the full image, so the upload side costs
//! one full-resolution PDQ pass plus small-copy work (v2 trims the full image, and needs it in
//! memory, which puts an upload that trims well over the 2× budget), and two additions aimed
//! at screenshots.
//! - The 512 px copy ([`LumaImage::shrink`]`(512)`: the area average of v2's copy, summed down
//!   columns first, which streams cheaply) is folded from the luminance rows while the
//!   full-resolution dihedral pass reads them ([`ShrinkingRows`]): the pixels are converted to
//!   luminance once and the full image is never held in memory, as with plain PDQ. Its own
//!   256 px shrink is what is hashed, as in v2.
//! - Trim rules: [`TrimRule::V2`] as in v2, and [`TrimRule::V3_STRICT`] in place of `STRICT`:
//!   it may jump 4% to the next uniform line of its level and start a run up to 4% in, so a
//!   status bar's text (and its JPEG ringing) no longer stops it before the canvas.
//! - Submission: v1's hashes (full resolution); then v2's extras with trims, edge levels and
//!   simulated borders (2 px, v2's 4 px at about half the scale) decided on the 512 px copy,
//!   plus, for each border level, a *canvas* as wide as 20% of the longer side on all four
//!   sides, trimmed by both rules: a screenshot's canvas is in every line the trim judges at
//!   the photograph's top and bottom, so it eats more of a dark edge than a thin border does,
//!   and this registers what it eats.
//! - Upload: the 8 dihedral PDQ hashes of the upload; the `V2` and `V3_STRICT` trims of the
//!   512 px copy, hashed from its 256 px copy (8 dihedral hashes each, the second only if it
//!   differs), and the 4 sub-regions of the `V2` trim, as v2.
//! - Match rule: a pair within 40 bits, **or** at least two pairs within 48 bits that are
//!   distinct on both sides (two different upload hashes against two different registered
//!   hashes of the image; hashes are compared by value, so a symmetric image's repeated
//!   dihedral hash counts once). The distance reported is the nearest pair's. An impostor
//!   rarely has two independent near hashes: in the evaluation the closest impostor by that
//!   two-pair distance ([`Profile::second_distance`]) is 78 bits (84 among transformed
//!   variants), against 74 (70) for the nearest single pair, and the second stage takes mean
//!   recall from 0.977 to 0.982 with no false match (BENCHMARKS.md). An index is searched at
//!   48 ([`Profile::search_distance`]) and each hit keeps which registered hash it came from.
//!
//! **`pdq-robust-v4`** — v3 and three
//! additions, each for a failure found on the tuning corpus or in an independent
//! implementation of the transforms (`bench/robust/blackbox.py`):
//! - A third trim rule on both sides, [`TrimRule::TIGHT`]: v3's strict rule with "the same
//!   level" narrowed from ±12 to ±3 grey levels. A canvas a program drew is flat to within
//!   codec noise; a night photograph's edge next to a near-black canvas is not, though it is
//!   within ±12 of it, so the wider rules eat into the photograph while this one stops at it
//!   and then peels the photograph's own flat edge as it would without the canvas. At upload
//!   its trim adds a dihedral group when it differs from the other two; at submission it
//!   trims the simulated borders and canvases too.
//! - At upload, the four sub-regions are also cut from the whole image when the loose trim
//!   removed something: a corner logo breaks the flat edge lines (fog, sky, a dark
//!   background) the trim takes off the original, so the upload's trim differs from the
//!   registered one, while the whole image without the logo's quarter was registered.
//! - At submission, the tilts and crops other tools make: for each of v1's four angles, from
//!   the 512 px copy, white corners on the same canvas, black and white corners on a canvas
//!   grown to hold the whole image (Pillow's `expand=True`, ImageMagick's `-rotate`), each as
//!   is and loosely trimmed, and the tilt cropped to its largest inner rectangle; and from the
//!   256 px copy the 20 centre crops keeping unequal shares (70–90%, 5% apart) of the two
//!   axes. About 77 hashes per image in all (v3: 33).
//! - v3's match rule and thresholds.
//!
//! **`pdq-robust-v5`**, what it changed from v4: v4's hashes and
//! two more kinds, searched for a small fraction of v4's index work. v4 compares every upload
//! hash (12 to 40 of them) with every registered hash of every image (about 77) at 48 bits: at
//! 100,000 registered images about 50 ms an upload, against plain PDQ's 0.03 ms (BENCHMARKS.md).
//! v5:
//! - files each registered hash under a [`Part`]: [`Part::Whole`] (the image and its own
//!   trims), [`Part::Variant`] (crops, tilts, trims inside simulated borders and canvases) or
//!   [`Part::Cut`] (a quarter of one side left out, and v1's one-side crops, filed under both
//!   [`Part::Variant`] and [`Part::Cut`]: a caption bar no trim takes off leaves the upload's
//!   cut on that side equal to the image without a strip of it);
//! - registers the 8 dihedral hashes of every whole-part hash and computes only each upload
//!   hash's own orientation: a turned or flipped upload matches with one search, not eight;
//! - adds a fourth trim on both sides, [`SmoothTrim`]: lines whose neighbouring pixels step by
//!   at most 4 levels (a desktop's gradient wallpaper, a taskbar, a window outline), which no
//!   level rule takes off, alternating with [`TrimRule::V2`] starting at lines 90% at one
//!   level (a window's title bar), with its cuts at upload;
//! - searches each upload hash only where what made it can lead ([`Profile::plan`]): the image
//!   and its trims in the whole part at 44 and in the variants at 36, the cuts in the cut part
//!   at 31; at most 17 searches an upload (the image, up to four trims, up to twelve cuts);
//! - matches on any pair its searches find: no second stage, which would need every search at
//!   48.
//!
//! The distances were chosen on the tuning corpus with `examples/search_plan.rs`, which scores
//! every plan of a grid for recall, false matches and a modelled index cost: the few whole-part
//! hashes (about 14 an image) can be searched wide for little, the 70-odd variants only
//! narrowly. The smooth trim and the cuts' side crops were made for failures of v5's first
//! version under `bench/robust/blackbox.py` (desktop screenshots and caption bars of tuning
//! photographs), so that script's desktop figures are no longer an independent check.
//!
//! Caption text at 512 px is still text (at 256 px it blurs into the bar, which is why v2
//! decided on the full image); [`TrimRule::V2`]'s bridge jumps the lines it does not.
//!
//! [`Profile::second_distance`] is the two-pair distance; the evaluation sweeps it as a
//! second stage for every profile, beside each profile's own rule, to show what other
//! second-stage distances would give (only v3's rule has one, at 48).
//!
//! The [`eval`] module and `quell eval robustness` measure all profiles on a corpus;
//! BENCHMARKS.md holds the figures.
//!
//! ```
//! use quell_robust::{LumaImage, Profile};
//!
//! // A 200×160 gradient with a bright square, and the same inside a 20-pixel white border.
//! let inner = LumaImage::new(200, 160, (0..200 * 160)
//!     .map(|i| { let (x, y) = (i % 200, i / 200);
//!         if (60..120).contains(&x) && (40..100).contains(&y) { 250.0 } else { ((x + 2 * y) % 200) as f32 } })
//!     .collect());
//! let mut framed = vec![255.0; 240 * 200];
//! for y in 0..160 { for x in 0..200 { framed[(y + 20) * 240 + x + 20] = inner.get(x, y); } }
//! let framed = LumaImage::new(240, 200, framed);
//!
//! let profile = Profile::from_name("pdq-robust-v1")?;
//! let registered = profile.submission_hashes(&inner);
//! let upload = profile.upload_hashes(&framed);
//! assert!(Profile::distance(&upload, &registered) <= profile.threshold());
//! # Ok::<(), quell_robust::UnknownProfile>(())
//! ```

#[cfg(doc)]
use quell_robust::{Part, Profile, SmoothTrim, TrimRule};

pub mod eval;
pub mod transform;
