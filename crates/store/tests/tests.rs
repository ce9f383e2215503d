//! The store conformance suite, run against SQLite and PostgreSQL.

mod backends;
mod conformance;
