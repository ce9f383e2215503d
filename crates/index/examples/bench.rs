//! Benchmark of the Quell index on files shared with the faiss benchmark
//! (`bench/index/run.sh`): build time, resident memory, single-threaded per-query latency,
//! batch throughput on a thread pool, and the matching pairs (to compute recall).
//!
//! ```text
//! cargo run --release -p quell-index --example bench -- \
//!     --base base.bin --queries queries.bin --engine mih16 --pairs out.tsv [--threads 2]
//!     [--max-distance 31] [--latency-queries N] [--batch-queries N] [--stats]
//! ```
//!
//! Files hold raw 32-byte hashes in hex-string byte order. Engines: `flat`, `mih<slots>`
//! (e.g. `mih16`, `mih13`), and `mih` for `MihConfig::default()` (the slot count the index
//! picks for its size, as the server and CLI build it). Prints one JSON object on stdout.
//! `--stats` (MIH engines) also prints one JSON object on stderr: the resolved slot count,
//! how many latency queries fell back to a scan, and the median probes and candidates per
//! query (counted in an extra, untimed pass over the latency queries).

use std::io::Write;
use std::time::Instant;

use quell_hash::{Distance, Pdq};
use quell_index::{IndexBuilder, MihConfig, MihIndex, PdqIndex, Strategy};

struct Args {
    base: String,
    queries: String,
    engine: String,
    pairs: Option<String>,
    threads: usize,
    max_distance: u32,
    latency_queries: usize,
    batch_queries: usize,
    stats: bool,
}

fn parse_args() -> Args {
    let mut args = Args {
        base: String::new(),
        queries: String::new(),
        engine: "mih16".into(),
        pairs: None,
        threads: 2,
        max_distance: 31,
        latency_queries: usize::MAX,
        batch_queries: usize::MAX,
        stats: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--base" => args.base = value(),
            "--queries" => args.queries = value(),
            "--engine" => args.engine = value(),
            "--pairs" => args.pairs = Some(value()),
            "--threads" => args.threads = value().parse().expect("--threads N"),
            "--max-distance" => args.max_distance = value().parse().expect("--max-distance D"),
            "--latency-queries" => args.latency_queries = value().parse().expect("a count"),
            "--batch-queries" => args.batch_queries = value().parse().expect("a count"),
            "--stats" => args.stats = true,
            other => panic!("unknown argument {other}"),
        }
    }
    assert!(
        !args.base.is_empty() && !args.queries.is_empty(),
        "--base and --queries"
    );
    args
}

fn read_hashes(path: &str) -> Vec<Pdq> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(bytes.len() % 32, 0, "{path}: not 32-byte records");
    bytes
        .chunks_exact(32)
        .map(|c| Pdq::from_bytes(c.try_into().expect("32 bytes")))
        .collect()
}

/// Resident set size in bytes, from `/proc/self/status` (0 where unavailable).
fn rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(0, |kib| kib * 1024)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// `--stats`: one JSON object on stderr describing how the MIH index answers the queries.
fn print_stats(mih: &MihIndex, n: usize, queries: &[Pdq], max: Distance) {
    let mut scans = 0;
    let mut probes = Vec::with_capacity(queries.len());
    let mut candidates = Vec::with_capacity(queries.len());
    for q in queries {
        let (_, stats) = mih.range_search_with_stats(q, max);
        scans += usize::from(stats.strategy == Strategy::Scan);
        probes.push(stats.probes);
        candidates.push(stats.candidates);
    }
    probes.sort_unstable();
    candidates.sort_unstable();
    let median = |v: &[u64]| v.get(v.len() / 2).copied().unwrap_or(0);
    eprintln!(
        "{{\"slots\":{},\"max_distance\":{},\"queries\":{},\"scan_queries\":{},\"probes_median\":{},\"candidates_median\":{}}}",
        mih.config().slots(n),
        max.get(),
        queries.len(),
        scans,
        median(&probes),
        median(&candidates),
    );
}

fn main() {
    let args = parse_args();
    let base = read_hashes(&args.base);
    let queries = read_hashes(&args.queries);
    let max = Distance::new(args.max_distance);
    let n = base.len();

    let rss_before = rss();
    let started = Instant::now();
    let mut builder = IndexBuilder::with_capacity(n);
    for (i, h) in base.iter().enumerate() {
        builder.insert(i as u64, *h);
    }
    // The benchmark is single-index, so one trait object covers both engines; the MIH index
    // is also kept by type for `--stats`.
    let (flat, mih): (_, Option<MihIndex>) = if args.engine == "flat" {
        (Some(builder.build_flat()), None)
    } else {
        let config = if args.engine == "mih" {
            MihConfig::default()
        } else {
            let slots = args
                .engine
                .strip_prefix("mih")
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| panic!("unknown engine {}", args.engine));
            MihConfig::with_slots(slots).expect("valid slot count")
        };
        (None, Some(builder.build_mih(config)))
    };
    let (index, heap): (&dyn PdqIndex, usize) = match (&flat, &mih) {
        (Some(flat), _) => (flat, flat.heap_bytes()),
        (_, Some(mih)) => (mih, mih.heap_bytes()),
        _ => unreachable!("one engine is built"),
    };
    let build_s = started.elapsed().as_secs_f64();
    let rss_after = rss();
    drop(base);

    // Single-threaded latency, one query at a time.
    let latency_set = &queries[..queries.len().min(args.latency_queries)];
    let mut lat_ms: Vec<f64> = latency_set
        .iter()
        .map(|q| {
            let t = Instant::now();
            std::hint::black_box(index.range_search(q, max));
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    lat_ms.sort_by(f64::total_cmp);

    if let (true, Some(mih)) = (args.stats, &mih) {
        print_stats(mih, n, latency_set, max);
    }

    // Batch throughput on a pool of `threads` threads.
    let batch_set = &queries[..queries.len().min(args.batch_queries)];
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads)
        .build()
        .expect("thread pool");
    let t = Instant::now();
    let results = pool.install(|| index.range_search_batch(batch_set, max));
    let batch_s = t.elapsed().as_secs_f64();

    if let Some(path) = &args.pairs {
        let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("pairs file"));
        for (q, hits) in results.iter().enumerate() {
            for h in hits {
                writeln!(out, "{q}\t{}\t{}", h.id, h.distance).expect("write pairs");
            }
        }
        out.flush().expect("write pairs");
    }

    println!(
        concat!(
            "{{\"engine\":\"quell-{}\",\"kernel\":\"{}\",\"n\":{},\"build_s\":{:.3},",
            "\"rss_delta_bytes\":{},\"heap_bytes\":{},\"latency_queries\":{},",
            "\"latency_median_ms\":{:.4},\"latency_p99_ms\":{:.4},\"batch_queries\":{},",
            "\"batch_threads\":{},\"batch_qps\":{:.1},\"pairs\":{}}}"
        ),
        args.engine,
        quell_index::kernel_name(),
        n,
        build_s,
        rss_after.saturating_sub(rss_before),
        heap,
        lat_ms.len(),
        percentile(&lat_ms, 0.5),
        percentile(&lat_ms, 0.99),
        batch_set.len(),
        args.threads,
        batch_set.len() as f64 / batch_s,
        results.total_hits(),
    );
}
