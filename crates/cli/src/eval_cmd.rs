//! `quell eval robustness` (in a binary built with `--features lab`): the lab's evaluation of
//! hash profiles on a folder of images, the retired profiles included.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, ensure};
use clap::{Args, Subcommand};
use quell_lab::eval::{EvalConfig, evaluate, load_images, markdown};
use quell_robust::{LumaImage, Profile};

/// Arguments of `quell eval`.
#[derive(Subcommand, Debug)]
pub(crate) enum EvalCommand {
    /// Score hash profiles on a folder of images: generate the transform families, register
    /// the originals, match every variant, count false matches between distinct images and
    /// distractors; prints a Markdown report.
    Robustness(RobustnessArgs),
}

/// Arguments of `quell eval robustness`.
#[derive(Args, Debug)]
pub(crate) struct RobustnessArgs {
    /// Folder of original images (searched recursively).
    #[arg(value_name = "DIR")]
    dir: PathBuf,

    /// Folder of distractor images: never registered, only queried for false matches.
    #[arg(long, value_name = "DIR")]
    distractors: Option<PathBuf>,

    /// Profiles to score, comma-separated; the first is the baseline.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "pdq-plain-v1,pdq-robust-v1,pdq-robust-v2,pdq-robust-v3,pdq-robust-v4,pdq-robust-v5,pdq-robust-v6"
    )]
    profiles: Vec<String>,

    /// Seeds the transforms' parameters.
    #[arg(long, default_value_t = 1)]
    seed: u64,

    /// Use only the first N originals (in path order), to develop on a subset.
    #[arg(long, value_name = "N")]
    limit: Option<usize>,

    /// Images are downscaled so their longer side is at most this before transforming.
    #[arg(long, default_value_t = 1024, value_name = "PIXELS")]
    max_side: u32,

    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    threads: Option<usize>,

    /// Keep only every other original (after the quality filter): 0 the even-numbered, 1 the
    /// odd-numbered. Tune on one half, report both, so figures are not fitted to the corpus.
    #[arg(long, value_name = "0|1", value_parser = clap::value_parser!(u8).range(0..=1))]
    half: Option<u8>,

    /// Also list, on standard error, every variant a profile missed (original, family,
    /// variant number, distance).
    #[arg(long)]
    misses: bool,
}

/// Runs `quell eval ...`.
pub(crate) fn run_eval(cmd: &EvalCommand) -> anyhow::Result<ExitCode> {
    let EvalCommand::Robustness(args) = cmd;
    let profiles = args
        .profiles
        .iter()
        .map(|p| Profile::from_name(p))
        .collect::<Result<Vec<_>, _>>()?;
    ensure!(!profiles.is_empty(), "--profiles names no profile");
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = args.threads {
        pool = pool.num_threads(n);
    }
    let pool = pool.build().context("cannot start worker threads")?;
    let report = pool.install(|| -> anyhow::Result<String> {
        let mut originals = load_images(&args.dir, args.max_side)?;
        if let Some(n) = args.limit {
            originals.truncate(n);
        }
        // PDQ's own floor: below quality 50 a hash is unreliable, and a registry refuses it.
        let before = originals.len();
        originals.retain(|o| {
            quell_pdq::hash(&LumaImage::from_rgb(&o.pixels))
                .quality
                .is_matchable()
        });
        let skipped = before - originals.len();
        if let Some(half) = args.half {
            originals = originals
                .into_iter()
                .enumerate()
                .filter(|(i, _)| i % 2 == usize::from(half))
                .map(|(_, o)| o)
                .collect();
        }
        ensure!(
            originals.len() >= 2,
            "{}: need at least 2 images, found {}",
            args.dir.display(),
            originals.len()
        );
        let distractors = match &args.distractors {
            Some(d) => load_images(d, args.max_side)?,
            None => Vec::new(),
        };
        let reports = evaluate(
            &originals,
            &distractors,
            &EvalConfig {
                seed: args.seed,
                profiles,
            },
        );
        if args.misses {
            for r in &reports {
                for m in &r.misses {
                    eprintln!(
                        "miss {} {} {:?} variant {} distance {}",
                        r.profile,
                        originals[m.original].path.display(),
                        m.family.name(),
                        m.variant,
                        m.distance
                    );
                }
            }
        }
        let half = match args.half {
            Some(h) => format!(
                " Half {h} of the originals (every other one, from the {}).",
                ["first", "second"][usize::from(h)]
            ),
            None => String::new(),
        };
        Ok(format!(
            "{skipped} originals skipped for PDQ quality below 50.{half}\n\n{}",
            markdown(&reports, originals.len(), distractors.len())
        ))
    })?;
    print!("{report}");
    Ok(ExitCode::SUCCESS)
}
