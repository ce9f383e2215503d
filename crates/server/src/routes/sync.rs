//! `GET /v1/hashes`: the hash list as a stream of changes behind an opaque cursor.

use axum::Json;
use axum::extract::State;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use quell_api::{ErrorBody, ErrorCode, SyncEntry, SyncOp, SyncResponse};
use quell_hash::FILED_PROFILES;
use quell_registry::{Change, ChangeOp, Signal, Store};
use serde::Deserialize;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::routes::{Caller, NeedsSync};

/// Changes per page unless the member asks for fewer or more.
const DEFAULT_LIMIT: u32 = 10_000;
/// Most changes per page.
const MAX_LIMIT: u32 = 50_000;
/// A page stops early once its hash values reach this many bytes (at least one change is
/// always sent): 50,000 PDQ changes are about 3 MB, but vPDQ values are up to ~850 kB each,
/// and members refuse responses over 64 MiB. The store's pages stop just past the same
/// budget, so the page is cut here whenever the store cut it, and `has_more` stays true.
const MAX_PAGE_VALUE_BYTES: usize = quell_registry::PAGE_VALUE_BYTES;

/// Query parameters of `GET /v1/hashes`.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct SyncParams {
    /// The `next_cursor` of the previous page; omit to start from the beginning.
    cursor: Option<String>,
    /// Changes per page, 1–50000 (default 10000).
    limit: Option<u32>,
    /// Comma-separated hash profiles (`pdq-robust-v6,pdq-robust-v5`) whose filed hashes the member
    /// searches by their plan; their upserts carry `profile` and `part`. Without it, filed
    /// hashes are left out of the page (their tombstones still come): a client that does not
    /// know filings would match a crop's hash as a plain PDQ hash.
    profiles: Option<String>,
    /// The sequence number of the audit head the member saw last: the answer's `audit_seen`
    /// is the chain's event there, for the member to check against the hash it kept.
    audit_seen: Option<u64>,
}

const CURSOR_PREFIX: &str = "q1:";

/// Cursors are opaque to members; inside, a versioned change sequence number.
pub(crate) fn encode_cursor(seq: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{CURSOR_PREFIX}{seq}"))
}

pub(crate) fn decode_cursor(cursor: &str) -> Option<i64> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let text = std::str::from_utf8(&bytes).ok()?;
    let seq: i64 = text.strip_prefix(CURSOR_PREFIX)?.parse().ok()?;
    (seq >= 0 && encode_cursor(seq) == cursor).then_some(seq)
}

/// Sync the hash list: upserts and tombstones after the cursor, in order.
///
/// Pages are stable and resumable: store `next_cursor` once a page is applied and pass it
/// next time. Entries carry opaque entry ids, never case ids. A tombstone names the entry
/// to remove but does not repeat its hash. An entry withdrawn or quarantined since its
/// upsert appears only as its tombstone. Hashes filed under a hash profile's parts come only
/// to a member that names the profile in `profiles`.
#[utoipa::path(
    get, path = "/v1/hashes", tag = "members",
    params(SyncParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of changes", body = SyncResponse),
        (status = 400, description = "Bad cursor or limit", body = ErrorBody),
        (status = 401, description = "Missing or invalid key", body = ErrorBody),
        (status = 403, description = "Key lacks the sync scope", body = ErrorBody),
    )
)]
pub(crate) async fn sync(
    State(state): State<AppState>,
    _caller: Caller<NeedsSync>,
    ApiQuery(params): ApiQuery<SyncParams>,
) -> Result<Json<SyncResponse>, ApiError> {
    let after = match params.cursor.as_deref() {
        None | Some("") => 0,
        Some(c) => decode_cursor(c).ok_or_else(|| {
            ApiError::bad_request(
                ErrorCode::InvalidCursor,
                "this cursor is not one the registry issued; pass the `next_cursor` of the \
                 previous page unchanged, or omit it to start from the beginning",
            )
        })?,
    };
    // A well-formed cursor past the newest change was not issued by this registry (or the
    // database was replaced); silently answering "nothing new" would stall the member forever.
    if after > 0 && after > state.store().last_change().await? {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidCursor,
            "this cursor is ahead of the registry's list; start again without a cursor",
        ));
    }
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidLimit,
            format!("limit must be between 1 and {MAX_LIMIT}, got {limit}"),
        ));
    }
    let profiles: Vec<&str> = params
        .profiles
        .as_deref()
        .map(|list| list.split(',').filter(|p| !p.is_empty()).collect())
        .unwrap_or_default();
    if let Some(unknown) = profiles.iter().find(|p| !FILED_PROFILES.contains(p)) {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidProfiles,
            format!(
                "hash profile {unknown:?} does not file hashes under parts (known: {})",
                FILED_PROFILES.join(", ")
            ),
        ));
    }
    // One extra row says whether another page is waiting.
    let store = state.store();
    let mut changes = store.changes(after, limit + 1).await?;
    // Read after the page: every change in it was committed with its audit event, so the
    // head the member keeps covers all it applies, and a later cut of any of them shows.
    let audit_head = store.audit_head(None).await?.map(|h| h.to_string());
    let audit_seen = match params.audit_seen {
        // Past i64::MAX no chain reaches: the member is told so, as for any seq too far.
        Some(seq) => match i64::try_from(seq) {
            Ok(seq) => store.audit_head(Some(seq)).await?.map(|h| h.to_string()),
            Err(_) => None,
        },
        None => None,
    };
    let mut has_more = changes.len() > limit as usize;
    changes.truncate(limit as usize);
    let (fits, over_budget) = fitting_in_budget(&changes);
    if over_budget {
        // The store may have stopped early too: there can be more even if it sent fewer
        // rows than asked (at worst the next page is empty).
        changes.truncate(fits);
        has_more = true;
    }
    let next = changes.last().map_or(after, |c| c.seq);
    let entries = changes
        .into_iter()
        .filter(|c| match &c.op {
            ChangeOp::Upsert(signal) => signal
                .filing()
                .is_none_or(|f| profiles.contains(&f.profile())),
            ChangeOp::Tombstone(_) => true,
        })
        .map(|c| match c.op {
            ChangeOp::Upsert(signal) => {
                let (profile, part) = quell_api::convert::filing_of(&signal);
                SyncEntry {
                    op: SyncOp::Upsert,
                    entry_id: c.entry.to_string(),
                    kind: signal.kind().into(),
                    value: Some(signal.value_hex()),
                    quality: signal.quality().map(|q| q.get()),
                    profile,
                    part,
                    registered_at: Some(crate::time::format(c.registration.at)),
                    media_id: Some(c.registration.media.to_string()),
                }
            }
            ChangeOp::Tombstone(kind) => SyncEntry {
                op: SyncOp::Tombstone,
                entry_id: c.entry.to_string(),
                kind: kind.into(),
                value: None,
                quality: None,
                profile: None,
                part: None,
                registered_at: None,
                media_id: None,
            },
        })
        .collect();
    Ok(Json(SyncResponse {
        entries,
        next_cursor: encode_cursor(next),
        has_more,
        audit_head,
        audit_seen,
    }))
}

/// How many of `changes` (at least one) fit in [`MAX_PAGE_VALUE_BYTES`], and whether their
/// values exceed it. Every value is counted at least at its stored length (the store's
/// budget), so whenever the store stopped early this reports `true`.
fn fitting_in_budget(changes: &[Change]) -> (usize, bool) {
    let mut bytes = 0;
    let over = changes.iter().position(|c| {
        bytes += match &c.op {
            ChangeOp::Upsert(Signal::Vpdq(v)) => v.as_str().len(),
            ChangeOp::Upsert(_) => 64,
            ChangeOp::Tombstone(_) => 0,
        };
        bytes > MAX_PAGE_VALUE_BYTES
    });
    over.map_or((changes.len(), false), |over| (over.max(1), true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_stop_at_the_value_budget() {
        let frames: Vec<String> = (0..quell_registry::MAX_VPDQ_FRAMES)
            .map(|i| format!(r#""{},100,{i}.000""#, "a".repeat(64)))
            .collect();
        let video = Signal::from_parts("vpdq", &format!("[{}]", frames.join(",")), None).unwrap();
        let size = video.value_hex().len();
        let change = |seq, op| Change {
            seq,
            entry: quell_registry::EntryId::from_i64(seq),
            op,
            registration: quell_registry::Registration {
                at: quell_registry::Timestamp::from_millis(0),
                media: quell_registry::MediaId::from_i64(seq),
            },
        };
        let upserts: Vec<Change> = (1..=40)
            .map(|i| change(i, ChangeOp::Upsert(video.clone())))
            .collect();
        assert_eq!(
            fitting_in_budget(&upserts),
            (MAX_PAGE_VALUE_BYTES / size, true)
        );
        // What the store returns when it stops early: the rows whose predecessors fit, one
        // past the budget. The page is cut, so `has_more` is set.
        let from_store = &upserts[..=MAX_PAGE_VALUE_BYTES / size];
        assert_eq!(fitting_in_budget(from_store), (from_store.len() - 1, true));
        let fitting = &upserts[..MAX_PAGE_VALUE_BYTES / size];
        assert_eq!(fitting_in_budget(fitting), (fitting.len(), false));
        let tombstones: Vec<Change> = (1..=40)
            .map(|i| change(i, ChangeOp::Tombstone(quell_registry::SignalKind::Vpdq)))
            .collect();
        assert_eq!(fitting_in_budget(&tombstones), (40, false));
        assert_eq!(fitting_in_budget(&[]), (0, false));
    }

    #[test]
    fn cursors_round_trip_and_refuse_forgeries() {
        for seq in [0, 1, 42, i64::MAX] {
            assert_eq!(decode_cursor(&encode_cursor(seq)), Some(seq));
        }
        assert_eq!(decode_cursor("not a cursor"), None);
        assert_eq!(decode_cursor(&URL_SAFE_NO_PAD.encode("q1:-5")), None);
        assert_eq!(decode_cursor(&URL_SAFE_NO_PAD.encode("q1:007")), None);
        assert_eq!(decode_cursor(&URL_SAFE_NO_PAD.encode("q2:7")), None);
    }
}
