//! `orderbell`: see `orderbell --help`.

use clap::Parser;

/// mimalloc instead of the system allocator: requests allocate many small, short-lived values
/// across threads, where glibc's malloc spent about a quarter of an order's instructions
/// (measured with callgrind; docs/benchmarks.md, "SQLite intake against /healthz").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = orderbell_server::cli::Cli::parse();
    match orderbell_server::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
