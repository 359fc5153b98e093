//! Never miss an order: escalation of unanswered orders, the readiness watchdog and phone calls.
//!
//! - `mod.rs` (this file): the loop that fires due escalation timers. The timers are rows
//!   (`order_alerts`, see `orderbell_store::alerts`) written with the order; firing one writes its
//!   effects (repeat messages, calls, the `missed` transition, an automatic pause) in one
//!   transaction, and the notification dispatcher sends them. This loop only decides WHEN to
//!   look: at the next due time, at most `POLL` later, or when woken.
//! - `readiness`: who would hear an order now, `GET /api/v1/shops/{slug}/readiness`, and the
//!   watchdog that tells the owners once per episode when nobody would.
//! - `voice`: the call's TwiML and the keypad webhook `POST /webhooks/twilio/voice`.

pub mod readiness;
pub mod voice;

use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};

use crate::events::{EventKind, ShopEvent};
use crate::state::AppState;

/// The longest the loop sleeps without looking (a timer written by another instance, or a
/// changed clock, is seen within this).
const POLL: Duration = Duration::from_secs(1);
/// Timers fired per transaction.
const BATCH: i64 = 500;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/shops/{slug}/readiness",
            get(readiness::get_readiness),
        )
        .route("/webhooks/twilio/voice", post(voice::keypad))
}

/// Starts the escalation loop and the readiness watchdog.
pub fn spawn(state: &AppState) {
    tokio::spawn(run(state.clone()));
    tokio::spawn(watchdog(state.clone()));
}

/// Whether escalation calls can be placed (Twilio with a voice number).
pub fn calls_enabled(state: &AppState) -> bool {
    state
        .config
        .notifications
        .twilio
        .as_ref()
        .is_some_and(|t| t.voice_from.is_some())
}

/// Fires every timer due now; returns how many fired.
pub async fn fire_due(state: &AppState) -> anyhow::Result<usize> {
    let calls = calls_enabled(state);
    let mut total = 0;
    loop {
        let now = state.now();
        let fired = state.store.fire_due_alerts(now, BATCH, calls).await?;
        let n = fired.len();
        total += n;
        for f in &fired {
            let late_ms = now.duration_since(f.due_at).as_millis();
            tracing::debug!(order = %f.order_id, number = f.number, steps = ?f.steps, late_ms, "escalation step");
            state.events.publish(ShopEvent {
                shop_id: f.shop_id.clone(),
                kind: if f.missed.is_some() {
                    EventKind::OrderUpdated
                } else {
                    EventKind::Notifications
                },
                order_id: Some(f.order_id.clone()),
                number: Some(f.number),
                status: f.missed.as_ref().map(|o| o.status),
                printer_id: None,
                at: now,
            });
            if let Some(until) = f.paused_until {
                tracing::warn!(shop = %f.shop_id, until = %until, "orders went unanswered: ordering paused itself");
            }
        }
        if i64::try_from(n).unwrap_or(0) < BATCH {
            return Ok(total);
        }
    }
}

async fn run(state: AppState) {
    loop {
        // Look first (a read), fire only when something is due (a write).
        let wait = match state.store.next_alert_at().await {
            Ok(Some(at)) if at <= state.now() => {
                if let Err(e) = fire_due(&state).await {
                    tracing::warn!(error = %format!("{e:#}"), "could not fire escalation steps; trying again shortly");
                    POLL
                } else {
                    Duration::ZERO
                }
            }
            Ok(Some(at)) => {
                let ms = at.duration_since(state.now()).as_millis().max(1);
                Duration::from_millis(u64::try_from(ms).unwrap_or(1)).min(POLL)
            }
            Ok(None) => POLL,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the next escalation time");
                POLL
            }
        };
        // A new order's first step is at least 10 s away, so no wake-up is needed for it: the
        // next look (within POLL) sees its timer. Nothing else is listened to, so a busy shop's
        // order stream costs this loop nothing.
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

async fn watchdog(state: AppState) {
    let mut tick = tokio::time::interval(state.config.watchdog_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        // One instance at a time looks (else each would tell the owners).
        if !crate::leases::hold(&state, crate::leases::WATCHDOG).await {
            continue;
        }
        if let Err(e) = readiness::watch_once(&state).await {
            tracing::warn!(error = %format!("{e:#}"), "the readiness watchdog could not look at the shops");
        }
    }
}
