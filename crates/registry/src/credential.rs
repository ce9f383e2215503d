//! How API keys and case secrets are stored and checked.
//!
//! **Key decision: a fast keyed digest, not a password hash.** Both credentials are random
//! (a case secret has 128 bits, an API key's secret half 256), so no guess list or brute force
//! reaches them, online or from a stolen database. A slow password hash (argon2, which this
//! registry used before) protected nothing for such secrets, made every check cost tens of
//! milliseconds of CPU, and so forced failure limits per client address, which locked out
//! every valid key behind a shared address (a NAT, a shelter's Wi-Fi) once someone there erred.
//! Stored now: `hmac-sha256$<64 hex digits>`, the HMAC-SHA-256 of the secret under a key that
//! names the kind of credential (domain separation: a case secret's digest never verifies as
//! an API key's). A check is about a microsecond and compares in constant time.
//!
//! Stored argon2 strings (`$argon2id$…`) still verify; a successful check of one returns the
//! digest to store instead ([`Verified::Upgrade`]), so old credentials move over on first use.

use argon2::{Argon2, PasswordVerifier};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::{CaseId, KeyId};

/// The stored form's prefix.
const PREFIX: &str = "hmac-sha256$";

/// What a credential is; each kind has its own HMAC key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CredentialKind {
    /// The secret half of a member's API key.
    ApiKey,
    /// A case's secret.
    CaseSecret,
}

impl CredentialKind {
    fn mac(self, secret: &str) -> Hmac<Sha256> {
        let key: &[u8] = match self {
            Self::ApiKey => b"quell api key v1",
            Self::CaseSecret => b"quell case secret v1",
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key size");
        mac.update(secret.as_bytes());
        mac
    }
}

/// One stored credential: an API key by its key id, or a case's secret by its case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CredentialId {
    /// A member's API key.
    ApiKey(KeyId),
    /// A case's secret.
    Case(CaseId),
}

impl CredentialId {
    /// The kind of credential.
    pub fn kind(self) -> CredentialKind {
        match self {
            Self::ApiKey(_) => CredentialKind::ApiKey,
            Self::Case(_) => CredentialKind::CaseSecret,
        }
    }
}

/// The result of checking a presented secret against its stored form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verified {
    /// The secret does not match (or the stored form is unreadable).
    No,
    /// The secret matches.
    Yes,
    /// The secret matches an older stored form: store this digest in its place.
    Upgrade(String),
}

impl Verified {
    /// Whether the secret matched.
    pub fn is_match(&self) -> bool {
        !matches!(self, Self::No)
    }
}

/// The stored form of `secret`.
pub fn digest(kind: CredentialKind, secret: &str) -> String {
    // The same 64 lowercase hex digits as a SHA-256 digest anywhere else in Quell.
    let mac: [u8; 32] = kind.mac(secret).finalize().into_bytes().into();
    format!("{PREFIX}{}", quell_hash::Sha256::from_bytes(mac))
}

/// Whether checking against `stored` is slow (an argon2 string from before digests), so the
/// caller can move it off the async executor.
pub fn is_slow(stored: &str) -> bool {
    stored.starts_with("$argon2")
}

/// Checks `secret` against its stored form.
pub fn verify(kind: CredentialKind, secret: &str, stored: &str) -> Verified {
    if let Some(hex) = stored.strip_prefix(PREFIX) {
        let Ok(expected) = hex.parse::<quell_hash::Sha256>() else {
            return Verified::No;
        };
        return match kind.mac(secret).verify_slice(expected.as_bytes()) {
            Ok(()) => Verified::Yes,
            Err(_) => Verified::No,
        };
    }
    if is_slow(stored)
        && Argon2::default()
            .verify_password(secret.as_bytes(), stored)
            .is_ok()
    {
        return Verified::Upgrade(digest(kind, secret));
    }
    Verified::No
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::PasswordHasher;

    #[test]
    fn only_the_right_secret_of_the_right_kind_verifies() {
        let stored = digest(CredentialKind::CaseSecret, "open sesame");
        assert_eq!(stored.len(), PREFIX.len() + 64);
        assert_eq!(
            verify(CredentialKind::CaseSecret, "open sesame", &stored),
            Verified::Yes
        );
        for (kind, secret) in [
            (CredentialKind::CaseSecret, "open sesame!"),
            (CredentialKind::CaseSecret, ""),
            (CredentialKind::ApiKey, "open sesame"),
        ] {
            assert_eq!(verify(kind, secret, &stored), Verified::No, "{secret}");
        }
        for broken in [
            "",
            "hmac-sha256$",
            "hmac-sha256$zz",
            &stored[..stored.len() - 1],
        ] {
            assert_eq!(
                verify(CredentialKind::CaseSecret, "open sesame", broken),
                Verified::No
            );
        }
    }

    #[test]
    fn the_stored_form_never_changes() {
        // Stored digests must verify forever: this pins the keys and the encoding (the value
        // is Python's `hmac.new(b"quell api key v1", b"abc", hashlib.sha256).hexdigest()`).
        assert_eq!(
            digest(CredentialKind::ApiKey, "abc"),
            "hmac-sha256$c77a2404545199fa4a9a49b72b6e1117491c45e605c462d8f5d3c91d7c0333c3"
        );
    }

    #[test]
    fn an_argon2_string_from_before_digests_verifies_and_asks_to_be_replaced() {
        let params = argon2::Params::new(64, 1, 1, None).unwrap();
        let old = Argon2::from(&params)
            .hash_password(b"open sesame")
            .unwrap()
            .to_string();
        assert!(is_slow(&old) && old.starts_with("$argon2id$"));
        let kind = CredentialKind::CaseSecret;
        assert_eq!(
            verify(kind, "open sesame", &old),
            Verified::Upgrade(digest(kind, "open sesame"))
        );
        assert_eq!(verify(kind, "open sesame!", &old), Verified::No);
        assert!(!is_slow(&digest(kind, "x")));
    }
}
