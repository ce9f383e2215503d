//! Quarantine: by false-positive reports, by match flood, and by an operator; release.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::util::{TestApp, pdq, pdq_input};

async fn matches(t: &TestApp, key: &str, hex: &str) -> usize {
    let (status, body) = t
        .post(
            "/v1/match",
            Some(key),
            json!({ "hashes": [{ "type": "pdq", "value": hex }] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["results"][0]["matches"].as_array().unwrap().len()
}

async fn last_sync_op(t: &TestApp, key: &str) -> (String, String) {
    let (_, page) = t.get("/v1/hashes?limit=1000", Some(key)).await;
    let last = page["entries"].as_array().unwrap().last().unwrap().clone();
    (
        last["op"].as_str().unwrap().to_owned(),
        last["entry_id"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn false_positive_reports_from_enough_members_quarantine_an_entry() {
    let t = TestApp::new().await;
    let a = t.member("a", "sync,match,outcomes").await;
    let b = t.member("b", "outcomes").await;
    let admin = t.member("ops", "admin").await;
    let (case_id, secret) = t.open_case(json!([pdq_input(&pdq(1), 90)])).await;
    let (_, entry) = last_sync_op(&t, &a).await;
    let report = json!({ "outcomes": [{ "entry_id": entry, "outcome": "false_positive", "at": "2026-01-01T00:00:00Z" }] });

    // One member, even reporting twice, is not enough (threshold 2 distinct members).
    t.post("/v1/outcomes", Some(&a), report.clone()).await;
    t.post("/v1/outcomes", Some(&a), report.clone()).await;
    assert_eq!(matches(&t, &a, &pdq(1)).await, 1);
    let (status, _) = t.post("/v1/outcomes", Some(&b), report).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(matches(&t, &a, &pdq(1)).await, 0);
    assert_eq!(
        last_sync_op(&t, &a).await,
        ("tombstone".into(), entry.clone())
    );

    // False positives are not shown to the affected person; that a hash is paused is.
    let (_, status) = t.get(&format!("/v1/cases/{case_id}"), Some(&secret)).await;
    assert_eq!(status["outcomes"], json!([]));
    assert_eq!(status["paused"], 1);

    // The operator sees it with its context: which case, since when, why, who reported what.
    let (status, list) = t.get("/v1/admin/quarantine", Some(&admin)).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let listed = &list["entries"][0];
    assert_eq!(list["entries"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(
        (&listed["entry_id"], &listed["case_id"], &listed["type"]),
        (&json!(entry), &json!(case_id), &json!("pdq"))
    );
    assert_eq!(listed["reason"], "2 members reported false positives");
    assert!(listed["since"].is_string(), "{listed}");
    let reporters: Vec<&str> = listed["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["member"].as_str().unwrap())
        .collect();
    // Member a's retry was not recorded twice.
    assert_eq!(reporters, ["a", "b"], "{listed}");
    let (status, _) = t.get("/v1/admin/quarantine?limit=0", Some(&admin)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (_, audit) = t.get("/v1/admin/audit", Some(&admin)).await;
    let last = audit["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "entry.quarantine");
    assert_eq!(last["actor"], "system:false-positive-reports");
    assert_eq!(last["subject"], entry);

    // An operator reviews it and releases it: it matches again and is re-sent.
    let (status, body) = t
        .send(
            Method::POST,
            &format!("/v1/admin/entries/{entry}/release"),
            Some(&admin),
            Some(json!({ "reason": "the photos differ" })),
        )
        .await;
    assert_eq!(
        (status, body["changed"].clone()),
        (StatusCode::OK, json!(true))
    );
    assert_eq!(matches(&t, &a, &pdq(1)).await, 1);
    let (_, audit) = t.get("/v1/admin/audit", Some(&admin)).await;
    let last = audit["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (&last["action"], &last["detail"]),
        (&json!("entry.release"), &json!("reason=the photos differ"))
    );
    let (_, list) = t.get("/v1/admin/quarantine", Some(&admin)).await;
    assert_eq!(list["entries"], json!([]));
    let (_, status) = t.get(&format!("/v1/cases/{case_id}"), Some(&secret)).await;
    assert_eq!(status["paused"], 0);
    assert_eq!(last_sync_op(&t, &a).await, ("upsert".into(), entry));
}

#[tokio::test]
async fn a_match_flood_quarantines_an_entry() {
    let t = TestApp::new().await;
    let m = t.member("m", "sync,match").await;
    t.open_case(json!([pdq_input(&pdq(1), 90), pdq_input(&pdq(2), 90)]))
        .await;
    // The test configuration quarantines at 5 matches per window.
    for _ in 0..4 {
        assert_eq!(matches(&t, &m, &pdq(1)).await, 1);
    }
    assert_eq!(
        matches(&t, &m, &pdq(1)).await,
        1,
        "the 5th match is answered, then quarantined"
    );
    assert_eq!(matches(&t, &m, &pdq(1)).await, 0);
    assert_eq!(
        matches(&t, &m, &pdq(2)).await,
        1,
        "other entries are unaffected"
    );
    assert_eq!(last_sync_op(&t, &m).await.0, "tombstone");
}

#[tokio::test]
async fn an_operator_quarantines_by_hand_and_it_survives_a_restart() {
    let t = TestApp::new().await;
    let m = t.member("m", "sync,match").await;
    let admin = t.member("ops", "admin").await;
    t.open_case(json!([pdq_input(&pdq(1), 90)])).await;
    let (_, entry) = last_sync_op(&t, &m).await;
    let path = format!("/v1/admin/entries/{entry}/quarantine");
    let (status, body) = t
        .post(
            &path,
            Some(&admin),
            json!({ "reason": "reported as unrelated" }),
        )
        .await;
    assert_eq!(
        (status, body["changed"].clone()),
        (StatusCode::OK, json!(true))
    );
    let (_, body) = t
        .post(&path, Some(&admin), json!({ "reason": "again" }))
        .await;
    assert_eq!(body["changed"], json!(false));
    assert_eq!(matches(&t, &m, &pdq(1)).await, 0);
    let t = t.restart().await;
    assert_eq!(matches(&t, &m, &pdq(1)).await, 0);
}
