//! Bad input on each endpoint: a 4xx with a JSON error a person can read, and nothing written.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use quell_registry::Store;
use serde_json::{Value, json};

use crate::util::{TestApp, code, pdq, pdq_input};

/// What the store holds: (changes, audit events, members).
async fn footprint(t: &TestApp) -> (i64, usize, usize) {
    let store = t.state.store();
    (
        store.last_change().await.unwrap(),
        store.audit_events(0, 10_000).await.unwrap().len(),
        store.members().await.unwrap().len(),
    )
}

async fn refused(
    t: &TestApp,
    path: &str,
    key: Option<&str>,
    body: Value,
    status: StatusCode,
    want: &str,
) {
    let before = footprint(t).await;
    let (got, resp) = t.post(path, key, body.clone()).await;
    assert_eq!(got, status, "{path} {body}: {resp}");
    assert_eq!(code(&resp), want, "{path} {body}: {resp}");
    let message = resp["error"]["message"].as_str().unwrap();
    assert!(message.len() > 10, "{resp}");
    assert_eq!(footprint(t).await, before, "{path} {body} wrote something");
}

#[tokio::test]
async fn open_case_refuses_bad_hashes() {
    let t = TestApp::new().await;
    let good = pdq(1);
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            json!([{ "type": "pdq", "value": good.replace(['a', 'b'], "g"), "quality": 90 }]),
            "invalid_hash",
            "not a hex digit",
        ),
        (
            json!([pdq_input(&good[..62], 90)]),
            "invalid_hash",
            "expected 64 hex digits, found 62",
        ),
        (
            json!([{ "type": "md5", "value": good }]),
            "invalid_hash",
            "expected 32 hex digits",
        ),
        (
            json!([pdq_input(&good, 101)]),
            "invalid_hash",
            "between 0 and 100, got 101",
        ),
        (
            json!([pdq_input(&good, -1)]),
            "invalid_hash",
            "between 0 and 100",
        ),
        (
            json!([{ "type": "pdq", "value": good }]),
            "invalid_hash",
            "needs its quality",
        ),
        (
            json!([{ "type": "sha256", "value": good, "quality": 80 }]),
            "invalid_hash",
            "only PDQ hashes have a quality",
        ),
        (
            json!([pdq_input(&pdq(2), 90), pdq_input(&good, 49)]),
            "low_quality",
            "hashes[1]: this image's PDQ quality is 49",
        ),
        (json!([]), "no_hashes", "at least one hash"),
        (
            json!([{ "type": "sha1", "value": good }]),
            "invalid_json",
            "unknown variant `sha1`",
        ),
        (
            json!([{ "type": "pdq", "value": good, "quality": 90, "url": "http://x" }]),
            "invalid_json",
            "unknown field `url`",
        ),
        (
            json!([{ "type": "pdq", "value": good, "quality": 90,
                     "profile": "pdq-robust-v4", "part": "whole" }]),
            "invalid_hash",
            "hashes[0]: hash profile \"pdq-robust-v4\" does not file hashes under parts",
        ),
        (
            json!([{ "type": "pdq", "value": good, "quality": 90,
                     "profile": "pdq-robust-v5", "part": "corner" }]),
            "invalid_hash",
            "unknown part \"corner\"",
        ),
        (
            json!([{ "type": "pdq", "value": good, "quality": 90, "part": "cut" }]),
            "invalid_hash",
            "both its profile and its part",
        ),
        (
            json!([{ "type": "md5", "value": &good[..32],
                     "profile": "pdq-robust-v5", "part": "cut" }]),
            "invalid_hash",
            "only PDQ hashes are filed",
        ),
        (
            json!([pdq_input(&good, 90), { "type": "pdq", "value": pdq(3), "quality": 30,
                     "profile": "pdq-robust-v5", "part": "variant" }]),
            "low_quality",
            "hashes[1]: this image's PDQ quality is 30",
        ),
        // Every empty upload would match the empty file's digests.
        (
            json!([pdq_input(&good, 90),
                   { "type": "md5", "value": "D41D8CD98F00B204E9800998ECF8427E" }]),
            "empty_file",
            "hashes[1]: this md5 hash is the empty file's",
        ),
        (
            json!([{ "type": "sha256",
                     "value": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" }]),
            "empty_file",
            "hashes[0]: this sha256 hash is the empty file's",
        ),
    ];
    for (hashes, want, says) in cases {
        let before = footprint(&t).await;
        let (status, body) = t.post("/v1/cases", None, json!({ "hashes": hashes })).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{hashes}: {body}");
        assert_eq!(code(&body), want, "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{message:?} should say {says:?}");
        assert_eq!(footprint(&t).await, before);
    }
    // Filed hashes have their own allowance beside the 1000 others, and a limit too.
    let filed = |n: usize| -> Vec<Value> {
        (0..n)
            .map(|i| {
                json!({ "type": "pdq", "value": format!("{i:064x}"), "quality": 90,
                        "profile": "pdq-robust-v5", "part": "variant" })
            })
            .collect()
    };
    refused(
        &t,
        "/v1/cases",
        None,
        json!({ "hashes": filed(5_001) }),
        StatusCode::BAD_REQUEST,
        "too_many_hashes",
    )
    .await;
    let mut full: Vec<Value> = (0..1000)
        .map(|i| json!({ "type": "md5", "value": format!("{i:032x}") }))
        .collect();
    full.extend(filed(5_000));
    let (status, body) = t.post("/v1/cases", None, json!({ "hashes": full })).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["hashes"], 6000);
    let too_many: Vec<Value> = (0..1001)
        .map(|i| json!({ "type": "md5", "value": format!("{i:032x}") }))
        .collect();
    refused(
        &t,
        "/v1/cases",
        None,
        json!({ "hashes": too_many }),
        StatusCode::BAD_REQUEST,
        "too_many_hashes",
    )
    .await;
    refused(
        &t,
        "/v1/cases",
        None,
        json!({ "hashes": [pdq_input(&good, 90)], "name": "me" }),
        StatusCode::BAD_REQUEST,
        "invalid_json",
    )
    .await;
}

#[tokio::test]
async fn bodies_must_be_json_and_small() {
    let t = TestApp::new().await;
    let matcher = t.member("m", "match").await;
    for (path, key) in [("/v1/cases", None), ("/v1/match", Some(matcher.as_str()))] {
        let before = footprint(&t).await;
        // Broken JSON.
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header("content-type", "application/json");
        if let Some(k) = key {
            req = req.header("authorization", format!("Bearer {k}"));
        }
        let (status, body) = t.raw(req.body(Body::from("{\"hashes\": [")).unwrap()).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::BAD_REQUEST, "invalid_json"),
            "{body}"
        );
        // Media bytes, or any other content type.
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header("content-type", "image/jpeg");
        if let Some(k) = key {
            req = req.header("authorization", format!("Bearer {k}"));
        }
        let (status, body) = t
            .raw(req.body(Body::from(vec![0xff, 0xd8, 0xff, 0xe0])).unwrap())
            .await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
        );
        // No content type at all.
        let mut req = Request::builder().method(Method::POST).uri(path);
        if let Some(k) = key {
            req = req.header("authorization", format!("Bearer {k}"));
        }
        let (status, _) = t.raw(req.body(Body::from("{}")).unwrap()).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        // Over the 1 MiB limit.
        let big = format!(
            "{{\"hashes\": [{}]}}",
            vec![format!("{{\"type\":\"md5\",\"value\":\"{}\"}}", "0".repeat(32)); 30_000]
                .join(",")
        );
        assert!(big.len() > 1 << 20);
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header("content-type", "application/json");
        if let Some(k) = key {
            req = req.header("authorization", format!("Bearer {k}"));
        }
        let (status, body) = t.raw(req.body(Body::from(big)).unwrap()).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large")
        );
        assert_eq!(footprint(&t).await, before);
    }
}

#[tokio::test]
async fn match_refuses_bad_batches() {
    let t = TestApp::new().await;
    let key = t.member("m", "match").await;
    let k = Some(key.as_str());
    let q = |v: &str| json!({ "type": "pdq", "value": v });
    refused(
        &t,
        "/v1/match",
        k,
        json!({ "hashes": [] }),
        StatusCode::BAD_REQUEST,
        "empty_batch",
    )
    .await;
    let many: Vec<Value> = (0..1001).map(|i| q(&pdq(i))).collect();
    refused(
        &t,
        "/v1/match",
        k,
        json!({ "hashes": many }),
        StatusCode::BAD_REQUEST,
        "batch_too_large",
    )
    .await;
    refused(
        &t,
        "/v1/match",
        k,
        json!({ "hashes": [q("xyz")] }),
        StatusCode::BAD_REQUEST,
        "invalid_hash",
    )
    .await;
    refused(
        &t,
        "/v1/match",
        k,
        json!({ "hashes": [q(&pdq(1)[..63])] }),
        StatusCode::BAD_REQUEST,
        "invalid_hash",
    )
    .await;
    refused(
        &t,
        "/v1/match",
        k,
        json!({ "hashes": [q(&pdq(1))], "max_distance": 32 }),
        StatusCode::BAD_REQUEST,
        "invalid_max_distance",
    )
    .await;
    refused(
        &t,
        "/v1/match",
        k,
        json!({ "hashes": [q(&pdq(1))], "max_distance": -1 }),
        StatusCode::BAD_REQUEST,
        "invalid_json",
    )
    .await;
    refused(
        &t,
        "/v1/match",
        k,
        json!({ "hashes": [{ "type": "pdq", "value": pdq(1), "quality": 90 }] }),
        StatusCode::BAD_REQUEST,
        "invalid_json",
    )
    .await;
    refused(
        &t,
        "/v1/match",
        k,
        json!({ "hash": pdq(1) }),
        StatusCode::BAD_REQUEST,
        "invalid_json",
    )
    .await;
}

#[tokio::test]
async fn outcomes_refuse_bad_reports_and_write_nothing() {
    let t = TestApp::new().await;
    let key = t.member("m", "outcomes").await;
    let k = Some(key.as_str());
    let (case_id, secret) = t.open_case(json!([pdq_input(&pdq(1), 90)])).await;
    let sync = t.member("s", "sync").await;
    let (_, page) = t.get("/v1/hashes", Some(&sync)).await;
    let entry = page["entries"][0]["entry_id"].as_str().unwrap().to_owned();
    let o = |entry: &str, outcome: &str, at: &str| json!({ "entry_id": entry, "outcome": outcome, "at": at });
    let at = "2026-01-02T03:04:05Z";
    refused(
        &t,
        "/v1/outcomes",
        k,
        json!({ "outcomes": [] }),
        StatusCode::BAD_REQUEST,
        "empty_batch",
    )
    .await;
    refused(
        &t,
        "/v1/outcomes",
        k,
        json!({ "outcomes": [o("e_123", "blocked", at)] }),
        StatusCode::BAD_REQUEST,
        "invalid_entry_id",
    )
    .await;
    refused(
        &t,
        "/v1/outcomes",
        k,
        json!({ "outcomes": [o(&entry, "deleted", at)] }),
        StatusCode::BAD_REQUEST,
        "invalid_json",
    )
    .await;
    refused(
        &t,
        "/v1/outcomes",
        k,
        json!({ "outcomes": [o(&entry, "blocked", "yesterday")] }),
        StatusCode::BAD_REQUEST,
        "invalid_time",
    )
    .await;
    refused(
        &t,
        "/v1/outcomes",
        k,
        json!({ "outcomes": [o(&entry, "blocked", at), o("e_0000000000000001", "blocked", at)] }),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let many: Vec<Value> = (0..1001).map(|_| o(&entry, "blocked", at)).collect();
    refused(
        &t,
        "/v1/outcomes",
        k,
        json!({ "outcomes": many }),
        StatusCode::BAD_REQUEST,
        "batch_too_large",
    )
    .await;
    // The valid report in the failed batch was not stored.
    let (_, status) = t.get(&format!("/v1/cases/{case_id}"), Some(&secret)).await;
    assert_eq!(status["outcomes"], json!([]));
}

#[tokio::test]
async fn sync_refuses_bad_cursors_and_limits() {
    let t = TestApp::new().await;
    let key = t.member("m", "sync").await;
    t.open_case(json!([pdq_input(&pdq(1), 90)])).await;
    for (query, want) in [
        ("cursor=not-a-cursor", "invalid_cursor"),
        ("cursor=cTE6LTE", "invalid_cursor"),     // "q1:-1"
        ("cursor=cTE6OTk5OTk", "invalid_cursor"), // "q1:99999": ahead of the list
        ("limit=0", "invalid_limit"),
        ("limit=50001", "invalid_limit"),
        ("limit=ten", "invalid_query"),
        ("since=0", "invalid_query"),
        ("audit_seen=-1", "invalid_query"),
        ("audit_seen=head", "invalid_query"),
        ("audit_seen=18446744073709551616", "invalid_query"),
        ("profiles=pdq-robust-v0", "invalid_profiles"),
    ] {
        let (status, body) = t.get(&format!("/v1/hashes?{query}"), Some(&key)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(code(&body), want, "{query}: {body}");
    }
    // A sequence number the chain never reached (or that no chain can) is answered with no
    // `audit_seen`, which a member reads as a cut chain; never a server error.
    for seen in ["999999", &u64::MAX.to_string()] {
        let (status, body) = t
            .get(&format!("/v1/hashes?audit_seen={seen}"), Some(&key))
            .await;
        assert_eq!(status, StatusCode::OK, "{seen}: {body}");
        assert!(body.get("audit_seen").is_none(), "{seen}: {body}");
        assert!(body["audit_head"].is_string(), "{body}");
    }
}

#[tokio::test]
async fn action_times_refuse_bad_day_counts() {
    let t = TestApp::new().await;
    let admin = t.member("ops", "admin").await;
    for (query, want) in [
        ("since_days=0", "invalid_limit"),
        ("since_days=3661", "invalid_limit"),
        ("since_days=-1", "invalid_query"),
        ("since_days=ninety", "invalid_query"),
        ("since_days=4294967296", "invalid_query"),
        ("days=7", "invalid_query"),
    ] {
        let (status, body) = t
            .get(&format!("/v1/admin/action-times?{query}"), Some(&admin))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(code(&body), want, "{query}: {body}");
    }
    for ok in ["since_days=1", "since_days=3660", ""] {
        let (status, body) = t
            .get(&format!("/v1/admin/action-times?{ok}"), Some(&admin))
            .await;
        assert_eq!(status, StatusCode::OK, "{ok}: {body}");
    }
}

#[tokio::test]
async fn case_and_admin_routes_refuse_bad_ids_and_bodies() {
    let t = TestApp::new().await;
    let admin = t.member("ops", "admin").await;
    let a = Some(admin.as_str());
    let (status, body) = t.get("/v1/cases/12345", Some("secret")).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_case_id")
    );
    // An unknown case and a wrong secret are indistinguishable.
    let (status, body) = t.get("/v1/cases/c_0000000000000001", Some("secret")).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, "invalid_credentials")
    );
    let (case_id, _) = t.open_case(json!([pdq_input(&pdq(1), 90)])).await;
    let (status, body) = t.get(&format!("/v1/cases/{case_id}"), Some("wrong")).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, "invalid_credentials")
    );
    let (status, _) = t
        .send(Method::GET, &format!("/v1/cases/{case_id}"), None, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    refused(
        &t,
        "/v1/admin/members",
        a,
        json!({ "name": "a b", "scopes": ["sync"] }),
        StatusCode::BAD_REQUEST,
        "invalid_member",
    )
    .await;
    refused(
        &t,
        "/v1/admin/members",
        a,
        json!({ "name": "ab", "scopes": [] }),
        StatusCode::BAD_REQUEST,
        "invalid_member",
    )
    .await;
    refused(
        &t,
        "/v1/admin/members",
        a,
        json!({ "name": "ab", "scopes": ["write"] }),
        StatusCode::BAD_REQUEST,
        "invalid_scope",
    )
    .await;
    refused(
        &t,
        "/v1/admin/members",
        a,
        json!({ "name": "ab", "scopes": ["sync"], "admin": true }),
        StatusCode::BAD_REQUEST,
        "invalid_json",
    )
    .await;
    refused(
        &t,
        "/v1/admin/entries/e_1/quarantine",
        a,
        json!({ "reason": "x" }),
        StatusCode::BAD_REQUEST,
        "invalid_entry_id",
    )
    .await;
    refused(
        &t,
        "/v1/admin/entries/e_0000000000000001/quarantine",
        a,
        json!({ "reason": "x" }),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    refused(
        &t,
        "/v1/admin/entries/e_0000000000000001/quarantine",
        a,
        json!({ "reason": "" }),
        StatusCode::BAD_REQUEST,
        "invalid_reason",
    )
    .await;
    refused(
        &t,
        "/v1/admin/members/nobody/disable",
        a,
        json!({}),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let (status, body) = t.get("/v1/admin/audit?limit=0", a).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_limit")
    );
    let (status, body) = t.get("/v1/admin/audit?after=-3", a).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_after")
    );

    // Unknown routes and methods answer in the same JSON shape.
    let (status, body) = t.get("/v1/nothing", None).await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "not_found"));
    let (status, body) = t.send(Method::DELETE, "/v1/cases", None, None).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
    );
}

#[tokio::test]
async fn hashes_on_the_operators_benign_list_are_refused() {
    use quell_registry::{Actor, BenignHash, Timestamp};
    let t = TestApp::new().await;
    let logo = pdq(41);
    let stock_md5 = "0123456789abcdef0123456789abcdef";
    let store = t.state.store();
    for (kind, value, reason) in [
        ("pdq", logo.as_str(), "the app's logo"),
        ("md5", stock_md5, "stock photo"),
    ] {
        let hash = BenignHash::new(kind, value, reason.into(), Timestamp::now()).unwrap();
        assert!(store.add_benign(&hash, &Actor::Cli).await.unwrap());
    }
    // Within matching distance of the logo's PDQ: refused by name, nothing written.
    let mut near = u128::from_str_radix(&logo[..32], 16).unwrap();
    near ^= 0b1011;
    let near = format!("{near:032x}{}", &logo[32..]);
    for (hashes, says) in [
        (
            json!([pdq_input(&pdq(7), 90), pdq_input(&near, 90)]),
            "hashes[1]: this pdq hash",
        ),
        (
            json!([{ "type": "md5", "value": stock_md5 }]),
            "hashes[0]: this md5 hash",
        ),
    ] {
        let before = footprint(&t).await;
        let (status, body) = t.post("/v1/cases", None, json!({ "hashes": hashes })).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(code(&body), "known_benign", "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(says) && message.contains("known-benign"),
            "{message}"
        );
        assert_eq!(footprint(&t).await, before);
    }
    // Unlisted again, the same case opens.
    let md5 = quell_registry::SignalKind::Md5;
    let removed = store.remove_benign(md5, stock_md5, "mistake", &Actor::Cli, Timestamp::now());
    assert!(removed.await.unwrap());
    let (status, body) = t
        .post(
            "/v1/cases",
            None,
            json!({ "hashes": [{ "type": "md5", "value": stock_md5 }] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}
