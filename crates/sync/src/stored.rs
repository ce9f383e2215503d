//! A member's stored hash file: the JSON lines `quell hash --json` writes, one per stored media
//! item, read into the [`StoredHashes`] that `quell-match` checks new list entries against.

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use quell_hash::{Md5, ParseHexError, Pdq, Sha256};
use quell_match::{StoredHashes, StoredItem};
use quell_vpdq::format;
use serde::Deserialize;

use crate::snapshot::FileError;

/// Why a stored hash file cannot be read: the file, and the line at fault.
#[derive(Debug, thiserror::Error)]
pub enum StoredFileError {
    /// The file cannot be opened.
    #[error(transparent)]
    File(#[from] FileError),
    /// A line cannot be read (or is not UTF-8).
    #[error("{} line {line}: {cause}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The line, from 1.
        line: usize,
        /// The system's reason.
        cause: std::io::Error,
    },
    /// A line is not a hash record.
    #[error("{} line {line}: {cause}", path.display())]
    Line {
        /// The file.
        path: PathBuf,
        /// The line, from 1.
        line: usize,
        /// What is wrong with it.
        cause: StoredLineError,
    },
}

/// Why a line is not a `quell hash --json` hash record.
#[derive(Debug, thiserror::Error)]
pub enum StoredLineError {
    /// Not JSON, or not of the record's shape.
    #[error("expected a JSON line as `quell hash --json` writes: {0}")]
    NotJson(serde_json::Error),
    /// A `pdq`, `md5` or `sha256` field that is not such a hash.
    #[error("{field}: {cause}")]
    Hash {
        /// The field: `pdq`, `md5` or `sha256`.
        field: &'static str,
        /// What is wrong with it.
        cause: ParseHexError,
    },
    /// A `vpdq` field that is not pytx's list of frames.
    #[error("vpdq: {0}")]
    Vpdq(format::ParseError),
    /// A record that is not an error record and holds no hash either.
    #[error("the record holds no hash")]
    NoHash,
    /// A `queries` list `POST /v1/match` would refuse, or with a query that is not a profile's
    /// upload search.
    #[error("queries: {0}")]
    Queries(String),
}

/// One line of `quell hash --json`; error lines carry `error` and no hashes.
#[derive(Deserialize)]
struct HashLine {
    path: String,
    pdq: Option<String>,
    md5: Option<String>,
    sha256: Option<String>,
    /// pytx's list of `"hex,quality,timestamp"` strings.
    vpdq: Option<Vec<String>>,
    /// An image's upload searches under the default profile.
    #[serde(default)]
    queries: Vec<quell_api::MatchQuery>,
    error: Option<String>,
}

/// Reads a `quell hash --json` file; lines that record a hashing error are skipped.
///
/// # Errors
/// If the file cannot be read or a line is not a valid hash record.
pub fn load_stored_hashes(path: &Path) -> Result<StoredHashes, StoredFileError> {
    let file =
        std::fs::File::open(path).map_err(FileError::at("opening the stored hash file", path))?;
    let mut items = Vec::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|cause| StoredFileError::Read {
            path: path.to_owned(),
            line: i + 1,
            cause,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let item = parse_stored_line(&line).map_err(|cause| StoredFileError::Line {
            path: path.to_owned(),
            line: i + 1,
            cause,
        })?;
        if let Some(item) = item {
            items.push(item);
        }
    }
    Ok(StoredHashes::new(items))
}

/// Parses one `quell hash --json` line; `None` for an error record.
///
/// # Errors
/// If the line is not JSON of that shape or a hash is malformed.
pub fn parse_stored_line(line: &str) -> Result<Option<StoredItem>, StoredLineError> {
    let line: HashLine = serde_json::from_str(line).map_err(StoredLineError::NotJson)?;
    if line.error.is_some() {
        return Ok(None);
    }
    let hash = |field| move |cause| StoredLineError::Hash { field, cause };
    let pdq = line
        .pdq
        .map(|h| h.parse::<Pdq>().map_err(hash("pdq")))
        .transpose()?;
    let md5 = line
        .md5
        .map(|h| h.parse::<Md5>().map_err(hash("md5")))
        .transpose()?;
    let sha256 = line
        .sha256
        .map(|h| h.parse::<Sha256>().map_err(hash("sha256")))
        .transpose()?;
    let vpdq = line
        .vpdq
        .map(|frames| format::from_pytx_strings(&frames).map_err(StoredLineError::Vpdq))
        .transpose()?
        .map(Arc::new);
    if pdq.is_none() && md5.is_none() && sha256.is_none() && vpdq.is_none() {
        return Err(StoredLineError::NoHash);
    }
    let filed = if line.queries.is_empty() {
        Vec::new()
    } else {
        // The registry's own request rules, so a line is read as `POST /v1/match` reads it.
        let request = quell_match::parse_request(&quell_api::MatchRequest {
            hashes: line.queries,
            max_distance: None,
        })
        .map_err(|e| StoredLineError::Queries(e.to_string()))?;
        if let Some(i) = request
            .queries
            .iter()
            .position(|q| !matches!(q, quell_match::Query::Filed { .. }))
        {
            return Err(StoredLineError::Queries(format!(
                "query {i} is not a hash profile's upload search (no profile and upload)"
            )));
        }
        request.queries
    };
    Ok(Some(StoredItem {
        path: line.path,
        pdq,
        md5,
        sha256,
        vpdq,
        filed,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_quell_hash_json_lines() {
        let line = r#"{"path":"a.jpg","pdq":"f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22","quality":100,"md5":"d41d8cd98f00b204e9800998ecf8427e","sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}"#;
        let item = parse_stored_line(line).unwrap().unwrap();
        assert_eq!(item.path, "a.jpg");
        assert!(item.md5.is_some() && item.sha256.is_some());
        assert_eq!(
            parse_stored_line(r#"{"path":"b","error":"cannot open"}"#).unwrap(),
            None
        );
        assert!(parse_stored_line("pdq 1234").is_err());
        assert!(parse_stored_line(r#"{"path":"c","pdq":"12"}"#).is_err());
        let hex = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
        let video = format!(
            r#"{{"path":"v.mp4","vpdq":["{hex},90,0.000","{hex},80,1.000"],"md5":"d41d8cd98f00b204e9800998ecf8427e"}}"#
        );
        let item = parse_stored_line(&video).unwrap().unwrap();
        assert_eq!(item.vpdq.unwrap().len(), 2);
        assert!(item.md5.is_some() && item.pdq.is_none());
        let bad = format!(r#"{{"path":"v.mp4","vpdq":["{hex},90"]}}"#);
        assert!(format!("{:#}", parse_stored_line(&bad).unwrap_err()).contains("vpdq"));
    }

    #[test]
    fn an_images_profile_searches_are_read_for_the_retroactive_check() {
        let hex = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
        let with =
            |queries: &str| format!(r#"{{"path":"a.jpg","pdq":"{hex}","queries":{queries}}}"#);
        let line = with(&format!(
            r#"[{{"type":"pdq","value":"{hex}","profile":"pdq-robust-v5","upload":"whole"}},
                {{"type":"pdq","value":"{hex}","profile":"pdq-robust-v5","upload":"cut"}}]"#
        ));
        let item = parse_stored_line(&line).unwrap().unwrap();
        let kinds: Vec<_> = item
            .filed
            .iter()
            .map(|q| match q {
                quell_match::Query::Filed {
                    upload, profile, ..
                } => (*profile, upload.name()),
                other => panic!("not a profile's search: {other:?}"),
            })
            .collect();
        assert_eq!(
            kinds,
            [("pdq-robust-v5", "whole"), ("pdq-robust-v5", "cut")]
        );
        // A line written before the searches existed reads as before.
        let old = parse_stored_line(&format!(r#"{{"path":"a.jpg","pdq":"{hex}"}}"#));
        assert!(old.unwrap().unwrap().filed.is_empty());
        for (queries, says) in [
            (
                format!(r#"[{{"type":"pdq","value":"{hex}"}}]"#),
                "not a hash profile's upload search",
            ),
            (
                format!(
                    r#"[{{"type":"pdq","value":"{hex}","profile":"pdq-robust-v0","upload":"whole"}}]"#
                ),
                "queries:",
            ),
            (
                format!(
                    r#"[{{"type":"pdq","value":"{hex}","profile":"pdq-robust-v5","upload":"sideways"}}]"#
                ),
                "queries:",
            ),
        ] {
            let err = parse_stored_line(&with(&queries)).unwrap_err().to_string();
            assert!(err.contains(says), "{queries}: {err}");
        }
    }
}
