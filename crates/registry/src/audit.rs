//! The audit log's hash chain.
//!
//! Each event's hash is SHA-256 over the previous event's hash and the event's own fields,
//! each length-prefixed so no two different events can encode the same bytes. Changing,
//! removing or reordering any stored event breaks every hash after it, which
//! [`verify_chain`] reports with the first sequence number that fails.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::model::Timestamp;

/// An audit event before it is stored: what happened, to what, by whom.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct NewAuditEvent {
    /// Who did it (see [`crate::Actor`]'s display form).
    pub actor: String,
    /// What happened, e.g. `case.open`, `member.add`, `entry.quarantine`.
    pub action: &'static str,
    /// What it happened to: a case, member or entry id.
    pub subject: String,
    /// Details in `key=value` form. Never hashes, secrets or keys.
    pub detail: String,
}

/// A stored audit event.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AuditEvent {
    /// Position in the chain, from 1, gap-free.
    pub seq: i64,
    /// When it was written.
    pub at: Timestamp,
    /// Who did it.
    pub actor: String,
    /// What happened.
    pub action: String,
    /// To what.
    pub subject: String,
    /// Details.
    pub detail: String,
    /// The previous event's hash (all zeros for the first).
    pub prev_hash: [u8; 32],
    /// This event's hash.
    pub hash: [u8; 32],
}

/// The hash of an event with these fields after `prev`.
pub fn chain_hash(
    prev: &[u8; 32],
    seq: i64,
    at: Timestamp,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"quell-audit-v1");
    h.update(prev);
    h.update(seq.to_be_bytes());
    h.update(at.millis().to_be_bytes());
    for field in [actor, action, subject, detail] {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    h.finalize().into()
}

/// Where a stored chain stops being valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    /// An event's sequence number is not one more than the previous one's.
    #[error("audit event {found} follows event {previous}: events are missing or reordered")]
    Gap {
        /// The previous event's number (0 at the start).
        previous: i64,
        /// This event's number.
        found: i64,
    },
    /// An event does not point at the previous event's hash.
    #[error("audit event {0} does not link to the event before it")]
    BrokenLink(i64),
    /// An event's stored hash does not match its contents.
    #[error("audit event {0} was altered: its contents do not match its hash")]
    Altered(i64),
}

/// Checks a chain from its first event; returns how many events were checked.
///
/// # Errors
/// The first [`ChainError`] found.
pub fn verify_chain<'a>(
    events: impl IntoIterator<Item = &'a AuditEvent>,
) -> Result<u64, ChainError> {
    let mut state = ChainVerifier::default();
    for e in events {
        state.push(e)?;
    }
    Ok(state.checked())
}

/// Where a chain ends: its last event's sequence number and hash, written `SEQ:HEX`. An
/// operator who keeps a head elsewhere (a ticket, a member, a transparency log) can later show
/// that the chain still reaches it unchanged, which no check of the chain alone can: deleting
/// the newest events leaves a shorter chain that is valid in itself.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ChainHead {
    /// The last event's sequence number (0 for an empty chain).
    pub seq: i64,
    /// The last event's hash (zeros for an empty chain).
    pub hash: [u8; 32],
}

impl fmt::Display for ChainHead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}",
            self.seq,
            quell_hash::Sha256::from_bytes(self.hash)
        )
    }
}

impl std::str::FromStr for ChainHead {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (seq, hash) = s
            .split_once(':')
            .ok_or_else(|| format!("a chain head is SEQ:HASH, got {s:?}"))?;
        let seq = seq.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            format!("a chain head's sequence number is a whole number, got {seq:?}")
        })?;
        let hash: quell_hash::Sha256 = hash
            .parse()
            .map_err(|e| format!("a chain head's hash: {e}"))?;
        Ok(Self {
            seq,
            hash: *hash.as_bytes(),
        })
    }
}

/// Incremental verification, for chains read page by page.
#[derive(Default, Debug)]
pub struct ChainVerifier {
    prev_seq: i64,
    prev_hash: [u8; 32],
    checked: u64,
}

impl ChainVerifier {
    /// Number of events checked so far.
    pub fn checked(&self) -> u64 {
        self.checked
    }

    /// The last event checked so far.
    pub fn head(&self) -> ChainHead {
        ChainHead {
            seq: self.prev_seq,
            hash: self.prev_hash,
        }
    }

    /// Checks the next event.
    ///
    /// # Errors
    /// If it does not follow the events checked so far.
    pub fn push(&mut self, e: &AuditEvent) -> Result<(), ChainError> {
        if e.seq != self.prev_seq + 1 {
            return Err(ChainError::Gap {
                previous: self.prev_seq,
                found: e.seq,
            });
        }
        if e.prev_hash != self.prev_hash {
            return Err(ChainError::BrokenLink(e.seq));
        }
        let expected = chain_hash(
            &e.prev_hash,
            e.seq,
            e.at,
            &e.actor,
            &e.action,
            &e.subject,
            &e.detail,
        );
        if expected != e.hash {
            return Err(ChainError::Altered(e.seq));
        }
        self.prev_seq = e.seq;
        self.prev_hash = e.hash;
        self.checked += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditEvent> {
        let mut prev = [0u8; 32];
        (1..=n)
            .map(|seq| {
                let at = Timestamp::from_millis(seq * 1000);
                let hash = chain_hash(&prev, seq, at, "cli", "member.add", "acme", "scopes=sync");
                let e = AuditEvent {
                    seq,
                    at,
                    actor: "cli".into(),
                    action: "member.add".into(),
                    subject: "acme".into(),
                    detail: "scopes=sync".into(),
                    prev_hash: prev,
                    hash,
                };
                prev = hash;
                e
            })
            .collect()
    }

    #[test]
    fn detects_alteration_gaps_and_broken_links() {
        let good = chain(5);
        assert_eq!(verify_chain(&good), Ok(5));

        let mut altered = good.clone();
        altered[2].detail = "scopes=admin".into();
        assert_eq!(verify_chain(&altered), Err(ChainError::Altered(3)));

        let mut gap = good.clone();
        gap.remove(1);
        assert_eq!(
            verify_chain(&gap),
            Err(ChainError::Gap {
                previous: 1,
                found: 3
            })
        );

        let mut relinked = good.clone();
        relinked[3].prev_hash = [1; 32];
        assert_eq!(verify_chain(&relinked), Err(ChainError::BrokenLink(4)));
    }
}
