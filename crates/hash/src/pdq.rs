//! The PDQ hash, its quality score and the Hamming distance between hashes.

use std::fmt;
use std::str::FromStr;

use crate::hex::{self, ParseHexError};

/// Hamming distance at or below which two PDQ hashes are a match, as Meta recommends and
/// python-threatexchange uses (`PDQ_CONFIDENT_MATCH_THRESHOLD`). Inclusive.
pub const MATCH_DISTANCE: Distance = Distance(31);

/// Hashes with quality below this are too plain to match reliably: the reference discards
/// them (`QUALITY_THRESHOLD = 50` in python-threatexchange).
pub const MIN_QUALITY: Quality = Quality(50);

/// A 256-bit PDQ hash, stored in the byte order of its hex string.
///
/// Bit `k` (the DCT coefficient at row `k / 16`, column `k % 16`, as the C++ reference numbers
/// them) is bit `k % 8` of byte `31 - k / 8`. See the crate docs for why.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Pdq([u8; 32]);

impl Pdq {
    /// Number of bits in a PDQ hash.
    pub const BITS: u32 = 256;

    /// The all-zero hash, which the reference returns for images too small to hash.
    pub const ZERO: Pdq = Pdq([0; 32]);

    /// Wraps 32 bytes in hex-string order (`bytes.fromhex(hex)`).
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The 32 bytes in hex-string order.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The hash as four `u64` words for popcount kernels: word `i` holds bytes `8i..8i+8`
    /// big-endian, so the words compare in the same order as the hex strings.
    pub fn to_words(&self) -> [u64; 4] {
        std::array::from_fn(|i| {
            u64::from_be_bytes(self.0[8 * i..8 * i + 8].try_into().expect("8 bytes"))
        })
    }

    /// The inverse of [`Pdq::to_words`].
    pub fn from_words(words: [u64; 4]) -> Self {
        let mut bytes = [0u8; 32];
        for (chunk, w) in bytes.chunks_exact_mut(8).zip(words) {
            chunk.copy_from_slice(&w.to_be_bytes());
        }
        Self(bytes)
    }

    /// Whether bit `k` (0..256, the reference's numbering) is set.
    ///
    /// # Panics
    /// If `k >= 256`.
    pub fn bit(&self, k: usize) -> bool {
        assert!(k < 256, "PDQ bit index {k} out of range");
        self.0[31 - k / 8] >> (k % 8) & 1 == 1
    }

    /// Builds a hash from a predicate on the reference's bit numbering.
    pub fn from_fn(mut bit: impl FnMut(usize) -> bool) -> Self {
        let mut bytes = [0u8; 32];
        for k in 0..256 {
            if bit(k) {
                bytes[31 - k / 8] |= 1 << (k % 8);
            }
        }
        Self(bytes)
    }

    /// Number of set bits.
    pub fn count_ones(&self) -> u32 {
        self.to_words().iter().map(|w| w.count_ones()).sum()
    }

    /// Hamming distance: the number of bits in which the two hashes differ.
    pub fn distance(&self, other: &Pdq) -> Distance {
        let (a, b) = (self.to_words(), other.to_words());
        Distance(a.iter().zip(&b).map(|(x, y)| (x ^ y).count_ones()).sum())
    }
}

impl fmt::Display for Pdq {
    /// The standard 64 lowercase hex digits every ThreatExchange tool prints.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        hex::write(f, &self.0)
    }
}

impl fmt::Debug for Pdq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pdq({self})")
    }
}

impl FromStr for Pdq {
    type Err = ParseHexError;

    /// Parses exactly 64 hex digits (either case).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        hex::parse::<32>("PDQ", s).map(Self)
    }
}

/// A Hamming distance between two 256-bit hashes (0..=256).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Debug)]
pub struct Distance(u32);

impl Distance {
    /// Wraps a distance.
    ///
    /// # Panics
    /// If `d > 256`: no two PDQ hashes are further apart.
    pub const fn new(d: u32) -> Self {
        assert!(d <= 256, "a PDQ distance is at most 256");
        Self(d)
    }

    /// The number of differing bits.
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for Distance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// PDQ's quality score, 0..=100: how much gradient the 64×64 image has.
///
/// The reference computes it as an integer; plain or tiny images score low and their hashes
/// are unreliable (see [`MIN_QUALITY`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Debug)]
pub struct Quality(u8);

/// A quality score outside 0..=100.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("PDQ quality must be between 0 and 100, got {0}")]
pub struct QualityError(pub i64);

impl Quality {
    /// The highest quality.
    pub const MAX: Quality = Quality(100);

    /// Wraps a score.
    ///
    /// # Errors
    /// If `q` is not in 0..=100.
    pub fn new(q: i64) -> Result<Self, QualityError> {
        u8::try_from(q)
            .ok()
            .filter(|&q| q <= 100)
            .map(Self)
            .ok_or(QualityError(q))
    }

    /// The score.
    pub const fn get(self) -> u8 {
        self.0
    }

    /// Whether a hash of this quality is reliable enough to register or match
    /// (at least [`MIN_QUALITY`]).
    pub fn is_matchable(self) -> bool {
        self >= MIN_QUALITY
    }
}

impl fmt::Display for Quality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(feature = "serde")]
mod serde_impls {
    use super::*;
    use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error as _};

    impl Serialize for Pdq {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_str(self)
        }
    }

    impl<'de> Deserialize<'de> for Pdq {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
            s.parse().map_err(D::Error::custom)
        }
    }

    impl Serialize for Quality {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_u8(self.0)
        }
    }

    impl<'de> Deserialize<'de> for Quality {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            Quality::new(i64::deserialize(d)?).map_err(D::Error::custom)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const BRIDGE: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";

    #[test]
    fn bit_order_matches_reference_word_order() {
        // The last hex digit holds bits 0..=3 (w[0], the low nibble); the first holds 252..=255.
        let h: Pdq = "8000000000000000000000000000000000000000000000000000000000000001"
            .parse()
            .unwrap();
        assert!(h.bit(0));
        assert!(h.bit(255));
        assert_eq!(h.count_ones(), 2);
        let h: Pdq = "0000000000000000000000000000000000000000000000000000000000000100"
            .parse()
            .unwrap();
        assert!(h.bit(8), "bit 8 is the low bit of w[0]'s high byte");
    }

    #[test]
    fn rejects_wrong_length_and_digits() {
        assert!(BRIDGE[..63].parse::<Pdq>().is_err());
        assert!(format!("{BRIDGE}0").parse::<Pdq>().is_err());
        assert!(BRIDGE.replace('f', "g").parse::<Pdq>().is_err());
        assert!("".parse::<Pdq>().is_err());
    }

    #[test]
    fn quality_range() {
        assert!(Quality::new(-1).is_err());
        assert!(Quality::new(101).is_err());
        assert_eq!(Quality::new(100).unwrap(), Quality::MAX);
        assert!(!Quality::new(49).unwrap().is_matchable());
        assert!(Quality::new(50).unwrap().is_matchable());
    }

    fn any_pdq() -> impl Strategy<Value = Pdq> {
        any::<[u8; 32]>().prop_map(Pdq::from_bytes)
    }

    proptest! {
        #[test]
        fn hex_round_trips(h in any_pdq()) {
            let s = h.to_string();
            prop_assert_eq!(s.len(), 64);
            prop_assert!(s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
            prop_assert_eq!(s.parse::<Pdq>().unwrap(), h);
            prop_assert_eq!(s.to_uppercase().parse::<Pdq>().unwrap(), h);
        }

        #[test]
        fn words_round_trip(h in any_pdq()) {
            prop_assert_eq!(Pdq::from_words(h.to_words()), h);
        }

        #[test]
        fn bits_round_trip(h in any_pdq()) {
            prop_assert_eq!(Pdq::from_fn(|k| h.bit(k)), h);
        }

        #[test]
        fn distance_is_a_metric(a in any_pdq(), b in any_pdq(), c in any_pdq()) {
            prop_assert_eq!(a.distance(&b), b.distance(&a));
            prop_assert_eq!(a.distance(&a), Distance::new(0));
            prop_assert!(a.distance(&c).get() <= a.distance(&b).get() + b.distance(&c).get());
            let naive = (0..256).filter(|&k| a.bit(k) != b.bit(k)).count() as u32;
            prop_assert_eq!(a.distance(&b).get(), naive);
        }
    }
}
