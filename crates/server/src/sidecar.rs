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
//!
//! A matcher whose syncs keep failing (a rotated key, a registry out of reach) would go on
//! answering from a list that no longer has the newest entries and still has withdrawn ones,
//! so it says so: `/readyz` answers 503 once the last successful sync is older than its bound
//! ([`Sidecar::with_stale_after`]), and `/healthz` reports the last sync, its age and the
//! failures since.
//!
//! Hits carry their entry's registration time, as the registry's do, from a map beside the
//! index that each delta updates (about 20 bytes per entry: a member's queue orders by it).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use std::time::{Duration, Instant};
use tokio::sync::OwnedSemaphorePermit;

use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use quell_api::{
    ErrorCode, FileMatchResponse, HashType, MatchRequest, MatchResponse, MatcherHealth, MediaKind,
};
use quell_registry::{EntryId, Registration, Signal, Timestamp};
use sha2::{Digest, Sha256};

use quell_match::{Matcher, Query, file_response, parse_request, response_of};

use crate::error::ApiError;
use crate::extract::ApiJson;

/// Reads one uploaded file into the hashes it is matched by, each with the hash type it
/// searches: the binary supplies it (image and video decoding are not this crate's), and
/// the sidecar runs it off the executor, a few at a time.
pub trait UploadHasher: Send + Sync + std::fmt::Debug + 'static {
    /// Hashes `bytes`, sniffing what they are (never trusting a name or a header); `robust`:
    /// the list holds hashes filed under the default profile, so make its upload searches
    /// too.
    ///
    /// # Errors
    /// Why the file cannot be matched (not an image or video read here, damaged, over the
    /// limits), in words for the caller.
    fn hash(&self, bytes: &[u8], robust: bool) -> Result<HashedUpload, String>;
}

/// An uploaded file's hashes: what it is, and its searches.
#[derive(Debug)]
pub struct HashedUpload {
    /// An image, a video, or neither (digests only).
    pub media: MediaKind,
    /// For [`MediaKind::Other`]: why only the digests were made.
    pub unread: Option<String>,
    /// Each search with the hash type it searches.
    pub queries: Vec<(HashType, Query)>,
}

/// Largest uploaded file `POST /v1/match/file` reads, as `quell hash` does by default.
pub const MAX_UPLOAD_BYTES: usize = 100 << 20;

/// The sidecar's state: the index, how its syncs are going, the local key's digest.
#[derive(Clone, Debug)]
pub struct Sidecar(Arc<SidecarInner>);

#[derive(Debug)]
struct SidecarInner {
    matcher: Matcher,
    /// When and from which file each entry was registered, where the registry said.
    registered: RwLock<HashMap<EntryId, Registration>>,
    sync: Mutex<SyncHealth>,
    stale_after: Duration,
    key_digest: [u8; 32],
    max_body_bytes: usize,
    /// Whether the HMA-compatible `/m/` routes answer without the local key.
    hma_without_key: bool,
    /// What reads uploaded files, if this matcher takes them.
    uploads: Option<Arc<dyn UploadHasher>>,
    /// Uploads read and hashed at once: one per core, so their memory stays bounded.
    hashing: Arc<tokio::sync::Semaphore>,
}

/// How the background syncs are going.
#[derive(Debug, Default)]
struct SyncHealth {
    /// When the last successful sync finished, by the monotonic clock and the wall clock.
    last_success: Option<(Instant, Timestamp)>,
    /// Failures since then.
    failures: u64,
    /// The latest failure's message, while failures continue.
    last_error: Option<String>,
}

impl Sidecar {
    /// How old the last successful sync may be before `/readyz` answers 503, unless set with
    /// [`Sidecar::with_stale_after`].
    pub const DEFAULT_STALE_AFTER: Duration = Duration::from_secs(600);

    /// A sidecar serving `matcher`, accepting `Authorization: Bearer <key>`.
    pub fn new(matcher: Matcher, key: &str) -> Self {
        Self::with_stale_after(matcher, key, Self::DEFAULT_STALE_AFTER)
    }

    /// As [`Sidecar::new`], unready once the last successful sync is older than `stale_after`.
    pub fn with_stale_after(matcher: Matcher, key: &str, stale_after: Duration) -> Self {
        // The recorder first, so that the first requests are counted.
        crate::metrics::handle();
        Self(Arc::new(SidecarInner {
            matcher,
            registered: RwLock::default(),
            sync: Mutex::new(SyncHealth::default()),
            stale_after,
            key_digest: Sha256::digest(key.as_bytes()).into(),
            max_body_bytes: crate::Config::default().max_body_bytes,
            hma_without_key: false,
            uploads: None,
            hashing: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            )),
        }))
    }

    /// Takes uploaded files (`POST /v1/match/file`, HMA's `POST /m/lookup`), read by
    /// `hasher`.
    ///
    /// # Panics
    /// If the sidecar was already cloned (call it right after creating it).
    #[must_use]
    pub fn with_upload_hasher(mut self, hasher: Arc<dyn UploadHasher>) -> Self {
        Arc::get_mut(&mut self.0)
            .expect("with_upload_hasher is called before the sidecar is shared")
            .uploads = Some(hasher);
        self
    }

    /// A turn to read and hash one upload: taken before its body is read, so at most one
    /// upload per core is in memory, and held until its hashing ends even if the request is
    /// dropped.
    pub(crate) async fn upload_turn(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        if self.0.uploads.is_none() {
            return Err(ApiError::not_found(
                "this matcher does not take files; send hashes to POST /v1/match",
            ));
        }
        Arc::clone(&self.0.hashing)
            .acquire_owned()
            .await
            .map_err(|e| ApiError::internal(&e))
    }

    /// Hashes an uploaded file (during `turn`) and returns what it matches.
    pub(crate) async fn match_upload(
        &self,
        bytes: axum::body::Bytes,
        turn: OwnedSemaphorePermit,
    ) -> Result<(HashedUpload, Vec<(HashType, quell_match::Hit)>), ApiError> {
        let Some(hasher) = self.0.uploads.clone() else {
            return Err(ApiError::not_found(
                "this matcher does not take files; send hashes to POST /v1/match",
            ));
        };
        let robust = quell_hash::FILED_PROFILES
            .iter()
            .any(|p| self.0.matcher.has_filed(p));
        let hashed = tokio::task::spawn_blocking(move || {
            let _turn = turn;
            hasher.hash(&bytes, robust)
        })
        .await
        .map_err(|e| ApiError::internal(&e))?
        .map_err(|why| ApiError::bad_request(ErrorCode::InvalidMedia, why))?;
        let hits = self.0.matcher.lookup_file(&hashed.queries);
        metrics::counter!("quell_match_files_total", "media" => media_label(hashed.media))
            .increment(1);
        metrics::counter!("quell_match_hits_total").increment(hits.len() as u64);
        Ok((hashed, hits))
    }

    /// When and from which file an entry was registered, if known.
    pub(crate) fn registration(&self, entry: EntryId) -> Option<Registration> {
        let registered = self
            .0
            .registered
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        registered.get(&entry).copied()
    }

    /// Opens HMA's hash lookups (`GET /m/…`) to callers without the local key, for HMA's
    /// clients, which send none (HMA has no authentication). The other routes, HMA's file
    /// lookup included, still need it.
    ///
    /// # Panics
    /// If the sidecar was already cloned (call it right after creating it).
    #[must_use]
    pub fn with_hma_without_key(mut self) -> Self {
        Arc::get_mut(&mut self.0)
            .expect("with_hma_without_key is called before the sidecar is shared")
            .hma_without_key = true;
        self
    }

    pub(crate) fn hma_without_key(&self) -> bool {
        self.0.hma_without_key
    }

    /// Whether there is a list to answer from: one sync succeeded, or the saved copy held
    /// entries.
    pub(crate) fn has_list(&self) -> bool {
        self.sync_health().last_success.is_some() || !self.0.matcher.is_empty()
    }

    /// When the last successful sync finished, in Unix seconds.
    pub(crate) fn last_sync_unix_seconds(&self) -> Option<i64> {
        self.sync_health()
            .last_success
            .map(|(_, at)| at.millis().div_euclid(1000))
    }

    /// Entries held by type, as [`Matcher::counts`] labels them.
    pub(crate) fn entry_counts(&self) -> [(&'static str, usize); 5] {
        self.0.matcher.counts()
    }

    /// The hits of a parsed request, counted in the matcher's metrics.
    pub(crate) fn lookup(
        &self,
        request: &quell_match::ParsedRequest,
    ) -> Vec<Vec<quell_match::Hit>> {
        let results = self.0.matcher.lookup_all(request);
        let hits: usize = results.iter().map(Vec::len).sum();
        metrics::counter!("quell_match_queries_total").increment(results.len() as u64);
        metrics::counter!("quell_match_hits_total").increment(hits as u64);
        results
    }

    fn sync_health(&self) -> std::sync::MutexGuard<'_, SyncHealth> {
        // The state is three plain fields, whole after any panic.
        self.0.sync.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Applies one synced delta: removals first, so an entry whose hash changed is never
    /// indexed twice. Registrations (`registered`: time and media) are recorded before the
    /// entries are indexed, and a removed entry's is dropped after it left the index (unless
    /// it was upserted again), so no hit is ever without its registration. Each change is
    /// visible to the next lookup when this returns.
    pub fn apply(
        &self,
        removed: &[(EntryId, Signal)],
        upserted: &[(EntryId, Signal)],
        registered: &[(EntryId, Registration)],
    ) {
        let registrations = || {
            self.0
                .registered
                .write()
                .unwrap_or_else(PoisonError::into_inner)
        };
        if !registered.is_empty() {
            registrations().extend(registered.iter().copied());
        }
        self.0.matcher.remove(removed);
        self.0.matcher.insert(upserted);
        if !removed.is_empty() {
            let kept: std::collections::HashSet<EntryId> =
                upserted.iter().map(|&(id, _)| id).collect();
            let mut held = registrations();
            for (id, _) in removed {
                if !kept.contains(id) {
                    held.remove(id);
                }
            }
        }
    }

    /// Records a sync that caught up with the registry: `/readyz` answers 200 until the
    /// bound passes without another.
    pub fn sync_succeeded(&self) {
        let mut health = self.sync_health();
        health.last_success = Some((Instant::now(), Timestamp::now()));
        health.failures = 0;
        health.last_error = None;
    }

    /// Records a failed sync and why (shown on `/healthz` and `/readyz`, which are public to
    /// whoever reaches the matcher: no secrets in `error`).
    pub fn sync_failed(&self, error: &str) {
        let mut health = self.sync_health();
        health.failures += 1;
        health.last_error = Some(error.to_owned());
    }

    /// Entries in the index.
    pub fn indexed_entries(&self) -> usize {
        self.0.matcher.len()
    }

    pub(crate) fn authenticate(&self, headers: &HeaderMap) -> Result<(), ApiError> {
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

/// The sidecar's routes: `POST /v1/match`, `GET /healthz`, `GET /readyz`, `GET /metrics`, and
/// HMA's `GET /m/raw_lookup`, `/m/lookup` and `/m/index/status` ([`crate::hma`]).
pub fn sidecar_app(sidecar: Sidecar) -> Router {
    let max_body = sidecar.0.max_body_bytes;
    Router::new()
        // No body limit here: the handler reads the body, bounded, once it has a turn.
        .route(
            "/v1/match/file",
            post(match_file).layer(DefaultBodyLimit::disable()),
        )
        .route("/v1/match", post(match_hashes))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_page))
        .nest("/m", crate::hma::routes())
        .fallback(|| async { ApiError::not_found("there is no such endpoint on this matcher") })
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn(crate::metrics::track))
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
    let results = sidecar.lookup(&request);
    Ok(Json(response_of(results, |entry| {
        sidecar.registration(entry)
    })))
}

/// `POST /v1/match/file`: the verdict for one upload, sent as the body's raw bytes.
async fn match_file(
    State(sidecar): State<Sidecar>,
    _caller: LocalCaller,
    body: axum::body::Body,
) -> Result<Json<FileMatchResponse>, ApiError> {
    let turn = sidecar.upload_turn().await?;
    let bytes = axum::body::to_bytes(body, MAX_UPLOAD_BYTES)
        .await
        .map_err(|e| upload_unreadable(&e))?;
    let (hashed, hits) = sidecar.match_upload(bytes, turn).await?;
    Ok(Json(file_response(
        hashed.media,
        hashed.unread,
        hits,
        |entry| sidecar.registration(entry),
    )))
}

/// Why an upload's body could not be read: over [`MAX_UPLOAD_BYTES`], or cut off.
pub(crate) fn upload_unreadable(e: &axum::Error) -> ApiError {
    let too_large =
        std::error::Error::source(e).is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
    if too_large {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::BodyTooLarge,
            format!("an upload may be at most {} MiB", MAX_UPLOAD_BYTES >> 20),
        )
    } else {
        ApiError::bad_request(
            ErrorCode::UnreadableBody,
            format!("reading the upload: {e}"),
        )
    }
}

fn media_label(media: MediaKind) -> &'static str {
    match media {
        MediaKind::Image => "image",
        MediaKind::Video => "video",
        MediaKind::Other => "other",
    }
}

/// `GET /metrics`, for the local key: the matcher's requests and matches, and how fresh its
/// list is (entries, seconds since the last successful sync, failures since, ready or not).
async fn metrics_page(
    State(sidecar): State<Sidecar>,
    _caller: LocalCaller,
) -> impl axum::response::IntoResponse {
    {
        let health = sidecar.sync_health();
        crate::metrics::index_size(&sidecar.0.matcher);
        metrics::gauge!("quell_matcher_sync_failures").set(health.failures as f64);
        let age = health.last_success.map(|(when, _)| when.elapsed());
        // -1 before the first successful sync: a gauge cannot be absent once set.
        metrics::gauge!("quell_matcher_sync_age_seconds")
            .set(age.map_or(-1.0, |a| a.as_secs_f64()));
        let ready = age.is_some_and(|a| a <= sidecar.0.stale_after);
        metrics::gauge!("quell_matcher_ready").set(if ready { 1.0 } else { 0.0 });
    }
    crate::metrics::page()
}

async fn healthz(State(sidecar): State<Sidecar>) -> Json<MatcherHealth> {
    let health = sidecar.sync_health();
    Json(MatcherHealth {
        status: "ok".to_owned(),
        indexed_entries: sidecar.indexed_entries() as u64,
        last_sync: health.last_success.map(|(_, at)| crate::time::format(at)),
        sync_age_seconds: health
            .last_success
            .map(|(when, _)| when.elapsed().as_secs()),
        sync_failures: health.failures,
        last_error: health.last_error.clone(),
    })
}

async fn readyz(State(sidecar): State<Sidecar>) -> (StatusCode, Json<serde_json::Value>) {
    let health = sidecar.sync_health();
    let failing = health
        .last_error
        .as_deref()
        .map(|e| format!(" The latest sync failed: {e}"))
        .unwrap_or_default();
    let (status, message) = match health.last_success {
        Some((when, _)) if when.elapsed() <= sidecar.0.stale_after => {
            return (
                StatusCode::OK,
                Json(serde_json::json!({ "status": "ready" })),
            );
        }
        Some((when, _)) => (
            "stale",
            format!(
                "the last successful sync was {} s ago, more than the {} s allowed: this \
                 matcher may miss new entries and still match withdrawn ones.{failing}",
                when.elapsed().as_secs(),
                sidecar.0.stale_after.as_secs(),
            ),
        ),
        None => (
            "syncing",
            format!("the first sync has not completed.{failing}"),
        ),
    };
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(serde_json::json!({ "status": status, "message": message })),
    )
}
