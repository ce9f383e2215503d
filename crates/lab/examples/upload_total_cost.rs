//! What one upload costs each profile in all, file bytes to match verdict, for an index of K
//! registered images:
//!
//! ```sh
//! cargo run --release -p quell-lab --example upload_total_cost -- DIR... [K...]
//! ```
//!
//! The image files of the folders are the uploads. Per upload and profile, single-threaded, each the
//! fastest of 3 rounds (the machine is shared; the least disturbed run is the truest), then
//! the median over uploads:
//! - decode: file bytes to pixels (the same for every profile);
//! - hash: pixels to the profile's upload hashes ([`Profile::upload_queries_from_rows`]);
//! - index: every search of the profile's plan, each in its parts, at its distance, in
//!   `MihIndex`es with the default config (the engine the server uses) holding K images'
//!   worth of each part: the registered hashes per image and part are those the profile
//!   gives the uploads themselves as submissions, the hashes are random (uploads match
//!   nothing, like almost every real upload).
//!
//! Prints one table per K with the ratio of each profile to `pdq-plain-v1` for the index
//! alone, for hashing and index, and for the whole.

use std::time::Instant;

use quell_hash::Pdq;
use quell_index::{IndexBuilder, MihConfig, MihIndex, PdqIndex};
use quell_pdq::decode::{DecodeOptions, decode};
use quell_robust::{LumaImage, Part, Profile};

const ROUNDS: usize = 3;
const PROFILES: [Profile; 4] = [
    Profile::PlainV1,
    Profile::RobustV4,
    Profile::RobustV5,
    Profile::RobustV6,
];

fn fastest<T>(mut f: impl FnMut() -> T) -> (T, f64) {
    let mut best = f64::INFINITY;
    let mut out = None;
    for _ in 0..ROUNDS {
        let start = Instant::now();
        let v = f();
        best = best.min(start.elapsed().as_secs_f64() * 1e3);
        out = Some(v);
    }
    (out.expect("ROUNDS > 0"), best)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// `n` pseudo-random hashes (xorshift64*, seeded per part so runs repeat).
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

fn main() {
    // Numbers are K, anything else a folder of uploads.
    let (ks, dirs): (Vec<String>, Vec<String>) = std::env::args()
        .skip(1)
        .partition(|a| a.parse::<usize>().is_ok());
    if dirs.is_empty() {
        eprintln!("usage: upload_total_cost DIR... [K...]");
        std::process::exit(2);
    }
    let ks: Vec<usize> = ks.iter().map(|k| k.parse().expect("K")).collect();
    let ks = if ks.is_empty() { vec![100_000] } else { ks };
    let mut files: Vec<_> = dirs
        .iter()
        .flat_map(|d| std::fs::read_dir(d).expect("DIR"))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let uploads: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(f).expect("read"))
        .filter(|b| quell_pdq::decode::is_supported_image(&b[..b.len().min(64)]))
        .collect();
    let options = DecodeOptions::default();

    // Per upload: decode time, and per profile its hashing time and queries.
    let mut decode_ms = Vec::new();
    let mut megapixels = Vec::new();
    let mut hash_ms = vec![Vec::new(); PROFILES.len()];
    let mut queries = vec![Vec::new(); PROFILES.len()];
    let mut per_part = vec![[0.0f64; 3]; PROFILES.len()];
    for bytes in &uploads {
        let (image, ms) = fastest(|| decode(bytes, &options).expect("decodable upload"));
        decode_ms.push(ms);
        megapixels.push((image.width() * image.height()) as f64 / 1e6);
        let luma = LumaImage::from_rows(&image);
        for (i, p) in PROFILES.into_iter().enumerate() {
            let (q, ms) = fastest(|| p.upload_queries_from_rows(&image));
            hash_ms[i].push(ms);
            queries[i].push(q);
            for (part, _) in p.submission_parts(&luma) {
                per_part[i][Part::ALL.iter().position(|&x| x == part).unwrap()] +=
                    1.0 / uploads.len() as f64;
            }
        }
    }
    let decode_median = median(&mut decode_ms);
    println!(
        "{} uploads, median {:.2} MP; decode median {decode_median:.2} ms",
        uploads.len(),
        median(&mut megapixels)
    );
    let hash_median: Vec<f64> = hash_ms.iter_mut().map(|v| median(v)).collect();

    for k in ks {
        println!("\n### K = {k} registered images\n");
        println!(
            "| profile | registered hashes (whole / variant / cut) | searches per upload | \
             hash ms | index ms | total ms | index ÷ plain | hash+index ÷ plain | total ÷ plain |"
        );
        println!("|---|---|---|---|---|---|---|---|---|");
        let mut plain = None;
        for (i, p) in PROFILES.into_iter().enumerate() {
            // A profile that searches every part in one go has one index, as `quell match`
            // would build it; v5 one per part.
            let counts: Vec<usize> = (0..3)
                .map(|j| (per_part[i][j] * k as f64).round() as usize)
                .collect();
            let shards: Vec<usize> = if p.searches_by_part() {
                counts.clone()
            } else {
                vec![counts.iter().sum()]
            };
            let indexes: Vec<MihIndex> = shards
                .iter()
                .enumerate()
                .map(|(j, &n)| {
                    let mut b = IndexBuilder::with_capacity(n);
                    for (id, h) in random_hashes(n, (i * 3 + j + 1) as u64).enumerate() {
                        b.insert(id as u64, h);
                    }
                    b.build_mih(MihConfig::default())
                })
                .collect();
            let mut searches = 0usize;
            let mut index_ms: Vec<f64> = queries[i]
                .iter()
                .map(|qs| {
                    let (n, ms) = fastest(|| {
                        let mut n = 0;
                        for q in qs {
                            if p.searches_by_part() {
                                for &(part, within) in q.searches {
                                    n += 1;
                                    let index = &indexes[part as usize];
                                    std::hint::black_box(index.range_search(&q.hash, within));
                                }
                            } else {
                                // Every part at one distance.
                                n += 1;
                                let within = q.searches[0].1;
                                std::hint::black_box(indexes[0].range_search(&q.hash, within));
                            }
                        }
                        n
                    });
                    searches += n;
                    ms
                })
                .collect();
            let index = median(&mut index_ms);
            let hash = hash_median[i];
            let total = decode_median + hash + index;
            let (pi, ph, pt) = *plain.get_or_insert((index, hash + index, total));
            println!(
                "| `{p}` | {} / {} / {} | {:.1} | {hash:.2} | {index:.3} | {total:.2} | {:.1}× | {:.2}× | {:.2}× |",
                counts[0],
                counts[1],
                counts[2],
                searches as f64 / queries[i].len() as f64,
                index / pi,
                (hash + index) / ph,
                total / pt
            );
        }
    }
}
