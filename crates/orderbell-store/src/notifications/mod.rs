//! Notifications: channel links (where people hear from us), one-time link codes, per-shop
//! settings, the outbox with its delivery log, and the provider webhook log.
//!
//! Outbox rows are written in the same transaction as the order change that causes them
//! (`queries::notifications::order_created` / `order_changed`). A dispatcher then claims due rows
//! with a lease ([`NotificationStore::claim_notifications`]), sends them after the claim has
//! committed, and records each outcome ([`NotificationStore::finish_notifications`]). A lease
//! that runs out (a crashed instance) makes the row claimable again; completions carry the claim
//! token, so a late finisher cannot overwrite a row someone else has claimed since.

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use orderbell_core::{OrderId, ShopId, Timestamp, UserId};

use crate::Result;

/// A way to reach a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    Telegram,
    Whatsapp,
    Webpush,
    Fcm,
    /// A phone call (escalation); never a linked channel, the number comes from the account or
    /// the shop.
    Voice,
}

impl Channel {
    /// The channels people link (and shops choose per event).
    pub const ALL: [Channel; 4] = [
        Channel::Telegram,
        Channel::Whatsapp,
        Channel::Webpush,
        Channel::Fcm,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Telegram => "telegram",
            Channel::Whatsapp => "whatsapp",
            Channel::Webpush => "webpush",
            Channel::Fcm => "fcm",
            Channel::Voice => "voice",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Channel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Channel::ALL
            .into_iter()
            .chain([Channel::Voice])
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown channel {s:?}"))
    }
}

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NotifyEvent {
    NewOrder,
    Accepted,
    Ready,
    Rejected,
    Cancelled,
    Completed,
    Missed,
    /// Telegram: edit a member's new-order message to show the order's new status.
    StatusEdit,
    /// Escalation: the order is still unanswered (a new message, so the phone buzzes again).
    Reminder,
    /// Escalation: a phone call about the unanswered order.
    Call,
    /// To the owners: ordering paused itself after orders went unanswered.
    Paused,
    /// To the owners: nobody would hear a new order now.
    Unheard,
}

impl NotifyEvent {
    /// Events members can choose per channel in the shop's settings.
    pub const MEMBER_CHOICES: [NotifyEvent; 7] = [
        NotifyEvent::NewOrder,
        NotifyEvent::Accepted,
        NotifyEvent::Ready,
        NotifyEvent::Rejected,
        NotifyEvent::Cancelled,
        NotifyEvent::Completed,
        NotifyEvent::Missed,
    ];

    /// Events the server sends on its own (edits, escalation, notices).
    pub const SYSTEM: [NotifyEvent; 5] = [
        NotifyEvent::StatusEdit,
        NotifyEvent::Reminder,
        NotifyEvent::Call,
        NotifyEvent::Paused,
        NotifyEvent::Unheard,
    ];

    /// Escalation events: cancelled, while still queued, when the order is acknowledged.
    pub const ESCALATION: [NotifyEvent; 2] = [NotifyEvent::Reminder, NotifyEvent::Call];

    pub fn as_str(self) -> &'static str {
        match self {
            NotifyEvent::NewOrder => "new_order",
            NotifyEvent::Accepted => "accepted",
            NotifyEvent::Ready => "ready",
            NotifyEvent::Rejected => "rejected",
            NotifyEvent::Cancelled => "cancelled",
            NotifyEvent::Completed => "completed",
            NotifyEvent::Missed => "missed",
            NotifyEvent::StatusEdit => "status_edit",
            NotifyEvent::Reminder => "reminder",
            NotifyEvent::Call => "call",
            NotifyEvent::Paused => "paused",
            NotifyEvent::Unheard => "unheard",
        }
    }
}

impl FromStr for NotifyEvent {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NotifyEvent::MEMBER_CHOICES
            .into_iter()
            .chain(NotifyEvent::SYSTEM)
            .find(|e| e.as_str() == s)
            .ok_or_else(|| format!("unknown notification event {s:?}"))
    }
}

/// Which events reach members on which channels (per shop).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberSettings {
    pub new_order: Vec<Channel>,
    pub accepted: Vec<Channel>,
    pub ready: Vec<Channel>,
    pub rejected: Vec<Channel>,
    pub cancelled: Vec<Channel>,
    pub completed: Vec<Channel>,
    pub missed: Vec<Channel>,
}

impl Default for MemberSettings {
    /// New orders on every channel; cancellations and missed orders too; nothing else (members
    /// make those changes themselves).
    fn default() -> Self {
        let all = Channel::ALL.to_vec();
        MemberSettings {
            new_order: all.clone(),
            accepted: vec![],
            ready: vec![],
            rejected: vec![],
            cancelled: all.clone(),
            completed: vec![],
            missed: all,
        }
    }
}

impl MemberSettings {
    pub fn channels(&self, event: NotifyEvent) -> &[Channel] {
        match event {
            NotifyEvent::NewOrder => &self.new_order,
            NotifyEvent::Accepted => &self.accepted,
            NotifyEvent::Ready => &self.ready,
            NotifyEvent::Rejected => &self.rejected,
            NotifyEvent::Cancelled => &self.cancelled,
            NotifyEvent::Completed => &self.completed,
            NotifyEvent::Missed => &self.missed,
            NotifyEvent::StatusEdit
            | NotifyEvent::Call
            | NotifyEvent::Paused
            | NotifyEvent::Unheard => &[],
            // Repeats go where new orders go.
            NotifyEvent::Reminder => &self.new_order,
        }
    }

    pub fn wants(&self, event: NotifyEvent, channel: Channel) -> bool {
        self.channels(event).contains(&channel)
    }

    fn channels_mut(&mut self, event: NotifyEvent) -> Option<&mut Vec<Channel>> {
        Some(match event {
            NotifyEvent::NewOrder => &mut self.new_order,
            NotifyEvent::Accepted => &mut self.accepted,
            NotifyEvent::Ready => &mut self.ready,
            NotifyEvent::Rejected => &mut self.rejected,
            NotifyEvent::Cancelled => &mut self.cancelled,
            NotifyEvent::Completed => &mut self.completed,
            NotifyEvent::Missed => &mut self.missed,
            NotifyEvent::StatusEdit
            | NotifyEvent::Reminder
            | NotifyEvent::Call
            | NotifyEvent::Paused
            | NotifyEvent::Unheard => return None,
        })
    }

    /// `{"new_order":["telegram",…],"accepted":[],…}`: every event, channels sorted.
    pub fn to_json(&self) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        for event in NotifyEvent::MEMBER_CHOICES {
            let mut channels = self.channels(event).to_vec();
            channels.sort();
            channels.dedup();
            map.insert(
                event.as_str().to_owned(),
                channels.iter().map(|c| c.as_str()).collect(),
            );
        }
        serde_json::Value::Object(map)
    }

    /// Reads [`MemberSettings::to_json`]'s shape; events left out keep their defaults. Unknown
    /// events or channels are an error naming them.
    pub fn from_json(value: &serde_json::Value) -> Result<MemberSettings, String> {
        let map = value
            .as_object()
            .ok_or_else(|| "settings must be an object of event: [channels]".to_owned())?;
        let mut settings = MemberSettings::default();
        for (key, list) in map {
            let event: NotifyEvent = key.parse()?;
            let slot = settings
                .channels_mut(event)
                .ok_or_else(|| format!("unknown notification event {key:?}"))?;
            let items = list
                .as_array()
                .ok_or_else(|| format!("{key} must be a list of channels"))?;
            let mut channels = Vec::with_capacity(items.len());
            for item in items {
                let name = item
                    .as_str()
                    .ok_or_else(|| format!("{key} must be a list of channel names"))?;
                channels.push(name.parse::<Channel>()?);
            }
            channels.sort();
            channels.dedup();
            *slot = channels;
        }
        Ok(settings)
    }
}

/// A link as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelLink {
    pub id: i64,
    pub channel: Channel,
    /// Telegram chat id, E.164 number, push endpoint or FCM token.
    pub address: String,
    /// Web Push: the subscription's keys as JSON `{"p256dh":…,"auth":…}`.
    pub keys: Option<String>,
    pub user_id: Option<UserId>,
    pub shop_id: Option<ShopId>,
    pub order_id: Option<OrderId>,
    pub locale: Option<String>,
    pub label: Option<String>,
    /// `active`, `dead` (the provider said it is gone) or `unlinked` (the person said stop).
    pub status: String,
    pub status_reason: Option<String>,
    /// WhatsApp: when the person last wrote to us (the 24-hour session window).
    pub last_inbound_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

/// A link to create, or to bring back to life when the same one exists.
#[derive(Debug, Clone)]
pub struct NewLink {
    pub channel: Channel,
    pub address: String,
    pub keys: Option<String>,
    /// For a member: the user (and optionally one shop).
    pub user_id: Option<UserId>,
    pub shop_id: Option<ShopId>,
    /// For a customer: the order.
    pub order_id: Option<OrderId>,
    pub locale: Option<String>,
    pub label: Option<String>,
    /// Whether this link was made by the person writing to us (opens the WhatsApp window).
    pub inbound: bool,
    pub now: Timestamp,
}

impl NewLink {
    /// A member's chat, number or device (for every shop of theirs, or `shop` only).
    pub fn member(
        channel: Channel,
        address: String,
        user: UserId,
        shop: Option<ShopId>,
        now: Timestamp,
    ) -> NewLink {
        NewLink {
            channel,
            address,
            keys: None,
            user_id: Some(user),
            shop_id: shop,
            order_id: None,
            locale: None,
            label: None,
            inbound: false,
            now,
        }
    }

    /// A customer's chat, number or browser following one order.
    pub fn customer(
        channel: Channel,
        address: String,
        shop: ShopId,
        order: OrderId,
        now: Timestamp,
    ) -> NewLink {
        NewLink {
            channel,
            address,
            keys: None,
            user_id: None,
            shop_id: Some(shop),
            order_id: Some(order),
            locale: None,
            label: None,
            inbound: false,
            now,
        }
    }
}

/// A one-time code that links a member's chat or number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkCode {
    pub channel: Option<Channel>,
    pub user_id: UserId,
    pub shop_id: ShopId,
    pub expires_at: Timestamp,
}

/// Who a notification is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipient {
    Member,
    Customer,
}

impl Recipient {
    pub fn as_str(self) -> &'static str {
        match self {
            Recipient::Member => "member",
            Recipient::Customer => "customer",
        }
    }
}

/// A notification row: the outbox entry and its delivery log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub id: i64,
    pub shop_id: ShopId,
    pub order_id: Option<OrderId>,
    pub link_id: Option<i64>,
    pub channel: Channel,
    pub destination: String,
    pub recipient: Recipient,
    pub user_id: Option<UserId>,
    pub event: NotifyEvent,
    pub locale: String,
    /// JSON: what the message says (see `queries::notifications::Payload`).
    pub payload: String,
    /// `queued`, `sending`, `sent`, `delivered`, `read`, `failed` or `cancelled`.
    pub status: String,
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

/// What a notification says: a snapshot written with the outbox row (in the order's transaction)
/// and read back at send time to render the text. One type for the writer and the reader, so a
/// renamed field fails to compile instead of failing at send time. Notices about the shop (paused,
/// unheard) leave the order fields empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Payload {
    /// The shop's slug.
    pub shop: String,
    #[serde(default)]
    pub shop_name: Option<String>,
    #[serde(default)]
    pub shop_phone: Option<String>,
    /// IANA time zone, for times in the text.
    #[serde(default)]
    pub shop_time_zone: Option<String>,
    #[serde(default)]
    pub order_id: String,
    #[serde(default)]
    pub number: i64,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub currency: String,
    #[serde(default)]
    pub total: i64,
    #[serde(default)]
    pub items: Vec<orderbell_core::order::OrderItem>,
    #[serde(default)]
    pub fulfillment: FulfillmentSnapshot,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub eta_minutes: Option<i64>,
    #[serde(default)]
    pub reason: Option<String>,
    /// Who made the change (a member's name).
    #[serde(default)]
    pub actor: Option<String>,
    /// Telegram status edits: the message to edit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<i64>,
    /// Escalation: how long the order has waited, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waited_seconds: Option<i64>,
    /// Notices: ordering is paused until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_until: Option<Timestamp>,
    /// Notices: what keeps the shop from hearing orders (readiness problem codes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

/// How the order reaches the guest, as the payload keeps it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FulfillmentSnapshot {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub detail: Option<String>,
}

impl Payload {
    /// The snapshot of an order (and who changed it).
    pub fn of_order(
        order: &orderbell_core::order::Order,
        shop: &ShopInfo,
        actor: Option<&orderbell_core::order::Actor>,
    ) -> Payload {
        Payload {
            shop: shop.slug.clone(),
            shop_name: Some(shop.name.clone()),
            shop_phone: shop.phone.clone(),
            shop_time_zone: Some(shop.time_zone.clone()),
            order_id: order.id.as_str().to_owned(),
            number: order.number,
            status: order.status.as_str().to_owned(),
            currency: order.currency.code().to_owned(),
            total: order.total,
            items: order.items.clone(),
            fulfillment: FulfillmentSnapshot {
                kind: order.fulfillment.kind().to_owned(),
                detail: order.fulfillment.detail().map(str::to_owned),
            },
            note: order.note.clone(),
            eta_minutes: order.eta_minutes,
            reason: order.reason.clone(),
            actor: actor.and_then(|a| a.name.clone()),
            ..Payload::default()
        }
    }

    pub fn to_json(&self) -> crate::Result<String> {
        serde_json::to_string(self).map_err(|e| crate::StoreError::Backend(e.to_string()))
    }

    pub fn parse(json: &str) -> Result<Payload, String> {
        serde_json::from_str(json).map_err(|e| format!("unreadable notification payload: {e}"))
    }
}

/// What notification texts need to know about a shop.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShopInfo {
    pub slug: String,
    pub name: String,
    pub phone: Option<String>,
    pub locale: String,
    pub time_zone: String,
}

/// A notification queued outside an order transaction (escalations, tests, tools).
#[derive(Debug, Clone)]
pub struct NewNotification {
    pub shop_id: ShopId,
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use orderbell_core::order::{
        Actor, CustomerInfo, Fulfillment, Order, OrderItem, OrderSource, OrderStatus,
    };
    use orderbell_core::{Currency, OrderId, ShopId, Timestamp};

    use super::*;

    /// The writer's snapshot reads back as the very same value (one type for both sides).
    #[test]
    fn the_payload_round_trips() {
        let t = Timestamp::from_second(1_800_000_000).unwrap();
        let order = Order {
            id: OrderId::from_parts(0, [1; 10]),
            shop_id: ShopId::from_parts(0, [2; 10]),
            number: 1042,
            status: OrderStatus::Accepted,
            source: OrderSource::Api,
            currency: Currency::KRW,
            items: vec![OrderItem {
                menu_item_id: None,
                name: "아메리카노".into(),
                quantity: 2,
                unit_price: 4500,
                options: vec![],
                line_total: 9000,
            }],
            subtotal: 9000,
            total: 9000,
            customer: CustomerInfo::default(),
            customer_id: None,
            fulfillment: Fulfillment::DineIn {
                table: Some("4".into()),
            },
            note: Some("less ice".into()),
            eta_minutes: Some(15),
            reason: None,
            created_at: t,
            updated_at: t,
            acknowledged_at: Some(t),
            accepted_at: Some(t),
            ready_at: None,
            closed_at: None,
        };
        let shop = ShopInfo {
            slug: "cafe".into(),
            name: "Kim's Café".into(),
            phone: Some("+8221234567".into()),
            locale: "ko".into(),
            time_zone: "Asia/Seoul".into(),
        };
        let actor = Actor {
            kind: "user".into(),
            id: None,
            name: Some("Kim".into()),
        };
        let p = Payload {
            message_id: Some(7),
            waited_seconds: Some(125),
            paused_until: Some(t),
            problems: vec!["printer_offline".into()],
            ..Payload::of_order(&order, &shop, Some(&actor))
        };
        let back = Payload::parse(&p.to_json().unwrap()).unwrap();
        assert_eq!(back, p);
        assert_eq!(back.fulfillment.kind, "dine_in");
        assert_eq!(back.fulfillment.detail.as_deref(), Some("4"));
        assert_eq!(back.actor.as_deref(), Some("Kim"));
        // A notice about the shop has no order fields and still reads back.
        let notice = Payload {
            shop: "cafe".into(),
            ..Payload::default()
        };
        assert_eq!(Payload::parse(&notice.to_json().unwrap()).unwrap(), notice);
    }
}
