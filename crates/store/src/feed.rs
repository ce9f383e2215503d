//! The change feed members sync from, and the list of active entries the index is built from.
//!
//! Every change to the list appends numbered changes: an upsert carries its hash, so a sync
//! page is one range scan; a tombstone carries only the kind. An entry that leaves the list
//! loses its upserts, so a member that starts syncing later never receives its hash.

use quell_registry::{
    Change, ChangeOp, EntryId, MediaId, Registration, Signal, StoreError, Timestamp,
};

use crate::backend::{Backend, Row};
use crate::columns::{self, INSERT_CHUNK, PAGE_BYTES, filing_column, quality_column, signal};

/// Reserves `$1` sequence numbers and returns the last.
const RESERVE: &str = "UPDATE change_counter SET last = last + $1 RETURNING last";

/// The newest sequence number.
const LAST: &str = "SELECT last FROM change_counter";

/// Appends changes (one multi-row `INSERT`).
const INSERT: &str = "INSERT INTO changes (seq, entry_id, op, kind, value, quality, filing, at) ";

/// Deletes one entry's upserts.
const DROP_UPSERTS: &str = "DELETE FROM changes WHERE op = 'upsert' AND entry_id = $1";

/// Deletes the upserts of every entry of case `$1`.
const DROP_CASE_UPSERTS: &str = "DELETE FROM changes WHERE op = 'upsert' \
     AND entry_id IN (SELECT id FROM entries WHERE case_id = $1)";

/// Where a page of changes ends by the byte budget (see [`page`]).
const CHANGES_END: &str = "SELECT MAX(seq) FROM (\
       SELECT seq, SUM(len) OVER (ORDER BY seq) - len AS bytes_before FROM (\
         SELECT seq, COALESCE(LENGTH(value), 0) AS len FROM changes \
         WHERE seq > $1 ORDER BY seq LIMIT $2) AS page) AS sized \
     WHERE bytes_before <= $3";

/// A page of changes up to the end [`CHANGES_END`] found, with each entry's registration
/// time and media (entries are never deleted, so the join never drops a change; an entry
/// from before media ids is a file of its own).
const CHANGES: &str = "SELECT c.seq, c.entry_id, c.op, c.kind, c.value, c.quality, c.filing, \
       e.created_at, COALESCE(e.media_id, e.id) FROM changes c JOIN entries e ON e.id = c.entry_id \
     WHERE c.seq > $1 AND c.seq <= $2 ORDER BY c.seq LIMIT $3";

/// Where a page of active entries ends by the byte budget (see [`page`]).
const ACTIVE_END: &str = "SELECT MAX(id) FROM (\
       SELECT id, SUM(len) OVER (ORDER BY id) - len AS bytes_before FROM (\
         SELECT id, LENGTH(value) AS len FROM entries \
         WHERE state = 'active' AND id > $1 ORDER BY id LIMIT $2) AS page) AS sized \
     WHERE bytes_before <= $3";

/// A page of active entries up to the end [`ACTIVE_END`] found.
const ACTIVE: &str = "SELECT id, kind, value, quality, filing FROM entries \
     WHERE state = 'active' AND id > $1 AND id <= $2 ORDER BY id LIMIT $3";

/// When and from which file one entry was registered (see [`CHANGES`]).
const REGISTERED: &str = "SELECT created_at, COALESCE(media_id, id) FROM entries WHERE id = $1";

/// One entry's hash.
const ENTRY: &str = "SELECT kind, value, quality, filing FROM entries WHERE id = $1";

/// Appends one change per entry, numbered after the newest: upserts with their hash,
/// tombstones with the kind only.
pub(crate) async fn push<B: Backend, E: std::borrow::Borrow<(EntryId, Signal)> + Sync>(
    conn: &mut B::Connection,
    entries: &[E],
    upsert: bool,
    at: Timestamp,
) -> Result<(), StoreError> {
    let n = i64::try_from(entries.len()).unwrap_or(i64::MAX);
    let (last,): (i64,) = B::fetch_one(conn, RESERVE, (n,)).await?;
    let mut seq = last - n;
    for chunk in entries.chunks(INSERT_CHUNK) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|e| {
                let (entry, signal) = e.borrow();
                seq += 1;
                (
                    seq,
                    entry.get(),
                    if upsert { "upsert" } else { "tombstone" },
                    signal.kind().as_str(),
                    upsert.then(|| signal.value_hex()),
                    upsert.then(|| quality_column(signal)).flatten(),
                    upsert.then(|| filing_column(signal)).flatten(),
                    at.millis(),
                )
            })
            .collect();
        B::insert_rows(conn, INSERT, rows).await?;
    }
    Ok(())
}

/// Deletes the upserts of an entry that leaves the list; the tombstone written next reaches
/// everyone who already has it.
pub(crate) async fn drop_upserts<B: Backend>(
    conn: &mut B::Connection,
    entry: EntryId,
) -> Result<(), StoreError> {
    B::execute(conn, DROP_UPSERTS, (entry.get(),)).await
}

/// [`drop_upserts`] for every entry of a case.
pub(crate) async fn drop_case_upserts<B: Backend>(
    conn: &mut B::Connection,
    case: i64,
) -> Result<(), StoreError> {
    B::execute(conn, DROP_CASE_UPSERTS, (case,)).await
}

/// At most `limit` rows of `page` after `after`, cut by the byte budget: `end` sums the
/// rows' value lengths in order and returns the last key whose predecessors fit in `$3`
/// ([`PAGE_BYTES`]), and `page` reads the rows up to it. Only lengths leave the database
/// before the cut, so the values past it are never sent to this process.
async fn page<B: Backend, R: Row>(
    pool: &sqlx::Pool<B>,
    end: &'static str,
    page: &'static str,
    after: i64,
    limit: u32,
) -> Result<Vec<R>, StoreError> {
    let limit = i64::from(limit);
    let mut conn = B::read(pool).await?;
    let (last,): (Option<i64>,) = B::fetch_one(&mut *conn, end, (after, limit, PAGE_BYTES)).await?;
    match last {
        Some(last) => B::fetch_all(&mut *conn, page, (after, last, limit)).await,
        None => Ok(Vec::new()),
    }
}

/// At most `limit` changes after `after`, cut by the page byte budget.
pub(crate) async fn changes<B: Backend>(
    pool: &sqlx::Pool<B>,
    after: i64,
    limit: u32,
) -> Result<Vec<Change>, StoreError> {
    type Columns = (
        i64,
        i64,
        String,
        String,
        Option<String>,
        Option<i64>,
        Option<String>,
        i64,
        i64,
    );
    let rows: Vec<Columns> = page(pool, CHANGES_END, CHANGES, after, limit).await?;
    rows.into_iter()
        .map(
            |(seq, entry, op, kind, value, quality, filing, registered, media)| {
                let op = match op.as_str() {
                    "upsert" => ChangeOp::Upsert(signal(
                        &kind,
                        value.as_deref().unwrap_or_default(),
                        quality,
                        filing.as_deref(),
                    )?),
                    "tombstone" => ChangeOp::Tombstone(columns::kind(&kind)?),
                    other => return Err(StoreError::Corrupt(format!("change op {other:?}"))),
                };
                Ok(Change {
                    seq,
                    entry: EntryId::from_i64(entry),
                    op,
                    registration: Registration {
                        at: Timestamp::from_millis(registered),
                        media: MediaId::from_i64(media),
                    },
                })
            },
        )
        .collect()
}

/// The newest change's sequence number (0 before the first).
pub(crate) async fn last_change<B: Backend>(pool: &sqlx::Pool<B>) -> Result<i64, StoreError> {
    let mut conn = B::read(pool).await?;
    let (last,): (i64,) = B::fetch_one(&mut *conn, LAST, ()).await?;
    Ok(last)
}

/// One entry's hash, whatever its state.
pub(crate) async fn entry_signal<B: Backend>(
    pool: &sqlx::Pool<B>,
    entry: EntryId,
) -> Result<Option<Signal>, StoreError> {
    let mut conn = B::read(pool).await?;
    let row: Option<(String, String, Option<i64>, Option<String>)> =
        B::fetch_optional(&mut *conn, ENTRY, (entry.get(),)).await?;
    row.map(|(kind, value, quality, filing)| signal(&kind, &value, quality, filing.as_deref()))
        .transpose()
}

/// When and from which file each of `entries` that exists was registered, in their order:
/// one indexed read each on one connection, for the few entries a match answer names.
pub(crate) async fn registrations<B: Backend>(
    pool: &sqlx::Pool<B>,
    entries: &[EntryId],
) -> Result<Vec<(EntryId, Registration)>, StoreError> {
    let mut conn = B::read(pool).await?;
    let mut found = Vec::with_capacity(entries.len());
    for &entry in entries {
        let row: Option<(i64, i64)> =
            B::fetch_optional(&mut *conn, REGISTERED, (entry.get(),)).await?;
        if let Some((at, media)) = row {
            let at = Timestamp::from_millis(at);
            let media = MediaId::from_i64(media);
            found.push((entry, Registration { at, media }));
        }
    }
    Ok(found)
}

/// At most `limit` active entries after `after`, by id, cut by the page byte budget.
pub(crate) async fn active_entries<B: Backend>(
    pool: &sqlx::Pool<B>,
    after: Option<EntryId>,
    limit: u32,
) -> Result<Vec<(EntryId, Signal)>, StoreError> {
    type Columns = (i64, String, String, Option<i64>, Option<String>);
    let after = after.map_or(0, EntryId::get);
    let rows: Vec<Columns> = page(pool, ACTIVE_END, ACTIVE, after, limit).await?;
    rows.into_iter()
        .map(|(id, kind, value, quality, filing)| {
            let signal = signal(&kind, &value, quality, filing.as_deref())?;
            Ok((EntryId::from_i64(id), signal))
        })
        .collect()
}
