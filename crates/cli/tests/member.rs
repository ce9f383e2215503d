//! The member side through the real binary: a registry (`quell serve`) and a member-side
//! matcher (`quell serve --matcher`) or `quell sync` as separate processes on loopback.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::util::{Proc, http, pdq_vectors, post_match, quell, try_http_text};

/// A registry on SQLite in a temp dir, with one member key (all member scopes).
pub(crate) struct Registry {
    pub(crate) server: Proc,
    data: tempfile::TempDir,
    pub(crate) key_file: PathBuf,
}

impl Registry {
    pub(crate) fn start() -> Self {
        Self::start_with(|_| {})
    }

    /// `prepare` runs on the data dir arguments before the server starts (e.g. an import).
    fn start_with(prepare: impl FnOnce(&[&str])) -> Self {
        Self::start_serving(prepare, &[])
    }

    /// As [`Registry::start_with`], with more `quell serve` arguments.
    fn start_serving(prepare: impl FnOnce(&[&str]), serve: &[&str]) -> Self {
        let data = tempfile::tempdir().unwrap();
        let db = data.path().join("registry");
        let db_args = ["--data-dir", db.to_str().unwrap()];
        let (code, key, err) = quell(
            &[
                "member",
                "add",
                "acme",
                "--scopes",
                "sync,match,outcomes",
                db_args[0],
                db_args[1],
            ],
            b"",
        );
        assert_eq!(code, 0, "{err}");
        let key_file = data.path().join("api-key");
        std::fs::write(&key_file, key.trim()).unwrap();
        prepare(&db_args);
        let mut args = db_args.to_vec();
        args.extend_from_slice(serve);
        let server = Proc::start(&args, &[]);
        Self {
            server,
            data,
            key_file,
        }
    }

    fn open_case(&self, hashes: Value) -> (String, String) {
        let (status, resp) = http(
            &self.server.addr,
            "POST",
            "/v1/cases",
            None,
            Some(&json!({ "hashes": hashes })),
        );
        assert_eq!(status, 201, "{resp}");
        (
            resp["case_id"].as_str().unwrap().to_owned(),
            resp["secret"].as_str().unwrap().to_owned(),
        )
    }

    /// The case's status, as its holder sees it.
    fn case_status(&self, case: &str, secret: &str) -> Value {
        let (status, body) = http(
            &self.server.addr,
            "GET",
            &format!("/v1/cases/{case}"),
            Some(secret),
            None,
        );
        assert_eq!(status, 200, "{body}");
        body
    }

    fn withdraw(&self, case: &str, secret: &str) {
        let (status, resp) = http(
            &self.server.addr,
            "POST",
            &format!("/v1/cases/{case}/withdraw"),
            Some(secret),
            None,
        );
        assert_eq!(status, 200, "{resp}");
    }

    pub(crate) fn key(&self) -> String {
        std::fs::read_to_string(&self.key_file).unwrap()
    }

    pub(crate) fn registry_args(&self) -> Vec<String> {
        vec![
            "--registry".into(),
            self.server.url(),
            "--api-key-file".into(),
            self.key_file.display().to_string(),
        ]
    }
}

pub(crate) const MATCHER_KEY: &str = "local-matcher-key-0123456789";

pub(crate) fn start_matcher(
    registry_url: &str,
    key_file: &Path,
    data: &Path,
    extra: &[&str],
) -> Proc {
    let mut args = vec![
        "--matcher",
        "--registry",
        registry_url,
        "--api-key-file",
        key_file.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--sync-interval",
        "0.1",
    ];
    args.extend_from_slice(extra);
    Proc::start(&args, &[("QUELL_MATCHER_KEY", MATCHER_KEY)])
}

/// `quell scan --index DATA PATH`, which must succeed: its JSON lines.
fn scan(data: &Path, path: &Path) -> Vec<Value> {
    let (code, out, err) = quell(
        &[
            "scan",
            "--index",
            data.to_str().unwrap(),
            path.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect()
}

/// Polls until `done` or the deadline; panics with `what` on timeout.
pub(crate) fn wait_for(what: &str, secs: u64, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done() {
        assert!(
            Instant::now() < deadline,
            "timed out after {secs} s waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn flip_bits(hex: &str, n: usize) -> String {
    let mut bytes: Vec<u8> = (0..32)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    for i in 0..n {
        bytes[i / 8] ^= 1 << (i % 8);
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn expected_pdq(file: &str) -> String {
    let text = std::fs::read_to_string(pdq_vectors().join("expected.tsv")).unwrap();
    text.lines()
        .find_map(|l| {
            l.strip_prefix(&format!("{file}\t"))
                .map(|rest| rest.split('\t').next().unwrap().to_owned())
        })
        .unwrap()
}

fn hamming(a: &str, b: &str) -> u32 {
    (0..32)
        .map(|i| {
            let x = u8::from_str_radix(&a[2 * i..2 * i + 2], 16).unwrap();
            let y = u8::from_str_radix(&b[2 * i..2 * i + 2], 16).unwrap();
            (x ^ y).count_ones()
        })
        .sum()
}

#[test]
fn serve_refuses_flags_of_the_other_mode_instead_of_ignoring_them() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    // The registry's database and rate limits mean nothing to a matcher. Without the check
    // these runs would fail later, and for another reason: no `--registry` is given.
    for registry_only in [
        ["--data-dir", data],
        ["--database-url", "postgres://127.0.0.1/test"],
        ["--case-open-limit", "5/h"],
        ["--auth-failure-limit", "off"],
        ["--client-ip-header", "x-forwarded-for"],
    ] {
        let mut args = vec!["serve", "--matcher", "--data", data];
        args.extend_from_slice(&registry_only);
        let (code, _, err) = quell(&args, b"");
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains("cannot be used with")
                && err.contains("'--matcher'")
                && err.contains(&format!("'{} ", registry_only[0])),
            "{args:?}: {err}"
        );
    }
    // And the other way round, as before.
    let (code, _, err) = quell(&["serve", "--data", data], b"");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("need --matcher"), "{err}");
}

#[test]
fn matcher_is_not_ready_before_its_first_sync_and_needs_its_key() {
    // A registry address nobody listens on: the first sync cannot complete.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("key");
    std::fs::write(&key_file, "qk_unused").unwrap();
    let matcher = start_matcher(&url, &key_file, &dir.path().join("data"), &[]);
    assert_eq!(http(&matcher.addr, "GET", "/healthz", None, None).0, 200);
    std::thread::sleep(Duration::from_millis(300));
    let (status, body) = http(&matcher.addr, "GET", "/readyz", None, None);
    assert_eq!(status, 503, "{body}");
    let req = json!({ "hashes": [{ "type": "md5", "value": "d41d8cd98f00b204e9800998ecf8427e" }] });
    assert_eq!(post_match(&matcher.addr, None, &req).0, 401);
    assert_eq!(
        post_match(&matcher.addr, Some("wrong-key-wrong-key"), &req).0,
        401
    );
    let (status, body) = post_match(&matcher.addr, Some(MATCHER_KEY), &req);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({ "results": [{ "matches": [] }] }));

    // Garbage gets the registry's clear errors, from the same validation.
    let bad = |req: Value| post_match(&matcher.addr, Some(MATCHER_KEY), &req);
    let (status, body) = bad(json!({ "hashes": [{ "type": "pdq", "value": "12zz" }] }));
    assert_eq!(
        (status, &body["error"]["code"]),
        (400, &json!("invalid_hash")),
        "{body}"
    );
    let (status, body) = bad(json!({ "hashes": [] }));
    assert_eq!(status, 400, "{body}");
    let (status, body) = bad(
        json!({ "hashes": [{ "type": "md5", "value": "d41d8cd98f00b204e9800998ecf8427e" }], "max_distance": 64 }),
    );
    assert_eq!(
        (status, &body["error"]["code"]),
        (400, &json!("invalid_max_distance")),
        "{body}"
    );
    let (status, body) =
        bad(json!({ "hashes": [{ "type": "md5", "value": "x".repeat((1 << 20) + 1024) }] }));
    assert_eq!(status, 413, "{body}");
}

#[test]
fn submissions_and_withdrawals_reach_the_matcher_which_answers_as_the_registry() {
    let registry = Registry::start();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("matcher");
    let matcher = start_matcher(&registry.server.url(), &registry.key_file, &data, &[]);
    wait_for("the first sync", 10, || {
        http(&matcher.addr, "GET", "/readyz", None, None).0 == 200
    });

    let orig = expected_pdq("images/bridge-mods/aaa-orig.jpg");
    let near = flip_bits(&orig, 5);
    let md5 = "0123456789abcdef0123456789abcdef";
    let (case, secret) = registry.open_case(json!([
        { "type": "pdq", "value": orig, "quality": 100 },
        { "type": "md5", "value": md5 },
    ]));
    let (case2, secret2) =
        registry.open_case(json!([{ "type": "pdq", "value": near, "quality": 90 }]));
    let query = json!({ "hashes": [
        { "type": "pdq", "value": flip_bits(&orig, 2) },
        { "type": "md5", "value": md5 },
        { "type": "pdq", "value": flip_bits(&orig, 2) },
    ], "max_distance": 10 });
    let (status, want) = post_match(&registry.server.addr, Some(&registry.key()), &query);
    assert_eq!(status, 200, "{want}");
    assert_eq!(
        want["results"][0]["matches"].as_array().unwrap().len(),
        2,
        "{want}"
    );
    let started = Instant::now();
    wait_for("the new cases on the matcher", 10, || {
        post_match(&matcher.addr, Some(MATCHER_KEY), &query).1 == want
    });
    eprintln!("submission reached the matcher in {:?}", started.elapsed());
    // Hits say when the person registered the entry, at the registry and the matcher alike,
    // and a matcher restarted from its snapshot still knows (nothing new to sync then).
    let status = registry.case_status(&case, &secret);
    assert_eq!(
        want["results"][1]["matches"][0]["registered_at"], status["opened_at"],
        "{want}"
    );
    drop(matcher);
    let matcher = start_matcher(&registry.server.url(), &registry.key_file, &data, &[]);
    wait_for("the restarted matcher's sync", 10, || {
        http(&matcher.addr, "GET", "/readyz", None, None).0 == 200
    });
    assert_eq!(post_match(&matcher.addr, Some(MATCHER_KEY), &query).1, want);

    // Retroactive scan of stored media against the synced copy: every vector image within
    // the match distance of the registered hash, at its distance, and nothing else.
    let images = pdq_vectors().join("images/bridge-mods");
    let mut got = scan(&data, &images);
    // Nearest first: the registered hash (2 bits away), then the near one (3 bits).
    let entry = want["results"][0]["matches"][0]["entry_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let entry2 = want["results"][0]["matches"][1]["entry_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(want["results"][0]["matches"][0]["distance"], 2, "{want}");
    assert_eq!(want["results"][0]["matches"][1]["distance"], 3, "{want}");
    // Each line names the registered file its entry was made from, as the matcher's hits do.
    let media = |i: usize| want["results"][0]["matches"][i]["media_id"].clone();
    assert!(media(0).as_str().unwrap().starts_with("md_"), "{want}");
    let mut want_lines = Vec::new();
    for name in std::fs::read_dir(&images)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
    {
        let pdq = expected_pdq(&format!("images/bridge-mods/{name}"));
        for (e, registered, m) in [(&entry, &orig, media(0)), (&entry2, &near, media(1))] {
            let d = hamming(&pdq, registered);
            if d <= 31 {
                want_lines.push(json!({ "path": images.join(&name).display().to_string(), "entry_id": e, "media_id": m, "type": "pdq", "distance": d }));
            }
        }
    }
    let key = |v: &Value| v.to_string();
    got.sort_by_key(key);
    want_lines.sort_by_key(key);
    assert!(
        want_lines.len() >= 4,
        "the vectors should give several matches"
    );
    assert_eq!(got, want_lines);
    // The same from a stored hash file, as `quell hash --json` writes it.
    let (_, hashed, _) = quell(&["hash", "--json", images.to_str().unwrap()], b"");
    let stored = dir.path().join("stored.jsonl");
    std::fs::write(&stored, hashed).unwrap();
    let mut got2 = scan(&data, &stored);
    got2.sort_by_key(key);
    assert_eq!(got2, want_lines);

    // An outcome reported with `quell outcome` shows on the case's status.
    let mut args = vec!["outcome".to_owned()];
    args.extend(registry.registry_args());
    args.extend([
        "--entry".into(),
        entry.clone(),
        "--outcome".into(),
        "blocked".into(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, err) = quell(&args, b"");
    assert_eq!((code, out.trim()), (0, "recorded 1"), "{err}");
    let status = registry.case_status(&case, &secret);
    assert_eq!(status["outcomes"][0]["outcome"], "blocked", "{status}");
    assert_eq!(status["outcomes"][0]["member"], "acme", "{status}");
    let mut bad = args.clone();
    let at = bad.len() - 3;
    bad[at] = "e_zz";
    let (code, _, err) = quell(&bad, b"");
    assert_ne!(code, 0);
    assert!(err.contains("invalid_entry_id"), "{err}");

    // Withdrawal reaches the matcher.
    registry.withdraw(&case, &secret);
    let started = Instant::now();
    wait_for("the withdrawal on the matcher", 10, || {
        let (_, got) = post_match(&matcher.addr, Some(MATCHER_KEY), &query);
        got["results"][1]["matches"].as_array().unwrap().is_empty()
            && got["results"][0]["matches"].as_array().unwrap().len() == 1
    });
    eprintln!("withdrawal reached the matcher in {:?}", started.elapsed());
    registry.withdraw(&case2, &secret2);
    wait_for("the second withdrawal", 10, || {
        let (_, got) = post_match(&matcher.addr, Some(MATCHER_KEY), &query);
        got == json!({ "results": [{ "matches": [] }, { "matches": [] }, { "matches": [] }] })
    });
    let (_, health) = http(&matcher.addr, "GET", "/healthz", None, None);
    assert_eq!(health["indexed_entries"], 0, "{health}");
}

/// The snapshot file's entry lines (`<id> <type> <hex> <quality>`), sorted.
pub(crate) fn snapshot_entries(data: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(data.join("snapshot.quell")).unwrap();
    let mut lines: Vec<String> = text
        .lines()
        .skip_while(|l| !l.starts_with("entries "))
        .skip(1)
        .filter(|l| !l.starts_with("sha256 "))
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines
}

fn pseudo_pdq(seed: u64) -> String {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..4)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            format!("{x:016x}")
        })
        .collect()
}

#[test]
fn sync_killed_mid_way_resumes_to_exactly_the_registry_list() {
    let n = 3000;
    let mut withdrawn = None;
    let registry = Registry::start_with(|db| {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("list.txt");
        let lines: String = (0..n).map(|i| format!("pdq {}\n", pseudo_pdq(i))).collect();
        std::fs::write(
            &file,
            lines + "video_md5 900150983cd24fb0d6963f7d28e17f72\n",
        )
        .unwrap();
        let (code, _, err) = quell(
            &["list", "import", file.to_str().unwrap(), db[0], db[1]],
            b"",
        );
        assert_eq!(code, 0, "{err}");
        let lines: String = (n..n + 500)
            .map(|i| format!("pdq {}\n", pseudo_pdq(i)))
            .collect();
        std::fs::write(&file, lines).unwrap();
        let (code, out, err) = quell(
            &["list", "import", file.to_str().unwrap(), db[0], db[1]],
            b"",
        );
        assert_eq!(code, 0, "{err}");
        let field = |k: &str| {
            out.lines()
                .find_map(|l| l.strip_prefix(k))
                .unwrap()
                .to_owned()
        };
        withdrawn = Some((field("case_id "), field("secret ")));
    });
    // Withdrawn after import: the feed holds 500 upserts and then their 500 tombstones.
    let (case, secret) = withdrawn.unwrap();
    registry.withdraw(&case, &secret);

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("member");
    let mut sync_args = vec!["sync".to_owned(), "--once".into()];
    sync_args.extend(registry.registry_args());
    let with_data = |d: &Path, extra: &[&str]| {
        let mut a = sync_args.clone();
        a.extend(["--data".into(), d.display().to_string()]);
        a.extend(extra.iter().map(|s| (*s).to_owned()));
        a
    };
    let args = with_data(&data, &["--page-size", "10", "--save-every", "0"]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_quell"))
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("a first saved page", 20, || {
        data.join("snapshot.quell").exists()
    });
    std::thread::sleep(Duration::from_millis(100));
    let finished = child.try_wait().unwrap();
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(
        finished.is_none(),
        "the sync finished before the kill: give the registry more entries"
    );
    assert_eq!(status.code(), None, "killed by a signal");
    let partial = snapshot_entries(&data);
    eprintln!("killed with {} entries saved", partial.len());

    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, _, err) = quell(&args, b"");
    assert_eq!(code, 0, "{err}");
    let resumed = snapshot_entries(&data);

    let fresh = dir.path().join("fresh");
    let fresh_args = with_data(&fresh, &[]);
    let fresh_args: Vec<&str> = fresh_args.iter().map(String::as_str).collect();
    let (code, _, err) = quell(&fresh_args, b"");
    assert_eq!(code, 0, "{err}");
    let full = snapshot_entries(&fresh);
    assert_eq!(full.len(), n as usize + 1);
    assert_eq!(
        resumed, full,
        "the resumed snapshot differs from a full sync"
    );
    assert!(
        partial.len() < full.len(),
        "the kill came after the sync was complete"
    );

    // And the hashes are exactly the registry's active list.
    let (_, exported, _) = quell(
        &[
            "list",
            "export",
            "--data-dir",
            registry.data.path().join("registry").to_str().unwrap(),
        ],
        b"",
    );
    let mut want: Vec<String> = exported
        .lines()
        .map(|l| l.split(' ').nth(1).unwrap().to_owned())
        .collect();
    let mut got: Vec<String> = full
        .iter()
        .map(|l| l.split(' ').nth(2).unwrap().to_owned())
        .collect();
    want.sort();
    got.sort();
    assert_eq!(got, want);

    // The matcher runs the same sync: SIGKILL it mid-way too, restart it, and it must reach
    // exactly the same list, and answer from it.
    let sidecar_data = dir.path().join("sidecar");
    let slow = ["--page-size", "10", "--save-every", "0"];
    let matcher = start_matcher(
        &registry.server.url(),
        &registry.key_file,
        &sidecar_data,
        &slow,
    );
    wait_for("the matcher's first saved page", 20, || {
        sidecar_data.join("snapshot.quell").exists()
    });
    std::thread::sleep(Duration::from_millis(100));
    let (ready, _) = http(&matcher.addr, "GET", "/readyz", None, None);
    drop(matcher); // SIGKILL
    assert_eq!(
        ready, 503,
        "the matcher had finished its sync before the kill"
    );
    let partial = snapshot_entries(&sidecar_data);
    assert!(partial.len() < full.len(), "the kill came after the sync");
    let matcher = start_matcher(
        &registry.server.url(),
        &registry.key_file,
        &sidecar_data,
        &slow,
    );
    wait_for("the restarted matcher to be ready", 120, || {
        http(&matcher.addr, "GET", "/readyz", None, None).0 == 200
    });
    assert_eq!(
        snapshot_entries(&sidecar_data),
        full,
        "the restarted matcher's list differs from a full sync"
    );
    let query = |pdq: String| {
        let req = json!({ "hashes": [{ "type": "pdq", "value": pdq }], "max_distance": 0 });
        let (status, body) = post_match(&matcher.addr, Some(MATCHER_KEY), &req);
        assert_eq!(status, 200, "{body}");
        body["results"][0]["matches"].as_array().unwrap().len()
    };
    assert_eq!(query(pseudo_pdq(0)), 1, "an imported entry matches");
    assert_eq!(query(pseudo_pdq(n)), 0, "a withdrawn entry does not");
    drop(matcher);

    // A corrupted snapshot is refused, not taken for an empty list.
    let path = data.join("snapshot.quell");
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();
    let (code, _, err) = quell(&args, b"");
    assert_ne!(code, 0);
    assert!(err.contains("corrupt or truncated"), "{err}");
}

/// One request the receiver saw: the status it answered, headers (names lowercased), body.
type Seen = (u16, Vec<(String, String)>, Vec<u8>);

/// A webhook receiver that answers 500 to the first `fail` requests, then 200.
struct Receiver {
    pub(crate) addr: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Receiver {
    fn start(fail: usize) -> Self {
        Self::on(TcpListener::bind("127.0.0.1:0").unwrap(), fail)
    }

    fn on(listener: TcpListener, fail: usize) -> Self {
        let addr = listener.local_addr().unwrap().to_string();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { break };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut headers = Vec::new();
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                loop {
                    line.clear();
                    reader.read_line(&mut line).unwrap();
                    let l = line.trim_end();
                    if l.is_empty() {
                        break;
                    }
                    let (k, v) = l.split_once(':').unwrap();
                    headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
                }
                let len: usize = headers
                    .iter()
                    .find(|(k, _)| k == "content-length")
                    .map_or(0, |(_, v)| v.parse().unwrap());
                let mut body = vec![0; len];
                reader.read_exact(&mut body).unwrap();
                let mut log = log.lock().unwrap();
                let status = if log.len() < fail { 500 } else { 200 };
                log.push((status, headers, body));
                drop(log);
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
            }
        });
        Self { addr, seen }
    }
}

#[test]
fn a_webhook_that_fails_twice_gets_the_match_once_by_key_and_signed() {
    use hmac::{KeyInit as _, Mac as _};
    let registry = Registry::start();
    let receiver = Receiver::start(2);
    let dir = tempfile::tempdir().unwrap();
    let secret = "webhook-secret-for-the-test";
    let secret_file = dir.path().join("secret");
    std::fs::write(&secret_file, secret).unwrap();
    let orig = expected_pdq("images/bridge-mods/aaa-orig.jpg");
    let stored = dir.path().join("stored.jsonl");
    std::fs::write(
        &stored,
        format!(
            "{}\n{}\n{}\n",
            json!({ "path": "uploads/1.jpg", "pdq": flip_bits(&orig, 3), "quality": 100 }),
            json!({ "path": "uploads/2.jpg", "pdq": pseudo_pdq(7), "quality": 100 }),
            json!({ "path": "uploads/3.jpg", "error": "cannot decode" }),
        ),
    )
    .unwrap();
    let hook = format!("http://{}/hook", receiver.addr);
    let data = dir.path().join("matcher");
    let matcher = start_matcher(
        &registry.server.url(),
        &registry.key_file,
        &data,
        &[
            "--stored-hashes",
            stored.to_str().unwrap(),
            "--webhook",
            &hook,
            "--webhook-secret-file",
            secret_file.to_str().unwrap(),
            "--webhook-backoff-ms",
            "100",
        ],
    );
    let (case, case_secret) =
        registry.open_case(json!([{ "type": "pdq", "value": orig, "quality": 100 }]));
    let status = registry.case_status(&case, &case_secret);
    let opened_at = status["opened_at"].clone();
    assert!(opened_at.is_string(), "{status}");
    wait_for("an accepted delivery", 20, || {
        receiver
            .seen
            .lock()
            .unwrap()
            .iter()
            .any(|(s, _, _)| *s == 200)
    });
    // Retries stop once accepted.
    std::thread::sleep(Duration::from_millis(800));
    let seen = receiver.seen.lock().unwrap().clone();
    let statuses: Vec<u16> = seen.iter().map(|(s, _, _)| *s).collect();
    assert_eq!(statuses, [500, 500, 200]);
    // The matcher's metrics count the deliveries and show nothing left to send.
    let (_, page) =
        try_http_text(&matcher.addr, "GET", "/metrics", Some(MATCHER_KEY), None).unwrap();
    for line in [
        "quell_webhook_pending 0",
        "quell_webhook_deliveries_total{result=\"failed\"} 2",
        "quell_webhook_deliveries_total{result=\"delivered\"} 1",
    ] {
        assert!(page.lines().any(|l| l == line), "{line} not in:\n{page}");
    }
    let header = |h: &[(String, String)], k: &str| {
        h.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    let keys: Vec<String> = seen
        .iter()
        .map(|(_, h, _)| header(h, "idempotency-key"))
        .collect();
    assert!(
        keys.iter().all(|k| *k == keys[0] && k.len() == 32),
        "{keys:?}"
    );
    for (_, headers, body) in &seen {
        let sig = header(headers, "quell-signature");
        let (t, v1) = sig.strip_prefix("t=").unwrap().split_once(",v1=").unwrap();
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{t}.").as_bytes());
        mac.update(body);
        let want: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(v1, want, "signature does not verify");
        let event: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(event["item"], "uploads/1.jpg");
        assert_eq!(event["distance"], 3);
        assert_eq!(event["type"], "pdq");
        assert!(event["entry_id"].as_str().unwrap().starts_with("e_"));
        // When the person asked, for the member's queue: the case's opening.
        assert_eq!(event["registered_at"], opened_at, "{event}");
    }
    assert_eq!(
        std::fs::read_dir(data.join("outbox")).unwrap().count(),
        0,
        "the outbox keeps a delivered event"
    );
}

/// The one-hash-per-second reference output of a sample video as pytx frame strings
/// (`hex,quality,timestamp`), what `quell hash --json` lists under `vpdq`.
fn reference_vpdq(name: &str) -> Vec<String> {
    let path = pdq_vectors()
        .with_file_name("vpdq")
        .join("expected-1s")
        .join(format!("{name}.txt"));
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            format!("{},{},{}", f[2], f[1], f[3])
        })
        .collect()
}

#[test]
fn a_new_video_entry_is_checked_against_stored_videos_with_the_match_rule() {
    let registry = Registry::start();
    let receiver = Receiver::start(0);
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("secret");
    std::fs::write(&secret_file, "webhook-secret-for-the-test").unwrap();
    let registered = reference_vpdq("chair-orig-22-sd-bar");
    // Another encoding of the same clip, and an unrelated one.
    let variant = reference_vpdq("chair-20-sd-bar");
    let unrelated = reference_vpdq("pattern-hd-no-bar");
    // A compilation holding the registered clip and a third as much else: every frame of the
    // entry is in it, but a third of it is not the entry. Stored as the query (as `POST
    // /v1/match` would ask about it), it is no match.
    let compilation = [
        &registered[..],
        &reference_vpdq("pattern-longer-no-bar")[..],
        &reference_vpdq("doorknob-hd-no-bar")[..],
    ]
    .concat();
    let stored_videos = [
        ("uploads/variant.mp4", &variant),
        ("uploads/compilation.mp4", &compilation),
        ("uploads/unrelated.mp4", &unrelated),
    ];
    let (variant_pct, _) = pytx_percentages(&variant, &registered);
    assert!(variant_pct >= 80.0, "{variant_pct}");
    assert_eq!(pytx_percentages(&unrelated, &registered).0, 0.0);
    let (compilation_pct, entry_pct) = pytx_percentages(&compilation, &registered);
    assert!(
        compilation_pct < 80.0 && entry_pct >= 80.0,
        "{compilation_pct} {entry_pct}"
    );
    let stored = dir.path().join("stored.jsonl");
    let lines: String = stored_videos
        .iter()
        .map(|(path, frames)| format!("{}\n", json!({ "path": path, "vpdq": frames })))
        .collect();
    std::fs::write(&stored, lines).unwrap();
    let hook = format!("http://{}/hook", receiver.addr);
    let _matcher = start_matcher(
        &registry.server.url(),
        &registry.key_file,
        &dir.path().join("matcher"),
        &[
            "--stored-hashes",
            stored.to_str().unwrap(),
            "--webhook",
            &hook,
            "--webhook-secret-file",
            secret_file.to_str().unwrap(),
        ],
    );
    let value = serde_json::to_string(&registered).unwrap();
    registry.open_case(json!([{ "type": "vpdq", "value": value }]));
    wait_for("a delivery", 20, || {
        !receiver.seen.lock().unwrap().is_empty()
    });
    std::thread::sleep(Duration::from_millis(500));
    let seen = receiver.seen.lock().unwrap().clone();
    let events: Vec<Value> = seen
        .iter()
        .map(|(_, _, body)| serde_json::from_slice(body).unwrap())
        .collect();
    let (want_query, want_compared) = pytx_percentages(&variant, &registered);
    assert_eq!(events.len(), 1, "{events:?}");
    let event = &events[0];
    assert_eq!(event["item"], "uploads/variant.mp4");
    assert_eq!(event["type"], "vpdq");
    assert_eq!(event["query_match_percent"].as_f64(), Some(want_query));
    assert_eq!(
        event["compared_match_percent"].as_f64(),
        Some(want_compared)
    );
    assert!(event.get("distance").is_none(), "{event}");
}

#[test]
fn match_events_survive_a_kill_9_of_the_matcher_in_the_outbox() {
    let registry = Registry::start();
    // The receiver's port is chosen now but nobody listens yet: deliveries fail.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("secret");
    std::fs::write(&secret_file, "webhook-secret-for-the-test").unwrap();
    let orig = expected_pdq("images/bridge-mods/aaa-orig.jpg");
    let stored = dir.path().join("stored.jsonl");
    std::fs::write(
        &stored,
        format!(
            "{}\n",
            json!({ "path": "uploads/9.jpg", "pdq": orig, "quality": 100 })
        ),
    )
    .unwrap();
    let hook = format!("http://127.0.0.1:{port}/hook");
    let data = dir.path().join("matcher");
    let args = [
        "--stored-hashes",
        stored.to_str().unwrap(),
        "--webhook",
        &hook,
        "--webhook-secret-file",
        secret_file.to_str().unwrap(),
        "--webhook-backoff-ms",
        "50",
    ];
    let matcher = start_matcher(&registry.server.url(), &registry.key_file, &data, &args);
    registry.open_case(json!([{ "type": "pdq", "value": orig, "quality": 100 }]));
    let outbox = data.join("outbox");
    wait_for("the event in the outbox", 10, || {
        std::fs::read_dir(&outbox).is_ok_and(|d| {
            d.filter_map(Result::ok)
                .any(|e| e.file_name().to_string_lossy().ends_with(".json"))
        })
    });
    // Wait until the cursor past the upsert is saved, so a restart cannot find the match again:
    // the event can only come from the outbox.
    wait_for("the snapshot with the entry", 10, || {
        data.join("snapshot.quell").exists() && snapshot_entries(&data).len() == 1
    });
    drop(matcher); // SIGKILL

    let receiver = Receiver::on(TcpListener::bind(("127.0.0.1", port)).unwrap(), 0);
    let _matcher = start_matcher(&registry.server.url(), &registry.key_file, &data, &args);
    wait_for("the delivery after the restart", 10, || {
        !receiver.seen.lock().unwrap().is_empty()
    });
    std::thread::sleep(Duration::from_millis(300));
    let seen = receiver.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "delivered once");
    let event: Value = serde_json::from_slice(&seen[0].2).unwrap();
    assert_eq!(
        (event["item"].as_str(), event["distance"].as_u64()),
        (Some("uploads/9.jpg"), Some(0))
    );
}

/// `quell hash --json` of one video; returns the line and its `vpdq` list.
fn hash_video(path: &Path) -> (String, Vec<String>) {
    let (code, out, err) = quell(&["hash", "--json", path.to_str().unwrap()], b"");
    assert_eq!(code, 0, "{err}");
    let line: Value = serde_json::from_str(out.trim()).unwrap();
    let frames = line["vpdq"]
        .as_array()
        .unwrap_or_else(|| panic!("no vpdq in {out}"))
        .iter()
        .map(|f| f.as_str().unwrap().to_owned())
        .collect();
    (out, frames)
}

/// pytx's brute-force percentages, written out here as the oracle: frames of quality >= 50,
/// each distinct hash once, found at distance <= 31.
fn pytx_percentages(query: &[String], compared: &[String]) -> (f64, f64) {
    let matchable = |frames: &[String]| {
        let mut seen = std::collections::HashSet::new();
        frames
            .iter()
            .filter_map(|f| {
                let mut parts = f.split(',');
                let hex = parts.next().unwrap().to_owned();
                let quality: u32 = parts.next().unwrap().parse().unwrap();
                (quality >= 50 && seen.insert(hex.clone())).then_some(hex)
            })
            .collect::<Vec<_>>()
    };
    let (q, c) = (matchable(query), matchable(compared));
    let found = |a: &[String], b: &[String]| {
        a.iter()
            .filter(|x| b.iter().any(|y| hamming(x, y) <= 31))
            .count() as f64
    };
    (
        found(&q, &c) * 100.0 / q.len() as f64,
        found(&c, &q) * 100.0 / c.len() as f64,
    )
}

#[test]
fn a_video_case_matches_a_re_encoded_copy_at_the_registry_and_the_matcher() {
    let videos = pdq_vectors().with_file_name("vpdq").join("videos");
    let original = videos.join("pattern-sd-grey-bar.mp4");
    let dir = tempfile::tempdir().unwrap();
    // The copy: scaled down and re-encoded at a much lower quality, sound dropped.
    let copy = dir.path().join("copy.mp4");
    let ffmpeg = Command::new("ffmpeg")
        .args(["-v", "error", "-i", original.to_str().unwrap()])
        .args([
            "-vf",
            "scale=360:-2",
            "-c:v",
            "libx264",
            "-crf",
            "32",
            "-an",
        ])
        .arg(&copy)
        .status()
        .unwrap();
    assert!(ffmpeg.success());

    let (_, registered) = hash_video(&original);
    let (copy_line, copy_frames) = hash_video(&copy);
    let (_, unrelated) = hash_video(&videos.join("doorknob-hd-no-bar.mp4"));
    let (want_query, want_compared) = pytx_percentages(&copy_frames, &registered);
    assert!(want_query >= 80.0, "the copy should match: {want_query}");
    assert_eq!(pytx_percentages(&unrelated, &registered).0, 0.0);

    let registry = Registry::start();
    let data = dir.path().join("matcher");
    let matcher = start_matcher(&registry.server.url(), &registry.key_file, &data, &[]);
    let value = serde_json::to_string(&registered).unwrap();
    let (case, secret) = registry.open_case(json!([{ "type": "vpdq", "value": value }]));

    let query = |frames: &[String]| json!({ "hashes": [{ "type": "vpdq", "value": serde_json::to_string(frames).unwrap() }] });
    let ask = |addr: &str, key: &str, q: &Value| {
        let (status, body) = post_match(addr, Some(key), q);
        assert_eq!(status, 200, "{body}");
        body
    };
    let at_registry = ask(&registry.server.addr, &registry.key(), &query(&copy_frames));
    let hit = &at_registry["results"][0]["matches"][0];
    let entry = hit["entry_id"].as_str().unwrap().to_owned();
    assert_eq!(
        hit["query_match_percent"].as_f64(),
        Some(want_query),
        "{at_registry}"
    );
    assert_eq!(
        hit["compared_match_percent"].as_f64(),
        Some(want_compared),
        "{at_registry}"
    );
    let none = json!({ "results": [{ "matches": [] }] });
    assert_eq!(
        ask(&registry.server.addr, &registry.key(), &query(&unrelated)),
        none
    );

    wait_for("the video on the matcher", 10, || {
        ask(&matcher.addr, MATCHER_KEY, &query(&copy_frames)) == at_registry
    });
    assert_eq!(ask(&matcher.addr, MATCHER_KEY, &query(&unrelated)), none);
    // The re-encoded file itself, sent to the matcher: hashed there, the same verdict.
    let (status, verdict) = crate::util::post_bytes(
        &matcher.addr,
        "/v1/match/file",
        Some(MATCHER_KEY),
        "application/octet-stream",
        &std::fs::read(&copy).unwrap(),
    );
    assert_eq!(status, 200, "{verdict}");
    let mut want_hit = hit.clone();
    want_hit["type"] = json!("vpdq");
    assert_eq!(verdict, json!({ "media": "video", "matches": [want_hit] }));
    // And through HMA's file lookup, under pytx's names and distance string.
    let (body, content_type) = crate::util::multipart("video", &std::fs::read(&copy).unwrap());
    let (status, hma) = crate::util::post_bytes(
        &matcher.addr,
        "/m/lookup",
        Some(MATCHER_KEY),
        &content_type,
        &body,
    );
    assert_eq!(status, 200, "{hma}");
    assert_eq!(hma["video_md5"], json!({}), "{hma}");
    assert_eq!(hma["vpdq"]["QUELL"][0]["entry_id"], entry.as_str(), "{hma}");
    assert_eq!(
        hma["vpdq"]["QUELL"][0]["distance"],
        format!("{want_query:.0}%[{want_compared:.0}%]"),
        "{hma}"
    );
    // Garbage gets the registry's errors at both.
    let frame = copy_frames[0].split(',').next().unwrap().to_owned();
    let too_many: Vec<String> = (0..10_001).map(|i| format!("{frame},90,{i}.000")).collect();
    for (value, status, code) in [
        ("[\"abc".to_owned(), 400, "invalid_hash"),
        (
            format!("[\"{}zz,90,0.000\"]", &frame[2..]),
            400,
            "invalid_hash",
        ),
        (
            serde_json::to_string(&too_many).unwrap(),
            400,
            "too_many_frames",
        ),
        (
            serde_json::to_string(&[&too_many[..], &too_many[..]].concat()).unwrap(),
            413,
            "body_too_large",
        ),
    ] {
        let q = json!({ "hashes": [{ "type": "vpdq", "value": value }] });
        for (addr, key) in [
            (registry.server.addr.as_str(), registry.key()),
            (matcher.addr.as_str(), MATCHER_KEY.to_owned()),
        ] {
            let (got, body) = post_match(addr, Some(&key), &q);
            assert_eq!(
                (got, body["error"]["code"].as_str()),
                (status, Some(code)),
                "{body}"
            );
        }
    }

    // `quell scan` finds the copy from its file and from `quell hash --json` output alike.
    let stored = dir.path().join("stored.jsonl");
    std::fs::write(&stored, &copy_line).unwrap();
    for path in [&copy, &stored] {
        let found = scan(&data, path);
        assert_eq!(found.len(), 1, "{found:?}");
        let found = &found[0];
        assert_eq!(found["entry_id"], entry.as_str(), "{found}");
        assert_eq!(found["type"], "vpdq");
        assert_eq!(found["query_match_percent"].as_f64(), Some(want_query));
    }

    registry.withdraw(&case, &secret);
    assert_eq!(
        ask(&registry.server.addr, &registry.key(), &query(&copy_frames)),
        none
    );
    wait_for("the withdrawal on the matcher", 10, || {
        ask(&matcher.addr, MATCHER_KEY, &query(&copy_frames)) == none
    });
}

#[test]
fn a_matcher_whose_syncs_fail_goes_unready_within_its_bound_and_recovers() {
    let registry = Registry::start_serving(|_| {}, &[]);
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("api-key");
    let good_key = std::fs::read_to_string(&registry.key_file).unwrap();
    std::fs::write(&key_file, &good_key).unwrap();
    let matcher = start_matcher(
        &registry.server.url(),
        &key_file,
        &dir.path().join("data"),
        &["--stale-after", "1"],
    );
    wait_for("the first sync", 10, || {
        http(&matcher.addr, "GET", "/readyz", None, None).0 == 200
    });
    let (_, health) = http(&matcher.addr, "GET", "/healthz", None, None);
    assert_eq!(health["sync_failures"], 0, "{health}");
    assert!(health["last_sync"].is_string(), "{health}");

    // The member's key stops working (as after a rotation): unready within the bound.
    let revoked = std::time::Instant::now();
    std::fs::write(
        &key_file,
        "qk_AAAAAAAAAAAAAAAAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
    )
    .unwrap();
    wait_for("the matcher to go stale", 10, || {
        http(&matcher.addr, "GET", "/readyz", None, None).0 == 503
    });
    assert!(
        revoked.elapsed() < Duration::from_secs(5),
        "{:?}",
        revoked.elapsed()
    );
    let (_, ready) = http(&matcher.addr, "GET", "/readyz", None, None);
    assert_eq!(ready["status"], "stale", "{ready}");
    let (_, health) = http(&matcher.addr, "GET", "/healthz", None, None);
    assert!(health["sync_failures"].as_u64().unwrap() > 0, "{health}");
    assert!(
        health["last_error"].as_str().unwrap().contains("401"),
        "{health}"
    );
    // It still answers matches meanwhile: unready tells the platform, it does not go dark.
    let req = json!({ "hashes": [{ "type": "md5", "value": "0123456789abcdef0123456789abcdef" }] });
    assert_eq!(post_match(&matcher.addr, Some(MATCHER_KEY), &req).0, 200);
    // Its metrics say the same, for the local key only.
    let metrics = |key| try_http_text(&matcher.addr, "GET", "/metrics", key, None).unwrap();
    assert_eq!(metrics(None).0, 401);
    let (status, page) = metrics(Some(MATCHER_KEY));
    assert_eq!(status, 200, "{page}");
    for line in ["quell_matcher_ready 0", "quell_match_queries_total 1"] {
        assert!(
            page.lines().any(|l| l == line),
            "{line} missing in:\n{page}"
        );
    }
    assert!(
        page.lines()
            .any(|l| l.starts_with("quell_matcher_sync_failures ") && !l.ends_with(" 0")),
        "{page}"
    );

    // The fix is the new key in the file: ready again with the next sync, no restart.
    std::fs::write(&key_file, &good_key).unwrap();
    wait_for("the matcher to recover", 10, || {
        http(&matcher.addr, "GET", "/readyz", None, None).0 == 200
    });
    let (_, health) = http(&matcher.addr, "GET", "/healthz", None, None);
    assert_eq!(health["sync_failures"], 0, "{health}");
    assert!(health.get("last_error").is_none(), "{health}");
    let (_, page) = metrics(Some(MATCHER_KEY));
    assert!(page.lines().any(|l| l == "quell_matcher_ready 1"), "{page}");
}

/// Runs one statement on a test registry's SQLite file, as someone with the disk would.
fn registry_sql(registry: &Registry, sql: &str) {
    let path = registry.data.path().join("registry").join("registry.db");
    crate::util::with_sqlite_file(&path, async |conn| {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(conn)
            .await
            .unwrap();
    });
}

#[test]
fn quell_sync_keeps_the_audit_heads_it_saw_and_refuses_a_cut_or_rewritten_chain() {
    let registry = Registry::start();
    let db = registry.data.path().join("registry");
    let db_args = ["--data-dir", db.to_str().unwrap()];
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("member");
    let sync = || {
        let mut args = vec!["sync".to_owned(), "--once".into()];
        args.extend(registry.registry_args());
        args.extend(["--data".into(), data.display().to_string()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        quell(&args, b"")
    };
    let registry_head = || {
        let mut args = vec!["audit", "verify"];
        args.extend(db_args);
        let (code, out, err) = quell(&args, b"");
        assert_eq!(code, 0, "{err}");
        out.trim().rsplit_once("head ").unwrap().1.to_owned()
    };
    let kept = || std::fs::read_to_string(data.join("audit-heads")).unwrap();

    registry.open_case(json!([{ "type": "pdq", "value": "ab".repeat(32), "quality": 90 }]));
    let (code, _, err) = sync();
    assert_eq!(code, 0, "{err}");
    let first = registry_head();
    assert_eq!(kept(), format!("{first}\n"));
    registry.open_case(json!([{ "type": "pdq", "value": "cd".repeat(32), "quality": 90 }]));
    let (code, _, err) = sync();
    assert_eq!(code, 0, "{err}");
    let second = registry_head();
    assert_eq!(kept(), format!("{first}\n{second}\n"));
    let snapshot = std::fs::read(data.join("snapshot.quell")).unwrap();
    let (seq, hash) = second.split_once(':').unwrap();

    // The event the member saw rewritten: refused, nothing applied; put back, accepted.
    registry.open_case(json!([{ "type": "pdq", "value": "ef".repeat(32), "quality": 90 }]));
    registry_sql(
        &registry,
        &format!(
            "UPDATE audit SET hash = '{}' WHERE seq = {seq}",
            "00".repeat(32)
        ),
    );
    let (code, _, err) = sync();
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("forks from what this member saw"), "{err}");
    assert_eq!(
        std::fs::read(data.join("snapshot.quell")).unwrap(),
        snapshot
    );
    registry_sql(
        &registry,
        &format!("UPDATE audit SET hash = '{hash}' WHERE seq = {seq}"),
    );
    let (code, _, err) = sync();
    assert_eq!(code, 0, "{err}");
    let third = registry_head();

    // The newest events deleted: the chain is valid in itself, and `audit verify` alone says
    // OK, but the member refuses it, and so does `audit verify` given the member's head.
    registry_sql(&registry, &format!("DELETE FROM audit WHERE seq > {seq}"));
    let (code, out, _) = quell(&[&["audit", "verify"][..], &db_args].concat(), b"");
    assert_eq!(code, 0, "{out}");
    let (code, _, err) = sync();
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("audit chain is shorter than when this member last synced"),
        "{err}"
    );
    let member_head = kept().lines().last().unwrap().to_owned();
    assert_eq!(member_head, third);
    let args = [
        &["audit", "verify", "--expect-head", &member_head][..],
        &db_args,
    ]
    .concat();
    let (code, out, _) = quell(&args, b"");
    assert_eq!(code, 1, "{out}");
}

#[test]
fn case_report_records_outcomes_times_and_the_audit_head_without_the_secret() {
    let registry = Registry::start();
    let (case, secret) =
        registry.open_case(json!([{ "type": "pdq", "value": "ab".repeat(32), "quality": 90 }]));
    let (_, page) = http(
        &registry.server.addr,
        "GET",
        "/v1/hashes",
        Some(&registry.key()),
        None,
    );
    let entry = page["entries"][0]["entry_id"].as_str().unwrap().to_owned();
    let now = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let outcome = json!({ "outcomes": [{ "entry_id": entry, "outcome": "blocked", "at": now }] });
    let (status, body) = http(
        &registry.server.addr,
        "POST",
        "/v1/outcomes",
        Some(&registry.key()),
        Some(&outcome),
    );
    assert_eq!(status, 200, "{body}");
    let dir = tempfile::tempdir().unwrap();
    let codes = dir.path().join("codes.txt");
    std::fs::write(
        &codes,
        format!(
            "Quell case\nRegistry: {}\nCase number: {case}\nSecret: {secret}\n",
            registry.server.url()
        ),
    )
    .unwrap();
    let report = |extra: &[&str]| {
        let mut args = vec!["case", "report", "--case-file", codes.to_str().unwrap()];
        args.extend_from_slice(extra);
        let (code, out, err) = quell(&args, b"");
        assert_eq!(code, 0, "{err}");
        assert!(!out.contains(&secret), "the record holds the secret");
        out
    };
    let record: Value = serde_json::from_str(&report(&["--json"])).unwrap();
    assert_eq!(record["report"], "quell-case-record-v1");
    assert_eq!(record["registry"], registry.server.url());
    assert_eq!(record["action_target_hours"], 48);
    assert_eq!(record["status"]["case_id"], case.as_str());
    assert_eq!(record["status"]["outcomes"][0]["outcome"], "blocked");
    let head = record["status"]["audit_head"].as_str().unwrap().to_owned();
    // The head quoted is the registry's own, checkable later with `audit verify`.
    let db = registry.data.path().join("registry");
    let args = [
        "audit",
        "verify",
        "--expect-head",
        &head,
        "--data-dir",
        db.to_str().unwrap(),
    ];
    let (code, out, err) = quell(&args, b"");
    assert_eq!(code, 0, "{out}{err}");
    // The operator sees the same removal in the members' times to action.
    let args = ["member", "action-times", "--data-dir", db.to_str().unwrap()];
    let (code, out, err) = quell(&args, b"");
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "acme\t1\t0.0\t0.0\t0\n");

    let html = report(&[]);
    assert!(html.starts_with("<!doctype html>"), "{html}");
    for want in [
        format!("Record of case {case}"),
        "found a copy and removed or blocked it".to_owned(),
        "minute after the case was opened".to_owned(),
        "within the expected time".to_owned(),
        head,
    ] {
        assert!(html.contains(&want), "{want} not in the record:\n{html}");
    }
    assert!(
        !html.contains("<img") && !html.contains("<script"),
        "{html}"
    );
}
