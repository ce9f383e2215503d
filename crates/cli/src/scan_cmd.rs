//! `quell scan`: the retroactive search. Checks a member's stored media, or a stored hash file,
//! against the locally synced list, and prints one JSON line per match.
//!
//! When the list holds hashes filed under a hash profile (`pdq-robust-v6` or v5 before it:
//! crops, trims and cuts of each registered photo), each image is also hashed the way the
//! default profile hashes an upload, and each of those hashes is searched in the parts the
//! profile's plan names, at the plan's distances, among the entries of both: the member
//! computes what the registry's cases were made with.

use std::collections::HashMap;
use std::io::{BufRead as _, IsTerminal as _, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use quell_api::HashType;
use quell_hash::MATCH_DISTANCE;
use quell_match::{Matcher, StoredItem};
use quell_registry::{EntryId, Registration};
use quell_robust::Profile;
use quell_sync::{Snapshot, parse_stored_line};
use serde::Serialize;

#[derive(clap::Args, Debug)]
pub(crate) struct ScanArgs {
    /// The data directory `quell sync` (or `serve --matcher`) keeps the list in.
    #[arg(long, value_name = "DATA_DIR")]
    index: PathBuf,
    /// Images, videos, directories of them, or stored hash files (the JSON lines `quell hash
    /// --json` writes, videos' vPDQ included; recognised by a `.jsonl`/`.json` name or a
    /// first byte of `{`).
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
}

#[derive(Serialize)]
struct Found<'a> {
    path: &'a str,
    entry_id: String,
    /// The registered file the entry's hash was made from: lines with the same `media_id`
    /// are one photo or video, one ticket. Absent where the registry did not say.
    #[serde(skip_serializing_if = "Option::is_none")]
    media_id: Option<String>,
    #[serde(rename = "type")]
    kind: HashType,
    /// PDQ distance, 0 for digests; absent for vPDQ.
    #[serde(skip_serializing_if = "Option::is_none")]
    distance: Option<u32>,
    /// For a hit on a hash filed under a profile: the profile and the part of the photo's
    /// hashes it was filed under.
    #[serde(skip_serializing_if = "Option::is_none")]
    profile: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    part: Option<&'static str>,
    /// vPDQ only, as `POST /v1/match` reports them.
    #[serde(skip_serializing_if = "Option::is_none")]
    query_match_percent: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    compared_match_percent: Option<f64>,
}

/// Whether `path` is a stored hash file rather than media.
fn is_hash_file(path: &Path) -> bool {
    if path.is_dir() {
        return false;
    }
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("jsonl") || e.eq_ignore_ascii_case("json"))
    {
        return true;
    }
    let mut head = [0u8; 64];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    head[..n]
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'{')
}

pub(crate) fn run(args: &ScanArgs) -> anyhow::Result<ExitCode> {
    let snapshot = Snapshot::load(&args.index)?;
    anyhow::ensure!(
        Snapshot::path(&args.index).exists(),
        "{} holds no synced list; run `quell sync --data {}` first",
        args.index.display(),
        args.index.display()
    );
    let matcher = Matcher::from_entries(snapshot.entries().iter().map(|(&id, s)| (id, s.clone())));
    let list = List {
        matcher: &matcher,
        registered: snapshot.registered(),
    };
    // The default profile, whose uploads also search the earlier filed profiles; a list
    // without any of their hashes costs nothing more.
    let profile = Some(Profile::DEFAULT).filter(|p| {
        quell_hash::searched_with(p.name())
            .iter()
            .any(|f| matcher.has_filed(f))
    });
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut failures = 0u64;
    let (files, media): (Vec<PathBuf>, Vec<PathBuf>) =
        args.paths.iter().cloned().partition(|p| is_hash_file(p));
    for file in &files {
        failures += scan_hash_file(file, &list, &mut out)?;
    }
    if !media.is_empty() {
        crate::hash::hash_for_scan(&media, profile, |path, result| {
            match result {
                Ok(item) => report(&item, &list, &mut out)?,
                Err(e) => {
                    failures += 1;
                    out.flush()?;
                    eprintln!("quell: {path}: {e}");
                }
            }
            Ok(())
        })?;
    }
    out.flush().context("writing output")?;
    Ok(if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The synced list as a scan reads it: the index, and each entry's registration.
struct List<'a> {
    matcher: &'a Matcher,
    registered: &'a HashMap<EntryId, Registration>,
}

impl List<'_> {
    fn media_id(&self, entry: EntryId) -> Option<String> {
        self.registered.get(&entry).map(|r| r.media.to_string())
    }
}

/// Scans one stored hash file; returns how many lines it could not use.
fn scan_hash_file(
    file: &Path,
    list: &List<'_>,
    out: &mut impl std::io::Write,
) -> anyhow::Result<u64> {
    let len = std::fs::metadata(file)
        .with_context(|| format!("reading {}", file.display()))?
        .len();
    let reader =
        std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let progress = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} of hashes, {eta} left")
                .expect("static template"),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut bad = 0;
    for (i, line) in std::io::BufReader::new(reader).lines().enumerate() {
        let line = line.with_context(|| format!("{} line {}", file.display(), i + 1))?;
        progress.inc(line.len() as u64 + 1);
        if line.trim().is_empty() {
            continue;
        }
        match parse_stored_line(&line) {
            Ok(Some(item)) => report(&item, list, out)?,
            Ok(None) => {}
            Err(e) => {
                bad += 1;
                progress.suspend(|| eprintln!("quell: {} line {}: {e:#}", file.display(), i + 1));
            }
        }
    }
    progress.finish_and_clear();
    Ok(bad)
}

/// Prints every entry `item` matches: PDQ hits nearest first, then exact digest hits, then
/// vPDQ hits (the registry's decision, best first), then the filed entries its profile
/// searches find.
fn report(item: &StoredItem, list: &List<'_>, out: &mut impl std::io::Write) -> anyhow::Result<()> {
    for (kind, query) in item.plain_queries() {
        for (entry, closeness) in list.matcher.lookup(&query, MATCH_DISTANCE) {
            let video = closeness.video();
            let line = serde_json::to_string(&Found {
                path: &item.path,
                entry_id: entry.to_string(),
                media_id: list.media_id(entry),
                kind,
                distance: closeness.distance(),
                profile: None,
                part: None,
                query_match_percent: video.map(|p| p.query_match_pct),
                compared_match_percent: video.map(|p| p.compared_match_pct),
            })?;
            writeln!(out, "{line}").context("writing output")?;
        }
    }
    report_filed(item, list, out)
}

/// Prints every filed entry the item's profile searches find ([`StoredItem::filed`]), each
/// entry once at its smallest distance, nearest first ([`Matcher::lookup_upload`]). A filed
/// entry found by a plain search is not possible: plain searches see plain entries only.
fn report_filed(
    item: &StoredItem,
    list: &List<'_>,
    out: &mut impl std::io::Write,
) -> anyhow::Result<()> {
    for (entry, closeness, filing) in list.matcher.lookup_upload(&item.filed) {
        let line = serde_json::to_string(&Found {
            path: &item.path,
            entry_id: entry.to_string(),
            media_id: list.media_id(entry),
            kind: HashType::Pdq,
            distance: closeness.distance(),
            // The entry's own filing: a query of the default profile also finds entries
            // filed under an earlier one.
            profile: filing.map(|f| f.profile()),
            part: filing.map(|f| f.part().name()),
            query_match_percent: None,
            compared_match_percent: None,
        })?;
        writeln!(out, "{line}").context("writing output")?;
    }
    Ok(())
}
