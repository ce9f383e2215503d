//! `quell quarantine …`: review quarantined entries directly on the registry's database, as
//! `GET /v1/admin/quarantine` and the review endpoints do over HTTP. A running `quell serve`
//! picks changes made here up from the change feed.

use std::process::ExitCode;

use anyhow::Context as _;
use quell_registry::{Actor, EntryId, Store, Timestamp};

use crate::serve_cmd::{StoreArgs, runtime};

/// Entries read per query.
const PAGE: u32 = 100;

#[derive(clap::Subcommand, Debug)]
pub(crate) enum QuarantineCommand {
    /// List quarantined entries as tab-separated lines: entry, case, hash type, part, since,
    /// reason, and the members' reports (`member:outcome` separated by commas).
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Quarantine an entry: it stops matching and members receive a tombstone.
    Add {
        /// The entry, `e_…`.
        entry: EntryId,
        /// Why, for the audit log.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Release a quarantined entry: it matches again and members receive it again.
    Release {
        /// The entry, `e_…`.
        entry: EntryId,
        /// Why, for the audit log.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

pub(crate) fn run(cmd: &QuarantineCommand) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        match cmd {
            QuarantineCommand::List { store } => {
                let store = store.open_existing().await?;
                let mut after = None;
                loop {
                    let page = store.quarantined(after, PAGE).await?;
                    let Some(last) = page.last() else { break };
                    after = Some(last.entry);
                    for q in &page {
                        let (since, reason) =
                            q.since.as_ref().map_or((String::new(), ""), |(at, why)| {
                                (at.millis().to_string(), why.as_str())
                            });
                        let reports: Vec<String> = q
                            .reports
                            .iter()
                            .map(|r| format!("{}:{}", r.member, r.outcome.as_str()))
                            .collect();
                        println!(
                            "{}\t{}\t{}\t{}\t{since}\t{reason}\t{}",
                            q.entry,
                            q.case,
                            q.kind.as_str(),
                            q.filing.map_or("", |f| f.part().name()),
                            reports.join(","),
                        );
                    }
                }
                store.close().await;
            }
            QuarantineCommand::Add {
                entry,
                reason,
                store,
            } => {
                let reason = checked(reason)?;
                let store = store.open_existing().await?;
                let changed = store
                    .quarantine(*entry, reason, &Actor::Cli, Timestamp::now())
                    .await
                    .with_context(|| format!("quarantining {entry}"))?;
                store.close().await;
                println!(
                    "{entry}: {}",
                    said(changed.is_some(), "quarantined", "not active")
                );
            }
            QuarantineCommand::Release {
                entry,
                reason,
                store,
            } => {
                let reason = checked(reason)?;
                let store = store.open_existing().await?;
                let changed = store
                    .release(*entry, reason, &Actor::Cli, Timestamp::now())
                    .await
                    .with_context(|| format!("releasing {entry}"))?;
                store.close().await;
                println!(
                    "{entry}: {}",
                    said(changed.is_some(), "released", "not quarantined")
                );
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// A reason for the audit log, as the HTTP API takes it: 1 to 500 characters.
fn checked(reason: &str) -> anyhow::Result<&str> {
    let reason = reason.trim();
    anyhow::ensure!(
        !reason.is_empty() && reason.chars().count() <= 500,
        "give a --reason of 1 to 500 characters for the audit log"
    );
    Ok(reason)
}

fn said(changed: bool, done: &'static str, unchanged: &'static str) -> &'static str {
    if changed { done } else { unchanged }
}
