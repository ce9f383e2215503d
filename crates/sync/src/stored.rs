//! A member's stored hash file: the JSON lines `quell hash --json` writes, one per stored media
//! item, read into the [`StoredHashes`] that `quell-match` checks new list entries against.

use std::io::BufRead as _;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use quell_hash::{Md5, Pdq, Sha256};
use quell_match::{StoredHashes, StoredItem};
use quell_vpdq::format;
use serde::Deserialize;

/// One line of `quell hash --json`; error lines carry `error` and no hashes.
#[derive(Deserialize)]
struct HashLine {
    path: String,
    pdq: Option<String>,
    md5: Option<String>,
    sha256: Option<String>,
    /// pytx's list of `"hex,quality,timestamp"` strings.
    vpdq: Option<Vec<String>>,
    error: Option<String>,
}

/// Reads a `quell hash --json` file; lines that record a hashing error are skipped.
///
/// # Errors
/// If the file cannot be read or a line is not a valid hash record.
pub fn load_stored_hashes(path: &Path) -> anyhow::Result<StoredHashes> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("opening the stored hash file {}", path.display()))?;
    let mut items = Vec::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let at = || format!("{} line {}", path.display(), i + 1);
        let line = line.with_context(at)?;
        if line.trim().is_empty() {
            continue;
        }
        if let Some(item) = parse_stored_line(&line).with_context(at)? {
            items.push(item);
        }
    }
    Ok(StoredHashes::new(items))
}

/// Parses one `quell hash --json` line; `None` for an error record.
///
/// # Errors
/// If the line is not JSON of that shape or a hash is malformed.
pub fn parse_stored_line(line: &str) -> anyhow::Result<Option<StoredItem>> {
    let line: HashLine =
        serde_json::from_str(line).context("expected a JSON line as `quell hash --json` writes")?;
    if line.error.is_some() {
        return Ok(None);
    }
    let pdq = line
        .pdq
        .map(|h| h.parse::<Pdq>().context("pdq"))
        .transpose()?;
    let md5 = line
        .md5
        .map(|h| h.parse::<Md5>().context("md5"))
        .transpose()?;
    let sha256 = line
        .sha256
        .map(|h| h.parse::<Sha256>().context("sha256"))
        .transpose()?;
    let vpdq = line
        .vpdq
        .map(|frames| format::from_pytx_strings(&frames).context("vpdq"))
        .transpose()?
        .map(Arc::new);
    anyhow::ensure!(
        pdq.is_some() || md5.is_some() || sha256.is_some() || vpdq.is_some(),
        "the record holds no hash"
    );
    Ok(Some(StoredItem {
        path: line.path,
        pdq,
        md5,
        sha256,
        vpdq,
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
}
