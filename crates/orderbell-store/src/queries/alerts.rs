//! Escalation timers of unanswered orders (`order_alerts`), written once for both backends.
//! See [`crate::alerts`] for the guarantees; the step rules themselves are
//! `orderbell_core::escalation`.

use std::collections::HashMap;

use orderbell_core::escalation::{self, Step, Timer};
use orderbell_core::order::{Actor, Order, OrderAction, OrderStatus};
use orderbell_core::shop::Shop;
use orderbell_core::{OrderId, ShopId, Timestamp, UserId};

use super::notifications::{enqueue, member_links, member_settings, shop_of};
use crate::alerts::{
    AlertStatus, ChannelHealth, Fired, OrderAlert, Target, end_of_day, shop_payload,
};
use crate::db::{Db, Row, Value};
use crate::notifications::{
    Channel, MemberSettings, NewNotification, NotifyEvent, Payload, Recipient, ShopInfo,
};
use crate::{Result, StoreError, params};

fn bad(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("stored escalation data has a bad {what}: {e}"))
}

const ALERT_COLUMNS: &str = "order_id, shop_id, status, next_step, due_at, repeats, called";

fn alert_from(r: &Row) -> Result<OrderAlert> {
    let step = r.text(3)?;
    Ok(OrderAlert {
        order_id: OrderId::from_stored(r.text(0)?),
        shop_id: ShopId::from_stored(r.text(1)?),
        status: r.text(2)?.parse()?,
        next_step: Step::parse(&step).ok_or_else(|| bad("step", &step))?,
        due_at: r.time(4)?,
        repeats: u32::try_from(r.int(5)?).map_err(|e| bad("repeat count", e))?,
        called: r.bool(6)?,
    })
}

// ---------------------------------------------------------------------------------------------
// Written with the order and its acknowledgement

/// Starts the timer of every new pending order, inside the transaction that stores them.
pub fn orders_created(db: &mut dyn Db, orders: &[&Order]) -> Result<()> {
    let mut policies = HashMap::new();
    let mut values: Vec<Value> = Vec::with_capacity(orders.len() * 9);
    for order in orders {
        if order.status != OrderStatus::Pending || order.acknowledged_at.is_some() {
            continue;
        }
        let policy = match policies.get(&order.shop_id) {
            Some(p) => p,
            None => {
                let policy =
                    super::shops::alert_policy(db, &order.shop_id)?.ok_or(StoreError::NotFound)?;
                policies.entry(order.shop_id.clone()).or_insert(policy)
            }
        };
        let timer = escalation::start(policy, order.created_at);
        values.extend([
            order.id.as_str().into(),
            order.shop_id.as_str().into(),
            "active".into(),
            timer.next.as_str().into(),
            timer.due_at.into(),
            i64::from(timer.repeats).into(),
            timer.called.into(),
            order.created_at.into(),
            order.created_at.into(),
        ]);
    }
    super::orders::insert_rows(
        db,
        "INSERT INTO order_alerts (order_id, shop_id, status, next_step, due_at, repeats, called, created_at, updated_at)",
        9,
        &values,
    )
}

/// Inside the transaction of an order change: the first acknowledgement (or the order closing
/// any other way) ends the timer and cancels the escalation messages still queued.
pub fn order_changed(db: &mut dyn Db, order: &Order, action: &OrderAction) -> Result<()> {
    if matches!(action, OrderAction::Miss) {
        // Only the timer itself makes an order missed, and it has already moved on.
        return Ok(());
    }
    let answered = order.acknowledged_at.is_some();
    if !answered && !order.status.is_final() {
        return Ok(());
    }
    let ended = db.execute(
        "UPDATE order_alerts SET status = $1, updated_at = $2 WHERE order_id = $3 AND status = 'active'",
        params![
            if answered {
                AlertStatus::Answered
            } else {
                AlertStatus::Ended
            }
            .as_str(),
            order.updated_at,
            order.id.as_str()
        ],
    )?;
    if ended > 0 {
        super::notifications::cancel(db, &order.id, &NotifyEvent::ESCALATION, order.updated_at)?;
    }
    if answered {
        // Someone is there: the count of orders missed in a row starts again.
        db.execute(
            "UPDATE shops SET missed_in_row = 0 WHERE id = $1 AND missed_in_row <> 0",
            params![order.shop_id.as_str()],
        )?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Firing due timers

/// What one firing job knows about a shop (read once per shop and job).
struct ShopCache {
    shop: Shop,
    info: ShopInfo,
    settings: MemberSettings,
    links: Vec<Row>,
}

fn cached<'a>(
    db: &mut dyn Db,
    cache: &'a mut HashMap<ShopId, ShopCache>,
    id: &ShopId,
) -> Result<&'a ShopCache> {
    if !cache.contains_key(id) {
        let shop = super::shops::shop(db, id)?.ok_or(StoreError::NotFound)?;
        let entry = ShopCache {
            info: shop_of(db, id)?,
            settings: member_settings(db, id)?,
            links: member_links(db, id)?,
            shop,
        };
        cache.insert(id.clone(), entry);
    }
    cache.get(id).ok_or(StoreError::NotFound)
}

/// Fires every timer due at `now`, each with its effects, in the caller's transaction.
pub fn fire_due(db: &mut dyn Db, now: Timestamp, limit: i64, calls: bool) -> Result<Vec<Fired>> {
    let due = db.query(
        &format!(
            "SELECT {ALERT_COLUMNS} FROM order_alerts WHERE status = 'active' AND due_at <= $1
             ORDER BY due_at, order_id LIMIT $2"
        ),
        params![now, limit.clamp(1, 10_000)],
    )?;
    let mut cache = HashMap::new();
    let mut fired = Vec::with_capacity(due.len());
    for row in due {
        let alert = alert_from(&row)?;
        if let Some(f) = fire_one(db, &mut cache, &alert, now, calls)? {
            fired.push(f);
        }
    }
    Ok(fired)
}

fn fire_one(
    db: &mut dyn Db,
    cache: &mut HashMap<ShopId, ShopCache>,
    alert: &OrderAlert,
    now: Timestamp,
    calls: bool,
) -> Result<Option<Fired>> {
    let Some(order) = super::orders::order(db, &alert.shop_id, &alert.order_id)? else {
        db.execute(
            "UPDATE order_alerts SET status = 'ended', updated_at = $1 WHERE order_id = $2",
            params![now, alert.order_id.as_str()],
        )?;
        return Ok(None);
    };
    let c = cached(db, cache, &alert.shop_id)?;
    let policy = c.shop.alerts.clone();
    let timer = Timer {
        next: alert.next_step,
        due_at: alert.due_at,
        repeats: alert.repeats,
        called: alert.called,
    };
    let still_open = order.status == OrderStatus::Pending && order.acknowledged_at.is_none();
    let firing = if still_open {
        escalation::fire(&policy, order.created_at, &timer, now)
    } else {
        escalation::Firing {
            steps: vec![],
            next: None,
        }
    };
    // Move the timer on first, conditionally: whoever changed it first (another instance, the
    // acknowledgement) wins, and this job writes nothing for it.
    let (status, next) = match (&firing.next, firing.steps.contains(&Step::Miss)) {
        (Some(t), _) => (AlertStatus::Active, *t),
        (None, true) => (AlertStatus::Missed, timer),
        (None, false) => (AlertStatus::Ended, timer),
    };
    let moved = db.execute(
        "UPDATE order_alerts SET status = $1, next_step = $2, due_at = $3, repeats = $4, called = $5, updated_at = $6
         WHERE order_id = $7 AND status = 'active' AND due_at = $8 AND next_step = $9",
        params![
            status.as_str(),
            next.next.as_str(),
            next.due_at,
            i64::from(next.repeats),
            next.called,
            now,
            alert.order_id.as_str(),
            alert.due_at,
            alert.next_step.as_str()
        ],
    )?;
    if moved == 0 || firing.steps.is_empty() {
        return Ok(None);
    }
    let waited = (now - order.created_at).get_seconds();
    let mut queued = 0;
    let mut missed = None;
    let mut paused_until = None;
    for step in &firing.steps {
        match step {
            Step::Repeat => {
                let c = cached(db, cache, &alert.shop_id)?;
                let payload = Payload {
                    waited_seconds: Some(waited),
                    ..Payload::of_order(&order, &c.info, None)
                }
                .to_json()?;
                let targets = member_targets(c, NotifyEvent::Reminder)?;
                for t in targets {
                    enqueue(
                        db,
                        &t.notification(&order, NotifyEvent::Reminder, &payload, now),
                    )?;
                    queued += 1;
                }
            }
            Step::Call if calls => {
                let c = cached(db, cache, &alert.shop_id)?;
                let payload = Payload {
                    waited_seconds: Some(waited),
                    ..Payload::of_order(&order, &c.info, None)
                }
                .to_json()?;
                let (locale, shop_phone) = (c.info.locale.clone(), c.shop.phone.clone());
                for t in phone_targets(db, &alert.shop_id, &locale, shop_phone)? {
                    enqueue(
                        db,
                        &t.notification(&order, NotifyEvent::Call, &payload, now),
                    )?;
                    queued += 1;
                }
            }
            Step::Call => {}
            Step::Miss => {
                let changed = super::orders::apply_action(
                    db,
                    &alert.shop_id,
                    &alert.order_id,
                    &OrderAction::Miss,
                    &Actor::system(),
                    now,
                )?;
                missed = Some(changed);
                let (p, n) = after_miss(db, cache, &alert.shop_id, now)?;
                paused_until = p;
                queued += n;
            }
        }
    }
    Ok(Some(Fired {
        shop_id: alert.shop_id.clone(),
        order_id: alert.order_id.clone(),
        number: order.number,
        steps: firing.steps,
        queued,
        missed,
        paused_until,
        due_at: alert.due_at,
    }))
}

/// After an order was missed: counts it, and pauses ordering until the end of the shop's day
/// when `pause_after_missed` orders in a row went unanswered (telling the owners).
fn after_miss(
    db: &mut dyn Db,
    cache: &mut HashMap<ShopId, ShopCache>,
    shop_id: &ShopId,
    now: Timestamp,
) -> Result<(Option<Timestamp>, usize)> {
    let in_row = db
        .query_one(
            "UPDATE shops SET missed_in_row = missed_in_row + 1 WHERE id = $1 RETURNING missed_in_row",
            params![shop_id.as_str()],
        )?
        .int(0)?;
    let c = cached(db, cache, shop_id)?;
    let Some(limit) = c.shop.alerts.pause_after_missed else {
        return Ok((None, 0));
    };
    if in_row < i64::from(limit) || c.shop.paused_until.is_some_and(|p| p > now) {
        return Ok((None, 0));
    }
    let until = end_of_day(&c.shop, now);
    db.execute(
        "UPDATE shops SET paused_until = $1, missed_in_row = 0, updated_at = $2 WHERE id = $3",
        params![until, now, shop_id.as_str()],
    )?;
    if let Some(entry) = cache.get_mut(shop_id) {
        entry.shop.paused_until = Some(until);
    }
    let payload = Payload {
        paused_until: Some(until),
        ..shop_payload(&cached(db, cache, shop_id)?.info)
    };
    let n = owners_notice(db, shop_id, NotifyEvent::Paused, &payload, now)?;
    Ok((Some(until), n))
}

/// The member channels the shop's settings want for `event`.
fn member_targets(c: &ShopCache, event: NotifyEvent) -> Result<Vec<Target>> {
    let mut out = Vec::new();
    for r in &c.links {
        let channel: Channel = r.text(1)?.parse().map_err(|e| bad("channel", e))?;
        if !c.settings.wants(event, channel) {
            continue;
        }
        out.push(Target {
            link_id: Some(r.int(0)?),
            channel,
            destination: r.text(2)?,
            user_id: r.opt_text(4)?.map(UserId::from_stored),
            locale: r.opt_text(3)?.unwrap_or_else(|| c.info.locale.clone()),
        });
    }
    Ok(out)
}

/// Every member's phone and the shop's phone, once each.
fn phone_targets(
    db: &mut dyn Db,
    shop: &ShopId,
    locale: &str,
    shop_phone: Option<String>,
) -> Result<Vec<Target>> {
    let rows = db.query(
        "SELECT u.id, u.phone FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.shop_id = $1 AND u.phone IS NOT NULL ORDER BY m.created_at, u.id",
        params![shop.as_str()],
    )?;
    let mut out: Vec<Target> = Vec::new();
    for r in rows {
        let phone = r.text(1)?;
        if out.iter().any(|t| t.destination == phone) {
            continue;
        }
        out.push(Target {
            link_id: None,
            channel: Channel::Voice,
            destination: phone,
            user_id: Some(UserId::from_stored(r.text(0)?)),
            locale: locale.to_owned(),
        });
    }
    if let Some(phone) = shop_phone {
        if !out.iter().any(|t| t.destination == phone) {
            out.push(Target {
                link_id: None,
                channel: Channel::Voice,
                destination: phone,
                user_id: None,
                locale: locale.to_owned(),
            });
        }
    }
    Ok(out)
}

/// Queues a notice to every active channel of the shop's owners.
fn owners_notice(
    db: &mut dyn Db,
    shop: &ShopId,
    event: NotifyEvent,
    payload: &Payload,
    now: Timestamp,
) -> Result<usize> {
    let info = shop_of(db, shop)?;
    let body = payload.to_json()?;
    let rows = db.query(
        "SELECT l.id, l.channel, l.address, l.locale, l.user_id
         FROM memberships m JOIN channel_links l ON l.user_id = m.user_id
         WHERE m.shop_id = $1 AND m.role = 'owner' AND l.status = 'active' AND (l.shop_id IS NULL OR l.shop_id = $1)
         ORDER BY l.id",
        params![shop.as_str()],
    )?;
    let mut n = 0;
    for r in rows {
        enqueue(
            db,
            &NewNotification {
                shop_id: Some(shop.clone()),
                order_id: None,
                link_id: Some(r.int(0)?),
                channel: r.text(1)?.parse().map_err(|e| bad("channel", e))?,
                destination: r.text(2)?,
                recipient: Recipient::Member,
                user_id: r.opt_text(4)?.map(UserId::from_stored),
                event,
                locale: r.opt_text(3)?.unwrap_or_else(|| info.locale.clone()),
                payload: body.clone(),
                run_at: now,
                now,
            },
        )?;
        n += 1;
    }
    Ok(n)
}

/// A notice about the shop to its owners (the watchdog's "nobody would hear an order").
pub fn notify_owners(
    db: &mut dyn Db,
    shop: &ShopId,
    event: NotifyEvent,
    problems: Vec<String>,
    now: Timestamp,
) -> Result<usize> {
    let payload = Payload {
        problems,
        ..shop_payload(&shop_of(db, shop)?)
    };
    owners_notice(db, shop, event, &payload, now)
}

// ---------------------------------------------------------------------------------------------
// Reads

pub fn next_due(db: &mut dyn Db) -> Result<Option<Timestamp>> {
    db.query_one(
        "SELECT MIN(due_at) FROM order_alerts WHERE status = 'active'",
        &[],
    )?
    .opt_time(0)
}

pub fn active(db: &mut dyn Db, shop: &ShopId) -> Result<Vec<OrderAlert>> {
    db.query(
        &format!(
            "SELECT {ALERT_COLUMNS} FROM order_alerts WHERE shop_id = $1 AND status = 'active' ORDER BY due_at"
        ),
        params![shop.as_str()],
    )?
    .iter()
    .map(alert_from)
    .collect()
}

pub fn of_order(db: &mut dyn Db, order: &OrderId) -> Result<Option<OrderAlert>> {
    db.query_opt(
        &format!("SELECT {ALERT_COLUMNS} FROM order_alerts WHERE order_id = $1"),
        params![order.as_str()],
    )?
    .map(|r| alert_from(&r))
    .transpose()
}

pub fn channel_health(db: &mut dyn Db, shop: &ShopId) -> Result<Vec<ChannelHealth>> {
    db.query(
        "SELECT l.id, l.channel, l.status, l.label,
                (SELECT n.status FROM notifications n WHERE n.link_id = l.id ORDER BY n.id DESC LIMIT 1)
         FROM memberships m JOIN channel_links l ON l.user_id = m.user_id
         WHERE m.shop_id = $1 AND l.status IN ('active', 'dead') AND (l.shop_id IS NULL OR l.shop_id = $1)
         ORDER BY l.id",
        params![shop.as_str()],
    )?
    .iter()
    .map(|r| {
        Ok(ChannelHealth {
            link_id: r.int(0)?,
            channel: r.text(1)?.parse().map_err(|e| bad("channel", e))?,
            status: r.text(2)?.parse()?,
            label: r.opt_text(3)?,
            last_delivery: r.opt_text(4)?.map(|s| s.parse()).transpose()?,
        })
    })
    .collect()
}
