//! The pages in a real browser: starts `orderbell serve --demo` and runs the node tests of
//! `tests/e2e` (playwright-core driving Debian's chromium) against it; the passkey test runs
//! against a server whose public URL is `http://localhost:PORT` (WebAuthn's RP ID must be a
//! host name) with Chromium's virtual authenticator. Skips loudly when
//! chromium or `tests/e2e/node_modules` is missing, unless `ORDERBELL_REQUIRE_BROWSER=1`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_orderbell");

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// What is missing for the browser tests, if anything.
fn missing(e2e: &Path, chromium: &Path) -> Option<String> {
    if !chromium.exists() {
        return Some(format!("{} is not installed", chromium.display()));
    }
    if !e2e.join("node_modules/playwright-core").exists() {
        return Some(format!("{}/node_modules is missing", e2e.display()));
    }
    if Command::new("node").arg("--version").output().is_err() {
        return Some("node is not installed".into());
    }
    None
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the demo server, its public URL on `host`; returns it, its URL and the demo owner's
/// password.
fn start(dir: &Path, host: &str) -> (Server, String, String) {
    let port = free_port();
    let base = format!("http://{host}:{port}");
    let mut child = Command::new(BIN)
        .args(["serve", "--demo", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--public-url", &base])
        .env_remove("ORDERBELL_DATABASE_URL")
        .env_remove("ORDERBELL_CONFIG")
        .env("ORDERBELL_DATA_DIR", dir)
        .env("ORDERBELL_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let mut password = None;
    let mut lines = BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("Demo owner:") {
            password = rest.split("password:").nth(1).map(|p| p.trim().to_owned());
        }
        if line.starts_with("Orderbell is listening on ") {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    (server, base, password.expect("the demo login was printed"))
}

/// Chromium and the node packages, or `None` (skipped loudly) when they are missing.
fn browser_ready(e2e: &Path) -> Option<PathBuf> {
    let chromium = PathBuf::from(
        std::env::var("CHROMIUM_PATH").unwrap_or_else(|_| "/usr/bin/chromium".into()),
    );
    if let Some(why) = missing(e2e, &chromium) {
        assert!(
            std::env::var("ORDERBELL_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "ORDERBELL_REQUIRE_BROWSER=1 but {why}; run tests/e2e/setup.sh"
        );
        eprintln!(
            "\n*** SKIPPED the browser tests: {why}. Run tests/e2e/setup.sh to install them. ***\n"
        );
        return None;
    }
    Some(chromium)
}

/// Passkeys: registered on the account page, then signing in alone from /login, with
/// Chromium's virtual authenticator (`tests/e2e/passkeys.test.mjs`).
#[test]
fn passkeys_in_a_real_browser() {
    let root = repo_root();
    let e2e = root.join("tests/e2e");
    let Some(chromium) = browser_ready(&e2e) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_server, base, password) = start(dir.path(), "localhost");
    let shots = root.join("target/screenshots");
    let status = Command::new("node")
        .args(["--test", "--test-reporter=spec", "passkeys.test.mjs"])
        .current_dir(&e2e)
        .env("ORDERBELL_URL", &base)
        .env("ORDERBELL_DEMO_EMAIL", orderbell_server::demo::DEMO_EMAIL)
        .env("ORDERBELL_DEMO_PASSWORD", &password)
        .env("ORDERBELL_SCREENSHOTS", &shots)
        .env("CHROMIUM_PATH", &chromium)
        .status()
        .unwrap();
    assert!(
        status.success(),
        "the passkey browser test failed (see above)"
    );
}

#[test]
fn pages_in_a_real_browser() {
    let root = repo_root();
    let e2e = root.join("tests/e2e");
    let chromium = PathBuf::from(
        std::env::var("CHROMIUM_PATH").unwrap_or_else(|_| "/usr/bin/chromium".into()),
    );
    if let Some(why) = missing(&e2e, &chromium) {
        assert!(
            std::env::var("ORDERBELL_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "ORDERBELL_REQUIRE_BROWSER=1 but {why}; run tests/e2e/setup.sh"
        );
        eprintln!(
            "\n*** SKIPPED the browser tests: {why}. Run tests/e2e/setup.sh to install them. ***\n"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (_server, base, password) = start(dir.path(), "127.0.0.1");
    let shots = root.join("target/screenshots");
    let status = Command::new("node")
        .args([
            "--test",
            "--test-concurrency=1",
            "--test-reporter=spec",
            "orderbell.test.mjs",
        ])
        .current_dir(&e2e)
        .env("ORDERBELL_URL", &base)
        .env("ORDERBELL_DEMO_EMAIL", orderbell_server::demo::DEMO_EMAIL)
        .env("ORDERBELL_DEMO_PASSWORD", &password)
        .env("ORDERBELL_SCREENSHOTS", &shots)
        .env("CHROMIUM_PATH", &chromium)
        .status()
        .unwrap();
    assert!(status.success(), "the browser tests failed (see above)");
    eprintln!("screenshots: {}", shots.display());
    std::thread::sleep(Duration::from_millis(10));
}
