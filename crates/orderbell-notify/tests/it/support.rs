//! What the provider tests share: running an independent checker written in Python.
#![allow(clippy::unwrap_used, reason = "tests")]

use std::process::{Output, Stdio};

use tokio::io::AsyncWriteExt;

/// Runs `tests/python/<script>` with `input` on its standard input and waits for it.
pub async fn run_python(script: &str, input: &str) -> Output {
    let path = format!("{}/tests/python/{script}", env!("CARGO_MANIFEST_DIR"));
    let mut child = tokio::process::Command::new("python3")
        .arg(path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .await
        .unwrap();
    child.wait_with_output().await.unwrap()
}
