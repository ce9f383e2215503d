//! The affected person's page at `/`: the static files built from `web/` (see `web/README.md`),
//! embedded in the binary so that `quell serve` needs no Node and no files beside it.
//!
//! Key decision: the page is served with a strict Content-Security-Policy that allows scripts,
//! workers, styles and connections to this origin only, so no third-party code can run on it
//! and it can send fingerprints nowhere but this registry. The built files have fixed names
//! (no content hashes), so a fixed list here names them all; they are revalidated on every
//! load (`no-cache`) because the names do not change between versions.

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// The policy on every page response: only this origin, no framing, no forms, no plugins.
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     worker-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// One embedded file and the path it is served at.
struct Asset {
    path: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! dist {
    ($file:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../web/dist/",
            $file
        ))
    };
}

const ASSETS: &[Asset] = &[
    Asset {
        path: "/",
        content_type: "text/html; charset=utf-8",
        body: dist!("index.html"),
    },
    Asset {
        path: "/assets/index.js",
        content_type: "text/javascript; charset=utf-8",
        body: dist!("assets/index.js"),
    },
    Asset {
        path: "/assets/worker.js",
        content_type: "text/javascript; charset=utf-8",
        body: dist!("assets/worker.js"),
    },
    Asset {
        path: "/assets/index.css",
        content_type: "text/css; charset=utf-8",
        body: dist!("assets/index.css"),
    },
];

/// The security headers of every page response, besides its content type (names lowercase,
/// as `HeaderName::from_static` requires).
const HEADERS: &[(&str, &str)] = &[
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    ("cache-control", "no-cache"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
    (
        "permissions-policy",
        "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    ),
];

fn respond(asset: &'static Asset) -> Response {
    let mut response = asset.body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    for (name, value) in HEADERS {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    response
}

/// The page's routes (GET and HEAD), outside the OpenAPI document.
pub(crate) fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    ASSETS.iter().fold(Router::new(), |router, asset| {
        router.route(asset.path, get(move || async move { respond(asset) }))
    })
}
