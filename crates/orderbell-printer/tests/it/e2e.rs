//! End to end: the real `orderbell-printer` binary against a loopback fake server
//! (tokio-tungstenite, checks the Authorization header, sends welcome + jobs, records
//! what the client sends) and a loopback TCP "printer" that records ticket bytes and
//! answers DLE EOT status queries, with a paper-out phase.
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

use futures_util::{SinkExt, StreamExt};
use orderbell_protocol::{
    AckStage, Amount, ClientFrame, Job, PrinterState, Receipt, ReceiptItem, ServerFrame, ShopInfo,
    Welcome, parse_client_frame,
};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;

const TOKEN: &str = "test-device-token";
use crate::support::fake_printer::{Printer, fake_printer};

const GUARD: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------- fake server

#[derive(Debug, Clone)]
enum Event {
    Connected,
    Rejected,
    Frame {
        frame: ClientFrame,
        /// The fake printer's paper state when the frame arrived.
        paper_out: bool,
    },
}

struct Server {
    port: u16,
    events: mpsc::UnboundedReceiver<Event>,
    history: Vec<Event>,
    /// Jobs sent to every new connection after `welcome` (the server's backlog).
    backlog: Arc<Mutex<Vec<Job>>>,
    /// Frames to push on the current connection.
    push: Arc<Mutex<Option<mpsc::UnboundedSender<ServerFrame>>>>,
}

async fn fake_server(printer: Arc<Mutex<Printer>>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (events_tx, events) = mpsc::unbounded_channel();
    let backlog: Arc<Mutex<Vec<Job>>> = Arc::default();
    let push: Arc<Mutex<Option<mpsc::UnboundedSender<ServerFrame>>>> = Arc::default();
    {
        let backlog = Arc::clone(&backlog);
        let push = Arc::clone(&push);
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let events_tx = events_tx.clone();
                #[expect(clippy::result_large_err, reason = "tungstenite's callback signature")]
                let check = |request: &Request, response: Response| {
                    let auth = request
                        .headers()
                        .get("authorization")
                        .and_then(|v| v.to_str().ok());
                    if request.uri().path() == "/api/v1/devices/ws"
                        && auth == Some(&format!("Bearer {TOKEN}"))
                    {
                        Ok(response)
                    } else {
                        let mut refused = ErrorResponse::new(Some("unauthenticated".into()));
                        *refused.status_mut() = StatusCode::UNAUTHORIZED;
                        Err(refused)
                    }
                };
                let mut socket = match tokio_tungstenite::accept_hdr_async(stream, check).await {
                    Ok(socket) => socket,
                    Err(_) => {
                        let _ = events_tx.send(Event::Rejected);
                        continue;
                    }
                };
                let _ = events_tx.send(Event::Connected);
                let (push_tx, mut push_rx) = mpsc::unbounded_channel();
                *push.lock().unwrap() = Some(push_tx);
                let backlog = Arc::clone(&backlog);
                let printer = Arc::clone(&printer);
                tokio::spawn(async move {
                    loop {
                        tokio::select! {
                            message = socket.next() => {
                                let Some(Ok(message)) = message else { return };
                                let Message::Text(text) = message else { continue };
                                let frame = parse_client_frame(&text).expect("client frames parse");
                                let paper_out = printer.lock().unwrap().paper_out;
                                if let ClientFrame::Hello(hello) = &frame {
                                    assert_eq!(hello.protocol, 1);
                                    let welcome = ServerFrame::Welcome(Welcome {
                                        protocol: 1,
                                        printer_id: "prn_1".into(),
                                        printer_name: "Counter".into(),
                                        shop: ShopInfo { slug: "demo".into(), name: "Demo".into() },
                                        server_time: "2026-11-28T05:00:00Z".into(),
                                        heartbeat_secs: 15,
                                    });
                                    let _ = socket.send(Message::text(welcome.to_json().unwrap())).await;
                                    let jobs = backlog.lock().unwrap().clone();
                                    for job in jobs {
                                        let _ = socket.send(Message::text(ServerFrame::Job(job).to_json().unwrap())).await;
                                    }
                                }
                                if let ClientFrame::Ping(ping) = &frame {
                                    let pong = ServerFrame::Pong(orderbell_protocol::Pong { nonce: ping.nonce });
                                    let _ = socket.send(Message::text(pong.to_json().unwrap())).await;
                                }
                                let _ = events_tx.send(Event::Frame { frame, paper_out });
                            }
                            frame = push_rx.recv() => {
                                let Some(frame) = frame else { return };
                                if socket.send(Message::text(frame.to_json().unwrap())).await.is_err() {
                                    return;
                                }
                            }
                        }
                    }
                });
            }
        });
    }
    Server {
        port,
        events,
        history: Vec::new(),
        backlog,
        push,
    }
}

impl Server {
    /// Wait (bounded by GUARD) for an event matching `want`; returns its index in history.
    async fn wait_for(&mut self, what: &str, want: impl Fn(&Event) -> bool) -> usize {
        if let Some(i) = self.history.iter().position(&want) {
            return i;
        }
        let deadline = tokio::time::Instant::now() + GUARD;
        loop {
            let event = tokio::time::timeout_at(deadline, self.events.recv())
                .await
                .unwrap_or_else(|_| panic!("timed out waiting for {what}; saw {:#?}", self.history))
                .expect("server task alive");
            self.history.push(event);
            if want(self.history.last().unwrap()) {
                return self.history.len() - 1;
            }
        }
    }

    /// Receive one more event into history (bounded by GUARD).
    async fn next_event(&mut self, what: &str) {
        let event = tokio::time::timeout(GUARD, self.events.recv())
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {what}; saw {:#?}", self.history))
            .expect("server task alive");
        self.history.push(event);
    }

    async fn wait_ack(&mut self, job_id: &str, stage: AckStage) -> usize {
        let job_id = job_id.to_owned();
        self.wait_for(&format!("ack {job_id} {stage:?}"), |e| {
            is_ack(e, &job_id, stage)
        })
        .await
    }

    fn acks(&self, job_id: &str, stage: AckStage) -> Vec<usize> {
        (0..self.history.len())
            .filter(|&i| is_ack(&self.history[i], job_id, stage))
            .collect()
    }

    fn send(&self, job: Job) {
        let push = self.push.lock().unwrap();
        push.as_ref()
            .expect("a client is connected")
            .send(ServerFrame::Job(job))
            .unwrap();
    }
}

fn is_ack(event: &Event, job_id: &str, stage: AckStage) -> bool {
    matches!(event, Event::Frame { frame: ClientFrame::Ack(ack), .. } if ack.job_id == job_id && ack.stage == stage)
}

fn job(job_id: &str, marker: &str) -> Job {
    Job {
        job_id: job_id.into(),
        order_number: 1001,
        created_at: "2026-11-28T05:00:00Z".into(),
        copy: 1,
        copies: 1,
        reprint: false,
        kick_drawer: false,
        document: Receipt {
            shop_name: "E2E Cafe".into(),
            header: None,
            footer: None,
            order_number: marker.into(),
            fulfillment: "Pickup".into(),
            eta: None,
            items: vec![ReceiptItem {
                quantity: 2,
                name: "Americano".into(),
                options: vec![],
                line_total: Amount::Minor(9000),
            }],
            note: None,
            subtotal: None,
            charges: vec![],
            total: Amount::Minor(9000),
            currency: "KRW".into(),
            customer: None,
            ordered_at: "14:00".into(),
            tracking_url: None,
            locale: Some("en".into()),
            labels: None,
        },
    }
}

// ---------------------------------------------------------------- the client

fn start_client(server_port: u16, printer_port: u16, spool: &Path, token: &str) -> Child {
    let config = spool.parent().unwrap().join("printer.toml");
    std::fs::write(&config, "status_poll_ms = 100\ntcp_timeout_secs = 5\n").unwrap();
    Command::new(env!("CARGO_BIN_EXE_orderbell-printer"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env(
            "ORDERBELL_PRINTER_SERVER",
            format!("http://127.0.0.1:{server_port}"),
        )
        .env("ORDERBELL_PRINTER_TOKEN", token)
        .env(
            "ORDERBELL_PRINTER_OUTPUT",
            format!("tcp://127.0.0.1:{printer_port}"),
        )
        .env("ORDERBELL_PRINTER_TEXT_MODE", "ascii")
        .env("ORDERBELL_PRINTER_PROFILE", "58mm")
        .env("ORDERBELL_PRINTER_SPOOL", spool)
        .env("ORDERBELL_PRINTER_STATUS_LISTEN", "127.0.0.1:0")
        .env("ORDERBELL_PRINTER_CONFIG", &config)
        .env("ORDERBELL_PRINTER_LOG", "debug")
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
    let output = std::thread::spawn(move || {
        let status = child.wait().unwrap();
        let mut stderr = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
        (status, stderr)
    })
    .join()
    .unwrap();
    assert!(
        output.0.success(),
        "clean exit on SIGTERM: {:?}\n{}",
        output.0,
        output.1
    );
    output.1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prints_once_in_order_holds_on_paper_out_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("spool");
    let printer = Arc::new(Mutex::new(Printer::default()));
    let printer_port = fake_printer(Arc::clone(&printer)).await;
    let mut server = fake_server(Arc::clone(&printer)).await;
    server.backlog.lock().unwrap().push(job("pj_a", "T-AAA"));

    let client = start_client(server.port, printer_port, &spool, TOKEN);

    // 1. The backlog job: received, then printed; its bytes reached the printer once.
    server
        .wait_for("connection", |e| matches!(e, Event::Connected))
        .await;
    let received = server.wait_ack("pj_a", AckStage::Received).await;
    let printed = server.wait_ack("pj_a", AckStage::Printed).await;
    assert!(received < printed);
    assert_eq!(printer.lock().unwrap().count("T-AAA"), 1);
    let hello = server.history.iter().find_map(|e| match e {
        Event::Frame {
            frame: ClientFrame::Hello(hello),
            ..
        } => Some(hello.clone()),
        _ => None,
    });
    let hello = hello.expect("hello sent");
    assert_eq!(hello.capabilities.text_mode, "ascii:cp437");
    assert_eq!(hello.capabilities.paper, orderbell_protocol::Paper::Mm58);

    // 2. Paper runs out while job B prints: held, status reported, no `printed`
    //    until paper is back, and the ticket is not sent a second time.
    printer.lock().unwrap().run_out_on = Some("T-BBB".into());
    server.send(job("pj_b", "T-BBB"));
    server.wait_ack("pj_b", AckStage::Received).await;
    let paper_out = server
        .wait_for("status paper_out", |e| {
            matches!(e, Event::Frame { frame: ClientFrame::Status(s), .. } if s.state == PrinterState::PaperOut)
        })
        .await;
    assert!(server.acks("pj_b", AckStage::Printed).is_empty());
    // Let the client poll while out of paper (bounded by GUARD, not a timing assert).
    let deadline = tokio::time::Instant::now() + GUARD;
    while printer.lock().unwrap().paper_out_answers < 6 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "client stopped polling"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        server.acks("pj_b", AckStage::Printed).is_empty(),
        "no printed while paper out"
    );
    printer.lock().unwrap().paper_out = false;
    let printed_b = server.wait_ack("pj_b", AckStage::Printed).await;
    assert!(printed_b > paper_out);
    match &server.history[printed_b] {
        Event::Frame { paper_out, .. } => {
            assert!(!paper_out, "printed acked only after paper was back")
        }
        other => panic!("{other:?}"),
    }
    assert!(
        server.history[paper_out..].iter().any(|e| matches!(e,
            Event::Frame { frame: ClientFrame::Status(s), .. } if s.state == PrinterState::Online)),
        "online reported after the fault cleared"
    );
    assert_eq!(
        printer.lock().unwrap().count("T-BBB"),
        1,
        "ticket sent exactly once"
    );

    // 3. A duplicate delivery of A is answered from the spool and not printed.
    server.send(job("pj_a", "T-AAA"));
    let seen = server.history.len();
    server
        .wait_for("the duplicate's answer", |e| {
            is_ack(e, "pj_a", AckStage::Printed)
        })
        .await;
    while server
        .acks("pj_a", AckStage::Printed)
        .iter()
        .all(|&i| i < seen)
    {
        server.next_event("the duplicate's answer").await;
    }
    assert_eq!(
        printer.lock().unwrap().count("T-AAA"),
        1,
        "duplicate not printed"
    );

    // 4. Stop the client; three orders come in meanwhile; the server's backlog at the next
    //    connection holds the finished A and B (as after a lost ack) and the three new ones.
    let log = stop(client);
    assert!(!log.contains(TOKEN), "the token is never logged");
    {
        let mut backlog = server.backlog.lock().unwrap();
        backlog.clear();
        backlog.push(job("pj_a", "T-AAA"));
        backlog.push(job("pj_b", "T-BBB"));
        backlog.push(job("pj_c", "T-CCC"));
        backlog.push(job("pj_d", "T-DDD"));
        backlog.push(job("pj_e", "T-EEE"));
    }
    server.history.clear();
    let client = start_client(server.port, printer_port, &spool, TOKEN);
    for id in ["pj_c", "pj_d", "pj_e"] {
        server.wait_ack(id, AckStage::Printed).await;
    }
    server.wait_ack("pj_a", AckStage::Printed).await;
    server.wait_ack("pj_b", AckStage::Printed).await;
    assert!(
        server.acks("pj_a", AckStage::Received).is_empty(),
        "A answered from the spool"
    );
    {
        let p = printer.lock().unwrap();
        for marker in ["T-AAA", "T-BBB", "T-CCC", "T-DDD", "T-EEE"] {
            assert_eq!(p.count(marker), 1, "{marker} printed exactly once");
        }
        let order: Vec<usize> = ["T-AAA", "T-BBB", "T-CCC", "T-DDD", "T-EEE"]
            .iter()
            .map(|m| p.position(m).unwrap())
            .collect();
        assert!(
            order.windows(2).all(|w| w[0] < w[1]),
            "printed in order: {order:?}"
        );
    }
    let log = stop(client);
    assert!(!log.contains(TOKEN));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_is_reported_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let printer = Arc::new(Mutex::new(Printer::default()));
    let printer_port = fake_printer(Arc::clone(&printer)).await;
    let mut server = fake_server(printer).await;
    let mut client = start_client(
        server.port,
        printer_port,
        &dir.path().join("spool"),
        "wrong-token",
    );
    server
        .wait_for("rejected upgrade", |e| matches!(e, Event::Rejected))
        .await;

    // Read stderr until the 401 explanation appears (bounded by GUARD).
    let mut stderr = client.stderr.take().unwrap();
    let (found_tx, found_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut all = String::new();
        let mut buf = [0u8; 4096];
        loop {
            match std::io::Read::read(&mut stderr, &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => all.push_str(&String::from_utf8_lossy(&buf[..n])),
            }
            if all.contains("HTTP 401") {
                let _ = found_tx.send(all.clone());
                break;
            }
        }
    });
    let log = found_rx
        .recv_timeout(GUARD)
        .expect("401 reported on stderr");
    assert!(log.contains("orderbell printer add"), "{log}");
    assert!(!log.contains("wrong-token"), "the token is never logged");
    assert!(!server.history.iter().any(|e| matches!(e, Event::Connected)));
    client.kill().unwrap();
    client.wait().unwrap();
}

#[test]
fn test_page_goes_to_a_file_with_every_mode() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("page.bin");
    let status = Command::new(env!("CARGO_BIN_EXE_orderbell-printer"))
        .env_clear()
        .args([
            "test-page",
            "--printer",
            &format!("file:{}", out.display()),
            "--profile",
            "58mm",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let page = std::fs::read(&out).unwrap();
    for mode in [
        "ascii:cp437",
        "ks_x_1001",
        "ks_x_1001:plain",
        "utf8",
        "utf8:epson",
    ] {
        let label = format!("--text-mode {mode}");
        assert!(
            page.windows(label.len()).any(|w| w == label.as_bytes()),
            "{label}"
        );
    }
}
