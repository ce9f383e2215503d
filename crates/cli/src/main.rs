//! `quell`: the command-line tool.
//!
//! Everything here is a thin shell over the library crates: argument parsing, file walking,
//! parallelism, progress and output formats. `main` maps the outcome to an exit code
//! (0 success, 1 some input failed, 2 usage error) and treats a closed stdout (`| head`) as
//! success.

mod audit_cmd;
mod benign_cmd;
mod case_cmd;
mod case_report;
#[cfg(feature = "lab")]
mod eval_cmd;
mod hash;
mod index_cmd;
mod input;
mod list_cmd;
mod matcher_cmd;
mod member_cmd;
mod outcome_cmd;
mod output;
mod quarantine_cmd;
mod registry_args;
mod robust_cmd;
mod scan_cmd;
mod serve_cmd;
mod sync_cmd;
mod video;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Quell: stop the re-spread of leaked private images by their hashes.
#[derive(Parser, Debug)]
#[command(name = "quell", version, about, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Hash images (PDQ, MD5, SHA-256) and videos (vPDQ, MD5, SHA-256) on this machine.
    /// Nothing leaves the device.
    Hash(hash::HashArgs),
    /// Open, check or withdraw a case as the affected person: files are fingerprinted on this
    /// machine and only the fingerprints are sent (for videos and anything the page cannot read).
    #[command(subcommand)]
    Case(case_cmd::CaseCommand),
    /// Build an exact PDQ match index file from hashes.
    Index(index_cmd::IndexArgs),
    /// Match PDQ hashes against an index file: one line per hit, `query id distance`.
    Match(index_cmd::MatchArgs),
    /// Run the registry: cases, members, hash-list sync and matching over HTTP; or, with
    /// `--matcher`, a member-side matcher serving the same match API from a synced copy.
    Serve(Box<serve_cmd::ServeArgs>),
    /// Keep a local, verified copy of the registry's hash list (member side).
    Sync(sync_cmd::SyncArgs),
    /// Check stored media or a stored hash file against the locally synced list.
    Scan(scan_cmd::ScanArgs),
    /// Report what the platform did about a match to the registry.
    Outcome(outcome_cmd::OutcomeArgs),
    /// Manage member platforms and their API keys (directly on the database).
    #[command(subcommand)]
    Member(member_cmd::MemberCommand),
    /// Read and verify the registry's hash-chained audit log.
    #[command(subcommand)]
    Audit(audit_cmd::AuditCommand),
    /// Review quarantined entries: list them with their context, quarantine, release.
    #[command(subcommand)]
    Quarantine(quarantine_cmd::QuarantineCommand),
    /// The operator's list of known-benign hashes, which no case may register.
    #[command(subcommand)]
    Benign(benign_cmd::BenignCommand),
    /// Export or import the hash list in python-threatexchange's file format.
    #[command(subcommand)]
    List(list_cmd::ListCommand),
    /// Measure matching: robustness of hash profiles to crops, borders, screenshots, tilts
    /// (the lab's evaluation; only in a binary built with `--features lab`).
    #[cfg(feature = "lab")]
    #[command(subcommand)]
    Eval(eval_cmd::EvalCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Hash(args) => hash::run(&args),
        Command::Case(cmd) => case_cmd::run(&cmd),
        Command::Serve(args) => serve_cmd::run(&args),
        Command::Sync(args) => sync_cmd::run(&args),
        Command::Scan(args) => scan_cmd::run(&args),
        Command::Outcome(args) => outcome_cmd::run(&args),
        Command::Member(cmd) => member_cmd::run(&cmd),
        Command::Audit(cmd) => audit_cmd::run(&cmd),
        Command::Quarantine(cmd) => quarantine_cmd::run(&cmd),
        Command::Benign(cmd) => benign_cmd::run(&cmd),
        Command::List(cmd) => list_cmd::run(&cmd),
        Command::Index(args) => index_cmd::run_index(&args),
        Command::Match(args) => index_cmd::run_match(&args),
        #[cfg(feature = "lab")]
        Command::Eval(cmd) => eval_cmd::run_eval(&cmd),
    };
    match result {
        Ok(code) => code,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("quell: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
