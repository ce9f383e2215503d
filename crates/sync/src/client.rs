//! The registry's member API over HTTPS: sync pages and outcome reports.

use std::time::Duration;

use quell_api::{ErrorBody, OutcomesRequest, OutcomesResponse, SyncResponse};
use serde::de::DeserializeOwned;

/// Largest response body read: a full page of 50 000 entries is about 8 MiB.
const MAX_RESPONSE_BYTES: u64 = 64 << 20;

/// Why a registry call failed.
#[derive(Debug)]
pub enum ClientError {
    /// The request did not complete (connection, TLS, timeout, oversized body).
    Transport(String),
    /// The registry answered with an error.
    Status {
        /// The HTTP status.
        status: u16,
        /// The registry's error code, e.g. `invalid_cursor`.
        code: String,
        /// The registry's message.
        message: String,
    },
    /// The registry's answer was not what the API promises.
    Body(String),
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Transport(e) => write!(f, "cannot reach the registry: {e}"),
            Self::Status {
                status,
                code,
                message,
            } => write!(f, "the registry answered {status} {code}: {message}"),
            Self::Body(e) => write!(f, "the registry's answer is not valid: {e}"),
        }
    }
}

impl std::error::Error for ClientError {}

/// A member's client for one registry.
#[derive(Clone)]
pub struct RegistryClient {
    base: String,
    key: String,
    agent: ureq::Agent,
}

impl std::fmt::Debug for RegistryClient {
    /// The API key is never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl RegistryClient {
    /// A client for the registry at `base` (e.g. `https://registry.example`), calling with
    /// the member API key `key`.
    pub fn new(base: &str, key: &str) -> Self {
        let agent = ureq::Agent::new_with_config(
            ureq::Agent::config_builder()
                .timeout_connect(Some(Duration::from_secs(10)))
                .timeout_global(Some(Duration::from_secs(60)))
                .http_status_as_error(false)
                .build(),
        );
        Self {
            base: base.trim_end_matches('/').to_owned(),
            key: key.trim().to_owned(),
            agent,
        }
    }

    /// One page of changes after `cursor` (empty: from the beginning).
    ///
    /// # Errors
    /// If the request fails or the registry refuses it.
    pub fn page(&self, cursor: &str, limit: Option<u32>) -> Result<SyncResponse, ClientError> {
        let mut req = self
            .agent
            .get(format!("{}/v1/hashes", self.base))
            .header("Authorization", format!("Bearer {}", self.key));
        if !cursor.is_empty() {
            req = req.query("cursor", cursor);
        }
        if let Some(limit) = limit {
            req = req.query("limit", limit.to_string());
        }
        read(req.call())
    }

    /// Reports outcomes.
    ///
    /// # Errors
    /// If the request fails or the registry refuses it.
    pub fn report_outcomes(
        &self,
        outcomes: &OutcomesRequest,
    ) -> Result<OutcomesResponse, ClientError> {
        let body = serde_json::to_vec(outcomes).map_err(|e| ClientError::Body(e.to_string()))?;
        read(
            self.agent
                .post(format!("{}/v1/outcomes", self.base))
                .header("Authorization", format!("Bearer {}", self.key))
                .header("Content-Type", "application/json")
                .send(&body[..]),
        )
    }
}

fn read<T: DeserializeOwned>(
    result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<T, ClientError> {
    let mut resp = result.map_err(|e| ClientError::Transport(e.to_string()))?;
    let status = resp.status().as_u16();
    let text = resp
        .body_mut()
        .with_config()
        .limit(MAX_RESPONSE_BYTES)
        .read_to_string()
        .map_err(|e| ClientError::Transport(e.to_string()))?;
    if !(200..300).contains(&status) {
        return Err(match serde_json::from_str::<ErrorBody>(&text) {
            Ok(body) => ClientError::Status {
                status,
                code: body.error.code,
                message: body.error.message,
            },
            Err(_) => ClientError::Status {
                status,
                code: "unknown".to_owned(),
                message: text.chars().take(200).collect(),
            },
        });
    }
    serde_json::from_str(&text).map_err(|e| ClientError::Body(e.to_string()))
}
