//! Wire hash types ↔ the registry's signal kinds (feature `registry`): the one place they
//! meet, used by the registry's routes, the member-side sync and the sidecar alike.

use quell_registry::{Invalid, Signal, SignalKind};

use crate::HashType;

impl From<HashType> for SignalKind {
    fn from(kind: HashType) -> Self {
        match kind {
            HashType::Pdq => Self::Pdq,
            HashType::Md5 => Self::Md5,
            HashType::Sha256 => Self::Sha256,
            HashType::Vpdq => Self::Vpdq,
        }
    }
}

impl From<SignalKind> for HashType {
    fn from(kind: SignalKind) -> Self {
        match kind {
            SignalKind::Pdq => Self::Pdq,
            SignalKind::Md5 => Self::Md5,
            SignalKind::Sha256 => Self::Sha256,
            SignalKind::Vpdq => Self::Vpdq,
        }
    }
}

/// The registry's signal for a hash received on the wire (a case, a sync page), filed under
/// `profile` and `part` when both are given.
///
/// # Errors
/// As [`Signal::from_parts`] (malformed hex or vPDQ, a missing PDQ quality, a quality on
/// another type) and [`Signal::filed`] (an unknown profile or part, one without the other, a
/// filing on a digest).
pub fn signal_of(
    kind: HashType,
    value: &str,
    quality: Option<i64>,
    profile: Option<&str>,
    part: Option<&str>,
) -> Result<Signal, Invalid> {
    Signal::from_parts(SignalKind::from(kind).as_str(), value, quality)?.filed(profile, part)
}

/// The wire `profile` and `part` of a signal: both set for a filed PDQ hash, else neither.
pub fn filing_of(signal: &Signal) -> (Option<String>, Option<String>) {
    signal.filing().map_or((None, None), |f| {
        (
            Some(f.profile().to_owned()),
            Some(f.part().name().to_owned()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_under_its_wire_name() {
        for kind in SignalKind::ALL {
            let wire = HashType::from(kind);
            assert_eq!(SignalKind::from(wire), kind);
            let json = serde_json::to_value(wire).unwrap();
            assert_eq!(json, kind.as_str());
        }
    }
}
