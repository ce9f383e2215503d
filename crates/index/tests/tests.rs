//! Integration tests of `quell-index`: every index against the flat oracle, the ThreatExchange
//! MIH regression data, live updates, snapshots and exact digest maps.

mod exact;
mod live;
mod oracle;
mod regression;
mod snapshot;
mod util;
