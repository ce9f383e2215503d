//! Snapshot files: the entries of an index, checksummed, in a documented little-endian format.
//!
//! Format version 1 (all integers little-endian):
//!
//! | offset | size | content |
//! |---|---|---|
//! | 0 | 8 | magic `QUELLIDX` |
//! | 8 | 4 | format version, `1` |
//! | 12 | 4 | flags, `0` (reserved; readers reject unknown flags) |
//! | 16 | 8 | entry count `n` |
//! | 24 | 8·n | ids, `u64` |
//! | 24 + 8·n | 32·n | hashes, 32 bytes each in hex-string order (`bytes.fromhex`) |
//! | 24 + 40·n | 4 | CRC-32 (IEEE) of every preceding byte |
//!
//! Only entries are stored, not MIH tables: the tables are rebuilt on load in about a second at
//! 10 million entries, and keeping them out keeps the format independent of index tuning.
//! Files are written to a temporary sibling and renamed into place, so a crash never leaves a
//! half-written snapshot under the real name. Fixtures of every released version are kept in
//! `tests/fixtures/` and must load forever.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use quell_hash::Pdq;

use crate::arch::Code;
use crate::flat::FlatIndex;
use crate::mih::{MihConfig, MihIndex};

const MAGIC: &[u8; 8] = b"QUELLIDX";
const VERSION: u32 = 1;
const HEADER: u64 = 24;
const TRAILER: u64 = 4;
const ENTRY: u64 = 8 + 32;
/// Entries per read or write chunk: large enough for throughput, small enough not to double
/// the memory of a big load.
const CHUNK: usize = 1 << 15;

/// A snapshot could not be written or read.
#[derive(Debug, thiserror::Error)]
#[error("index snapshot {}", path.display())]
pub struct SnapshotError {
    path: PathBuf,
    #[source]
    kind: SnapshotErrorKind,
}

impl SnapshotError {
    /// The snapshot file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What went wrong.
    pub fn kind(&self) -> &SnapshotErrorKind {
        &self.kind
    }
}

/// What is wrong with a snapshot.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotErrorKind {
    /// Reading or writing failed.
    #[error("I/O error")]
    Io(#[source] io::Error),
    /// The file does not start with the snapshot magic bytes.
    #[error("not a Quell index snapshot (bad magic bytes)")]
    BadMagic,
    /// Written by a newer (or unknown) format version.
    #[error("format version {found} is not supported (this build reads version {supported})")]
    UnsupportedVersion {
        /// Version in the file.
        found: u32,
        /// Version this build reads.
        supported: u32,
    },
    /// Flags this build does not know are set.
    #[error("unknown flags {0:#x}")]
    UnknownFlags(u32),
    /// The header promises more entries than one index can hold.
    #[error("{0} entries exceed the maximum of {max}", max = u32::MAX)]
    TooManyEntries(u64),
    /// The file is shorter than its header says.
    #[error("truncated: {expected} bytes expected, {found} found")]
    Truncated {
        /// Length the header implies.
        expected: u64,
        /// Actual length.
        found: u64,
    },
    /// The file is longer than its header says.
    #[error("{0} unexpected bytes after the entries")]
    TrailingData(u64),
    /// The content does not match its checksum.
    #[error("checksum mismatch (stored {stored:#010x}, computed {computed:#010x}): corrupt file")]
    Checksum {
        /// CRC-32 in the file.
        stored: u32,
        /// CRC-32 of the content.
        computed: u32,
    },
}

impl FlatIndex {
    /// Writes the entries to `path` (via a temporary file renamed into place).
    ///
    /// # Errors
    /// If the file cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), SnapshotError> {
        let path = path.as_ref();
        let mut tmp_name = path.file_name().unwrap_or_default().to_owned();
        tmp_name.push(".tmp");
        let tmp = path.with_file_name(tmp_name);
        let written = write(self, &tmp).and_then(|()| std::fs::rename(&tmp, path));
        written.map_err(|e| {
            // Best effort: a leftover temporary file is harmless, the error is what matters.
            let _ = std::fs::remove_file(&tmp);
            SnapshotError {
                path: path.to_owned(),
                kind: SnapshotErrorKind::Io(e),
            }
        })
    }

    /// Reads a snapshot written by [`FlatIndex::save`] (any supported format version).
    ///
    /// # Errors
    /// If the file cannot be read or is not a valid snapshot: every corruption (bad magic,
    /// truncation, flipped bits) is reported as a [`SnapshotErrorKind`], never a panic.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, SnapshotError> {
        let path = path.as_ref();
        read(path).map_err(|kind| SnapshotError {
            path: path.to_owned(),
            kind,
        })
    }
}

impl MihIndex {
    /// Writes the entries to `path`, as [`FlatIndex::save`] (the tables are not stored).
    ///
    /// # Errors
    /// If the file cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), SnapshotError> {
        self.as_flat().save(path)
    }

    /// Reads a snapshot and builds the tables.
    ///
    /// # Errors
    /// As [`FlatIndex::load`].
    pub fn load(path: impl AsRef<Path>, config: MihConfig) -> Result<Self, SnapshotError> {
        FlatIndex::load(path).map(|flat| MihIndex::new(flat, config))
    }
}

fn write(index: &FlatIndex, path: &Path) -> io::Result<()> {
    let file = File::create(path)?;
    let mut out = BufWriter::with_capacity(1 << 20, &file);
    let mut crc = crc32fast::Hasher::new();
    let mut put = |bytes: &[u8]| -> io::Result<()> {
        crc.update(bytes);
        out.write_all(bytes)
    };
    put(MAGIC)?;
    put(&VERSION.to_le_bytes())?;
    put(&0u32.to_le_bytes())?;
    put(&(index.ids().len() as u64).to_le_bytes())?;
    let mut buf = Vec::with_capacity(CHUNK * 32);
    for ids in index.ids().chunks(CHUNK) {
        buf.clear();
        buf.extend(ids.iter().flat_map(|id| id.to_le_bytes()));
        put(&buf)?;
    }
    for codes in index.codes().chunks(CHUNK) {
        buf.clear();
        buf.extend(codes.iter().flat_map(|&c| *Pdq::from_words(c).as_bytes()));
        put(&buf)?;
    }
    let sum = crc.finalize();
    out.write_all(&sum.to_le_bytes())?;
    out.into_inner().map_err(io::IntoInnerError::into_error)?;
    file.sync_all()
}

fn read(path: &Path) -> Result<FlatIndex, SnapshotErrorKind> {
    use SnapshotErrorKind as K;
    let mut file = File::open(path).map_err(K::Io)?;
    let found = file.metadata().map_err(K::Io)?.len();
    if found < HEADER + TRAILER {
        // Still say "not a snapshot" for short files that are obviously something else.
        let mut head = Vec::new();
        file.read_to_end(&mut head).map_err(K::Io)?;
        if !MAGIC.starts_with(&head[..head.len().min(MAGIC.len())]) {
            return Err(K::BadMagic);
        }
        return Err(K::Truncated {
            expected: HEADER + TRAILER,
            found,
        });
    }
    let mut header = [0u8; HEADER as usize];
    file.read_exact(&mut header).map_err(K::Io)?;
    let field = |at: usize, len: usize| &header[at..at + len];
    if field(0, 8) != MAGIC {
        return Err(K::BadMagic);
    }
    let version = u32::from_le_bytes(field(8, 4).try_into().expect("4 bytes"));
    if version != VERSION {
        return Err(K::UnsupportedVersion {
            found: version,
            supported: VERSION,
        });
    }
    let flags = u32::from_le_bytes(field(12, 4).try_into().expect("4 bytes"));
    if flags != 0 {
        return Err(K::UnknownFlags(flags));
    }
    let n = u64::from_le_bytes(field(16, 8).try_into().expect("8 bytes"));
    if n > u64::from(u32::MAX) {
        return Err(K::TooManyEntries(n));
    }
    let expected = HEADER + ENTRY * n + TRAILER;
    if found < expected {
        return Err(K::Truncated { expected, found });
    }
    if found > expected {
        return Err(K::TrailingData(found - expected));
    }
    let n = n as usize;
    let mut crc = crc32fast::Hasher::new();
    crc.update(&header);
    let mut buf = vec![0u8; CHUNK * 32];
    let mut ids = Vec::with_capacity(n);
    while ids.len() < n {
        let bytes = &mut buf[..(n - ids.len()).min(CHUNK) * 8];
        file.read_exact(bytes).map_err(K::Io)?;
        crc.update(bytes);
        ids.extend(
            bytes
                .chunks_exact(8)
                .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes"))),
        );
    }
    let mut codes: Vec<Code> = Vec::with_capacity(n);
    while codes.len() < n {
        let bytes = &mut buf[..(n - codes.len()).min(CHUNK) * 32];
        file.read_exact(bytes).map_err(K::Io)?;
        crc.update(bytes);
        codes.extend(
            bytes
                .chunks_exact(32)
                .map(|b| Pdq::from_bytes(b.try_into().expect("32 bytes")).to_words()),
        );
    }
    let mut stored = [0u8; 4];
    file.read_exact(&mut stored).map_err(K::Io)?;
    let stored = u32::from_le_bytes(stored);
    let computed = crc.finalize();
    if stored != computed {
        return Err(K::Checksum { stored, computed });
    }
    Ok(FlatIndex::from_parts(codes, ids))
}
