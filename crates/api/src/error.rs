//! Error responses: the body every refusal carries and the codes it may hold.

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Every error response: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq, Eq)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq, Eq)]
pub struct ErrorDetail {
    /// A stable machine-readable code, e.g. `invalid_hash`, `forbidden`, `not_found`: one of
    /// `ErrorCode`'s today, though a client must expect codes it does not know.
    pub code: String,
    /// A sentence for a person.
    pub message: String,
}

impl ErrorDetail {
    /// The code, if it is one this build knows ([`ErrorCode`]); `None` for a code added by a
    /// newer server.
    pub fn known_code(&self) -> Option<ErrorCode> {
        ErrorCode::from_wire(&self.code)
    }
}

/// The machine-readable code of an error response, one per kind of refusal: what clients
/// branch on (the message is for people and may change).
///
/// **Key decision: the wire keeps the code a string.** [`ErrorDetail::code`] stays a
/// `String`, and this enum is what the server sends and what a client compares with
/// ([`ErrorDetail::known_code`]): a code added by a newer server still deserializes, and is
/// kept as sent, where an enum field would fail the whole body or fold it into one "unknown"
/// value. For the same reason the enum is `#[non_exhaustive]`.
///
/// The wire string is the variant's name in `snake_case` ([`ErrorCode::as_str`]); the
/// status each is sent with is in the variant's documentation and in `docs/api.md`.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// 400: the body is not valid JSON, or not of the endpoint's shape (an unknown field).
    InvalidJson,
    /// 400: the body could not be read.
    UnreadableBody,
    /// 400: an uploaded file (`POST /v1/match/file`) is not an image or video the matcher
    /// reads, is damaged, or is over its limits; the message says which.
    InvalidMedia,
    /// 400: a query parameter is malformed or unknown.
    InvalidQuery,
    /// 400: a hash does not parse, or a profile search makes no sense; the message names it.
    InvalidHash,
    /// 400: a case's PDQ hash (or every frame of its video) is below quality 50.
    LowQuality,
    /// 400: a case's MD5 or SHA-256 is the empty file's, which every empty upload matches.
    EmptyFile,
    /// 400: a case's hash is on (or would match one on) the operator's list of known-benign
    /// files.
    KnownBenign,
    /// 400: a case without any hash.
    NoHashes,
    /// 400: a case with more hashes than a case may hold.
    TooManyHashes,
    /// 400: a match or outcomes request without any item.
    EmptyBatch,
    /// 400: a match or outcomes request with more than 1000 items.
    BatchTooLarge,
    /// 400: `max_distance` beyond 31, or set with a profile or vPDQ query.
    InvalidMaxDistance,
    /// 400: more vPDQ frames in one match request than allowed.
    TooManyFrames,
    /// 400: a case id that is not one.
    InvalidCaseId,
    /// 400: an entry id that is not one.
    InvalidEntryId,
    /// 400: a time that is not RFC 3339, or out of range.
    InvalidTime,
    /// 400: a sync cursor the registry did not issue, or ahead of its list.
    InvalidCursor,
    /// 400: a page `limit` out of range.
    InvalidLimit,
    /// 400: a hash profile that does not file hashes under parts.
    InvalidProfiles,
    /// 400: an audit `after` below 0.
    InvalidAfter,
    /// 400: an unknown member scope.
    InvalidScope,
    /// 400: a member name that is not allowed.
    InvalidMember,
    /// 400: a quarantine reason empty or over 500 characters.
    InvalidReason,
    /// 401: no credentials, or a malformed `Authorization` header.
    Unauthenticated,
    /// 401: an API key, or case id and secret, that the registry does not accept.
    InvalidCredentials,
    /// 401: a member's matcher (`serve --matcher`) called without its local key.
    Unauthorized,
    /// 403: valid credentials without the right to do this.
    Forbidden,
    /// 404: no such endpoint, case, member or entry.
    NotFound,
    /// 405: the endpoint does not take this method.
    MethodNotAllowed,
    /// 409: the change conflicts with what the registry holds (a member name taken).
    Conflict,
    /// 413: the body is over the size limit.
    BodyTooLarge,
    /// 415: the body is not `application/json`.
    UnsupportedMediaType,
    /// 429: too many cases opened from one address, or wrong secrets for one credential; the
    /// `Retry-After` header says when to retry.
    RateLimited,
    /// 500: the server failed; nothing the client sent was at fault.
    Internal,
}

impl ErrorCode {
    /// Every code, in declaration order.
    pub const ALL: [ErrorCode; 35] = [
        Self::InvalidJson,
        Self::UnreadableBody,
        Self::InvalidMedia,
        Self::InvalidQuery,
        Self::InvalidHash,
        Self::LowQuality,
        Self::EmptyFile,
        Self::KnownBenign,
        Self::NoHashes,
        Self::TooManyHashes,
        Self::EmptyBatch,
        Self::BatchTooLarge,
        Self::InvalidMaxDistance,
        Self::TooManyFrames,
        Self::InvalidCaseId,
        Self::InvalidEntryId,
        Self::InvalidTime,
        Self::InvalidCursor,
        Self::InvalidLimit,
        Self::InvalidProfiles,
        Self::InvalidAfter,
        Self::InvalidScope,
        Self::InvalidMember,
        Self::InvalidReason,
        Self::Unauthenticated,
        Self::InvalidCredentials,
        Self::Unauthorized,
        Self::Forbidden,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::Conflict,
        Self::BodyTooLarge,
        Self::UnsupportedMediaType,
        Self::RateLimited,
        Self::Internal,
    ];

    /// The wire string, as serde writes it: `invalid_hash`, `not_found`, ...
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidJson => "invalid_json",
            Self::UnreadableBody => "unreadable_body",
            Self::InvalidMedia => "invalid_media",
            Self::InvalidQuery => "invalid_query",
            Self::InvalidHash => "invalid_hash",
            Self::LowQuality => "low_quality",
            Self::EmptyFile => "empty_file",
            Self::KnownBenign => "known_benign",
            Self::NoHashes => "no_hashes",
            Self::TooManyHashes => "too_many_hashes",
            Self::EmptyBatch => "empty_batch",
            Self::BatchTooLarge => "batch_too_large",
            Self::InvalidMaxDistance => "invalid_max_distance",
            Self::TooManyFrames => "too_many_frames",
            Self::InvalidCaseId => "invalid_case_id",
            Self::InvalidEntryId => "invalid_entry_id",
            Self::InvalidTime => "invalid_time",
            Self::InvalidCursor => "invalid_cursor",
            Self::InvalidLimit => "invalid_limit",
            Self::InvalidProfiles => "invalid_profiles",
            Self::InvalidAfter => "invalid_after",
            Self::InvalidScope => "invalid_scope",
            Self::InvalidMember => "invalid_member",
            Self::InvalidReason => "invalid_reason",
            Self::Unauthenticated => "unauthenticated",
            Self::InvalidCredentials => "invalid_credentials",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Conflict => "conflict",
            Self::BodyTooLarge => "body_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::RateLimited => "rate_limited",
            Self::Internal => "internal",
        }
    }

    /// The code with this wire string; `None` for one this build does not know.
    pub fn from_wire(code: &str) -> Option<ErrorCode> {
        Self::ALL.into_iter().find(|c| c.as_str() == code)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
