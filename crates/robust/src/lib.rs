//! Versioned PDQ hash profiles that survive what re-posters do to an image (crops, borders,
//! caption bars, screenshots, small tilts).
//!
//! **Key decision: robustness is a named, versioned profile, never an implicit setting.** A
//! registry and its members must compute the same thing: the registry stores the profile's
//! *submission* hashes of each registered image, a member computes the profile's *upload*
//! hashes of each upload and applies the profile's match rule. Index files record the profile
//! name and refuse to be used with another. Extra work belongs at submission (done once per
//! image); the upload side stays within a small factor of plain PDQ.
//!
//! The product holds three profiles: `pdq-plain-v1`, the default `pdq-robust-v6`, and
//! `pdq-robust-v5`, the default before it, whose registered hashes registries and members
//! keep and v6's uploads still search ([`quell_hash::searched_with`]). The retired profiles
//! v5 was designed from (`pdq-robust-v1` to v4, with v3/v4's second stage), the
//! evaluation and the transforms live in the lab (`crates/lab`, which turns on this crate's
//! `lab` feature); nothing in the default build or the registry loads them.
//!
//! # Profiles
//!
//! An upload matches a registered image when some pair of an upload hash and a registered
//! hash of that image is within the distance of the search that compared them. Each upload
//! hash is searched in some [`Part`]s of the registered hashes, each at its own distance
//! ([`Profile::plan`]). One function decides a match, [`Profile::match_rule`], on the (upload
//! hash, registered hash) pairs an upload's searches ([`Profile::upload_queries`]) return;
//! `quell match` and the lab's evaluation both call it, so the evaluation scores exactly what
//! is deployed.
//!
//! **`pdq-plain-v1`** — plain PDQ, as deployed today.
//! - Submission: 1 hash, PDQ of the image.
//! - Upload: the 8 dihedral PDQ hashes (rotations by 90°, flips) of the image.
//! - Threshold: 31, in every part.
//!
//! **`pdq-robust-v5`** (the default before v6). Trims are decided on a 512 px
//! copy of the image (an area average folded from the luminance rows while the
//! full-resolution PDQ pass reads them, [`ShrinkingRows`]), and what they keep is hashed
//! from that copy's own 256 px copy: PDQ works at 64×64 anyway. Four trim rules, each for
//! what others leave: [`TrimRule::V2`] (borders, letterboxes, caption bars with their text),
//! [`TrimRule::V3_STRICT`] (a screenshot's canvas past its status bar, eating less of a
//! photograph's own dark or pale edge), [`TrimRule::TIGHT`] (a drawn canvas is flat to within
//! codec noise, a photograph's edge is not) and [`SmoothTrim`] (a desktop's gradient
//! wallpaper, which no level rule takes off).
//! - Submission, each hash filed under a [`Part`]: [`Part::Whole`], the image and its trims,
//!   each in its 8 dihedral orientations (a turned or flipped upload matches with its own hash,
//!   one search, not eight); [`Part::Variant`], for the image and (if [`TrimRule::V1`] removes
//!   anything) its V1 trim at full resolution, its centre crops 95–70% in 2.5% steps, its
//!   one-side 15% crops and its ±3.5° and ±4.5° tilts on black, trimmed again, and from the
//!   copies the tilts other tools make (white corners, a grown canvas, the inner rectangle),
//!   centre crops keeping unequal shares of the axes, and the image inside thin borders and a
//!   wide canvas of a few levels (black, #121212, white, its own edge levels) trimmed again by
//!   every rule (a border of the image's own edge colour eats into it; the same eaten
//!   rectangle is registered); [`Part::Cut`], the image and its V2 trim without a quarter of
//!   one side (a corner logo left out), and the one-side crops again (a caption bar no trim
//!   takes off leaves the upload's cut on that side equal to the image without a strip of
//!   it). Hashes below quality 50 are left out (the image's own first hash excepted), as the
//!   registry refuses them. About 100 hashes an image.
//! - Upload: the image's own hash; the hash of each trim that differs from the image and the
//!   trims before it; the four cuts (a quarter of one side left out) of the V2 trim, of the
//!   whole image if that differs, and of the smooth trim if it differs from both. At most 17
//!   hashes, one full-resolution PDQ pass and small-copy work.
//! - Searches ([`Profile::plan`], [`quell_hash::filed_plan`], shared with the registry): the
//!   image and its trims in the whole part at 44 and in the variants at 36; the cuts in the
//!   cut part at 31. A match is any pair those searches find. The many variants (about 70 an
//!   image) are searched narrowly, the few whole-part hashes widely, which keeps the index
//!   work per upload near plain PDQ's; the distances were chosen on the tuning corpus by
//!   the lab's `search_plan` example (BENCHMARKS.md).
//!
//! **`pdq-robust-v6`** (the default, [`Profile::DEFAULT`]): v5, plus what a large sticker
//! and an app's screenshot leave.
//! - Submission: v5's hashes, and the image and its V2 trim without 40% and 55% of one side,
//!   in [`Part::Cut`] (with v5's quarter, a square sticker or emoji over up to a quarter of the
//!   image in a corner, 2% in, is left out by the cut on one of the two sides it touches).
//!   About 110 hashes an image.
//! - Upload: v5's, and each cut base's cuts without 40% and 55% of one side; and the photo
//!   inside an app's chrome ([`FramedPhoto`]: the longest run of rows whose flat margins end
//!   at the same columns), hashed from the 512 px copy as a trim. At most 42 hashes.
//! - Searches: v5's plan; a v6 query also searches the hashes filed under v5.
//!
//! Caption text at 512 px is still text (at 256 px it blurs into the bar);
//! [`TrimRule::V2`]'s bridge jumps the lines it does not.
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
//! let profile = Profile::from_name("pdq-robust-v5")?;
//! let registered = profile.submission_parts(&inner);
//! assert!(profile.match_distance(&framed, &registered).is_some());
//! # Ok::<(), quell_robust::UnknownProfile>(())
//! ```

mod framed;
mod luma;
mod profile;
mod trim;

pub use crate::framed::FramedPhoto;
pub use crate::luma::{LumaImage, Rect, ShrinkingRows, Side};
pub use crate::profile::{HashPair, Profile, Query, UnknownProfile};
pub use crate::trim::{SmoothTrim, TrimRule};
pub use quell_hash::{Part, UploadKind};
