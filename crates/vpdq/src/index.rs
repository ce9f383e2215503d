//! Matching one query video against every registered video at once.

use std::collections::HashMap;
use std::sync::Arc;

use quell_index::{IndexBuilder, LiveIndex, MihConfig, PdqIndex};

use crate::matching::{MatchParams, MatchPercentages, MatchThresholds, pct};
use crate::video::VideoHash;

/// When the live index's unindexed delta grows past this many frames it should be folded
/// into the multi-index base ([`FrameCompactor`]), so searches stay sub-linear as videos are
/// added.
const COMPACT_AFTER: usize = 1 << 14;

/// One registered video's result for a query.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VideoMatch {
    /// The id the video was registered under.
    pub video: u64,
    /// How much of each side matched.
    pub percentages: MatchPercentages,
}

#[derive(Clone, Copy, Debug)]
struct Registered {
    slot: u32,
    /// Matchable frames (after the quality floor and deduplication).
    frames: u32,
}

/// Every registered video's frame hashes in one exact PDQ index (quell-index's
/// [`LiveIndex`] over multi-index hashing), each frame under the id `(slot << 32) | ordinal`
/// where `slot` stands for the video and `ordinal` is the frame's position among the video's
/// matchable frames.
///
/// A query's matchable frames are range-searched once each; the hits are grouped by video
/// into the same percentages [`match_brute`](crate::match_brute) computes pair by pair (the
/// tests assert equality). Only videos with at least one matching frame are returned: every
/// other video has 0% on both sides.
///
/// Inserting never compacts: compaction rebuilds the multi-index tables over every frame
/// (seconds at millions of frames), and a caller that keeps the index behind a lock would
/// block every search meanwhile. [`VideoIndex::compactor`] hands out the frame index itself,
/// which compacts beside concurrent searches, inserts and removals, so it runs with no lock
/// on the `VideoIndex` held (or call [`VideoIndex::compact_if_needed`] where nothing waits).
pub struct VideoIndex {
    params: MatchParams,
    frames: Arc<LiveIndex>,
    videos: HashMap<u64, Registered>,
    slot_video: Vec<Option<u64>>,
    free_slots: Vec<u32>,
}

impl std::fmt::Debug for VideoIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VideoIndex")
            .field("params", &self.params)
            .field("videos", &self.videos.len())
            .field("frames", &self.frames.len())
            .finish()
    }
}

/// A video that cannot be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndexError {
    /// The id is already registered (remove it first to replace it).
    #[error("video {0} is already registered")]
    Duplicate(u64),
    /// More than `u32::MAX` videos or frames per video.
    #[error("the video index is full")]
    Full,
}

impl VideoIndex {
    /// An empty index that compares frames by `params` (fixed, because the quality floor and
    /// deduplication decide what is stored).
    pub fn new(params: MatchParams) -> Self {
        Self {
            params,
            frames: Arc::new(LiveIndex::new(
                IndexBuilder::new().build_mih(MihConfig::default()),
            )),
            videos: HashMap::new(),
            slot_video: Vec::new(),
            free_slots: Vec::new(),
        }
    }

    /// An index of many videos at once: the frames go into the multi-index tables in one
    /// build, instead of one compaction per [`COMPACT_AFTER`] inserted frames (which makes
    /// inserting video after video quadratic in the total frame count).
    ///
    /// # Errors
    /// If a video id appears twice, or the index is full.
    pub fn from_videos<'a>(
        params: MatchParams,
        videos: impl IntoIterator<Item = (u64, &'a VideoHash)>,
    ) -> Result<Self, IndexError> {
        let mut index = Self::new(params);
        let mut builder = IndexBuilder::new();
        for (video, hash) in videos {
            if index.videos.contains_key(&video) {
                return Err(IndexError::Duplicate(video));
            }
            let frames = params.matchable_frames(hash);
            let count = u32::try_from(frames.len()).map_err(|_| IndexError::Full)?;
            let slot = u32::try_from(index.slot_video.len()).map_err(|_| IndexError::Full)?;
            index.slot_video.push(Some(video));
            index.videos.insert(
                video,
                Registered {
                    slot,
                    frames: count,
                },
            );
            for (h, ordinal) in frames.into_iter().zip(0u32..) {
                builder.insert(frame_id(slot, ordinal), h);
            }
        }
        index.frames = Arc::new(LiveIndex::new(builder.build_mih(MihConfig::default())));
        Ok(index)
    }

    /// The frame comparison rules.
    pub fn params(&self) -> MatchParams {
        self.params
    }

    /// Number of registered videos.
    pub fn len(&self) -> usize {
        self.videos.len()
    }

    /// Whether no video is registered.
    pub fn is_empty(&self) -> bool {
        self.videos.is_empty()
    }

    /// Number of indexed frame hashes over all videos.
    pub fn frame_count(&self) -> usize {
        self.frames.len()
    }

    /// Whether `video` is registered.
    pub fn contains(&self, video: u64) -> bool {
        self.videos.contains_key(&video)
    }

    /// Registers a video's matchable frames under `video`; they are searchable at once. The
    /// frames go into the frame index's delta, which [`FrameCompactor`] folds in.
    ///
    /// # Errors
    /// If `video` is already registered, or the index is full.
    pub fn insert(&mut self, video: u64, hash: &VideoHash) -> Result<(), IndexError> {
        if self.videos.contains_key(&video) {
            return Err(IndexError::Duplicate(video));
        }
        let frames = self.params.matchable_frames(hash);
        let count = u32::try_from(frames.len()).map_err(|_| IndexError::Full)?;
        let slot = match self.free_slots.pop() {
            Some(s) => s,
            None => {
                let s = u32::try_from(self.slot_video.len()).map_err(|_| IndexError::Full)?;
                self.slot_video.push(None);
                s
            }
        };
        self.slot_video[slot as usize] = Some(video);
        self.videos.insert(
            video,
            Registered {
                slot,
                frames: count,
            },
        );
        self.frames.insert_many(
            frames
                .into_iter()
                .zip(0u32..)
                .map(|(h, ordinal)| (frame_id(slot, ordinal), h)),
        );
        Ok(())
    }

    /// A handle that compacts this index's frames without borrowing the index.
    pub fn compactor(&self) -> FrameCompactor {
        FrameCompactor(Arc::clone(&self.frames))
    }

    /// Compacts now if the delta is large; returns whether it did.
    pub fn compact_if_needed(&self) -> bool {
        self.compactor().compact_if_needed()
    }

    /// Unregisters a video; returns whether it was registered.
    pub fn remove(&mut self, video: u64) -> bool {
        let Some(r) = self.videos.remove(&video) else {
            return false;
        };
        for ordinal in 0..r.frames {
            self.frames.remove(frame_id(r.slot, ordinal));
        }
        self.slot_video[r.slot as usize] = None;
        self.free_slots.push(r.slot);
        true
    }

    /// Every registered video sharing at least one matching frame with `query`, with both
    /// percentages, ascending by video id.
    pub fn search(&self, query: &VideoHash) -> Vec<VideoMatch> {
        let q = self.params.matchable_frames(query);
        if q.is_empty() {
            return Vec::new();
        }
        let results = self.frames.range_search_batch(&q, self.params.max_distance);
        struct Tally {
            query_found: usize,
            last_query: usize,
            compared_found: Vec<bool>,
        }
        let mut tallies: HashMap<u32, Tally> = HashMap::new();
        for (qi, hits) in results.iter().enumerate() {
            for hit in hits {
                let (slot, ordinal) = ((hit.id >> 32) as u32, hit.id as u32);
                let t = tallies.entry(slot).or_insert_with(|| {
                    let video = self.slot_video[slot as usize].expect("a hit names a live slot");
                    Tally {
                        query_found: 0,
                        last_query: usize::MAX,
                        compared_found: vec![false; self.videos[&video].frames as usize],
                    }
                });
                if t.last_query != qi {
                    t.last_query = qi;
                    t.query_found += 1;
                }
                t.compared_found[ordinal as usize] = true;
            }
        }
        let mut out: Vec<VideoMatch> = tallies
            .into_iter()
            .map(|(slot, t)| {
                let found = t.compared_found.iter().filter(|&&x| x).count();
                VideoMatch {
                    video: self.slot_video[slot as usize].expect("a hit names a live slot"),
                    percentages: MatchPercentages {
                        query_match_pct: pct(t.query_found, q.len()),
                        compared_match_pct: pct(found, t.compared_found.len()),
                    },
                }
            })
            .collect();
        out.sort_by_key(|m| m.video);
        out
    }

    /// The registered videos that `thresholds` calls a match for `query`.
    pub fn matches(&self, query: &VideoHash, thresholds: &MatchThresholds) -> Vec<VideoMatch> {
        let mut found = self.search(query);
        found.retain(|m| thresholds.is_match(&m.percentages));
        found
    }
}

/// The frame index of a [`VideoIndex`], for compacting it off the index's lock: the
/// [`LiveIndex`] keeps searches, inserts and removals that run meanwhile exact, and which
/// frame belongs to which video does not change when frames move from the delta to the base.
#[derive(Clone, Debug)]
pub struct FrameCompactor(Arc<LiveIndex>);

impl FrameCompactor {
    /// Whether enough frames await folding in for a compaction to pay.
    pub fn is_needed(&self) -> bool {
        self.0.delta_len() > COMPACT_AFTER
    }

    /// Compacts if [`FrameCompactor::is_needed`]; returns whether it did. Blocks for the
    /// rebuild (seconds at millions of frames): call it from a background thread.
    pub fn compact_if_needed(&self) -> bool {
        let needed = self.is_needed();
        if needed {
            self.compact();
        }
        needed
    }

    /// Folds every frame inserted so far and the removals into a new base, however few.
    pub fn compact(&self) {
        self.0.compact();
    }
}

fn frame_id(slot: u32, ordinal: u32) -> u64 {
    (u64::from(slot) << 32) | u64::from(ordinal)
}
