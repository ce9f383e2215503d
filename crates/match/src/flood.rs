//! The flood rule: an entry that matches a flood of uploads within a window is most likely a
//! bad hash (a generic image, an abused submission), so the registry quarantines it.
//!
//! What counts is uploads, not queries: a profile sends several searches for one upload, and
//! they may all find the same entry. A plain query is an upload of its own. A profile's
//! queries of one upload are its `whole` query (the upload's own hash, which a profile sends
//! first) and the profile queries after it, up to the next `whole`.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use quell_hash::UploadKind;
use quell_registry::EntryId;

use crate::query::{Hit, Query};

/// Each entry found, once per upload that found it: what the flood rule counts.
pub fn matches_per_upload(queries: &[Query], results: &[Vec<Hit>]) -> Vec<EntryId> {
    let mut counted = Vec::new();
    let mut upload = BTreeSet::new();
    for (query, hits) in queries.iter().zip(results) {
        let found = hits.iter().map(|&(entry, ..)| entry);
        match query {
            Query::Filed { upload: kind, .. } => {
                if *kind == UploadKind::Whole {
                    counted.extend(std::mem::take(&mut upload));
                }
                upload.extend(found);
            }
            _ => counted.extend(found),
        }
    }
    counted.extend(upload);
    counted
}

/// Counts matches per entry in fixed windows, to spot an entry matching a flood of uploads.
#[derive(Debug)]
pub struct FloodCounter {
    window: Duration,
    counts: Mutex<HashMap<EntryId, (Instant, u32)>>,
}

impl FloodCounter {
    /// A counter whose windows last `window`.
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            counts: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one match of each entry; returns those that just reached `threshold`.
    pub fn record(
        &self,
        entries: impl IntoIterator<Item = EntryId>,
        threshold: u32,
    ) -> Vec<EntryId> {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        let mut flooded = Vec::new();
        for entry in entries {
            let (start, n) = counts.entry(entry).or_insert((now, 0));
            if now.duration_since(*start) >= self.window {
                *start = now;
                *n = 0;
            }
            *n += 1;
            if *n == threshold {
                flooded.push(entry);
            }
        }
        // Keep memory bounded by the entries matched within one window.
        if counts.len() > 1_000_000 {
            let window = self.window;
            counts.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        flooded
    }
}
