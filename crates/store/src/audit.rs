//! The audit chain: every change to a hash list or a member appends one event in the same
//! transaction, each event's hash covering the previous one's.

use quell_registry::{
    Actor, AuditEvent, ChainHead, NewAuditEvent, StoreError, Timestamp, chain_hash,
};

use crate::backend::Backend;
use crate::columns::{hash32, hex32};

/// The newest event's sequence number and hash.
const LAST: &str = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1";

/// An event's sequence number and hash, by sequence number.
const AT: &str = "SELECT seq, hash FROM audit WHERE seq = $1";

/// Appends one event.
const INSERT: &str = "INSERT INTO audit (seq, at, actor, action, subject, detail, prev_hash, hash) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// A page of events after a sequence number.
const PAGE: &str = "SELECT seq, at, actor, action, subject, detail, prev_hash, hash \
     FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2";

/// An event by `actor`: what happened, to what, and its `key=value` details.
pub(crate) fn event(
    actor: &Actor,
    action: &'static str,
    subject: impl ToString,
    detail: String,
) -> NewAuditEvent {
    NewAuditEvent {
        actor: actor.to_string(),
        action,
        subject: subject.to_string(),
        detail,
    }
}

/// Appends `event` to the chain, inside the writing transaction that made the change.
pub(crate) async fn append<B: Backend>(
    conn: &mut B::Connection,
    at: Timestamp,
    event: NewAuditEvent,
) -> Result<(), StoreError> {
    let last: Option<(i64, String)> = B::fetch_optional(conn, LAST, ()).await?;
    let (seq, prev) = match last {
        Some((seq, hash)) => (seq + 1, hash32(&hash)?),
        None => (1, [0u8; 32]),
    };
    let NewAuditEvent {
        actor,
        action,
        subject,
        detail,
    } = event;
    let hash = chain_hash(&prev, seq, at, &actor, action, &subject, &detail);
    let row = (
        seq,
        at.millis(),
        actor,
        action,
        subject,
        detail,
        hex32(&prev),
        hex32(&hash),
    );
    B::execute(conn, INSERT, row).await
}

/// The chain's newest event, or the one at `at` (see `Store::audit_head`).
pub(crate) async fn head<B: Backend>(
    pool: &sqlx::Pool<B>,
    at: Option<i64>,
) -> Result<Option<ChainHead>, StoreError> {
    let empty = ChainHead {
        seq: 0,
        hash: [0; 32],
    };
    let mut conn = B::read(pool).await?;
    let row: Option<(i64, String)> = match at {
        Some(0) => return Ok(Some(empty)),
        Some(seq) => B::fetch_optional(&mut *conn, AT, (seq,)).await?,
        None => match B::fetch_optional(&mut *conn, LAST, ()).await? {
            None => return Ok(Some(empty)),
            row => row,
        },
    };
    row.map(|(seq, hash)| {
        Ok(ChainHead {
            seq,
            hash: hash32(&hash)?,
        })
    })
    .transpose()
}

/// At most `limit` events after `after`, oldest first.
pub(crate) async fn events<B: Backend>(
    pool: &sqlx::Pool<B>,
    after: i64,
    limit: u32,
) -> Result<Vec<AuditEvent>, StoreError> {
    type Columns = (i64, i64, String, String, String, String, String, String);
    let mut conn = B::read(pool).await?;
    let rows: Vec<Columns> = B::fetch_all(&mut *conn, PAGE, (after, i64::from(limit))).await?;
    rows.into_iter()
        .map(|(seq, at, actor, action, subject, detail, prev, hash)| {
            Ok(AuditEvent {
                seq,
                at: Timestamp::from_millis(at),
                actor,
                action,
                subject,
                detail,
                prev_hash: hash32(&prev)?,
                hash: hash32(&hash)?,
            })
        })
        .collect()
}
