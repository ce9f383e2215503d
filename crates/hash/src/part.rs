//! Where a registered PDQ hash is filed: the hash profile that made it and the part of its
//! image's hashes it belongs to. The recipes live in `quell-robust`; the registry, the wire
//! and the member's matcher only need these names, so they sit here with no image code.

use std::fmt;

/// The part of an image's registered hashes a hash is filed under: what kind of copy of the
/// image it stands for. A profile that searches by part (`pdq-robust-v5`) compares each
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
    /// The image and its loose trim without a quarter of one side, compared with an upload's
    /// own cuts (a corner logo left out); under `pdq-robust-v5` also the one-side crops (an
    /// upload's cut on the side of a caption bar no trim took off).
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
pub const FILED_PROFILES: [&str; 1] = ["pdq-robust-v5"];

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
    }
}
