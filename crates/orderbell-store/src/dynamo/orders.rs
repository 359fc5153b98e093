//! TODO(dynamodb): orders
#![allow(unused_imports)]

use orderbell_core::menu::{
    Category, CategoryChange, ItemChange, Menu, MenuEntry, MenuItem, MenuOption, OptionChange,
    OptionGroup, OptionGroupChange,
};
use orderbell_core::order::{Actor, Order, OrderAction, OrderEvent};
use orderbell_core::shop::{NewShop, Shop, ShopPatch};
use orderbell_core::user::{Member, Role, User};
use orderbell_core::{
    ApiKeyId, CategoryId, MenuItemId, OptionGroupId, OptionId, OrderId, ShopId, Timestamp, UserId,
};

use crate::Result;
use crate::notifications;
use crate::records::*;

use super::{DynamoStore, unsupported};
pub(super) async fn create_order(_s: &DynamoStore, _order: NewOrder) -> Result<CreatedOrder> {
    Err(unsupported("create_order"))
}

pub(super) async fn order(
    _s: &DynamoStore,
    _shop: &ShopId,
    _id: &OrderId,
) -> Result<Option<Order>> {
    Err(unsupported("order"))
}

pub(super) async fn order_by_id(_s: &DynamoStore, _id: &OrderId) -> Result<Option<Order>> {
    Err(unsupported("order_by_id"))
}

pub(super) async fn orders_by_ids(_s: &DynamoStore, _ids: Vec<OrderId>) -> Result<Vec<Order>> {
    Err(unsupported("orders_by_ids"))
}

pub(super) async fn orders(
    _s: &DynamoStore,
    _shop: &ShopId,
    _filter: OrderFilter,
) -> Result<OrderPage> {
    Err(unsupported("orders"))
}

pub(super) async fn apply_order_action(
    _s: &DynamoStore,
    _shop: &ShopId,
    _id: &OrderId,
    _action: OrderAction,
    _actor: Actor,
    _now: Timestamp,
) -> Result<Order> {
    Err(unsupported("apply_order_action"))
}

pub(super) async fn order_events(
    _s: &DynamoStore,
    _shop: &ShopId,
    _id: &OrderId,
) -> Result<Vec<OrderEvent>> {
    Err(unsupported("order_events"))
}

/// Deletes the idempotency keys stored before `before` (part of `delete_expired`); how many.
pub(super) async fn purge_idempotency(_s: &DynamoStore, _before: Timestamp) -> Result<u64> {
    Err(unsupported("purge idempotency keys"))
}
