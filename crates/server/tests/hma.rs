//! The matcher's HMA-compatible routes, replaying the requests HMA 2.0 documents for its
//! `/m/` blueprint and checking each answer against its OpenAPI schemas: `RawLookupResponse`
//! (`matches`: ids, or `MatchWithDistance` objects), `LookupResponse` (bank name → list of
//! `MatchWithDistance`), `IndexStatusResponse` (signal type → `present`, `built_to`, `size`)
//! and `ErrorResponse` (`message`).

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt as _;
use quell_match::Matcher;
use quell_registry::{EntryId, Signal};
use quell_server::{Sidecar, sidecar_app};
use serde_json::{Value, json};
use tower::ServiceExt as _;

use crate::util::{near, pdq};

const KEY: &str = "local-key-local-key";
const MD5: &str = "900150983cd24fb0d6963f7d28e17f72";
const SHA256: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

async fn get(app: &Router, path: &str, key: Option<&str>) -> (StatusCode, Value) {
    let mut req = Request::get(path);
    if let Some(key) = key {
        req = req.header("authorization", format!("Bearer {key}"));
    }
    let response = app
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// HMA's `MatchWithDistance`: `bank_content_id` (int) and `distance` (str), here with the
/// entry id beside them, the same number in Quell's form.
fn assert_match_with_distance(m: &Value) {
    let id = m["bank_content_id"]
        .as_i64()
        .expect("bank_content_id is an int");
    assert!(m["distance"].is_string(), "{m}");
    assert_eq!(m["entry_id"], EntryId::from_i64(id).to_string(), "{m}");
    assert_eq!(m.as_object().unwrap().len(), 3, "{m}");
}

/// HMA's `ErrorResponse`.
fn assert_error(status: StatusCode, body: &Value, want_status: StatusCode, says: &str) {
    assert_eq!(status, want_status, "{body}");
    let message = body["message"]
        .as_str()
        .expect("an ErrorResponse has a message");
    assert!(message.contains(says), "{message:?} should say {says:?}");
}

/// A matcher holding a PDQ hash, an MD5 and a SHA-256, each its own entry.
fn matcher() -> (Vec<EntryId>, Matcher, String) {
    let image = pdq(11);
    let ids = vec![EntryId::random(), EntryId::random(), EntryId::random()];
    let entries = vec![
        (ids[0], Signal::from_parts("pdq", &image, Some(90)).unwrap()),
        (ids[1], Signal::from_parts("md5", MD5, None).unwrap()),
        (ids[2], Signal::from_parts("sha256", SHA256, None).unwrap()),
    ];
    (ids, Matcher::from_entries(entries), image)
}

#[tokio::test]
async fn hma_lookups_answer_in_hmas_shapes() {
    let (ids, matcher, image) = matcher();
    let sidecar = Sidecar::new(matcher, KEY);
    let app = sidecar_app(sidecar.clone());
    let k = Some(KEY);

    // raw_lookup: ids, or with include_distance the MatchWithDistance objects.
    let path = format!("/m/raw_lookup?signal_type=pdq&signal={}", near(&image, 3));
    let (status, body) = get(&app, &path, k).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({ "matches": [ids[0].get()] }));
    let (_, body) = get(&app, &format!("{path}&include_distance=true"), k).await;
    assert_eq!(
        body,
        json!({ "matches": [
            { "bank_content_id": ids[0].get(), "distance": "3", "entry_id": ids[0].to_string() },
        ] })
    );
    assert_match_with_distance(&body["matches"][0]);
    // PDQ matches within 31 bits, pytx's and HMA's threshold, and not past it.
    let far = format!("/m/raw_lookup?signal_type=pdq&signal={}", near(&image, 32));
    assert_eq!(get(&app, &far, k).await.1, json!({ "matches": [] }));

    // lookup by hash: bank → matches; `{}` when nothing matches.
    let path = format!("/m/lookup?signal_type=pdq&signal={}", near(&image, 31));
    let (status, body) = get(&app, &path, k).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let quell = body["QUELL"].as_array().unwrap();
    assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
    assert_eq!(quell.len(), 1);
    assert_match_with_distance(&quell[0]);
    assert_eq!(quell[0]["distance"], "31");
    assert_eq!(
        get(&app, &format!("{path}&banks=OTHER"), k).await.1,
        json!({})
    );
    assert_eq!(
        get(
            &app,
            &format!("{path}&banks=OTHER,QUELL&seed=42&bypass_coinflip=true"),
            k
        )
        .await
        .1,
        body
    );
    let (_, body) = get(
        &app,
        &format!("/m/lookup?signal_type=pdq&signal={}", pdq(12)),
        k,
    )
    .await;
    assert_eq!(body, json!({}));
    // Exact digests under pytx's names; an exact index prints no distance.
    for (signal_type, value, id) in [("video_md5", MD5, ids[1]), ("video_sha256", SHA256, ids[2])] {
        let (_, body) = get(
            &app,
            &format!(
                "/m/lookup?signal_type={signal_type}&signal={}",
                value.to_uppercase()
            ),
            k,
        )
        .await;
        assert_eq!(
            body,
            json!({ "QUELL": [{ "bank_content_id": id.get(), "distance": "-", "entry_id": id.to_string() }] }),
            "{signal_type}"
        );
    }

    // index/status: per signal type, present, built to the last sync, size.
    let (status, body) = get(&app, "/m/index/status", k).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({
            "pdq": { "present": false, "built_to": -1, "size": 1 },
            "video_md5": { "present": false, "built_to": -1, "size": 1 },
            "video_sha256": { "present": false, "built_to": -1, "size": 1 },
            "vpdq": { "present": false, "built_to": -1, "size": 0 },
        })
    );
    sidecar.sync_succeeded();
    let (_, body) = get(&app, "/m/index/status?signal_type=pdq", k).await;
    assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
    assert_eq!(body["pdq"]["present"], true);
    assert!(
        body["pdq"]["built_to"].as_i64().unwrap() > 1_700_000_000,
        "{body}"
    );
}

#[tokio::test]
async fn hma_requests_that_cannot_be_answered_get_hmas_error_shape() {
    let (_, matcher, image) = matcher();
    let app = sidecar_app(Sidecar::new(matcher, KEY));
    let k = Some(KEY);
    for (path, says) in [
        (
            "/m/raw_lookup?signal_type=photodna&signal=ab".to_owned(),
            "No such SignalType 'photodna'",
        ),
        (
            "/m/raw_lookup?signal_type=pdq&signal=12zz".to_owned(),
            "invalid signal",
        ),
        (
            "/m/raw_lookup?signal_type=pdq".to_owned(),
            "signal is required",
        ),
        (
            "/m/raw_lookup?signal=ab".to_owned(),
            "signal_type is required",
        ),
        (
            format!("/m/raw_lookup?signal_type=pdq&signal={image}&include_distance=maybe"),
            "not a boolean",
        ),
        (
            "/m/lookup?signal_type=pdq".to_owned(),
            "both signal and signal_type",
        ),
        (
            "/m/lookup?url=http://10.0.0.1/a.jpg".to_owned(),
            "never fetches URLs",
        ),
        (
            "/m/index/status?signal_type=photodna".to_owned(),
            "No such signal type",
        ),
    ] {
        let (status, body) = get(&app, &path, k).await;
        assert_error(status, &body, StatusCode::BAD_REQUEST, says);
    }
    // The local key, like every other route of the matcher.
    let path = format!("/m/lookup?signal_type=pdq&signal={image}");
    let (status, body) = get(&app, &path, None).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "local key");
    let (status, body) = get(&app, &path, Some("another-key-another")).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "local key");
}

#[tokio::test]
async fn an_open_hma_surface_leaves_the_other_routes_closed() {
    let (ids, matcher, image) = matcher();
    let app = sidecar_app(Sidecar::new(matcher, KEY).with_hma_without_key());
    let (status, body) = get(
        &app,
        &format!("/m/raw_lookup?signal_type=pdq&signal={image}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({ "matches": [ids[0].get()] }));
    assert_eq!(
        get(&app, "/metrics", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    let request = Request::post("/v1/match")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({ "hashes": [{ "type": "pdq", "value": image }] }).to_string(),
        ))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // Uploads stay behind the key: hashing files is the expensive part.
    for path in ["/v1/match/file", "/m/lookup"] {
        let request = Request::post(path)
            .header("content-type", "multipart/form-data; boundary=b")
            .body(Body::from("--b--\r\n"))
            .unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    // An empty `banks` filters nothing, as HMA reads it.
    let (_, body) = get(
        &app,
        &format!("/m/raw_lookup?signal_type=pdq&signal={image}&banks="),
        None,
    )
    .await;
    assert_eq!(body, json!({ "matches": [ids[0].get()] }));
}

#[tokio::test]
async fn an_empty_matcher_that_never_synced_is_not_ready() {
    let sidecar = Sidecar::new(Matcher::from_entries(Vec::new()), KEY);
    let app = sidecar_app(sidecar.clone());
    let path = format!("/m/raw_lookup?signal_type=pdq&signal={}", pdq(3));
    let (status, body) = get(&app, &path, Some(KEY)).await;
    assert_error(
        status,
        &body,
        StatusCode::SERVICE_UNAVAILABLE,
        "index not yet ready",
    );
    sidecar.sync_succeeded();
    assert_eq!(
        get(&app, &path, Some(KEY)).await.1,
        json!({ "matches": [] })
    );
}
