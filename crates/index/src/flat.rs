//! The exhaustive index: every hash in one contiguous array, scanned with SIMD popcount.

use quell_hash::{Distance, Pdq};

use crate::arch::{self, Code};
use crate::pages;
use crate::search::{self, Hit, Matcher, PdqIndex};

/// Every hash stored contiguously as four `u64` words and compared with the query one by one
/// (faiss's `IndexBinaryFlat`).
///
/// Exact by construction, with no per-entry overhead beyond the hash and the id (40 bytes), so
/// it is the test oracle for [`MihIndex`](crate::MihIndex) and the storage it verifies
/// candidates against. A query reads all `32 × len` bytes: about 30 ms at 10 million entries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlatIndex {
    codes: Vec<Code>,
    ids: Vec<u64>,
}

impl FlatIndex {
    pub(crate) fn from_parts(codes: Vec<Code>, ids: Vec<u64>) -> Self {
        debug_assert_eq!(codes.len(), ids.len());
        debug_assert!(codes.len() <= u32::MAX as usize);
        Self { codes, ids }
    }

    /// The same index with its codes moved to memory advised to use huge pages, for the MIH
    /// search that reads them at random ([`crate::pages`]).
    pub(crate) fn with_huge_pages(self) -> Self {
        Self {
            codes: pages::moved(self.codes),
            ids: self.ids,
        }
    }

    pub(crate) fn codes(&self) -> &[Code] {
        &self.codes
    }

    pub(crate) fn ids(&self) -> &[u64] {
        &self.ids
    }

    /// The entries as `(id, hash)`, in insertion order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (u64, Pdq)> + '_ {
        self.ids
            .iter()
            .zip(&self.codes)
            .map(|(&id, &code)| (id, Pdq::from_words(code)))
    }

    /// Bytes of heap memory the index holds.
    pub fn heap_bytes(&self) -> usize {
        self.codes.capacity() * size_of::<Code>() + self.ids.capacity() * size_of::<u64>()
    }
}

impl Matcher for FlatIndex {
    fn matches(&self, query: &Code, max: u32, out: &mut Vec<(u32, u32)>) {
        arch::scan(query, &self.codes, 0, max, out);
    }

    fn id(&self, ordinal: u32) -> u64 {
        self.ids[ordinal as usize]
    }
}

impl PdqIndex for FlatIndex {
    fn len(&self) -> usize {
        self.codes.len()
    }

    fn range_search(&self, query: &Pdq, max_distance: Distance) -> Vec<Hit> {
        search::search(self, query, max_distance)
    }

    fn range_search_dihedral(&self, queries: &[Pdq; 8], max_distance: Distance) -> Vec<Hit> {
        search::search_dihedral(self, queries, max_distance)
    }
}
