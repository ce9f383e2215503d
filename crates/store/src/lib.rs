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
//! let store = quell_store::AnyStore::open(&quell_store::Location::parse(None, "quell-data".as_ref())).await?;
//! # Ok(()) }
//! ```

mod any;
mod audit;
mod backend;
mod cases;
mod columns;
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
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The database could not be reached or created.
    #[error("cannot connect to the database: {0}")]
    Connect(#[source] sqlx::Error),
    /// The schema could not be created or is newer than this build.
    #[error("cannot prepare the database schema: {0}")]
    Migrate(#[source] sqlx::Error),
    /// The data directory could not be created.
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Anything else while opening.
    #[error("{0}")]
    Other(#[source] Box<dyn std::error::Error + Send + Sync>),
}
