//! The seam between the store's statements and the two databases.
//!
//! The area modules (cases, feed, members, outcomes, audit) are written once, generic over
//! [`Backend`], and bind parameters and read rows only through [`Params`] and [`Row`]: both
//! name what *both* databases accept concretely, so the generic code never needs sqlx's
//! per-database bounds. [`Backend`] is implemented for `sqlx::Sqlite` and `sqlx::Postgres`;
//! its only real difference is how a writing transaction takes the one write lock.

use std::future::Future;

use quell_registry::StoreError;
use sqlx::error::BoxDynError;
use sqlx::query_builder::Separated;
use sqlx::{Arguments as _, Database, Encode, FromRow, Postgres, Sqlite, Type};

use crate::columns::db;

/// One value bound to a `$n` placeholder, encoded by `DB`.
pub(crate) trait Bind<DB: Database>: Send {
    /// The values as a statement's arguments, `$1` first.
    fn arguments(self) -> Result<DB::Arguments, BoxDynError>;
    /// The values as one row of a multi-row `INSERT … VALUES`.
    fn push_row(self, row: Separated<'_, DB, &'static str>);
}

macro_rules! bind_tuple {
    ($($value:ident),*) => {
        impl<DB: Database, $($value),*> Bind<DB> for ($($value,)*)
        where
            $($value: for<'t> Encode<'t, DB> + Type<DB> + Send,)*
        {
            #[allow(non_snake_case, unused_mut)]
            fn arguments(self) -> Result<DB::Arguments, BoxDynError> {
                let ($($value,)*) = self;
                let mut arguments = DB::Arguments::default();
                $(arguments.add($value)?;)*
                Ok(arguments)
            }

            #[allow(non_snake_case, unused_mut, unused_variables)]
            fn push_row(self, mut row: Separated<'_, DB, &'static str>) {
                let ($($value,)*) = self;
                $(row.push_bind($value);)*
            }
        }
    };
}

bind_tuple!();
bind_tuple!(A);
bind_tuple!(A, B);
bind_tuple!(A, B, C);
bind_tuple!(A, B, C, D);
bind_tuple!(A, B, C, D, E);
bind_tuple!(A, B, C, D, E, F);
bind_tuple!(A, B, C, D, E, F, G);
bind_tuple!(A, B, C, D, E, F, G, H);
bind_tuple!(A, B, C, D, E, F, G, H, I);

/// A statement's parameters as a tuple (`$1` first) that both databases bind.
pub(crate) trait Params: Bind<Sqlite> + Bind<Postgres> {}
impl<T: Bind<Sqlite> + Bind<Postgres>> Params for T {}

/// A result row as a tuple of columns that both databases decode.
pub(crate) trait Row:
    for<'r> FromRow<'r, <Sqlite as Database>::Row>
    + for<'r> FromRow<'r, <Postgres as Database>::Row>
    + Send
    + Unpin
{
}
impl<T> Row for T where
    T: for<'r> FromRow<'r, <Sqlite as Database>::Row>
        + for<'r> FromRow<'r, <Postgres as Database>::Row>
        + Send
        + Unpin
{
}

/// What the statements need from a database: a writing transaction, a read connection and the
/// three ways a statement runs. `conn` is a writing transaction or a pooled read connection,
/// both of which dereference to the database's connection.
pub(crate) trait Backend: Database {
    /// Begins a writing transaction holding the database's one write lock, so sequence
    /// numbers (changes, the audit chain) follow commit order, across processes too.
    fn begin_write(
        pool: &sqlx::Pool<Self>,
    ) -> impl Future<Output = Result<sqlx::Transaction<'static, Self>, StoreError>> + Send;

    /// Commits a writing transaction.
    fn commit(
        tx: sqlx::Transaction<'static, Self>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// A connection from the pool for reading (readers run beside the writer).
    fn read(
        pool: &sqlx::Pool<Self>,
    ) -> impl Future<Output = Result<sqlx::pool::PoolConnection<Self>, StoreError>> + Send;

    /// Runs a statement that returns no rows.
    fn execute<P: Params>(
        conn: &mut Self::Connection,
        sql: &'static str,
        params: P,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Runs a query and returns every row.
    fn fetch_all<P: Params, R: Row>(
        conn: &mut Self::Connection,
        sql: &'static str,
        params: P,
    ) -> impl Future<Output = Result<Vec<R>, StoreError>> + Send;

    /// Runs `head VALUES (…), (…)` with one row per item: the caller keeps each call under
    /// [`crate::columns::INSERT_CHUNK`] rows, well within both databases' parameter limits.
    fn insert_rows<P: Params>(
        conn: &mut Self::Connection,
        head: &'static str,
        rows: Vec<P>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Runs a query that returns at most one row (by key, `LIMIT 1`), and returns it.
    fn fetch_optional<P: Params, R: Row>(
        conn: &mut Self::Connection,
        sql: &'static str,
        params: P,
    ) -> impl Future<Output = Result<Option<R>, StoreError>> + Send {
        async move { Ok(Self::fetch_all(conn, sql, params).await?.into_iter().next()) }
    }

    /// Runs a query that returns exactly one row (an aggregate), and returns it.
    fn fetch_one<P: Params, R: Row>(
        conn: &mut Self::Connection,
        sql: &'static str,
        params: P,
    ) -> impl Future<Output = Result<R, StoreError>> + Send {
        async move {
            Self::fetch_optional(conn, sql, params)
                .await?
                .ok_or_else(|| StoreError::Corrupt(format!("no row from {sql:?}")))
        }
    }
}

/// The statement runners, the same text for both databases: sqlx's per-database types make a
/// generic version need bounds no caller could prove, so the text is written once and expanded
/// for each.
macro_rules! run_statements {
    () => {
        async fn commit(tx: sqlx::Transaction<'static, Self>) -> Result<(), StoreError> {
            tx.commit().await.map_err(db)
        }

        async fn read(
            pool: &sqlx::Pool<Self>,
        ) -> Result<sqlx::pool::PoolConnection<Self>, StoreError> {
            pool.acquire().await.map_err(db)
        }

        fn execute<P: Params>(
            conn: &mut Self::Connection,
            sql: &'static str,
            params: P,
        ) -> impl Future<Output = Result<(), StoreError>> + Send {
            let arguments = Bind::<Self>::arguments(params);
            async move {
                let query = sqlx::query_with::<Self, _>(sql, arguments.map_err(encode)?);
                query.execute(conn).await.map(drop).map_err(db)
            }
        }

        fn fetch_all<P: Params, R: Row>(
            conn: &mut Self::Connection,
            sql: &'static str,
            params: P,
        ) -> impl Future<Output = Result<Vec<R>, StoreError>> + Send {
            let arguments = Bind::<Self>::arguments(params);
            async move {
                let query = sqlx::query_as_with::<Self, R, _>(sql, arguments.map_err(encode)?);
                query.fetch_all(conn).await.map_err(db)
            }
        }

        fn insert_rows<P: Params>(
            conn: &mut Self::Connection,
            head: &'static str,
            rows: Vec<P>,
        ) -> impl Future<Output = Result<(), StoreError>> + Send {
            let mut builder = sqlx::QueryBuilder::<Self>::new(head);
            builder.push_values(rows, |row, values| Bind::<Self>::push_row(values, row));
            async move { builder.build().execute(conn).await.map(drop).map_err(db) }
        }
    };
}

impl Backend for Sqlite {
    async fn begin_write(
        pool: &sqlx::Pool<Self>,
    ) -> Result<sqlx::Transaction<'static, Self>, StoreError> {
        // SQLite takes its write lock at `BEGIN IMMEDIATE`, not at the first write.
        pool.begin_with("BEGIN IMMEDIATE").await.map_err(db)
    }

    run_statements!();
}

impl Backend for Postgres {
    async fn begin_write(
        pool: &sqlx::Pool<Self>,
    ) -> Result<sqlx::Transaction<'static, Self>, StoreError> {
        let mut tx = pool.begin().await.map_err(db)?;
        Self::execute(&mut *tx, "SELECT pg_advisory_xact_lock($1)", (WRITE_LOCK,)).await?;
        Ok(tx)
    }

    run_statements!();
}

/// A value the database could not encode, as the store's error.
fn encode(e: BoxDynError) -> StoreError {
    db(sqlx::Error::Encode(e))
}

/// Key of the transaction-scoped advisory lock every writing PostgreSQL transaction takes.
const WRITE_LOCK: i64 = 0x7175_656c_6c00_0001;
