//! Health, metrics and the OpenAPI document.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt as _;
use serde_json::json;
use tower::ServiceExt as _;

use crate::util::{TestApp, pdq, pdq_input};

#[tokio::test]
async fn healthz_reports_the_index_size() {
    let t = TestApp::new().await;
    t.open_case(json!([pdq_input(&pdq(1), 90), { "type": "md5", "value": "0".repeat(32) }]))
        .await;
    let (status, body) = t.get("/healthz", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({ "status": "ok", "indexed_entries": 2 }));
}

#[tokio::test]
async fn openapi_document_describes_every_route() {
    let t = TestApp::new().await;
    let (status, doc) = t.get("/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/v1/cases", "post"),
        ("/v1/cases/{case_id}", "get"),
        ("/v1/cases/{case_id}/withdraw", "post"),
        ("/v1/hashes", "get"),
        ("/v1/match", "post"),
        ("/v1/outcomes", "post"),
        ("/v1/admin/members", "get"),
        ("/v1/admin/members", "post"),
        ("/v1/admin/members/{name}/disable", "post"),
        ("/v1/admin/members/{name}/rotate-key", "post"),
        ("/v1/admin/audit", "get"),
        ("/v1/admin/entries/{entry_id}/quarantine", "post"),
        ("/v1/admin/entries/{entry_id}/release", "post"),
        ("/v1/admin/quarantine", "get"),
        ("/healthz", "get"),
        ("/metrics", "get"),
        ("/v1/registry", "get"),
        ("/v1/admin/action-times", "get"),
        ("/openapi.json", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing"
        );
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "OpenCaseRequest",
        "MatchRequest",
        "SyncResponse",
        "ErrorBody",
    ] {
        assert!(schemas.contains_key(name), "schema {name} missing");
    }
    assert_eq!(doc, serde_json::to_value(quell_server::openapi()).unwrap());
}

#[tokio::test]
async fn metrics_count_requests_by_route() {
    let t = TestApp::new().await;
    let admin = t.member("ops", "admin").await;
    t.get("/healthz", None).await;
    let req = Request::get("/metrics")
        .header("authorization", format!("Bearer {admin}"))
        .body(Body::empty())
        .unwrap();
    let response = t.app.clone().oneshot(req).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = String::from_utf8(
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    assert!(text.contains("quell_http_requests_total"), "{text}");
    assert!(text.contains("route=\"/healthz\""), "{text}");
    assert!(text.contains("quell_index_entries"), "{text}");
}

#[tokio::test]
async fn metrics_say_what_the_registry_holds_and_did() {
    let t = TestApp::new().await;
    let admin = t.member("ops", "admin").await;
    let member = t.member("acme", "sync,outcomes").await;
    let (case_id, secret) = t
        .open_case(json!([
            { "type": "pdq", "value": pdq(3), "quality": 90 },
            { "type": "md5", "value": "0123456789abcdef0123456789abcdef" },
        ]))
        .await;
    let (status, _) = t
        .post(
            "/v1/cases",
            None,
            json!({ "hashes": [{ "type": "pdq", "value": pdq(4), "quality": 10 }] }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, page) = t.get("/v1/hashes", Some(&member)).await;
    let entry = page["entries"][0]["entry_id"].as_str().unwrap().to_owned();
    let outcome = json!({ "outcomes": [{ "entry_id": entry, "outcome": "blocked", "at": "2026-03-04T05:06:07Z" }] });
    let (status, _) = t.post("/v1/outcomes", Some(&member), outcome).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = t
        .post(
            &format!("/v1/cases/{case_id}/withdraw"),
            Some(&secret),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let req = Request::get("/metrics")
        .header("authorization", format!("Bearer {admin}"))
        .body(Body::empty())
        .unwrap();
    let response = t.app.clone().oneshot(req).await.unwrap();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8(body.to_vec()).unwrap();
    // The recorder is shared by every test in this process: names and labels, not values.
    for series in [
        "quell_index_entries_by_type{type=\"md5\"}",
        "quell_index_entries_by_type{type=\"pdq_filed\"}",
        "quell_cases_opened_total",
        "quell_cases_withdrawn_total",
        "quell_case_refusals_total{reason=\"low_quality\"}",
        "quell_outcomes_reported_total{outcome=\"blocked\"}",
        "quell_outcomes_recorded_total",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(series)),
            "{series} not in:\n{text}"
        );
    }
}

#[tokio::test]
async fn the_registry_says_who_runs_it_and_where_to_get_help() {
    let t = TestApp::new().await;
    let (status, body) = t.get("/v1/registry", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({ "name": "", "operator": "", "contact": "", "help": [],
                             "under_18": [], "platforms": [], "action_target_hours": 48 })
    );
    let about: quell_api::RegistryAbout = serde_json::from_value(json!({
        "name": "Example Registry",
        "operator": "Example Foundation",
        "help": [{ "country": "US", "name": "Example Helpline", "url": "https://help.example" }],
        "platforms": ["PhotoSite"],
        "action_target_hours": 24,
    }))
    .unwrap();
    let t = TestApp::with_config(quell_server::Config {
        about: about.clone(),
        ..crate::util::config()
    })
    .await;
    let (status, body) = t.get("/v1/registry", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        serde_json::from_value::<quell_api::RegistryAbout>(body).unwrap(),
        about
    );
}
