//! `orderbell`: see `orderbell --help`.

/// mimalloc instead of the system allocator: requests allocate many small, short-lived values
/// across threads, where glibc's malloc spent about a quarter of an order's instructions
/// (measured with callgrind; docs/benchmarks.md, "SQLite intake against /healthz").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    orderbell_server::cli::main()
}
