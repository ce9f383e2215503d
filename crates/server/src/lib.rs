//! The Quell registry as an HTTP service: affected people open and withdraw cases with
//! hashes only; member platforms sync the list, match hashes and report outcomes; operators
//! manage members, read the audit log and quarantine entries.
//!
//! **Key decision: the database is the truth, the match index a view of it updated in the
//! same request.** Every change commits to the store first (with its audit event and its sync
//! change in the same transaction), then updates the in-memory index before the response is
//! sent. So an acknowledged submission is durable and matchable, an acknowledged withdrawal
//! never matches again, and a restart rebuilds the same index from the store.
//!
//! Changes committed by other processes (a second server on the same PostgreSQL database,
//! `quell list import`, `quell` admin commands) reach the index through the change feed: a
//! background task replays new changes every [`Config::index_poll`], idempotently, so local
//! changes that were applied at once are skipped.
//!
//! The router is built by [`app`] from an [`AppState`], so tests drive it with `oneshot`
//! exactly as the server does. Every route authenticates and asks
//! [`quell_registry::authorize`]; bodies are JSON only, size-limited, with unknown fields
//! refused; errors are `{"error": {"code", "message"}}`. The one exception is the affected
//! person's page at `/` (module `page`): static, public files under a strict
//! Content-Security-Policy.

mod auth;
mod error;
mod extract;
mod hma;
mod limit;
mod metrics;
mod page;
mod routes;
mod sidecar;
mod time;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use quell_match::{FloodCounter, Matcher, MatcherBuilder};
use quell_registry::{ChangeOp, CredentialId, Store, StoreError};
use quell_store::AnyStore;

pub use crate::error::ApiError;
pub use crate::limit::{ClientAddress, Rate};
pub use crate::sidecar::{HashedUpload, MAX_UPLOAD_BYTES, Sidecar, UploadHasher, sidecar_app};
/// A request header's name, as [`ClientAddress::Header`] takes it.
pub use axum::http::HeaderName;

/// Tunable limits and rules. [`Config::default`] is what `quell serve` uses.
#[derive(Clone, Debug)]
pub struct Config {
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// How long a verified API key is trusted without checking the database again.
    pub key_cache_ttl: Duration,
    /// Distinct members reporting `false_positive` on an entry before it is quarantined.
    pub quarantine_after_false_positives: u32,
    /// Matches of one entry within [`Config::flood_window`] before it is quarantined as a
    /// match flood (an entry matching a flood of unrelated uploads is most likely a bad hash).
    pub quarantine_after_matches: u32,
    /// The window for [`Config::quarantine_after_matches`].
    pub flood_window: Duration,
    /// How often the index replays changes committed by other processes; `None` only at
    /// startup and on [`AppState::catch_up`].
    pub index_poll: Option<Duration>,
    /// Cases one client address may open (`POST /v1/cases`); `None`: no limit.
    pub case_open_rate: Option<Rate>,
    /// Wrong secrets given for one API key or case before further wrong ones are answered
    /// `429` instead of `401` (a right one is always accepted); `None`: no limit.
    pub auth_failure_rate: Option<Rate>,
    /// Where a request's client address comes from (the peer, or a reverse proxy's header).
    pub client_address: ClientAddress,
    /// Who runs the registry and where to get help (`GET /v1/registry`); empty by default.
    pub about: quell_api::RegistryAbout,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_body_bytes: 1 << 20,
            key_cache_ttl: Duration::from_secs(60),
            quarantine_after_false_positives: 3,
            quarantine_after_matches: 10_000,
            flood_window: Duration::from_secs(3600),
            index_poll: Some(Duration::from_secs(1)),
            // A person opens a case or a few; a script flooding the list opens thousands.
            case_open_rate: Some(Rate::per(10, Duration::from_secs(3600))),
            // Mistyping a secret a few times is human; guessing is not.
            auth_failure_rate: Some(Rate::per(20, Duration::from_secs(600))),
            client_address: ClientAddress::Peer,
            about: quell_api::RegistryAbout::default(),
        }
    }
}

/// Everything a request needs; cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    store: AnyStore,
    matcher: Matcher,
    /// Held from a list change's transaction until its index update, so the index applies
    /// changes in commit order (a quarantine cannot overtake the insert of the entry it
    /// removes).
    list_writes: tokio::sync::Mutex<()>,
    /// The newest change the index has replayed from the feed (guarded by `list_writes`).
    replayed: std::sync::atomic::AtomicI64,
    keys: auth::KeyCache,
    floods: FloodCounter,
    case_opens: Option<limit::Limiter<std::net::IpAddr>>,
    auth_failures: Option<limit::Limiter<CredentialId>>,
    /// Permits for argon2 checks of credentials stored by older versions.
    slow_checks: tokio::sync::Semaphore,
    config: Config,
}

impl AppState {
    /// Builds the state and loads the match index from the store.
    ///
    /// # Errors
    /// If the store cannot be read.
    pub async fn new(store: AnyStore, config: Config) -> Result<Self, StoreError> {
        // Installs the recorder before anything records.
        metrics::handle();
        // Read before loading: changes committed while the entries load are replayed after,
        // and replaying what the load already saw is harmless.
        let start = store.last_change().await?;
        let matcher = load_matcher(&store).await?;
        let state = Self(Arc::new(Inner {
            store,
            keys: auth::KeyCache::new(config.key_cache_ttl),
            floods: FloodCounter::new(config.flood_window),
            matcher,
            list_writes: tokio::sync::Mutex::new(()),
            replayed: std::sync::atomic::AtomicI64::new(start),
            case_opens: config.case_open_rate.map(limit::Limiter::new),
            auth_failures: config.auth_failure_rate.map(limit::Limiter::new),
            slow_checks: tokio::sync::Semaphore::new(auth::SLOW_CHECKS),
            config,
        }));
        state.catch_up().await?;
        if let Some(every) = state.0.config.index_poll {
            let weak = Arc::downgrade(&state.0);
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(every);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tick.tick().await;
                    // The task ends with the last handle on the state.
                    let Some(inner) = weak.upgrade() else { break };
                    if let Err(e) = AppState(inner).catch_up().await {
                        tracing::error!(error = %e, "replaying the change feed into the index");
                    }
                }
            });
        }
        routes::index_changed(&state);
        Ok(state)
    }

    /// Replays changes committed since the last replay into the match index; returns how many
    /// changed it. Idempotent: a change already applied (by the request that made it) is
    /// skipped.
    ///
    /// # Errors
    /// If the store cannot be read.
    pub async fn catch_up(&self) -> Result<usize, StoreError> {
        use std::sync::atomic::Ordering;
        // Holding the write lock orders replays with this process's own changes: a replayed
        // upsert can never land after a local quarantine of the same entry.
        let _in_order = self.0.list_writes.lock().await;
        let (store, matcher) = (&self.0.store, &self.0.matcher);
        let mut after = self.0.replayed.load(Ordering::Acquire);
        let mut applied = 0;
        loop {
            let page = store.changes(after, 10_000).await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            for change in &page {
                match &change.op {
                    ChangeOp::Upsert(signal) => {
                        if !matcher.contains(change.entry, signal) {
                            matcher.insert(&[(change.entry, signal.clone())]);
                            applied += 1;
                        }
                    }
                    ChangeOp::Tombstone(_) => {
                        if let Some(signal) = store.entry_signal(change.entry).await?
                            && matcher.contains(change.entry, &signal)
                        {
                            matcher.remove(&[(change.entry, signal)]);
                            applied += 1;
                        }
                    }
                }
            }
        }
        self.0.replayed.store(after, Ordering::Release);
        if applied > 0 {
            routes::index_changed(self);
        }
        Ok(applied)
    }

    /// The store.
    pub fn store(&self) -> &AnyStore {
        &self.0.store
    }

    /// Entries in the match index.
    pub fn indexed_entries(&self) -> usize {
        self.0.matcher.len()
    }
}

/// Rows per page when loading the match index from the store.
const LOAD_PAGE: u32 = 50_000;

/// Builds the match index from every active entry of the store.
async fn load_matcher(store: &impl Store) -> Result<Matcher, StoreError> {
    let mut builder = MatcherBuilder::new();
    let mut after = None;
    loop {
        let page = store.active_entries(after, LOAD_PAGE).await?;
        let Some(&(last, _)) = page.last() else { break };
        after = Some(last);
        for (id, signal) in page {
            builder.add(id, &signal);
        }
    }
    // Building the multi-index tables is CPU work: keep it off the async executor.
    tokio::task::spawn_blocking(move || builder.build())
        .await
        .map_err(|e| StoreError::Backend(Box::new(e)))
}

/// The HTTP application.
pub fn app(state: AppState) -> Router {
    routes::router(state)
}

/// Serves the registry on `listener` until `shutdown` resolves; requests in flight finish,
/// new connections are refused. The peer address reaches the handlers, as the rate limits
/// count by it.
///
/// # Errors
/// If accepting connections fails.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let service = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Serves a member's matcher ([`sidecar_app`]) on `listener` until `shutdown` resolves.
///
/// # Errors
/// If accepting connections fails.
pub async fn serve_sidecar(
    listener: tokio::net::TcpListener,
    sidecar: Sidecar,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, sidecar_app(sidecar))
        .with_graceful_shutdown(shutdown)
        .await
}

/// The OpenAPI 3.1 document, as served at `/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes::openapi()
}
