//! The registry's API over HTTPS: the member calls (sync pages, outcome reports) and the
//! affected person's case calls (open, status, withdraw).
//!
//! Both clients share one `ureq` agent configuration (timeouts, statuses as values) and one
//! response reader (body cap, the registry's JSON error), so a case and a member call fail
//! the same way.

use std::time::Duration;

use quell_api::{
    CaseStatusResponse, ErrorBody, ErrorCode, OpenCaseRequest, OpenCaseResponse, OutcomesRequest,
    OutcomesResponse, RegistryAbout, SyncResponse, WithdrawResponse,
};
use serde::de::DeserializeOwned;

/// Largest response body read. A full page of 50 000 PDQ entries is about 8 MiB; the
/// registry stops a page once its values pass 16 MiB (`quell_registry::PAGE_VALUE_BYTES`),
/// which with vPDQ's escaped quotes and the entry fields is under 18 MiB of JSON. So a list
/// of large videos arrives a few dozen at a time, and a registry that sent more could not
/// make a member read more than this per page.
const MAX_RESPONSE_BYTES: u64 = 64 << 20;

/// Why a registry call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The request did not complete (connection, TLS, timeout, oversized body).
    #[error("cannot reach the registry: {0}")]
    Transport(String),
    /// The registry answered with an error.
    #[error("the registry answered {status} {code}: {message}")]
    Status {
        /// The HTTP status.
        status: u16,
        /// The registry's error code as sent, e.g. `invalid_cursor` (`unknown` when the answer
        /// was not the registry's JSON error). A code this build does not know is kept as it
        /// is; [`ClientError::code`] reads it as an [`ErrorCode`].
        code: String,
        /// The registry's message.
        message: String,
    },
    /// The registry's answer was not what the API promises.
    #[error("the registry's answer is not valid: {0}")]
    Body(String),
}

impl ClientError {
    /// The registry's error code, if it answered with one this build knows.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Status { code, .. } => ErrorCode::from_wire(code),
            Self::Transport(_) | Self::Body(_) => None,
        }
    }
}

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
        Self {
            base: base.trim_end_matches('/').to_owned(),
            key: key.trim().to_owned(),
            agent: agent(),
        }
    }

    /// One page of changes after `cursor` (empty: from the beginning), with the registry's
    /// audit event at `audit_seen` (see [`crate::AuditHeads`]), and the hashes filed under
    /// `profiles` besides the plain ones.
    ///
    /// # Errors
    /// If the request fails or the registry refuses it.
    pub fn page(
        &self,
        cursor: &str,
        limit: Option<u32>,
        audit_seen: Option<i64>,
        profiles: &[&str],
    ) -> Result<SyncResponse, ClientError> {
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
        if let Some(seq) = audit_seen {
            req = req.query("audit_seen", seq.to_string());
        }
        // The snapshot and the matcher keep each hash's filing, and search filed hashes only
        // by their profile's plan.
        if !profiles.is_empty() {
            req = req.query("profiles", profiles.join(","));
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

/// The affected person's client: opens a case with hashes, then checks or withdraws it with
/// the case secret. It holds no secret itself; each call is given one.
#[derive(Clone)]
pub struct CaseClient {
    base: String,
    agent: ureq::Agent,
}

impl std::fmt::Debug for CaseClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaseClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl CaseClient {
    /// A client for the registry at `base` (e.g. `https://registry.example`).
    pub fn new(base: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            agent: agent(),
        }
    }

    /// The registry's base URL, as given (without a trailing `/`).
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `POST /v1/cases`: opens a case holding `request`'s hashes.
    ///
    /// # Errors
    /// If the request fails or the registry refuses it.
    pub fn open(&self, request: &OpenCaseRequest) -> Result<OpenCaseResponse, ClientError> {
        let body = serde_json::to_vec(request).map_err(|e| ClientError::Body(e.to_string()))?;
        read(
            self.agent
                .post(format!("{}/v1/cases", self.base))
                .header("Content-Type", "application/json")
                .send(&body[..]),
        )
    }

    /// `GET /v1/registry`: who runs the registry and the hours platforms are expected to act
    /// in.
    ///
    /// # Errors
    /// If the request fails or the registry refuses it (a registry older than this endpoint
    /// answers 404).
    pub fn about(&self) -> Result<RegistryAbout, ClientError> {
        read(self.agent.get(format!("{}/v1/registry", self.base)).call())
    }

    /// `GET /v1/cases/{case_id}` with the case secret.
    ///
    /// # Errors
    /// If the case id is malformed, the request fails or the registry refuses it (a wrong
    /// secret and an unknown case get the same answer).
    pub fn status(&self, case_id: &str, secret: &str) -> Result<CaseStatusResponse, ClientError> {
        let url = self.case_url(case_id, "")?;
        read(
            self.agent
                .get(url)
                .header("Authorization", format!("Bearer {}", secret.trim()))
                .call(),
        )
    }

    /// `POST /v1/cases/{case_id}/withdraw` with the case secret.
    ///
    /// # Errors
    /// As [`CaseClient::status`].
    pub fn withdraw(&self, case_id: &str, secret: &str) -> Result<WithdrawResponse, ClientError> {
        let url = self.case_url(case_id, "/withdraw")?;
        read(
            self.agent
                .post(url)
                .header("Authorization", format!("Bearer {}", secret.trim()))
                .send_empty(),
        )
    }

    /// The case's URL. Case ids are `c_` and URL-safe characters; anything else is refused
    /// here rather than escaped, so a typo cannot reach another path.
    fn case_url(&self, case_id: &str, suffix: &str) -> Result<String, ClientError> {
        let id = case_id.trim();
        if id.is_empty()
            || !id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(ClientError::Status {
                status: 400,
                code: ErrorCode::InvalidCaseId.as_str().to_owned(),
                message: format!(
                    "{id:?} is not a case id: case ids look like c_ and letters or digits"
                ),
            });
        }
        Ok(format!("{}/v1/cases/{id}{suffix}", self.base))
    }
}

/// The agent both clients use: bounded connect and overall time, statuses read as values.
fn agent() -> ureq::Agent {
    ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_global(Some(Duration::from_secs(60)))
            .http_status_as_error(false)
            .build(),
    )
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

#[cfg(test)]
mod tests {
    use super::{CaseClient, ClientError, ErrorCode, MAX_RESPONSE_BYTES, RegistryClient};

    /// A registry answering one request with a valid empty page padded with spaces (valid
    /// JSON) to `len` bytes.
    fn serve_page_of(len: u64) -> (String, std::thread::JoinHandle<()>) {
        use std::io::{Read as _, Write as _};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request).unwrap();
            let page = br#"{"entries":[],"next_cursor":"x","has_more":false}"#;
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n\r\n"
            );
            let mut left = len - page.len() as u64;
            let chunk = vec![b' '; 1 << 20];
            let mut write = || -> std::io::Result<()> {
                stream.write_all(head.as_bytes())?;
                stream.write_all(page)?;
                while left > 0 {
                    let n = left.min(chunk.len() as u64);
                    stream.write_all(&chunk[..n as usize])?;
                    left -= n;
                }
                Ok(())
            };
            // An error is the client hanging up: it stopped reading.
            let _ = write();
        });
        (url, server)
    }

    #[test]
    fn pages_are_read_up_to_the_cap_and_refused_past_it() {
        // A page of large videos as the registry sends it (values cut at 16 MiB) is read.
        let (url, server) = serve_page_of(24 << 20);
        let page = RegistryClient::new(&url, "qk_test")
            .page("", None, None, &[])
            .unwrap();
        assert_eq!(page.next_cursor, "x");
        server.join().unwrap();
        // Past the cap the client stops reading instead of buffering it all.
        let (url, server) = serve_page_of(MAX_RESPONSE_BYTES + (1 << 20));
        match RegistryClient::new(&url, "qk_test").page("", None, None, &[]) {
            Err(ClientError::Transport(_)) => {}
            other => panic!("{other:?}"),
        }
        server.join().unwrap();
    }

    #[test]
    fn case_ids_that_could_change_the_path_are_refused_before_any_request() {
        // Port 9 (discard): a request would fail as Transport, not as this refusal.
        let client = CaseClient::new("http://127.0.0.1:9/");
        assert_eq!(client.base(), "http://127.0.0.1:9");
        for bad in ["../admin", "c_1/withdraw", "c_1?x=1", "", "c_%2e%2e"] {
            match client.status(bad, "s_secret") {
                Err(ClientError::Status { status, code, .. }) => {
                    assert_eq!((status, code.as_str()), (400, "invalid_case_id"), "{bad:?}");
                }
                other => panic!("{bad:?}: {other:?}"),
            }
        }
        let refusal = client.status("../admin", "s_secret").unwrap_err();
        assert_eq!(refusal.code(), Some(ErrorCode::InvalidCaseId));
        assert!(matches!(
            client.withdraw("c_0123456789abcdef", "s_secret"),
            Err(ClientError::Transport(_))
        ));
    }
}
