//! Taking a guest order from the shop page's form: builds the request and goes through the one
//! intake path (`crate::intake`), the same as `POST /api/v1/shops/{slug}/orders` for a guest.

use std::net::IpAddr;

use orderbell_core::ValidationErrors;
use orderbell_core::order::{Actor, Order, OrderSource};
use orderbell_core::pricing::{OrderRequest, PricingRules};
use orderbell_core::shop::Shop;
use orderbell_store::IdempotencyKey;

use super::error::PageError;
use crate::http::error::ApiError;
use crate::intake::{self, Intake, Taken};
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

impl From<intake::Refused> for Refused {
    fn from(e: intake::Refused) -> Refused {
        match e {
            intake::Refused::Invalid(v) => Refused::Invalid(v),
            intake::Refused::Api(e) => Refused::Page(e.into()),
        }
    }
}

/// The rules one cart line is priced by: a guest's, but neither the fulfilment choice nor the
/// minimum order, which belong to the whole order at checkout.
pub fn line_rules(state: &AppState, shop: &Shop) -> PricingRules {
    PricingRules {
        guest_ordering: None,
        ..intake::rules(state, shop, true)
    }
}

/// Checks a guest order as the intake would, taking nothing: the field errors of the whole form
/// when the page already found some of its own.
pub async fn check_guest_order(
    state: &AppState,
    shop: &Shop,
    body: &serde_json::Value,
) -> Result<(), Refused> {
    let request: OrderRequest = serde_json::from_value(body.clone())
        .map_err(|e| Refused::Page(PageError::internal("building a page order", &e)))?;
    intake::price(state, shop, &request, true).await?;
    Ok(())
}

/// Takes a guest order through the one intake path. `body` is the order as the API would
/// receive it; `key` the form's one-time key, so a double-submitted form makes one order.
pub async fn take_guest_order(
    state: &AppState,
    shop: &Shop,
    ip: IpAddr,
    body: serde_json::Value,
    key: Option<&str>,
) -> Result<Order, Refused> {
    let request: OrderRequest = serde_json::from_value(body.clone())
        .map_err(|e| Refused::Page(PageError::internal("building a page order", &e)))?;
    let key =
        key.filter(|k| (16..=64).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_hexdigit()));
    let intake = Intake {
        source: OrderSource::Guest,
        actor: Actor::guest(),
        ip,
        idempotency: key.map(|k| IdempotencyKey {
            key: format!("guest:page:{k}"),
            request_hash: token::hash_bytes(body.to_string().as_bytes()),
        }),
    };
    Ok(match intake::take(state, shop, intake, &request).await? {
        Taken::New(order, _) | Taken::Replayed(order) => order,
    })
}
