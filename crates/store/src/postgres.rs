//! The PostgreSQL backend.

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::OpenError;

type Db = sqlx::Postgres;

/// Key of the transaction-scoped advisory lock every writing transaction takes: sequence
/// numbers (changes, audit chain) follow commit order only if writers are serialised,
/// including writers in other processes.
const WRITE_LOCK: i64 = 0x7175_656c_6c00_0001;

/// The registry in a PostgreSQL database.
#[derive(Clone, Debug)]
pub struct PgStore {
    pool: sqlx::PgPool,
}

impl PgStore {
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
        let store = Self { pool };
        let mut tx = store.begin_write().await.map_err(|e| match e {
            quell_registry::StoreError::Backend(e) => OpenError::Other(e),
            other => OpenError::Other(Box::new(other)),
        })?;
        crate::migrate::run(&mut tx, include_str!("../migrations/postgres.sql"))
            .await
            .map_err(OpenError::Migrate)?;
        tx.commit().await.map_err(OpenError::Migrate)?;
        Ok(store)
    }

    /// Closes the pool, waiting for connections to finish.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn begin_write(
        &self,
    ) -> Result<sqlx::Transaction<'static, Db>, quell_registry::StoreError> {
        let mut tx = self.pool.begin().await.map_err(crate::common::db)?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(WRITE_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(crate::common::db)?;
        Ok(tx)
    }
}

crate::common::impl_store!(PgStore);
