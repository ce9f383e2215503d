//! Quell's member side: keep a verified local copy of the registry's hash list, and act on
//! matches against a member's own stored media.
//!
//! **Key decision: the snapshot is a set keyed by entry id, and the cursor is saved with it
//! in one atomic file.** Applying a sync page is an upsert or removal *by entry id*, so
//! applying a page twice changes nothing; the entries and the cursor are written together
//! (temp file, fsync, rename, fsync of the directory) with a SHA-256 over the whole file. A
//! crash at any point leaves the previous complete snapshot, and syncing on from its cursor
//! replays what was lost: the result is exactly the registry's list, with no loss and no
//! duplicates. A file that fails its checksum is an error, never an empty list.
//!
//! The registry client is blocking (`ureq`, rustls): the sync loop is sequential by nature
//! (each page's cursor comes from the previous page), so it runs on its own thread.
//!
//! [`CaseClient`] is the affected person's side of the same API (`quell case`): it lives
//! here so both sides share one HTTP client configuration and error reading.
//!
//! Hash types are converted in one place for every crate, `quell_api::convert`.
//!
//! Errors are typed, one enum per kind of work ([`ClientError`], [`SyncError`], [`AnchorError`],
//! [`SnapshotError`], [`PageError`], [`StoredFileError`], [`OutboxError`], [`DeliveryError`],
//! and [`FileError`] for a file that cannot be read or written), and each message is whole:
//! it names the file, line, entry or URL, what is wrong and the underlying cause, so `{}`
//! says it all and there is no `source()` chain to walk.

mod anchor;
mod client;
mod snapshot;
mod stored;
mod syncer;
mod webhook;

pub use crate::anchor::{AUDIT_HEADS_FILE, AnchorError, AuditHeads};
pub use crate::client::{CaseClient, ClientError, RegistryClient};
pub use crate::snapshot::{
    Delta, FileError, PageError, SNAPSHOT_FILE, Snapshot, SnapshotDefect, SnapshotError,
};
pub use crate::stored::{StoredFileError, StoredLineError, load_stored_hashes, parse_stored_line};
pub use crate::syncer::{SyncError, SyncOptions, SyncStats, sync_until_caught_up};
pub use crate::webhook::{
    DeliveryError, MatchEvent, Outbox, OutboxError, Webhook, idempotency_key, sign,
};
