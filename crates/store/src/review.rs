//! What members report on entries, and the quarantine those reports can lead to: a
//! quarantined entry leaves the list like a withdrawn one (its upserts go, a tombstone
//! follows) until it is released.

use quell_registry::{
    Actor, CaseId, EntryId, MemberId, NewAuditEvent, Outcome, OutcomeReport, QuarantinedEntry,
    Removal, Signal, StoreError, Timestamp,
};

use crate::backend::Backend;
use crate::columns::{self, ACTIVE, INSERT_CHUNK, QUARANTINED, count, signal};
use crate::{audit, feed};

/// An entry's media, if the entry exists (NULL for an entry from before media ids).
const ENTRY_MEDIA: &str = "SELECT media_id FROM entries WHERE id = $1";

/// Whether a member already reported this outcome on this entry (false positives, which are
/// about one hash).
const REPORTED: &str =
    "SELECT id FROM outcomes WHERE entry_id = $1 AND member_id = $2 AND outcome = $3 LIMIT 1";

/// Whether a member already reported this outcome on any entry of this media (what it did
/// about a copy of the file: one photo, one report).
const REPORTED_ON_MEDIA: &str = "SELECT o.id FROM outcomes o JOIN entries e ON e.id = o.entry_id \
     WHERE e.media_id = $1 AND o.member_id = $2 AND o.outcome = $3 LIMIT 1";

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

/// A page of quarantined entries, by id.
const QUARANTINED_PAGE: &str = "SELECT id, case_id, kind, filing FROM entries \
     WHERE state = 'quarantined' AND id > $1 ORDER BY id LIMIT $2";

/// When and why an entry (`$1`, its id's text) was last quarantined.
const QUARANTINE_EVENT: &str = "SELECT at, detail FROM audit \
     WHERE action = 'entry.quarantine' AND subject = $1 ORDER BY seq DESC LIMIT 1";

/// Each member's first removal report per entry of a case opened since `$1`, timed by when
/// the registry received it (a member's own `at` could be set back).
const REMOVALS: &str = "SELECT m.name, c.opened_at, MIN(o.received_at) FROM outcomes o \
     JOIN members m ON m.id = o.member_id JOIN entries e ON e.id = o.entry_id \
     JOIN cases c ON c.id = e.case_id \
     WHERE o.outcome = 'blocked' AND c.opened_at >= $1 \
     GROUP BY m.name, o.entry_id, c.opened_at";

/// What members reported on an entry, oldest first.
const REPORTS: &str = "SELECT m.name, o.outcome, o.reported_at FROM outcomes o \
     JOIN members m ON m.id = o.member_id WHERE o.entry_id = $1 \
     ORDER BY o.reported_at, o.id";

/// What an outcome report is about, for telling a retry: the file (media) its entry was made
/// from, or the entry itself for a false positive (about one hash) and for an entry from
/// before media ids (a file of its own).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Subject {
    Media(i64),
    Entry(i64),
}

impl Subject {
    fn id(self) -> i64 {
        match self {
            Self::Media(id) | Self::Entry(id) => id,
        }
    }

    /// Whether the member already reported an outcome on it: `$1` its id.
    fn reported(self) -> &'static str {
        match self {
            Self::Media(_) => REPORTED_ON_MEDIA,
            Self::Entry(_) => REPORTED,
        }
    }
}

/// Records a member's outcomes, all or none, once each: a report the member already made (the
/// same outcome on the same file, whichever of its entries it names; for a false positive,
/// on the same entry) is a retry and is not recorded again, so the person sees each
/// platform's action on each photo once. Returns how many were new.
///
/// # Errors
/// [`StoreError::NotFound`] if any report names an entry that does not exist.
pub(crate) async fn record<B: Backend>(
    pool: &sqlx::Pool<B>,
    member: MemberId,
    reports: &[OutcomeReport],
    received: Timestamp,
) -> Result<u32, StoreError> {
    let mut tx = B::begin_write(pool).await?;
    let mut new: Vec<(&OutcomeReport, Subject)> = Vec::with_capacity(reports.len());
    for report in reports {
        let (media,): (Option<i64>,) =
            B::fetch_optional(&mut *tx, ENTRY_MEDIA, (report.entry.get(),))
                .await?
                .ok_or(StoreError::NotFound("entry"))?;
        let subject = match media {
            Some(media) if report.outcome != Outcome::FalsePositive => Subject::Media(media),
            _ => Subject::Entry(report.entry.get()),
        };
        let key = (subject.id(), member.get(), report.outcome.as_str());
        let made: Option<(i64,)> = B::fetch_optional(&mut *tx, subject.reported(), key).await?;
        let repeated = new
            .iter()
            .any(|&(r, s)| r.outcome == report.outcome && s == subject);
        if made.is_none() && !repeated {
            new.push((report, subject));
        }
    }
    for chunk in new.chunks(INSERT_CHUNK) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|(r, _)| {
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
    B::commit(tx).await?;
    Ok(count(i64::try_from(new.len()).unwrap_or(i64::MAX)))
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
    reason: &str,
    actor: &Actor,
    at: Timestamp,
) -> Result<Option<Signal>, StoreError> {
    let event = audit::event(actor, "entry.release", id, format!("reason={reason}"));
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
    feed::push::<B, _>(&mut *tx, &[(id, signal.clone())], listed, at).await?;
    audit::append::<B>(&mut *tx, at, event).await?;
    B::commit(tx).await?;
    Ok(Some(signal))
}

/// Up to `limit` quarantined entries after `after`, each with when and why it was quarantined
/// and every report members made on it.
pub(crate) async fn quarantined<B: Backend>(
    pool: &sqlx::Pool<B>,
    after: Option<EntryId>,
    limit: u32,
) -> Result<Vec<QuarantinedEntry>, StoreError> {
    let after = after.map_or(i64::MIN, EntryId::get);
    let mut conn = B::read(pool).await?;
    let rows: Vec<(i64, i64, String, Option<String>)> =
        B::fetch_all(&mut *conn, QUARANTINED_PAGE, (after, i64::from(limit))).await?;
    let mut page = Vec::with_capacity(rows.len());
    for (id, case, kind, filing) in rows {
        let entry = EntryId::from_i64(id);
        let kind = columns::kind(&kind)?;
        let filing = filing.as_deref().map(columns::filing).transpose()?;
        let event: Option<(i64, String)> =
            B::fetch_optional(&mut *conn, QUARANTINE_EVENT, (entry.to_string(),)).await?;
        let since = event.map(|(at, detail)| {
            let reason = detail.strip_prefix("reason=").unwrap_or(&detail).to_owned();
            (Timestamp::from_millis(at), reason)
        });
        let reports: Vec<(String, String, i64)> = B::fetch_all(&mut *conn, REPORTS, (id,)).await?;
        let reports = columns::outcomes(reports)?;
        page.push(QuarantinedEntry {
            entry,
            case: CaseId::from_i64(case),
            kind,
            filing,
            since,
            reports,
        });
    }
    Ok(page)
}

/// Each member's first removal report per entry, for cases opened at or after `since`.
pub(crate) async fn removals<B: Backend>(
    pool: &sqlx::Pool<B>,
    since: Timestamp,
) -> Result<Vec<Removal>, StoreError> {
    let mut conn = B::read(pool).await?;
    let rows: Vec<(String, i64, i64)> =
        B::fetch_all(&mut *conn, REMOVALS, (since.millis(),)).await?;
    Ok(rows
        .into_iter()
        .map(|(member, opened, removed)| Removal {
            member,
            opened_at: Timestamp::from_millis(opened),
            removed_at: Timestamp::from_millis(removed),
        })
        .collect())
}
