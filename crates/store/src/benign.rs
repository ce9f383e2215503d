//! The operator's list of known-benign hashes (see `quell_registry::BenignList`): each change
//! audited in its transaction, like every change to a hash list.

use quell_registry::{Actor, BenignHash, SignalKind, StoreError, Timestamp};

use crate::audit;
use crate::backend::Backend;

/// Every benign hash, by type and value.
const ALL: &str = "SELECT kind, value, reason, added_at FROM benign_hashes ORDER BY kind, value";

/// Whether a hash is listed.
const LISTED: &str = "SELECT added_at FROM benign_hashes WHERE kind = $1 AND value = $2";

/// Lists a hash.
const INSERT: &str =
    "INSERT INTO benign_hashes (kind, value, reason, added_at) VALUES ($1, $2, $3, $4)";

/// Unlists a hash.
const DELETE: &str = "DELETE FROM benign_hashes WHERE kind = $1 AND value = $2";

/// Every benign hash.
pub(crate) async fn all<B: Backend>(pool: &sqlx::Pool<B>) -> Result<Vec<BenignHash>, StoreError> {
    let mut conn = B::read(pool).await?;
    let rows: Vec<(String, String, String, i64)> = B::fetch_all(&mut *conn, ALL, ()).await?;
    rows.into_iter()
        .map(|(kind, value, reason, at)| {
            BenignHash::new(&kind, &value, reason, Timestamp::from_millis(at))
                .map_err(|e| StoreError::Corrupt(format!("benign hash {kind}:{value}: {e}")))
        })
        .collect()
}

/// Lists `hash`, with a `benign.add` event; `false` (and nothing written) if it was listed.
pub(crate) async fn add<B: Backend>(
    pool: &sqlx::Pool<B>,
    hash: &BenignHash,
    actor: &Actor,
) -> Result<bool, StoreError> {
    let (kind, value) = (hash.kind().as_str(), hash.value());
    let mut tx = B::begin_write(pool).await?;
    let listed: Option<(i64,)> = B::fetch_optional(&mut *tx, LISTED, (kind, value.clone())).await?;
    if listed.is_some() {
        return Ok(false);
    }
    let row = (
        kind,
        value.clone(),
        hash.reason.clone(),
        hash.added_at.millis(),
    );
    B::execute(&mut *tx, INSERT, row).await?;
    let detail = format!("reason={}", hash.reason);
    let event = audit::event(actor, "benign.add", format!("{kind}:{value}"), detail);
    audit::append::<B>(&mut *tx, hash.added_at, event).await?;
    B::commit(tx).await?;
    Ok(true)
}

/// Unlists a hash, with a `benign.remove` event; `false` (and nothing written) if it was not
/// listed.
pub(crate) async fn remove<B: Backend>(
    pool: &sqlx::Pool<B>,
    kind: SignalKind,
    value: &str,
    reason: &str,
    actor: &Actor,
    at: Timestamp,
) -> Result<bool, StoreError> {
    let kind = kind.as_str();
    let mut tx = B::begin_write(pool).await?;
    let listed: Option<(i64,)> = B::fetch_optional(&mut *tx, LISTED, (kind, value)).await?;
    if listed.is_none() {
        return Ok(false);
    }
    B::execute(&mut *tx, DELETE, (kind, value)).await?;
    let event = audit::event(
        actor,
        "benign.remove",
        format!("{kind}:{value}"),
        format!("reason={reason}"),
    );
    audit::append::<B>(&mut *tx, at, event).await?;
    B::commit(tx).await?;
    Ok(true)
}
