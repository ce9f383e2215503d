//! The local copy of the hash list: entries by id, and the cursor they were synced to.
//!
//! File format (text, so an operator can read it), `snapshot.quell` in the data directory:
//!
//! ```text
//! quell-sync-snapshot 4
//! cursor <cursor, or - before the first page>
//! profiles <the hash profiles whose filed hashes it takes, comma-separated, or ->   (version 4)
//! entries <n>
//! <entry id> <pdq|md5|sha256|vpdq> <value> <quality|-> <profile/part|-> <ms|-> <media id|->   (n lines, by entry id)
//! sha256 <SHA-256 of every byte above, hex>
//! ```
//!
//! A value is the hash in hex, or for `vpdq` the registry's canonical pytx signal string,
//! which never holds a space or a newline; so vPDQ entries fit format version 1 unchanged, and
//! a version-1 file written before vPDQ existed loads as it is. Version 2 adds the fifth
//! field, the filing of a PDQ hash registered under a hash profile's part
//! (`pdq-robust-v5/cut`). Version 3 gives every line six fields: the filing or `-`, then when
//! the entry was registered (Unix milliseconds, or `-` where the registry did not say), which
//! lets a restarted matcher still tell how long ago the person asked. Version 4, the one
//! written now, adds a seventh, the entry's media id (`md_…`, or `-`): which hits are one
//! photo, one ticket, and the `profiles` line: whose filed hashes the member asked for (the
//! member's choice, `quell sync --profiles`), so a change of mind is applied to what it holds.
//! Versions 1 to 3 still load (taking every profile, as their client did); their cursor is
//! dropped, so the next sync reads the list again from the start and learns every entry's
//! registration (an entry's upsert is never sent twice otherwise), changing nothing else.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use quell_api::convert::time_of_wire;
use quell_api::{SyncEntry, SyncOp};
use quell_registry::{EntryId, Invalid, MediaId, ParseIdError, Registration, Signal, Timestamp};
use sha2::{Digest, Sha256};

/// The snapshot's file name in the data directory.
pub const SNAPSHOT_FILE: &str = "snapshot.quell";
const MAGIC: &str = "quell-sync-snapshot 1";
/// The header of a snapshot holding filed hashes (a fifth field on their lines).
const MAGIC_FILED: &str = "quell-sync-snapshot 2";
/// The header of a snapshot whose lines hold six fields, the last the registration time.
const MAGIC_REGISTERED: &str = "quell-sync-snapshot 3";
/// The header of a snapshot whose lines hold seven fields, the last the media id.
const MAGIC_MEDIA: &str = "quell-sync-snapshot 4";

/// A file or directory that could not be read or written: what was being done, to which
/// path, and the system's reason.
#[derive(Debug, thiserror::Error)]
#[error("{action} {}: {cause}", path.display())]
pub struct FileError {
    /// What was being done: `reading`, `creating`, `writing`, `replacing`, `removing`, ...
    pub action: &'static str,
    /// The file or directory.
    pub path: PathBuf,
    /// The system's reason.
    pub cause: std::io::Error,
}

impl FileError {
    /// A [`FileError`] maker for `map_err`: `action` on `path` failed.
    pub(crate) fn at(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.to_owned();
        move |cause| Self {
            action,
            path,
            cause,
        }
    }
}

/// Why a sync page is refused: the entry at fault, by its position in the page. Nothing of
/// the page is applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    /// An entry id that is not one.
    #[error("sync entry {index}: {cause}")]
    EntryId {
        /// The entry's position in the page.
        index: usize,
        /// What is wrong with the id.
        cause: ParseIdError,
    },
    /// An upsert without its hash.
    #[error("sync entry {index}: an upsert without a value")]
    NoValue {
        /// The entry's position in the page.
        index: usize,
    },
    /// A hash the registry's rules refuse: malformed, or filed under an unknown profile or
    /// part.
    #[error("sync entry {index}: {cause}")]
    Hash {
        /// The entry's position in the page.
        index: usize,
        /// What is wrong with the hash.
        cause: Invalid,
    },
    /// A registration time that is not an RFC 3339 time.
    #[error("sync entry {index}: registered_at {value:?} is not an RFC 3339 time")]
    RegisteredAt {
        /// The entry's position in the page.
        index: usize,
        /// The value sent.
        value: String,
    },
    /// A media id that is not one.
    #[error("sync entry {index}: media_id: {cause}")]
    MediaId {
        /// The entry's position in the page.
        index: usize,
        /// What is wrong with the id.
        cause: ParseIdError,
    },
}

/// Why the snapshot file cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The file is there but cannot be opened.
    #[error(transparent)]
    File(#[from] FileError),
    /// The file fails its checksum or is malformed: never taken for an empty list.
    #[error(
        "{} is corrupt or truncated; delete it to sync the whole list again: {defect}",
        path.display()
    )]
    Corrupt {
        /// The snapshot file.
        path: PathBuf,
        /// What is wrong in it.
        defect: SnapshotDefect,
    },
}

/// What is wrong inside a snapshot file.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotDefect {
    /// A read failed, or the text is not UTF-8.
    #[error("not UTF-8, or unreadable: {0}")]
    Unreadable(std::io::Error),
    /// The file ends before its checksum line.
    #[error("no checksum line")]
    NoChecksum,
    /// The last line has no newline.
    #[error("the file does not end with a newline")]
    NoFinalNewline,
    /// The content's SHA-256 is not the one the file states.
    #[error("checksum mismatch (file says {stated}, content is {actual})")]
    ChecksumMismatch {
        /// The checksum line's SHA-256.
        stated: String,
        /// The content's SHA-256.
        actual: String,
    },
    /// Something follows the checksum line.
    #[error("the checksum line is not the last")]
    ChecksumNotLast,
    /// The first line is not a snapshot header this build reads.
    #[error("not a quell sync snapshot of a version this build reads (1 to 4)")]
    UnknownVersion,
    /// The second line is not the cursor.
    #[error("no cursor line")]
    NoCursor,
    /// Version 4's third line is not the profiles taken.
    #[error("no profiles line")]
    NoProfiles,
    /// The third line is not the entry count.
    #[error("no entry count")]
    NoEntryCount,
    /// An entry line without four or five fields (six in version 3, seven in version 4), or
    /// with a registration time that is not a number or a media id that is not one.
    #[error("entry line {line} is malformed")]
    MalformedEntry {
        /// The entry's line, counted from the first entry line (1).
        line: usize,
    },
    /// An entry line whose id is not one.
    #[error("entry line {line}: {cause}")]
    EntryId {
        /// The entry's line, counted from the first entry line (1).
        line: usize,
        /// What is wrong with the id.
        cause: ParseIdError,
    },
    /// An entry line whose quality is neither `-` nor a number.
    #[error("entry line {line}: {cause}")]
    Quality {
        /// The entry's line, counted from the first entry line (1).
        line: usize,
        /// What is wrong with the number.
        cause: std::num::ParseIntError,
    },
    /// An entry line whose hash or filing the registry's rules refuse.
    #[error("entry line {line}: {cause}")]
    Hash {
        /// The entry's line, counted from the first entry line (1).
        line: usize,
        /// What is wrong with the hash.
        cause: Invalid,
    },
    /// One entry id on two lines.
    #[error("entry {id} appears twice")]
    Duplicate {
        /// The entry.
        id: EntryId,
    },
    /// The header's entry count is not the number of entry lines.
    #[error("the header says {stated} entries, the file holds {actual}")]
    WrongCount {
        /// The header's count.
        stated: usize,
        /// The entry lines.
        actual: usize,
    },
}

/// What applying a page changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Delta {
    /// Entries added (or whose hash changed), in page order.
    pub upserted: Vec<(EntryId, Signal)>,
    /// Entries removed, with the signal they had.
    pub removed: Vec<(EntryId, Signal)>,
    /// Registrations (time and media) the registry sent with the upserted entries, and those
    /// learnt for entries already held (a snapshot from before they were kept).
    pub registered: Vec<(EntryId, Registration)>,
}

impl Delta {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.upserted.is_empty() && self.removed.is_empty() && self.registered.is_empty()
    }
}

/// The synced list.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Snapshot {
    cursor: String,
    /// The hash profiles whose filed hashes the list was synced with, sorted.
    profiles: Vec<String>,
    entries: BTreeMap<EntryId, Signal>,
    /// When and from which file each held entry was registered, where the registry said.
    registered: HashMap<EntryId, Registration>,
}

impl Snapshot {
    /// The cursor to sync on from (empty: from the beginning).
    pub fn cursor(&self) -> &str {
        &self.cursor
    }

    /// Records that every change up to `cursor` is applied.
    pub fn set_cursor(&mut self, cursor: &str) {
        cursor.clone_into(&mut self.cursor);
    }

    /// The hash profiles whose filed hashes the list holds (as the sync asked for them).
    pub fn profiles(&self) -> &[String] {
        &self.profiles
    }

    /// Takes the filed hashes of `wanted` profiles from now on, and only theirs: the entries
    /// filed under other profiles leave (returned as a removal delta, for the index); a
    /// profile not taken before makes the next sync read the list again from the start, as
    /// its hashes were never sent. Nothing changes when `wanted` is what the list holds.
    pub fn take_profiles(&mut self, wanted: &[&str]) -> Delta {
        let mut wanted: Vec<String> = wanted.iter().map(|&p| p.to_owned()).collect();
        wanted.sort();
        wanted.dedup();
        let mut delta = Delta::default();
        if wanted == self.profiles {
            return delta;
        }
        let dropped: Vec<EntryId> = self
            .entries
            .iter()
            .filter(|(_, s)| {
                s.filing()
                    .is_some_and(|f| !wanted.iter().any(|w| w == f.profile()))
            })
            .map(|(&id, _)| id)
            .collect();
        for id in dropped {
            self.registered.remove(&id);
            if let Some(signal) = self.entries.remove(&id) {
                delta.removed.push((id, signal));
            }
        }
        if wanted.iter().any(|w| !self.profiles.contains(w)) {
            self.cursor.clear();
        }
        self.profiles = wanted;
        delta
    }

    /// The active entries, by id.
    pub fn entries(&self) -> &BTreeMap<EntryId, Signal> {
        &self.entries
    }

    /// When and from which file the active entries were registered, for those whose
    /// registration the registry sent.
    pub fn registered(&self) -> &HashMap<EntryId, Registration> {
        &self.registered
    }

    /// Applies a page of changes. Idempotent: an upsert of an entry already held with the
    /// same hash, or a tombstone of an entry not held, changes nothing. The whole page is
    /// checked before anything is applied.
    ///
    /// # Errors
    /// If an entry id or hash is malformed (nothing is applied then).
    pub fn apply(&mut self, page: &[SyncEntry]) -> Result<Delta, PageError> {
        let parsed = page
            .iter()
            .enumerate()
            .map(|(index, e)| parse_entry(index, e))
            .collect::<Result<Vec<_>, _>>()?;
        let mut delta = Delta::default();
        for (id, upsert) in parsed {
            match upsert {
                Some((signal, registered)) => {
                    let changed = match self.entries.insert(id, signal.clone()) {
                        Some(old) if old == signal => false,
                        Some(old) => {
                            delta.removed.push((id, old));
                            delta.upserted.push((id, signal));
                            true
                        }
                        None => {
                            delta.upserted.push((id, signal));
                            true
                        }
                    };
                    if let Some(at) = registered
                        && (self.registered.insert(id, at) != Some(at) || changed)
                    {
                        delta.registered.push((id, at));
                    }
                }
                None => {
                    self.registered.remove(&id);
                    if let Some(old) = self.entries.remove(&id) {
                        delta.removed.push((id, old));
                    }
                }
            }
        }
        Ok(delta)
    }

    /// The snapshot file in `dir`.
    pub fn path(dir: &Path) -> PathBuf {
        dir.join(SNAPSHOT_FILE)
    }

    /// Loads the snapshot from `dir`; an empty one if there is none yet.
    ///
    /// The file is read a line at a time, hashing as it goes, so loading needs the entries'
    /// memory and one line, not the whole file besides (with large vPDQ values the file is
    /// most of the list's size). Nothing is returned unless the checksum matches at the end.
    ///
    /// # Errors
    /// If the file cannot be read, fails its checksum or is malformed (a truncated or corrupt
    /// file is never taken for an empty list).
    pub fn load(dir: &Path) -> Result<Self, SnapshotError> {
        let path = Self::path(dir);
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(cause) => {
                return Err(SnapshotError::File(FileError {
                    action: "reading",
                    path,
                    cause,
                }));
            }
        };
        Self::read(std::io::BufReader::new(file))
            .map_err(|defect| SnapshotError::Corrupt { path, defect })
    }

    fn read(mut input: impl std::io::BufRead) -> Result<Self, SnapshotDefect> {
        let mut digest = Sha256::new();
        let mut line = String::new();
        // The next body line, without its newline (hashed with it); `None` after the
        // checksum line, which must be the last.
        let mut next = |digest: &mut Sha256| -> Result<Option<String>, SnapshotDefect> {
            line.clear();
            let n = input
                .read_line(&mut line)
                .map_err(SnapshotDefect::Unreadable)?;
            if n == 0 {
                return Err(SnapshotDefect::NoChecksum);
            }
            let text = line
                .strip_suffix('\n')
                .ok_or(SnapshotDefect::NoFinalNewline)?;
            if let Some(want) = text.strip_prefix("sha256 ") {
                let got = hex(&digest.clone().finalize());
                if got != want {
                    return Err(SnapshotDefect::ChecksumMismatch {
                        stated: want.to_owned(),
                        actual: got,
                    });
                }
                let mut rest = [0u8; 1];
                if input.read(&mut rest).map_err(SnapshotDefect::Unreadable)? != 0 {
                    return Err(SnapshotDefect::ChecksumNotLast);
                }
                return Ok(None);
            }
            digest.update(line.as_bytes());
            Ok(Some(text.to_owned()))
        };
        let magic = next(&mut digest)?;
        let version = match magic.as_deref() {
            Some(MAGIC) => 1,
            Some(MAGIC_FILED) => 2,
            Some(MAGIC_REGISTERED) => 3,
            Some(MAGIC_MEDIA) => 4,
            _ => return Err(SnapshotDefect::UnknownVersion),
        };
        let cursor = next(&mut digest)?
            .and_then(|l| l.strip_prefix("cursor ").map(str::to_owned))
            .ok_or(SnapshotDefect::NoCursor)?;
        // Before version 4 the client took every profile it knew, and it knew one.
        let profiles = if version < 4 {
            vec!["pdq-robust-v5".to_owned()]
        } else {
            match next(&mut digest)?
                .as_deref()
                .and_then(|l| l.strip_prefix("profiles "))
            {
                Some("-") => Vec::new(),
                Some(list) => list.split(',').map(str::to_owned).collect(),
                None => return Err(SnapshotDefect::NoProfiles),
            }
        };
        let n: usize = next(&mut digest)?
            .and_then(|l| l.strip_prefix("entries ").and_then(|n| n.parse().ok()))
            .ok_or(SnapshotDefect::NoEntryCount)?;
        let mut entries = BTreeMap::new();
        let mut registered = HashMap::new();
        let mut i = 0;
        while let Some(line) = next(&mut digest)? {
            i += 1;
            let fields: Vec<&str> = line.split(' ').collect();
            let (id, kind, value, quality, filing, at, media) = match (version, &fields[..]) {
                (1 | 2, &[id, kind, value, quality]) => {
                    (id, kind, value, quality, None, None, None)
                }
                (1 | 2, &[id, kind, value, quality, filing]) => {
                    (id, kind, value, quality, Some(filing), None, None)
                }
                (3, &[id, kind, value, quality, filing, at]) => {
                    let filing = (filing != "-").then_some(filing);
                    (id, kind, value, quality, filing, Some(at), None)
                }
                (4, &[id, kind, value, quality, filing, at, media]) => {
                    let filing = (filing != "-").then_some(filing);
                    (id, kind, value, quality, filing, Some(at), Some(media))
                }
                _ => return Err(SnapshotDefect::MalformedEntry { line: i }),
            };
            let id: EntryId = id
                .parse()
                .map_err(|cause| SnapshotDefect::EntryId { line: i, cause })?;
            let quality = match quality {
                "-" => None,
                q => Some(
                    q.parse::<i64>()
                        .map_err(|cause| SnapshotDefect::Quality { line: i, cause })?,
                ),
            };
            let split = filing.map(|f| f.split_once('/').unwrap_or((f, "")));
            let signal = Signal::from_parts(kind, value, quality)
                .and_then(|s| s.filed(split.map(|(p, _)| p), split.map(|(_, part)| part)))
                .map_err(|cause| SnapshotDefect::Hash { line: i, cause })?;
            if entries.insert(id, signal).is_some() {
                return Err(SnapshotDefect::Duplicate { id });
            }
            let malformed = || SnapshotDefect::MalformedEntry { line: i };
            match at {
                None | Some("-") => {}
                Some(ms) => {
                    let at = Timestamp::from_millis(ms.parse().map_err(|_| malformed())?);
                    let media = match media {
                        None | Some("-") => MediaId::of_lone_entry(id),
                        Some(m) => m.parse().map_err(|_| malformed())?,
                    };
                    registered.insert(id, Registration { at, media });
                }
            }
        }
        if entries.len() != n {
            return Err(SnapshotDefect::WrongCount {
                stated: n,
                actual: entries.len(),
            });
        }
        // A version without media ids syncs again from the start to learn them.
        let cursor = if cursor == "-" || (version < 4 && !entries.is_empty()) {
            String::new()
        } else {
            cursor
        };
        Ok(Self {
            cursor,
            profiles,
            entries,
            registered,
        })
    }

    /// Writes the file's lines to `out`, hashing as it goes (no copy of the list in memory).
    fn render(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        let mut digest = Sha256::new();
        let mut line = String::new();
        let mut emit = |line: &str, out: &mut dyn std::io::Write| {
            digest.update(line.as_bytes());
            out.write_all(line.as_bytes())
        };
        let cursor = if self.cursor.is_empty() {
            "-"
        } else {
            &self.cursor
        };
        let magic = MAGIC_MEDIA;
        let profiles = if self.profiles.is_empty() {
            "-".to_owned()
        } else {
            self.profiles.join(",")
        };
        let _ = write!(
            line,
            "{magic}\ncursor {cursor}\nprofiles {profiles}\nentries {}\n",
            self.entries.len()
        );
        emit(&line, out)?;
        for (id, signal) in &self.entries {
            line.clear();
            let _ = write!(line, "{id} {} {} ", signal.kind(), signal.value_hex());
            match signal.quality() {
                Some(q) => {
                    let _ = write!(line, "{}", q.get());
                }
                None => line.push('-'),
            }
            match signal.filing() {
                Some(filing) => {
                    let _ = write!(line, " {filing}");
                }
                None => line.push_str(" -"),
            }
            match self.registered.get(id) {
                Some(r) => {
                    let _ = write!(line, " {} {}", r.at.millis(), r.media);
                }
                None => line.push_str(" - -"),
            }
            line.push('\n');
            emit(&line, out)?;
        }
        writeln!(out, "sha256 {}", hex(&digest.finalize()))
    }

    /// Writes the snapshot to `dir` atomically: a crash leaves the old file or the new one.
    ///
    /// # Errors
    /// If the directory or file cannot be written.
    pub fn save(&self, dir: &Path) -> Result<(), FileError> {
        write_atomic_with(dir, SNAPSHOT_FILE, |out| self.render(out))
    }
}

/// Writes `dir/name` via a temp file, fsync, rename and fsync of the directory.
pub(crate) fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), FileError> {
    write_atomic_with(dir, name, |out| out.write_all(bytes))
}

/// [`write_atomic`] of what `write` writes, through a buffer.
fn write_atomic_with(
    dir: &Path,
    name: &str,
    write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
) -> Result<(), FileError> {
    std::fs::create_dir_all(dir).map_err(FileError::at("creating", dir))?;
    let tmp = dir.join(format!(".{name}.tmp"));
    let target = dir.join(name);
    let file = std::fs::File::create(&tmp).map_err(FileError::at("creating", &tmp))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    write(&mut out)
        .and_then(|()| {
            out.into_inner()
                .map_err(std::io::IntoInnerError::into_error)
        })
        .and_then(|file| file.sync_all())
        .map_err(FileError::at("writing", &tmp))?;
    std::fs::rename(&tmp, &target).map_err(FileError::at("replacing", &target))?;
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(FileError::at("syncing", dir))?;
    Ok(())
}

/// An upsert's signal and registration, if the registry sent its time.
type Upsert = (Signal, Option<Registration>);

/// The entry id and, for an upsert, its signal and registration time; `index` is the entry's
/// position in its page.
fn parse_entry(index: usize, e: &SyncEntry) -> Result<(EntryId, Option<Upsert>), PageError> {
    let id: EntryId = e
        .entry_id
        .parse()
        .map_err(|cause| PageError::EntryId { index, cause })?;
    Ok(match e.op {
        SyncOp::Upsert => {
            let value = e.value.as_deref().ok_or(PageError::NoValue { index })?;
            let quality = e.quality.map(i64::from);
            let (profile, part) = (e.profile.as_deref(), e.part.as_deref());
            let signal = quell_api::convert::signal_of(e.kind, value, quality, profile, part)
                .map_err(|cause| PageError::Hash { index, cause })?;
            let media = match e.media_id.as_deref() {
                Some(m) => m
                    .parse()
                    .map_err(|cause| PageError::MediaId { index, cause })?,
                None => MediaId::of_lone_entry(id),
            };
            let registered = e
                .registered_at
                .as_deref()
                .map(|value| {
                    let at = time_of_wire(value).ok_or_else(|| PageError::RegisteredAt {
                        index,
                        value: value.to_owned(),
                    })?;
                    Ok(Registration { at, media })
                })
                .transpose()?;
            (id, Some((signal, registered)))
        }
        SyncOp::Tombstone => (id, None),
    })
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use quell_api::HashType;

    fn upsert(id: i64, value: &str) -> SyncEntry {
        SyncEntry {
            op: SyncOp::Upsert,
            entry_id: EntryId::from_i64(id).to_string(),
            kind: HashType::Md5,
            value: Some(value.to_owned()),
            quality: None,
            profile: None,
            part: None,
            registered_at: None,
            media_id: None,
        }
    }

    fn tombstone(id: i64) -> SyncEntry {
        SyncEntry {
            op: SyncOp::Tombstone,
            entry_id: EntryId::from_i64(id).to_string(),
            kind: HashType::Md5,
            value: None,
            quality: None,
            profile: None,
            part: None,
            registered_at: None,
            media_id: None,
        }
    }

    fn pdq(id: i64) -> SyncEntry {
        SyncEntry {
            op: SyncOp::Upsert,
            entry_id: EntryId::from_i64(id).to_string(),
            kind: HashType::Pdq,
            value: Some(format!("{id:064x}")),
            quality: Some(80),
            profile: None,
            part: None,
            registered_at: None,
            media_id: None,
        }
    }

    /// A PDQ hash filed under `pdq-robust-v5`'s `part`.
    fn filed(id: i64, part: &str) -> SyncEntry {
        SyncEntry {
            profile: Some("pdq-robust-v5".to_owned()),
            part: Some(part.to_owned()),
            ..pdq(id)
        }
    }

    #[test]
    fn filed_hashes_keep_their_profile_and_part_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Snapshot::default();
        s.apply(&[pdq(1), filed(2, "variant"), filed(3, "cut")])
            .unwrap();
        s.save(dir.path()).unwrap();
        let text = std::fs::read_to_string(Snapshot::path(dir.path())).unwrap();
        assert!(text.starts_with("quell-sync-snapshot 4\n"), "{text}");
        assert!(text.contains(" 80 pdq-robust-v5/cut - -\n"), "{text}");
        let loaded = Snapshot::load(dir.path()).unwrap();
        assert_eq!(loaded.entries(), s.entries());
        let filings: Vec<_> = loaded.entries().values().map(Signal::filing).collect();
        assert_eq!(filings[0], None);
        assert_eq!(
            filings[2].map(|f| f.to_string()).as_deref(),
            Some("pdq-robust-v5/cut")
        );
        // A part without its profile, or an unknown profile, is refused with the entry named.
        let bad = SyncEntry {
            profile: None,
            ..filed(4, "cut")
        };
        let err = format!("{:#}", Snapshot::default().apply(&[bad]).unwrap_err());
        assert!(err.contains("both its profile and its part"), "{err}");
        let bad = SyncEntry {
            profile: Some("pdq-robust-v9".to_owned()),
            ..filed(4, "cut")
        };
        let err = format!("{:#}", Snapshot::default().apply(&[bad]).unwrap_err());
        assert!(err.contains("pdq-robust-v9"), "{err}");
    }

    #[test]
    fn applying_a_page_twice_changes_nothing_more() {
        let page = vec![upsert(1, &"a".repeat(32)), pdq(2), tombstone(1), pdq(3)];
        let mut s = Snapshot::default();
        let first = s.apply(&page).unwrap();
        assert_eq!(first.upserted.len(), 3);
        assert_eq!(first.removed.len(), 1);
        let after_once = s.clone();
        let again = s.apply(&page).unwrap();
        assert_eq!(s, after_once);
        // Replaying: entry 1 comes back and goes again; 2 and 3 are unchanged.
        assert_eq!(again.upserted.len(), 1);
        assert_eq!(again.removed.len(), 1);
        assert_eq!(s.entries().len(), 2);
    }

    proptest::proptest! {
        /// Against an oracle (each id's last operation in the feed), for any feed, page size
        /// and crash point: resuming from any earlier saved state replays to the same list.
        #[test]
        fn replay_after_a_crash_equals_the_feed(
            ops in proptest::collection::vec((0i64..12, proptest::bool::ANY, 0u8..4), 0..80),
            page in 1usize..10,
            saved_at in 0usize..20,
        ) {
            let feed: Vec<SyncEntry> = ops
                .iter()
                .map(|&(id, up, v)| if up { upsert(id + 1, &format!("{v:032x}")) } else { tombstone(id + 1) })
                .collect();
            let pages: Vec<&[SyncEntry]> = feed.chunks(page).collect();
            let mut oracle = BTreeMap::new();
            for &(id, up, v) in &ops {
                if up {
                    oracle.insert(id + 1, format!("{v:032x}"));
                } else {
                    oracle.remove(&(id + 1));
                }
            }
            let saved_at = saved_at.min(pages.len());
            let mut s = Snapshot::default();
            for p in &pages[..saved_at] {
                s.apply(p).unwrap();
            }
            let saved = s.clone();
            // The crashed run got further (or not) before dying; only `saved` survives.
            let mut resumed = saved;
            for p in &pages[saved_at.saturating_sub(1)..] {
                // Re-applying the last saved page too: a replay changes nothing.
                resumed.apply(p).unwrap();
            }
            let got: BTreeMap<i64, String> = resumed
                .entries()
                .iter()
                .map(|(id, sig)| (id.get(), sig.value_hex()))
                .collect();
            proptest::prop_assert_eq!(got, oracle);
        }
    }

    #[test]
    fn a_bad_entry_refuses_the_whole_page() {
        let mut s = Snapshot::default();
        let err = s.apply(&[pdq(1), upsert(2, "xyz")]).unwrap_err();
        assert!(format!("{err:#}").contains("sync entry 1"), "{err:#}");
        assert!(s.entries().is_empty());
    }

    #[test]
    fn round_trips_and_refuses_corruption_and_truncation() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Snapshot::load(dir.path()).unwrap(), Snapshot::default());
        let mut s = Snapshot::default();
        s.apply(&[pdq(5), upsert(6, &"b".repeat(32)), pdq(7)])
            .unwrap();
        s.set_cursor("cur");
        s.save(dir.path()).unwrap();
        assert_eq!(Snapshot::load(dir.path()).unwrap(), s);

        let path = Snapshot::path(dir.path());
        let good = std::fs::read(&path).unwrap();
        for cut in [good.len() - 1, good.len() - 80, good.len() / 2, 10, 0] {
            std::fs::write(&path, &good[..cut]).unwrap();
            let err = format!("{:#}", Snapshot::load(dir.path()).unwrap_err());
            assert!(err.contains("corrupt or truncated"), "cut at {cut}: {err}");
        }
        let mut flipped = good.clone();
        flipped[60] ^= 1;
        std::fs::write(&path, &flipped).unwrap();
        let err = format!("{:#}", Snapshot::load(dir.path()).unwrap_err());
        assert!(err.contains("checksum mismatch"), "{err}");
    }

    const FRAME: &str = "e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c";

    fn vpdq(id: i64, value: &str) -> SyncEntry {
        SyncEntry {
            op: SyncOp::Upsert,
            entry_id: EntryId::from_i64(id).to_string(),
            kind: HashType::Vpdq,
            value: Some(value.to_owned()),
            quality: None,
            profile: None,
            part: None,
            registered_at: None,
            media_id: None,
        }
    }

    #[test]
    fn vpdq_entries_round_trip_and_replay_idempotently() {
        let dir = tempfile::tempdir().unwrap();
        // pytx's own spelling (spaces, short timestamps) is kept in canonical form.
        let value = format!(r#"["{FRAME},100,0.0", "{FRAME},80,1.0"]"#);
        let mut s = Snapshot::default();
        let delta = s.apply(&[vpdq(9, &value), pdq(10)]).unwrap();
        assert_eq!(delta.upserted.len(), 2);
        assert!(s.apply(&[vpdq(9, &value)]).unwrap().is_empty());
        s.save(dir.path()).unwrap();
        let text = std::fs::read_to_string(Snapshot::path(dir.path())).unwrap();
        assert!(
            text.contains(&format!(
                r#" vpdq ["{FRAME},100,0.000","{FRAME},80,1.000"] -"#
            )),
            "{text}"
        );
        assert_eq!(Snapshot::load(dir.path()).unwrap(), s);
        let err = s
            .apply(&[vpdq(11, &format!(r#"["{FRAME},100"]"#))])
            .unwrap_err();
        assert!(format!("{err:#}").contains("bad vPDQ hash"), "{err:#}");
    }

    /// A version-1 file from before vPDQ existed (written by hand here, as the old code wrote
    /// it) still loads, and syncs again from the start to learn the registration times.
    #[test]
    fn a_snapshot_from_before_vpdq_loads() {
        let dir = tempfile::tempdir().unwrap();
        let body = format!(
            "quell-sync-snapshot 1\ncursor abc\nentries 2\n\
             e_0000000000000005 pdq {} 80\ne_0000000000000006 md5 {} -\n",
            "0".repeat(63) + "5",
            "b".repeat(32)
        );
        let file = format!("{body}sha256 {}\n", hex(&Sha256::digest(body.as_bytes())));
        std::fs::write(Snapshot::path(dir.path()), file).unwrap();
        let s = Snapshot::load(dir.path()).unwrap();
        assert_eq!(
            s.cursor(),
            "",
            "the cursor is dropped so that the times are learnt"
        );
        assert_eq!(s.entries().len(), 2);
        // An empty one keeps its cursor: there is nothing to learn.
        let body = "quell-sync-snapshot 1\ncursor abc\nentries 0\n";
        let file = format!("{body}sha256 {}\n", hex(&Sha256::digest(body.as_bytes())));
        std::fs::write(Snapshot::path(dir.path()), file).unwrap();
        assert_eq!(Snapshot::load(dir.path()).unwrap().cursor(), "abc");
    }

    /// The media id the tests' registrations name.
    const MEDIA: MediaId = MediaId::from_i64(0xaa);

    /// `entry`'s upsert with its registration time and media as the registry sends them.
    fn registered(entry: SyncEntry, at: &str) -> SyncEntry {
        SyncEntry {
            registered_at: Some(at.to_owned()),
            media_id: Some(MEDIA.to_string()),
            ..entry
        }
    }

    #[test]
    fn registration_times_are_kept_through_the_file_and_learnt_late() {
        let dir = tempfile::tempdir().unwrap();
        // A version-2 file, as the previous build wrote it (filed hashes, no times).
        let body = format!(
            "quell-sync-snapshot 2\ncursor q1\nentries 2\n\
             e_0000000000000001 pdq {:064x} 80\n\
             e_0000000000000002 pdq {:064x} 80 pdq-robust-v5/cut\n",
            1, 2
        );
        let file = format!("{body}sha256 {}\n", hex(&Sha256::digest(body.as_bytes())));
        std::fs::write(Snapshot::path(dir.path()), file).unwrap();
        let mut s = Snapshot::load(dir.path()).unwrap();
        assert_eq!(s.cursor(), "");
        assert_eq!(s.entries().len(), 2);
        // Synced again from the start: the same entries, now with times: nothing to index,
        // only times learnt.
        let delta = s
            .apply(&[registered(pdq(1), "2026-05-19T10:00:00.250Z")])
            .unwrap();
        let at = Timestamp::from_millis(1_779_184_800_250);
        assert_eq!(
            delta,
            Delta {
                registered: vec![(EntryId::from_i64(1), Registration { at, media: MEDIA })],
                ..Delta::default()
            }
        );
        assert!(
            s.apply(&[registered(pdq(1), "2026-05-19T10:00:00.250Z")])
                .unwrap()
                .is_empty()
        );
        s.set_cursor("q2");
        s.save(dir.path()).unwrap();
        let text = std::fs::read_to_string(Snapshot::path(dir.path())).unwrap();
        // Version 4: seven fields on every line, `-` where a filing or a registration is not
        // known.
        let expected = format!(
            "quell-sync-snapshot 4\ncursor q2\nprofiles pdq-robust-v5\nentries 2\n\
             e_0000000000000001 pdq {:064x} 80 - 1779184800250 md_00000000000000aa\n\
             e_0000000000000002 pdq {:064x} 80 pdq-robust-v5/cut - -\n",
            1, 2
        );
        let file = format!(
            "{expected}sha256 {}\n",
            hex(&Sha256::digest(expected.as_bytes()))
        );
        assert_eq!(text, file);
        let loaded = Snapshot::load(dir.path()).unwrap();
        assert_eq!(loaded, s, "a version-4 file keeps its cursor");
        // A tombstone takes the time with the entry.
        let mut s = loaded;
        s.apply(&[tombstone(1)]).unwrap();
        assert!(s.registered().is_empty());
        // A time that is not one refuses the page, naming the entry.
        let bad = registered(pdq(3), "yesterday");
        assert_eq!(
            s.apply(&[pdq(4), bad]).unwrap_err(),
            PageError::RegisteredAt {
                index: 1,
                value: "yesterday".to_owned()
            }
        );
        assert_eq!(s.entries().len(), 1);
    }

    /// A version-3 file, as the previous build wrote it (times, no media ids): its times load
    /// (each entry a file of its own until the registry says), and its cursor is dropped so
    /// that the next sync learns the media ids.
    #[test]
    fn a_snapshot_from_before_media_ids_loads_and_syncs_again() {
        let dir = tempfile::tempdir().unwrap();
        let body = format!(
            "quell-sync-snapshot 3\ncursor q2\nentries 2\n\
             e_0000000000000001 pdq {:064x} 80 - 1779184800250\n\
             e_0000000000000002 pdq {:064x} 80 pdq-robust-v5/cut -\n",
            1, 2
        );
        let file = format!("{body}sha256 {}\n", hex(&Sha256::digest(body.as_bytes())));
        std::fs::write(Snapshot::path(dir.path()), file).unwrap();
        let mut s = Snapshot::load(dir.path()).unwrap();
        assert_eq!(
            s.cursor(),
            "",
            "the cursor is dropped so that media ids are learnt"
        );
        let first = EntryId::from_i64(1);
        let at = Timestamp::from_millis(1_779_184_800_250);
        let own = Registration {
            at,
            media: MediaId::from_i64(1),
        };
        assert_eq!(s.registered().get(&first), Some(&own));
        assert_eq!(s.registered().len(), 1);
        // The sync from the start brings the media id: learnt, nothing to index.
        let delta = s
            .apply(&[registered(pdq(1), "2026-05-19T10:00:00.250Z")])
            .unwrap();
        let learnt = Registration { at, media: MEDIA };
        assert_eq!(delta.registered, vec![(first, learnt)]);
        assert!(delta.upserted.is_empty());
        // A registry that sends a time without a media id (one from before media ids) gives
        // each entry a file of its own; a media id that is not one refuses the page.
        let old_registry = SyncEntry {
            media_id: None,
            ..registered(pdq(3), "2026-05-19T10:00:00.250Z")
        };
        let delta = s.apply(&[old_registry]).unwrap();
        let third = EntryId::from_i64(3);
        let own = MediaId::from_i64(3);
        assert_eq!(
            delta.registered,
            vec![(third, Registration { at, media: own })]
        );
        let bad = SyncEntry {
            media_id: Some("m_1".to_owned()),
            ..registered(pdq(4), "2026-05-19T10:00:00.250Z")
        };
        let err = s.apply(&[bad]).unwrap_err();
        assert!(matches!(err, PageError::MediaId { index: 0, .. }), "{err}");
        assert!(err.to_string().contains("media_id"), "{err}");
    }

    #[test]
    fn a_version_4_line_without_seven_fields_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let body = format!(
            "quell-sync-snapshot 4\ncursor -\nprofiles -\nentries 1\ne_0000000000000005 pdq {} 80 - -\n",
            "0".repeat(63) + "5"
        );
        let file = format!("{body}sha256 {}\n", hex(&Sha256::digest(body.as_bytes())));
        std::fs::write(Snapshot::path(dir.path()), file).unwrap();
        let err = Snapshot::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("entry line 1 is malformed"), "{err}");
    }

    /// A member that stops taking a profile's hashes drops those it holds; one that starts
    /// taking them reads the list again from the start; the choice is kept in the file.
    #[test]
    fn the_profiles_taken_are_kept_and_a_change_is_applied() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Snapshot::default();
        assert!(s.take_profiles(&["pdq-robust-v5"]).is_empty());
        s.apply(&[pdq(1), filed(2, "variant"), filed(3, "cut")])
            .unwrap();
        s.set_cursor("q9");
        assert!(s.take_profiles(&["pdq-robust-v5"]).is_empty());
        s.save(dir.path()).unwrap();
        let loaded = Snapshot::load(dir.path()).unwrap();
        assert_eq!(loaded.profiles(), ["pdq-robust-v5"]);
        assert_eq!(loaded, s);

        let dropped = s.take_profiles(&[]);
        let ids: Vec<_> = dropped.removed.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, [EntryId::from_i64(2), EntryId::from_i64(3)]);
        assert_eq!(s.entries().len(), 1);
        assert_eq!(s.cursor(), "q9", "the plain entries are all there");
        s.save(dir.path()).unwrap();
        let text = std::fs::read_to_string(Snapshot::path(dir.path())).unwrap();
        assert!(text.contains("\nprofiles -\n"), "{text}");
        assert_eq!(Snapshot::load(dir.path()).unwrap(), s);

        assert!(s.take_profiles(&["pdq-robust-v5"]).is_empty());
        assert_eq!(
            s.cursor(),
            "",
            "the filed hashes were never sent: read the list again"
        );

        // A version-4 file without its profiles line is refused.
        let body = "quell-sync-snapshot 4\ncursor -\nentries 0\n";
        let file = format!("{body}sha256 {}\n", hex(&Sha256::digest(body.as_bytes())));
        std::fs::write(Snapshot::path(dir.path()), file).unwrap();
        let err = Snapshot::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("no profiles line"), "{err}");
    }

    #[test]
    fn a_version_3_line_without_six_fields_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let body = format!(
            "quell-sync-snapshot 3\ncursor -\nentries 1\ne_0000000000000005 pdq {} 80\n",
            "0".repeat(63) + "5"
        );
        let file = format!("{body}sha256 {}\n", hex(&Sha256::digest(body.as_bytes())));
        std::fs::write(Snapshot::path(dir.path()), file).unwrap();
        let err = Snapshot::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("entry line 1 is malformed"), "{err}");
    }
}
