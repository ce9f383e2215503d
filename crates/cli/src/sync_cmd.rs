//! `quell sync`: keep a local, verified copy of the registry's hash list in a data directory.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use quell_sync::{Delta, Snapshot, SyncOptions, sync_until_caught_up};

use crate::registry_args::RegistryArgs;

#[derive(clap::Args, Debug)]
pub(crate) struct SyncArgs {
    #[command(flatten)]
    registry: RegistryArgs,
    #[command(flatten)]
    local: LocalSyncArgs,
    /// Sync until caught up, then exit.
    #[arg(long, conflicts_with = "interval")]
    once: bool,
    /// Seconds between syncs when running continuously.
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    interval: u64,
}

/// Where the snapshot lives and how pages are fetched; shared with `serve --matcher`.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct LocalSyncArgs {
    /// Directory for the snapshot (`snapshot.quell`) and the webhook outbox.
    #[arg(long, value_name = "DIR")]
    pub(crate) data: Option<PathBuf>,
    /// Changes per page (1–50000; the registry's default if not given).
    #[arg(long, value_name = "N")]
    pub(crate) page_size: Option<u32>,
    /// Save the snapshot at least this often while catching up (always once caught up).
    #[arg(long, default_value_t = 5.0, value_name = "SECS")]
    pub(crate) save_every: f64,
    /// The hash profiles whose extra hashes to take, comma-separated: about 110 per photo, of
    /// its crops, trims and cuts, what finds edited copies (by default the default profile's
    /// and the one's before it, under which earlier cases were registered). `none` takes the
    /// plain hashes only (edited copies are then missed, and nothing a photo could be rebuilt
    /// from is held here). Changing it later is applied to the synced list.
    #[arg(long, value_name = "NAMES", default_value = quell_robust::Profile::DEFAULT_HELD)]
    pub(crate) profiles: String,
}

impl LocalSyncArgs {
    pub(crate) fn data(&self) -> anyhow::Result<&PathBuf> {
        self.data
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("--data DIR is required"))
    }

    pub(crate) fn options(&self) -> anyhow::Result<SyncOptions> {
        anyhow::ensure!(
            self.save_every.is_finite() && self.save_every >= 0.0,
            "--save-every must be a number of seconds, got {}",
            self.save_every
        );
        Ok(SyncOptions {
            page_size: self.page_size,
            save_every: Duration::from_secs_f64(self.save_every),
            profiles: profiles(&self.profiles)?,
        })
    }
}

pub(crate) fn run(args: &SyncArgs) -> anyhow::Result<ExitCode> {
    let client = args.registry.client()?;
    let dir = args.local.data()?;
    let options = args.local.options()?;
    let mut snapshot = Snapshot::load(dir)?;
    loop {
        match sync_until_caught_up(&client, &mut snapshot, dir, &options, &mut |_: &Delta| {
            Ok(())
        }) {
            Ok(stats) => eprintln!(
                "quell sync: {} entries (+{} −{} in {} pages)",
                snapshot.entries().len(),
                stats.upserted,
                stats.removed,
                stats.pages
            ),
            Err(e) if !args.once => eprintln!("quell sync: {e:#}; retrying"),
            Err(e) => return Err(e),
        }
        if args.once {
            return Ok(ExitCode::SUCCESS);
        }
        std::thread::sleep(Duration::from_secs(args.interval));
    }
}

/// `--profiles`: the named profiles that file hashes by part, or none.
fn profiles(names: &str) -> anyhow::Result<Vec<&'static str>> {
    if names.trim() == "none" {
        return Ok(Vec::new());
    }
    names
        .split(',')
        .map(|name| {
            let name = name.trim();
            quell_hash::FILED_PROFILES
                .iter()
                .copied()
                .find(|&p| p == name)
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "--profiles: {name:?} is not a profile whose hashes a registry files ({}), \
                         nor `none`",
                        quell_hash::FILED_PROFILES.join(", ")
                    )
                })
        })
        .collect()
}
