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
            } => review(*entry, reason, store, true).await?,
            QuarantineCommand::Release {
                entry,
                reason,
                store,
            } => review(*entry, reason, store, false).await?,
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// A reason for the audit log, as the HTTP API takes it: 1 to 500 characters.
fn checked(reason: &str) -> anyhow::Result<&str> {
    let reason = reason.trim();
    anyhow::ensure!(
        quell_registry::is_review_reason(reason),
        "give a --reason of 1 to 500 characters for the audit log"
    );
    Ok(reason)
}

/// Quarantines (`take_out`) or releases `entry`, and says whether that changed anything.
async fn review(
    entry: EntryId,
    reason: &str,
    store: &StoreArgs,
    take_out: bool,
) -> anyhow::Result<()> {
    let reason = checked(reason)?;
    let store = store.open_existing().await?;
    let (actor, now) = (Actor::Cli, Timestamp::now());
    let changed = if take_out {
        store.quarantine(entry, reason, &actor, now).await
    } else {
        store.release(entry, reason, &actor, now).await
    };
    store.close().await;
    let changed = changed
        .with_context(|| {
            format!(
                "{} {entry}",
                if take_out {
                    "quarantining"
                } else {
                    "releasing"
                }
            )
        })?
        .is_some();
    let said = match (take_out, changed) {
        (true, true) => "quarantined",
        (true, false) => "not active",
        (false, true) => "released",
        (false, false) => "not quarantined",
    };
    println!("{entry}: {said}");
    Ok(())
}
