//! Any bytes as an order request: parsed strictly, priced against a small menu with options,
//! as a guest (with the shop's rules) and as an API key. Never a panic; a priced order's
//! totals add up and stay within the bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use orderbell_core::menu::{Category, Menu, MenuItem, MenuOption, OptionGroup};
use orderbell_core::pricing::{OrderRequest, PricingRules, price_order};
use orderbell_core::shop::OrderingOptions;
use orderbell_core::{CategoryId, MenuItemId, OptionGroupId, OptionId};

fn menu() -> Menu {
    let cat = CategoryId::from_parts(1, [1; 10]);
    let item = MenuItemId::from_parts(1, [2; 10]);
    let group = OptionGroupId::from_parts(1, [3; 10]);
    let option = |n: u8, price: i64| MenuOption {
        id: OptionId::from_parts(1, [n; 10]),
        group_id: group.clone(),
        name: format!("o{n}"),
        price,
        sold_out: n == 6,
        position: i64::from(n),
    };
    Menu {
        categories: vec![Category {
            id: cat.clone(),
            name: "C".into(),
            position: 0,
            items: vec![MenuItem {
                id: item.clone(),
                category_id: cat,
                name: "Latte".into(),
                description: None,
                price: 5000,
                sold_out: false,
                hidden: false,
                position: 0,
                photo_url: None,
                option_groups: vec![OptionGroup {
                    id: group.clone(),
                    item_id: item,
                    name: "Size".into(),
                    min: 1,
                    max: 2,
                    position: 0,
                    options: vec![option(4, 0), option(5, 700), option(6, 100)],
                }],
            }],
        }],
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(request) = serde_json::from_slice::<OrderRequest>(data) else {
        return;
    };
    let menu = menu();
    let max_total = 1_000_000;
    let guest = PricingRules {
        allow_free_form: false,
        max_total,
        accepting_orders: true,
        guest_ordering: Some(OrderingOptions {
            min_order: 1000,
            delivery_fee: 3000,
            ..Default::default()
        }),
    };
    let api = PricingRules {
        allow_free_form: true,
        max_total,
        accepting_orders: true,
        guest_ordering: None,
    };
    for rules in [guest, api] {
        if let Ok(priced) = price_order(&request, &menu, rules) {
            let lines: i64 = priced.items.iter().map(|i| i.line_total).sum();
            assert_eq!(lines, priced.subtotal);
            assert!(priced.subtotal <= max_total);
            assert!(priced.total >= priced.subtotal);
            assert!(priced.items.iter().all(|i| i.quantity >= 1 && i.line_total >= 0));
        }
    }
});
