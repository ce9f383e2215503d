//! A member's stored media, checked against new list entries: the retroactive search for
//! copies already on the member's service.
//!
//! Each check applies the rule `POST /v1/match` applies to the same pair, with the stored item
//! as the query: PDQ within 31 bits, digests exactly, and for a video pytx's default decision
//! (≥ 80 % of the *stored* video's frames found in the entry's video). The stored videos sit
//! in one [`VideoIndex`], so a new vPDQ entry is searched once against all of them; its
//! percentages come out from the entry's side and are swapped, which is exact because both
//! shares are counted with the same frame rule.
//!
//! A stored image hashed with a profile's upload searches (`quell hash --json` writes them)
//! is found by the new entries filed under that profile (and the others of its line,
//! [`quell_hash::searched_with`]) too, by the same plan: a search of
//! upload kind K finds an entry filed under part P when the plan for K names P and the two
//! hashes are within P's distance there. The searches sit in one index per (filing,
//! distance), so a new filed entry is one range search per group that names its filing.

use std::collections::HashMap;
use std::sync::Arc;

use quell_api::HashType;
use quell_hash::{Distance, Filing, MATCH_DISTANCE, Md5, Pdq, Sha256};
use quell_index::{IndexBuilder, MihConfig, MihIndex, PdqIndex};
use quell_registry::{EntryId, Signal};
use quell_vpdq::{MatchParams, MatchPercentages, MatchThresholds, VideoHash, VideoIndex};

use crate::query::{Closeness, Query};

/// One stored media item's hashes.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredItem {
    /// Where the member keeps it (a path or the member's own id).
    pub path: String,
    /// Its PDQ hash.
    pub pdq: Option<Pdq>,
    /// MD5 of the file.
    pub md5: Option<Md5>,
    /// SHA-256 of the file.
    pub sha256: Option<Sha256>,
    /// Its vPDQ hash, for a video.
    pub vpdq: Option<Arc<VideoHash>>,
    /// An image's upload searches under a hash profile ([`Query::Filed`]; other queries are
    /// ignored), if they were made.
    pub filed: Vec<Query>,
}

impl StoredItem {
    /// Its plain hashes as queries, each with its hash type: PDQ, MD5, SHA-256, vPDQ.
    pub fn plain_queries(&self) -> Vec<(HashType, Query)> {
        [
            self.pdq.map(|h| (HashType::Pdq, Query::Pdq(h))),
            self.md5.map(|d| (HashType::Md5, Query::Md5(d))),
            self.sha256.map(|d| (HashType::Sha256, Query::Sha256(d))),
            self.vpdq.clone().map(|v| (HashType::Vpdq, Query::Vpdq(v))),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

/// A stored item that matches a list entry.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredMatch {
    /// The item's index in [`StoredHashes::items`].
    pub item: usize,
    /// The entry.
    pub entry: EntryId,
    /// Which hash matched.
    pub kind: HashType,
    /// How close the item is to the entry. For videos, `query_match_pct` is the share of the
    /// stored video's frames found in the entry's video and `compared_match_pct` the share of
    /// the entry's frames found in the stored video: the stored item is the query, as when the
    /// member asks `POST /v1/match`.
    pub closeness: Closeness,
}

/// The stored items, indexed for lookups by list entry.
#[derive(Debug)]
pub struct StoredHashes {
    items: Vec<StoredItem>,
    pdq: MihIndex,
    md5: HashMap<Md5, Vec<usize>>,
    sha256: HashMap<Sha256, Vec<usize>>,
    /// The stored videos, each under its item index.
    videos: VideoIndex,
    /// The stored images' profile searches, grouped by the filing they search and its
    /// distance, each under its item index.
    filed: Vec<(Filing, Distance, MihIndex)>,
}

impl StoredHashes {
    /// Indexes items.
    pub fn new(items: Vec<StoredItem>) -> Self {
        let mut pdq = IndexBuilder::new();
        let mut md5: HashMap<Md5, Vec<usize>> = HashMap::new();
        let mut sha256: HashMap<Sha256, Vec<usize>> = HashMap::new();
        for (i, item) in items.iter().enumerate() {
            if let Some(h) = item.pdq {
                pdq.insert(i as u64, h);
            }
            if let Some(d) = item.md5 {
                md5.entry(d).or_default().push(i);
            }
            if let Some(d) = item.sha256 {
                sha256.entry(d).or_default().push(i);
            }
        }
        let mut filed: std::collections::BTreeMap<(Filing, Distance), IndexBuilder> =
            std::collections::BTreeMap::new();
        for (i, item) in items.iter().enumerate() {
            for query in &item.filed {
                let Query::Filed {
                    hash,
                    profile,
                    searches,
                    ..
                } = query
                else {
                    continue;
                };
                // New entries of the earlier profiles this one's uploads cover are checked too.
                for &filed_as in quell_hash::searched_with(profile) {
                    for &(part, distance) in *searches {
                        let Ok(filing) = Filing::new(filed_as, part) else {
                            continue;
                        };
                        filed
                            .entry((filing, distance))
                            .or_default()
                            .insert(i as u64, *hash);
                    }
                }
            }
        }
        let videos = items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| Some((i as u64, item.vpdq.as_deref()?)));
        let videos = VideoIndex::from_videos(MatchParams::PYTX, videos)
            // Ids are item indexes, so distinct; the index holds 2^32 videos of 2^32 frames.
            .expect("item indexes are distinct and few enough");
        Self {
            items,
            pdq: pdq.build_mih(MihConfig::default()),
            md5,
            sha256,
            videos,
            filed: filed
                .into_iter()
                .map(|((filing, distance), b)| {
                    (filing, distance, b.build_mih(MihConfig::default()))
                })
                .collect(),
        }
    }

    /// The items.
    pub fn items(&self) -> &[StoredItem] {
        &self.items
    }

    /// Stored items matching any of `entries`, by the registry's rule (PDQ within
    /// [`MATCH_DISTANCE`] inclusive, digests exactly, videos by pytx's default decision with
    /// the stored video as the query), nearest first per entry (videos: by item).
    ///
    /// An entry filed under a profile's part is checked against the items' searches under
    /// that profile or another of its line ([`StoredItem::filed`],
    /// [`quell_hash::searched_with`]), each item once at its nearest; items without
    /// searches (hashed without the profile) cannot be.
    pub fn check(&self, entries: &[(EntryId, Signal)]) -> Vec<StoredMatch> {
        let mut found = Vec::new();
        for (entry, signal) in entries {
            let entry = *entry;
            let kind = HashType::from(signal.kind());
            let hits: Vec<(usize, Closeness)> = match signal {
                Signal::Pdq {
                    hash,
                    filing: Some(filing),
                    ..
                } => self.filed_matching(*filing, hash),
                Signal::Pdq { hash, .. } => self
                    .pdq
                    .range_search(hash, MATCH_DISTANCE)
                    .into_iter()
                    .map(|h| {
                        (
                            usize::try_from(h.id).unwrap_or(usize::MAX),
                            Closeness::Distance(h.distance.get()),
                        )
                    })
                    .collect(),
                Signal::Md5(d) => exact(self.md5.get(d)),
                Signal::Sha256(d) => exact(self.sha256.get(d)),
                Signal::Vpdq(v) => self.videos_matching(v.video()),
            };
            found.extend(hits.into_iter().map(|(item, closeness)| StoredMatch {
                item,
                entry,
                kind,
                closeness,
            }));
        }
        found
    }
}

impl StoredHashes {
    /// The stored images whose searches find an entry filed under `filing`, each once at its
    /// nearest, nearest first.
    fn filed_matching(&self, filing: Filing, entry: &Pdq) -> Vec<(usize, Closeness)> {
        let mut best: std::collections::BTreeMap<usize, u32> = std::collections::BTreeMap::new();
        for (_, distance, index) in self.filed.iter().filter(|(f, ..)| *f == filing) {
            for hit in index.range_search(entry, *distance) {
                let item = usize::try_from(hit.id).unwrap_or(usize::MAX);
                let d = hit.distance.get();
                best.entry(item)
                    .and_modify(|b| *b = (*b).min(d))
                    .or_insert(d);
            }
        }
        let mut hits: Vec<(usize, Closeness)> = best
            .into_iter()
            .map(|(item, d)| (item, Closeness::Distance(d)))
            .collect();
        hits.sort_by_key(|&(item, c)| (c.distance(), item));
        hits
    }

    /// The stored videos that match `entry` with the stored video as the query.
    fn videos_matching(&self, entry: &VideoHash) -> Vec<(usize, Closeness)> {
        self.videos
            .search(entry)
            .into_iter()
            .filter_map(|m| {
                // Searched from the entry's side: swap to the stored item's.
                let p = MatchPercentages {
                    query_match_pct: m.percentages.compared_match_pct,
                    compared_match_pct: m.percentages.query_match_pct,
                };
                MatchThresholds::PYTX.is_match(&p).then(|| {
                    (
                        usize::try_from(m.video).unwrap_or(usize::MAX),
                        Closeness::Video(p),
                    )
                })
            })
            .collect()
    }
}

fn exact(items: Option<&Vec<usize>>) -> Vec<(usize, Closeness)> {
    items.map_or_else(Vec::new, |v| {
        v.iter().map(|&i| (i, Closeness::Distance(0))).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use quell_hash::Quality;

    #[test]
    fn finds_items_within_the_match_distance_only() {
        let base: Pdq = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
            .parse()
            .unwrap();
        let mut words = base.to_words();
        words[0] ^= (1 << 31) - 1; // 31 bits away: still a match
        let near = Pdq::from_words(words);
        words[0] ^= 1 << 31; // 32 bits: not one
        let far = Pdq::from_words(words);
        let item = |p: &str, h| StoredItem {
            path: p.to_owned(),
            pdq: Some(h),
            md5: None,
            sha256: None,
            vpdq: None,
            filed: Vec::new(),
        };
        let stored = StoredHashes::new(vec![item("near", near), item("far", far)]);
        let entry = EntryId::from_i64(9);
        let signal = Signal::Pdq {
            hash: base,
            quality: Quality::new(90).unwrap(),
            filing: None,
        };
        let found = stored.check(&[(entry, signal)]);
        assert_eq!(
            found,
            vec![StoredMatch {
                item: 0,
                entry,
                kind: HashType::Pdq,
                closeness: Closeness::Distance(31),
            }]
        );
    }

    /// The filed check agrees with its oracle, the member's own matcher: for every stored
    /// image, the entries `Matcher::lookup_upload` finds with the image's searches are the
    /// entries whose check finds the image, at the same (nearest) distance.
    #[test]
    fn filed_entries_find_the_items_whose_searches_find_them() {
        use quell_hash::{Part, UploadKind, filed_plan};
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let random =
            |next: &mut dyn FnMut() -> u64| Pdq::from_words([next(), next(), next(), next()]);
        let flip = |h: Pdq, bits: u32, next: &mut dyn FnMut() -> u64| {
            let mut words = h.to_words();
            let mut flipped = std::collections::BTreeSet::new();
            while flipped.len() < bits as usize {
                flipped.insert(next() % 256);
            }
            for b in flipped {
                words[(b / 64) as usize] ^= 1 << (b % 64);
            }
            Pdq::from_words(words)
        };
        // Entries and searches of every filed profile: a search finds the entries of each
        // profile of its line.
        let profiles = quell_hash::FILED_PROFILES;
        let quality = Quality::new(90).unwrap();
        let mut entries = Vec::new();
        for i in 0..150 {
            let part = Part::ALL[i % Part::ALL.len()];
            let profile = profiles[(i / Part::ALL.len()) % profiles.len()];
            let signal = Signal::Pdq {
                hash: random(&mut next),
                quality,
                filing: Some(Filing::new(profile, part).unwrap()),
            };
            entries.push((EntryId::from_i64(i as i64 + 1), signal));
        }
        // A plain entry is never found by a profile's search.
        let plain = random(&mut next);
        entries.push((
            EntryId::from_i64(1000),
            Signal::Pdq {
                hash: plain,
                quality,
                filing: None,
            },
        ));
        let hash_of = |e: &(EntryId, Signal)| match e.1 {
            Signal::Pdq { hash, .. } => hash,
            _ => unreachable!(),
        };
        let items: Vec<StoredItem> = (0..60)
            .map(|i| {
                let filed = [UploadKind::Whole, UploadKind::Trim, UploadKind::Cut]
                    .into_iter()
                    .map(|upload| {
                        // Near some entry, at a distance around the plans' bounds.
                        let target = hash_of(&entries[(next() % entries.len() as u64) as usize]);
                        let bits = (next() % 50) as u32;
                        let profile = profiles[(next() % profiles.len() as u64) as usize];
                        Query::Filed {
                            hash: flip(target, bits, &mut next),
                            upload,
                            profile,
                            searches: filed_plan(profile, upload).unwrap(),
                        }
                    })
                    .collect();
                StoredItem {
                    path: format!("item{i}"),
                    pdq: None,
                    md5: None,
                    sha256: None,
                    vpdq: None,
                    filed,
                }
            })
            .collect();
        let stored = StoredHashes::new(items.clone());
        let mut checked: Vec<(usize, EntryId, Closeness)> = stored
            .check(&entries)
            .into_iter()
            .map(|m| (m.item, m.entry, m.closeness))
            .collect();
        let matcher = crate::Matcher::from_entries(entries.clone());
        let mut oracle: Vec<(usize, EntryId, Closeness)> = items
            .iter()
            .enumerate()
            .flat_map(|(i, item)| {
                matcher
                    .lookup_upload(&item.filed)
                    .into_iter()
                    .map(move |(entry, closeness, _)| (i, entry, closeness))
            })
            .collect();
        let key = |&(i, e, c): &(usize, EntryId, Closeness)| (i, e, c.distance());
        checked.sort_by_key(key);
        oracle.sort_by_key(key);
        assert!(
            oracle.len() > 20,
            "the test should find matches: {}",
            oracle.len()
        );
        assert!(oracle.iter().all(|&(_, e, _)| e != EntryId::from_i64(1000)));
        assert_eq!(checked, oracle);
    }

    /// A video of `frames` distinct pseudo-random frame hashes from `seed`, quality 90.
    fn video(seed: u64, frames: u32) -> VideoHash {
        let mut x = seed;
        VideoHash::new(
            (0..frames)
                .map(|frame| {
                    let words = std::array::from_fn(|_| {
                        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                        x ^ (x >> 29)
                    });
                    quell_vpdq::FrameHash {
                        frame,
                        quality: Quality::new(90).unwrap(),
                        pdq: Pdq::from_words(words),
                        timestamp: f64::from(frame),
                    }
                })
                .collect(),
        )
    }

    fn concat(a: &VideoHash, b: &VideoHash) -> VideoHash {
        VideoHash::new([&a.frames[..], &b.frames[..]].concat())
    }

    #[test]
    fn a_stored_video_matches_a_new_entry_as_the_query_of_post_match() {
        let clip = video(1, 5);
        let other = video(2, 20);
        let long = concat(&clip, &other);
        let item = |p: &str, v: &VideoHash| StoredItem {
            path: p.to_owned(),
            pdq: None,
            md5: None,
            sha256: None,
            vpdq: Some(Arc::new(v.clone())),
            filed: Vec::new(),
        };
        let stored = StoredHashes::new(vec![
            item("clip", &clip),
            item("long", &long),
            item("other", &video(3, 8)),
        ]);
        let signal =
            |v: &VideoHash| Signal::Vpdq(quell_registry::Vpdq::from_video(v.clone()).unwrap());
        let (e1, e2) = (EntryId::from_i64(1), EntryId::from_i64(2));
        // Entry 1 is the clip: the stored clip is all found in it; only a fifth of the stored
        // long video is, below the query threshold (from the entry's side it is 100 %: an
        // unswapped check would report it). Entry 2 is the long video: the stored clip is all
        // found in it (100 %, and 20 % of the entry's frames) and so is the long video itself.
        let found = stored.check(&[(e1, signal(&clip)), (e2, signal(&long))]);
        let want = |item: usize, entry, q: f64, c: f64| StoredMatch {
            item,
            entry,
            kind: HashType::Vpdq,
            closeness: Closeness::Video(MatchPercentages {
                query_match_pct: q,
                compared_match_pct: c,
            }),
        };
        assert_eq!(
            found,
            vec![
                want(0, e1, 100.0, 100.0),
                want(0, e2, 100.0, 20.0),
                want(1, e2, 100.0, 100.0),
            ]
        );
        // The oracle agrees on every pair, matched or not.
        for (entry, e) in [(e1, &clip), (e2, &long)] {
            for (i, it) in stored.items().iter().enumerate() {
                let p = quell_vpdq::match_brute(it.vpdq.as_ref().unwrap(), e, &MatchParams::PYTX);
                let hit = found.iter().find(|m| m.item == i && m.entry == entry);
                assert_eq!(
                    hit.map(|m| m.closeness),
                    MatchThresholds::PYTX
                        .is_match(&p)
                        .then_some(Closeness::Video(p)),
                    "item {i} entry {entry}"
                );
            }
        }
    }
}
