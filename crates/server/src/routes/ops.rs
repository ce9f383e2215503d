//! Health, metrics and the API description.

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use quell_api::{ErrorBody, Health, RegistryAbout};

use crate::AppState;
use crate::routes::{Caller, NeedsMetrics};

/// Liveness and index size. Needs no credentials.
#[utoipa::path(
    get, path = "/healthz", tag = "ops",
    responses((status = 200, description = "Serving", body = Health))
)]
pub(crate) async fn healthz(State(state): State<AppState>) -> Json<Health> {
    Json(Health {
        status: "ok".to_owned(),
        indexed_entries: state.indexed_entries() as u64,
    })
}

/// Who runs this registry, where a person can get help, the platforms that take part and the
/// hours they are expected to act in, as the operator wrote them (`quell serve --about`).
/// Needs no credentials.
#[utoipa::path(
    get, path = "/v1/registry", tag = "ops",
    responses((status = 200, description = "About this registry", body = RegistryAbout))
)]
pub(crate) async fn about(State(state): State<AppState>) -> Json<RegistryAbout> {
    Json(state.0.config.about.clone())
}

/// Prometheus metrics (text exposition format). Needs an admin key.
#[utoipa::path(
    get, path = "/metrics", tag = "ops",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Metrics", body = String, content_type = "text/plain"),
        (status = 401, description = "Missing or invalid key", body = ErrorBody),
        (status = 403, description = "Key lacks the admin scope", body = ErrorBody),
    )
)]
pub(crate) async fn metrics(_caller: Caller<NeedsMetrics>) -> impl IntoResponse {
    crate::metrics::page()
}

/// This document: OpenAPI 3.1, generated from the code. Needs no credentials.
#[utoipa::path(
    get, path = "/openapi.json", tag = "ops",
    responses((status = 200, description = "OpenAPI document"))
)]
pub(crate) async fn openapi_json() -> impl IntoResponse {
    Json(crate::openapi())
}
