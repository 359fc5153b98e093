//! What a notification says ([`Payload`]): the snapshot written with the outbox row and read
//! back at send time, and what texts need to know about the shop ([`ShopInfo`]).

use orderbell_core::Timestamp;

/// What an account mail says (recipient `account`, channel `email`): who it greets and the
/// link it carries. Read back by the sender like [`Payload`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountMailPayload {
    pub name: String,
    pub link: String,
    /// What the mail's words name besides: the shop and role of an invitation, the device of a
    /// sign-in (`{key}` in the text).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub facts: std::collections::BTreeMap<String, String>,
}

impl AccountMailPayload {
    pub fn parse(json: &str) -> Result<AccountMailPayload, String> {
        serde_json::from_str(json).map_err(|e| format!("unreadable account mail payload: {e}"))
    }
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
