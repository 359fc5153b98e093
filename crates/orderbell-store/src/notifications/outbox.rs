//! The outbox and its delivery log: a notification row from queued to its outcome, what a
//! dispatcher reports when it finishes one, and what a provider reports later.

use orderbell_core::{OrderId, ShopId, Timestamp, UserId};

use super::{Channel, NotifyEvent};
use crate::stored_text::stored_text;

stored_text! {
    /// Where a notification stands. `queued` and `sending` wait to be sent (a `sending` row whose
    /// lease ran out is taken again); the delivery log moves `sent` → `delivered` → `read` or
    /// `failed` as providers report.
    pub enum NotificationStatus("notification status") {
        Queued = "queued",
        /// Claimed by a dispatcher (leased).
        Sending = "sending",
        /// The provider took it.
        Sent = "sent",
        Delivered = "delivered",
        Read = "read",
        Failed = "failed",
        /// Not sent any more (an escalation for an order someone acknowledged).
        Cancelled = "cancelled",
    }
}

stored_text! {
    /// Who a notification is for.
    pub enum Recipient("recipient") {
        Member = "member",
        Customer = "customer",
        /// The holder of an account, about the account itself (e-mail verification, password
        /// reset).
        Account = "account",
    }
}

/// A notification row: the outbox entry and its delivery log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub id: i64,
    /// `None` for account mail (verification, password reset), which is about no shop.
    pub shop_id: Option<ShopId>,
    pub order_id: Option<OrderId>,
    pub link_id: Option<i64>,
    pub channel: Channel,
    pub destination: String,
    pub recipient: Recipient,
    pub user_id: Option<UserId>,
    pub event: NotifyEvent,
    pub locale: String,
    /// JSON: what the message says (see [`super::Payload`]).
    pub payload: String,
    pub status: NotificationStatus,
    pub attempts: i64,
    pub run_at: Timestamp,
    pub locked_until: Option<Timestamp>,
    pub claim: Option<String>,
    pub provider_message_id: Option<String>,
    pub provider_status: Option<String>,
    pub error_code: Option<String>,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub sent_at: Option<Timestamp>,
    /// Web Push: the subscription keys of the link, when it still exists.
    pub link_keys: Option<String>,
    /// WhatsApp: when the recipient last wrote to us.
    pub link_last_inbound_at: Option<Timestamp>,
}

/// A notification queued outside an order transaction (escalations, tests, tools).
#[derive(Debug, Clone)]
pub struct NewNotification {
    /// `None` for account mail.
    pub shop_id: Option<ShopId>,
    pub order_id: Option<OrderId>,
    pub link_id: Option<i64>,
    pub channel: Channel,
    pub destination: String,
    pub recipient: Recipient,
    pub user_id: Option<UserId>,
    pub event: NotifyEvent,
    pub locale: String,
    pub payload: String,
    pub run_at: Timestamp,
    pub now: Timestamp,
}

/// What became of one claimed notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The provider took it.
    Sent {
        provider_message_id: Option<String>,
        provider_status: Option<String>,
    },
    /// Try again at `run_at`; the attempt counts.
    Retry {
        run_at: Timestamp,
        code: Option<String>,
        error: String,
    },
    /// Not now (a rate limit): back to the queue at `run_at`, the attempt does not count.
    Defer { run_at: Timestamp },
    /// Not sent after all: its order's escalation ended (someone answered) while it was
    /// already claimed.
    Cancelled,
    /// Given up. With `dead_link`, the destination is marked dead too.
    Failed {
        code: Option<String>,
        error: String,
        dead_link: bool,
    },
}

/// The outcome of one claim, with the claim token that proves the lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finish {
    pub id: i64,
    pub claim: String,
    pub now: Timestamp,
    pub outcome: Outcome,
}

/// A provider's report about a message it took (Twilio status callbacks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    pub channel: Channel,
    pub provider_message_id: String,
    /// The provider's own word: `queued`, `sent`, `delivered`, `read`, `failed`, `undelivered`…
    pub provider_status: String,
    pub error_code: Option<String>,
    /// Whether the error means the destination is gone for good.
    pub dead_link: bool,
    pub now: Timestamp,
}
