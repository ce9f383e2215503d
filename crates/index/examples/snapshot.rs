//! Times writing and loading a snapshot of raw 32-byte hashes (ids = record numbers).
//!
//! ```text
//! cargo run --release -p quell-index --example snapshot -- base.bin out.qidx
//! ```

use std::time::Instant;

use quell_hash::Pdq;
use quell_index::{FlatIndex, IndexBuilder, PdqIndex};

fn main() {
    let mut args = std::env::args().skip(1);
    let (input, output) = match (args.next(), args.next()) {
        (Some(i), Some(o)) => (i, o),
        _ => panic!("usage: snapshot BASE.bin OUT.qidx"),
    };
    let bytes = std::fs::read(&input).unwrap_or_else(|e| panic!("{input}: {e}"));
    let mut builder = IndexBuilder::with_capacity(bytes.len() / 32);
    for (i, c) in bytes.chunks_exact(32).enumerate() {
        builder.insert(i as u64, Pdq::from_bytes(c.try_into().expect("32 bytes")));
    }
    drop(bytes);
    let flat = builder.build_flat();
    let t = Instant::now();
    flat.save(&output).expect("save");
    let save_s = t.elapsed().as_secs_f64();
    drop(flat);
    let t = Instant::now();
    let loaded = FlatIndex::load(&output).expect("load");
    let load_s = t.elapsed().as_secs_f64();
    println!(
        "{{\"n\":{},\"save_s\":{save_s:.3},\"load_s\":{load_s:.3}}}",
        loaded.len()
    );
}
