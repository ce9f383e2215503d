//! Credentials stored by older versions (argon2) keep working and move to digests on first use.

use argon2::PasswordHasher as _;
use axum::http::StatusCode;
use quell_registry::{Actor, ApiKey, CaseId, CredentialId, NewMember, Scopes, Store, Timestamp};

use crate::util::{TestApp, pdq};

/// An argon2id string, as versions before digests stored (cheap parameters, same format).
fn argon2(secret: &str) -> String {
    let params = argon2::Params::new(64, 1, 1, None).unwrap();
    argon2::Argon2::from(&params)
        .hash_password(secret.as_bytes())
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn an_api_key_stored_as_argon2_works_and_is_replaced_by_its_digest() {
    let a = TestApp::new().await;
    let key = ApiKey::random();
    let old = argon2(key.secret());
    a.state
        .store()
        .add_member(
            &NewMember::new("legacy", "sync".parse::<Scopes>().unwrap()).unwrap(),
            key.id(),
            &old,
            &Actor::Cli,
            Timestamp::now(),
        )
        .await
        .unwrap();
    let stored = || async {
        a.state
            .store()
            .api_key(key.id())
            .await
            .unwrap()
            .unwrap()
            .secret_hash
    };
    let wrong = format!("qk_{:016x}_{}", key.id().get(), "0".repeat(64));
    let (status, _) = a.get("/v1/hashes", Some(&wrong)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(stored().await, old, "a wrong secret changes nothing");
    let (status, body) = a.get("/v1/hashes", Some(key.expose())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(stored().await, key.stored_form());
    // And the digest works from then on (past the key cache, after a restart).
    let a = a.restart().await;
    let (status, _) = a.get("/v1/hashes", Some(key.expose())).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_case_secret_stored_as_argon2_works_and_is_replaced_by_its_digest() {
    let a = TestApp::new().await;
    let (case_id, secret) = a
        .open_case(serde_json::json!([{ "type": "pdq", "value": pdq(7), "quality": 90 }]))
        .await;
    let case: CaseId = case_id.parse().unwrap();
    let store = a.state.store();
    let digest = store.case_auth(case).await.unwrap().unwrap().secret_hash;
    assert!(digest.starts_with("hmac-sha256$"), "{digest}");
    // Put the case back as an older version stored it.
    let old = argon2(&secret);
    let id = CredentialId::Case(case);
    store.replace_credential(id, &digest, &old).await.unwrap();
    let path = format!("/v1/cases/{case_id}");
    let (status, _) = a.get(&path, Some("0123456789abcdef0123456789abcdef")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = a.get(&path, Some(&secret)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        store.case_auth(case).await.unwrap().unwrap().secret_hash,
        digest
    );
}
