//! HTTP tests of the registry through `app(state)` and `oneshot`, on real SQLite files.

mod bad_input;
mod credentials;
mod end_to_end;
mod hma;
mod limits;
mod ops;
mod page;
mod quarantine;
mod roles;
mod util;
mod vpdq;
