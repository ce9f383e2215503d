//! The registry through the real binary: `quell serve` killed with SIGKILL mid-stream keeps
//! every acknowledged case (SQLite and PostgreSQL); `member`, `audit` and `list` commands.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::util::{Proc, quell, try_http};

/// Where a test's registry lives: `--data-dir` or `--database-url` arguments.
struct Db {
    args: Vec<String>,
    _guard: Box<dyn std::any::Any>,
}

fn sqlite_db() -> Db {
    let dir = tempfile::tempdir().unwrap();
    Db {
        args: vec![
            "--data-dir".into(),
            dir.path().join("data").display().to_string(),
        ],
        _guard: Box::new(dir),
    }
}

fn postgres_url(db: &str) -> String {
    let base = std::env::var("QUELL_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let (server, _) = base.rsplit_once('/').unwrap();
    format!("{server}/{db}")
}

/// Runs one statement on the `test` database (CI's PostgreSQL; unreachable fails the test).
fn admin_sql(sql: String) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use sqlx::Connection as _;
        let url = postgres_url("test");
        let mut conn = sqlx::PgConnection::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {url} is needed for this test: {e}"));
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await
            .unwrap();
    });
}

struct DropDatabase(String);

impl Drop for DropDatabase {
    fn drop(&mut self) {
        admin_sql(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.0));
    }
}

/// A fresh PostgreSQL database, dropped afterwards.
fn postgres_db() -> Db {
    use std::hash::{BuildHasher, RandomState};
    let name = format!(
        "quell_test_{:016x}",
        RandomState::new().hash_one(Instant::now())
    );
    admin_sql(format!("CREATE DATABASE {name}"));
    Db {
        args: vec!["--database-url".into(), postgres_url(&name)],
        _guard: Box::new(DropDatabase(name)),
    }
}

fn run_ok(args: &[&str], db: &Db) -> String {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(db.args.iter().map(String::as_str));
    let (code, out, err) = quell(&all, b"");
    assert_eq!(code, 0, "quell {all:?}: {err}");
    out
}

/// `quell serve` on the test's database.
fn start_server(db: &Db) -> Proc {
    let mut args: Vec<&str> = db.args.iter().map(String::as_str).collect();
    // The kill test streams cases from one address as fast as it can.
    args.extend(["--case-open-limit", "off"]);
    Proc::start(&args, &[])
}

fn pdq(seed: u64) -> String {
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

/// Streams submissions from several threads, kills the server with SIGKILL, restarts it and
/// checks that every case that was acknowledged is there, matchable, with a valid audit chain.
fn survives_kill_9(db: &Db) {
    let key = run_ok(&["member", "add", "checker", "--scopes", "match"], db)
        .trim()
        .to_owned();
    let server = start_server(db);
    let acked = Arc::new(Mutex::new(Vec::<(String, String, String)>::new()));
    let stop = Instant::now() + Duration::from_millis(1500);
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let addr = server.addr.clone();
            let acked = Arc::clone(&acked);
            std::thread::spawn(move || {
                for i in 0.. {
                    let hash = pdq(t * 1_000_000 + i);
                    let body =
                        json!({ "hashes": [{ "type": "pdq", "value": hash, "quality": 90 }] });
                    // After the kill, connections fail: that is the end of the stream.
                    let Ok((status, resp)) =
                        try_http(&addr, "POST", "/v1/cases", None, Some(&body))
                    else {
                        break;
                    };
                    if status != 201 {
                        break;
                    }
                    acked.lock().unwrap().push((
                        resp["case_id"].as_str().unwrap().to_owned(),
                        resp["secret"].as_str().unwrap().to_owned(),
                        hash,
                    ));
                }
            })
        })
        .collect();
    while Instant::now() < stop {
        std::thread::sleep(Duration::from_millis(50));
    }
    server.kill_9();
    for t in threads {
        t.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 8,
        "only {} cases acknowledged before the kill",
        acked.len()
    );
    eprintln!("{} cases acknowledged before SIGKILL", acked.len());

    let server = start_server(db);
    let (status, health) = try_http(&server.addr, "GET", "/healthz", None, None).unwrap();
    assert_eq!(status, 200);
    assert!(health["indexed_entries"].as_u64().unwrap() >= acked.len() as u64);
    for chunk in acked.chunks(1000) {
        let hashes: Vec<Value> = chunk
            .iter()
            .map(|(_, _, h)| json!({ "type": "pdq", "value": h }))
            .collect();
        let (status, resp) = try_http(
            &server.addr,
            "POST",
            "/v1/match",
            Some(&key),
            Some(&json!({ "hashes": hashes })),
        )
        .unwrap();
        assert_eq!(status, 200, "{resp}");
        for (result, (case, _, _)) in resp["results"].as_array().unwrap().iter().zip(chunk) {
            assert_eq!(
                result["matches"].as_array().unwrap().len(),
                1,
                "case {case} lost its hash"
            );
        }
    }
    // Case secrets too: a sample, since each check runs argon2.
    for (case, secret, _) in acked.iter().step_by((acked.len() / 10).max(1)) {
        let (status, resp) = try_http(
            &server.addr,
            "GET",
            &format!("/v1/cases/{case}"),
            Some(secret),
            None,
        )
        .unwrap();
        assert_eq!(status, 200, "{case}: {resp}");
        assert_eq!(resp["hashes"]["pdq"], 1);
    }
    drop(server);
    let out = run_ok(&["audit", "verify"], db);
    assert!(out.starts_with("audit chain OK"), "{out}");
}

#[test]
fn kill_9_loses_no_acknowledged_case_on_sqlite() {
    survives_kill_9(&sqlite_db());
}

#[test]
fn kill_9_loses_no_acknowledged_case_on_postgres() {
    survives_kill_9(&postgres_db());
}

/// Runs `work` on the registry's SQLite file directly, as someone with the disk would.
fn with_sqlite<T>(db: &Db, work: impl AsyncFnOnce(&mut sqlx::SqliteConnection) -> T) -> T {
    crate::util::with_sqlite_file(&Path::new(&db.args[1]).join("registry.db"), work)
}

#[test]
fn audit_verify_detects_tampering() {
    let db = sqlite_db();
    run_ok(&["member", "add", "acme", "--scopes", "sync"], &db);
    run_ok(&["member", "add", "ops", "--scopes", "admin"], &db);
    run_ok(&["member", "disable", "acme"], &db);
    let out = run_ok(&["audit", "list"], &db);
    assert_eq!(out.lines().count(), 3, "{out}");
    assert!(out.lines().nth(2).unwrap().contains("member.disable\tacme"));
    assert!(run_ok(&["audit", "verify"], &db).contains("OK: 3 events"));

    with_sqlite(&db, async |conn| {
        sqlx::query("UPDATE audit SET detail = 'scopes=admin' WHERE seq = 1")
            .execute(&mut *conn)
            .await
            .unwrap();
    });
    let mut args = vec!["audit", "verify"];
    args.extend(db.args.iter().map(String::as_str));
    let (code, out, _) = quell(&args, b"");
    assert_eq!(code, 1);
    assert!(out.contains("audit event 1 was altered"), "{out}");
}

#[test]
fn member_commands_print_keys_once_and_refuse_bad_input() {
    let db = sqlite_db();
    let key = run_ok(&["member", "add", "acme", "--scopes", "sync,match"], &db);
    assert!(
        key.trim().starts_with("qk_") && key.trim().len() == 84,
        "{key}"
    );
    let rotated = run_ok(&["member", "rotate-key", "acme"], &db);
    assert_ne!(rotated, key);
    let list = run_ok(&["member", "list"], &db);
    assert!(list.starts_with("acme\tsync,match\tenabled\tm_"), "{list}");
    assert!(!list.contains("qk_"));
    for bad in [
        vec!["member", "add", "acme", "--scopes", "sync"],
        vec!["member", "add", "x y", "--scopes", "sync"],
        vec!["member", "add", "x", "--scopes", "write"],
        vec!["member", "disable", "nobody"],
    ] {
        let mut args = bad.clone();
        args.extend(db.args.iter().map(String::as_str));
        let (code, _, err) = quell(&args, b"");
        assert_ne!(code, 0, "{bad:?}");
        assert!(err.starts_with("quell: "), "{err}");
    }
}

#[test]
fn list_export_and_import_round_trip_in_pytx_format() {
    let a = sqlite_db();
    let file = tempfile::NamedTempFile::new().unwrap();
    let lines = format!(
        "# from an HMA bank\npdq {}\nvideo_md5 900150983CD24FB0D6963F7D28E17F72\n\nvideo_sha256 {}\npdq {}\n",
        pdq(1),
        "ab".repeat(32),
        pdq(1),
    );
    std::fs::write(file.path(), &lines).unwrap();
    let out = run_ok(&["list", "import", file.path().to_str().unwrap()], &a);
    assert!(
        out.starts_with("case_id c_") && out.contains("\nsecret "),
        "{out}"
    );
    let exported = run_ok(&["list", "export"], &a);
    let mut got: Vec<&str> = exported.lines().collect();
    got.sort_unstable();
    let mut want = vec![
        format!("pdq {}", pdq(1)),
        "video_md5 900150983cd24fb0d6963f7d28e17f72".to_owned(),
        format!("video_sha256 {}", "ab".repeat(32)),
    ];
    want.sort_unstable();
    assert_eq!(got, want);

    // A running server picks up an import from the change feed, without a restart.
    let server = start_server(&a);
    let (_, health) = try_http(&server.addr, "GET", "/healthz", None, None).unwrap();
    assert_eq!(health["indexed_entries"], 3);
    std::fs::write(file.path(), format!("pdq {}\n", pdq(3))).unwrap();
    run_ok(&["list", "import", file.path().to_str().unwrap()], &a);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, health) = try_http(&server.addr, "GET", "/healthz", None, None).unwrap();
        if health["indexed_entries"] == 4 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the import never reached the index: {health}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(server);

    // A bad line refuses the whole file and writes nothing.
    let b = sqlite_db();
    std::fs::write(file.path(), format!("pdq {}\npdq 12345\n", pdq(2))).unwrap();
    let mut args = vec!["list", "import", file.path().to_str().unwrap()];
    args.extend(b.args.iter().map(String::as_str));
    let (code, _, err) = quell(&args, b"");
    assert_ne!(code, 0);
    assert!(err.contains("line 2"), "{err}");
    // Not even the registry it would have gone into was created.
    assert!(!Path::new(&b.args[1]).exists(), "{}", b.args[1]);
}

#[test]
fn commands_that_read_a_registry_never_create_one() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("mistyped");
    let data = missing.to_str().unwrap();
    for command in [
        &["audit", "verify"][..],
        &["audit", "list"],
        &["member", "list"],
        &["member", "disable", "acme"],
        &["member", "rotate-key", "acme"],
        &["list", "export"],
    ] {
        let mut args = command.to_vec();
        args.extend(["--data-dir", data]);
        let (code, out, err) = quell(&args, b"");
        assert_ne!(code, 0, "{args:?} succeeded: {out}");
        assert!(
            err.contains("no Quell registry in") && err.contains("mistyped"),
            "{args:?}: {err}"
        );
        assert!(!missing.exists(), "{args:?} created {}", missing.display());
    }
    // Setting a registry up still creates it.
    let (code, _, err) = quell(
        &[
            "member",
            "add",
            "ops",
            "--scopes",
            "admin",
            "--data-dir",
            data,
        ],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = quell(&["member", "list", "--data-dir", data], b"");
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("ops\t"), "{out}");
}

#[test]
fn a_postgres_schema_without_a_registry_is_not_one() {
    let url = format!(
        "{}?options=-csearch_path%3Dquell_no_such_schema",
        postgres_url("test")
    );
    let (code, _, err) = quell(&["audit", "verify", "--database-url", &url], b"");
    assert_ne!(code, 0);
    assert!(
        err.contains("no Quell registry in the PostgreSQL database \"test\""),
        "{err}"
    );
}

#[test]
fn database_urls_fail_at_once_in_one_line() {
    // Another database's URL is refused by its scheme, without echoing the password.
    let (code, _, err) = quell(
        &[
            "member",
            "list",
            "--database-url",
            "mysql://root:hunter2@127.0.0.1/test",
        ],
        b"",
    );
    assert_ne!(code, 0);
    assert!(
        err.contains("unsupported database URL scheme \"mysql\""),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");

    // A closed port is reported as refused at once, not after the pool's 30 s timeout.
    let started = Instant::now();
    let closed = "postgres://postgres@127.0.0.1:1/test";
    let (code, _, err) = quell(&["member", "list", "--database-url", closed], b"");
    assert_ne!(code, 0);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert!(err.contains("Connection refused"), "{err}");

    // An error the server returns is said once, in the server's words, on one line.
    let (code, _, err) = quell(
        &[
            "member",
            "list",
            "--database-url",
            &postgres_url("quell_no_such_database"),
        ],
        b"",
    );
    assert_ne!(code, 0);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert_eq!(err.matches("does not exist").count(), 1, "{err}");
    assert!(!err.contains(" at line "), "{err}");
}

#[test]
fn audit_verify_catches_removed_newest_events_against_a_kept_head() {
    let db = sqlite_db();
    run_ok(&["member", "add", "acme", "--scopes", "sync"], &db);
    run_ok(&["member", "add", "ops", "--scopes", "admin"], &db);
    let out = run_ok(&["audit", "verify"], &db);
    let head = out.trim().rsplit_once("head ").unwrap().1.to_owned();
    assert!(
        out.starts_with("audit chain OK: 2 events, head 2:"),
        "{out}"
    );
    assert!(run_ok(&["audit", "verify", "--expect-head", &head], &db).contains("OK: 2 events"));

    // The newest event removed: the shorter chain is valid in itself, the kept head is not in it.
    with_sqlite(&db, async |conn| {
        sqlx::query("DELETE FROM audit WHERE seq = 2")
            .execute(&mut *conn)
            .await
            .unwrap();
    });
    assert!(run_ok(&["audit", "verify"], &db).contains("OK: 1 events, head 1:"));
    let mut args = vec!["audit", "verify", "--expect-head", &head];
    args.extend(db.args.iter().map(String::as_str));
    let (code, out, _) = quell(&args, b"");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("ends at event 1, before the expected head 2:"),
        "{out}"
    );

    // A head with another hash at that event: the chain was rewritten.
    let forged = format!("1:{}", "ab".repeat(32));
    let mut args = vec!["audit", "verify", "--expect-head", &forged];
    args.extend(db.args.iter().map(String::as_str));
    let (code, out, _) = quell(&args, b"");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("event 1 is not the expected head"), "{out}");

    // A malformed head is a usage error that names the format.
    let mut args = vec!["audit", "verify", "--expect-head", "two"];
    args.extend(db.args.iter().map(String::as_str));
    let (code, _, err) = quell(&args, b"");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("SEQ:HASH"), "{err}");
}

#[test]
fn quarantine_commands_list_with_context_and_audit_their_reasons() {
    let db = sqlite_db();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), format!("pdq {}\npdq {}\n", pdq(1), pdq(2))).unwrap();
    run_ok(&["list", "import", file.path().to_str().unwrap()], &db);
    let ids: Vec<i64> = with_sqlite(&db, async |conn| {
        sqlx::query_scalar("SELECT id FROM entries ORDER BY id")
            .fetch_all(&mut *conn)
            .await
            .unwrap()
    });
    let entry = quell_registry::EntryId::from_i64(ids[0]).to_string();

    let out = run_ok(
        &["quarantine", "add", &entry, "--reason", "looks unrelated"],
        &db,
    );
    assert_eq!(out.trim(), format!("{entry}: quarantined"));
    let listed = run_ok(&["quarantine", "list"], &db);
    let fields: Vec<&str> = listed.trim_end().split('\t').collect();
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert_eq!(
        (fields[0], fields[2], fields[5]),
        (entry.as_str(), "pdq", "looks unrelated")
    );
    assert_eq!(run_ok(&["list", "export"], &db).lines().count(), 1);

    let mut args = vec!["quarantine", "release", &entry, "--reason", " "];
    args.extend(db.args.iter().map(String::as_str));
    let (code, _, err) = quell(&args, b"");
    assert_ne!(code, 0);
    assert!(err.contains("--reason of 1 to 500 characters"), "{err}");

    let out = run_ok(
        &[
            "quarantine",
            "release",
            &entry,
            "--reason",
            "checked: a copy",
        ],
        &db,
    );
    assert_eq!(out.trim(), format!("{entry}: released"));
    assert_eq!(run_ok(&["quarantine", "list"], &db), "");
    assert_eq!(run_ok(&["list", "export"], &db).lines().count(), 2);
    let audit = run_ok(&["audit", "list"], &db);
    assert!(
        audit.contains(&format!("entry.release\t{entry}\treason=checked: a copy")),
        "{audit}"
    );
}

#[test]
fn a_thousand_wrong_keys_from_one_address_never_refuse_a_valid_key() {
    let db = sqlite_db();
    let key = run_ok(&["member", "add", "acme", "--scopes", "sync,match"], &db)
        .trim()
        .to_owned();
    let old = run_ok(&["member", "add", "old", "--scopes", "sync"], &db)
        .trim()
        .to_owned();
    run_ok(&["member", "rotate-key", "old"], &db);
    let server = start_server(&db);
    let addr = server.addr.clone();
    // From the same address as the valid requests: a member whose rotated key keeps retrying,
    // random keys, and wrong secret halves of the valid key's own id.
    let (key_id, _) = key.rsplit_once('_').unwrap();
    let wrong: Vec<String> = (0..1000u64)
        .map(|i| match i % 3 {
            0 => old.clone(),
            1 => format!("qk_{:016x}_{}", i + 1, "ab".repeat(32)),
            _ => format!("{key_id}_{:064x}", i),
        })
        .collect();
    let noise = std::thread::spawn(move || {
        let mut statuses = std::collections::BTreeMap::<u16, u32>::new();
        for token in &wrong {
            let (status, _) = try_http(&addr, "GET", "/v1/hashes?limit=1", Some(token), None)
                .expect("the registry answers");
            *statuses.entry(status).or_default() += 1;
        }
        statuses
    });
    let mut valid = Vec::new();
    while !noise.is_finished() || valid.len() < 200 {
        let started = Instant::now();
        let (status, body) =
            try_http(&server.addr, "GET", "/v1/hashes?limit=1", Some(&key), None).unwrap();
        valid.push(started.elapsed());
        assert_eq!(status, 200, "a valid key was refused: {body}");
    }
    let statuses = noise.join().unwrap();
    // Wrong keys are refused (401, or 429 once one real key has had its share of wrong
    // secrets), and nothing else.
    assert_eq!(statuses.values().sum::<u32>(), 1000);
    assert!(
        statuses.keys().all(|s| [401, 429].contains(s)),
        "{statuses:?}"
    );
    assert!(statuses.get(&429).copied().unwrap_or(0) > 0, "{statuses:?}");
    valid.sort();
    let p99 = valid[valid.len() * 99 / 100];
    eprintln!(
        "valid requests beside 1,000 wrong keys: {} requests, median {:?}, p99 {p99:?}",
        valid.len(),
        valid[valid.len() / 2]
    );
}

#[test]
fn benign_hashes_are_listed_audited_and_refused_at_import() {
    let db = sqlite_db();
    let logo = pdq(5);
    let md5 = "0123456789abcdef0123456789abcdef";
    let add = [
        "benign",
        "add",
        &format!("pdq:{logo}"),
        &format!("md5:{}", md5.to_uppercase()),
        "--reason",
        "the app's splash screen",
    ];
    run_ok(&add, &db);
    let listed = run_ok(&["benign", "list"], &db);
    let lines: Vec<Vec<&str>> = listed.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(lines.len(), 2, "{listed}");
    assert_eq!((lines[0][0], lines[0][1]), ("md5", md5));
    assert_eq!((lines[1][0], lines[1][1]), ("pdq", logo.as_str()));
    assert!(lines.iter().all(|l| l[3] == "the app's splash screen"));

    // An import holding one of them (or a PDQ hash within matching distance) is refused whole.
    let file = tempfile::NamedTempFile::new().unwrap();
    let mut near = logo.clone().into_bytes();
    near[0] = if near[0] == b'0' { b'1' } else { b'0' };
    let near = String::from_utf8(near).unwrap();
    std::fs::write(file.path(), format!("pdq {}\npdq {near}\n", pdq(6))).unwrap();
    let mut args = vec!["list", "import", file.path().to_str().unwrap()];
    args.extend(db.args.iter().map(String::as_str));
    let (code, _, err) = quell(&args, b"");
    assert_ne!(code, 0);
    assert!(err.contains("known-benign") && err.contains(&near), "{err}");
    assert!(run_ok(&["list", "export"], &db).is_empty());

    // Removing takes a reason; each change is in the audit log, which still verifies.
    let remove = [
        "benign",
        "remove",
        &format!("md5:{md5}"),
        "--reason",
        "listed by mistake",
    ];
    run_ok(&remove, &db);
    let mut again: Vec<&str> = remove.to_vec();
    again.extend(db.args.iter().map(String::as_str));
    let (code, _, err) = quell(&again, b"");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("is not listed"), "{err}");
    let audit = run_ok(&["audit", "list"], &db);
    let actions: Vec<&str> = audit
        .lines()
        .map(|l| l.split('\t').nth(3).unwrap())
        .collect();
    assert_eq!(
        actions,
        ["benign.add", "benign.add", "benign.remove"],
        "{audit}"
    );
    assert!(run_ok(&["audit", "verify"], &db).contains("OK: 3 events"));
    let mut blank = vec!["benign", "add", "md5:00000000000000000000000000000000"];
    blank.extend(["--reason", " "]);
    blank.extend(db.args.iter().map(String::as_str));
    let (code, _, err) = quell(&blank, b"");
    assert_ne!(code, 0);
    assert!(err.contains("--reason"), "{err}");
}
