//! End to end with everything real: the Orderbell server (in this process, on a temporary
//! SQLite file), the `orderbell-printer` binary, and a loopback TCP "printer" that records
//! bytes and answers DLE EOT status queries, with a paper-out phase.
//!
//! Timeouts here only stop a hung test; nothing asserts on timing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test harness: any failure stops the test"
)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::fake_printer::{Printer, fake_printer};
use orderbell_core::shop::{NewShopRequest, Shop};
use orderbell_core::{OrderId, ShopId};
use orderbell_escpos::TextMode;
use orderbell_printer::cli::RunArgs;
use orderbell_printer::config::{Config as ClientConfig, Env};
use orderbell_protocol::Job;
use orderbell_server::config::Config;
use orderbell_server::state::{AppState, SystemClock};
use serde_json::{Value, json};

const GUARD: Duration = Duration::from_secs(60);

struct Harness {
    state: AppState,
    base: String,
    shop: Shop,
    key: String,
    http: reqwest::Client,
    _shutdown: tokio::sync::oneshot::Sender<()>,
    dir: tempfile::TempDir,
}

async fn start_server() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let config = Config::for_database(
        &format!("sqlite://{}/orderbell.db", dir.path().display()),
        &base,
    );
    let store = orderbell_store::open(&config.database_url).await.unwrap();
    let state = orderbell_server::app::state(config, store, Arc::new(SystemClock))
        .await
        .unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let serving = state.clone();
    tokio::spawn(async move {
        orderbell_server::app::serve(serving, listener, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    let owner = orderbell_server::api::accounts::new_user(
        &state,
        "owner@cafe.example",
        "Owner",
        "a long password",
    )
    .await
    .unwrap();
    let owner = state.store.create_user(owner).await.unwrap();
    let new = NewShopRequest {
        slug: "cafe".into(),
        name: "서울 카페 Seoul Cafe".into(),
        currency: Some("KRW".into()),
        time_zone: Some("Asia/Seoul".into()),
        locale: Some("ko".into()),
        phone: None,
    }
    .validate()
    .unwrap();
    let shop = state
        .store
        .create_shop(
            state.new_id(ShopId::from_parts),
            new,
            &owner.id,
            state.now(),
        )
        .await
        .unwrap();
    let scopes = vec![
        orderbell_store::Scope::OrdersWrite,
        orderbell_store::Scope::OrdersRead,
        orderbell_store::Scope::Manage,
    ];
    let key = orderbell_server::api::shops::issue_api_key(&state, &shop.id, "till", scopes)
        .await
        .unwrap()
        .key;
    Harness {
        state,
        base,
        shop,
        key,
        http: reqwest::Client::new(),
        _shutdown: tx,
        dir,
    }
}

impl Harness {
    async fn add_printer(&self) -> (String, String) {
        let res = self
            .http
            .post(format!("{}/api/v1/shops/cafe/printers", self.base))
            .bearer_auth(&self.key)
            .json(&json!({"name": "Counter"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let body: Value = res.json().await.unwrap();
        (
            body["printer"]["id"].as_str().unwrap().to_owned(),
            body["token"].as_str().unwrap().to_owned(),
        )
    }

    async fn get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn post_order(&self, note: &str) -> Value {
        let res = self
            .http
            .post(format!("{}/api/v1/shops/cafe/orders", self.base))
            .bearer_auth(&self.key)
            .json(
                &json!({"items":[{"name":"아메리카노 Americano","quantity":2,"unit_price":4500,
                                    "options":[{"name":"샷 추가","price":500}]},
                                   {"name":"치즈케이크","quantity":1,"unit_price":6500}],
                          "customer":{"name":"김민지"},
                          "fulfillment":{"type":"dine_in","table":"7"}, "note": note}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        res.json().await.unwrap()
    }

    async fn printer(&self) -> Value {
        self.get("/api/v1/shops/cafe/printers").await[0].clone()
    }

    async fn job_statuses(&self, order: &Value) -> Vec<String> {
        let id = order["id"].as_str().unwrap();
        let order = self.get(&format!("/api/v1/shops/cafe/orders/{id}")).await;
        order["print_jobs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["status"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Waits until every print job of the order has one of the given statuses.
    async fn wait_jobs(&self, order: &Value, count: usize, done: &str) {
        let deadline = tokio::time::Instant::now() + GUARD;
        loop {
            let statuses = self.job_statuses(order).await;
            if statuses.len() == count && statuses.iter().all(|s| s == done) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "jobs of #{} stuck at {statuses:?}: {} / {}",
                order["number"],
                self.get(&format!(
                    "/api/v1/shops/cafe/orders/{}",
                    order["id"].as_str().unwrap()
                ))
                .await,
                self.get("/api/v1/shops/cafe/printers").await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn wait_printer(&self, what: &str, check: impl Fn(&Value) -> bool) {
        let deadline = tokio::time::Instant::now() + GUARD;
        loop {
            let p = self.printer().await;
            if check(&p) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "printer never {what}: {p}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The exact bytes the client prints for this order, rendered from the job the server
    /// sends, with the client's own configuration for `text_mode`.
    async fn expected_ticket(&self, order: &Value, text_mode: &str, reprint: bool) -> Vec<u8> {
        let id = OrderId::parse(order["id"].as_str().unwrap()).unwrap();
        let stored = self
            .state
            .store
            .order(&self.shop.id, &id)
            .await
            .unwrap()
            .unwrap();
        let document = orderbell_server::printers::receipt::build(
            &self.shop,
            &stored,
            order["tracking_url"].as_str().unwrap(),
            |_| true,
        );
        let job = Job {
            job_id: "x".into(),
            order_number: stored.number,
            created_at: String::new(),
            copy: 1,
            copies: 1,
            reprint,
            kick_drawer: false,
            document,
        };
        let args = RunArgs {
            server: Some(self.base.clone()),
            token: Some("obd_x".into()),
            printer: Some("stdout".into()),
            text_mode: Some(text_mode.into()),
            ..RunArgs::default()
        };
        let config = ClientConfig::load(&args, &NoEnv).unwrap();
        orderbell_printer::ticket::render(&job, &config.print.profile, false).unwrap()
    }
}

struct NoEnv;

impl Env for NoEnv {
    fn var(&self, _: &str) -> Option<String> {
        None
    }
}

fn start_client(
    base: &str,
    token: &str,
    printer_port: u16,
    spool: &Path,
    text_mode: &str,
) -> Child {
    let config = spool.parent().unwrap().join("printer.toml");
    std::fs::write(&config, "status_poll_ms = 100\ntcp_timeout_secs = 5\n").unwrap();
    Command::new(env!("CARGO_BIN_EXE_orderbell-printer"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("ORDERBELL_PRINTER_SERVER", base)
        .env("ORDERBELL_PRINTER_TOKEN", token)
        .env(
            "ORDERBELL_PRINTER_OUTPUT",
            format!("tcp://127.0.0.1:{printer_port}"),
        )
        .env("ORDERBELL_PRINTER_TEXT_MODE", text_mode)
        .env("ORDERBELL_PRINTER_SPOOL", spool)
        .env("ORDERBELL_PRINTER_STATUS_LISTEN", "off")
        .env("ORDERBELL_PRINTER_CONFIG", &config)
        .env("ORDERBELL_PRINTER_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start orderbell-printer")
}

fn stop(mut child: Child) -> String {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert!(
        status.success(),
        "clean exit on SIGTERM: {status:?}\n{stderr}"
    );
    stderr
}

fn occurrences(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

fn note(printer: &Arc<Mutex<Printer>>, marker: &str) -> usize {
    printer.lock().unwrap().count(marker)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn korean_tickets_print_once_in_order_through_restarts_reprints_and_paper_out() {
    let h = start_server().await;
    let (printer_id, token) = h.add_printer().await;
    let device = Arc::new(Mutex::new(Printer::default()));
    let port = fake_printer(device.clone()).await;
    let spool = h.dir.path().join("spool");

    // A new printer prints a new order, Korean included.
    let client = start_client(&h.base, &token, port, &spool, "ks_x_1001");
    h.wait_printer("connected", |p| p["connection"] == "online")
        .await;
    let a = h.post_order("note-A").await;
    h.wait_jobs(&a, 1, "printed").await;
    let bytes = device.lock().unwrap().bytes.clone();
    let expected = h.expected_ticket(&a, "ks_x_1001", false).await;
    assert_eq!(
        occurrences(&bytes, &expected),
        1,
        "the ticket arrived whole, once"
    );
    let text = orderbell_escpos::dump::dump(
        &bytes,
        TextMode::KsX1001 {
            korea_charset: true,
        },
    );
    for line in [
        "아메리카노 Americano",
        "치즈케이크",
        "샷 추가",
        "김민지",
        "1001",
        "note-A",
    ] {
        assert!(
            text.contains(line),
            "{line:?} missing from the ticket:\n{text}"
        );
    }
    let printer = h.printer().await;
    assert_eq!(
        printer["client_version"]
            .as_str()
            .unwrap()
            .split('/')
            .next(),
        Some("orderbell-printer")
    );
    assert_eq!(printer["text_mode"], "ks_x_1001");

    // Client away: three orders wait, then print once each, in order.
    stop(client);
    h.wait_printer("disconnected", |p| p["connection"] == "offline")
        .await;
    let (b, c, d) = (
        h.post_order("note-B").await,
        h.post_order("note-C").await,
        h.post_order("note-D").await,
    );
    assert_eq!(h.job_statuses(&b).await, ["queued"]);
    let client = start_client(&h.base, &token, port, &spool, "ks_x_1001");
    for order in [&b, &c, &d] {
        h.wait_jobs(order, 1, "printed").await;
    }
    {
        let p = device.lock().unwrap();
        let positions: Vec<usize> = ["note-B", "note-C", "note-D"]
            .iter()
            .map(|m| p.position(m).unwrap())
            .collect();
        assert!(
            positions.windows(2).all(|w| w[0] < w[1]),
            "in order: {positions:?}"
        );
        for m in ["note-A", "note-B", "note-C", "note-D"] {
            assert_eq!(p.count(m), 1, "{m} printed once");
        }
    }

    // A restart after printed jobs prints nothing again (the next order proves the client is
    // past its start-up, since it prints in order).
    stop(client);
    let client = start_client(&h.base, &token, port, &spool, "ks_x_1001");
    let e = h.post_order("note-E").await;
    h.wait_jobs(&e, 1, "printed").await;
    for m in ["note-A", "note-B", "note-C", "note-D", "note-E"] {
        assert_eq!(note(&device, m), 1, "{m} printed once across restarts");
    }

    // A reprint from the API: one more ticket, marked as such.
    let res = h
        .http
        .post(format!(
            "{}/api/v1/shops/cafe/orders/{}/print",
            h.base,
            a["id"].as_str().unwrap()
        ))
        .bearer_auth(&h.key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    h.wait_jobs(&a, 2, "printed").await;
    assert_eq!(note(&device, "note-A"), 2);
    let reprint = h.expected_ticket(&a, "ks_x_1001", true).await;
    assert_eq!(
        occurrences(&device.lock().unwrap().bytes, &reprint),
        1,
        "the reprint is marked REPRINT"
    );
    let events = h
        .get(&format!(
            "/api/v1/shops/cafe/orders/{}/events",
            a["id"].as_str().unwrap()
        ))
        .await;
    let printed = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "print_printed")
        .count();
    assert_eq!(printed, 2);

    // Paper out: the job is held and the API shows why; it prints once when paper is back.
    device.lock().unwrap().run_out_on = Some("note-F".into());
    let f = h.post_order("note-F").await;
    h.wait_printer("out of paper", |p| p["status"] == "paper_out")
        .await;
    assert_ne!(
        h.job_statuses(&f).await,
        ["printed"],
        "no printed while out of paper"
    );
    let answers = device.lock().unwrap().paper_out_answers;
    assert!(answers > 0, "the client asked the printer");
    device.lock().unwrap().paper_out = false;
    h.wait_jobs(&f, 1, "printed").await;
    h.wait_printer("back online", |p| p["status"] == "online")
        .await;
    assert_eq!(
        note(&device, "note-F"),
        1,
        "the held ticket was not sent again"
    );

    // Revoking the printer disconnects it at once; its token no longer opens the socket.
    let res = h
        .http
        .delete(format!(
            "{}/api/v1/shops/cafe/printers/{printer_id}",
            h.base
        ))
        .bearer_auth(&h.key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    h.wait_printer("disconnected after revoking", |p| {
        p["connection"] == "offline"
    })
    .await;
    let res = h
        .http
        .get(format!("{}/api/v1/devices/ws", h.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let log = stop(client);
    assert!(!log.contains(&token), "the token is never logged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn image_mode_tickets_are_the_rendered_receipt() {
    let h = start_server().await;
    let (_, token) = h.add_printer().await;
    let device = Arc::new(Mutex::new(Printer::default()));
    let port = fake_printer(device.clone()).await;
    let client = start_client(&h.base, &token, port, &h.dir.path().join("spool"), "image");
    let order = h.post_order("image-note").await;
    h.wait_jobs(&order, 1, "printed").await;
    let expected = h.expected_ticket(&order, "image", false).await;
    let bytes = device.lock().unwrap().bytes.clone();
    assert_eq!(
        occurrences(&bytes, &expected),
        1,
        "the raster ticket arrived whole, once"
    );
    assert!(
        occurrences(&bytes, &[0x1d, 0x76, 0x30]) > 0,
        "drawn as GS v 0 raster"
    );
    assert_eq!(note(&device, "image-note"), 0, "no text in image mode");
    stop(client);
}
