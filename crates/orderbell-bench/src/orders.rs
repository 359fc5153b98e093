//! `orderbell-bench orders`: API-key orders over HTTP, closed or open loop.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

use crate::OrdersArgs;

pub struct Server {
    pub child: Child,
    pub url: String,
    pub key: String,
    _dir: tempfile::TempDir,
}

async fn admin(
    bin: &PathBuf,
    database: &str,
    args: &[&str],
    stdin: Option<&str>,
) -> anyhow::Result<String> {
    let mut child = Command::new(bin)
        .args(args)
        .args(["--database", database])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("running {}", bin.display()))?;
    if let Some(mut input) = child.stdin.take() {
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).await?;
        }
    }
    let out = child.wait_with_output().await?;
    if !out.status.success() {
        bail!("{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Starts `orderbell` on a fresh database with a shop and an API key.
pub async fn spawn_server(
    bin: &PathBuf,
    database: Option<&str>,
    shop: &str,
) -> anyhow::Result<Server> {
    let dir = tempfile::tempdir()?;
    let database = database.map_or_else(
        || format!("sqlite://{}/orderbell.db", dir.path().display()),
        str::to_owned,
    );
    let email = format!("bench-{}@example.com", std::process::id());
    admin(
        bin,
        &database,
        &["user", "add", &email],
        Some("a long bench password\n"),
    )
    .await?;
    admin(
        bin,
        &database,
        &[
            "shop", "add", "--slug", shop, "--name", "Bench", "--owner", &email,
        ],
        None,
    )
    .await?;
    let key = admin(
        bin,
        &database,
        &[
            "apikey",
            "add",
            "--shop",
            shop,
            "--name",
            "bench",
            "--scope",
            "orders:write,orders:read,manage",
        ],
        None,
    )
    .await?;
    let (child, url) = spawn_instance(bin, &database).await?;
    Ok(Server {
        child,
        url,
        key,
        _dir: dir,
    })
}

/// Starts one more `orderbell serve` of `bin` on `database` (already set up); returns the
/// process and its base URL once it listens.
pub async fn spawn_instance(bin: &PathBuf, database: &str) -> anyhow::Result<(Child, String)> {
    let mut child = Command::new(bin)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database",
            database,
            "--log",
            "warn",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()?;
    let stdout = child.stdout.take().context("no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    while let Some(line) = lines.next_line().await? {
        if let Some(addr) = line.strip_prefix("Orderbell is listening on ") {
            let url = addr.to_owned();
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            return Ok((child, url));
        }
    }
    bail!("the server exited before listening")
}

/// Resident set size of a process, from /proc (Linux).
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// The order every intake bench posts: three lines (one with an option), a customer with a
/// phone number, pickup.
pub(crate) fn order_body(i: u64) -> serde_json::Value {
    json!({
        "items": [
            {"name": "Americano", "quantity": 2, "unit_price": 4500, "options": [{"name": "Extra shot", "price": 500}]},
            {"name": "Caffè Latte", "quantity": 1, "unit_price": 5000},
            {"name": "Cheesecake", "quantity": 1, "unit_price": 6500}
        ],
        "customer": {"name": format!("Guest {}", i % 1000), "phone": format!("+8210{:08}", i % 100_000)},
        "fulfillment": {"type": "pickup"},
        "note": "bench"
    })
}

struct Recorder {
    started: Instant,
    warmup: Duration,
    latencies: std::sync::Mutex<Vec<u32>>,
    errors: AtomicU64,
}

impl Recorder {
    fn record(&self, scheduled: Instant, ok: bool) {
        if scheduled.duration_since(self.started) < self.warmup {
            return;
        }
        if ok {
            let micros = u32::try_from(scheduled.elapsed().as_micros()).unwrap_or(u32::MAX);
            if let Ok(mut l) = self.latencies.lock() {
                l.push(micros);
            }
        } else {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Posts an order with an API key; the answer if it was 201 (its body still to be read).
pub(crate) async fn post_order(
    http: &reqwest::Client,
    url: &str,
    key: &str,
    body: &serde_json::Value,
) -> anyhow::Result<reqwest::Response> {
    let res = http.post(url).bearer_auth(key).json(body).send().await?;
    if res.status().as_u16() != 201 {
        let status = res.status();
        bail!(
            "order refused: {status} {}",
            res.text().await.unwrap_or_default()
        );
    }
    Ok(res)
}

async fn post(http: &reqwest::Client, url: &str, key: &str, i: u64) -> bool {
    match post_order(http, url, key, &order_body(i)).await {
        Ok(res) => res.bytes().await.is_ok(),
        Err(_) => false,
    }
}

/// Makes the requests `0..n` with `clients` concurrent clients, each taking the next index as
/// soon as its previous request is answered (a closed-loop burst); returns their results in the
/// order they finished, or the first error.
pub(crate) async fn burst<T, F, Fut>(n: usize, clients: usize, request: F) -> anyhow::Result<Vec<T>>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = anyhow::Result<T>> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients.clamp(1, n.max(1)) {
        let (next, request) = (next.clone(), request.clone());
        tasks.spawn(async move {
            let mut done = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return Ok::<_, anyhow::Error>(done);
                }
                done.push(request(i).await?);
            }
        });
    }
    let mut all = Vec::with_capacity(n);
    while let Some(done) = tasks.join_next().await {
        all.extend(done??);
    }
    Ok(all)
}

pub fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "an index into a sorted sample"
    )]
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[idx.min(sorted.len() - 1)]) / 1000.0
}

/// `clients` closed-loop clients, each making `request` again as soon as the last one is
/// answered, for `seconds`: the requests per second that `request` counted as done.
async fn closed_loop_rate<F, Fut>(clients: usize, seconds: u64, request: F) -> f64
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = bool> + Send,
{
    let end = Instant::now() + Duration::from_secs(seconds);
    let done = Arc::new(AtomicU64::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients.max(1) {
        let (request, done) = (request.clone(), done.clone());
        tasks.spawn(async move {
            while Instant::now() < end {
                if request().await {
                    done.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    #[expect(clippy::cast_precision_loss, reason = "a rate for people to read")]
    let rate = done.load(Ordering::Relaxed) as f64 / seconds.max(1) as f64;
    rate
}

/// `GET /healthz` with `clients` closed-loop clients for `seconds`: requests/s. The baseline each
/// run's figures are divided by, so runs on machines of different speed can be compared.
pub(crate) async fn healthz_rate(
    http: &reqwest::Client,
    base: &str,
    clients: usize,
    seconds: u64,
) -> f64 {
    let (http, url) = (http.clone(), Arc::new(format!("{base}/healthz")));
    closed_loop_rate(clients, seconds, move || {
        let (http, url) = (http.clone(), url.clone());
        async move {
            match http.get(url.as_str()).send().await {
                Ok(res) => res.status().is_success() && res.bytes().await.is_ok(),
                Err(_) => false,
            }
        }
    })
    .await
}

/// Closed-loop orders with `clients` clients for `seconds`: orders answered 201 per second.
async fn order_rate(
    http: &reqwest::Client,
    url: &str,
    key: &str,
    clients: usize,
    seconds: u64,
    counter: &Arc<AtomicU64>,
) -> f64 {
    let (http, url, key, counter) = (
        http.clone(),
        Arc::new(url.to_owned()),
        Arc::new(key.to_owned()),
        counter.clone(),
    );
    closed_loop_rate(clients, seconds, move || {
        let (http, url, key, counter) = (http.clone(), url.clone(), key.clone(), counter.clone());
        async move { post(&http, &url, &key, counter.fetch_add(1, Ordering::Relaxed)).await }
    })
    .await
}

/// The middle value (the mean of the two middle ones for an even count); `None` when empty.
fn median(values: &mut [f64]) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    }
}

pub async fn run(args: OrdersArgs) -> anyhow::Result<()> {
    let server = match &args.spawn {
        Some(bin) => Some(spawn_server(bin, args.database.as_deref(), &args.shop).await?),
        None => None,
    };
    let (base, key) = match &server {
        Some(s) => (s.url.clone(), s.key.clone()),
        None => (
            args.url.clone(),
            args.key.clone().context("--key (or --spawn) is needed")?,
        ),
    };
    let url = format!("{base}/api/v1/shops/{}/orders", args.shop);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .tcp_nodelay(true)
        .build()?;
    if !post(&http, &url, &key, 0).await {
        bail!("a first order to {url} was not answered 201");
    }
    let healthz = if args.baseline > 0 {
        healthz_rate(&http, &base, args.concurrency, args.baseline).await
    } else {
        0.0
    };
    let pid = server.as_ref().and_then(|s| s.child.id());
    let rss_before = pid.and_then(rss_kib);
    let recorder = Arc::new(Recorder {
        started: Instant::now(),
        warmup: Duration::from_secs(args.warmup),
        latencies: std::sync::Mutex::new(Vec::with_capacity(200_000)),
        errors: AtomicU64::new(0),
    });
    let end = recorder.started + Duration::from_secs(args.warmup + args.duration);
    let counter = Arc::new(AtomicU64::new(1));
    let mut tasks = vec![];
    match args.rate {
        None => {
            for _ in 0..args.concurrency {
                let (http, url, key, recorder, counter) = (
                    http.clone(),
                    url.clone(),
                    key.clone(),
                    recorder.clone(),
                    counter.clone(),
                );
                tasks.push(tokio::spawn(async move {
                    while Instant::now() < end {
                        let start = Instant::now();
                        let ok =
                            post(&http, &url, &key, counter.fetch_add(1, Ordering::Relaxed)).await;
                        recorder.record(start, ok);
                    }
                }));
            }
        }
        Some(rate) => {
            let gate = Arc::new(tokio::sync::Semaphore::new(args.concurrency.max(1) * 16));
            let interval = Duration::from_secs_f64(1.0 / rate.max(1) as f64);
            let mut next = Instant::now();
            while next < end {
                tokio::time::sleep_until(next.into()).await;
                let scheduled = next;
                next += interval;
                let Ok(permit) = gate.clone().acquire_owned().await else {
                    break;
                };
                let (http, url, key, recorder, counter) = (
                    http.clone(),
                    url.clone(),
                    key.clone(),
                    recorder.clone(),
                    counter.clone(),
                );
                tasks.push(tokio::spawn(async move {
                    let ok = post(&http, &url, &key, counter.fetch_add(1, Ordering::Relaxed)).await;
                    recorder.record(scheduled, ok);
                    drop(permit);
                }));
            }
        }
    }
    for t in tasks {
        let _ = t.await;
    }
    let rss_after = pid.and_then(rss_kib);
    let mut latencies = recorder
        .latencies
        .lock()
        .map(|l| l.clone())
        .unwrap_or_default();
    latencies.sort_unstable();
    let measured = Duration::from_secs(args.duration).as_secs_f64();
    #[expect(clippy::cast_precision_loss, reason = "a rate for people to read")]
    let throughput = latencies.len() as f64 / measured;
    println!(
        "mode: {}",
        match args.rate {
            Some(r) => format!(
                "open loop at {r} orders/s (max in flight {})",
                args.concurrency * 16
            ),
            None => format!("closed loop, {} clients", args.concurrency),
        }
    );
    println!(
        "orders: {} ok, {} failed in {:.0} s",
        latencies.len(),
        recorder.errors.load(Ordering::Relaxed),
        measured
    );
    println!("throughput: {throughput:.0} orders/s");
    if healthz > 0.0 {
        println!(
            "baseline: /healthz {healthz:.0} requests/s with the same clients; orders/s = {:.3} × /healthz",
            throughput / healthz
        );
    }
    println!(
        "latency ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.90),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0)
    );
    if let (Some(before), Some(after)) = (rss_before, rss_after) {
        println!(
            "server RSS: {:.1} MiB before, {:.1} MiB after",
            before as f64 / 1024.0,
            after as f64 / 1024.0
        );
    }
    if args.slices > 0 && args.rate.is_none() {
        let mut ratios = Vec::with_capacity(args.slices);
        for _ in 0..args.slices {
            let healthz = healthz_rate(&http, &base, args.concurrency, args.slice_seconds).await;
            let orders = order_rate(
                &http,
                &url,
                &key,
                args.concurrency,
                args.slice_seconds,
                &counter,
            )
            .await;
            if healthz > 0.0 {
                ratios.push(orders / healthz);
            }
        }
        let shown: Vec<String> = ratios.iter().map(|r| format!("{r:.3}")).collect();
        if let Some(mid) = median(&mut ratios) {
            println!(
                "interleaved: {} slices of {} s each, orders/s ÷ /healthz: median {mid:.3} ({})",
                args.slices,
                args.slice_seconds,
                shown.join(", ")
            );
        }
    }
    if let Some(mut s) = server {
        let _ = s.child.kill().await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(super::median(&mut []), None);
        assert_eq!(super::median(&mut [0.3, 0.1, 0.2]), Some(0.2));
        assert_eq!(super::median(&mut [0.4, 0.1, 0.3, 0.2]), Some(0.25));
    }
}
