//! The real `orderbell` binary: admin commands, demo mode, and orders that survive SIGKILL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_orderbell");

fn orderbell(dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_remove("ORDERBELL_DATABASE_URL")
        .env_remove("ORDERBELL_CONFIG")
        .env("ORDERBELL_DATA_DIR", dir);
    cmd
}

async fn admin(dir: &Path, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    let mut child = orderbell(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).await.unwrap();
    }
    drop(input);
    let out = child.wait_with_output().await.unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Starts `orderbell serve` on a free port; returns the child, its base URL and what it
/// printed before listening.
async fn serve(dir: &Path, extra: &[&str]) -> (Child, String, Vec<String>) {
    let mut child = orderbell(dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = vec![];
    while let Some(line) = lines.next_line().await.unwrap() {
        if let Some(addr) = line.strip_prefix("Orderbell is listening on ") {
            let base = addr.to_owned();
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            return (child, base, printed);
        }
        printed.push(line);
    }
    panic!("the server stopped before listening: {printed:?}");
}

#[tokio::test]
async fn admin_commands_set_up_a_shop_and_print_the_key_alone() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (ok, out, _) = admin(d, &["migrate"], None).await;
    assert!(ok);
    assert!(
        out.trim().ends_with("migration(s) applied") && !out.starts_with('0'),
        "{out}"
    );
    assert_eq!(
        admin(d, &["migrate"], None).await.1.trim(),
        "0 migration(s) applied"
    );
    let (ok, _, err) = admin(
        d,
        &["user", "add", "kim@example.com", "--name", "Kim"],
        Some("short\n"),
    )
    .await;
    assert!(!ok);
    assert!(err.contains("password"), "{err}");
    let (ok, out, err) = admin(
        d,
        &["user", "add", "kim@example.com", "--name", "Kim"],
        Some("a long password\n"),
    )
    .await;
    assert!(ok, "{err}");
    assert_eq!(out.trim().len(), 32);
    let (ok, _, err) = admin(
        d,
        &["user", "add", "kim@example.com"],
        Some("a long password\n"),
    )
    .await;
    assert!(!ok && err.contains("exists"), "{err}");
    let (ok, _, err) = admin(
        d,
        &[
            "shop",
            "add",
            "--slug",
            "cafe",
            "--name",
            "Cafe",
            "--owner",
            "nobody@example.com",
        ],
        None,
    )
    .await;
    assert!(!ok && err.contains("no account"), "{err}");
    let (ok, _, err) = admin(
        d,
        &[
            "shop",
            "add",
            "--slug",
            "Cafe!",
            "--name",
            "Cafe",
            "--owner",
            "kim@example.com",
        ],
        None,
    )
    .await;
    assert!(!ok && err.contains("slug"), "{err}");
    let (ok, out, err) = admin(
        d,
        &[
            "shop",
            "add",
            "--slug",
            "cafe",
            "--name",
            "카페 Cafe",
            "--owner",
            "kim@example.com",
        ],
        None,
    )
    .await;
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "cafe");
    let (ok, _, err) = admin(
        d,
        &[
            "apikey",
            "add",
            "--shop",
            "cafe",
            "--name",
            "till",
            "--scope",
            "orders:everything",
        ],
        None,
    )
    .await;
    assert!(!ok && err.contains("scope"), "{err}");
    let (ok, out, err) = admin(
        d,
        &["apikey", "add", "--shop", "cafe", "--name", "till"],
        None,
    )
    .await;
    assert!(ok, "{err}");
    let key = out.trim();
    assert!(
        key.starts_with("obk_") && !key.contains(char::is_whitespace),
        "{out:?}"
    );
    assert_eq!(out.lines().count(), 1, "the key alone");

    let (mut server, base, _) = serve(d, &[]).await;
    let http = reqwest::Client::new();
    let res = http
        .post(format!("{base}/api/v1/shops/cafe/orders"))
        .bearer_auth(key)
        .json(&json!({"items":[{"name":"Americano","quantity":1,"unit_price":4500}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let login = http
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"email":"kim@example.com","password":"a long password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    server.kill().await.unwrap();
}

#[tokio::test]
async fn demo_mode_prints_a_login_that_works() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, base, printed) = serve(dir.path(), &["--demo"]).await;
    let password = printed
        .iter()
        .find_map(|l| l.strip_prefix("Demo owner:"))
        .and_then(|rest| rest.split("password:").nth(1))
        .map(|p| p.trim().to_owned())
        .unwrap();
    let http = reqwest::Client::new();
    let login = http
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"email": orderbell_server::demo::DEMO_EMAIL, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let shop: Value = http
        .get(format!("{base}/api/v1/shops/demo"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shop["name"], "Orderbell Demo Cafe");
    assert_eq!(shop["currency"], "KRW");
    assert_eq!(shop["time_zone"], "Asia/Seoul");
    server.kill().await.unwrap();

    // A second start reuses the shop and shows the same login.
    let (mut server, _, again) = serve(dir.path(), &["--demo"]).await;
    assert_eq!(printed, again);
    server.kill().await.unwrap();
}

/// Every order answered 201 is in the database after the server is killed with SIGKILL.
#[tokio::test]
async fn orders_answered_201_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(
        admin(
            d,
            &["user", "add", "o@example.com"],
            Some("a long password\n")
        )
        .await
        .0
    );
    assert!(
        admin(
            d,
            &[
                "shop",
                "add",
                "--slug",
                "kill",
                "--name",
                "Kill",
                "--owner",
                "o@example.com"
            ],
            None
        )
        .await
        .0
    );
    let (_, key, _) = admin(
        d,
        &["apikey", "add", "--shop", "kill", "--name", "load"],
        None,
    )
    .await;
    let key = key.trim().to_owned();
    let (mut server, base, _) = serve(d, &[]).await;

    let acknowledged = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let http = reqwest::Client::new();
    let mut clients = vec![];
    for _ in 0..16 {
        let (http, base, key, acknowledged) = (
            http.clone(),
            base.clone(),
            key.clone(),
            acknowledged.clone(),
        );
        clients.push(tokio::spawn(async move {
            for _ in 0..2000 {
                let res = http
                    .post(format!("{base}/api/v1/shops/kill/orders"))
                    .bearer_auth(&key)
                    .json(
                        &json!({"items":[{"name":"Americano","quantity":1,"unit_price":4500},
                                           {"name":"Latte","quantity":2,"unit_price":5000},
                                           {"name":"Scone","quantity":1,"unit_price":3500}]}),
                    )
                    .send()
                    .await;
                let Ok(res) = res else { break };
                if res.status() != 201 {
                    break;
                }
                let Ok(body) = res.json::<Value>().await else {
                    break;
                };
                acknowledged
                    .lock()
                    .unwrap()
                    .push(body["id"].as_str().unwrap().to_owned());
            }
        }));
    }
    // Kill it in the middle of the stream, with requests in flight.
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        if acknowledged.lock().unwrap().len() >= 300 {
            break;
        }
    }
    server.start_kill().unwrap();
    server.wait().await.unwrap();
    for c in clients {
        c.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= 300);

    let (mut server, base, _) = serve(d, &[]).await;
    let mut stored = std::collections::HashSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{base}/api/v1/shops/kill/orders?limit=100");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page: Value = http
            .get(url)
            .bearer_auth(&key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for o in page["orders"].as_array().unwrap() {
            stored.insert(o["id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let lost: Vec<_> = acknowledged
        .iter()
        .filter(|id| !stored.contains(*id))
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged orders were lost",
        lost.len(),
        acknowledged.len()
    );
    assert!(stored.len() >= acknowledged.len());
    server.kill().await.unwrap();
}
