//! The registry's nouns: signals, cases, entries, changes, members, scopes and outcomes.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use quell_hash::{Filing, Md5, Pdq, Quality, Sha256};

use crate::ids::{CaseId, CaseSecret, EntryId, MediaId, MemberId};
use crate::vpdq::Vpdq;

/// Most hashes one case may hold: a person's set of images, not a bulk upload.
pub const MAX_HASHES_PER_CASE: usize = 1000;

/// Most filed hashes (a hash profile's hashes of crops, trims and cuts, [`Signal::filing`])
/// one case may hold beside its [`MAX_HASHES_PER_CASE`] others: `pdq-robust-v6` registers
/// about 110 per image, so about 45 images; with the 1000 others, a full case still fits the
/// registry's 1 MiB request body.
pub const MAX_FILED_HASHES_PER_CASE: usize = 5_000;

/// Milliseconds since the Unix epoch, UTC.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Timestamp(i64);

impl Timestamp {
    /// Wraps milliseconds since the epoch.
    pub const fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    /// Milliseconds since the epoch.
    pub const fn millis(self) -> i64 {
        self.0
    }

    /// The current time.
    pub fn now() -> Self {
        let since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Self(i64::try_from(since.as_millis()).unwrap_or(i64::MAX))
    }
}

/// The kind of hash an entry holds, named as python-threatexchange names signal types.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub enum SignalKind {
    /// PDQ perceptual hash of an image.
    Pdq,
    /// MD5 of the file bytes.
    Md5,
    /// SHA-256 of the file bytes.
    Sha256,
    /// vPDQ hash of a video (PDQ of sampled frames).
    Vpdq,
}

impl SignalKind {
    /// Every kind, in display order.
    pub const ALL: [SignalKind; 4] = [Self::Pdq, Self::Md5, Self::Sha256, Self::Vpdq];

    /// The stored and wire name: `pdq`, `md5`, `sha256`, `vpdq`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pdq => "pdq",
            Self::Md5 => "md5",
            Self::Sha256 => "sha256",
            Self::Vpdq => "vpdq",
        }
    }
}

impl fmt::Display for SignalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SignalKind {
    type Err = Invalid;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pdq" => Ok(Self::Pdq),
            "md5" => Ok(Self::Md5),
            "sha256" => Ok(Self::Sha256),
            "vpdq" => Ok(Self::Vpdq),
            other => Err(Invalid::UnknownSignalKind(other.to_owned())),
        }
    }
}

/// One hash as the registry holds it.
///
/// Not `Copy`: a vPDQ hash is a shared, immutable list of frames ([`Vpdq`]); cloning any
/// signal is cheap (a vPDQ clone is a reference count).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum Signal {
    /// A PDQ hash and the quality its hasher reported.
    Pdq {
        /// The hash.
        hash: Pdq,
        /// Its quality, at least [`quell_hash::MIN_QUALITY`] for anything registered.
        quality: Quality,
        /// The hash profile and part it was registered under; `None` for a plain PDQ hash of
        /// the image as submitted. A member searches a filed hash only with its profile's
        /// upload hashes of the kinds that lead to its part, at that part's distance.
        filing: Option<Filing>,
    },
    /// An MD5 digest.
    Md5(Md5),
    /// A SHA-256 digest.
    Sha256(Sha256),
    /// A video's vPDQ hash, canonical.
    Vpdq(Vpdq),
}

impl Signal {
    /// Whether this is the digest of an empty file ([`Md5::EMPTY`], [`Sha256::EMPTY`]), which
    /// every empty upload matches: such a hash is never registered.
    pub fn is_empty_file(&self) -> bool {
        match self {
            Self::Md5(d) => *d == Md5::EMPTY,
            Self::Sha256(d) => *d == Sha256::EMPTY,
            _ => false,
        }
    }

    /// Which kind of hash this is.
    pub fn kind(&self) -> SignalKind {
        match self {
            Self::Pdq { .. } => SignalKind::Pdq,
            Self::Md5(_) => SignalKind::Md5,
            Self::Sha256(_) => SignalKind::Sha256,
            Self::Vpdq(_) => SignalKind::Vpdq,
        }
    }

    /// The hash as stored and sent: lowercase hex, or for vPDQ the canonical pytx signal
    /// string (see [`Vpdq`]).
    pub fn value_hex(&self) -> String {
        match self {
            Self::Pdq { hash, .. } => hash.to_string(),
            Self::Md5(d) => d.to_string(),
            Self::Sha256(d) => d.to_string(),
            Self::Vpdq(v) => v.as_str().to_owned(),
        }
    }

    /// The PDQ quality, for PDQ signals.
    pub fn quality(&self) -> Option<Quality> {
        match self {
            Self::Pdq { quality, .. } => Some(*quality),
            _ => None,
        }
    }

    /// The profile and part of a filed PDQ hash.
    pub fn filing(&self) -> Option<Filing> {
        match self {
            Self::Pdq { filing, .. } => *filing,
            _ => None,
        }
    }

    /// Files a PDQ signal under a profile's part, from its stored or wire names; both absent
    /// leaves it plain.
    ///
    /// # Errors
    /// [`Invalid::Filing`] for an unknown profile or part, or only one of the two given;
    /// [`Invalid::FilingOnDigest`] for a signal other than PDQ.
    pub fn filed(self, profile: Option<&str>, part: Option<&str>) -> Result<Self, Invalid> {
        let filing = match (profile, part) {
            (None, None) => return Ok(self),
            (Some(profile), Some(part)) => {
                Filing::parse(profile, part).map_err(|e| Invalid::Filing(e.to_string()))?
            }
            _ => {
                return Err(Invalid::Filing(
                    "a filed hash needs both its profile and its part".to_owned(),
                ));
            }
        };
        match self {
            Self::Pdq { hash, quality, .. } => Ok(Self::Pdq {
                hash,
                quality,
                filing: Some(filing),
            }),
            other => Err(Invalid::FilingOnDigest(other.kind())),
        }
    }

    /// Rebuilds a signal from its stored parts.
    ///
    /// # Errors
    /// If the kind is unknown, the hex (or vPDQ) is malformed, a PDQ quality is missing or out
    /// of range, or another kind carries a quality.
    pub fn from_parts(kind: &str, hex: &str, quality: Option<i64>) -> Result<Self, Invalid> {
        let bad_hex = |e: quell_hash::ParseHexError| Invalid::Hash(e.to_string());
        let kind = kind.parse::<SignalKind>()?;
        if kind != SignalKind::Pdq && quality.is_some() {
            return Err(Invalid::UnexpectedQuality(kind));
        }
        Ok(match kind {
            SignalKind::Pdq => {
                let quality = quality.ok_or(Invalid::MissingQuality)?;
                Self::Pdq {
                    hash: hex.parse().map_err(bad_hex)?,
                    quality: Quality::new(quality).map_err(|e| Invalid::QualityOutOfRange(e.0))?,
                    filing: None,
                }
            }
            SignalKind::Md5 => Self::Md5(hex.parse().map_err(bad_hex)?),
            SignalKind::Sha256 => Self::Sha256(hex.parse().map_err(bad_hex)?),
            SignalKind::Vpdq => Self::Vpdq(Vpdq::parse(hex)?),
        })
    }
}

/// Why input was refused, in words the person who sent it can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Invalid {
    /// A signal type other than `pdq`, `md5`, `sha256`, `vpdq`.
    #[error("unknown hash type {0:?}: use \"pdq\", \"md5\", \"sha256\" or \"vpdq\"")]
    UnknownSignalKind(String),
    /// Malformed hex.
    #[error("{0}")]
    Hash(String),
    /// A PDQ hash without its quality.
    #[error("a PDQ hash needs its quality (0 to 100), as the hasher reported it")]
    MissingQuality,
    /// A quality on a hash type that has none.
    #[error(
        "only PDQ hashes have a quality (a vPDQ hash carries one per frame); remove it from {0} \
         hashes"
    )]
    UnexpectedQuality(SignalKind),
    /// A profile or part that is unknown, or one without the other.
    #[error("{0}")]
    Filing(String),
    /// A profile and part on a hash type other than PDQ.
    #[error(
        "only PDQ hashes are filed under a profile's parts; remove profile and part from {0} hashes"
    )]
    FilingOnDigest(SignalKind),
    /// The digest of an empty file, which every empty upload would match.
    #[error(
        "this {0} hash is the empty file's: every empty upload would match it, so it cannot be \
         registered. If the file is not empty, it was not read: hash it again"
    )]
    EmptyFile(SignalKind),
    /// A hash on the operator's list of known-benign hashes, or one that would match it.
    #[error(
        "this {kind} hash is, or would match, one on this registry's list of known-benign \
         files ({reason}): every upload of that file would match it, so it cannot be \
         registered"
    )]
    KnownBenign {
        /// The hash's type.
        kind: SignalKind,
        /// Why the operator listed the benign hash.
        reason: String,
    },
    /// A quality outside 0..=100.
    #[error("PDQ quality must be between 0 and 100, got {0}")]
    QualityOutOfRange(i64),
    /// A PDQ hash too plain to match reliably.
    #[error(
        "this image's PDQ quality is {0}, below 50: the picture is too plain or too small to be \
         recognised reliably, so it would either match unrelated images or miss copies. \
         Try the original, full-size image"
    )]
    LowQuality(u8),
    /// A vPDQ hash that does not parse or is out of bounds.
    #[error("bad vPDQ hash: {0}")]
    Vpdq(String),
    /// A vPDQ hash none of whose frames reaches quality 50.
    #[error(
        "no frame of this video's vPDQ hash reaches quality 50 (the best is {0}): the frames \
         are too plain to be recognised reliably. Try the original video"
    )]
    LowQualityVideo(u8),
    /// A case with no hashes.
    #[error("a case needs at least one hash")]
    NoHashes,
    /// A case with too many hashes.
    #[error("a case can hold at most {MAX_HASHES_PER_CASE} hashes, got {0}")]
    TooManyHashes(usize),
    /// A case with too many filed hashes.
    #[error(
        "a case can hold at most {MAX_FILED_HASHES_PER_CASE} hashes filed under a profile's \
         parts (about 45 images under pdq-robust-v6), got {0}: open several cases"
    )]
    TooManyFiledHashes(usize),
    /// A member name that is empty, too long or has odd characters.
    #[error("a member name is 1 to 64 characters: letters, digits, '-', '_' or '.', got {0:?}")]
    MemberName(String),
    /// A member with no scopes.
    #[error("a member needs at least one scope (sync, match, outcomes, admin)")]
    NoScopes,
}

/// One hash of a new case, and which of the person's files it was made from: the client
/// numbers its files within the request, and every hash with the same number gets the same
/// [`MediaId`]. A hash without a number (a list imported hash by hash) is a file of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseHash {
    /// The client's number for the file, if it said.
    pub file: Option<u32>,
    /// The hash.
    pub signal: Signal,
}

impl From<Signal> for CaseHash {
    fn from(signal: Signal) -> Self {
        Self { file: None, signal }
    }
}

/// A case to be stored: its id, the argon2 hash of its secret, and its entries with the media
/// each belongs to.
#[derive(Debug, Clone)]
pub struct NewCase {
    id: CaseId,
    secret_hash: String,
    entries: Vec<(EntryId, Signal)>,
    /// Each entry's media, in the order of `entries`.
    media: Vec<MediaId>,
}

impl NewCase {
    /// Validates the signals and assigns fresh ids. Duplicate signals are kept once.
    ///
    /// # Errors
    /// [`Invalid::NoHashes`], [`Invalid::TooManyHashes`], or [`Invalid::LowQuality`] for a PDQ
    /// hash below quality 50 (with the position of the first such hash left to the caller).
    pub fn new(
        id: CaseId,
        secret_hash: String,
        signals: impl IntoIterator<Item = impl Into<CaseHash>>,
    ) -> Result<Self, (usize, Invalid)> {
        Self::with_limit(
            id,
            secret_hash,
            signals,
            [MAX_HASHES_PER_CASE, MAX_FILED_HASHES_PER_CASE],
        )
    }

    /// As [`NewCase::new`] without the per-case limit: an operator importing a whole list from
    /// another system (python-threatexchange file, HMA bank) as one case it can withdraw.
    ///
    /// # Errors
    /// As [`NewCase::new`], except [`Invalid::TooManyHashes`].
    pub fn bulk(
        id: CaseId,
        secret_hash: String,
        signals: impl IntoIterator<Item = impl Into<CaseHash>>,
    ) -> Result<Self, (usize, Invalid)> {
        Self::with_limit(id, secret_hash, signals, [usize::MAX; 2])
    }

    fn with_limit(
        id: CaseId,
        secret_hash: String,
        signals: impl IntoIterator<Item = impl Into<CaseHash>>,
        [max, max_filed]: [usize; 2],
    ) -> Result<Self, (usize, Invalid)> {
        let mut seen = std::collections::HashSet::new();
        let mut files = std::collections::HashMap::new();
        let (mut entries, mut media) = (Vec::new(), Vec::new());
        let (mut count, mut filed) = (0, 0);
        for (i, hash) in signals.into_iter().enumerate() {
            let CaseHash { file, signal: s } = hash.into();
            if s.filing().is_some() {
                filed += 1;
            } else {
                count += 1;
            }
            if let Signal::Pdq { quality, .. } = &s
                && !quality.is_matchable()
            {
                return Err((i, Invalid::LowQuality(quality.get())));
            }
            if s.is_empty_file() {
                return Err((i, Invalid::EmptyFile(s.kind())));
            }
            if seen.insert(s.clone()) {
                entries.push((EntryId::random(), s));
                media.push(match file {
                    Some(n) => *files.entry(n).or_insert_with(MediaId::random),
                    None => MediaId::random(),
                });
            }
        }
        if count + filed == 0 {
            return Err((0, Invalid::NoHashes));
        }
        if count > max {
            return Err((max, Invalid::TooManyHashes(count)));
        }
        if filed > max_filed {
            return Err((max_filed, Invalid::TooManyFiledHashes(filed)));
        }
        Ok(Self {
            id,
            secret_hash,
            entries,
            media,
        })
    }

    /// The case id.
    pub fn id(&self) -> CaseId {
        self.id
    }

    /// The argon2 hash of the case secret.
    pub fn secret_hash(&self) -> &str {
        &self.secret_hash
    }

    /// The entries, with their fresh ids.
    pub fn entries(&self) -> &[(EntryId, Signal)] {
        &self.entries
    }

    /// Each entry's media, in the order of [`NewCase::entries`]: a duplicate hash is kept
    /// once, in the file it came first in.
    pub fn media(&self) -> &[MediaId] {
        &self.media
    }

    /// The case's files by what they are.
    pub fn media_counts(&self) -> MediaCounts {
        let kinds = self.entries.iter().map(|(_, s)| s.kind());
        MediaCounts::tally(self.media.iter().copied().zip(kinds))
    }
}

/// Where an entry stands.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum EntryState {
    /// Matched and synced.
    Active,
    /// Withdrawn by the affected person: a tombstone, forever.
    Withdrawn,
    /// Held back from matching and sync until an operator reviews it.
    Quarantined,
}

impl EntryState {
    /// Stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Withdrawn => "withdrawn",
            Self::Quarantined => "quarantined",
        }
    }
}

/// What a change delivers to a member that syncs it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum ChangeOp {
    /// Add (or keep) this entry and its hash.
    Upsert(Signal),
    /// Remove this entry. Carries the kind but not the hash, so a member that never had the
    /// entry does not learn the hash of an image whose owner withdrew it.
    Tombstone(SignalKind),
}

/// One step of the hash list's history, in sync order.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Change {
    /// Position in the list's history: strictly increasing in commit order. Numbers are
    /// skipped where an upsert was dropped because its entry left the list.
    pub seq: i64,
    /// The entry changed.
    pub entry: EntryId,
    /// What happened to it.
    pub op: ChangeOp,
    /// When and from which file the entry was registered, whatever later change this is.
    pub registration: Registration,
}

/// When an entry was registered and which file it was made from: what a member's reviewer
/// needs beside the hash (how long ago the person asked, the clock of a removal request; and
/// which hits are one photo, one ticket).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Registration {
    /// When the case that holds the entry was opened.
    pub at: Timestamp,
    /// The file the entry's hash was made from.
    pub media: MediaId,
}

/// What a member reported doing about a match.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Outcome {
    /// The content was blocked or removed.
    Blocked,
    /// The content is waiting for human review.
    UnderReview,
    /// The member looked and did not act.
    NotActioned,
    /// The match was wrong: the hash matched something unrelated.
    FalsePositive,
}

impl Outcome {
    /// Stored and wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Blocked => "blocked",
            Self::UnderReview => "under_review",
            Self::NotActioned => "not_actioned",
            Self::FalsePositive => "false_positive",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "blocked" => Self::Blocked,
            "under_review" => Self::UnderReview,
            "not_actioned" => Self::NotActioned,
            "false_positive" => Self::FalsePositive,
            _ => return None,
        })
    }
}

/// One outcome report from a member.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct OutcomeReport {
    /// The entry that matched.
    pub entry: EntryId,
    /// What the member did.
    pub outcome: Outcome,
    /// When: the member's time if it was plausible ([`OutcomeReport::plausible_time`]).
    pub at: Timestamp,
}

impl OutcomeReport {
    /// How far ahead of the registry's clock a member's clock may run.
    pub const CLOCK_SKEW_MS: i64 = 5 * 60 * 1000;

    /// When an outcome happened: the member's `claimed` time if it is plausible (not later
    /// than when the registry `received` the report, give or take
    /// [`OutcomeReport::CLOCK_SKEW_MS`]), else the time it was received. The person reads
    /// these times as how fast platforms acted, so a member's wrong clock (or a made-up year
    /// 2099) must not speak for the registry.
    pub fn plausible_time(claimed: Timestamp, received: Timestamp) -> Timestamp {
        if claimed.millis() > received.millis().saturating_add(Self::CLOCK_SKEW_MS) {
            received
        } else {
            claimed
        }
    }
}

/// An outcome as the affected person sees it: which platform, what, when. Never a URL.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CaseOutcome {
    /// The member's name.
    pub member: String,
    /// What it did. False-positive reports are not shown to the person: they feed the
    /// quarantine rule and an operator's review instead.
    pub outcome: Outcome,
    /// When.
    pub at: Timestamp,
}

/// What the holder of a case may read about it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CaseStatus {
    /// The case.
    pub id: CaseId,
    /// When it was opened.
    pub opened_at: Timestamp,
    /// When it was withdrawn, if it was.
    pub withdrawn_at: Option<Timestamp>,
    /// Number of hashes per kind, those filed under a profile's parts apart.
    pub hashes: Vec<(SignalKind, u32)>,
    /// Number of PDQ hashes filed under a hash profile's parts (crops, trims and cuts).
    pub filed: u32,
    /// The files the hashes were made from; `None` for a case with hashes registered before
    /// media ids, whose grouping into files was never sent.
    pub media: Option<MediaCounts>,
    /// Member outcomes, oldest first.
    pub outcomes: Vec<CaseOutcome>,
    /// Hashes of the case quarantined for review: not matched or sent to members until an
    /// operator releases them. The person is told how many, never the members' reasons.
    pub paused: u32,
}

/// How many files a case's hashes were made from, by what they are: what the person
/// registered, in their terms.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct MediaCounts {
    /// Files with a PDQ hash.
    pub photos: u32,
    /// Files with a vPDQ hash.
    pub videos: u32,
    /// Files known by their MD5 or SHA-256 only.
    pub other: u32,
}

impl MediaCounts {
    /// Counts files by the kinds of hash made from them (one pair per hash, any order): a
    /// file with a vPDQ is a video, one with a PDQ a photo, one with digests alone another
    /// file.
    pub fn tally<M: Eq + std::hash::Hash>(
        hashes: impl IntoIterator<Item = (M, SignalKind)>,
    ) -> Self {
        let mut by_media: std::collections::HashMap<M, (bool, bool)> =
            std::collections::HashMap::new();
        for (media, kind) in hashes {
            let (video, photo) = by_media.entry(media).or_default();
            *video |= kind == SignalKind::Vpdq;
            *photo |= kind == SignalKind::Pdq;
        }
        let mut counts = Self::default();
        for (video, photo) in by_media.into_values() {
            let n = if video {
                &mut counts.videos
            } else if photo {
                &mut counts.photos
            } else {
                &mut counts.other
            };
            *n += 1;
        }
        counts
    }
}

/// Whether `reason` may stand as the reason of a quarantine or a release in the audit log:
/// something to read (not blank) and not a novel (at most 500 characters). The HTTP API and
/// the CLI apply the same rule.
pub fn is_review_reason(reason: &str) -> bool {
    !reason.trim().is_empty() && reason.chars().count() <= 500
}

/// A quarantined entry as an operator reviews it: which media (its case and hash), since when
/// and why, and what members reported on it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct QuarantinedEntry {
    /// The entry.
    pub entry: EntryId,
    /// The case it belongs to (the media a person registered).
    pub case: CaseId,
    /// Its kind of hash.
    pub kind: SignalKind,
    /// The profile and part a filed PDQ hash is filed under.
    pub filing: Option<Filing>,
    /// When it was quarantined and why (from its newest `entry.quarantine` audit event).
    pub since: Option<(Timestamp, String)>,
    /// Every outcome members reported on it, oldest first.
    pub reports: Vec<CaseOutcome>,
}

/// What a member may do.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub enum Scope {
    /// Read the hash list (`GET /v1/hashes`).
    Sync,
    /// Match hashes (`POST /v1/match`).
    Match,
    /// Report outcomes (`POST /v1/outcomes`).
    Outcomes,
    /// Operate the registry: members, audit log, quarantine, metrics.
    Admin,
}

impl Scope {
    /// Every scope, in display order.
    pub const ALL: [Scope; 4] = [Scope::Sync, Scope::Match, Scope::Outcomes, Scope::Admin];

    /// Stored and command-line name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sync => "sync",
            Self::Match => "match",
            Self::Outcomes => "outcomes",
            Self::Admin => "admin",
        }
    }
}

/// A scope name that is not one of `sync`, `match`, `outcomes`, `admin`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope {0:?}: use sync, match, outcomes or admin")]
pub struct ParseScopeError(pub String);

impl FromStr for Scope {
    type Err = ParseScopeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s.trim())
            .ok_or_else(|| ParseScopeError(s.to_owned()))
    }
}

/// A set of scopes, written `sync,match`.
#[derive(Clone, PartialEq, Eq, Default, Debug)]
pub struct Scopes(BTreeSet<Scope>);

impl Scopes {
    /// Whether `scope` is granted.
    pub fn contains(&self, scope: Scope) -> bool {
        self.0.contains(&scope)
    }

    /// Whether no scope is granted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The scopes, in order.
    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }
}

impl FromIterator<Scope> for Scopes {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(s.as_str())?;
        }
        Ok(())
    }
}

impl FromStr for Scopes {
    type Err = ParseScopeError;

    /// Parses `sync,match`; the empty string is the empty set.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.split(',')
            .filter(|p| !p.trim().is_empty())
            .map(str::parse)
            .collect()
    }
}

/// A member platform (or an operator, with the `admin` scope).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Member {
    /// Its id.
    pub id: MemberId,
    /// Its unique name.
    pub name: String,
    /// What it may do.
    pub scopes: Scopes,
    /// Whether it has been disabled (its keys stop working).
    pub disabled: bool,
    /// When it was added.
    pub created_at: Timestamp,
}

/// A member to be added.
#[derive(Clone, Debug)]
pub struct NewMember {
    name: String,
    scopes: Scopes,
}

impl NewMember {
    /// Checks the name and scopes.
    ///
    /// # Errors
    /// [`Invalid::MemberName`] or [`Invalid::NoScopes`].
    pub fn new(name: &str, scopes: Scopes) -> Result<Self, Invalid> {
        let ok = (1..=64).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !ok {
            return Err(Invalid::MemberName(name.to_owned()));
        }
        if scopes.is_empty() {
            return Err(Invalid::NoScopes);
        }
        Ok(Self {
            name: name.to_owned(),
            scopes,
        })
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The scopes.
    pub fn scopes(&self) -> &Scopes {
        &self.scopes
    }
}

/// Who made a change, as the audit log records it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Actor {
    /// The holder of a case (identified by the case only).
    Case(CaseId),
    /// A member, by name.
    Member(String),
    /// An operator at the command line, with direct database access.
    Cli,
    /// An automatic rule (e.g. quarantine on false-positive reports).
    System(&'static str),
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Case(id) => write!(f, "case:{id}"),
            Self::Member(name) => write!(f, "member:{name}"),
            Self::Cli => f.write_str("cli"),
            Self::System(rule) => write!(f, "system:{rule}"),
        }
    }
}

impl NewCase {
    /// Opens a case with a fresh id and secret: returns the case to store (holding the
    /// secret's digest) and the secret to show once.
    ///
    /// # Errors
    /// As [`NewCase::new`].
    pub fn open(
        signals: impl IntoIterator<Item = impl Into<CaseHash>>,
    ) -> Result<(Self, CaseSecret), (usize, Invalid)> {
        let secret = CaseSecret::random();
        let digest = crate::credential::digest(crate::CredentialKind::CaseSecret, secret.expose());
        let case = Self::new(CaseId::random(), digest, signals)?;
        Ok((case, secret))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pdq(q: i64) -> Signal {
        Signal::from_parts("pdq", &"ab".repeat(32), Some(q)).unwrap()
    }

    #[test]
    fn low_quality_is_refused_with_its_position() {
        let md5 = Signal::from_parts("md5", &"0".repeat(32), None).unwrap();
        let err = NewCase::new(CaseId::random(), String::new(), [md5, pdq(49)]).unwrap_err();
        assert_eq!(err, (1, Invalid::LowQuality(49)));
        assert!(err.1.to_string().contains("too plain or too small"));
        assert!(NewCase::new(CaseId::random(), String::new(), [pdq(50)]).is_ok());
    }

    #[test]
    fn an_outcome_time_in_the_future_is_the_time_it_was_received() {
        let received = Timestamp::from_millis(1_800_000_000_000);
        let skew = OutcomeReport::CLOCK_SKEW_MS;
        let at = |ms: i64| Timestamp::from_millis(received.millis() + ms);
        for (claimed, kept) in [(at(-86_400_000), at(-86_400_000)), (at(skew), at(skew))] {
            assert_eq!(OutcomeReport::plausible_time(claimed, received), kept);
        }
        for claimed in [at(skew + 1), Timestamp::from_millis(4_070_908_800_000)] {
            assert_eq!(OutcomeReport::plausible_time(claimed, received), received);
        }
    }

    #[test]
    fn the_empty_files_digests_are_refused_even_in_bulk() {
        let md5 = Signal::Md5(Md5::EMPTY);
        let sha = Signal::Sha256(Sha256::EMPTY);
        let other = Signal::from_parts("md5", &"0".repeat(32), None).unwrap();
        assert!(md5.is_empty_file() && sha.is_empty_file() && !other.is_empty_file());
        for (signals, kind) in [
            (vec![pdq(90), md5], SignalKind::Md5),
            (vec![pdq(90), sha], SignalKind::Sha256),
        ] {
            let err = NewCase::bulk(CaseId::random(), String::new(), signals).unwrap_err();
            assert_eq!(err, (1, Invalid::EmptyFile(kind)));
        }
    }

    #[test]
    fn empty_and_oversized_cases_are_refused() {
        assert_eq!(
            NewCase::new(CaseId::random(), String::new(), [] as [Signal; 0])
                .unwrap_err()
                .1,
            Invalid::NoHashes
        );
        let many = (0..=MAX_HASHES_PER_CASE).map(|i| {
            let mut b = [0u8; 16];
            b[..8].copy_from_slice(&(i as u64).to_be_bytes());
            Signal::Md5(Md5::from_bytes(b))
        });
        assert!(matches!(
            NewCase::new(CaseId::random(), String::new(), many)
                .unwrap_err()
                .1,
            Invalid::TooManyHashes(_)
        ));
    }

    #[test]
    fn duplicates_are_kept_once() {
        let c = NewCase::new(CaseId::random(), String::new(), [pdq(80), pdq(80)]).unwrap();
        assert_eq!(c.entries().len(), 1);
    }

    #[test]
    fn scopes_parse_and_print() {
        let s: Scopes = "match, sync".parse().unwrap();
        assert_eq!(s.to_string(), "sync,match");
        assert!("sync,write".parse::<Scopes>().is_err());
        assert!(NewMember::new("acme", Scopes::default()).is_err());
        assert!(NewMember::new("a b", s.clone()).is_err());
        assert!(NewMember::new("acme-1.eu", s).is_ok());
    }
}
