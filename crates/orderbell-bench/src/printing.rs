//! `orderbell-bench printing`: simulated printers on the device WebSocket while orders are
//! posted at a fixed rate. Measures the time from an order's 201 to its job frame at the
//! printer, jobs/s, and the server's memory with many idle printers connected.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::PrintingArgs;
use crate::orders::{percentile, rss_kib, spawn_server};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const HELLO: &str = r#"{"type":"hello","protocol":1,"client_version":"orderbell-bench","capabilities":{"paper":"80mm","text_mode":"image","cutter":true,"drawer":false}}"#;

async fn add_printer(
    http: &reqwest::Client,
    base: &str,
    shop: &str,
    key: &str,
    name: &str,
    auto: &str,
) -> anyhow::Result<String> {
    let res = http
        .post(format!("{base}/api/v1/shops/{shop}/printers"))
        .bearer_auth(key)
        .json(&json!({"name": name, "auto_print": auto}))
        .send()
        .await?;
    if res.status().as_u16() != 201 {
        bail!("adding a printer answered {}", res.status());
    }
    let body: Value = res.json().await?;
    body["token"]
        .as_str()
        .map(str::to_owned)
        .context("no token in the answer")
}

async fn connect(base: &str, token: &str) -> anyhow::Result<Socket> {
    let url = format!("{}/api/v1/devices/ws", base.replacen("http", "ws", 1));
    let mut request = url.into_client_request()?;
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    socket.send(Message::Text(HELLO.into())).await?;
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(t))) if t.as_str().contains("\"welcome\"") => return Ok(socket),
            Some(Ok(_)) => continue,
            other => bail!("no welcome: {other:?}"),
        }
    }
}

/// An idle printer: answers the server's pings, nothing else.
async fn idle(mut socket: Socket) {
    while let Some(Ok(message)) = socket.next().await {
        if let Message::Text(t) = message {
            if let Ok(frame) = serde_json::from_str::<Value>(t.as_str()) {
                if frame["type"] == "ping" {
                    let pong = json!({"type": "pong", "nonce": frame["nonce"]}).to_string();
                    if socket.send(Message::Text(pong.into())).await.is_err() {
                        return;
                    }
                }
            }
        }
    }
}

pub async fn run(args: PrintingArgs) -> anyhow::Result<()> {
    let server = spawn_server(&args.spawn, args.database.as_deref(), "bench").await?;
    let pid = server.child.id();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .tcp_nodelay(true)
        .build()?;
    let base = server.url.clone();
    let healthz = crate::orders::healthz_rate(&http, &base, 64, 5).await;
    // Where the printers connect: the same instance, a second one on the same database, or
    // a URL given.
    let mut second = None;
    let devices = if args.cross_instance {
        let database = args
            .database
            .as_deref()
            .context("--cross-instance needs --database")?;
        if !database.starts_with("postgres") {
            bail!("--cross-instance needs a PostgreSQL --database that both instances share");
        }
        let (child, url) = crate::orders::spawn_instance(&args.spawn, database).await?;
        second = Some(child);
        url
    } else {
        args.devices_url.clone().unwrap_or_else(|| base.clone())
    };
    if devices != base {
        println!("printers on {devices}, orders posted to {base}");
    }
    // The memory figures are of the instance that holds the printers, when the bench started it.
    let pid = match &second {
        Some(child) => child.id(),
        None => pid,
    };

    // The printer whose latency is measured.
    let token = add_printer(&http, &base, "bench", &server.key, "Counter", "on_create").await?;
    let rss_start = pid.and_then(rss_kib);

    // Idle printers (manual: they get no jobs), connected first.
    let idle_count = args.devices.saturating_sub(1);
    let mut tokens = Vec::with_capacity(idle_count);
    for i in 0..idle_count {
        tokens.push(
            add_printer(
                &http,
                &base,
                "bench",
                &server.key,
                &format!("Idle {i}"),
                "manual",
            )
            .await?,
        );
    }
    let connected = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut connecting = tokio::task::JoinSet::new();
    for token in tokens {
        let (devices, connected) = (devices.clone(), connected.clone());
        connecting.spawn(async move {
            match connect(&devices, &token).await {
                Ok(socket) => {
                    connected.fetch_add(1, Ordering::Relaxed);
                    tokio::spawn(idle(socket));
                }
                Err(e) => eprintln!("an idle printer could not connect: {e:#}"),
            }
        });
        // Keep the number of handshakes in flight bounded.
        while connecting.len() >= 256 {
            connecting.join_next().await;
        }
    }
    while connecting.join_next().await.is_some() {}
    let connect_secs = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_idle = pid.and_then(rss_kib);

    // The measured printer: receives jobs, acknowledges them, notes when each arrived.
    let mut socket = connect(&devices, &token).await?;
    let arrivals: Arc<Mutex<HashMap<i64, Instant>>> = Arc::new(Mutex::new(HashMap::new()));
    let seen = arrivals.clone();
    let receiver = tokio::spawn(async move {
        while let Some(Ok(message)) = socket.next().await {
            let Message::Text(t) = message else { continue };
            let Ok(frame) = serde_json::from_str::<Value>(t.as_str()) else {
                continue;
            };
            match frame["type"].as_str() {
                Some("job") => {
                    let at = Instant::now();
                    if let Some(n) = frame["order_number"].as_i64() {
                        seen.lock().await.insert(n, at);
                    }
                    for stage in ["received", "printed"] {
                        let ack = json!({"type":"ack","job_id":frame["job_id"],"stage":stage})
                            .to_string();
                        if socket.send(Message::Text(ack.into())).await.is_err() {
                            return;
                        }
                    }
                }
                Some("ping") => {
                    let pong = json!({"type":"pong","nonce":frame["nonce"]}).to_string();
                    if socket.send(Message::Text(pong.into())).await.is_err() {
                        return;
                    }
                }
                _ => {}
            }
        }
    });

    // Orders at a fixed rate; the 201 time of each, by number.
    let answered: Arc<Mutex<HashMap<i64, Instant>>> = Arc::new(Mutex::new(HashMap::new()));
    let url = format!("{base}/api/v1/shops/bench/orders");
    let interval = Duration::from_secs_f64(1.0 / args.rate.max(1) as f64);
    let end = Instant::now() + Duration::from_secs(args.duration);
    let mut next = Instant::now();
    let mut posting = tokio::task::JoinSet::new();
    let mut i = 0u64;
    while next < end {
        tokio::time::sleep_until(next.into()).await;
        next += interval;
        i += 1;
        let (http, url, key, answered) = (
            http.clone(),
            url.clone(),
            server.key.clone(),
            answered.clone(),
        );
        posting.spawn(async move {
            let body = json!({"items":[{"name":"Americano","quantity":2,"unit_price":4500},
                                       {"name":"Latte","quantity":1,"unit_price":5000},
                                       {"name":"Scone","quantity":1,"unit_price":3500}],
                              "note": format!("bench {i}")});
            if let Ok(res) = http.post(url).bearer_auth(key).json(&body).send().await {
                let at = Instant::now();
                if res.status().as_u16() == 201 {
                    if let Ok(order) = res.json::<Value>().await {
                        if let Some(n) = order["number"].as_i64() {
                            answered.lock().await.insert(n, at);
                        }
                    }
                }
            }
        });
        while let Some(done) = posting.try_join_next() {
            let _ = done;
        }
    }
    while posting.join_next().await.is_some() {}
    // Let the last jobs arrive.
    let posted = answered.lock().await.len();
    let deadline = Instant::now() + Duration::from_secs(10);
    while arrivals.lock().await.len() < posted && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    receiver.abort();
    let rss_end = pid.and_then(rss_kib);

    let answered = answered.lock().await;
    let arrivals = arrivals.lock().await;
    let mut latencies: Vec<u32> = answered
        .iter()
        .filter_map(|(n, at)| {
            let arrived = arrivals.get(n)?;
            // A job frame can beat the HTTP answer to the client: that is 0 latency.
            Some(
                u32::try_from(arrived.saturating_duration_since(*at).as_micros())
                    .unwrap_or(u32::MAX),
            )
        })
        .collect();
    latencies.sort_unstable();
    println!(
        "printers: 1 measured + {} idle connected ({} wanted) in {connect_secs:.1} s",
        connected.load(Ordering::Relaxed),
        idle_count
    );
    println!(
        "orders: {posted} answered 201 at {} orders/s for {} s; {} job frames received",
        args.rate,
        args.duration,
        arrivals.len()
    );
    #[expect(clippy::cast_precision_loss, reason = "a rate for people to read")]
    let jobs_per_sec = arrivals.len() as f64 / args.duration as f64;
    println!("jobs/s: {jobs_per_sec:.0}");
    println!("baseline: /healthz {healthz:.0} requests/s (64 clients, 5 s, before the printers)");
    println!(
        "201 -> job frame ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.90),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0)
    );
    if let (Some(a), Some(b), Some(c)) = (rss_start, rss_idle, rss_end) {
        let growth = b.saturating_sub(a);
        let per = if idle_count > 0 {
            growth * 1024 / idle_count as u64
        } else {
            0
        };
        println!(
            "server RSS: {:.1} MiB before printers, {:.1} MiB with them connected (+{:.1} MiB, {} bytes each), {:.1} MiB after the run",
            a as f64 / 1024.0,
            b as f64 / 1024.0,
            growth as f64 / 1024.0,
            per,
            c as f64 / 1024.0
        );
    }
    if let Some(mut child) = second {
        let _ = child.kill().await;
    }
    let mut server = server;
    let _ = server.child.kill().await;
    Ok(())
}
