//! How fast `MihIndex` searches at each slot count, for one index size and several search
//! distances: the measurements behind `MihConfig::slots`' default.
//!
//! ```sh
//! cargo run --release -p quell-index --example slot_widths -- N SLOTS,... DISTANCES,...
//! # e.g. N = 71000000, slots 11,12,13, distances 31,36,44
//! ```
//!
//! N random hashes (xorshift64*, fixed seed), 200 random queries (they match nothing, like
//! almost every upload), each searched 3 times single-threaded with the scan fallback off;
//! prints a markdown row per slot count and distance with the median time per search, the
//! probes and candidates per search, and the memory per entry.

use std::time::Instant;

use quell_hash::{Distance, Pdq};
use quell_index::{FlatIndex, IndexBuilder, MihConfig, MihIndex};

const QUERIES: usize = 200;
const ROUNDS: usize = 3;

fn random_hashes(n: usize, seed: u64) -> impl Iterator<Item = Pdq> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    (0..n).map(move |_| Pdq::from_words([next(), next(), next(), next()]))
}

fn list(arg: &str) -> Vec<u32> {
    arg.split(',')
        .map(|s| s.parse().expect("a comma-separated list of numbers"))
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [n, slots, distances] = &args[..] else {
        eprintln!("usage: slot_widths N SLOTS,... DISTANCES,...");
        std::process::exit(2);
    };
    let n: usize = n.parse().expect("N");
    let flat: FlatIndex = random_hashes(n, 7)
        .enumerate()
        .map(|(id, h)| (id as u64, h))
        .collect::<IndexBuilder>()
        .build_flat();
    let queries: Vec<Pdq> = random_hashes(QUERIES, 99).collect();
    println!("N = {n}, {QUERIES} random queries × {ROUNDS}, one thread\n");
    println!("| slots | bytes/entry | build s | distance | median ms | probes | candidates |");
    println!("|---|---|---|---|---|---|---|");
    for m in list(slots) {
        let start = Instant::now();
        let config = MihConfig::with_slots(m).expect("a valid slot count");
        let index = MihIndex::new(flat.clone(), config.scan_fallback(false));
        let build = start.elapsed().as_secs_f64();
        let bytes = index.heap_bytes() as f64 / n as f64;
        for d in list(distances) {
            let mut times = Vec::with_capacity(QUERIES * ROUNDS);
            let (mut probes, mut candidates) = (0, 0);
            for _ in 0..ROUNDS {
                for q in &queries {
                    let start = Instant::now();
                    let (hits, stats) = index.range_search_with_stats(q, Distance::new(d));
                    times.push(start.elapsed().as_secs_f64() * 1e3);
                    std::hint::black_box(hits);
                    probes += stats.probes;
                    candidates += stats.candidates;
                }
            }
            times.sort_by(f64::total_cmp);
            let k = times.len() as u64;
            println!(
                "| {m} | {bytes:.0} | {build:.1} | {d} | {:.3} | {} | {} |",
                times[times.len() / 2],
                probes / k,
                candidates / k
            );
        }
    }
}
