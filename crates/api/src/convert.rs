//! Wire hash types ↔ the registry's signal kinds, and wire times ↔ the registry's timestamps
//! (feature `registry`): the one place they meet, used by the registry's routes, the
//! member-side sync and the sidecar alike.

use quell_registry::{Invalid, MediaCounts, Signal, SignalKind, Timestamp};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::{HashType, MediaCountsDto};

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

impl From<MediaCounts> for MediaCountsDto {
    fn from(c: MediaCounts) -> Self {
        Self {
            photos: c.photos,
            videos: c.videos,
            other: c.other,
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

/// A time as the wire writes it: RFC 3339, UTC, to the millisecond
/// (`2026-11-25T01:02:03.456Z`).
pub fn time_to_wire(t: Timestamp) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(t.millis()) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| t.millis().to_string())
}

/// A wire time (any RFC 3339 time, any offset), to the millisecond; `None` if it is not one
/// or is out of range.
pub fn time_of_wire(s: &str) -> Option<Timestamp> {
    let t = OffsetDateTime::parse(s, &Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000)
        .ok()
        .map(Timestamp::from_millis)
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

    #[test]
    fn wire_times_round_trip_to_the_millisecond() {
        let t = Timestamp::from_millis(1_779_184_800_250);
        assert_eq!(time_to_wire(t), "2026-05-19T10:00:00.25Z");
        assert_eq!(time_of_wire(&time_to_wire(t)), Some(t));
        assert_eq!(time_of_wire("2026-05-19T12:00:00.250+02:00"), Some(t));
        for bad in ["", "2026-05-19", "yesterday", "2026-05-19T10:00:00"] {
            assert_eq!(time_of_wire(bad), None, "{bad}");
        }
    }
}
