//! MIH (and the flat scan itself) against brute force, on random and planted data.

use proptest::prelude::*;
use quell_hash::{Distance, Pdq};
use quell_index::{Hit, IndexBuilder, MihConfig, PdqIndex, Strategy as Searched};

use crate::util::{Rng, builder_of};

/// Brute force straight from the definition, independent of the index crate.
fn brute(entries: &[Pdq], query: &Pdq, max: u32) -> Vec<Hit> {
    let mut hits: Vec<Hit> = entries
        .iter()
        .enumerate()
        .filter(|(_, h)| h.distance(query).get() <= max)
        .map(|(i, h)| Hit {
            distance: h.distance(query),
            id: i as u64,
        })
        .collect();
    hits.sort();
    hits
}

/// Random hashes, plus neighbours of the query at every distance 0..=63 (and some duplicates).
fn planted(seed: u64, random: usize) -> (Vec<Pdq>, Vec<Pdq>) {
    let mut rng = Rng(seed);
    let queries: Vec<Pdq> = (0..3).map(|_| rng.pdq()).collect();
    let mut entries: Vec<Pdq> = (0..random).map(|_| rng.pdq()).collect();
    for q in &queries {
        for d in 0..64 {
            entries.push(rng.flip(q, d));
        }
        entries.push(*q);
    }
    // Shuffle so planted entries are not all at the end.
    for i in (1..entries.len()).rev() {
        entries.swap(i, (rng.next() % (i as u64 + 1)) as usize);
    }
    (entries, queries)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Results must be equal, not merely contained: exactness is the point.
    #[test]
    fn mih_equals_flat_on_planted_data(
        seed in any::<u64>(),
        random in 0usize..400,
        slots in prop::sample::select(vec![16u32, 21, 32, 64]),
        fallback in any::<bool>(),
    ) {
        let (entries, queries) = planted(seed, random);
        let config = MihConfig::with_slots(slots).unwrap().scan_fallback(fallback);
        let flat = builder_of(&entries).build_flat();
        let mih = builder_of(&entries).build_mih(config);
        prop_assert_eq!(mih.len(), entries.len());
        for q in &queries {
            for max in 0..=63 {
                let d = Distance::new(max);
                let expected = brute(&entries, q, max);
                prop_assert_eq!(&flat.range_search(q, d), &expected, "flat, d={}", max);
                prop_assert_eq!(&mih.range_search(q, d), &expected, "mih m={} d={}", slots, max);
                // Every planted distance up to `max` is present.
                prop_assert!(expected.len() > max as usize);
            }
        }
    }

    #[test]
    fn mih_equals_flat_on_random_data(
        entries in prop::collection::vec(any::<[u8; 32]>().prop_map(Pdq::from_bytes), 0..300),
        query in any::<[u8; 32]>().prop_map(Pdq::from_bytes),
        max in 0u32..=256,
    ) {
        let flat = builder_of(&entries).build_flat();
        let mih = builder_of(&entries).build_mih(MihConfig::default());
        let d = Distance::new(max);
        let expected = brute(&entries, &query, max);
        prop_assert_eq!(&flat.range_search(&query, d), &expected);
        prop_assert_eq!(&mih.range_search(&query, d), &expected);
    }
}

#[test]
fn batch_and_dihedral_agree_with_single_searches() {
    let (entries, queries) = planted(7, 500);
    let mih = builder_of(&entries).build_mih(MihConfig::default());
    let flat = builder_of(&entries).build_flat();
    let d = Distance::new(31);
    let batch = mih.range_search_batch(&queries, d);
    assert_eq!(batch.len(), queries.len());
    for (q, hits) in queries.iter().zip(batch.iter()) {
        assert_eq!(hits, flat.range_search(q, d).as_slice());
    }
    assert_eq!(batch, flat.range_search_batch(&queries, d));

    // Dihedral: one hit per entry at the smallest distance over the 8 queries.
    let mut rng = Rng(99);
    let eight: [Pdq; 8] = std::array::from_fn(|i| rng.flip(&queries[i % 3], i as u32));
    let mut expected: Vec<Hit> = Vec::new();
    for (id, e) in entries.iter().enumerate() {
        let best = eight.iter().map(|q| q.distance(e)).min().unwrap();
        if best <= d {
            expected.push(Hit {
                distance: best,
                id: id as u64,
            });
        }
    }
    expected.sort();
    assert_eq!(mih.range_search_dihedral(&eight, d), expected);
    assert_eq!(flat.range_search_dihedral(&eight, d), expected);
}

#[test]
fn duplicate_hashes_fan_out_to_every_id_sorted_by_distance_then_id() {
    let mut rng = Rng(3);
    let h = rng.pdq();
    let near = rng.flip(&h, 5);
    let mut b = IndexBuilder::new();
    b.insert(30, h);
    b.insert(10, near);
    b.insert(20, h);
    b.insert(5, near);
    let mih = b.build_mih(MihConfig::default());
    let hits = mih.range_search(&h, Distance::new(5));
    let got: Vec<(u32, u64)> = hits.iter().map(|x| (x.distance.get(), x.id)).collect();
    assert_eq!(got, vec![(0, 20), (0, 30), (5, 5), (5, 10)]);
    // Inclusive bound: at 4 the two near entries are gone.
    assert_eq!(mih.range_search(&h, Distance::new(4)).len(), 2);
}

#[test]
fn empty_index_and_widest_slots() {
    let mih = IndexBuilder::new().build_mih(MihConfig::default());
    assert!(mih.is_empty());
    assert!(mih.range_search(&Pdq::ZERO, Distance::new(256)).is_empty());

    // 11 slots of 23-24 bits, the widest allowed, probed at every distance.
    let (entries, queries) = planted(11, 50);
    let config = MihConfig::with_slots(MihConfig::MIN_SLOTS).unwrap();
    let mih = builder_of(&entries).build_mih(config.scan_fallback(false));
    for max in (0..=63).step_by(7) {
        let d = Distance::new(max);
        assert_eq!(
            mih.range_search(&queries[0], d),
            brute(&entries, &queries[0], max)
        );
    }
}

#[test]
fn config_bounds_and_stats() {
    assert!(MihConfig::with_slots(10).is_err());
    assert!(MihConfig::with_slots(65).is_err());
    let e = MihConfig::with_slots(8).unwrap_err().to_string();
    assert!(e.contains("11 to 64 slots") && e.contains("got 8"), "{e}");

    let (entries, queries) = planted(5, 2000);
    let tables = builder_of(&entries).build_mih(MihConfig::default().scan_fallback(false));
    let (hits, stats) = tables.range_search_with_stats(&queries[0], Distance::new(31));
    assert_eq!(stats.strategy, Searched::Tables);
    // 16 slots probed at radius 1: 17 keys each.
    assert_eq!(stats.probes, 16 * 17);
    assert!(hits.len() >= 32);
    // At 256 everything matches, and a scan is cheaper than probing.
    let mih = builder_of(&entries).build_mih(MihConfig::default());
    let (hits, stats) = mih.range_search_with_stats(&queries[0], Distance::new(256));
    assert_eq!(stats.strategy, Searched::Scan);
    assert_eq!(hits.len(), entries.len());
}
