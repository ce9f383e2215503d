//! A tiny harness: run the built `quell` binary, capture its output.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

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
    use std::io::Write;
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
