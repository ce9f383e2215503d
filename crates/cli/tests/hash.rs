//! `quell hash`.

use std::collections::HashMap;

use crate::util::{pdq_vectors, quell};

/// Expected hashes by file path relative to the vectors folder.
fn expected() -> HashMap<String, (String, u8, Vec<String>)> {
    let text = std::fs::read_to_string(pdq_vectors().join("expected.tsv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            (
                c[0].to_string(),
                (
                    c[1].to_string(),
                    c[2].parse().unwrap(),
                    c[3..11].iter().map(|s| s.to_string()).collect(),
                ),
            )
        })
        .collect()
}

#[test]
fn hashes_a_directory_recursively_in_order() {
    let dir = pdq_vectors().join("images/bridge-mods");
    let (code, out, err) = quell(&["hash", dir.to_str().unwrap()], b"");
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 12, "{out}");
    let want = expected();
    let mut previous = String::new();
    for line in lines {
        let mut parts = line.splitn(3, ' ');
        let (pdq, quality, path) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        assert!(path > previous.as_str(), "sorted output");
        previous = path.to_string();
        let rel = path.split("vectors/pdq/").nth(1).unwrap();
        let (want_pdq, want_q, _) = &want[rel];
        let d = pdq
            .parse::<quell_hash::Pdq>()
            .unwrap()
            .distance(&want_pdq.parse().unwrap());
        assert!(d.get() <= 4, "{rel}: {d}");
        assert_eq!(quality.parse::<u8>().unwrap(), *want_q);
    }
}

#[test]
fn dihedral_json_and_digests() {
    let file = pdq_vectors().join("images/misc-images/c.png");
    let (code, out, _) = quell(
        &["hash", "--json", "--dihedral", file.to_str().unwrap()],
        b"",
    );
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let (pdq, quality, dih) = &expected()["images/misc-images/c.png"];
    assert_eq!(v["pdq"], pdq.as_str());
    assert_eq!(v["quality"], *quality);
    let got: Vec<String> = v["dihedral"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect();
    assert_eq!(&got, dih);
    let bytes = std::fs::read(&file).unwrap();
    assert_eq!(v["md5"], quell_hash::Md5::of(&bytes).to_string());
    assert_eq!(v["sha256"], quell_hash::Sha256::of(&bytes).to_string());

    let (_, plain, _) = quell(&["hash", "--dihedral", file.to_str().unwrap()], b"");
    let fields: Vec<&str> = plain.split_whitespace().collect();
    assert_eq!(fields.len(), 10);
    assert_eq!(
        &fields[..8],
        &dih.iter().map(String::as_str).collect::<Vec<_>>()[..]
    );
}

#[test]
fn stdin_and_csv() {
    let bytes = std::fs::read(pdq_vectors().join("images/misc-images/c.png")).unwrap();
    let (code, out, _) = quell(&["hash", "--csv", "-"], &bytes);
    assert_eq!(code, 0);
    let mut lines = out.lines();
    assert_eq!(lines.next().unwrap(), "path,pdq,quality,md5,sha256,error");
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(row[0], "-");
    assert_eq!(row[1], expected()["images/misc-images/c.png"].0);
    assert_eq!(row[5], "");
}

/// A failing file is reported by name, the others are still hashed, and the exit code says
/// something failed.
#[test]
fn a_failing_file_does_not_stop_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("empty.jpg");
    std::fs::write(&empty, b"").unwrap();
    let text = tmp.path().join("notes.jpg");
    std::fs::write(&text, b"not an image at all").unwrap();
    let good = pdq_vectors().join("images/misc-images/c.png");
    let args = [
        "hash",
        "--json",
        empty.to_str().unwrap(),
        good.to_str().unwrap(),
        text.to_str().unwrap(),
    ];
    let (code, out, _) = quell(&args, b"");
    assert_eq!(code, 1);
    let rows: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["error"], "the file is empty");
    assert!(rows[1]["pdq"].is_string());
    assert!(
        rows[2]["error"]
            .as_str()
            .unwrap()
            .contains("not a supported image")
    );

    let (code, out, err) = quell(
        &args[0..1]
            .iter()
            .chain(&args[2..])
            .copied()
            .collect::<Vec<_>>(),
        b"",
    );
    assert_eq!(code, 1);
    assert_eq!(
        out.lines().count(),
        1,
        "plain output keeps only hashes on stdout"
    );
    assert!(err.contains("empty.jpg: the file is empty"), "{err}");
}

/// A PNG named `.jpg` is hashed as the PNG it is; a directory walk skips non-images.
#[test]
fn content_decides_the_format() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(
        pdq_vectors().join("images/misc-images/c.png"),
        tmp.path().join("photo.jpg"),
    )
    .unwrap();
    std::fs::write(tmp.path().join("readme.txt"), b"hello").unwrap();
    let (code, out, err) = quell(&["hash", tmp.path().to_str().unwrap()], b"");
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 1);
    assert!(out.starts_with(&expected()["images/misc-images/c.png"].0));
}

#[test]
fn limits_are_configurable() {
    let file = pdq_vectors().join("images/reg-test-input/exif-rotn/exif-rotn-1.jpg");
    let (code, _, err) = quell(
        &["hash", "--max-megapixels", "10", file.to_str().unwrap()],
        b"",
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("4032x3024 is 12 megapixels, over the limit of 10"),
        "{err}"
    );
    let (code, _, err) = quell(
        &["hash", "--max-file-mib", "0", file.to_str().unwrap()],
        b"",
    );
    assert_eq!(code, 1);
    assert!(err.contains("larger than the limit"), "{err}");
}

/// `--exif-orientation` hashes the image as displayed: for EXIF orientation 6 (rotate 90°
/// clockwise to display) that is the stored image's rot270 dihedral.
#[test]
fn exif_orientation() {
    let file = pdq_vectors().join("images/reg-test-input/exif-rotn/exif-rotn-6.jpg");
    let (_, stored, _) = quell(&["hash", file.to_str().unwrap()], b"");
    let (_, shown, _) = quell(&["hash", "--exif-orientation", file.to_str().unwrap()], b"");
    let (pdq, _, dih) = &expected()["images/reg-test-input/exif-rotn/exif-rotn-6.jpg"];
    let parse = |s: &str| {
        s.split(' ')
            .next()
            .unwrap()
            .parse::<quell_hash::Pdq>()
            .unwrap()
    };
    assert!(parse(&stored).distance(&pdq.parse().unwrap()).get() <= 4);
    assert!(
        parse(&shown).distance(&dih[3].parse().unwrap()).get() <= 8,
        "rot270"
    );
}

/// With a memory budget smaller than any image, images are decoded one at a time and every
/// one is still hashed, the same as with the default budget.
#[test]
fn tight_memory_budget_serialises_but_completes() {
    let dir = pdq_vectors().join("images/reg-test-input/dih");
    let dir = dir.to_str().unwrap();
    let (code, tight, err) = quell(&["hash", "-j", "2", "--max-memory-mib", "1", dir], b"");
    assert_eq!(code, 0, "{err}");
    let (_, default, _) = quell(&["hash", "-j", "2", dir], b"");
    assert_eq!(tight, default);
    assert_eq!(tight.lines().count(), 8);
}
