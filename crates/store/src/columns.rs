//! How domain values are kept in columns, and read back: every row is checked on the way out,
//! so a damaged database is reported as [`StoreError::Corrupt`] naming the column, never
//! passed on as a wrong hash.

use quell_registry::{Signal, SignalKind, StoreError};

/// A database error as the store's error.
pub(crate) fn db(e: sqlx::Error) -> StoreError {
    StoreError::Backend(Box::new(e))
}

/// An entry's `state` column.
pub(crate) const ACTIVE: &str = "active";
/// See [`ACTIVE`].
pub(crate) const QUARANTINED: &str = "quarantined";

/// A signal from its stored columns; `filing` is `profile/part` for a filed PDQ hash.
pub(crate) fn signal(
    kind: &str,
    value: &str,
    quality: Option<i64>,
    filing: Option<&str>,
) -> Result<Signal, StoreError> {
    let split = filing.map(|f| f.split_once('/').unwrap_or((f, "")));
    Signal::from_parts(kind, value, quality)
        .and_then(|s| s.filed(split.map(|(p, _)| p), split.map(|(_, part)| part)))
        .map_err(|e| StoreError::Corrupt(format!("entry hash: {e}")))
}

/// A `kind` column read back.
pub(crate) fn kind(column: &str) -> Result<SignalKind, StoreError> {
    column
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("entry kind: {e}")))
}

/// A `filing` column (`profile/part`) read back.
pub(crate) fn filing(column: &str) -> Result<quell_hash::Filing, StoreError> {
    let (profile, part) = column.split_once('/').unwrap_or((column, ""));
    quell_hash::Filing::parse(profile, part)
        .map_err(|e| StoreError::Corrupt(format!("entry filing: {e}")))
}

/// Outcome rows (`member name, outcome, reported_at`) as the domain's outcomes.
pub(crate) fn outcomes(
    rows: Vec<(String, String, i64)>,
) -> Result<Vec<quell_registry::CaseOutcome>, StoreError> {
    rows.into_iter()
        .map(|(member, outcome, at)| {
            Ok(quell_registry::CaseOutcome {
                member,
                outcome: quell_registry::Outcome::parse(&outcome)
                    .ok_or_else(|| StoreError::Corrupt(format!("outcome {outcome:?}")))?,
                at: quell_registry::Timestamp::from_millis(at),
            })
        })
        .collect()
}

/// The `quality` column of a signal.
pub(crate) fn quality_column(signal: &Signal) -> Option<i64> {
    signal.quality().map(|q| i64::from(q.get()))
}

/// The `filing` column of a signal: `profile/part`, or NULL for a plain hash.
pub(crate) fn filing_column(signal: &Signal) -> Option<String> {
    signal.filing().map(|f| f.to_string())
}

/// An audit hash from its hex column.
pub(crate) fn hash32(hex: &str) -> Result<[u8; 32], StoreError> {
    hex.parse::<quell_hash::Sha256>()
        .map(|d| *d.as_bytes())
        .map_err(|e| StoreError::Corrupt(format!("audit hash: {e}")))
}

/// An audit hash as its hex column.
pub(crate) fn hex32(bytes: &[u8; 32]) -> String {
    quell_hash::Sha256::from_bytes(*bytes).to_string()
}

/// A count from SQL as the `u32` the domain reports, saturating.
pub(crate) fn count(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// [`quell_registry::PAGE_VALUE_BYTES`] as the SQL parameter the page queries compare with.
pub(crate) const PAGE_BYTES: i64 = quell_registry::PAGE_VALUE_BYTES as i64;

/// Rows per multi-row `INSERT`: well under both backends' parameter limits.
pub(crate) const INSERT_CHUNK: usize = 1000;
