//! Test databases: a fresh SQLite file per test, and a fresh PostgreSQL schema per test in
//! the database `QUELL_TEST_DATABASE_URL` names (default: the CI server's `test` database).
//! PostgreSQL being unreachable fails the tests: CI always has it.

use std::str::FromStr as _;

use quell_store::{PgConnectOptions, PgStore, SqliteStore};

pub(crate) fn postgres_url() -> String {
    std::env::var("QUELL_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// A SQLite store in a temporary directory (kept alive by the returned guard).
pub(crate) async fn sqlite() -> (SqliteStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("registry.db"))
        .await
        .unwrap();
    (store, dir)
}

/// A PostgreSQL schema that is dropped when this is dropped.
pub(crate) struct PgSchema {
    name: String,
}

impl PgSchema {
    /// The schema's name.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        // Drop runs outside the test's runtime; a small blocking one is enough for one query.
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                use sqlx::Connection as _;
                if let Ok(mut conn) = sqlx::PgConnection::connect(&postgres_url()).await {
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                        "DROP SCHEMA IF EXISTS {name} CASCADE"
                    )))
                    .execute(&mut conn)
                    .await;
                }
            });
        })
        .join();
    }
}

/// A PostgreSQL store in a new, uniquely named schema.
pub(crate) async fn postgres() -> (PgStore, PgSchema) {
    use sqlx::Connection as _;
    let url = postgres_url();
    let name = format!("quell_test_{:016x}", rand_u64());
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap_or_else(|e| {
        panic!("PostgreSQL at {url} is needed for these tests (CI has it): {e}")
    });
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
    let options = PgConnectOptions::from_str(&url)
        .unwrap()
        .options([("search_path", name.as_str())]);
    let store = PgStore::open(options).await.unwrap();
    (store, PgSchema { name })
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

/// Runs each conformance check on both backends.
macro_rules! on_both {
    ($($check:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    let (store, _dir) = crate::backends::sqlite().await;
                    crate::conformance::$check(&store).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    let (store, _schema) = crate::backends::postgres().await;
                    crate::conformance::$check(&store).await;
                }
            )*
        }
    };
}

on_both!(
    case_lifecycle,
    sync_hides_withdrawn_hashes_and_resumes,
    members_and_keys,
    outcomes_all_or_nothing,
    quarantine_and_release,
    concurrent_writers_keep_sequences_gap_free,
    vpdq_entries,
    filed_entries,
    pages_stop_at_the_value_budget,
    benign_list,
    removals_for_time_to_action,
    media_group_entries,
);

#[tokio::test]
async fn sqlite_data_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("registry.db");
    let store = SqliteStore::open(&path).await.unwrap();
    let case = crate::conformance::new_case(3);
    quell_registry::Store::create_case(
        &store,
        &case,
        &quell_registry::Actor::Cli,
        quell_registry::Timestamp::from_millis(1),
    )
    .await
    .unwrap();
    store.close().await;
    let store = SqliteStore::open(&path).await.unwrap();
    let status = quell_registry::Store::case_status(&store, case.id())
        .await
        .unwrap();
    assert_eq!(status.hashes.iter().map(|(_, n)| n).sum::<u32>(), 3);
}
