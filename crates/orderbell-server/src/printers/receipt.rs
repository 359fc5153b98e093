//! The ticket of an order, as sent to a printer: fixed words in the shop's language, money in
//! minor units for the client to format, times in the shop's time zone.

use orderbell_core::order::{Fulfillment, Order, OrderItem};
use orderbell_core::shop::Shop;
use orderbell_protocol::{Amount, Receipt, ReceiptItem};

/// Formats a time in the shop's zone (`2026-11-28 14:00`, or `14:00` for `time_only`).
pub fn local_time(shop: &Shop, at: orderbell_core::Timestamp, time_only: bool) -> String {
    let zone = jiff::tz::TimeZone::get(&shop.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let zoned = at.to_zoned(zone);
    zoned
        .strftime(if time_only { "%H:%M" } else { "%Y-%m-%d %H:%M" })
        .to_string()
}

fn fulfillment_text(shop: &Shop, f: &Fulfillment) -> String {
    let ko = shop.locale == "ko";
    match f {
        Fulfillment::Pickup => (if ko { "포장 Pickup" } else { "Pickup" }).to_owned(),
        Fulfillment::DineIn { table: Some(t) } => {
            if ko {
                format!("매장 · {t}번 테이블")
            } else {
                format!("Dine in · table {t}")
            }
        }
        Fulfillment::DineIn { table: None } => {
            (if ko { "매장 Dine in" } else { "Dine in" }).to_owned()
        }
        Fulfillment::Delivery { address } => {
            if ko {
                format!("배달 · {address}")
            } else {
                format!("Delivery · {address}")
            }
        }
    }
}

/// The customer as printed: the name, else the phone's last four digits.
fn customer_text(order: &Order) -> Option<String> {
    if let Some(name) = &order.customer.name {
        return Some(name.clone());
    }
    order.customer.phone.as_ref().map(|p| {
        let tail: String = p
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("…{tail}")
    })
}

fn item(shop: &Shop, i: &OrderItem) -> ReceiptItem {
    ReceiptItem {
        quantity: u32::try_from(i.quantity).unwrap_or(0),
        name: i.name.clone(),
        options: i
            .options
            .iter()
            .map(|o| {
                if o.price == 0 {
                    o.name.clone()
                } else {
                    format!("{} (+{})", o.name, shop.currency.format(o.price))
                }
            })
            .collect(),
        line_total: Amount::Minor(i.line_total),
    }
}

/// Builds the ticket. `keep` chooses the lines (a kitchen printer prints its categories only).
pub fn build(
    shop: &Shop,
    order: &Order,
    tracking_url: &str,
    keep: impl Fn(&OrderItem) -> bool,
) -> Receipt {
    let items: Vec<ReceiptItem> = order
        .items
        .iter()
        .filter(|i| keep(i))
        .map(|i| item(shop, i))
        .collect();
    let partial = items.len() != order.items.len();
    Receipt {
        shop_name: shop.name.clone(),
        order_number: order.number.to_string(),
        fulfillment: fulfillment_text(shop, &order.fulfillment),
        eta: order.expected_ready_at().map(|t| local_time(shop, t, true)),
        items,
        note: order.note.clone(),
        // A ticket with some lines left out shows no totals that would not add up.
        subtotal: None,
        total: if partial {
            Amount::Formatted(String::new())
        } else {
            Amount::Minor(order.total)
        },
        currency: order.currency.code().to_owned(),
        customer: customer_text(order),
        ordered_at: local_time(shop, order.created_at, false),
        tracking_url: Some(tracking_url.to_owned()),
        locale: Some(shop.locale.clone()),
        labels: None,
    }
}
