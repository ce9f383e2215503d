//! A one-table schema version: the registry's schema is small, applied whole at version 1 and
//! then in numbered steps, so a migration framework (and sqlx's macros, which need a database
//! at build time) is not needed.

use sqlx::{Database, Executor, IntoArguments};

/// The steps after version 1, in order: the same SQL text on both backends.
const STEPS: [&str; 5] = [
    include_str!("../migrations/v2.sql"),
    include_str!("../migrations/v3.sql"),
    include_str!("../migrations/v4.sql"),
    include_str!("../migrations/v5.sql"),
    include_str!("../migrations/v6.sql"),
];

/// Newest schema version this build knows.
const VERSION: i64 = 1 + STEPS.len() as i64;

/// Applies `v1` if the database has no schema yet, then every step the database lacks,
/// inside the caller's transaction (so a failed step leaves the old schema whole).
pub(crate) async fn run<DB>(
    tx: &mut sqlx::Transaction<'static, DB>,
    v1: &'static str,
) -> Result<(), sqlx::Error>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'a> DB::Arguments: IntoArguments<DB>,
    i64: sqlx::Type<DB> + for<'r> sqlx::Decode<'r, DB> + for<'q> sqlx::Encode<'q, DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
{
    use sqlx::Row as _;
    sqlx::raw_sql("CREATE TABLE IF NOT EXISTS quell_schema (version BIGINT NOT NULL)")
        .execute(&mut **tx)
        .await?;
    let current: Option<i64> = sqlx::query("SELECT MAX(version) FROM quell_schema")
        .fetch_one(&mut **tx)
        .await?
        .try_get(0)?;
    let mut version = match current {
        None => {
            sqlx::raw_sql(v1).execute(&mut **tx).await?;
            1
        }
        Some(v) if v <= VERSION => v,
        Some(v) => {
            return Err(sqlx::Error::Protocol(format!(
                "the database has schema version {v}, newer than this build of quell ({VERSION})"
            )));
        }
    };
    if current == Some(VERSION) {
        return Ok(());
    }
    for step in &STEPS[usize::try_from(version - 1).unwrap_or(0)..] {
        sqlx::raw_sql(*step).execute(&mut **tx).await?;
        version += 1;
    }
    sqlx::query("DELETE FROM quell_schema")
        .execute(&mut **tx)
        .await?;
    sqlx::query("INSERT INTO quell_schema (version) VALUES ($1)")
        .bind(version)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
