//! The notification outbox, delivery log, channel links, link codes, per-shop settings and the
//! webhook log, written once for both backends.
//!
//! `orders_created` and `order_changed` run inside the order's own transaction: the rows they
//! write commit (or roll back) with the order, so a notification is never lost nor sent for an
//! order that does not exist. Nothing here talks to a provider.
//!
//! One module a concern: `links` and `link_codes`, `settings`, `enqueue` (queuing, in the
//! order's transaction), `outbox` (claims and outcomes), `delivery_log` (reading it, cancelling,
//! provider reports) and `webhooks`.

mod delivery_log;
mod enqueue;
mod link_codes;
mod links;
mod outbox;
mod settings;
mod webhooks;

use orderbell_core::Timestamp;

pub use delivery_log::{by_id, cancel, of_order, report};
pub use enqueue::{enqueue, member_links, order_changed, orders_created, shop_of};
pub use link_codes::{create_link_code, take_link_code};
pub use links::{links_by_address, links_of_user, touch_inbound, unlink_address, upsert_link};
pub use outbox::{claim, finish, next_run_at};
pub use settings::{member_settings, set_member_settings};
pub use webhooks::{log_webhook, webhook_log};

use crate::db::Db;
use crate::{Result, StoreError};

/// Stored notification data that cannot be read (a channel, an event, the settings JSON).
fn bad(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("stored notification data has a bad {what}: {e}"))
}

/// Deletes webhook log entries received before `before` (keeping at most `keep` newest), and
/// expired link codes. Returns how many rows went.
pub fn purge(db: &mut dyn Db, before: Timestamp, keep: i64, now: Timestamp) -> Result<u64> {
    Ok(webhooks::purge(db, before, keep)? + link_codes::purge_expired(db, now)?)
}
