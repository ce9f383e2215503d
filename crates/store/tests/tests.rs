//! The store conformance suite, run against SQLite and PostgreSQL.

mod backends;
mod conformance;

/// A registry database made by a build that knew only schema version 1 opens, gains the
/// filing column (version 2), the quarantine indexes (version 3), the benign list (version
/// 4) and media ids (version 5: each old entry a file of its own), then version 6 (a new filed
/// profile, no table change), and keeps its entries.
#[tokio::test]
async fn a_version_1_sqlite_database_is_upgraded_in_place() {
    use sqlx::Connection as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("registry.db");
    {
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::raw_sql(include_str!("../migrations/sqlite.sql"))
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::raw_sql(
            "CREATE TABLE quell_schema (version BIGINT NOT NULL); \
             INSERT INTO quell_schema (version) VALUES (1); \
             INSERT INTO cases (id, secret_hash, opened_at) VALUES (7, '$argon2id$old', 1); \
             INSERT INTO entries (id, case_id, kind, value, quality, state, created_at) \
             VALUES (9, 7, 'md5', 'd41d8cd98f00b204e9800998ecf8427e', NULL, 'active', 1), \
             (10, 7, 'pdq', 'f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22', \
              90, 'active', 1);",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
    }
    let store = quell_store::SqliteStore::open(&path).await.unwrap();
    let old = quell_registry::EntryId::from_i64(9);
    let signal = quell_registry::Store::entry_signal(&store, old)
        .await
        .unwrap();
    assert_eq!(
        signal.unwrap().value_hex(),
        "d41d8cd98f00b204e9800998ecf8427e"
    );
    let pdq = quell_registry::EntryId::from_i64(10);
    let signal = quell_registry::Store::entry_signal(&store, pdq)
        .await
        .unwrap();
    let signal = signal.unwrap();
    assert_eq!(
        (signal.quality().map(|q| q.get()), signal.filing()),
        (Some(90), None)
    );
    assert_own_media(&store, &[old, pdq]).await;
    // The new column is there: a filed case goes in beside the old one.
    crate::conformance::filed_entries(&store).await;
    store.close().await;
    let url = format!("sqlite://{}", path.display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let version: i64 = sqlx::query_scalar("SELECT MAX(version) FROM quell_schema")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(version, 6);
}

/// The same upgrade on PostgreSQL, in a schema of its own.
#[tokio::test]
async fn a_version_1_postgres_schema_is_upgraded_in_place() {
    use std::str::FromStr as _;

    use sqlx::Connection as _;
    let (store, schema) = crate::backends::postgres().await;
    store.close().await;
    // Back to version 1: the v2 step's columns, the v3 step's indexes, the v4 step's table and
    // the v5 step's column out, the version row back to 1.
    let url = crate::backends::postgres_url();
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    let name = schema.name().to_owned();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP INDEX {name}.entries_quarantined; DROP INDEX {name}.audit_quarantines; \
         DROP INDEX {name}.entries_by_media; ALTER TABLE {name}.entries DROP COLUMN media_id; \
         DROP TABLE {name}.benign_hashes; \
         ALTER TABLE {name}.entries DROP COLUMN filing; \
         ALTER TABLE {name}.changes DROP COLUMN filing; \
         UPDATE {name}.quell_schema SET version = 1; \
         INSERT INTO {name}.cases (id, secret_hash, opened_at) VALUES (7, '$argon2id$old', 1); \
         INSERT INTO {name}.entries (id, case_id, kind, value, quality, state, created_at) \
         VALUES (10, 7, 'pdq', 'f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22', \
                 90, 'active', 1);"
    )))
    .execute(&mut conn)
    .await
    .unwrap();
    let options = quell_store::PgConnectOptions::from_str(&url)
        .unwrap()
        .options([("search_path", name.as_str())]);
    let store = quell_store::PgStore::open(options).await.unwrap();
    let old = quell_registry::EntryId::from_i64(10);
    let signal = quell_registry::Store::entry_signal(&store, old)
        .await
        .unwrap();
    assert_eq!(signal.unwrap().filing(), None);
    assert_own_media(&store, &[old]).await;
    crate::conformance::filed_entries(&store).await;
    let version: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT MAX(version) FROM {name}.quell_schema"
    )))
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(version, 6);
    store.close().await;
}

/// Entries from before media ids are each a file of their own (their media id is their entry
/// id), and their case counts no files: its grouping was never sent.
async fn assert_own_media(store: &impl quell_registry::Store, entries: &[quell_registry::EntryId]) {
    let found = store.registrations(entries).await.unwrap();
    assert_eq!(found.len(), entries.len());
    for (entry, registration) in found {
        assert_eq!(registration.media.get(), entry.get());
        assert_eq!(registration.at.millis(), 1);
    }
    let old_case = quell_registry::CaseId::from_i64(7);
    assert_eq!(store.case_status(old_case).await.unwrap().media, None);
}

/// Opening an existing registry never creates one; any other URL scheme than PostgreSQL's is
/// refused by name.
#[tokio::test]
async fn open_existing_creates_nothing_and_urls_are_checked() {
    use quell_store::{AnyStore, Location, OpenError};
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    let location = Location::parse(None, &missing).unwrap();
    let err = AnyStore::open_existing(&location).await.unwrap_err();
    assert!(matches!(err, OpenError::NoRegistry { .. }), "{err}");
    assert!(!missing.exists());

    let store = AnyStore::open(&location).await.unwrap();
    store.close().await;
    AnyStore::open_existing(&location)
        .await
        .unwrap()
        .close()
        .await;

    for url in ["postgres://h/db", "postgresql://h/db", "POSTGRES://h/db"] {
        assert!(matches!(
            Location::parse(Some(url), &missing),
            Ok(Location::Postgres(_))
        ));
    }
    for (url, scheme) in [("mysql://u:pw@h/db", "mysql"), ("sqlite:x.db", "")] {
        match Location::parse(Some(url), &missing) {
            Err(OpenError::UnsupportedUrl { scheme: got }) => assert_eq!(got, scheme),
            other => panic!("{url}: {other:?}"),
        }
    }
}
