//! Escalation of unanswered orders, kept durably: one timer row per unanswered order
//! (`order_alerts`: its next step and when it is due).
//!
//! - The timer is written in the order's own transaction (`queries::alerts::orders_created`).
//! - The first acknowledgement ends it in the acknowledging transaction, and cancels the
//!   escalation messages still queued (`queries::alerts::order_changed`): no repeat, call or
//!   `missed` can follow an acknowledged order.
//! - [`AlertStore::fire_due_alerts`] takes every due step in ONE transaction: it moves the timer
//!   on with a conditional update (so two instances never fire the same step) and writes the
//!   step's effects (outbox rows, the `missed` transition, an automatic pause) in that same
//!   transaction. Sending happens later through the notification outbox, with its leases and
//!   retries. No in-memory timer is the source of truth; a server that was down fires late,
//!   never twice.

use async_trait::async_trait;
use orderbell_core::escalation::Step;
use orderbell_core::order::Order;
use orderbell_core::shop::Shop;
use orderbell_core::{OrderId, ShopId, Timestamp, UserId};

use crate::Result;
use crate::notifications::{
    Channel, LinkStatus, NewNotification, NotificationStatus, NotifyEvent, Payload, Recipient,
    ShopInfo,
};
use crate::stored_text::stored_text;

stored_text! {
    /// Where the escalation of one order stands.
    pub enum AlertStatus("alert status") {
        /// The timer runs: its next step is due at `due_at`.
        Active = "active",
        /// Someone acknowledged the order.
        Answered = "answered",
        /// Nobody did in time: the order became `missed`.
        Missed = "missed",
        /// Closed without an answer: the order was closed (e.g. cancelled) or is gone, or no
        /// step was left.
        Ended = "ended",
    }
}

/// What one due timer did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fired {
    pub shop_id: ShopId,
    pub order_id: OrderId,
    pub number: i64,
    /// The steps taken, in order.
    pub steps: Vec<Step>,
    /// How many outbox rows the steps queued.
    pub queued: usize,
    /// The order after it became `missed`.
    pub missed: Option<Order>,
    /// Ordering paused itself until then (too many orders in a row went unanswered).
    pub paused_until: Option<Timestamp>,
    /// When the step was due (its lateness is `now - due_at`).
    pub due_at: Timestamp,
}

/// The escalation state of one order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderAlert {
    pub order_id: OrderId,
    pub shop_id: ShopId,
    pub status: AlertStatus,
    pub next_step: Step,
    pub due_at: Timestamp,
    /// Repeat slots passed.
    pub repeats: u32,
    pub called: bool,
}

/// A member channel as the readiness check sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelHealth {
    pub link_id: i64,
    pub channel: crate::notifications::Channel,
    /// `active` or `dead`.
    pub status: LinkStatus,
    pub label: Option<String>,
    /// The status of the newest notification sent to it, if any.
    pub last_delivery: Option<NotificationStatus>,
}

impl ChannelHealth {
    /// Whether a message sent there now would likely arrive.
    pub fn alive(&self) -> bool {
        self.status == LinkStatus::Active && self.last_delivery != Some(NotificationStatus::Failed)
    }
}

/// Escalation timers and the shop-wide notices that go with them.
#[async_trait]
pub trait AlertStore: Send + Sync {
    /// Fires every timer due at `now` (at most `limit`), each step with its effects in the same
    /// transaction. `calls` says whether phone calls can be placed (otherwise the call step
    /// passes silently).
    async fn fire_due_alerts(&self, now: Timestamp, limit: i64, calls: bool) -> Result<Vec<Fired>>;
    /// When the earliest active timer is due.
    async fn next_alert_at(&self) -> Result<Option<Timestamp>>;
    /// The active timers of a shop (the dashboard shows each order's next step).
    async fn active_alerts(&self, shop: &ShopId) -> Result<Vec<OrderAlert>>;
    /// The timer of one order, whatever its status.
    async fn order_alert(&self, order: &OrderId) -> Result<Option<OrderAlert>>;
    /// The shop's member channels with their last delivery outcome.
    async fn channel_health(&self, shop: &ShopId) -> Result<Vec<ChannelHealth>>;
    /// Queues a notice about the shop (`Paused`, `Unheard`) to every channel of its owners;
    /// returns how many rows were queued.
    async fn notify_owners(
        &self,
        shop: &ShopId,
        event: NotifyEvent,
        problems: Vec<String>,
        now: Timestamp,
    ) -> Result<usize>;
}

// What both stores' escalation timers share (queries/alerts.rs, dynamo/alerts.rs).

/// The start of the shop's next day, in its time zone.
pub(crate) fn end_of_day(shop: &Shop, now: Timestamp) -> Timestamp {
    let tz = shop.tz();
    now.to_zoned(tz.clone())
        .date()
        .tomorrow()
        .ok()
        .and_then(|d| d.to_zoned(tz).ok())
        .map(|z| z.timestamp())
        .unwrap_or(now)
}

pub(crate) fn shop_payload(info: &ShopInfo) -> Payload {
    Payload {
        shop: info.slug.clone(),
        shop_name: Some(info.name.clone()),
        shop_phone: info.phone.clone(),
        shop_time_zone: Some(info.time_zone.clone()),
        ..Payload::default()
    }
}

/// One person to reach about an order.
pub(crate) struct Target {
    pub(crate) link_id: Option<i64>,
    pub(crate) channel: Channel,
    pub(crate) destination: String,
    pub(crate) user_id: Option<UserId>,
    pub(crate) locale: String,
}

impl Target {
    pub(crate) fn notification(
        &self,
        order: &Order,
        event: NotifyEvent,
        payload: &str,
        now: Timestamp,
    ) -> NewNotification {
        NewNotification {
            shop_id: Some(order.shop_id.clone()),
            order_id: Some(order.id.clone()),
            link_id: self.link_id,
            channel: self.channel,
            destination: self.destination.clone(),
            recipient: Recipient::Member,
            user_id: self.user_id.clone(),
            event,
            locale: self.locale.clone(),
            payload: payload.to_owned(),
            run_at: now,
            now,
        }
    }
}
