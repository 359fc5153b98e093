//! What the store takes and gives back besides the core types. Ids and times come from the
//! caller, so the store stays deterministic and tests control the clock.

use orderbell_core::order::{Actor, Order, OrderSource, OrderStatus};
use orderbell_core::pricing::PricedOrder;
use orderbell_core::user::User;
use orderbell_core::{ApiKeyId, Currency, CustomerId, OrderId, ShopId, Timestamp, UserId};

/// A user to create. Users who sign in only through another provider have no password.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub password_hash: Option<String>,
    pub created_at: Timestamp,
    /// When the address was shown to be theirs (`None`: not yet).
    pub email_verified_at: Option<Timestamp>,
}

crate::stored_text::stored_text! {
    /// What a single-use account link is for.
    pub enum TokenPurpose("account token purpose") {
        /// Proves the address at sign-up (valid 7 days).
        VerifyEmail = "verify_email",
        /// Sets a new password (valid 30 minutes).
        ResetPassword = "reset_password",
    }
}

/// A single-use account link to store; only the SHA-256 of its token is kept.
#[derive(Debug, Clone)]
pub struct NewAccountToken {
    pub token_hash: String,
    pub user_id: UserId,
    pub purpose: TokenPurpose,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// An account's TOTP secret (RFC 6238, base32) and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpFactor {
    pub secret: String,
    /// A code from it was shown: sign-in asks for one.
    pub confirmed: bool,
    /// The last time step whose code was used (codes of this step or older are refused).
    pub last_step: i64,
}

/// A user with what is needed to check a password.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user: User,
    pub password_hash: Option<String>,
}

/// A session to create; the token itself is never stored, only its SHA-256 (hex).
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token_hash: String,
    pub user_id: UserId,
    /// How the user proved who they are: `password` now; `oidc`, `totp` later.
    pub auth_method: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    /// The browser's `User-Agent` (shortened), for the list of one's sessions.
    pub user_agent: Option<String>,
    /// The client's address when it signed in.
    pub ip: Option<String>,
}

/// One of a user's live sessions, as the account page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// The SHA-256 of the session's token, hex (its id; the token itself is never stored).
    pub token_hash: String,
    pub auth_method: String,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub created_at: Timestamp,
    pub last_seen_at: Option<Timestamp>,
    pub expires_at: Timestamp,
}

/// A live session with its user.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub auth_method: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    /// When it was last used (recorded at most every few minutes).
    pub last_seen_at: Option<Timestamp>,
}

/// What an API key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    OrdersWrite,
    OrdersRead,
    Manage,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::OrdersWrite, Scope::OrdersRead, Scope::Manage];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::OrdersWrite => "orders:write",
            Scope::OrdersRead => "orders:read",
            Scope::Manage => "manage",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|sc| sc.as_str() == s)
    }
}

/// An API key as stored (without its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub shop_id: ShopId,
    pub name: String,
    pub scopes: Vec<Scope>,
    /// The first characters of the key, to recognise it in lists.
    pub prefix: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub id: ApiKeyId,
    pub shop_id: ShopId,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub token_hash: String,
    pub prefix: String,
    pub created_at: Timestamp,
}

/// A priced order to store, with who placed it and an optional idempotency key.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub id: OrderId,
    pub shop_id: ShopId,
    pub currency: Currency,
    pub priced: PricedOrder,
    pub source: OrderSource,
    pub actor: Actor,
    /// Used when the order's phone or e-mail is new to the shop.
    pub new_customer_id: CustomerId,
    pub created_at: Timestamp,
    pub idempotency: Option<IdempotencyKey>,
}

impl NewOrder {
    /// The order a request becomes, once it has its number and customer.
    pub(crate) fn order(&self, number: i64, customer_id: Option<CustomerId>) -> Order {
        let o = self;
        let p = &o.priced;
        Order {
            id: o.id.clone(),
            shop_id: o.shop_id.clone(),
            number,
            status: OrderStatus::Pending,
            currency: o.currency,
            subtotal: p.subtotal,
            total: p.total,
            items: p.items.clone(),
            customer_id,
            customer: p.customer.clone(),
            fulfillment: p.fulfillment.clone(),
            note: p.note.clone(),
            source: o.source,
            eta_minutes: None,
            reason: None,
            created_at: o.created_at,
            updated_at: o.created_at,
            acknowledged_at: None,
            accepted_at: None,
            ready_at: None,
            closed_at: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    pub key: String,
    /// SHA-256 (hex) of the request that first used the key.
    pub request_hash: String,
}

/// The answer to storing an order.
#[derive(Debug, Clone)]
pub enum CreatedOrder {
    /// Stored now, with the print jobs queued for it in the same transaction.
    New(orderbell_core::order::Order, Vec<crate::printing::PrintJob>),
    /// The idempotency key was seen with the same request: the order stored then.
    Replayed(orderbell_core::order::Order),
}

/// Which orders to list, newest first.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    /// Any of these statuses (all when empty).
    pub statuses: Vec<OrderStatus>,
    /// Created at or after.
    pub since: Option<Timestamp>,
    /// Only orders numbered below this (the cursor of the previous page).
    pub before_number: Option<i64>,
    pub limit: i64,
}

/// A page of orders and the cursor for the next one.
#[derive(Debug, Clone)]
pub struct OrderPage {
    pub orders: Vec<orderbell_core::order::Order>,
    pub next_before_number: Option<i64>,
}

/// A menu item's photo as stored: already resized and encoded by the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemPhoto {
    /// SHA-256 of `bytes` (hex), part of the photo's address.
    pub digest: String,
    /// `image/jpeg`.
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    pub bytes: Vec<u8>,
}

/// Figures sampled for the metrics endpoint (docs/operations.md, "Metrics").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Gauges {
    /// Notifications waiting to be sent (`queued` or `sending`), due or not.
    pub outbox_waiting: i64,
    /// How long the longest-overdue waiting notification has been due, in milliseconds (0 when
    /// none is due).
    pub outbox_oldest_due_ms: i64,
    /// Print jobs not yet finished, by state (`queued`, `delivered`).
    pub open_print_jobs: Vec<(String, i64)>,
    /// Active printers whose last report was `paper_out`.
    pub printers_paper_out: i64,
}
