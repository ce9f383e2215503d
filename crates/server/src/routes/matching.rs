//! `POST /v1/match` and `POST /v1/outcomes`, and the automatic quarantine rules they feed.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use quell_api::{
    ErrorBody, HashType, MatchHit, MatchQuery, MatchRequest, MatchResponse, MatchResult,
    OutcomeKind, OutcomesRequest, OutcomesResponse,
};
use quell_hash::{Distance, FILED_PROFILES, MATCH_DISTANCE, UploadKind, filed_plan};
use quell_registry::{
    Actor, EntryId, MAX_VPDQ_FRAMES, Outcome, OutcomeReport, Principal, Store, Timestamp,
};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::matching::{Closeness, Hit, Matcher, Query};
use crate::routes::{Caller, NeedsMatch, NeedsOutcomes};

/// Most hashes per match or outcomes request.
pub(crate) const MAX_BATCH: usize = 1000;

/// Most vPDQ frames per match request, over all its vPDQ queries: a video costs one search
/// per frame, so it is the frames, not the hashes, that bound a request's work. The same as
/// the most frames one registered vPDQ may hold, so any registered video can be queried.
pub(crate) const MAX_FRAMES_PER_REQUEST: usize = MAX_VPDQ_FRAMES;

fn batch_size(what: &str, n: usize) -> Result<(), ApiError> {
    if n == 0 {
        return Err(ApiError::bad_request(
            "empty_batch",
            format!("send at least one {what}"),
        ));
    }
    if n > MAX_BATCH {
        return Err(ApiError::bad_request(
            "batch_too_large",
            format!("send at most {MAX_BATCH} {what}s per request, got {n}"),
        ));
    }
    Ok(())
}

fn query_of(i: usize, q: &MatchQuery) -> Result<Query, ApiError> {
    let value = q.value.as_str();
    let bad = |e: quell_hash::ParseHexError| {
        ApiError::bad_request("invalid_hash", format!("hashes[{i}]: {e}"))
    };
    let invalid =
        |why: String| ApiError::bad_request("invalid_hash", format!("hashes[{i}]: {why}"));
    let filed = match (q.profile.as_deref(), q.upload.as_deref()) {
        (None, None) => None,
        (Some(profile), Some(upload)) => {
            if q.kind != HashType::Pdq {
                return Err(invalid(
                    "only PDQ hashes are searched under a hash profile; remove profile and \
                     upload"
                        .to_owned(),
                ));
            }
            let kind = UploadKind::from_name(upload).ok_or_else(|| {
                invalid(format!(
                    "unknown upload {upload:?}: use \"whole\", \"whole_turned\", \"trim\", \
                     \"trim_turned\" or \"cut\""
                ))
            })?;
            let searches = filed_plan(profile, kind).map_err(|e| invalid(e.to_string()))?;
            let profile = FILED_PROFILES
                .into_iter()
                .find(|&p| p == profile)
                .expect("filed_plan knows only filed profiles");
            Some((profile, searches))
        }
        _ => {
            return Err(invalid(
                "a profile search needs both its profile and its upload".to_owned(),
            ));
        }
    };
    Ok(match q.kind {
        HashType::Pdq => match filed {
            None => Query::Pdq(value.parse().map_err(bad)?),
            Some((profile, searches)) => Query::Filed {
                hash: value.parse().map_err(bad)?,
                profile,
                searches,
            },
        },
        HashType::Md5 => Query::Md5(value.parse().map_err(bad)?),
        HashType::Sha256 => Query::Sha256(value.parse().map_err(bad)?),
        // Unlike a case, a query whose frames are all below quality 50 is not refused: it
        // simply matches nothing, as it would at any pytx matcher.
        HashType::Vpdq => Query::Vpdq(std::sync::Arc::new(
            quell_vpdq::format::from_pytx_json(value).map_err(|e| {
                ApiError::bad_request("invalid_hash", format!("hashes[{i}]: bad vPDQ hash: {e}"))
            })?,
        )),
    })
}

/// Refuses a request whose vPDQ queries hold more than [`MAX_FRAMES_PER_REQUEST`] frames.
fn frame_budget(queries: &[Query]) -> Result<(), ApiError> {
    let frames: usize = queries
        .iter()
        .map(|q| match q {
            Query::Vpdq(v) => v.len(),
            _ => 0,
        })
        .sum();
    if frames > MAX_FRAMES_PER_REQUEST {
        return Err(ApiError::bad_request(
            "too_many_frames",
            format!(
                "send at most {MAX_FRAMES_PER_REQUEST} vPDQ frames per request, got {frames}; \
                 split the videos over several requests"
            ),
        ));
    }
    Ok(())
}

/// Validates a match request and looks every hash up: the match rule itself, shared by the
/// registry and the member-side matcher so both answer alike.
pub(crate) fn lookup_all(matcher: &Matcher, req: &MatchRequest) -> Result<Vec<Vec<Hit>>, ApiError> {
    batch_size("hash", req.hashes.len())?;
    let max = req.max_distance.unwrap_or(MATCH_DISTANCE.get());
    if max > MATCH_DISTANCE.get() {
        return Err(ApiError::bad_request(
            "invalid_max_distance",
            format!(
                "max_distance must be between 0 and {}, got {max}",
                MATCH_DISTANCE.get()
            ),
        ));
    }
    let max = Distance::new(max);
    let queries = req
        .hashes
        .iter()
        .enumerate()
        .map(|(i, q)| query_of(i, q))
        .collect::<Result<Vec<_>, _>>()?;
    frame_budget(&queries)?;
    // The vPDQ decision is fixed (pytx's), and so are a profile's distances: a tighter
    // distance would silently be ignored, so it is refused instead; the default itself,
    // spelled out, changes nothing.
    if max != MATCH_DISTANCE
        && let Some(i) = queries
            .iter()
            .position(|q| matches!(q, Query::Filed { .. }))
    {
        return Err(ApiError::bad_request(
            "invalid_max_distance",
            format!(
                "hashes[{i}] is searched by its profile's plan, at the plan's own distances: \
                 send profile searches in a request without max_distance"
            ),
        ));
    }
    if max != MATCH_DISTANCE
        && let Some(i) = queries.iter().position(|q| matches!(q, Query::Vpdq(_)))
    {
        return Err(ApiError::bad_request(
            "invalid_max_distance",
            format!(
                "hashes[{i}] is a vPDQ hash, which always matches by the fixed frame rule                  (distance {} or less): max_distance applies to PDQ only; send vPDQ hashes in                  a request without max_distance",
                MATCH_DISTANCE.get()
            ),
        ));
    }
    Ok(queries
        .iter()
        .map(|q| matcher.lookup_with_parts(q, max))
        .collect())
}

/// The wire form of [`lookup_all`]'s results.
pub(crate) fn response_of(results: Vec<Vec<Hit>>) -> MatchResponse {
    MatchResponse {
        results: results
            .into_iter()
            .map(|hits| MatchResult {
                matches: hits
                    .into_iter()
                    .map(|(entry, closeness, part)| {
                        let (distance, video) = match closeness {
                            Closeness::Distance(d) => (Some(d), None),
                            Closeness::Video(p) => (None, Some(p)),
                        };
                        MatchHit {
                            entry_id: entry.to_string(),
                            distance,
                            query_match_percent: video.map(|p| p.query_match_pct),
                            compared_match_percent: video.map(|p| p.compared_match_pct),
                            part: part.map(|p| p.name().to_owned()),
                        }
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// Each entry found, once per upload that found it: what the flood rule counts. A plain
/// query is an upload of its own, as it always was. A profile's queries of one upload may all
/// find the same entry, so they count once together: an upload's queries are its `whole`
/// query (the upload's own hash, which a profile sends first) and the profile queries after
/// it, up to the next `whole`.
fn matches_per_upload(req: &MatchRequest, results: &[Vec<Hit>]) -> Vec<EntryId> {
    let mut counted = Vec::new();
    let mut upload = BTreeSet::new();
    for (query, hits) in req.hashes.iter().zip(results) {
        let found = hits.iter().map(|&(entry, ..)| entry);
        match query.upload.as_deref() {
            None => counted.extend(found),
            Some(kind) => {
                if kind == UploadKind::Whole.name() {
                    counted.extend(std::mem::take(&mut upload));
                }
                upload.extend(found);
            }
        }
    }
    counted.extend(upload);
    counted
}

/// Counts matches per entry in fixed windows, to spot an entry matching a flood of uploads.
#[derive(Debug)]
pub(crate) struct FloodCounter {
    window: Duration,
    counts: Mutex<HashMap<EntryId, (Instant, u32)>>,
}

impl FloodCounter {
    pub(crate) fn new(window: Duration) -> Self {
        Self {
            window,
            counts: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one match of each entry; returns those that just reached `threshold`.
    fn record(&self, entries: impl IntoIterator<Item = EntryId>, threshold: u32) -> Vec<EntryId> {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        let mut flooded = Vec::new();
        for entry in entries {
            let (start, n) = counts.entry(entry).or_insert((now, 0));
            if now.duration_since(*start) >= self.window {
                *start = now;
                *n = 0;
            }
            *n += 1;
            if *n == threshold {
                flooded.push(entry);
            }
        }
        // Keep memory bounded by the entries matched within one window.
        if counts.len() > 1_000_000 {
            let window = self.window;
            counts.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        flooded
    }
}

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
/// under that profile instead of the plain ones, by the profile's plan (for `pdq-robust-v5`:
/// `whole` and `trim` uploads the whole part within 44 and the variants within 36, `cut`
/// uploads the cuts within 31), each entry once at its nearest; such a request may not set
/// `max_distance`. Plain PDQ queries never return filed entries.
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
    let results = lookup_all(&state.0.matcher, &req)?;
    let hits: usize = results.iter().map(Vec::len).sum();
    metrics::counter!("quell_match_queries_total").increment(results.len() as u64);
    metrics::counter!("quell_match_hits_total").increment(hits as u64);
    if hits > 0 {
        let flooded = state.0.floods.record(
            matches_per_upload(&req, &results),
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
    Ok(Json(response_of(results)))
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
    batch_size("outcome", req.outcomes.len())?;
    let mut reports = Vec::with_capacity(req.outcomes.len());
    for (i, o) in req.outcomes.iter().enumerate() {
        let entry: EntryId = o
            .entry_id
            .parse()
            .map_err(|e: quell_registry::ParseIdError| {
                ApiError::bad_request("invalid_entry_id", format!("outcomes[{i}].entry_id: {e}"))
            })?;
        reports.push(OutcomeReport {
            entry,
            outcome: match o.outcome {
                OutcomeKind::Blocked => Outcome::Blocked,
                OutcomeKind::UnderReview => Outcome::UnderReview,
                OutcomeKind::NotActioned => Outcome::NotActioned,
                OutcomeKind::FalsePositive => Outcome::FalsePositive,
            },
            at: crate::time::parse(&format!("outcomes[{i}].at"), &o.at)?,
        });
    }
    state
        .store()
        .record_outcomes(member, &reports, Timestamp::now())
        .await?;
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
    Ok(Json(OutcomesResponse {
        recorded: u32::try_from(reports.len()).unwrap_or(u32::MAX),
    }))
}
