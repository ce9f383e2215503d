//! Does this upload match that entry? Decided here, and only here.
//!
//! **Key decision: one rule, every caller.** The registry's `POST /v1/match`, a member's
//! matcher (`quell serve --matcher`), a retroactive `quell scan` and the stored-media check
//! that raises a member's webhooks all parse the same [`Query`], search the same [`Matcher`]
//! (or, for the stored-media check, the same rule from the entry's side: [`StoredHashes`]),
//! and report the same [`Closeness`]; so the distance rule, the profile's search plan, the
//! video decision, the limits and the order of hits cannot drift apart between them.
//!
//! - [`query`]: what is looked up ([`Query`], parsed once from the wire by [`parse_request`]
//!   with the request rules as a typed [`RequestError`]) and how close a hit is.
//! - [`matcher`]: the in-memory indexes an upload is matched against ([`Matcher`]).
//! - [`flood`]: the rule that counts an entry's matches per upload, to quarantine an entry
//!   that matches a flood of uploads.
//! - [`stored`]: the stored-media check, the same rule with the member's stored item as the
//!   query.
//!
//! The rules: plain PDQ within [`quell_hash::MATCH_DISTANCE`] (31 bits, inclusive; a request
//! may ask for less); MD5 and SHA-256 exactly; a video by python-threatexchange's default
//! vPDQ decision; an upload hash under a hash profile that files by part, only against the
//! parts of its profile's plan ([`quell_hash::filed_plan`], the plan's data, which
//! `quell-robust` computing the upload's hashes reads too), each at the plan's distance. A
//! plain query never sees a hash filed under a profile. No HTTP, no SQL, no async: callers
//! own IO.

pub mod flood;
pub mod matcher;
pub mod query;
pub mod stored;

pub use crate::flood::{FloodCounter, matches_per_upload};
pub use crate::matcher::{Matcher, MatcherBuilder};
pub use crate::query::{
    Closeness, Hit, MAX_BATCH, MAX_FRAMES_PER_REQUEST, ParsedRequest, Query, RequestError,
    check_batch_size, file_response, parse_request, response_of,
};
pub use crate::stored::{StoredHashes, StoredItem, StoredMatch};
