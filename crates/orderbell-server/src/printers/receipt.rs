//! The ticket of an order, as sent to a printer: fixed words in the shop's language (from
//! `orderbell_core::i18n`), money in minor units for the client to format, times in the shop's
//! time zone.

use orderbell_core::i18n::Lang;
use orderbell_core::order::{Order, OrderItem};
use orderbell_core::shop::Shop;
use orderbell_protocol::{Amount, Charge, Labels, Receipt, ReceiptItem};

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
    let fee = order.delivery_fee();
    Receipt {
        shop_name: shop.name.clone(),
        header: shop.receipt.header.clone(),
        footer: shop.receipt.footer.clone(),
        order_number: order.number.to_string(),
        fulfillment: lang.texts().fulfillment_of(&order.fulfillment),
        eta: order.expected_ready_at().map(|t| local_time(shop, t, true)),
        items,
        note: order.note.clone(),
        // A ticket with some lines left out shows no totals that would not add up; one with a
        // delivery fee shows the items, the fee and the total.
        subtotal: (!partial && fee > 0).then_some(Amount::Minor(order.subtotal)),
        charges: if !partial && fee > 0 {
            vec![Charge {
                label: lang.texts().delivery_fee.to_owned(),
                amount: Amount::Minor(fee),
            }]
        } else {
            vec![]
        },
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

    #[test]
    fn a_delivery_fee_is_printed_between_the_items_and_the_total() {
        let at = orderbell_core::Timestamp::from_second(1_800_000_000).unwrap();
        let shop = Shop {
            id: orderbell_core::ShopId::from_parts(0, [1; 10]),
            slug: "cafe".into(),
            name: "Cafe".into(),
            currency: orderbell_core::Currency::KRW,
            time_zone: "Asia/Seoul".into(),
            locale: "ko".into(),
            phone: None,
            accepting_orders: true,
            alerts: Default::default(),
            opening_hours: None,
            paused_until: None,
            default_eta_minutes: 15,
            guest_ordering: Default::default(),
            receipt: Default::default(),
            require_mfa_for_owners: false,
            created_at: at,
        };
        let line = |name: &str| OrderItem {
            menu_item_id: None,
            name: name.into(),
            quantity: 1,
            unit_price: 10_000,
            options: vec![],
            line_total: 10_000,
        };
        let order = Order {
            id: orderbell_core::OrderId::from_parts(0, [0; 10]),
            shop_id: shop.id.clone(),
            number: 1001,
            status: orderbell_core::order::OrderStatus::Pending,
            currency: orderbell_core::Currency::KRW,
            subtotal: 20_000,
            total: 23_000,
            items: vec![line("A"), line("B")],
            customer_id: None,
            customer: Default::default(),
            fulfillment: Fulfillment::Delivery {
                address: "1 Main St".into(),
            },
            note: None,
            source: orderbell_core::order::OrderSource::Guest,
            eta_minutes: None,
            reason: None,
            created_at: at,
            updated_at: at,
            acknowledged_at: None,
            accepted_at: None,
            ready_at: None,
            closed_at: None,
        };
        let ticket = build(&shop, &order, "https://x/t/1", |_| true);
        assert_eq!(ticket.subtotal, Some(Amount::Minor(20_000)));
        assert_eq!(
            ticket.charges,
            [Charge {
                label: "배달비".into(),
                amount: Amount::Minor(3_000)
            }]
        );
        assert_eq!(ticket.total, Amount::Minor(23_000));
        // A kitchen ticket with some lines shows no money that would not add up.
        let kitchen = build(&shop, &order, "https://x/t/1", |i| i.name == "A");
        assert_eq!((kitchen.subtotal, kitchen.charges.len()), (None, 0));
        // Without a fee: the total alone, as before.
        let pickup = Order {
            total: 20_000,
            fulfillment: Fulfillment::Pickup,
            ..order
        };
        let ticket = build(&shop, &pickup, "https://x/t/1", |_| true);
        assert_eq!((ticket.subtotal, ticket.charges.len()), (None, 0));
    }
}
