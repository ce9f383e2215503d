//! Hash-only throughput: decodes each file once, then hashes the decoded pixels repeatedly on
//! one thread. Prints one JSON line: {"images", "megapixels", "rounds", "median_images_per_s"}.
//!
//! `cargo run --release -p quell-pdq --features decode --example hash_speed -- [--rounds N] FILES...`
//! (bench/pdq/run.sh runs it beside the reference binding on the same pixels).

use std::time::Instant;

use quell_pdq::decode::{DecodeOptions, decode};

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut rounds = 5;
    if args.first().map(String::as_str) == Some("--rounds") {
        rounds = args[1].parse().expect("--rounds N");
        args.drain(..2);
    }
    let images: Vec<_> = args
        .iter()
        .map(|path| {
            let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
            decode(&bytes, &DecodeOptions::default()).unwrap_or_else(|e| panic!("{path}: {e}"))
        })
        .collect();
    let megapixels: f64 = images
        .iter()
        .map(|i| f64::from(i.width()) * f64::from(i.height()) / 1e6)
        .sum();
    let mut rates: Vec<f64> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            for image in &images {
                std::hint::black_box(quell_pdq::hash(image));
            }
            images.len() as f64 / start.elapsed().as_secs_f64()
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    println!(
        "{{\"images\": {}, \"megapixels\": {megapixels:.2}, \"rounds\": {rounds}, \"median_images_per_s\": {:.2}}}",
        images.len(),
        rates[rates.len() / 2]
    );
}
