//! The wire format: field names as documented, unknown fields refused.

use quell_api::{HashType, MatchRequest, OpenCaseRequest, SyncEntry, SyncOp};
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
    };
    assert_eq!(
        serde_json::to_value(&t).unwrap(),
        json!({ "op": "tombstone", "entry_id": "e_0000000000000001", "type": "md5" })
    );
}
