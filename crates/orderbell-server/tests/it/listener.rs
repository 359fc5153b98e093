//! The listener under careless and hostile clients: half-sent requests and bodies sent a byte
//! at a time are cut off, one address cannot hold more than its share of connections, and a
//! server out of file descriptors backs off and recovers instead of failing for good.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::support::TestApp;

/// What the server sends before it closes the connection, if it closes it within `within`.
async fn until_closed(stream: &mut TcpStream, within: Duration) -> Option<String> {
    let mut got = Vec::new();
    let closed = tokio::time::timeout(within, async {
        let mut buf = [0u8; 1024];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    closed
        .ok()
        .map(|()| String::from_utf8_lossy(&got).into_owned())
}

async fn app(configure: impl FnOnce(&mut orderbell_server::config::Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = crate::support::sqlite_config(dir.path());
    configure(&mut config);
    TestApp::spawn_with(config, Some(dir), None).await
}

fn addr(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_owned()
}

async fn healthz(addr: &str) -> bool {
    let Ok(mut s) = TcpStream::connect(addr).await else {
        return false;
    };
    if s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .is_err()
    {
        return false;
    }
    until_closed(&mut s, Duration::from_secs(10))
        .await
        .is_some_and(|r| r.starts_with("HTTP/1.1 200"))
}

#[tokio::test]
async fn half_sent_requests_and_slow_bodies_are_cut_off() {
    let app = app(|c| {
        c.http.header_read_timeout = Duration::from_secs(1);
        c.http.body_read_timeout = Duration::from_secs(1);
    })
    .await;
    let addr = addr(&app);
    // Headers that never end.
    let mut half = TcpStream::connect(&addr).await.unwrap();
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    assert!(
        until_closed(&mut half, Duration::from_secs(15))
            .await
            .is_some(),
        "a half-sent request is closed"
    );
    // A connection that says nothing at all, and an idle keep-alive one.
    let mut silent = TcpStream::connect(&addr).await.unwrap();
    assert!(
        until_closed(&mut silent, Duration::from_secs(15))
            .await
            .is_some()
    );
    let mut idle = TcpStream::connect(&addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let answered = until_closed(&mut idle, Duration::from_secs(15))
        .await
        .unwrap();
    assert!(answered.starts_with("HTTP/1.1 200"), "{answered}");
    // A body that stops after its first bytes: answered with an error, nothing stored.
    let mut slow = TcpStream::connect(&addr).await.unwrap();
    slow.write_all(
        b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"email\"",
    )
    .await
    .unwrap();
    let answer = until_closed(&mut slow, Duration::from_secs(15)).await;
    assert!(
        answer
            .as_deref()
            .is_some_and(|a| !a.starts_with("HTTP/1.1 2")),
        "a stalled body is cut off: {answer:?}"
    );
    assert!(healthz(&addr).await);
}

#[tokio::test]
async fn one_address_holds_at_most_its_share_of_connections() {
    let app = app(|c| c.http.connections_per_client = 5).await;
    let addr = addr(&app);
    let mut held = Vec::new();
    for _ in 0..5 {
        held.push(TcpStream::connect(&addr).await.unwrap());
    }
    // Give the server time to take them.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut extra = TcpStream::connect(&addr).await.unwrap();
    assert!(
        until_closed(&mut extra, Duration::from_secs(5))
            .await
            .is_some(),
        "the sixth connection is closed at once"
    );
    assert!(!healthz(&addr).await, "no room while five are held");
    // One goes; a request gets through again.
    held.pop();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(healthz(&addr).await);
}

/// The real binary with 64 file descriptors: 150 connections run it out; it backs off, says
/// so once an episode, and answers again as soon as they close.
#[tokio::test]
async fn running_out_of_file_descriptors_is_survived() {
    let dir = tempfile::tempdir().unwrap();
    let script = format!(
        "ulimit -n 64 && exec \"{}\" serve --listen 127.0.0.1:0",
        env!("CARGO_BIN_EXE_orderbell")
    );
    let mut child = tokio::process::Command::new("sh")
        .args(["-c", &script])
        .env_remove("ORDERBELL_DATABASE_URL")
        .env_remove("ORDERBELL_CONFIG")
        .env("ORDERBELL_DATA_DIR", dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = loop {
        let line = out.next_line().await.unwrap().expect("the server listens");
        if let Some(a) = line.strip_prefix("Orderbell is listening on ") {
            break a.trim_start_matches("http://").to_owned();
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = out.next_line().await {} });
    let mut err = BufReader::new(child.stderr.take().unwrap()).lines();
    let (log_tx, mut log_rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok(Some(line)) = err.next_line().await {
            let _ = log_tx.send(line);
        }
    });
    let mut held = Vec::new();
    for _ in 0..150 {
        if let Ok(s) = TcpStream::connect(&base).await {
            held.push(s);
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    drop(held);
    let mut back = false;
    for _ in 0..50 {
        if healthz(&base).await {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(back, "the server answers again");
    let mut logged = Vec::new();
    while let Ok(line) = log_rx.try_recv() {
        logged.push(line);
    }
    let backing_off = logged
        .iter()
        .filter(|l| l.contains("cannot accept connections"))
        .count();
    // Once per episode of running out (the probes right after may make a second one), never
    // once per refused connection.
    assert!(
        (1..=4).contains(&backing_off),
        "said once an episode: {logged:#?}"
    );
    child.kill().await.unwrap();
}
