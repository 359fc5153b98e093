//! Several `orderbell serve` processes on one PostgreSQL database behind Debian's HAProxy,
//! started with the configuration that docs/deploy.md shows (`deploy/haproxy.cfg`): events of
//! one instance reach printers and dashboards on the others, login limits hold across
//! instances, an instance killed under load loses nothing, and a lost LISTEN connection loses
//! nothing either.
//!
//! Each test makes its own database on `ORDERBELL_TEST_POSTGRES_URL` (dropped at the end),
//! runs `orderbell migrate` once and sets up a shop, its owner, an API key and a printer with
//! the admin commands. The printer is a WebSocket device client in this file speaking
//! docs/protocol.md (it acks `received`, then `printed`, and reconnects when its socket ends);
//! the `orderbell-printer` binary is not built for this crate's tests.
//!
//! Skipped (with the reason printed) without `haproxy` or PostgreSQL, unless
//! `ORDERBELL_REQUIRE_HAPROXY=1` / `ORDERBELL_REQUIRE_POSTGRES=1`. Every wait is bounded; the
//! only timing assertion is the issue's "within 1 s", checked with one retry.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const BIN: &str = env!("CARGO_BIN_EXE_orderbell");

/// The HAProxy configuration docs/deploy.md shows, run here as it is.
const HAPROXY_CFG: &str = include_str!("../../../../deploy/haproxy.cfg");

const SLUG: &str = "multi";
const OWNER: &str = "owner@multi.example";
const PASSWORD: &str = "three quiet river stones";

/// How long any single wait may take before the test fails.
const WAIT: Duration = Duration::from_secs(20);

/// One cluster at a time: three servers, HAProxy and a load on a small machine are enough.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

// ------------------------------------------------------------------------- prerequisites

/// The admin URL of the test PostgreSQL, or `None` (the test is skipped) when it or `haproxy`
/// is missing and not required.
fn prerequisites() -> Option<String> {
    let haproxy = std::process::Command::new("haproxy")
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !haproxy {
        assert!(
            std::env::var("ORDERBELL_REQUIRE_HAPROXY").as_deref() != Ok("1"),
            "ORDERBELL_REQUIRE_HAPROXY=1 but haproxy is not installed: apt-get install haproxy"
        );
        eprintln!("SKIPPED: haproxy is not installed (apt-get install haproxy)");
        return None;
    }
    match std::env::var("ORDERBELL_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("ORDERBELL_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "ORDERBELL_REQUIRE_POSTGRES=1 but ORDERBELL_TEST_POSTGRES_URL is not set"
            );
            eprintln!("SKIPPED: set ORDERBELL_TEST_POSTGRES_URL to run the multi-instance tests");
            None
        }
    }
}

/// A fresh database, dropped (with its connections) when this is dropped.
struct Database {
    admin: String,
    name: String,
    url: String,
}

impl Database {
    async fn create(admin: String) -> Database {
        let name = format!(
            "orderbell_multi_{}",
            hex::encode(orderbell_server::security::random_bytes::<6>())
        );
        let (admin2, name2) = (admin.clone(), name.clone());
        tokio::task::spawn_blocking(move || {
            let mut c = postgres::Client::connect(&admin2, postgres::NoTls).unwrap();
            c.batch_execute(&format!("CREATE DATABASE {name2}"))
                .unwrap();
        })
        .await
        .unwrap();
        let (base, _) = admin.rsplit_once('/').unwrap();
        let url = format!("{base}/{name}");
        Database { admin, name, url }
    }

    /// Runs `sql` on the admin connection; returns the first column of every row as text.
    async fn admin_query(&self, sql: String) -> Vec<String> {
        let admin = self.admin.clone();
        tokio::task::spawn_blocking(move || {
            let mut c = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
            c.query(&sql, &[])
                .unwrap()
                .iter()
                .map(|row| {
                    row.try_get::<_, String>(0)
                        .or_else(|_| row.try_get::<_, i32>(0).map(|v| v.to_string()))
                        .or_else(|_| row.try_get::<_, bool>(0).map(|v| v.to_string()))
                        .unwrap_or_default()
                })
                .collect()
        })
        .await
        .unwrap()
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            if let Ok(mut c) = postgres::Client::connect(&admin, postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        })
        .join();
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

/// `deploy/haproxy.cfg` with the test's front port and instances in place of its `bind` and
/// `server` lines; everything else is the file as docs/deploy.md shows it.
fn haproxy_config(front_port: u16, instances: &[String]) -> String {
    let mut out = String::new();
    let mut servers_written = false;
    for line in HAPROXY_CFG.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("bind ") {
            out.push_str(&format!("    bind 127.0.0.1:{front_port}\n"));
        } else if trimmed.starts_with("server ") {
            if !servers_written {
                for (i, base) in instances.iter().enumerate() {
                    let addr = base.trim_start_matches("http://");
                    out.push_str(&format!("    server orderbell{} {addr}\n", i + 1));
                }
                servers_written = true;
            }
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    assert!(servers_written, "deploy/haproxy.cfg has no server lines");
    out
}

// ------------------------------------------------------------------------------ cluster

/// One `orderbell serve`.
struct Instance {
    child: Child,
    base: String,
    log: PathBuf,
}

/// Instances on one database behind HAProxy, with a shop, its owner, an API key and a printer.
struct Cluster {
    // Dropped in this order: the processes (killed), then their files, then the database.
    instances: Vec<Option<Instance>>,
    _haproxy: Child,
    /// HAProxy's address: what people and printers use.
    front: String,
    key: String,
    printer_token: String,
    http: reqwest::Client,
    dir: tempfile::TempDir,
    db: Database,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

impl Drop for Cluster {
    /// On failure, shows the end of each instance's log.
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        for (i, instance) in self.instances.iter().enumerate() {
            let Some(instance) = instance else { continue };
            let text = std::fs::read_to_string(&instance.log).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let tail = lines[lines.len().saturating_sub(25)..].join("\n");
            eprintln!(
                "--- instance {i} ({}) log, last lines:\n{tail}",
                instance.base
            );
        }
    }
}

/// Runs an admin command of the binary against `database`; returns its standard output.
async fn admin(database: &str, dir: &Path, args: &[&str], stdin: Option<&str>) -> String {
    let mut child = Command::new(BIN)
        .env_remove("ORDERBELL_CONFIG")
        .env("ORDERBELL_DATABASE_URL", database)
        .env("ORDERBELL_DATA_DIR", dir)
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
    assert!(
        out.status.success(),
        "orderbell {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

impl Cluster {
    /// `n` instances and HAProxy in front of them; `None` when the test is skipped.
    async fn start(n: usize) -> Option<Cluster> {
        let admin_url = prerequisites()?;
        let turn = ONE_AT_A_TIME.lock().await;
        let db = Database::create(admin_url).await;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let url = db.url.clone();
        assert!(
            admin(&url, d, &["migrate"], None)
                .await
                .ends_with("migration(s) applied")
        );
        admin(
            &url,
            d,
            &["user", "add", OWNER, "--name", "Owner"],
            Some(&format!("{PASSWORD}\n")),
        )
        .await;
        admin(
            &url,
            d,
            &[
                "shop", "add", "--slug", SLUG, "--name", "Multi", "--owner", OWNER,
            ],
            None,
        )
        .await;
        let key = admin(
            &url,
            d,
            &[
                "apikey",
                "add",
                "--shop",
                SLUG,
                "--name",
                "till",
                "--scope",
                "orders:write,orders:read,manage",
            ],
            None,
        )
        .await;
        let printer_token = admin(
            &url,
            d,
            &["printer", "add", "--shop", SLUG, "--name", "Counter"],
            None,
        )
        .await;

        // The instances sit behind the proxy: the client's address comes from its header.
        let toml = d.join("orderbell.toml");
        std::fs::write(&toml, "[http]\nclient_ip_header = \"X-Forwarded-For\"\n").unwrap();
        let front_port = free_port();
        let front = format!("http://127.0.0.1:{front_port}");
        let mut instances = Vec::new();
        for i in 0..n {
            instances.push(Some(start_instance(&db.url, d, i, &toml, &front).await));
        }

        let bases: Vec<String> = instances
            .iter()
            .map(|i| i.as_ref().unwrap().base.clone())
            .collect();
        let cfg = d.join("haproxy.cfg");
        std::fs::write(&cfg, haproxy_config(front_port, &bases)).unwrap();
        let check = std::process::Command::new("haproxy")
            .args(["-c", "-q", "-f"])
            .arg(&cfg)
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "haproxy -c: {}{}",
            String::from_utf8_lossy(&check.stdout),
            String::from_utf8_lossy(&check.stderr)
        );
        let haproxy = Command::new("haproxy")
            .arg("-db")
            .arg("-f")
            .arg(&cfg)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(d.join("haproxy.log")).unwrap())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        let mut cluster = Cluster {
            instances,
            _haproxy: haproxy,
            front,
            key,
            printer_token,
            http,
            dir,
            db,
            _turn: turn,
        };
        // Every instance answers through the proxy (leastconn with no open connection: turns).
        let until = Instant::now() + WAIT;
        loop {
            let ready = cluster
                .http
                .get(format!("{}/readyz", cluster.front))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200);
            if ready {
                break;
            }
            if let Ok(Some(status)) = cluster._haproxy.try_wait() {
                let err = std::fs::read_to_string(cluster.dir.path().join("haproxy.log"))
                    .unwrap_or_default();
                panic!("haproxy exited ({status}): {err}");
            }
            assert!(Instant::now() < until, "HAProxy did not answer /readyz");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        for i in 0..n {
            let r = cluster
                .http
                .get(format!("{}/readyz", cluster.base(i)))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "instance {i} is not ready");
        }
        Some(cluster)
    }

    fn base(&self, i: usize) -> String {
        self.instances[i].as_ref().unwrap().base.clone()
    }

    fn live(&self) -> Vec<usize> {
        (0..self.instances.len())
            .filter(|&i| self.instances[i].is_some())
            .collect()
    }

    /// Posts an order to `base`; returns the answer's status and body.
    async fn post_order(&self, base: &str, note: &str) -> (u16, Value) {
        let url = format!("{base}/api/v1/shops/{SLUG}/orders");
        post_order(&self.http, &url, &self.key, AMERICANO, note).await
    }

    /// Signs the owner in on `base` and returns the session cookie's value.
    async fn login(&self, base: &str) -> String {
        let res = self
            .http
            .post(format!("{base}/api/v1/session"))
            .json(&json!({"email": OWNER, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
        cookie
            .strip_prefix("orderbell_session=")
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned()
    }

    /// The instance holding the printer's socket, from each one's `orderbell_printers_connected`.
    async fn printer_holder(&self) -> usize {
        let until = Instant::now() + WAIT;
        loop {
            for i in self.live() {
                let Ok(r) = self
                    .http
                    .get(format!("{}/metrics", self.base(i)))
                    .send()
                    .await
                else {
                    continue;
                };
                let text = r.text().await.unwrap_or_default();
                if text.lines().any(|l| l == "orderbell_printers_connected 1") {
                    return i;
                }
            }
            assert!(Instant::now() < until, "no instance holds the printer");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL for instance `i`.
    async fn kill(&mut self, i: usize) {
        let mut instance = self.instances[i].take().unwrap();
        instance.child.start_kill().unwrap();
        instance.child.wait().await.unwrap();
        // Keep its log for the failure report.
        self.instances[i] = None;
        let kept = self.dir.path().join(format!("killed-{i}.log"));
        let _ = std::fs::rename(&instance.log, kept);
    }

    /// Every order of the shop as stored: (id, note).
    async fn stored_orders(&self) -> Vec<(String, String)> {
        let mut stored = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut url = format!("{}/api/v1/shops/{SLUG}/orders?limit=100", self.front);
            if let Some(c) = &cursor {
                url.push_str(&format!("&cursor={c}"));
            }
            let page: Value = self
                .http
                .get(url)
                .bearer_auth(&self.key)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            for o in page["orders"].as_array().unwrap() {
                stored.push((
                    o["id"].as_str().unwrap().to_owned(),
                    o["note"].as_str().unwrap_or("").to_owned(),
                ));
            }
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => return stored,
            }
        }
    }
}

/// Starts instance `i` on a free port and waits for its "listening" line.
/// One Americano.
const AMERICANO: &str = r#"[{"name":"Americano","quantity":1,"unit_price":4500}]"#;

/// Posts an order of `items` (JSON) with `note` (if any) to a shop's orders route `url`; the answer's
/// status (0 when no answer came) and body.
async fn post_order(
    http: &reqwest::Client,
    url: &str,
    key: &str,
    items: &str,
    note: &str,
) -> (u16, Value) {
    let mut body = json!({"items": serde_json::from_str::<Value>(items).unwrap()});
    if !note.is_empty() {
        body["note"] = note.into();
    }
    let Ok(res) = http.post(url).bearer_auth(key).json(&body).send().await else {
        return (0, Value::Null);
    };
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn start_instance(
    database: &str,
    dir: &Path,
    i: usize,
    toml: &Path,
    front: &str,
) -> Instance {
    let data = dir.join(format!("instance-{i}"));
    std::fs::create_dir_all(&data).unwrap();
    let log = dir.join(format!("instance-{i}.log"));
    let mut child = Command::new(BIN)
        .env("ORDERBELL_DATABASE_URL", database)
        .env("ORDERBELL_DATA_DIR", &data)
        .env("ORDERBELL_CONFIG", toml)
        .env("ORDERBELL_PUBLIC_URL", front)
        .env("ORDERBELL_METRICS", "on")
        .env_remove("ORDERBELL_METRICS_TOKEN")
        // Longer than HAProxy's two failed checks a second apart (deploy/haproxy.cfg).
        .env("ORDERBELL_DRAIN_SECONDS", "3")
        .env("ORDERBELL_LOG", "info")
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = vec![];
    let listening = tokio::time::timeout(WAIT, async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(addr) = line.strip_prefix("Orderbell is listening on ") {
                return Some(addr.to_owned());
            }
            printed.push(line);
        }
        None
    })
    .await
    .expect("an instance took too long to start");
    let Some(base) = listening else {
        panic!(
            "instance {i} stopped before listening: {printed:?} {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Instance { child, base, log }
}

// ------------------------------------------------------------------------------ printer

/// One job frame as the printer got it.
#[derive(Clone, Debug)]
struct Got {
    job_id: String,
    order_number: i64,
    at: Instant,
}

#[derive(Default)]
struct DeviceLog {
    /// Every job frame, resends included.
    frames: Vec<Got>,
    /// Job ids printed (once each: a resent id is answered from the "spool", as the real client does).
    printed: HashSet<String>,
    /// Sockets that reached `welcome`.
    welcomed: usize,
    /// Close codes of sockets the server closed.
    closes: Vec<Option<u16>>,
}

/// A printer on the device WebSocket: acks `received` then `printed`, answers pings and
/// reconnects (after 200 ms) whenever its socket ends.
struct Device {
    log: Arc<Mutex<DeviceLog>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Device {
    fn drop(&mut self) {
        self.task.abort();
    }
}

const HELLO: &str = r#"{"type":"hello","protocol":1,"client_version":"orderbell-multi-test","capabilities":{"paper":"80mm","text_mode":"utf8","cutter":true,"drawer":false}}"#;

impl Device {
    fn start(base: &str, token: &str) -> Device {
        let url = format!("{}/api/v1/devices/ws", base.replacen("http", "ws", 1));
        let token = token.to_owned();
        let log = Arc::new(Mutex::new(DeviceLog::default()));
        let sink = log.clone();
        let task = tokio::spawn(async move {
            loop {
                let mut request = url.clone().into_client_request().unwrap();
                request
                    .headers_mut()
                    .insert("authorization", format!("Bearer {token}").parse().unwrap());
                if let Ok((socket, _)) = tokio_tungstenite::connect_async(request).await {
                    run_device(socket, &sink).await;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
        Device { log, task }
    }

    async fn welcomed(&self, n: usize) {
        let until = Instant::now() + WAIT;
        while self.log.lock().unwrap().welcomed < n {
            assert!(Instant::now() < until, "the printer was not welcomed");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// When the job of order `number` first arrived, waiting up to `limit`.
    async fn job_of(&self, number: i64, limit: Duration) -> Option<Instant> {
        let until = Instant::now() + limit;
        loop {
            if let Some(g) = self
                .log
                .lock()
                .unwrap()
                .frames
                .iter()
                .find(|g| g.order_number == number)
            {
                return Some(g.at);
            }
            if Instant::now() >= until {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn run_device(mut socket: Socket, log: &Mutex<DeviceLog>) {
    if socket.send(Message::text(HELLO)).await.is_err() {
        return;
    }
    while let Some(message) = socket.next().await {
        let text = match message {
            Ok(Message::Text(t)) => t,
            Ok(Message::Close(frame)) => {
                log.lock()
                    .unwrap()
                    .closes
                    .push(frame.map(|f| u16::from(f.code)));
                return;
            }
            Ok(_) => continue,
            Err(_) => return,
        };
        let Ok(frame) = serde_json::from_str::<Value>(text.as_str()) else {
            continue;
        };
        match frame["type"].as_str() {
            Some("welcome") => log.lock().unwrap().welcomed += 1,
            Some("job") => {
                let job_id = frame["job_id"].as_str().unwrap_or("").to_owned();
                {
                    let mut log = log.lock().unwrap();
                    log.frames.push(Got {
                        job_id: job_id.clone(),
                        order_number: frame["order_number"].as_i64().unwrap_or(-1),
                        at: Instant::now(),
                    });
                    log.printed.insert(job_id.clone());
                }
                for stage in ["received", "printed"] {
                    let ack = json!({"type":"ack","job_id":job_id,"stage":stage}).to_string();
                    if socket.send(Message::text(ack)).await.is_err() {
                        return;
                    }
                }
            }
            Some("ping") => {
                let pong = json!({"type":"pong","nonce":frame["nonce"]}).to_string();
                if socket.send(Message::text(pong)).await.is_err() {
                    return;
                }
            }
            _ => {}
        }
    }
}

// --------------------------------------------------------------------------- dashboards

/// A dashboard's live stream (`GET /dashboard/{slug}/live`): every event, in order.
struct Stream {
    events: Arc<Mutex<Vec<(String, Value)>>>,
    ended: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Stream {
    /// Opens the shop's dashboard stream on `base` with the session `cookie`; returns once
    /// `hello` arrived.
    async fn open(base: &str, cookie: &str) -> Stream {
        Stream::open_url(&format!("{base}/dashboard/{SLUG}/live"), Some(cookie)).await
    }

    /// Opens the stream at `url` (a dashboard's with a session cookie, an order's tracking
    /// stream without).
    async fn open_url(url: &str, cookie: Option<&str>) -> Stream {
        let http = reqwest::Client::new();
        let mut request = http.get(url);
        if let Some(cookie) = cookie {
            request = request.header("cookie", format!("orderbell_session={cookie}"));
        }
        let mut res = request.send().await.unwrap();
        assert_eq!(res.status(), 200);
        let events: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
        let ended = Arc::new(AtomicBool::new(false));
        let (sink, end) = (events.clone(), ended.clone());
        let task = tokio::spawn(async move {
            let mut buffer = String::new();
            while let Ok(Some(chunk)) = res.chunk().await {
                buffer.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(at) = buffer.find("\n\n") {
                    let block: String = buffer.drain(..at + 2).collect();
                    let mut name = String::from("message");
                    let mut data = String::new();
                    for line in block.lines() {
                        if let Some(v) = line.strip_prefix("event:") {
                            name = v.trim().to_owned();
                        } else if let Some(v) = line.strip_prefix("data:") {
                            data.push_str(v.trim());
                        }
                    }
                    if block.lines().all(|l| l.starts_with(':') || l.is_empty()) {
                        continue;
                    }
                    let value = serde_json::from_str(&data).unwrap_or(Value::Null);
                    sink.lock().unwrap().push((name, value));
                }
            }
            end.store(true, Ordering::Relaxed);
        });
        let stream = Stream {
            events,
            ended,
            task,
        };
        assert!(
            stream
                .wait("hello", |(name, _)| name == "hello", WAIT)
                .await,
            "the stream sent no hello"
        );
        stream
    }

    /// Waits up to `limit` for an event matching `want`; `false` when none came.
    async fn wait(
        &self,
        what: &str,
        want: impl Fn(&(String, Value)) -> bool,
        limit: Duration,
    ) -> bool {
        let until = Instant::now() + limit;
        loop {
            if self.events.lock().unwrap().iter().any(&want) {
                return true;
            }
            if Instant::now() >= until {
                eprintln!(
                    "no {what} on the stream within {limit:?}; it had {:?}",
                    self.events.lock().unwrap()
                );
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    fn created(&self) -> HashSet<String> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter(|(name, v)| name == "change" && v["kind"] == "order_created")
            .filter_map(|(_, v)| v["order_id"].as_str().map(str::to_owned))
            .collect()
    }

    fn resyncs(&self) -> usize {
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter(|(name, _)| name == "resync")
            .count()
    }
}

fn is_created(order_id: &str) -> impl Fn(&(String, Value)) -> bool + '_ {
    move |(name, v)| name == "change" && v["kind"] == "order_created" && v["order_id"] == order_id
}

// -------------------------------------------------------------------------------- tests

/// The configuration docs/deploy.md shows is `deploy/haproxy.cfg`, character for character.
#[test]
fn the_deploy_guide_shows_the_tested_haproxy_configuration() {
    let guide = include_str!("../../../../docs/deploy.md");
    assert!(
        guide.contains(HAPROXY_CFG.trim_end()),
        "docs/deploy.md must show deploy/haproxy.cfg as it is"
    );
}

/// A printer connected through HAProxy to one instance prints an order posted to another
/// instance; the issue asks for "within 1 s" (one retry for a noisy machine; the wait itself
/// fails only after 5 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_printer_on_one_instance_prints_an_order_taken_by_another() {
    let Some(cluster) = Cluster::start(3).await else {
        return;
    };
    let printer = Device::start(&cluster.front, &cluster.printer_token);
    printer.welcomed(1).await;
    let holder = cluster.printer_holder().await;
    let other = cluster.base((holder + 1) % 3);

    let mut delays = vec![];
    for attempt in 0..2 {
        let (status, order) = cluster
            .post_order(&other, &format!("cross-instance {attempt}"))
            .await;
        assert_eq!(status, 201, "{order}");
        let answered = Instant::now();
        let number = order["number"].as_i64().unwrap();
        let arrived = printer
            .job_of(number, Duration::from_secs(5))
            .await
            .unwrap_or_else(|| {
                panic!(
                    "the printer on instance {holder} got no job for order #{number} posted to \
                     {other} within 5 s"
                )
            });
        let delay = arrived.saturating_duration_since(answered);
        eprintln!("order #{number} posted to {other}: job frame {delay:?} after the 201");
        delays.push(delay);
        if delay <= Duration::from_secs(1) {
            break;
        }
    }
    assert!(
        delays.iter().any(|d| *d <= Duration::from_secs(1)),
        "no job frame within 1 s of the 201 in two tries: {delays:?}"
    );
    assert_eq!(printer.log.lock().unwrap().welcomed, 1, "the socket held");
}

/// A dashboard stream on one instance hears of an order taken by another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dashboard_on_one_instance_hears_an_order_taken_by_another() {
    let Some(cluster) = Cluster::start(3).await else {
        return;
    };
    let cookie = cluster.login(&cluster.base(1)).await;
    let board = Stream::open(&cluster.base(1), &cookie).await;
    let started = Instant::now();
    let (status, order) = cluster.post_order(&cluster.base(0), "for the board").await;
    assert_eq!(status, 201, "{order}");
    let id = order["id"].as_str().unwrap();
    assert!(
        board
            .wait("order_created", is_created(id), Duration::from_secs(5))
            .await,
        "the dashboard on instance 1 did not hear of order {id} taken by instance 0"
    );
    eprintln!(
        "change event on the other instance after {:?}",
        started.elapsed()
    );
    // Through the proxy too: a second board wherever HAProxy puts it hears an order taken by
    // each instance.
    let via_proxy = Stream::open(&cluster.front, &cookie).await;
    for i in 0..3 {
        let (status, order) = cluster.post_order(&cluster.base(i), "each").await;
        assert_eq!(status, 201);
        let id = order["id"].as_str().unwrap();
        assert!(
            via_proxy
                .wait("order_created", is_created(id), Duration::from_secs(5))
                .await,
            "the board behind HAProxy missed the order taken by instance {i}"
        );
    }
}

/// With the default limits (10 attempts per account per address per 15 minutes), 11 wrong
/// passwords spread over 3 instances end in 429: the limit is shared through the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eleven_wrong_passwords_over_three_instances_end_in_429() {
    let Some(cluster) = Cluster::start(3).await else {
        return;
    };
    let mut statuses = vec![];
    for attempt in 0..11 {
        // As HAProxy sends them: one client address, in the header the instances trust.
        let res = cluster
            .http
            .post(format!("{}/api/v1/session", cluster.base(attempt % 3)))
            .header("x-forwarded-for", "203.0.113.7")
            .json(&json!({"email": OWNER, "password": format!("wrong guess {attempt}")}))
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        statuses.push((
            status,
            body["error"]["code"].as_str().unwrap_or("").to_owned(),
        ));
    }
    let (last, code) = statuses.last().unwrap().clone();
    assert!(
        statuses[..10].iter().all(|(s, _)| *s == 401),
        "the first ten are refused as wrong: {statuses:?}"
    );
    assert_eq!((last, code.as_str()), (429, "rate_limited"), "{statuses:?}");
    // Through the proxy (its own X-Forwarded-For, from 127.0.0.1) another address is not held
    // up by that one, and still signs in.
    let res = cluster
        .http
        .post(format!("{}/api/v1/session", cluster.front))
        .json(&json!({"email": OWNER, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

/// 16 clients order through HAProxy for 20 s; the instance holding the printer is killed with
/// SIGKILL after 8 s. Every order answered 201 is stored exactly once; every one prints exactly
/// once on the printer (which reconnects through HAProxy to a survivor); the dashboards held on
/// the survivors heard every answered order (or were told to resync, and the board lists it).
/// Notifications are not part of this test: Telegram's 1 message/s per chat (which the server
/// keeps) cannot carry thousands of orders' messages within the test's time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_killed_under_load_loses_nothing() {
    let Some(mut cluster) = Cluster::start(3).await else {
        return;
    };
    let printer = Device::start(&cluster.front, &cluster.printer_token);
    printer.welcomed(1).await;
    let victim = cluster.printer_holder().await;
    let cookie = cluster.login(&cluster.front).await;
    let mut boards = HashMap::new();
    for i in 0..3 {
        if i != victim {
            boards.insert(i, Stream::open(&cluster.base(i), &cookie).await);
        }
    }

    let answered: Arc<Mutex<Vec<(String, i64, String)>>> = Arc::default();
    let failed = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let end = start + Duration::from_secs(20);
    let mut clients = vec![];
    for client in 0..16 {
        let (http, url, key, answered, failed) = (
            cluster.http.clone(),
            format!("{}/api/v1/shops/{SLUG}/orders", cluster.front),
            cluster.key.clone(),
            answered.clone(),
            failed.clone(),
        );
        clients.push(tokio::spawn(async move {
            let mut n = 0;
            while Instant::now() < end {
                n += 1;
                let note = format!("load {client}-{n}");
                let items = r#"[{"name":"Americano","quantity":1,"unit_price":4500},
                                {"name":"Latte","quantity":2,"unit_price":5000}]"#;
                let body = match post_order(&http, &url, &key, items, &note).await {
                    (201, body) => Some(body),
                    _ => None,
                };
                match body {
                    Some(b) => answered.lock().unwrap().push((
                        b["id"].as_str().unwrap().to_owned(),
                        b["number"].as_i64().unwrap(),
                        note,
                    )),
                    None => {
                        failed.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
        }));
    }
    // The kill comes after 8 s and at least 50 answered orders (a busy machine can be slow to
    // start), at the latest 4 s before the load ends.
    tokio::time::sleep(Duration::from_secs(8)).await;
    while answered.lock().unwrap().len() < 50 && Instant::now() + Duration::from_secs(4) < end {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let before_kill = answered.lock().unwrap().len();
    cluster.kill(victim).await;
    eprintln!("killed instance {victim} after {before_kill} orders");
    for c in clients {
        c.await.unwrap();
    }
    let answered = answered.lock().unwrap().clone();
    let failed = failed.load(Ordering::Relaxed);
    eprintln!(
        "{} orders answered 201, {failed} requests failed, in {:?}",
        answered.len(),
        start.elapsed()
    );
    assert!(before_kill >= 50, "the load was too light: {before_kill}");
    assert!(
        answered.len() > before_kill,
        "no order was taken after the kill"
    );

    // Stored exactly once: every answered id, and no request stored twice.
    let stored = cluster.stored_orders().await;
    let ids: HashSet<&str> = stored.iter().map(|(id, _)| id.as_str()).collect();
    let lost: Vec<_> = answered
        .iter()
        .filter(|(id, _, _)| !ids.contains(id.as_str()))
        .collect();
    assert!(
        lost.is_empty(),
        "{} answered orders lost: {lost:?}",
        lost.len()
    );
    let mut notes: HashMap<&str, usize> = HashMap::new();
    for (_, note) in &stored {
        *notes.entry(note.as_str()).or_default() += 1;
    }
    let twice: Vec<_> = notes.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "requests stored twice: {twice:?}");
    assert!(
        stored.len() <= answered.len() + failed,
        "{} stored, {} answered, {failed} failed",
        stored.len(),
        answered.len()
    );

    // Printed exactly once: one job per answered order (one copy), each printed once.
    let until = Instant::now() + Duration::from_secs(30);
    let numbers: HashSet<i64> = answered.iter().map(|(_, n, _)| *n).collect();
    loop {
        let missing = {
            let log = printer.log.lock().unwrap();
            let got: HashSet<i64> = log.frames.iter().map(|g| g.order_number).collect();
            numbers.difference(&got).count()
        };
        if missing == 0 {
            break;
        }
        assert!(
            Instant::now() < until,
            "{missing} of {} answered orders never reached the printer",
            numbers.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    {
        let log = printer.log.lock().unwrap();
        let mut jobs_of: HashMap<i64, HashSet<&str>> = HashMap::new();
        for g in &log.frames {
            jobs_of
                .entry(g.order_number)
                .or_default()
                .insert(g.job_id.as_str());
        }
        let doubled: Vec<_> = jobs_of.iter().filter(|(_, j)| j.len() > 1).collect();
        assert!(
            doubled.is_empty(),
            "orders with more than one job: {doubled:?}"
        );
        eprintln!(
            "printer: {} job frames ({} resent), {} jobs printed, {} sockets, closes {:?}",
            log.frames.len(),
            log.frames.len() - log.printed.len(),
            log.printed.len(),
            log.welcomed,
            log.closes
        );
        assert!(log.welcomed >= 2, "the printer reconnected after the kill");
    }
    // The server agrees: no job of an answered order is left to print.
    for i in cluster.live() {
        let r = cluster
            .http
            .get(format!("{}/readyz", cluster.base(i)))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "instance {i} is still ready");
    }

    // The dashboards on the survivors heard every answered order, or resynced.
    for (i, board) in &boards {
        let until = Instant::now() + Duration::from_secs(10);
        let missed: Vec<&str> = loop {
            let created = board.created();
            let missed: Vec<&str> = answered
                .iter()
                .filter(|(id, _, _)| !created.contains(id))
                .map(|(id, _, _)| id.as_str())
                .collect();
            if missed.is_empty() || Instant::now() >= until {
                break missed;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert!(
            !board.ended.load(Ordering::Relaxed),
            "the stream on {i} ended"
        );
        if !missed.is_empty() {
            // Told to re-read: the board (the store, checked above) lists them all.
            assert!(
                board.resyncs() > 0,
                "the dashboard on instance {i} missed {} of {} orders and was never told to resync",
                missed.len(),
                answered.len()
            );
        }
        eprintln!(
            "board on {i}: {} order_created events, {} resyncs",
            board.created().len(),
            board.resyncs()
        );
    }
}

/// The local TCP ports of the connections process `pid` holds to port 5432 (Linux /proc),
/// to find its backends in `pg_stat_activity` by `client_port`.
fn postgres_client_ports(pid: u32) -> Vec<u16> {
    let mut inodes = HashSet::new();
    if let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) {
        for fd in fds.flatten() {
            if let Ok(target) = std::fs::read_link(fd.path()) {
                let target = target.to_string_lossy().into_owned();
                if let Some(inode) = target
                    .strip_prefix("socket:[")
                    .and_then(|s| s.strip_suffix(']'))
                {
                    inodes.insert(inode.to_owned());
                }
            }
        }
    }
    let mut ports = vec![];
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = std::fs::read_to_string(table).unwrap_or_default();
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            if cols.len() < 10 || !inodes.contains(cols[9]) {
                continue;
            }
            let port = |addr: &str| {
                addr.rsplit(':')
                    .next()
                    .and_then(|p| u16::from_str_radix(p, 16).ok())
            };
            if port(cols[2]) == Some(5432) {
                if let Some(p) = port(cols[1]) {
                    ports.push(p);
                }
            }
        }
    }
    ports
}

/// The LISTEN connection of one instance is killed from PostgreSQL's side
/// (`pg_terminate_backend`); an order taken by another instance still reaches the printer and
/// the dashboard on it. Then every instance's listener at once: still nothing lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_listen_connection_loses_nothing() {
    let Some(cluster) = Cluster::start(3).await else {
        return;
    };
    let printer = Device::start(&cluster.front, &cluster.printer_token);
    printer.welcomed(1).await;
    let holder = cluster.printer_holder().await;
    let other = (holder + 1) % 3;
    let cookie = cluster.login(&cluster.base(holder)).await;
    let board = Stream::open(&cluster.base(holder), &cookie).await;
    let db = cluster.db.name.clone();
    // Customers follow an order of this shop and one of another shop on the same instance.
    let other_key = {
        let (url, dir) = (&cluster.db.url, cluster.dir.path());
        admin(
            url,
            dir,
            &[
                "shop",
                "add",
                "--slug",
                "elsewhere",
                "--name",
                "Elsewhere",
                "--owner",
                OWNER,
            ],
            None,
        )
        .await;
        admin(
            url,
            dir,
            &[
                "apikey",
                "add",
                "--shop",
                "elsewhere",
                "--name",
                "till",
                "--scope",
                "orders:write",
            ],
            None,
        )
        .await
    };
    let mut tracked = vec![];
    for (slug, key) in [(SLUG, &cluster.key), ("elsewhere", &other_key)] {
        let url = format!("{}/api/v1/shops/{slug}/orders", cluster.base(other));
        let tea = r#"[{"name":"Tea","quantity":1,"unit_price":3000}]"#;
        let (status, order) = post_order(&cluster.http, &url, key, tea, "").await;
        assert_eq!(status, 201, "{order}");
        let path = order["tracking_url"]
            .as_str()
            .unwrap()
            .strip_prefix(cluster.front.as_str())
            .unwrap()
            .to_owned();
        let url = format!("{}{path}/live", cluster.base(holder));
        tracked.push(Stream::open_url(&url, None).await);
    }

    let listeners = |only: Option<Vec<u16>>| {
        let ports = only.map_or(String::new(), |p| {
            let list: Vec<String> = p.iter().map(u16::to_string).collect();
            format!(" AND client_port IN ({})", list.join(","))
        });
        format!(
            "SELECT pg_terminate_backend(pid)::text FROM pg_stat_activity \
             WHERE application_name = 'orderbell-listen' AND datname = '{db}'{ports}"
        )
    };
    let count = format!(
        "SELECT count(*)::text FROM pg_stat_activity \
         WHERE application_name = 'orderbell-listen' AND datname = '{db}'"
    );
    let waiting = cluster.db.admin_query(count.clone()).await;
    assert_eq!(
        waiting,
        vec!["3".to_owned()],
        "one orderbell-listen connection per instance"
    );

    // The printer's instance loses its listener.
    let pid = cluster.instances[holder]
        .as_ref()
        .unwrap()
        .child
        .id()
        .unwrap();
    let ports = postgres_client_ports(pid);
    assert!(
        !ports.is_empty(),
        "no connection of instance {holder} to PostgreSQL"
    );
    let mut resyncs_before = board.resyncs();
    let killed = cluster.db.admin_query(listeners(Some(ports))).await;
    assert_eq!(
        killed,
        vec!["true".to_owned()],
        "its listener was terminated"
    );

    // Each is told once to re-read, for its own shop (the relay resyncs every shop; before,
    // every tracking stream heard every shop's).
    for stream in &tracked {
        assert!(
            stream
                .wait(
                    "resync",
                    |(name, _)| name == "resync",
                    Duration::from_secs(10)
                )
                .await,
            "a tracking stream was not told to re-read"
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    for stream in &tracked {
        assert_eq!(
            stream.resyncs(),
            1,
            "a tracking stream heard other shops' resyncs: {:?}",
            stream.events.lock().unwrap()
        );
    }

    for what in ["its own listener lost", "every listener lost"] {
        let (status, order) = cluster
            .post_order(&cluster.base(other), &format!("after: {what}"))
            .await;
        assert_eq!(status, 201, "{order}");
        let number = order["number"].as_i64().unwrap();
        let id = order["id"].as_str().unwrap().to_owned();
        assert!(
            printer
                .job_of(number, Duration::from_secs(10))
                .await
                .is_some(),
            "{what}: the printer on instance {holder} never got order #{number} from {other}"
        );
        // The stream hears of the order, or is told to re-read (the board then lists it).
        let until = Instant::now() + Duration::from_secs(10);
        while !board.created().contains(&id) && board.resyncs() == resyncs_before {
            assert!(
                Instant::now() < until,
                "{what}: the dashboard on {holder} heard nothing of {id}: {:?}",
                board.events.lock().unwrap()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // The listeners are back.
        let until = Instant::now() + WAIT;
        while cluster.db.admin_query(count.clone()).await != vec!["3".to_owned()] {
            assert!(
                Instant::now() < until,
                "{what}: the listeners did not reconnect"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        resyncs_before = board.resyncs();
        if what == "its own listener lost" {
            let killed = cluster.db.admin_query(listeners(None)).await;
            assert_eq!(killed.len(), 3, "every listener terminated");
        }
    }
    assert!(!board.ended.load(Ordering::Relaxed), "the stream held");
    assert_eq!(
        printer.log.lock().unwrap().welcomed,
        1,
        "the printer's socket did not have to reconnect"
    );
}

/// SIGTERM drains (docs/deploy.md, "Stopping an instance"): the instance holding the printer
/// answers `/readyz` 503 at once, HAProxy takes it out, orders through HAProxy keep being
/// answered 201 the whole time, the printer's socket is closed with 1001 ("going away") and
/// it reconnects to another instance, and the instance exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopping_instance_drains_without_dropping_anyone() {
    let Some(mut cluster) = Cluster::start(3).await else {
        return;
    };
    let printer = Device::start(&cluster.front, &cluster.printer_token);
    printer.welcomed(1).await;
    let holder = cluster.printer_holder().await;
    let base = cluster.base(holder);

    // Orders through the proxy all along.
    let stop = Arc::new(AtomicBool::new(false));
    let statuses: Arc<Mutex<Vec<u16>>> = Arc::default();
    let mut clients = vec![];
    for client in 0..4 {
        let (http, url, key, stop, statuses) = (
            cluster.http.clone(),
            format!("{}/api/v1/shops/{SLUG}/orders", cluster.front),
            cluster.key.clone(),
            stop.clone(),
            statuses.clone(),
        );
        clients.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let note = format!("drain {client}-{n}");
                let (status, _) = post_order(&http, &url, &key, AMERICANO, &note).await;
                statuses.lock().unwrap().push(status);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    let pid = cluster.instances[holder]
        .as_ref()
        .unwrap()
        .child
        .id()
        .unwrap();
    let term = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    // 503 as soon as the signal is handled, while the instance still answers.
    let until = Instant::now() + Duration::from_secs(2);
    loop {
        let readyz = cluster
            .http
            .get(format!("{base}/readyz"))
            .send()
            .await
            .map(|r| r.status().as_u16());
        match readyz {
            Ok(503) => break,
            Ok(200) if Instant::now() < until => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            other => panic!(
                "a stopping instance answers /readyz 503 at once, while it still serves: {other:?}"
            ),
        }
    }
    let exit = tokio::time::timeout(
        WAIT,
        cluster.instances[holder].as_mut().unwrap().child.wait(),
    )
    .await
    .expect("the instance did not stop within 20 s")
    .unwrap();
    assert!(exit.success(), "the drained instance exits 0: {exit:?}");
    cluster.instances[holder] = None;

    // The printer was told "going away" and is welcomed by another instance.
    printer.welcomed(2).await;
    assert!(
        printer.log.lock().unwrap().closes.contains(&Some(1001)),
        "close codes: {:?}",
        printer.log.lock().unwrap().closes
    );
    let (status, order) = cluster.post_order(&cluster.front, "after the drain").await;
    assert_eq!(status, 201, "{order}");
    let number = order["number"].as_i64().unwrap();
    assert!(
        printer
            .job_of(number, Duration::from_secs(5))
            .await
            .is_some(),
        "the printer prints on its new instance"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.await.unwrap();
    }
    let statuses = statuses.lock().unwrap().clone();
    let refused: Vec<_> = statuses.iter().filter(|s| **s != 201).collect();
    assert!(
        refused.is_empty(),
        "{} of {} orders through HAProxy were not answered 201 during the drain: {refused:?}",
        refused.len(),
        statuses.len()
    );
}
