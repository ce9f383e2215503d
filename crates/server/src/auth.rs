//! Who is calling: API keys for members, case secrets for affected people.
//!
//! API keys look like `qk_<key id>_<secret>`. The key id finds one stored digest, so checking
//! a key is one indexed read and one HMAC (see `quell_registry::credential`), not a scan.
//! Verified keys are cached for a short time under the SHA-256 of the whole key (never the
//! key itself), so the match path does not read the database per request; disabling a member
//! or rotating its key through the API clears the cache at once, and changes made by the
//! command line take effect when the cached entry expires.
//!
//! **Key decision: failures count per credential, after the check.** A check is cheap, so
//! every presented credential is checked, and a right one is never refused because of anyone
//! else's mistakes (a shared address, a member whose old key still retries). Wrong secrets
//! for one key id or case id beyond [`crate::Config::auth_failure_rate`] are answered `429`
//! with `Retry-After` instead of `401`, whether that id exists or not, so the answer never
//! tells which do. That tells a misconfigured client to back off; the secrets' length, not
//! the limit, is what makes guessing hopeless. Credentials still stored as argon2 by older
//! versions are checked at most two at a time, so wrong secrets for them cannot exhaust the
//! machine.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use quell_api::ErrorCode;
use quell_registry::{
    ApiKey, CaseId, CredentialId, CredentialKind, Principal, Store, Verified, credential,
};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::ApiError;

/// Verified keys, by SHA-256 of the full key.
///
/// A generation counter, bumped by every [`KeyCache::clear`], keeps a request that read a key's
/// record before a disable or rotation from caching what it read after the clear.
#[derive(Debug)]
pub(crate) struct KeyCache {
    ttl: Duration,
    entries: Mutex<(u64, Verifications)>,
}

/// Principals by the SHA-256 of the key that proved them, with when.
type Verifications = HashMap<[u8; 32], (Principal, Instant)>;

impl KeyCache {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new((0, HashMap::new())),
        }
    }

    /// The current generation, to read before the key's record and hand to [`Self::put`].
    fn generation(&self) -> u64 {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .0
    }

    fn get(&self, digest: &[u8; 32]) -> Option<Principal> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries
            .1
            .get(digest)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(p, _)| p.clone())
    }

    /// Caches a verification made from a record read at `generation`, unless the cache was
    /// cleared since.
    fn put(&self, digest: [u8; 32], principal: Principal, generation: u64) {
        let mut guard = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let (current, entries) = &mut *guard;
        if *current != generation {
            return;
        }
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
        let mut guard = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        guard.0 += 1;
        guard.1.clear();
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

/// Argon2 checks of credentials stored by older versions that may run at once: each takes
/// about 19 MiB and tens of milliseconds, and wrong secrets are checked too.
pub(crate) const SLOW_CHECKS: usize = 2;

/// Checks `secret` against `stored`, the stored form of `id`: moves an old argon2 string off
/// the executor (at most [`SLOW_CHECKS`] at once) and replaces it by its digest once it
/// verifies; a wrong secret is [`refused`].
async fn check(
    state: &AppState,
    id: CredentialId,
    secret: &str,
    stored: &str,
    wrong: fn() -> ApiError,
) -> Result<(), ApiError> {
    let inner = &state.0;
    let verified = if credential::is_slow(stored) {
        let _permit = inner
            .slow_checks
            .acquire()
            .await
            .map_err(|e| ApiError::internal(&e))?;
        let (secret, stored_owned) = (secret.to_owned(), stored.to_owned());
        tokio::task::spawn_blocking(move || credential::verify(id.kind(), &secret, &stored_owned))
            .await
            .map_err(|e| ApiError::internal(&e))?
    } else {
        credential::verify(id.kind(), secret, stored)
    };
    match verified {
        Verified::Yes => Ok(()),
        Verified::Upgrade(digest) => {
            // The secret is right: a failed upgrade is retried on its next use, not refused.
            if let Err(e) = inner.store.replace_credential(id, stored, &digest).await {
                tracing::warn!(error = %e, "replacing an argon2 credential by its digest");
            }
            Ok(())
        }
        Verified::No => Err(refused(state, id, wrong)),
    }
}

/// The answer to a wrong secret for `id`, whether or not `id` exists (so the answer does not
/// tell): counted against `id`, `429` once too many came (see the module docs), else `wrong`.
fn refused(state: &AppState, id: CredentialId, wrong: fn() -> ApiError) -> ApiError {
    let inner = &state.0;
    let kind = match id.kind() {
        CredentialKind::ApiKey => "api_key",
        CredentialKind::CaseSecret => "case_secret",
    };
    metrics::counter!("quell_auth_failures_total", "credential" => kind).increment(1);
    if let Some(limiter) = &inner.auth_failures
        && let Some(wait) = limiter.take(id)
    {
        metrics::counter!("quell_rate_limited_total", "limit" => "auth_failure").increment(1);
        return crate::limit::too_many(
            wait,
            "too many wrong secrets were given for this credential",
        );
    }
    wrong()
}

/// Authenticates a member call: no header is `Anonymous`; anything else must be a valid API
/// key (a case secret is not a credential here, so it is refused like a wrong key).
pub(crate) async fn member(state: &AppState, headers: &HeaderMap) -> Result<Principal, ApiError> {
    let Some(token) = bearer(headers)? else {
        return Ok(Principal::Anonymous);
    };
    let key: ApiKey = token.parse().map_err(|_| invalid_key())?;
    let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
    let inner = &state.0;
    if let Some(principal) = inner.keys.get(&digest) {
        return Ok(principal);
    }
    let generation = inner.keys.generation();
    let id = CredentialId::ApiKey(key.id());
    let record = match inner.store.api_key(key.id()).await? {
        Some(r) if !r.revoked && !r.member.disabled => r,
        _ => return Err(refused(state, id, invalid_key)),
    };
    check(state, id, key.secret(), &record.secret_hash, invalid_key).await?;
    let principal = Principal::Member {
        id: record.member.id,
        name: record.member.name,
        scopes: record.member.scopes,
    };
    inner.keys.put(digest, principal.clone(), generation);
    Ok(principal)
}

fn wrong_case_secret() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::UNAUTHORIZED,
        ErrorCode::InvalidCredentials,
        "this case id and secret do not match: check both and try again",
    )
}

/// Authenticates a call on case `case`: its secret makes the caller its holder; an API key is
/// authenticated as a member (and refused by the policy); nothing is `Anonymous`.
pub(crate) async fn case_holder(
    state: &AppState,
    headers: &HeaderMap,
    case: CaseId,
) -> Result<Principal, ApiError> {
    let Some(token) = bearer(headers)? else {
        return Ok(Principal::Anonymous);
    };
    if token.starts_with("qk_") {
        return member(state, headers).await;
    }
    // An unknown case and a wrong secret get the same answer, so the answer does not reveal
    // which case ids exist; an unknown case still costs one digest, so timing does not tell
    // either.
    let id = CredentialId::Case(case);
    let Some(auth) = state.0.store.case_auth(case).await? else {
        std::hint::black_box(credential::digest(CredentialKind::CaseSecret, token));
        return Err(refused(state, id, wrong_case_secret));
    };
    check(state, id, token, &auth.secret_hash, wrong_case_secret).await?;
    Ok(Principal::CaseHolder(case))
}
