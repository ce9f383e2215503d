//! The sync loop: pages from the registry's cursor until caught up.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::anchor::{AnchorError, AuditHeads};
use crate::client::{ClientError, RegistryClient};
use crate::snapshot::{Delta, FileError, PageError, Snapshot};

/// Why a catch-up stopped. What was saved before stays valid.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The registry could not be reached, or refused the request (a cursor it did not issue).
    #[error("fetching a page of the hash list: {0}")]
    Fetch(ClientError),
    /// A page held a malformed entry; nothing of it was applied.
    #[error(transparent)]
    Page(#[from] PageError),
    /// The snapshot could not be saved.
    #[error(transparent)]
    Save(#[from] FileError),
    /// The registry's audit chain is not the one this member saw (or the kept heads cannot
    /// be read or written); nothing of the page was applied.
    #[error(transparent)]
    Audit(#[from] AnchorError),
}

/// How a sync runs.
#[derive(Clone, Debug)]
pub struct SyncOptions {
    /// Changes per page (the registry's default when `None`).
    pub page_size: Option<u32>,
    /// Save the snapshot at least this often during a long catch-up (it is always saved
    /// once caught up). Saving rewrites the whole file, so not after every page.
    pub save_every: Duration,
    /// The hash profiles whose filed hashes (a photo's crops, trims and cuts) to take, by
    /// name; empty for plain hashes only. By default every profile this build files by part.
    pub profiles: Vec<&'static str>,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            page_size: None,
            save_every: Duration::from_secs(5),
            profiles: quell_hash::FILED_PROFILES.to_vec(),
        }
    }
}

/// What one catch-up did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SyncStats {
    /// Pages fetched.
    pub pages: u64,
    /// Entries added or changed.
    pub upserted: u64,
    /// Entries removed.
    pub removed: u64,
}

/// Fetches and applies pages until the registry has nothing newer, saving the snapshot to
/// `dir` along the way and at the end. The snapshot first takes `options.profiles`
/// ([`Snapshot::take_profiles`]): entries of profiles no longer wanted leave, through
/// `on_delta` like any removal. Each page's audit chain head is checked against the
/// heads kept in `dir` before anything of it is applied, and the newest is kept once caught
/// up (see [`AuditHeads`]). `on_delta` sees each page's changes after they are
/// applied in memory and before they are saved, so whatever it records durably (webhook
/// events) is never behind the saved cursor.
///
/// `on_delta`'s errors are returned as they are, and the loop's own ([`SyncError`]) converted
/// to the same type: `SyncError` itself for a callback that cannot fail, or the caller's
/// error type (`anyhow::Error` in the CLI).
///
/// # Errors
/// If the registry cannot be reached or refuses the cursor, its audit chain is shorter than
/// or forks from what this member saw, a page is malformed, the snapshot cannot be saved,
/// or `on_delta` fails. What was saved before stays valid.
pub fn sync_until_caught_up<E: From<SyncError>>(
    client: &RegistryClient,
    snapshot: &mut Snapshot,
    dir: &Path,
    options: &SyncOptions,
    on_delta: &mut dyn FnMut(&Delta) -> Result<(), E>,
) -> Result<SyncStats, E> {
    let mut stats = SyncStats::default();
    let mut saved_at = Instant::now();
    let mut unsaved = false;
    let mut heads = AuditHeads::load(dir).map_err(SyncError::Audit)?;
    let before = snapshot.profiles().to_vec();
    let dropped = snapshot.take_profiles(&options.profiles);
    if snapshot.profiles() != before {
        stats.removed += dropped.removed.len() as u64;
        on_delta(&dropped)?;
        snapshot.save(dir).map_err(SyncError::Save)?;
    }
    loop {
        let page = client
            .page(
                snapshot.cursor(),
                options.page_size,
                heads.seen(),
                &options.profiles,
            )
            .map_err(SyncError::Fetch)?;
        let head = heads.check(&page).map_err(SyncError::Audit)?;
        let delta = snapshot.apply(&page.entries).map_err(SyncError::Page)?;
        snapshot.set_cursor(&page.next_cursor);
        stats.pages += 1;
        stats.upserted += delta.upserted.len() as u64;
        stats.removed += delta.removed.len() as u64;
        unsaved |= !page.entries.is_empty();
        on_delta(&delta)?;
        if unsaved && (!page.has_more || saved_at.elapsed() >= options.save_every) {
            snapshot.save(dir).map_err(SyncError::Save)?;
            saved_at = Instant::now();
            unsaved = false;
        }
        if !page.has_more {
            if !Snapshot::path(dir).exists() {
                // An empty list is still a completed sync: record it.
                snapshot.save(dir).map_err(SyncError::Save)?;
            }
            if let Some(head) = head {
                heads.keep(head).map_err(SyncError::Audit)?;
            }
            return Ok(stats);
        }
    }
}
