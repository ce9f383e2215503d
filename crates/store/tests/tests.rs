//! The store conformance suite, run against SQLite and PostgreSQL.

mod backends;
mod conformance;

/// A registry database made by a build that knew only schema version 1 opens, gains the
/// filing column, and keeps its entries.
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
             VALUES (9, 7, 'md5', 'd41d8cd98f00b204e9800998ecf8427e', NULL, 'active', 1);",
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
    // The new column is there: a filed case goes in beside the old one.
    crate::conformance::filed_entries(&store).await;
    store.close().await;
    let url = format!("sqlite://{}", path.display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let version: i64 = sqlx::query_scalar("SELECT MAX(version) FROM quell_schema")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(version, 2);
}
