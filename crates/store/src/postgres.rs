//! The PostgreSQL backend.

use sqlx::Connection as _;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions};

use crate::backend::Backend as _;
use crate::{OpenError, SqlStore};

/// The registry in a PostgreSQL database. Writers are serialised by a transaction-scoped
/// advisory lock, including writers in other processes.
pub type PgStore = SqlStore<sqlx::Postgres>;

impl SqlStore<sqlx::Postgres> {
    /// Connects and brings the schema up to date. Pass options with a `search_path` to keep
    /// the registry in its own schema.
    ///
    /// # Errors
    /// If the server cannot be reached or the schema cannot be migrated.
    pub async fn open(options: PgConnectOptions) -> Result<Self, OpenError> {
        Self::open_with(options, true).await
    }

    /// Connects and brings the schema up to date only if the database (in the options'
    /// `search_path`) holds a registry already.
    ///
    /// # Errors
    /// [`OpenError::NoRegistry`] if it holds none, or why it cannot be reached or migrated.
    pub async fn open_existing(options: PgConnectOptions) -> Result<Self, OpenError> {
        Self::open_with(options, false).await
    }

    async fn open_with(options: PgConnectOptions, create: bool) -> Result<Self, OpenError> {
        // One connection first: a refused or unknown host fails here at once, where the pool
        // would retry until its acquire timeout and then say only that it timed out.
        let mut first = PgConnection::connect_with(&options)
            .await
            .map_err(OpenError::Connect)?;
        let exists: bool = sqlx::query_scalar("SELECT to_regclass('quell_schema') IS NOT NULL")
            .fetch_one(&mut first)
            .await
            .map_err(OpenError::Connect)?;
        let _ = first.close().await;
        if !exists && !create {
            let database = options.get_database().unwrap_or("(the user's default)");
            let settings = options
                .get_options()
                .map(|o| format!(" with options {o:?}"))
                .unwrap_or_default();
            return Err(OpenError::NoRegistry {
                place: format!("the PostgreSQL database {database:?}{settings}"),
            });
        }
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .connect_with(options)
            .await
            .map_err(OpenError::Connect)?;
        let mut tx = sqlx::Postgres::begin_write(&pool)
            .await
            .map_err(|e| match e {
                quell_registry::StoreError::Backend(e) => OpenError::Other(e),
                other => OpenError::Other(Box::new(other)),
            })?;
        crate::migrate::run(&mut tx, include_str!("../migrations/postgres.sql"))
            .await
            .map_err(OpenError::Migrate)?;
        tx.commit().await.map_err(OpenError::Migrate)?;
        Ok(Self { pool })
    }
}
