//! Moving a stored credential to its current form (see `quell_registry::credential`): the
//! server replaces an argon2 string by its digest after the first successful check.

use quell_registry::{CredentialId, StoreError};

use crate::backend::Backend;

/// Replaces an API key's stored form, if it is still the one that was checked.
const API_KEY: &str = "UPDATE api_keys SET secret_hash = $1 WHERE id = $2 AND secret_hash = $3";

/// Replaces a case secret's stored form, if it is still the one that was checked.
const CASE: &str = "UPDATE cases SET secret_hash = $1 WHERE id = $2 AND secret_hash = $3";

/// Replaces `credential`'s stored form `from` by `to`; nothing if it is no longer `from`.
pub(crate) async fn replace<B: Backend>(
    pool: &sqlx::Pool<B>,
    credential: CredentialId,
    from: &str,
    to: &str,
) -> Result<(), StoreError> {
    let (sql, id) = match credential {
        CredentialId::ApiKey(key) => (API_KEY, key.get()),
        CredentialId::Case(case) => (CASE, case.get()),
    };
    let mut tx = B::begin_write(pool).await?;
    B::execute(&mut *tx, sql, (to, id, from)).await?;
    B::commit(tx).await
}
