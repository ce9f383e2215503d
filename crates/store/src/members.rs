//! Member platforms and their API keys: one active key per member, older keys revoked on
//! rotation; the key's secret is stored only as its hash.

use quell_registry::{
    Actor, ApiKeyRecord, KeyId, Member, MemberId, NewMember, StoreError, Timestamp,
};

use crate::audit;
use crate::backend::Backend;

/// A member's columns, in [`member`]'s order.
type MemberColumns = (i64, String, String, bool, i64);

/// A member by name.
const BY_NAME: &str = "SELECT id, name, scopes, disabled, created_at FROM members WHERE name = $1";

/// Every member by name.
const ALL: &str = "SELECT id, name, scopes, disabled, created_at FROM members ORDER BY name";

/// Adds a member.
const INSERT: &str = "INSERT INTO members (id, name, scopes, disabled, created_at) \
     VALUES ($1, $2, $3, $4, $5)";

/// Disables a member.
const DISABLE: &str = "UPDATE members SET disabled = $1 WHERE id = $2";

/// An API key with its member.
const KEY: &str = "SELECT k.secret_hash, k.revoked_at, \
     m.id, m.name, m.scopes, m.disabled, m.created_at \
     FROM api_keys k JOIN members m ON m.id = k.member_id WHERE k.id = $1";

/// Adds an API key.
const INSERT_KEY: &str = "INSERT INTO api_keys (id, member_id, secret_hash, created_at, \
     revoked_at) VALUES ($1, $2, $3, $4, NULL)";

/// Revokes a member's active keys.
const REVOKE_KEYS: &str =
    "UPDATE api_keys SET revoked_at = $1 WHERE member_id = $2 AND revoked_at IS NULL";

fn member((id, name, scopes, disabled, created_at): MemberColumns) -> Result<Member, StoreError> {
    Ok(Member {
        id: MemberId::from_i64(id),
        name,
        scopes: scopes
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("member scopes: {e}")))?,
        disabled,
        created_at: Timestamp::from_millis(created_at),
    })
}

async fn by_name<B: Backend>(
    conn: &mut B::Connection,
    name: &str,
) -> Result<Option<Member>, StoreError> {
    let row: Option<MemberColumns> = B::fetch_optional(conn, BY_NAME, (name,)).await?;
    row.map(member).transpose()
}

/// Whose key [`issue_key`] writes.
pub(crate) enum KeyHolder<'a> {
    /// A new member, added with its first key.
    New(&'a NewMember),
    /// The member of this name, whose active keys are revoked.
    Existing(&'a str),
}

/// Issues an API key (stored as `key_hash`): a new member's first, or an existing member's
/// next, which revokes the ones before it. One audit event says which.
///
/// # Errors
/// [`StoreError::Conflict`] if a new member's name is taken, [`StoreError::NotFound`] if an
/// existing member's is not.
pub(crate) async fn issue_key<B: Backend>(
    pool: &sqlx::Pool<B>,
    holder: KeyHolder<'_>,
    key: KeyId,
    key_hash: &str,
    actor: &Actor,
    at: Timestamp,
) -> Result<Member, StoreError> {
    let mut tx = B::begin_write(pool).await?;
    let (member, event) = match holder {
        KeyHolder::New(new) => {
            let member = insert::<B>(&mut *tx, new, at).await?;
            let detail = format!("scopes={} key={key}", member.scopes);
            let event = audit::event(actor, "member.add", &member.name, detail);
            (member, event)
        }
        KeyHolder::Existing(name) => {
            let member = by_name::<B>(&mut *tx, name)
                .await?
                .ok_or(StoreError::NotFound("member"))?;
            B::execute(&mut *tx, REVOKE_KEYS, (at.millis(), member.id.get())).await?;
            let event = audit::event(
                actor,
                "member.rotate_key",
                &member.name,
                format!("key={key}"),
            );
            (member, event)
        }
    };
    let row = (key.get(), member.id.get(), key_hash, at.millis());
    B::execute(&mut *tx, INSERT_KEY, row).await?;
    audit::append::<B>(&mut *tx, at, event).await?;
    B::commit(tx).await?;
    Ok(member)
}

/// Adds a member, refusing a name that is taken.
async fn insert<B: Backend>(
    conn: &mut B::Connection,
    new: &NewMember,
    at: Timestamp,
) -> Result<Member, StoreError> {
    if by_name::<B>(conn, new.name()).await?.is_some() {
        return Err(StoreError::Conflict(
            "a member with this name already exists",
        ));
    }
    let member = Member {
        id: MemberId::random(),
        name: new.name().to_owned(),
        scopes: new.scopes().clone(),
        disabled: false,
        created_at: at,
    };
    let row = (
        member.id.get(),
        member.name.as_str(),
        member.scopes.to_string(),
        false,
        at.millis(),
    );
    B::execute(conn, INSERT, row).await?;
    Ok(member)
}

/// Every member, by name.
pub(crate) async fn all<B: Backend>(pool: &sqlx::Pool<B>) -> Result<Vec<Member>, StoreError> {
    let mut conn = B::read(pool).await?;
    let rows: Vec<MemberColumns> = B::fetch_all(&mut *conn, ALL, ()).await?;
    rows.into_iter().map(member).collect()
}

/// An API key's stored hash, whether it is revoked, and its member.
pub(crate) async fn api_key<B: Backend>(
    pool: &sqlx::Pool<B>,
    key: KeyId,
) -> Result<Option<ApiKeyRecord>, StoreError> {
    type Columns = (String, Option<i64>, i64, String, String, bool, i64);
    let mut conn = B::read(pool).await?;
    let row: Option<Columns> = B::fetch_optional(&mut *conn, KEY, (key.get(),)).await?;
    let Some((secret_hash, revoked_at, id, name, scopes, disabled, created_at)) = row else {
        return Ok(None);
    };
    Ok(Some(ApiKeyRecord {
        secret_hash,
        revoked: revoked_at.is_some(),
        member: member((id, name, scopes, disabled, created_at))?,
    }))
}

/// Disables a member (once: disabling a disabled member changes and audits nothing).
pub(crate) async fn disable<B: Backend>(
    pool: &sqlx::Pool<B>,
    name: &str,
    actor: &Actor,
    at: Timestamp,
) -> Result<Member, StoreError> {
    let mut tx = B::begin_write(pool).await?;
    let mut member = by_name::<B>(&mut *tx, name)
        .await?
        .ok_or(StoreError::NotFound("member"))?;
    if !member.disabled {
        B::execute(&mut *tx, DISABLE, (true, member.id.get())).await?;
        let event = audit::event(actor, "member.disable", &member.name, String::new());
        audit::append::<B>(&mut *tx, at, event).await?;
        member.disabled = true;
    }
    B::commit(tx).await?;
    Ok(member)
}
