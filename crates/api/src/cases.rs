//! Cases (the affected person), sync, match and outcomes (members).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A hash algorithm, named as python-threatexchange names signal types.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum HashType {
    /// PDQ, 64 hex digits, with a quality.
    Pdq,
    /// MD5 of the file, 32 hex digits.
    Md5,
    /// SHA-256 of the file, 64 hex digits.
    Sha256,
    /// vPDQ of a video: the `value` is python-threatexchange's `VideoVPDQSignal` string (what
    /// its `vpdq_to_json` writes and HMA exchanges), a JSON list serialised as a string, one
    /// `"<64 hex PDQ>,<quality 0-100>,<timestamp seconds>"` element per sampled frame, e.g.
    /// `"[\"e271…055c,100,0.000\", \"e271…055c,97,1.000\"]"`. At most 10,000 frames; at least
    /// one must have quality 50 or more. No `quality` field (each frame carries its own).
    Vpdq,
}

/// One hash in a new case.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct HashInput {
    /// The algorithm.
    #[serde(rename = "type")]
    pub kind: HashType,
    /// The hash in hex; for `vpdq`, pytx's signal string (see [`HashType::Vpdq`]). The
    /// registry keeps a vPDQ in canonical form (no spaces, timestamps with 3 decimals), so the
    /// same video sent twice counts once.
    pub value: String,
    /// PDQ quality (0–100) as the hasher reported it; required for PDQ, absent otherwise.
    /// Hashes below 50 are refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<i64>,
    /// PDQ only: the hash profile that made this hash from the image (its crops, trims and
    /// cuts), e.g. `pdq-robust-v5`; with `part`. Absent for the plain hash of the image as
    /// it is, which is what every other PDQ system exchanges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// With `profile`: the part of the image's hashes this one is filed under, `whole`,
    /// `variant` or `cut`. Members search it only with the upload hashes the profile sends
    /// to that part, at that part's distance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
    /// Which of the person's files this hash was made from, numbered by the client within the
    /// request (0, 1, …): every hash with the same number gets the same `media_id`, so a
    /// member raises one ticket per photo and the person's status counts photos and videos.
    /// Without it the hash is a file of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<u32>,
}

/// `POST /v1/cases`: open a case with hashes only.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct OpenCaseRequest {
    /// 1 to 1000 hashes, plus up to 5,000 filed under a profile's parts.
    pub hashes: Vec<HashInput>,
}

/// The new case. The secret is shown only here: it cannot be recovered.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq, Eq)]
pub struct OpenCaseResponse {
    /// The case id.
    pub case_id: String,
    /// The secret that proves you hold the case. Keep it with the case id.
    pub secret: String,
    /// Hashes registered (duplicates count once).
    pub hashes: u32,
    /// The files they were made from, by what they are.
    #[serde(default)]
    pub media: MediaCountsDto,
}

/// Files by what they are: what a person registered, in their terms.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MediaCountsDto {
    /// Photos (files with a PDQ hash).
    pub photos: u32,
    /// Videos (files with a vPDQ hash).
    pub videos: u32,
    /// Other files, known by their MD5 and SHA-256 only.
    pub other: u32,
}

/// Hashes per type.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HashCounts {
    /// PDQ hashes.
    pub pdq: u32,
    /// MD5 hashes.
    pub md5: u32,
    /// SHA-256 hashes.
    pub sha256: u32,
    /// vPDQ hashes (one per video).
    pub vpdq: u32,
    /// PDQ hashes filed under a hash profile's parts (the photos' crops, trims and cuts),
    /// beside the `pdq` count; absent when there are none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub pdq_filed: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl HashCounts {
    /// Hashes of every type together.
    pub fn total(&self) -> u32 {
        self.pdq + self.md5 + self.sha256 + self.vpdq + self.pdq_filed
    }
}

/// What a member reported.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    /// Blocked or removed.
    Blocked,
    /// Waiting for review.
    UnderReview,
    /// Reviewed, not acted on.
    NotActioned,
    /// The match was wrong (not shown on case status; feeds quarantine).
    FalsePositive,
}

/// One member outcome on a case.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq, Eq)]
pub struct CaseOutcomeDto {
    /// The member platform's name.
    pub member: String,
    /// What it did.
    pub outcome: OutcomeKind,
    /// When (RFC 3339).
    pub at: String,
}

/// `GET /v1/cases/{case_id}`.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq, Eq)]
pub struct CaseStatusResponse {
    /// The case id.
    pub case_id: String,
    /// When it was opened (RFC 3339).
    pub opened_at: String,
    /// When it was withdrawn, if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withdrawn_at: Option<String>,
    /// Hashes held.
    pub hashes: HashCounts,
    /// The files they were made from, by what they are (hashes sent without a file number
    /// count as a file each); absent for a case opened before the registry kept files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<MediaCountsDto>,
    /// What member platforms reported, oldest first.
    pub outcomes: Vec<CaseOutcomeDto>,
    /// Hashes paused while the registry's operators check them (after members reported them
    /// as matching something else): not matched until they are released.
    #[serde(default)]
    pub paused: u32,
    /// The registry's audit chain head as this status was read (`SEQ:HASH`): a report that
    /// quotes it can later be checked against the registry's history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_head: Option<String>,
}

/// `POST /v1/cases/{case_id}/withdraw`.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq, Eq)]
pub struct WithdrawResponse {
    /// The case id.
    pub case_id: String,
    /// When it was withdrawn (RFC 3339).
    pub withdrawn_at: String,
    /// Hashes withdrawn by this request (0 if the case was already withdrawn).
    pub withdrawn_hashes: u32,
}

/// What a sync entry does.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SyncOp {
    /// Add or keep this entry.
    Upsert,
    /// Remove this entry.
    Tombstone,
}

/// One change in the hash list.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq, Eq)]
pub struct SyncEntry {
    /// Add or remove.
    pub op: SyncOp,
    /// The entry's opaque id (the same id `match` returns).
    pub entry_id: String,
    /// The algorithm.
    #[serde(rename = "type")]
    pub kind: HashType,
    /// The hash in hex, or pytx's signal string for `vpdq` (canonical form) (upserts only: a
    /// tombstone never repeats the hash).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// PDQ quality (PDQ upserts only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<u8>,
    /// The hash profile of a filed PDQ hash (upserts only; see [`HashInput::profile`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// Its part (upserts only; see [`HashInput::part`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
    /// When the person registered it (RFC 3339; upserts only): the clock a removal request
    /// runs on (48 hours under the US TAKE IT DOWN Act), for a member's queue to order by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_at: Option<String>,
    /// The file the hash was made from (`md_…`; upserts only): the same for every hash of one
    /// photo or video, so hits on several of them are one ticket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_id: Option<String>,
}

/// `GET /v1/hashes?cursor=…`: a page of changes.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq, Eq)]
pub struct SyncResponse {
    /// Changes in order.
    pub entries: Vec<SyncEntry>,
    /// Pass as `cursor` to continue; store it once the page is applied.
    pub next_cursor: String,
    /// Whether more changes are waiting now.
    pub has_more: bool,
    /// The registry's audit chain head as this page was read, `SEQ:HASH` as `quell audit
    /// verify` prints it: members keep the heads they saw, so a registry whose history was
    /// cut or rewritten cannot pass unnoticed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_head: Option<String>,
    /// With `audit_seen=SEQ`: the chain's event at that sequence number, `SEQ:HASH`; absent
    /// when the chain no longer reaches it (it was cut).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_seen: Option<String>,
}

/// One hash to match.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct MatchQuery {
    /// The algorithm.
    #[serde(rename = "type")]
    pub kind: HashType,
    /// The hash in hex, or pytx's signal string for `vpdq` (see [`HashType::Vpdq`]; no
    /// minimum quality for a query, but frames below quality 50 never match).
    pub value: String,
    /// PDQ only: search the hashes filed under this hash profile (`pdq-robust-v6`; also
    /// those of the others of its line, `pdq-robust-v5`) instead
    /// of the plain ones, by the profile's plan for what made this upload hash (`upload`):
    /// each part it names, at that part's distance. With `upload`; not with `max_distance`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// With `profile`: what made this hash from the upload, `whole` (the upload as it is),
    /// `whole_turned`, `trim`, `trim_turned` or `cut` (a trim or the whole upload without a
    /// quarter of one side), as `quell-robust`'s `Profile::upload_queries` reports it. Send
    /// an upload's queries together, its `whole` query first: the registry's flood rule
    /// counts an entry once per upload, and an upload's queries run from its `whole` query
    /// to the next.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload: Option<String>,
}

/// `POST /v1/match`.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct MatchRequest {
    /// 1 to 1000 hashes, holding at most 10,000 vPDQ frames in all.
    pub hashes: Vec<MatchQuery>,
    /// Largest PDQ Hamming distance that counts as a match, inclusive; 0–31, default 31.
    /// Applies to `pdq` queries only: `vpdq` queries always use the default decision (see
    /// [`MatchHit`]), so a request holding a `vpdq` query may not set it below 31 (400
    /// `invalid_max_distance`, rather than a tighter limit silently ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_distance: Option<u32>,
}

/// One matching entry.
///
/// For a `vpdq` query the query video is compared with every registered video at once, with
/// python-threatexchange's default decision: a frame is found when a frame of the other video
/// is within Hamming distance 31 (inclusive), frames below quality 50 are left out on both
/// sides and each distinct frame hash counts once; a registered video matches when at least
/// 80 % of the query's frames are found in it (`query_match_percent` ≥ 80) and any share of
/// its own frames is found in the query (`compared_match_percent` ≥ 0).
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct MatchHit {
    /// The entry's opaque id.
    pub entry_id: String,
    /// Hamming distance (0 for MD5 and SHA-256; absent for vPDQ).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distance: Option<u32>,
    /// vPDQ only: the share (0–100) of the query video's frames found in this entry's video.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_match_percent: Option<f64>,
    /// vPDQ only: the share (0–100) of this entry's video's frames found in the query video.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compared_match_percent: Option<f64>,
    /// A profile's query only: the hash profile this entry is filed under (a query of
    /// `pdq-robust-v6` also finds entries filed under `pdq-robust-v5`, and the reverse).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// A profile's query only: the part of the registered image's hashes this entry is filed
    /// under: `whole` (the image and its trims, turned and flipped), `variant` (its crops,
    /// tilts and framed trims) or `cut` (the image or a trim without part of one side: a
    /// quarter, and under `pdq-robust-v6` also 40% or 55%).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
    /// When the person registered this entry (RFC 3339), as sync reports it: the clock a
    /// removal request runs on, for a member's queue to order by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_at: Option<String>,
    /// The file this entry's hash was made from (`md_…`), as sync reports it: hits with the
    /// same `media_id` are one photo or video, one ticket, one outcome report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_id: Option<String>,
}

/// Matches for one query hash.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct MatchResult {
    /// Entries that match, nearest first (vPDQ: highest `query_match_percent` first, then
    /// highest `compared_match_percent`).
    pub matches: Vec<MatchHit>,
}

/// Results in the order of the request's hashes.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct MatchResponse {
    /// One result per query hash.
    pub results: Vec<MatchResult>,
}

/// What an uploaded file was read as.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    /// A photo: matched by its PDQ hash (and the default profile's upload searches, when
    /// the list holds hashes filed under it), MD5 and SHA-256.
    Image,
    /// A video: matched by its vPDQ hash, MD5 and SHA-256.
    Video,
    /// Neither an image nor a video read here (or one that could not be decoded): matched by
    /// its MD5 and SHA-256 only, as the registry holds such files; `unread` says why.
    Other,
}

/// One entry an uploaded file matches.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct FileMatchHit {
    /// The entry's algorithm.
    #[serde(rename = "type")]
    pub kind: HashType,
    /// The rest as `POST /v1/match` answers it: the entry id, its distance (or the video
    /// percentages), the profile and part of a filed entry, the registration time.
    #[serde(flatten)]
    pub hit: MatchHit,
}

/// `POST /v1/match/file`: the verdict for one upload.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct FileMatchResponse {
    /// What the file was read as.
    pub media: MediaKind,
    /// Why only the file's MD5 and SHA-256 were compared (`media` is `other`): what the
    /// matcher could not read in it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unread: Option<String>,
    /// Every entry the upload matches, once each: PDQ hits nearest first (an entry filed
    /// under several parts at its nearest), then MD5 and SHA-256, then vPDQ (best first).
    pub matches: Vec<FileMatchHit>,
}

/// One outcome report.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct OutcomeInput {
    /// The entry that matched (any entry of the file: a report counts once per `media_id`,
    /// except `false_positive`, which is about the one hash named).
    pub entry_id: String,
    /// What the platform did.
    pub outcome: OutcomeKind,
    /// When (RFC 3339). A time more than 5 minutes after the registry receives the report is
    /// replaced by the time it was received.
    pub at: String,
}

/// `POST /v1/outcomes`.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct OutcomesRequest {
    /// 1 to 1000 reports.
    pub outcomes: Vec<OutcomeInput>,
}

/// Reports stored.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutcomesResponse {
    /// How many were new: a report this member already made (the same entry and outcome) is a
    /// retry, accepted and not recorded twice.
    pub recorded: u32,
}
