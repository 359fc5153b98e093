//! `orderbell-bench`: load generator and latency measurement for Orderbell.
//!
//! `orderbell-bench orders` posts API-key orders (three lines each) over HTTP, either with N
//! clients as fast as they go (closed loop) or at a fixed rate (open loop, latency measured
//! from each request's scheduled start so a stall is not hidden), and prints orders/s and
//! p50/p99/max latency. With `--spawn PATH` it starts that `orderbell` binary on a fresh
//! database of its own and sets up a shop and key with the admin commands first.
//!
//! `notify`, `printing` and `escalation` measure the notification dispatcher, printers and the
//! repeats of unanswered orders; each starts its own server (`--spawn PATH`).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

mod escalation;
mod notify;
mod orders;
mod printing;

#[derive(Debug, Parser)]
#[command(
    name = "orderbell-bench",
    about = "Load generator and latency measurement for Orderbell"
)]
struct Cli {
    #[command(subcommand)]
    command: Bench,
}

#[derive(Debug, Subcommand)]
enum Bench {
    /// Post API-key orders and measure throughput and latency.
    Orders(OrdersArgs),
    /// Drive the notification dispatcher to loopback provider stubs; print notifications/s.
    Notify(notify::NotifyArgs),
    /// Simulated printers: order 201 to job frame latency, jobs/s, memory per idle printer.
    Printing(PrintingArgs),
    /// Repeats of unanswered orders: lateness, idle CPU with orders pending, intake rate.
    Escalation(escalation::EscalationArgs),
}

#[derive(Debug, clap::Args)]
pub struct PrintingArgs {
    /// The `orderbell` binary to start on a fresh database.
    #[arg(long)]
    pub spawn: PathBuf,
    /// The database URL (default: a new SQLite file in a temporary directory).
    #[arg(long)]
    pub database: Option<String>,
    /// Printers connected: one measured, the rest idle.
    #[arg(long, default_value_t = 1)]
    pub devices: usize,
    /// Orders per second.
    #[arg(long, default_value_t = 500)]
    pub rate: u64,
    /// Seconds of posting.
    #[arg(long, short = 'd', default_value_t = 30)]
    pub duration: u64,
    /// Start a second instance of the same binary on the same database (PostgreSQL) and
    /// connect the printers to it, while orders are posted to the first: the job frame then
    /// crosses instances (docs/deploy.md).
    #[arg(long, requires = "database")]
    pub cross_instance: bool,
    /// Connect the printers to this base URL (an instance on the same database, or a load
    /// balancer in front of several) instead of the instance orders are posted to.
    #[arg(long, conflicts_with = "cross_instance")]
    pub devices_url: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct OrdersArgs {
    /// Base URL of a running server (with --key and --shop).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// API key with orders:write.
    #[arg(long, env = "ORDERBELL_BENCH_KEY")]
    pub key: Option<String>,
    /// Shop slug.
    #[arg(long, default_value = "bench")]
    pub shop: String,
    /// Start this `orderbell` binary on a fresh database instead of using --url.
    #[arg(long)]
    pub spawn: Option<PathBuf>,
    /// With --spawn: the database URL (default: a new SQLite file in a temporary directory).
    #[arg(long)]
    pub database: Option<String>,
    /// Concurrent clients.
    #[arg(long, short = 'c', default_value_t = 64)]
    pub concurrency: usize,
    /// Seconds to run (after warm-up).
    #[arg(long, short = 'd', default_value_t = 30)]
    pub duration: u64,
    /// Seconds of warm-up whose requests are not counted.
    #[arg(long, default_value_t = 2)]
    pub warmup: u64,
    /// Fixed arrival rate in orders/s (open loop); without it every client goes as fast as it can.
    #[arg(long)]
    pub rate: Option<u64>,
    /// Seconds of `GET /healthz` with the same clients before the orders (0: none), the baseline
    /// the order rate is given as a ratio of.
    #[arg(long, default_value_t = 5)]
    pub baseline: u64,
    /// After the run (closed loop only): this many alternating slices of `/healthz` and orders,
    /// `--slice-seconds` each, and the median of their ratios. A baseline measured once before
    /// the orders moves with whatever the machine does in those seconds; slices side by side
    /// share the machine's state.
    #[arg(long, default_value_t = 0)]
    pub slices: usize,
    /// Seconds of each slice of `--slices`.
    #[arg(long, default_value_t = 3)]
    pub slice_seconds: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Bench::Orders(args) => orders::run(args).await,
        Bench::Notify(args) => notify::run(args).await,
        Bench::Printing(args) => printing::run(args).await,
        Bench::Escalation(args) => escalation::run(args).await,
    }
}
