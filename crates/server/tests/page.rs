//! The embedded page: served at `/` with its assets, under the strict security headers, and
//! without shadowing the API's JSON errors.

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;

use crate::util::{TestApp, code};

async fn fetch(t: &TestApp, method: Method, path: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .body(Body::empty())
        .unwrap();
    let response = t.app.clone().oneshot(req).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes().to_vec();
    (parts.status, parts.headers, bytes)
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
}

fn assert_security_headers(path: &str, headers: &HeaderMap) {
    let csp = header(headers, "content-security-policy");
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "worker-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(
            csp.split(';').any(|d| d.trim() == directive),
            "{path}: CSP {csp:?} lacks {directive:?}"
        );
    }
    assert!(
        !csp.contains("unsafe"),
        "{path}: CSP {csp:?} allows unsafe-*"
    );
    assert_eq!(
        header(headers, "x-content-type-options"),
        "nosniff",
        "{path}"
    );
    assert_eq!(header(headers, "referrer-policy"), "no-referrer", "{path}");
    assert_eq!(header(headers, "x-frame-options"), "DENY", "{path}");
}

#[tokio::test]
async fn the_page_is_served_at_the_root_with_a_strict_policy() {
    let t = TestApp::new().await;
    let (status, headers, body) = fetch(&t, Method::GET, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        header(&headers, header::CONTENT_TYPE.as_str()),
        "text/html; charset=utf-8"
    );
    assert_security_headers("/", &headers);
    let html = String::from_utf8(body).unwrap();
    assert!(html.starts_with("<!doctype html>"), "{html:.80}");
    assert!(html.contains(r#"<script type="module" crossorigin src="/assets/index.js">"#));
    assert!(html.contains(r#"href="/assets/index.css""#));
    // Nothing on the page comes from another origin.
    assert!(!html.contains("http://") && !html.contains("https://"));

    let (status, headers, body) = fetch(&t, Method::HEAD, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert_security_headers("HEAD /", &headers);
    assert!(body.is_empty());
}

#[tokio::test]
async fn every_asset_is_served_with_its_type_and_the_headers() {
    let t = TestApp::new().await;
    for (path, content_type, needle) in [
        (
            "/assets/index.js",
            "text/javascript; charset=utf-8",
            "/v1/cases",
        ),
        (
            "/assets/worker.js",
            "text/javascript; charset=utf-8",
            "createImageBitmap",
        ),
        (
            "/assets/index.css",
            "text/css; charset=utf-8",
            "font-family",
        ),
    ] {
        let (status, headers, body) = fetch(&t, Method::GET, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(header(&headers, "content-type"), content_type, "{path}");
        assert_security_headers(path, &headers);
        let text = String::from_utf8(body).unwrap();
        assert!(text.contains(needle), "{path} lacks {needle:?}");
    }
}

#[tokio::test]
async fn unknown_paths_still_get_the_json_404_and_the_page_is_not_in_the_api_document() {
    let t = TestApp::new().await;
    for path in ["/index.html", "/assets/missing.js", "/assets/", "/nope"] {
        let (status, body) = t.get(path, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(code(&body), "not_found", "{path}: {body}");
    }
    let (status, body) = t.post("/", None, serde_json::json!({})).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
    let (_, doc) = t.get("/openapi.json", None).await;
    let paths = doc["paths"].as_object().unwrap();
    assert!(
        !paths.keys().any(|p| p == "/" || p.starts_with("/assets")),
        "{:?}",
        paths.keys()
    );
}
