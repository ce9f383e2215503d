//! A one-table schema version: the registry's schema is small and applied whole, so a
//! migration framework (and sqlx's macros, which need a database at build time) is not needed.

use sqlx::{Database, Executor, IntoArguments};

/// Newest schema version this build knows.
const VERSION: i64 = 1;

/// Applies `v1` if the database has no schema yet, inside the caller's transaction.
pub(crate) async fn run<DB>(
    tx: &mut sqlx::Transaction<'static, DB>,
    v1: &'static str,
) -> Result<(), sqlx::Error>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'a> DB::Arguments: IntoArguments<DB>,
    i64: sqlx::Type<DB> + for<'r> sqlx::Decode<'r, DB>,
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
    match current {
        None => {
            sqlx::raw_sql(v1).execute(&mut **tx).await?;
            sqlx::raw_sql("INSERT INTO quell_schema (version) VALUES (1)")
                .execute(&mut **tx)
                .await?;
            Ok(())
        }
        Some(v) if v <= VERSION => Ok(()),
        Some(v) => Err(sqlx::Error::Protocol(format!(
            "the database has schema version {v}, newer than this build of quell ({VERSION})"
        ))),
    }
}
