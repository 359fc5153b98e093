//! TODO(dynamodb): notifications
#![allow(unused_imports)]

use crate::Result;
use crate::notifications::*;
use crate::records::*;
use orderbell_core::{OrderId, ShopId, Timestamp, UserId};

use super::{DynamoStore, unsupported};
pub(super) async fn upsert_link(_s: &DynamoStore, _link: NewLink) -> Result<ChannelLink> {
    Err(unsupported("upsert_link"))
}

pub(super) async fn links_by_address(
    _s: &DynamoStore,
    _channel: Channel,
    _address: &str,
) -> Result<Vec<ChannelLink>> {
    Err(unsupported("links_by_address"))
}

pub(super) async fn links_of_user(_s: &DynamoStore, _user: &UserId) -> Result<Vec<ChannelLink>> {
    Err(unsupported("links_of_user"))
}

pub(super) async fn unlink_address(
    _s: &DynamoStore,
    _channel: Channel,
    _address: &str,
    _user: Option<&UserId>,
    _now: Timestamp,
) -> Result<u64> {
    Err(unsupported("unlink_address"))
}

pub(super) async fn touch_inbound(
    _s: &DynamoStore,
    _channel: Channel,
    _address: &str,
    _now: Timestamp,
) -> Result<()> {
    Err(unsupported("touch_inbound"))
}

pub(super) async fn create_link_code(
    _s: &DynamoStore,
    _code_hash: &str,
    _code: LinkCode,
    _now: Timestamp,
) -> Result<()> {
    Err(unsupported("create_link_code"))
}

pub(super) async fn take_link_code(
    _s: &DynamoStore,
    _code_hash: &str,
    _now: Timestamp,
) -> Result<Option<LinkCode>> {
    Err(unsupported("take_link_code"))
}

pub(super) async fn member_settings(_s: &DynamoStore, _shop: &ShopId) -> Result<MemberSettings> {
    Err(unsupported("member_settings"))
}

pub(super) async fn set_member_settings(
    _s: &DynamoStore,
    _shop: &ShopId,
    _settings: MemberSettings,
    _now: Timestamp,
) -> Result<()> {
    Err(unsupported("set_member_settings"))
}

pub(super) async fn enqueue_notification(_s: &DynamoStore, _n: NewNotification) -> Result<i64> {
    Err(unsupported("enqueue_notification"))
}

pub(super) async fn claim_notifications(
    _s: &DynamoStore,
    _now: Timestamp,
    _lease_until: Timestamp,
    _claim: &str,
    _limit: i64,
) -> Result<Vec<Notification>> {
    Err(unsupported("claim_notifications"))
}

pub(super) async fn finish_notifications(_s: &DynamoStore, _finishes: Vec<Finish>) -> Result<u64> {
    Err(unsupported("finish_notifications"))
}

pub(super) async fn next_notification_at(_s: &DynamoStore) -> Result<Option<Timestamp>> {
    Err(unsupported("next_notification_at"))
}

pub(super) async fn order_notifications(
    _s: &DynamoStore,
    _shop: &ShopId,
    _order: &OrderId,
) -> Result<Vec<Notification>> {
    Err(unsupported("order_notifications"))
}

pub(super) async fn notification(_s: &DynamoStore, _id: i64) -> Result<Option<Notification>> {
    Err(unsupported("notification"))
}

pub(super) async fn cancel_notifications(
    _s: &DynamoStore,
    _order: &OrderId,
    _events: &[NotifyEvent],
    _now: Timestamp,
) -> Result<u64> {
    Err(unsupported("cancel_notifications"))
}

pub(super) async fn report_delivery(_s: &DynamoStore, _report: DeliveryReport) -> Result<bool> {
    Err(unsupported("report_delivery"))
}

pub(super) async fn log_webhook(
    _s: &DynamoStore,
    _provider: &str,
    _kind: &str,
    _body: &str,
    _outcome: Option<&str>,
    _now: Timestamp,
) -> Result<()> {
    Err(unsupported("log_webhook"))
}

pub(super) async fn webhook_log(
    _s: &DynamoStore,
    _provider: &str,
    _limit: i64,
) -> Result<Vec<WebhookEntry>> {
    Err(unsupported("webhook_log"))
}

pub(super) async fn purge_notification_logs(
    _s: &DynamoStore,
    _before: Timestamp,
    _keep: i64,
    _now: Timestamp,
) -> Result<u64> {
    Err(unsupported("purge_notification_logs"))
}

/// One outbox row (queries/notifications/enqueue.rs::enqueue): its new id and its write, for
/// the caller's transaction.
pub(super) fn enqueue(
    _s: &DynamoStore,
    _n: &NewNotification,
) -> Result<(i64, aws_sdk_dynamodb::types::TransactWriteItem)> {
    Err(unsupported("queue a notification"))
}

/// The notifications a new order queues (queries/notifications/enqueue.rs::orders_created).
pub(super) async fn order_created(
    _s: &DynamoStore,
    _order: &orderbell_core::order::Order,
) -> Result<Vec<aws_sdk_dynamodb::types::TransactWriteItem>> {
    // TODO(dynamodb): a placeholder that writes nothing, so that orders can be stored
    // while this is written; notify of a new order.
    Ok(Vec::new())
}

/// The notifications of an order change (queries/notifications/enqueue.rs::order_changed).
pub(super) async fn order_changed(
    _s: &DynamoStore,
    _order: &orderbell_core::order::Order,
    _action: &orderbell_core::order::OrderAction,
    _actor: &orderbell_core::order::Actor,
) -> Result<Vec<aws_sdk_dynamodb::types::TransactWriteItem>> {
    // TODO(dynamodb): a placeholder that writes nothing, so that orders can be stored
    // while this is written; notify of an order change.
    Ok(Vec::new())
}
