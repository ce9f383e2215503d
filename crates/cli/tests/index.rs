//! `quell index build` and `quell match`.

use std::path::Path;

use crate::util::{pdq_vectors, quell};

/// `(query, id, distance)` for every needle/haystack pair within `max`, 0-based.
fn expected(max: u32) -> Vec<(u64, u64, u32)> {
    let text = std::fs::read_to_string(pdq_vectors().join("index/expected-matches.tsv")).unwrap();
    let mut pairs: Vec<(u64, u64, u32)> = text
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<u64> = l.split('\t').map(|x| x.parse().unwrap()).collect();
            (f[0] - 1, f[1] - 1, f[2] as u32)
        })
        .filter(|&(_, _, d)| d <= max)
        .collect();
    pairs.sort();
    pairs
}

fn parse_hits(out: &str) -> Vec<(u64, u64, u32)> {
    let mut hits: Vec<(u64, u64, u32)> = out
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            assert_eq!(f.len(), 3, "{l}");
            (
                f[0].parse().unwrap(),
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
            )
        })
        .collect();
    hits.sort();
    hits
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn build_then_match_the_regression_data() {
    let dir = tempfile::tempdir().unwrap();
    let idx = dir.path().join("haystack.qidx");
    let haystack = pdq_vectors().join("index/haystack.txt");
    let needles = pdq_vectors().join("index/needles.txt");
    let (code, _, err) = quell(&["index", "build", s(&haystack), "-o", s(&idx)], b"");
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("indexed 1350 hashes"), "{err}");

    // 100 queries: answered with the MIH tables.
    let (code, out, err) = quell(&["match", "--index", s(&idx), s(&needles)], b"");
    assert_eq!(code, 0, "{err}");
    assert_eq!(parse_hits(&out), expected(31));
    let (code, out, _) = quell(
        &[
            "match",
            "--index",
            s(&idx),
            "--max-distance",
            "63",
            "-j",
            "2",
            s(&needles),
        ],
        b"",
    );
    assert_eq!(code, 0);
    assert_eq!(parse_hits(&out), expected(63));

    // A few queries from stdin (answered by the flat scan), output sorted by distance then id.
    let first: String = std::fs::read_to_string(&needles)
        .unwrap()
        .lines()
        .take(3)
        .map(|l| format!("{l}\n"))
        .collect();
    let (code, out, _) = quell(&["match", "--index", s(&idx), "-"], first.as_bytes());
    assert_eq!(code, 0);
    let want: Vec<_> = expected(31)
        .into_iter()
        .filter(|&(q, _, _)| q < 3)
        .collect();
    assert_eq!(parse_hits(&out), want);
    let q0: Vec<(u32, u64)> = out
        .lines()
        .filter(|l| l.starts_with("0 "))
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            (f[2].parse().unwrap(), f[1].parse().unwrap())
        })
        .collect();
    assert!(q0.windows(2).all(|w| w[0] <= w[1]), "{q0:?}");

    // JSON.
    let (code, out, _) = quell(
        &["match", "--index", s(&idx), "--json", "-"],
        first.as_bytes(),
    );
    assert_eq!(code, 0);
    let first_line: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(first_line["query"], 0);
    assert_eq!(first_line["id"], 1000);
    assert_eq!(first_line["distance"], 0);
}

#[test]
fn ids_file_binary_input_and_dihedral_queries() {
    let dir = tempfile::tempdir().unwrap();
    let hex: Vec<String> = std::fs::read_to_string(pdq_vectors().join("index/haystack.txt"))
        .unwrap()
        .lines()
        .take(20)
        .map(String::from)
        .collect();
    let bin = dir.path().join("hashes.bin");
    let raw: Vec<u8> = hex
        .iter()
        .flat_map(|h| (0..32).map(move |i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).unwrap()))
        .collect();
    std::fs::write(&bin, &raw).unwrap();
    let ids = dir.path().join("ids.txt");
    std::fs::write(
        &ids,
        (0..20)
            .map(|i| format!("{}\n", 5000 + i))
            .collect::<String>(),
    )
    .unwrap();
    let idx = dir.path().join("x.qidx");
    let (code, _, err) = quell(
        &["index", "build", s(&bin), "--ids", s(&ids), "-o", s(&idx)],
        b"",
    );
    assert_eq!(code, 0, "{err}");

    // A dihedral query: seven unrelated hashes and haystack line 8 (id 5007) last, as
    // `quell hash --dihedral` prints them (8 hashes, quality, path).
    let mut fields: Vec<String> = vec!["0".repeat(64); 7];
    fields.push(hex[7].clone());
    let line = format!("{} 100 some/image.jpg\n", fields.join(" "));
    let (code, out, err) = quell(
        &[
            "match",
            "--index",
            s(&idx),
            "--dihedral",
            "--max-distance",
            "0",
            "-",
        ],
        line.as_bytes(),
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "0 5007 0\n");

    // Wrong number of ids.
    std::fs::write(&ids, "1\n2\n").unwrap();
    let (code, _, err) = quell(
        &["index", "build", s(&bin), "--ids", s(&ids), "-o", s(&idx)],
        b"",
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("2 ids but") && err.contains("20 hashes"),
        "{err}"
    );
}

#[test]
fn bad_inputs_are_reported_with_context() {
    let dir = tempfile::tempdir().unwrap();
    let idx = dir.path().join("x.qidx");
    let (code, _, err) = quell(
        &["index", "build", "-", "-o", s(&idx)],
        b"0000000000000000000000000000000000000000000000000000000000000000\nnot-a-hash\n",
    );
    assert_eq!(code, 2);
    assert!(err.contains("line 2") && err.contains("PDQ"), "{err}");

    let (code, _, _) = quell(
        &["index", "build", "-", "-o", s(&idx)],
        "f".repeat(64).as_bytes(),
    );
    assert_eq!(code, 0);
    let mut bytes = std::fs::read(&idx).unwrap();
    let last = bytes.len() - 5;
    bytes[last] ^= 1;
    std::fs::write(&idx, &bytes).unwrap();
    let (code, _, err) = quell(
        &["match", "--index", s(&idx), "-"],
        "f".repeat(64).as_bytes(),
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("checksum mismatch") && err.contains("x.qidx"),
        "{err}"
    );

    let (code, _, err) = quell(
        &["match", "--index", s(&idx), "--max-distance", "300", "-"],
        b"",
    );
    assert_eq!(code, 2);
    assert!(err.contains("300"), "{err}");
}
