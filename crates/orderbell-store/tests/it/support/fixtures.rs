//! One-line fixtures for store stories: users, shops, orders, member links.

use std::sync::Arc;

use orderbell_core::order::{Actor, CustomerInfo, Fulfillment, Order, OrderItem, OrderSource};
use orderbell_core::pricing::PricedOrder;
use orderbell_core::shop::NewShopRequest;
use orderbell_core::{Currency, CustomerId, OrderId, ShopId, Timestamp, UserId};
use orderbell_store::notifications::{Channel, NewLink};
use orderbell_store::{CreatedOrder, NewOrder, NewUser, Store};

use super::{id, now};

pub async fn user(store: &Arc<dyn Store>, email: &str) -> UserId {
    store
        .create_user(NewUser {
            id: id(UserId::from_parts),
            email: email.into(),
            name: email.split('@').next().unwrap().into(),
            password_hash: None,
            created_at: now(),
            email_verified_at: None,
        })
        .await
        .unwrap()
        .id
}

pub async fn shop(store: &Arc<dyn Store>, slug: &str, owner: &UserId) -> ShopId {
    let new = NewShopRequest {
        slug: format!("shop-{slug}"),
        name: format!("Shop {slug}"),
        currency: None,
        time_zone: None,
        locale: Some("ko".into()),
        phone: None,
    }
    .validate()
    .unwrap();
    store
        .create_shop(id(ShopId::from_parts), new, owner, now())
        .await
        .unwrap()
        .id
}

pub async fn order(store: &Arc<dyn Store>, shop: &ShopId, at: Timestamp) -> Order {
    match store.create_order(new_order(shop, at)).await.unwrap() {
        CreatedOrder::New(o, _) => o,
        CreatedOrder::Replayed(_) => panic!("replayed"),
    }
}

/// A guest's order of two coffees at `at`, not stored yet.
pub fn new_order(shop: &ShopId, at: Timestamp) -> NewOrder {
    NewOrder {
        id: id(OrderId::from_parts),
        shop_id: shop.clone(),
        currency: Currency::KRW,
        priced: PricedOrder {
            items: vec![OrderItem {
                menu_item_id: None,
                name: "Americano".into(),
                quantity: 2,
                unit_price: 4500,
                options: vec![],
                line_total: 9000,
            }],
            subtotal: 9000,
            total: 9000,
            customer: CustomerInfo::default(),
            fulfillment: Fulfillment::Pickup,
            note: None,
        },
        source: OrderSource::Api,
        actor: Actor::guest(),
        new_customer_id: id(CustomerId::from_parts),
        created_at: at,
        idempotency: None,
    }
}

pub fn member_link(
    user: &UserId,
    shop: Option<&ShopId>,
    channel: Channel,
    address: &str,
) -> NewLink {
    NewLink {
        channel,
        address: address.into(),
        keys: None,
        user_id: Some(user.clone()),
        shop_id: shop.cloned(),
        order_id: None,
        locale: None,
        label: None,
        inbound: false,
        now: now(),
    }
}
