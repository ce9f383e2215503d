//! The video index against the brute-force matcher: on the sample videos and on random data
//! with planted near-duplicate frames.

use proptest::prelude::*;
use quell_hash::{Distance, Pdq, Quality};
use quell_vpdq::{FrameHash, MatchParams, MatchThresholds, VideoHash, VideoIndex, match_brute};

use crate::vectors::{expected, names};

/// `index.search` must equal `match_brute` for every registered video with any match, and
/// list no other.
fn assert_index_agrees(videos: &[VideoHash], query: &VideoHash, params: MatchParams) {
    let mut index = VideoIndex::new(params);
    for (id, v) in videos.iter().enumerate() {
        index.insert(id as u64 * 1000 + 3, v).unwrap();
    }
    let found = index.search(query);
    let mut expected = Vec::new();
    for (id, v) in videos.iter().enumerate() {
        let p = match_brute(query, v, &params);
        if p.query_match_pct > 0.0 {
            expected.push((id as u64 * 1000 + 3, p));
        }
    }
    let found: Vec<_> = found.iter().map(|m| (m.video, m.percentages)).collect();
    assert_eq!(found, expected);
}

#[test]
fn index_equals_brute_force_on_the_sample_videos() {
    let videos: Vec<VideoHash> = names().iter().map(|n| expected(n, false)).collect();
    for params in [MatchParams::PYTX, MatchParams::UPSTREAM_CPP] {
        for query in &videos {
            assert_index_agrees(&videos, query, params);
        }
    }
}

#[test]
fn removed_videos_are_not_found_and_ids_are_unique() {
    let a = expected("chair-19-sd-bar", false);
    let mut index = VideoIndex::new(MatchParams::PYTX);
    index.insert(1, &a).unwrap();
    index.insert(2, &a).unwrap();
    assert!(index.insert(1, &a).is_err());
    assert_eq!(index.matches(&a, &MatchThresholds::PYTX).len(), 2);
    assert!(index.contains(1));
    assert!(index.remove(1));
    assert!(!index.remove(1));
    assert!(!index.contains(1) && index.contains(2));
    let left: Vec<u64> = index.search(&a).iter().map(|m| m.video).collect();
    assert_eq!(left, vec![2]);
    // The freed slot is reused without mixing up videos.
    index
        .insert(5, &expected("pattern-hd-no-bar", false))
        .unwrap();
    let left: Vec<u64> = index.search(&a).iter().map(|m| m.video).collect();
    assert_eq!(left, vec![2]);
    assert_eq!(index.len(), 2);
}

#[test]
fn built_at_once_equals_inserted_one_by_one() {
    let videos: Vec<VideoHash> = names().iter().map(|n| expected(n, false)).collect();
    let mut one_by_one = VideoIndex::new(MatchParams::PYTX);
    for (i, v) in videos.iter().enumerate() {
        one_by_one.insert(i as u64 * 3, v).unwrap();
    }
    let mut at_once = VideoIndex::from_videos(
        MatchParams::PYTX,
        videos.iter().enumerate().map(|(i, v)| (i as u64 * 3, v)),
    )
    .unwrap();
    assert_eq!(at_once.len(), one_by_one.len());
    assert_eq!(at_once.frame_count(), one_by_one.frame_count());
    for q in &videos {
        assert_eq!(at_once.search(q), one_by_one.search(q));
    }
    // It stays a live index: removals and inserts work as before.
    assert!(at_once.remove(0) && one_by_one.remove(0));
    at_once.insert(1, &videos[0]).unwrap();
    one_by_one.insert(1, &videos[0]).unwrap();
    assert_eq!(at_once.search(&videos[0]), one_by_one.search(&videos[0]));
    assert!(matches!(
        VideoIndex::from_videos(MatchParams::PYTX, [(5, &videos[0]), (5, &videos[1])]),
        Err(quell_vpdq::IndexError::Duplicate(5))
    ));
}

fn flip(h: Pdq, bits: &[u8]) -> Pdq {
    let mut w = h.to_words();
    for &b in bits {
        w[usize::from(b) / 64] ^= 1 << (b % 64);
    }
    Pdq::from_words(w)
}

/// Frames drawn from a few base hashes with a few bits flipped, so that matches, near misses
/// at the distance threshold and exact duplicates all occur.
fn video(bases: Vec<Pdq>) -> impl Strategy<Value = VideoHash> {
    prop::collection::vec(
        (
            0..bases.len(),
            prop::collection::vec(any::<u8>(), 0..40),
            prop_oneof![Just(100u8), Just(49u8), Just(50u8), 0u8..=100],
        ),
        0..12,
    )
    .prop_map(move |frames| {
        VideoHash::new(
            frames
                .into_iter()
                .zip(0u32..)
                .map(|((b, bits, q), n)| FrameHash {
                    frame: n,
                    quality: Quality::new(i64::from(q)).unwrap(),
                    pdq: flip(bases[b], &bits),
                    timestamp: f64::from(n),
                })
                .collect(),
        )
    })
}

fn case() -> impl Strategy<Value = (Vec<VideoHash>, VideoHash, MatchParams)> {
    prop::collection::vec(any::<[u64; 4]>().prop_map(Pdq::from_words), 1..4).prop_flat_map(
        |bases| {
            (
                prop::collection::vec(video(bases.clone()), 0..6),
                video(bases),
                (20u32..45, any::<bool>(), 0i64..=100),
            )
                .prop_map(|(videos, query, (d, dedupe, q))| {
                    let params = MatchParams {
                        max_distance: Distance::new(d),
                        min_quality: Quality::new(q / 2 + 25).unwrap(),
                        dedupe,
                    };
                    (videos, query, params)
                })
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn index_equals_brute_force_on_planted_data((videos, query, params) in case()) {
        assert_index_agrees(&videos, &query, params);
    }
}

/// One step of a live index's life.
#[derive(Clone, Debug)]
enum Op {
    Insert(VideoHash),
    /// Removes the registered video at this position (modulo how many there are).
    Remove(usize),
    /// Starts a compaction on another thread, as the matcher does, and leaves it running.
    Compact,
    Search(VideoHash),
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(any::<[u64; 4]>().prop_map(Pdq::from_words), 1..4).prop_flat_map(
        |bases| {
            prop::collection::vec(
                prop_oneof![
                    3 => video(bases.clone()).prop_map(Op::Insert),
                    1 => any::<usize>().prop_map(Op::Remove),
                    2 => Just(Op::Compact),
                    3 => video(bases.clone()).prop_map(Op::Search),
                ],
                1..40,
            )
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]
    /// Compactions running off the index's lock, beside inserts, removals and searches,
    /// never change an answer: every search equals the brute force over what is registered.
    #[test]
    fn compacting_beside_writes_and_searches_changes_no_answer(ops in ops()) {
        let params = MatchParams::PYTX;
        let mut index = VideoIndex::new(params);
        let mut registered: Vec<(u64, VideoHash)> = Vec::new();
        let mut next_id = 0u64;
        let mut running = Vec::new();
        for op in ops {
            match op {
                Op::Insert(v) => {
                    next_id += 1;
                    index.insert(next_id, &v).unwrap();
                    registered.push((next_id, v));
                }
                Op::Remove(k) if !registered.is_empty() => {
                    let (id, _) = registered.remove(k % registered.len());
                    prop_assert!(index.remove(id));
                }
                Op::Remove(_) => {}
                Op::Compact => {
                    let compactor = index.compactor();
                    running.push(std::thread::spawn(move || compactor.compact()));
                }
                Op::Search(query) => {
                    let want: Vec<_> = registered
                        .iter()
                        .map(|(id, v)| (*id, match_brute(&query, v, &params)))
                        .filter(|(_, p)| p.query_match_pct > 0.0)
                        .collect();
                    let got: Vec<_> = index
                        .search(&query)
                        .iter()
                        .map(|m| (m.video, m.percentages))
                        .collect();
                    prop_assert_eq!(got, want);
                }
            }
        }
        for t in running {
            t.join().unwrap();
        }
        prop_assert_eq!(index.len(), registered.len());
        let frames: usize = registered
            .iter()
            .map(|(_, v)| params.matchable_frames(v).len())
            .sum();
        prop_assert_eq!(index.frame_count(), frames);
    }
}
