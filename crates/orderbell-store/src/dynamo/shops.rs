//! TODO(dynamodb): shops
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
pub(super) async fn create_shop(
    _s: &DynamoStore,
    _id: ShopId,
    _shop: NewShop,
    _owner: &UserId,
    _now: Timestamp,
) -> Result<Shop> {
    Err(unsupported("create_shop"))
}

pub(super) async fn shop(_s: &DynamoStore, _id: &ShopId) -> Result<Option<Shop>> {
    Err(unsupported("shop"))
}

pub(super) async fn shop_by_slug(_s: &DynamoStore, _slug: &str) -> Result<Option<Shop>> {
    Err(unsupported("shop_by_slug"))
}

pub(super) async fn all_shops(_s: &DynamoStore) -> Result<Vec<Shop>> {
    Err(unsupported("all_shops"))
}

pub(super) async fn update_shop(
    _s: &DynamoStore,
    _id: &ShopId,
    _patch: ShopPatch,
    _now: Timestamp,
) -> Result<Shop> {
    Err(unsupported("update_shop"))
}

pub(super) async fn shops_of(_s: &DynamoStore, _user: &UserId) -> Result<Vec<(Shop, Role)>> {
    Err(unsupported("shops_of"))
}

pub(super) async fn role(_s: &DynamoStore, _shop: &ShopId, _user: &UserId) -> Result<Option<Role>> {
    Err(unsupported("role"))
}

pub(super) async fn members(_s: &DynamoStore, _shop: &ShopId) -> Result<Vec<Member>> {
    Err(unsupported("members"))
}

pub(super) async fn set_member(
    _s: &DynamoStore,
    _shop: &ShopId,
    _user: &UserId,
    _role: Role,
    _now: Timestamp,
) -> Result<Member> {
    Err(unsupported("set_member"))
}

pub(super) async fn remove_member(_s: &DynamoStore, _shop: &ShopId, _user: &UserId) -> Result<()> {
    Err(unsupported("remove_member"))
}

pub(super) async fn create_api_key(_s: &DynamoStore, _key: NewApiKey) -> Result<ApiKey> {
    Err(unsupported("create_api_key"))
}

pub(super) async fn api_key(_s: &DynamoStore, _token_hash: &str) -> Result<Option<ApiKey>> {
    Err(unsupported("api_key"))
}

pub(super) async fn api_keys(_s: &DynamoStore, _shop: &ShopId) -> Result<Vec<ApiKey>> {
    Err(unsupported("api_keys"))
}

pub(super) async fn revoke_api_key(
    _s: &DynamoStore,
    _shop: &ShopId,
    _id: &ApiKeyId,
    _now: Timestamp,
) -> Result<Vec<orderbell_core::PrinterId>> {
    Err(unsupported("revoke_api_key"))
}

pub(super) async fn touch_api_key(_s: &DynamoStore, _id: &ApiKeyId, _now: Timestamp) -> Result<()> {
    Err(unsupported("touch_api_key"))
}
