//! Member administration.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /v1/admin/members`.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct NewMemberRequest {
    /// Unique name: letters, digits, `-`, `_`, `.`.
    pub name: String,
    /// Any of `sync`, `match`, `outcomes`, `admin`.
    pub scopes: Vec<String>,
}

/// A member.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq, Eq)]
pub struct MemberDto {
    /// Member id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Scopes.
    pub scopes: Vec<String>,
    /// Whether its keys are refused.
    pub disabled: bool,
    /// When it was added (RFC 3339).
    pub created_at: String,
}

/// A member and its new API key, shown only here.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq, Eq)]
pub struct MemberKeyResponse {
    /// The member.
    pub member: MemberDto,
    /// `qk_…`: send as `Authorization: Bearer <key>`. It cannot be shown again.
    pub api_key: String,
}

/// `GET /v1/admin/members`.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq, Eq)]
pub struct MembersResponse {
    /// Members by name.
    pub members: Vec<MemberDto>,
}
