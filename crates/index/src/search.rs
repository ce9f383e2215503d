//! What every index answers: hits, batches of hits, and the trait that returns them.

use quell_hash::{Distance, Pdq};
use rayon::prelude::*;

use crate::arch::Code;

/// One matching entry: the caller's id and its Hamming distance to the query.
///
/// Ordered by `(distance, id)`, which is the order every search returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hit {
    /// Number of bits in which the entry differs from the query (at most the search's
    /// `max_distance`).
    pub distance: Distance,
    /// The id the entry was inserted with.
    pub id: u64,
}

/// Hits for a batch of queries in one allocation (faiss's `RangeSearchResult`): the hits of
/// query `i` are `hits[offsets[i]..offsets[i + 1]]`, sorted by `(distance, id)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RangeResults {
    offsets: Vec<usize>,
    hits: Vec<Hit>,
}

impl From<Vec<Vec<Hit>>> for RangeResults {
    /// One list of hits per query, in query order.
    fn from(lists: Vec<Vec<Hit>>) -> Self {
        let mut offsets = Vec::with_capacity(lists.len() + 1);
        offsets.push(0);
        let mut hits = Vec::with_capacity(lists.iter().map(Vec::len).sum());
        for list in lists {
            hits.extend(list);
            offsets.push(hits.len());
        }
        Self { offsets, hits }
    }
}

impl RangeResults {
    /// Number of queries.
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Whether there were no queries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The hits of query `i`.
    ///
    /// # Panics
    /// If `i >= self.len()`.
    pub fn get(&self, i: usize) -> &[Hit] {
        &self.hits[self.offsets[i]..self.offsets[i + 1]]
    }

    /// The hits of each query, in query order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &[Hit]> + '_ {
        self.offsets.windows(2).map(|w| &self.hits[w[0]..w[1]])
    }

    /// Total number of hits over all queries.
    pub fn total_hits(&self) -> usize {
        self.hits.len()
    }
}

/// What every index supports: exact range search.
///
/// All results are exact: every entry within `max_distance` (inclusive) is returned, and
/// nothing else. Capabilities only some indexes have (mutation, statistics) are inherent
/// methods, never runtime "unsupported" errors.
pub trait PdqIndex: Send + Sync {
    /// Number of entries (an entry is one `insert`ed `(id, hash)` pair).
    fn len(&self) -> usize;

    /// Whether the index has no entries.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every entry within `max_distance` bits of `query`, sorted by `(distance, id)`.
    fn range_search(&self, query: &Pdq, max_distance: Distance) -> Vec<Hit>;

    /// Searches with the 8 dihedral hashes of one image (original, rotations, flips) at once:
    /// every entry within `max_distance` of any of them, **once**, at its smallest distance.
    fn range_search_dihedral(&self, queries: &[Pdq; 8], max_distance: Distance) -> Vec<Hit>;

    /// [`range_search`](Self::range_search) for many queries, in parallel on the current
    /// rayon thread pool.
    fn range_search_batch(&self, queries: &[Pdq], max_distance: Distance) -> RangeResults {
        queries
            .par_iter()
            .map(|q| self.range_search(q, max_distance))
            .collect::<Vec<_>>()
            .into()
    }
}

/// The internal view every index implements: matches as `(ordinal, distance)` pairs, where an
/// ordinal is the entry's position in the index, and a way back to the caller's id.
pub(crate) trait Matcher {
    /// Appends every entry within `max` of `query` (each once, in any order).
    fn matches(&self, query: &Code, max: u32, out: &mut Vec<(u32, u32)>);

    /// The id of entry `ordinal`.
    fn id(&self, ordinal: u32) -> u64;
}

pub(crate) fn search<M: Matcher + ?Sized>(m: &M, query: &Pdq, max: Distance) -> Vec<Hit> {
    let mut found = Vec::new();
    m.matches(&query.to_words(), max.get(), &mut found);
    to_hits(m, &found)
}

pub(crate) fn search_dihedral<M: Matcher + ?Sized>(
    m: &M,
    queries: &[Pdq; 8],
    max: Distance,
) -> Vec<Hit> {
    let mut found = Vec::new();
    for q in queries {
        m.matches(&q.to_words(), max.get(), &mut found);
    }
    // One hit per entry, at its smallest distance: sort by (ordinal, distance), keep the first.
    found.sort_unstable();
    found.dedup_by_key(|&mut (ordinal, _)| ordinal);
    to_hits(m, &found)
}

fn to_hits<M: Matcher + ?Sized>(m: &M, found: &[(u32, u32)]) -> Vec<Hit> {
    let mut hits: Vec<Hit> = found
        .iter()
        .map(|&(ordinal, d)| Hit {
            distance: Distance::new(d),
            id: m.id(ordinal),
        })
        .collect();
    hits.sort_unstable();
    hits
}
