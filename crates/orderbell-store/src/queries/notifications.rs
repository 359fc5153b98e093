//! The notification outbox, delivery log and channel links.

use orderbell_core::order::{Actor, Order, OrderAction};

use crate::Result;
use crate::db::Db;

/// Queues notifications of a new order for the shop's members' linked channels.
pub fn order_created(_db: &mut dyn Db, _order: &Order) -> Result<()> {
    Ok(())
}

/// Queues notifications of a status change (members and the order's customer).
pub fn order_changed(
    _db: &mut dyn Db,
    _order: &Order,
    _action: &OrderAction,
    _actor: &Actor,
) -> Result<()> {
    Ok(())
}
