//! The registry's domain: cases opened by affected people, the entries (hashes) they hold,
//! member platforms and their scopes, the access policy, the audit chain, and the [`Store`]
//! trait that storage backends implement.
//!
//! **Key decision: the domain knows nothing of SQL or HTTP.** Everything a backend or a route
//! could get wrong on its own (who may do what, which hashes are acceptable, how audit events
//! chain, how credentials are stored and checked) is decided here once, so the SQLite and
//! PostgreSQL backends and the HTTP layer only move data. Identifiers shown outside the
//! registry are random, never sequential: an entry id reveals nothing about the case it came
//! from, and nothing about how many cases exist.
//!
//! ```
//! use quell_registry::{Action, Principal, Scope, Scopes, authorize};
//!
//! let matcher = Principal::member_for_tests("acme", Scopes::from_iter([Scope::Match]));
//! assert!(authorize(&matcher, &Action::Match).is_ok());
//! assert!(authorize(&matcher, &Action::Sync).is_err());
//! ```

mod action;
mod audit;
mod benign;
pub mod credential;
mod ids;
mod model;
mod policy;
mod store;
mod vpdq;

pub use crate::action::{MemberActionTimes, Removal, action_times, days_before};
pub use crate::audit::{
    AuditEvent, ChainError, ChainHead, ChainVerifier, NewAuditEvent, chain_hash, verify_chain,
};
pub use crate::benign::{BenignHash, BenignList};
pub use crate::credential::{CredentialId, CredentialKind, Verified};
pub use crate::ids::{ApiKey, CaseId, CaseSecret, EntryId, KeyId, MediaId, MemberId, ParseIdError};
pub use crate::model::{
    Actor, CaseHash, CaseOutcome, CaseStatus, Change, ChangeOp, EntryState, Invalid,
    MAX_FILED_HASHES_PER_CASE, MAX_HASHES_PER_CASE, MediaCounts, Member, NewCase, NewMember,
    Outcome, OutcomeReport, ParseScopeError, QuarantinedEntry, Registration, Scope, Scopes, Signal,
    SignalKind, Timestamp, is_review_reason,
};
pub use crate::policy::{Action, Denied, Principal, authorize};
pub use crate::store::{ApiKeyRecord, CaseAuth, PAGE_VALUE_BYTES, Store, StoreError};
pub use crate::vpdq::{MAX_VPDQ_FRAMES, Vpdq};
