//! Printers and print jobs.

use orderbell_core::order::{Actor, Order, OrderAction};

use crate::Result;
use crate::db::Db;

/// Queues print jobs for a new order on the shop's auto-printing printers.
pub fn order_created(_db: &mut dyn Db, _order: &Order) -> Result<()> {
    Ok(())
}

/// Queues print jobs when an order is accepted on printers that print on acceptance.
pub fn order_changed(
    _db: &mut dyn Db,
    _order: &Order,
    _action: &OrderAction,
    _actor: &Actor,
) -> Result<()> {
    Ok(())
}
