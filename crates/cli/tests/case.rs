//! `quell case` through the real binary against a real registry (`quell serve`): open from a
//! folder of vector images, a generated video and other files; the registry holds exactly the
//! hashes `quell hash` computes; status, withdraw and the members' sync; the saved codes file;
//! wrong secrets; plain errors. A recording proxy in front of the registry keeps every byte the
//! CLI sends, and no run of file bytes may be among them.

use std::collections::{BTreeSet, HashSet};
use std::io::{Read as _, Write as _};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use quell_hash::{Md5, Sha256};
use serde_json::Value;

use crate::member::{Registry, snapshot_entries};
use crate::util::{pdq_vectors, quell};

/// Runs `quell ARGS` with extra environment and `stdin`; returns (exit code, stdout, stderr).
fn quell_env(args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_quell"))
        .args(args)
        .env_remove("QUELL_CASE_SECRET")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// A TCP proxy in front of the registry that keeps every byte clients send through it.
struct RecordingProxy {
    addr: String,
    sent: Arc<Mutex<Vec<u8>>>,
}

impl RecordingProxy {
    fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let sent = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&sent);
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(mut client) = client else { break };
                let record = Arc::clone(&record);
                let mut server = TcpStream::connect(&upstream).unwrap();
                std::thread::spawn(move || {
                    let mut from_server = server.try_clone().unwrap();
                    let mut to_client = client.try_clone().unwrap();
                    let back = std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from_server, &mut to_client);
                        let _ = to_client.shutdown(Shutdown::Write);
                    });
                    let mut buf = [0u8; 8192];
                    while let Ok(n @ 1..) = client.read(&mut buf) {
                        record.lock().unwrap().extend_from_slice(&buf[..n]);
                        if server.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = server.shutdown(Shutdown::Write);
                    let _ = back.join();
                });
            }
        });
        Self { addr, sent }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn sent(&self) -> Vec<u8> {
        self.sent.lock().unwrap().clone()
    }
}

/// Whether the bytes whose 32-byte windows are `windows` hold any run of 48 or more bytes of
/// `file` (they then hold an aligned 32-byte chunk of it).
fn contains_run_of(windows: &HashSet<&[u8]>, file: &[u8]) -> bool {
    (0..file.len().saturating_sub(31))
        .step_by(16)
        .any(|i| windows.contains(&file[i..i + 32]))
}

/// The JSON bodies of the `POST /v1/cases` requests in a recorded byte stream.
fn case_bodies(sent: &[u8]) -> Vec<Value> {
    let text = String::from_utf8_lossy(sent);
    let mut bodies = Vec::new();
    for (start, _) in text.match_indices("POST /v1/cases HTTP/1.1\r\n") {
        let rest = &text[start..];
        let (head, body) = rest.split_once("\r\n\r\n").unwrap();
        let len: usize = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().parse().unwrap())
            })
            .expect("a Content-Length");
        bodies.push(serde_json::from_str(&body[..len]).unwrap());
    }
    bodies
}

/// A small video made by FFmpeg's test source (MPEG-4 Part 2, which every FFmpeg build has).
fn generate_video(path: &Path) {
    let status = Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=duration=2:size=128x96:rate=10",
        ])
        .args(["-c:v", "mpeg4", "-pix_fmt", "yuv420p", "-y"])
        .arg(path)
        .status()
        .expect("ffmpeg is needed for this test (scripts/install-test-deps.sh)");
    assert!(status.success());
}

/// The person's folder: vector photos (two too plain for PDQ, one twice), a truncated photo, a
/// generated video, a text file, a hidden file (skipped) and a subfolder.
fn media_folder(root: &Path) -> PathBuf {
    let dir = root.join("media");
    std::fs::create_dir_all(dir.join("more")).unwrap();
    let v = pdq_vectors();
    for (from, to) in [
        ("images/misc-images/c.png", "c.png"),
        ("images/misc-images/small.jpg", "small.jpg"),
        (
            "decoded/reg-test-input__labelme-subset__q0003.png",
            "more/plain.png",
        ),
        (
            "images/reg-test-input/labelme-subset/q0746.jpg",
            "more/q0746.jpg",
        ),
        (
            "images/reg-test-input/labelme-subset/q0746.jpg",
            "copy-of-q0746.jpg",
        ),
        ("images/misc-images/c.png", ".hidden.png"),
    ] {
        std::fs::copy(v.join(from), dir.join(to)).unwrap();
    }
    let jpeg = std::fs::read(v.join("images/bridge-mods/square-128x128.jpg")).unwrap();
    std::fs::write(dir.join("truncated.jpg"), &jpeg[..jpeg.len() / 2]).unwrap();
    generate_video(&dir.join("more/clip.mp4"));
    std::fs::write(
        dir.join("notes.txt"),
        "not a photo, but exact copies count too\n",
    )
    .unwrap();
    dir
}

/// What the case must hold, from `quell hash --json` (images; videos with their vPDQ) and the digests of the
/// files it does not hash: `type hex` lines.
fn expected_hashes(dir: &Path) -> BTreeSet<String> {
    let (_, out, err) = quell(&["hash", "--json", dir.to_str().unwrap()], b"");
    let mut want = BTreeSet::new();
    let mut hashed = BTreeSet::new();
    for line in out.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let path = v["path"].as_str().unwrap();
        let hidden = Path::new(path)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with('.');
        if hidden || v.get("error").is_some() {
            continue;
        }
        hashed.insert(PathBuf::from(path));
        if let Some(pdq) = v["pdq"].as_str()
            && v["quality"].as_u64().unwrap() >= 50
        {
            want.insert(format!("pdq {pdq}"));
        }
        // A video's vPDQ as `quell hash --json` prints it: pytx's list of frame strings,
        // which the registry keeps in its compact form.
        if let Some(frames) = v.get("vpdq") {
            want.insert(format!("vpdq {}", serde_json::to_string(frames).unwrap()));
        }
        want.insert(format!("md5 {}", v["md5"].as_str().unwrap()));
        want.insert(format!("sha256 {}", v["sha256"].as_str().unwrap()));
    }
    assert!(
        hashed.iter().any(|p| p.ends_with("clip.mp4")),
        "quell hash did not hash the video: {err}"
    );
    for name in ["truncated.jpg", "notes.txt"] {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        want.insert(format!("md5 {}", Md5::of(&bytes)));
        want.insert(format!("sha256 {}", Sha256::of(&bytes)));
    }
    want
}

fn field<'a>(text: &'a str, name: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.strip_prefix(name))
        .unwrap_or_else(|| panic!("no {name:?} line in {text}"))
        .trim()
}

/// `quell sync --once` into `data`; the snapshot's entries as `type hex` lines.
fn member_sync(registry: &Registry, data: &Path) -> BTreeSet<String> {
    let mut args = vec!["sync".to_owned(), "--once".into()];
    args.extend(registry.registry_args());
    args.extend(["--data".into(), data.display().to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, _, err) = quell(&args, b"");
    assert_eq!(code, 0, "{err}");
    snapshot_entries(data)
        .iter()
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            format!("{} {}", f[1], f[2])
        })
        .collect()
}

#[test]
fn open_status_and_withdraw_send_only_the_hashes_quell_hash_computes() {
    let registry = Registry::start();
    let proxy = RecordingProxy::start(registry.server.addr.clone());
    let tmp = tempfile::tempdir().unwrap();
    let media = media_folder(tmp.path());
    let want = expected_hashes(&media);
    let codes = tmp.path().join("case.txt");

    // Plain PDQ, to compare with `quell hash`; the default profile's extra hashes are
    // checked in robust.rs.
    let (code, out, err) = quell(
        &[
            "case",
            "open",
            "--registry",
            &proxy.url(),
            "--profile",
            "pdq-plain-v1",
            "--save",
            codes.to_str().unwrap(),
            media.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    // 8 files (the hidden one skipped): 2 photos, 2 too plain, 1 unreadable as a photo, 1 copy.
    assert!(err.contains("for 8 files:"), "{err}");
    assert!(err.contains("3 photos: PDQ, MD5 and SHA-256"), "{err}");
    assert!(err.contains("2 photos too plain or too small"), "{err}");
    assert!(err.contains("1 photo this tool cannot read"), "{err}");
    assert!(err.contains("1 video: vPDQ, MD5 and SHA-256"), "{err}");
    assert!(want.iter().any(|h| h.starts_with("vpdq ")), "{want:?}");
    assert!(err.contains("1 other file"), "{err}");
    assert!(
        err.contains(&format!("{} fingerprints (2 PDQ", want.len())),
        "{err}"
    );
    assert!(out.contains("cannot be recovered"), "{out}");
    assert!(
        out.contains(&format!(
            "Your case is open, for 2 photos, 1 video and 4 other files: {} fingerprints were \
             registered",
            want.len()
        )),
        "{out}"
    );
    let case_id = field(&out, "Case number:").to_owned();
    let secret = field(&out, "Secret:").to_owned();
    assert!(case_id.starts_with("c_"), "{out}");

    // The codes file: only the owner may read it; it has the page's lines and the registry.
    let saved = std::fs::read_to_string(&codes).unwrap();
    assert_eq!(field(&saved, "Case number:"), case_id);
    assert_eq!(field(&saved, "Secret:"), secret);
    assert_eq!(field(&saved, "Registry:"), proxy.url());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&codes).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
    }
    // It is never overwritten, and then nothing is sent.
    let before = proxy.sent().len();
    let (code, _, err) = quell(
        &[
            "case",
            "open",
            "--registry",
            &proxy.url(),
            "--save",
            codes.to_str().unwrap(),
            media.to_str().unwrap(),
        ],
        b"",
    );
    assert_ne!(code, 0);
    assert!(
        err.contains("already exists and is not overwritten"),
        "{err}"
    );
    assert_eq!(proxy.sent().len(), before, "a request was sent");
    assert_eq!(std::fs::read_to_string(&codes).unwrap(), saved);

    // The request carried the hashes and nothing else: no run of any file's bytes.
    let sent = proxy.sent();
    let bodies = case_bodies(&sent);
    assert_eq!(bodies.len(), 1);
    let body = &bodies[0];
    assert_eq!(
        body.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["hashes"]
    );
    let in_body: BTreeSet<String> = body["hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            format!(
                "{} {}",
                h["type"].as_str().unwrap(),
                h["value"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        in_body.len(),
        body["hashes"].as_array().unwrap().len(),
        "duplicates sent"
    );
    assert_eq!(in_body, want);
    // Each hash names its file, numbered from 0: 7 files (the copy's hashes were all sent
    // with the file they copy).
    let files: BTreeSet<u64> = body["hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["file"].as_u64().expect("every hash names its file"))
        .collect();
    assert_eq!(files.len(), 7, "{files:?}");
    let windows: HashSet<&[u8]> = sent.windows(32).collect();
    for entry in walk(&media) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !contains_run_of(&windows, &bytes),
            "bytes of {} were sent",
            entry.display()
        );
    }
    // The golden PDQ of the one lossless vector is among them.
    assert!(want.contains("pdq e64cc9d91c623882f8d1f1d9a398e78c9f199b3bd83924f2b7e11e0bf861b064"));

    // A member's sync receives exactly these hashes.
    let member = tmp.path().join("member");
    assert_eq!(member_sync(&registry, &member), want);

    // Status from the codes file: the registry's counts.
    let codes_arg = codes.to_str().unwrap();
    let (code, out, err) = quell(&["case", "status", "--case-file", codes_arg, "--json"], b"");
    assert_eq!(code, 0, "{err}");
    let status: Value = serde_json::from_str(&out).unwrap();
    let count = |t: &str| {
        want.iter()
            .filter(|h| h.starts_with(&format!("{t} ")))
            .count() as u64
    };
    assert_eq!(status["hashes"]["pdq"], count("pdq"));
    assert_eq!(status["hashes"]["md5"], count("md5"));
    assert_eq!(status["hashes"]["sha256"], count("sha256"));
    assert_eq!(count("pdq"), 2);
    assert_eq!(count("md5"), 7, "8 files, one a copy");
    // In the person's terms: two photos with a PDQ, the video, and four files known by their
    // digests (two too plain, one unreadable as a photo, one other).
    assert_eq!(
        status["media"],
        serde_json::json!({ "photos": 2, "videos": 1, "other": 4 })
    );
    // Plain status, with the secret from the environment and the id as a flag.
    let reg = registry.server.url();
    let (code, out, err) = quell_env(
        &["case", "status", "--registry", &reg, "--case-id", &case_id],
        &[("QUELL_CASE_SECRET", &secret)],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&format!("Case {case_id} is open since")),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "for 2 photos, 1 video and 4 other files: {} fingerprints",
            want.len()
        )),
        "{out}"
    );
    assert!(
        out.contains("No platform has reported finding a copy yet"),
        "{out}"
    );

    // A wrong secret and an unknown case get the same answer.
    let wrong = quell_env(
        &["case", "status", "--registry", &reg, "--case-id", &case_id],
        &[("QUELL_CASE_SECRET", "s_not-the-secret")],
        b"",
    );
    let unknown = quell_env(
        &[
            "case",
            "status",
            "--registry",
            &reg,
            "--case-id",
            "c_0123456789abcdef",
        ],
        &[("QUELL_CASE_SECRET", &secret)],
        b"",
    );
    assert_ne!(wrong.0, 0);
    assert!(wrong.2.contains("do not match"), "{}", wrong.2);
    assert_eq!(wrong, unknown);
    // A secret file works like the environment variable; no secret at all is a plain error.
    let secret_file = tmp.path().join("secret");
    std::fs::write(&secret_file, format!("{secret}\n")).unwrap();
    let (code, _, err) = quell(
        &[
            "case",
            "status",
            "--registry",
            &reg,
            "--case-id",
            &case_id,
            "--secret-file",
            secret_file.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = quell_env(
        &["case", "status", "--registry", &reg, "--case-id", &case_id],
        &[],
        b"",
    );
    assert_ne!(code, 0);
    assert!(err.contains("QUELL_CASE_SECRET"), "{err}");

    // Withdraw asks first: anything but yes changes nothing.
    let (code, _, err) = quell(&["case", "withdraw", "--case-file", codes_arg], b"no\n");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("Type yes to withdraw"), "{err}");
    assert!(err.contains("Nothing was changed"), "{err}");
    assert_eq!(member_sync(&registry, &member), want);
    let (code, out, err) = quell(&["case", "withdraw", "--case-file", codes_arg], b"yes\n");
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&format!("{} fingerprints", want.len())),
        "{out}"
    );
    // The member's next sync applies the tombstones: nothing is left.
    assert_eq!(member_sync(&registry, &member), BTreeSet::new());
    let (code, out, _) = quell(&["case", "status", "--case-file", codes_arg], b"");
    assert_eq!(code, 0);
    assert!(out.contains("was withdrawn on"), "{out}");
    let (code, out, _) = quell(
        &["case", "withdraw", "--yes", "--case-file", codes_arg],
        b"",
    );
    assert_eq!(code, 0);
    assert!(out.contains("already withdrawn"), "{out}");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn open_explains_unreachable_registries_unreadable_files_and_empty_folders() {
    let tmp = tempfile::tempdir().unwrap();
    let photo = pdq_vectors().join("images/misc-images/c.png");
    let photo = photo.to_str().unwrap();
    // A port nobody listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let nowhere = format!("http://127.0.0.1:{port}");
    // `quell case open` at that address, with `args` after it.
    let open = |args: &[&str]| {
        let mut all = vec!["case", "open", "--registry", nowhere.as_str()];
        all.extend_from_slice(args);
        quell(&all, b"")
    };
    let save = tmp.path().join("codes.txt");
    let (code, _, err) = open(&["--save", save.to_str().unwrap(), photo]);
    assert_ne!(code, 0);
    assert!(
        err.contains(&format!("the registry at {nowhere} could not be reached")),
        "{err}"
    );
    assert!(
        !save.exists(),
        "the codes file of a case that was not opened is removed"
    );

    let missing = tmp.path().join("no-such-file.jpg");
    let (code, _, err) = open(&[photo, missing.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.contains(&format!("{}: cannot read", missing.display())),
        "{err}"
    );
    assert!(err.contains("nothing was sent"), "{err}");

    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    std::fs::write(empty.join(".DS_Store"), b"hidden").unwrap();
    let (code, _, err) = open(&[empty.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(err.contains("no files to fingerprint"), "{err}");

    // --dry-run shows the counts and sends nothing (the registry is unreachable anyway): by
    // default with the default profile's extra hashes, which `pdq-plain-v1` leaves out.
    let (code, _, err) = open(&["--dry-run", photo]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(
            "of the PDQ fingerprints are of the photos' crops, trims and cuts (pdq-robust-v6)"
        ),
        "{err}"
    );
    let (code, _, err) = open(&["--dry-run", "--profile", "pdq-plain-v1", photo]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("3 fingerprints (1 PDQ, 1 MD5, 1 SHA-256) would be sent"),
        "{err}"
    );
    assert!(!err.contains("crops, trims and cuts"), "{err}");
    let (code, _, err) = open(&["--dry-run", "--profile", "pdq-robust-v4", photo]);
    assert_ne!(code, 0);
    assert!(err.contains("not pdq-robust-v4"), "{err}");

    // A case file that is not one, and a malformed case id, are refused before any request.
    let (code, _, err) = quell(&["case", "status", "--case-file", photo], b"");
    assert_ne!(code, 0);
    assert!(
        err.contains("is not a case file") || err.contains("cannot read the case file"),
        "{err}"
    );
    let (code, _, err) = quell_env(
        &[
            "case",
            "status",
            "--registry",
            &nowhere,
            "--case-id",
            "../admin",
        ],
        &[("QUELL_CASE_SECRET", "s_x")],
        b"",
    );
    assert_ne!(code, 0);
    assert!(err.contains("is not a case number"), "{err}");

    // More than a case can hold is refused before sending: 501 files make 1002 digests.
    let many = tmp.path().join("many");
    std::fs::create_dir(&many).unwrap();
    for i in 0..501 {
        std::fs::write(many.join(format!("{i}.txt")), format!("file {i}")).unwrap();
    }
    let (code, _, err) = open(&[many.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(
        err.contains("at most 1000 fingerprints and these files make 1002"),
        "{err}"
    );
    assert!(
        !err.contains("could not be reached"),
        "a request was tried: {err}"
    );
}

#[test]
fn the_registrys_own_errors_are_shown() {
    let registry = Registry::start();
    let reg = registry.server.url();
    // Well-formed for the CLI, refused by the registry (case ids are c_ and 16 hex digits).
    let (code, _, err) = quell_env(
        &["case", "status", "--registry", &reg, "--case-id", "c_zz"],
        &[("QUELL_CASE_SECRET", "s_x")],
        b"",
    );
    assert_ne!(code, 0);
    assert!(err.contains("the registry refused: "), "{err}");
    assert!(err.contains("(400 invalid_case_id)"), "{err}");
}
