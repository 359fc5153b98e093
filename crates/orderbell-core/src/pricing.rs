//! Turning an order request into priced lines. The server computes every total: guests send
//! menu item and option ids, shops' own systems (API keys) may send free-form lines with
//! prices, and both are bounded.

use std::collections::HashSet;

use serde::Deserialize;

use crate::ValidationErrors;
use crate::menu::{MAX_PRICE, Menu};
use crate::order::{CustomerInfo, Fulfillment, ItemOption, OrderItem};
use crate::shop::check_phone;
use crate::text::normalize_email;

/// Most lines an order may have.
pub const MAX_LINES: usize = 100;
/// Most options one line may have.
pub const MAX_OPTIONS_PER_LINE: usize = 20;
/// Largest quantity of one line.
pub const MAX_QUANTITY: i64 = 99;
/// Longest order note, in characters.
pub const NOTE_MAX: usize = 500;
/// Longest name of a free-form line or option, in characters.
pub const LINE_NAME_MAX: usize = 200;
/// Longest customer name, in characters.
pub const CUSTOMER_NAME_MAX: usize = 100;
/// Longest table, in characters.
pub const TABLE_MAX: usize = 20;
/// Longest delivery address, in characters.
pub const ADDRESS_MAX: usize = 500;

/// A new order, as posted by a guest or by the shop's own system.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderRequest {
    pub items: Vec<OrderLineRequest>,
    pub customer: Option<CustomerRequest>,
    /// Default: pickup.
    pub fulfillment: Option<Fulfillment>,
    pub note: Option<String>,
}

/// One line: either a menu item (`menu_item_id`, `option_ids`) or, with an API key, a free-form
/// line (`name`, `unit_price`, `options`).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderLineRequest {
    pub menu_item_id: Option<String>,
    pub option_ids: Option<Vec<String>>,
    pub name: Option<String>,
    pub unit_price: Option<i64>,
    pub options: Option<Vec<FreeOptionRequest>>,
    pub quantity: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FreeOptionRequest {
    pub name: String,
    pub price: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerRequest {
    pub name: Option<String>,
    /// International form, e.g. `+821012345678`.
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// What the caller may do and the bounds that apply.
#[derive(Debug, Clone)]
pub struct PricingRules {
    /// Free-form lines with prices are allowed (API keys), not only menu ids (guests).
    pub allow_free_form: bool,
    /// Largest total an order may have, in minor units.
    pub max_total: i64,
    /// Whether the shop is taking orders now.
    pub accepting_orders: bool,
    /// The shop's offered fulfilment types and minimum order, for guests; `None`: unbound
    /// (API keys).
    pub guest_ordering: Option<crate::shop::OrderingOptions>,
}

/// A checked, priced order, ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedOrder {
    pub items: Vec<OrderItem>,
    pub subtotal: i64,
    pub total: i64,
    pub customer: CustomerInfo,
    pub fulfillment: Fulfillment,
    pub note: Option<String>,
}

/// Checks and prices an order request against the shop's menu.
pub fn price_order(
    request: &OrderRequest,
    menu: &Menu,
    rules: PricingRules,
) -> Result<PricedOrder, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    if !rules.accepting_orders {
        errors.add(
            "shop",
            "not_accepting_orders",
            "the shop is not taking orders right now",
        );
        return Err(errors);
    }
    if request.items.is_empty() {
        errors.add("items", "required", "an order needs at least one item");
    } else if request.items.len() > MAX_LINES {
        errors.add(
            "items",
            "too_many",
            format!("an order may have at most {MAX_LINES} lines"),
        );
    }
    let mut items = Vec::with_capacity(request.items.len().min(MAX_LINES));
    for (i, line) in request.items.iter().take(MAX_LINES).enumerate() {
        let field = format!("items[{i}]");
        let priced = if line.menu_item_id.is_some() {
            price_menu_line(&mut errors, &field, line, menu, rules.allow_free_form)
        } else if rules.allow_free_form {
            price_free_line(&mut errors, &field, line)
        } else {
            errors.add(
                format!("{field}.menu_item_id"),
                "required",
                "choose an item from the menu",
            );
            None
        };
        items.extend(priced);
    }
    let mut subtotal: i64 = 0;
    for item in &items {
        subtotal = subtotal.saturating_add(item.line_total);
    }
    if errors.is_empty() && subtotal > rules.max_total {
        errors.add(
            "items",
            "out_of_range",
            format!(
                "the order total may be at most {} minor units",
                rules.max_total
            ),
        );
    }
    let customer = check_customer(&mut errors, request.customer.as_ref());
    let fulfillment = check_fulfillment(&mut errors, request.fulfillment.as_ref());
    if let Some(ordering) = &rules.guest_ordering {
        if !ordering.offers(fulfillment.kind()) {
            errors.add(
                "fulfillment.type",
                "not_offered",
                format!("this shop does not offer {}", fulfillment.kind()),
            );
        }
        if !items.is_empty() && subtotal < ordering.min_order {
            errors.add(
                "items",
                "below_minimum",
                format!(
                    "the order total must be at least {} minor units",
                    ordering.min_order
                ),
            );
        }
    }
    let fee = rules
        .guest_ordering
        .as_ref()
        .map_or(0, |o| o.fee_for(fulfillment.kind()));
    let note = errors.text("note", request.note.as_deref(), false, NOTE_MAX);
    errors.into_result()?;
    Ok(PricedOrder {
        items,
        subtotal,
        total: subtotal.saturating_add(fee),
        customer,
        fulfillment,
        note,
    })
}

fn check_quantity(
    errors: &mut ValidationErrors,
    field: &str,
    quantity: Option<i64>,
) -> Option<i64> {
    match quantity {
        None => {
            errors.add(
                format!("{field}.quantity"),
                "required",
                "quantity is required",
            );
            None
        }
        Some(q) => errors
            .range(&format!("{field}.quantity"), q, 1, MAX_QUANTITY)
            .then_some(q),
    }
}

fn line_total(unit_price: i64, options: &[ItemOption], quantity: i64) -> i64 {
    let unit = options
        .iter()
        .fold(unit_price, |sum, o| sum.saturating_add(o.price));
    unit.saturating_mul(quantity)
}

/// `with_hidden`: items hidden from guests may be ordered (API keys).
fn price_menu_line(
    errors: &mut ValidationErrors,
    field: &str,
    line: &OrderLineRequest,
    menu: &Menu,
    with_hidden: bool,
) -> Option<OrderItem> {
    if line.name.is_some() || line.unit_price.is_some() || line.options.is_some() {
        errors.add(
            field.to_owned(),
            "invalid",
            "a menu line takes menu_item_id and option_ids, not name, unit_price or options",
        );
    }
    let quantity = check_quantity(errors, field, line.quantity);
    let id = line.menu_item_id.as_deref().unwrap_or_default();
    // A hidden item is not on the menu for guests (who never order free-form lines).
    let Some(item) = menu.item(id).filter(|i| !i.hidden || with_hidden) else {
        errors.add(
            format!("{field}.menu_item_id"),
            "unknown",
            "no such item on this shop's menu",
        );
        return None;
    };
    if item.sold_out {
        errors.add(
            format!("{field}.menu_item_id"),
            "sold_out",
            format!("{} is sold out", item.name),
        );
    }
    let option_ids = line.option_ids.as_deref().unwrap_or_default();
    if option_ids.len() > MAX_OPTIONS_PER_LINE {
        errors.add(
            format!("{field}.option_ids"),
            "too_many",
            format!("at most {MAX_OPTIONS_PER_LINE} options per line"),
        );
        return None;
    }
    let mut seen = HashSet::new();
    let mut chosen = Vec::with_capacity(option_ids.len());
    let mut ok = true;
    for (j, option_id) in option_ids.iter().enumerate() {
        let ofield = format!("{field}.option_ids[{j}]");
        if !seen.insert(option_id.as_str()) {
            errors.add(ofield, "duplicate", "the same option is chosen twice");
            ok = false;
            continue;
        }
        let found = item
            .option_groups
            .iter()
            .flat_map(|g| g.options.iter().map(move |o| (g, o)))
            .find(|(_, o)| o.id.as_str() == option_id);
        match found {
            None => {
                errors.add(ofield, "unknown", "no such option for this item");
                ok = false;
            }
            Some((_, option)) if option.sold_out => {
                errors.add(ofield, "sold_out", format!("{} is sold out", option.name));
                ok = false;
            }
            Some((group, option)) => chosen.push((group, option)),
        }
    }
    if ok {
        for group in &item.option_groups {
            let count = i64::try_from(chosen.iter().filter(|(g, _)| g.id == group.id).count())
                .unwrap_or(i64::MAX);
            if count < group.min {
                errors.add(
                    format!("{field}.option_ids"),
                    "too_few",
                    format!("choose at least {} from {}", group.min, group.name),
                );
            } else if count > group.max {
                errors.add(
                    format!("{field}.option_ids"),
                    "too_many",
                    format!("choose at most {} from {}", group.max, group.name),
                );
            }
        }
    }
    let quantity = quantity?;
    let options: Vec<ItemOption> = chosen
        .iter()
        .map(|(_, o)| ItemOption {
            name: o.name.clone(),
            price: o.price,
        })
        .collect();
    Some(OrderItem {
        menu_item_id: Some(item.id.as_str().to_owned()),
        name: item.name.clone(),
        quantity,
        unit_price: item.price,
        line_total: line_total(item.price, &options, quantity),
        options,
    })
}

fn price_free_line(
    errors: &mut ValidationErrors,
    field: &str,
    line: &OrderLineRequest,
) -> Option<OrderItem> {
    if line.option_ids.is_some() {
        errors.add(
            format!("{field}.option_ids"),
            "invalid",
            "option_ids go with menu_item_id; free-form lines take options",
        );
    }
    let quantity = check_quantity(errors, field, line.quantity);
    let name = errors.text(
        &format!("{field}.name"),
        line.name.as_deref(),
        true,
        LINE_NAME_MAX,
    );
    let unit_price = match line.unit_price {
        None => {
            errors.add(
                format!("{field}.unit_price"),
                "required",
                "unit_price is required",
            );
            None
        }
        Some(p) => errors
            .range(&format!("{field}.unit_price"), p, 0, MAX_PRICE)
            .then_some(p),
    };
    let requested = line.options.as_deref().unwrap_or_default();
    if requested.len() > MAX_OPTIONS_PER_LINE {
        errors.add(
            format!("{field}.options"),
            "too_many",
            format!("at most {MAX_OPTIONS_PER_LINE} options per line"),
        );
        return None;
    }
    let mut options = Vec::with_capacity(requested.len());
    for (j, option) in requested.iter().enumerate() {
        let ofield = format!("{field}.options[{j}]");
        let name = errors.text(
            &format!("{ofield}.name"),
            Some(&option.name),
            true,
            LINE_NAME_MAX,
        );
        let price = option.price.unwrap_or(0);
        let price_ok = errors.range(&format!("{ofield}.price"), price, 0, MAX_PRICE);
        if let (Some(name), true) = (name, price_ok) {
            options.push(ItemOption { name, price });
        }
    }
    let (quantity, name, unit_price) = (quantity?, name?, unit_price?);
    Some(OrderItem {
        menu_item_id: None,
        line_total: line_total(unit_price, &options, quantity),
        name,
        quantity,
        unit_price,
        options,
    })
}

fn check_customer(
    errors: &mut ValidationErrors,
    customer: Option<&CustomerRequest>,
) -> CustomerInfo {
    let Some(c) = customer else {
        return CustomerInfo::default();
    };
    let name = errors.text("customer.name", c.name.as_deref(), false, CUSTOMER_NAME_MAX);
    let phone = check_phone(errors, "customer.phone", c.phone.as_deref());
    let email = match c.email.as_deref().filter(|e| !e.trim().is_empty()) {
        None => None,
        Some(raw) => {
            let email = normalize_email(raw);
            if email.is_none() {
                errors.add(
                    "customer.email",
                    "invalid",
                    "customer.email is not an e-mail address",
                );
            }
            email
        }
    };
    CustomerInfo { name, phone, email }
}

fn check_fulfillment(
    errors: &mut ValidationErrors,
    fulfillment: Option<&Fulfillment>,
) -> Fulfillment {
    match fulfillment {
        None | Some(Fulfillment::Pickup) => Fulfillment::Pickup,
        Some(Fulfillment::DineIn { table }) => Fulfillment::DineIn {
            table: errors.text("fulfillment.table", table.as_deref(), false, TABLE_MAX),
        },
        Some(Fulfillment::Delivery { address }) => Fulfillment::Delivery {
            address: errors
                .text("fulfillment.address", Some(address), true, ADDRESS_MAX)
                .unwrap_or_default(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::menu::{Category, MenuItem, MenuOption, OptionGroup};
    use crate::{CategoryId, MenuItemId, OptionGroupId, OptionId};

    fn id<T>(f: fn(i64, [u8; 10]) -> T, n: u8) -> T {
        f(0, [n; 10])
    }

    fn menu() -> Menu {
        let cat = id(CategoryId::from_parts, 1);
        let latte = id(MenuItemId::from_parts, 2);
        let size = id(OptionGroupId::from_parts, 3);
        let extras = id(OptionGroupId::from_parts, 4);
        let opt = |n: u8, g: &OptionGroupId, name: &str, price: i64, sold_out: bool| MenuOption {
            id: id(OptionId::from_parts, n),
            group_id: g.clone(),
            name: name.into(),
            price,
            sold_out,
            position: i64::from(n),
        };
        Menu {
            categories: vec![Category {
                id: cat.clone(),
                name: "Coffee".into(),
                position: 0,
                items: vec![
                    MenuItem {
                        id: latte.clone(),
                        category_id: cat.clone(),
                        name: "카페라떼 Caffe Latte".into(),
                        description: None,
                        price: 5000,
                        sold_out: false,
                        hidden: false,
                        position: 0,
                        photo_url: None,
                        option_groups: vec![
                            OptionGroup {
                                id: size.clone(),
                                item_id: latte.clone(),
                                name: "Size".into(),
                                min: 1,
                                max: 1,
                                position: 0,
                                options: vec![
                                    opt(10, &size, "Regular", 0, false),
                                    opt(11, &size, "Large", 700, false),
                                ],
                            },
                            OptionGroup {
                                id: extras.clone(),
                                item_id: latte.clone(),
                                name: "Extras".into(),
                                min: 0,
                                max: 2,
                                position: 1,
                                options: vec![
                                    opt(12, &extras, "Extra shot", 500, false),
                                    opt(13, &extras, "Oat milk", 600, true),
                                    opt(14, &extras, "Syrup", 300, false),
                                ],
                            },
                        ],
                    },
                    MenuItem {
                        id: id(MenuItemId::from_parts, 5),
                        category_id: cat,
                        name: "Sold out cake".into(),
                        description: None,
                        price: 6000,
                        sold_out: true,
                        hidden: false,
                        position: 1,
                        photo_url: None,
                        option_groups: vec![],
                    },
                ],
            }],
        }
    }

    fn rules(allow_free_form: bool) -> PricingRules {
        PricingRules {
            allow_free_form,
            max_total: 1_000_000,
            accepting_orders: true,
            guest_ordering: None,
        }
    }

    #[test]
    fn hidden_items_are_not_on_the_menu_for_guests() {
        let mut menu = menu();
        let item = &mut menu.categories[0].items[1];
        item.sold_out = false;
        item.hidden = true;
        let id = item.id.to_string();
        let request = parse(&format!(
            r#"{{"items":[{{"menu_item_id":"{id}","quantity":1}}]}}"#
        ));
        let errors = price_order(&request, &menu, rules(false)).unwrap_err();
        assert_eq!(errors.0[0].code, "unknown");
        // A shop's own key may still order it.
        assert!(price_order(&request, &menu, rules(true)).is_ok());
        menu.hide_from_guests();
        assert!(menu.item(&id).is_none());
    }

    #[test]
    fn guests_order_what_the_shop_offers_above_its_minimum() {
        let ordering = crate::shop::OrderingOptions {
            pickup: true,
            dine_in: false,
            delivery: false,
            min_order: 10_000,
            ..Default::default()
        };
        let guest = PricingRules {
            guest_ordering: Some(ordering),
            ..rules(true)
        };
        let order = |fulfillment: &str, price: i64| {
            parse(&format!(
                r#"{{"items":[{{"name":"A","quantity":1,"unit_price":{price}}}],"fulfillment":{fulfillment}}}"#
            ))
        };
        let codes = |r: Result<PricedOrder, ValidationErrors>| -> Vec<(String, &'static str)> {
            r.err()
                .map(|e| e.0.into_iter().map(|f| (f.field, f.code)).collect())
                .unwrap_or_default()
        };
        assert!(
            price_order(
                &order(r#"{"type":"pickup"}"#, 10_000),
                &menu(),
                guest.clone()
            )
            .is_ok()
        );
        assert_eq!(
            codes(price_order(
                &order(r#"{"type":"dine_in","table":"3"}"#, 12_000),
                &menu(),
                guest.clone()
            )),
            [("fulfillment.type".to_owned(), "not_offered")]
        );
        assert_eq!(
            codes(price_order(
                &order(r#"{"type":"pickup"}"#, 9_999),
                &menu(),
                guest
            )),
            [("items".to_owned(), "below_minimum")]
        );
        // An API key is not bound by the guest rules.
        assert!(
            price_order(
                &order(r#"{"type":"delivery","address":"1 Main St"}"#, 100),
                &menu(),
                rules(true)
            )
            .is_ok()
        );
    }

    #[test]
    fn a_guest_delivery_order_carries_the_shops_delivery_fee() {
        let guest = PricingRules {
            guest_ordering: Some(crate::shop::OrderingOptions {
                min_order: 10_000,
                delivery_fee: 3_000,
                ..Default::default()
            }),
            ..rules(true)
        };
        let order = |fulfillment: &str| {
            parse(&format!(
                r#"{{"items":[{{"name":"A","quantity":1,"unit_price":10000}}],"fulfillment":{fulfillment}}}"#
            ))
        };
        let delivery = order(r#"{"type":"delivery","address":"1 Main St"}"#);
        // The minimum counts the items only; the fee comes on top.
        let priced = price_order(&delivery, &menu(), guest.clone()).unwrap();
        assert_eq!((priced.subtotal, priced.total), (10_000, 13_000));
        let priced = price_order(&order(r#"{"type":"pickup"}"#), &menu(), guest).unwrap();
        assert_eq!((priced.subtotal, priced.total), (10_000, 10_000));
        // An API key's order is priced by the integrator's own site.
        let priced = price_order(&delivery, &menu(), rules(true)).unwrap();
        assert_eq!(priced.total, 10_000);
    }

    fn parse(json: &str) -> OrderRequest {
        serde_json::from_str(json).unwrap()
    }

    fn oid(n: u8) -> String {
        id(OptionId::from_parts, n).to_string()
    }

    fn latte() -> String {
        id(MenuItemId::from_parts, 2).to_string()
    }

    #[test]
    fn prices_a_guest_order_from_the_menu() {
        let req = parse(&format!(
            r#"{{"items":[{{"menu_item_id":"{}","quantity":2,"option_ids":["{}","{}"]}}],
                "customer":{{"name":"Kim","phone":"+82 10 1234 5678"}},"fulfillment":{{"type":"dine_in","table":"7"}}}}"#,
            latte(),
            oid(11),
            oid(12)
        ));
        let priced = price_order(&req, &menu(), rules(false)).unwrap();
        assert_eq!(priced.items[0].line_total, (5000 + 700 + 500) * 2);
        assert_eq!(priced.total, 12400);
        assert_eq!(priced.customer.phone.as_deref(), Some("+821012345678"));
        assert_eq!(
            priced.fulfillment,
            Fulfillment::DineIn {
                table: Some("7".into())
            }
        );
    }

    #[test]
    fn guest_lines_are_checked_against_the_menu() {
        let req = parse(&format!(
            r#"{{"items":[
                {{"menu_item_id":"{latte}","quantity":1,"option_ids":[]}},
                {{"menu_item_id":"{latte}","quantity":1,"option_ids":["{a}","{b}"]}},
                {{"menu_item_id":"{latte}","quantity":1,"option_ids":["{c}","{d}"]}},
                {{"menu_item_id":"{cake}","quantity":1}},
                {{"menu_item_id":"nope","quantity":1}},
                {{"name":"Free","unit_price":1,"quantity":1}},
                {{"menu_item_id":"{latte}","quantity":1,"option_ids":["{c}","{e}","{f}","{g}"]}}
            ]}}"#,
            latte = latte(),
            a = oid(10),
            b = oid(11),
            c = oid(10),
            d = oid(13),
            cake = id(MenuItemId::from_parts, 5),
            e = oid(12),
            f = oid(14),
            g = oid(12),
        ));
        let errors = price_order(&req, &menu(), rules(false)).unwrap_err();
        let got: Vec<(&str, &str)> = errors
            .0
            .iter()
            .map(|e| (e.field.as_str(), e.code))
            .collect();
        assert_eq!(
            got,
            [
                ("items[0].option_ids", "too_few"),
                ("items[1].option_ids", "too_many"),
                ("items[2].option_ids[1]", "sold_out"),
                ("items[3].menu_item_id", "sold_out"),
                ("items[4].menu_item_id", "unknown"),
                ("items[5].menu_item_id", "required"),
                ("items[6].option_ids[3]", "duplicate"),
            ]
        );
    }

    #[test]
    fn quantities_outside_one_to_99_are_refused() {
        for q in [0, -1, 100, 1000] {
            let req = parse(&format!(
                r#"{{"items":[{{"menu_item_id":"{}","quantity":{q},"option_ids":["{}"]}}]}}"#,
                latte(),
                oid(10)
            ));
            let errors = price_order(&req, &menu(), rules(false)).unwrap_err();
            assert_eq!(errors.0[0].field, "items[0].quantity", "{q}");
            assert_eq!(errors.0[0].code, "out_of_range");
        }
    }

    #[test]
    fn free_form_lines_are_bounded() {
        let req = parse(
            r#"{"items":[{"name":"Americano","quantity":2,"unit_price":4500,"options":[{"name":"Extra shot","price":500}]}],
                "note":"less ice"}"#,
        );
        let priced = price_order(&req, &menu(), rules(true)).unwrap();
        assert_eq!(priced.total, 10000);
        assert_eq!(priced.note.as_deref(), Some("less ice"));

        let too_big = parse(r#"{"items":[{"name":"Gold","quantity":99,"unit_price":100000000}]}"#);
        let errors = price_order(&too_big, &menu(), rules(true)).unwrap_err();
        assert_eq!(errors.0[0].field, "items");
        assert_eq!(errors.0[0].code, "out_of_range");

        let negative = parse(r#"{"items":[{"name":"Refund","quantity":1,"unit_price":-5}]}"#);
        let errors = price_order(&negative, &menu(), rules(true)).unwrap_err();
        assert_eq!(errors.0[0].field, "items[0].unit_price");

        let long = format!(
            r#"{{"items":[{{"name":"{}","quantity":1,"unit_price":5}}]}}"#,
            "x".repeat(201)
        );
        let errors = price_order(&parse(&long), &menu(), rules(true)).unwrap_err();
        assert_eq!(errors.0[0].code, "too_long");

        let lines = vec![r#"{"name":"A","quantity":1,"unit_price":1}"#; 101].join(",");
        let errors = price_order(
            &parse(&format!(r#"{{"items":[{lines}]}}"#)),
            &menu(),
            rules(true),
        )
        .unwrap_err();
        assert_eq!(errors.0[0].code, "too_many");
    }

    #[test]
    fn a_closed_shop_takes_no_orders() {
        let req = parse(r#"{"items":[{"name":"A","quantity":1,"unit_price":1}]}"#);
        let mut r = rules(true);
        r.accepting_orders = false;
        let errors = price_order(&req, &menu(), r).unwrap_err();
        assert_eq!(errors.0[0].code, "not_accepting_orders");
    }

    #[test]
    fn delivery_needs_an_address() {
        let req = parse(
            r#"{"items":[{"name":"A","quantity":1,"unit_price":1}],"fulfillment":{"type":"delivery","address":" "}}"#,
        );
        let errors = price_order(&req, &menu(), rules(true)).unwrap_err();
        assert_eq!(errors.0[0].field, "fulfillment.address");
    }
}
