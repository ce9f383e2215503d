//! The in-memory match index: what `POST /v1/match` reads, at the registry and at a member's
//! matcher alike.
//!
//! PDQ hashes live in a [`LiveIndex`] (exact multi-index hashing; lock-free reads, inserts and
//! removals visible as soon as the call returns). MD5 and SHA-256 live in hash maps behind a
//! read-write lock. vPDQ hashes live in one [`VideoIndex`] (every registered video's frames in
//! one exact index, so a query video is compared with all of them at once) behind a read-write
//! lock, since its record of which frames belong to which video changes on insert and removal.
//! The lock is held only for that bookkeeping and the frames' delta: compacting the frame
//! index (a rebuild over every frame) runs on a background thread with no lock held, so a
//! sync delta of videos never stalls matches for a rebuild.
//! PDQ hashes filed under a hash profile's part ([`Filing`]) live in one more [`LiveIndex`]
//! per filing, apart from the plain ones: a plain query never sees them, and a profile's
//! upload hash searches only the parts its plan names, each at its own distance
//! ([`Matcher::lookup_filed`]), without scanning the image's other parts.
//! The registry builds it from its store at startup ([`MatcherBuilder`], page by page) and then
//! updates it after every request that changes the list, right after its transaction commits;
//! so a match that starts after a withdrawal is acknowledged never returns the withdrawn entry.
//! A member's matcher builds it from its synced snapshot and applies each synced delta.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use quell_api::HashType;
use quell_hash::{Distance, FILED_PROFILES, Filing, Part, Pdq};
use quell_index::{IndexBuilder, LiveIndex, Md5Index, MihConfig, PdqIndex, Sha256Index};
use quell_registry::{EntryId, Signal, Vpdq};
use quell_vpdq::{MatchParams, MatchThresholds, VideoHash, VideoIndex};

use crate::query::{Closeness, Hit, ParsedRequest, Query};

/// Delta size above which the PDQ index is compacted in the background: every search scans
/// the delta, so it is kept small relative to the base.
const COMPACT_AT: usize = 20_000;

/// The match index, shared by the registry and the member-side matcher (`quell serve
/// --matcher`), so both answer a query with the same entries in the same order.
#[derive(Debug)]
pub struct Matcher {
    pdq: Arc<LiveIndex>,
    /// One index per filing of [`FILED_PROFILES`] × [`Part::ALL`], in that order.
    filed: Vec<(Filing, Arc<LiveIndex>)>,
    md5: RwLock<Md5Index>,
    sha256: RwLock<Sha256Index>,
    vpdq: RwLock<VideoIndex>,
    compacting: Arc<AtomicBool>,
    compacting_videos: Arc<AtomicBool>,
}

/// The indexes while entries are being loaded; the PDQ multi-index tables are built in one
/// go at the end ([`MatcherBuilder::build`]).
#[derive(Debug)]
pub struct MatcherBuilder {
    pdq: IndexBuilder,
    filed: Vec<(Filing, IndexBuilder)>,
    md5: Md5Index,
    sha256: Sha256Index,
    /// Videos, indexed all at once by [`MatcherBuilder::videos`].
    vpdq: Vec<(EntryId, Vpdq)>,
}

impl Matcher {
    /// Builds the index from entries (CPU work: call it off an async executor).
    pub fn from_entries(entries: impl IntoIterator<Item = (EntryId, Signal)>) -> Self {
        let mut builder = MatcherBuilder::new();
        for (id, signal) in entries {
            builder.add(id, &signal);
        }
        builder.build()
    }

    fn assemble(
        pdq: quell_index::MihIndex,
        filed: Vec<(Filing, quell_index::MihIndex)>,
        md5: Md5Index,
        sha256: Sha256Index,
        vpdq: VideoIndex,
    ) -> Self {
        Self {
            pdq: Arc::new(LiveIndex::new(pdq)),
            filed: filed
                .into_iter()
                .map(|(f, index)| (f, Arc::new(LiveIndex::new(index))))
                .collect(),
            md5: RwLock::new(md5),
            sha256: RwLock::new(sha256),
            vpdq: RwLock::new(vpdq),
            compacting: Arc::new(AtomicBool::new(false)),
            compacting_videos: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Number of entries held (a video counts once).
    pub fn len(&self) -> usize {
        self.counts().iter().map(|&(_, n)| n).sum()
    }

    /// Entries held by type, as metrics label them: plain PDQ (`pdq`), PDQ filed under a
    /// profile's parts (`pdq_filed`), `md5`, `sha256`, `vpdq` (a video counts once).
    pub fn counts(&self) -> [(&'static str, usize); 5] {
        let md5 = self.md5.read().unwrap_or_else(PoisonError::into_inner);
        let sha256 = self.sha256.read().unwrap_or_else(PoisonError::into_inner);
        [
            ("pdq", self.pdq.len()),
            ("pdq_filed", self.filed.iter().map(|(_, i)| i.len()).sum()),
            ("md5", md5.len()),
            ("sha256", sha256.len()),
            ("vpdq", self.videos().len()),
        ]
    }

    fn videos(&self) -> std::sync::RwLockReadGuard<'_, VideoIndex> {
        self.vpdq.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn videos_mut(&self) -> std::sync::RwLockWriteGuard<'_, VideoIndex> {
        self.vpdq.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The index holding PDQ hashes of this filing (`None`: the plain hashes').
    fn pdq_index(&self, filing: Option<Filing>) -> &LiveIndex {
        match filing {
            None => &self.pdq,
            Some(f) => {
                let at = self.filed.iter().position(|(g, _)| *g == f);
                // Every `Filing` is one of FILED_PROFILES × Part::ALL, all of which are here.
                &self.filed[at.expect("an index per filing")].1
            }
        }
    }

    /// Adds entries (after their transaction committed).
    pub fn insert(&self, entries: &[(EntryId, Signal)]) {
        // One batch per index, so each index takes its inserts in one go.
        let mut pdq: std::collections::BTreeMap<Option<Filing>, Vec<(u64, Pdq)>> =
            std::collections::BTreeMap::new();
        let mut videos = false;
        for (id, signal) in entries {
            let id = *id;
            match signal {
                Signal::Pdq { hash, filing, .. } => {
                    pdq.entry(*filing).or_default().push((id_of(id), *hash));
                }
                Signal::Md5(d) => {
                    self.md5
                        .write()
                        .unwrap_or_else(PoisonError::into_inner)
                        .insert(id_of(id), *d);
                }
                Signal::Sha256(d) => {
                    self.sha256
                        .write()
                        .unwrap_or_else(PoisonError::into_inner)
                        .insert(id_of(id), *d);
                }
                Signal::Vpdq(v) => {
                    insert_video(&mut self.videos_mut(), id, v.video());
                    videos = true;
                }
            }
        }
        let inserted = !pdq.is_empty();
        for (filing, batch) in pdq {
            self.pdq_index(filing).insert_many(batch);
        }
        if inserted {
            self.maybe_compact();
        }
        if videos {
            self.maybe_compact_videos();
        }
    }

    /// Removes entries (after their withdrawal or quarantine committed).
    pub fn remove(&self, entries: &[(EntryId, Signal)]) {
        for (id, signal) in entries {
            let id = *id;
            match signal {
                Signal::Pdq { filing, .. } => {
                    self.pdq_index(*filing).remove(id_of(id));
                }
                Signal::Md5(d) => {
                    self.md5
                        .write()
                        .unwrap_or_else(PoisonError::into_inner)
                        .remove(id_of(id), d);
                }
                Signal::Sha256(d) => {
                    self.sha256
                        .write()
                        .unwrap_or_else(PoisonError::into_inner)
                        .remove(id_of(id), d);
                }
                Signal::Vpdq(_) => {
                    self.videos_mut().remove(id_of(id));
                }
            }
        }
    }

    /// Whether this entry is already indexed under this signal (so that replaying a change
    /// twice does not index it twice).
    pub fn contains(&self, entry: EntryId, signal: &Signal) -> bool {
        let query = match signal {
            Signal::Pdq {
                hash,
                filing: Some(filing),
                ..
            } => {
                return self
                    .lookup_filed(*filing, hash, Distance::new(0))
                    .iter()
                    .any(|&(id, _)| id == entry);
            }
            Signal::Pdq { hash, .. } => Query::Pdq(*hash),
            Signal::Md5(d) => Query::Md5(*d),
            Signal::Sha256(d) => Query::Sha256(*d),
            // An entry id holds one video: no need to search by content.
            Signal::Vpdq(_) => return self.videos().contains(id_of(entry)),
        };
        self.lookup(&query, Distance::new(0))
            .iter()
            .any(|&(id, _)| id == entry)
    }

    /// PDQ entries filed under `filing` within `max_distance` of `hash`, nearest first: one
    /// search of a profile's plan ([`quell_hash::Part`]), which a member runs for each of an
    /// upload's hashes and each part the profile sends it to.
    pub fn lookup_filed(
        &self,
        filing: Filing,
        hash: &Pdq,
        max_distance: Distance,
    ) -> Vec<(EntryId, Closeness)> {
        self.pdq_index(Some(filing))
            .range_search(hash, max_distance)
            .into_iter()
            .map(|hit| (entry_of(hit.id), Closeness::Distance(hit.distance.get())))
            .collect()
    }

    /// Whether any entry is filed under `profile` (so an upload is worth that profile's
    /// hashing).
    pub fn has_filed(&self, profile: &str) -> bool {
        self.filed
            .iter()
            .any(|(f, index)| f.profile() == profile && !index.is_empty())
    }

    /// Every query of a validated request ([`crate::parse_request`]), in request order.
    pub fn lookup_all(&self, request: &ParsedRequest) -> Vec<Vec<Hit>> {
        request
            .queries
            .iter()
            .map(|q| self.lookup_with_parts(q, request.max_distance))
            .collect()
    }

    /// The verdict for one upload: every entry any of its `queries` finds, once, at its
    /// nearest (an entry filed under several of the parts a profile's queries search may be
    /// found by several), with its filing; nearest first, then by entry. Plain PDQ queries
    /// search within [`quell_hash::MATCH_DISTANCE`].
    pub fn lookup_upload(&self, queries: &[Query]) -> Vec<Hit> {
        let mut best: std::collections::BTreeMap<EntryId, (Closeness, Option<Filing>)> =
            std::collections::BTreeMap::new();
        for query in queries {
            for (entry, closeness, part) in
                self.lookup_with_parts(query, quell_hash::MATCH_DISTANCE)
            {
                let slot = best.entry(entry).or_insert((closeness, part));
                if distance_of(closeness) < distance_of(slot.0) {
                    *slot = (closeness, part);
                }
            }
        }
        let mut hits: Vec<Hit> = best
            .into_iter()
            .map(|(entry, (closeness, part))| (entry, closeness, part))
            .collect();
        hits.sort_by_key(|&(entry, c, _)| (distance_of(c), entry));
        hits
    }

    /// The verdict for one uploaded file from all the hashes made of it, each with the hash
    /// type it searches: each type's queries together ([`Matcher::lookup_upload`]: an entry
    /// once, at its nearest), PDQ hits first (plain and filed), then MD5, SHA-256, and vPDQ
    /// best first (an upload has one video hash: [`Matcher::lookup`]'s order).
    pub fn lookup_file(&self, queries: &[(HashType, Query)]) -> Vec<(HashType, Hit)> {
        let kinds = [
            HashType::Pdq,
            HashType::Md5,
            HashType::Sha256,
            HashType::Vpdq,
        ];
        kinds
            .into_iter()
            .flat_map(|kind| {
                let of_kind: Vec<Query> = queries
                    .iter()
                    .filter(|(k, _)| *k == kind)
                    .map(|(_, q)| q.clone())
                    .collect();
                let hits = match (kind, of_kind.as_slice()) {
                    (HashType::Vpdq, [video]) => {
                        self.lookup_with_parts(video, quell_hash::MATCH_DISTANCE)
                    }
                    _ => self.lookup_upload(&of_kind),
                };
                hits.into_iter().map(move |hit| (kind, hit))
            })
            .collect()
    }

    /// [`Matcher::lookup`], with the profile and part each hit of a [`Query::Filed`] is filed
    /// under (`None` for every other query): the query's profile and the others of its line
    /// ([`quell_hash::searched_with`]) are searched.
    pub fn lookup_with_parts(&self, query: &Query, max_distance: Distance) -> Vec<Hit> {
        let Query::Filed {
            hash,
            profile,
            searches,
            ..
        } = query
        else {
            return self
                .lookup(query, max_distance)
                .into_iter()
                .map(|(entry, closeness)| (entry, closeness, None))
                .collect();
        };
        let mut hits = Vec::new();
        // The profile's own filings, and those of the earlier profiles its uploads cover.
        for &filed in quell_hash::searched_with(profile) {
            for &(part, within) in *searches {
                let filing = Filing::new(filed, part).expect("a filed profile");
                for (entry, closeness) in self.lookup_filed(filing, hash, within) {
                    hits.push((entry, closeness, Some(filing)));
                }
            }
        }
        // An entry is filed under one profile's part, so it is found at most once.
        hits.sort_by_key(|&(entry, c, _)| (distance_of(c), entry));
        hits
    }

    /// Entries matching `query`, nearest first (vPDQ: most of the query found first, then
    /// most of the entry's video found); `max_distance` applies to PDQ only. A PDQ query sees
    /// plain PDQ entries only, never those filed under a profile.
    pub fn lookup(&self, query: &Query, max_distance: Distance) -> Vec<(EntryId, Closeness)> {
        match query {
            Query::Pdq(hash) => self
                .pdq
                .range_search(hash, max_distance)
                .into_iter()
                .map(|hit| (entry_of(hit.id), Closeness::Distance(hit.distance.get())))
                .collect(),
            Query::Filed { .. } => self
                .lookup_with_parts(query, max_distance)
                .into_iter()
                .map(|(entry, closeness, _)| (entry, closeness))
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
            Query::Vpdq(video) => {
                let mut hits = self.videos().matches(video, &MatchThresholds::PYTX);
                hits.sort_by(|a, b| {
                    let (a_p, b_p) = (a.percentages, b.percentages);
                    b_p.query_match_pct
                        .total_cmp(&a_p.query_match_pct)
                        .then(b_p.compared_match_pct.total_cmp(&a_p.compared_match_pct))
                        .then(a.video.cmp(&b.video))
                });
                hits.into_iter()
                    .map(|m| (entry_of(m.video), Closeness::Video(m.percentages)))
                    .collect()
            }
        }
    }

    /// Compacts the video frames on a background thread if enough were inserted, with no
    /// lock on the video index held: searches, inserts and removals carry on meanwhile.
    fn maybe_compact_videos(&self) {
        let compactor = self.videos().compactor();
        if !compactor.is_needed() || self.compacting_videos.swap(true, Ordering::AcqRel) {
            return;
        }
        let flag = Arc::clone(&self.compacting_videos);
        std::thread::spawn(move || {
            on_its_own_pool(|| {
                compactor.compact_if_needed();
            });
            flag.store(false, Ordering::Release);
        });
    }

    /// The plain PDQ index and one per filing.
    fn pdq_indexes(&self) -> impl Iterator<Item = &Arc<LiveIndex>> {
        std::iter::once(&self.pdq).chain(self.filed.iter().map(|(_, index)| index))
    }

    /// Compacts, on a background thread, every PDQ index whose delta grew large, one at a
    /// time, until none is; so an index left over the bar while another was compacted is
    /// compacted next, not only at its own next insert.
    fn maybe_compact(&self) {
        let over = |index: &LiveIndex| index.delta_len() >= COMPACT_AT;
        if !self.pdq_indexes().any(|i| over(i)) || self.compacting.swap(true, Ordering::AcqRel) {
            return;
        }
        let indexes: Vec<Arc<LiveIndex>> = self.pdq_indexes().cloned().collect();
        let flag = Arc::clone(&self.compacting);
        // A plain thread, not the blocking pool: compaction of millions of entries takes
        // seconds, and readers and writers carry on meanwhile.
        std::thread::spawn(move || {
            on_its_own_pool(|| {
                while let Some(index) = indexes.iter().find(|i| over(i)) {
                    index.compact();
                }
            });
            flag.store(false, Ordering::Release);
        });
    }
}

impl Default for MatcherBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl MatcherBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        let filings = FILED_PROFILES.iter().flat_map(|profile| {
            Part::ALL.map(|part| Filing::new(profile, part).expect("a filed profile"))
        });
        Self {
            pdq: IndexBuilder::new(),
            filed: filings.map(|f| (f, IndexBuilder::new())).collect(),
            md5: Md5Index::new(),
            sha256: Sha256Index::new(),
            vpdq: Vec::new(),
        }
    }

    /// Every video's frames in one index build (entry ids are unique, so no duplicates).
    fn videos(&self) -> VideoIndex {
        let videos = self.vpdq.iter().map(|(id, v)| (id_of(*id), v.video()));
        VideoIndex::from_videos(MatchParams::PYTX, videos).unwrap_or_else(|e| {
            tracing::error!("cannot index the vPDQ entries: {e}");
            VideoIndex::new(MatchParams::PYTX)
        })
    }

    /// The multi-index tables, built in one go (CPU work: call it off an async executor).
    pub fn build(self) -> Matcher {
        let videos = self.videos();
        let pdq = self.pdq.build_mih(MihConfig::default());
        let filed = self
            .filed
            .into_iter()
            .map(|(f, b)| (f, b.build_mih(MihConfig::default())))
            .collect();
        Matcher::assemble(pdq, filed, self.md5, self.sha256, videos)
    }

    /// Adds an entry (ids must be distinct).
    pub fn add(&mut self, entry: EntryId, signal: &Signal) {
        let id = id_of(entry);
        match signal {
            Signal::Pdq {
                hash, filing: None, ..
            } => self.pdq.insert(id, *hash),
            Signal::Pdq {
                hash,
                filing: Some(f),
                ..
            } => {
                let at = self.filed.iter().position(|(g, _)| g == f);
                self.filed[at.expect("a builder per filing")]
                    .1
                    .insert(id, *hash);
            }
            Signal::Md5(d) => {
                self.md5.insert(id, *d);
            }
            Signal::Sha256(d) => {
                self.sha256.insert(id, *d);
            }
            Signal::Vpdq(v) => self.vpdq.push((entry, v.clone())),
        }
    }
}

/// Runs a compaction on a one-thread rayon pool of its own. On the global pool its long
/// table-building tasks would run ahead of the jobs of every search started meanwhile (a
/// worker takes its own queued tasks before injected ones), so matches would wait for the
/// whole rebuild although no lock is held.
fn on_its_own_pool(work: impl FnOnce() + Send) {
    match rayon::ThreadPoolBuilder::new().num_threads(1).build() {
        Ok(pool) => pool.install(work),
        // No thread for a pool: compacting on the global pool is slower for searches, not wrong.
        Err(_) => work(),
    }
}

/// Indexes a video; an entry already indexed (a replayed change) is left as it is.
fn insert_video(index: &mut VideoIndex, entry: EntryId, video: &VideoHash) {
    match index.insert(id_of(entry), video) {
        Ok(()) | Err(quell_vpdq::IndexError::Duplicate(_)) => {}
        Err(e) => tracing::error!(%entry, "cannot index vPDQ entry: {e}"),
    }
}

/// The distance of a PDQ or digest hit.
fn distance_of(c: Closeness) -> u32 {
    match c {
        Closeness::Distance(d) => d,
        Closeness::Video(_) => u32::MAX,
    }
}

fn exact(ids: &[u64]) -> Vec<(EntryId, Closeness)> {
    ids.iter()
        .map(|&id| (entry_of(id), Closeness::Distance(0)))
        .collect()
}

/// Entry ids are positive `i64`s, so they are their own index ids.
fn id_of(entry: EntryId) -> u64 {
    entry.get().unsigned_abs()
}

fn entry_of(id: u64) -> EntryId {
    EntryId::from_i64(i64::try_from(id).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use quell_hash::{Filing, Part, Pdq, Quality, UploadKind};

    use super::*;

    /// A small deterministic generator (no dependency for a test's random hashes).
    fn next(state: &mut u64) -> u64 {
        *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// `base` with `bits` random bits flipped (some twice, so at most `bits` apart).
    fn near(base: Pdq, bits: u32, state: &mut u64) -> Pdq {
        let mut words = base.to_words();
        for _ in 0..bits {
            let bit = next(state) % 256;
            words[(bit / 64) as usize] ^= 1 << (bit % 64);
        }
        Pdq::from_words(words)
    }

    fn signal(hash: Pdq, filing: Option<Filing>) -> Signal {
        Signal::Pdq {
            hash,
            quality: Quality::new(90).unwrap(),
            filing,
        }
    }

    /// Every lookup, plain and filed, equals a scan of the entries of its own filing; a
    /// profile's query equals the scans of its plan's parts under each profile of its line
    /// ([`quell_hash::searched_with`]); a plain query never returns a filed entry; removals and
    /// inserts after the build too.
    #[test]
    fn lookups_see_only_their_own_filing_as_a_brute_force_scan_does() {
        let mut state = 7;
        let centres: Vec<Pdq> = (0..4)
            .map(|_| Pdq::from_words([0; 4].map(|_| next(&mut state))))
            .collect();
        let filings: Vec<Option<Filing>> = std::iter::once(None)
            .chain(
                FILED_PROFILES
                    .iter()
                    .flat_map(|profile| Part::ALL.map(|p| Some(Filing::new(profile, p).unwrap()))),
            )
            .collect();
        let mut entries: Vec<(EntryId, Signal)> = (1..=400)
            .map(|i| {
                let centre = centres[(next(&mut state) % 4) as usize];
                let hash = near(centre, (next(&mut state) % 60) as u32, &mut state);
                let filing = filings[(next(&mut state) % filings.len() as u64) as usize];
                (EntryId::from_i64(i), signal(hash, filing))
            })
            .collect();
        let (built, later) = entries.split_at(300);
        let matcher = Matcher::from_entries(built.to_vec());
        matcher.insert(later);
        let gone: Vec<(EntryId, Signal)> = entries.iter().step_by(3).cloned().collect();
        matcher.remove(&gone);
        entries.retain(|e| !gone.contains(e));
        let scan = |query: &Pdq, filing: Option<Filing>, within: u32| {
            let mut hits: Vec<(EntryId, Closeness)> = entries
                .iter()
                .filter_map(|(id, s)| {
                    let Signal::Pdq {
                        hash, filing: f, ..
                    } = s
                    else {
                        return None;
                    };
                    let d = hash.distance(query).get();
                    (*f == filing && d <= within).then_some((*id, Closeness::Distance(d)))
                })
                .collect();
            hits.sort_by_key(|&(id, c)| match c {
                Closeness::Distance(d) => (d, id),
                Closeness::Video(_) => unreachable!(),
            });
            hits
        };
        for _ in 0..50 {
            let centre = centres[(next(&mut state) % 4) as usize];
            let query = near(centre, (next(&mut state) % 40) as u32, &mut state);
            for within in [0, 31, 44] {
                let d = Distance::new(within);
                assert_eq!(
                    matcher.lookup(&Query::Pdq(query), d),
                    scan(&query, None, within)
                );
                for filing in filings.iter().flatten() {
                    assert_eq!(
                        matcher.lookup_filed(*filing, &query, d),
                        scan(&query, Some(*filing), within)
                    );
                }
            }
            for profile in FILED_PROFILES {
                for upload in [UploadKind::Trim, UploadKind::Cut] {
                    let searches = quell_hash::filed_plan(profile, upload).unwrap();
                    let mut want: Vec<Hit> = quell_hash::searched_with(profile)
                        .iter()
                        .flat_map(|line| searches.iter().map(move |&(part, d)| (line, part, d)))
                        .flat_map(|(line, part, d)| {
                            let f = Filing::new(line, part).unwrap();
                            scan(&query, Some(f), d.get())
                                .into_iter()
                                .map(move |(id, c)| (id, c, Some(f)))
                        })
                        .collect();
                    want.sort_by_key(|&(id, c, _)| (distance_of(c), id));
                    let filed = Query::Filed {
                        hash: query,
                        upload,
                        profile,
                        searches,
                    };
                    assert_eq!(matcher.lookup_with_parts(&filed, Distance::new(0)), want);
                }
            }
        }
        for (id, s) in &entries {
            assert!(matcher.contains(*id, s));
        }
        for (id, s) in &gone {
            assert!(!matcher.contains(*id, s));
        }
        assert!(matcher.has_filed("pdq-robust-v5"));
        assert!(matcher.has_filed("pdq-robust-v6"));
        assert_eq!(matcher.len(), entries.len());
    }
}
