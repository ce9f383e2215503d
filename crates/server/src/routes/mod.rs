//! Routes, grouped by who calls them, and the OpenAPI document they generate.

pub(crate) mod admin;
pub(crate) mod cases;
pub(crate) mod matching;
pub(crate) mod ops;
pub(crate) mod sync;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use quell_api::ErrorCode;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::ApiError;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Quell registry",
        description = "Hash-only registry of non-consensual intimate images: affected people \
                       open cases with hashes; member platforms sync, match and report outcomes.",
        license(name = "Apache-2.0")
    ),
    modifiers(&BearerAuth),
    components(schemas(quell_api::ErrorBody, quell_api::ErrorCode))
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A member's API key (`qk_…`), or on case routes the case's secret",
                    ))
                    .build(),
            ),
        );
    }
}

/// Every route with its OpenAPI operation; the state is supplied later.
fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(cases::open_case))
        .routes(routes!(cases::case_status))
        .routes(routes!(cases::withdraw_case))
        .routes(routes!(sync::sync))
        .routes(routes!(matching::match_hashes))
        .routes(routes!(matching::report_outcomes))
        .routes(routes!(admin::list_members, admin::add_member))
        .routes(routes!(admin::disable_member))
        .routes(routes!(admin::rotate_key))
        .routes(routes!(admin::audit))
        .routes(routes!(admin::action_times))
        .routes(routes!(admin::quarantine))
        .routes(routes!(admin::release))
        .routes(routes!(admin::quarantined))
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::about))
        .routes(routes!(ops::metrics))
        .routes(routes!(ops::openapi_json))
}

pub(crate) fn router(state: AppState) -> Router {
    let max_body = state.0.config.max_body_bytes;
    let (router, _) = routes().split_for_parts();
    router
        .merge(crate::page::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::limit::guard,
        ))
        .layer(axum::middleware::from_fn(crate::metrics::track))
        .layer(TraceLayer::new_for_http())
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(state)
}

pub(crate) fn openapi() -> utoipa::openapi::OpenApi {
    static DOC: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();
    DOC.get_or_init(|| routes().split_for_parts().1).clone()
}

async fn not_found() -> ApiError {
    ApiError::not_found("there is no such endpoint; see /openapi.json")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
        "this endpoint does not accept this method; see /openapi.json",
    )
}

/// The audit actor for a member principal.
pub(crate) fn actor(p: &quell_registry::Principal) -> quell_registry::Actor {
    match p {
        quell_registry::Principal::Member { name, .. } => {
            quell_registry::Actor::Member(name.clone())
        }
        quell_registry::Principal::CaseHolder(case) => quell_registry::Actor::Case(*case),
        quell_registry::Principal::Anonymous => quell_registry::Actor::System("anonymous"),
    }
}

/// Publishes the index size after a change, in all and by type.
pub(crate) fn index_changed(state: &AppState) {
    crate::metrics::index_size(&state.0.matcher);
}

/// A member action an extractor checks, as a type so that each handler's signature says what
/// it needs.
pub(crate) trait Needs: Send + Sync {
    /// The action.
    const ACTION: quell_registry::Action;
}

macro_rules! needs {
    ($($name:ident => $action:ident),* $(,)?) => {
        $(
            pub(crate) struct $name;
            impl Needs for $name {
                const ACTION: quell_registry::Action = quell_registry::Action::$action;
            }
        )*
    };
}

needs! {
    NeedsSync => Sync,
    NeedsMatch => Match,
    NeedsOutcomes => ReportOutcomes,
    NeedsMembers => ManageMembers,
    NeedsAudit => ReadAudit,
    NeedsReview => ReviewEntries,
    NeedsMetrics => ReadMetrics,
}

/// The authenticated, authorised member calling; extracted before the body is read, so a
/// caller without the right credentials learns nothing from how its body would be parsed.
pub(crate) struct Caller<N: Needs> {
    pub(crate) principal: quell_registry::Principal,
    _needs: std::marker::PhantomData<N>,
}

impl<N: Needs> axum::extract::FromRequestParts<AppState> for Caller<N> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let principal = crate::auth::member(state, &parts.headers).await?;
        quell_registry::authorize(&principal, &N::ACTION)?;
        Ok(Self {
            principal,
            _needs: std::marker::PhantomData,
        })
    }
}
