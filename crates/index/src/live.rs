//! Inserts and removals on a serving index, without blocking readers.
//!
//! A [`LiveIndex`] publishes immutable generations through an `ArcSwap` (tantivy's
//! `IndexReader` pattern): a reader loads the current generation without locking and searches
//! it. A generation is a large [`MihIndex`] base, a tombstone bitset over the base, and a small
//! delta of recent inserts that is scanned exhaustively.
//!
//! - **Insert** copies the delta with the new entries and publishes a new generation.
//! - **Remove** sets the entry's tombstone bits (atomically, shared by every generation with
//!   the same base) and, if the id is in the delta, publishes a delta without it. Both happen
//!   before `remove` returns, so a search that starts afterwards never returns the id.
//! - **Compact** rebuilds a base from the live entries while readers and writers carry on, then
//!   replays the removals that happened meanwhile and keeps the inserts that came after its
//!   snapshot. Only writers wait, and only for the final swap.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use arc_swap::ArcSwap;
use quell_hash::{Distance, Pdq};
use rayon::prelude::*;

use crate::arch::{self, Code};
use crate::flat::FlatIndex;
use crate::mih::{MihConfig, MihIndex};
use crate::search::{self, Hit, Matcher, PdqIndex};

/// An exact index that accepts inserts and removals while serving searches.
///
/// Reads never lock. Writes are serialised among themselves; each insert copies the delta, so
/// insert in batches ([`LiveIndex::insert_many`]) and call [`LiveIndex::compact`] (from a
/// background thread) when [`LiveIndex::delta_len`] grows past a few tens of thousands, since
/// every search scans the delta. Compaction builds a second base, so it briefly needs twice
/// the memory.
#[derive(Debug)]
pub struct LiveIndex {
    current: ArcSwap<Generation>,
    writer: Mutex<Writer>,
    /// Held for a whole compaction, so two compactions never race.
    compaction: Mutex<()>,
    config: MihConfig,
}

#[derive(Debug, Default)]
struct Writer {
    /// Sequence number of the next inserted entry: tells a compaction which delta entries are
    /// newer than its snapshot.
    next_seq: u64,
    /// Ids removed since the running compaction took its snapshot, if one is running.
    removed_during_compaction: Option<Vec<u64>>,
}

#[derive(Debug)]
struct Generation {
    base: Arc<Base>,
    delta: Delta,
}

#[derive(Debug)]
struct Base {
    index: MihIndex,
    /// Bit `o` set: entry `o` of `index` is removed.
    dead: Vec<AtomicU64>,
    dead_count: AtomicUsize,
    /// Base ordinals sorted by id, to find an id's entries on removal.
    by_id: Vec<u32>,
}

#[derive(Clone, Debug, Default)]
struct Delta {
    codes: Vec<Code>,
    ids: Vec<u64>,
    /// Ascending: entries are appended in sequence order and only ever filtered.
    seqs: Vec<u64>,
}

impl Base {
    fn new(index: MihIndex) -> Self {
        let ids = index.as_flat().ids();
        let mut by_id: Vec<u32> = (0..ids.len() as u32).collect();
        by_id.par_sort_unstable_by_key(|&o| (ids[o as usize], o));
        let dead = (0..ids.len().div_ceil(64))
            .map(|_| AtomicU64::new(0))
            .collect();
        Self {
            index,
            dead,
            dead_count: AtomicUsize::new(0),
            by_id,
        }
    }

    fn is_dead(&self, ordinal: u32) -> bool {
        let word = self.dead[ordinal as usize / 64].load(Ordering::Acquire);
        word >> (ordinal % 64) & 1 == 1
    }

    /// Tombstones every entry with this id; returns how many were live.
    fn kill(&self, id: u64) -> usize {
        let ids = self.index.as_flat().ids();
        let from = self.by_id.partition_point(|&o| ids[o as usize] < id);
        let mut killed = 0;
        for &o in self.by_id[from..]
            .iter()
            .take_while(|&&o| ids[o as usize] == id)
        {
            let bit = 1u64 << (o % 64);
            let before = self.dead[o as usize / 64].fetch_or(bit, Ordering::Release);
            if before & bit == 0 {
                killed += 1;
            }
        }
        self.dead_count.fetch_add(killed, Ordering::Relaxed);
        killed
    }
}

impl Matcher for Generation {
    fn matches(&self, query: &Code, max: u32, out: &mut Vec<(u32, u32)>) {
        let mut base = Vec::new();
        self.base.index.matches(query, max, &mut base);
        out.extend(base.into_iter().filter(|&(o, _)| !self.base.is_dead(o)));
        // Delta ordinals follow the base's.
        let first = self.base.index.len() as u32;
        arch::scan(query, &self.delta.codes, first, max, out);
    }

    fn id(&self, ordinal: u32) -> u64 {
        let base_len = self.base.index.len();
        match (ordinal as usize).checked_sub(base_len) {
            None => self.base.index.as_flat().ids()[ordinal as usize],
            Some(d) => self.delta.ids[d],
        }
    }
}

impl Generation {
    fn live_entries(&self) -> FlatIndex {
        let flat = self.base.index.as_flat();
        let (codes, ids): (Vec<Code>, Vec<u64>) = flat
            .codes()
            .iter()
            .zip(flat.ids())
            .enumerate()
            .filter(|&(o, _)| !self.base.is_dead(o as u32))
            .map(|(_, (&c, &id))| (c, id))
            .chain(
                self.delta
                    .codes
                    .iter()
                    .copied()
                    .zip(self.delta.ids.iter().copied()),
            )
            .unzip();
        FlatIndex::from_parts(codes, ids)
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section leaves the state consistent before anything that can panic, so a
    // poisoned lock is still safe to use.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl LiveIndex {
    /// Starts serving `index`; later compactions use its configuration.
    pub fn new(index: MihIndex) -> Self {
        let config = index.config();
        Self {
            current: ArcSwap::from_pointee(Generation {
                base: Arc::new(Base::new(index)),
                delta: Delta::default(),
            }),
            writer: Mutex::new(Writer::default()),
            compaction: Mutex::new(()),
            config,
        }
    }

    /// Adds an entry; it is searchable when this returns.
    pub fn insert(&self, id: u64, hash: Pdq) {
        self.insert_many([(id, hash)]);
    }

    /// Adds entries in one generation (one copy of the delta for the whole batch).
    ///
    /// # Panics
    /// If the base and delta together would exceed `u32::MAX` entries.
    pub fn insert_many(&self, entries: impl IntoIterator<Item = (u64, Pdq)>) {
        let mut w = lock(&self.writer);
        let current = self.current.load();
        let mut delta = current.delta.clone();
        for (id, hash) in entries {
            delta.codes.push(hash.to_words());
            delta.ids.push(id);
            delta.seqs.push(w.next_seq);
            w.next_seq += 1;
        }
        assert!(
            current.base.index.len() + delta.codes.len() <= u32::MAX as usize,
            "a live index holds at most u32::MAX entries between compactions"
        );
        self.current.store(Arc::new(Generation {
            base: Arc::clone(&current.base),
            delta,
        }));
    }

    /// Removes every entry with this id; returns how many there were. No search that starts
    /// after this returns will match them.
    pub fn remove(&self, id: u64) -> usize {
        let mut w = lock(&self.writer);
        let current = self.current.load();
        let mut removed = current.base.kill(id);
        if current.delta.ids.contains(&id) {
            let mut delta = Delta::default();
            for ((&code, &entry), &seq) in current
                .delta
                .codes
                .iter()
                .zip(&current.delta.ids)
                .zip(&current.delta.seqs)
            {
                if entry == id {
                    removed += 1;
                } else {
                    delta.codes.push(code);
                    delta.ids.push(entry);
                    delta.seqs.push(seq);
                }
            }
            self.current.store(Arc::new(Generation {
                base: Arc::clone(&current.base),
                delta,
            }));
        }
        if let Some(log) = &mut w.removed_during_compaction {
            log.push(id);
        }
        removed
    }

    /// Entries inserted since the last compaction (each search scans them all).
    pub fn delta_len(&self) -> usize {
        self.current.load().delta.codes.len()
    }

    /// The live entries, base first, in a fresh [`FlatIndex`] (e.g. to [save](FlatIndex::save)).
    pub fn to_flat(&self) -> FlatIndex {
        self.current.load().live_entries()
    }

    /// Folds the delta and the tombstones into a new base. Searches and writes continue
    /// meanwhile; writes that arrive during the rebuild are kept.
    pub fn compact(&self) {
        let _one_at_a_time = lock(&self.compaction);
        let snapshot = {
            let mut w = lock(&self.writer);
            w.removed_during_compaction = Some(Vec::new());
            self.current.load_full()
        };
        let newest_folded = snapshot.delta.seqs.last().copied();
        // Reading tombstones after the log started is safe: a removal seen twice is idempotent.
        let fresh = Base::new(MihIndex::new(snapshot.live_entries(), self.config));
        let mut w = lock(&self.writer);
        for id in w.removed_during_compaction.take().unwrap_or_default() {
            fresh.kill(id);
        }
        let current = self.current.load();
        let mut delta = Delta::default();
        for ((&code, &id), &seq) in current
            .delta
            .codes
            .iter()
            .zip(&current.delta.ids)
            .zip(&current.delta.seqs)
        {
            if newest_folded.is_none_or(|n| seq > n) {
                delta.codes.push(code);
                delta.ids.push(id);
                delta.seqs.push(seq);
            }
        }
        self.current.store(Arc::new(Generation {
            base: Arc::new(fresh),
            delta,
        }));
    }
}

impl PdqIndex for LiveIndex {
    /// Live entries: the base's minus the removed ones, plus the delta.
    fn len(&self) -> usize {
        let g = self.current.load();
        g.base.index.len() - g.base.dead_count.load(Ordering::Relaxed) + g.delta.codes.len()
    }

    fn range_search(&self, query: &Pdq, max_distance: Distance) -> Vec<Hit> {
        search::search(&**self.current.load(), query, max_distance)
    }

    fn range_search_dihedral(&self, queries: &[Pdq; 8], max_distance: Distance) -> Vec<Hit> {
        search::search_dihedral(&**self.current.load(), queries, max_distance)
    }
}
