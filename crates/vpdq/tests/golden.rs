//! Hashing the sample videos against the reference's outputs (`expected/`, `expected-1s/`).
//!
//! Decoding is the cost, so every-frame hashing runs on three videos (one HD, one square
//! 1080p, one SD) and one hash per second on all 14, with every decoder the build has. With
//! feature `libav`, the skipping decoder is also compared with decoding every frame and with
//! the child-process decoder, frame by frame.

use std::collections::HashMap;
use std::sync::OnceLock;

use quell_vpdq::decode::{HashOptions, VideoDecoder, hash_file};
use quell_vpdq::{MatchParams, MatchThresholds, VideoHash, is_match, match_brute};

use crate::vectors::{expected, names, vpdq_dir};

const EVERY_FRAME: [&str; 3] = [
    "doorknob-hd-no-bar",
    "test-padded-dimensions",
    "pattern-sd-grey-bar",
];

fn hash(name: &str, seconds_per_hash: f64, decoder: VideoDecoder) -> VideoHash {
    let path = vpdq_dir().join("videos").join(format!("{name}.mp4"));
    let options = HashOptions {
        decoder,
        seconds_per_hash,
        decoder_threads: 1,
        ..HashOptions::default()
    };
    hash_file(&path, &options, &mut |_| {}).unwrap_or_else(|e| panic!("{decoder:?}: {e}"))
}

/// One hash per second of every sample video, per decoder (cached: decoding is the cost).
fn one_per_second(decoder: VideoDecoder) -> &'static HashMap<String, VideoHash> {
    static CELLS: [OnceLock<HashMap<String, VideoHash>>; 2] = [OnceLock::new(), OnceLock::new()];
    let slot = VideoDecoder::ALL
        .iter()
        .position(|&d| d == decoder)
        .expect("a built decoder");
    CELLS[slot].get_or_init(|| {
        names()
            .into_iter()
            .map(|n| {
                let h = hash(&n, 1.0, decoder);
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
    for &decoder in VideoDecoder::ALL {
        let ours = one_per_second(decoder);
        for name in names() {
            let label = format!("{name} ({decoder:?})");
            assert_close(&label, &ours[&name], &expected(&name, false));
        }
    }
}

#[test]
fn one_hash_per_second_gives_the_reference_decision_for_every_pair() {
    for &decoder in VideoDecoder::ALL {
        decisions_match_the_reference(one_per_second(decoder), decoder);
    }
}

fn decisions_match_the_reference(ours: &HashMap<String, VideoHash>, decoder: VideoDecoder) {
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
                "{a} vs {b} ({decoder:?})"
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
    for (&decoder, name) in VideoDecoder::ALL
        .iter()
        .flat_map(|d| EVERY_FRAME.iter().map(move |n| (d, *n)))
    {
        let ours = hash(name, 0.0, decoder);
        assert_close(&format!("{name} ({decoder:?})"), &ours, &reference[name]);
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
    for &decoder in VideoDecoder::ALL {
        let mut seen = Vec::new();
        let options = HashOptions {
            decoder,
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
}

/// Skipping is exact: on every sample video, at one hash per second and one hash per
/// 0.3 s (frame numbers that fall on B-frames too), the skipping decoder gives the same
/// frames, bits, qualities and timestamps as decoding every frame in-process, while decoding
/// well under all packets, and the same frame numbers and timestamps as the child-process
/// decoder, whose pixels go through FFmpeg's `scale` filter rather than `sws_scale` directly.
#[cfg(feature = "libav")]
#[test]
fn skipping_decodes_less_and_gives_exactly_the_same_frames() {
    use quell_vpdq::decode::hash_file_with_stats;
    let (mut packets, mut decoded, mut differing, mut compared) = (0, 0, 0, 0);
    for name in names() {
        let path = vpdq_dir().join("videos").join(format!("{name}.mp4"));
        for seconds_per_hash in [1.0, 0.3] {
            let options = HashOptions {
                decoder: VideoDecoder::Libav,
                seconds_per_hash,
                decoder_threads: 1,
                ..HashOptions::default()
            };
            let run = |skip: bool| {
                let options = HashOptions {
                    skip_unneeded_frames: skip,
                    ..options.clone()
                };
                hash_file_with_stats(&path, &options, &mut |_| {})
                    .unwrap_or_else(|e| panic!("{name}: {e}"))
            };
            let (skipped, stats) = run(true);
            let (full, full_stats) = run(false);
            assert_eq!(skipped, full, "{name} at {seconds_per_hash} s per hash");
            assert!(!stats.restarted, "{name}: fell back to decoding everything");
            assert_eq!(full_stats.decoded, full_stats.packets, "{name}");
            assert_eq!(stats.packets, full_stats.packets, "{name}");
            assert!(stats.decoded < stats.packets, "{name}: nothing skipped");
            if seconds_per_hash == 1.0 {
                packets += stats.packets;
                decoded += stats.decoded;
                let child = &one_per_second(VideoDecoder::Ffmpeg)[&name];
                assert_eq!(child.len(), skipped.len(), "{name}");
                for (a, b) in skipped.frames.iter().zip(&child.frames) {
                    assert_eq!((a.frame, a.timestamp), (b.frame, b.timestamp), "{name}");
                    compared += 1;
                    differing += usize::from(a.pdq != b.pdq || a.quality != b.quality);
                }
            }
        }
    }
    eprintln!(
        "one hash per second: decoded {decoded} of {packets} packets; \
         {differing} of {compared} frames differ from the child-process decoder"
    );
    assert!(
        decoded * 2 < packets,
        "{decoded} of {packets} packets decoded"
    );
    assert_eq!(
        differing, 0,
        "frames differing from the child-process decoder"
    );
}
