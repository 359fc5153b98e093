//! `orderbell-bench notify`: the outbox dispatcher against loopback provider stubs.
//!
//! Starts an `orderbell` binary (`--spawn PATH`) on a fresh database with FCM, Web Push and
//! Telegram (polling) pointed at stand-ins this process serves over plain HTTP/1.1 keep-alive
//! (a few lines of hand-written HTTP so the stubs cost little next to the server), registers
//! `--fcm-tokens` FCM tokens and `--push-subscriptions` Web Push subscriptions for the shop's
//! owner, posts `--orders` orders, and measures notifications/s from the first to the last
//! request the stubs received. Then it links `--telegram-chats` chats, posts
//! `--telegram-orders` orders, and checks Telegram's limits at the stub: at most one message
//! a second per chat and 30 a second per bot.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};

use crate::orders::{burst, post_order};

#[derive(Debug, clap::Args)]
pub struct NotifyArgs {
    /// The `orderbell` binary to start (e.g. target/release/orderbell).
    #[arg(long)]
    pub spawn: PathBuf,
    /// Orders to post for the throughput run.
    #[arg(long, default_value_t = 400)]
    pub orders: usize,
    /// FCM tokens of the owner (each order notifies every one).
    #[arg(long, default_value_t = 20)]
    pub fcm_tokens: usize,
    /// Web Push subscriptions of the owner.
    #[arg(long, default_value_t = 5)]
    pub push_subscriptions: usize,
    /// Telegram chats for the rate-limit run.
    #[arg(long, default_value_t = 40)]
    pub telegram_chats: usize,
    /// Orders during the rate-limit run (each goes to every chat).
    #[arg(long, default_value_t = 3)]
    pub telegram_orders: usize,
}

/// RFC 8291 Appendix A: a user agent's public key and auth secret.
const UA_PUBLIC: &str =
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
const UA_AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";
const BOT_TOKEN: &str = "123456:bench";

#[derive(Default)]
pub(crate) struct Seen {
    /// (when, provider, key): every send the stubs answered. The key is the chat for Telegram,
    /// `"<event> <order_id>"` (the message's data) for FCM, empty for Web Push (encrypted).
    pub(crate) sends: Vec<(Instant, &'static str, String)>,
    /// Pending `/start` updates for getUpdates.
    updates: Vec<String>,
    next_update: i64,
}

pub(crate) type Shared = Arc<Mutex<Seen>>;

pub(crate) fn lock(s: &Shared) -> std::sync::MutexGuard<'_, Seen> {
    s.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn answer(path: &str, body: &[u8], seen: &Shared) -> (u16, String) {
    let now = Instant::now();
    if path == "/token" {
        return (
            200,
            r#"{"access_token":"ya29.bench","expires_in":3600,"token_type":"Bearer"}"#.into(),
        );
    }
    if path.ends_with("/messages:send") {
        lock(seen).sends.push((now, "fcm", fcm_key(body)));
        return (200, r#"{"name":"projects/bench/messages/1"}"#.into());
    }
    if path.starts_with("/push/") {
        lock(seen).sends.push((now, "webpush", String::new()));
        return (201, String::new());
    }
    if let Some(method) = path.rsplit('/').next().filter(|_| path.starts_with("/bot")) {
        let json: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        return match method {
            "getMe" => (
                200,
                r#"{"ok":true,"result":{"id":1,"is_bot":true,"first_name":"Bench","username":"bench_bot"}}"#
                    .into(),
            ),
            "deleteWebhook" | "setWebhook" | "answerCallbackQuery" => {
                (200, r#"{"ok":true,"result":true}"#.into())
            }
            "getUpdates" => {
                let mut s = lock(seen);
                let updates = std::mem::take(&mut s.updates);
                (200, format!("{{\"ok\":true,\"result\":[{}]}}", updates.join(",")))
            }
            "sendMessage" | "editMessageText" => {
                let chat = json["chat_id"].as_i64().unwrap_or_default();
                let text = json["text"].as_str().unwrap_or_default();
                if !text.starts_with("Linked") && !text.starts_with("연결") {
                    lock(seen).sends.push((now, "telegram", chat.to_string()));
                }
                (
                    200,
                    format!(
                        "{{\"ok\":true,\"result\":{{\"message_id\":1,\"date\":0,\"chat\":{{\"id\":{chat},\"type\":\"private\"}}}}}}"
                    ),
                )
            }
            _ => (404, r#"{"ok":false,"error_code":404,"description":"Not Found"}"#.into()),
        };
    }
    (404, String::new())
}

/// `"<event> <order_id>"` from an FCM request's `data`, found by plain search: cheaper than
/// parsing every body at thousands a second, and the values are plain names and ids.
fn fcm_key(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let field = |name: &str| {
        let tag = format!("\"{name}\":\"");
        let rest = &text[text.find(&tag)? + tag.len()..];
        rest.find('"').map(|end| &rest[..end])
    };
    format!(
        "{} {}",
        field("event").unwrap_or_default(),
        field("order_id").unwrap_or_default()
    )
}

/// One keep-alive HTTP/1.1 connection: request line, headers, Content-Length body.
async fn connection(stream: TcpStream, seen: Shared) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
        let mut length = 0usize;
        loop {
            line.clear();
            if reader.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0u8; length];
        reader.read_exact(&mut body).await?;
        let (status, text) = answer(&path, &body, &seen);
        let response = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{text}",
            text.len()
        );
        write.write_all(response.as_bytes()).await?;
    }
}

/// Serves the provider stand-ins on a loopback port; returns their base URL.
pub(crate) async fn stubs(seen: Shared) -> anyhow::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            tokio::spawn(connection(stream, seen.clone()));
        }
    });
    Ok(format!("http://{addr}"))
}

pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) url: String,
    /// An API key of the shop `bench` (`orders:write`, `orders:read`).
    pub(crate) key: String,
    /// The owner's session cookie.
    cookie: String,
    _dir: tempfile::TempDir,
}

async fn admin(
    bin: &PathBuf,
    envs: &[(String, String)],
    args: &[&str],
    stdin: Option<&str>,
) -> anyhow::Result<String> {
    let mut child = Command::new(bin)
        .args(args)
        .envs(envs.iter().cloned())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("running {}", bin.display()))?;
    if let (Some(mut input), Some(text)) = (child.stdin.take(), stdin) {
        input.write_all(text.as_bytes()).await?;
    }
    let out = child.wait_with_output().await?;
    if !out.status.success() {
        bail!("{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Starts `orderbell` on a fresh SQLite database with FCM (and, with `telegram`, a polling
/// Telegram bot) pointed at `stub`, a shop `bench`, its owner signed in and an API key.
pub(crate) async fn spawn_server(
    bin: &PathBuf,
    stub: &str,
    telegram: bool,
) -> anyhow::Result<Server> {
    let dir = tempfile::tempdir()?;
    let key_pem = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
        ])
        .output()
        .context("openssl makes the FCM test key")?;
    let account = dir.path().join("fcm.json");
    std::fs::write(
        &account,
        serde_json::json!({"type": "service_account", "project_id": "bench",
            "private_key": String::from_utf8_lossy(&key_pem.stdout),
            "client_email": "bench@bench.iam.gserviceaccount.com", "token_uri": format!("{stub}/token")})
        .to_string(),
    )?;
    let envs: Vec<(String, String)> = [
        (
            "ORDERBELL_DATABASE_URL",
            format!("sqlite://{}/orderbell.db", dir.path().display()),
        ),
        (
            "ORDERBELL_FCM_SERVICE_ACCOUNT_FILE",
            account.display().to_string(),
        ),
        ("ORDERBELL_FCM_API_URL", stub.to_owned()),
        ("ORDERBELL_TELEGRAM_BOT_TOKEN", BOT_TOKEN.to_owned()),
        ("ORDERBELL_TELEGRAM_API_URL", stub.to_owned()),
        ("ORDERBELL_TELEGRAM_MODE", "polling".to_owned()),
        ("ORDERBELL_DEV_ALLOW_HTTP_ENDPOINTS", "true".to_owned()),
    ]
    .into_iter()
    .filter(|(k, _)| telegram || !k.starts_with("ORDERBELL_TELEGRAM_"))
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let email = "bench@example.com";
    let password = "a long bench password";
    admin(
        bin,
        &envs,
        &["user", "add", email],
        Some(&format!("{password}\n")),
    )
    .await?;
    admin(
        bin,
        &envs,
        &[
            "shop", "add", "--slug", "bench", "--name", "Bench", "--owner", email,
        ],
        None,
    )
    .await?;
    let key = admin(
        bin,
        &envs,
        &["apikey", "add", "--shop", "bench", "--name", "bench"],
        None,
    )
    .await?;
    let mut child = Command::new(bin)
        .args(["serve", "--listen", "127.0.0.1:0", "--log", "warn"])
        .envs(envs.iter().cloned())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()?;
    let stdout = child.stdout.take().context("no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let mut url = None;
    while let Some(line) = lines.next_line().await? {
        if let Some(addr) = line.strip_prefix("Orderbell is listening on ") {
            url = Some(addr.to_owned());
            break;
        }
    }
    let url = url.context("the server exited before listening")?;
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let http = reqwest::Client::new();
    let res = http
        .post(format!("{url}/api/v1/session"))
        .json(&serde_json::json!({"email": email, "password": password}))
        .send()
        .await?;
    let cookie = res
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|c| c.split(';').next())
        .context("no session cookie")?
        .to_owned();
    Ok(Server {
        child,
        url,
        key,
        cookie,
        _dir: dir,
    })
}

/// A request as the shop's owner (session cookie, same-origin); the answer's JSON.
pub(crate) async fn member_request(
    http: &reqwest::Client,
    s: &Server,
    method: reqwest::Method,
    path: &str,
    body: serde_json::Value,
) -> anyhow::Result<serde_json::Value> {
    let res = http
        .request(method, format!("{}{path}", s.url))
        .header("cookie", &s.cookie)
        .header("origin", &s.url)
        .json(&body)
        .send()
        .await?;
    let status = res.status();
    let text = res.text().await?;
    if !status.is_success() {
        bail!("{path}: {status} {text}");
    }
    Ok(serde_json::from_str(&text).unwrap_or_default())
}

async fn post_orders(http: &reqwest::Client, s: &Server, n: usize) -> anyhow::Result<()> {
    let body = Arc::new(
        serde_json::json!({"items":[{"name":"Americano","quantity":2,"unit_price":4500}],
                           "fulfillment":{"type":"pickup"}}),
    );
    let (http, url, key) = (
        http.clone(),
        format!("{}/api/v1/shops/bench/orders", s.url),
        s.key.clone(),
    );
    burst(n, 16, move |_| {
        let (http, url, key, body) = (http.clone(), url.clone(), key.clone(), body.clone());
        async move {
            post_order(&http, &url, &key, &body).await?.bytes().await?;
            Ok(())
        }
    })
    .await?;
    Ok(())
}

/// Waits until `count` of the sends the stubs answered match `wanted(provider, key)`.
pub(crate) async fn wait_for(
    seen: &Shared,
    wanted: impl Fn(&str, &str) -> bool,
    count: usize,
    limit: Duration,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + limit;
    loop {
        let got = lock(seen)
            .sends
            .iter()
            .filter(|(_, p, k)| wanted(p, k))
            .count();
        if got >= count {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("only {got} of {count} notifications arrived within {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub async fn run(args: NotifyArgs) -> anyhow::Result<()> {
    let seen: Shared = Arc::default();
    let stub = stubs(seen.clone()).await?;
    let server = spawn_server(&args.spawn, &stub, true).await?;
    let http = reqwest::Client::new();
    let healthz = crate::orders::healthz_rate(&http, &server.url, 64, 5).await;
    for i in 0..args.fcm_tokens {
        member_request(
            &http,
            &server,
            reqwest::Method::POST,
            "/api/v1/me/push/fcm",
            serde_json::json!({"token": format!("bench-token-{i}")}),
        )
        .await?;
    }
    for i in 0..args.push_subscriptions {
        member_request(&http, &server, reqwest::Method::POST, "/api/v1/me/push/webpush", serde_json::json!({
            "endpoint": format!("{stub}/push/{i}"), "keys": {"p256dh": UA_PUBLIC, "auth": UA_AUTH}})).await?;
    }

    // Throughput: orders first (they are taken at thousands per second), then the stubs count.
    let per_order = args.fcm_tokens + args.push_subscriptions;
    let expected = args.orders * per_order;
    let posted = Instant::now();
    post_orders(&http, &server, args.orders).await?;
    let posting = posted.elapsed();
    wait_for(&seen, |_, _| true, expected, Duration::from_secs(300)).await?;
    let (first, last, fcm, push) = {
        let s = lock(&seen);
        let first = s
            .sends
            .iter()
            .map(|x| x.0)
            .min()
            .context("nothing arrived")?;
        let last = s
            .sends
            .iter()
            .map(|x| x.0)
            .max()
            .context("nothing arrived")?;
        let count = |p: &str| s.sends.iter().filter(|x| x.1 == p).count();
        (first, last, count("fcm"), count("webpush"))
    };
    let span = last.duration_since(first).as_secs_f64().max(1e-3);
    println!(
        "orders posted:        {} in {:.2} s",
        args.orders,
        posting.as_secs_f64()
    );
    println!(
        "notifications:        {expected} ({fcm} FCM, {push} Web Push, encrypted + VAPID-signed)"
    );
    println!("dispatch span:        {span:.2} s (first to last request at the stubs)");
    println!(
        "throughput:           {:.0} notifications/s ({:.3} × /healthz)",
        expected as f64 / span,
        expected as f64 / span / healthz.max(1.0)
    );
    println!("baseline:             /healthz {healthz:.0} requests/s (64 clients, 5 s)");

    // Telegram's limits, checked at the stub.
    if args.telegram_chats > 0 {
        let mut updates = Vec::new();
        for chat in 0..args.telegram_chats {
            let link = member_request(
                &http,
                &server,
                reqwest::Method::POST,
                "/api/v1/shops/bench/telegram/link",
                serde_json::json!({}),
            )
            .await?;
            let code = link["url"]
                .as_str()
                .and_then(|u| u.split("start=").nth(1))
                .context("no code")?
                .to_owned();
            let chat_id = 1000 + chat;
            let mut s = lock(&seen);
            s.next_update += 1;
            updates.push(format!(
                "{{\"update_id\":{},\"message\":{{\"message_id\":1,\"date\":0,\"chat\":{{\"id\":{chat_id},\"type\":\"private\"}},\"from\":{{\"id\":{chat_id},\"is_bot\":false,\"first_name\":\"B\"}},\"text\":\"/start {code}\"}}}}",
                s.next_update
            ));
        }
        lock(&seen).updates.extend(updates);
        // Linking replies are not counted; give the poller a moment to take the updates.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let before = lock(&seen).sends.len();
        post_orders(&http, &server, args.telegram_orders).await?;
        let tg_expected = args.telegram_chats * args.telegram_orders;
        let all = before + tg_expected + args.telegram_orders * per_order;
        wait_for(&seen, |_, _| true, all, Duration::from_secs(120)).await?;
        let s = lock(&seen);
        let tg: Vec<(Instant, String)> = s.sends[before..]
            .iter()
            .filter(|x| x.1 == "telegram")
            .map(|x| (x.0, x.2.clone()))
            .collect();
        let mut per_chat: HashMap<&str, Vec<Instant>> = HashMap::new();
        for (t, chat) in &tg {
            per_chat.entry(chat).or_default().push(*t);
        }
        let min_gap = per_chat
            .values()
            .flat_map(|ts| ts.windows(2).map(|w| w[1].duration_since(w[0])))
            .min()
            .unwrap_or_default();
        let mut peak = 0;
        for (i, (t, _)) in tg.iter().enumerate() {
            let in_window = tg[i..]
                .iter()
                .take_while(|(u, _)| u.duration_since(*t) < Duration::from_secs(1))
                .count();
            peak = peak.max(in_window);
        }
        println!(
            "telegram:             {} messages to {} chats; smallest gap in one chat {:.3} s (limit 1 s); \
             most in any second {peak} (limit 30)",
            tg.len(),
            per_chat.len(),
            min_gap.as_secs_f64()
        );
        // The token bucket's arithmetic is exact; allow the clock granularity of two processes.
        if min_gap < Duration::from_millis(990) || peak > 31 {
            bail!("Telegram limits were not kept");
        }
    }
    Ok(())
}
