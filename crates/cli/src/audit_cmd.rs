//! `quell audit …`: read the audit log and verify its hash chain.

use std::process::ExitCode;

use quell_registry::{ChainVerifier, Store};

use crate::serve_cmd::{StoreArgs, runtime};

/// Events read per query.
const PAGE: u32 = 10_000;

#[derive(clap::Subcommand, Debug)]
pub(crate) enum AuditCommand {
    /// Check that no event was altered, removed or reordered; exit 1 if one was.
    Verify {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Print events as tab-separated lines: seq, time (ms), actor, action, subject, detail.
    List {
        /// Start after this sequence number.
        #[arg(long, default_value_t = 0)]
        after: i64,
        #[command(flatten)]
        store: StoreArgs,
    },
}

pub(crate) fn run(cmd: &AuditCommand) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        match cmd {
            AuditCommand::Verify { store } => {
                let store = store.open_existing().await?;
                let mut verifier = ChainVerifier::default();
                let mut after = 0;
                loop {
                    let page = store.audit_events(after, PAGE).await?;
                    let Some(last) = page.last() else { break };
                    after = last.seq;
                    for event in &page {
                        if let Err(e) = verifier.push(event) {
                            println!("audit chain BROKEN: {e}");
                            store.close().await;
                            return Ok(ExitCode::from(1));
                        }
                    }
                }
                println!("audit chain OK: {} events", verifier.checked());
                store.close().await;
                Ok(ExitCode::SUCCESS)
            }
            AuditCommand::List { after, store } => {
                let store = store.open_existing().await?;
                let mut after = *after;
                loop {
                    let page = store.audit_events(after, PAGE).await?;
                    let Some(last) = page.last() else { break };
                    after = last.seq;
                    for e in &page {
                        println!(
                            "{}\t{}\t{}\t{}\t{}\t{}",
                            e.seq,
                            e.at.millis(),
                            e.actor,
                            e.action,
                            e.subject,
                            e.detail
                        );
                    }
                }
                store.close().await;
                Ok(ExitCode::SUCCESS)
            }
        }
    })
}
