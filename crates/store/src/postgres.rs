//! The PostgreSQL backend.

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

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
