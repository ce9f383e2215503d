//! The storage interface the registry needs, one method per use case.
//!
//! Every method that changes the hash list or a member writes its audit event in the same
//! transaction, so an acknowledged change always has its audit event and no audit event
//! describes a change that was rolled back.

use std::future::Future;

use crate::action::Removal;
use crate::audit::{AuditEvent, ChainHead};
use crate::benign::BenignHash;
use crate::credential::CredentialId;
use crate::ids::{CaseId, EntryId, KeyId, MemberId};
use crate::model::{
    Actor, CaseStatus, Change, Member, NewCase, NewMember, OutcomeReport, QuarantinedEntry,
    Registration, Signal, SignalKind, Timestamp,
};

/// A storage failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The thing asked for does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The change conflicts with what is stored (e.g. a member name already taken).
    #[error("{0}")]
    Conflict(&'static str),
    /// A stored row could not be decoded: the database was changed outside Quell.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The database failed.
    #[error("database error: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// A page of [`Store::changes`] or [`Store::active_entries`] stops early once the hash values
/// of the rows before it exceed this many bytes, so a list of large vPDQ values (up to
/// ~850 kB each) is read a few dozen at a time, not tens of thousands; a page holds at most
/// this much plus one value. Every caller pages on until a page comes back empty.
pub const PAGE_VALUE_BYTES: usize = 16 << 20;

/// What is needed to check a case holder's secret.
#[derive(Clone, Debug)]
pub struct CaseAuth {
    /// The secret's stored form (see [`crate::credential`]).
    pub secret_hash: String,
}

/// A stored API key and the member it belongs to.
#[derive(Clone, Debug)]
pub struct ApiKeyRecord {
    /// The member (check [`Member::disabled`]).
    pub member: Member,
    /// The stored form of the key's secret half (see [`crate::credential`]).
    pub secret_hash: String,
    /// Whether the key was replaced by a rotation.
    pub revoked: bool,
}

/// Storage for the registry. Implemented for SQLite and PostgreSQL by `quell-store`, and
/// checked by one conformance suite on both.
///
/// Changes are durable when a method returns `Ok`.
pub trait Store: Send + Sync {
    /// Stores a new case and its entries as upserts, with a `case.open` audit event by `actor`
    /// (the case itself when a person opens it, the operator for an import).
    fn create_case(
        &self,
        case: &NewCase,
        actor: &Actor,
        at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The secret hash of a case, if it exists.
    fn case_auth(
        &self,
        id: CaseId,
    ) -> impl Future<Output = Result<Option<CaseAuth>, StoreError>> + Send;

    /// Replaces a credential's stored form `from` by `to` (an argon2 string from before
    /// digests by its digest, after a successful check); nothing if it is no longer `from`.
    fn replace_credential(
        &self,
        credential: CredentialId,
        from: &str,
        to: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// A case's status: hash counts and member outcomes.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] if there is no such case.
    fn case_status(
        &self,
        id: CaseId,
    ) -> impl Future<Output = Result<CaseStatus, StoreError>> + Send;

    /// Withdraws a case: every entry not already withdrawn becomes a tombstone, with a
    /// `case.withdraw` audit event. Returns the entries withdrawn now (empty if the case was
    /// already withdrawn).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] if there is no such case.
    fn withdraw_case(
        &self,
        id: CaseId,
        actor: &Actor,
        at: Timestamp,
    ) -> impl Future<Output = Result<Vec<(EntryId, Signal)>, StoreError>> + Send;

    /// Up to `limit` changes after sequence number `after`, in order, and fewer once their
    /// values pass [`PAGE_VALUE_BYTES`] (at least one if any). An upsert is left out
    /// when its entry is no longer active: a later tombstone for it is always delivered, so a
    /// member never needs the hash, and one that starts syncing afterwards never sees it.
    fn changes(
        &self,
        after: i64,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Change>, StoreError>> + Send;

    /// The sequence number of the newest change (0 if none).
    fn last_change(&self) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// An entry's signal, whatever its state (tombstones in the feed carry no hash; an index
    /// that must drop an MD5 or SHA-256 entry looks it up here).
    fn entry_signal(
        &self,
        entry: EntryId,
    ) -> impl Future<Output = Result<Option<Signal>, StoreError>> + Send;

    /// When and from which file each of `entries` was registered (entries that do not exist
    /// are left out): what a match answer tells members, so their queues can order by how
    /// long ago it was asked and raise one ticket per file.
    fn registrations(
        &self,
        entries: &[EntryId],
    ) -> impl Future<Output = Result<Vec<(EntryId, Registration)>, StoreError>> + Send;

    /// Up to `limit` active entries with ids above `after`, by id: what the match index holds.
    /// Fewer once their values pass [`PAGE_VALUE_BYTES`] (at least one if any).
    fn active_entries(
        &self,
        after: Option<EntryId>,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<(EntryId, Signal)>, StoreError>> + Send;

    /// Adds a member with its first key, with a `member.add` audit event.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] if the name is taken.
    fn add_member(
        &self,
        member: &NewMember,
        key: KeyId,
        key_hash: &str,
        actor: &Actor,
        at: Timestamp,
    ) -> impl Future<Output = Result<Member, StoreError>> + Send;

    /// Every member, by name.
    fn members(&self) -> impl Future<Output = Result<Vec<Member>, StoreError>> + Send;

    /// The key with this id and its member.
    fn api_key(
        &self,
        key: KeyId,
    ) -> impl Future<Output = Result<Option<ApiKeyRecord>, StoreError>> + Send;

    /// Disables a member (its keys stop working), with a `member.disable` audit event.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] if there is no such member.
    fn disable_member(
        &self,
        name: &str,
        actor: &Actor,
        at: Timestamp,
    ) -> impl Future<Output = Result<Member, StoreError>> + Send;

    /// Revokes a member's keys and stores a new one, with a `member.rotate_key` audit event.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] if there is no such member.
    fn rotate_key(
        &self,
        name: &str,
        key: KeyId,
        key_hash: &str,
        actor: &Actor,
        at: Timestamp,
    ) -> impl Future<Output = Result<Member, StoreError>> + Send;

    /// Records outcome reports, all or none; a report the member already made on the entry
    /// (the same outcome) is not recorded again. Returns how many were new.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] if any entry does not exist (nothing is written).
    fn record_outcomes(
        &self,
        member: MemberId,
        reports: &[OutcomeReport],
        received: Timestamp,
    ) -> impl Future<Output = Result<u32, StoreError>> + Send;

    /// How many distinct members reported this entry as a false positive.
    fn false_positive_reporters(
        &self,
        entry: EntryId,
    ) -> impl Future<Output = Result<u32, StoreError>> + Send;

    /// Quarantines an active entry: it becomes a tombstone in sync and stops matching, with
    /// an `entry.quarantine` audit event. Returns the entry's signal if it was active, `None`
    /// if it was already quarantined or withdrawn (then nothing is written).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] if there is no such entry.
    fn quarantine(
        &self,
        entry: EntryId,
        reason: &str,
        actor: &Actor,
        at: Timestamp,
    ) -> impl Future<Output = Result<Option<Signal>, StoreError>> + Send;

    /// Releases a quarantined entry back to active (an upsert in sync), with an
    /// `entry.release` audit event that keeps `reason`. Returns its signal if it was
    /// quarantined, else `None`.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] if there is no such entry.
    fn release(
        &self,
        entry: EntryId,
        reason: &str,
        actor: &Actor,
        at: Timestamp,
    ) -> impl Future<Output = Result<Option<Signal>, StoreError>> + Send;

    /// Up to `limit` quarantined entries after `after`, by entry id, with their context.
    fn quarantined(
        &self,
        after: Option<EntryId>,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<QuarantinedEntry>, StoreError>> + Send;

    /// The audit chain's head: its newest event's sequence number and hash, or with `at`, the
    /// event at that sequence number (`None` if the chain has no such event). An empty chain,
    /// and `at` 0, give sequence number 0 and a zero hash.
    fn audit_head(
        &self,
        at: Option<i64>,
    ) -> impl Future<Output = Result<Option<ChainHead>, StoreError>> + Send;

    /// Each member's first removal report per entry, for entries of cases opened at or after
    /// `since` (time to action, see [`crate::action_times`]).
    fn removals(
        &self,
        since: Timestamp,
    ) -> impl Future<Output = Result<Vec<Removal>, StoreError>> + Send;

    /// The operator's list of known-benign hashes.
    fn benign_hashes(&self) -> impl Future<Output = Result<Vec<BenignHash>, StoreError>> + Send;

    /// Lists a known-benign hash, with a `benign.add` audit event; `false` (nothing written)
    /// if it is listed already.
    fn add_benign(
        &self,
        hash: &BenignHash,
        actor: &Actor,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Unlists a known-benign hash (its canonical value), with a `benign.remove` audit event
    /// and `reason`; `false` (nothing written) if it is not listed.
    fn remove_benign(
        &self,
        kind: SignalKind,
        value: &str,
        reason: &str,
        actor: &Actor,
        at: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Up to `limit` audit events after sequence number `after`, in order.
    fn audit_events(
        &self,
        after: i64,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<AuditEvent>, StoreError>> + Send;
}
