//! Notifications: channel links (where people hear from us), one-time link codes, per-shop
//! settings, the outbox with its delivery log, and the provider webhook log.
//!
//! Outbox rows are written in the same transaction as the order change that causes them
//! (`queries::notifications::orders_created` / `order_changed`). A dispatcher then claims due rows
//! with a lease ([`NotificationStore::claim_notifications`]), sends them after the claim has
//! committed, and records each outcome ([`NotificationStore::finish_notifications`]). A lease
//! that runs out (a crashed instance) makes the row claimable again; completions carry the claim
//! token, so a late finisher cannot overwrite a row someone else has claimed since.
//!
//! One module a record: [`Channel`] (`channel`), [`NotifyEvent`] (`event`), [`MemberSettings`]
//! (`settings`), links and link codes (`links`), the outbox rows and their outcomes
//! (`outbox`), what a message says (`payload`) and the webhook log (`webhooks`); the trait
//! [`NotificationStore`] is here.

mod channel;
mod event;
mod links;
mod outbox;
mod payload;
mod settings;
mod webhooks;

use async_trait::async_trait;
use orderbell_core::{OrderId, ShopId, Timestamp, UserId};

pub use channel::Channel;
pub use event::NotifyEvent;
pub use links::{ChannelLink, LinkCode, LinkStatus, NewLink};
pub use outbox::{
    DeliveryReport, Finish, NewNotification, Notification, NotificationStatus, Outcome, Recipient,
};
pub use payload::{AccountMailPayload, FulfillmentSnapshot, Payload, ShopInfo};
pub use settings::MemberSettings;
pub use webhooks::WebhookEntry;

use crate::Result;

/// The notifications part of the store.
#[async_trait]
pub trait NotificationStore: Send + Sync {
    // Links.
    /// Creates the link, or reactivates (and updates) the same one.
    async fn upsert_link(&self, link: NewLink) -> Result<ChannelLink>;
    /// Active links with this address on this channel (whose chat or number wrote to us).
    async fn links_by_address(&self, channel: Channel, address: &str) -> Result<Vec<ChannelLink>>;
    /// The member links of a user (any status).
    async fn links_of_user(&self, user: &UserId) -> Result<Vec<ChannelLink>>;
    /// Unlinks every active link with this address (the person said stop); a user, if given,
    /// limits it to their links. Returns how many.
    async fn unlink_address(
        &self,
        channel: Channel,
        address: &str,
        user: Option<&UserId>,
        now: Timestamp,
    ) -> Result<u64>;
    /// Records that the person behind the address wrote to us (WhatsApp's session window).
    async fn touch_inbound(&self, channel: Channel, address: &str, now: Timestamp) -> Result<()>;

    // One-time link codes (stored hashed).
    async fn create_link_code(&self, code_hash: &str, code: LinkCode, now: Timestamp)
    -> Result<()>;
    /// Takes a code: returns it and deletes it when it exists and has not expired.
    async fn take_link_code(&self, code_hash: &str, now: Timestamp) -> Result<Option<LinkCode>>;

    // Per-shop settings.
    async fn member_settings(&self, shop: &ShopId) -> Result<MemberSettings>;
    async fn set_member_settings(
        &self,
        shop: &ShopId,
        settings: MemberSettings,
        now: Timestamp,
    ) -> Result<()>;

    // The outbox.
    async fn enqueue_notification(&self, n: NewNotification) -> Result<i64>;
    /// Claims up to `limit` due rows (`run_at <= now`, not leased or lease run out): they become
    /// `sending` with `locked_until = lease_until`, the claim token, and one more attempt.
    async fn claim_notifications(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        claim: &str,
        limit: i64,
    ) -> Result<Vec<Notification>>;
    /// Records outcomes; one whose claim is no longer held is ignored. Returns how many applied.
    async fn finish_notifications(&self, finishes: Vec<Finish>) -> Result<u64>;
    /// The earliest `run_at` of the rows waiting to be sent.
    async fn next_notification_at(&self) -> Result<Option<Timestamp>>;
    /// The delivery log of an order, oldest first.
    async fn order_notifications(
        &self,
        shop: &ShopId,
        order: &OrderId,
    ) -> Result<Vec<Notification>>;
    async fn notification(&self, id: i64) -> Result<Option<Notification>>;
    /// Cancels the waiting rows of an order for these events (e.g. escalations once someone
    /// acknowledged). Returns how many.
    async fn cancel_notifications(
        &self,
        order: &OrderId,
        events: &[NotifyEvent],
        now: Timestamp,
    ) -> Result<u64>;
    /// Applies a provider's delivery report; statuses only move forward. Returns whether a row
    /// matched.
    async fn report_delivery(&self, report: DeliveryReport) -> Result<bool>;

    // The webhook log.
    async fn log_webhook(
        &self,
        provider: &str,
        kind: &str,
        body: &str,
        outcome: Option<&str>,
        now: Timestamp,
    ) -> Result<()>;
    /// The newest entries of a provider, newest first.
    async fn webhook_log(&self, provider: &str, limit: i64) -> Result<Vec<WebhookEntry>>;
    /// Deletes webhook log entries received before `before`, keeping at most `keep` newest, and
    /// expired link codes. Returns how many rows went.
    async fn purge_notification_logs(
        &self,
        before: Timestamp,
        keep: i64,
        now: Timestamp,
    ) -> Result<u64>;
}
