//! Rate limits: opening cases per client address, wrong secrets per credential.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode};
use quell_server::{ClientAddress, Config, Rate};
use serde_json::{Value, json};

use crate::util::{TestApp, config, pdq};

/// A request as `quell serve` hands it to the router: with the peer's address.
fn from(
    peer: &str,
    method: Method,
    path: &str,
    bearer: Option<&str>,
    body: Option<Value>,
) -> Request<Body> {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(token) = bearer {
        req = req.header("authorization", format!("Bearer {token}"));
    }
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    let mut req = req
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .unwrap();
    req.extensions_mut()
        .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
    req
}

/// `GET path` from `peer`: the status and body.
async fn get_from(
    a: &TestApp,
    peer: &str,
    path: &str,
    bearer: Option<&str>,
) -> (StatusCode, Value) {
    a.raw(from(peer, Method::GET, path, bearer, None)).await
}

/// Opens a case from `peer`, with no credentials: the status and body.
async fn open_from(a: &TestApp, peer: &str, case: Value) -> (StatusCode, Value) {
    a.raw(from(peer, Method::POST, "/v1/cases", None, Some(case)))
        .await
}

/// `POST /v1/match` from `peer` with the member key `key`: the status and body.
async fn match_from(a: &TestApp, peer: &str, key: &str, body: Value) -> (StatusCode, Value) {
    a.raw(from(peer, Method::POST, "/v1/match", Some(key), Some(body)))
        .await
}

fn case(seed: u64) -> Value {
    json!({ "hashes": [{ "type": "pdq", "value": pdq(seed), "quality": 90 }] })
}

fn limited(case_opens: u32, failures: u32) -> Config {
    Config {
        case_open_rate: Some(Rate::per(case_opens, Duration::from_secs(3600))),
        auth_failure_rate: Some(Rate::per(failures, Duration::from_secs(3600))),
        ..config()
    }
}

#[tokio::test]
async fn a_client_opens_its_burst_of_cases_then_gets_429_with_retry_after() {
    let a = TestApp::with_config(limited(3, 100)).await;
    for seed in 0..3 {
        let (status, body) = open_from(&a, "192.0.2.1:5000", case(seed)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let response = tower::ServiceExt::oneshot(
        a.app.clone(),
        from(
            "192.0.2.1:5001",
            Method::POST,
            "/v1/cases",
            None,
            Some(case(9)),
        ),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=1200).contains(&retry), "{retry}");
    // Nothing of the refused request was stored.
    let (_, health) = a.get("/healthz", None).await;
    assert_eq!(health["indexed_entries"], 3, "{health}");
    // Another client, and the same client's other requests, are not affected.
    let (status, _) = open_from(&a, "192.0.2.2:5000", case(10)).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = get_from(&a, "192.0.2.1:5000", "/healthz", None).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn wrong_secrets_count_per_credential_and_never_keep_out_a_right_one() {
    let a = TestApp::with_config(limited(100, 2)).await;
    let (case_id, secret) = a.open_case(case(1)["hashes"].clone()).await;
    let (other_case, other_secret) = a.open_case(case(2)["hashes"].clone()).await;
    let path = format!("/v1/cases/{case_id}");
    let other_path = format!("/v1/cases/{other_case}");
    let key = a.member("acme", "match").await;
    let shared = "198.51.100.7:1";
    // Right credentials never count.
    for _ in 0..5 {
        let (status, _) = get_from(&a, shared, &path, Some(&secret)).await;
        assert_eq!(status, StatusCode::OK);
    }
    for _ in 0..2 {
        let (status, _) = get_from(&a, shared, &path, Some("not-the-secret")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // This case's wrong secrets are now told to wait, from any address...
    for peer in [shared, "203.0.113.50:1"] {
        let (status, body) = get_from(&a, peer, &path, Some("not-the-secret")).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        assert_eq!(body["error"]["code"], "rate_limited");
    }
    // ...but its right secret still opens it, from the same address, and other cases and
    // keys from that address are not affected at all.
    let (status, _) = get_from(&a, shared, &path, Some(&secret)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = get_from(&a, shared, &other_path, Some("not-the-secret")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = get_from(&a, shared, &other_path, Some(&other_secret)).await;
    assert_eq!(status, StatusCode::OK);
    // A case id that does not exist is answered the same way, so the answers do not tell
    // which case ids exist.
    let unknown = format!("/v1/cases/{}", quell_registry::CaseId::random());
    for expected in [401, 401, 429] {
        let (status, _) = get_from(&a, shared, &unknown, Some("not-the-secret")).await;
        assert_eq!(status.as_u16(), expected);
    }
    // A wrong secret half of a real key counts against that key alone; tokens that are not
    // keys at all are refused one by one.
    let (key_id, _) = key.rsplit_once('_').unwrap();
    let wrong_half = format!("{key_id}_{}", "0".repeat(64));
    for expected in [401, 401, 429] {
        let (status, _) = get_from(&a, shared, "/v1/hashes", Some(&wrong_half)).await;
        assert_eq!(status.as_u16(), expected);
    }
    for _ in 0..50 {
        let (status, _) = get_from(&a, shared, "/v1/hashes", Some("qk_1_wrong")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _) = match_from(
        &a,
        shared,
        &key,
        json!({ "hashes": [{ "type": "pdq", "value": pdq(1) }] }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn behind_a_proxy_the_named_header_is_the_client() {
    let a = TestApp::with_config(Config {
        client_address: ClientAddress::Header("x-forwarded-for".parse().unwrap()),
        ..limited(1, 100)
    })
    .await;
    let open = |ip: &str, seed: u64| {
        let mut req = from(
            "127.0.0.1:40000",
            Method::POST,
            "/v1/cases",
            None,
            Some(case(seed)),
        );
        req.headers_mut().insert(
            "x-forwarded-for",
            format!("10.0.0.1, {ip}").parse().unwrap(),
        );
        req
    };
    let (status, _) = a.raw(open("203.0.113.1", 1)).await;
    assert_eq!(status, StatusCode::CREATED);
    // Same proxy, another client: its own bucket.
    let (status, _) = a.raw(open("203.0.113.2", 2)).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = a.raw(open("203.0.113.1", 3)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}
