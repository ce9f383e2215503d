//! What is looked up, and how close a hit is: one [`Query`] parsed once at the wire boundary
//! ([`parse_request`]), with the request rules every matcher applies as a typed
//! [`RequestError`].

use std::sync::Arc;

use quell_api::convert::time_to_wire;
use quell_api::{
    ErrorCode, FileMatchHit, FileMatchResponse, HashType, MatchHit, MatchQuery, MatchRequest,
    MatchResponse, MatchResult, MediaKind,
};
use quell_hash::{
    Distance, FILED_PROFILES, Filing, MATCH_DISTANCE, Md5, Part, Pdq, Sha256, UploadKind,
    filed_plan,
};
use quell_registry::{EntryId, MAX_VPDQ_FRAMES, Registration};
use quell_vpdq::{MatchPercentages, VideoHash};

/// Most hashes per match request (and per outcomes request, which shares the bound).
pub const MAX_BATCH: usize = 1000;

/// Most vPDQ frames per match request, over all its vPDQ queries: a video costs one search
/// per frame, so it is the frames, not the hashes, that bound a request's work. The same as
/// the most frames one registered vPDQ may hold, so any registered video can be queried.
pub const MAX_FRAMES_PER_REQUEST: usize = MAX_VPDQ_FRAMES;

/// A hash to look up.
#[derive(Clone, Debug, PartialEq)]
pub enum Query {
    /// A PDQ hash: matches plain PDQ entries within a Hamming distance.
    Pdq(Pdq),
    /// An upload hash under a profile that files by part: matches the entries filed under
    /// each part of `searches` within that part's distance (the caller's distance is unused),
    /// under the profile and the others of its line ([`quell_hash::searched_with`]).
    Filed {
        /// The upload hash.
        hash: Pdq,
        /// What made it: a `whole` query starts an upload's queries (see [`crate::flood`]).
        upload: UploadKind,
        /// The profile, one of [`FILED_PROFILES`].
        profile: &'static str,
        /// The profile's plan for what made the hash ([`quell_hash::filed_plan`]).
        searches: &'static [(Part, Distance)],
    },
    /// An MD5 digest: matches exactly.
    Md5(Md5),
    /// A SHA-256 digest: matches exactly.
    Sha256(Sha256),
    /// A video's vPDQ frames: matches by pytx's default decision (see [`Closeness::Video`]).
    Vpdq(Arc<VideoHash>),
}

/// One entry a query found: how close, and for a profile's query the profile and part it is
/// filed under (a query of one profile may find entries of an earlier one,
/// [`quell_hash::searched_with`]).
pub type Hit = (EntryId, Closeness, Option<Filing>);

/// How close a hit is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Closeness {
    /// PDQ Hamming distance, or 0 for an exact digest.
    Distance(u32),
    /// The share of each video's frames found in the other, for a vPDQ hit. Frames match at
    /// distance ≤ 31 with quality ≥ 50 on both sides ([`quell_vpdq::MatchParams::PYTX`]); a
    /// video is a hit when ≥ 80 % of the query's frames are found
    /// ([`quell_vpdq::MatchThresholds::PYTX`]).
    Video(MatchPercentages),
}

impl Closeness {
    /// The PDQ or digest distance, if it is one.
    pub fn distance(self) -> Option<u32> {
        match self {
            Closeness::Distance(d) => Some(d),
            Closeness::Video(_) => None,
        }
    }

    /// The video percentages, if it is a vPDQ hit.
    pub fn video(self) -> Option<MatchPercentages> {
        match self {
            Closeness::Distance(_) => None,
            Closeness::Video(p) => Some(p),
        }
    }

    /// Whether this hit is closer than `other`: a smaller distance; for videos, more of the
    /// query's frames found, then more of the other's; a distance (an exact digest, a PDQ
    /// hash) before a video's percentages, a file's exact copy being the strongest sign.
    pub fn is_closer_than(self, other: Closeness) -> bool {
        match (self, other) {
            (Closeness::Distance(a), Closeness::Distance(b)) => a < b,
            (Closeness::Distance(_), Closeness::Video(_)) => true,
            (Closeness::Video(_), Closeness::Distance(_)) => false,
            (Closeness::Video(a), Closeness::Video(b)) => {
                (a.query_match_pct, a.compared_match_pct)
                    > (b.query_match_pct, b.compared_match_pct)
            }
        }
    }
}

/// Why a match request is refused: each a `400` with [`RequestError::code`] on the wire.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// No hash at all.
    #[error("send at least one {what}")]
    EmptyBatch {
        /// What the request holds ("hash", "outcome").
        what: &'static str,
    },
    /// More than [`MAX_BATCH`] items.
    #[error("send at most {MAX_BATCH} {what}s per request, got {got}")]
    BatchTooLarge {
        /// What the request holds.
        what: &'static str,
        /// How many it held.
        got: usize,
    },
    /// `max_distance` beyond [`MATCH_DISTANCE`].
    #[error("max_distance must be between 0 and {max}, got {got}", max = MATCH_DISTANCE.get())]
    MaxDistanceTooLarge {
        /// The distance asked for.
        got: u32,
    },
    /// `max_distance` on a request whose query is searched at fixed distances.
    #[error(
        "hashes[{index}] is searched by its profile's plan, at the plan's own distances: send \
         profile searches in a request without max_distance"
    )]
    MaxDistanceWithProfile {
        /// The profile query's position.
        index: usize,
    },
    /// `max_distance` on a request with a vPDQ query.
    #[error(
        "hashes[{index}] is a vPDQ hash, which always matches by the fixed frame rule \
         (distance {max} or less): max_distance applies to PDQ only; send vPDQ hashes in a \
         request without max_distance",
        max = MATCH_DISTANCE.get()
    )]
    MaxDistanceWithVideo {
        /// The vPDQ query's position.
        index: usize,
    },
    /// A hash that does not parse, or a profile search that makes no sense.
    #[error("hashes[{index}]: {why}")]
    InvalidHash {
        /// The query's position.
        index: usize,
        /// What is wrong with it.
        why: String,
    },
    /// More vPDQ frames than [`MAX_FRAMES_PER_REQUEST`].
    #[error(
        "send at most {MAX_FRAMES_PER_REQUEST} vPDQ frames per request, got {got}; split the \
         videos over several requests"
    )]
    TooManyFrames {
        /// Frames over all the request's vPDQ queries.
        got: usize,
    },
}

impl RequestError {
    /// The error's code in the API's error body.
    pub fn code(&self) -> ErrorCode {
        match self {
            RequestError::EmptyBatch { .. } => ErrorCode::EmptyBatch,
            RequestError::BatchTooLarge { .. } => ErrorCode::BatchTooLarge,
            RequestError::MaxDistanceTooLarge { .. }
            | RequestError::MaxDistanceWithProfile { .. }
            | RequestError::MaxDistanceWithVideo { .. } => ErrorCode::InvalidMaxDistance,
            RequestError::InvalidHash { .. } => ErrorCode::InvalidHash,
            RequestError::TooManyFrames { .. } => ErrorCode::TooManyFrames,
        }
    }
}

/// Checks a batch's size: at least one item, at most [`MAX_BATCH`].
///
/// # Errors
/// [`RequestError::EmptyBatch`] or [`RequestError::BatchTooLarge`].
pub fn check_batch_size(what: &'static str, n: usize) -> Result<(), RequestError> {
    if n == 0 {
        return Err(RequestError::EmptyBatch { what });
    }
    if n > MAX_BATCH {
        return Err(RequestError::BatchTooLarge { what, got: n });
    }
    Ok(())
}

/// A validated match request: its queries in request order and the PDQ distance.
#[derive(Clone, Debug)]
pub struct ParsedRequest {
    /// One query per hash of the request.
    pub queries: Vec<Query>,
    /// The largest plain PDQ distance (inclusive).
    pub max_distance: Distance,
}

/// Parses and validates a `POST /v1/match` request: the rules the registry and every member's
/// matcher apply alike (batch size, distance, hash syntax, profile searches, frame budget).
///
/// # Errors
/// The first rule the request breaks.
pub fn parse_request(req: &MatchRequest) -> Result<ParsedRequest, RequestError> {
    check_batch_size("hash", req.hashes.len())?;
    let max = req.max_distance.unwrap_or(MATCH_DISTANCE.get());
    if max > MATCH_DISTANCE.get() {
        return Err(RequestError::MaxDistanceTooLarge { got: max });
    }
    let max_distance = Distance::new(max);
    let mut queries = Vec::with_capacity(req.hashes.len());
    for (index, q) in req.hashes.iter().enumerate() {
        queries.push(query_of(index, q)?);
    }
    frame_budget(&queries)?;
    // The vPDQ decision is fixed (pytx's), and so are a profile's distances: a tighter
    // distance would silently be ignored, so it is refused instead; the default itself,
    // spelled out, changes nothing.
    if max_distance != MATCH_DISTANCE {
        if let Some(index) = queries
            .iter()
            .position(|q| matches!(q, Query::Filed { .. }))
        {
            return Err(RequestError::MaxDistanceWithProfile { index });
        }
        if let Some(index) = queries.iter().position(|q| matches!(q, Query::Vpdq(_))) {
            return Err(RequestError::MaxDistanceWithVideo { index });
        }
    }
    Ok(ParsedRequest {
        queries,
        max_distance,
    })
}

/// One wire query as a [`Query`].
fn query_of(index: usize, q: &MatchQuery) -> Result<Query, RequestError> {
    let value = q.value.as_str();
    let invalid = |why: String| RequestError::InvalidHash { index, why };
    let bad = |e: quell_hash::ParseHexError| invalid(e.to_string());
    let filed = match (q.profile.as_deref(), q.upload.as_deref()) {
        (None, None) => None,
        (Some(profile), Some(upload)) => {
            if q.kind != HashType::Pdq {
                return Err(invalid(
                    "only PDQ hashes are searched under a hash profile; remove profile and \
                     upload"
                        .to_owned(),
                ));
            }
            let kind = UploadKind::from_name(upload).ok_or_else(|| {
                invalid(format!(
                    "unknown upload {upload:?}: use \"whole\", \"whole_turned\", \"trim\", \
                     \"trim_turned\" or \"cut\""
                ))
            })?;
            let searches = filed_plan(profile, kind).map_err(|e| invalid(e.to_string()))?;
            let profile = FILED_PROFILES
                .into_iter()
                .find(|&p| p == profile)
                .expect("filed_plan knows only filed profiles");
            Some((profile, kind, searches))
        }
        _ => {
            return Err(invalid(
                "a profile search needs both its profile and its upload".to_owned(),
            ));
        }
    };
    Ok(match q.kind {
        HashType::Pdq => match filed {
            None => Query::Pdq(value.parse().map_err(bad)?),
            Some((profile, upload, searches)) => Query::Filed {
                hash: value.parse().map_err(bad)?,
                upload,
                profile,
                searches,
            },
        },
        HashType::Md5 => Query::Md5(value.parse().map_err(bad)?),
        HashType::Sha256 => Query::Sha256(value.parse().map_err(bad)?),
        // Unlike a case, a query whose frames are all below quality 50 is not refused: it
        // simply matches nothing, as it would at any pytx matcher.
        HashType::Vpdq => Query::Vpdq(Arc::new(
            quell_vpdq::format::from_pytx_json(value)
                .map_err(|e| invalid(format!("bad vPDQ hash: {e}")))?,
        )),
    })
}

/// Refuses a request whose vPDQ queries hold more than [`MAX_FRAMES_PER_REQUEST`] frames.
fn frame_budget(queries: &[Query]) -> Result<(), RequestError> {
    let frames: usize = queries
        .iter()
        .map(|q| match q {
            Query::Vpdq(v) => v.len(),
            _ => 0,
        })
        .sum();
    if frames > MAX_FRAMES_PER_REQUEST {
        return Err(RequestError::TooManyFrames { got: frames });
    }
    Ok(())
}

/// The wire form of an uploaded file's verdict ([`crate::Matcher::lookup_file`]);
/// `registration` as for [`response_of`].
pub fn file_response(
    media: MediaKind,
    unread: Option<String>,
    hits: Vec<(HashType, Hit)>,
    registration: impl Fn(EntryId) -> Option<Registration>,
) -> FileMatchResponse {
    FileMatchResponse {
        media,
        unread,
        matches: hits
            .into_iter()
            .map(|(kind, hit)| FileMatchHit {
                kind,
                hit: wire_hit(hit, &registration),
            })
            .collect(),
    }
}

/// One hit as `POST /v1/match` answers it.
fn wire_hit(
    (entry, closeness, filing): Hit,
    registration: &impl Fn(EntryId) -> Option<Registration>,
) -> MatchHit {
    let video = closeness.video();
    let registration = registration(entry);
    MatchHit {
        entry_id: entry.to_string(),
        distance: closeness.distance(),
        query_match_percent: video.map(|p| p.query_match_pct),
        compared_match_percent: video.map(|p| p.compared_match_pct),
        profile: filing.map(|f| f.profile().to_owned()),
        part: filing.map(|f| f.part().name().to_owned()),
        registered_at: registration.map(|r| time_to_wire(r.at)),
        media_id: registration.map(|r| r.media.to_string()),
    }
}

/// The wire form of a request's hits, one result per query in request order.
///
/// `registration` gives when and from which file each hit's entry was registered, or `None`
/// where it is not known.
pub fn response_of(
    results: Vec<Vec<Hit>>,
    registration: impl Fn(EntryId) -> Option<Registration>,
) -> MatchResponse {
    MatchResponse {
        results: results
            .into_iter()
            .map(|hits| MatchResult {
                matches: hits
                    .into_iter()
                    .map(|hit| wire_hit(hit, &registration))
                    .collect(),
            })
            .collect(),
    }
}
