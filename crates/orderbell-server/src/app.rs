//! Putting the server together: state from configuration and store, background upkeep, and the
//! HTTP listener with graceful shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use orderbell_store::Store;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::http::limits::RateLimits;
use crate::security::random_bytes;
use crate::security::tracking::TrackingKey;
use crate::state::{AppState, Clock, Inner};

/// Builds the shared state; creates the server's own keys on first start.
pub async fn state(
    config: Config,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<AppState> {
    let key_hex = store
        .setting_init("tracking_key", &hex::encode(random_bytes::<32>()))
        .await
        .context("reading the tracking key")?;
    let tracking =
        TrackingKey::from_hex(&key_hex).context("the stored tracking key is malformed")?;
    let notifier = crate::notifications::Notifier::build(&config.notifications)
        .map(Arc::new)
        .map_err(|e| format!("{e:#}"));
    let oidc = crate::oidc::Providers::new(&config.oidc);
    Ok(AppState(Arc::new(Inner {
        notifier,
        // Several instances on PostgreSQL share the limits that protect people.
        limits: RateLimits::new(
            &config.limits,
            (store.backend() == "postgres").then(|| store.clone()),
        ),
        store,
        config,
        clock,
        tracking,
        events: crate::events::EventBus::new(),
        printers: crate::printers::connected::ConnectedPrinters::default(),
        listeners: crate::escalation::readiness::Listeners::default(),
        stopping: tokio::sync::watch::Sender::new(false),
        draining: tokio::sync::watch::Sender::new(false),
        oidc,
    })))
}

/// Periodic upkeep: expired sessions and idempotency keys, idle rate-limit buckets (one
/// instance at a time, [`crate::leases::UPKEEP`]; the in-memory buckets on every instance).
async fn upkeep(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(300));
    loop {
        tick.tick().await;
        if !crate::leases::hold(&state, crate::leases::UPKEEP).await {
            continue;
        }
        let now = state.now();
        let keep = jiff::SignedDuration::try_from(state.config.idempotency_retention)
            .unwrap_or(jiff::SignedDuration::from_hours(24));
        let before = now.checked_sub(keep).unwrap_or(now);
        match state.store.delete_expired(now, before).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(rows = n, "purged expired sessions and idempotency keys"),
            Err(e) => tracing::warn!(error = %e, "could not purge expired rows"),
        }
        state.limits.prune().await;
    }
}

/// How long stopping waits for printer sessions to say goodbye.
const DEVICES_GOODBYE: Duration = Duration::from_secs(2);

/// Serves until `shutdown` completes, then drains: `/readyz` answers 503 for
/// `config.drain` while requests are still served (a load balancer moves clients away), then
/// live streams end, printer sockets close with 1001 "going away" (the printers reconnect to
/// another instance), the requests in flight finish, and the leases are given back.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    crate::relay::start(&state).await?;
    let upkeep = tokio::spawn(upkeep(state.clone()));
    crate::printers::spawn(&state);
    crate::notifications::spawn(&state);
    crate::escalation::spawn(&state);
    let (stopping, draining, drain) = (
        state.stopping.clone(),
        state.draining.clone(),
        state.config.drain,
    );
    let limits = state.config.http;
    let per_client_cap = state.config.client_ip_header.is_none();
    let app = crate::http::router(state.clone());
    crate::http::listener::serve(listener, app, limits, per_client_cap, async move {
        shutdown.await;
        if !drain.is_zero() {
            draining.send_replace(true);
            tracing::info!(
                seconds = drain.as_secs(),
                "draining: /readyz answers 503, requests are still served"
            );
            tokio::select! {
                () = tokio::time::sleep(drain) => {}
                // A second signal stops at once.
                () = shutdown_signal() => {}
            }
        }
        // Live streams end now instead of holding the graceful shutdown open.
        stopping.send_replace(true);
    })
    .await;
    upkeep.abort();
    let goodbye = tokio::time::Instant::now() + DEVICES_GOODBYE;
    while state.printers.connections() > 0 && tokio::time::Instant::now() < goodbye {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    crate::leases::release_all(&state).await;
    Ok(())
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutting down: finishing requests in flight");
}
