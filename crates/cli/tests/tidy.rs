//! ARCHITECTURE.md's checkable claims, checked: the crate table names every workspace crate
//! and no other, the fuzz row names every fuzz target, and the Safety paragraph names exactly
//! the files allowed `unsafe`. Prose drifts; these cannot.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn architecture() -> String {
    std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md")
}

/// The `code spans` of `text`.
fn code_spans(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

/// The code map's rows: (first cell, second cell).
fn code_map(doc: &str) -> Vec<(String, String)> {
    doc.lines()
        .skip_while(|l| !l.starts_with("## Code map"))
        .skip(1)
        .take_while(|l| !l.starts_with("## "))
        .filter(|l| l.starts_with("| ") && !l.starts_with("| crate") && !l.starts_with("|--"))
        .map(|l| {
            let cells: Vec<&str> = l.split(" | ").collect();
            (
                cells[0].trim_start_matches("| ").to_owned(),
                cells[1].to_owned(),
            )
        })
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "target") {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_code_map_lists_every_workspace_crate() {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let members_line = manifest
        .lines()
        .find(|l| l.starts_with("members"))
        .expect("a members line");
    let members: BTreeSet<String> = members_line
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    let mapped: BTreeSet<String> = code_map(&architecture())
        .into_iter()
        .filter_map(|(_, path)| {
            let path = code_spans(&path).first()?.trim_end_matches('/').to_owned();
            path.starts_with("crates/").then_some(path)
        })
        .collect();
    assert_eq!(
        mapped, members,
        "ARCHITECTURE.md's code map against Cargo.toml"
    );
}

#[test]
fn the_fuzz_row_names_every_fuzz_target() {
    let doc = architecture();
    let (_, _) = code_map(&doc)
        .into_iter()
        .find(|(name, _)| name == "fuzz")
        .expect("a fuzz row in the code map");
    let row = doc
        .lines()
        .find(|l| l.starts_with("| fuzz |"))
        .expect("the fuzz row");
    let named: BTreeSet<&str> = code_spans(row)
        .into_iter()
        .filter(|s| !s.contains('/') && !s.contains(' ') && s.contains('_'))
        .collect();
    let targets: BTreeSet<String> = std::fs::read_dir(root().join("fuzz/fuzz_targets"))
        .unwrap()
        .map(|e| {
            e.unwrap()
                .path()
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let named: BTreeSet<String> = named.into_iter().map(str::to_owned).collect();
    assert_eq!(
        named, targets,
        "the fuzz row's targets against fuzz/fuzz_targets"
    );
}

#[test]
fn the_safety_paragraph_names_every_file_allowed_unsafe() {
    let doc = architecture();
    let safety = doc
        .split("\n\n")
        .find(|p| p.starts_with("**Safety.**"))
        .expect("a **Safety.** paragraph");
    let named: BTreeSet<String> = code_spans(safety)
        .into_iter()
        .filter(|s| s.ends_with(".rs"))
        .map(str::to_owned)
        .collect();
    let mut files = Vec::new();
    rust_files(&root().join("crates"), &mut files);
    rust_files(&root().join("fuzz"), &mut files);
    let allowed: BTreeSet<String> = files
        .into_iter()
        .filter(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .contains("allow(unsafe_code)")
        })
        .map(|f| {
            f.strip_prefix(root())
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|f| f != "crates/cli/tests/tidy.rs")
        .collect();
    assert_eq!(
        named, allowed,
        "ARCHITECTURE.md's Safety paragraph against the files with allow(unsafe_code)"
    );
}
