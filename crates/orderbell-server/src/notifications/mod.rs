//! Notifications: channel links, the outbox dispatcher, provider webhooks (issue 4).

use axum::Router;

use crate::state::AppState;

/// Notification settings: the `[telegram]`, `[twilio]`, `[webpush]`, `[fcm]` and
/// `[notifications]` sections of the TOML file and their `ORDERBELL_*` variables.
#[derive(Debug, Clone, Default)]
pub struct NotificationsConfig {}

/// The raw TOML sections this module reads.
#[derive(Debug, Default)]
pub struct Sections<'a> {
    pub telegram: Option<&'a toml::Value>,
    pub twilio: Option<&'a toml::Value>,
    pub webpush: Option<&'a toml::Value>,
    pub fcm: Option<&'a toml::Value>,
    pub notifications: Option<&'a toml::Value>,
}

impl NotificationsConfig {
    pub fn load(_sections: Sections<'_>, _public_url: &str) -> anyhow::Result<NotificationsConfig> {
        Ok(NotificationsConfig {})
    }
}

/// Routes of this module (full paths): API routes and provider webhooks.
pub fn routes() -> Router<AppState> {
    Router::new()
}

/// Background work of this module (dispatcher, Telegram set-up), started with the server.
pub fn spawn(_state: &AppState) {}
