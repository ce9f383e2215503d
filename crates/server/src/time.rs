//! Timestamps on the wire: RFC 3339, UTC, millisecond precision.

use quell_api::ErrorCode;
use quell_registry::Timestamp;

use crate::error::ApiError;

/// `2026-11-25T01:02:03.456Z`.
pub(crate) fn format(t: Timestamp) -> String {
    quell_api::convert::time_to_wire(t)
}

/// Parses an RFC 3339 time given in `field`.
pub(crate) fn parse(field: &str, s: &str) -> Result<Timestamp, ApiError> {
    quell_api::convert::time_of_wire(s).ok_or_else(|| {
        ApiError::bad_request(
            ErrorCode::InvalidTime,
            format!("{field}: {s:?} is not an RFC 3339 time such as \"2026-01-31T12:00:00Z\""),
        )
    })
}
