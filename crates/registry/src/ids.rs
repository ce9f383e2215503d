//! Random identifiers and secrets, and their printed forms.
//!
//! Entry and case ids are random 63-bit numbers (they fit a signed 64-bit SQL column and are
//! the match index's ids as they are), printed with a prefix saying what they are.

use std::fmt;
use std::str::FromStr;

/// An identifier or key string that does not have the expected shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} must look like {example}")]
pub struct ParseIdError {
    what: &'static str,
    example: &'static str,
}

fn random_id() -> i64 {
    // Zero is never issued so that it can never collide with a default value.
    loop {
        let v = (rand::random::<u64>() >> 1) as i64;
        if v != 0 {
            return v;
        }
    }
}

fn parse_prefixed_u63(
    s: &str,
    prefix: &str,
    what: &'static str,
    example: &'static str,
) -> Result<i64, ParseIdError> {
    let err = ParseIdError { what, example };
    let digits = s.strip_prefix(prefix).ok_or(err.clone())?;
    if digits.len() != 16 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(err);
    }
    let v = u64::from_str_radix(digits, 16).map_err(|_| err.clone())?;
    i64::try_from(v).map_err(|_| err)
}

macro_rules! random_id_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $what:literal, $example:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
        pub struct $name(i64);

        impl $name {
            /// A fresh random id.
            pub fn random() -> Self {
                Self(random_id())
            }

            /// Wraps a stored id.
            pub const fn from_i64(v: i64) -> Self {
                Self(v)
            }

            /// The id as stored.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{:016x}"), self.0)
            }
        }

        impl FromStr for $name {
            type Err = ParseIdError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                parse_prefixed_u63(s, $prefix, $what, $example).map(Self)
            }
        }
    };
}

random_id_type!(
    /// A hash-list entry as members see it: random, and unrelated to the case that holds it.
    EntryId, "e_", "an entry id", "e_ followed by 16 hex digits"
);
random_id_type!(
    /// One file a person registered (a photo, a video, any other file): every hash made from
    /// it in one case shares it, so a member raises one ticket per file, not per hash.
    /// Random like the others, so it says nothing but which hashes belong together.
    MediaId, "md_", "a media id", "md_ followed by 16 hex digits"
);
random_id_type!(
    /// A case, as the affected person sees it.
    CaseId, "c_", "a case id", "c_ followed by 16 hex digits"
);
random_id_type!(
    /// A member platform.
    MemberId, "m_", "a member id", "m_ followed by 16 hex digits"
);
random_id_type!(
    /// The public half of an API key: which stored key to check the secret against.
    KeyId, "k_", "a key id", "k_ followed by 16 hex digits"
);

impl MediaId {
    /// The media of an entry whose registry never said (one registered before media ids): a
    /// file of its own, numbered as the entry. The store reads such entries so
    /// (`COALESCE(media_id, id)`), and members do the same.
    pub const fn of_lone_entry(entry: EntryId) -> Self {
        Self(entry.get())
    }
}

fn random_hex<const N: usize>() -> String {
    use std::fmt::Write as _;
    let bytes: [u8; N] = rand::random();
    bytes.iter().fold(String::with_capacity(2 * N), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The secret that proves someone holds a case. Shown once; only its argon2 hash is stored.
///
/// `Debug` does not print the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct CaseSecret(String);

impl CaseSecret {
    /// A fresh secret: 128 random bits as 32 hex digits.
    pub fn random() -> Self {
        Self(random_hex::<16>())
    }

    /// Wraps a secret someone presented (not checked: verification does that).
    pub fn from_presented(s: &str) -> Self {
        Self(s.to_owned())
    }

    /// The secret, to show once or to verify.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for CaseSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CaseSecret(<redacted>)")
    }
}

/// A member's API key, `qk_<key id>_<secret>`: the key id finds the stored digest
/// without a scan, the 256-bit secret is what is checked.
///
/// `Debug` does not print the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey {
    id: KeyId,
    full: String,
}

impl ApiKey {
    /// A fresh key.
    pub fn random() -> Self {
        let id = KeyId::random();
        let full = format!("qk_{:016x}_{}", id.get(), random_hex::<32>());
        Self { id, full }
    }

    /// The key id (the part looked up).
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// The secret half, which is what is checked.
    pub fn secret(&self) -> &str {
        &self.full[20..]
    }

    /// What the registry stores for this key (see [`crate::credential`]).
    pub fn stored_form(&self) -> String {
        crate::credential::digest(crate::CredentialKind::ApiKey, self.secret())
    }

    /// The whole key, to show once or to send in `Authorization: Bearer`.
    pub fn expose(&self) -> &str {
        &self.full
    }
}

impl FromStr for ApiKey {
    type Err = ParseIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = ParseIdError {
            what: "an API key",
            example: "qk_<16 hex digits>_<64 hex digits>",
        };
        let rest = s.strip_prefix("qk_").ok_or(err.clone())?;
        let (id, secret) = rest.split_once('_').ok_or(err.clone())?;
        if secret.len() != 64 || !secret.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(err);
        }
        let id = parse_prefixed_u63(id, "", "an API key", err.example).map_err(|_| err)?;
        Ok(Self {
            id: KeyId(id),
            full: s.to_owned(),
        })
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey({}, <redacted>)", self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_reject_garbage() {
        let e = EntryId::random();
        assert!(e.get() > 0);
        assert_eq!(e.to_string().parse::<EntryId>().unwrap(), e);
        assert!("c_0000000000000001".parse::<EntryId>().is_err());
        assert!(
            "e_ffffffffffffffff".parse::<EntryId>().is_err(),
            "above i64::MAX"
        );
        assert!("e_123".parse::<EntryId>().is_err());
    }

    #[test]
    fn api_keys_round_trip_and_hide_their_secret() {
        let k = ApiKey::random();
        let parsed: ApiKey = k.expose().parse().unwrap();
        assert_eq!(parsed.id(), k.id());
        assert_eq!(parsed.secret(), k.secret());
        assert_eq!(k.secret().len(), 64);
        assert!(!format!("{k:?}").contains(k.secret()));
        assert!("qk_abc_def".parse::<ApiKey>().is_err());
    }
}
