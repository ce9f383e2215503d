//! Every endpoint × every role: the allowed role succeeds, every other role is refused with
//! 401 (no or invalid credentials) or 403 (valid credentials, wrong role or scope).

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::util::{TestApp, code, pdq, pdq_input};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Role {
    Anonymous,
    /// The holder of the case the request is about.
    Holder,
    /// The holder of a different case.
    OtherHolder,
    /// A member with exactly this scope.
    Member(&'static str),
    /// A well-formed API key that does not exist.
    UnknownKey,
}

const ROLES: [Role; 8] = [
    Role::Anonymous,
    Role::Holder,
    Role::OtherHolder,
    Role::Member("sync"),
    Role::Member("match"),
    Role::Member("outcomes"),
    Role::Member("admin"),
    Role::UnknownKey,
];

#[derive(Clone, Copy, Debug)]
enum Access {
    Public,
    CaseHolder,
    Scope(&'static str),
}

struct Endpoint {
    name: &'static str,
    access: Access,
    ok: StatusCode,
}

const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        name: "open_case",
        access: Access::Public,
        ok: StatusCode::CREATED,
    },
    Endpoint {
        name: "case_status",
        access: Access::CaseHolder,
        ok: StatusCode::OK,
    },
    Endpoint {
        name: "withdraw",
        access: Access::CaseHolder,
        ok: StatusCode::OK,
    },
    Endpoint {
        name: "sync",
        access: Access::Scope("sync"),
        ok: StatusCode::OK,
    },
    Endpoint {
        name: "match",
        access: Access::Scope("match"),
        ok: StatusCode::OK,
    },
    Endpoint {
        name: "outcomes",
        access: Access::Scope("outcomes"),
        ok: StatusCode::OK,
    },
    Endpoint {
        name: "list_members",
        access: Access::Scope("admin"),
        ok: StatusCode::OK,
    },
    Endpoint {
        name: "add_member",
        access: Access::Scope("admin"),
        ok: StatusCode::CREATED,
    },
    Endpoint {
        name: "disable_member",
        access: Access::Scope("admin"),
        ok: StatusCode::OK,
    },
    Endpoint {
        name: "rotate_key",
        access: Access::Scope("admin"),
        ok: StatusCode::OK,
    },
    Endpoint {
        name: "audit",
        access: Access::Scope("admin"),
        ok: StatusCode::OK,
    },
    Endpoint {
        name: "quarantine",
        access: Access::Scope("admin"),
        ok: StatusCode::OK,
    },
    Endpoint {
        name: "release",
        access: Access::Scope("admin"),
        ok: StatusCode::OK,
    },
    Endpoint {
        name: "quarantined",
        access: Access::Scope("admin"),
        ok: StatusCode::OK,
    },
    Endpoint {
        name: "action_times",
        access: Access::Scope("admin"),
        ok: StatusCode::OK,
    },
    Endpoint {
        name: "metrics",
        access: Access::Scope("admin"),
        ok: StatusCode::OK,
    },
    Endpoint {
        name: "healthz",
        access: Access::Public,
        ok: StatusCode::OK,
    },
    Endpoint {
        name: "registry_about",
        access: Access::Public,
        ok: StatusCode::OK,
    },
    Endpoint {
        name: "openapi",
        access: Access::Public,
        ok: StatusCode::OK,
    },
    // The affected person's page and its script: public, whatever credentials come along.
    Endpoint {
        name: "page",
        access: Access::Public,
        ok: StatusCode::OK,
    },
    Endpoint {
        name: "page_script",
        access: Access::Public,
        ok: StatusCode::OK,
    },
];

fn expected(access: Access, role: Role, ok: StatusCode) -> StatusCode {
    match (access, role) {
        (Access::Public, _) => ok,
        (Access::CaseHolder, Role::Holder) => ok,
        (Access::CaseHolder, Role::Member(_)) => StatusCode::FORBIDDEN,
        (Access::CaseHolder, _) => StatusCode::UNAUTHORIZED,
        (Access::Scope(needed), Role::Member(has)) if needed == has => ok,
        (Access::Scope(_), Role::Member(_)) => StatusCode::FORBIDDEN,
        (Access::Scope(_), _) => StatusCode::UNAUTHORIZED,
    }
}

#[tokio::test]
async fn every_endpoint_by_every_role() {
    let t = TestApp::new().await;
    let mut keys = std::collections::HashMap::new();
    for scope in ["sync", "match", "outcomes", "admin"] {
        keys.insert(scope, t.member(&format!("m-{scope}"), scope).await);
    }
    t.member("victim", "sync").await;
    let (_, other_secret) = t.open_case(json!([pdq_input(&pdq(999), 90)])).await;
    // An entry to report on, quarantine and release.
    t.open_case(json!([pdq_input(&pdq(1), 90)])).await;
    let (_, page) = t.get("/v1/hashes", Some(&keys["sync"])).await;
    let entry = page["entries"][1]["entry_id"].as_str().unwrap().to_owned();
    let unknown_key = format!("qk_{:016x}_{}", 1, "ab".repeat(32));

    let mut n = 0;
    for ep in ENDPOINTS {
        for role in ROLES {
            n += 1;
            // Each request about a case gets a fresh case, so that withdrawing is repeatable.
            let (case_id, secret) = t.open_case(json!([pdq_input(&pdq(10_000 + n), 90)])).await;
            let bearer: Option<&str> = match role {
                Role::Anonymous => None,
                Role::Holder => Some(&secret),
                Role::OtherHolder => Some(&other_secret),
                Role::Member(scope) => Some(&keys[scope]),
                Role::UnknownKey => Some(&unknown_key),
            };
            let (method, path, body): (Method, String, Option<Value>) = match ep.name {
                "open_case" => (
                    Method::POST,
                    "/v1/cases".into(),
                    Some(json!({ "hashes": [pdq_input(&pdq(20_000 + n), 80)] })),
                ),
                "case_status" => (Method::GET, format!("/v1/cases/{case_id}"), None),
                "withdraw" => (Method::POST, format!("/v1/cases/{case_id}/withdraw"), None),
                "sync" => (Method::GET, "/v1/hashes?limit=10".into(), None),
                "match" => (
                    Method::POST,
                    "/v1/match".into(),
                    Some(json!({ "hashes": [{ "type": "pdq", "value": pdq(1) }] })),
                ),
                "outcomes" => (
                    Method::POST,
                    "/v1/outcomes".into(),
                    Some(json!({ "outcomes": [{
                        "entry_id": entry, "outcome": "blocked", "at": "2026-01-02T03:04:05Z"
                    }] })),
                ),
                "list_members" => (Method::GET, "/v1/admin/members".into(), None),
                "add_member" => (
                    Method::POST,
                    "/v1/admin/members".into(),
                    Some(json!({ "name": format!("new-{n}"), "scopes": ["sync"] })),
                ),
                "disable_member" => (
                    Method::POST,
                    "/v1/admin/members/victim/disable".into(),
                    None,
                ),
                "rotate_key" => (
                    Method::POST,
                    "/v1/admin/members/victim/rotate-key".into(),
                    None,
                ),
                "audit" => (Method::GET, "/v1/admin/audit".into(), None),
                "quarantine" => (
                    Method::POST,
                    format!("/v1/admin/entries/{entry}/quarantine"),
                    Some(json!({ "reason": "review" })),
                ),
                "release" => (
                    Method::POST,
                    format!("/v1/admin/entries/{entry}/release"),
                    Some(json!({ "reason": "reviewed" })),
                ),
                "quarantined" => (Method::GET, "/v1/admin/quarantine".into(), None),
                "metrics" => (Method::GET, "/metrics".into(), None),
                "action_times" => (Method::GET, "/v1/admin/action-times".into(), None),
                "healthz" => (Method::GET, "/healthz".into(), None),
                "registry_about" => (Method::GET, "/v1/registry".into(), None),
                "openapi" => (Method::GET, "/openapi.json".into(), None),
                "page" => (Method::GET, "/".into(), None),
                "page_script" => (Method::GET, "/assets/index.js".into(), None),
                other => unreachable!("endpoint {other} has no request"),
            };
            let (status, body) = t.send(method, &path, bearer, body).await;
            let want = expected(ep.access, role, ep.ok);
            assert_eq!(status, want, "{} as {role:?}: {body}", ep.name);
            if !status.is_success() {
                assert!(
                    matches!(
                        code(&body),
                        "unauthenticated" | "invalid_credentials" | "forbidden"
                    ),
                    "{} as {role:?}: {body}",
                    ep.name
                );
            }
        }
    }
}

#[tokio::test]
async fn disabled_members_and_rotated_keys_are_refused_at_once() {
    let t = TestApp::new().await;
    let admin = t.member("ops", "admin").await;
    let sync = t.member("acme", "sync").await;
    assert_eq!(t.get("/v1/hashes", Some(&sync)).await.0, StatusCode::OK);

    let (status, body) = t
        .send(
            Method::POST,
            "/v1/admin/members/acme/rotate-key",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let new_key = body["api_key"].as_str().unwrap().to_owned();
    // The old key was verified and cached a moment ago; rotation clears the cache.
    let (status, body) = t.get("/v1/hashes", Some(&sync)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(t.get("/v1/hashes", Some(&new_key)).await.0, StatusCode::OK);

    t.send(
        Method::POST,
        "/v1/admin/members/acme/disable",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(
        t.get("/v1/hashes", Some(&new_key)).await.0,
        StatusCode::UNAUTHORIZED
    );

    // A key whose secret half is wrong is refused like an unknown one.
    let mut forged = admin.clone();
    forged.pop();
    forged.push(if admin.ends_with('0') { '1' } else { '0' });
    let (status, body) = t.get("/v1/admin/members", Some(&forged)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(code(&body), "invalid_credentials");
}

#[tokio::test]
async fn member_endpoints_audit_who_acted() {
    let t = TestApp::new().await;
    let admin = t.member("ops", "admin").await;
    t.post(
        "/v1/admin/members",
        Some(&admin),
        json!({ "name": "acme", "scopes": ["sync", "match"] }),
    )
    .await;
    let (status, body) = t
        .post(
            "/v1/admin/members",
            Some(&admin),
            json!({ "name": "acme", "scopes": ["sync"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (_, audit) = t.get("/v1/admin/audit", Some(&admin)).await;
    let events = audit["events"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[1]["action"], "member.add");
    assert_eq!(events[1]["actor"], "member:ops");
    assert_eq!(events[1]["subject"], "acme");
    assert!(!events[1]["detail"].as_str().unwrap().contains("qk_"));
}
