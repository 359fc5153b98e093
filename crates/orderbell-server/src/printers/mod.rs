//! Printers: the printers API, the device WebSocket and print-job delivery.
//!
//! Jobs are rows (written with the order); this module only moves them: when a printer
//! connects, and whenever its shop has new jobs, its session asks the store what is owed and
//! sends it, oldest first. [`connected::ConnectedPrinters`] only knows which printers are connected to this
//! process, to wake or disconnect them.

mod acks;
pub mod api;
pub mod connected;
pub mod receipt;
pub mod session;

use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::routing::{get, patch, post};
use serde::Deserialize;

use orderbell_store::printing::AutoPrint;

use crate::clock_jumps::ClockJumps;
use crate::events::{EventKind, ShopEvent};
use crate::state::AppState;

/// Printing settings (`[printing]` in the TOML file).
#[derive(Debug, Clone)]
pub struct PrintingConfig {
    /// Jobs not printed within this age expire and the shop is told (default 12 h).
    pub job_expiry: Duration,
    /// The server pings each printer this often (default 15 s).
    pub heartbeat: Duration,
    /// A printer silent for this long is taken as gone (default 45 s).
    pub dead_after: Duration,
    /// How often jobs are checked for expiry (60 s; tests shorten it).
    pub expiry_check: Duration,
}

impl Default for PrintingConfig {
    fn default() -> Self {
        PrintingConfig {
            job_expiry: Duration::from_secs(3600 * u64::from(orderbell_protocol::JOB_EXPIRY_HOURS)),
            heartbeat: Duration::from_secs(u64::from(orderbell_protocol::DEFAULT_HEARTBEAT_SECS)),
            dead_after: Duration::from_secs(u64::from(orderbell_protocol::DEAD_AFTER_SECS)),
            expiry_check: Duration::from_secs(60),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PrintingSection {
    job_expiry_hours: Option<u64>,
    heartbeat_secs: Option<u64>,
    dead_after_secs: Option<u64>,
}

impl PrintingConfig {
    pub fn load(section: Option<&toml::Value>) -> anyhow::Result<PrintingConfig> {
        let section: PrintingSection = match section {
            Some(v) => v.clone().try_into().context("unknown or malformed key")?,
            None => PrintingSection::default(),
        };
        let defaults = PrintingConfig::default();
        let config = PrintingConfig {
            job_expiry: section
                .job_expiry_hours
                .map_or(defaults.job_expiry, |h| Duration::from_secs(h * 3600)),
            heartbeat: section
                .heartbeat_secs
                .map_or(defaults.heartbeat, Duration::from_secs),
            dead_after: section
                .dead_after_secs
                .map_or(defaults.dead_after, Duration::from_secs),
            ..defaults
        };
        if config.heartbeat.is_zero() || config.dead_after <= config.heartbeat {
            anyhow::bail!("dead_after_secs must be longer than heartbeat_secs");
        }
        Ok(config)
    }
}

/// Routes of this module (full paths).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(orderbell_protocol::DEVICE_WS_PATH, get(session::upgrade))
        .route(
            "/api/v1/shops/{slug}/printers",
            get(api::list).post(api::create),
        )
        .route(
            "/api/v1/shops/{slug}/printers/{id}",
            patch(api::update).delete(api::revoke),
        )
        .route("/api/v1/shops/{slug}/orders/{id}/print", post(api::print))
}

/// Background work: waking printers of shops with new jobs, expiring old jobs.
pub fn spawn(state: &AppState) {
    tokio::spawn(route_events(state.clone()));
    tokio::spawn(expire_jobs(state.clone()));
}

/// Wakes the connected printers of every shop whose orders or jobs changed.
async fn route_events(state: AppState) {
    let mut events = state.events.subscribe();
    loop {
        match events.recv().await {
            Ok(event) if event.kind == EventKind::PrinterUpdated => {
                if let Some(printer) = event.printer_id.clone() {
                    tokio::spawn(reread(state.clone(), event.shop_id.clone(), printer));
                }
            }
            Ok(event) => {
                // Only printers that can be owed a job by this event look at the store.
                let modes: Option<&[AutoPrint]> = match event.kind {
                    EventKind::OrderCreated => Some(&[AutoPrint::OnCreate]),
                    EventKind::OrderUpdated
                        if event.status == Some(orderbell_core::order::OrderStatus::Accepted) =>
                    {
                        Some(&[AutoPrint::OnAccept])
                    }
                    // Jobs queued outside an order change, or events that may have been missed.
                    EventKind::PrintJobsQueued | EventKind::Resync => None,
                    _ => continue,
                };
                state.printers.wake_shop(&event.shop_id, modes);
            }
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => state.printers.wake_all(),
            Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
        }
    }
}

/// Tells every instance that a printer changed (settings, revocation): the one it is connected
/// to re-reads it ([`reread`]).
pub fn changed(
    state: &AppState,
    shop: &orderbell_core::ShopId,
    printer: &orderbell_core::PrinterId,
) {
    state.events.publish(ShopEvent {
        printer_id: Some(printer.clone()),
        ..ShopEvent::of_shop(shop.clone(), EventKind::PrinterUpdated, state.now())
    });
}

/// A printer connected here changed: a revoked or deleted one is disconnected, else its
/// auto-print mode is brought up to date and it looks for jobs.
async fn reread(state: AppState, shop: orderbell_core::ShopId, id: orderbell_core::PrinterId) {
    match state.store.printer(&shop, &id).await {
        Ok(Some(p)) if p.revoked_at.is_none() => {
            state.printers.set_mode(&p.id, p.auto_print);
            state.printers.wake_shop(&shop, None);
        }
        Ok(_) => state.printers.disconnect(&id),
        Err(e) => tracing::warn!(error = %e, "could not re-read a changed printer"),
    }
}

/// Expires jobs that were not printed in time; the shop sees it on the order and live. A job's
/// age is the time that really passed: a step of the system clock does not expire the jobs
/// waiting for a printer ([`ClockJumps`]).
async fn expire_jobs(state: AppState) {
    let mut tick = tokio::time::interval(state.config.printing.expiry_check);
    let mut jumps = ClockJumps::new(Duration::from_secs(5));
    loop {
        tick.tick().await;
        let now = state.now();
        let held = crate::leases::hold(&state, crate::leases::EXPIRE_JOBS).await;
        if let Some(step) = jumps.observe(std::time::Instant::now(), now) {
            tracing::warn!(
                step_seconds = step.as_secs(),
                "the system clock stepped; print jobs still expire by the time that really passed"
            );
        }
        let Ok(age) = jiff::SignedDuration::try_from(state.config.printing.job_expiry) else {
            continue;
        };
        // Every instance watches its clock; the one holding the lease expires the jobs.
        let Some(before) = jumps.cutoff(now, age).filter(|_| held) else {
            continue;
        };
        match state.store.expire_jobs(before, now).await {
            Ok(jobs) => {
                for job in jobs {
                    tracing::warn!(printer = %job.printer_name, order = %job.order_id, "a print job expired unprinted");
                    state.events.publish(ShopEvent::of_print_jobs(
                        job.shop_id,
                        EventKind::PrintJobs,
                        job.order_id,
                        now,
                    ));
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not expire print jobs"),
        }
    }
}
