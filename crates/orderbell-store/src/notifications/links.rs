//! Channel links: where people hear from us (a member's chat, number or device, or a
//! customer's, following one order), and the one-time codes that link a member's chat.

use orderbell_core::{OrderId, ShopId, Timestamp, UserId};

use super::Channel;
use crate::stored_text::stored_text;

stored_text! {
    /// Where a link stands.
    pub enum LinkStatus("link status") {
        /// Messages go there.
        Active = "active",
        /// The provider said the destination is gone.
        Dead = "dead",
        /// The person said stop.
        Unlinked = "unlinked",
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
    pub status: LinkStatus,
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
