//! JSON shapes the API answers with (listed in the OpenAPI document, `openapi.rs`).

use orderbell_core::Currency;
use orderbell_core::Timestamp;
use orderbell_core::alerts::AlertPolicy;
use orderbell_core::hours::OpeningHours;
use orderbell_core::order::{
    CustomerInfo, Fulfillment, Order, OrderItem, OrderSource, OrderStatus,
};
use orderbell_core::shop::{Ordering, OrderingOptions, ReceiptText, Shop};
use orderbell_core::user::{Role, User};
use orderbell_store::ApiKey;
use orderbell_store::printing::PrintJob;
use serde::Serialize;

use crate::state::AppState;

/// An order as shop members and integrations see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OrderView {
    pub id: String,
    /// Per-shop number shown to people.
    pub number: i64,
    /// The shop's slug.
    pub shop: String,
    pub status: OrderStatus,
    pub currency: Currency,
    /// Minor units: the items.
    pub subtotal: i64,
    /// Minor units: in the total besides the items (the delivery fee of a guest's delivery
    /// order); 0 when none.
    pub delivery_fee: i64,
    /// Minor units: what the customer pays.
    pub total: i64,
    pub items: Vec<OrderItem>,
    pub customer: CustomerInfo,
    pub fulfillment: Fulfillment,
    pub note: Option<String>,
    pub source: OrderSource,
    pub eta_minutes: Option<i64>,
    /// When the order is (expected to be) ready: accept time + ETA, or when it was marked ready.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ready_at: Option<Timestamp>,
    /// Why it was rejected or cancelled.
    pub reason: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub acknowledged_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub accepted_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<Timestamp>,
    /// The guest's live tracking page.
    pub tracking_url: String,
    /// Print jobs of this order on the shop's printers.
    pub print_jobs: Vec<PrintJobView>,
}

/// A print job of an order.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PrintJobView {
    pub id: String,
    pub printer: String,
    /// `queued`, `delivered`, `printed`, `failed`, `unconfirmed` or `expired`.
    pub status: String,
    pub attempts: i64,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    pub error: Option<String>,
}

impl OrderView {
    /// The order with these print jobs (its own, oldest first).
    pub fn with_jobs(
        state: &AppState,
        shop_slug: &str,
        o: Order,
        jobs: Vec<PrintJob>,
    ) -> OrderView {
        let mut view = OrderView::new(state, shop_slug, o);
        view.print_jobs = jobs.into_iter().map(PrintJobView::from).collect();
        view
    }

    pub fn new(state: &AppState, shop_slug: &str, o: Order) -> OrderView {
        OrderView {
            tracking_url: format!(
                "{}/o/{}",
                state.config.public_url,
                state.tracking.token(&o.id)
            ),
            id: o.id.to_string(),
            number: o.number,
            shop: shop_slug.to_owned(),
            status: o.status,
            currency: o.currency,
            subtotal: o.subtotal,
            delivery_fee: o.delivery_fee(),
            total: o.total,
            ready_at: o.expected_ready_at(),
            items: o.items,
            customer: o.customer,
            fulfillment: o.fulfillment,
            note: o.note,
            source: o.source,
            eta_minutes: o.eta_minutes,
            reason: o.reason,
            created_at: o.created_at,
            updated_at: o.updated_at,
            acknowledged_at: o.acknowledged_at,
            accepted_at: o.accepted_at,
            closed_at: o.closed_at,
            print_jobs: vec![],
        }
    }
}

/// Order views with their print jobs, read in one query.
pub async fn orders_with_jobs(
    state: &AppState,
    shop_slug: &str,
    orders: Vec<Order>,
) -> Result<Vec<OrderView>, orderbell_store::StoreError> {
    let ids = orders.iter().map(|o| o.id.clone()).collect();
    let mut jobs = state.store.print_jobs_of(ids).await?;
    Ok(orders
        .into_iter()
        .map(|o| {
            let id = o.id.clone();
            let (mine, rest): (Vec<_>, Vec<_>) = jobs.drain(..).partition(|j| j.order_id == id);
            jobs = rest;
            OrderView::with_jobs(state, shop_slug, o, mine)
        })
        .collect())
}

/// One order view with its print jobs.
pub async fn order_with_jobs(
    state: &AppState,
    shop_slug: &str,
    order: Order,
) -> Result<OrderView, orderbell_store::StoreError> {
    let mut views = orders_with_jobs(state, shop_slug, vec![order]).await?;
    views.pop().ok_or(orderbell_store::StoreError::NotFound)
}

/// A page of orders, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OrderPageView {
    pub orders: Vec<OrderView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// The shop as anyone may see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ShopView {
    pub slug: String,
    pub name: String,
    pub currency: Currency,
    pub time_zone: String,
    pub locale: String,
    pub phone: Option<String>,
    pub accepting_orders: bool,
    /// Your role, when you are a member.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// When guests may order, in the shop's time zone (`null`: always).
    #[schema(value_type = Option<Object>)]
    pub opening_hours: Option<serde_json::Value>,
    /// Guest ordering is paused until then.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub paused_until: Option<Timestamp>,
    /// Guests can order right now (opening hours, pause and `accepting_orders` together).
    pub open_now: bool,
    /// When guests can order again, while they cannot.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub reopens_at: Option<Timestamp>,
    /// How unanswered orders escalate (members and `manage` keys only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alerts: Option<AlertPolicy>,
    /// The ETA a phone-keypad accept uses (members and `manage` keys only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_eta_minutes: Option<u32>,
    /// How guests may order: the fulfilment types offered and the minimum order (in minor
    /// units). Orders through an API key are not bound by it.
    pub guest_ordering: OrderingOptions,
    /// The shop's own lines on its tickets (members and `manage` keys only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt: Option<ReceiptText>,
    /// Owners must have two-step sign-in on (members and `manage` keys only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub require_mfa_for_owners: Option<bool>,
}

impl ShopView {
    /// The shop as anyone may see it (`role`: yours, when you are a member; members also see
    /// its alert settings).
    pub fn new(shop: Shop, role: Option<Role>, now: Timestamp) -> ShopView {
        let full = role.is_some();
        ShopView::build(shop, role, now, full)
    }

    /// With the settings, for whoever manages the shop.
    pub fn full(shop: Shop, role: Option<Role>, now: Timestamp) -> ShopView {
        ShopView::build(shop, role, now, true)
    }

    fn build(shop: Shop, role: Option<Role>, now: Timestamp, full: bool) -> ShopView {
        let (open_now, reopens_at) = match shop.ordering(now) {
            Ordering::Open => (shop.accepting_orders, None),
            Ordering::Closed { reopens_at, .. } => (false, reopens_at),
        };
        ShopView {
            opening_hours: shop.opening_hours.as_ref().map(OpeningHours::to_json),
            paused_until: shop.paused_until.filter(|p| *p > now),
            open_now,
            reopens_at,
            alerts: full.then(|| shop.alerts.clone()),
            default_eta_minutes: full.then_some(shop.default_eta_minutes),
            guest_ordering: shop.guest_ordering,
            receipt: full.then(|| shop.receipt.clone()),
            require_mfa_for_owners: full.then_some(shop.require_mfa_for_owners),
            slug: shop.slug,
            name: shop.name,
            currency: shop.currency,
            time_zone: shop.time_zone,
            locale: shop.locale,
            phone: shop.phone,
            accepting_orders: shop.accepting_orders,
            role,
        }
    }
}

/// An order as the guest who placed it sees it (through the tracking link).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TrackingView {
    pub number: i64,
    pub shop: ShopView,
    pub status: OrderStatus,
    pub currency: Currency,
    pub subtotal: i64,
    /// In the total besides the items (the delivery fee); 0 when none.
    pub delivery_fee: i64,
    pub total: i64,
    pub items: Vec<OrderItem>,
    pub fulfillment: Fulfillment,
    pub note: Option<String>,
    pub eta_minutes: Option<i64>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ready_at: Option<Timestamp>,
    pub reason: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl TrackingView {
    pub fn new(shop: Shop, o: Order, now: Timestamp) -> TrackingView {
        TrackingView {
            number: o.number,
            shop: ShopView::new(shop, None, now),
            status: o.status,
            currency: o.currency,
            subtotal: o.subtotal,
            delivery_fee: o.delivery_fee(),
            total: o.total,
            ready_at: o.expected_ready_at(),
            items: o.items,
            fulfillment: o.fulfillment,
            note: o.note,
            eta_minutes: o.eta_minutes,
            reason: o.reason,
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

/// A user as they see themselves.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub name: String,
    /// E.164; escalation calls about unanswered orders ring it.
    pub phone: Option<String>,
    /// Whether the address was confirmed through a link sent to it. Unconfirmed accounts can
    /// sign in but cannot create a shop or be made an owner.
    pub email_verified: bool,
}

impl From<&User> for UserView {
    fn from(u: &User) -> UserView {
        UserView {
            id: u.id.to_string(),
            email: u.email.clone(),
            name: u.name.clone(),
            phone: u.phone.clone(),
            email_verified: u.email_verified,
        }
    }
}

/// An API key, without its secret.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiKeyView {
    pub id: String,
    pub name: String,
    pub scopes: Vec<String>,
    /// The key's first characters, to recognise it.
    pub prefix: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<Timestamp>,
}

impl From<ApiKey> for ApiKeyView {
    fn from(k: ApiKey) -> ApiKeyView {
        ApiKeyView {
            id: k.id.to_string(),
            name: k.name,
            scopes: k.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
            prefix: k.prefix,
            created_at: k.created_at,
            last_used_at: k.last_used_at,
            revoked_at: k.revoked_at,
        }
    }
}
