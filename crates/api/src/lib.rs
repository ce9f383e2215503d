//! The registry's HTTP wire types, version 1, and their OpenAPI schemas.
//!
//! **Key decision: the wire carries strings, the domain validates them.** Hashes, ids and
//! times travel as strings and are parsed by the server with `quell-registry`'s rules, so a bad
//! value is reported with the field and position in words a person can act on, instead of a
//! deserializer's generic message. Every request type refuses unknown fields, so a typo
//! (`"qualty"`) is an error rather than a silently ignored value.
//!
//! This is the only crate whose types cross the process boundary as JSON.

mod about;
mod admin;
mod cases;
#[cfg(feature = "registry")]
pub mod convert;
mod error;
mod members;

pub use crate::about::{DEFAULT_ACTION_TARGET_HOURS, HelpResource, RegistryAbout};
pub use crate::admin::{
    ActionTimesResponse, AuditEventDto, AuditResponse, EntryReportDto, EntryStateResponse,
    MemberActionTimesDto, QuarantineListResponse, QuarantineRequest, QuarantinedEntryDto,
};
pub use crate::cases::{
    CaseOutcomeDto, CaseStatusResponse, FileMatchHit, FileMatchResponse, HashCounts, HashInput,
    HashType, MatchHit, MatchQuery, MatchRequest, MatchResponse, MatchResult, MediaCountsDto,
    MediaKind, OpenCaseRequest, OpenCaseResponse, OutcomeInput, OutcomeKind, OutcomesRequest,
    OutcomesResponse, SyncEntry, SyncOp, SyncResponse, WithdrawResponse,
};
pub use crate::error::{ErrorBody, ErrorCode, ErrorDetail};
pub use crate::members::{MemberDto, MemberKeyResponse, MembersResponse, NewMemberRequest};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `GET /healthz`.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq, Eq)]
pub struct Health {
    /// Always `ok` when the server answers.
    pub status: String,
    /// Entries in the match index.
    pub indexed_entries: u64,
}

/// `GET /healthz` on a member's matcher (`quell serve --matcher`): alive, and how fresh its
/// copy of the list is.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq, Eq)]
pub struct MatcherHealth {
    /// Always `ok` when the matcher answers.
    pub status: String,
    /// Entries in the match index.
    pub indexed_entries: u64,
    /// When the last sync that reached the registry's newest change finished (RFC 3339);
    /// absent before the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sync: Option<String>,
    /// Seconds since then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_age_seconds: Option<u64>,
    /// Syncs that failed since the last one that succeeded.
    pub sync_failures: u64,
    /// Why the latest sync failed, while failures continue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}
