//! The notification outbox, delivery log, channel links, link codes, per-shop settings and the
//! webhook log, written once for both backends.
//!
//! `order_created` and `order_changed` run inside the order's own transaction: the rows they
//! write commit (or roll back) with the order, so a notification is never lost nor sent for an
//! order that does not exist. Nothing here talks to a provider.

use orderbell_core::order::{Actor, Order, OrderAction};
use orderbell_core::{OrderId, ShopId, Timestamp, UserId};

use crate::db::{Db, Row, Value};
use crate::notifications::{
    Channel, ChannelLink, DeliveryReport, Finish, LinkCode, MemberSettings, NewLink,
    NewNotification, Notification, NotifyEvent, Outcome, Payload, Recipient, ShopInfo,
    WebhookEntry,
};
use crate::{Result, StoreError, params};

fn bad(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("stored notification data has a bad {what}: {e}"))
}

// ---------------------------------------------------------------------------------------------
// Links

const LINK_COLUMNS: &str = "id, channel, address, keys, user_id, shop_id, order_id, locale, label, status, \
     status_reason, last_inbound_at, created_at";

fn link_from(r: &Row) -> Result<ChannelLink> {
    Ok(ChannelLink {
        id: r.int(0)?,
        channel: r.text(1)?.parse().map_err(|e| bad("channel", e))?,
        address: r.text(2)?,
        keys: r.opt_text(3)?,
        user_id: r.opt_text(4)?.map(UserId::from_stored),
        shop_id: r.opt_text(5)?.map(ShopId::from_stored),
        order_id: r.opt_text(6)?.map(OrderId::from_stored),
        locale: r.opt_text(7)?,
        label: r.opt_text(8)?,
        status: r.text(9)?,
        status_reason: r.opt_text(10)?,
        last_inbound_at: r.opt_time(11)?,
        created_at: r.time(12)?,
    })
}

pub fn upsert_link(db: &mut dyn Db, l: &NewLink) -> Result<ChannelLink> {
    if l.user_id.is_some() == l.order_id.is_some() {
        return Err(StoreError::Backend(
            "a link is for a member or for an order, not both".into(),
        ));
    }
    let inbound = if l.inbound { Some(l.now) } else { None };
    let existing = match (&l.user_id, &l.order_id) {
        (Some(user), _) => db.query_opt(
            "SELECT id FROM channel_links WHERE user_id = $1 AND COALESCE(shop_id, '') = $2 AND channel = $3 AND address = $4",
            params![
                user.as_str(),
                l.shop_id.as_ref().map_or("", |s| s.as_str()),
                l.channel.as_str(),
                &l.address
            ],
        )?,
        (None, Some(order)) => db.query_opt(
            "SELECT id FROM channel_links WHERE order_id = $1 AND channel = $2 AND address = $3",
            params![order.as_str(), l.channel.as_str(), &l.address],
        )?,
        (None, None) => None,
    };
    let id = match existing {
        Some(row) => {
            let id = row.int(0)?;
            db.execute(
                "UPDATE channel_links SET keys = COALESCE($1, keys), locale = COALESCE($2, locale), label = COALESCE($3, label),
                 status = 'active', status_reason = NULL, last_inbound_at = COALESCE($4, last_inbound_at), updated_at = $5
                 WHERE id = $6",
                params![l.keys.clone(), l.locale.clone(), l.label.clone(), inbound, l.now, id],
            )?;
            id
        }
        None => db
            .query_one(
                "INSERT INTO channel_links (channel, address, keys, user_id, shop_id, order_id, locale, label, status,
                 last_inbound_at, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', $9, $10, $11) RETURNING id",
                params![
                    l.channel.as_str(),
                    &l.address,
                    l.keys.clone(),
                    l.user_id.as_ref().map(|u| u.as_str()),
                    l.shop_id.as_ref().map(|s| s.as_str()),
                    l.order_id.as_ref().map(|o| o.as_str()),
                    l.locale.clone(),
                    l.label.clone(),
                    inbound,
                    l.now,
                    l.now
                ],
            )?
            .int(0)?,
    };
    if l.inbound {
        touch_inbound(db, l.channel, &l.address, l.now)?;
    }
    let sql = format!("SELECT {LINK_COLUMNS} FROM channel_links WHERE id = $1");
    link_from(&db.query_one(&sql, params![id])?)
}

pub fn links_by_address(
    db: &mut dyn Db,
    channel: Channel,
    address: &str,
) -> Result<Vec<ChannelLink>> {
    let sql = format!(
        "SELECT {LINK_COLUMNS} FROM channel_links WHERE channel = $1 AND address = $2 AND status = 'active' ORDER BY id"
    );
    db.query(&sql, params![channel.as_str(), address])?
        .iter()
        .map(link_from)
        .collect()
}

pub fn links_of_user(db: &mut dyn Db, user: &UserId) -> Result<Vec<ChannelLink>> {
    let sql = format!("SELECT {LINK_COLUMNS} FROM channel_links WHERE user_id = $1 ORDER BY id");
    db.query(&sql, params![user.as_str()])?
        .iter()
        .map(link_from)
        .collect()
}

pub fn unlink_address(
    db: &mut dyn Db,
    channel: Channel,
    address: &str,
    user: Option<&UserId>,
    now: Timestamp,
) -> Result<u64> {
    match user {
        Some(user) => db.execute(
            "UPDATE channel_links SET status = 'unlinked', status_reason = 'stopped', updated_at = $1
             WHERE channel = $2 AND address = $3 AND user_id = $4 AND status = 'active'",
            params![now, channel.as_str(), address, user.as_str()],
        ),
        None => db.execute(
            "UPDATE channel_links SET status = 'unlinked', status_reason = 'stopped', updated_at = $1
             WHERE channel = $2 AND address = $3 AND status = 'active'",
            params![now, channel.as_str(), address],
        ),
    }
}

pub fn touch_inbound(
    db: &mut dyn Db,
    channel: Channel,
    address: &str,
    now: Timestamp,
) -> Result<()> {
    db.execute(
        "UPDATE channel_links SET last_inbound_at = $1 WHERE channel = $2 AND address = $3",
        params![now, channel.as_str(), address],
    )?;
    Ok(())
}

fn mark_link_dead(db: &mut dyn Db, link: i64, reason: &str, now: Timestamp) -> Result<()> {
    db.execute(
        "UPDATE channel_links SET status = 'dead', status_reason = $1, updated_at = $2 WHERE id = $3 AND status = 'active'",
        params![reason, now, link],
    )?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Link codes

pub fn create_link_code(db: &mut dyn Db, hash: &str, c: &LinkCode, now: Timestamp) -> Result<()> {
    db.execute(
        "INSERT INTO link_codes (code_hash, channel, user_id, shop_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        params![
            hash,
            c.channel.map(Channel::as_str),
            c.user_id.as_str(),
            c.shop_id.as_str(),
            now,
            c.expires_at
        ],
    )?;
    Ok(())
}

pub fn take_link_code(db: &mut dyn Db, hash: &str, now: Timestamp) -> Result<Option<LinkCode>> {
    let row = db.query_opt(
        "DELETE FROM link_codes WHERE code_hash = $1 RETURNING channel, user_id, shop_id, expires_at",
        params![hash],
    )?;
    let Some(r) = row else { return Ok(None) };
    let code = LinkCode {
        channel: r
            .opt_text(0)?
            .map(|c| c.parse())
            .transpose()
            .map_err(|e| bad("channel", e))?,
        user_id: UserId::from_stored(r.text(1)?),
        shop_id: ShopId::from_stored(r.text(2)?),
        expires_at: r.time(3)?,
    };
    Ok((code.expires_at > now).then_some(code))
}

// ---------------------------------------------------------------------------------------------
// Settings

pub fn member_settings(db: &mut dyn Db, shop: &ShopId) -> Result<MemberSettings> {
    let row = db.query_opt(
        "SELECT members FROM notification_settings WHERE shop_id = $1",
        params![shop.as_str()],
    )?;
    match row {
        None => Ok(MemberSettings::default()),
        Some(r) => {
            let json: serde_json::Value =
                serde_json::from_str(&r.text(0)?).map_err(|e| bad("settings", e))?;
            MemberSettings::from_json(&json).map_err(|e| bad("settings", e))
        }
    }
}

pub fn set_member_settings(
    db: &mut dyn Db,
    shop: &ShopId,
    s: &MemberSettings,
    now: Timestamp,
) -> Result<()> {
    let json = s.to_json().to_string();
    db.execute(
        "INSERT INTO notification_settings (shop_id, members, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (shop_id) DO UPDATE SET members = excluded.members, updated_at = excluded.updated_at",
        params![shop.as_str(), json, now],
    )?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The outbox: written in the order's transaction

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
            n.shop_id.as_str(),
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
                shop_id: order.shop_id.clone(),
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

/// Queues notifications of a new order for the shop's members' linked channels.
pub fn order_created(db: &mut dyn Db, order: &Order) -> Result<()> {
    // One query when nobody linked anything (order intake stays cheap).
    let links = member_links(db, &order.shop_id)?;
    if links.is_empty() {
        return Ok(());
    }
    let shop = shop_of(db, &order.shop_id)?;
    let payload = payload(order, &shop, None, None)?;
    to_members(
        db,
        order,
        &shop,
        NotifyEvent::NewOrder,
        &payload,
        links,
        order.updated_at,
    )
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
                shop_id: order.shop_id.clone(),
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
                shop_id: order.shop_id.clone(),
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

// ---------------------------------------------------------------------------------------------
// The outbox: claims, outcomes, the delivery log

const N_COLUMNS: &str = "n.id, n.shop_id, n.order_id, n.link_id, n.channel, n.destination, n.recipient, n.user_id, \
     n.event, n.locale, n.payload, n.status, n.attempts, n.run_at, n.locked_until, n.claim, n.provider_message_id, \
     n.provider_status, n.error_code, n.last_error, n.created_at, n.updated_at, n.sent_at, l.keys, l.last_inbound_at";

fn notification_from(r: &Row) -> Result<Notification> {
    Ok(Notification {
        id: r.int(0)?,
        shop_id: ShopId::from_stored(r.text(1)?),
        order_id: r.opt_text(2)?.map(OrderId::from_stored),
        link_id: r.opt_int(3)?,
        channel: r.text(4)?.parse().map_err(|e| bad("channel", e))?,
        destination: r.text(5)?,
        recipient: match r.text(6)?.as_str() {
            "customer" => Recipient::Customer,
            _ => Recipient::Member,
        },
        user_id: r.opt_text(7)?.map(UserId::from_stored),
        event: r.text(8)?.parse().map_err(|e| bad("event", e))?,
        locale: r.text(9)?,
        payload: r.text(10)?,
        status: r.text(11)?,
        attempts: r.int(12)?,
        run_at: r.time(13)?,
        locked_until: r.opt_time(14)?,
        claim: r.opt_text(15)?,
        provider_message_id: r.opt_text(16)?,
        provider_status: r.opt_text(17)?,
        error_code: r.opt_text(18)?,
        last_error: r.opt_text(19)?,
        created_at: r.time(20)?,
        updated_at: r.time(21)?,
        sent_at: r.opt_time(22)?,
        link_keys: r.opt_text(23)?,
        link_last_inbound_at: r.opt_time(24)?,
    })
}

/// Claims due rows with a lease. No `SKIP LOCKED`: the outer `WHERE` re-checks the lease, so on
/// PostgreSQL a concurrent claimer that lost the race for a row (READ COMMITTED re-evaluates
/// it after the winner commits) simply does not get it; SQLite has one writer anyway.
pub fn claim(
    db: &mut dyn Db,
    now: Timestamp,
    lease_until: Timestamp,
    claim: &str,
    limit: i64,
) -> Result<Vec<Notification>> {
    let ids = db.query(
        "UPDATE notifications SET status = 'sending', locked_until = $1, claim = $2, attempts = attempts + 1, updated_at = $3
         WHERE id IN (SELECT id FROM notifications
                      WHERE status IN ('queued', 'sending') AND run_at <= $3 AND (locked_until IS NULL OR locked_until < $3)
                      ORDER BY run_at, id LIMIT $4)
           AND status IN ('queued', 'sending') AND (locked_until IS NULL OR locked_until < $3)
         RETURNING id",
        params![lease_until, claim, now, limit],
    )?;
    if ids.is_empty() {
        return Ok(vec![]);
    }
    // Read the claimed rows back by primary key (a lookup by `claim` would scan the table).
    let mut claimed = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(100) {
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() + 1);
        values.push(claim.into());
        let mut marks = Vec::with_capacity(chunk.len());
        for row in chunk {
            values.push(row.int(0)?.into());
            marks.push(format!("${}", values.len()));
        }
        let sql = format!(
            "SELECT {N_COLUMNS} FROM notifications n LEFT JOIN channel_links l ON l.id = n.link_id
             WHERE n.claim = $1 AND n.status = 'sending' AND n.id IN ({})",
            marks.join(", ")
        );
        for r in db.query(&sql, &values)? {
            claimed.push(notification_from(&r)?);
        }
    }
    claimed.sort_by_key(|n| (n.run_at, n.id));
    Ok(claimed)
}

fn snip(s: &str) -> String {
    s.chars().take(500).collect()
}

pub fn finish(db: &mut dyn Db, f: &Finish) -> Result<u64> {
    let n = match &f.outcome {
        Outcome::Sent {
            provider_message_id,
            provider_status,
        } => db.execute(
            "UPDATE notifications SET status = 'sent', locked_until = NULL, claim = NULL, provider_message_id = $1,
             provider_status = $2, error_code = NULL, updated_at = $3, sent_at = $3
             WHERE id = $4 AND claim = $5 AND status = 'sending'",
            params![provider_message_id.clone(), provider_status.clone(), f.now, f.id, &f.claim],
        )?,
        Outcome::Retry { run_at, code, error } => db.execute(
            "UPDATE notifications SET status = 'queued', locked_until = NULL, claim = NULL, run_at = $1, error_code = $2,
             last_error = $3, updated_at = $4
             WHERE id = $5 AND claim = $6 AND status = 'sending'",
            params![*run_at, code.clone(), snip(error), f.now, f.id, &f.claim],
        )?,
        Outcome::Defer { run_at } => db.execute(
            "UPDATE notifications SET status = 'queued', locked_until = NULL, claim = NULL, run_at = $1,
             attempts = attempts - 1, updated_at = $2
             WHERE id = $3 AND claim = $4 AND status = 'sending'",
            params![*run_at, f.now, f.id, &f.claim],
        )?,
        Outcome::Failed {
            code,
            error,
            dead_link,
        } => {
            let n = db.execute(
                "UPDATE notifications SET status = 'failed', locked_until = NULL, claim = NULL, error_code = $1,
                 last_error = $2, updated_at = $3
                 WHERE id = $4 AND claim = $5 AND status = 'sending'",
                params![code.clone(), snip(error), f.now, f.id, &f.claim],
            )?;
            if n > 0 && *dead_link {
                if let Some(link) = db
                    .query_opt("SELECT link_id FROM notifications WHERE id = $1", params![f.id])?
                    .and_then(|r| r.opt_int(0).ok().flatten())
                {
                    mark_link_dead(db, link, &snip(error), f.now)?;
                }
            }
            n
        }
    };
    Ok(n)
}

pub fn next_run_at(db: &mut dyn Db) -> Result<Option<Timestamp>> {
    // Leased rows become due again when their lease runs out.
    let r = db.query_one(
        "SELECT MIN(CASE WHEN locked_until IS NOT NULL AND locked_until > run_at THEN locked_until ELSE run_at END)
         FROM notifications WHERE status IN ('queued', 'sending')",
        &[],
    )?;
    r.opt_time(0)
}

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
fn rank(status: &str) -> i64 {
    match status {
        "queued" | "sending" => 0,
        "sent" => 1,
        "delivered" => 2,
        "read" => 3,
        "failed" => 4,
        _ => 0,
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
    let (id, current, link) = (row.int(0)?, row.text(1)?, row.opt_int(2)?);
    let status = match r.provider_status.as_str() {
        "delivered" => "delivered",
        "read" => "read",
        "failed" | "undelivered" => "failed",
        _ => "sent",
    };
    if rank(status) > rank(&current) {
        let error = r
            .error_code
            .as_ref()
            .map(|c| format!("{} reported {} (error {c})", r.channel, r.provider_status));
        db.execute(
            "UPDATE notifications SET status = $1, provider_status = $2, error_code = COALESCE($3, error_code),
             last_error = COALESCE($4, last_error), updated_at = $5 WHERE id = $6",
            params![status, &r.provider_status, r.error_code.clone(), error, r.now, id],
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

// ---------------------------------------------------------------------------------------------
// The webhook log

pub fn log_webhook(
    db: &mut dyn Db,
    provider: &str,
    kind: &str,
    body: &str,
    outcome: Option<&str>,
    now: Timestamp,
) -> Result<()> {
    let body: String = body.chars().take(16 * 1024).collect();
    db.execute(
        "INSERT INTO webhook_log (provider, kind, body, outcome, received_at) VALUES ($1, $2, $3, $4, $5)",
        params![provider, kind, body, outcome, now],
    )?;
    Ok(())
}

pub fn webhook_log(db: &mut dyn Db, provider: &str, limit: i64) -> Result<Vec<WebhookEntry>> {
    db.query(
        "SELECT id, provider, kind, body, outcome, received_at FROM webhook_log WHERE provider = $1 ORDER BY id DESC LIMIT $2",
        params![provider, limit.clamp(1, 1000)],
    )?
    .iter()
    .map(|r| {
        Ok(WebhookEntry {
            id: r.int(0)?,
            provider: r.text(1)?,
            kind: r.text(2)?,
            body: r.text(3)?,
            outcome: r.opt_text(4)?,
            received_at: r.time(5)?,
        })
    })
    .collect()
}

pub fn purge(db: &mut dyn Db, before: Timestamp, keep: i64, now: Timestamp) -> Result<u64> {
    let mut n = db.execute(
        "DELETE FROM webhook_log WHERE received_at < $1",
        params![before],
    )?;
    let newest = db
        .query_one("SELECT COALESCE(MAX(id), 0) FROM webhook_log", &[])?
        .int(0)?;
    n += db.execute(
        "DELETE FROM webhook_log WHERE id <= $1",
        params![newest - keep.max(0)],
    )?;
    n += db.execute("DELETE FROM link_codes WHERE expires_at < $1", params![now])?;
    Ok(n)
}
