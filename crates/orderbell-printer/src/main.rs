//! `orderbell-printer`: see the library's documentation and docs/printer.md.

use std::process::ExitCode;

use clap::Parser;
use orderbell_printer::app;
use orderbell_printer::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    app::init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("orderbell-printer: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Some(Command::TestPage(args)) => app::test_page(&args).await,
            None => app::run(&cli.run).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            eprintln!("orderbell-printer: {error:#}");
            ExitCode::FAILURE
        }
    }
}
