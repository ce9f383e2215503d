//! Timestamps on the wire: RFC 3339, UTC, millisecond precision.

use quell_api::ErrorCode;
use quell_registry::Timestamp;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::ApiError;

/// `2026-11-25T01:02:03.456Z`.
pub(crate) fn format(t: Timestamp) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(t.millis()) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| t.millis().to_string())
}

/// Parses an RFC 3339 time given in `field`.
pub(crate) fn parse(field: &str, s: &str) -> Result<Timestamp, ApiError> {
    let t = OffsetDateTime::parse(s, &Rfc3339).map_err(|_| {
        ApiError::bad_request(
            ErrorCode::InvalidTime,
            format!("{field}: {s:?} is not an RFC 3339 time such as \"2026-01-31T12:00:00Z\""),
        )
    })?;
    let ms = t.unix_timestamp_nanos() / 1_000_000;
    Ok(Timestamp::from_millis(i64::try_from(ms).map_err(|_| {
        ApiError::bad_request(
            ErrorCode::InvalidTime,
            format!("{field}: time out of range"),
        )
    })?))
}
