//! Collecting entries before freezing them into an index.

use quell_hash::Pdq;

use crate::arch::Code;
use crate::flat::FlatIndex;
use crate::mih::{MihConfig, MihIndex};

/// Collects `(id, hash)` entries, then freezes them into an immutable index (tantivy's
/// writer/reader split: build, then swap the new index in).
///
/// Entries keep their insertion order as ordinals. Ids need not be unique: the same id may be
/// inserted with several hashes (e.g. video frames), and the same hash under several ids, and
/// every such entry matches on its own.
#[derive(Clone, Debug, Default)]
pub struct IndexBuilder {
    codes: Vec<Code>,
    ids: Vec<u64>,
}

impl IndexBuilder {
    /// Maximum number of entries in one index: ordinals are `u32` to keep the MIH tables small.
    pub const MAX_ENTRIES: usize = u32::MAX as usize;

    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty builder with room for `n` entries.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            codes: Vec::with_capacity(n),
            ids: Vec::with_capacity(n),
        }
    }

    /// Adds an entry.
    ///
    /// # Panics
    /// If the builder already holds [`Self::MAX_ENTRIES`] entries.
    pub fn insert(&mut self, id: u64, hash: Pdq) {
        assert!(
            self.codes.len() < Self::MAX_ENTRIES,
            "a Quell index holds at most {} entries",
            Self::MAX_ENTRIES
        );
        self.codes.push(hash.to_words());
        self.ids.push(id);
    }

    /// Number of entries inserted so far.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// Whether nothing has been inserted.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// Freezes the entries into an exhaustive-scan index.
    pub fn build_flat(self) -> FlatIndex {
        FlatIndex::from_parts(self.codes, self.ids)
    }

    /// Freezes the entries into a multi-index-hashing index.
    pub fn build_mih(self, config: MihConfig) -> MihIndex {
        MihIndex::new(self.build_flat(), config)
    }
}

impl Extend<(u64, Pdq)> for IndexBuilder {
    fn extend<I: IntoIterator<Item = (u64, Pdq)>>(&mut self, iter: I) {
        for (id, hash) in iter {
            self.insert(id, hash);
        }
    }
}

impl FromIterator<(u64, Pdq)> for IndexBuilder {
    fn from_iter<I: IntoIterator<Item = (u64, Pdq)>>(iter: I) -> Self {
        let mut b = Self::new();
        b.extend(iter);
        b
    }
}
