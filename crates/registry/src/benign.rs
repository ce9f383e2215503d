//! Hashes no case may register beyond the empty file's: the operator's list of known-benign
//! hashes, files everyone has (a blank frame, a platform's logo, a stock image, a meme), which
//! every upload of them would match at every member.
//!
//! **Key decision: a PDQ hash is refused when it would match a benign one, not only when it
//! equals it.** A registered PDQ hash within [`MATCH_DISTANCE`] of a benign image's hash
//! matches that image's uploads as surely as the benign hash itself would, so the rule is the
//! matcher's own distance. Digests are refused when equal. A video's vPDQ is not listed (the
//! same vPDQ rarely recurs, since every re-encoding changes it; list the video's digests, or
//! quarantine what matches). The list is checked
//! when a case is opened or a list imported; adding a benign hash does not remove entries
//! registered before it (an operator quarantines those, with a reason).

use std::collections::HashMap;

use quell_hash::{MATCH_DISTANCE, Pdq};

use crate::model::{Invalid, Signal, SignalKind, Timestamp};

/// One known-benign hash and why it is on the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BenignHash {
    signal: Signal,
    /// Why it is benign, as the operator wrote it (shown in refusals and the audit log).
    pub reason: String,
    /// When it was added.
    pub added_at: Timestamp,
}

impl BenignHash {
    /// A benign hash from its type and value (a PDQ hash needs no quality here).
    ///
    /// # Errors
    /// If the type is unknown or `vpdq`, or the value malformed.
    pub fn new(
        kind: &str,
        value: &str,
        reason: String,
        added_at: Timestamp,
    ) -> Result<Self, Invalid> {
        // The quality is only a stand-in to parse with: a benign hash is compared, never
        // matched on its own.
        if kind == SignalKind::Vpdq.as_str() {
            return Err(Invalid::Hash(
                "a video's vPDQ cannot be listed as benign (every re-encoding changes it): list \
                 the video's md5 and sha256"
                    .to_owned(),
            ));
        }
        let quality = (kind == SignalKind::Pdq.as_str()).then_some(100);
        let signal = Signal::from_parts(kind, value.trim(), quality)?;
        Ok(Self {
            signal,
            reason,
            added_at,
        })
    }

    /// Its type.
    pub fn kind(&self) -> SignalKind {
        self.signal.kind()
    }

    /// Its value in canonical form (lowercase hex, or vPDQ's canonical text).
    pub fn value(&self) -> String {
        self.signal.value_hex()
    }
}

/// The operator's list, as a case opening or an import checks it: PDQ hashes compared by
/// distance, the others looked up by value, so a bulk import pays little per hash.
#[derive(Clone, Debug, Default)]
pub struct BenignList {
    hashes: Vec<BenignHash>,
    pdq: Vec<(Pdq, usize)>,
    exact: HashMap<(SignalKind, String), usize>,
}

impl BenignList {
    /// The list.
    pub fn new(hashes: Vec<BenignHash>) -> Self {
        let mut pdq = Vec::new();
        let mut exact = HashMap::new();
        for (i, h) in hashes.iter().enumerate() {
            match &h.signal {
                Signal::Pdq { hash, .. } => pdq.push((*hash, i)),
                other => {
                    exact.insert((other.kind(), other.value_hex()), i);
                }
            }
        }
        Self { hashes, pdq, exact }
    }

    /// The hashes on it.
    pub fn hashes(&self) -> &[BenignHash] {
        &self.hashes
    }

    /// The benign hash whose file registering `signal` would match, if any.
    fn covering(&self, signal: &Signal) -> Option<&BenignHash> {
        let i = match signal {
            Signal::Pdq { hash, .. } => self
                .pdq
                .iter()
                .find(|(benign, _)| hash.distance(benign) <= MATCH_DISTANCE)
                .map(|&(_, i)| i),
            _ if self.exact.is_empty() => None,
            other => self.exact.get(&(other.kind(), other.value_hex())).copied(),
        }?;
        Some(&self.hashes[i])
    }

    /// Refuses the first of `signals` that a benign hash covers, with its position.
    ///
    /// # Errors
    /// [`Invalid::KnownBenign`] at the position of the first such signal.
    pub fn check<'a>(
        &self,
        signals: impl IntoIterator<Item = &'a Signal>,
    ) -> Result<(), (usize, Invalid)> {
        if self.hashes.is_empty() {
            return Ok(());
        }
        for (i, signal) in signals.into_iter().enumerate() {
            if let Some(benign) = self.covering(signal) {
                return Err((
                    i,
                    Invalid::KnownBenign {
                        kind: signal.kind(),
                        reason: benign.reason.clone(),
                    },
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pdq(hex: &str) -> Signal {
        Signal::from_parts("pdq", hex, Some(90)).unwrap()
    }

    /// `hex` with its first `n` bits flipped.
    fn flipped(hex: &str, n: usize) -> String {
        let mut bytes: Vec<u8> = (0..32)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        for bit in 0..n {
            bytes[bit / 8] ^= 0x80 >> (bit % 8);
        }
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn pdq_hashes_within_matching_distance_and_equal_digests_are_refused() {
        let logo = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
        let md5 = "0123456789abcdef0123456789abcdef";
        let at = Timestamp::from_millis(1);
        let list = BenignList::new(vec![
            BenignHash::new("pdq", logo, "a platform's logo".into(), at).unwrap(),
            BenignHash::new("md5", &md5.to_uppercase(), "stock photo".into(), at).unwrap(),
        ]);
        assert_eq!(list.hashes()[1].value(), md5, "stored canonical");
        let other_md5 = Signal::from_parts("md5", &"1".repeat(32), None).unwrap();
        let near = pdq(&flipped(logo, 31));
        let far = pdq(&flipped(logo, 32));
        assert_eq!(list.check([&far, &other_md5]), Ok(()));
        let (i, why) = list.check([&far, &near]).unwrap_err();
        assert_eq!(i, 1);
        assert!(why.to_string().contains("a platform's logo"), "{why}");
        let digest = Signal::from_parts("md5", md5, None).unwrap();
        assert_eq!(list.check([&digest]).unwrap_err().0, 0);
        // A filed PDQ hash is a PDQ hash like any other here.
        let filed = near.filed(Some("pdq-robust-v5"), Some("cut")).unwrap();
        assert!(list.check([&filed]).is_err());
        assert!(BenignHash::new("pdq", "zz", String::new(), at).is_err());
        let video = BenignHash::new("vpdq", "[]", String::new(), at).unwrap_err();
        assert!(video.to_string().contains("md5 and sha256"), "{video}");
    }
}
