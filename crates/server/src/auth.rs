//! Who is calling: API keys for members, case secrets for affected people.
//!
//! API keys look like `qk_<key id>_<secret>`. The key id finds one stored argon2 hash, so
//! checking a key costs one argon2 verification, not a scan. Successful verifications are
//! cached for a short time under the SHA-256 of the whole key (never the key itself), so the
//! match path does not pay argon2 per request; disabling a member or rotating its key through
//! the API clears the cache at once, and changes made by the command line take effect when
//! the cached entry expires.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use quell_api::ErrorCode;
use quell_registry::{ApiKey, CaseId, CaseSecret, Principal, SecretHasher, Store};
use quell_store::AnyStore;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// Verified keys, by SHA-256 of the full key.
#[derive(Debug)]
pub(crate) struct KeyCache {
    ttl: Duration,
    entries: Mutex<HashMap<[u8; 32], (Principal, Instant)>>,
}

impl KeyCache {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn get(&self, digest: &[u8; 32]) -> Option<Principal> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries
            .get(digest)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(p, _)| p.clone())
    }

    fn put(&self, digest: [u8; 32], principal: Principal) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        // Expired entries are dropped whenever the map grows large, so it stays bounded by the
        // number of keys seen within one time-to-live.
        if entries.len() >= 10_000 {
            let ttl = self.ttl;
            entries.retain(|_, (_, at)| at.elapsed() < ttl);
        }
        entries.insert(digest, (principal, Instant::now()));
    }

    /// Forgets every verification (after a member is disabled or a key rotated).
    pub(crate) fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

/// The bearer token, if any.
fn bearer(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    let Some(value) = headers.get(axum::http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().ok();
    match value.and_then(|v| v.strip_prefix("Bearer ")) {
        Some(token) if !token.trim().is_empty() => Ok(Some(token.trim())),
        _ => Err(ApiError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthenticated,
            "the Authorization header must be `Bearer <API key or case secret>`",
        )),
    }
}

fn invalid_key() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::UNAUTHORIZED,
        ErrorCode::InvalidCredentials,
        "this API key is not valid: it may be mistyped, rotated or disabled",
    )
}

/// Authenticates a member call: no header is `Anonymous`; anything else must be a valid API
/// key (a case secret is not a credential here, so it is refused like a wrong key).
pub(crate) async fn member(
    store: &AnyStore,
    cache: &KeyCache,
    hasher: &SecretHasher,
    headers: &HeaderMap,
) -> Result<Principal, ApiError> {
    let Some(token) = bearer(headers)? else {
        return Ok(Principal::Anonymous);
    };
    let key: ApiKey = token.parse().map_err(|_| invalid_key())?;
    let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
    if let Some(principal) = cache.get(&digest) {
        return Ok(principal);
    }
    let record = store.api_key(key.id()).await?.ok_or_else(invalid_key)?;
    if record.revoked || record.member.disabled {
        return Err(invalid_key());
    }
    let hasher = hasher.clone();
    let secret = key.secret().to_owned();
    let stored = record.secret_hash.clone();
    let ok = tokio::task::spawn_blocking(move || hasher.verify(&secret, &stored))
        .await
        .map_err(|e| ApiError::internal(&e))?;
    if !ok {
        return Err(invalid_key());
    }
    let principal = Principal::Member {
        id: record.member.id,
        name: record.member.name,
        scopes: record.member.scopes,
    };
    cache.put(digest, principal.clone());
    Ok(principal)
}

/// Authenticates a call on case `case`: its secret makes the caller its holder; an API key is
/// authenticated as a member (and refused by the policy); nothing is `Anonymous`.
pub(crate) async fn case_holder(
    store: &AnyStore,
    cache: &KeyCache,
    hasher: &SecretHasher,
    headers: &HeaderMap,
    case: CaseId,
) -> Result<Principal, ApiError> {
    let Some(token) = bearer(headers)? else {
        return Ok(Principal::Anonymous);
    };
    if token.starts_with("qk_") {
        return member(store, cache, hasher, headers).await;
    }
    let wrong = || {
        ApiError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            ErrorCode::InvalidCredentials,
            "this case id and secret do not match: check both and try again",
        )
    };
    // An unknown case and a wrong secret get the same answer, so the answer does not reveal
    // which case ids exist; an unknown case still costs one argon2 run so that timing does not
    // tell either.
    let auth = store.case_auth(case).await?;
    let secret = CaseSecret::from_presented(token);
    let hasher = hasher.clone();
    let ok = tokio::task::spawn_blocking(move || match auth {
        Some(auth) => hasher.verify(secret.expose(), &auth.secret_hash),
        None => {
            static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
            let dummy = DUMMY.get_or_init(|| hasher.hash("no such case"));
            let _ = hasher.verify(secret.expose(), dummy);
            false
        }
    })
    .await
    .map_err(|e| ApiError::internal(&e))?;
    if ok {
        Ok(Principal::CaseHolder(case))
    } else {
        Err(wrong())
    }
}
