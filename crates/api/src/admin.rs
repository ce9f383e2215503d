//! Audit log and entry review.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One audit event.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq, Eq)]
pub struct AuditEventDto {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// When (RFC 3339).
    pub at: String,
    /// Who: `case:…`, `member:NAME`, `cli`, `system:RULE`.
    pub actor: String,
    /// What, e.g. `case.open`.
    pub action: String,
    /// To what.
    pub subject: String,
    /// Details.
    pub detail: String,
    /// The event's chain hash (hex).
    pub hash: String,
}

/// `GET /v1/admin/audit?after=N`.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq, Eq)]
pub struct AuditResponse {
    /// Events in order.
    pub events: Vec<AuditEventDto>,
}

/// `POST /v1/admin/entries/{entry_id}/quarantine`.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct QuarantineRequest {
    /// Why, for the audit log (at most 500 characters).
    pub reason: String,
}

/// An entry's state after a review action.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq, Eq)]
pub struct EntryStateResponse {
    /// The entry.
    pub entry_id: String,
    /// Whether this request changed it (false if it was already in that state, or withdrawn).
    pub changed: bool,
}
