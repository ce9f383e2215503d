//! The wire format: field names as documented, unknown fields refused, error codes as
//! documented.

use quell_api::{ErrorBody, ErrorCode, HashType, MatchRequest, OpenCaseRequest, SyncEntry, SyncOp};
use serde_json::json;

#[test]
fn requests_refuse_unknown_fields() {
    let ok = json!({ "hashes": [{ "type": "pdq", "value": "ab", "quality": 90 }] });
    let req: OpenCaseRequest = serde_json::from_value(ok).unwrap();
    assert_eq!(req.hashes[0].kind, HashType::Pdq);
    for bad in [
        json!({ "hashes": [], "email": "x" }),
        json!({ "hashes": [{ "type": "pdq", "value": "ab", "qualty": 90 }] }),
        json!({ "hashes": [{ "type": "photodna", "value": "ab" }] }),
    ] {
        assert!(serde_json::from_value::<OpenCaseRequest>(bad).is_err());
    }
    assert!(
        serde_json::from_value::<MatchRequest>(json!({ "hashes": [], "threshold": 3 })).is_err()
    );
}

#[test]
fn tombstones_carry_no_hash_on_the_wire() {
    let t = SyncEntry {
        op: SyncOp::Tombstone,
        entry_id: "e_0000000000000001".into(),
        kind: HashType::Md5,
        value: None,
        quality: None,
        profile: None,
        part: None,
        registered_at: None,
        media_id: None,
    };
    assert_eq!(
        serde_json::to_value(&t).unwrap(),
        json!({ "op": "tombstone", "entry_id": "e_0000000000000001", "type": "md5" })
    );
}

#[test]
fn error_codes_round_trip_under_their_wire_names() {
    for code in ErrorCode::ALL {
        let json = serde_json::to_value(code).unwrap();
        assert_eq!(json, code.as_str());
        assert_eq!(serde_json::from_value::<ErrorCode>(json).unwrap(), code);
        assert_eq!(code.to_string(), code.as_str());
        assert_eq!(ErrorCode::from_wire(code.as_str()), Some(code));
    }
    // `ALL` is every variant, in order: serde's derive numbers the variants, and there is
    // none past `ALL`'s last.
    let by_index = |i: usize| {
        let index = serde::de::value::U32Deserializer::<serde::de::value::Error>::new(
            u32::try_from(i).unwrap(),
        );
        <ErrorCode as serde::Deserialize>::deserialize(index).ok()
    };
    for (i, code) in ErrorCode::ALL.into_iter().enumerate() {
        assert_eq!(by_index(i), Some(code));
    }
    assert_eq!(by_index(ErrorCode::ALL.len()), None);
}

#[test]
fn an_unknown_error_code_still_reads() {
    let body: ErrorBody =
        serde_json::from_value(json!({ "error": { "code": "teapot", "message": "I'm a teapot" } }))
            .unwrap();
    assert_eq!(body.error.code, "teapot");
    assert_eq!(body.error.known_code(), None);
    let body: ErrorBody = serde_json::from_value(
        json!({ "error": { "code": "not_found", "message": "no such case" } }),
    )
    .unwrap();
    assert_eq!(body.error.known_code(), Some(ErrorCode::NotFound));
}

/// docs/api.md's error table lists exactly the codes, each once.
#[test]
fn the_api_doc_lists_every_error_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/api.md");
    let doc = std::fs::read_to_string(path).expect("docs/api.md");
    let section = doc
        .split("\n## ")
        .find(|s| s.starts_with("Errors\n"))
        .expect("docs/api.md has an Errors section");
    let listed: Vec<&str> = section
        .lines()
        .filter_map(|l| l.strip_prefix("| `")?.split('`').next())
        .collect();
    let codes: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(
        listed, codes,
        "docs/api.md's error table against ErrorCode::ALL"
    );
}
