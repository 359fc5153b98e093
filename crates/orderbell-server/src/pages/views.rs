//! View models: orders, lines and times as pages show them (prices in the shop's currency,
//! times in the shop's time zone, words in the visitor's language).

use jiff::tz::TimeZone;
use orderbell_core::Timestamp;
use orderbell_core::order::{Order, OrderItem, OrderStatus};
use orderbell_core::shop::Shop;

use super::i18n::Texts;

/// The shop's time zone (UTC when the stored name is unknown to this build).
pub fn shop_tz(shop: &Shop) -> TimeZone {
    TimeZone::get(&shop.time_zone).unwrap_or(TimeZone::UTC)
}

/// `12:40` in the given zone.
pub fn clock(ts: Timestamp, tz: &TimeZone) -> String {
    ts.to_zoned(tz.clone()).strftime("%H:%M").to_string()
}

/// `2026-11-28 12:40` in the given zone.
pub fn date_time(ts: Timestamp, tz: &TimeZone) -> String {
    ts.to_zoned(tz.clone())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

/// One line of an order.
#[derive(Debug, Clone)]
pub struct LineView {
    pub quantity: i64,
    pub name: String,
    /// The chosen options, e.g. `Large (+₩700), Extra shot (+₩500)`.
    pub options: String,
    pub total: String,
}

impl LineView {
    pub fn new(item: &OrderItem, shop: &Shop) -> LineView {
        LineView {
            quantity: item.quantity,
            name: item.name.clone(),
            options: item
                .options
                .iter()
                .map(|o| {
                    if o.price == 0 {
                        o.name.clone()
                    } else {
                        format!("{} (+{})", o.name, shop.currency.format(o.price))
                    }
                })
                .collect::<Vec<_>>()
                .join(", "),
            total: shop.currency.format(item.line_total),
        }
    }
}

/// An order as the dashboard and the tracking page show it.
#[derive(Debug, Clone)]
pub struct OrderCard {
    pub id: String,
    pub number: i64,
    /// `pending`, `accepted`…
    pub status: &'static str,
    pub status_label: &'static str,
    pub acknowledged: bool,
    pub created: String,
    pub created_full: String,
    pub fulfillment: &'static str,
    pub fulfillment_label: &'static str,
    pub fulfillment_detail: Option<String>,
    pub customer_name: Option<String>,
    pub customer_phone: Option<String>,
    pub note: Option<String>,
    pub lines: Vec<LineView>,
    pub total: String,
    /// `12:40`: when it is expected to be (or became) ready.
    pub ready_at: Option<String>,
    pub reason: Option<String>,
}

impl OrderCard {
    pub fn new(order: &Order, shop: &Shop, t: &Texts) -> OrderCard {
        let tz = shop_tz(shop);
        OrderCard {
            id: order.id.to_string(),
            number: order.number,
            status: order.status.as_str(),
            status_label: t.status(order.status),
            acknowledged: order.acknowledged_at.is_some(),
            created: clock(order.created_at, &tz),
            created_full: date_time(order.created_at, &tz),
            fulfillment: order.fulfillment.kind(),
            fulfillment_label: t.fulfillment(order.fulfillment.kind()),
            fulfillment_detail: order.fulfillment.detail().map(str::to_owned),
            customer_name: order.customer.name.clone(),
            customer_phone: order.customer.phone.clone(),
            note: order.note.clone(),
            lines: order.items.iter().map(|i| LineView::new(i, shop)).collect(),
            total: shop.currency.format(order.total),
            ready_at: order.expected_ready_at().map(|ts| clock(ts, &tz)),
            reason: order.reason.clone(),
        }
    }

    pub fn is(&self, status: &str) -> bool {
        self.status == status
    }

    /// Whether the alarm should ring for it.
    pub fn alarming(&self) -> bool {
        self.status == OrderStatus::Pending.as_str() && !self.acknowledged
    }

    pub fn can_cancel(&self) -> bool {
        matches!(self.status, "pending" | "accepted" | "ready")
    }

    /// `tel:` link for the customer's phone.
    pub fn phone_link(&self) -> Option<String> {
        self.customer_phone.as_ref().map(|p| format!("tel:{p}"))
    }
}

/// ETA presets in 5-minute steps.
pub const ETA_PRESETS: [i64; 8] = [5, 10, 15, 20, 25, 30, 45, 60];
