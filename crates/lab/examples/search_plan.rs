//! How `pdq-robust-v5`'s search plan was chosen: for every upload hash kind, which registered
//! parts to search and at what distance, against the index work per upload.
//!
//! ```sh
//! cargo run --release -p quell-lab --example search_plan -- ORIGINALS DISTRACTORS [K]
//! ```
//!
//! Registers ORIGINALS (quality ≥ 50) under v5's submission hashes, makes the evaluation's
//! variants (seed 1, as `quell eval robustness`), and records for each (upload, registered
//! image) pair the nearest distance per (upload kind, registered part). Then it scores every
//! plan of a grid (the whole upload and its trims share a plan, as do their turned hashes):
//! mean recall over the families, false matches over the impostor pairs of the evaluation,
//! and a modelled index cost per upload for K registered images (default 100,000), from the
//! slot-table cost model `MihIndex` uses to choose between probing and a scan, with each
//! part's hash count per image as measured. It prints the plans on the cost/recall frontier
//! with no false match, and plain PDQ's modelled cost for the ratio. The model ranks plans;
//! `bench/robust/match_cost.sh` measures the chosen one.

use quell_hash::Pdq;
use quell_lab::eval::load_images;
use quell_lab::transform::Family;
use quell_robust::{LumaImage, Part, Profile, Query, UploadKind};
use rayon::prelude::*;

/// Nearest distance per (upload kind, registered part); 255 where there is no pair.
type Cells = [[u8; 3]; 5];

fn cells(upload: &[Query], registered: &[(Part, Pdq)]) -> Cells {
    let mut c = [[255u8; 3]; 5];
    for q in upload {
        let k = UploadKind::ALL.iter().position(|&u| u == q.kind).unwrap();
        for &(part, r) in registered {
            let p = Part::ALL.iter().position(|&x| x == part).unwrap();
            c[k][p] = c[k][p].min(q.hash.distance(&r).get() as u8);
        }
    }
    c
}

/// A plan: per upload kind, the distance each part is searched at (0: not searched).
type Plan = [[u8; 3]; 5];

fn matches(plan: &Plan, c: &Cells) -> bool {
    (0..5).any(|k| (0..3).any(|p| plan[k][p] > 0 && c[k][p] <= plan[k][p]))
}

/// Modelled nanoseconds of one MIH search at `r` bits over `n` hashes (MihIndex's weights and
/// slot choice; a scan when probing costs more).
fn search_cost(n: f64, r: u32) -> f64 {
    const PROBE: f64 = 60.0;
    const CANDIDATE: f64 = 12.0;
    const SCANNED: f64 = 1.2;
    let m: u32 = if n < (1u64 << 22) as f64 { 16 } else { 13 };
    let (q, a) = (r / m, r % m);
    let mut cost = 0.0;
    for i in 0..m {
        let width = 256 / m + u32::from(i < 256 % m);
        let radius = if i <= a { q as i64 } else { q as i64 - 1 };
        let mut probes = 0.0;
        let mut choose = 1.0;
        for k in 0..=radius.min(i64::from(width)) {
            if k > 0 {
                choose *= f64::from(width + 1 - k as u32) / k as f64;
            }
            probes += choose;
        }
        cost += probes * (PROBE + CANDIDATE * n / f64::from(width).exp2());
    }
    cost.min(n * SCANNED)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: search_plan ORIGINALS DISTRACTORS [K]");
        std::process::exit(2);
    }
    let k_images: f64 = args.get(3).map_or(100_000.0, |k| k.parse().expect("K"));
    let load = |d: &str| load_images(d.as_ref(), 1024).expect("images");
    let mut originals = load(&args[1]);
    originals.retain(|o| {
        quell_pdq::hash(&LumaImage::from_rgb(&o.pixels))
            .quality
            .is_matchable()
    });
    let distractors = load(&args[2]);
    let profile = Profile::RobustV5;
    let lumas: Vec<LumaImage> = originals
        .par_iter()
        .map(|o| LumaImage::from_rgb(&o.pixels))
        .collect();
    let registered: Vec<Vec<(Part, Pdq)>> = lumas
        .par_iter()
        .map(|l| profile.submission_parts(l))
        .collect();
    let per_part: Vec<f64> = Part::ALL
        .iter()
        .map(|&p| {
            registered
                .iter()
                .map(|r| r.iter().filter(|(q, _)| *q == p).count())
                .sum::<usize>() as f64
                / registered.len() as f64
        })
        .collect();
    eprintln!(
        "{} originals, {} distractors; registered per image: whole {:.1}, variant {:.1}, cut {:.1}",
        originals.len(),
        distractors.len(),
        per_part[0],
        per_part[1],
        per_part[2]
    );

    // Genuine cells per family; impostor cells: originals and distractors as uploads against
    // every other original, and every variant against every other original.
    let mut genuine: Vec<(usize, Cells)> = Vec::new();
    let mut impostor: Vec<Cells> = Vec::new();
    // Upload hash counts per kind, over the originals and distractors as uploads (what an
    // untransformed upload costs) and over the variants.
    let mut counts_plain_uploads = [0usize; 5];
    let mut counts_variants = [0usize; 5];
    let count = |up: &[Query], into: &mut [usize; 5]| {
        for q in up {
            into[UploadKind::ALL.iter().position(|&u| u == q.kind).unwrap()] += 1;
        }
    };
    // Per original, per variant: its family, its cells against its own original and against
    // every other, and its searches.
    type Row = (usize, Cells, Vec<Cells>, Vec<Query>);
    let variant_rows: Vec<Vec<Row>> = originals
        .par_iter()
        .enumerate()
        .map(|(i, o)| {
            Family::ALL
                .iter()
                .enumerate()
                .flat_map(|(fi, &f)| {
                    f.variants(&o.pixels, 1, i as u64)
                        .into_iter()
                        .map(move |v| (fi, v))
                })
                .map(|(fi, v)| {
                    let up = profile.upload_queries(&LumaImage::from_rgb(&v));
                    let own = cells(&up, &registered[i]);
                    let others = (0..registered.len())
                        .filter(|&j| j != i)
                        .map(|j| cells(&up, &registered[j]))
                        .collect();
                    (fi, own, others, up)
                })
                .collect()
        })
        .collect();
    for rows in variant_rows {
        for (fi, own, others, up) in rows {
            genuine.push((fi, own));
            impostor.extend(others);
            count(&up, &mut counts_variants);
        }
    }
    let uploads: Vec<(Option<usize>, Vec<Query>)> = lumas
        .par_iter()
        .enumerate()
        .map(|(i, l)| (Some(i), profile.upload_queries(l)))
        .chain(distractors.par_iter().map(|d| {
            (
                None,
                profile.upload_queries(&LumaImage::from_rgb(&d.pixels)),
            )
        }))
        .collect();
    for (own, up) in &uploads {
        count(up, &mut counts_plain_uploads);
        for (j, reg) in registered.iter().enumerate() {
            if Some(j) != *own {
                impostor.push(cells(up, reg));
            }
        }
    }
    let n_uploads = uploads.len() as f64;
    let per_upload: Vec<f64> = counts_plain_uploads
        .iter()
        .map(|&c| c as f64 / n_uploads)
        .collect();
    eprintln!(
        "{} genuine and {} impostor pairs; upload hashes per kind (untransformed uploads): {:?}; \
         (variants): {:?}",
        genuine.len(),
        impostor.len(),
        per_upload,
        counts_variants
            .iter()
            .map(|&c| c as f64 / genuine.len() as f64)
            .collect::<Vec<_>>()
    );

    // Each family weighs the same in the mean, as in the evaluation.
    let families = Family::ALL.len();
    let mut family_sizes = vec![0usize; families];
    for &(f, _) in &genuine {
        family_sizes[f] += 1;
    }
    let cost_of = |plan: &Plan, counts: &[f64]| -> f64 {
        (0..5)
            .map(|k| {
                let per_query: f64 = (0..3)
                    .filter(|&p| plan[k][p] > 0)
                    .map(|p| search_cost(k_images * per_part[p], u32::from(plan[k][p])))
                    .sum();
                counts[k] * per_query
            })
            .sum()
    };
    let plain_ns = 8.0 * search_cost(k_images, 31);
    let no_trim = [1.0, 0.0, 0.0, 0.0, 4.0];

    // The whole upload and its trims share a plan (in v5 no hash is turned at upload).
    let radii = [28u8, 31, 34, 36, 38, 40, 44, 48];
    let mut scored = Vec::new();
    for &whole in &radii {
        for &variant in &radii {
            for cut in std::iter::once(0).chain(radii) {
                for (cut_whole, cut_variant) in [(0u8, 0u8), (31, 0), (0, 24), (0, 28), (0, 31)] {
                    let main = [whole, variant, 0];
                    let plan: Plan = [main, [0; 3], main, [0; 3], [cut_whole, cut_variant, cut]];
                    let false_matches = impostor.iter().filter(|c| matches(&plan, c)).count();
                    if false_matches > 0 {
                        continue;
                    }
                    let mut hit = vec![0usize; families];
                    for (f, c) in &genuine {
                        if matches(&plan, c) {
                            hit[*f] += 1;
                        }
                    }
                    let mean = (0..families)
                        .map(|f| hit[f] as f64 / family_sizes[f] as f64)
                        .sum::<f64>()
                        / families as f64;
                    scored.push((
                        cost_of(&plan, &per_upload),
                        mean,
                        plan,
                        cost_of(&plan, &no_trim),
                    ));
                }
            }
        }
    }
    scored.sort_by(|a, b| a.0.total_cmp(&b.0));
    println!(
        "K = {k_images}: plain PDQ {:.1} µs an upload (8 searches at 31)",
        plain_ns / 1e3
    );
    println!(
        "| mean recall | µs an upload (untransformed uploads, mean) | ×plain | µs, an upload that trims nothing | whole, trims: whole@ / variant@ | cuts: cut@ / whole@ / variant@ |"
    );
    println!("|---|---|---|---|---|---|");
    let mut best = -1.0;
    for (cost, mean, plan, no_trim_cost) in &scored {
        if *mean > best + 1e-9 {
            best = *mean;
            println!(
                "| {mean:.4} | {:.0} | {:.1}× | {:.0} | {} / {} | {} / {} / {} |",
                cost / 1e3,
                cost / plain_ns,
                no_trim_cost / 1e3,
                plan[0][0],
                plan[0][1],
                plan[4][2],
                plan[4][0],
                plan[4][1]
            );
        }
    }
}
