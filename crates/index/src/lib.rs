//! Quell's PDQ match index: given a query hash, every registered entry within a Hamming
//! distance, and nothing else.
//!
//! **Key decision: exact within `max_distance`, never approximate.** A missed match means a
//! leaked image stays up, so no index in this crate trades recall for speed. [`FlatIndex`]
//! scans every hash with a SIMD popcount kernel chosen at run time and is the test oracle.
//! [`MihIndex`] (multi-index hashing, Norouzi et al.) splits the 256 bits into `m` slots and
//! probes each slot's table with every key close enough that, by the pigeonhole principle, no
//! match can be missed; when that probing would cost more than a scan it scans instead. The
//! tests assert that both return *equal* results for every `max_distance` from 0 to 63.
//!
//! The vocabulary follows faiss (`IndexBinaryFlat`, `IndexBinaryMultiHash`, `range_search`)
//! with three deliberate differences: `max_distance` is **inclusive** (faiss's radius is
//! strict), ids are always the caller's `u64`s, and hits come back sorted by
//! `(distance, id)` so output is deterministic. Inserting the same hash under several ids makes
//! each id match.
//!
//! Built indexes are immutable, `Send + Sync` and shared behind `&self`. [`LiveIndex`] adds
//! inserts and removals on a serving index: readers never lock, a removal takes effect before
//! `remove` returns, and rebuilding (compaction) happens off the read path. Indexes are saved
//! and loaded as checksummed [snapshot](FlatIndex::save) files. [`ExactIndex`] maps MD5 or
//! SHA-256 digests to ids for exact file matching.
//!
//! ```
//! use quell_hash::{Distance, MATCH_DISTANCE, Pdq};
//! use quell_index::{Hit, IndexBuilder, MihConfig, PdqIndex};
//!
//! let a: Pdq = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22".parse()?;
//! let b: Pdq = "f8f8f0cee0f4a84f06370a2a038f63f0b36e26d596621e1d33e6b39c4e9c9b22".parse()?;
//! let mut builder = IndexBuilder::new();
//! builder.insert(7, a);
//! builder.insert(9, Pdq::from_words(a.to_words().map(|w| !w)));
//! let index = builder.build_mih(MihConfig::default());
//!
//! // Distance 31 is a match (inclusive), and the far hash is not returned.
//! assert_eq!(
//!     index.range_search(&b, MATCH_DISTANCE),
//!     vec![Hit { distance: Distance::new(2), id: 7 }]
//! );
//! assert!(index.range_search(&b, Distance::new(1)).is_empty());
//! # Ok::<(), quell_hash::ParseHexError>(())
//! ```

mod arch;
mod builder;
mod exact;
mod flat;
mod live;
mod mih;
mod pages;
mod search;
mod snapshot;

pub use crate::builder::IndexBuilder;
pub use crate::exact::{ExactIndex, Md5Index, Sha256Index};
pub use crate::flat::FlatIndex;
pub use crate::live::LiveIndex;
pub use crate::mih::{ConfigError, MihConfig, MihIndex, SearchStats, Strategy};
pub use crate::search::{Hit, PdqIndex, RangeResults};
pub use crate::snapshot::{SnapshotError, SnapshotErrorKind};

/// Name of the popcount kernel this process uses (`"avx512vpopcntdq"`, `"avx2"` or
/// `"portable"`), detected once on first use. `QUELL_INDEX_KERNEL=portable` or `avx2` forces
/// a slower one for benchmarking.
pub fn kernel_name() -> &'static str {
    arch::kernel_name()
}
