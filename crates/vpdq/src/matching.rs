//! Matching two vPDQ hashes: the share of each video's frames found in the other.
//!
//! The two reference implementations disagree in two details, so both are parameters
//! ([`MatchParams`]) rather than hidden choices:
//! - the C++ `matchTwoHashBrute` counts a frame as found at distance **< 31** and keeps
//!   duplicate frame hashes ([`MatchParams::UPSTREAM_CPP`]);
//! - python-threatexchange (`vpdq_brute_matcher.py`) uses **≤ 31** and counts each distinct
//!   frame hash once ([`MatchParams::PYTX`], Quell's default).
//!
//! Both drop frames below quality 50 first. If either side has no frames left, both
//! percentages are 0.

use std::collections::HashSet;

use quell_hash::{Distance, MATCH_DISTANCE, MIN_QUALITY, Pdq, Quality};

use crate::video::VideoHash;

/// How frames are compared and counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatchParams {
    /// A frame is found when some frame of the other video is at most this many bits away
    /// (inclusive; the C++ reference's strict `< 31` is `30` here).
    pub max_distance: Distance,
    /// Frames below this quality are dropped from both videos before counting.
    pub min_quality: Quality,
    /// Count each distinct frame hash once per video (pytx) instead of every frame (C++).
    pub dedupe: bool,
}

impl MatchParams {
    /// python-threatexchange's matcher: distance ≤ 31, quality ≥ 50, distinct hashes.
    pub const PYTX: MatchParams = MatchParams {
        max_distance: MATCH_DISTANCE,
        min_quality: MIN_QUALITY,
        dedupe: true,
    };

    /// The C++ reference's `matchTwoHashBrute`: distance < 31, quality ≥ 50, every frame.
    pub const UPSTREAM_CPP: MatchParams = MatchParams {
        max_distance: Distance::new(30),
        min_quality: MIN_QUALITY,
        dedupe: false,
    };

    /// The frame hashes of `video` that take part in matching: quality at or above the floor,
    /// and each hash once when deduplicating (first occurrence kept, order preserved).
    pub fn matchable_frames(&self, video: &VideoHash) -> Vec<Pdq> {
        let mut seen = HashSet::new();
        video
            .frames
            .iter()
            .filter(|f| f.quality >= self.min_quality)
            .map(|f| f.pdq)
            .filter(|h| !self.dedupe || seen.insert(*h))
            .collect()
    }
}

impl Default for MatchParams {
    fn default() -> Self {
        Self::PYTX
    }
}

/// How much of two videos matched, in percent (0..=100).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MatchPercentages {
    /// Share of the query video's matchable frames that have a match in the compared video.
    pub query_match_pct: f64,
    /// Share of the compared (registered) video's matchable frames that have a match in the
    /// query video.
    pub compared_match_pct: f64,
}

/// When two videos are called a match: both percentages at or above their thresholds.
///
/// Named by side because the references name them inconsistently: pytx's
/// `VPDQ_QUERY_MATCH_THRESHOLD_PERCENT = 80` applies to the query and its
/// `VPDQ_INDEX_MATCH_THRESHOLD_PERCENT = 0` to the indexed video, while the vpdq README's
/// example puts 80 on the compared side.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MatchThresholds {
    /// Minimum [`MatchPercentages::query_match_pct`].
    pub min_query_pct: f64,
    /// Minimum [`MatchPercentages::compared_match_pct`].
    pub min_compared_pct: f64,
}

impl MatchThresholds {
    /// pytx's default decision: 80% of the query found, any share of the compared video.
    pub const PYTX: MatchThresholds = MatchThresholds {
        min_query_pct: 80.0,
        min_compared_pct: 0.0,
    };

    /// Whether `p` is a match.
    pub fn is_match(&self, p: &MatchPercentages) -> bool {
        p.query_match_pct >= self.min_query_pct && p.compared_match_pct >= self.min_compared_pct
    }
}

impl Default for MatchThresholds {
    fn default() -> Self {
        Self::PYTX
    }
}

/// The default decision Quell applies: [`MatchParams::PYTX`] frames and
/// [`MatchThresholds::PYTX`] thresholds.
pub fn is_match(query: &VideoHash, compared: &VideoHash) -> bool {
    MatchThresholds::PYTX.is_match(&match_brute(query, compared, &MatchParams::PYTX))
}

/// Compares every matchable frame of `query` with every matchable frame of `compared`.
///
/// This is the reference algorithm and the oracle for [`VideoIndex`](crate::VideoIndex);
/// it costs `|query| × |compared|` distance computations.
pub fn match_brute(
    query: &VideoHash,
    compared: &VideoHash,
    params: &MatchParams,
) -> MatchPercentages {
    let q = params.matchable_frames(query);
    let c = params.matchable_frames(compared);
    percentages(&q, &c, params.max_distance)
}

pub(crate) fn percentages(q: &[Pdq], c: &[Pdq], max: Distance) -> MatchPercentages {
    if q.is_empty() || c.is_empty() {
        return MatchPercentages {
            query_match_pct: 0.0,
            compared_match_pct: 0.0,
        };
    }
    let mut c_found = vec![false; c.len()];
    let mut q_found = 0usize;
    for a in q {
        let mut found = false;
        for (b, hit) in c.iter().zip(&mut c_found) {
            if a.distance(b) <= max {
                found = true;
                *hit = true;
            }
        }
        q_found += usize::from(found);
    }
    let c_found = c_found.iter().filter(|&&x| x).count();
    MatchPercentages {
        query_match_pct: pct(q_found, q.len()),
        compared_match_pct: pct(c_found, c.len()),
    }
}

pub(crate) fn pct(found: usize, total: usize) -> f64 {
    found as f64 * 100.0 / total as f64
}
