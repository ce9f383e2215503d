//! The vocabulary every Quell crate speaks: a PDQ hash, its quality, the Hamming distance
//! between two hashes, and the MD5 / SHA-256 digests used for exact matching.
//!
//! **Key decision: one byte order, the one the industry already exchanges.**
//! A [`Pdq`] is 32 bytes in the order of its 64-digit hex string (`bytes.fromhex(hex)` in
//! python-threatexchange, what faiss indexes): byte 0 is the first two hex digits. In the C++
//! reference's `Hash256` (sixteen `u16` words) the hex string prints `w[15]` first, so bit `k`
//! of the hash (the DCT coefficient at row `k / 16`, column `k % 16`) is bit `k % 8` of byte
//! `31 - k / 8`. Parsing, formatting, storage and the index all use this order, so no crate ever
//! converts.
//!
//! The crate does no IO and has no required dependencies beyond `thiserror`; `serde` and the
//! digest computations sit behind features.
//!
//! ```
//! use quell_hash::{Pdq, Distance};
//!
//! let a: Pdq = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22".parse()?;
//! let b: Pdq = "f8f8f0cee0f4a84f06370a2a038f63f0b36e26d596621e1d33e6b39c4e9c9b22".parse()?;
//! assert_eq!(a.distance(&b), Distance::new(2));
//! assert_eq!(a.to_string(), "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22");
//! # Ok::<(), quell_hash::ParseHexError>(())
//! ```

mod digest;
mod hex;
mod part;
mod pdq;

pub use crate::digest::{Md5, Sha256};
pub use crate::hex::{ParseHexError, ParseHexErrorKind};
pub use crate::part::{
    FILED_PROFILES, Filing, FilingError, Part, UploadKind, V5_CUT_PLAN, V5_MAIN_PLAN, filed_plan,
    searched_with,
};
pub use crate::pdq::{Distance, MATCH_DISTANCE, MIN_QUALITY, Pdq, Quality, QualityError};
