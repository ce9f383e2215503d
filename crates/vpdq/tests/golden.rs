//! Hashing the sample videos against the reference's outputs (`expected/`, `expected-1s/`).
//!
//! Decoding is the cost, so every-frame hashing runs on three videos (one HD, one square
//! 1080p, one SD) and one hash per second on all 14.

use std::collections::HashMap;
use std::sync::OnceLock;

use quell_vpdq::decode::{HashOptions, hash_file};
use quell_vpdq::{MatchParams, MatchThresholds, VideoHash, is_match, match_brute};

use crate::vectors::{expected, names, vpdq_dir};

const EVERY_FRAME: [&str; 3] = [
    "doorknob-hd-no-bar",
    "test-padded-dimensions",
    "pattern-sd-grey-bar",
];

fn hash(name: &str, seconds_per_hash: f64) -> VideoHash {
    let path = vpdq_dir().join("videos").join(format!("{name}.mp4"));
    let options = HashOptions {
        seconds_per_hash,
        decoder_threads: 1,
        ..HashOptions::default()
    };
    hash_file(&path, &options, &mut |_| {}).unwrap_or_else(|e| panic!("{e}"))
}

fn one_per_second() -> &'static HashMap<String, VideoHash> {
    static CELL: OnceLock<HashMap<String, VideoHash>> = OnceLock::new();
    CELL.get_or_init(|| {
        names()
            .into_iter()
            .map(|n| {
                let h = hash(&n, 1.0);
                (n, h)
            })
            .collect()
    })
}

/// Same frames and timestamps; within 10 bits at quality ≥ 80; below 31 where both ≥ 50.
fn assert_close(name: &str, ours: &VideoHash, reference: &VideoHash) {
    assert_eq!(ours.len(), reference.len(), "{name}: frame count");
    let mut max_good = 0;
    for (a, b) in ours.frames.iter().zip(&reference.frames) {
        assert_eq!(a.frame, b.frame, "{name}: frame numbers");
        assert_eq!(
            format!("{:.3}", a.timestamp),
            format!("{:.3}", b.timestamp),
            "{name}: timestamp of frame {}",
            a.frame
        );
        let d = a.pdq.distance(&b.pdq).get();
        if b.quality.get() >= 80 {
            assert!(
                d <= 10,
                "{name} frame {}: {d} bits from the reference",
                a.frame
            );
            max_good = max_good.max(d);
        }
        if a.quality.get() >= 50 && b.quality.get() >= 50 {
            assert!(
                d < 31,
                "{name} frame {}: {d} bits from the reference",
                a.frame
            );
        }
        assert!(
            a.quality.get().abs_diff(b.quality.get()) <= 10,
            "{name} frame {}: quality {} vs {}",
            a.frame,
            a.quality,
            b.quality
        );
    }
}

const BOTH_80: MatchThresholds = MatchThresholds {
    min_query_pct: 80.0,
    min_compared_pct: 80.0,
};

/// (C++ rule at 80/80, Quell's default) for a pair.
fn decisions(a: &VideoHash, b: &VideoHash) -> (bool, bool) {
    (
        BOTH_80.is_match(&match_brute(a, b, &MatchParams::UPSTREAM_CPP)),
        is_match(a, b),
    )
}

#[test]
fn one_hash_per_second_matches_the_reference_on_all_videos() {
    let ours = one_per_second();
    for name in names() {
        assert_close(&name, &ours[&name], &expected(&name, false));
    }
}

#[test]
fn one_hash_per_second_gives_the_reference_decision_for_every_pair() {
    let ours = one_per_second();
    let reference: HashMap<String, VideoHash> = names()
        .into_iter()
        .map(|n| {
            let h = expected(&n, false);
            (n, h)
        })
        .collect();
    for a in names() {
        for b in names() {
            assert_eq!(
                decisions(&ours[&a], &ours[&b]),
                decisions(&reference[&a], &reference[&b]),
                "{a} vs {b}"
            );
        }
    }
}

#[test]
fn every_frame_matches_the_reference_and_its_decisions() {
    let reference: HashMap<String, VideoHash> = names()
        .into_iter()
        .map(|n| {
            let h = expected(&n, true);
            (n, h)
        })
        .collect();
    for name in EVERY_FRAME {
        let ours = hash(name, 0.0);
        assert_close(name, &ours, &reference[name]);
        // Our hash of this video against the reference's hash of every video, both ways.
        for other in names() {
            let (r_name, r_other) = (&reference[name], &reference[&other]);
            assert_eq!(
                decisions(&ours, r_other),
                decisions(r_name, r_other),
                "{name} vs {other}"
            );
            assert_eq!(
                decisions(r_other, &ours),
                decisions(r_other, r_name),
                "{other} vs {name}"
            );
        }
    }
}

#[test]
fn progress_is_reported_per_hashed_frame() {
    let path = vpdq_dir().join("videos/pattern-sd-grey-bar.mp4");
    let mut seen = Vec::new();
    let options = HashOptions {
        decoder_threads: 1,
        ..HashOptions::default()
    };
    let video = hash_file(&path, &options, &mut |p| seen.push(*p)).unwrap();
    assert_eq!(seen.len(), video.len());
    for (i, p) in seen.iter().enumerate() {
        assert_eq!(p.hashed, i + 1);
        assert_eq!(p.expected, Some(7));
        assert_eq!(p.seconds, video.frames[i].timestamp);
    }
}
