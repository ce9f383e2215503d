//! `quell benign …`: the operator's list of known-benign hashes (files everyone has), which no
//! case may register. A running `quell serve` reads the list at every case opening.

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use quell_registry::{Actor, BenignHash, Store, Timestamp, is_review_reason};

use crate::serve_cmd::{StoreArgs, runtime};

#[derive(clap::Subcommand, Debug)]
pub(crate) enum BenignCommand {
    /// List the benign hashes as tab-separated lines: type, value, added (ms since the epoch),
    /// reason.
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Add hashes of a known-benign file (`quell hash FILE` prints them): no case may then
    /// register them, nor (PDQ) a hash within matching distance of them.
    Add {
        /// `TYPE:VALUE`, e.g. `md5:…`, `sha256:…`, `pdq:…` (64 hex digits).
        #[arg(required = true, value_name = "TYPE:VALUE")]
        hashes: Vec<String>,
        /// Why the file is benign, for refusals and the audit log.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Take hashes off the list.
    Remove {
        /// `TYPE:VALUE`, as listed.
        #[arg(required = true, value_name = "TYPE:VALUE")]
        hashes: Vec<String>,
        /// Why, for the audit log.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// Parses each `TYPE:VALUE` into a benign hash with `reason`, after checking the reason.
fn parse(texts: &[String], reason: &str) -> anyhow::Result<Vec<BenignHash>> {
    anyhow::ensure!(
        is_review_reason(reason),
        "--reason must say why, in 1 to 500 characters"
    );
    texts
        .iter()
        .map(|text| {
            let Some((kind, value)) = text.split_once(':') else {
                bail!("{text:?} is not TYPE:VALUE (e.g. md5:0123…)");
            };
            BenignHash::new(kind, value, reason.to_owned(), Timestamp::now())
                .with_context(|| format!("{text:?}"))
        })
        .collect()
}

pub(crate) fn run(cmd: &BenignCommand) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        match cmd {
            BenignCommand::List { store } => {
                let store = store.open_existing().await?;
                for h in store.benign_hashes().await? {
                    let added = h.added_at.millis();
                    println!("{}\t{}\t{added}\t{}", h.kind(), h.value(), h.reason);
                }
                store.close().await;
            }
            BenignCommand::Add {
                hashes,
                reason,
                store,
            } => {
                let hashes = parse(hashes, reason)?;
                let store = store.open().await?;
                for h in &hashes {
                    let added = store.add_benign(h, &Actor::Cli).await?;
                    let what = if added { "added" } else { "already listed" };
                    eprintln!("{}:{} {what}", h.kind(), h.value());
                }
                store.close().await;
            }
            BenignCommand::Remove {
                hashes,
                reason,
                store,
            } => {
                let hashes = parse(hashes, reason)?;
                let store = store.open_existing().await?;
                let mut missing = 0;
                for h in &hashes {
                    let (kind, value) = (h.kind(), h.value());
                    let removed = store
                        .remove_benign(kind, &value, reason, &Actor::Cli, Timestamp::now())
                        .await?;
                    if !removed {
                        eprintln!("{kind}:{value} is not listed");
                        missing += 1;
                    }
                }
                store.close().await;
                if missing > 0 {
                    return Ok(ExitCode::from(1));
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}
