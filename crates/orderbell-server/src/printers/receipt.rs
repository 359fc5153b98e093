//! The ticket of an order, as sent to a printer: fixed words in the shop's language (from
//! `orderbell_core::i18n`), money in minor units for the client to format, times in the shop's
//! time zone.

use orderbell_core::i18n::Lang;
use orderbell_core::order::{Order, OrderItem};
use orderbell_core::shop::Shop;
use orderbell_protocol::{Amount, Labels, Receipt, ReceiptItem};

/// Formats a time in the shop's zone (`2026-11-28 14:00`, or `14:00` for `time_only`).
pub fn local_time(shop: &Shop, at: orderbell_core::Timestamp, time_only: bool) -> String {
    let zone = jiff::tz::TimeZone::get(&shop.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let zoned = at.to_zoned(zone);
    zoned
        .strftime(if time_only { "%H:%M" } else { "%Y-%m-%d %H:%M" })
        .to_string()
}

/// The fixed words of a ticket in the shop's language, from the translation table.
pub fn labels(lang: Lang) -> Labels {
    let t = lang.texts();
    Labels {
        order: t.ticket_order.into(),
        reprint: t.ticket_reprint.into(),
        eta: t.ticket_eta.into(),
        note: t.note_label.into(),
        subtotal: t.ticket_subtotal.into(),
        total: t.total.into(),
        customer: t.ticket_customer.into(),
        ordered_at: t.ticket_ordered_at.into(),
        track: t.ticket_track.into(),
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
    let lang = Lang::from_tag(&shop.locale);
    Receipt {
        shop_name: shop.name.clone(),
        header: shop.receipt.header.clone(),
        footer: shop.receipt.footer.clone(),
        order_number: order.number.to_string(),
        fulfillment: lang.texts().fulfillment_of(&order.fulfillment),
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
        labels: Some(labels(lang)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orderbell_core::order::Fulfillment;

    /// A printer client that gets no labels prints the encoder's own defaults: the same words.
    #[test]
    fn ticket_words_match_the_encoders_defaults() {
        for lang in Lang::ALL {
            let ours = labels(lang);
            let theirs = orderbell_escpos::receipt::Labels::for_locale(lang.code());
            assert_eq!(
                [
                    &ours.order,
                    &ours.reprint,
                    &ours.eta,
                    &ours.note,
                    &ours.subtotal,
                    &ours.total,
                    &ours.customer,
                    &ours.ordered_at,
                    &ours.track,
                ],
                [
                    &theirs.order,
                    &theirs.reprint,
                    &theirs.eta,
                    &theirs.note,
                    &theirs.subtotal,
                    &theirs.total,
                    &theirs.customer,
                    &theirs.ordered_at,
                    &theirs.track,
                ],
                "{lang:?}"
            );
        }
    }

    #[test]
    fn fulfilment_words_come_from_the_table() {
        let ko = Lang::Ko.texts();
        let table = Fulfillment::DineIn {
            table: Some("5".into()),
        };
        assert_eq!(ko.fulfillment_of(&table), "매장 5번 테이블");
        assert_eq!(ko.fulfillment_of(&Fulfillment::Pickup), ko.pickup);
        assert_eq!(
            Lang::En.texts().fulfillment_of(&Fulfillment::Delivery {
                address: "1 Main St".into()
            }),
            "Delivery: 1 Main St"
        );
    }
}
