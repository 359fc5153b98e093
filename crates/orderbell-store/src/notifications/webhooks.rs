//! The provider webhook log ([`WebhookEntry`]).

use orderbell_core::Timestamp;

/// A received provider webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEntry {
    pub id: i64,
    pub provider: String,
    pub kind: String,
    pub body: String,
    pub outcome: Option<String>,
    pub received_at: Timestamp,
}
