//! Exact digest matching: MD5 or SHA-256 of the file bytes to ids.

use std::collections::HashMap;
use std::hash::Hash;

use quell_hash::{Md5, Sha256};

/// Ids registered under each digest (file-level exact matching, e.g. StopNCII's MD5 for video).
///
/// A plain hash map: digests are uniformly distributed, so there is nothing cleverer to do.
#[derive(Clone, Debug)]
pub struct ExactIndex<D> {
    ids: HashMap<D, Vec<u64>>,
    entries: usize,
}

/// Ids by MD5 digest.
pub type Md5Index = ExactIndex<Md5>;
/// Ids by SHA-256 digest.
pub type Sha256Index = ExactIndex<Sha256>;

impl<D> Default for ExactIndex<D> {
    fn default() -> Self {
        Self {
            ids: HashMap::new(),
            entries: 0,
        }
    }
}

impl<D: Eq + Hash + Copy> ExactIndex<D> {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `id` under `digest`; returns `false` if that pair was already present.
    pub fn insert(&mut self, id: u64, digest: D) -> bool {
        let ids = self.ids.entry(digest).or_default();
        match ids.binary_search(&id) {
            Ok(_) => false,
            Err(at) => {
                ids.insert(at, id);
                self.entries += 1;
                true
            }
        }
    }

    /// Unregisters `id` from `digest`; returns whether it was present.
    pub fn remove(&mut self, id: u64, digest: &D) -> bool {
        let Some(ids) = self.ids.get_mut(digest) else {
            return false;
        };
        let Ok(at) = ids.binary_search(&id) else {
            return false;
        };
        ids.remove(at);
        if ids.is_empty() {
            self.ids.remove(digest);
        }
        self.entries -= 1;
        true
    }

    /// The ids registered under `digest`, ascending (empty if none).
    pub fn get(&self, digest: &D) -> &[u64] {
        self.ids.get(digest).map_or(&[], Vec::as_slice)
    }

    /// Number of `(id, digest)` pairs.
    pub fn len(&self) -> usize {
        self.entries
    }

    /// Whether nothing is registered.
    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }
}
