//! ThreatExchange's MIH regression inputs (`pdq/cpp/index`), against brute-force pairs.

use quell_hash::Distance;
use quell_index::{IndexBuilder, MihConfig, PdqIndex};

use crate::util::{read_hashes, vectors};

/// `(needle_line, haystack_line, distance)`, 1-based, every pair at distance <= 63.
fn expected_pairs() -> Vec<(u64, u64, u32)> {
    let path = vectors().join("pdq/index/expected-matches.tsv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (
                f[0].parse().unwrap(),
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn needles_against_haystack_match_expected_pairs_exactly() {
    let dir = vectors().join("pdq/index");
    let needles = read_hashes(&dir.join("needles.txt"));
    let haystack = read_hashes(&dir.join("haystack.txt"));
    assert_eq!((needles.len(), haystack.len()), (100, 1350));
    let all = expected_pairs();
    // Haystack ids are 1-based line numbers, as in the expected file.
    let entries = || {
        haystack
            .iter()
            .enumerate()
            .map(|(i, &h)| (i as u64 + 1, h))
            .collect::<IndexBuilder>()
    };
    let configs = [
        MihConfig::default(),
        MihConfig::default().scan_fallback(false),
        MihConfig::with_slots(13).unwrap().scan_fallback(false),
        MihConfig::with_slots(32).unwrap(),
    ];
    let flat = entries().build_flat();
    for max in [31, 63] {
        let mut expected: Vec<(u64, u64, u32)> =
            all.iter().copied().filter(|&(_, _, d)| d <= max).collect();
        expected.sort();
        if max == 31 {
            assert_eq!(expected.len(), 250, "the README's pair count");
        }
        let pairs = |index: &dyn PdqIndex| {
            let results = index.range_search_batch(&needles, Distance::new(max));
            let mut got: Vec<(u64, u64, u32)> = results
                .iter()
                .enumerate()
                .flat_map(|(n, hits)| {
                    hits.iter()
                        .map(move |h| (n as u64 + 1, h.id, h.distance.get()))
                })
                .collect();
            got.sort();
            got
        };
        assert_eq!(pairs(&flat), expected, "flat at {max}");
        for config in configs {
            let mih = entries().build_mih(config);
            assert_eq!(pairs(&mih), expected, "{config:?} at {max}");
        }
    }
}
