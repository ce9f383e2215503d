//! `quell index build --profile --images` and `quell match --images`: the black-box interface.

use std::path::Path;

use image::{Rgb, RgbImage};
use quell_lab::transform;

use crate::util::{pdq_vectors, quell};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Copies three vector photographs into `dir/originals` and writes transformed copies of the
/// third into `dir/uploads`.
fn corpus(dir: &Path) -> (Vec<String>, Vec<String>) {
    let images = pdq_vectors().join("images/reg-test-input");
    let originals = dir.join("originals");
    let uploads = dir.join("uploads");
    std::fs::create_dir_all(&originals).unwrap();
    std::fs::create_dir_all(&uploads).unwrap();
    let mut names = Vec::new();
    for (i, f) in [
        "labelme-subset/q0291.jpg",
        "labelme-subset/q0122.jpg",
        "labelme-subset/q1050.jpg",
    ]
    .iter()
    .enumerate()
    {
        let to = originals.join(format!("{i}.jpg"));
        std::fs::copy(images.join(f), &to).unwrap();
        names.push(s(&to).to_owned());
    }
    let third = image::open(&names[2]).unwrap().to_rgb8();
    let mut rng = transform::SplitMix64::new(5, 0, 0);
    let mut written = Vec::new();
    for (name, variant) in [
        (
            "bordered.png",
            transform::border(&third, 0.1, Rgb([255, 255, 255])),
        ),
        (
            "captioned.png",
            transform::caption(&third, 0.15, true, &mut rng),
        ),
        (
            "screenshot.png",
            transform::jpeg(&transform::screenshot(&third, 0.7, &mut rng), 70),
        ),
    ] {
        let path = uploads.join(name);
        variant.save(&path).unwrap();
        written.push(s(&path).to_owned());
    }
    (names, written)
}

#[test]
fn build_and_match_round_trip_under_the_robust_profile() {
    let dir = tempfile::tempdir().unwrap();
    let (originals, uploads) = corpus(dir.path());
    let index = dir.path().join("robust.idx");
    let (code, out, err) = quell(
        &[
            "index",
            "build",
            "--profile",
            "pdq-robust-v1",
            "--images",
            s(&dir.path().join("originals")),
            "-o",
            s(&index),
        ],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    let expected: String = originals
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{i} {p}\n"))
        .collect();
    assert_eq!(out, expected);

    let mut args = vec!["match", "--index", s(&index), "--images"];
    args.extend(uploads.iter().map(String::as_str));
    args.push(&originals[0]);
    let (code, out, err) = quell(&args, b"");
    assert_eq!(code, 0, "{err}");
    let hits: Vec<(String, u64, u32)> = out
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            assert_eq!(f.len(), 3, "{l}");
            (
                f[0].to_owned(),
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
            )
        })
        .collect();
    // Every transformed upload finds image 2, and nothing else; the original finds itself
    // at distance 0.
    for u in &uploads {
        let mine: Vec<_> = hits.iter().filter(|h| &h.0 == u).collect();
        assert_eq!(mine.len(), 1, "{u}: {out}");
        assert_eq!(mine[0].1, 2, "{u}: {out}");
        assert!(mine[0].2 <= 40, "{out}");
    }
    assert!(hits.contains(&(originals[0].clone(), 0, 0)), "{out}");
    assert_eq!(hits.len(), uploads.len() + 1, "{out}");

    // Plain PDQ misses the same uploads.
    let plain = dir.path().join("plain.idx");
    let (code, _, err) = quell(
        &[
            "index",
            "build",
            "--profile",
            "pdq-plain-v1",
            "--images",
            s(&dir.path().join("originals")),
            "-o",
            s(&plain),
        ],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    let mut args = vec!["match", "--index", s(&plain), "--images"];
    args.extend(uploads.iter().map(String::as_str));
    let (code, out, err) = quell(&args, b"");
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "", "plain PDQ matched a framed upload");
}

#[test]
fn a_profile_mismatch_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let (originals, _) = corpus(dir.path());
    let index = dir.path().join("robust.idx");
    let (code, _, err) = quell(
        &[
            "index",
            "build",
            "--profile",
            "pdq-robust-v1",
            "--images",
            s(&dir.path().join("originals")),
            "-o",
            s(&index),
        ],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = quell(
        &[
            "match",
            "--index",
            s(&index),
            "--profile",
            "pdq-plain-v1",
            "--images",
            &originals[0],
        ],
        b"",
    );
    assert_eq!(code, 2);
    assert_eq!(out, "");
    assert!(
        err.contains("was built with profile pdq-robust-v1, not pdq-plain-v1"),
        "{err}"
    );

    // A profile index is not a hash index, and the other way round.
    let hashes = dir.path().join("hashes.txt");
    std::fs::write(&hashes, format!("{}\n", "0".repeat(64))).unwrap();
    let (code, _, err) = quell(&["match", s(&hashes), "--index", s(&index)], b"");
    assert_eq!(code, 2);
    assert!(err.contains("is a profile index"), "{err}");
    let flat = dir.path().join("flat.idx");
    let (code, _, err) = quell(&["index", "build", s(&hashes), "-o", s(&flat)], b"");
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = quell(
        &["match", "--index", s(&flat), "--images", &originals[0]],
        b"",
    );
    assert_eq!(code, 2);
    assert!(err.contains("is not a profile index"), "{err}");

    let (code, _, err) = quell(
        &[
            "index",
            "build",
            "--profile",
            "pdq-v9",
            "--images",
            s(&dir.path().join("originals")),
            "-o",
            s(&index),
        ],
        b"",
    );
    assert_eq!(code, 2);
    assert!(err.contains("unknown hash profile \"pdq-v9\""), "{err}");
}

#[test]
fn near_flat_images_are_not_registered_and_image_matching_refuses_hash_options() {
    let dir = tempfile::tempdir().unwrap();
    let (originals, _) = corpus(dir.path());
    // A near-flat image between the photographs: PDQ quality far below 50.
    let flat = dir.path().join("originals/0a-flat.png");
    RgbImage::from_fn(200, 150, |x, _| Rgb([(100 + x / 50) as u8; 3]))
        .save(&flat)
        .unwrap();
    let index = dir.path().join("v4.idx");
    let (code, out, err) = quell(
        &[
            "index",
            "build",
            "--images",
            s(&dir.path().join("originals")),
            "-o",
            s(&index),
        ],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    // Ids stay positions in path order; the flat image keeps its id but is not registered.
    let listed: Vec<&str> = out.lines().collect();
    assert_eq!(
        listed,
        [
            format!("0 {}", originals[0]),
            format!("2 {}", originals[1]),
            format!("3 {}", originals[2]),
        ]
    );
    assert!(
        err.contains(&format!("{}: not registered: PDQ quality", s(&flat)))
            && err.contains("is below 50")
            && err.contains("registered 3 images")
            && err.contains("(1 skipped for PDQ quality)"),
        "{err}"
    );
    let text = std::fs::read_to_string(&index).unwrap();
    assert!(!text.lines().any(|l| l.starts_with("1 ")), "{text}");

    // A profile sets its own distances and query hashes: options that would be ignored are
    // refused.
    for extra in [&["--max-distance", "5"][..], &["--dihedral"], &["--json"]] {
        let mut args = vec!["match", "--index", s(&index), "--images", &originals[0]];
        args.extend_from_slice(extra);
        let (code, out, err) = quell(&args, b"");
        assert_eq!(code, 2, "{extra:?}: {out}");
        assert!(err.contains("cannot be used with"), "{extra:?}: {err}");
    }
    let (code, out, err) = quell(
        &[
            "match",
            "--index",
            s(&index),
            "-j",
            "1",
            "--images",
            &originals[0],
        ],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with(&format!("{} 0 0", originals[0])), "{out}");
}

/// Luminance of a file as `quell` decodes it.
/// `quell index build --profile P --images IMAGES -o INDEX`, which must succeed.
fn build_index(p: quell_robust::Profile, images: &Path, index: &Path) {
    let (code, _, err) = quell(
        &[
            "index",
            "build",
            "--profile",
            p.name(),
            "--images",
            s(images),
            "-o",
            s(index),
        ],
        b"",
    );
    assert_eq!(code, 0, "{err}");
}

fn luma(path: &str) -> quell_robust::LumaImage {
    let bytes = std::fs::read(path).unwrap();
    let image =
        quell_pdq::decode::decode(&bytes, &quell_pdq::decode::DecodeOptions::default()).unwrap();
    quell_robust::LumaImage::from_rows(&image)
}

#[test]
fn the_default_profile_is_v6_and_quell_match_applies_each_profiles_rule_and_plan() {
    use quell_robust::Profile;
    let dir = tempfile::tempdir().unwrap();
    let (originals, mut uploads) = corpus(dir.path());
    // A corner logo: v1 has nothing for it, v2 leaves a quarter of one side out; a turned
    // copy: v5 registers it rather than turning the upload.
    let third = image::open(&originals[2]).unwrap().to_rgb8();
    let mut rng = transform::SplitMix64::new(6, 0, 0);
    for (name, variant) in [
        ("logo.png", transform::logo(&third, 0.2, 1, &mut rng)),
        ("turned.png", image::imageops::rotate90(&third)),
    ] {
        let path = dir.path().join("uploads").join(name);
        variant.save(&path).unwrap();
        uploads.push(s(&path).to_owned());
    }
    let originals_dir = dir.path().join("originals");
    let default = dir.path().join("default.idx");
    let (code, _, err) = quell(
        &[
            "index",
            "build",
            "--images",
            s(&originals_dir),
            "-o",
            s(&default),
        ],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&default).unwrap();
    assert_eq!(text.lines().nth(1), Some("profile pdq-robust-v6"));
    assert_eq!(Profile::DEFAULT, Profile::RobustV6);
    // v6 files each hash under its part.
    let parts: Vec<&str> = text
        .lines()
        .skip(2)
        .filter_map(|l| l.split(' ').nth(2))
        .collect();
    assert_eq!(parts.len(), text.lines().count() - 2);
    for part in ["whole", "variant", "cut"] {
        assert!(parts.contains(&part), "no {part} hash");
    }

    for p in [Profile::RobustV4, Profile::RobustV5, Profile::RobustV6] {
        let index = dir.path().join(format!("{p}.idx"));
        build_index(p, &originals_dir, &index);
        let mut args = vec!["match", "--index", s(&index), "--images"];
        args.extend(uploads.iter().map(String::as_str));
        let (code, out, err) = quell(&args, b"");
        assert_eq!(code, 0, "{err}");
        // The index search reports exactly what the documented rule gives: for each upload
        // and each registered image, a hit iff the rule over all the hash pairs the plan
        // searches matches, at the nearest such pair's distance.
        let registered: Vec<_> = originals
            .iter()
            .map(|o| p.submission_parts(&luma(o)))
            .collect();
        let mut expected = Vec::new();
        for u in &uploads {
            let upload = luma(u);
            let mut hits: Vec<(u32, usize)> = registered
                .iter()
                .enumerate()
                .filter_map(|(id, r)| Some((p.match_distance(&upload, r)?.get(), id)))
                .collect();
            hits.sort();
            assert_eq!(hits.first().map(|h| h.1), Some(2), "{p} {u}");
            expected.extend(hits.into_iter().map(|(d, id)| format!("{u} {id} {d}")));
        }
        assert_eq!(out.lines().collect::<Vec<_>>(), expected, "{p}: {out}");
    }

    // A v6 line without its part, or with an unknown one, is refused by line number.
    for (bad, what) in [
        ("0 {hash}", "no part"),
        ("0 {hash} corner", "an unknown part"),
    ] {
        let line = text.lines().nth(2).unwrap();
        let hash = line.split(' ').nth(1).unwrap();
        let broken = format!(
            "{}\n{}\n{}\n",
            text.lines().next().unwrap(),
            text.lines().nth(1).unwrap(),
            bad.replace("{hash}", hash)
        );
        let path = dir.path().join("broken.idx");
        std::fs::write(&path, broken).unwrap();
        let (code, _, err) = quell(
            &["match", "--index", s(&path), "--images", &uploads[0]],
            b"",
        );
        assert_ne!(code, 0, "{what}");
        assert!(
            err.contains("line 3: expected `ID HEX PART`"),
            "{what}: {err}"
        );
    }
}

#[test]
fn quell_match_finds_an_upload_whose_only_evidence_is_two_pairs_within_48() {
    use quell_lab::transform::Family;
    use quell_robust::Profile;
    let dir = tempfile::tempdir().unwrap();
    let (originals, _) = corpus(dir.path());
    // Found by trying the evaluation's variants of the vector photographs: this letterboxed
    // copy of image 1 comes no nearer than 46 bits in any one pair, but two pairs with
    // different hashes on both sides are within 48.
    let second = image::open(&originals[1]).unwrap().to_rgb8();
    let upload = dir.path().join("uploads/letterboxed.png");
    Family::Border.variants(&second, 1, 14)[0]
        .save(&upload)
        .unwrap();
    let upload = s(&upload).to_owned();
    let p = Profile::RobustV3;
    let up = p.upload_hashes(&luma(&upload));
    let registered = p.submission_parts(&luma(&originals[1]));
    let hashes: Vec<_> = registered.iter().map(|&(_, h)| h).collect();
    let nearest = Profile::distance(&up, &hashes);
    assert!(
        nearest > p.threshold(),
        "the first stage alone matches: {nearest}"
    );
    assert_eq!(p.match_distance(&luma(&upload), &registered), Some(nearest));

    let index = dir.path().join("v3.idx");
    let originals_dir = dir.path().join("originals");
    build_index(p, &originals_dir, &index);
    let (code, out, err) = quell(&["match", "--index", s(&index), "--images", &upload], b"");
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, format!("{upload} 1 {nearest}\n"));
}

/// `quell sync --once` of `registry` into `data`.
fn sync_once(registry: &crate::member::Registry, data: &Path) {
    let mut args = vec!["sync".to_owned(), "--once".into()];
    args.extend(registry.registry_args());
    args.extend(["--data".into(), s(data).to_owned()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, _, err) = quell(&args, b"");
    assert_eq!(code, 0, "{err}");
}

/// Opens a case of `photo` at a new registry with `quell case open` and `args` (before the
/// folder); the registry, and what the command said on stderr.
fn open_case_of(dir: &Path, photo: &str, args: &[&str]) -> (crate::member::Registry, String) {
    let case_dir = dir.join("case");
    std::fs::create_dir(&case_dir).unwrap();
    std::fs::copy(photo, case_dir.join("photo.jpg")).unwrap();
    let registry = crate::member::Registry::start();
    let url = registry.registry_args()[1].clone();
    let mut all = vec!["case", "open", "--registry", &url];
    all.extend(args);
    all.push(s(&case_dir));
    let (code, _, err) = quell(&all, b"");
    assert_eq!(code, 0, "{err}");
    (registry, err)
}

/// `quell scan --index DATA PATH`: its JSON lines.
fn scan(data: &Path, path: &Path) -> Vec<serde_json::Value> {
    let (code, out, err) = quell(&["scan", "--index", s(data), s(path)], b"");
    assert_eq!(code, 0, "{err}");
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The whole path of a profile: the affected person's CLI makes the default profile's hashes
/// of a photo (no flag needed), the registry keeps each under its part, a member syncs them, and the member's scan
/// hashes a screenshotted copy the way the profile hashes an upload and finds it; plain PDQ
/// does not, an unrelated photo is not found, and a withdrawal takes the filed hashes away.
#[test]
fn a_case_opened_under_the_robust_profile_is_found_in_a_screenshot_at_a_member() {
    let dir = tempfile::tempdir().unwrap();
    let (originals, uploads) = corpus(dir.path());
    let case_file = dir.path().join("case.txt");
    let (registry, err) = open_case_of(dir.path(), &originals[2], &["--save", s(&case_file)]);
    assert!(
        err.contains("crops, trims and cuts (pdq-robust-v6)"),
        "{err}"
    );

    let (code, out, err) = quell(&["case", "status", "--case-file", s(&case_file)], b"");
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("(1 PDQ, 0 vPDQ, 1 MD5, 1 SHA-256, and "),
        "{out}"
    );
    assert!(
        out.contains(" of the photos' crops, trims and cuts)"),
        "{out}"
    );

    let data = dir.path().join("member");
    sync_once(&registry, &data);
    let lines = crate::member::snapshot_entries(&data);
    let filed: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains(" pdq-robust-v6/"))
        .collect();
    // The profile's hashes of the photo at quality 50 or more, and the plain three.
    let luma = quell_robust::LumaImage::from_rgb(&image::open(&originals[2]).unwrap().to_rgb8());
    let entries = quell_robust::Profile::RobustV6.submission_entries(&luma);
    let kept: std::collections::BTreeSet<String> = entries
        .iter()
        .filter(|(_, h)| h.quality.is_matchable())
        .map(|(part, h)| format!("{} {} pdq-robust-v6/{part}", h.hash, h.quality.get()))
        .collect();
    // `<id> pdq <hash> <quality> <filing> <registered ms> <media id>`: the hash, quality and
    // filing.
    let synced: std::collections::BTreeSet<String> = filed
        .iter()
        .map(|l| {
            let rest = l.split_once(" pdq ").unwrap().1;
            rest.rsplitn(3, ' ').nth(2).unwrap().to_owned()
        })
        .collect();
    assert_eq!(synced, kept);
    assert_eq!(lines.len(), filed.len() + 3, "{lines:?}");
    // One photo, one media id: its plain hashes and every filed one.
    let media: std::collections::BTreeSet<&str> = lines
        .iter()
        .map(|l| l.rsplit_once(' ').unwrap().1)
        .collect();
    assert_eq!(media.len(), 1, "{media:?}");
    assert!(media.first().unwrap().starts_with("md_"), "{media:?}");

    let screenshot = Path::new(&uploads[2]);
    let plain_distance = {
        let (_, out, _) = quell(&["hash", s(screenshot), &originals[2]], b"");
        let h: Vec<quell_hash::Pdq> = out
            .lines()
            .map(|l| l.split_whitespace().next().unwrap().parse().unwrap())
            .collect();
        h[0].distance(&h[1]).get()
    };
    assert!(
        plain_distance > 31,
        "plain PDQ would find this copy: {plain_distance}"
    );
    let hits = scan(&data, screenshot);
    assert!(!hits.is_empty(), "the screenshot is not found");
    for hit in &hits {
        assert_eq!(hit["profile"], "pdq-robust-v6", "{hit}");
        assert!(hit["distance"].as_u64().unwrap() <= 44, "{hit}");
    }
    assert_eq!(
        scan(&data, Path::new(&originals[0])),
        Vec::<serde_json::Value>::new()
    );

    // A member that takes plain hashes only (`--profiles none`) drops the filed ones it holds,
    // and does not find the screenshot; taking the profile again reads the list once more.
    let mut args = vec!["sync".to_owned(), "--once".into()];
    args.extend(registry.registry_args());
    args.extend(["--data".into(), s(&data).to_owned()]);
    let plain_only: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .chain(["--profiles", "none"])
        .collect();
    let (code, _, err) = quell(&plain_only, b"");
    assert_eq!(code, 0, "{err}");
    let held = crate::member::snapshot_entries(&data);
    assert_eq!(held.len(), 3, "{held:?}");
    assert!(scan(&data, screenshot).is_empty());
    sync_once(&registry, &data);
    assert_eq!(crate::member::snapshot_entries(&data), lines);
    assert_eq!(scan(&data, screenshot), hits);
    let unknown: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .chain(["--profiles", "pdq-robust-v4"])
        .collect();
    let (code, _, err) = quell(&unknown, b"");
    assert_ne!(code, 0);
    assert!(err.contains("\"pdq-robust-v4\" is not a profile"), "{err}");

    // Over HTTP, at the registry and at a member's matcher alike: the screenshot's v6 upload
    // searches (`profile`, `upload`) find the entries the scan found, and plain ones do not.
    let matcher_dir = dir.path().join("matcher");
    let matcher = crate::member::start_matcher(
        &registry.server.url(),
        &registry.key_file,
        &matcher_dir,
        &[],
    );
    let shot = quell_robust::LumaImage::from_rgb(&image::open(screenshot).unwrap().to_rgb8());
    let searches: Vec<serde_json::Value> = quell_robust::Profile::RobustV6
        .upload_queries(&shot)
        .iter()
        .map(|q| {
            serde_json::json!({ "type": "pdq", "value": q.hash.to_string(),
                                "profile": "pdq-robust-v6", "upload": q.kind.name() })
        })
        .collect();
    let query = serde_json::json!({ "hashes": searches });
    let (status, want) =
        crate::util::post_match(&registry.server.addr, Some(&registry.key()), &query);
    assert_eq!(status, 200, "{want}");
    // Each hit names the part its entry is filed under, as the scan does.
    let entry_and_part = |m: &serde_json::Value| {
        (
            m["entry_id"].to_string(),
            m["profile"].to_string(),
            m["part"].to_string(),
        )
    };
    let found: std::collections::BTreeSet<_> = want["results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["matches"].as_array().unwrap().clone())
        .map(|m| entry_and_part(&m))
        .collect();
    let scanned: std::collections::BTreeSet<_> = hits.iter().map(entry_and_part).collect();
    assert_eq!(found, scanned);
    crate::member::wait_for("the case on the matcher", 10, || {
        crate::util::post_match(&matcher.addr, Some(crate::member::MATCHER_KEY), &query).1 == want
    });

    // `quell hash --json` prints those searches, ready for `POST /v1/match`; kept as a stored
    // hash file, they find the same entries in a retroactive scan as the media itself.
    let (code, hashed, err) = quell(&["hash", "--json", s(screenshot)], b"");
    assert_eq!(code, 0, "{err}");
    let line: serde_json::Value = serde_json::from_str(hashed.lines().next().unwrap()).unwrap();
    assert_eq!(line["queries"], query["hashes"]);
    let stored_file = dir.path().join("stored.jsonl");
    std::fs::write(&stored_file, &hashed).unwrap();
    let from_file: std::collections::BTreeSet<_> = scan(&data, &stored_file)
        .iter()
        .map(entry_and_part)
        .collect();
    assert_eq!(from_file, scanned);

    // The member can send the upload itself to its matcher instead: the same entries and
    // parts, computed there under the default profile, in one call.
    let key = Some(crate::member::MATCHER_KEY);
    let file_verdict = |path: &Path| {
        let (status, verdict) = crate::util::post_bytes(
            &matcher.addr,
            "/v1/match/file",
            key,
            "application/octet-stream",
            &std::fs::read(path).unwrap(),
        );
        assert_eq!(status, 200, "{verdict}");
        assert_eq!(verdict["media"], "image", "{verdict}");
        verdict["matches"].as_array().unwrap().clone()
    };
    let by_file = file_verdict(screenshot);
    assert!(by_file.iter().all(|m| m["type"] == "pdq"), "{by_file:?}");
    let by_file_parts: std::collections::BTreeSet<_> = by_file.iter().map(entry_and_part).collect();
    assert_eq!(by_file_parts, scanned);
    // The original: its plain hash and digests as well as its filed ones, each entry once.
    let own_file = file_verdict(Path::new(&originals[2]));
    for kind in ["md5", "sha256"] {
        assert!(own_file.iter().any(|m| m["type"] == kind), "{own_file:?}");
    }
    assert!(
        own_file
            .iter()
            .any(|m| m["type"] == "pdq" && m.get("part").is_none())
    );
    assert!(own_file.iter().any(|m| m.get("part").is_some()));
    let ids: Vec<_> = own_file.iter().map(|m| m["entry_id"].clone()).collect();
    let unique: std::collections::BTreeSet<_> = ids.iter().map(ToString::to_string).collect();
    assert_eq!(unique.len(), ids.len(), "{own_file:?}");
    // HMA's file lookup finds the same entries under its bank.
    let (body, content_type) = crate::util::multipart("photo", &std::fs::read(screenshot).unwrap());
    let (status, hma) =
        crate::util::post_bytes(&matcher.addr, "/m/lookup", key, &content_type, &body);
    assert_eq!(status, 200, "{hma}");
    let hma_ids: std::collections::BTreeSet<_> = hma["pdq"]["QUELL"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["entry_id"].to_string())
        .collect();
    let file_ids: std::collections::BTreeSet<_> =
        by_file.iter().map(|m| m["entry_id"].to_string()).collect();
    assert_eq!(hma_ids, file_ids);
    // A file read neither as an image nor a video is still compared by its digests, and
    // says so.
    let (status, other) = crate::util::post_bytes(
        &matcher.addr,
        "/v1/match/file",
        key,
        "image/jpeg",
        b"%PDF-1.7 not a photo",
    );
    assert_eq!(status, 200, "{other}");
    assert_eq!(other["media"], "other", "{other}");
    assert_eq!(other["matches"], serde_json::json!([]), "{other}");
    assert!(
        other["unread"].as_str().unwrap().contains("not an image"),
        "{other}"
    );
    let (status, refused) =
        crate::util::post_bytes(&matcher.addr, "/v1/match/file", key, "image/jpeg", b"");
    assert_eq!(
        (status, &refused["error"]["code"]),
        (400, &serde_json::json!("invalid_media"))
    );
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("empty"),
        "{refused}"
    );
    let (body, content_type) = crate::util::multipart("photo", b"");
    let (status, refused) =
        crate::util::post_bytes(&matcher.addr, "/m/lookup", key, &content_type, &body);
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused["message"].as_str().unwrap().contains("empty"),
        "{refused}"
    );
    // Uploads past the JSON routes' 1 MiB limit are read (a noise PNG), up to 100 MiB.
    let mut noise = image::RgbImage::new(1000, 1000);
    let mut x = 0x2545_f491_u32;
    for p in noise.pixels_mut() {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let [a, b, c, _] = x.to_le_bytes();
        *p = image::Rgb([a, b, c]);
    }
    let mut png = Vec::new();
    noise
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    assert!(png.len() > 2 << 20, "{}", png.len());
    let (status, big) =
        crate::util::post_bytes(&matcher.addr, "/v1/match/file", key, "image/png", &png);
    assert_eq!(
        (status, &big["media"]),
        (200, &serde_json::json!("image")),
        "{big}"
    );
    let (body, content_type) = crate::util::multipart("photo", &png);
    let (status, big) =
        crate::util::post_bytes(&matcher.addr, "/m/lookup", key, &content_type, &body);
    assert_eq!(status, 200, "{big}");
    let too_big = vec![0u8; quell_server::MAX_UPLOAD_BYTES + 1];
    let (status, refused) =
        crate::util::post_bytes(&matcher.addr, "/v1/match/file", key, "image/png", &too_big);
    assert_eq!(
        (status, &refused["error"]["code"]),
        (413, &serde_json::json!("body_too_large")),
        "{refused}"
    );
    assert_eq!(
        crate::util::post_bytes(&matcher.addr, "/v1/match/file", None, "image/jpeg", b"x").0,
        401
    );
    let plain = serde_json::json!({ "hashes": [{ "type": "pdq",
                                                 "value": searches[0]["value"] }] });
    let (_, none) = crate::util::post_match(&registry.server.addr, Some(&registry.key()), &plain);
    assert_eq!(none, serde_json::json!({ "results": [{ "matches": [] }] }));
    // The original itself is found by its plain hash and digests too.
    let own = scan(&data, Path::new(&originals[2]));
    assert!(own.iter().any(|h| h["type"] == "md5"), "{own:?}");
    assert!(
        own.iter()
            .any(|h| h["type"] == "pdq" && h.get("profile").is_none()),
        "{own:?}"
    );

    let (code, _, err) = quell(
        &["case", "withdraw", "--case-file", s(&case_file), "--yes"],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    sync_once(&registry, &data);
    assert_eq!(crate::member::snapshot_entries(&data), Vec::<String>::new());
    assert_eq!(scan(&data, screenshot), Vec::<serde_json::Value>::new());
}

/// A photo registered while `pdq-robust-v5` was the default stays found after v6 became it:
/// the member holds both profiles' hashes by default, and v6's upload searches, in the scan
/// and over HTTP at the registry, find the v5 entries, each reported under its own profile
/// and part.
#[test]
fn a_case_registered_under_the_previous_default_is_found_by_the_default_profile() {
    let dir = tempfile::tempdir().unwrap();
    let (originals, uploads) = corpus(dir.path());
    let (registry, err) = open_case_of(dir.path(), &originals[2], &["--profile", "pdq-robust-v5"]);
    assert!(
        err.contains("crops, trims and cuts (pdq-robust-v5)"),
        "{err}"
    );

    let data = dir.path().join("member");
    sync_once(&registry, &data);
    let held = crate::member::snapshot_entries(&data);
    assert!(
        held.iter().any(|l| l.contains(" pdq-robust-v5/")),
        "{held:?}"
    );
    let screenshot = Path::new(&uploads[2]);
    let hits = scan(&data, screenshot);
    assert!(!hits.is_empty(), "the screenshot is not found");
    for hit in &hits {
        assert_eq!(hit["profile"], "pdq-robust-v5", "{hit}");
    }
    let entry_and_part = |m: &serde_json::Value| {
        (
            m["entry_id"].to_string(),
            m["profile"].to_string(),
            m["part"].to_string(),
        )
    };
    let scanned: std::collections::BTreeSet<_> = hits.iter().map(entry_and_part).collect();

    // At the registry, over HTTP: the default profile's searches as `quell hash --json`
    // prints them (`"profile": "pdq-robust-v6"`).
    let (code, hashed, err) = quell(&["hash", "--json", s(screenshot)], b"");
    assert_eq!(code, 0, "{err}");
    let line: serde_json::Value = serde_json::from_str(hashed.lines().next().unwrap()).unwrap();
    assert!(
        line["queries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|q| q["profile"] == "pdq-robust-v6"),
        "{line}"
    );
    let query = serde_json::json!({ "hashes": line["queries"] });
    let (status, answer) =
        crate::util::post_match(&registry.server.addr, Some(&registry.key()), &query);
    assert_eq!(status, 200, "{answer}");
    let found: std::collections::BTreeSet<_> = answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["matches"].as_array().unwrap().clone())
        .map(|m| entry_and_part(&m))
        .collect();
    assert_eq!(found, scanned);
}
