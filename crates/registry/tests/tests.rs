//! The registry's rules through its public API: opening a case, who may do what.

use quell_registry::{
    Action, ApiKey, CaseSecret, CredentialKind, Invalid, NewCase, Principal, Scope, Signal,
    Verified, authorize, credential,
};

fn pdq(quality: i64) -> Signal {
    Signal::from_parts(
        "pdq",
        "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22",
        Some(quality),
    )
    .unwrap()
}

#[test]
fn opening_a_case_stores_its_secrets_digest_and_gives_fresh_ids() {
    let kind = CredentialKind::CaseSecret;
    let (case, secret) = NewCase::open([pdq(80)]).unwrap();
    assert_eq!(secret.expose().len(), 32, "128 random bits");
    let verify = |secret: &str| credential::verify(kind, secret, case.secret_hash());
    assert_eq!(verify(secret.expose()), Verified::Yes);
    assert!(!case.secret_hash().contains(secret.expose()));
    assert!(!format!("{secret:?}").contains(secret.expose()));
    let (other, _) = NewCase::open([pdq(80)]).unwrap();
    assert_ne!(case.id(), other.id());
    assert_ne!(case.entries()[0].0, other.entries()[0].0);
    assert_eq!(verify(CaseSecret::random().expose()), Verified::No);
}

#[test]
fn a_low_quality_hash_is_refused_before_any_secret_is_made() {
    let (position, why) = NewCase::open([pdq(80), pdq(10)]).unwrap_err();
    assert_eq!((position, why), (1, Invalid::LowQuality(10)));
}

#[test]
fn api_key_secrets_are_what_gets_stored_as_a_digest() {
    let key = ApiKey::random();
    let stored = key.stored_form();
    let presented: ApiKey = key.expose().parse().unwrap();
    let check = |kind| credential::verify(kind, presented.secret(), &stored);
    assert_eq!(check(CredentialKind::ApiKey), Verified::Yes);
    assert_eq!(check(CredentialKind::CaseSecret), Verified::No);
    assert!(!stored.contains(key.secret()));
    assert!(
        key.expose()
            .starts_with(&format!("qk_{:016x}_", key.id().get()))
    );
}

#[test]
fn operators_cannot_read_cases_and_people_cannot_sync() {
    let operator = Principal::member_for_tests("ops", Scope::ALL.into_iter().collect());
    let case = quell_registry::CaseId::random();
    assert!(authorize(&operator, &Action::ReadCase(case)).is_err());
    assert!(authorize(&Principal::CaseHolder(case), &Action::Sync).is_err());
    assert!(authorize(&Principal::CaseHolder(case), &Action::WithdrawCase(case)).is_ok());
}
