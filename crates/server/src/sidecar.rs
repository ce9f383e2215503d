//! The member-side matcher (`quell serve --matcher`): `POST /v1/match` answered from a locally
//! synced copy of the list, with no registry database.
//!
//! It lives in this crate, not in `quell-sync`, because it must answer exactly as the
//! registry does: it calls the same request validation ([`quell_match::parse_request`]) and
//! lookup on the same [`Matcher`], so the distance rule, the limits, the errors and the hit
//! order cannot drift apart, and the same error mapping ([`ApiError`]). What feeds it (the sync loop) stays outside: this crate knows nothing of HTTP
//! clients.
//!
//! Authentication is one local bearer key chosen by the member: only its SHA-256 is kept, and
//! a presented key is compared digest to digest in constant time.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use quell_api::{ErrorCode, Health, MatchRequest, MatchResponse};
use quell_registry::{EntryId, Signal};
use sha2::{Digest, Sha256};

use quell_match::{Matcher, parse_request, response_of};

use crate::error::ApiError;
use crate::extract::ApiJson;

/// The sidecar's state: the index, whether the first sync finished, the local key's digest.
#[derive(Clone, Debug)]
pub struct Sidecar(Arc<SidecarInner>);

#[derive(Debug)]
struct SidecarInner {
    matcher: Matcher,
    ready: AtomicBool,
    key_digest: [u8; 32],
    max_body_bytes: usize,
}

impl Sidecar {
    /// A sidecar serving `matcher`, accepting `Authorization: Bearer <key>`.
    pub fn new(matcher: Matcher, key: &str) -> Self {
        Self(Arc::new(SidecarInner {
            matcher,
            ready: AtomicBool::new(false),
            key_digest: Sha256::digest(key.as_bytes()).into(),
            max_body_bytes: crate::Config::default().max_body_bytes,
        }))
    }

    /// Applies one synced delta: removals first, so an entry whose hash changed is never
    /// indexed twice. Each change is visible to the next lookup when this returns.
    pub fn apply(&self, removed: &[(EntryId, Signal)], upserted: &[(EntryId, Signal)]) {
        self.0.matcher.remove(removed);
        self.0.matcher.insert(upserted);
    }

    /// Marks the first sync as complete: `/readyz` answers 200 from now on.
    pub fn set_ready(&self) {
        self.0.ready.store(true, Ordering::Release);
    }

    /// Entries in the index.
    pub fn indexed_entries(&self) -> usize {
        self.0.matcher.len()
    }

    fn authenticate(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let presented = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let ok = presented.is_some_and(|key| {
            let digest: [u8; 32] = Sha256::digest(key.trim().as_bytes()).into();
            // Constant time: every byte is compared whatever the first difference.
            digest
                .iter()
                .zip(&self.0.key_digest)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
        });
        if ok {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthorized,
                "send this matcher's local key as `Authorization: Bearer <key>`",
            ))
        }
    }
}

/// The sidecar's routes: `POST /v1/match`, `GET /healthz`, `GET /readyz`.
pub fn sidecar_app(sidecar: Sidecar) -> Router {
    let max_body = sidecar.0.max_body_bytes;
    Router::new()
        .route("/v1/match", post(match_hashes))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .fallback(|| async { ApiError::not_found("there is no such endpoint on this matcher") })
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(sidecar)
}

/// A caller that presented the local key; checked before the body is read.
struct LocalCaller;

impl axum::extract::FromRequestParts<Sidecar> for LocalCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        sidecar: &Sidecar,
    ) -> Result<Self, ApiError> {
        sidecar.authenticate(&parts.headers).map(|()| Self)
    }
}

async fn match_hashes(
    State(sidecar): State<Sidecar>,
    _caller: LocalCaller,
    ApiJson(req): ApiJson<MatchRequest>,
) -> Result<Json<MatchResponse>, ApiError> {
    let request = parse_request(&req)?;
    Ok(Json(response_of(sidecar.0.matcher.lookup_all(&request))))
}

async fn healthz(State(sidecar): State<Sidecar>) -> Json<Health> {
    Json(Health {
        status: "ok".to_owned(),
        indexed_entries: sidecar.indexed_entries() as u64,
    })
}

async fn readyz(State(sidecar): State<Sidecar>) -> (StatusCode, Json<serde_json::Value>) {
    if sidecar.0.ready.load(Ordering::Acquire) {
        (
            StatusCode::OK,
            Json(serde_json::json!({ "status": "ready" })),
        )
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(
                serde_json::json!({ "status": "syncing", "message": "the first sync has not completed" }),
            ),
        )
    }
}
