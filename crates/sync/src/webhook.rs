//! Match events to the member's own system: a persisted outbox and signed webhook deliveries.
//!
//! Delivery is at-least-once. An event is written to the outbox (one file per event, named by
//! its idempotency key) before the sync cursor that produced it is saved, and deleted only
//! after the receiver answered 2xx; so a crash re-sends rather than loses. Receivers dedupe by
//! the `Idempotency-Key` header, which is the same for every delivery of one (media, item):
//! a stored item that matches several hashes of one registered photo is one event, one ticket.
//!
//! Signature (Stripe-like): header `Quell-Signature: t=<unix seconds>,v1=<hex>` where `<hex>`
//! is HMAC-SHA256 with the shared secret over `<t>.<raw body>`. Receivers recompute it, compare
//! in constant time, and refuse a `t` too far from their clock (replay).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hmac::{KeyInit as _, Mac as _};
use quell_api::HashType;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::snapshot::{FileError, hex, write_atomic};

/// Why an event could not be put in the outbox.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// The event could not be encoded as JSON.
    #[error("encoding a match event: {0}")]
    Encode(serde_json::Error),
    /// The event's file could not be written.
    #[error(transparent)]
    File(#[from] FileError),
}

/// Why a delivery attempt failed; the event stays in the outbox for the next try.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The request did not complete (connection, TLS, timeout).
    #[error("posting to {url}: {cause}")]
    Transport {
        /// The webhook's URL.
        url: String,
        /// What went wrong.
        cause: String,
    },
    /// The receiver answered, but not 2xx.
    #[error("{url} answered {status}")]
    Status {
        /// The webhook's URL.
        url: String,
        /// The HTTP status.
        status: u16,
    },
}

/// One match found by a retroactive check: the webhook's body. Its closeness fields are those
/// of `POST /v1/match`'s hits, with the stored item as the query.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct MatchEvent {
    /// Always `"match"`.
    pub event: String,
    /// The list entry that matched.
    pub entry_id: String,
    /// The member's stored item (path or id, as in the stored hash file).
    pub item: String,
    /// Hamming distance (0 for MD5 and SHA-256; absent for vPDQ).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distance: Option<u32>,
    /// vPDQ only: the share (0–100) of the stored video's frames found in the entry's video.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_match_percent: Option<f64>,
    /// vPDQ only: the share (0–100) of the entry's video's frames found in the stored video.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compared_match_percent: Option<f64>,
    /// Which hash matched.
    #[serde(rename = "type")]
    pub kind: HashType,
    /// When the match was found (RFC 3339).
    pub matched_at: String,
    /// When the person registered the entry (RFC 3339), where the registry said: the clock a
    /// removal request runs on, for the member's queue to order by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_at: Option<String>,
    /// The file the entry's hash was made from (`md_…`), where the registry said: one event
    /// per stored item and media, for its nearest entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_id: Option<String>,
    /// For a hash filed under a profile's part: the profile (`pdq-robust-v6`, v5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// For a hash filed under a profile's part: the part (`whole`, `variant`, `cut`), which
    /// tells a reviewer how the stored item resembles the registered photo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
}

impl MatchEvent {
    /// The event's idempotency key: per media and item (per entry and item where the media
    /// is not known).
    pub fn idempotency_key(&self) -> String {
        idempotency_key(
            self.media_id.as_deref().unwrap_or(&self.entry_id),
            &self.item,
        )
    }
}

/// The idempotency key of a match: stable per (subject, item), 32 hex digits, the subject
/// being the media id (or the entry id where the media is not known). Ids never hold a NUL,
/// so the separator makes the pair unambiguous.
pub fn idempotency_key(subject: &str, item: &str) -> String {
    let digest = Sha256::digest(format!("quell-match\0{subject}\0{item}").as_bytes());
    hex(&digest[..16])
}

/// The `Quell-Signature` header value for `body` signed at unix time `t`.
pub fn sign(secret: &[u8], t: u64, body: &[u8]) -> String {
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key size");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={t},v1={}", hex(&mac.finalize().into_bytes()))
}

/// Events waiting for delivery, one file each in `DATA/outbox/`.
#[derive(Clone, Debug)]
pub struct Outbox {
    dir: PathBuf,
}

impl Outbox {
    /// The outbox in the data directory `data`.
    ///
    /// # Errors
    /// If the directory cannot be created.
    pub fn open(data: &Path) -> Result<Self, FileError> {
        let dir = data.join("outbox");
        std::fs::create_dir_all(&dir).map_err(FileError::at("creating", &dir))?;
        Ok(Self { dir })
    }

    /// Records an event durably (a no-op if the same match is already waiting).
    ///
    /// # Errors
    /// If it cannot be written.
    pub fn enqueue(&self, event: &MatchEvent) -> Result<(), OutboxError> {
        let key = event.idempotency_key();
        let name = format!("{key}.json");
        if self.dir.join(&name).exists() {
            return Ok(());
        }
        let body = serde_json::to_vec(event).map_err(OutboxError::Encode)?;
        Ok(write_atomic(&self.dir, &name, &body)?)
    }

    /// The waiting events: (idempotency key, body), oldest name order.
    ///
    /// # Errors
    /// If the directory cannot be read.
    pub fn pending(&self) -> Result<Vec<(String, Vec<u8>)>, FileError> {
        let mut out = Vec::new();
        let entries = std::fs::read_dir(&self.dir).map_err(FileError::at("reading", &self.dir))?;
        for entry in entries {
            let path = entry.map_err(FileError::at("reading", &self.dir))?.path();
            let Some(key) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".json"))
                .filter(|n| !n.starts_with('.'))
            else {
                continue;
            };
            let body = std::fs::read(&path).map_err(FileError::at("reading", &path))?;
            out.push((key.to_owned(), body));
        }
        out.sort();
        Ok(out)
    }

    /// Forgets a delivered event.
    ///
    /// # Errors
    /// If it cannot be removed.
    pub fn delivered(&self, key: &str) -> Result<(), FileError> {
        let path = self.dir.join(format!("{key}.json"));
        std::fs::remove_file(&path).map_err(FileError::at("removing", &path))
    }
}

/// The member's webhook endpoint and how to retry it.
#[derive(Clone)]
pub struct Webhook {
    url: String,
    secret: Vec<u8>,
    agent: ureq::Agent,
    /// The first retry waits about this long; each further one twice as long.
    pub backoff_base: Duration,
    /// The longest wait between tries.
    pub backoff_max: Duration,
}

impl std::fmt::Debug for Webhook {
    /// The secret is never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Webhook {
    /// A webhook posting to `url`, signing with `secret`.
    pub fn new(url: &str, secret: &[u8]) -> Self {
        let agent = ureq::Agent::new_with_config(
            ureq::Agent::config_builder()
                .timeout_global(Some(Duration::from_secs(15)))
                .http_status_as_error(false)
                .build(),
        );
        Self {
            url: url.to_owned(),
            secret: secret.to_vec(),
            agent,
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(300),
        }
    }

    /// One delivery attempt; `Ok(())` on a 2xx answer.
    ///
    /// # Errors
    /// On a transport failure or any other status.
    pub fn post(&self, key: &str, body: &[u8]) -> Result<(), DeliveryError> {
        let t = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut resp = self
            .agent
            .post(&self.url)
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", key)
            .header("Quell-Signature", sign(&self.secret, t, body))
            .send(body)
            .map_err(|e| DeliveryError::Transport {
                url: self.url.clone(),
                cause: e.to_string(),
            })?;
        let status = resp.status().as_u16();
        // Drain a little so the connection can be reused; the body itself is not needed.
        let _ = resp.body_mut().with_config().limit(64 << 10).read_to_vec();
        if !(200..300).contains(&status) {
            return Err(DeliveryError::Status {
                url: self.url.clone(),
                status,
            });
        }
        Ok(())
    }

    /// Delivers the outbox until `keep_going` says stop: each event is retried with
    /// exponential backoff and jitter until the receiver accepts it.
    ///
    /// Reports through the `metrics` facade (shown on the sidecar's `/metrics`):
    /// `quell_webhook_pending` (events not yet accepted) and `quell_webhook_deliveries_total`
    /// by `result` (`delivered`, `failed`).
    pub fn run(&self, outbox: &Outbox, keep_going: &dyn Fn() -> bool) {
        let mut retry: HashMap<String, (u32, Instant)> = HashMap::new();
        while keep_going() {
            let pending = match outbox.pending() {
                Ok(p) => {
                    metrics::gauge!("quell_webhook_pending").set(p.len() as f64);
                    p
                }
                Err(e) => {
                    tracing::error!(error = %e, "reading the webhook outbox");
                    Vec::new()
                }
            };
            let now = Instant::now();
            for (key, body) in pending {
                if retry.get(&key).is_some_and(|&(_, at)| at > now) {
                    continue;
                }
                match self.post(&key, &body) {
                    Ok(()) => {
                        metrics::counter!("quell_webhook_deliveries_total", "result" => "delivered")
                            .increment(1);
                        retry.remove(&key);
                        if let Err(e) = outbox.delivered(&key) {
                            tracing::error!(error = %e, "clearing a delivered event");
                        }
                    }
                    Err(e) => {
                        metrics::counter!("quell_webhook_deliveries_total", "result" => "failed")
                            .increment(1);
                        let tries = retry.get(&key).map_or(0, |&(n, _)| n) + 1;
                        let wait = self.backoff(tries);
                        tracing::warn!(key, tries, wait_ms = wait.as_millis() as u64,
                            error = %e, "webhook delivery failed; will retry");
                        retry.insert(key, (tries, Instant::now() + wait));
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The wait after `tries` failures: base·2^(tries−1), capped, times a random 50–100 %
    /// (jitter, so many sidecars do not retry in step).
    fn backoff(&self, tries: u32) -> Duration {
        let exp = self
            .backoff_base
            .saturating_mul(1u32 << (tries - 1).min(20))
            .min(self.backoff_max);
        exp.mul_f64(0.5 + rand::random::<f64>() / 2.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_jitter_and_caps() {
        let mut w = Webhook::new("http://127.0.0.1:9/", b"s");
        w.backoff_base = Duration::from_millis(100);
        w.backoff_max = Duration::from_secs(1);
        for (tries, full) in [
            (1, 100),
            (2, 200),
            (3, 400),
            (4, 800),
            (5, 1000),
            (30, 1000),
        ] {
            let got = w.backoff(tries).as_millis() as u64;
            assert!(got >= full / 2 && got <= full, "try {tries}: {got} ms");
        }
    }

    #[test]
    fn keys_are_stable_per_entry_and_item() {
        assert_eq!(idempotency_key("e_1", "a"), idempotency_key("e_1", "a"));
        assert_ne!(idempotency_key("e_1", "a"), idempotency_key("e_1", "b"));
        assert_ne!(idempotency_key("e_1", "a"), idempotency_key("e_2", "a"));
        assert_eq!(idempotency_key("e_1", "a").len(), 32);
    }

    #[test]
    fn signature_matches_a_known_hmac() {
        // The signed bytes are exactly `<t>.<body>`.
        let sig = sign(b"Jefe", 1_700_000_000, b"{}");
        let mut mac = hmac::Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"1700000000.{}");
        assert_eq!(
            sig,
            format!("t=1700000000,v1={}", hex(&mac.finalize().into_bytes()))
        );
    }

    #[test]
    fn outbox_survives_reopening_and_dedupes() {
        let dir = tempfile::tempdir().unwrap();
        let event = MatchEvent {
            event: "match".to_owned(),
            entry_id: "e_0000000000000001".to_owned(),
            item: "a.jpg".to_owned(),
            distance: Some(3),
            query_match_percent: None,
            compared_match_percent: None,
            kind: HashType::Pdq,
            matched_at: "2026-01-01T00:00:00Z".to_owned(),
            registered_at: None,
            media_id: None,
            profile: None,
            part: None,
        };
        Outbox::open(dir.path()).unwrap().enqueue(&event).unwrap();
        Outbox::open(dir.path()).unwrap().enqueue(&event).unwrap();
        let outbox = Outbox::open(dir.path()).unwrap();
        let pending = outbox.pending().unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].0, idempotency_key(&event.entry_id, &event.item));
        let back: MatchEvent = serde_json::from_slice(&pending[0].1).unwrap();
        assert_eq!(back, event);
        outbox.delivered(&pending[0].0).unwrap();
        assert!(outbox.pending().unwrap().is_empty());
    }
}
