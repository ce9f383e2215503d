//! Live updates: a model-checked op sequence, immediate removal, concurrent readers.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use proptest::prelude::*;
use quell_hash::{Distance, Pdq};
use quell_index::{IndexBuilder, LiveIndex, MihConfig, PdqIndex};

use crate::util::{Rng, flat_of};

#[derive(Clone, Debug)]
enum Op {
    Insert(u64, u8),
    Remove(u64),
    Compact,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u64..12, any::<u8>()).prop_map(|(id, h)| Op::Insert(id, h)),
        2 => (0u64..12).prop_map(Op::Remove),
        1 => Just(Op::Compact),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// After every operation the live index answers exactly like a flat index rebuilt from
    /// the model's entries.
    #[test]
    fn live_index_matches_rebuilt_model(seed in any::<u64>(), ops in prop::collection::vec(op(), 1..40)) {
        let mut rng = Rng(seed);
        let center = rng.pdq();
        // A pool of hashes near `center`, so searches find them.
        let pool: Vec<Pdq> = (0..256).map(|i| rng.flip(&center, i % 40)).collect();
        let mut model: Vec<(u64, Pdq)> = (0..20).map(|i| (i % 12, pool[i as usize * 7 % 256])).collect();
        let live = LiveIndex::new(model.iter().copied().collect::<IndexBuilder>().build_mih(MihConfig::default()));
        for op in ops {
            match op {
                Op::Insert(id, h) => {
                    live.insert(id, pool[h as usize]);
                    model.push((id, pool[h as usize]));
                }
                Op::Remove(id) => {
                    let before = model.len();
                    model.retain(|&(i, _)| i != id);
                    prop_assert_eq!(live.remove(id), before - model.len());
                }
                Op::Compact => {
                    live.compact();
                    prop_assert_eq!(live.delta_len(), 0);
                }
            }
            prop_assert_eq!(live.len(), model.len());
            let oracle = flat_of(&model);
            for max in [0, 10, 31, 63] {
                let d = Distance::new(max);
                prop_assert_eq!(live.range_search(&center, d), oracle.range_search(&center, d));
            }
            let mut sorted_live: Vec<_> = live.to_flat().iter().collect();
            let mut sorted_model = model.clone();
            sorted_live.sort();
            sorted_model.sort();
            prop_assert_eq!(sorted_live, sorted_model);
        }
    }
}

#[test]
fn removal_is_immediate_under_concurrent_readers() {
    let mut rng = Rng(1);
    let mut b = IndexBuilder::new();
    for i in 0..5_000 {
        b.insert(i, rng.pdq());
    }
    let target = rng.pdq();
    let victims: Vec<u64> = (100_000..100_050).collect();
    for &v in &victims {
        b.insert(v, rng.flip(&target, (v % 30) as u32));
    }
    let live = Arc::new(LiveIndex::new(b.build_mih(MihConfig::default())));
    // Half the victims also live in the delta.
    for &v in victims.iter().step_by(2) {
        live.insert(v, rng.flip(&target, 3));
    }
    // `removed_upto` = number of victims whose `remove` has returned.
    let removed_upto = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let (live, removed_upto, stop) = (live.clone(), removed_upto.clone(), stop.clone());
            let victims = victims.clone();
            std::thread::spawn(move || {
                let mut searches = 0u64;
                while !stop.load(Ordering::Acquire) {
                    let done = removed_upto.load(Ordering::Acquire) as usize;
                    let hits = live.range_search(&target, Distance::new(31));
                    for h in &hits {
                        assert!(
                            !victims[..done].contains(&h.id),
                            "removed id {} matched",
                            h.id
                        );
                    }
                    searches += 1;
                }
                searches
            })
        })
        .collect();
    let compactor = {
        let live = live.clone();
        std::thread::spawn(move || live.compact())
    };
    for (i, &v) in victims.iter().enumerate() {
        assert!(live.remove(v) >= 1);
        removed_upto.store(i as u64 + 1, Ordering::Release);
        if i % 10 == 0 {
            live.insert(200_000 + i as u64, target);
        }
    }
    compactor.join().unwrap();
    live.compact();
    stop.store(true, Ordering::Release);
    for r in readers {
        assert!(r.join().unwrap() > 0);
    }
    let hits = live.range_search(&target, Distance::new(31));
    let ids: Vec<u64> = hits.iter().map(|h| h.id).collect();
    assert_eq!(ids, vec![200_000, 200_010, 200_020, 200_030, 200_040]);
    assert_eq!(live.len(), 5_005);
}
