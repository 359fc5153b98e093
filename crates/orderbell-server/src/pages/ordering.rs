//! Taking a guest order from the shop page: the same path as `POST /api/v1/shops/{slug}/orders`
//! for a guest (server prices from the menu, per-IP and per-phone limits, idempotency key,
//! `OrderCreated` published after commit), mirrored here so the API module stays untouched.

use std::net::IpAddr;

use orderbell_core::order::{Actor, Order, OrderSource};
use orderbell_core::pricing::{OrderRequest, PricingRules, price_order};
use orderbell_core::shop::Shop;
use orderbell_core::{CustomerId, OrderId, ValidationErrors};
use orderbell_store::{CreatedOrder, IdempotencyKey, NewOrder, StoreError};

use super::error::PageError;
use crate::events::{EventKind, ShopEvent};
use crate::http::error::ApiError;
use crate::security::token;
use crate::state::AppState;

/// Why an order was not taken.
#[derive(Debug)]
pub enum Refused {
    /// Show the form again with these messages.
    Invalid(ValidationErrors),
    Page(PageError),
}

impl From<ApiError> for Refused {
    fn from(e: ApiError) -> Refused {
        Refused::Page(e.into())
    }
}

impl From<StoreError> for Refused {
    fn from(e: StoreError) -> Refused {
        match e {
            StoreError::Validation(v) => Refused::Invalid(v),
            other => Refused::Page(other.into()),
        }
    }
}

/// The rules a guest's order is priced by.
pub fn guest_rules(state: &AppState, shop: &Shop) -> PricingRules {
    PricingRules {
        allow_free_form: false,
        max_total: state.config.max_order_total,
        accepting_orders: shop.accepting_orders,
    }
}

/// Takes a guest order. `body` is the order as the API would receive it; `key` the form's
/// one-time key, so a double-submitted form makes one order.
pub async fn take_guest_order(
    state: &AppState,
    shop: &Shop,
    ip: IpAddr,
    body: serde_json::Value,
    key: Option<&str>,
) -> Result<Order, Refused> {
    state.limits.guest_order(ip)?;
    let request: OrderRequest = serde_json::from_value(body.clone())
        .map_err(|e| Refused::Page(PageError::internal("building a page order", &e)))?;
    let menu = state.store.menu(&shop.id).await?;
    let priced =
        price_order(&request, &menu, guest_rules(state, shop)).map_err(Refused::Invalid)?;
    if let Some(phone) = &priced.customer.phone {
        state.limits.order_phone(phone)?;
    }
    let key =
        key.filter(|k| (16..=64).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_hexdigit()));
    let new = NewOrder {
        id: state.new_id(OrderId::from_parts),
        shop_id: shop.id.clone(),
        currency: shop.currency,
        priced,
        source: OrderSource::Guest,
        actor: Actor::guest(),
        new_customer_id: state.new_id(CustomerId::from_parts),
        created_at: state.now(),
        idempotency: key.map(|k| IdempotencyKey {
            key: format!("guest:page:{k}"),
            request_hash: token::hash_bytes(body.to_string().as_bytes()),
        }),
    };
    let created = match state.store.create_order(new.clone()).await {
        Err(StoreError::Conflict(_)) if new.idempotency.is_some() => {
            state.store.create_order(new).await?
        }
        other => other?,
    };
    Ok(match created {
        CreatedOrder::New(order) => {
            state.events.publish(ShopEvent {
                shop_id: order.shop_id.clone(),
                kind: EventKind::OrderCreated,
                order_id: Some(order.id.clone()),
                number: Some(order.number),
                status: Some(order.status),
                at: order.updated_at,
            });
            order
        }
        CreatedOrder::Replayed(order) => order,
    })
}
