//! Notifications: channel links, the outbox dispatcher, provider webhooks and the
//! notifications API. The store writes outbox rows in the order's own transaction; everything
//! here happens after commit.
//!
//! - `config`: `[telegram]`, `[twilio]`, `[webpush]`, `[fcm]`, `[notifications]` and env.
//! - `runtime`: this server's clients, limits, keys and wake-up, held in `AppState`.
//! - `dispatcher` + `send` + `render`: claim, send, record; texts per recipient language.
//! - `telegram`, `twilio`: webhooks, polling, linking and acting from chats.
//! - `api`, `links`: delivery log, settings, subscriptions, link codes.
//! - `cli`: `orderbell telegram link`.

pub mod api;
pub mod cli;
pub mod config;
pub mod dispatcher;
pub mod links;
mod redact;
pub mod render;
pub mod runtime;
pub mod send;
pub mod telegram;
pub mod twilio;

use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};

pub use config::{NotificationsConfig, Sections};
pub use runtime::Notifier;

use crate::state::AppState;

/// Routes of this module (full paths): API routes and provider webhooks.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/shops/{slug}/orders/{id}/notifications",
            get(api::delivery_log),
        )
        .route(
            "/api/v1/shops/{slug}/notification-settings",
            get(api::get_settings).put(api::put_settings),
        )
        .route(
            "/api/v1/shops/{slug}/telegram/link",
            post(api::telegram_link),
        )
        .route(
            "/api/v1/shops/{slug}/whatsapp/link",
            post(api::whatsapp_link),
        )
        .route("/api/v1/push/vapid-public-key", get(api::vapid_public_key))
        .route(
            "/api/v1/me/push/webpush",
            post(api::add_member_webpush).delete(api::remove_member_webpush),
        )
        .route(
            "/api/v1/me/push/fcm",
            post(api::add_member_fcm).delete(api::remove_member_fcm),
        )
        .route("/api/v1/me/channels", get(api::my_channels))
        .route(
            "/api/v1/orders/{tracking_token}/push/webpush",
            post(api::add_customer_webpush),
        )
        .route(
            "/api/v1/orders/{tracking_token}/channels",
            get(api::customer_channels),
        )
        .route("/webhooks/telegram", post(telegram::webhook))
        .route("/webhooks/twilio/whatsapp", post(twilio::incoming))
        .route("/webhooks/twilio/status", post(twilio::status))
}

/// Background work of this module, started with the server: the dispatcher, Telegram set-up
/// (webhook or polling), and upkeep of the webhook log.
pub fn spawn(state: &AppState) {
    let notifier = match Notifier::of(state) {
        Ok(n) => n,
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "notifications are off: could not set up the providers");
            return;
        }
    };
    dispatcher::spawn(state, notifier.clone());
    telegram::spawn(state, notifier);
    tokio::spawn(upkeep(state.clone()));
}

/// Keeps the webhook log bounded (age and rows) and drops expired link codes.
async fn upkeep(state: AppState) {
    let d = state.config.notifications.dispatch.clone();
    let mut tick = tokio::time::interval(Duration::from_secs(600));
    loop {
        tick.tick().await;
        let now = state.now();
        let keep = jiff::SignedDuration::from_hours(24 * i64::from(d.webhook_log_days));
        let before = now.checked_sub(keep).unwrap_or(now);
        if let Err(e) = state
            .store
            .purge_notification_logs(before, i64::from(d.webhook_log_max_rows), now)
            .await
        {
            tracing::warn!(error = %e, "could not purge the webhook log");
        }
    }
}
