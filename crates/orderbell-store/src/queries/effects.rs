//! What an order change causes, written in the same transaction as the change itself
//! (transactional outbox): print jobs, notifications and the escalation timer of an unanswered
//! order. Delivery happens after commit.

use orderbell_core::order::{Actor, Order, OrderAction};

use crate::Result;
use crate::db::Db;
use crate::printing::PrintJob;

/// Called for new orders (a group-commit batch, or one), inside the transaction that stores
/// them; returns the print jobs queued for them (the 201 shows them without reading them back).
pub fn orders_created(db: &mut dyn Db, orders: &[&Order]) -> Result<Vec<PrintJob>> {
    let jobs = super::printing::orders_created(db, orders)?;
    super::notifications::orders_created(db, orders)?;
    super::alerts::orders_created(db, orders)?;
    Ok(jobs)
}

/// Called after an action changed an order, inside the same transaction.
pub fn order_changed(
    db: &mut dyn Db,
    order: &Order,
    action: &OrderAction,
    actor: &Actor,
) -> Result<()> {
    super::printing::order_changed(db, order, action, actor)?;
    super::notifications::order_changed(db, order, action, actor)?;
    super::alerts::order_changed(db, order, action)
}
