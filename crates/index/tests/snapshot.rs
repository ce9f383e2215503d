//! Snapshot round trips, every kind of corruption, and the v1 fixture kept forever.

use std::path::Path;

use quell_hash::{Distance, Pdq};
use quell_index::{FlatIndex, IndexBuilder, MihConfig, MihIndex, PdqIndex, SnapshotErrorKind};

use crate::util::{Rng, read_hashes, vectors};

fn sample(n: usize) -> FlatIndex {
    let mut rng = Rng(42);
    (0..n)
        .map(|_| (rng.next(), rng.pdq()))
        .collect::<IndexBuilder>()
        .build_flat()
}

#[test]
fn round_trip() {
    let dir = tempfile::tempdir().unwrap();
    for n in [0, 1, 3, 40_000] {
        let path = dir.path().join(format!("{n}.qidx"));
        let flat = sample(n);
        flat.save(&path).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 28 + 40 * n as u64);
        assert_eq!(FlatIndex::load(&path).unwrap(), flat);
        let mih = MihIndex::load(&path, MihConfig::default()).unwrap();
        assert_eq!(mih.as_flat(), &flat);
    }
    // No temporary file is left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 4);
}

fn load_bytes(dir: &Path, bytes: &[u8]) -> Result<FlatIndex, quell_index::SnapshotError> {
    let path = dir.join("x.qidx");
    std::fs::write(&path, bytes).unwrap();
    FlatIndex::load(&path)
}

#[test]
fn every_corruption_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("good.qidx");
    sample(3).save(&path).unwrap();
    let good = std::fs::read(&path).unwrap();

    // Every single-bit flip is detected: the header fields by their checks, the rest by CRC.
    for byte in 0..good.len() {
        for bit in 0..8 {
            let mut bad = good.clone();
            bad[byte] ^= 1 << bit;
            let err = load_bytes(dir.path(), &bad).expect_err("flip must be detected");
            let ok = match err.kind() {
                SnapshotErrorKind::BadMagic => byte < 8,
                SnapshotErrorKind::UnsupportedVersion {
                    found,
                    supported: 1,
                } => (8..12).contains(&byte) && *found != 1,
                SnapshotErrorKind::UnknownFlags(_) => (12..16).contains(&byte),
                SnapshotErrorKind::TooManyEntries(_)
                | SnapshotErrorKind::Truncated { .. }
                | SnapshotErrorKind::TrailingData(_) => (16..24).contains(&byte),
                SnapshotErrorKind::Checksum { .. } => byte >= 24,
                _ => false,
            };
            assert!(ok, "byte {byte} bit {bit}: {:?}", err.kind());
        }
    }
    // Every truncation.
    for len in 0..good.len() {
        let err = load_bytes(dir.path(), &good[..len]).unwrap_err();
        assert!(
            matches!(
                err.kind(),
                SnapshotErrorKind::Truncated { .. } | SnapshotErrorKind::BadMagic
            ),
            "{len}: {:?}",
            err.kind()
        );
    }
    let mut long = good.clone();
    long.push(0);
    let err = load_bytes(dir.path(), &long).unwrap_err();
    assert!(matches!(err.kind(), SnapshotErrorKind::TrailingData(1)));
    // Something else entirely.
    let err = load_bytes(dir.path(), b"not an index at all, just some text\n").unwrap_err();
    assert!(matches!(err.kind(), SnapshotErrorKind::BadMagic));
    // Missing file, with the path in the message.
    let missing = dir.path().join("missing.qidx");
    let err = FlatIndex::load(&missing).unwrap_err();
    assert!(matches!(err.kind(), SnapshotErrorKind::Io(_)));
    assert_eq!(err.path(), missing);
    assert!(err.to_string().contains("missing.qidx"));
}

/// The first 64 haystack hashes with ids `1000 + line` (1-based), written once in format v1 by
/// an independent Python writer (see `tests/fixtures/README.md`). Never regenerate it: every
/// future build must read v1 files.
#[test]
fn v1_fixture_loads_forever() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/v1-haystack-64.qidx"
    );
    let flat = FlatIndex::load(path).unwrap();
    let haystack = read_hashes(&vectors().join("pdq/index/haystack.txt"));
    let expected: Vec<(u64, Pdq)> = haystack[..64]
        .iter()
        .enumerate()
        .map(|(i, &h)| (1001 + i as u64, h))
        .collect();
    assert_eq!(flat.iter().collect::<Vec<_>>(), expected);
    let mih = MihIndex::new(flat, MihConfig::default());
    let hits = mih.range_search(&haystack[0], Distance::new(0));
    assert_eq!(hits[0].id, 1001);
}
