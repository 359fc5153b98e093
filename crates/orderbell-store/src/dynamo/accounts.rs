//! TODO(dynamodb): accounts
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
pub(super) async fn setting(_s: &DynamoStore, _key: &str) -> Result<Option<String>> {
    Err(unsupported("setting"))
}

pub(super) async fn setting_init(_s: &DynamoStore, _key: &str, _value: &str) -> Result<String> {
    Err(unsupported("setting_init"))
}

pub(super) async fn create_user(_s: &DynamoStore, _user: NewUser) -> Result<User> {
    Err(unsupported("create_user"))
}

pub(super) async fn user(_s: &DynamoStore, _id: &UserId) -> Result<Option<User>> {
    Err(unsupported("user"))
}

pub(super) async fn user_by_email(_s: &DynamoStore, _email: &str) -> Result<Option<User>> {
    Err(unsupported("user_by_email"))
}

pub(super) async fn credentials(_s: &DynamoStore, _email: &str) -> Result<Option<Credentials>> {
    Err(unsupported("credentials"))
}

pub(super) async fn set_password(
    _s: &DynamoStore,
    _id: &UserId,
    _password_hash: &str,
) -> Result<()> {
    Err(unsupported("set_password"))
}

pub(super) async fn set_user_phone(
    _s: &DynamoStore,
    _id: &UserId,
    _phone: Option<String>,
) -> Result<()> {
    Err(unsupported("set_user_phone"))
}

pub(super) async fn create_session(_s: &DynamoStore, _session: NewSession) -> Result<()> {
    Err(unsupported("create_session"))
}

pub(super) async fn note_sign_in_device(
    _s: &DynamoStore,
    _user: &UserId,
    _device: &str,
    _now: Timestamp,
    _mail: Option<notifications::NewNotification>,
) -> Result<bool> {
    Err(unsupported("note_sign_in_device"))
}

pub(super) async fn sign_in_mail(_s: &DynamoStore, _user: &UserId) -> Result<bool> {
    Err(unsupported("sign_in_mail"))
}

pub(super) async fn set_sign_in_mail(_s: &DynamoStore, _user: &UserId, _on: bool) -> Result<()> {
    Err(unsupported("set_sign_in_mail"))
}

pub(super) async fn session(
    _s: &DynamoStore,
    _token_hash: &str,
    _now: Timestamp,
) -> Result<Option<Session>> {
    Err(unsupported("session"))
}

pub(super) async fn delete_session(_s: &DynamoStore, _token_hash: &str) -> Result<()> {
    Err(unsupported("delete_session"))
}

pub(super) async fn delete_other_sessions(
    _s: &DynamoStore,
    _user: &UserId,
    _keep_token_hash: &str,
) -> Result<()> {
    Err(unsupported("delete_other_sessions"))
}

pub(super) async fn delete_expired(
    _s: &DynamoStore,
    _now: Timestamp,
    _idempotency_before: Timestamp,
) -> Result<u64> {
    Err(unsupported("delete_expired"))
}

pub(super) async fn sessions_of(
    _s: &DynamoStore,
    _user: &UserId,
    _now: Timestamp,
) -> Result<Vec<SessionInfo>> {
    Err(unsupported("sessions_of"))
}

pub(super) async fn touch_session(
    _s: &DynamoStore,
    _token_hash: &str,
    _now: Timestamp,
    _since: Timestamp,
) -> Result<()> {
    Err(unsupported("touch_session"))
}

pub(super) async fn end_session(
    _s: &DynamoStore,
    _user: &UserId,
    _hash_prefix: &str,
) -> Result<bool> {
    Err(unsupported("end_session"))
}

pub(super) async fn issue_account_token(
    _s: &DynamoStore,
    _token: NewAccountToken,
    _mail: Option<notifications::NewNotification>,
) -> Result<()> {
    Err(unsupported("issue_account_token"))
}

pub(super) async fn redeem_account_token(
    _s: &DynamoStore,
    _token_hash: &str,
    _purpose: TokenPurpose,
    _now: Timestamp,
) -> Result<Option<UserId>> {
    Err(unsupported("redeem_account_token"))
}

pub(super) async fn account_token_user(
    _s: &DynamoStore,
    _token_hash: &str,
    _purpose: TokenPurpose,
    _now: Timestamp,
) -> Result<Option<User>> {
    Err(unsupported("account_token_user"))
}

pub(super) async fn reset_password(
    _s: &DynamoStore,
    _token_hash: &str,
    _password_hash: &str,
    _now: Timestamp,
) -> Result<Option<UserId>> {
    Err(unsupported("reset_password"))
}

pub(super) async fn totp(_s: &DynamoStore, _user: &UserId) -> Result<Option<TotpFactor>> {
    Err(unsupported("totp"))
}

pub(super) async fn set_pending_totp(
    _s: &DynamoStore,
    _user: &UserId,
    _secret: &str,
    _now: Timestamp,
) -> Result<()> {
    Err(unsupported("set_pending_totp"))
}

pub(super) async fn confirm_totp(
    _s: &DynamoStore,
    _user: &UserId,
    _step: i64,
    _recovery_hashes: Vec<String>,
    _now: Timestamp,
) -> Result<bool> {
    Err(unsupported("confirm_totp"))
}

pub(super) async fn use_totp_step(_s: &DynamoStore, _user: &UserId, _step: i64) -> Result<bool> {
    Err(unsupported("use_totp_step"))
}

pub(super) async fn use_recovery_code(
    _s: &DynamoStore,
    _user: &UserId,
    _code_hash: &str,
    _now: Timestamp,
) -> Result<bool> {
    Err(unsupported("use_recovery_code"))
}

pub(super) async fn remove_totp(_s: &DynamoStore, _user: &UserId) -> Result<()> {
    Err(unsupported("remove_totp"))
}

pub(super) async fn queue_account_mail(
    _s: &DynamoStore,
    _mail: notifications::NewNotification,
) -> Result<()> {
    Err(unsupported("queue_account_mail"))
}
