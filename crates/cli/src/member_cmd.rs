//! `quell member …`: add, list, disable members and rotate their keys, directly on the
//! registry's database (the operator's bootstrap: the first admin key comes from here).

use std::process::ExitCode;

use anyhow::Context as _;
use quell_registry::{
    Actor, ApiKey, Member, NewMember, Scopes, Store, Timestamp, action_times, days_before,
};

use crate::serve_cmd::{StoreArgs, runtime};

#[derive(clap::Subcommand, Debug)]
pub(crate) enum MemberCommand {
    /// Add a member and print its API key (shown once).
    Add {
        /// Unique name: letters, digits, '-', '_', '.'.
        name: String,
        /// Comma-separated: sync, match, outcomes, admin.
        #[arg(long, value_name = "SCOPES")]
        scopes: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List members.
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Disable a member: its keys stop working (within a minute on a running server).
    Disable {
        /// The member's name.
        name: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Replace a member's keys with a new one and print it (shown once).
    RotateKey {
        /// The member's name.
        name: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Each member's time to action, as tab-separated lines: member, removals reported, median
    /// and slowest hours from a case's opening to the removal report, and how many took longer
    /// than the target.
    ActionTimes {
        /// Count cases opened in this many past days.
        #[arg(long, default_value_t = 90, value_name = "DAYS",
              value_parser = clap::value_parser!(u32).range(1..=3660))]
        since_days: u32,
        /// The target, in hours (the registry's `action_target_hours`).
        #[arg(long, default_value_t = quell_api::DEFAULT_ACTION_TARGET_HOURS, value_name = "HOURS",
              value_parser = clap::value_parser!(u32).range(1..))]
        target_hours: u32,
        #[command(flatten)]
        store: StoreArgs,
    },
}

pub(crate) fn run(cmd: &MemberCommand) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        match cmd {
            MemberCommand::Add {
                name,
                scopes,
                store,
            } => {
                let scopes: Scopes = scopes.parse()?;
                let member = NewMember::new(name, scopes)?;
                let key = ApiKey::random();
                let hash = key.stored_form();
                let store = store.open().await?;
                let added = store
                    .add_member(&member, key.id(), &hash, &Actor::Cli, Timestamp::now())
                    .await
                    .with_context(|| format!("adding member {name}"))?;
                print_key(&added, &key);
                store.close().await;
            }
            MemberCommand::ActionTimes {
                since_days,
                target_hours,
                store,
            } => {
                let store = store.open_existing().await?;
                let removals = store
                    .removals(days_before(Timestamp::now(), *since_days))
                    .await?;
                for m in action_times(&removals, *target_hours) {
                    println!(
                        "{}\t{}\t{:.1}\t{:.1}\t{}",
                        m.member,
                        m.removals,
                        m.median_hours(),
                        m.slowest_hours(),
                        m.late
                    );
                }
                store.close().await;
            }
            MemberCommand::List { store } => {
                let store = store.open_existing().await?;
                for m in store.members().await? {
                    println!(
                        "{}\t{}\t{}\t{}",
                        m.name,
                        m.scopes,
                        if m.disabled { "disabled" } else { "enabled" },
                        m.id
                    );
                }
                store.close().await;
            }
            MemberCommand::Disable { name, store } => {
                let store = store.open_existing().await?;
                store
                    .disable_member(name, &Actor::Cli, Timestamp::now())
                    .await
                    .with_context(|| format!("disabling member {name}"))?;
                println!("{name}: disabled");
                store.close().await;
            }
            MemberCommand::RotateKey { name, store } => {
                let key = ApiKey::random();
                let hash = key.stored_form();
                let store = store.open_existing().await?;
                let member = store
                    .rotate_key(name, key.id(), &hash, &Actor::Cli, Timestamp::now())
                    .await
                    .with_context(|| format!("rotating the key of member {name}"))?;
                print_key(&member, &key);
                store.close().await;
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}

fn print_key(member: &Member, key: &ApiKey) {
    eprintln!(
        "member {} ({}): API key below, shown only this once; store it in a secret manager",
        member.name, member.scopes
    );
    println!("{}", key.expose());
}
