//! The Orderbell domain: shops, members, menus, customers and orders with their lifecycle.
//!
//! Everything here is pure: no I/O, no async, no database. Ids, clocks and randomness come from
//! the caller, so the rules can be tested on their own and shared by every storage backend.

pub mod alerts;
pub mod cursor;
pub mod escalation;
pub mod hours;
pub mod i18n;
pub mod ids;
pub mod menu;
pub mod money;
pub mod order;
pub mod pricing;
pub mod printing;
pub mod rate_limit;
pub mod shop;
pub mod text;
pub mod tracking;
pub mod user;
pub mod validation;

pub use ids::{
    ApiKeyId, CategoryId, CustomerId, InvitationId, MenuItemId, OptionGroupId, OptionId, OrderId,
    PasskeyId, PrintJobId, PrinterId, ShopId, UserId,
};
pub use money::Currency;
pub use validation::{FieldError, ValidationErrors};

/// A point in time, UTC, with millisecond precision (what every backend stores exactly).
pub type Timestamp = jiff::Timestamp;

/// Truncates a timestamp to whole milliseconds, the precision every backend round-trips.
pub fn to_millis(ts: Timestamp) -> Timestamp {
    Timestamp::from_millisecond(ts.as_millisecond()).unwrap_or(ts)
}
