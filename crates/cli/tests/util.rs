//! A tiny harness: run the built `quell` binary, capture its output, or keep it serving and
//! talk HTTP to it.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

/// The golden vectors' `pdq` folder (see the pdq crate's tests for the layout).
pub(crate) fn pdq_vectors() -> PathBuf {
    let root = std::env::var_os("QUELL_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors")
        });
    root.join("pdq")
}

/// Runs `quell ARGS` with `stdin` piped in; returns (exit code, stdout, stderr).
pub(crate) fn quell(args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_quell"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run quell");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().unwrap();
    (
        status.code().unwrap_or(-1),
        String::from_utf8(stdout).unwrap(),
        String::from_utf8(stderr).unwrap(),
    )
}

/// A running `quell serve` (registry or matcher) on a free port.
pub(crate) struct Proc {
    child: Child,
    pub(crate) addr: String,
}

impl Proc {
    pub(crate) fn start(args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_quell"))
            .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "text"])
            .args(args)
            .envs(env.iter().copied())
            .env("QUELL_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("quell: listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        Self { child, addr }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// SIGKILL: no shutdown code runs.
    pub(crate) fn kill_9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP/1.1 client (one request per connection), so the tests need no HTTP crate.
pub(crate) fn try_http(
    addr: &str,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    body: Option<&Value>,
) -> std::io::Result<(u16, Value)> {
    let (status, body) = try_http_text(addr, method, path, bearer, body)?;
    Ok((status, serde_json::from_str(&body).unwrap_or(Value::Null)))
}

/// [`try_http`] with the response body as text.
pub(crate) fn try_http_text(
    addr: &str,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    body: Option<&Value>,
) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !body.is_empty() {
        req.push_str("Content-Type: application/json\r\n");
    }
    if let Some(token) = bearer {
        req.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(&body);
    stream.write_all(req.as_bytes())?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status: u16 = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status line"))?;
    let (_, body) = response.split_once("\r\n\r\n").unwrap_or(("", ""));
    Ok((status, body.to_owned()))
}

/// [`try_http`] for a server that must answer.
pub(crate) fn http(
    addr: &str,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    body: Option<&Value>,
) -> (u16, Value) {
    try_http(addr, method, path, bearer, body).unwrap()
}

/// A POST of raw bytes with their content type, to a server that must answer; the JSON
/// answer (`Null` if it is not JSON).
pub(crate) fn post_bytes(
    addr: &str,
    path: &str,
    bearer: Option<&str>,
    content_type: &str,
    body: &[u8],
) -> (u16, Value) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Length: {}\r\nContent-Type: {content_type}\r\n",
        body.len()
    );
    if let Some(token) = bearer {
        head.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    // A server may answer (413) before reading everything; the answer is what counts.
    let _ = stream.write_all(body);
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status: u16 = response.split(' ').nth(1).unwrap().parse().unwrap();
    let (_, text) = response.split_once("\r\n\r\n").unwrap_or(("", ""));
    (status, serde_json::from_str(text).unwrap_or(Value::Null))
}

/// One file as `multipart/form-data` under the field `name`: the body and its content type.
pub(crate) fn multipart(name: &str, file: &[u8]) -> (Vec<u8>, String) {
    let boundary = "quell-test-boundary-7d3f";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"upload\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (body, format!("multipart/form-data; boundary={boundary}"))
}

/// `POST /v1/match` with `body`, to a server that must answer.
pub(crate) fn post_match(addr: &str, bearer: Option<&str>, body: &Value) -> (u16, Value) {
    http(addr, "POST", "/v1/match", bearer, Some(body))
}

/// Runs `work` on the SQLite file at `path` directly, as someone with the disk would.
pub(crate) fn with_sqlite_file<T>(
    path: &Path,
    work: impl AsyncFnOnce(&mut sqlx::SqliteConnection) -> T,
) -> T {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use sqlx::Connection as _;
        let url = format!("sqlite:{}", path.display());
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        work(&mut conn).await
    })
}
