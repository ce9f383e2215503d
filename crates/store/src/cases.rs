//! Cases: opening one with its entries, its secret, its status, and withdrawal.

use quell_registry::{
    Actor, CaseAuth, CaseId, CaseStatus, EntryId, MediaCounts, NewCase, Signal, StoreError,
    Timestamp,
};

use crate::backend::Backend;
use crate::columns::{self, ACTIVE, INSERT_CHUNK, count, filing_column, quality_column, signal};
use crate::{audit, feed};

/// Adds a case.
const INSERT: &str = "INSERT INTO cases (id, secret_hash, opened_at, withdrawn_at) \
     VALUES ($1, $2, $3, NULL)";

/// Adds a case's entries (one multi-row `INSERT`).
const INSERT_ENTRIES: &str =
    "INSERT INTO entries (id, case_id, kind, value, quality, filing, state, created_at, media_id) ";

/// A case's secret hash.
const SECRET: &str = "SELECT secret_hash FROM cases WHERE id = $1";

/// When a case was opened and withdrawn.
const TIMES: &str = "SELECT opened_at, withdrawn_at FROM cases WHERE id = $1";

/// A case's plain hashes by kind.
const PLAIN_COUNTS: &str = "SELECT kind, COUNT(*) FROM entries WHERE case_id = $1 \
     AND filing IS NULL GROUP BY kind ORDER BY kind";

/// The files a case's hashes were made from, with the kinds of hash each has.
const MEDIA_KINDS: &str = "SELECT DISTINCT media_id, kind FROM entries WHERE case_id = $1";

/// How many of a case's hashes are filed under a profile's parts.
const FILED_COUNT: &str = "SELECT COUNT(*) FROM entries WHERE case_id = $1 AND filing IS NOT NULL";

/// How many of a case's hashes are quarantined.
const PAUSED_COUNT: &str =
    "SELECT COUNT(*) FROM entries WHERE case_id = $1 AND state = 'quarantined'";

/// What members reported on a case's entries, oldest first; false positives are between the
/// registry and its members, not the person's business.
const OUTCOMES: &str = "SELECT m.name, o.outcome, o.reported_at FROM outcomes o \
     JOIN entries e ON e.id = o.entry_id JOIN members m ON m.id = o.member_id \
     WHERE e.case_id = $1 AND o.outcome <> 'false_positive' \
     ORDER BY o.reported_at, o.id";

/// When a case was withdrawn (NULL while open).
const WITHDRAWN_AT: &str = "SELECT withdrawn_at FROM cases WHERE id = $1";

/// A case's entries still on the list or in quarantine.
const LIVE_ENTRIES: &str = "SELECT id, state, kind, value, quality, filing FROM entries \
     WHERE case_id = $1 AND state <> 'withdrawn' ORDER BY id";

/// Marks every entry of a case withdrawn.
const WITHDRAW_ENTRIES: &str = "UPDATE entries SET state = 'withdrawn' WHERE case_id = $1";

/// Marks a case withdrawn.
const WITHDRAW: &str = "UPDATE cases SET withdrawn_at = $1 WHERE id = $2";

/// Stores a new case and its entries as upserts, with its audit event.
pub(crate) async fn create<B: Backend>(
    pool: &sqlx::Pool<B>,
    case: &NewCase,
    actor: &Actor,
    at: Timestamp,
) -> Result<(), StoreError> {
    let mut tx = B::begin_write(pool).await?;
    let id = case.id().get();
    B::execute(&mut *tx, INSERT, (id, case.secret_hash(), at.millis())).await?;
    // Written in id order: ids are random, so in the case's order every row would land at a
    // random place in the tables' and indexes' B-trees; in key order they append (a bulk import
    // of a million hashes 3.3× faster, BENCHMARKS.md). The change feed follows the same order.
    let mut entries: Vec<_> = case.entries().iter().zip(case.media()).collect();
    entries.sort_unstable_by_key(|((id, _), _)| *id);
    for chunk in entries.chunks(INSERT_CHUNK) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|((entry, signal), media)| {
                (
                    entry.get(),
                    id,
                    signal.kind().as_str(),
                    signal.value_hex(),
                    quality_column(signal),
                    filing_column(signal),
                    ACTIVE,
                    at.millis(),
                    media.get(),
                )
            })
            .collect();
        B::insert_rows(&mut *tx, INSERT_ENTRIES, rows).await?;
    }
    let sorted: Vec<&(EntryId, Signal)> = entries.iter().map(|&(e, _)| e).collect();
    feed::push::<B, _>(&mut *tx, &sorted, true, at).await?;
    let event = audit::event(
        actor,
        "case.open",
        case.id(),
        format!("entries={}", case.entries().len()),
    );
    audit::append::<B>(&mut *tx, at, event).await?;
    B::commit(tx).await
}

/// A case's secret hash, if the case exists.
pub(crate) async fn auth<B: Backend>(
    pool: &sqlx::Pool<B>,
    id: CaseId,
) -> Result<Option<CaseAuth>, StoreError> {
    let mut conn = B::read(pool).await?;
    let row: Option<(String,)> = B::fetch_optional(&mut *conn, SECRET, (id.get(),)).await?;
    Ok(row.map(|(secret_hash,)| CaseAuth { secret_hash }))
}

/// A case's status: its hash counts and what members reported.
pub(crate) async fn status<B: Backend>(
    pool: &sqlx::Pool<B>,
    id: CaseId,
) -> Result<CaseStatus, StoreError> {
    let mut conn = B::read(pool).await?;
    let (opened, withdrawn): (i64, Option<i64>) = B::fetch_optional(&mut *conn, TIMES, (id.get(),))
        .await?
        .ok_or(StoreError::NotFound("case"))?;
    let counts: Vec<(String, i64)> = B::fetch_all(&mut *conn, PLAIN_COUNTS, (id.get(),)).await?;
    let hashes = counts
        .into_iter()
        .map(|(kind, n)| Ok((columns::kind(&kind)?, count(n))))
        .collect::<Result<_, StoreError>>()?;
    let rows: Vec<(String, String, i64)> = B::fetch_all(&mut *conn, OUTCOMES, (id.get(),)).await?;
    let outcomes = columns::outcomes(rows)?;
    let (filed,): (i64,) = B::fetch_one(&mut *conn, FILED_COUNT, (id.get(),)).await?;
    let (paused,): (i64,) = B::fetch_one(&mut *conn, PAUSED_COUNT, (id.get(),)).await?;
    // A case with entries from before media ids counts no files: its grouping was never sent.
    let kinds: Vec<(Option<i64>, String)> =
        B::fetch_all(&mut *conn, MEDIA_KINDS, (id.get(),)).await?;
    let media = if kinds.iter().all(|(media, _)| media.is_some()) {
        let kinds = kinds
            .into_iter()
            .map(|(media, kind)| Ok((media, columns::kind(&kind)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        Some(MediaCounts::tally(kinds))
    } else {
        None
    };
    Ok(CaseStatus {
        id,
        opened_at: Timestamp::from_millis(opened),
        withdrawn_at: withdrawn.map(Timestamp::from_millis),
        hashes,
        filed: count(filed),
        media,
        outcomes,
        paused: count(paused),
    })
}

/// Withdraws a case: its entries leave the list (tombstones for those still active; the
/// quarantined ones were tombstoned when they were quarantined), with its audit event.
/// Returns the entries withdrawn now, empty if the case was already withdrawn.
pub(crate) async fn withdraw<B: Backend>(
    pool: &sqlx::Pool<B>,
    id: CaseId,
    actor: &Actor,
    at: Timestamp,
) -> Result<Vec<(EntryId, Signal)>, StoreError> {
    type Columns = (i64, String, String, String, Option<i64>, Option<String>);
    let mut tx = B::begin_write(pool).await?;
    let withdrawn: Option<(Option<i64>,)> =
        B::fetch_optional(&mut *tx, WITHDRAWN_AT, (id.get(),)).await?;
    match withdrawn {
        None => return Err(StoreError::NotFound("case")),
        Some((Some(_),)) => return Ok(Vec::new()),
        Some((None,)) => {}
    }
    let rows: Vec<Columns> = B::fetch_all(&mut *tx, LIVE_ENTRIES, (id.get(),)).await?;
    let mut removed = Vec::with_capacity(rows.len());
    let mut tombstones = Vec::new();
    for (entry, state, kind, value, quality, filing) in rows {
        let entry = (
            EntryId::from_i64(entry),
            signal(&kind, &value, quality, filing.as_deref())?,
        );
        if state == ACTIVE {
            tombstones.push(entry.clone());
        }
        removed.push(entry);
    }
    feed::drop_case_upserts::<B>(&mut *tx, id.get()).await?;
    B::execute(&mut *tx, WITHDRAW_ENTRIES, (id.get(),)).await?;
    B::execute(&mut *tx, WITHDRAW, (at.millis(), id.get())).await?;
    feed::push::<B, _>(&mut *tx, &tombstones, false, at).await?;
    let event = audit::event(
        actor,
        "case.withdraw",
        id,
        format!("entries={}", removed.len()),
    );
    audit::append::<B>(&mut *tx, at, event).await?;
    B::commit(tx).await?;
    Ok(removed)
}
