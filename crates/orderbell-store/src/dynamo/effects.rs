//! What an order change causes, as actions of the order's own transaction (the transactional
//! outbox of queries/effects.rs, on DynamoDB): print jobs, notifications and the escalation
//! timer. Each concern's file reads what it needs first (printers, member links, the shop's
//! alert policy) and answers the items to write; `orders.rs` puts them into the one
//! `TransactWriteItems` that stores the order or its change.
//!
//! The escalation timer's actions come first: they are conditional on the state read (an
//! active timer, a queued reminder) and must share the order's transaction, which reads again
//! when they fail. Only effects that are idempotent puts may be moved into follow-up
//! transactions when a change passes DynamoDB's limits (`orders.rs`, `pack`), and `pack` moves
//! the last ones.

use aws_sdk_dynamodb::types::TransactWriteItem;
use orderbell_core::order::{Actor, Order, OrderAction};

use super::{DynamoStore, alerts, notifications, printing};
use crate::Result;
use crate::printing::PrintJob;

/// The writes a new order brings, and the print jobs among them (the 201 shows them).
pub(crate) struct Created {
    pub(crate) actions: Vec<TransactWriteItem>,
    pub(crate) jobs: Vec<PrintJob>,
}

/// For a new order, before its transaction.
pub(crate) async fn order_created(s: &DynamoStore, order: &Order) -> Result<Created> {
    let mut actions = alerts::order_created(s, order).await?;
    let (jobs, printing) = printing::order_created(s, order).await?;
    actions.extend(printing);
    actions.extend(notifications::order_created(s, order).await?);
    Ok(Created { actions, jobs })
}

/// For an action applied to an order (`order` as it is after the action), before the
/// transaction that records the change.
pub(crate) async fn order_changed(
    s: &DynamoStore,
    order: &Order,
    action: &OrderAction,
    actor: &Actor,
) -> Result<Vec<TransactWriteItem>> {
    let mut actions = alerts::order_changed(s, order, action).await?;
    actions.extend(printing::order_changed(s, order, action, actor).await?);
    actions.extend(notifications::order_changed(s, order, action, actor).await?);
    Ok(actions)
}
