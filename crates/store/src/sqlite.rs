//! The SQLite backend: one file, WAL, `synchronous = FULL`.

use std::path::Path;
use std::str::FromStr as _;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::{OpenError, SqlStore};

/// The registry in a SQLite file.
///
/// WAL lets readers (sync, status) run beside the writer; `synchronous = FULL` syncs the WAL on
/// every commit, so an acknowledged change survives a power cut, not only a crash. Writers take
/// the database's write lock at `BEGIN IMMEDIATE`, which is what makes sequence numbers follow
/// commit order.
pub type SqliteStore = SqlStore<sqlx::Sqlite>;

impl SqlStore<sqlx::Sqlite> {
    /// Opens (creating if needed) the database file at `path` and brings its schema up to date.
    ///
    /// # Errors
    /// If the file cannot be opened or migrated.
    pub async fn open(path: &Path) -> Result<Self, OpenError> {
        Self::open_with(path, true).await
    }

    /// Opens the database file at `path` only if it exists, and brings its schema up to date.
    ///
    /// # Errors
    /// [`OpenError::NoRegistry`] if there is no such file, or why it cannot be opened.
    pub async fn open_existing(path: &Path) -> Result<Self, OpenError> {
        if !path.is_file() {
            return Err(OpenError::NoRegistry {
                place: path.display().to_string(),
            });
        }
        Self::open_with(path, false).await
    }

    async fn open_with(path: &Path, create: bool) -> Result<Self, OpenError> {
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(OpenError::Connect)?
            .filename(path)
            .create_if_missing(create)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .map_err(OpenError::Connect)?;
        let mut tx = pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(OpenError::Migrate)?;
        crate::migrate::run(&mut tx, include_str!("../migrations/sqlite.sql"))
            .await
            .map_err(OpenError::Migrate)?;
        tx.commit().await.map_err(OpenError::Migrate)?;
        Ok(Self { pool })
    }
}
