//! `quell index build` and `quell match`: build an exact PDQ index file, and match hashes
//! against it.
//!
//! Hash files are either text, one hash per line (only the first whitespace-separated field is
//! read, so `quell hash` output can be piped straight in), or raw 32-byte records if the file
//! name ends in `.bin`. Queries and entries are numbered from 0 by line or record.

use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail, ensure};
use clap::{Args, Subcommand};
use quell_hash::{Distance, Pdq};
use quell_index::{FlatIndex, IndexBuilder, MihConfig, MihIndex, PdqIndex, RangeResults};
use rayon::prelude::*;

/// Arguments of `quell index`.
#[derive(Args, Debug)]
pub(crate) struct IndexArgs {
    #[command(subcommand)]
    command: IndexCommand,
}

#[derive(Subcommand, Debug)]
enum IndexCommand {
    /// Build an index snapshot from PDQ hashes, or (with --profile and --images) register
    /// every image in a folder under a hash profile, printing `id path` per image.
    Build(BuildArgs),
}

#[derive(Args, Debug)]
struct BuildArgs {
    /// PDQ hashes: hex, one per line (first field), or raw 32-byte records if the name ends
    /// in `.bin`; `-` reads hex from stdin.
    #[arg(value_name = "INPUT", required_unless_present = "images")]
    input: Option<PathBuf>,

    /// Hash profile to register images under (pdq-plain-v1, pdq-robust-v1 to v4); with
    /// --images.
    #[arg(long, value_name = "NAME", requires = "images")]
    profile: Option<String>,

    /// Folder of images to register under --profile (default: pdq-robust-v6), instead of
    /// INPUT hashes.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["input", "ids"])]
    images: Option<PathBuf>,

    /// The index file to write.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: PathBuf,

    /// Ids, one unsigned 64-bit integer per line, one per hash (default: the 0-based line or
    /// record number).
    #[arg(long, value_name = "FILE")]
    ids: Option<PathBuf>,
}

/// Arguments of `quell match`.
#[derive(Args, Debug)]
pub(crate) struct MatchArgs {
    /// Query hashes, in the same formats as `quell index build` input (`-` for stdin).
    #[arg(value_name = "QUERIES", required_unless_present = "images")]
    queries: Option<PathBuf>,

    /// Image files or folders to hash with the index's profile (an index built with
    /// --profile) instead of QUERIES; prints `path id distance` per hit.
    #[arg(long, value_name = "PATH", num_args = 1.., conflicts_with = "queries")]
    images: Vec<PathBuf>,

    /// With --images: the profile the index must have been built with.
    #[arg(long, value_name = "NAME", requires = "images")]
    profile: Option<String>,

    /// The index file written by `quell index build`.
    #[arg(long, value_name = "FILE")]
    index: PathBuf,

    /// Largest Hamming distance that counts as a match (inclusive). Not with --images: a
    /// profile's match rule sets its own distances.
    #[arg(long, default_value_t = 31, value_name = "BITS", conflicts_with = "images",
          value_parser = clap::value_parser!(u32).range(0..=256))]
    max_distance: u32,

    /// Each query is the 8 dihedral hashes of one image (8 fields per line, as
    /// `quell hash --dihedral` prints, or 8 consecutive records); every entry matching any of
    /// them is printed once, at its smallest distance. Not with --images, whose profiles
    /// choose their own query hashes.
    #[arg(long, conflicts_with = "images")]
    dihedral: bool,

    /// One JSON object per hit: {"query","id","distance"}. Not with --images.
    #[arg(long, conflicts_with = "images")]
    json: bool,

    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    threads: Option<usize>,
}

/// Runs `quell index ...`.
pub(crate) fn run_index(args: &IndexArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        IndexCommand::Build(build) => run_build(build),
    }
}

fn run_build(args: &BuildArgs) -> anyhow::Result<ExitCode> {
    let (Some(input), None) = (&args.input, &args.images) else {
        let (profile, images) = (args.profile.as_deref(), args.images.as_deref());
        return crate::robust_cmd::build(
            profile.unwrap_or(quell_robust::Profile::DEFAULT.name()),
            images.expect("clap"),
            &args.output,
        );
    };
    let hashes = read_hashes(input, 1)?;
    let ids: Vec<u64> = match &args.ids {
        None => (0..hashes.len() as u64).collect(),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read ids from {}", path.display()))?;
            let ids = text
                .lines()
                .enumerate()
                .map(|(i, l)| {
                    l.trim().parse::<u64>().with_context(|| {
                        format!("{} line {}: {l:?} is not a u64 id", path.display(), i + 1)
                    })
                })
                .collect::<anyhow::Result<Vec<u64>>>()?;
            ensure!(
                ids.len() == hashes.len(),
                "{} has {} ids but {} has {} hashes",
                path.display(),
                ids.len(),
                input.display(),
                hashes.len()
            );
            ids
        }
    };
    ensure!(
        hashes.len() <= IndexBuilder::MAX_ENTRIES,
        "an index holds at most {} hashes",
        IndexBuilder::MAX_ENTRIES
    );
    let mut builder = IndexBuilder::with_capacity(hashes.len());
    for (id, hash) in ids.into_iter().zip(hashes) {
        builder.insert(id, hash);
    }
    let index = builder.build_flat();
    index.save(&args.output)?;
    eprintln!(
        "quell: indexed {} hashes into {}",
        index.len(),
        args.output.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Runs `quell match`.
pub(crate) fn run_match(args: &MatchArgs) -> anyhow::Result<ExitCode> {
    let Some(queries) = &args.queries else {
        return crate::robust_cmd::run_match(
            &args.index,
            &args.images,
            args.profile.as_deref(),
            args.threads,
        );
    };
    ensure!(
        !crate::robust_cmd::is_profile_index(&args.index),
        "{} is a profile index: match image files against it with --images",
        args.index.display()
    );
    let per_query = if args.dihedral { 8 } else { 1 };
    let queries = read_hashes(queries, per_query)?;
    let flat = FlatIndex::load(&args.index)?;
    let max = Distance::new(args.max_distance);
    let pool = {
        let mut b = rayon::ThreadPoolBuilder::new();
        if let Some(n) = args.threads {
            b = b.num_threads(n);
        }
        b.build().context("cannot start worker threads")?
    };
    let query_count = queries.len() / per_query;
    let results = pool.install(|| {
        // Building the tables costs about as much as scanning the whole index a few dozen
        // times, so a handful of queries is answered faster by the exact scan.
        if query_count < 64 {
            search_all(&flat, &queries, args.dihedral, max)
        } else {
            let mih = MihIndex::new(flat, MihConfig::default());
            search_all(&mih, &queries, args.dihedral, max)
        }
    });
    let mut out = BufWriter::new(std::io::stdout().lock());
    for (q, hits) in results.iter().enumerate() {
        for hit in hits {
            if args.json {
                writeln!(
                    out,
                    r#"{{"query":{q},"id":{},"distance":{}}}"#,
                    hit.id, hit.distance
                )?;
            } else {
                writeln!(out, "{q} {} {}", hit.id, hit.distance)?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn search_all(
    index: &dyn PdqIndex,
    queries: &[Pdq],
    dihedral: bool,
    max: Distance,
) -> RangeResults {
    if !dihedral {
        return index.range_search_batch(queries, max);
    }
    let lists: Vec<_> = queries
        .par_chunks_exact(8)
        .map(|eight| {
            let eight: &[Pdq; 8] = eight.try_into().expect("chunks of 8");
            index.range_search_dihedral(eight, max)
        })
        .collect();
    RangeResults::from(lists)
}

/// Reads `group` hashes per line (text) or per `32 * group` bytes (`.bin`), flattened.
fn read_hashes(path: &Path, group: usize) -> anyhow::Result<Vec<Pdq>> {
    let stdin = path == Path::new("-");
    let mut bytes = Vec::new();
    if stdin {
        std::io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .context("cannot read stdin")?;
    } else {
        bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    }
    if !stdin && path.extension().is_some_and(|e| e == "bin") {
        let record = 32 * group;
        ensure!(
            bytes.len() % record == 0,
            "{}: {} bytes is not a whole number of {record}-byte records",
            path.display(),
            bytes.len()
        );
        return Ok(bytes
            .chunks_exact(32)
            .map(|c| Pdq::from_bytes(c.try_into().expect("32 bytes")))
            .collect());
    }
    let text = String::from_utf8(bytes).with_context(|| {
        format!(
            "{} is not UTF-8 text (binary files must end in .bin)",
            path.display()
        )
    })?;
    let mut hashes = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let fields: Vec<&str> = line.split_whitespace().take(group).collect();
        if fields.len() < group {
            bail!(
                "{} line {}: expected {group} PDQ hash{}, found {}",
                path.display(),
                i + 1,
                if group == 1 { "" } else { "es" },
                fields.len()
            );
        }
        for f in fields {
            hashes.push(
                f.parse()
                    .with_context(|| format!("{} line {}", path.display(), i + 1))?,
            );
        }
    }
    Ok(hashes)
}
