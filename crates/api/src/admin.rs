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

/// `GET /v1/admin/action-times?since_days=N`: each member's time from a case's opening to
/// reporting a removal, against the registry's target.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct ActionTimesResponse {
    /// The registry's target (`action_target_hours`).
    pub target_hours: u32,
    /// Cases opened since this time are counted (RFC 3339).
    pub since: String,
    /// Members that reported a removal, by name.
    pub members: Vec<MemberActionTimesDto>,
}

/// One member's removals.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct MemberActionTimesDto {
    /// The member's name.
    pub member: String,
    /// Entries it reported removing (its first report on each).
    pub removals: u32,
    /// Median hours from a case's opening to the registry receiving the removal report.
    pub median_hours: f64,
    /// The slowest, in hours.
    pub slowest_hours: f64,
    /// Removals reported later than the target.
    pub late: u32,
}

/// `POST /v1/admin/entries/{entry_id}/quarantine` and `…/release`.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct QuarantineRequest {
    /// Why, for the audit log (1 to 500 characters).
    pub reason: String,
}

/// A member's report on a quarantined entry.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq, Eq)]
pub struct EntryReportDto {
    /// The member.
    pub member: String,
    /// What it reported.
    pub outcome: crate::OutcomeKind,
    /// When (RFC 3339).
    pub at: String,
}

/// A quarantined entry with what an operator needs to review it.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq, Eq)]
pub struct QuarantinedEntryDto {
    /// The entry.
    pub entry_id: String,
    /// The case it belongs to: the media a person registered.
    pub case_id: String,
    /// Its hash type.
    #[serde(rename = "type")]
    pub hash_type: crate::HashType,
    /// The hash profile a filed PDQ hash is filed under.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// The part it is filed under.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
    /// When it was quarantined (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// Why, as the audit log has it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What members reported on it, oldest first.
    pub reports: Vec<EntryReportDto>,
}

/// `GET /v1/admin/quarantine?after=ENTRY&limit=N`.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq, Eq)]
pub struct QuarantineListResponse {
    /// Quarantined entries by entry id; pass the last one's id as `after` for the next page.
    pub entries: Vec<QuarantinedEntryDto>,
}

/// An entry's state after a review action.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq, Eq)]
pub struct EntryStateResponse {
    /// The entry.
    pub entry_id: String,
    /// Whether this request changed it (false if it was already in that state, or withdrawn).
    pub changed: bool,
}
