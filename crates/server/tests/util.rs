//! A registry on a fresh SQLite file, and a few lines per request.

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt as _;
use quell_registry::{Actor, ApiKey, NewMember, Scopes, Store, Timestamp};
use quell_server::{AppState, Config, app};
use quell_store::{AnyStore, Location};
use serde_json::{Value, json};
use tower::ServiceExt as _;

pub(crate) struct TestApp {
    pub(crate) app: Router,
    pub(crate) state: AppState,
    pub(crate) _dir: tempfile::TempDir,
}

/// Small quarantine thresholds, so that tests reach them in a few requests.
pub(crate) fn config() -> Config {
    Config {
        quarantine_after_false_positives: 2,
        quarantine_after_matches: 5,
        ..Config::default()
    }
}

impl TestApp {
    pub(crate) async fn new() -> Self {
        Self::with_config(config()).await
    }

    pub(crate) async fn with_config(config: Config) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = AnyStore::open(&Location::DataDir(dir.path().to_owned()))
            .await
            .unwrap();
        let state = AppState::new(store, config).await.unwrap();
        Self {
            app: app(state.clone()),
            state,
            _dir: dir,
        }
    }

    /// A new state over the same store, as after a restart.
    pub(crate) async fn restart(self) -> Self {
        let state = AppState::new(self.state.store().clone(), config())
            .await
            .unwrap();
        Self {
            app: app(state.clone()),
            state,
            ..self
        }
    }

    /// Sends a request; returns the status and the JSON body (`Null` if empty or not JSON).
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(token) = bearer {
            req = req.header("authorization", format!("Bearer {token}"));
        }
        let req = match body {
            Some(body) => req
                .header("content-type", "application/json")
                .body(Body::from(body.to_string())),
            None => req.body(Body::empty()),
        }
        .unwrap();
        self.raw(req).await
    }

    pub(crate) async fn raw(&self, req: Request<Body>) -> (StatusCode, Value) {
        let response = self.app.clone().oneshot(req).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    pub(crate) async fn get(&self, path: &str, bearer: Option<&str>) -> (StatusCode, Value) {
        self.send(Method::GET, path, bearer, None).await
    }

    pub(crate) async fn post(
        &self,
        path: &str,
        bearer: Option<&str>,
        body: Value,
    ) -> (StatusCode, Value) {
        self.send(Method::POST, path, bearer, Some(body)).await
    }

    /// Adds a member directly in the store (as `quell member add` does); returns its key.
    pub(crate) async fn member(&self, name: &str, scopes: &str) -> String {
        let key = ApiKey::random();
        let scopes: Scopes = scopes.parse().unwrap();
        self.state
            .store()
            .add_member(
                &NewMember::new(name, scopes).unwrap(),
                key.id(),
                &key.stored_form(),
                &Actor::Cli,
                Timestamp::now(),
            )
            .await
            .unwrap();
        key.expose().to_owned()
    }

    /// Opens a case; returns (case id, secret, entry count).
    pub(crate) async fn open_case(&self, hashes: Value) -> (String, String) {
        let (status, body) = self
            .post("/v1/cases", None, json!({ "hashes": hashes }))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        (
            body["case_id"].as_str().unwrap().to_owned(),
            body["secret"].as_str().unwrap().to_owned(),
        )
    }
}

/// A distinct PDQ hex per seed.
pub(crate) fn pdq(seed: u64) -> String {
    let mut bytes = [0u8; 32];
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    for b in &mut bytes {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    quell_hash::Pdq::from_bytes(bytes).to_string()
}

/// `pdq(seed)` with its first `bits` bits flipped.
pub(crate) fn near(hex: &str, bits: u32) -> String {
    let p: quell_hash::Pdq = hex.parse().unwrap();
    let mut bytes = *p.as_bytes();
    for k in 0..bits as usize {
        bytes[k / 8] ^= 1 << (k % 8);
    }
    quell_hash::Pdq::from_bytes(bytes).to_string()
}

pub(crate) fn pdq_input(hex: &str, quality: i64) -> Value {
    json!({ "type": "pdq", "value": hex, "quality": quality })
}

/// The error code of an error body.
pub(crate) fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("<no error code>")
}
