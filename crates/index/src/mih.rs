//! Multi-index hashing (Norouzi, Punjani and Fleet, "Fast search in Hamming space with
//! multi-index hashing", CVPR 2012), the structure ThreatExchange's `pdq/cpp/index/mih.h` and
//! faiss's `IndexBinaryMultiHash` use for PDQ.
//!
//! The 256 bits are cut into `m` contiguous slots. If two hashes are within `d` bits, then
//! writing `d = q·m + a` (`0 <= a < m`), one of the first `a + 1` slots differs in at most `q`
//! bits, or one of the others in at most `q - 1`: otherwise the total would be at least
//! `(a + 1)(q + 1) + (m - a - 1)q = d + 1`. So probing slot `i` of the query with every key
//! within that radius finds every match. This is the pigeonhole bound `floor(d / m)` used by
//! pytx (`nflip = threshold // nhash`), tightened by one bit on the later slots: at `d = 32`
//! with 16 slots that probes 392 buckets rather than 2,192.
//!
//! Each slot is a CSR table: `offsets[key]..offsets[key + 1]` indexes a `u32` array of entry
//! ordinals, so a probe is two loads and a contiguous read. Candidates are verified against the
//! flat storage with the popcount kernel. A candidate can sit in the buckets of several slots;
//! it is reported only from the first slot in which it is within that slot's radius, which
//! de-duplicates without any per-query set.

use quell_hash::{Distance, Pdq};
use rayon::prelude::*;

use crate::arch::{self, Code};
use crate::flat::FlatIndex;
use crate::pages;
use crate::search::{self, Hit, Matcher, PdqIndex};

/// How to build a [`MihIndex`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MihConfig {
    /// `None`: chosen from the number of entries at build time.
    slots: Option<u32>,
    scan_fallback: bool,
}

impl Default for MihConfig {
    /// Slot count chosen from the number of entries (see [`MihConfig::slots`]), scan fallback
    /// on.
    fn default() -> Self {
        Self {
            slots: None,
            scan_fallback: true,
        }
    }
}

/// An invalid [`MihConfig`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "a MIH index needs {min} to {max} slots (slot widths of 24 down to 4 bits), got {slots}",
    min = MihConfig::MIN_SLOTS,
    max = MihConfig::MAX_SLOTS
)]
pub struct ConfigError {
    slots: u32,
}

impl MihConfig {
    /// Fewest slots: wider slots would need tables of more than 2^24 buckets (64 MiB of
    /// offsets) each.
    pub const MIN_SLOTS: u32 = 11;
    /// Most slots: narrower slots make every bucket huge.
    pub const MAX_SLOTS: u32 = 64;

    /// `slots` substrings of `256 / slots` bits (the first `256 % slots` one bit wider).
    ///
    /// Norouzi et al. suggest slots of about `log2(len)` bits: 16 bits (16 slots) suits a
    /// million entries, 23-24 bits (11 slots) a hundred million.
    ///
    /// # Errors
    /// If `slots` is outside [`Self::MIN_SLOTS`]`..=`[`Self::MAX_SLOTS`].
    pub fn with_slots(slots: u32) -> Result<Self, ConfigError> {
        if (Self::MIN_SLOTS..=Self::MAX_SLOTS).contains(&slots) {
            Ok(Self {
                slots: Some(slots),
                ..Self::default()
            })
        } else {
            Err(ConfigError { slots })
        }
    }

    /// Number of slots for an index of `entries` entries: the fixed count if one was given,
    /// else wider slots as the index grows: 16 slots of 16 bits (as ThreatExchange and pytx
    /// use) below 2^21 entries (about 2 million), 13 of 19-20 bits below 2^23 (8 million),
    /// 12 of 21-22 bits below 2^25 (33 million), and 11 of 23-24 bits from there on.
    ///
    /// Each step is the fastest slot count measured, searching random hashes at distances
    /// 31, 36 and 44 (BENCHMARKS.md, "MIH slot widths"): 16 slots at 1 million entries, 13 at
    /// 4 million, 12 at 10 and 17.6 million, 11 at 71 million (2.3 ms a search at 36, against
    /// 4.8 ms for 13 slots). Wider slots than the size calls for cost more in probes and
    /// offset tables than they save in candidates.
    pub fn slots(&self, entries: usize) -> u32 {
        self.slots.unwrap_or(match entries {
            n if n < 1 << 21 => 16,
            n if n < 1 << 23 => 13,
            n if n < 1 << 25 => 12,
            _ => Self::MIN_SLOTS,
        })
    }

    /// Whether a search whose probing would cost more than a full scan scans instead (the
    /// default). Results are identical either way; turning it off forces the tables, which
    /// the tests use to check the probing at every distance.
    pub fn scan_fallback(self, on: bool) -> Self {
        Self {
            scan_fallback: on,
            ..self
        }
    }
}

/// How a search was answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Strategy {
    /// Probing the slot tables.
    #[default]
    Tables,
    /// Scanning every entry, because the probing would have cost more.
    Scan,
}

/// Work done by one [`MihIndex`] search (faiss's `indexBinaryHash_stats`, per call).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SearchStats {
    /// Tables or scan.
    pub strategy: Strategy,
    /// Buckets looked up.
    pub probes: u64,
    /// Entries whose full distance was computed.
    pub candidates: u64,
}

/// Per-thread buffers reused across searches: a candidate list is hundreds of kilobytes at 10
/// million entries, and allocating it per query would cost page faults every time.
#[derive(Default)]
struct Scratch {
    candidates: Vec<u32>,
    /// `candidates[slot_ends[i - 1]..slot_ends[i]]` came from slot `i`.
    slot_ends: Vec<usize>,
    verified: Vec<(u32, u32)>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

/// One slot's table.
#[derive(Clone, Debug)]
struct Slot {
    /// First bit of the slot, counting from the most significant bit of word 0.
    start: u32,
    width: u32,
    /// `offsets[k]..offsets[k + 1]` is the range of `ordinals` whose slot key is `k`.
    offsets: Vec<u32>,
    /// Entry ordinals grouped by slot key, ascending within a key.
    ordinals: Vec<u32>,
}

impl Slot {
    #[inline]
    fn key(&self, code: &Code) -> u32 {
        key(code, self.start, self.width)
    }

    fn bucket(&self, key: u32) -> &[u32] {
        let k = key as usize;
        &self.ordinals[self.offsets[k] as usize..self.offsets[k + 1] as usize]
    }
}

/// Bits `start..start + width` of the code, reading word 0's most significant bit first.
#[inline]
fn key(code: &Code, start: u32, width: u32) -> u32 {
    let word = (start / 64) as usize;
    let off = start % 64;
    if off + width <= 64 {
        ((code[word] << off) >> (64 - width)) as u32
    } else {
        let two = (u128::from(code[word]) << 64) | u128::from(code[word + 1]);
        ((two << off) >> (128 - width)) as u32
    }
}

/// Exact multi-index-hashing index over a [`FlatIndex`].
///
/// Memory: the flat storage (40 bytes an entry) plus 4 bytes an entry per slot, plus
/// `4 · 2^width` bytes of offsets per slot (256 KiB per 16-bit slot, 4 MiB per 20-bit one):
/// about 104 bytes an entry with 16 slots, 97 with 13 slots at 10 million entries.
#[derive(Clone, Debug)]
pub struct MihIndex {
    flat: FlatIndex,
    config: MihConfig,
    slots: Vec<Slot>,
}

impl MihIndex {
    /// Builds the slot tables over `flat` (in parallel on the rayon pool, one task per slot).
    pub fn new(flat: FlatIndex, config: MihConfig) -> Self {
        let flat = flat.with_huge_pages();
        let m = config.slots(flat.codes().len());
        let config = MihConfig {
            slots: Some(m),
            ..config
        };
        let (narrow, extra) = (256 / m, 256 % m);
        let layout: Vec<(u32, u32)> = (0..m)
            .scan(0, |start, i| {
                let width = narrow + u32::from(i < extra);
                let slot = (*start, width);
                *start += width;
                Some(slot)
            })
            .collect();
        let slots = layout
            .into_par_iter()
            .map(|(start, width)| build_slot(flat.codes(), start, width))
            .collect();
        Self {
            flat,
            config,
            slots,
        }
    }

    /// The configuration the index was built with, with the slot count resolved.
    pub fn config(&self) -> MihConfig {
        self.config
    }

    /// The underlying storage (which is also a complete index).
    pub fn as_flat(&self) -> &FlatIndex {
        &self.flat
    }

    /// Drops the tables and returns the storage.
    pub fn into_flat(self) -> FlatIndex {
        self.flat
    }

    /// Bytes of heap memory the index holds, storage included.
    pub fn heap_bytes(&self) -> usize {
        self.flat.heap_bytes()
            + self
                .slots
                .iter()
                .map(|s| (s.offsets.capacity() + s.ordinals.capacity()) * size_of::<u32>())
                .sum::<usize>()
    }

    /// [`PdqIndex::range_search`], also reporting the work done.
    pub fn range_search_with_stats(
        &self,
        query: &Pdq,
        max_distance: Distance,
    ) -> (Vec<Hit>, SearchStats) {
        let mut found = Vec::new();
        let stats = self.matches_with_stats(&query.to_words(), max_distance.get(), &mut found);
        let mut hits: Vec<Hit> = found
            .iter()
            .map(|&(o, d)| Hit {
                distance: Distance::new(d),
                id: self.flat.ids()[o as usize],
            })
            .collect();
        hits.sort_unstable();
        (hits, stats)
    }

    /// Probe radius of each slot for a search at `max` (negative: the slot is not probed).
    fn radii(&self, max: u32) -> Vec<i64> {
        let m = self.slots.len() as u32;
        let (q, a) = (i64::from(max / m), max % m);
        (0..m).map(|i| if i <= a { q } else { q - 1 }).collect()
    }

    fn matches_with_stats(&self, query: &Code, max: u32, out: &mut Vec<(u32, u32)>) -> SearchStats {
        let mut stats = SearchStats::default();
        let radii = self.radii(max);
        if self.config.scan_fallback && self.probing_costs_more(&radii) {
            stats.strategy = Strategy::Scan;
            stats.candidates = self.flat.codes().len() as u64;
            arch::scan(query, self.flat.codes(), 0, max, out);
            return stats;
        }
        let codes = self.flat.codes();
        let keys: Vec<u32> = self.slots.iter().map(|s| s.key(query)).collect();
        SCRATCH.with_borrow_mut(|scratch| {
            let Scratch {
                candidates,
                slot_ends,
                verified,
            } = scratch;
            candidates.clear();
            slot_ends.clear();
            // Gather every probed bucket's ordinals first, then verify them in one pass. Each
            // bucket and each candidate's hash is a cache miss; doing one thing at a time in a
            // tight loop lets the CPU (and the prefetching kernel) overlap many misses, where
            // verifying bucket by bucket would wait on each bucket in turn.
            for ((slot, &qk), &radius) in self.slots.iter().zip(&keys).zip(&radii) {
                if let Ok(radius) = u32::try_from(radius) {
                    for_each_within(qk, slot.width, radius, &mut |k| {
                        candidates.extend_from_slice(slot.bucket(k));
                        stats.probes += 1;
                    });
                }
                slot_ends.push(candidates.len());
            }
            stats.candidates = candidates.len() as u64;
            let mut from = 0;
            for (i, &to) in slot_ends.iter().enumerate() {
                verified.clear();
                arch::gather(query, codes, &candidates[from..to], max, verified);
                from = to;
                // Matches are rare, so the duplicate check can afford to recompute keys.
                out.extend(verified.iter().filter(|&&(o, _)| {
                    let code = &codes[o as usize];
                    !self.slots[..i]
                        .iter()
                        .zip(&keys)
                        .zip(&radii)
                        .any(|((s, &qk), &r)| i64::from((s.key(code) ^ qk).count_ones()) <= r)
                }));
            }
            // Do not keep a huge buffer alive after a rare wide search.
            if candidates.capacity() > 1 << 22 {
                *candidates = Vec::new();
            }
        });
        stats
    }

    /// Whether probing with these radii is expected to be slower than scanning everything.
    ///
    /// The weights are nanosecond costs fitted to `bench/index/run.sh` at 1 and 10 million
    /// entries on a 2-core AMD EPYC: a probe (an offsets lookup and a bucket read, both cache
    /// misses on big tables), a candidate (a random read of its hash) and a scanned entry
    /// (sequential, prefetched, SIMD; 11.6 ms for 10 million). Only speed depends on them.
    fn probing_costs_more(&self, radii: &[i64]) -> bool {
        const PROBE: f64 = 60.0;
        const CANDIDATE: f64 = 12.0;
        const SCANNED: f64 = 1.2;
        let n = self.flat.codes().len() as f64;
        let mut cost = 0.0;
        for (slot, &r) in self.slots.iter().zip(radii) {
            let mut probes = 0.0;
            let mut choose = 1.0;
            for k in 0..=r.min(i64::from(slot.width)) {
                if k > 0 {
                    choose *= f64::from(slot.width + 1 - k as u32) / k as f64;
                }
                probes += choose;
            }
            cost += probes * (PROBE + CANDIDATE * n / f64::from(slot.width).exp2());
        }
        cost > n * SCANNED
    }
}

fn build_slot(codes: &[Code], start: u32, width: u32) -> Slot {
    let buckets = 1usize << width;
    // Counting sort by key: count, prefix-sum into offsets, then place ordinals in order.
    let mut offsets = pages::filled(buckets + 1, 0u32);
    for code in codes {
        offsets[key(code, start, width) as usize + 1] += 1;
    }
    for k in 0..buckets {
        offsets[k + 1] += offsets[k];
    }
    let mut next = offsets[..buckets].to_vec();
    let mut ordinals = pages::filled(codes.len(), 0u32);
    for (o, code) in codes.iter().enumerate() {
        let cursor = &mut next[key(code, start, width) as usize];
        ordinals[*cursor as usize] = o as u32;
        *cursor += 1;
    }
    Slot {
        start,
        width,
        offsets,
        ordinals,
    }
}

/// Calls `f` once for every `width`-bit key within `radius` bits of `key`.
fn for_each_within<F: FnMut(u32)>(key: u32, width: u32, radius: u32, f: &mut F) {
    fn flip_from<F: FnMut(u32)>(key: u32, from: u32, width: u32, left: u32, f: &mut F) {
        f(key);
        if left > 0 {
            for bit in from..width {
                flip_from(key ^ (1 << bit), bit + 1, width, left - 1, f);
            }
        }
    }
    flip_from(key, 0, width, radius, f);
}

impl Matcher for MihIndex {
    fn matches(&self, query: &Code, max: u32, out: &mut Vec<(u32, u32)>) {
        self.matches_with_stats(query, max, out);
    }

    fn id(&self, ordinal: u32) -> u64 {
        self.flat.ids()[ordinal as usize]
    }
}

impl PdqIndex for MihIndex {
    fn len(&self) -> usize {
        self.flat.codes().len()
    }

    fn range_search(&self, query: &Pdq, max_distance: Distance) -> Vec<Hit> {
        search::search(self, query, max_distance)
    }

    fn range_search_dihedral(&self, queries: &[Pdq; 8], max_distance: Distance) -> Vec<Hit> {
        search::search_dihedral(self, queries, max_distance)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cover_every_bit_once() {
        for m in [MihConfig::MIN_SLOTS, 16, 17, 31, MihConfig::MAX_SLOTS] {
            let idx = MihIndex::new(FlatIndex::default(), MihConfig::with_slots(m).unwrap());
            for bit in 0..256u32 {
                let mut code = [0u64; 4];
                code[(bit / 64) as usize] = 1 << (63 - bit % 64);
                let lit: Vec<u32> = idx
                    .slots
                    .iter()
                    .map(|s| s.key(&code).count_ones())
                    .collect();
                assert_eq!(lit.iter().sum::<u32>(), 1, "m={m} bit={bit}");
            }
        }
    }

    #[test]
    fn enumerates_each_key_once() {
        let mut seen = Vec::new();
        for_each_within(0b1011, 5, 2, &mut |k| seen.push(k));
        let expected: Vec<u32> = (0..32u32)
            .filter(|k| (k ^ 0b1011).count_ones() <= 2)
            .collect();
        seen.sort_unstable();
        assert_eq!(seen, expected);
    }
}
