//! The affected person's routes: open a case, read its status, withdraw it.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use quell_api::{
    CaseOutcomeDto, CaseStatusResponse, ErrorBody, ErrorCode, HashCounts, HashInput,
    OpenCaseRequest, OpenCaseResponse, OutcomeKind, WithdrawResponse,
};
use quell_registry::{
    Action, Actor, BenignList, CaseHash, CaseId, Invalid, MAX_FILED_HASHES_PER_CASE,
    MAX_HASHES_PER_CASE, NewCase, Outcome, Principal, SignalKind, Store, Timestamp, authorize,
};

use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::{AppState, auth, time};

pub(crate) fn outcome_kind(o: Outcome) -> OutcomeKind {
    match o {
        Outcome::Blocked => OutcomeKind::Blocked,
        Outcome::UnderReview => OutcomeKind::UnderReview,
        Outcome::NotActioned => OutcomeKind::NotActioned,
        Outcome::FalsePositive => OutcomeKind::FalsePositive,
    }
}

fn invalid(position: usize, e: &Invalid) -> ApiError {
    let code = match e {
        Invalid::LowQuality(_) | Invalid::LowQualityVideo(_) => ErrorCode::LowQuality,
        Invalid::EmptyFile(_) => ErrorCode::EmptyFile,
        Invalid::KnownBenign { .. } => ErrorCode::KnownBenign,
        Invalid::NoHashes => ErrorCode::NoHashes,
        Invalid::TooManyHashes(_) | Invalid::TooManyFiledHashes(_) => ErrorCode::TooManyHashes,
        _ => ErrorCode::InvalidHash,
    };
    metrics::counter!("quell_case_refusals_total", "reason" => code.as_str()).increment(1);
    match e {
        Invalid::NoHashes | Invalid::TooManyHashes(_) | Invalid::TooManyFiledHashes(_) => {
            ApiError::bad_request(code, e.to_string())
        }
        _ => ApiError::bad_request(code, format!("hashes[{position}]: {e}")),
    }
}

fn case_hash(position: usize, h: &HashInput) -> Result<CaseHash, ApiError> {
    let (profile, part) = (h.profile.as_deref(), h.part.as_deref());
    let signal = quell_api::convert::signal_of(h.kind, &h.value, h.quality, profile, part)
        .map_err(|e| invalid(position, &e))?;
    Ok(CaseHash {
        file: h.file,
        signal,
    })
}

pub(crate) fn parse_case_id(s: &str) -> Result<CaseId, ApiError> {
    s.parse().map_err(|e: quell_registry::ParseIdError| {
        ApiError::bad_request(ErrorCode::InvalidCaseId, e.to_string())
    })
}

/// Open a case with hashes only.
///
/// No account is needed. The response holds the case id and a secret shown only once: keep
/// both to check the case's status or withdraw it. PDQ hashes of quality below 50 are refused,
/// and so are vPDQ hashes none of whose frames reaches quality 50.
#[utoipa::path(
    post, path = "/v1/cases", tag = "cases",
    request_body = OpenCaseRequest,
    responses(
        (status = 201, description = "Case opened", body = OpenCaseResponse),
        (status = 400, description = "Invalid hashes", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
    )
)]
pub(crate) async fn open_case(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<OpenCaseRequest>,
) -> Result<(StatusCode, Json<OpenCaseResponse>), ApiError> {
    authorize(&Principal::Anonymous, &Action::OpenCase)?;
    // Parsing is bounded before the per-kind limits are checked on the parsed signals.
    if req.hashes.len() > MAX_HASHES_PER_CASE + MAX_FILED_HASHES_PER_CASE {
        return Err(invalid(0, &Invalid::TooManyHashes(req.hashes.len())));
    }
    let hashes = req
        .hashes
        .iter()
        .enumerate()
        .map(|(i, h)| case_hash(i, h))
        .collect::<Result<Vec<_>, _>>()?;
    BenignList::new(state.store().benign_hashes().await?)
        .check(hashes.iter().map(|h| &h.signal))
        .map_err(|(i, e)| invalid(i, &e))?;
    let (case, secret) = NewCase::open(hashes).map_err(|(i, e)| invalid(i, &e))?;
    let _in_order = state.0.list_writes.lock().await;
    state
        .store()
        .create_case(&case, &Actor::Case(case.id()), Timestamp::now())
        .await?;
    state.0.matcher.insert(case.entries());
    crate::routes::index_changed(&state);
    metrics::counter!("quell_cases_opened_total").increment(1);
    Ok((
        StatusCode::CREATED,
        Json(OpenCaseResponse {
            case_id: case.id().to_string(),
            secret: secret.expose().to_owned(),
            hashes: u32::try_from(case.entries().len()).unwrap_or(u32::MAX),
            media: case.media_counts().into(),
        }),
    ))
}

/// Parses a case id from the path and proves that the caller holds the case's secret and may
/// do `action` on it.
async fn authorized_case(
    state: &AppState,
    case_id: &str,
    headers: &HeaderMap,
    action: fn(CaseId) -> Action,
) -> Result<CaseId, ApiError> {
    let case = parse_case_id(case_id)?;
    let who = auth::case_holder(state, headers, case).await?;
    authorize(&who, &action(case))?;
    Ok(case)
}

/// A case's status: how many hashes, and what member platforms reported.
///
/// Needs the case's secret as `Authorization: Bearer <secret>`. Shows platform names, outcomes
/// and dates, never URLs or media.
#[utoipa::path(
    get, path = "/v1/cases/{case_id}", tag = "cases",
    params(("case_id" = String, Path, description = "The case id, `c_…`")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Status", body = CaseStatusResponse),
        (status = 401, description = "Missing or wrong secret", body = ErrorBody),
        (status = 403, description = "Not the case's secret", body = ErrorBody),
    )
)]
pub(crate) async fn case_status(
    State(state): State<AppState>,
    Path(case_id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<CaseStatusResponse>, ApiError> {
    let case = authorized_case(&state, &case_id, &headers, Action::ReadCase).await?;
    let inner = &state.0;
    let status = inner.store.case_status(case).await?;
    let audit_head = inner.store.audit_head(None).await?.map(|h| h.to_string());
    let mut hashes = HashCounts {
        pdq_filed: status.filed,
        ..HashCounts::default()
    };
    for (kind, n) in status.hashes {
        match kind {
            SignalKind::Pdq => hashes.pdq = n,
            SignalKind::Md5 => hashes.md5 = n,
            SignalKind::Sha256 => hashes.sha256 = n,
            SignalKind::Vpdq => hashes.vpdq = n,
        }
    }
    Ok(Json(CaseStatusResponse {
        case_id: case.to_string(),
        opened_at: time::format(status.opened_at),
        withdrawn_at: status.withdrawn_at.map(time::format),
        hashes,
        media: status.media.map(Into::into),
        outcomes: status
            .outcomes
            .into_iter()
            .map(|o| CaseOutcomeDto {
                member: o.member,
                outcome: outcome_kind(o.outcome),
                at: time::format(o.at),
            })
            .collect(),
        paused: status.paused,
        audit_head,
    }))
}

/// Withdraw a case: every hash becomes a tombstone that reaches every member, and stops
/// matching at once.
#[utoipa::path(
    post, path = "/v1/cases/{case_id}/withdraw", tag = "cases",
    params(("case_id" = String, Path, description = "The case id, `c_…`")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Withdrawn", body = WithdrawResponse),
        (status = 401, description = "Missing or wrong secret", body = ErrorBody),
        (status = 403, description = "Not the case's secret", body = ErrorBody),
    )
)]
pub(crate) async fn withdraw_case(
    State(state): State<AppState>,
    Path(case_id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<WithdrawResponse>, ApiError> {
    let case = authorized_case(&state, &case_id, &headers, Action::WithdrawCase).await?;
    let inner = &state.0;
    let _in_order = inner.list_writes.lock().await;
    let removed = inner
        .store
        .withdraw_case(case, &Actor::Case(case), Timestamp::now())
        .await?;
    inner.matcher.remove(&removed);
    crate::routes::index_changed(&state);
    if !removed.is_empty() {
        metrics::counter!("quell_cases_withdrawn_total").increment(1);
    }
    let status = inner.store.case_status(case).await?;
    Ok(Json(WithdrawResponse {
        case_id: case.to_string(),
        withdrawn_at: time::format(status.withdrawn_at.unwrap_or_else(Timestamp::now)),
        withdrawn_hashes: u32::try_from(removed.len()).unwrap_or(u32::MAX),
    }))
}
