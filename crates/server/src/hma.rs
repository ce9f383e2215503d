//! HMA-compatible matching on a member's matcher: `GET /m/raw_lookup`, `GET /m/lookup` (by
//! hash), `POST /m/lookup` (by uploaded file) and `GET /m/index/status`, with the requests
//! and answers of Meta's
//! Hasher-Matcher-Actioner 2.0 (its OpenAPI schemas `RawLookupRequest`/`RawLookupResponse`,
//! `LookupRequest`/`LookupResponse`, `MatchWithDistance`, `IndexStatusResponse` and
//! `ErrorResponse`), so that clients of HMA's matching API (hma-matrix; ROOST's Coop for its
//! lookups by hash; Coop hashes media through HMA's `/h/` routes, which a matcher does not
//! serve) can point at a Quell matcher unchanged. The lookups are `POST /v1/match`'s and `POST /v1/match/file`'s,
//! through the same [`Matcher`], request rules and upload hashing (so a file is matched
//! under the default profile, crops and captions included, when the list holds its hashes).
//!
//! Key decisions:
//! - **One bank, [`BANK`]**: the registry's list. `banks` filters to it (a list without it
//!   finds nothing); `seed` and `bypass_coinflip` are accepted and change nothing, since a
//!   person's request is never matched on a sample of uploads.
//! - **Ids**: `bank_content_id` is the entry id's number (`e_` and 16 hex digits, read as an
//!   integer), as HMA's schema types it; every match object also carries `entry_id`, the
//!   form outcomes are reported with, because JavaScript clients lose integers past 2^53,
//!   and `media_id`, the registered file (hits with the same one are one photo, one ticket).
//! - **Signal types by python-threatexchange's names**: `pdq` (plain PDQ, within 31; a file
//!   lookup also lists the default profile's hits, each with its `profile` and `part`),
//!   `video_md5` and `video_sha256` (exact), `vpdq` (pytx's rule); `distance` is what pytx's
//!   `pretty_str` prints: `"3"`, `"-"` for an exact digest, `"100%[95%]"` for a video.
//! - **URLs are never fetched**: a matcher that fetched what its clients name could be
//!   pointed at addresses inside the member's network; `url` is refused, naming the
//!   alternative.
//! - **Authentication** is the matcher's local key, as on every other route, unless the
//!   matcher runs with `--hma-without-key` (HMA itself has none): then its hash lookups
//!   alone are open, and the matcher belongs on a private address. A file lookup always
//!   takes the key: hashing uploads is the work an open address would hand to anyone.
//!
//! [`Matcher`]: quell_match::Matcher

use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use quell_api::{HashType, MatchQuery, MatchRequest, MediaKind};
use quell_match::{Closeness, Hit, parse_request};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::error::ApiError;
use crate::sidecar::{MAX_UPLOAD_BYTES, Sidecar};

/// The one bank a Quell matcher offers: the registry's list.
pub(crate) const BANK: &str = "QUELL";

/// The signal types answered, by python-threatexchange's names.
const SIGNAL_TYPES: [(&str, HashType); 4] = [
    ("pdq", HashType::Pdq),
    ("video_md5", HashType::Md5),
    ("video_sha256", HashType::Sha256),
    ("vpdq", HashType::Vpdq),
];

/// An error as HMA answers one: `{"message": …}`.
#[derive(Debug)]
struct HmaError(StatusCode, String);

impl HmaError {
    fn bad_request(message: impl Into<String>) -> Self {
        Self(StatusCode::BAD_REQUEST, message.into())
    }
}

/// The sidecar's own refusals (the key, a file it cannot read), in HMA's shape.
impl From<ApiError> for HmaError {
    fn from(e: ApiError) -> Self {
        Self(e.status(), e.message().to_owned())
    }
}

impl IntoResponse for HmaError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "message": self.1 }))).into_response()
    }
}

/// The `/m/` routes, nested by the sidecar's router.
pub(crate) fn routes() -> Router<Sidecar> {
    Router::new()
        .route("/raw_lookup", get(raw_lookup))
        .route(
            "/lookup",
            get(lookup)
                .post(lookup_file)
                .layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD)),
        )
        .route("/index/status", get(index_status))
}

/// Query parameters of `GET /m/raw_lookup`; others are ignored, as HMA ignores them.
#[derive(Deserialize)]
struct RawLookupParams {
    signal: Option<String>,
    signal_type: Option<String>,
    banks: Option<String>,
    include_distance: Option<String>,
}

/// Query parameters of `GET /m/lookup`.
#[derive(Deserialize)]
struct LookupParams {
    signal: Option<String>,
    signal_type: Option<String>,
    banks: Option<String>,
    url: Option<String>,
}

/// Room for a multipart body's boundaries and headers beside the file.
const MULTIPART_OVERHEAD: usize = 64 << 10;

/// Query parameters of `POST /m/lookup`.
#[derive(Deserialize)]
struct FileLookupParams {
    banks: Option<String>,
}

/// Query parameters of `GET /m/index/status`.
#[derive(Deserialize)]
struct StatusParams {
    signal_type: Option<String>,
}

/// The parameters, or HMA's 400 for a query string that cannot be read.
fn params<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, HmaError> {
    query
        .map(|Query(p)| p)
        .map_err(|e| HmaError::bad_request(e.body_text()))
}

/// `pdq`, `video_md5`, … as the wire's hash type.
fn hash_type(name: &str) -> Result<HashType, HmaError> {
    SIGNAL_TYPES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|&(_, t)| t)
        .ok_or_else(|| HmaError::bad_request(format!("No such SignalType '{name}'")))
}

/// A required parameter.
fn required<'a>(value: Option<&'a str>, name: &str) -> Result<&'a str, HmaError> {
    value
        .filter(|v| !v.is_empty())
        .ok_or_else(|| HmaError::bad_request(format!("{name} is required")))
}

/// A flag as pydantic reads one.
fn flag(value: Option<&str>, name: &str) -> Result<bool, HmaError> {
    match value.map(str::to_ascii_lowercase).as_deref() {
        None => Ok(false),
        Some("true" | "1" | "yes" | "on" | "t" | "y") => Ok(true),
        Some("false" | "0" | "no" | "off" | "f" | "n") => Ok(false),
        Some(other) => Err(HmaError::bad_request(format!(
            "{name}: {other:?} is not a boolean"
        ))),
    }
}

/// The local key, unless these routes are open ([`Sidecar::hma_without_key`]).
fn authenticate(sidecar: &Sidecar, headers: &HeaderMap) -> Result<(), HmaError> {
    if sidecar.hma_without_key() {
        return Ok(());
    }
    sidecar.authenticate(headers).map_err(|_| {
        HmaError(
            StatusCode::UNAUTHORIZED,
            "send this matcher's local key as `Authorization: Bearer <key>` (or start it \
                 with --hma-without-key on a private address)"
                .to_owned(),
        )
    })
}

/// The hits for one signal, as HMA's `MatchWithDistance` objects (with `entry_id`), after
/// the `banks` filter.
fn find(
    sidecar: &Sidecar,
    signal_type: &str,
    signal: &str,
    banks: Option<&str>,
) -> Result<Vec<Value>, HmaError> {
    let kind = hash_type(signal_type)?;
    let request = parse_request(&MatchRequest {
        hashes: vec![MatchQuery {
            kind,
            value: signal.to_owned(),
            profile: None,
            upload: None,
        }],
        max_distance: None,
    })
    .map_err(|e| HmaError::bad_request(format!("invalid signal: {e}")))?;
    if !sidecar.has_list() {
        return Err(HmaError(
            StatusCode::SERVICE_UNAVAILABLE,
            "index not yet ready".to_owned(),
        ));
    }
    if !in_banks(banks) {
        return Ok(Vec::new());
    }
    let hits = sidecar.lookup(&request).into_iter().flatten();
    Ok(hits.map(|hit| match_object(sidecar, kind, &hit)).collect())
}

/// Whether a `banks` filter lets [`BANK`] through (none, or an empty one, lets all through,
/// as HMA reads it).
fn in_banks(banks: Option<&str>) -> bool {
    banks
        .filter(|b| !b.is_empty())
        .is_none_or(|banks| banks.split(',').any(|b| b == BANK))
}

/// `{"bank_content_id", "distance", "entry_id", "media_id", "profile", "part"}` for a hit of
/// a `kind` query (`media_id` where the registry said which file the entry was made from;
/// `profile` and `part` for an entry filed under a profile, which only a file lookup finds).
fn match_object(sidecar: &Sidecar, kind: HashType, &(entry, closeness, filing): &Hit) -> Value {
    let distance = match (kind, closeness) {
        (_, Closeness::Video(v)) => {
            format!("{:.0}%[{:.0}%]", v.query_match_pct, v.compared_match_pct)
        }
        (HashType::Pdq, Closeness::Distance(d)) => d.to_string(),
        // pytx's exact indexes give no distance.
        (_, Closeness::Distance(_)) => "-".to_owned(),
    };
    let mut object = json!({
        "bank_content_id": entry.get(),
        "distance": distance,
        "entry_id": entry.to_string(),
    });
    if let Some(r) = sidecar.registration(entry) {
        object["media_id"] = json!(r.media.to_string());
    }
    if let Some(f) = filing {
        object["profile"] = json!(f.profile());
        object["part"] = json!(f.part().name());
    }
    object
}

/// Look up a hash: the ids of the entries it matches (`{"matches": [id, …]}`), or with
/// `include_distance` their `MatchWithDistance` objects.
async fn raw_lookup(
    State(sidecar): State<Sidecar>,
    headers: HeaderMap,
    query: Result<Query<RawLookupParams>, QueryRejection>,
) -> Result<Json<Value>, HmaError> {
    authenticate(&sidecar, &headers)?;
    let p = params(query)?;
    let include_distance = flag(p.include_distance.as_deref(), "include_distance")?;
    let signal = required(p.signal.as_deref(), "signal")?;
    let signal_type = required(p.signal_type.as_deref(), "signal_type")?;
    let found = find(&sidecar, signal_type, signal, p.banks.as_deref())?;
    let matches: Vec<Value> = if include_distance {
        found
    } else {
        found
            .into_iter()
            .map(|m| m["bank_content_id"].clone())
            .collect()
    };
    Ok(Json(json!({ "matches": matches })))
}

/// Look up a hash by bank: `{"QUELL": [MatchWithDistance, …]}`, or `{}` when nothing
/// matches.
async fn lookup(
    State(sidecar): State<Sidecar>,
    headers: HeaderMap,
    query: Result<Query<LookupParams>, QueryRejection>,
) -> Result<Json<Value>, HmaError> {
    authenticate(&sidecar, &headers)?;
    let p = params(query)?;
    if p.url.is_some() {
        return Err(HmaError::bad_request(
            "this matcher never fetches URLs: send the hash as signal and signal_type",
        ));
    }
    let (Some(signal), Some(signal_type)) = (p.signal.as_deref(), p.signal_type.as_deref()) else {
        return Err(HmaError::bad_request(
            "Either url or both signal and signal_type are required",
        ));
    };
    let found = find(&sidecar, signal_type, signal, p.banks.as_deref())?;
    Ok(Json(by_bank(found)))
}

/// HMA's matches by bank: `{"QUELL": [...]}`, or `{}` when there are none.
fn by_bank(found: Vec<Value>) -> Value {
    let mut banks = Map::new();
    if !found.is_empty() {
        banks.insert(BANK.to_owned(), Value::Array(found));
    }
    Value::Object(banks)
}

/// Look up an uploaded file (`multipart/form-data`, one file whose field is named for its
/// content type, `photo` or `video`, as HMA takes it; what it is, is read from its bytes):
/// `{"pdq": {"QUELL": [...]}, "video_md5": …, "video_sha256": …}` for a photo (every PDQ hit,
/// the default profile's included), `{"video_md5": …, "video_sha256": …, "vpdq": …}` for a
/// video, the digests alone for other files; a type with no match maps to `{}`.
async fn lookup_file(
    State(sidecar): State<Sidecar>,
    headers: HeaderMap,
    query: Result<Query<FileLookupParams>, QueryRejection>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Json<Value>, HmaError> {
    // Uploads always take the local key, even with `--hma-without-key`: hashing files is
    // the expensive part an open address would hand to anyone.
    sidecar.authenticate(&headers)?;
    let p = params(query)?;
    let mut multipart = multipart.map_err(|e| HmaError::bad_request(e.body_text()))?;
    // The turn first: at most one upload per core is read into memory.
    let turn = sidecar.upload_turn().await?;
    let mut file = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| HmaError(e.status(), e.body_text()))?
    {
        // Text fields are not files; HMA looks at the files only.
        if field.file_name().is_none() {
            continue;
        }
        let name = field.name().unwrap_or_default().to_owned();
        if !matches!(name.as_str(), "photo" | "video") {
            return Err(HmaError::bad_request(format!(
                "unknown content type {name:?}: name the file's field photo or video"
            )));
        }
        if file.is_some() {
            return Err(HmaError::bad_request("Only one file allowed per request"));
        }
        let bytes = field
            .bytes()
            .await
            .map_err(|e| HmaError(e.status(), e.body_text()))?;
        file = Some(bytes);
    }
    let Some(bytes) = file else {
        return Err(HmaError::bad_request(
            "Missing multipart/form-data file upload",
        ));
    };
    let (hashed, hits) = sidecar.match_upload(bytes, turn).await?;
    let in_bank = in_banks(p.banks.as_deref());
    // The digests are looked up for every file: the registry holds some photos by them
    // alone (HMA's schema allows the extra keys).
    let types: &[(&str, HashType)] = match hashed.media {
        MediaKind::Image => &[
            ("pdq", HashType::Pdq),
            ("video_md5", HashType::Md5),
            ("video_sha256", HashType::Sha256),
        ],
        MediaKind::Video => &[
            ("video_md5", HashType::Md5),
            ("video_sha256", HashType::Sha256),
            ("vpdq", HashType::Vpdq),
        ],
        MediaKind::Other => &[
            ("video_md5", HashType::Md5),
            ("video_sha256", HashType::Sha256),
        ],
    };
    let mut answer = Map::new();
    for &(name, kind) in types {
        let found: Vec<Value> = hits
            .iter()
            .filter(|(k, _)| in_bank && *k == kind)
            .map(|(k, hit)| match_object(&sidecar, *k, hit))
            .collect();
        answer.insert(name.to_owned(), by_bank(found));
    }
    Ok(Json(Value::Object(answer)))
}

/// Per signal type: whether the list is loaded, up to when (the last successful sync, Unix
/// seconds, or -1) and how many hashes it holds.
async fn index_status(
    State(sidecar): State<Sidecar>,
    headers: HeaderMap,
    query: Result<Query<StatusParams>, QueryRejection>,
) -> Result<Json<Value>, HmaError> {
    authenticate(&sidecar, &headers)?;
    let p = params(query)?;
    if let Some(name) = &p.signal_type {
        hash_type(name)
            .map_err(|_| HmaError::bad_request(format!("No such signal type '{name}'")))?;
    }
    let counts = sidecar.entry_counts();
    let built_to = sidecar.last_sync_unix_seconds();
    let mut status = Map::new();
    for (name, kind) in SIGNAL_TYPES {
        if p.signal_type.as_deref().is_some_and(|n| n != name) {
            continue;
        }
        let label = match kind {
            HashType::Pdq => "pdq",
            HashType::Md5 => "md5",
            HashType::Sha256 => "sha256",
            HashType::Vpdq => "vpdq",
        };
        let size = counts
            .iter()
            .find(|(l, _)| *l == label)
            .map_or(0, |&(_, n)| n);
        status.insert(
            name.to_owned(),
            json!({
                "present": built_to.is_some(),
                "built_to": built_to.unwrap_or(-1),
                "size": size,
            }),
        );
    }
    Ok(Json(Value::Object(status)))
}
