//! Taking an order: the one path for every source (the JSON API for guests, the shop's own
//! systems and staff, and the guest page's form).
//!
//! In order: the guest's per-IP limit, whether the shop takes guest orders now (opening hours,
//! a pause, ordering paused while nobody would hear it), pricing (guests from the menu; API keys
//! and members may send free-form lines), the per-phone limit, then the store's durable write
//! with its effects (print jobs, notifications, the escalation timer) and, after the commit,
//! the `OrderCreated` event. An idempotency key seen before answers the stored order.

use std::net::IpAddr;

use orderbell_core::order::{Actor, Order, OrderSource};
use orderbell_core::pricing::{OrderRequest, PricedOrder, PricingRules, price_order};
use orderbell_core::shop::{Ordering, Shop};
use orderbell_core::{CustomerId, OrderId, ValidationErrors};
use orderbell_store::printing::PrintJob;
use orderbell_store::{CreatedOrder, IdempotencyKey, NewOrder, StoreError};

use crate::events::{EventKind, ShopEvent};
use crate::http::error::ApiError;
use crate::state::AppState;

/// Who is ordering and how.
#[derive(Debug, Clone)]
pub struct Intake {
    pub source: OrderSource,
    pub actor: Actor,
    /// The client's address (guest limits).
    pub ip: IpAddr,
    /// Already scoped to the caller (`guest:…`, `api:<key>:…`, `user:<id>:…`).
    pub idempotency: Option<IdempotencyKey>,
}

/// The order taken, or the one an idempotency key already took.
#[derive(Debug, Clone)]
pub enum Taken {
    /// Stored now, with the print jobs queued for it.
    New(Order, Vec<PrintJob>),
    Replayed(Order),
}

/// Why an order was not taken.
#[derive(Debug)]
pub enum Refused {
    /// The request itself is wrong (field errors, for a form to show again).
    Invalid(ValidationErrors),
    /// Anything else (limits, closed, storage).
    Api(ApiError),
}

impl From<ApiError> for Refused {
    fn from(e: ApiError) -> Refused {
        Refused::Api(e)
    }
}

impl From<StoreError> for Refused {
    fn from(e: StoreError) -> Refused {
        match e {
            StoreError::Validation(v) => Refused::Invalid(v),
            other => Refused::Api(other.into()),
        }
    }
}

impl From<Refused> for ApiError {
    fn from(r: Refused) -> ApiError {
        match r {
            Refused::Invalid(v) => ApiError::validation(v),
            Refused::Api(e) => e,
        }
    }
}

/// Whether guests can order from `shop` now; the answer when they cannot.
pub fn guest_gate(state: &AppState, shop: &Shop) -> Result<(), ApiError> {
    if let Ordering::Closed { reopens_at, .. } = shop.ordering(state.now()) {
        return Err(ApiError::shop_closed(reopens_at));
    }
    if shop.alerts.pause_when_unheard && state.listeners.unheard_alerted(&shop.id) {
        return Err(ApiError::shop_closed(None));
    }
    Ok(())
}

/// The pricing rules for this source.
pub fn rules(state: &AppState, shop: &Shop, guest: bool) -> PricingRules {
    PricingRules {
        allow_free_form: !guest,
        max_total: state.config.max_order_total,
        accepting_orders: shop.accepting_orders || !guest,
        guest_ordering: guest.then(|| shop.guest_ordering.clone()),
    }
}

/// Prices an order against the shop's menu and rules, storing nothing: every field error at
/// once (the guest page checks a form with its own errors this way).
pub async fn price(
    state: &AppState,
    shop: &Shop,
    request: &OrderRequest,
    guest: bool,
) -> Result<PricedOrder, Refused> {
    let needs_menu = request.items.iter().any(|l| l.menu_item_id.is_some());
    let menu = if needs_menu {
        state.store.menu(&shop.id).await?
    } else {
        orderbell_core::menu::Menu { categories: vec![] }
    };
    price_order(request, &menu, rules(state, shop, guest)).map_err(Refused::Invalid)
}

/// Takes an order. Answers once it is durably stored.
pub async fn take(
    state: &AppState,
    shop: &Shop,
    intake: Intake,
    request: &OrderRequest,
) -> Result<Taken, Refused> {
    let started = std::time::Instant::now();
    let guest = intake.source == OrderSource::Guest;
    if guest {
        state.limits.guest_order(intake.ip).await?;
        guest_gate(state, shop)?;
    }
    let priced = price(state, shop, request, guest).await?;
    if guest {
        if let Some(phone) = &priced.customer.phone {
            state.limits.order_phone(phone).await?;
        }
    }
    let new = NewOrder {
        id: state.new_id(OrderId::from_parts),
        shop_id: shop.id.clone(),
        currency: shop.currency,
        priced,
        source: intake.source,
        actor: intake.actor,
        new_customer_id: state.new_id(CustomerId::from_parts),
        created_at: state.now(),
        idempotency: intake.idempotency,
    };
    let created = match state.store.create_order(new.clone()).await {
        // Another instance stored the same key a moment ago: now it can be replayed.
        Err(StoreError::Conflict(_)) if new.idempotency.is_some() => {
            state.store.create_order(new).await?
        }
        other => other?,
    };
    Ok(match created {
        CreatedOrder::New(order, jobs) => {
            if let Some(m) = crate::metrics::get() {
                m.order_taken(order.source, started.elapsed());
            }
            state
                .events
                .publish(ShopEvent::of_order(EventKind::OrderCreated, &order));
            Taken::New(order, jobs)
        }
        CreatedOrder::Replayed(order) => Taken::Replayed(order),
    })
}
