//! Operator routes (the `admin` scope): members, audit log, entry review.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use quell_api::{
    ActionTimesResponse, AuditEventDto, AuditResponse, EntryReportDto, EntryStateResponse,
    ErrorBody, ErrorCode, MemberActionTimesDto, MemberDto, MemberKeyResponse, MembersResponse,
    NewMemberRequest, QuarantineListResponse, QuarantineRequest, QuarantinedEntryDto,
};
use quell_registry::{ApiKey, EntryId, Member, NewMember, Scope, Scopes, Store, Timestamp};
use serde::Deserialize;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::routes::{Caller, NeedsAudit, NeedsMembers, NeedsMetrics, NeedsReview, actor};

pub(crate) fn member_dto(m: &Member) -> MemberDto {
    MemberDto {
        id: m.id.to_string(),
        name: m.name.clone(),
        scopes: m.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
        disabled: m.disabled,
        created_at: crate::time::format(m.created_at),
    }
}

/// List members.
#[utoipa::path(
    get, path = "/v1/admin/members", tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Members by name", body = MembersResponse),
        (status = 401, description = "Missing or invalid key", body = ErrorBody),
        (status = 403, description = "Key lacks the admin scope", body = ErrorBody),
    )
)]
pub(crate) async fn list_members(
    State(state): State<AppState>,
    _caller: Caller<NeedsMembers>,
) -> Result<Json<MembersResponse>, ApiError> {
    let members = state.store().members().await?;
    Ok(Json(MembersResponse {
        members: members.iter().map(member_dto).collect(),
    }))
}

/// Add a member; its API key is in the response and cannot be shown again.
#[utoipa::path(
    post, path = "/v1/admin/members", tag = "admin",
    request_body = NewMemberRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Added", body = MemberKeyResponse),
        (status = 400, description = "Invalid name or scopes", body = ErrorBody),
        (status = 401, description = "Missing or invalid key", body = ErrorBody),
        (status = 403, description = "Key lacks the admin scope", body = ErrorBody),
        (status = 409, description = "Name taken", body = ErrorBody),
    )
)]
pub(crate) async fn add_member(
    State(state): State<AppState>,
    caller: Caller<NeedsMembers>,
    ApiJson(req): ApiJson<NewMemberRequest>,
) -> Result<(StatusCode, Json<MemberKeyResponse>), ApiError> {
    let scopes = req
        .scopes
        .iter()
        .map(|s| s.parse::<Scope>())
        .collect::<Result<Scopes, _>>()
        .map_err(|e| ApiError::bad_request(ErrorCode::InvalidScope, e.to_string()))?;
    let member = NewMember::new(&req.name, scopes)
        .map_err(|e| ApiError::bad_request(ErrorCode::InvalidMember, e.to_string()))?;
    let key = ApiKey::random();
    let hash = key.stored_form();
    let stored = state
        .store()
        .add_member(
            &member,
            key.id(),
            &hash,
            &actor(&caller.principal),
            Timestamp::now(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(MemberKeyResponse {
            member: member_dto(&stored),
            api_key: key.expose().to_owned(),
        }),
    ))
}

/// Disable a member: its keys stop working at once.
#[utoipa::path(
    post, path = "/v1/admin/members/{name}/disable", tag = "admin",
    params(("name" = String, Path, description = "Member name")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Disabled", body = MemberDto),
        (status = 401, description = "Missing or invalid key", body = ErrorBody),
        (status = 403, description = "Key lacks the admin scope", body = ErrorBody),
        (status = 404, description = "No such member", body = ErrorBody),
    )
)]
pub(crate) async fn disable_member(
    State(state): State<AppState>,
    caller: Caller<NeedsMembers>,
    Path(name): Path<String>,
) -> Result<Json<MemberDto>, ApiError> {
    let member = state
        .store()
        .disable_member(&name, &actor(&caller.principal), Timestamp::now())
        .await?;
    state.0.keys.clear();
    Ok(Json(member_dto(&member)))
}

/// Replace a member's API keys with a new one, shown only in the response.
#[utoipa::path(
    post, path = "/v1/admin/members/{name}/rotate-key", tag = "admin",
    params(("name" = String, Path, description = "Member name")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Rotated", body = MemberKeyResponse),
        (status = 401, description = "Missing or invalid key", body = ErrorBody),
        (status = 403, description = "Key lacks the admin scope", body = ErrorBody),
        (status = 404, description = "No such member", body = ErrorBody),
    )
)]
pub(crate) async fn rotate_key(
    State(state): State<AppState>,
    caller: Caller<NeedsMembers>,
    Path(name): Path<String>,
) -> Result<Json<MemberKeyResponse>, ApiError> {
    let key = ApiKey::random();
    let hash = key.stored_form();
    let member = state
        .store()
        .rotate_key(
            &name,
            key.id(),
            &hash,
            &actor(&caller.principal),
            Timestamp::now(),
        )
        .await?;
    state.0.keys.clear();
    Ok(Json(MemberKeyResponse {
        member: member_dto(&member),
        api_key: key.expose().to_owned(),
    }))
}

/// Query parameters of `GET /v1/admin/audit`.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct AuditParams {
    /// Return events after this sequence number (default 0).
    after: Option<i64>,
    /// Events per page, 1–1000 (default 100).
    limit: Option<u32>,
}

/// Query parameters of `GET /v1/admin/action-times`.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ActionTimesParams {
    /// Count cases opened in this many past days, 1–3660 (default 90).
    since_days: Option<u32>,
}

/// Each member's time to action: from a case's opening to its first report of removing or
/// blocking a copy of each entry, with the median, the slowest and how many took longer than
/// the registry's target (`action_target_hours`).
#[utoipa::path(
    get, path = "/v1/admin/action-times", tag = "admin",
    params(ActionTimesParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Members' times to action", body = ActionTimesResponse),
        (status = 400, description = "Bad parameters", body = ErrorBody),
        (status = 401, description = "Missing or invalid key", body = ErrorBody),
        (status = 403, description = "Key lacks the admin scope", body = ErrorBody),
    )
)]
pub(crate) async fn action_times(
    State(state): State<AppState>,
    _caller: Caller<NeedsMetrics>,
    ApiQuery(params): ApiQuery<ActionTimesParams>,
) -> Result<Json<ActionTimesResponse>, ApiError> {
    let days = params.since_days.unwrap_or(90);
    if !(1..=3660).contains(&days) {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidLimit,
            format!("since_days must be between 1 and 3660, got {days}"),
        ));
    }
    let since = quell_registry::days_before(Timestamp::now(), days);
    let target_hours = state.0.config.about.action_target_hours;
    let removals = state.store().removals(since).await?;
    let members = quell_registry::action_times(&removals, target_hours)
        .into_iter()
        .map(|m| MemberActionTimesDto {
            median_hours: m.median_hours(),
            slowest_hours: m.slowest_hours(),
            member: m.member,
            removals: m.removals,
            late: m.late,
        })
        .collect();
    Ok(Json(ActionTimesResponse {
        target_hours,
        since: crate::time::format(since),
        members,
    }))
}

/// Read the audit log, oldest first.
#[utoipa::path(
    get, path = "/v1/admin/audit", tag = "admin",
    params(AuditParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Events", body = AuditResponse),
        (status = 400, description = "Bad parameters", body = ErrorBody),
        (status = 401, description = "Missing or invalid key", body = ErrorBody),
        (status = 403, description = "Key lacks the admin scope", body = ErrorBody),
    )
)]
pub(crate) async fn audit(
    State(state): State<AppState>,
    _caller: Caller<NeedsAudit>,
    ApiQuery(params): ApiQuery<AuditParams>,
) -> Result<Json<AuditResponse>, ApiError> {
    let limit = params.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidLimit,
            format!("limit must be between 1 and 1000, got {limit}"),
        ));
    }
    let after = params.after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidAfter,
            "after must be 0 or a sequence number from an earlier page",
        ));
    }
    let events = state.store().audit_events(after, limit).await?;
    Ok(Json(AuditResponse {
        events: events
            .into_iter()
            .map(|e| AuditEventDto {
                seq: e.seq,
                at: crate::time::format(e.at),
                actor: e.actor,
                action: e.action,
                subject: e.subject,
                detail: e.detail,
                hash: quell_hash::Sha256::from_bytes(e.hash).to_string(),
            })
            .collect(),
    }))
}

fn parse_entry(s: &str) -> Result<EntryId, ApiError> {
    s.parse().map_err(|e: quell_registry::ParseIdError| {
        ApiError::bad_request(ErrorCode::InvalidEntryId, e.to_string())
    })
}

/// Quarantine an entry: it stops matching and is tombstoned in sync until released.
#[utoipa::path(
    post, path = "/v1/admin/entries/{entry_id}/quarantine", tag = "admin",
    params(("entry_id" = String, Path, description = "Entry id, `e_…`")),
    request_body = QuarantineRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Quarantined (or already was)", body = EntryStateResponse),
        (status = 400, description = "Bad entry id or reason", body = ErrorBody),
        (status = 401, description = "Missing or invalid key", body = ErrorBody),
        (status = 403, description = "Key lacks the admin scope", body = ErrorBody),
        (status = 404, description = "No such entry", body = ErrorBody),
    )
)]
pub(crate) async fn quarantine(
    State(state): State<AppState>,
    caller: Caller<NeedsReview>,
    Path(entry): Path<String>,
    ApiJson(req): ApiJson<QuarantineRequest>,
) -> Result<Json<EntryStateResponse>, ApiError> {
    let entry = parse_entry(&entry)?;
    check_reason(&req.reason)?;
    let _in_order = state.0.list_writes.lock().await;
    let signal = state
        .store()
        .quarantine(
            entry,
            &req.reason,
            &actor(&caller.principal),
            Timestamp::now(),
        )
        .await?;
    if let Some(signal) = signal.clone() {
        state.0.matcher.remove(&[(entry, signal)]);
        crate::routes::index_changed(&state);
    }
    Ok(Json(EntryStateResponse {
        entry_id: entry.to_string(),
        changed: signal.is_some(),
    }))
}

/// A review action's reason: something for the audit log, and not a novel.
fn check_reason(reason: &str) -> Result<(), ApiError> {
    if !quell_registry::is_review_reason(reason) {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidReason,
            "give a reason of 1 to 500 characters for the audit log",
        ));
    }
    Ok(())
}

/// Release a quarantined entry: it matches again and is re-sent to members as an upsert.
#[utoipa::path(
    post, path = "/v1/admin/entries/{entry_id}/release", tag = "admin",
    params(("entry_id" = String, Path, description = "Entry id, `e_…`")),
    request_body = QuarantineRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Released (or was not quarantined)", body = EntryStateResponse),
        (status = 400, description = "Bad entry id or reason", body = ErrorBody),
        (status = 401, description = "Missing or invalid key", body = ErrorBody),
        (status = 403, description = "Key lacks the admin scope", body = ErrorBody),
        (status = 404, description = "No such entry", body = ErrorBody),
    )
)]
pub(crate) async fn release(
    State(state): State<AppState>,
    caller: Caller<NeedsReview>,
    Path(entry): Path<String>,
    ApiJson(req): ApiJson<QuarantineRequest>,
) -> Result<Json<EntryStateResponse>, ApiError> {
    let entry = parse_entry(&entry)?;
    check_reason(&req.reason)?;
    let _in_order = state.0.list_writes.lock().await;
    let signal = state
        .store()
        .release(
            entry,
            &req.reason,
            &actor(&caller.principal),
            Timestamp::now(),
        )
        .await?;
    if let Some(signal) = signal.clone() {
        state.0.matcher.insert(&[(entry, signal)]);
        crate::routes::index_changed(&state);
        metrics::counter!("quell_entries_released_total").increment(1);
    }
    Ok(Json(EntryStateResponse {
        entry_id: entry.to_string(),
        changed: signal.is_some(),
    }))
}

/// Query parameters of `GET /v1/admin/quarantine`.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct QuarantineParams {
    /// Return entries after this entry id (the last of the previous page).
    after: Option<String>,
    /// Entries per page, 1–100 (default 50).
    limit: Option<u32>,
}

/// List quarantined entries with their context: the case they belong to, since when and why
/// they are quarantined, and what members reported on them.
#[utoipa::path(
    get, path = "/v1/admin/quarantine", tag = "admin",
    params(QuarantineParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Quarantined entries", body = QuarantineListResponse),
        (status = 400, description = "Bad parameters", body = ErrorBody),
        (status = 401, description = "Missing or invalid key", body = ErrorBody),
        (status = 403, description = "Key lacks the admin scope", body = ErrorBody),
    )
)]
pub(crate) async fn quarantined(
    State(state): State<AppState>,
    _caller: Caller<NeedsReview>,
    ApiQuery(params): ApiQuery<QuarantineParams>,
) -> Result<Json<QuarantineListResponse>, ApiError> {
    let limit = params.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidLimit,
            format!("limit must be between 1 and 100, got {limit}"),
        ));
    }
    let after = params.after.as_deref().map(parse_entry).transpose()?;
    let page = state.store().quarantined(after, limit).await?;
    let entries = page
        .into_iter()
        .map(|q| QuarantinedEntryDto {
            entry_id: q.entry.to_string(),
            case_id: q.case.to_string(),
            hash_type: q.kind.into(),
            profile: q.filing.map(|f| f.profile().to_owned()),
            part: q.filing.map(|f| f.part().name().to_owned()),
            since: q.since.as_ref().map(|(at, _)| crate::time::format(*at)),
            reason: q.since.map(|(_, reason)| reason),
            reports: q
                .reports
                .into_iter()
                .map(|r| EntryReportDto {
                    member: r.member,
                    outcome: crate::routes::cases::outcome_kind(r.outcome),
                    at: crate::time::format(r.at),
                })
                .collect(),
        })
        .collect();
    Ok(Json(QuarantineListResponse { entries }))
}
