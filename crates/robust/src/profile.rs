//! Versioned hash profiles: what a registry stores per submitted image, what a member computes
//! per upload, and when the two match.

use quell_hash::{Distance, Pdq};
use quell_pdq::{hash, hash_dihedral};

use crate::luma::{LumaImage, Side};
use crate::trim::TrimRule;

/// A named, versioned recipe shared by the registry and every member. Hashes made under one
/// profile are only ever compared with hashes of the same profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Profile {
    /// `pdq-plain-v1`: the baseline every PDQ deployment runs today.
    PlainV1,
    /// `pdq-robust-v1`: trimmed, with crops and tilts registered at submission.
    RobustV1,
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
    pub const ALL: [Profile; 2] = [Profile::PlainV1, Profile::RobustV1];

    /// The profile's stable name, recorded in every index file.
    pub fn name(self) -> &'static str {
        match self {
            Profile::PlainV1 => "pdq-plain-v1",
            Profile::RobustV1 => "pdq-robust-v1",
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

    /// The largest distance, between any upload hash and any registered hash of one image,
    /// that counts as a match (inclusive).
    pub fn threshold(self) -> Distance {
        match self {
            Profile::PlainV1 => Distance::new(31),
            // Far below the closest impostor pair measured (78 bits, BENCHMARKS.md), although a
            // pair gets up to 80× the comparisons plain PDQ makes; see the evaluation.
            Profile::RobustV1 => Distance::new(40),
        }
    }

    /// The hashes to register for one submitted image (at least one).
    pub fn submission_hashes(self, image: &LumaImage) -> Vec<Pdq> {
        match self {
            Profile::PlainV1 => vec![hash(image).hash],
            Profile::RobustV1 => {
                // Crops and tilts of the image as submitted and, when trimming removed
                // something (a border, or a flat sky the trim took for one), of the trimmed
                // image too: an upload cropped inside that flat area is no longer trimmed.
                let trimmed = TrimRule::V1.trim(image);
                let mut bases = vec![image];
                if trimmed.width() != image.width() || trimmed.height() != image.height() {
                    bases.push(&trimmed);
                }
                let mut out = Vec::new();
                for base in bases {
                    out.push(hash(base).hash);
                    for f in CENTRE_CROPS {
                        out.push(hash(&base.centre_crop(f)).hash);
                    }
                    for side in Side::ALL {
                        out.push(hash(&base.side_crop(side, SIDE_CROP)).hash);
                    }
                    for degrees in TILTS {
                        let tilted = TrimRule::V1.trim(&base.rotate_filled(degrees, 0.0));
                        out.push(hash(&tilted).hash);
                    }
                }
                out
            }
        }
    }

    /// The hashes to compute for one upload, in groups of eight dihedral hashes (rotations
    /// and flips, [`quell_pdq::Dihedral::ALL`] order): one group for the image and, under
    /// `pdq-robust-v1`, a second for the trimmed image when trimming removed anything.
    pub fn upload_hashes(self, image: &LumaImage) -> Vec<Pdq> {
        let mut out = hash_dihedral(image).hashes.to_vec();
        if self == Profile::RobustV1 {
            let trimmed = TrimRule::V1.trim(image);
            if trimmed.width() != image.width() || trimmed.height() != image.height() {
                out.extend(hash_dihedral(&trimmed).hashes);
            }
        }
        out
    }

    /// The match rule: the smallest distance between any upload hash and any registered hash
    /// of one image; it is a match when that is at most [`Profile::threshold`].
    pub fn distance(upload: &[Pdq], registered: &[Pdq]) -> Distance {
        upload
            .iter()
            .flat_map(|u| registered.iter().map(move |r| u.distance(r)))
            .min()
            .unwrap_or(Distance::new(256))
    }
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
