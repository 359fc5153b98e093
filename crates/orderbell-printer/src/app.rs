//! Wiring: logging, the client (connection + worker + status page) and `test-page`.
//! The first SIGINT/SIGTERM stops taking work, lets a write in progress finish and keeps
//! the spool; a second one exits at once.

use std::sync::Arc;

use anyhow::{Context, Result};
use tokio::sync::{Notify, mpsc, watch};
use tracing_subscriber::EnvFilter;

use crate::board::Board;
use crate::cli::{RunArgs, TestPageArgs};
use crate::config::{self, Config, ProcessEnv};
use crate::connection::{self, Link};
use crate::output::{Output, Written};
use crate::spool::{SharedSpool, Spool};
use crate::status::{self, StatusPage};
use crate::test_page;
use crate::worker::Worker;

/// Log to stderr; filter from `ORDERBELL_PRINTER_LOG` (default `info`).
pub fn init_tracing() {
    let filter = std::env::var("ORDERBELL_PRINTER_LOG").unwrap_or_else(|_| "info".to_owned());
    let filter = EnvFilter::try_new(&filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}

/// Run the client until a signal.
///
/// # Errors
/// Bad configuration, an unusable spool directory or status address.
pub async fn run(args: &RunArgs) -> Result<()> {
    let config = Config::load(args, &ProcessEnv)?;
    let spool_dir = config.spool.clone();
    let spool = tokio::task::spawn_blocking(move || Spool::open(&spool_dir))
        .await
        .context("opening the spool")?
        .with_context(|| format!("cannot use spool directory {}", config.spool.display()))?;
    let pending = spool.pending_len();
    let spool = SharedSpool::new(spool);
    let profile = &config.print.profile;
    tracing::info!(
        server = %config.ws_url,
        output = %config.print.output,
        paper = %profile.paper,
        text_mode = %profile.text_mode,
        spool = %config.spool.display(),
        pending,
        "orderbell-printer starting"
    );

    let board = Arc::new(Board::new(
        config.ws_url.clone(),
        config.print.output.to_string(),
        format!("{} · {}", profile.text_mode, profile.paper),
    ));
    let (shutdown_tx, shutdown) = watch::channel(false);
    let (outbox_tx, outbox_rx) = mpsc::unbounded_channel();
    let (test_tx, test_rx) = mpsc::channel(1);
    let wake = Arc::new(Notify::new());

    let status_task = match config.status_listen {
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| {
                format!("status page cannot listen on {addr} (change --status-listen, or `off`)")
            })?;
            let local = listener.local_addr().context("status page address")?;
            tracing::info!("status page on http://{local}/");
            let page = Arc::new(StatusPage::new(Arc::clone(&board), test_tx, local));
            Some(tokio::spawn(status::serve(
                listener,
                page,
                shutdown.clone(),
            )))
        }
        None => None,
    };

    let worker = tokio::spawn(
        Worker {
            spool: spool.clone(),
            settings: config.print.clone(),
            board: Arc::clone(&board),
            outbox: outbox_tx,
            wake: Arc::clone(&wake),
            test_pages: test_rx,
            shutdown: shutdown.clone(),
        }
        .run(),
    );
    let link = tokio::spawn(
        Link {
            ws_url: config.ws_url.clone(),
            token: config.token.clone(),
            capabilities: connection::capabilities(&config),
            spool,
            board,
            outbox: outbox_rx,
            wake,
            shutdown: shutdown.clone(),
        }
        .run(),
    );

    wait_for_signal().await;
    tracing::info!("shutting down: finishing the current write, keeping the spool");
    let _ = shutdown_tx.send(true);
    tokio::select! {
        _ = async {
            let _ = worker.await;
            let _ = link.await;
            if let Some(task) = status_task {
                let _ = task.await;
            }
        } => {}
        () = wait_for_signal() => tracing::warn!("second signal: exiting now"),
    }
    tracing::info!("stopped");
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// `orderbell-printer test-page`: print every text mode once.
///
/// # Errors
/// Bad configuration, or the output did not take the page.
pub async fn test_page(args: &TestPageArgs) -> Result<()> {
    let settings = config::test_page_settings(args)?;
    let bytes = test_page::bytes(settings.profile.paper, settings.profile.cutter)
        .context("rendering the test page")?;
    let output = Output::new(&settings);
    let written = output.write(&bytes).await?;
    let note = match written {
        Written::OneWay => "sent".to_owned(),
        Written::Status(report) => format!("sent; printer reports {}", report.detail),
        Written::StatusFailed(detail) => format!("sent; no status from the printer ({detail})"),
    };
    tracing::info!(output = %settings.output, bytes = bytes.len(), "test page {note}");
    eprintln!(
        "Test page {note}. Pick the first section whose lines all printed right and run the \
         client with --text-mode <that mode>."
    );
    Ok(())
}
