//! Shared helpers: deterministic random hashes, planted neighbours, the vectors folder.

use std::path::PathBuf;

use quell_hash::Pdq;
use quell_index::{FlatIndex, IndexBuilder};

/// The shared test vectors folder (`QUELL_VECTORS`, else `../../../shared/vectors`).
pub(crate) fn vectors() -> PathBuf {
    std::env::var_os("QUELL_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/vectors"
            ))
        })
}

/// SplitMix64: tiny, seedable, good enough to scatter bits.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub(crate) fn pdq(&mut self) -> Pdq {
        Pdq::from_words(std::array::from_fn(|_| self.next()))
    }

    /// `hash` with exactly `d` distinct bits flipped.
    pub(crate) fn flip(&mut self, hash: &Pdq, d: u32) -> Pdq {
        let mut words = hash.to_words();
        let mut flipped = 0;
        while flipped < d {
            let bit = self.next() % 256;
            let mask = 1u64 << (bit % 64);
            let w = &mut words[(bit / 64) as usize];
            // Only count bits not flipped yet, so the distance is exactly `d`.
            if (*w ^ hash.to_words()[(bit / 64) as usize]) & mask == 0 {
                *w ^= mask;
                flipped += 1;
            }
        }
        Pdq::from_words(words)
    }
}

/// Entries with ids `0..`, the same as the builder's ordinals.
pub(crate) fn builder_of(hashes: &[Pdq]) -> IndexBuilder {
    hashes
        .iter()
        .enumerate()
        .map(|(i, &h)| (i as u64, h))
        .collect()
}

/// The flat oracle over `(id, hash)` entries.
pub(crate) fn flat_of(entries: &[(u64, Pdq)]) -> FlatIndex {
    entries
        .iter()
        .copied()
        .collect::<IndexBuilder>()
        .build_flat()
}

/// Reads one hex hash per line.
pub(crate) fn read_hashes(path: &std::path::Path) -> Vec<Pdq> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect()
}
