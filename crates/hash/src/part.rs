//! Where a registered PDQ hash is filed: the hash profile that made it and the part of its
//! image's hashes it belongs to. The recipes live in `quell-robust`; the registry, the wire
//! and the member's matcher only need these names, so they sit here with no image code.

use std::fmt;

use crate::Distance;

/// The part of an image's registered hashes a hash is filed under: what kind of copy of the
/// image it stands for. A profile that searches by part (`pdq-robust-v5`, v6) compares each
/// upload hash only with the parts what made it can lead back to, each at its own distance:
/// the upload's cuts only with the image's cuts, and the many variants of an image at a
/// narrower distance than its few whole-image hashes. A hash may be filed under more than
/// one part.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Part {
    /// The image as submitted and its own trims: what an upload that keeps the whole picture
    /// (re-encoded, resized, recoloured, blurred, turned, flipped, framed and trimmed back)
    /// comes back to.
    Whole,
    /// Crops, tilts, and trims of the image inside simulated borders and canvases.
    Variant,
    /// The image and its loose trim without a quarter of one side (under `pdq-robust-v6` also
    /// without 40% and 55%), compared with an upload's own cuts (a corner logo or sticker left
    /// out); under `pdq-robust-v5` and v6 also the one-side crops (an upload's cut on the side
    /// of a caption bar no trim took off).
    Cut,
}

impl Part {
    /// Every part.
    pub const ALL: [Part; 3] = [Part::Whole, Part::Variant, Part::Cut];

    /// The part's stored, wire and index-file name: `whole`, `variant`, `cut`.
    pub fn name(self) -> &'static str {
        match self {
            Part::Whole => "whole",
            Part::Variant => "variant",
            Part::Cut => "cut",
        }
    }

    /// Looks a part up by its name.
    pub fn from_name(name: &str) -> Option<Part> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The hash profiles whose registered hashes are filed under [`Part`]s, by name: the only
/// profiles a [`Filing`] may name. `quell-robust` checks that this is exactly its list.
pub const FILED_PROFILES: [&str; 2] = ["pdq-robust-v5", "pdq-robust-v6"];

/// A registered PDQ hash's profile and part. A hash without one is a plain PDQ hash of the
/// image as submitted (`pdq-plain-v1`), what every other PDQ system exchanges.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Filing {
    profile: &'static str,
    part: Part,
}

/// A profile or part name that no [`Filing`] may carry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilingError {
    /// Not one of [`FILED_PROFILES`].
    #[error(
        "hash profile {0:?} does not file hashes under parts (known: {known})",
        known = FILED_PROFILES.join(", ")
    )]
    Profile(String),
    /// Not a [`Part`] name.
    #[error("unknown part {0:?}: use \"whole\", \"variant\" or \"cut\"")]
    Part(String),
}

impl Filing {
    /// A filing under a profile that files by part.
    ///
    /// # Errors
    /// [`FilingError::Profile`] if `profile` is not one of [`FILED_PROFILES`].
    pub fn new(profile: &str, part: Part) -> Result<Self, FilingError> {
        let profile = FILED_PROFILES
            .into_iter()
            .find(|&p| p == profile)
            .ok_or_else(|| FilingError::Profile(profile.to_owned()))?;
        Ok(Self { profile, part })
    }

    /// A filing from its stored or wire names.
    ///
    /// # Errors
    /// [`FilingError`] for an unknown profile or part.
    pub fn parse(profile: &str, part: &str) -> Result<Self, FilingError> {
        let part = Part::from_name(part).ok_or_else(|| FilingError::Part(part.to_owned()))?;
        Self::new(profile, part)
    }

    /// The profile's name.
    pub fn profile(self) -> &'static str {
        self.profile
    }

    /// The part.
    pub fn part(self) -> Part {
        self.part
    }
}

impl fmt::Display for Filing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.profile, self.part)
    }
}

/// Which of an upload's computations made an upload hash: what a profile's plan decides its
/// searches by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UploadKind {
    /// The upload as it is, in its own orientation.
    Whole,
    /// The upload turned by a multiple of 90° or flipped (the other seven dihedral hashes).
    WholeTurned,
    /// A trim of the upload, in its own orientation.
    Trim,
    /// A trim of the upload, turned or flipped.
    TrimTurned,
    /// A trim (or the whole upload) without a quarter of one side.
    Cut,
}

impl UploadKind {
    /// Every kind.
    pub const ALL: [UploadKind; 5] = [
        UploadKind::Whole,
        UploadKind::WholeTurned,
        UploadKind::Trim,
        UploadKind::TrimTurned,
        UploadKind::Cut,
    ];

    /// The kind's wire name: `whole`, `whole_turned`, `trim`, `trim_turned`, `cut`.
    pub fn name(self) -> &'static str {
        match self {
            UploadKind::Whole => "whole",
            UploadKind::WholeTurned => "whole_turned",
            UploadKind::Trim => "trim",
            UploadKind::TrimTurned => "trim_turned",
            UploadKind::Cut => "cut",
        }
    }

    /// Looks a kind up by its name.
    pub fn from_name(name: &str) -> Option<UploadKind> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// `pdq-robust-v5`'s searches for the whole upload and its trims: the image's own hashes and
/// their turned copies at 44, its variants at 36. Chosen on the tuning corpus with
/// `quell-robust`'s `examples/search_plan.rs` (BENCHMARKS.md): widening the whole part, about
/// 20 hashes an image, buys more recall per unit of index work than widening the 70-odd
/// variants.
pub const V5_MAIN_PLAN: [(Part, Distance); 2] = [
    (Part::Whole, Distance::new(44)),
    (Part::Variant, Distance::new(36)),
];

/// `pdq-robust-v5`'s searches for the upload's cuts: the image's cuts at 31.
pub const V5_CUT_PLAN: [(Part, Distance); 1] = [(Part::Cut, Distance::new(31))];

/// The searches a profile that files by part makes for an upload hash of `kind`: each part
/// of the registered hashes it is compared with, and the largest distance a pair may have
/// (inclusive). The registry's matcher and `quell-robust` both read it here, so a member
/// matching over HTTP and one matching with the crates search alike.
///
/// # Errors
/// [`FilingError::Profile`] if `profile` is not one of [`FILED_PROFILES`].
pub fn filed_plan(
    profile: &str,
    kind: UploadKind,
) -> Result<&'static [(Part, Distance)], FilingError> {
    match (profile, kind) {
        // v6 searches as v5 does (its deeper cuts are cuts).
        ("pdq-robust-v5" | "pdq-robust-v6", UploadKind::Cut) => Ok(&V5_CUT_PLAN),
        // (v5 and v6 turn no upload hash: their turned copies are registered.)
        ("pdq-robust-v5" | "pdq-robust-v6", _) => Ok(&V5_MAIN_PLAN),
        (other, _) => Err(FilingError::Profile(other.to_owned())),
    }
}

/// The filed profiles a query made under `profile` searches, itself first. Profiles of one
/// line share a plan, and the newer one's uploads make every search the older one's make
/// while it registers every hash the older one registers: so every pair of a query of one
/// and a hash of the other is a pair the newer profile's own rule searches. A photo
/// registered before the default changed is found by the new default's uploads, and a new
/// photo by a stored file of the old default's queries; a member holds both. Empty for a
/// profile that files nothing.
pub fn searched_with(profile: &str) -> &'static [&'static str] {
    match profile {
        // v6 = v5 + deeper cuts (both sides) + a framed photo (uploads).
        "pdq-robust-v6" => &["pdq-robust-v6", "pdq-robust-v5"],
        "pdq-robust-v5" => &["pdq-robust-v5", "pdq-robust-v6"],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_strangers_are_refused() {
        for part in Part::ALL {
            assert_eq!(Part::from_name(part.name()), Some(part));
            let filing = Filing::parse("pdq-robust-v5", part.name()).unwrap();
            assert_eq!(filing.part(), part);
            assert_eq!(filing.to_string(), format!("pdq-robust-v5/{part}"));
        }
        assert_eq!(
            Filing::parse("pdq-robust-v4", "whole"),
            Err(FilingError::Profile("pdq-robust-v4".into()))
        );
        assert_eq!(
            Filing::parse("pdq-robust-v5", "Whole"),
            Err(FilingError::Part("Whole".into()))
        );
        for kind in UploadKind::ALL {
            assert_eq!(UploadKind::from_name(kind.name()), Some(kind));
            for profile in FILED_PROFILES {
                assert!(!filed_plan(profile, kind).unwrap().is_empty());
            }
        }
        assert!(filed_plan("pdq-plain-v1", UploadKind::Whole).is_err());
    }

    /// A profile searches its own filings first, and the others of its line only by the
    /// same plan (a query carries one plan for all of them).
    #[test]
    fn a_profile_searches_its_own_filings_and_earlier_ones_by_one_plan() {
        for profile in FILED_PROFILES {
            let with = searched_with(profile);
            assert_eq!(with.first(), Some(&profile));
            for other in &with[1..] {
                assert!(FILED_PROFILES.contains(other));
                assert!(searched_with(other).contains(&profile), "{profile} {other}");
                for kind in UploadKind::ALL {
                    assert_eq!(filed_plan(profile, kind), filed_plan(other, kind));
                }
            }
        }
        assert!(searched_with("pdq-plain-v1").is_empty());
    }
}
