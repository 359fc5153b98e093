//! TODO(dynamodb): menu
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
pub(super) async fn menu(_s: &DynamoStore, _shop: &ShopId) -> Result<Menu> {
    Err(unsupported("menu"))
}

pub(super) async fn create_category(
    _s: &DynamoStore,
    _shop: &ShopId,
    _id: CategoryId,
    _c: CategoryChange,
    _now: Timestamp,
) -> Result<Category> {
    Err(unsupported("create_category"))
}

pub(super) async fn update_category(
    _s: &DynamoStore,
    _shop: &ShopId,
    _id: &CategoryId,
    _c: CategoryChange,
) -> Result<Category> {
    Err(unsupported("update_category"))
}

pub(super) async fn delete_category(
    _s: &DynamoStore,
    _shop: &ShopId,
    _id: &CategoryId,
) -> Result<()> {
    Err(unsupported("delete_category"))
}

pub(super) async fn create_item(
    _s: &DynamoStore,
    _shop: &ShopId,
    _id: MenuItemId,
    _c: ItemChange,
    _now: Timestamp,
) -> Result<MenuItem> {
    Err(unsupported("create_item"))
}

pub(super) async fn update_item(
    _s: &DynamoStore,
    _shop: &ShopId,
    _id: &MenuItemId,
    _c: ItemChange,
    _now: Timestamp,
) -> Result<MenuItem> {
    Err(unsupported("update_item"))
}

pub(super) async fn delete_item(_s: &DynamoStore, _shop: &ShopId, _id: &MenuItemId) -> Result<()> {
    Err(unsupported("delete_item"))
}

pub(super) async fn set_item_photo(
    _s: &DynamoStore,
    _shop: &ShopId,
    _id: &MenuItemId,
    _photo: Option<ItemPhoto>,
    _now: Timestamp,
) -> Result<MenuItem> {
    Err(unsupported("set_item_photo"))
}

pub(super) async fn item_photo(_s: &DynamoStore, _id: &MenuItemId) -> Result<Option<ItemPhoto>> {
    Err(unsupported("item_photo"))
}

pub(super) async fn move_menu_entry(
    _s: &DynamoStore,
    _shop: &ShopId,
    _entry: MenuEntry,
    _up: bool,
) -> Result<bool> {
    Err(unsupported("move_menu_entry"))
}

pub(super) async fn create_option_group(
    _s: &DynamoStore,
    _shop: &ShopId,
    _item: &MenuItemId,
    _id: OptionGroupId,
    _c: OptionGroupChange,
) -> Result<OptionGroup> {
    Err(unsupported("create_option_group"))
}

pub(super) async fn update_option_group(
    _s: &DynamoStore,
    _shop: &ShopId,
    _id: &OptionGroupId,
    _c: OptionGroupChange,
) -> Result<OptionGroup> {
    Err(unsupported("update_option_group"))
}

pub(super) async fn delete_option_group(
    _s: &DynamoStore,
    _shop: &ShopId,
    _id: &OptionGroupId,
) -> Result<()> {
    Err(unsupported("delete_option_group"))
}

pub(super) async fn create_option(
    _s: &DynamoStore,
    _shop: &ShopId,
    _group: &OptionGroupId,
    _id: OptionId,
    _c: OptionChange,
) -> Result<MenuOption> {
    Err(unsupported("create_option"))
}

pub(super) async fn update_option(
    _s: &DynamoStore,
    _shop: &ShopId,
    _id: &OptionId,
    _c: OptionChange,
) -> Result<MenuOption> {
    Err(unsupported("update_option"))
}

pub(super) async fn delete_option(_s: &DynamoStore, _shop: &ShopId, _id: &OptionId) -> Result<()> {
    Err(unsupported("delete_option"))
}
