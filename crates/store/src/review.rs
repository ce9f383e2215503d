//! What members report on entries, and the quarantine those reports can lead to: a
//! quarantined entry leaves the list like a withdrawn one (its upserts go, a tombstone
//! follows) until it is released.

use quell_registry::{
    Actor, EntryId, MemberId, NewAuditEvent, OutcomeReport, Signal, StoreError, Timestamp,
};

use crate::backend::Backend;
use crate::columns::{ACTIVE, INSERT_CHUNK, QUARANTINED, count, signal};
use crate::{audit, feed};

/// Whether an entry exists.
const ENTRY_EXISTS: &str = "SELECT id FROM entries WHERE id = $1";

/// Adds outcomes (one multi-row `INSERT`).
const INSERT_OUTCOMES: &str =
    "INSERT INTO outcomes (entry_id, member_id, outcome, reported_at, received_at) ";

/// How many members reported an entry as a false positive.
const FALSE_POSITIVE_REPORTERS: &str = "SELECT COUNT(DISTINCT member_id) FROM outcomes \
     WHERE entry_id = $1 AND outcome = 'false_positive'";

/// An entry's state and hash.
const ENTRY: &str = "SELECT state, kind, value, quality, filing FROM entries WHERE id = $1";

/// Sets an entry's state.
const SET_STATE: &str = "UPDATE entries SET state = $1 WHERE id = $2";

/// Records a member's outcomes, all or none.
///
/// # Errors
/// [`StoreError::NotFound`] if any report names an entry that does not exist.
pub(crate) async fn record<B: Backend>(
    pool: &sqlx::Pool<B>,
    member: MemberId,
    reports: &[OutcomeReport],
    received: Timestamp,
) -> Result<(), StoreError> {
    let mut tx = B::begin_write(pool).await?;
    for report in reports {
        let exists: Option<(i64,)> =
            B::fetch_optional(&mut *tx, ENTRY_EXISTS, (report.entry.get(),)).await?;
        if exists.is_none() {
            return Err(StoreError::NotFound("entry"));
        }
    }
    for chunk in reports.chunks(INSERT_CHUNK) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|r| {
                (
                    r.entry.get(),
                    member.get(),
                    r.outcome.as_str(),
                    r.at.millis(),
                    received.millis(),
                )
            })
            .collect();
        B::insert_rows(&mut *tx, INSERT_OUTCOMES, rows).await?;
    }
    B::commit(tx).await
}

/// How many distinct members reported `entry` as a false positive.
pub(crate) async fn false_positive_reporters<B: Backend>(
    pool: &sqlx::Pool<B>,
    entry: EntryId,
) -> Result<u32, StoreError> {
    let mut conn = B::read(pool).await?;
    let (n,): (i64,) = B::fetch_one(&mut *conn, FALSE_POSITIVE_REPORTERS, (entry.get(),)).await?;
    Ok(count(n))
}

async fn entry<B: Backend>(
    conn: &mut B::Connection,
    entry: EntryId,
) -> Result<(String, Signal), StoreError> {
    let (state, kind, value, quality, filing): (
        String,
        String,
        String,
        Option<i64>,
        Option<String>,
    ) = B::fetch_optional(conn, ENTRY, (entry.get(),))
        .await?
        .ok_or(StoreError::NotFound("entry"))?;
    Ok((state, signal(&kind, &value, quality, filing.as_deref())?))
}

/// Takes an active entry off the list, with its audit event; `None` if it was not active.
pub(crate) async fn quarantine<B: Backend>(
    pool: &sqlx::Pool<B>,
    id: EntryId,
    reason: &str,
    actor: &Actor,
    at: Timestamp,
) -> Result<Option<Signal>, StoreError> {
    let event = audit::event(actor, "entry.quarantine", id, format!("reason={reason}"));
    transition(pool, id, ACTIVE, QUARANTINED, event, at).await
}

/// Puts a quarantined entry back on the list, with its audit event; `None` if it was not
/// quarantined.
pub(crate) async fn release<B: Backend>(
    pool: &sqlx::Pool<B>,
    id: EntryId,
    actor: &Actor,
    at: Timestamp,
) -> Result<Option<Signal>, StoreError> {
    let event = audit::event(actor, "entry.release", id, String::new());
    transition(pool, id, QUARANTINED, ACTIVE, event, at).await
}

/// Moves an entry in state `from` to `to` (one of them active) and tells members: leaving the
/// list drops its upserts and appends a tombstone, coming back appends an upsert. `None`
/// (nothing written) if the entry is not in state `from`.
async fn transition<B: Backend>(
    pool: &sqlx::Pool<B>,
    id: EntryId,
    from: &'static str,
    to: &'static str,
    event: NewAuditEvent,
    at: Timestamp,
) -> Result<Option<Signal>, StoreError> {
    let mut tx = B::begin_write(pool).await?;
    let (state, signal) = entry::<B>(&mut *tx, id).await?;
    if state != from {
        return Ok(None);
    }
    B::execute(&mut *tx, SET_STATE, (to, id.get())).await?;
    let listed = to == ACTIVE;
    if !listed {
        feed::drop_upserts::<B>(&mut *tx, id).await?;
    }
    feed::push::<B>(&mut *tx, &[(id, signal.clone())], listed, at).await?;
    audit::append::<B>(&mut *tx, at, event).await?;
    B::commit(tx).await?;
    Ok(Some(signal))
}
