//! `quell audit …`: read the audit log and verify its hash chain.

use std::process::ExitCode;

use quell_registry::{ChainHead, ChainVerifier, Store};

use crate::serve_cmd::{StoreArgs, runtime};

/// Events read per query.
const PAGE: u32 = 10_000;

#[derive(clap::Subcommand, Debug)]
pub(crate) enum AuditCommand {
    /// Check that no event was altered, removed or reordered, and print the chain's head
    /// (`SEQ:HASH`) to keep elsewhere; exit 1 if the chain is broken or does not reach the
    /// expected head.
    Verify {
        /// A head printed by an earlier `verify` (`SEQ:HASH`): the chain must still hold that
        /// event with that hash, so deleting or rewriting the newest events is caught.
        #[arg(long, value_name = "SEQ:HASH")]
        expect_head: Option<ChainHead>,
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
            AuditCommand::Verify { expect_head, store } => {
                let store = store.open_existing().await?;
                let verdict = verify(&store, *expect_head).await;
                store.close().await;
                match verdict? {
                    Ok(head) => {
                        println!("audit chain OK: {} events, head {head}", head.seq);
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(why) => {
                        println!("audit chain BROKEN: {why}");
                        Ok(ExitCode::from(1))
                    }
                }
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

/// Walks the whole chain: its head, or why it is broken or misses `expected`.
async fn verify(
    store: &impl Store,
    expected: Option<ChainHead>,
) -> anyhow::Result<Result<ChainHead, String>> {
    let mut verifier = ChainVerifier::default();
    let mut reached = None;
    let mut after = 0;
    loop {
        let page = store.audit_events(after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for event in &page {
            if let Err(e) = verifier.push(event) {
                return Ok(Err(e.to_string()));
            }
            if expected.is_some_and(|h| h.seq == event.seq) {
                reached = Some(event.hash);
            }
        }
    }
    let head = verifier.head();
    match (expected, reached) {
        (Some(want), None) if want.seq > 0 => Ok(Err(format!(
            "it ends at event {}, before the expected head {want}: events were removed",
            head.seq
        ))),
        (Some(want), Some(hash)) if hash != want.hash => Ok(Err(format!(
            "event {} is not the expected head {want}: the chain was rewritten from there on",
            want.seq
        ))),
        _ => Ok(Ok(head)),
    }
}
