//! `quell list export|import`: the hash list in python-threatexchange's local-file format, so
//! an HMA deployment can consume a Quell list and the reverse.
//!
//! The format is pytx's `LocalFileSignalExchangeAPI` file: one `<signal_type> <signal>` per
//! line, with pytx's signal type names (`pdq`, `video_md5`, `video_sha256`, `vpdq`, whose
//! signal is pytx's JSON list of frames and may hold spaces). pytx has no
//! quality in this file; it never shares PDQ hashes below quality 50, so imported PDQ hashes
//! are recorded at quality 50, the floor. Export writes active entries only: the file format
//! has no deletions. Nor does it have hash profiles, so hashes filed under a profile's parts
//! (crops, trims and cuts, which only that profile's searches may compare) are left out: an
//! HMA bank would match them as plain PDQ hashes.

use std::io::{BufRead as _, BufWriter, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use quell_hash::MIN_QUALITY;
use quell_registry::{
    Actor, BenignList, CaseId, CaseSecret, CredentialKind, NewCase, Signal, SignalKind, Store,
    Timestamp, credential,
};

use crate::serve_cmd::{StoreArgs, runtime};

/// Entries read per query while exporting.
const PAGE: u32 = 50_000;

#[derive(clap::Subcommand, Debug)]
pub(crate) enum ListCommand {
    /// Write every active entry as `<signal_type> <hash>` lines (to FILE, or stdout).
    Export {
        /// Output file; `-` or nothing for stdout.
        file: Option<PathBuf>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Add every hash in a pytx signal file as one new case, and print that case's id and
    /// secret (to withdraw the import later). All lines are checked before anything is
    /// written. A running server picks the import up within its index poll (a second).
    Import {
        /// The file; `-` for stdin.
        file: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// pytx's name for a signal type.
fn pytx_name(kind: SignalKind) -> &'static str {
    match kind {
        SignalKind::Pdq => "pdq",
        SignalKind::Md5 => "video_md5",
        SignalKind::Sha256 => "video_sha256",
        SignalKind::Vpdq => "vpdq",
    }
}

/// Parses one line; `Ok(None)` for blank lines and `#` comments.
fn parse_line(line: &str) -> anyhow::Result<Option<Signal>> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let (kind, value) = line
        .split_once(' ')
        .context("expected `<signal_type> <hash>`, e.g. `pdq <64 hex digits>`")?;
    let (kind, quality) = match kind {
        "pdq" => ("pdq", Some(i64::from(MIN_QUALITY.get()))),
        "video_md5" | "md5" => ("md5", None),
        "video_sha256" | "sha256" => ("sha256", None),
        "vpdq" => ("vpdq", None),
        other => {
            bail!("signal type {other:?} is not supported (pdq, video_md5, video_sha256, vpdq)")
        }
    };
    Ok(Some(Signal::from_parts(kind, value.trim(), quality)?))
}

pub(crate) fn run(cmd: &ListCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ListCommand::Export { file, store } => runtime()?.block_on(export(file.as_ref(), store)),
        ListCommand::Import { file, store } => {
            let signals = read_signals(file)?;
            runtime()?.block_on(import(signals, store))
        }
    }
}

async fn export(file: Option<&PathBuf>, store: &StoreArgs) -> anyhow::Result<ExitCode> {
    let mut out: Box<dyn std::io::Write> = match file {
        Some(path) if path.as_os_str() != "-" => Box::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        ),
        _ => Box::new(std::io::stdout().lock()),
    };
    let mut out = BufWriter::new(&mut out);
    let store = store.open_existing().await?;
    let mut after = None;
    let (mut n, mut filed) = (0u64, 0u64);
    loop {
        let page = store.active_entries(after, PAGE).await?;
        let Some(&(last, _)) = page.last() else { break };
        after = Some(last);
        for (_, signal) in page {
            if signal.filing().is_some() {
                filed += 1;
                continue;
            }
            writeln!(out, "{} {}", pytx_name(signal.kind()), signal.value_hex())?;
            n += 1;
        }
    }
    out.flush()?;
    store.close().await;
    if filed > 0 {
        eprintln!(
            "exported {n} hashes; left out {filed} filed under a hash profile's parts, which \
             the file format cannot mark"
        );
    } else {
        eprintln!("exported {n} hashes");
    }
    Ok(ExitCode::SUCCESS)
}

fn read_signals(file: &PathBuf) -> anyhow::Result<Vec<Signal>> {
    let reader: Box<dyn std::io::BufRead> = if file.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::io::BufReader::new(
            std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?,
        ))
    };
    let mut signals = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("reading line {}", i + 1))?;
        if let Some(signal) = parse_line(&line).with_context(|| format!("line {}", i + 1))? {
            signals.push(signal);
        }
    }
    if signals.is_empty() {
        bail!("{} holds no hashes", file.display());
    }
    Ok(signals)
}

async fn import(signals: Vec<Signal>, store: &StoreArgs) -> anyhow::Result<ExitCode> {
    let secret = CaseSecret::random();
    let hash = credential::digest(CredentialKind::CaseSecret, secret.expose());
    let case = NewCase::bulk(CaseId::random(), hash, signals)
        .map_err(|(i, e)| anyhow::anyhow!("hash {}: {e}", i + 1))?;
    let store = store.open().await?;
    let signals = case.entries().iter().map(|(_, s)| s);
    if let Err((i, e)) = BenignList::new(store.benign_hashes().await?).check(signals) {
        let signal = &case.entries()[i].1;
        bail!(
            "{} {}: {e}. Nothing was imported",
            signal.kind(),
            signal.value_hex()
        );
    }
    store
        .create_case(&case, &Actor::Cli, Timestamp::now())
        .await
        .context("storing the imported hashes")?;
    store.close().await;
    eprintln!(
        "imported {} hashes as one case; its id and secret (shown once) withdraw them all:",
        case.entries().len()
    );
    println!("case_id {}", case.id());
    println!("secret {}", secret.expose());
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pytx_lines() {
        let pdq = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
        let s = parse_line(&format!("pdq {pdq}\n")).unwrap().unwrap();
        assert_eq!(s.value_hex(), pdq);
        assert_eq!(s.quality(), Some(MIN_QUALITY));
        assert_eq!(
            parse_line("video_md5 D41D8CD98F00B204E9800998ECF8427E")
                .unwrap()
                .unwrap()
                .kind(),
            SignalKind::Md5
        );
        assert!(parse_line("  # comment").unwrap().is_none());
        assert!(parse_line("").unwrap().is_none());
        assert!(parse_line(pdq).is_err(), "a bare hash needs its type");
        assert!(parse_line("url https://example.com").is_err());
        assert!(parse_line("pdq 1234").is_err());
        let v = parse_line(&format!(r#"vpdq ["{pdq},100,0.0", "{pdq},90,1.0"]"#))
            .unwrap()
            .unwrap();
        assert_eq!(v.kind(), SignalKind::Vpdq);
        assert_eq!(
            v.value_hex(),
            format!(r#"["{pdq},100,0.000","{pdq},90,1.000"]"#)
        );
    }
}
