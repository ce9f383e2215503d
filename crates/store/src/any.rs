//! The backend chosen at run time: a SQLite file in a data directory, or PostgreSQL.

use std::path::{Path, PathBuf};
use std::str::FromStr as _;

use quell_registry::{
    Actor, ApiKeyRecord, AuditEvent, BenignHash, CaseAuth, CaseId, CaseStatus, ChainHead, Change,
    CredentialId, EntryId, KeyId, Member, MemberId, NewCase, NewMember, OutcomeReport,
    QuarantinedEntry, Registration, Removal, Signal, SignalKind, Store, StoreError, Timestamp,
};
use sqlx::postgres::PgConnectOptions;

use crate::{OpenError, PgStore, SqliteStore};

/// Where the registry's data lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// `registry.db` (SQLite) inside this directory.
    DataDir(PathBuf),
    /// A PostgreSQL URL (`postgres://…`).
    Postgres(String),
}

impl Location {
    /// PostgreSQL if a database URL is given, else SQLite in `data_dir`.
    ///
    /// # Errors
    /// [`OpenError::UnsupportedUrl`] for a URL that is not `postgres://` or `postgresql://`
    /// (a `mysql://` URL is refused here, not tried as PostgreSQL).
    pub fn parse(database_url: Option<&str>, data_dir: &Path) -> Result<Self, OpenError> {
        let Some(url) = database_url else {
            return Ok(Self::DataDir(data_dir.to_owned()));
        };
        let scheme = url.split_once("://").map_or("", |(scheme, _)| scheme);
        if scheme.eq_ignore_ascii_case("postgres") || scheme.eq_ignore_ascii_case("postgresql") {
            Ok(Self::Postgres(url.to_owned()))
        } else {
            Err(OpenError::UnsupportedUrl {
                scheme: scheme.chars().take(20).collect(),
            })
        }
    }
}

/// Either backend, behind the one [`Store`] trait.
#[derive(Clone, Debug)]
pub enum AnyStore {
    /// SQLite.
    Sqlite(SqliteStore),
    /// PostgreSQL.
    Postgres(PgStore),
}

impl AnyStore {
    /// Opens the store at `location`, creating the data directory or schema if needed.
    ///
    /// # Errors
    /// If the directory cannot be created or the database cannot be opened or migrated.
    pub async fn open(location: &Location) -> Result<Self, OpenError> {
        match location {
            Location::DataDir(dir) => {
                std::fs::create_dir_all(dir).map_err(|error| OpenError::DataDir {
                    path: dir.clone(),
                    error,
                })?;
                Ok(Self::Sqlite(
                    SqliteStore::open(&dir.join("registry.db")).await?,
                ))
            }
            Location::Postgres(url) => {
                let options = PgConnectOptions::from_str(url).map_err(OpenError::Connect)?;
                Ok(Self::Postgres(PgStore::open(options).await?))
            }
        }
    }

    /// Opens the store at `location` only if a registry is there already: for the commands
    /// that read or change one, so a mistyped data directory or database is an error, not a
    /// new empty registry that reports all is well.
    ///
    /// # Errors
    /// [`OpenError::NoRegistry`] if there is none, or why the database cannot be opened.
    pub async fn open_existing(location: &Location) -> Result<Self, OpenError> {
        match location {
            Location::DataDir(dir) => Ok(Self::Sqlite(
                SqliteStore::open_existing(&dir.join("registry.db")).await?,
            )),
            Location::Postgres(url) => {
                let options = PgConnectOptions::from_str(url).map_err(OpenError::Connect)?;
                Ok(Self::Postgres(PgStore::open_existing(options).await?))
            }
        }
    }

    /// Closes the connection pool.
    pub async fn close(&self) {
        match self {
            Self::Sqlite(s) => s.close().await,
            Self::Postgres(s) => s.close().await,
        }
    }
}

macro_rules! delegate {
    ($(fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty;)*) => {
        impl Store for AnyStore {
            $(
                async fn $name(&self $(, $arg: $ty)*) -> Result<$ret, StoreError> {
                    match self {
                        Self::Sqlite(s) => s.$name($($arg),*).await,
                        Self::Postgres(s) => s.$name($($arg),*).await,
                    }
                }
            )*
        }
    };
}

delegate! {
    fn create_case(&self, case: &NewCase, actor: &Actor, at: Timestamp) -> ();
    fn case_auth(&self, id: CaseId) -> Option<CaseAuth>;
    fn replace_credential(&self, credential: CredentialId, from: &str, to: &str) -> ();
    fn case_status(&self, id: CaseId) -> CaseStatus;
    fn withdraw_case(&self, id: CaseId, actor: &Actor, at: Timestamp) -> Vec<(EntryId, Signal)>;
    fn changes(&self, after: i64, limit: u32) -> Vec<Change>;
    fn last_change(&self) -> i64;
    fn entry_signal(&self, entry: EntryId) -> Option<Signal>;
    fn registrations(&self, entries: &[EntryId]) -> Vec<(EntryId, Registration)>;
    fn active_entries(&self, after: Option<EntryId>, limit: u32) -> Vec<(EntryId, Signal)>;
    fn add_member(&self, member: &NewMember, key: KeyId, key_hash: &str, actor: &Actor, at: Timestamp) -> Member;
    fn members(&self) -> Vec<Member>;
    fn api_key(&self, key: KeyId) -> Option<ApiKeyRecord>;
    fn disable_member(&self, name: &str, actor: &Actor, at: Timestamp) -> Member;
    fn rotate_key(&self, name: &str, key: KeyId, key_hash: &str, actor: &Actor, at: Timestamp) -> Member;
    fn record_outcomes(&self, member: MemberId, reports: &[OutcomeReport], received: Timestamp) -> u32;
    fn false_positive_reporters(&self, entry: EntryId) -> u32;
    fn quarantine(&self, entry: EntryId, reason: &str, actor: &Actor, at: Timestamp) -> Option<Signal>;
    fn release(&self, entry: EntryId, reason: &str, actor: &Actor, at: Timestamp) -> Option<Signal>;
    fn quarantined(&self, after: Option<EntryId>, limit: u32) -> Vec<QuarantinedEntry>;
    fn audit_head(&self, at: Option<i64>) -> Option<ChainHead>;
    fn removals(&self, since: Timestamp) -> Vec<Removal>;
    fn benign_hashes(&self) -> Vec<BenignHash>;
    fn add_benign(&self, hash: &BenignHash, actor: &Actor) -> bool;
    fn remove_benign(&self, kind: SignalKind, value: &str, reason: &str, actor: &Actor, at: Timestamp) -> bool;
    fn audit_events(&self, after: i64, limit: u32) -> Vec<AuditEvent>;
}
