//! vPDQ, Meta's video hash (facebook/ThreatExchange `vpdq/`): a PDQ hash of sampled frames,
//! and matching by the share of frames each video finds in the other.
//!
//! **Key decision: interchange and decisions are the reference's, byte for byte; pixels are
//! FFmpeg's.** Hashes are read and written in the C++ text format and python-threatexchange's
//! JSON ([`format`]), and the match rule is explicit ([`MatchParams`], [`MatchThresholds`])
//! because the two references differ (C++: distance < 31, every frame; pytx: ≤ 31, distinct
//! frames). Quell's default decision is pytx's: frames at distance ≤ 31 with quality ≥ 50 on
//! both sides, a match when ≥ 80% of the *query's* frames are found and ≥ 0% of the compared
//! video's. Frame hashes are PDQ from `quell-pdq`; decoding runs the system `ffmpeg` as a child
//! process (feature `ffmpeg`) or links FFmpeg's libraries and decodes only the frames the
//! hashed ones need (feature `libav`, the default decoder when built). Pixels are then whatever that FFmpeg decodes: with Debian's
//! FFmpeg 5.1, the build the reference outputs were made with, all 5,872 sample frames hash
//! identically to the reference (luminance in `f32`, as the C++ computes it); other builds may
//! differ by a few bits.
//!
//! [`VideoIndex`] keeps every registered video's frames in one `quell-index` index under
//! `(video, frame)` ids, so a query video is matched against all of them at once; the tests
//! check it against the pairwise [`match_brute`].
//!
//! ```
//! use quell_vpdq::{MatchParams, MatchThresholds, VideoIndex, format, match_brute};
//!
//! let a = format::from_text(
//!     "0,100,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,0.000\n",
//! )?;
//! let p = match_brute(&a, &a, &MatchParams::PYTX);
//! assert_eq!(p.query_match_pct, 100.0);
//!
//! let mut index = VideoIndex::new(MatchParams::PYTX);
//! index.insert(7, &a)?;
//! let hits = index.matches(&a, &MatchThresholds::PYTX);
//! assert_eq!(hits[0].video, 7);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[cfg(feature = "ffmpeg")]
pub mod decode;
pub mod format;
mod index;
#[cfg(feature = "libav")]
mod libav;
mod matching;
#[cfg(feature = "libav")]
mod skip;
mod video;

pub use crate::index::{FrameCompactor, IndexError, VideoIndex, VideoMatch};
pub use crate::matching::{MatchParams, MatchPercentages, MatchThresholds, is_match, match_brute};
pub use crate::video::{FrameHash, VideoHash};
