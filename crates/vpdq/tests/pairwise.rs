//! The brute-force matcher against `pairwise-match.tsv` (the reference's matcher run on
//! `expected/`).

use std::collections::HashMap;

use quell_hash::Distance;
use quell_vpdq::{MatchParams, MatchThresholds, VideoHash, is_match, match_brute};

use crate::vectors::{expected, names, vpdq_dir};

struct Row {
    query: String,
    target: String,
    query_pct: String,
    target_pct: String,
}

fn table() -> Vec<Row> {
    let text = std::fs::read_to_string(vpdq_dir().join("pairwise-match.tsv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("query\ttarget\tquery_match_pct\ttarget_match_pct")
    );
    let rows: Vec<Row> = lines
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Row {
                query: f[0].into(),
                target: f[1].into(),
                query_pct: f[2].into(),
                target_pct: f[3].into(),
            }
        })
        .collect();
    assert_eq!(rows.len(), 14 * 14);
    rows
}

fn all_expected() -> HashMap<String, VideoHash> {
    names()
        .into_iter()
        .map(|n| {
            let v = expected(&n, true);
            (n, v)
        })
        .collect()
}

/// The table is reproduced exactly, to its two decimals, by every-frame counting (no
/// deduplication). The distance rule cannot be told apart on these videos: `< 31` (the C++
/// rule) and `≤ 31` give the same table, so both are checked; deduplication changes 44 rows.
#[test]
fn pairwise_table_is_reproduced_exactly_without_dedupe() {
    let videos = all_expected();
    for max in [30, 31] {
        let params = MatchParams {
            max_distance: Distance::new(max),
            ..MatchParams::UPSTREAM_CPP
        };
        for row in table() {
            let p = match_brute(&videos[&row.query], &videos[&row.target], &params);
            assert_eq!(
                (
                    format!("{:.2}", p.query_match_pct),
                    format!("{:.2}", p.compared_match_pct)
                ),
                (row.query_pct.clone(), row.target_pct.clone()),
                "{} vs {} at distance <= {max}",
                row.query,
                row.target
            );
        }
    }
    let differing = table()
        .iter()
        .filter(|row| {
            let p = match_brute(
                &videos[&row.query],
                &videos[&row.target],
                &MatchParams::PYTX,
            );
            format!("{:.2}", p.query_match_pct) != row.query_pct
                || format!("{:.2}", p.compared_match_pct) != row.target_pct
        })
        .count();
    assert_eq!(differing, 44, "pytx's deduplication changes the table");
}

/// The 80/80 decision under the C++ rule, and the default (pytx) decision, agree with the
/// table's percentages for every ordered pair (deduplication moves percentages but no pair
/// across 80%).
#[test]
fn decisions_agree_with_the_table() {
    let videos = all_expected();
    let both_80 = MatchThresholds {
        min_query_pct: 80.0,
        min_compared_pct: 80.0,
    };
    let mut defaults = 0;
    for row in table() {
        let (q, t): (f64, f64) = (
            row.query_pct.parse().unwrap(),
            row.target_pct.parse().unwrap(),
        );
        let (a, b) = (&videos[&row.query], &videos[&row.target]);
        let cpp = match_brute(a, b, &MatchParams::UPSTREAM_CPP);
        assert_eq!(
            both_80.is_match(&cpp),
            q >= 80.0 && t >= 80.0,
            "{} vs {}",
            row.query,
            row.target
        );
        let default = is_match(a, b);
        assert_eq!(default, q >= 80.0, "{} vs {}", row.query, row.target);
        defaults += usize::from(default);
    }
    // 14 self-matches and 34 pairs of different files (computed independently from the
    // table's hashes with pytx's rules).
    assert_eq!(defaults, 48);
}

#[test]
fn no_matchable_frames_means_zero_on_both_sides() {
    let videos = all_expected();
    let a = &videos["chair-19-sd-bar"];
    let strict = MatchParams {
        min_quality: quell_hash::Quality::MAX,
        ..MatchParams::PYTX
    };
    let low = VideoHash::new(
        a.frames
            .iter()
            .filter(|f| f.quality.get() < 100)
            .copied()
            .collect(),
    );
    let p = match_brute(&low, a, &strict);
    assert_eq!((p.query_match_pct, p.compared_match_pct), (0.0, 0.0));
    let p = match_brute(&VideoHash::default(), a, &MatchParams::PYTX);
    assert_eq!((p.query_match_pct, p.compared_match_pct), (0.0, 0.0));
}
