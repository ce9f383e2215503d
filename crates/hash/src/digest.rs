//! Exact-match digests of file bytes: MD5 (what StopNCII exchanges for video) and SHA-256.

use std::fmt;
use std::str::FromStr;

use crate::hex::{self, ParseHexError};

macro_rules! digest_type {
    ($(#[$doc:meta])* $name:ident, $len:literal, $label:literal, $hasher:path) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name([u8; $len]);

        impl $name {
            /// Wraps raw digest bytes.
            pub const fn from_bytes(bytes: [u8; $len]) -> Self {
                Self(bytes)
            }

            /// The raw digest bytes.
            pub const fn as_bytes(&self) -> &[u8; $len] {
                &self.0
            }

            /// Computes the digest of `data`.
            #[cfg(feature = "digest")]
            pub fn of(data: &[u8]) -> Self {
                use sha2::Digest as _;
                Self(<$hasher>::digest(data).into())
            }
        }

        impl fmt::Display for $name {
            /// Lowercase hex.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                hex::write(f, &self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self)
            }
        }

        impl FromStr for $name {
            type Err = ParseHexError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                hex::parse::<$len>($label, s).map(Self)
            }
        }

        #[cfg(feature = "serde")]
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        #[cfg(feature = "serde")]
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(<D::Error as serde::de::Error>::custom)
            }
        }
    };
}

digest_type!(
    /// An MD5 digest (16 bytes, 32 hex digits).
    Md5, 16, "MD5", md5::Md5
);
digest_type!(
    /// A SHA-256 digest (32 bytes, 64 hex digits).
    Sha256, 32, "SHA-256", sha2::Sha256
);

impl Md5 {
    /// The MD5 of zero bytes, the empty file's: it matches every empty upload, so nothing
    /// that registers hashes may take it.
    pub const EMPTY: Md5 = Md5::from_bytes([
        0xd4, 0x1d, 0x8c, 0xd9, 0x8f, 0x00, 0xb2, 0x04, 0xe9, 0x80, 0x09, 0x98, 0xec, 0xf8, 0x42,
        0x7e,
    ]);
}

impl Sha256 {
    /// The SHA-256 of zero bytes, the empty file's (see [`Md5::EMPTY`]).
    pub const EMPTY: Sha256 = Sha256::from_bytes([
        0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9,
        0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52,
        0xb8, 0x55,
    ]);
}

#[cfg(all(test, feature = "digest"))]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        assert_eq!(Md5::of(b"").to_string(), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(
            Sha256::of(b"abc").to_string(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let md5: Md5 = "D41D8CD98F00B204E9800998ECF8427E".parse().unwrap();
        assert_eq!(md5, Md5::of(b""));
    }

    #[test]
    fn the_empty_constants_are_the_digests_of_nothing() {
        assert_eq!(Md5::EMPTY, Md5::of(b""));
        assert_eq!(Sha256::EMPTY, Sha256::of(b""));
    }
}
