//! The in-memory match index: what `POST /v1/match` reads.
//!
//! PDQ hashes live in a [`LiveIndex`] (exact multi-index hashing; lock-free reads, inserts and
//! removals visible as soon as the call returns). MD5 and SHA-256 live in hash maps behind a
//! read-write lock. The index is rebuilt from the store at startup and then updated by every
//! request that changes the list, right after its transaction commits; so a match that starts
//! after a withdrawal is acknowledged never returns the withdrawn entry.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use quell_hash::{Distance, Md5, Pdq, Sha256};
use quell_index::{IndexBuilder, LiveIndex, Md5Index, MihConfig, PdqIndex, Sha256Index};
use quell_registry::{EntryId, Signal, Store, StoreError};

/// Delta size above which the PDQ index is compacted in the background: every search scans
/// the delta, so it is kept small relative to the base.
const COMPACT_AT: usize = 20_000;

/// Rows per page when loading the index from the store.
const LOAD_PAGE: u32 = 50_000;

/// A hash to look up.
#[derive(Clone, Copy, Debug)]
pub enum Query {
    /// A PDQ hash: matches within a Hamming distance.
    Pdq(Pdq),
    /// An MD5 digest: matches exactly.
    Md5(Md5),
    /// A SHA-256 digest: matches exactly.
    Sha256(Sha256),
}

impl Query {
    /// The query that finds `signal` itself.
    pub fn of(signal: &Signal) -> Self {
        match *signal {
            Signal::Pdq { hash, .. } => Self::Pdq(hash),
            Signal::Md5(d) => Self::Md5(d),
            Signal::Sha256(d) => Self::Sha256(d),
        }
    }
}

/// The match index, shared by the registry and the member-side matcher (`quell serve
/// --matcher`), so both answer a query with the same entries in the same order.
#[derive(Debug)]
pub struct Matcher {
    pdq: Arc<LiveIndex>,
    md5: RwLock<Md5Index>,
    sha256: RwLock<Sha256Index>,
    compacting: Arc<AtomicBool>,
}

impl Matcher {
    /// Builds the index from entries (CPU work: call it off an async executor).
    pub fn from_entries(entries: impl IntoIterator<Item = (EntryId, Signal)>) -> Self {
        let mut pdq = IndexBuilder::new();
        let mut md5 = Md5Index::new();
        let mut sha256 = Sha256Index::new();
        for (id, signal) in entries {
            add(&mut pdq, &mut md5, &mut sha256, id, signal);
        }
        Self::assemble(pdq.build_mih(MihConfig::default()), md5, sha256)
    }

    fn assemble(pdq: quell_index::MihIndex, md5: Md5Index, sha256: Sha256Index) -> Self {
        Self {
            pdq: Arc::new(LiveIndex::new(pdq)),
            md5: RwLock::new(md5),
            sha256: RwLock::new(sha256),
            compacting: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Loads every active entry from the store.
    pub(crate) async fn load(store: &impl Store) -> Result<Self, StoreError> {
        let mut pdq = IndexBuilder::new();
        let mut md5 = Md5Index::new();
        let mut sha256 = Sha256Index::new();
        let mut after = None;
        loop {
            let page = store.active_entries(after, LOAD_PAGE).await?;
            let Some(&(last, _)) = page.last() else { break };
            after = Some(last);
            for (id, signal) in page {
                add(&mut pdq, &mut md5, &mut sha256, id, signal);
            }
        }
        // Building the multi-index tables is CPU work: keep it off the async executor.
        let pdq = tokio::task::spawn_blocking(move || pdq.build_mih(MihConfig::default()))
            .await
            .map_err(|e| StoreError::Backend(Box::new(e)))?;
        Ok(Self::assemble(pdq, md5, sha256))
    }

    /// Number of entries held.
    pub fn len(&self) -> usize {
        self.pdq.len()
            + self
                .md5
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .len()
            + self
                .sha256
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .len()
    }

    /// Whether no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds entries (after their transaction committed).
    pub fn insert(&self, entries: &[(EntryId, Signal)]) {
        let mut pdq = Vec::new();
        for &(id, signal) in entries {
            match signal {
                Signal::Pdq { hash, .. } => pdq.push((id_of(id), hash)),
                Signal::Md5(d) => {
                    self.md5
                        .write()
                        .unwrap_or_else(PoisonError::into_inner)
                        .insert(id_of(id), d);
                }
                Signal::Sha256(d) => {
                    self.sha256
                        .write()
                        .unwrap_or_else(PoisonError::into_inner)
                        .insert(id_of(id), d);
                }
            }
        }
        if !pdq.is_empty() {
            self.pdq.insert_many(pdq);
            self.maybe_compact();
        }
    }

    /// Removes entries (after their withdrawal or quarantine committed).
    pub fn remove(&self, entries: &[(EntryId, Signal)]) {
        for &(id, signal) in entries {
            match signal {
                Signal::Pdq { .. } => {
                    self.pdq.remove(id_of(id));
                }
                Signal::Md5(d) => {
                    self.md5
                        .write()
                        .unwrap_or_else(PoisonError::into_inner)
                        .remove(id_of(id), &d);
                }
                Signal::Sha256(d) => {
                    self.sha256
                        .write()
                        .unwrap_or_else(PoisonError::into_inner)
                        .remove(id_of(id), &d);
                }
            }
        }
    }

    /// Whether this entry is already indexed under this signal (so that replaying a change
    /// twice does not index it twice).
    pub fn contains(&self, entry: EntryId, signal: &Signal) -> bool {
        self.lookup(&Query::of(signal), Distance::new(0))
            .iter()
            .any(|&(id, _)| id == entry)
    }

    /// Entries matching `query`, nearest first; `max_distance` applies to PDQ.
    pub fn lookup(&self, query: &Query, max_distance: Distance) -> Vec<(EntryId, u32)> {
        match query {
            Query::Pdq(hash) => self
                .pdq
                .range_search(hash, max_distance)
                .into_iter()
                .map(|hit| (entry_of(hit.id), hit.distance.get()))
                .collect(),
            Query::Md5(d) => exact(
                self.md5
                    .read()
                    .unwrap_or_else(PoisonError::into_inner)
                    .get(d),
            ),
            Query::Sha256(d) => exact(
                self.sha256
                    .read()
                    .unwrap_or_else(PoisonError::into_inner)
                    .get(d),
            ),
        }
    }

    fn maybe_compact(&self) {
        if self.pdq.delta_len() < COMPACT_AT || self.compacting.swap(true, Ordering::AcqRel) {
            return;
        }
        let pdq = Arc::clone(&self.pdq);
        let flag = Arc::clone(&self.compacting);
        // A plain thread, not the blocking pool: compaction of millions of entries takes
        // seconds, and readers and writers carry on meanwhile.
        std::thread::spawn(move || {
            pdq.compact();
            flag.store(false, Ordering::Release);
        });
    }
}

fn add(
    pdq: &mut IndexBuilder,
    md5: &mut Md5Index,
    sha256: &mut Sha256Index,
    id: EntryId,
    signal: Signal,
) {
    let id = id_of(id);
    match signal {
        Signal::Pdq { hash, .. } => pdq.insert(id, hash),
        Signal::Md5(d) => {
            md5.insert(id, d);
        }
        Signal::Sha256(d) => {
            sha256.insert(id, d);
        }
    }
}

fn exact(ids: &[u64]) -> Vec<(EntryId, u32)> {
    ids.iter().map(|&id| (entry_of(id), 0)).collect()
}

/// Entry ids are positive `i64`s, so they are their own index ids.
fn id_of(entry: EntryId) -> u64 {
    entry.get().unsigned_abs()
}

fn entry_of(id: u64) -> EntryId {
    EntryId::from_i64(i64::try_from(id).unwrap_or(i64::MAX))
}
