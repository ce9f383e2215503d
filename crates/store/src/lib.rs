//! Storage for the Quell registry: the [`quell_registry::Store`] trait on SQLite and
//! PostgreSQL through sqlx.
//!
//! **Key decision: one set of SQL for both backends, checked by one conformance suite.**
//! Statements are plain runtime SQL with `$n` placeholders, which both drivers accept, named
//! as constants beside the small function per area that runs them (`cases`, `feed`,
//! `members`, `review`, `audit`); the schema uses only portable types (64-bit integers, text,
//! booleans). Those functions are written once, generic over a sealed `Backend` trait that
//! SQLite and PostgreSQL implement, and bind parameters and read rows only as tuples both
//! databases accept, so there is no driver-agnostic `Any` layer at run time and no
//! build-time database for `query!`. Writers are serialised (SQLite's `BEGIN IMMEDIATE`, a
//! PostgreSQL advisory lock), which orders the change sequence and the audit chain by
//! commit, so a member's sync cursor can never skip a change committed late. The sync feed
//! carries each upsert's hash, so a page is one range scan.
//!
//! ```no_run
//! # async fn f() -> Result<(), quell_store::OpenError> {
//! let location = quell_store::Location::parse(None, "quell-data".as_ref())?;
//! let store = quell_store::AnyStore::open(&location).await?;
//! # Ok(()) }
//! ```

mod any;
mod audit;
mod backend;
mod benign;
mod cases;
mod columns;
mod credentials;
mod feed;
mod members;
mod migrate;
mod postgres;
mod review;
mod sql;
mod sqlite;

pub use crate::any::{AnyStore, Location};
pub use crate::postgres::PgStore;
pub use crate::sql::SqlStore;
pub use crate::sqlite::SqliteStore;
pub use sqlx::postgres::PgConnectOptions;

/// Why a store could not be opened.
///
/// Each message carries its cause's text and no [`std::error::Error::source`], so a caller
/// that prints the chain (anyhow's `{:#}`) says it once.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The database could not be reached or created.
    #[error("cannot connect to the database: {}", describe(.0))]
    Connect(sqlx::Error),
    /// The schema could not be created or is newer than this build.
    #[error("cannot prepare the database schema: {}", describe(.0))]
    Migrate(sqlx::Error),
    /// The data directory could not be created.
    #[error("cannot create the data directory {}: {error}", path.display())]
    DataDir {
        /// The directory.
        path: std::path::PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// A command that only works on an existing registry found none.
    #[error(
        "no Quell registry in {place}: check --data-dir or --database-url (`quell serve` or \
         `quell member add` creates one)"
    )]
    NoRegistry {
        /// The file or database looked in.
        place: String,
    },
    /// A database URL for a database Quell does not store in.
    #[error(
        "unsupported database URL scheme {scheme:?}: Quell stores its registry in SQLite \
         (--data-dir) or PostgreSQL (postgres://…)"
    )]
    UnsupportedUrl {
        /// The URL's scheme (never the rest, which may hold a password).
        scheme: String,
    },
    /// Anything else while opening.
    #[error("{0}")]
    Other(Box<dyn std::error::Error + Send + Sync>),
}

/// A database error in one line for a person: the server's own message for an error the
/// database returned (PostgreSQL's display adds the line of its own C source that raised it,
/// which helps nobody running `quell`), the driver's text otherwise.
fn describe(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(db) => format!("the database says: {}", db.message()),
        other => other.to_string(),
    }
}
