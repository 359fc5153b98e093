//! `orderbell-bench escalation`: repeats of unanswered orders ("never miss an order").
//!
//! Starts an `orderbell` binary (`--spawn PATH`) on a fresh SQLite database with FCM pointed at
//! the loopback stand-in of `notify` (no Telegram: its 1 message/s per chat would be the figure),
//! gives the shop's owner one FCM token, and sets the shop's policy to a repeat
//! `--repeat-seconds` after the order and every `--repeat-seconds` after that, with no call and
//! no miss. Then, on one timeline:
//!
//! 1. the server's CPU with no pending order (the baseline), from `/proc/<pid>/stat`;
//! 2. `/healthz` requests, as many as there will be orders, by the same burst load generator;
//! 3. `--probes` orders one at a time, each timed from its `created_at` to its new-order message
//!    at the stand-in (the immediate path), then acknowledged (which must end its escalation);
//! 4. `--orders` orders in one closed-loop burst of `--concurrency` clients: orders/s;
//! 5. the server's CPU while those orders wait, between the burst (and the sending of their
//!    new-order messages) and 5 s before the first repeat is due, and again between the waves;
//! 6. each repeat (an FCM message whose data say `event` = `reminder` and the `order_id`), late
//!    by its arrival at the stand-in minus (`created_at` + k × the repeat interval).
//!
//! Nothing here asserts on time: the figures are printed for `docs/benchmarks.md`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use serde_json::json;

use crate::notify::{Shared, lock, member_request, spawn_server, stubs, wait_for};
use crate::orders::{burst, order_body, percentile, post_order, rss_kib};

#[derive(Debug, clap::Args)]
pub struct EscalationArgs {
    /// The `orderbell` binary to start (e.g. target/release/orderbell).
    #[arg(long)]
    pub spawn: PathBuf,
    /// Pending orders, posted in one burst.
    #[arg(long, default_value_t = 10_000)]
    pub orders: usize,
    /// Concurrent clients of the burst (and of the `/healthz` comparison).
    #[arg(long, short = 'c', default_value_t = 64)]
    pub concurrency: usize,
    /// The shop's `repeat_after_seconds` and `repeat_every_seconds` (the server takes 10 to 86400).
    #[arg(long, default_value_t = 60)]
    pub repeat_seconds: u32,
    /// Repeats of every order to wait for (the second makes the run one interval longer).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=2))]
    pub repeats: u32,
    /// Seconds of the idle baseline with no pending order.
    #[arg(long, default_value_t = 30)]
    pub baseline_seconds: u64,
    /// Orders posted one at a time before the burst to time the new-order path, then acknowledged.
    #[arg(long, default_value_t = 20)]
    pub probes: usize,
}

/// Linux reports process CPU times in clock ticks of `USER_HZ`, which is 100 on every
/// architecture it supports (`sysconf(_SC_CLK_TCK)`).
const TICKS_PER_SECOND: f64 = 100.0;
/// Quiet windows keep this far from the steps around them.
const MARGIN: Duration = Duration::from_secs(5);

/// CPU time of a process so far (user + system, every thread, exited ones included).
fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("reading /proc/{pid}/stat"))?;
    // After "pid (comm)" come the fields from 3 on; utime and stime are fields 14 and 15.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let tick = |i: usize| -> anyhow::Result<u64> {
        fields
            .get(i)
            .and_then(|f| f.parse().ok())
            .with_context(|| format!("no CPU time in /proc/{pid}/stat"))
    };
    Ok((tick(11)? + tick(12)?) as f64 / TICKS_PER_SECOND)
}

/// CPU used over a stretch of wall time.
#[derive(Clone, Copy)]
struct Usage {
    wall: Duration,
    cpu: f64,
}

impl Usage {
    /// Percent of one core.
    fn percent(self) -> f64 {
        100.0 * self.cpu / self.wall.as_secs_f64().max(1e-9)
    }

    fn show(self) -> String {
        format!(
            "{:.3} % of one core ({:.2} s CPU in {:.1} s)",
            self.percent(),
            self.cpu,
            self.wall.as_secs_f64()
        )
    }

    /// This usage per second as a multiple of `base`'s.
    fn times(self, base: Usage) -> String {
        if base.cpu > 0.0 {
            format!("{:.2} x the baseline", self.percent() / base.percent())
        } else {
            "the baseline used no measurable CPU".to_owned()
        }
    }
}

/// The CPU time of the server and of this process at one moment.
struct Sample {
    at: Instant,
    server: f64,
    bench: f64,
}

impl Sample {
    fn take(pid: u32) -> anyhow::Result<Sample> {
        Ok(Sample {
            at: Instant::now(),
            server: cpu_seconds(pid)?,
            bench: cpu_seconds(std::process::id())?,
        })
    }

    /// What the server and this process used since.
    fn until_now(&self, pid: u32) -> anyhow::Result<(Usage, Usage)> {
        let now = Sample::take(pid)?;
        let wall = now.at - self.at;
        Ok((
            Usage {
                wall,
                cpu: now.server - self.server,
            },
            Usage {
                wall,
                cpu: now.bench - self.bench,
            },
        ))
    }
}

/// The server's CPU from `from` to `to` (waits for both); `None` when that is under a second.
async fn cpu_between(pid: u32, from: Instant, to: Instant) -> anyhow::Result<Option<Usage>> {
    let from = from.max(Instant::now());
    if to < from + Duration::from_secs(1) {
        return Ok(None);
    }
    tokio::time::sleep_until(from.into()).await;
    let (t0, c0) = (Instant::now(), cpu_seconds(pid)?);
    tokio::time::sleep_until(to.into()).await;
    let (t1, c1) = (Instant::now(), cpu_seconds(pid)?);
    Ok(Some(Usage {
        wall: t1 - t0,
        cpu: c1 - c0,
    }))
}

/// The wall clock at one moment of the monotonic one: the server stamps orders with wall-clock
/// milliseconds, the stand-ins stamp arrivals with `Instant`.
struct WallClock {
    at: Instant,
    unix_ms: f64,
}

impl WallClock {
    fn now() -> anyhow::Result<WallClock> {
        let unix = SystemTime::now().duration_since(UNIX_EPOCH)?;
        Ok(WallClock {
            at: Instant::now(),
            unix_ms: unix.as_secs_f64() * 1000.0,
        })
    }

    /// Milliseconds since the epoch at `t`.
    fn ms(&self, t: Instant) -> f64 {
        match t.checked_duration_since(self.at) {
            Some(d) => self.unix_ms + d.as_secs_f64() * 1000.0,
            None => self.unix_ms - self.at.duration_since(t).as_secs_f64() * 1000.0,
        }
    }

    /// The moment of wall-clock `unix_ms` (not before this clock was read).
    fn instant(&self, unix_ms: i64) -> Instant {
        let after = Duration::from_secs_f64(((unix_ms as f64 - self.unix_ms) / 1000.0).max(0.0));
        self.at.checked_add(after).unwrap_or(self.at)
    }
}

/// Milliseconds since the epoch of an RFC 3339 UTC time as the server writes them
/// (`2026-12-01T08:30:00.123Z`, the fraction left out when zero).
fn unix_ms(s: &str) -> Option<i64> {
    let (date, time) = s.strip_suffix('Z')?.split_once('T')?;
    let mut d = date.splitn(3, '-').map(str::parse::<i64>);
    let (y, m, day) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let (hms, fraction) = time.split_once('.').unwrap_or((time, ""));
    let mut t = hms.splitn(3, ':').map(str::parse::<i64>);
    let (h, min, sec) = (t.next()?.ok()?, t.next()?.ok()?, t.next()?.ok()?);
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let ms: i64 = format!("{fraction:0<3}").get(..3)?.parse().ok()?;
    // Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant, days_from_civil).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + day - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    Some((((days * 24 + h) * 60 + min) * 60 + sec) * 1000 + ms)
}

/// An order the server took: its id and `created_at` (wall-clock ms).
struct Taken {
    id: String,
    created_ms: i64,
}

fn taken(body: &[u8]) -> anyhow::Result<Taken> {
    let v: serde_json::Value = serde_json::from_slice(body).context("an order's answer")?;
    let id = v["id"].as_str().context("no id in an order")?.to_owned();
    let at = v["created_at"].as_str().unwrap_or_default();
    let created_ms = unix_ms(at).with_context(|| format!("created_at {at:?}"))?;
    Ok(Taken { id, created_ms })
}

/// Arrivals of FCM messages of one `event`, by order id, earliest first.
fn arrivals(seen: &Shared, event: &str) -> HashMap<String, Vec<Instant>> {
    let mut by_order: HashMap<String, Vec<Instant>> = HashMap::new();
    for (at, _, key) in lock(seen).sends.iter().filter(|s| s.1 == "fcm") {
        if let Some((e, order)) = key.split_once(' ') {
            if e == event {
                by_order.entry(order.to_owned()).or_default().push(*at);
            }
        }
    }
    for times in by_order.values_mut() {
        times.sort_unstable();
    }
    by_order
}

fn count(seen: &Shared, event: &str) -> usize {
    let prefix = format!("{event} ");
    lock(seen)
        .sends
        .iter()
        .filter(|(_, p, k)| *p == "fcm" && k.starts_with(&prefix))
        .count()
}

/// p50 / p99 / max of millisecond figures, and how many were at most `limit_ms`.
struct Spread {
    n: usize,
    p50: f64,
    p99: f64,
    max: f64,
    within: usize,
}

fn spread(ms: &[f64], limit_ms: f64) -> Spread {
    let mut micros: Vec<u32> = ms
        .iter()
        .map(|m| (m * 1000.0).clamp(0.0, f64::from(u32::MAX)) as u32)
        .collect();
    micros.sort_unstable();
    Spread {
        n: ms.len(),
        p50: percentile(&micros, 0.50),
        p99: percentile(&micros, 0.99),
        max: percentile(&micros, 1.0),
        within: ms.iter().filter(|m| **m <= limit_ms).count(),
    }
}

/// One wave of repeats: the k-th of every order.
struct Wave {
    lateness: Spread,
    early: usize,
    missing: usize,
    /// First to last arrival.
    span: Duration,
    /// The server's CPU from the first due time to the last arrival.
    usage: Option<Usage>,
}

pub async fn run(args: EscalationArgs) -> anyhow::Result<()> {
    let clock = WallClock::now()?;
    let seen = Shared::default();
    let stub = stubs(seen.clone()).await?;
    let server = spawn_server(&args.spawn, &stub, false).await?;
    let pid = server.child.id().context("the server has no pid")?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .tcp_nodelay(true)
        .build()?;
    member_request(
        &http,
        &server,
        reqwest::Method::POST,
        "/api/v1/me/push/fcm",
        json!({"token": "bench-escalation"}),
    )
    .await?;
    let every = args.repeat_seconds;
    let shop = member_request(
        &http,
        &server,
        reqwest::Method::PATCH,
        "/api/v1/shops/bench",
        json!({"alerts": {"repeat_after_seconds": every, "repeat_every_seconds": every,
                          "call_after_seconds": null, "miss_after_seconds": null}}),
    )
    .await?;
    if shop["alerts"]["repeat_every_seconds"] != json!(every) {
        bail!("the shop's policy did not take: {}", shop["alerts"]);
    }
    let every_ms = i64::from(every) * 1000;
    let orders_url = format!("{}/api/v1/shops/bench/orders", server.url);

    // 1. Idle, nothing pending.
    eprintln!(
        "baseline: {} s idle with no pending order",
        args.baseline_seconds
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let start = Instant::now();
    let baseline = cpu_between(
        pid,
        start,
        start + Duration::from_secs(args.baseline_seconds),
    )
    .await?
    .context("--baseline-seconds must be at least 1")?;

    // 2. The same load generator against /healthz.
    let n = args.orders;
    let health = {
        let (http, url) = (http.clone(), format!("{}/healthz", server.url));
        move |_| {
            let (http, url) = (http.clone(), url.clone());
            async move {
                let res = http.get(&url).send().await?;
                if !res.status().is_success() {
                    bail!("/healthz answered {}", res.status());
                }
                res.bytes().await?;
                Ok(())
            }
        }
    };
    let before = Sample::take(pid)?;
    burst(n, args.concurrency, health).await?;
    let (healthz, healthz_bench) = before.until_now(pid)?;
    let healthz_rate = n as f64 / healthz.wall.as_secs_f64();

    // 3. The new-order path, one order at a time; acknowledging ends each escalation.
    let mut probe_ms = Vec::with_capacity(args.probes);
    let mut probe_ids = Vec::with_capacity(args.probes);
    for p in 0..args.probes {
        let body = order_body(1_000_000 + p as u64);
        let order = taken(
            &post_order(&http, &orders_url, &server.key, &body)
                .await?
                .bytes()
                .await?,
        )?;
        let key = format!("new_order {}", order.id);
        wait_for(&seen, |_, k| k == key, 1, Duration::from_secs(10)).await?;
        let arrived = arrivals(&seen, "new_order")
            .get(&order.id)
            .and_then(|t| t.first().copied())
            .context("the probe's message is gone")?;
        probe_ms.push(clock.ms(arrived) - order.created_ms as f64);
        let res = http
            .post(format!("{orders_url}/{}/acknowledge", order.id))
            .bearer_auth(&server.key)
            .send()
            .await?;
        if !res.status().is_success() {
            bail!("acknowledging a probe answered {}", res.status());
        }
        probe_ids.push(order.id);
    }
    let probes = spread(&probe_ms, 1000.0);

    // 4. The burst.
    let rss_before = rss_kib(pid);
    let post = {
        let (http, url, key) = (http.clone(), orders_url.clone(), server.key.clone());
        move |i: usize| {
            let (http, url, key) = (http.clone(), url.clone(), key.clone());
            async move {
                let res = post_order(&http, &url, &key, &order_body(i as u64)).await?;
                Ok(res.bytes().await?)
            }
        }
    };
    eprintln!("burst: {n} orders; repeats every {every} s");
    let before = Sample::take(pid)?;
    let answers = burst(n, args.concurrency, post).await?;
    let burst_end = Instant::now();
    let (intake, intake_bench) = before.until_now(pid)?;
    let burst_time = intake.wall;
    let orders = answers
        .iter()
        .map(|b| taken(b))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let first_created = orders
        .iter()
        .map(|o| o.created_ms)
        .min()
        .context("no order")?;
    let last_created = orders
        .iter()
        .map(|o| o.created_ms)
        .max()
        .context("no order")?;
    let intake_rate = n as f64 / burst_time.as_secs_f64();
    // Their new-order messages go out first; the quiet window starts after the last of them.
    let dispatch = wait_for(
        &seen,
        |_, k| k.starts_with("new_order "),
        args.probes + n,
        Duration::from_secs(120),
    )
    .await;
    if let Err(e) = &dispatch {
        println!("new-order messages:   {e:#}");
    }
    let dispatched = arrivals(&seen, "new_order")
        .values()
        .filter_map(|t| t.last().copied())
        .max()
        .unwrap_or(burst_end);

    // 5 and 6: quiet windows and waves of repeats.
    let mut quiet = Vec::new();
    let mut waves = Vec::new();
    let mut quiet_from = (burst_end + MARGIN).max(dispatched + Duration::from_secs(1));
    for k in 1..=args.repeats {
        let k_ms = i64::from(k) * every_ms;
        let first_due = clock.instant(first_created + k_ms);
        eprintln!(
            "waiting for repeat {k} (the first due in {:.0} s)",
            first_due
                .saturating_duration_since(Instant::now())
                .as_secs_f64()
        );
        let quiet_to = first_due.checked_sub(MARGIN).unwrap_or(first_due);
        let window = cpu_between(pid, quiet_from, quiet_to).await?;
        quiet.push(window);
        tokio::time::sleep_until(first_due.into()).await;
        let (t0, c0) = (Instant::now(), cpu_seconds(pid)?);
        let deadline = clock.instant(last_created + k_ms) + Duration::from_secs(30);
        let got = wait_for(
            &seen,
            |_, key| key.starts_with("reminder "),
            n * k as usize,
            deadline.saturating_duration_since(Instant::now()),
        )
        .await;
        let (t1, c1) = (Instant::now(), cpu_seconds(pid)?);
        if let Err(e) = &got {
            println!("repeat {k}:             {e:#}");
        }
        let reminders = arrivals(&seen, "reminder");
        let (mut late, mut early, mut missing) = (Vec::with_capacity(n), 0, 0);
        let mut kth = Vec::with_capacity(n);
        for o in &orders {
            match reminders.get(&o.id).and_then(|t| t.get(k as usize - 1)) {
                Some(at) => {
                    let ms = clock.ms(*at) - (o.created_ms + k_ms) as f64;
                    early += usize::from(ms < 0.0);
                    late.push(ms.max(0.0));
                    kth.push(*at);
                }
                None => missing += 1,
            }
        }
        let first = kth.iter().min().copied().unwrap_or(t1);
        let last = kth.iter().max().copied().unwrap_or(t1);
        waves.push(Wave {
            lateness: spread(&late, 1000.0),
            early,
            missing,
            span: last.saturating_duration_since(first),
            usage: got.is_ok().then_some(Usage {
                wall: t1 - t0,
                cpu: c1 - c0,
            }),
        });
        quiet_from = last + MARGIN;
    }
    let rss_after = rss_kib(pid);

    // Exactly once: acknowledged probes never repeat; no order repeats more than it was due.
    let reminders = arrivals(&seen, "reminder");
    let probe_repeats: usize = probe_ids
        .iter()
        .filter_map(|id| reminders.get(id))
        .map(Vec::len)
        .sum();
    let extra: usize = reminders
        .values()
        .map(|t| t.len().saturating_sub(args.repeats as usize))
        .sum();
    let others = lock(&seen)
        .sends
        .iter()
        .filter(|(_, p, k)| {
            *p != "fcm" || !(k.starts_with("new_order ") || k.starts_with("reminder "))
        })
        .count();

    println!("idle, 0 pending:      {}", baseline.show());
    println!(
        "healthz burst:        {n} in {:.2} s, {healthz_rate:.0} requests/s ({} clients); \
         CPU: server {:.0} %, bench {:.0} % of one core",
        healthz.wall.as_secs_f64(),
        args.concurrency,
        healthz.percent(),
        healthz_bench.percent()
    );
    println!(
        "new-order path:       {} probes, created_at to arrival p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms \
         (one at a time, then acknowledged)",
        probes.n, probes.p50, probes.p99, probes.max
    );
    println!(
        "order burst:          {n} in {:.2} s, {intake_rate:.0} orders/s = {:.2} x /healthz ({} clients); \
         CPU: server {:.0} %, bench {:.0} % of one core",
        burst_time.as_secs_f64(),
        intake_rate / healthz_rate,
        args.concurrency,
        intake.percent(),
        intake_bench.percent()
    );
    println!(
        "new-order messages:   {} sent, the last {:.2} s after the burst ended",
        count(&seen, "new_order"),
        dispatched
            .saturating_duration_since(burst_end)
            .as_secs_f64()
    );
    for (k, window) in quiet.iter().enumerate() {
        let label = match k {
            0 => format!("idle, {n} pending, before repeat 1:"),
            _ => format!("idle, {n} pending, between repeats {k} and {}:", k + 1),
        };
        match window {
            Some(u) => println!("{label} {} = {}", u.show(), u.times(baseline)),
            None => println!("{label} no quiet window (under 1 s between the steps)"),
        }
    }
    for (k, w) in waves.iter().enumerate() {
        let l = &w.lateness;
        println!(
            "repeat {}:             {} of {n} sent; late p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms \
             (p50 = {:.1} x the new-order path); within 1 s: {} ({:.2} %); early {}; missing {}",
            k + 1,
            l.n,
            l.p50,
            l.p99,
            l.max,
            l.p50 / probes.p50.max(1e-3),
            l.within,
            100.0 * l.within as f64 / n.max(1) as f64,
            w.early,
            w.missing
        );
        if let Some(u) = w.usage {
            println!(
                "  wave:               first to last arrival {:.2} s; server CPU from the first due time \
                 to the last arrival {:.2} s ({:.2} ms per repeat, {:.0} % of one core)",
                w.span.as_secs_f64(),
                u.cpu,
                1000.0 * u.cpu / l.n.max(1) as f64,
                u.percent()
            );
        }
    }
    println!(
        "exactly once:         {probe_repeats} repeats of the {} acknowledged probes; {extra} repeats beyond \
         {} per order; {others} other messages",
        probe_ids.len(),
        args.repeats
    );
    if let (Some(before), Some(after)) = (rss_before, rss_after) {
        println!(
            "server RSS:           {:.1} MiB before the burst, {:.1} MiB after the last repeat",
            before as f64 / 1024.0,
            after as f64 / 1024.0
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_servers_times() {
        assert_eq!(unix_ms("1970-01-01T00:00:00Z"), Some(0));
        // date -u -d 2026-12-01T08:30:00Z +%s
        assert_eq!(unix_ms("2026-12-01T08:30:00.123Z"), Some(1_796_113_800_123));
        assert_eq!(unix_ms("2024-02-29T23:59:59.5Z"), Some(1_709_251_199_500));
        assert_eq!(
            unix_ms("2026-12-01T08:30:00.123456789Z"),
            Some(1_796_113_800_123)
        );
        assert_eq!(unix_ms("2026-12-01 08:30:00Z"), None);
        assert_eq!(unix_ms("2026-12-01T08:30:00.1x3Z"), None);
    }

    #[test]
    fn finds_the_cpu_time_of_this_process() {
        let cpu = cpu_seconds(std::process::id()).unwrap();
        assert!(cpu >= 0.0);
    }
}
