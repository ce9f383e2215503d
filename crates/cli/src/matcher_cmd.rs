//! `quell serve --matcher`: the member-side matcher. Serves `POST /v1/match` from the locally
//! synced list, syncs on in the background, and (with `--stored-hashes`) checks each delta's
//! new entries against the member's stored hashes and reports matches to its webhook.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use quell_api::convert::time_to_wire;
use quell_api::{HashType, MediaKind};
use quell_hash::Filing;
use quell_match::{Matcher, StoredHashes, StoredMatch};
use quell_registry::{EntryId, MediaId, Registration, Timestamp};
use quell_robust::Profile;
use quell_server::{HashedUpload, Sidecar, UploadHasher};
use quell_sync::{
    Delta, MatchEvent, Outbox, Snapshot, Webhook, load_stored_hashes, sync_until_caught_up,
};

use crate::hash::{DEFAULT_MEMORY_BYTES, MemoryGate, hash_upload};
use crate::registry_args::RegistryArgs;
use crate::sync_cmd::LocalSyncArgs;

/// The ids of `quell serve`'s flags that only the registry uses (`StoreArgs` and
/// `LimitArgs` in `serve_cmd`): the matcher has no database and no unauthenticated
/// endpoints to rate-limit.
const REGISTRY_ONLY: [&str; 7] = [
    "data_dir",
    "database_url",
    "case_open_limit",
    "auth_failure_limit",
    "client_ip_header",
    "quarantine_after",
    "about",
];

/// The flags of `serve --matcher`.
#[derive(clap::Args, Debug)]
pub(crate) struct MatcherArgs {
    /// Run as a member-side matcher from a local copy of the list instead of as the registry.
    /// The registry's own flags (its database and its per-client rate limits) are refused
    /// with it rather than silently ignored.
    #[arg(long, conflicts_with_all = REGISTRY_ONLY)]
    pub(crate) matcher: bool,
    #[command(flatten)]
    registry: RegistryArgs,
    #[command(flatten)]
    local: LocalSyncArgs,
    /// A file holding the key clients of this matcher must send as `Authorization: Bearer`
    /// (or set `QUELL_MATCHER_KEY`).
    #[arg(long, value_name = "FILE")]
    matcher_key_file: Option<PathBuf>,
    /// Answer HMA's hash lookups (`GET /m/raw_lookup`, `GET /m/lookup`, `/m/index/status`)
    /// without the local key, for HMA's clients, which send none. Every other route, file
    /// lookups included, still needs it; run such a matcher on a private address only.
    #[arg(long)]
    hma_without_key: bool,
    /// Seconds between background syncs.
    #[arg(long, default_value_t = 5.0, value_name = "SECS")]
    sync_interval: f64,
    /// Seconds without a successful sync after which `/readyz` answers 503: the matcher's
    /// copy of the list may then miss new entries and still hold withdrawn ones.
    #[arg(long, default_value_t = 600.0, value_name = "SECS")]
    stale_after: f64,
    /// The member's stored hashes (JSON lines as `quell hash --json` writes): each delta's
    /// new entries are checked against them and matches sent to `--webhook`.
    #[arg(long, value_name = "FILE", requires = "webhook")]
    stored_hashes: Option<PathBuf>,
    /// Where match events are POSTed (signed, retried, deduplicable by `Idempotency-Key`).
    #[arg(long, value_name = "URL", requires = "webhook_secret_file")]
    webhook: Option<String>,
    /// A file holding the webhook signing secret.
    #[arg(long, value_name = "FILE")]
    webhook_secret_file: Option<PathBuf>,
    /// The first webhook retry waits about this long, doubling after each failure.
    #[arg(long, default_value_t = 1000, value_name = "MS")]
    webhook_backoff_ms: u64,
}

impl MatcherArgs {
    /// Refuses matcher flags on a plain `quell serve`, where they would be silently ignored.
    pub(crate) fn refuse_without_matcher(&self) -> anyhow::Result<()> {
        if !self.matcher
            && (self.registry.registry.is_some()
                || self.local.data.is_some()
                || self.stored_hashes.is_some()
                || self.webhook.is_some()
                || self.matcher_key_file.is_some()
                || self.hma_without_key)
        {
            bail!(
                "--registry, --data, --stored-hashes, --webhook, --matcher-key-file and \
                 --hma-without-key need --matcher"
            );
        }
        Ok(())
    }
}

fn read_secret(path: &PathBuf, what: &str) -> anyhow::Result<String> {
    let s = std::fs::read_to_string(path)
        .with_context(|| format!("reading the {what} from {}", path.display()))?;
    let s = s.trim().to_owned();
    if s.len() < 16 {
        bail!(
            "the {what} in {} is shorter than 16 characters",
            path.display()
        );
    }
    Ok(s)
}

pub(crate) async fn serve(args: &MatcherArgs, listen: std::net::SocketAddr) -> anyhow::Result<()> {
    // Checked now, so a missing key stops the start; read again before every sync.
    args.registry.client()?;
    let registry = args.registry.clone();
    let dir = args.local.data()?.clone();
    let options = args.local.options()?;
    let local_key = match &args.matcher_key_file {
        Some(path) => read_secret(path, "matcher key")?,
        None => std::env::var("QUELL_MATCHER_KEY").map_err(|_| {
            anyhow::anyhow!(
                "the matcher needs a local key for its clients: --matcher-key-file or QUELL_MATCHER_KEY"
            )
        })?,
    };
    anyhow::ensure!(
        args.sync_interval.is_finite() && args.sync_interval > 0.0,
        "--sync-interval must be a positive number of seconds"
    );
    let interval = Duration::from_secs_f64(args.sync_interval);
    anyhow::ensure!(
        args.stale_after.is_finite() && args.stale_after >= args.sync_interval,
        "--stale-after must be a number of seconds no smaller than --sync-interval"
    );
    let stale_after = Duration::from_secs_f64(args.stale_after);
    let webhook = match (&args.webhook, &args.webhook_secret_file) {
        (Some(url), Some(secret)) => {
            let mut w = Webhook::new(url, read_secret(secret, "webhook secret")?.as_bytes());
            w.backoff_base = Duration::from_millis(args.webhook_backoff_ms.max(1));
            Some((w, Outbox::open(&dir)?))
        }
        _ => None,
    };
    let stored = args
        .stored_hashes
        .as_ref()
        .map(|p| load_stored_hashes(p))
        .transpose()?;

    let mut snapshot = Snapshot::load(&dir)?;
    let entries: Vec<_> = snapshot
        .entries()
        .iter()
        .map(|(&id, s)| (id, s.clone()))
        .collect();
    let matcher = tokio::task::spawn_blocking(move || Matcher::from_entries(entries)).await?;
    let uploads = Uploads {
        gate: MemoryGate::new(DEFAULT_MEMORY_BYTES, rayon::current_num_threads()),
    };
    let mut sidecar = Sidecar::with_stale_after(matcher, &local_key, stale_after)
        .with_upload_hasher(Arc::new(uploads));
    if args.hma_without_key {
        sidecar = sidecar.with_hma_without_key();
    }
    let registered: Vec<_> = snapshot
        .registered()
        .iter()
        .map(|(&id, &registration)| (id, registration))
        .collect();
    sidecar.apply(&[], &[], &registered);

    if let Some((webhook, outbox)) = webhook.clone() {
        std::thread::spawn(move || webhook.run(&outbox, &|| true));
    }
    let outbox = webhook.map(|(_, o)| o);
    let background = sidecar.clone();
    let stored = stored.map(Arc::new);
    std::thread::spawn(move || {
        let mut on_delta = |delta: &Delta| -> anyhow::Result<()> {
            background.apply(&delta.removed, &delta.upserted, &delta.registered);
            if let (Some(stored), Some(outbox)) = (&stored, &outbox) {
                report_matches(stored, outbox, delta)?;
            }
            Ok(())
        };
        loop {
            // The key file is read again before each sync, so replacing a rotated key there
            // is the whole fix: no restart, and `/readyz` recovers with the next sync.
            let synced = registry.client().and_then(|client| {
                sync_until_caught_up(&client, &mut snapshot, &dir, &options, &mut on_delta)
            });
            match synced {
                Ok(stats) => {
                    background.sync_succeeded();
                    if stats.upserted + stats.removed > 0 {
                        tracing::info!(
                            upserted = stats.upserted,
                            removed = stats.removed,
                            entries = snapshot.entries().len(),
                            "synced"
                        );
                    }
                }
                Err(e) => {
                    let error = format!("{e:#}");
                    tracing::error!(%error, "sync failed; retrying");
                    background.sync_failed(&error);
                }
            }
            std::thread::sleep(interval);
        }
    });

    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let addr = listener.local_addr().context("reading the bound address")?;
    tracing::info!(%addr, "quell matcher listening");
    println!("quell: listening on http://{addr}");
    quell_server::serve_sidecar(listener, sidecar, crate::serve_cmd::shutdown_signal())
        .await
        .context("serving HTTP")?;
    Ok(())
}

/// Reads the files sent to the matcher (`POST /v1/match/file`, HMA's `POST /m/lookup`) as
/// `quell scan` reads stored media, with the default profile's upload searches when the list
/// holds its hashes.
#[derive(Debug)]
struct Uploads {
    gate: MemoryGate,
}

impl UploadHasher for Uploads {
    fn hash(&self, bytes: &[u8], robust: bool) -> Result<HashedUpload, String> {
        let (item, unread) = hash_upload(bytes, robust.then_some(Profile::DEFAULT), &self.gate)?;
        let media = if item.vpdq.is_some() {
            MediaKind::Video
        } else if item.pdq.is_some() {
            MediaKind::Image
        } else {
            MediaKind::Other
        };
        let mut queries = item.plain_queries();
        queries.extend(item.filed.into_iter().map(|q| (HashType::Pdq, q)));
        Ok(HashedUpload {
            media,
            unread,
            queries,
        })
    }
}

/// Puts a webhook event in the outbox for every stored item a delta's new entries match: one
/// per item and registered file (media), for the file's nearest entry, so a stored copy that
/// several hashes of one photo find is one ticket.
fn report_matches(stored: &StoredHashes, outbox: &Outbox, delta: &Delta) -> anyhow::Result<()> {
    let found = stored.check(&delta.upserted);
    if found.is_empty() {
        return Ok(());
    }
    let now = time_to_wire(Timestamp::now());
    let registered: HashMap<EntryId, Registration> = delta.registered.iter().copied().collect();
    let filings: HashMap<EntryId, Filing> = delta
        .upserted
        .iter()
        .filter_map(|(id, s)| s.filing().map(|f| (*id, f)))
        .collect();
    let mut nearest: BTreeMap<(usize, MediaId), StoredMatch> = BTreeMap::new();
    for m in found {
        // An entry whose media is not known stands alone.
        let media = registered
            .get(&m.entry)
            .map_or(MediaId::of_lone_entry(m.entry), |r| r.media);
        match nearest.entry((m.item, media)) {
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(m);
            }
            std::collections::btree_map::Entry::Occupied(mut slot) => {
                if m.closeness.is_closer_than(slot.get().closeness) {
                    slot.insert(m);
                }
            }
        }
    }
    for m in nearest.into_values() {
        let percentages = m.closeness.video();
        let registration = registered.get(&m.entry);
        outbox.enqueue(&MatchEvent {
            event: "match".to_owned(),
            entry_id: m.entry.to_string(),
            item: stored.items()[m.item].path.clone(),
            distance: m.closeness.distance(),
            query_match_percent: percentages.map(|p| p.query_match_pct),
            compared_match_percent: percentages.map(|p| p.compared_match_pct),
            kind: m.kind,
            matched_at: now.clone(),
            registered_at: registration.map(|r| time_to_wire(r.at)),
            media_id: registration.map(|r| r.media.to_string()),
            profile: filings.get(&m.entry).map(|f| f.profile().to_owned()),
            part: filings.get(&m.entry).map(|f| f.part().name().to_owned()),
        })?;
    }
    Ok(())
}
