//! vPDQ through the registry's HTTP API, with the sample videos' reference hashes
//! (`../shared/vectors/vpdq/expected-1s`): cases, dedupe, status, sync, match percentages
//! equal to the pairwise brute-force matcher, withdrawal, restart, and garbage.

use std::path::PathBuf;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use quell_registry::Store;
use quell_vpdq::{MatchParams, VideoHash, format, match_brute};
use serde_json::{Value, json};

use crate::util::{TestApp, code, pdq, pdq_input};

fn vectors() -> PathBuf {
    let root = std::env::var_os("QUELL_VECTORS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors"),
        PathBuf::from,
    );
    root.join("vpdq")
}

/// One hash per second, as `quell hash` computes by default.
fn sample(name: &str) -> VideoHash {
    let path = vectors().join("expected-1s").join(format!("{name}.txt"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (set QUELL_VECTORS)", path.display()));
    format::from_text(&text).unwrap()
}

/// pytx's own spelling: `json.dumps` puts a space after each comma.
fn pytx_value(video: &VideoHash) -> String {
    format!("[{}]", {
        let items: Vec<String> = format::to_pytx_strings(video)
            .iter()
            .map(|s| format!("\"{s}\""))
            .collect();
        items.join(", ")
    })
}

fn vpdq_input(video: &VideoHash) -> Value {
    json!({ "type": "vpdq", "value": pytx_value(video) })
}

async fn match_one(t: &TestApp, key: &str, query: Value) -> (StatusCode, Value) {
    t.post("/v1/match", Some(key), json!({ "hashes": [query] }))
        .await
}

#[tokio::test]
async fn a_registered_video_matches_its_variants_until_withdrawn() {
    let t = TestApp::new().await;
    let key = t.member("m", "match,sync").await;
    let registered = sample("chair-orig-22-sd-bar");
    let (case, secret) = t
        .open_case(json!([
            vpdq_input(&registered),
            vpdq_input(&registered),
            pdq_input(&pdq(1), 90)
        ]))
        .await;
    let (status, body) = t.get(&format!("/v1/cases/{case}"), Some(&secret)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["hashes"],
        json!({ "pdq": 1, "md5": 0, "sha256": 0, "vpdq": 1 })
    );

    // The sync feed carries the canonical form: what pytx writes, without spaces.
    let (_, page) = t.get("/v1/hashes", Some(&key)).await;
    let upsert = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "vpdq")
        .unwrap()
        .clone();
    assert_eq!(upsert["value"], format::to_pytx_json(&registered));
    assert!(upsert.get("quality").is_none());
    let entry = upsert["entry_id"].as_str().unwrap().to_owned();

    // Another encoding of the clip (a shorter cut at another CRF) and an unrelated clip, with
    // the percentages the brute-force matcher computes for the pair.
    let variant = sample("chair-20-sd-bar");
    let want = match_brute(&variant, &registered, &MatchParams::PYTX);
    assert!(want.query_match_pct >= 80.0, "{want:?}");
    let (status, body) = match_one(&t, &key, vpdq_input(&variant)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["results"][0]["matches"],
        json!([{
            "entry_id": entry,
            "query_match_percent": want.query_match_pct,
            "compared_match_percent": want.compared_match_pct,
            "registered_at": upsert["registered_at"],
            "media_id": upsert["media_id"],
        }])
    );
    let unrelated = sample("pattern-hd-no-bar");
    assert_eq!(
        match_brute(&unrelated, &registered, &MatchParams::PYTX).query_match_pct,
        0.0
    );
    let (_, body) = match_one(&t, &key, vpdq_input(&unrelated)).await;
    assert_eq!(body["results"][0]["matches"], json!([]));

    // The index is rebuilt from the store on start.
    let t = t.restart().await;
    let (_, body) = match_one(&t, &key, vpdq_input(&variant)).await;
    assert_eq!(body["results"][0]["matches"][0]["entry_id"], entry);

    // Withdrawal drops the video from the index at once and tombstones it in the feed.
    let (status, body) = t
        .post(
            &format!("/v1/cases/{case}/withdraw"),
            Some(&secret),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["withdrawn_hashes"], 2);
    let (_, body) = match_one(&t, &key, vpdq_input(&variant)).await;
    assert_eq!(body["results"][0]["matches"], json!([]));
    let (_, page) = t.get("/v1/hashes", Some(&key)).await;
    let entries = page["entries"].as_array().unwrap();
    assert!(entries.iter().all(|e| e["op"] == "tombstone"), "{page}");
    assert!(
        entries
            .iter()
            .any(|e| e["entry_id"] == entry.as_str() && e["type"] == "vpdq")
    );
}

/// One query video against several registered ones at once: every match, best first.
#[tokio::test]
async fn one_query_is_matched_against_every_registered_video() {
    let t = TestApp::new().await;
    let key = t.member("m", "match").await;
    let names = [
        "chair-22-sd-grey-bar",
        "chair-22-with-small-logo-bar",
        "chair-22-with-large-logo-bar",
        "pattern-hd-no-bar",
    ];
    for name in names {
        t.open_case(json!([vpdq_input(&sample(name))])).await;
    }
    let query = sample("chair-20-sd-bar");
    let (_, body) = match_one(&t, &key, vpdq_input(&query)).await;
    let got: Vec<(f64, f64)> = body["results"][0]["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["query_match_percent"].as_f64().unwrap(),
                m["compared_match_percent"].as_f64().unwrap(),
            )
        })
        .collect();
    let mut want: Vec<(f64, f64)> = names
        .iter()
        .map(|n| match_brute(&query, &sample(n), &MatchParams::PYTX))
        .filter(|p| p.query_match_pct >= 80.0)
        .map(|p| (p.query_match_pct, p.compared_match_pct))
        .collect();
    want.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.total_cmp(&a.1)));
    assert_eq!(
        got.len(),
        2,
        "grey and small logo, not large logo nor the pattern clip: {body}"
    );
    assert_eq!(got, want);
}

/// What footprint a request left: (changes, audit events).
async fn footprint(t: &TestApp) -> (i64, usize) {
    let store = t.state.store();
    (
        store.last_change().await.unwrap(),
        store.audit_events(0, 10_000).await.unwrap().len(),
    )
}

#[tokio::test]
async fn bad_vpdq_hashes_are_refused_with_what_is_wrong() {
    let t = TestApp::new().await;
    let key = t.member("m", "match").await;
    let frame = pdq(3);
    let one = |q: u8| format!("{frame},{q},0.000");
    let many = |n: usize| {
        let items: Vec<String> = (0..n).map(|i| format!("\"{frame},90,{i}.000\"")).collect();
        format!("[{}]", items.join(","))
    };
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            json!("[\"abc"),
            "invalid_hash",
            "hashes[0]: bad vPDQ hash: vPDQ JSON",
        ),
        (json!("{}"), "invalid_hash", "expected a list of strings"),
        (
            json!(format!("[\"{}\", \"zz{},90,1.000\"]", one(90), &frame[2..])),
            "invalid_hash",
            "element 1: bad PDQ hash",
        ),
        (
            json!(format!("[\"{frame},90\"]")),
            "invalid_hash",
            "element 0: bad record: expected 3 comma-separated fields",
        ),
        (
            json!(format!("[\"{frame},101,0.000\"]")),
            "invalid_hash",
            "element 0: bad quality",
        ),
        (json!("[]"), "invalid_hash", "at least one frame"),
        (
            json!(format!("[\"{}\", \"{}\"]", one(49), one(10))),
            "low_quality",
            "no frame of this video's vPDQ hash reaches quality 50 (the best is 49)",
        ),
        (
            json!(many(10_001)),
            "invalid_hash",
            "at most 10000 frames, got 10001",
        ),
    ];
    for (value, want, says) in cases {
        let before = footprint(&t).await;
        let hashes = json!([pdq_input(&pdq(4), 90), { "type": "vpdq", "value": value }]);
        let (status, body) = t.post("/v1/cases", None, json!({ "hashes": hashes })).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{value}: {body}");
        assert_eq!(code(&body), want, "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(&says.replace("hashes[0]", "hashes[1]")),
            "{message:?} should say {says:?}"
        );
        assert_eq!(footprint(&t).await, before);
    }
    // A quality field on a vPDQ hash.
    let (status, body) = t
        .post(
            "/v1/cases",
            None,
            json!({ "hashes": [{ "type": "vpdq", "value": many(1), "quality": 90 }] }),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_hash")
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("only PDQ hashes have a quality")
    );

    // Match: the same parse errors; a query of plain frames is not an error but matches
    // nothing; frames count against a per-request budget.
    let (status, body) = match_one(&t, &key, json!({ "type": "vpdq", "value": "[\"abc" })).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_hash"),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("hashes[0]: bad vPDQ hash")
    );
    let plain = format!("[\"{}\"]", one(10));
    let (status, body) = match_one(&t, &key, json!({ "type": "vpdq", "value": plain })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let half = json!({ "type": "vpdq", "value": many(5_001) });
    let (status, body) = t
        .post(
            "/v1/match",
            Some(&key),
            json!({ "hashes": [half.clone(), half] }),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "too_many_frames"),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at most 10000 vPDQ frames per request, got 10002")
    );

    // A body over 1 MiB is refused before it is parsed.
    let big = json!({ "hashes": [{ "type": "vpdq", "value": many(14_000) }] }).to_string();
    assert!(big.len() > 1 << 20);
    let req = Request::builder()
        .method(Method::POST)
        .uri("/v1/cases")
        .header("content-type", "application/json")
        .body(Body::from(big))
        .unwrap();
    let (status, body) = t.raw(req).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large")
    );
}

/// The largest vPDQ the registry takes fits its request limit, in pytx's spelling.
#[test]
fn the_frame_limit_fits_the_body_limit() {
    let frame = "f".repeat(64);
    let items: Vec<String> = (0..quell_registry::MAX_VPDQ_FRAMES)
        .map(|i| format!("\"{frame},100,{i}.000\""))
        .collect();
    let body =
        json!({ "hashes": [{ "type": "vpdq", "value": format!("[{}]", items.join(", ")) }] });
    assert!(body.to_string().len() < quell_server::Config::default().max_body_bytes);
}

#[tokio::test]
async fn the_openapi_document_describes_vpdq() {
    let t = TestApp::new().await;
    let (_, doc) = t.get("/openapi.json", None).await;
    let schemas = &doc["components"]["schemas"];
    let hit = &schemas["MatchHit"]["properties"];
    for field in ["distance", "query_match_percent", "compared_match_percent"] {
        assert!(hit.get(field).is_some(), "MatchHit.{field}: {hit}");
    }
    assert!(
        schemas["HashType"].to_string().contains("\"vpdq\""),
        "{}",
        schemas["HashType"]
    );
    assert!(schemas["HashCounts"]["properties"].get("vpdq").is_some());
}

#[tokio::test]
async fn a_max_distance_below_31_is_refused_for_video_queries_not_ignored() {
    let t = TestApp::new().await;
    let key = t.member("m", "match").await;
    let registered = sample("chair-orig-22-sd-bar");
    t.open_case(json!([vpdq_input(&registered), pdq_input(&pdq(1), 90)]))
        .await;
    let variant = sample("chair-20-sd-bar");
    let mixed = |max: Option<u32>| {
        let pdq_query = json!({ "type": "pdq", "value": pdq(1) });
        let mut req = json!({ "hashes": [pdq_query, vpdq_input(&variant)] });
        if let Some(max) = max {
            req["max_distance"] = json!(max);
        }
        req
    };
    for max in [0, 10, 30] {
        let (status, body) = t.post("/v1/match", Some(&key), mixed(Some(max))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(code(&body), "invalid_max_distance", "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("hashes[1]") && message.contains("PDQ only"),
            "{message}"
        );
    }
    // The default, whether spelled out or not, is the video rule itself: both match.
    for max in [None, Some(31)] {
        let (status, body) = t.post("/v1/match", Some(&key), mixed(max)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let results = body["results"].as_array().unwrap();
        assert!(
            results
                .iter()
                .all(|r| r["matches"].as_array().unwrap().len() == 1),
            "{body}"
        );
    }
    // PDQ alone still takes any distance.
    let (status, body) = t
        .post(
            "/v1/match",
            Some(&key),
            json!({ "hashes": [{ "type": "pdq", "value": pdq(1) }], "max_distance": 0 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
