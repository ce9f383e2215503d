//! The request rules and the flood rule's grouping, through the crate's public API: what the
//! registry and every member's matcher answer alike.

use quell_api::{HashType, MatchQuery, MatchRequest};
use quell_hash::{Pdq, Quality};
use quell_match::{Closeness, Matcher, Query, RequestError, matches_per_upload, parse_request};
use quell_registry::{EntryId, Signal};

const HEX: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";

fn query(kind: HashType, value: &str) -> MatchQuery {
    MatchQuery {
        kind,
        value: value.to_owned(),
        profile: None,
        upload: None,
    }
}

fn filed(upload: &str) -> MatchQuery {
    MatchQuery {
        profile: Some("pdq-robust-v5".to_owned()),
        upload: Some(upload.to_owned()),
        ..query(HashType::Pdq, HEX)
    }
}

fn request(hashes: Vec<MatchQuery>, max_distance: Option<u32>) -> MatchRequest {
    MatchRequest {
        hashes,
        max_distance,
    }
}

fn refusal(req: &MatchRequest) -> RequestError {
    parse_request(req).expect_err("the request breaks a rule")
}

#[test]
fn each_rule_refuses_with_its_own_code() {
    let cases = [
        (request(vec![], None), "empty_batch"),
        (
            request(vec![query(HashType::Pdq, HEX); 1001], None),
            "batch_too_large",
        ),
        (
            request(vec![query(HashType::Pdq, HEX)], Some(32)),
            "invalid_max_distance",
        ),
        (
            request(vec![filed("whole")], Some(20)),
            "invalid_max_distance",
        ),
        (
            request(vec![query(HashType::Pdq, "12")], None),
            "invalid_hash",
        ),
        (request(vec![filed("sideways")], None), "invalid_hash"),
        (
            request(
                vec![MatchQuery {
                    upload: None,
                    ..filed("whole")
                }],
                None,
            ),
            "invalid_hash",
        ),
        (
            request(
                vec![MatchQuery {
                    profile: Some("pdq-plain-v1".to_owned()),
                    ..filed("whole")
                }],
                None,
            ),
            "invalid_hash",
        ),
    ];
    for (req, code) in cases {
        let e = refusal(&req);
        assert_eq!(e.code().as_str(), code, "{e}");
    }
    // The message names the offending hash.
    let e = refusal(&request(
        vec![query(HashType::Pdq, HEX), query(HashType::Md5, "zz")],
        None,
    ));
    assert!(e.to_string().starts_with("hashes[1]: "), "{e}");
}

#[test]
fn a_valid_request_parses_in_order_with_its_distance() {
    let parsed = parse_request(&request(
        vec![
            query(HashType::Pdq, HEX),
            filed("cut"),
            query(HashType::Md5, "d41d8cd98f00b204e9800998ecf8427f"),
        ],
        None,
    ))
    .unwrap();
    assert_eq!(parsed.max_distance.get(), 31);
    assert!(matches!(parsed.queries[0], Query::Pdq(_)));
    assert!(matches!(
        parsed.queries[1],
        Query::Filed {
            profile: "pdq-robust-v5",
            ..
        }
    ));
    assert!(matches!(parsed.queries[2], Query::Md5(_)));
}

/// A plain query is an upload; a profile's queries from one `whole` to the next are one.
#[test]
fn the_flood_rule_counts_an_entry_once_per_upload() {
    let hash: Pdq = HEX.parse().unwrap();
    let entry = EntryId::from_i64(5);
    let matcher = Matcher::from_entries([(
        entry,
        Signal::Pdq {
            hash,
            quality: Quality::new(90).unwrap(),
            filing: None,
        },
    )]);
    let plain = parse_request(&request(vec![query(HashType::Pdq, HEX); 2], None)).unwrap();
    let results = matcher.lookup_all(&plain);
    assert_eq!(results[0], vec![(entry, Closeness::Distance(0), None)]);
    assert_eq!(matches_per_upload(&plain.queries, &results), vec![entry; 2]);

    // Two uploads of three searches each, every search finding the entry: counted twice.
    let uploads = parse_request(&request(
        vec![
            filed("whole"),
            filed("trim"),
            filed("cut"),
            filed("whole"),
            filed("trim"),
            filed("cut"),
        ],
        None,
    ))
    .unwrap();
    let found = vec![vec![(entry, Closeness::Distance(3), None)]; 6];
    assert_eq!(matches_per_upload(&uploads.queries, &found), vec![entry; 2]);
}
