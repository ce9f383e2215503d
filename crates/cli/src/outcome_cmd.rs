//! `quell outcome`: report what the platform did about a match back to the registry.

use std::process::ExitCode;

use quell_api::{OutcomeInput, OutcomeKind, OutcomesRequest};

use crate::registry_args::RegistryArgs;

#[derive(clap::Args, Debug)]
pub(crate) struct OutcomeArgs {
    #[command(flatten)]
    registry: RegistryArgs,
    /// The entry that matched (`e_…`, as `match` and `scan` print it).
    #[arg(long, value_name = "ID")]
    entry: String,
    /// What the platform did.
    #[arg(long, value_enum)]
    outcome: OutcomeArg,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum OutcomeArg {
    /// Blocked or removed.
    Blocked,
    /// Waiting for review.
    UnderReview,
    /// Reviewed, not acted on.
    NotActioned,
    /// The match was wrong.
    FalsePositive,
}

pub(crate) fn run(args: &OutcomeArgs) -> anyhow::Result<ExitCode> {
    let client = args.registry.client()?;
    let outcome = match args.outcome {
        OutcomeArg::Blocked => OutcomeKind::Blocked,
        OutcomeArg::UnderReview => OutcomeKind::UnderReview,
        OutcomeArg::NotActioned => OutcomeKind::NotActioned,
        OutcomeArg::FalsePositive => OutcomeKind::FalsePositive,
    };
    let at =
        time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339)?;
    let resp = client.report_outcomes(&OutcomesRequest {
        outcomes: vec![OutcomeInput {
            entry_id: args.entry.clone(),
            outcome,
            at,
        }],
    })?;
    println!("recorded {}", resp.recorded);
    Ok(ExitCode::SUCCESS)
}
