//! Submit → sync sees it → match finds it → outcome → status shows it → withdraw → sync
//! delivers the tombstone → match finds nothing.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::util::{TestApp, near, pdq, pdq_input};

async fn sync_all(t: &TestApp, key: &str, cursor: Option<&str>) -> (Vec<Value>, String) {
    let mut entries = Vec::new();
    let mut cursor = cursor.map(str::to_owned);
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/hashes?limit=2&cursor={c}"),
            None => "/v1/hashes?limit=2".to_owned(),
        };
        let (status, page) = t.get(&path, Some(key)).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        entries.extend(page["entries"].as_array().unwrap().iter().cloned());
        cursor = Some(page["next_cursor"].as_str().unwrap().to_owned());
        if !page["has_more"].as_bool().unwrap() {
            return (entries, cursor.unwrap());
        }
    }
}

async fn match_one(t: &TestApp, key: &str, kind: &str, value: &str) -> Vec<Value> {
    let (status, body) = t
        .post(
            "/v1/match",
            Some(key),
            json!({ "hashes": [{ "type": kind, "value": value }] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["results"][0]["matches"].as_array().unwrap().clone()
}

#[tokio::test]
async fn submit_sync_match_outcome_status_withdraw() {
    let t = TestApp::new().await;
    let member = t.member("acme", "sync,match,outcomes").await;
    let image = pdq(7);
    let md5 = "900150983cd24fb0d6963f7d28e17f72";
    let sha = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    // Submit: one photo's hashes, numbered as its file 0.
    let mut photo = pdq_input(&image, 92);
    photo["file"] = json!(0);
    let (case_id, secret) = t
        .open_case(json!([
            photo,
            { "type": "md5", "value": md5.to_uppercase(), "file": 0 },
            { "type": "sha256", "value": sha, "file": 0 },
            pdq_input(&image, 92),
        ]))
        .await;
    assert!(case_id.starts_with("c_"));

    // Sync sees three entries (the duplicate counts once), with opaque ids and no case id, in
    // entry id order (the order the store writes a case in): here sorted by type to read them.
    let (mut entries, cursor) = sync_all(&t, &member, None).await;
    assert_eq!(entries.len(), 3, "{entries:?}");
    let ids: Vec<String> = entries.iter().map(|e| e["entry_id"].to_string()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    let type_order = |e: &Value| {
        ["pdq", "md5", "sha256"]
            .iter()
            .position(|t| e["type"] == *t)
    };
    entries.sort_by_key(type_order);
    assert!(entries.iter().all(|e| e["op"] == "upsert"));
    assert_eq!(entries[0]["type"], "pdq");
    assert_eq!(entries[0]["value"], image);
    assert_eq!(entries[0]["quality"], 92);
    assert_eq!(
        entries[1]["value"], md5,
        "hashes are normalised to lowercase"
    );
    let text = serde_json::to_string(&entries).unwrap();
    assert!(!text.contains(&case_id) && !text.contains(&case_id[2..]));
    let pdq_entry = entries[0]["entry_id"].as_str().unwrap().to_owned();
    // Every upsert says when the person registered it: when the case was opened.
    let (_, opened) = t.get(&format!("/v1/cases/{case_id}"), Some(&secret)).await;
    let registered = &opened["opened_at"];
    assert!(registered.is_string(), "{opened}");
    assert!(
        entries.iter().all(|e| e["registered_at"] == *registered),
        "{entries:?}"
    );
    // And which file it was made from: the photo's three hashes share one media id.
    let media = &entries[0]["media_id"];
    assert!(media.as_str().unwrap().starts_with("md_"), "{entries:?}");
    assert!(
        entries.iter().all(|e| e["media_id"] == *media),
        "{entries:?}"
    );

    // Match: the PDQ within 31 bits, not at 32; digests exactly. Hits carry the entry's
    // registration time, for the member's queue to order by.
    let hits = match_one(&t, &member, "pdq", &near(&image, 31)).await;
    assert_eq!(
        hits,
        vec![
            json!({ "entry_id": pdq_entry, "distance": 31, "registered_at": registered, "media_id": media })
        ]
    );
    assert!(
        match_one(&t, &member, "pdq", &near(&image, 32))
            .await
            .is_empty()
    );
    let (_, narrow) = t
        .post(
            "/v1/match",
            Some(&member),
            json!({ "hashes": [{ "type": "pdq", "value": near(&image, 5) }], "max_distance": 4 }),
        )
        .await;
    assert_eq!(narrow["results"][0]["matches"], json!([]));
    assert_eq!(match_one(&t, &member, "md5", md5).await.len(), 1);
    assert_eq!(match_one(&t, &member, "sha256", sha).await.len(), 1);
    assert!(
        match_one(&t, &member, "md5", &"0".repeat(32))
            .await
            .is_empty()
    );

    // Outcome, then the status shows it.
    let (status, body) = t
        .post(
            "/v1/outcomes",
            Some(&member),
            json!({ "outcomes": [
            { "entry_id": pdq_entry, "outcome": "blocked", "at": "2026-03-04T05:06:07Z" },
        ] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The same outcome on another hash of the photo is the same report: recorded once.
    let md5_entry = entries[1]["entry_id"].as_str().unwrap();
    let (status, body) = t
        .post(
            "/v1/outcomes",
            Some(&member),
            json!({ "outcomes": [
            { "entry_id": md5_entry, "outcome": "blocked", "at": "2026-03-04T05:07:00Z" },
        ] }),
        )
        .await;
    assert_eq!(
        (status, &body["recorded"]),
        (StatusCode::OK, &json!(0)),
        "{body}"
    );
    let (status, case) = t.get(&format!("/v1/cases/{case_id}"), Some(&secret)).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(
        case["hashes"],
        json!({ "pdq": 1, "md5": 1, "sha256": 1, "vpdq": 0 })
    );
    assert_eq!(
        case["media"],
        json!({ "photos": 1, "videos": 0, "other": 0 })
    );
    assert_eq!(
        case["outcomes"],
        json!([{ "member": "acme", "outcome": "blocked", "at": "2026-03-04T05:06:07Z" }])
    );
    assert!(case.get("withdrawn_at").is_none());

    // Withdraw: sync delivers tombstones (without the hashes), match finds nothing.
    let (status, body) = t
        .send(
            axum::http::Method::POST,
            &format!("/v1/cases/{case_id}/withdraw"),
            Some(&secret),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["withdrawn_hashes"], 3);
    let (tombstones, _) = sync_all(&t, &member, Some(&cursor)).await;
    assert_eq!(tombstones.len(), 3);
    assert!(tombstones.iter().all(|e| e["op"] == "tombstone"
        && e.get("value").is_none()
        && e.get("registered_at").is_none()));
    let ids = |list: &[Value]| {
        let mut ids: Vec<String> = list.iter().map(|e| e["entry_id"].to_string()).collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&tombstones), ids(&entries));
    assert!(match_one(&t, &member, "pdq", &image).await.is_empty());
    assert!(match_one(&t, &member, "md5", md5).await.is_empty());
    assert!(match_one(&t, &member, "sha256", sha).await.is_empty());
    // A member starting now never receives the withdrawn hashes.
    let (fresh, _) = sync_all(&t, &member, None).await;
    assert!(fresh.iter().all(|e| e["op"] == "tombstone"));
    let (_, case) = t.get(&format!("/v1/cases/{case_id}"), Some(&secret)).await;
    assert!(case["withdrawn_at"].is_string());

    // The audit log holds the case's life, and the chain verifies.
    let events = t.state.store();
    let events = quell_registry::Store::audit_events(events, 0, 100)
        .await
        .unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["member.add", "case.open", "case.withdraw"]);
    quell_registry::verify_chain(&events).unwrap();
}

#[tokio::test]
async fn the_index_is_rebuilt_from_the_store_on_restart() {
    let t = TestApp::new().await;
    let member = t.member("acme", "match").await;
    let (keep, _) = t.open_case(json!([pdq_input(&pdq(1), 90)])).await;
    let (gone, secret) = t.open_case(json!([pdq_input(&pdq(2), 90)])).await;
    t.send(
        axum::http::Method::POST,
        &format!("/v1/cases/{gone}/withdraw"),
        Some(&secret),
        None,
    )
    .await;
    let _ = keep;
    let t2 = t.restart().await;
    assert_eq!(t2.state.indexed_entries(), 1);
    assert_eq!(match_one(&t2, &member, "pdq", &pdq(1)).await.len(), 1);
    assert!(match_one(&t2, &member, "pdq", &pdq(2)).await.is_empty());
}

#[tokio::test]
async fn a_second_server_on_the_same_database_follows_the_change_feed() {
    let a = TestApp::new().await;
    let member = a.member("acme", "match").await;
    let b_state = quell_server::AppState::new(
        a.state.store().clone(),
        quell_server::Config {
            index_poll: None,
            ..crate::util::config()
        },
    )
    .await
    .unwrap();
    let b = TestApp {
        app: quell_server::app(b_state.clone()),
        state: b_state,
        ..TestApp::new().await
    };
    let md5 = "0123456789abcdef0123456789abcdef";
    let (case_id, secret) = a
        .open_case(json!([pdq_input(&pdq(5), 90), { "type": "md5", "value": md5 }]))
        .await;
    assert_eq!(match_one(&a, &member, "pdq", &pdq(5)).await.len(), 1);
    assert!(match_one(&b, &member, "pdq", &pdq(5)).await.is_empty());
    assert_eq!(b.state.catch_up().await.unwrap(), 2);
    assert_eq!(match_one(&b, &member, "pdq", &pdq(5)).await.len(), 1);
    assert_eq!(match_one(&b, &member, "md5", md5).await.len(), 1);
    // Replaying again changes nothing: entries are never indexed twice.
    assert_eq!(b.state.catch_up().await.unwrap(), 0);
    assert_eq!(a.state.catch_up().await.unwrap(), 0);
    assert_eq!(b.state.indexed_entries(), 2);

    a.send(
        axum::http::Method::POST,
        &format!("/v1/cases/{case_id}/withdraw"),
        Some(&secret),
        None,
    )
    .await;
    assert_eq!(b.state.catch_up().await.unwrap(), 2);
    assert!(match_one(&b, &member, "pdq", &pdq(5)).await.is_empty());
    assert!(match_one(&b, &member, "md5", md5).await.is_empty());
    assert_eq!(b.state.indexed_entries(), 0);
}

/// One `POST /v1/match` search under `pdq-robust-v5` for an upload hash of kind `upload`:
/// the entry ids, distances and parts it returns.
async fn match_filed(
    t: &TestApp,
    key: &str,
    upload: &str,
    value: &str,
) -> Vec<(String, u64, String)> {
    let (status, body) = t
        .post(
            "/v1/match",
            Some(key),
            json!({ "hashes": [{ "type": "pdq", "value": value,
                                  "profile": "pdq-robust-v5", "upload": upload }] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["results"][0]["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["entry_id"].as_str().unwrap().to_owned(),
                m["distance"].as_u64().unwrap(),
                m["part"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// A case's filed hashes sync with their profile and part, and `POST /v1/match` searches them
/// only by the profile's plan: each part at its own distance, the cut part only for cut
/// uploads, never for a plain query; a withdrawal takes them out of both.
#[tokio::test]
async fn filed_hashes_sync_with_their_part_and_match_by_the_profile_plan_only() {
    let t = TestApp::new().await;
    let member = t.member("acme", "sync,match").await;
    let (plain, whole, variant, cut) = (pdq(11), pdq(12), pdq(13), pdq(14));
    let filed = |value: &str, part: &str| {
        json!({ "type": "pdq", "value": value, "quality": 90,
                "profile": "pdq-robust-v5", "part": part })
    };
    let (case_id, secret) = t
        .open_case(json!([
            pdq_input(&plain, 90),
            filed(&whole, "whole"),
            filed(&variant, "variant"),
            filed(&cut, "cut"),
        ]))
        .await;
    let (status, case) = t.get(&format!("/v1/cases/{case_id}"), Some(&secret)).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(
        case["hashes"],
        json!({ "pdq": 1, "md5": 0, "sha256": 0, "vpdq": 0, "pdq_filed": 3 })
    );
    // A member that does not name the profile gets the plain hash only.
    let (entries, _) = sync_all(&t, &member, None).await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["value"], plain);
    let (status, body) = t
        .get("/v1/hashes?profiles=pdq-robust-v4", Some(&member))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "invalid_profiles");
    let (status, page) = t
        .get("/v1/hashes?profiles=pdq-robust-v5", Some(&member))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let entries = page["entries"].as_array().unwrap().clone();
    assert_eq!(entries.len(), 4, "{entries:?}");
    let id_of = |value: &str| -> String {
        let e = entries.iter().find(|e| e["value"] == value).unwrap();
        e["entry_id"].as_str().unwrap().to_owned()
    };
    let by_value = |value: &str| entries.iter().find(|e| e["value"] == value).unwrap();
    assert!(by_value(&plain).get("profile").is_none() && by_value(&plain).get("part").is_none());
    for (value, part) in [(&whole, "whole"), (&variant, "variant"), (&cut, "cut")] {
        let e = by_value(value);
        assert_eq!(
            (&e["profile"], &e["part"]),
            (&json!("pdq-robust-v5"), &json!(part))
        );
    }

    // Plain queries see the plain hash only, however near a filed one.
    assert!(match_one(&t, &member, "pdq", &whole).await.is_empty());
    let hits = match_one(&t, &member, "pdq", &plain).await;
    assert_eq!(hits.len(), 1);
    assert!(
        hits[0].get("part").is_none(),
        "a plain hit has no part: {hits:?}"
    );
    // A whole upload: the whole part within 44, the variants within 36, never the cuts. A cut
    // upload: the cuts within 31, nothing else.
    for (upload, query, found) in [
        ("whole", near(&whole, 44), Some((&whole, 44, "whole"))),
        ("trim", near(&whole, 45), None),
        (
            "whole_turned",
            near(&variant, 36),
            Some((&variant, 36, "variant")),
        ),
        ("whole", near(&variant, 37), None),
        ("whole", cut.clone(), None),
        ("whole", plain.clone(), None),
        ("cut", near(&cut, 31), Some((&cut, 31, "cut"))),
        ("cut", near(&cut, 32), None),
        ("cut", whole.clone(), None),
    ] {
        let found: Vec<_> = found
            .iter()
            .map(|&(hash, d, part)| (id_of(hash), d, part.to_owned()))
            .collect();
        assert_eq!(
            match_filed(&t, &member, upload, &query).await,
            found,
            "{upload} upload {query}"
        );
    }

    // Refused, with the reason: a profile search with max_distance, an unknown profile or
    // upload kind, one without the other, a digest.
    let search = |extra: Value| {
        let mut q = json!({ "type": "pdq", "value": whole, "profile": "pdq-robust-v5",
                            "upload": "whole" });
        q.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        q
    };
    for (body, code, says) in [
        (
            json!({ "hashes": [search(json!({}))], "max_distance": 20 }),
            "invalid_max_distance",
            "profile's plan",
        ),
        (
            json!({ "hashes": [search(json!({ "profile": "pdq-robust-v4" }))] }),
            "invalid_hash",
            "does not file hashes under parts",
        ),
        (
            json!({ "hashes": [search(json!({ "upload": "crop" }))] }),
            "invalid_hash",
            "unknown upload \"crop\"",
        ),
        (
            json!({ "hashes": [{ "type": "pdq", "value": whole, "upload": "cut" }] }),
            "invalid_hash",
            "both its profile and its upload",
        ),
        (
            json!({ "hashes": [search(json!({ "type": "md5", "value": &whole[..32] }))] }),
            "invalid_hash",
            "only PDQ hashes",
        ),
    ] {
        let (status, resp) = t.post("/v1/match", Some(&member), body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {resp}");
        assert_eq!(resp["error"]["code"], code, "{resp}");
        let message = resp["error"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{message:?} should say {says:?}");
    }

    // Toward the flood rule (5 matches in these tests) an entry counts once per upload: a
    // profile's upload is its `whole` query and the queries after it. The whole entry has
    // matched once so far; a request of two uploads, each finding it in two searches, makes
    // 3, one upload of three searches 4, and the next match is the 5th: answered, then the
    // entry is quarantined.
    let trim = search(json!({ "upload": "trim" }));
    for uploads in [
        vec![
            search(json!({})),
            trim.clone(),
            search(json!({})),
            trim.clone(),
        ],
        vec![search(json!({})), trim.clone(), trim],
    ] {
        let (status, body) = t
            .post("/v1/match", Some(&member), json!({ "hashes": uploads }))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    assert_eq!(
        match_filed(&t, &member, "whole", &whole).await,
        vec![(id_of(&whole), 0, "whole".to_owned())],
        "the 5th match"
    );
    assert!(
        match_filed(&t, &member, "whole", &whole).await.is_empty(),
        "quarantined after 5 uploads"
    );

    let (status, body) = t
        .send(
            axum::http::Method::POST,
            &format!("/v1/cases/{case_id}/withdraw"),
            Some(&secret),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(match_filed(&t, &member, "whole", &whole).await.is_empty());
    assert!(match_filed(&t, &member, "cut", &cut).await.is_empty());
}

#[tokio::test]
async fn an_outcome_dated_in_the_future_shows_when_it_was_received() {
    let t = TestApp::new().await;
    let member = t.member("acme", "sync,match,outcomes").await;
    let (case_id, secret) = t.open_case(json!([pdq_input(&pdq(9), 90)])).await;
    let (entries, _) = sync_all(&t, &member, None).await;
    let entry = entries[0]["entry_id"].as_str().unwrap().to_owned();
    let (status, body) = t
        .post(
            "/v1/outcomes",
            Some(&member),
            json!({ "outcomes": [
                { "entry_id": entry, "outcome": "blocked", "at": "2099-01-01T00:00:00Z" },
            ] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, case) = t.get(&format!("/v1/cases/{case_id}"), Some(&secret)).await;
    let at = case["outcomes"][0]["at"].as_str().unwrap();
    let opened = case["opened_at"].as_str().unwrap();
    // RFC 3339 in UTC with the same precision sorts as text.
    assert!(
        !at.starts_with("2099") && at[..19] >= opened[..19],
        "outcome at {at}, case opened at {opened}"
    );
}
