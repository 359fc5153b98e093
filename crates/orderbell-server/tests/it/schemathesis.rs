//! The OpenAPI document read by others: `openapi-spec-validator` checks the document itself,
//! and Schemathesis (both pinned in `tests/api/requirements.txt`) sends generated requests to
//! the real server on SQLite, as an API key with every scope and as an owner's session, and
//! fails on any server error, undocumented status, wrong content type or header, or answer
//! that does not match its schema (docs/security.md).
//!
//! Every check runs, `positive_data_acceptance` (a request the schema allows must be taken) and
//! `negative_data_rejection` (one it does not allow must be refused) included: the document
//! states the server's rules exactly (`src/openapi/rules.rs`). `tests/api/schemathesis.toml`
//! lets a few operations answer 422 to schema-valid data, each for a rule no schema can state
//! (a menu item that does not exist, a shop not taking orders, min above max…).
//!
//! Without the tools the test is skipped with a loud message, unless
//! `ORDERBELL_REQUIRE_SCHEMATHESIS=1` (CI). Budget: `ORDERBELL_SCHEMATHESIS_SECONDS` per
//! identity (default 60).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::process::Stdio;

use orderbell_core::user::Role;
use tokio::process::Command;

use crate::support::TestApp;

fn tools_missing() -> Option<String> {
    for tool in ["st", "openapi-spec-validator"] {
        let found = std::process::Command::new(tool)
            .arg("--help")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !found {
            return Some(format!(
                "{tool} is not installed: pip install -r tests/api/requirements.txt"
            ));
        }
    }
    None
}

async fn schemathesis(app: &TestApp, name: &str, headers: &[String]) {
    let seconds = std::env::var("ORDERBELL_SCHEMATHESIS_SECONDS").unwrap_or_else(|_| "60".into());
    let config = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/api/schemathesis.toml"
    );
    let mut cmd = Command::new("st");
    cmd.args(["--config-file", config])
        .args(["run", &format!("{}/api/openapi.json", app.base)])
        .args(["--checks", "all"])
        .args([
            "--max-time",
            &seconds,
            // One worker: Hypothesis's internal caches are not thread-safe, and with two
            // worker threads its generation failed now and then (a KeyError in its LRU cache,
            // reported as a runtime error of the operation), which is not the server's fault.
            "--workers",
            "1",
            "--request-timeout",
            "10",
        ])
        .args(["--continue-on-failure", "--warnings", "off"])
        .env("NO_COLOR", "1");
    for h in headers {
        cmd.args(["-H", h]);
    }
    let out = cmd.output().await.expect("run schemathesis");
    let report = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "Schemathesis found problems as {name}:\n{report}"
    );
    eprintln!(
        "schemathesis as {name}: {}",
        report
            .lines()
            .rev()
            .find(|l| l.contains("generated"))
            .unwrap_or("")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_keeps_to_its_openapi_document() {
    if let Some(problem) = tools_missing() {
        assert!(
            std::env::var("ORDERBELL_REQUIRE_SCHEMATHESIS").as_deref() != Ok("1"),
            "{problem}"
        );
        eprintln!("SKIPPED: {problem}");
        return;
    }
    let app = TestApp::spawn().await;
    crate::pages::demo(&app).await;

    // The document itself.
    let doc = app
        .get("/api/openapi.json", &crate::support::As::Nobody)
        .await
        .body;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, doc.to_string()).unwrap();
    let out = Command::new("openapi-spec-validator")
        .arg(&file)
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "openapi-spec-validator: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // The server, as a key with every scope and as the owner's session.
    let shop = app.state.store.shop_by_slug("demo").await.unwrap().unwrap();
    let scopes = ["orders:write", "orders:read", "manage"]
        .iter()
        .map(|s| orderbell_store::Scope::parse(s).unwrap())
        .collect();
    let key = orderbell_server::api::shops::issue_api_key(&app.state, &shop.id, "st", scopes)
        .await
        .unwrap()
        .key;
    schemathesis(
        &app,
        "an API key",
        &[format!("Authorization: Bearer {key}")],
    )
    .await;
    let cookie = app
        .member_cookie("demo", "owner@schemathesis.example", Role::Owner)
        .await;
    schemathesis(
        &app,
        "the owner's session",
        &[format!("Cookie: {cookie}"), format!("Origin: {}", app.base)],
    )
    .await;
}
