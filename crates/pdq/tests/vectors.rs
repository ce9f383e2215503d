//! Access to the shared golden vectors (`../shared/vectors/pdq` beside the repository).

use std::path::PathBuf;

use quell_hash::{Pdq, Quality};

/// The `shared/vectors/pdq` folder: `$QUELL_VECTORS/pdq` if set, else `../shared/vectors/pdq`
/// relative to the workspace root.
pub(crate) fn pdq_dir() -> PathBuf {
    let root = std::env::var_os("QUELL_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors")
        });
    let dir = root.join("pdq");
    assert!(
        dir.join("expected.tsv").is_file(),
        "golden vectors not found at {} (set QUELL_VECTORS to the shared/vectors folder)",
        dir.display()
    );
    dir
}

/// One row of an `expected.tsv`.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub(crate) file: String,
    pub(crate) pdq: Pdq,
    pub(crate) quality: Quality,
    pub(crate) dihedral: [Pdq; 8],
    pub(crate) columns: std::collections::HashMap<String, String>,
}

/// Reads a tab-separated golden file with a header row.
pub(crate) fn read_tsv(path: &std::path::Path) -> Vec<Row> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split('\t').collect();
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let columns: std::collections::HashMap<String, String> = header
                .iter()
                .zip(line.split('\t'))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let get = |k: &str| {
                columns
                    .get(k)
                    .unwrap_or_else(|| panic!("column {k}"))
                    .clone()
            };
            let dih = [
                "dih_orig",
                "dih_rot90",
                "dih_rot180",
                "dih_rot270",
                "dih_flipx",
                "dih_flipy",
                "dih_flipplus1",
                "dih_flipminus1",
            ];
            Row {
                file: get("file"),
                pdq: get("pdq_hex").parse().expect("golden hex"),
                quality: Quality::new(get("quality").parse().expect("quality")).expect("range"),
                dihedral: dih.map(|k| get(k).parse().expect("golden hex")),
                columns,
            }
        })
        .collect()
}
