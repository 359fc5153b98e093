//! Queuing notifications, inside the order's own transaction: who hears of a new order or a
//! status change, on which channel, with which snapshot of the order.

use std::collections::HashMap;

use orderbell_core::order::{Actor, Order, OrderAction};
use orderbell_core::{ShopId, Timestamp, UserId};

use super::bad;
use super::settings::member_settings;
use crate::db::{Db, Row};
use crate::notifications::{Channel, NewNotification, NotifyEvent, Payload, Recipient, ShopInfo};
use crate::{Result, params};

/// What the order looked like, for the message texts (rendered at send time by the server).
fn payload(
    order: &Order,
    shop: &ShopInfo,
    actor: Option<&Actor>,
    message_id: Option<i64>,
) -> Result<String> {
    Payload {
        message_id,
        ..Payload::of_order(order, shop, actor)
    }
    .to_json()
}

pub fn shop_of(db: &mut dyn Db, shop: &ShopId) -> Result<ShopInfo> {
    let r = db.query_one(
        "SELECT slug, name, phone, locale, time_zone FROM shops WHERE id = $1",
        params![shop.as_str()],
    )?;
    Ok(ShopInfo {
        slug: r.text(0)?,
        name: r.text(1)?,
        phone: r.opt_text(2)?,
        locale: r.text(3)?,
        time_zone: r.text(4)?,
    })
}

pub fn enqueue(db: &mut dyn Db, n: &NewNotification) -> Result<i64> {
    db.query_one(
        "INSERT INTO notifications (shop_id, order_id, link_id, channel, destination, recipient, user_id, event, locale,
         payload, status, attempts, run_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'queued', 0, $11, $12, $13) RETURNING id",
        params![
            n.shop_id.as_ref().map(|s| s.as_str()),
            n.order_id.as_ref().map(|o| o.as_str()),
            n.link_id,
            n.channel.as_str(),
            &n.destination,
            n.recipient.as_str(),
            n.user_id.as_ref().map(|u| u.as_str()),
            n.event.as_str(),
            &n.locale,
            &n.payload,
            n.run_at,
            n.now,
            n.now
        ],
    )?
    .int(0)
}

/// The active member links of a shop: (link id, channel, address, locale, user id).
pub fn member_links(db: &mut dyn Db, shop: &ShopId) -> Result<Vec<Row>> {
    db.query(
        "SELECT l.id, l.channel, l.address, l.locale, l.user_id
         FROM memberships m JOIN channel_links l ON l.user_id = m.user_id
         WHERE m.shop_id = $1 AND l.status = 'active' AND (l.shop_id IS NULL OR l.shop_id = $1)
         ORDER BY l.id",
        params![shop.as_str()],
    )
}

/// Queues `event` for the shop's members whose linked channels the shop's settings want.
pub fn to_members(
    db: &mut dyn Db,
    order: &Order,
    shop: &ShopInfo,
    event: NotifyEvent,
    payload: &str,
    rows: Vec<Row>,
    now: Timestamp,
) -> Result<()> {
    let settings = member_settings(db, &order.shop_id)?;
    if settings.channels(event).is_empty() {
        return Ok(());
    }
    for r in rows {
        let channel: Channel = r.text(1)?.parse().map_err(|e| bad("channel", e))?;
        if !settings.wants(event, channel) {
            continue;
        }
        enqueue(
            db,
            &NewNotification {
                shop_id: Some(order.shop_id.clone()),
                order_id: Some(order.id.clone()),
                link_id: Some(r.int(0)?),
                channel,
                destination: r.text(2)?,
                recipient: Recipient::Member,
                user_id: r.opt_text(4)?.map(UserId::from_stored),
                event,
                locale: r.opt_text(3)?.unwrap_or_else(|| shop.locale.clone()),
                payload: payload.to_owned(),
                run_at: now,
                now,
            },
        )?;
    }
    Ok(())
}

/// Queues notifications of new orders (a write batch) for their shops' members' linked
/// channels. One query per shop when nobody linked anything (order intake stays cheap).
pub fn orders_created(db: &mut dyn Db, orders: &[&Order]) -> Result<()> {
    let mut links: HashMap<&ShopId, Vec<Row>> = HashMap::new();
    for order in orders {
        let rows = match links.get(&order.shop_id) {
            Some(rows) => rows,
            None => {
                let rows = member_links(db, &order.shop_id)?;
                links.entry(&order.shop_id).or_insert(rows)
            }
        };
        if rows.is_empty() {
            continue;
        }
        let rows = rows.clone();
        let shop = shop_of(db, &order.shop_id)?;
        let payload = payload(order, &shop, None, None)?;
        to_members(
            db,
            order,
            &shop,
            NotifyEvent::NewOrder,
            &payload,
            rows,
            order.updated_at,
        )?;
    }
    Ok(())
}

fn event_of(action: &OrderAction) -> Option<NotifyEvent> {
    Some(match action {
        OrderAction::Accept { .. } => NotifyEvent::Accepted,
        OrderAction::Ready => NotifyEvent::Ready,
        OrderAction::Reject { .. } => NotifyEvent::Rejected,
        OrderAction::Cancel { .. } => NotifyEvent::Cancelled,
        OrderAction::Complete => NotifyEvent::Completed,
        OrderAction::Miss => NotifyEvent::Missed,
        OrderAction::Acknowledge => return None,
    })
}

/// Queues notifications of a status change: the order's customer on every channel they linked
/// to it, members as the shop's settings say, and an edit of every member's Telegram message
/// about the order so it shows the new status and who set it.
pub fn order_changed(
    db: &mut dyn Db,
    order: &Order,
    action: &OrderAction,
    actor: &Actor,
) -> Result<()> {
    let Some(event) = event_of(action) else {
        return Ok(());
    };
    let shop = shop_of(db, &order.shop_id)?;
    let body = payload(order, &shop, Some(actor), None)?;
    let customers = db.query(
        "SELECT id, channel, address, locale FROM channel_links WHERE order_id = $1 AND status = 'active' ORDER BY id",
        params![order.id.as_str()],
    )?;
    for r in customers {
        enqueue(
            db,
            &NewNotification {
                shop_id: Some(order.shop_id.clone()),
                order_id: Some(order.id.clone()),
                link_id: Some(r.int(0)?),
                channel: r.text(1)?.parse().map_err(|e| bad("channel", e))?,
                destination: r.text(2)?,
                recipient: Recipient::Customer,
                user_id: None,
                event,
                locale: r.opt_text(3)?.unwrap_or_else(|| shop.locale.clone()),
                payload: body.clone(),
                run_at: order.updated_at,
                now: order.updated_at,
            },
        )?;
    }
    let links = member_links(db, &order.shop_id)?;
    if !links.is_empty() {
        to_members(db, order, &shop, event, &body, links, order.updated_at)?;
    }
    let sent = db.query(
        "SELECT link_id, destination, provider_message_id, locale, user_id FROM notifications
         WHERE order_id = $1 AND channel = 'telegram' AND event IN ('new_order', 'reminder')
           AND provider_message_id IS NOT NULL
         ORDER BY id",
        params![order.id.as_str()],
    )?;
    for r in sent {
        let Some(message_id) = r.opt_text(2)?.and_then(|m| m.parse::<i64>().ok()) else {
            continue;
        };
        let edit = payload(order, &shop, Some(actor), Some(message_id))?;
        enqueue(
            db,
            &NewNotification {
                shop_id: Some(order.shop_id.clone()),
                order_id: Some(order.id.clone()),
                link_id: r.opt_int(0)?,
                channel: Channel::Telegram,
                destination: r.text(1)?,
                recipient: Recipient::Member,
                user_id: r.opt_text(4)?.map(UserId::from_stored),
                event: NotifyEvent::StatusEdit,
                locale: r.text(3)?,
                payload: edit,
                run_at: order.updated_at,
                now: order.updated_at,
            },
        )?;
    }
    Ok(())
}
