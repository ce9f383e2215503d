//! Access to the shared golden vectors (`../shared/vectors/vpdq` beside the repository).

use std::path::{Path, PathBuf};

use quell_vpdq::{VideoHash, format};

/// The `shared/vectors/vpdq` folder: `$QUELL_VECTORS/vpdq` if set, else
/// `../shared/vectors/vpdq` relative to the workspace root.
pub(crate) fn vpdq_dir() -> PathBuf {
    let root = std::env::var_os("QUELL_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors")
        });
    let dir = root.join("vpdq");
    assert!(
        dir.join("pairwise-match.tsv").is_file(),
        "golden vectors not found at {} (set QUELL_VECTORS to the shared/vectors folder)",
        dir.display()
    );
    dir
}

/// The names of the sample videos (file stems), sorted.
pub(crate) fn names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(vpdq_dir().join("expected"))
        .expect("expected/ exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .map(|p| p.file_stem().expect("stem").to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 14, "the vectors hold 14 sample videos");
    names
}

/// Reads a reference hash file.
pub(crate) fn read_hash(path: &Path) -> VideoHash {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    format::from_text(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `expected/NAME.txt` (every frame) or `expected-1s/NAME.txt`.
pub(crate) fn expected(name: &str, every_frame: bool) -> VideoHash {
    let folder = if every_frame {
        "expected"
    } else {
        "expected-1s"
    };
    read_hash(&vpdq_dir().join(folder).join(format!("{name}.txt")))
}
