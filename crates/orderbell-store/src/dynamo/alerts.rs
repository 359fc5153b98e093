//! TODO(dynamodb): alerts
#![allow(unused_imports)]

use crate::Result;
use crate::alerts::*;
use crate::notifications::{LinkStatus, NotificationStatus, NotifyEvent};
use crate::records::*;
use crate::stored_text::stored_text;
use orderbell_core::escalation::Step;
use orderbell_core::order::Order;
use orderbell_core::{OrderId, ShopId, Timestamp};

use super::{DynamoStore, unsupported};
pub(super) async fn fire_due_alerts(
    _s: &DynamoStore,
    _now: Timestamp,
    _limit: i64,
    _calls: bool,
) -> Result<Vec<Fired>> {
    Err(unsupported("fire_due_alerts"))
}

pub(super) async fn next_alert_at(_s: &DynamoStore) -> Result<Option<Timestamp>> {
    Err(unsupported("next_alert_at"))
}

pub(super) async fn active_alerts(_s: &DynamoStore, _shop: &ShopId) -> Result<Vec<OrderAlert>> {
    Err(unsupported("active_alerts"))
}

pub(super) async fn order_alert(_s: &DynamoStore, _order: &OrderId) -> Result<Option<OrderAlert>> {
    Err(unsupported("order_alert"))
}

pub(super) async fn channel_health(_s: &DynamoStore, _shop: &ShopId) -> Result<Vec<ChannelHealth>> {
    Err(unsupported("channel_health"))
}

pub(super) async fn notify_owners(
    _s: &DynamoStore,
    _shop: &ShopId,
    _event: NotifyEvent,
    _problems: Vec<String>,
    _now: Timestamp,
) -> Result<usize> {
    Err(unsupported("notify_owners"))
}

/// The escalation timer of a new order (queries/alerts.rs::orders_created), if its shop wants one.
pub(super) async fn order_created(
    _s: &DynamoStore,
    _order: &orderbell_core::order::Order,
) -> Result<Vec<aws_sdk_dynamodb::types::TransactWriteItem>> {
    // TODO(dynamodb): a placeholder that writes nothing, so that orders can be stored
    // while this is written; start an order's escalation timer.
    Ok(Vec::new())
}

/// What an order change does to its timer (queries/alerts.rs::order_changed).
pub(super) async fn order_changed(
    _s: &DynamoStore,
    _order: &orderbell_core::order::Order,
    _action: &orderbell_core::order::OrderAction,
) -> Result<Vec<aws_sdk_dynamodb::types::TransactWriteItem>> {
    // TODO(dynamodb): a placeholder that writes nothing, so that orders can be stored
    // while this is written; end an order's escalation timer.
    Ok(Vec::new())
}
