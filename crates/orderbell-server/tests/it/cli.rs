//! The real `orderbell` binary: admin commands, demo mode, orders that survive SIGKILL, and
//! escalation timers that survive it too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use crate::stubs;
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
    admin_with(dir, args, stdin, &[]).await
}

/// [`admin`] with extra environment variables.
async fn admin_with(
    dir: &Path,
    args: &[&str],
    stdin: Option<&str>,
    env: &[(&str, &str)],
) -> (bool, String, String) {
    let mut cmd = orderbell(dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
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
    serve_with(dir, extra, &[]).await
}

/// [`serve`] with extra environment variables.
async fn serve_with(
    dir: &Path,
    extra: &[&str],
    env: &[(&str, &str)],
) -> (Child, String, Vec<String>) {
    let mut cmd = orderbell(dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(["serve", "--listen", "127.0.0.1:0"])
        .args(extra)
        .stderr(Stdio::null());
    listening(cmd).await
}

/// Spawns `cmd` (a `serve`) and waits for its "listening" line; returns the child, its base
/// URL and what it printed before.
async fn listening(mut cmd: Command) -> (Child, String, Vec<String>) {
    let mut child = cmd
        .stdout(Stdio::piped())
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
    // The operator's reset: the policy holds, and the new password is the one that works.
    let (ok, _, err) = admin(
        d,
        &["user", "password", "kim@example.com"],
        Some("password1234\n"),
    )
    .await;
    assert!(!ok && err.contains("too easy to guess"), "{err}");
    let (ok, out, err) = admin(
        d,
        &["user", "password", "Kim@Example.com"],
        Some("three quiet river stones\n"),
    )
    .await;
    assert!(ok && out.contains("every session"), "{out}{err}");
    let (ok, _, err) = admin(
        d,
        &["user", "password", "nobody@example.com"],
        Some("three quiet river stones\n"),
    )
    .await;
    assert!(!ok && err.contains("no account"), "{err}");
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
        .json(&json!({"email":"kim@example.com","password":"three quiet river stones"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        login.status(),
        200,
        "the password set by `user password` signs in"
    );
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

/// A user, a shop `slug` owned by them and an API key for it; returns the key.
async fn shop_with_key(d: &Path, slug: &str) -> String {
    assert!(
        admin(
            d,
            &["user", "add", "o@example.com"],
            Some("a long password\n")
        )
        .await
        .0
    );
    let shop = ["shop", "add", "--slug", slug, "--name", slug];
    let owner = ["--owner", "o@example.com"];
    assert!(admin(d, &[&shop[..], &owner[..]].concat(), None).await.0);
    let (_, key, _) = admin(
        d,
        &["apikey", "add", "--shop", slug, "--name", "load"],
        None,
    )
    .await;
    key.trim().to_owned()
}

/// The ids of every order of the shop, page by page.
async fn stored_orders(
    http: &reqwest::Client,
    base: &str,
    slug: &str,
    key: &str,
) -> std::collections::HashSet<String> {
    let mut stored = std::collections::HashSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{base}/api/v1/shops/{slug}/orders?limit=100");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page: Value = http
            .get(url)
            .bearer_auth(key)
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
            None => return stored,
        }
    }
}

/// `orderbell backup` while 8 clients keep ordering: the copy holds every order answered
/// before the backup began; `orderbell restore` refuses while the server runs, then puts the
/// copy in place (keeping the replaced database), and the restarted server serves it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_load_holds_every_order_answered_before_it() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = shop_with_key(d, "copy").await;
    let (mut server, base, _) = serve(d, &[]).await;
    let http = reqwest::Client::new();
    let answered = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = vec![];
    for _ in 0..8 {
        let (http, base, key, answered, stop) = (
            http.clone(),
            base.clone(),
            key.clone(),
            answered.clone(),
            stop.clone(),
        );
        clients.push(tokio::spawn(async move {
            // Bounded: at most 1500 orders a client, whatever happens.
            for _ in 0..1500 {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let res = http
                    .post(format!("{base}/api/v1/shops/copy/orders"))
                    .bearer_auth(&key)
                    .json(&json!({"items":[{"name":"Americano","quantity":1,"unit_price":4500}]}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 201);
                let body: Value = res.json().await.unwrap();
                answered
                    .lock()
                    .unwrap()
                    .push(body["id"].as_str().unwrap().to_owned());
            }
        }));
    }
    while answered.lock().unwrap().len() < 200 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let before = answered.lock().unwrap().clone();
    let copy = d.join("backups/orderbell-copy.db");
    std::fs::create_dir_all(d.join("backups")).unwrap();
    let (ok, out, err) = admin(d, &["backup", "--to", copy.to_str().unwrap()], None).await;
    assert!(ok, "{out}{err}");
    assert!(out.contains("orders "), "{out}");
    // Orders answered after the backup ended cannot be in it.
    let after = answered.lock().unwrap().len();
    while answered.lock().unwrap().len() < after + 50 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.await.unwrap();
    }
    let all = answered.lock().unwrap().clone();

    // A second backup to the same file is refused; the file is kept.
    let (ok, _, err) = admin(d, &["backup", "--to", copy.to_str().unwrap()], None).await;
    assert!(!ok && err.contains("already exists"), "{err}");
    // No restore under a running server.
    let (ok, _, err) = admin(d, &["restore", "--from", copy.to_str().unwrap()], None).await;
    assert!(!ok && err.contains("server is running"), "{err}");

    server.start_kill().unwrap();
    server.wait().await.unwrap();
    let (ok, out, err) = admin(d, &["restore", "--from", copy.to_str().unwrap()], None).await;
    assert!(ok, "{out}{err}");
    assert!(out.contains("before-restore-"), "{out}");

    let (mut server, base, _) = serve(d, &[]).await;
    let stored = stored_orders(&http, &base, "copy", &key).await;
    let lost: Vec<_> = before.iter().filter(|id| !stored.contains(*id)).collect();
    assert!(
        lost.is_empty(),
        "{} of {} orders lost",
        lost.len(),
        before.len()
    );
    // The copy is of one instant: the orders answered after it are not in it.
    assert!(
        stored.len() + 50 <= all.len(),
        "{} {}",
        stored.len(),
        all.len()
    );
    server.kill().await.unwrap();

    // PostgreSQL deployments are sent to their own tools.
    let (ok, _, err) = admin_with(
        d,
        &["backup", "--to", "x.db"],
        None,
        &[("ORDERBELL_DATABASE_URL", "postgres://localhost/none")],
    )
    .await;
    assert!(!ok && err.contains("pg_dump"), "{err}");
}

/// [`serve_with`], logging JSON (`ORDERBELL_LOG_FORMAT=json`) into the returned buffer, one
/// line per event.
async fn serve_logged(
    dir: &Path,
    env: &[(&str, &str)],
) -> (Child, String, Arc<std::sync::Mutex<Vec<String>>>) {
    let mut cmd = orderbell(dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(["serve", "--listen", "127.0.0.1:0"])
        .env("ORDERBELL_LOG_FORMAT", "json")
        .env("ORDERBELL_LOG", "info")
        .stderr(Stdio::piped());
    let (mut child, base, _) = listening(cmd).await;
    let logs = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut errors = BufReader::new(child.stderr.take().unwrap()).lines();
    let sink = logs.clone();
    tokio::spawn(async move {
        while let Ok(Some(line)) = errors.next_line().await {
            sink.lock().unwrap().push(line);
        }
    });
    (child, base, logs)
}

/// Every order answered 201 is in the database after the server is killed with SIGKILL.
#[tokio::test]
async fn orders_answered_201_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = shop_with_key(d, "kill").await;
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
    let stored = stored_orders(&http, &base, "kill", &key).await;
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

/// Never miss an order, on the real binary and the real clock: a repeat at 10 s arrives at the
/// Telegram stand-in no earlier than 10 s and no later than 12 s, although the server was killed
/// with SIGKILL at 5 s and restarted; it arrives once; an order acknowledged before the kill gets
/// no repeat and is never missed; the unanswered order is `missed` at 30 s and the guest's
/// opted-in Telegram chat is told.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escalation_survives_sigkill_and_stops_at_the_acknowledgement() {
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let (tg_url, telegram) = stubs::telegram().await;
    let env = [
        ("ORDERBELL_TELEGRAM_BOT_TOKEN", stubs::BOT_TOKEN),
        ("ORDERBELL_TELEGRAM_API_URL", tg_url.as_str()),
        ("ORDERBELL_TELEGRAM_MODE", "webhook"),
    ];
    let (ok, _, err) = admin(
        dir.path(),
        &["user", "add", "kim@esc.example", "--name", "Kim"],
        Some("a long password\n"),
    )
    .await;
    assert!(ok, "{err}");
    let (ok, _, err) = admin(
        dir.path(),
        &[
            "shop",
            "add",
            "--slug",
            "esc",
            "--name",
            "Esc",
            "--owner",
            "kim@esc.example",
        ],
        None,
    )
    .await;
    assert!(ok, "{err}");
    let (ok, key, err) = admin(
        dir.path(),
        &[
            "apikey",
            "add",
            "--shop",
            "esc",
            "--name",
            "till",
            "--scope",
            "orders:write,orders:read,manage",
        ],
        None,
    )
    .await;
    assert!(ok, "{err}");
    let key = key.trim().to_owned();
    let (mut server, base, _) = serve_with(dir.path(), &[], &env).await;
    let http = reqwest::Client::new();
    let secret = stubs::eventually("setWebhook", async || {
        telegram
            .calls_of("setWebhook")
            .first()
            .map(|c| c["request"]["secret_token"].as_str().unwrap().to_owned())
    })
    .await;
    let update = |id: i64, chat: i64, text: &str| {
        json!({"update_id": id, "message": {"message_id": id, "date": 1_764_306_000,
            "chat": {"id": chat, "type": "private", "first_name": "Kim"},
            "from": {"id": chat, "is_bot": false, "first_name": "Kim", "language_code": "en"},
            "text": text}})
    };
    let send_update = async |base: &str, body: Value| {
        http.post(format!("{base}/webhooks/telegram"))
            .header("X-Telegram-Bot-Api-Secret-Token", &secret)
            .json(&body)
            .send()
            .await
            .unwrap()
            .status()
    };
    // The owner links chat 42.
    let (ok, link, err) = admin_with(
        dir.path(),
        &[
            "telegram",
            "link",
            "--shop",
            "esc",
            "--user",
            "kim@esc.example",
        ],
        None,
        &env,
    )
    .await;
    assert!(ok, "{err}");
    let code = link.trim().rsplit("start=").next().unwrap().to_owned();
    assert!(
        send_update(&base, update(1, 42, &format!("/start {code}")))
            .await
            .is_success()
    );
    // Repeats every 10 s, missed at 30 s, no call.
    let r = http
        .patch(format!("{base}/api/v1/shops/esc"))
        .bearer_auth(&key)
        .json(
            &json!({"alerts": {"repeat_after_seconds": 10, "repeat_every_seconds": 10,
                                  "call_after_seconds": null, "miss_after_seconds": 30}}),
        )
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());

    let post = async |base: &str| -> Value {
        http.post(format!("{base}/api/v1/shops/esc/orders"))
            .bearer_auth(&key)
            .json(
                &json!({"items": [{"name": "Latte", "quantity": 1, "unit_price": 5000}],
                          "fulfillment": {"type": "pickup"},
                          "customer": {"name": "Lee Seoyeon", "phone": "+821055501234"}}),
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    };
    let t0 = Instant::now();
    let acked = post(&base).await;
    let waiting = post(&base).await;
    let t1 = Instant::now();
    let (acked_no, waiting_no) = (
        acked["number"].as_i64().unwrap(),
        waiting["number"].as_i64().unwrap(),
    );
    // The guest of the unanswered order follows it in chat 99.
    let token = waiting["tracking_url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    assert!(
        send_update(&base, update(2, 99, &format!("/start o_{token}")))
            .await
            .is_success()
    );
    // Someone answers the first order on the API at about 3 s.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let r = http
        .post(format!(
            "{base}/api/v1/shops/esc/orders/{}/acknowledge",
            acked["id"].as_str().unwrap()
        ))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    // SIGKILL at 5 s, then back.
    tokio::time::sleep(Duration::from_secs(5).saturating_sub(t0.elapsed())).await;
    server.start_kill().unwrap();
    server.wait().await.unwrap();
    let (mut server, base, logs) = serve_logged(dir.path(), &env).await;

    let reminder = |n: i64| {
        let tag = format!("#{n} unanswered");
        telegram
            .calls_of("sendMessage")
            .into_iter()
            .filter(|c| {
                c["request"]["chat_id"] == 42
                    && c["request"]["text"].as_str().unwrap_or("").contains(&tag)
            })
            .count()
    };
    let first = stubs::eventually("the 10 s repeat", async || {
        (reminder(waiting_no) >= 1).then(Instant::now)
    })
    .await;
    assert!(
        first.duration_since(t0) >= Duration::from_secs(10),
        "too early: {:?}",
        first.duration_since(t0)
    );
    assert!(
        first.duration_since(t1) <= Duration::from_secs(12),
        "too late: {:?}",
        first.duration_since(t1)
    );
    // Once: no second message for the 10 s step (the next one is due at 20 s).
    tokio::time::sleep(Duration::from_secs(19).saturating_sub(t0.elapsed())).await;
    assert_eq!(reminder(waiting_no), 1, "the 10 s repeat arrived once");

    // Missed at 30 s: the guest's chat hears it.
    let missed = stubs::eventually("the guest told", async || {
        telegram.calls_of("sendMessage").into_iter().find(|c| {
            c["request"]["chat_id"] == 99
                && c["request"]["text"]
                    .as_str()
                    .unwrap_or("")
                    .contains("was not answered")
        })
    })
    .await;
    assert!(t0.elapsed() >= Duration::from_secs(30), "{missed}");
    let order: Value = http
        .get(format!(
            "{base}/api/v1/shops/esc/orders/{}",
            waiting["id"].as_str().unwrap()
        ))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(order["status"], "missed");
    assert_eq!(reminder(waiting_no), 2, "repeats at 10 s and 20 s only");
    // The acknowledged order: no repeat, never missed.
    assert_eq!(reminder(acked_no), 0);
    let order: Value = http
        .get(format!(
            "{base}/api/v1/shops/esc/orders/{}",
            acked["id"].as_str().unwrap()
        ))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(order["status"], "pending");
    assert!(order["acknowledged_at"].is_string());
    server.kill().await.unwrap();

    // The log (docs/operations.md, "Logs"): one structured event per order change and per
    // delivery outcome, by id, never naming the customer.
    let logs = logs.lock().unwrap().clone();
    let events: Vec<Value> = logs
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let waiting_id = waiting["id"].as_str().unwrap();
    assert!(
        events.iter().any(|e| e["target"] == "orderbell::orders"
            && e["order"] == waiting_id
            && e["status"] == "missed"
            && e["number"] == waiting_no),
        "no order event for the missed order: {logs:#?}"
    );
    let sent: Vec<&Value> = events
        .iter()
        .filter(|e| {
            e["target"] == "orderbell::delivery"
                && e["order"] == waiting_id
                && e["channel"] == "telegram"
                && e["outcome"] == "sent"
        })
        .collect();
    assert!(
        sent.iter().any(|e| e["event"] == "reminder")
            && sent.iter().any(|e| e["event"] == "missed"),
        "delivery events: {sent:#?}"
    );
    for secret in ["Lee Seoyeon", "55501234", "+821055501234", stubs::BOT_TOKEN] {
        assert!(
            !logs.iter().any(|l| l.contains(secret)),
            "the log names {secret}"
        );
    }
}

/// A free loopback port (bound, then released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `--metrics` (docs/operations.md, "Metrics"): `/metrics` behind its bearer token, in the
/// OpenMetrics text format that Debian's `promtool check metrics` accepts, counting what the
/// server did with no order or customer in a label; a real Prometheus scrapes it; with
/// `[metrics] listen` it moves to a listener of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_scraped_by_prometheus() {
    let promtool = std::process::Command::new("promtool")
        .arg("--version")
        .output()
        .is_ok();
    if !promtool {
        assert!(
            std::env::var("ORDERBELL_REQUIRE_PROMETHEUS").as_deref() != Ok("1"),
            "promtool is not installed: apt-get install prometheus"
        );
        eprintln!(
            "SKIPPED: promtool and prometheus are not installed (apt-get install prometheus)"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = shop_with_key(d, "metered").await;
    let env = [
        ("ORDERBELL_METRICS", "on"),
        ("ORDERBELL_METRICS_TOKEN", "scrape-secret"),
    ];
    let (mut server, base, _) = serve_with(d, &[], &env).await;
    let http = reqwest::Client::new();
    let mut ids = vec![];
    for _ in 0..5 {
        let r: Value = http
            .post(format!("{base}/api/v1/shops/metered/orders"))
            .bearer_auth(&key)
            .json(
                &json!({"items":[{"name":"Americano","quantity":1,"unit_price":4500}],
                          "customer": {"name": "Park Jiwoo", "phone": "+821055507777"}}),
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        ids.push(r["id"].as_str().unwrap().to_owned());
    }
    let r = http
        .post(format!(
            "{base}/api/v1/shops/metered/orders/{}/accept",
            ids[0]
        ))
        .bearer_auth(&key)
        .json(&json!({"eta_minutes": 10}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());

    let refused = http.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    let wrong = http
        .get(format!("{base}/metrics"))
        .bearer_auth("scrape-secreT")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let scrape = http
        .get(format!("{base}/metrics"))
        .bearer_auth("scrape-secret")
        .header(
            "accept",
            "application/openmetrics-text;version=1.0.0,text/plain;q=0.5",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(scrape.status(), 200);
    assert!(
        scrape.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = scrape.text().await.unwrap();
    assert!(text.ends_with("# EOF\n"));
    // Without asking for OpenMetrics: the Prometheus text format, which promtool reads.
    let plain = http
        .get(format!("{base}/metrics"))
        .bearer_auth("scrape-secret")
        .send()
        .await
        .unwrap();
    assert!(
        plain.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let plain = plain.text().await.unwrap();
    for line in [
        "orderbell_orders_created_total{source=\"api\"} 5",
        "orderbell_order_changes_total{status=\"accepted\"} 1",
        "orderbell_order_intake_seconds_count 5",
        "orderbell_http_requests_total{method=\"POST\",route=\"/api/v1/shops/{slug}/orders\",status=\"201\"} 5",
        "orderbell_outbox_waiting ",
        "orderbell_printers_connected 0",
        "orderbell_dashboards_connected 0",
        "# TYPE orderbell_store_commit_batch_size histogram",
    ] {
        assert!(text.contains(line), "{line} is missing:\n{text}");
    }
    let commits = text
        .lines()
        .find_map(|l| l.strip_prefix("orderbell_store_commit_duration_seconds_count "))
        .unwrap();
    assert!(commits.parse::<u64>().unwrap() >= 5, "{commits}");
    for secret in ["Park Jiwoo", "55507777", ids[0].as_str(), "metered\""] {
        assert!(!text.contains(secret), "a label names {secret}");
    }

    // promtool reads it as Prometheus would, and finds nothing to lint.
    let mut check = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        check
            .stdin
            .take()
            .unwrap()
            .write_all(plain.as_bytes())
            .unwrap();
    }
    let out = check.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // A real Prometheus scrapes it with the token.
    let prom_dir = tempfile::tempdir().unwrap();
    let target = base.trim_start_matches("http://");
    let config = prom_dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: orderbell\n    \
             authorization:\n      credentials: scrape-secret\n    static_configs:\n      \
             - targets: ['{target}']\n"
        ),
    )
    .unwrap();
    let web = format!("127.0.0.1:{}", free_port());
    let mut prometheus = Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            prom_dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address={web}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let query = format!("http://{web}/api/v1/query?query=orderbell_orders_created_total");
    let mut seen = Value::Null;
    for _ in 0..60 {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let Ok(r) = http.get(&query).send().await else {
            continue;
        };
        let Ok(body) = r.json::<Value>().await else {
            continue;
        };
        if body["data"]["result"][0]["value"][1] == "5" {
            seen = body;
            break;
        }
    }
    prometheus.kill().await.unwrap();
    assert_eq!(
        seen["data"]["result"][0]["metric"]["source"], "api",
        "Prometheus did not scrape the orders"
    );
    server.kill().await.unwrap();

    // `[metrics] listen`: a listener of its own; the main one has no /metrics.
    let port = free_port();
    let toml = d.join("orderbell.toml");
    std::fs::write(
        &toml,
        format!("[metrics]\nenabled = true\nlisten = \"127.0.0.1:{port}\"\n"),
    )
    .unwrap();
    let (mut server, base, printed) =
        serve_with(d, &[], &[("ORDERBELL_CONFIG", toml.to_str().unwrap())]).await;
    assert!(
        printed
            .iter()
            .any(|l| l.contains(&format!("127.0.0.1:{port}/metrics")))
    );
    let main = http.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(main.status(), 404);
    let own = http
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 200);
    server.kill().await.unwrap();
}

/// SIGTERM drains: `/readyz` answers 503 `draining` at once while requests are still served, a
/// connected printer is told "going away" (1001) when serving ends, and the process exits 0.
#[tokio::test]
async fn sigterm_drains_then_closes_printers_with_going_away() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    shop_with_key(d, "drain").await;
    let (ok, token, err) = admin(
        d,
        &["printer", "add", "--shop", "drain", "--name", "Counter"],
        None,
    )
    .await;
    assert!(ok, "{err}");
    let (mut server, base, _) = serve(d, &["--drain-seconds", "2"]).await;
    let http = reqwest::Client::new();
    let ready = http.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);

    let mut request = format!("{}/api/v1/devices/ws", base.replace("http://", "ws://"))
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {}", token.trim()).parse().unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let hello = json!({"type":"hello","protocol":1,"client_version":"test/1","capabilities":{"paper":"80mm","text_mode":"ks_x_1001","cutter":true,"drawer":false}});
    socket
        .send(Message::Text(hello.to_string().into()))
        .await
        .unwrap();

    let pid = server.id().unwrap().to_string();
    let sent = tokio::time::Instant::now();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .await
            .unwrap()
            .success()
    );
    // Draining: not ready, still serving.
    let mut seen_draining = false;
    for _ in 0..50 {
        let r = http.get(format!("{base}/readyz")).send().await.unwrap();
        if r.status() == 503 {
            let body: Value = r.json().await.unwrap();
            assert_eq!(body["status"], "draining");
            seen_draining = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(seen_draining, "/readyz never answered 503 while draining");
    let health = http.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(
        health.status(),
        200,
        "requests are still served while draining"
    );

    // Then the printer is told to go elsewhere.
    let close = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        while let Some(message) = socket.next().await {
            if let Ok(Message::Close(frame)) = message {
                return frame;
            }
        }
        None
    })
    .await
    .expect("the socket closes in time")
    .expect("a close frame");
    assert_eq!(u16::from(close.code), 1001, "{close:?}");
    assert!(
        sent.elapsed() >= std::time::Duration::from_secs(2),
        "the printer was kept through the drain"
    );
    let status = tokio::time::timeout(std::time::Duration::from_secs(20), server.wait())
        .await
        .expect("the server exits")
        .unwrap();
    assert!(status.success(), "{status:?}");
}
