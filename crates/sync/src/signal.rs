//! The one place where wire hash types meet the registry's signals.

use anyhow::Context as _;
use quell_api::HashType;
use quell_registry::{Signal, SignalKind};

/// The registry's signal for a synced hash.
///
/// # Errors
/// If the hex is malformed or a PDQ hash has no quality.
pub fn signal_of(kind: HashType, value: &str, quality: Option<u8>) -> anyhow::Result<Signal> {
    let (name, quality) = match kind {
        HashType::Pdq => (
            "pdq",
            Some(i64::from(quality.context("a PDQ hash needs its quality")?)),
        ),
        HashType::Md5 => ("md5", None),
        HashType::Sha256 => ("sha256", None),
    };
    Signal::from_parts(name, value, quality).map_err(|e| anyhow::anyhow!("{e}"))
}

/// The wire name of a signal's type.
pub fn hash_type(kind: SignalKind) -> HashType {
    match kind {
        SignalKind::Pdq => HashType::Pdq,
        SignalKind::Md5 => HashType::Md5,
        SignalKind::Sha256 => HashType::Sha256,
    }
}
