//! Versioned hash profiles: what a registry stores per submitted image, what a member computes
//! per upload, and when the two match.

use quell_hash::{Distance, Part, Pdq, Quality, UploadKind};
use quell_pdq::{LumaRows, PdqHash, hash, hash_dihedral};

use crate::framed::FramedPhoto;
use crate::luma::{LumaImage, Rect, ShrinkingRows, Side};
use crate::trim::{SmoothTrim, TrimRule};

/// A named, versioned recipe shared by the registry and every member. Hashes made under one
/// profile are only ever compared with hashes of the same profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Profile {
    /// `pdq-plain-v1`: the baseline every PDQ deployment runs today.
    PlainV1,
    #[cfg(feature = "lab")]
    /// `pdq-robust-v1`: trimmed, with crops and tilts registered at submission.
    RobustV1,
    #[cfg(feature = "lab")]
    /// `pdq-robust-v2`: v1's hashes, plus hashes of a small shared copy: trimmed by two more
    /// rules, and without a quarter of each side (corner logos); at submission also framed
    /// by borders of the image's own edge colours and trimmed again.
    RobustV2,
    #[cfg(feature = "lab")]
    /// `pdq-robust-v3`: v2's recipe with every decision (trims, edge levels) taken on a
    /// 512 px copy instead of the full image, so an upload costs one full-resolution PDQ
    /// pass plus small-copy work; a strict trim that jumps status-bar text, and screenshot
    /// canvases simulated at submission. Its match rule has a second stage: a pair within
    /// 40, or two pairs distinct on both sides each within 48 ([`Profile::match_rule`]).
    RobustV3,
    #[cfg(feature = "lab")]
    /// `pdq-robust-v4`: v3, plus a third trim rule at ±3 grey levels ([`TrimRule::TIGHT`]:
    /// a screenshot's canvas comes off a dark or pale photograph without eating into it) on
    /// both sides, and at upload the whole image's sub-regions when the loose trim removed
    /// something (a corner logo can stop the trim of a flat edge). v3's match rule.
    RobustV4,
    /// `pdq-robust-v5`: v4's hashes, each registered hash filed under a [`Part`] and each
    /// upload hash searched only in the parts what made it can lead to, at its own distance
    /// ([`Profile::plan`]); the turned copies of the image registered instead of computed per
    /// upload; a fourth trim for smooth backgrounds ([`SmoothTrim`]); no second stage. The
    /// default before v6.
    RobustV5,
    /// `pdq-robust-v6`: v5's hashes, plus the image and its loose trim without 40% and 55% of
    /// one side (a sticker or an emoji over up to a quarter of the image, in a corner); at
    /// upload also those deeper cuts, and a photo found inside an app's chrome
    /// ([`FramedPhoto`]). v5's plan. The default.
    RobustV6,
}

/// The name given is not a known profile.
#[derive(Debug, thiserror::Error)]
#[error("unknown hash profile {0:?} (known: {known})", known = Profile::names().join(", "))]
pub struct UnknownProfile(pub String);

/// Centre crops registered by `pdq-robust-v1`: the kept share of each side.
const CENTRE_CROPS: [f64; 11] = [
    0.95, 0.925, 0.9, 0.875, 0.85, 0.825, 0.8, 0.775, 0.75, 0.725, 0.7,
];
/// Share of the extent removed by each of `pdq-robust-v1`'s four one-side crops.
const SIDE_CROP: f64 = 0.15;
/// Tilts registered by `pdq-robust-v1`, in degrees, on a black-filled canvas.
const TILTS: [f64; 4] = [-4.5, -3.5, 3.5, 4.5];

impl Profile {
    /// Every profile, oldest first.
    #[cfg(not(feature = "lab"))]
    pub const ALL: [Profile; 3] = [Profile::PlainV1, Profile::RobustV5, Profile::RobustV6];
    /// Every profile, oldest first, the retired ones of the lab included.
    #[cfg(feature = "lab")]
    pub const ALL: [Profile; 7] = [
        Profile::PlainV1,
        Profile::RobustV1,
        Profile::RobustV2,
        Profile::RobustV3,
        Profile::RobustV4,
        Profile::RobustV5,
        Profile::RobustV6,
    ];

    /// The profile a new index uses unless told otherwise.
    pub const DEFAULT: Profile = Profile::RobustV6;

    /// The filed profiles a member holds unless told otherwise, comma-separated: the
    /// default's and the others of its line, which its queries search too
    /// ([`quell_hash::searched_with`]) and which photos registered before it were filed under.
    pub const DEFAULT_HELD: &'static str = "pdq-robust-v6,pdq-robust-v5";

    /// The profile's stable name, recorded in every index file.
    pub fn name(self) -> &'static str {
        match self {
            Profile::PlainV1 => "pdq-plain-v1",
            #[cfg(feature = "lab")]
            Profile::RobustV1 => "pdq-robust-v1",
            #[cfg(feature = "lab")]
            Profile::RobustV2 => "pdq-robust-v2",
            #[cfg(feature = "lab")]
            Profile::RobustV3 => "pdq-robust-v3",
            #[cfg(feature = "lab")]
            Profile::RobustV4 => "pdq-robust-v4",
            Profile::RobustV5 => "pdq-robust-v5",
            Profile::RobustV6 => "pdq-robust-v6",
        }
    }

    /// All known names.
    pub fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|p| p.name()).collect()
    }

    /// Looks a profile up by its name.
    ///
    /// # Errors
    /// [`UnknownProfile`] for any other string.
    pub fn from_name(name: &str) -> Result<Profile, UnknownProfile> {
        Self::ALL
            .into_iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| UnknownProfile(name.to_owned()))
    }

    /// The small-copy recipe of `pdq-robust-v3`–v6 (v2's is [`Recipe::V2`]).
    fn recipe(self) -> &'static Recipe {
        match self {
            #[cfg(feature = "lab")]
            Profile::RobustV3 => &Recipe::V3,
            #[cfg(feature = "lab")]
            Profile::RobustV4 => &Recipe::V4,
            Profile::RobustV6 => &Recipe::V6,
            _ => &Recipe::V5,
        }
    }

    /// The largest distance, between any upload hash and any registered hash of one image,
    /// that counts as a match (inclusive).
    pub fn threshold(self) -> Distance {
        match self {
            Profile::PlainV1 => Distance::new(31),
            // Far below the closest impostor pair measured (78 bits, BENCHMARKS.md), although a
            // pair gets up to 80× the comparisons plain PDQ makes; see the evaluation.
            #[cfg(feature = "lab")]
            Profile::RobustV1 => Distance::new(40),
            #[cfg(feature = "lab")]
            Profile::RobustV2 | Profile::RobustV3 | Profile::RobustV4 => {
                Distance::new(V2_THRESHOLD)
            }
            // Each pair its plan finds is a match; the widest search is at 44.
            Profile::RobustV5 | Profile::RobustV6 => quell_hash::V5_MAIN_PLAN[0].1,
        }
    }

    /// The hashes to register for one submitted image (at least one):
    /// [`Profile::submission_parts`] without the parts.
    pub fn submission_hashes(self, image: &LumaImage) -> Vec<Pdq> {
        self.submission_parts(image)
            .into_iter()
            .map(|(_, h)| h)
            .collect()
    }

    /// The hashes to register for one submitted image (at least one), each with the [`Part`]
    /// of the image's registered hashes it is filed under. Only `pdq-robust-v5` and v6 search
    /// parts apart; the other profiles search an upload hash in all of them.
    pub fn submission_parts(self, image: &LumaImage) -> Vec<(Part, Pdq)> {
        self.submission_entries(image)
            .into_iter()
            .map(|(part, h)| (part, h.hash))
            .collect()
    }

    /// [`Profile::submission_parts`] with each hash's quality: what a case sends the registry.
    /// `pdq-robust-v5` and v6 leave out every hash below quality 50 but the image's own (the
    /// first), as the registry refuses them.
    pub fn submission_entries(self, image: &LumaImage) -> Vec<(Part, PdqHash)> {
        match self {
            Profile::PlainV1 => vec![(Part::Whole, hash(image))],
            #[cfg(feature = "lab")]
            Profile::RobustV2 => {
                let mut out = v1_parts(image, false, false);
                out.extend(small_copy_extras(image, &SmallCopy::of(image), &Recipe::V2));
                dedup_by_hash(&mut out);
                out
            }
            #[cfg(feature = "lab")]
            Profile::RobustV3 | Profile::RobustV4 => {
                let mut out = self.v1_and_small_copy_parts(image);
                dedup_by_hash(&mut out);
                out
            }
            Profile::RobustV5 | Profile::RobustV6 => {
                let mut out = self.v1_and_small_copy_parts(image);
                // A hash filed under two parts is searched by the queries of both. Below
                // quality 50 a hash is left out (the image's own first hash excepted: its
                // quality decides whether the image is registered at all), as the
                // registry refuses such hashes: a crop of a plain area matches unrelated
                // images. Index files and cases so hold the same hashes.
                let mut seen = std::collections::HashSet::new();
                let mut first = true;
                out.retain(|&(part, h)| {
                    let own = std::mem::take(&mut first);
                    (own || h.quality.is_matchable()) && seen.insert((part, h.hash))
                });
                out
            }
            #[cfg(feature = "lab")]
            Profile::RobustV1 => v1_parts(image, false, false),
        }
    }

    /// v1's hashes at full resolution, then the small-copy extras of the profile's recipe,
    /// decided on the 512 px copy (`pdq-robust-v3`–v6).
    fn v1_and_small_copy_parts(self, image: &LumaImage) -> Vec<(Part, PdqHash)> {
        let recipe = self.recipe();
        let mut out = v1_parts(image, recipe.register_turned, recipe.side_cuts);
        let decide = image.shrink(DECIDE_SIDE);
        out.extend(small_copy_extras(
            &decide,
            &SmallCopy::shrunk(&decide),
            recipe,
        ));
        out
    }

    /// The hashes to compute for one upload: [`Profile::upload_queries`] without the plan.
    pub fn upload_hashes(self, image: &LumaImage) -> Vec<Pdq> {
        hashes_of(&self.upload_queries(image))
    }

    /// [`Profile::upload_hashes`] of any luminance source (decoded pixels): the same hashes.
    pub fn upload_hashes_from_rows(self, image: &impl LumaRows) -> Vec<Pdq> {
        hashes_of(&self.upload_queries_from_rows(image))
    }

    /// The searches one upload makes: each hash it computes, what made it, and the parts and
    /// distance of its search ([`Profile::plan`]). In order: the image's 8 dihedral hashes
    /// (rotations and flips, [`quell_pdq::Dihedral::ALL`] order; `pdq-robust-v5` and v6: the
    /// image's own hash only, their turned copies being registered); under `pdq-robust-v1` the
    /// trimmed image's 8 when trimming removed anything; under v2–v6 those of each trim that
    /// differs from the image and the trims before it (v6: then the framed photo's, if one
    /// is found and differs), then the single hashes of the cuts (each side's quarter left
    /// out; v6: then 40% and 55% of each side).
    pub fn upload_queries(self, image: &LumaImage) -> Vec<Query> {
        self.upload(image).1
    }

    /// [`Profile::upload_queries`] and the quality of the upload's own hash (the first
    /// query's), which the pass over the full image computes anyway.
    fn upload(self, image: &LumaImage) -> (Quality, Vec<Query>) {
        match self {
            #[cfg(feature = "lab")]
            Profile::RobustV1 => {
                let mut out = Vec::new();
                let quality = push_group(&mut out, image, true, UploadKind::Whole);
                let trimmed = TrimRule::V1.trim(image);
                if trimmed.width() != image.width() || trimmed.height() != image.height() {
                    push_group(&mut out, &trimmed, true, UploadKind::Trim);
                }
                (quality, self.plan_all(out))
            }
            #[cfg(feature = "lab")]
            Profile::RobustV2 => {
                let mut out = Vec::new();
                let quality = push_group(&mut out, image, true, UploadKind::Whole);
                // Trims are decided on the full image (text on a caption bar blurs away in
                // the small copy), then hashed from the small copy.
                small_copy_uploads(image, &SmallCopy::of(image), &Recipe::V2, &mut out);
                (quality, self.plan_all(out))
            }
            _ => self.upload_from_rows(image),
        }
    }

    /// [`Profile::upload_queries`] of any luminance source (decoded pixels): the same
    /// searches. `pdq-plain-v1` and v3–v6 stream the source once and never hold the full
    /// image (v3 builds its 512 px copy while the full-resolution pass reads the rows); v1 and
    /// v2 read it into memory first, since they trim the full image.
    pub fn upload_queries_from_rows(self, image: &impl LumaRows) -> Vec<Query> {
        self.upload_from_rows(image).1
    }

    /// [`Profile::upload_queries_from_rows`] and the quality of the upload's own hash, the
    /// first query's: with it a caller that also needs the plain hash and its quality (a
    /// member's scan) does not hash the image a second time.
    pub fn upload_from_rows(self, image: &impl LumaRows) -> (Quality, Vec<Query>) {
        match self {
            Profile::PlainV1 => {
                let mut out = Vec::new();
                let quality = push_group(&mut out, image, true, UploadKind::Whole);
                (quality, self.plan_all(out))
            }
            #[cfg(feature = "lab")]
            Profile::RobustV1 | Profile::RobustV2 => self.upload(&LumaImage::from_rows(image)),
            #[cfg(feature = "lab")]
            Profile::RobustV3 | Profile::RobustV4 => self.upload_streamed(image),
            Profile::RobustV5 | Profile::RobustV6 => self.upload_streamed(image),
        }
    }

    /// The upload of `pdq-robust-v3`–v6: the full-resolution pass builds the 512 px copy the
    /// trims are decided on while it reads the rows.
    fn upload_streamed(self, image: &impl LumaRows) -> (Quality, Vec<Query>) {
        let recipe = self.recipe();
        let shrinking = ShrinkingRows::new(image, DECIDE_SIDE);
        let mut out = Vec::new();
        let quality = push_group(&mut out, &shrinking, recipe.turn_uploads, UploadKind::Whole);
        let decide = shrinking.finish();
        small_copy_uploads(&decide, &SmallCopy::shrunk(&decide), recipe, &mut out);
        (quality, self.plan_all(out))
    }

    fn plan_all(self, hashes: Vec<(UploadKind, Pdq)>) -> Vec<Query> {
        hashes
            .into_iter()
            .map(|(kind, hash)| Query {
                hash,
                kind,
                searches: self.plan(kind),
            })
            .collect()
    }

    /// The smallest distance between any upload hash and any registered hash of one image:
    /// the first stage of the match rule ([`Profile::match_rule`]), all of it for the
    /// profiles without a second stage.
    pub fn distance(upload: &[Pdq], registered: &[Pdq]) -> Distance {
        upload
            .iter()
            .flat_map(|u| registered.iter().map(move |r| u.distance(r)))
            .min()
            .unwrap_or(Distance::new(256))
    }
}

/// What an upload does with one of its hashes: the registered parts it searches, each at its
/// own distance (inclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Query {
    /// The upload hash.
    pub hash: Pdq,
    /// What made it.
    pub kind: UploadKind,
    /// Each part of the registered hashes it is compared with, and the largest distance a
    /// pair with a hash of that part may have.
    pub searches: &'static [(Part, Distance)],
}

impl Query {
    /// The distance this query searches `part` at, if it searches it.
    pub fn within(&self, part: Part) -> Option<Distance> {
        self.searches
            .iter()
            .find(|(p, _)| *p == part)
            .map(|&(_, d)| d)
    }
}

/// Every part at one distance: the plan of the profiles that do not search parts apart.
const fn everywhere(d: u32) -> [(Part, Distance); 3] {
    let d = Distance::new(d);
    [(Part::Whole, d), (Part::Variant, d), (Part::Cut, d)]
}
const EVERYWHERE_31: [(Part, Distance); 3] = everywhere(31);
#[cfg(feature = "lab")]
const EVERYWHERE_40: [(Part, Distance); 3] = everywhere(40);
#[cfg(feature = "lab")]
const EVERYWHERE_48: [(Part, Distance); 3] = everywhere(48);

impl Profile {
    /// Whether the profile searches an upload hash in some parts of the registered hashes
    /// only (so an index has to record each hash's part).
    pub fn searches_by_part(self) -> bool {
        matches!(self, Profile::RobustV5 | Profile::RobustV6)
    }

    /// The parts an upload hash of this kind is searched in, each at its distance. Every
    /// profile but `pdq-robust-v5` and v6 searches all parts at [`Profile::search_distance`].
    pub fn plan(self, kind: UploadKind) -> &'static [(Part, Distance)] {
        match (self, kind) {
            (Profile::PlainV1, _) => &EVERYWHERE_31,
            #[cfg(feature = "lab")]
            (Profile::RobustV1 | Profile::RobustV2, _) => &EVERYWHERE_40,
            #[cfg(feature = "lab")]
            (Profile::RobustV3 | Profile::RobustV4, _) => &EVERYWHERE_48,
            (Profile::RobustV5 | Profile::RobustV6, kind) => {
                quell_hash::filed_plan(self.name(), kind).expect("v5 and v6 file by part")
            }
        }
    }

    /// The match rule over every pair of `queries` × `registered` the queries search
    /// ([`Profile::upload_queries`], [`Profile::match_rule`]): the evaluation's exhaustive
    /// search in place of an index.
    pub fn match_queries(self, queries: &[Query], registered: &[(Part, Pdq)]) -> Option<Distance> {
        let pairs: Vec<HashPair> = queries
            .iter()
            .flat_map(|q| {
                registered.iter().filter_map(move |&(part, r)| {
                    let distance = q.hash.distance(&r);
                    (distance <= q.within(part)?).then_some(HashPair {
                        upload: q.hash,
                        registered: r,
                        distance,
                    })
                })
            })
            .collect();
        self.match_rule(&pairs)
    }
}

/// One (upload hash, registered hash) pair within a search's distance of each other: what an
/// index search yields, and what [`Profile::match_rule`] decides on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HashPair {
    /// The upload's hash.
    pub upload: Pdq,
    /// The registered image's hash.
    pub registered: Pdq,
    /// Their Hamming distance.
    pub distance: Distance,
}

impl Profile {
    /// The match rule, for one upload against one registered image, given the pairs of their
    /// hashes its searches found (in any order; pairs further apart than
    /// [`Profile::threshold`] are ignored): `Some(distance of the nearest pair)` when it is a
    /// match, a pair within [`Profile::threshold`]. (The lab's retired `pdq-robust-v3` and v4
    /// add a second stage, `second_threshold`.)
    ///
    /// `quell match` applies it to index hits and the evaluation to all pairs, so both score
    /// the same rule.
    pub fn match_rule(self, pairs: &[HashPair]) -> Option<Distance> {
        let nearest = pairs.iter().map(|p| p.distance).min()?;
        if nearest <= self.threshold() {
            return Some(nearest);
        }
        #[cfg(feature = "lab")]
        return self.second_stage(pairs, nearest);
        #[cfg(not(feature = "lab"))]
        None
    }

    /// [`Profile::match_queries`] of an upload ([`Profile::upload_queries`]) against one
    /// image's registered hashes ([`Profile::submission_parts`]).
    pub fn match_distance(
        self,
        upload: &LumaImage,
        registered: &[(Part, Pdq)],
    ) -> Option<Distance> {
        self.match_queries(&self.upload_queries(upload), registered)
    }
}

/// The retired profiles' second stage (the lab's `pdq-robust-v3` and v4).
#[cfg(feature = "lab")]
impl Profile {
    /// The distance of the match rule's second stage, if the profile has one: `pdq-robust-v3`
    /// also matches an image when two pairs, distinct on both sides, are each within it.
    pub fn second_threshold(self) -> Option<Distance> {
        match self {
            Profile::PlainV1
            | Profile::RobustV1
            | Profile::RobustV2
            | Profile::RobustV5
            | Profile::RobustV6 => None,
            Profile::RobustV3 | Profile::RobustV4 => Some(Distance::new(V3_SECOND_THRESHOLD)),
        }
    }

    /// The distance an index has to be searched at to find every pair the match rule can use.
    pub fn search_distance(self) -> Distance {
        self.second_threshold()
            .map_or(self.threshold(), |s| s.max(self.threshold()))
    }

    /// The match rule's second stage, given the pairs within [`Profile::search_distance`]
    /// and the nearest one's distance (beyond [`Profile::threshold`]): a match when, with a
    /// [`Profile::second_threshold`], two pairs within it share neither their upload hash nor
    /// their registered hash. Hashes are told apart by value: two equal upload hashes (a
    /// symmetric image's dihedral copies) are one piece of evidence, not two.
    fn second_stage(self, pairs: &[HashPair], nearest: Distance) -> Option<Distance> {
        let second = self.second_threshold()?;
        let mut near = pairs.iter().filter(|p| p.distance <= second);
        let first = near.next()?;
        // Two pairs disjoint from each other exist exactly when some pair is disjoint from
        // `first`, or one pair shares only `first`'s upload hash and another only its
        // registered hash (each of a disjoint couple shares at most one side with `first`).
        let (mut shares_upload, mut shares_registered) = (false, false);
        for p in near {
            let same_upload = p.upload == first.upload;
            let same_registered = p.registered == first.registered;
            match (same_upload, same_registered) {
                (false, false) => return Some(nearest),
                (true, false) => shares_upload = true,
                (false, true) => shares_registered = true,
                (true, true) => {}
            }
            if shares_upload && shares_registered {
                return Some(nearest);
            }
        }
        None
    }

    /// The evidence for a second-stage rule: the smallest `t` such that two *disjoint* pairs
    /// (different upload hashes and different registered hashes) are both within `t` bits;
    /// 256 if fewer than two hashes on a side. A rule "a match at most [`Profile::threshold`],
    /// or a second distance at most `t2`" accepts a hit between the two thresholds only when
    /// more than one registered hash backs it by more than one upload hash.
    ///
    /// The pairs within `t` have no two disjoint ones exactly when they all share one hash
    /// (a bipartite graph with maximum matching 1 has a vertex cover of size 1), so walking
    /// the pairs nearest first and stopping when they stop sharing one hash gives it.
    pub fn second_distance(upload: &[Pdq], registered: &[Pdq]) -> Distance {
        let mut pairs: Vec<(Distance, usize, usize)> = upload
            .iter()
            .enumerate()
            .flat_map(|(i, u)| {
                registered
                    .iter()
                    .enumerate()
                    .map(move |(j, r)| (u.distance(r), i, j))
            })
            .collect();
        pairs.sort_unstable();
        let Some(&(_, i0, j0)) = pairs.first() else {
            return Distance::new(256);
        };
        // Whether every pair so far shares the nearest pair's upload (registered) hash.
        let (mut share_upload, mut share_registered) = (true, true);
        for &(d, i, j) in &pairs[1..] {
            share_upload &= i == i0;
            share_registered &= j == j0;
            if !share_upload && !share_registered {
                return d;
            }
        }
        Distance::new(256)
    }
}

/// `pdq-robust-v2`'s threshold.
#[cfg(feature = "lab")]
const V2_THRESHOLD: u32 = 40;
#[cfg(feature = "lab")]
/// `pdq-robust-v3`'s second-stage distance: at 48, two pairs distinct on both sides took v3
/// from 0.977 to 0.982 mean recall with no false match, the closest impostor by
/// [`Profile::second_distance`] being 78 bits (84 among transformed variants; BENCHMARKS.md).
const V3_SECOND_THRESHOLD: u32 = 48;
/// Longer side of the shared small copy `pdq-robust-v2` hashes sub-regions of. PDQ reduces
/// every image to 64×64 before its DCT, so hashes of a copy several times that size are close
/// to those of the full image, at a fraction of the cost.
const SMALL_SIDE: usize = 256;
/// Longer side of the copy `pdq-robust-v3` decides trims and edge levels on (and makes its
/// 256 px copy from). Twice the hashed copy's size, so caption text is still text there
/// (v2's notes: at 256 px it blurs into the bar), at a quarter of the full image's pixels.
const DECIDE_SIDE: usize = 512;
/// Width of the simulated borders at submission, in pixels of the image trims are decided on:
/// v2 decides on the full image.
#[cfg(feature = "lab")]
const V2_PAD: usize = 4;
/// Width of the simulated borders at submission of `pdq-robust-v3`–v5, which decide on the
/// 512 px copy (about half v2's scale).
const V3_PAD: usize = 2;
/// Width of the wide canvas `pdq-robust-v3` simulates at submission, as a share of the
/// longer side (a phone screenshot shows a photograph at about 70% of the screen's width).
const V3_CANVAS: Option<f64> = Some(0.2);

/// What `pdq-robust-v2`, v3 and v4 take from the small copy besides the full image's dihedral
/// group; one value per profile.
struct Recipe {
    /// The trim rules after [`TrimRule::V2`] (the loose rule, always first): each trim that
    /// differs from the whole image and from the rules before it adds a dihedral group at
    /// upload, and each is applied to the simulated borders at submission.
    strict: &'static [TrimRule],
    /// Width of the simulated borders at submission (`V2_PAD`, [`V3_PAD`]).
    pad: usize,
    /// The wide canvas simulated at submission, as a share of the longer side, if any.
    canvas: Option<f64>,
    /// At upload, also cut the sub-regions from the whole image when the loose trim removed
    /// something: a corner logo breaks the flat edge lines the trim takes off the original,
    /// so the upload's trim differs from the registered one while its whole image minus the
    /// logo's quarter is what was registered.
    whole_cuts: bool,
    /// At submission, also register the tilts and crops other tools make (see
    /// [`tool_variants`]).
    tool_variants: bool,
    /// At upload, hash each trim (and the image) in all 8 orientations; off, in its own only,
    /// and the turned copies are registered instead (`register_turned`).
    turn_uploads: bool,
    /// At submission, register the 8 dihedral hashes of every [`Part::Whole`] hash: an upload
    /// turned by 90° or flipped then matches with its own hash, one search instead of eight.
    register_turned: bool,
    /// A trim of smooth backgrounds (a desktop's gradient wallpaper), applied after the
    /// level-based rules on both sides, its cuts hashed at upload like the loose trim's.
    smooth: Option<SmoothTrim>,
    /// At submission, file the one-side crops under [`Part::Cut`] as well as
    /// [`Part::Variant`]: a caption bar that no trim takes off leaves the upload's cut on that
    /// side equal to the image without a strip of that side.
    side_cuts: bool,
    /// Shares of one side cut away beyond [`LOGO_CUT`], on both sides, from the same bases:
    /// a sticker over a corner that a quarter of a side does not hold.
    deep_cuts: &'static [f64],
    /// At upload, also the photo inside an app's chrome, hashed as a trim.
    framed: Option<FramedPhoto>,
}

impl Recipe {
    #[cfg(feature = "lab")]
    const V2: Recipe = Recipe {
        strict: &[TrimRule::STRICT],
        pad: V2_PAD,
        canvas: None,
        whole_cuts: false,
        tool_variants: false,
        turn_uploads: true,
        register_turned: false,
        smooth: None,
        side_cuts: false,
        deep_cuts: &[],
        framed: None,
    };
    /// v2's, with v3's trim rule, padding and screenshot canvas.
    #[cfg(feature = "lab")]
    const V3: Recipe = Recipe {
        strict: &[TrimRule::V3_STRICT],
        pad: V3_PAD,
        canvas: V3_CANVAS,
        ..Recipe::V2
    };
    const V4: Recipe = Recipe {
        strict: &[TrimRule::V3_STRICT, TrimRule::TIGHT],
        pad: V3_PAD,
        canvas: V3_CANVAS,
        whole_cuts: true,
        tool_variants: true,
        turn_uploads: true,
        register_turned: false,
        smooth: None,
        side_cuts: false,
        deep_cuts: &[],
        framed: None,
    };
    /// v4's, with the turned copies of the image and its trims registered instead of
    /// computed per upload.
    const V5: Recipe = Recipe {
        turn_uploads: false,
        register_turned: true,
        smooth: Some(SmoothTrim::V5),
        side_cuts: true,
        ..Recipe::V4
    };
    /// v5's, with cuts of 40% and 55% of a side and the framed photo.
    const V6: Recipe = Recipe {
        deep_cuts: &DEEP_CUTS,
        framed: Some(FramedPhoto::V6),
        ..Recipe::V5
    };
}
/// Shares of one side `pdq-robust-v6` also cuts away: with the quarter, a corner sticker whose
/// side is up to about 55% of the image's (a quarter of its area, square, 2% in from the edge)
/// is left out by the cut on one of the two sides it touches.
const DEEP_CUTS: [f64; 2] = [0.4, 0.55];
/// Share of one side `pdq-robust-v2` cuts away to leave a corner logo or watermark out.
const LOGO_CUT: f64 = 0.25;
/// Luminance levels of the borders `pdq-robust-v2` simulates at submission, besides the
/// image's own edge levels: black, the common dark-mode canvas (#121212) and white.
const BORDER_LEVELS: [f32; 3] = [0.0, 18.0, 255.0];

/// The shared small copy of `pdq-robust-v2`, and how full-image rectangles map onto it.
struct SmallCopy {
    full: (usize, usize),
    small: LumaImage,
}

impl SmallCopy {
    #[cfg(feature = "lab")]
    fn of(image: &LumaImage) -> Self {
        SmallCopy {
            full: (image.width(), image.height()),
            small: image.downscale(SMALL_SIDE),
        }
    }

    /// `pdq-robust-v3`'s: the copy made by [`LumaImage::shrink`] (of its 512 px copy).
    fn shrunk(image: &LumaImage) -> Self {
        SmallCopy {
            full: (image.width(), image.height()),
            small: image.shrink(SMALL_SIDE),
        }
    }

    fn whole(image: &LumaImage) -> Rect {
        Rect {
            x: 0,
            y: 0,
            width: image.width(),
            height: image.height(),
        }
    }

    /// The part of the small copy inside `rect` (full-image pixels), rounded inwards so no
    /// pixel from outside it leaks in.
    fn crop(&self, rect: Rect) -> LumaImage {
        let (fw, fh) = self.full;
        let (sw, sh) = (self.small.width(), self.small.height());
        let span = |start: usize, len: usize, full: usize, small: usize| {
            let a = (start * small).div_ceil(full);
            let b = ((start + len) * small / full).max(a + 1).min(small);
            (a.min(small - 1), b)
        };
        let (x0, x1) = span(rect.x, rect.width, fw, sw);
        let (y0, y1) = span(rect.y, rect.height, fh, sh);
        self.small.crop(Rect {
            x: x0,
            y: y0,
            width: x1 - x0,
            height: y1 - y0,
        })
    }
}

/// `pdq-robust-v1`'s hashes: crops and tilts of the image as submitted and, when trimming
/// removed something (a border, or a flat sky the trim took for one), of the trimmed image
/// too: an upload cropped inside that flat area is no longer trimmed. With `turned`, each
/// base's own hash comes in all 8 orientations; with `side_cuts`, each one-side crop is filed
/// under [`Part::Cut`] too (an upload whose caption bar stays on, cut on that side, is that
/// crop).
fn v1_parts(image: &LumaImage, turned: bool, side_cuts: bool) -> Vec<(Part, PdqHash)> {
    let trimmed = TrimRule::V1.trim(image);
    let mut bases = vec![image];
    if trimmed.width() != image.width() || trimmed.height() != image.height() {
        bases.push(&trimmed);
    }
    let mut out = Vec::new();
    for base in bases {
        push_whole(&mut out, base, turned);
        for f in CENTRE_CROPS {
            out.push((Part::Variant, hash(&base.centre_crop(f))));
        }
        for side in Side::ALL {
            let h = hash(&base.side_crop(side, SIDE_CROP));
            out.push((Part::Variant, h));
            if side_cuts {
                out.push((Part::Cut, h));
            }
        }
        for degrees in TILTS {
            let tilted = TrimRule::V1.trim(&base.rotate_filled(degrees, 0.0));
            out.push((Part::Variant, hash(&tilted)));
        }
    }
    out
}

/// A [`Part::Whole`] hash of `image` and, if `turned`, its 7 turned and flipped hashes.
fn push_whole(out: &mut Vec<(Part, PdqHash)>, image: &LumaImage, turned: bool) {
    if turned {
        let all = hash_dihedral(image);
        out.extend(all.hashes.map(|hash| {
            let quality = all.quality;
            (Part::Whole, PdqHash { hash, quality })
        }));
    } else {
        out.push((Part::Whole, hash(image)));
    }
}

/// The upload hashes `pdq-robust-v2`–v6 add to the full image's: trims decided on `image`
/// (the full image for v2, the 512 px copy for v3–v6) and hashed from `small`, its 256 px
/// copy: the hashes of the `V2` trim if it removed anything and of each of the recipe's
/// stricter trims that differs from the whole image and from the trims before it (all 8
/// dihedral hashes of each, or with `turn_uploads` off its own only), then the `V2`-trimmed
/// part without a quarter of each side (and, with `whole_cuts`, the whole image without a
/// quarter of each side when the two differ); with `framed`, the framed photo after the
/// trims, and with `deep_cuts`, each base's deeper cuts after the quarters.
fn small_copy_uploads(
    image: &LumaImage,
    small: &SmallCopy,
    recipe: &Recipe,
    out: &mut Vec<(UploadKind, Pdq)>,
) {
    let loose = TrimRule::V2.inner_rect(image);
    let whole = SmallCopy::whole(image);
    let smooth = recipe.smooth.map(|t| t.inner_rect(image));
    let mut hashed = vec![whole];
    let rects = std::iter::once(loose)
        .chain(recipe.strict.iter().map(|r| r.inner_rect(image)))
        .chain(smooth);
    for rect in rects {
        if !hashed.contains(&rect) {
            hashed.push(rect);
            push_group(
                out,
                &small.crop(rect),
                recipe.turn_uploads,
                UploadKind::Trim,
            );
        }
    }
    // The framed photo is hashed from `image` itself: it is often under half the screen's
    // width, a hundred pixels or so of the small copy, where PDQ loses bits to rounding.
    if let Some(rect) = recipe.framed.and_then(|f| f.inner_rect(image))
        && !hashed.contains(&rect)
    {
        push_group(
            out,
            &image.crop(rect),
            recipe.turn_uploads,
            UploadKind::Trim,
        );
    }
    let mut bases = vec![loose];
    if recipe.whole_cuts && loose != whole {
        bases.push(whole);
    }
    if let Some(smooth) = smooth
        && !bases.contains(&smooth)
        && smooth != whole
    {
        bases.push(smooth);
    }
    // Each base cropped once: the quarter cuts of every base, then (v6) the deeper ones.
    let bases: Vec<LumaImage> = bases.into_iter().map(|r| small.crop(r)).collect();
    for base in &bases {
        for side in Side::ALL {
            out.push((UploadKind::Cut, hash(&base.side_crop(side, LOGO_CUT)).hash));
        }
    }
    for base in &bases {
        for &share in recipe.deep_cuts {
            for side in Side::ALL {
                out.push((UploadKind::Cut, hash(&base.side_crop(side, share)).hash));
            }
        }
    }
}

/// The hash of `image` as `kind` and, if `turned`, its 7 turned and flipped hashes after it
/// as the turned kind ([`quell_pdq::Dihedral::ALL`] order).
fn push_group(
    out: &mut Vec<(UploadKind, Pdq)>,
    image: &impl LumaRows,
    turned: bool,
    kind: UploadKind,
) -> Quality {
    if !turned {
        let own = hash(image);
        out.push((kind, own.hash));
        return own.quality;
    }
    let turned_kind = match kind {
        UploadKind::Whole => UploadKind::WholeTurned,
        _ => UploadKind::TrimTurned,
    };
    let group = hash_dihedral(image);
    out.push((kind, group.hashes[0]));
    out.extend(group.hashes[1..].iter().map(|&h| (turned_kind, h)));
    group.quality
}

fn hashes_of(queries: &[Query]) -> Vec<Pdq> {
    queries.iter().map(|q| q.hash).collect()
}

/// The hashes `pdq-robust-v2`, v3 and v4 register beyond v1's, all from `small`, the 256 px
/// copy of `image` (the full image for v2, its 512 px copy for v3 and v4), on which every
/// rectangle is decided: the image trimmed by each of the recipe's rules; the image and its
/// trimmed form without a quarter of each side (an upload with a corner logo is compared
/// without it); and the image inside borders `recipe.pad` pixels wide of a few levels (and the
/// recipe's wide canvas), trimmed again by every rule (when a border's colour matches the
/// image's own edge, trimming eats into the image; the same happens here).
fn small_copy_extras(
    image: &LumaImage,
    small: &SmallCopy,
    recipe: &Recipe,
) -> Vec<(Part, PdqHash)> {
    let thickness = recipe.pad;
    let whole = SmallCopy::whole(image);
    let loose = TrimRule::V2.inner_rect(image);
    let mut out = Vec::new();
    let bases = [whole, loose].map(|r| small.crop(r));
    for base in &bases {
        for side in Side::ALL {
            out.push((Part::Cut, hash(&base.side_crop(side, LOGO_CUT))));
        }
    }
    // v6's deeper cuts, after the quarter cuts (v5 has none: its order is unchanged).
    for base in &bases {
        for &share in recipe.deep_cuts {
            for side in Side::ALL {
                out.push((Part::Cut, hash(&base.side_crop(side, share))));
            }
        }
    }
    let mut levels: Vec<f32> = BORDER_LEVELS.to_vec();
    levels.extend(edge_levels(image));
    let all_sides: &[Side] = &Side::ALL;
    let letterbox: &[Side] = &[Side::Top, Side::Bottom];
    let pillarbox: &[Side] = &[Side::Left, Side::Right];
    // v1's hashes already cover the whole image and its v1 trim.
    let mut seen = vec![whole, TrimRule::V1.inner_rect(image)];
    // The image's own trims, then (below) its trims inside simulated borders.
    let mut rects = vec![(Part::Whole, loose)];
    rects.extend(
        recipe
            .strict
            .iter()
            .map(|r| (Part::Whole, r.inner_rect(image))),
    );
    rects.extend(recipe.smooth.map(|t| (Part::Whole, t.inner_rect(image))));
    // Thin borders on all sides, top and bottom, left and right; and, for v3, a wide canvas on
    // all sides (a screenshot: the canvas beside the photograph is in every line the trim
    // judges at the photograph's top and bottom, so it eats more of a dark edge than a thin
    // border does).
    let mut framings = vec![
        (all_sides, thickness),
        (letterbox, thickness),
        (pillarbox, thickness),
    ];
    if let Some(share) = recipe.canvas {
        let wide = (image.width().max(image.height()) as f64 * share).round() as usize;
        framings.push((all_sides, wide.max(thickness)));
    }
    for level in levels {
        for &(sides, thickness) in &framings {
            let padded = image.pad(level, thickness, sides);
            for &rule in std::iter::once(&TrimRule::V2).chain(recipe.strict) {
                let rect = rule.inner_rect(&padded);
                // Back to the image's coordinates; a trim that stopped inside the pad (the
                // image's own edge is far from the level) leaves that side whole.
                let pad = |side| if sides.contains(&side) { thickness } else { 0 };
                let (x0, y0) = (rect.x.max(pad(Side::Left)), rect.y.max(pad(Side::Top)));
                let x1 = (rect.x + rect.width).min(padded.width() - pad(Side::Right));
                let y1 = (rect.y + rect.height).min(padded.height() - pad(Side::Bottom));
                if x1 > x0 && y1 > y0 {
                    rects.push((
                        Part::Variant,
                        Rect {
                            x: x0 - pad(Side::Left),
                            y: y0 - pad(Side::Top),
                            width: x1 - x0,
                            height: y1 - y0,
                        },
                    ));
                }
            }
        }
    }
    for (part, rect) in rects {
        if !seen.contains(&rect) {
            seen.push(rect);
            let cut = small.crop(rect);
            match part {
                Part::Whole => push_whole(&mut out, &cut, recipe.register_turned),
                _ => out.push((part, hash(&cut))),
            }
        }
    }
    if recipe.tool_variants {
        out.extend(
            tool_variants(image, &small.small)
                .into_iter()
                .map(|h| (Part::Variant, h)),
        );
    }
    out
}

/// Shares of each axis `pdq-robust-v4`'s centre crops keep, in every unequal combination.
const ASPECT_CROPS: [f64; 5] = [0.9, 0.85, 0.8, 0.75, 0.7];

/// `pdq-robust-v4`'s hashes of what other tools make of a tilt or a crop, beyond v1's tilts
/// (a same-size canvas with black corners, trimmed: OpenCV's and Pillow's default) and centre
/// crops (the same share of both axes). From `image`, the 512 px copy, for each of v1's
/// angles: white corners on the same canvas; black and white corners on a canvas grown to hold
/// the whole image (Pillow's `expand=True`, ImageMagick's `-rotate`), each also after the loose
/// trim an upload applies to it; and the tilt cut to its largest inner rectangle (corners
/// cropped away). From `small`, its 256 px copy: centre crops keeping unequal shares of the
/// two axes ([`ASPECT_CROPS`]: a crop to another aspect ratio), 5% apart, which an
/// independent implementation of the crop family showed v1's equal crops miss.
fn tool_variants(image: &LumaImage, small: &LumaImage) -> Vec<PdqHash> {
    let mut out = Vec::new();
    for degrees in TILTS {
        out.push(hash(
            &TrimRule::V1.trim(&image.rotate_filled(degrees, 255.0)),
        ));
        for fill in [0.0, 255.0] {
            let grown = image.rotate_expanded(degrees, fill);
            out.push(hash(&grown));
            out.push(hash(&TrimRule::V2.trim(&grown)));
        }
        out.push(hash(&image.rotate_inscribed(degrees)));
    }
    for fx in ASPECT_CROPS {
        for fy in ASPECT_CROPS {
            if fx != fy {
                out.push(hash(&small.centre_crop_axes(fx, fy)));
            }
        }
    }
    out
}

/// The level dominating each of the image's four edge lines, where one does (see
/// [`TrimRule::dominant_level`]): the border colours that would eat into this image.
fn edge_levels(image: &LumaImage) -> Vec<f32> {
    let (w, h) = (image.width(), image.height());
    let column = |x: usize| (0..h).map(move |y| image.get(x, y)).collect::<Vec<_>>();
    [
        image.row(0).to_vec(),
        image.row(h - 1).to_vec(),
        column(0),
        column(w - 1),
    ]
    .iter()
    .filter_map(|line| TrimRule::V1.dominant_level(line))
    .collect()
}

#[cfg(feature = "lab")]
/// Keeps the first entry of each hash, whatever its part (the profiles that search all parts).
fn dedup_by_hash(hashes: &mut Vec<(Part, PdqHash)>) {
    let mut seen = std::collections::HashSet::new();
    hashes.retain(|(_, h)| seen.insert(h.hash));
}

impl std::fmt::Display for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Profile {
    type Err = UnknownProfile;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Profile::from_name(s)
    }
}
