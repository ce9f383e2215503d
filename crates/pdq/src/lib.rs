//! PDQ perceptual hashing, bit-exact with Meta's reference (facebook/ThreatExchange `pdq/cpp`)
//! on identical pixels.
//!
//! **Key decision: exactness is defined at the luminance buffer, and every float operation
//! that feeds a hash bit happens in the reference's order.** Hashes are exchanged between
//! platforms and compared against a 31-bit budget, so a port that is "close" eats into every
//! match. The reference's arithmetic is `f32` with a fixed order of additions; this crate keeps
//! that order for every running sum and dot product (no fused multiply-add, no reassociation)
//! and gets its speed elsewhere: the Jarosz filter streams rows instead of making four passes
//! over two full-size float copies, vectorising *across* independent rows and columns, and the
//! second pass computes only the 64×64 samples that are read (see the `jarosz` module).
//!
//! The pipeline: luminance ([`rgb_luma`]) → two passes of row and column box filters with
//! window `ceil(side / 128)` → 64×64 decimation → quality (gradient sum) → 16×16 partial DCT →
//! threshold at the median → 256 bits. [`hash_dihedral`] derives the seven rotations and
//! reflections from the same DCT, as the reference does.
//!
//! Decoding files is a separate, optional step (`decode` feature): what pixels a JPEG decodes
//! to is a property of the decoder, not of PDQ, and the crate's conformance tests keep the two
//! apart (exact on decoded pixels; within a few bits end to end).
//!
//! ```
//! use quell_pdq::{Rgb8, hash};
//!
//! // A 100×80 gradient with a bright square.
//! let (w, h) = (100, 80);
//! let mut pixels = vec![0u8; w * h * 3];
//! for y in 0..h {
//!     for x in 0..w {
//!         let v = if (30..60).contains(&x) && (20..50).contains(&y) { 250 } else { (x + y) as u8 };
//!         pixels[(y * w + x) * 3..][..3].copy_from_slice(&[v, v, v]);
//!     }
//! }
//! let out = hash(&Rgb8::new(&pixels, w, h, 3));
//! assert!(out.quality.is_matchable());
//! assert_eq!(out.hash.count_ones(), 128);
//! ```

mod dct;
#[cfg(feature = "decode")]
pub mod decode;
mod hasher;
mod jarosz;
mod luma;

pub use crate::hasher::{
    Dihedral, DihedralHashes, MIN_HASHABLE_SIDE, PdqHash, hash, hash_dihedral,
};
pub use crate::luma::{Gray8, LumaRows, Rgb8, Rgb8F32, rgb_luma};
