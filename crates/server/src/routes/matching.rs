//! `POST /v1/match` and `POST /v1/outcomes`, and the automatic quarantine rules they feed.

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::State;
use quell_api::{
    ErrorBody, ErrorCode, MatchRequest, MatchResponse, OutcomeKind, OutcomesRequest,
    OutcomesResponse,
};
use quell_match::{check_batch_size, matches_per_upload, parse_request, response_of};
use quell_registry::{
    Actor, EntryId, Outcome, OutcomeReport, Principal, Registration, Store, Timestamp,
};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::routes::{Caller, NeedsMatch, NeedsOutcomes};

/// Quarantines `entry` and takes it out of the index; returns whether it was active.
async fn quarantine(
    state: &AppState,
    entry: EntryId,
    reason: &str,
    actor: &Actor,
) -> Result<bool, ApiError> {
    let _in_order = state.0.list_writes.lock().await;
    let signal = state
        .store()
        .quarantine(entry, reason, actor, Timestamp::now())
        .await?;
    let quarantined = signal.is_some();
    if let Some(signal) = signal {
        state.0.matcher.remove(&[(entry, signal)]);
        crate::routes::index_changed(state);
        metrics::counter!("quell_entries_quarantined_total", "rule" => actor.to_string())
            .increment(1);
        tracing::warn!(%entry, reason, "entry quarantined");
    }
    Ok(quarantined)
}

/// Match hashes against the list.
///
/// Served from the in-memory index, which reflects every submission and withdrawal as soon as
/// it is acknowledged. PDQ hashes match within `max_distance` bits (default 31, at most 31);
/// MD5 and SHA-256 match exactly. A vPDQ hash is compared with every registered video at once
/// and matches by python-threatexchange's default decision (frames within distance 31, both
/// of quality 50 or more; at least 80 % of the query's frames found); its hits carry
/// `query_match_percent` and `compared_match_percent` instead of `distance`. A request with a
/// vPDQ hash may not set `max_distance` below 31 (400 `invalid_max_distance`). At most 10,000
/// vPDQ frames per request. A PDQ hash with `profile` and `upload` searches the hashes filed
/// under that profile (and the others of its line: `pdq-robust-v6` and v5 each search both)
/// instead of the plain ones, by the profile's plan (for v5 and v6: `whole` and `trim`
/// uploads the whole part within 44 and the variants within 36, `cut` uploads the cuts
/// within 31), each entry once at its nearest, each hit with its `profile` and `part`; such
/// a request may not set `max_distance`. Plain PDQ queries never return filed entries.
#[utoipa::path(
    post, path = "/v1/match", tag = "members",
    request_body = MatchRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One result per hash, in request order", body = MatchResponse),
        (status = 400, description = "Invalid hashes, batch size or frame count", body = ErrorBody),
        (status = 401, description = "Missing or invalid key", body = ErrorBody),
        (status = 403, description = "Key lacks the match scope", body = ErrorBody),
    )
)]
pub(crate) async fn match_hashes(
    State(state): State<AppState>,
    _caller: Caller<NeedsMatch>,
    ApiJson(req): ApiJson<MatchRequest>,
) -> Result<Json<MatchResponse>, ApiError> {
    let request = parse_request(&req)?;
    let results = state.0.matcher.lookup_all(&request);
    let hits: usize = results.iter().map(Vec::len).sum();
    metrics::counter!("quell_match_queries_total").increment(results.len() as u64);
    metrics::counter!("quell_match_hits_total").increment(hits as u64);
    if hits > 0 {
        let flooded = state.0.floods.record(
            matches_per_upload(&request.queries, &results),
            state.0.config.quarantine_after_matches,
        );
        for entry in flooded {
            let reason = format!(
                "matched {} times within {} s",
                state.0.config.quarantine_after_matches,
                state.0.config.flood_window.as_secs()
            );
            quarantine(&state, entry, &reason, &Actor::System("match-flood")).await?;
        }
    }
    // Registrations (time, media) are read only for the entries hit, which most requests
    // have none of. They inform a queue; a store that cannot give them now does not fail the
    // match.
    let hit: BTreeSet<EntryId> = results.iter().flatten().map(|&(entry, ..)| entry).collect();
    let registered: std::collections::HashMap<EntryId, Registration> = if hit.is_empty() {
        std::collections::HashMap::new()
    } else {
        let hit: Vec<EntryId> = hit.into_iter().collect();
        match state.store().registrations(&hit).await {
            Ok(found) => found.into_iter().collect(),
            Err(e) => {
                tracing::warn!(error = %e, "registrations unavailable; hits sent without them");
                std::collections::HashMap::new()
            }
        }
    };
    Ok(Json(response_of(results, |entry| {
        registered.get(&entry).copied()
    })))
}

/// Report what the platform did about matches.
///
/// Outcomes other than `false_positive` appear on the case's status (platform name, outcome,
/// date). When enough distinct members report an entry as a false positive, it is quarantined:
/// it stops matching and is tombstoned in sync until an operator reviews it.
#[utoipa::path(
    post, path = "/v1/outcomes", tag = "members",
    request_body = OutcomesRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Recorded", body = OutcomesResponse),
        (status = 400, description = "Invalid reports", body = ErrorBody),
        (status = 401, description = "Missing or invalid key", body = ErrorBody),
        (status = 403, description = "Key lacks the outcomes scope", body = ErrorBody),
        (status = 404, description = "Unknown entry (nothing recorded)", body = ErrorBody),
    )
)]
pub(crate) async fn report_outcomes(
    State(state): State<AppState>,
    caller: Caller<NeedsOutcomes>,
    ApiJson(req): ApiJson<OutcomesRequest>,
) -> Result<Json<OutcomesResponse>, ApiError> {
    let Principal::Member { id: member, .. } = caller.principal else {
        return Err(ApiError::internal(&"outcomes caller is not a member"));
    };
    check_batch_size("outcome", req.outcomes.len())?;
    let received = Timestamp::now();
    let mut reports = Vec::with_capacity(req.outcomes.len());
    for (i, o) in req.outcomes.iter().enumerate() {
        let entry: EntryId = o
            .entry_id
            .parse()
            .map_err(|e: quell_registry::ParseIdError| {
                ApiError::bad_request(
                    ErrorCode::InvalidEntryId,
                    format!("outcomes[{i}].entry_id: {e}"),
                )
            })?;
        reports.push(OutcomeReport {
            entry,
            outcome: match o.outcome {
                OutcomeKind::Blocked => Outcome::Blocked,
                OutcomeKind::UnderReview => Outcome::UnderReview,
                OutcomeKind::NotActioned => Outcome::NotActioned,
                OutcomeKind::FalsePositive => Outcome::FalsePositive,
            },
            at: OutcomeReport::plausible_time(
                crate::time::parse(&format!("outcomes[{i}].at"), &o.at)?,
                received,
            ),
        });
    }
    let recorded = state
        .store()
        .record_outcomes(member, &reports, received)
        .await?;
    for r in &reports {
        metrics::counter!("quell_outcomes_reported_total", "outcome" => r.outcome.as_str())
            .increment(1);
    }
    metrics::counter!("quell_outcomes_recorded_total").increment(u64::from(recorded));
    let disputed: BTreeSet<EntryId> = reports
        .iter()
        .filter(|r| r.outcome == Outcome::FalsePositive)
        .map(|r| r.entry)
        .collect();
    let threshold = state.0.config.quarantine_after_false_positives;
    for entry in disputed {
        let reporters = state.store().false_positive_reporters(entry).await?;
        if reporters >= threshold {
            let reason = format!("{reporters} members reported false positives");
            quarantine(
                &state,
                entry,
                &reason,
                &Actor::System("false-positive-reports"),
            )
            .await?;
        }
    }
    Ok(Json(OutcomesResponse { recorded }))
}
