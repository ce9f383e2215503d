//! A member's stored hashes (the JSON lines `quell hash --json` writes), checked against new
//! list entries: the retroactive search for copies already on the member's service.

use std::collections::HashMap;
use std::io::BufRead as _;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use quell_api::HashType;
use quell_hash::{MATCH_DISTANCE, Md5, Pdq, Sha256};
use quell_index::{IndexBuilder, MihConfig, MihIndex, PdqIndex};
use quell_registry::{EntryId, Signal};
use quell_vpdq::{VideoHash, format};
use serde::Deserialize;

/// One stored media item's hashes.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredItem {
    /// Where the member keeps it (a path or the member's own id).
    pub path: String,
    /// Its PDQ hash.
    pub pdq: Option<Pdq>,
    /// MD5 of the file.
    pub md5: Option<Md5>,
    /// SHA-256 of the file.
    pub sha256: Option<Sha256>,
    /// Its vPDQ hash, for a video.
    pub vpdq: Option<Arc<VideoHash>>,
}

/// A stored item that matches a list entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredMatch {
    /// The item's index in [`StoredHashes::items`].
    pub item: usize,
    /// The entry.
    pub entry: EntryId,
    /// Which hash matched.
    pub kind: HashType,
    /// Hamming distance (0 for MD5 and SHA-256).
    pub distance: u32,
}

/// The stored items, indexed for lookups by list entry.
#[derive(Debug)]
pub struct StoredHashes {
    items: Vec<StoredItem>,
    pdq: MihIndex,
    md5: HashMap<Md5, Vec<usize>>,
    sha256: HashMap<Sha256, Vec<usize>>,
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
    error: Option<String>,
}

impl StoredHashes {
    /// Reads a `quell hash --json` file; lines that record a hashing error are skipped.
    ///
    /// # Errors
    /// If the file cannot be read or a line is not a valid hash record.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let file = std::fs::File::open(path)
            .with_context(|| format!("opening the stored hash file {}", path.display()))?;
        let mut items = Vec::new();
        for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
            let at = || format!("{} line {}", path.display(), i + 1);
            let line = line.with_context(at)?;
            if line.trim().is_empty() {
                continue;
            }
            if let Some(item) = parse_line(&line).with_context(at)? {
                items.push(item);
            }
        }
        Ok(Self::new(items))
    }

    /// Indexes items.
    pub fn new(items: Vec<StoredItem>) -> Self {
        let mut pdq = IndexBuilder::new();
        let mut md5: HashMap<Md5, Vec<usize>> = HashMap::new();
        let mut sha256: HashMap<Sha256, Vec<usize>> = HashMap::new();
        for (i, item) in items.iter().enumerate() {
            if let Some(h) = item.pdq {
                pdq.insert(i as u64, h);
            }
            if let Some(d) = item.md5 {
                md5.entry(d).or_default().push(i);
            }
            if let Some(d) = item.sha256 {
                sha256.entry(d).or_default().push(i);
            }
        }
        Self {
            items,
            pdq: pdq.build_mih(MihConfig::default()),
            md5,
            sha256,
        }
    }

    /// The items.
    pub fn items(&self) -> &[StoredItem] {
        &self.items
    }

    /// Stored items matching any of `entries`, by the registry's rule (PDQ within
    /// [`MATCH_DISTANCE`] inclusive, digests exactly), nearest first per entry.
    ///
    /// vPDQ entries are not checked here yet (the webhook event has no place for match
    /// percentages); `quell scan` matches stored videos against the whole list.
    pub fn check(&self, entries: &[(EntryId, Signal)]) -> Vec<StoredMatch> {
        let mut found = Vec::new();
        for (entry, signal) in entries {
            let entry = *entry;
            let kind = HashType::from(signal.kind());
            let hits: Vec<(usize, u32)> = match signal {
                Signal::Pdq { hash, .. } => self
                    .pdq
                    .range_search(hash, MATCH_DISTANCE)
                    .into_iter()
                    .map(|h| {
                        (
                            usize::try_from(h.id).unwrap_or(usize::MAX),
                            h.distance.get(),
                        )
                    })
                    .collect(),
                Signal::Md5(d) => exact(self.md5.get(d)),
                Signal::Sha256(d) => exact(self.sha256.get(d)),
                Signal::Vpdq(_) => Vec::new(),
            };
            found.extend(hits.into_iter().map(|(item, distance)| StoredMatch {
                item,
                entry,
                kind,
                distance,
            }));
        }
        found
    }
}

fn exact(items: Option<&Vec<usize>>) -> Vec<(usize, u32)> {
    items.map_or_else(Vec::new, |v| v.iter().map(|&i| (i, 0)).collect())
}

/// Parses one `quell hash --json` line; `None` for an error record.
///
/// # Errors
/// If the line is not JSON of that shape or a hash is malformed.
pub(crate) fn parse_line(line: &str) -> anyhow::Result<Option<StoredItem>> {
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

impl StoredItem {
    /// Parses one `quell hash --json` line; `None` for a line that records a hashing error.
    ///
    /// # Errors
    /// If the line is not such a record.
    pub fn parse(line: &str) -> anyhow::Result<Option<Self>> {
        parse_line(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quell_hash::Quality;

    #[test]
    fn finds_items_within_the_match_distance_only() {
        let base: Pdq = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
            .parse()
            .unwrap();
        let mut words = base.to_words();
        words[0] ^= (1 << 31) - 1; // 31 bits away: still a match
        let near = Pdq::from_words(words);
        words[0] ^= 1 << 31; // 32 bits: not one
        let far = Pdq::from_words(words);
        let item = |p: &str, h| StoredItem {
            path: p.to_owned(),
            pdq: Some(h),
            md5: None,
            sha256: None,
            vpdq: None,
        };
        let stored = StoredHashes::new(vec![item("near", near), item("far", far)]);
        let entry = EntryId::from_i64(9);
        let signal = Signal::Pdq {
            hash: base,
            quality: Quality::new(90).unwrap(),
        };
        let found = stored.check(&[(entry, signal)]);
        assert_eq!(
            found,
            vec![StoredMatch {
                item: 0,
                entry,
                kind: HashType::Pdq,
                distance: 31
            }]
        );
    }

    #[test]
    fn parses_quell_hash_json_lines() {
        let line = r#"{"path":"a.jpg","pdq":"f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22","quality":100,"md5":"d41d8cd98f00b204e9800998ecf8427e","sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}"#;
        let item = parse_line(line).unwrap().unwrap();
        assert_eq!(item.path, "a.jpg");
        assert!(item.md5.is_some() && item.sha256.is_some());
        assert_eq!(
            parse_line(r#"{"path":"b","error":"cannot open"}"#).unwrap(),
            None
        );
        assert!(parse_line("pdq 1234").is_err());
        assert!(parse_line(r#"{"path":"c","pdq":"12"}"#).is_err());
        let hex = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
        let video = format!(
            r#"{{"path":"v.mp4","vpdq":["{hex},90,0.000","{hex},80,1.000"],"md5":"d41d8cd98f00b204e9800998ecf8427e"}}"#
        );
        let item = parse_line(&video).unwrap().unwrap();
        assert_eq!(item.vpdq.unwrap().len(), 2);
        assert!(item.md5.is_some() && item.pdq.is_none());
        let bad = format!(r#"{{"path":"v.mp4","vpdq":["{hex},90"]}}"#);
        assert!(format!("{:#}", parse_line(&bad).unwrap_err()).contains("vpdq"));
    }
}
