//! Argon2 hashing of case secrets and API-key secrets.

use argon2::{Argon2, Params, PasswordHasher, PasswordVerifier};

/// A stored hash that cannot be parsed or parameters argon2 refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("argon2 parameters rejected: {0}")]
pub struct SecretHasherError(String);

/// Hashes and verifies secrets with Argon2id.
///
/// The parameters are part of each stored hash, so verification always uses the parameters a
/// secret was hashed with; changing them affects only new secrets.
#[derive(Clone, Debug)]
pub struct SecretHasher {
    params: Params,
}

impl Default for SecretHasher {
    /// Argon2id with the crate's recommended defaults (19 MiB, 2 passes).
    fn default() -> Self {
        Self {
            params: Params::default(),
        }
    }
}

impl SecretHasher {
    /// Argon2id with explicit memory (KiB) and pass counts, e.g. a cheaper setting for test
    /// suites that open thousands of cases.
    ///
    /// # Errors
    /// If argon2 refuses the parameters.
    pub fn with_cost(memory_kib: u32, passes: u32) -> Result<Self, SecretHasherError> {
        Params::new(memory_kib, passes, 1, None)
            .map(|params| Self { params })
            .map_err(|e| SecretHasherError(e.to_string()))
    }

    /// The PHC string of `secret` under a fresh random salt.
    ///
    /// # Panics
    /// Only if the operating system has no randomness to give, which nothing can recover from.
    pub fn hash(&self, secret: &str) -> String {
        Argon2::from(&self.params)
            .hash_password(secret.as_bytes())
            .expect("argon2 with valid parameters and an OS random salt")
            .to_string()
    }

    /// Whether `secret` matches the stored PHC string. A malformed stored hash never matches.
    pub fn verify(&self, secret: &str, stored: &str) -> bool {
        Argon2::default()
            .verify_password(secret.as_bytes(), stored)
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifies_only_the_right_secret() {
        let h = SecretHasher::with_cost(64, 1).unwrap();
        let stored = h.hash("open sesame");
        assert!(stored.starts_with("$argon2id$"));
        assert!(h.verify("open sesame", &stored));
        assert!(!h.verify("open sesame!", &stored));
        assert!(!h.verify("open sesame", "not a hash"));
        // Verification reads the parameters from the stored hash.
        assert!(SecretHasher::default().verify("open sesame", &stored));
    }
}
