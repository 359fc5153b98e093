//! The delivery log: an order's notifications, one by id, cancelling the queued ones, and the
//! providers' delivery reports (statuses only move forward).

use orderbell_core::{OrderId, ShopId, Timestamp};

use super::links::mark_link_dead;
use super::outbox::{N_COLUMNS, notification_from};
use crate::db::Db;
use crate::notifications::{DeliveryReport, Notification, NotificationStatus, NotifyEvent};
use crate::{Result, params};

pub fn of_order(db: &mut dyn Db, shop: &ShopId, order: &OrderId) -> Result<Vec<Notification>> {
    let sql = format!(
        "SELECT {N_COLUMNS} FROM notifications n LEFT JOIN channel_links l ON l.id = n.link_id
         WHERE n.shop_id = $1 AND n.order_id = $2 ORDER BY n.id"
    );
    db.query(&sql, params![shop.as_str(), order.as_str()])?
        .iter()
        .map(notification_from)
        .collect()
}

pub fn by_id(db: &mut dyn Db, id: i64) -> Result<Option<Notification>> {
    let sql = format!(
        "SELECT {N_COLUMNS} FROM notifications n LEFT JOIN channel_links l ON l.id = n.link_id WHERE n.id = $1"
    );
    db.query_opt(&sql, params![id])?
        .map(|r| notification_from(&r))
        .transpose()
}

pub fn cancel(
    db: &mut dyn Db,
    order: &OrderId,
    events: &[NotifyEvent],
    now: Timestamp,
) -> Result<u64> {
    let mut total = 0;
    for event in events {
        // A row being sent right now (leased) is left to finish.
        total += db.execute(
            "UPDATE notifications SET status = 'cancelled', updated_at = $1
             WHERE order_id = $2 AND event = $3 AND status = 'queued'",
            params![now, order.as_str(), event.as_str()],
        )?;
    }
    Ok(total)
}

/// Delivery-log order of statuses: a late report never moves a row backwards.
fn rank(status: NotificationStatus) -> i64 {
    match status {
        NotificationStatus::Queued
        | NotificationStatus::Sending
        | NotificationStatus::Cancelled => 0,
        NotificationStatus::Sent => 1,
        NotificationStatus::Delivered => 2,
        NotificationStatus::Read => 3,
        NotificationStatus::Failed => 4,
    }
}

/// The status a provider's report stands for.
fn reported(provider_status: &str) -> NotificationStatus {
    match provider_status {
        "delivered" => NotificationStatus::Delivered,
        "read" => NotificationStatus::Read,
        "failed" | "undelivered" => NotificationStatus::Failed,
        _ => NotificationStatus::Sent,
    }
}

pub fn report(db: &mut dyn Db, r: &DeliveryReport) -> Result<bool> {
    let Some(row) = db.query_opt(
        "SELECT id, status, link_id FROM notifications WHERE channel = $1 AND provider_message_id = $2",
        params![r.channel.as_str(), &r.provider_message_id],
    )?
    else {
        return Ok(false);
    };
    let (id, link) = (row.int(0)?, row.opt_int(2)?);
    let current: NotificationStatus = row.text(1)?.parse()?;
    let status = reported(&r.provider_status);
    if rank(status) > rank(current) {
        let error = r
            .error_code
            .as_ref()
            .map(|c| format!("{} reported {} (error {c})", r.channel, r.provider_status));
        db.execute(
            "UPDATE notifications SET status = $1, provider_status = $2, error_code = COALESCE($3, error_code),
             last_error = COALESCE($4, last_error), updated_at = $5 WHERE id = $6",
            params![status.as_str(), &r.provider_status, r.error_code.clone(), error, r.now, id],
        )?;
    } else {
        db.execute(
            "UPDATE notifications SET provider_status = COALESCE(provider_status, $1), updated_at = $2 WHERE id = $3",
            params![&r.provider_status, r.now, id],
        )?;
    }
    if r.dead_link {
        if let Some(link) = link {
            let reason = format!(
                "{} reported error {}",
                r.channel,
                r.error_code.as_deref().unwrap_or("?")
            );
            mark_link_dead(db, link, &reason, r.now)?;
        }
    }
    Ok(true)
}
