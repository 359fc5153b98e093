//! Orders, their events and idempotency keys.
//!
//! Line items are stored as a JSON snapshot in the order row: they never change after the order
//! is placed, they are always read together with it, and one row per order keeps order intake to
//! a handful of statements (see docs/design.md).

use orderbell_core::order::{
    Actor, Applied, CustomerInfo, Fulfillment, Order, OrderAction, OrderEvent, OrderItem,
    OrderStatus,
};
use orderbell_core::{Currency, CustomerId, OrderId, ShopId, Timestamp};

use crate::db::{Db, Row, Value};
use crate::records::{CreatedOrder, NewOrder, OrderFilter, OrderPage};
use crate::{Result, StoreError, params};

const COLUMNS: &str = "id, shop_id, number, status, currency, subtotal, total, items, customer_id, customer_name, \
     customer_phone, customer_email, fulfillment_type, fulfillment_detail, note, source, eta_minutes, reason, \
     created_at, updated_at, acknowledged_at, accepted_at, ready_at, closed_at";

fn bad(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("stored order has a bad {what}: {e}"))
}

fn order_from(r: &Row) -> Result<Order> {
    let currency = r.text(4)?;
    let items: Vec<OrderItem> = serde_json::from_str(&r.text(7)?).map_err(|e| bad("items", e))?;
    let fulfillment_type = r.text(12)?;
    Ok(Order {
        id: OrderId::from_stored(r.text(0)?),
        shop_id: ShopId::from_stored(r.text(1)?),
        number: r.int(2)?,
        status: r.text(3)?.parse().map_err(|e| bad("status", e))?,
        currency: Currency::from_code(&currency).ok_or_else(|| bad("currency", &currency))?,
        subtotal: r.int(5)?,
        total: r.int(6)?,
        items,
        customer_id: r.opt_text(8)?.map(CustomerId::from_stored),
        customer: CustomerInfo {
            name: r.opt_text(9)?,
            phone: r.opt_text(10)?,
            email: r.opt_text(11)?,
        },
        fulfillment: Fulfillment::from_parts(&fulfillment_type, r.opt_text(13)?)
            .ok_or_else(|| bad("fulfillment", &fulfillment_type))?,
        note: r.opt_text(14)?,
        source: r.text(15)?.parse().map_err(|e| bad("source", e))?,
        eta_minutes: r.opt_int(16)?,
        reason: r.opt_text(17)?,
        created_at: r.time(18)?,
        updated_at: r.time(19)?,
        acknowledged_at: r.opt_time(20)?,
        accepted_at: r.opt_time(21)?,
        ready_at: r.opt_time(22)?,
        closed_at: r.opt_time(23)?,
    })
}

pub fn order(db: &mut dyn Db, shop: &ShopId, id: &OrderId) -> Result<Option<Order>> {
    let sql = format!("SELECT {COLUMNS} FROM orders WHERE shop_id = $1 AND id = $2");
    db.query_opt(&sql, params![shop.as_str(), id.as_str()])?
        .map(|r| order_from(&r))
        .transpose()
}

pub fn order_by_id(db: &mut dyn Db, id: &OrderId) -> Result<Option<Order>> {
    let sql = format!("SELECT {COLUMNS} FROM orders WHERE id = $1");
    db.query_opt(&sql, params![id.as_str()])?
        .map(|r| order_from(&r))
        .transpose()
}

/// Finds the shop's customer by phone (or e-mail), creating or updating them.
fn upsert_customer(db: &mut dyn Db, o: &NewOrder) -> Result<Option<CustomerId>> {
    let c = &o.priced.customer;
    let shop = o.shop_id.as_str();
    let existing = match (&c.phone, &c.email) {
        (Some(phone), _) => db.query_opt(
            "SELECT id FROM customers WHERE shop_id = $1 AND phone = $2",
            params![shop, phone],
        )?,
        (None, Some(email)) => db.query_opt(
            "SELECT id FROM customers WHERE shop_id = $1 AND phone IS NULL AND email = $2",
            params![shop, email],
        )?,
        (None, None) => return Ok(None),
    };
    match existing {
        Some(row) => {
            let id = CustomerId::from_stored(row.text(0)?);
            db.execute(
                "UPDATE customers SET name = COALESCE($1, name), email = COALESCE($2, email), updated_at = $3 WHERE id = $4",
                params![c.name.clone(), c.email.clone(), o.created_at, id.as_str()],
            )?;
            Ok(Some(id))
        }
        None => {
            db.execute(
                "INSERT INTO customers (id, shop_id, name, phone, email, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                params![
                    o.new_customer_id.as_str(),
                    shop,
                    c.name.clone(),
                    c.phone.clone(),
                    c.email.clone(),
                    o.created_at,
                    o.created_at
                ],
            )?;
            Ok(Some(o.new_customer_id.clone()))
        }
    }
}

fn insert_event(db: &mut dyn Db, order: &OrderId, event: &OrderEvent) -> Result<()> {
    db.execute(
        "INSERT INTO order_events (order_id, at, kind, status, actor_kind, actor_id, actor_name, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        params![
            order.as_str(),
            event.at,
            &event.kind,
            event.status.as_str(),
            &event.actor.kind,
            event.actor.id.clone(),
            event.actor.name.clone(),
            event.detail.clone()
        ],
    )?;
    Ok(())
}

pub fn create_order(db: &mut dyn Db, o: &NewOrder) -> Result<CreatedOrder> {
    if let Some(key) = &o.idempotency {
        let seen = db.query_opt(
            "SELECT request_hash, order_id FROM idempotency_keys WHERE shop_id = $1 AND key = $2",
            params![o.shop_id.as_str(), &key.key],
        )?;
        if let Some(row) = seen {
            if row.text(0)? != key.request_hash {
                return Err(StoreError::IdempotencyConflict);
            }
            let id = OrderId::from_stored(row.text(1)?);
            let stored = order(db, &o.shop_id, &id)?.ok_or(StoreError::NotFound)?;
            return Ok(CreatedOrder::Replayed(stored));
        }
    }
    let number = db
        .query_opt(
            "UPDATE shops SET next_order_number = next_order_number + 1 WHERE id = $1 RETURNING next_order_number - 1",
            params![o.shop_id.as_str()],
        )?
        .ok_or(StoreError::NotFound)?
        .int(0)?;
    let customer_id = upsert_customer(db, o)?;
    let p = &o.priced;
    let items = serde_json::to_string(&p.items).map_err(|e| StoreError::Backend(e.to_string()))?;
    let order = Order {
        id: o.id.clone(),
        shop_id: o.shop_id.clone(),
        number,
        status: OrderStatus::Pending,
        currency: o.currency,
        subtotal: p.subtotal,
        total: p.total,
        items: p.items.clone(),
        customer_id,
        customer: p.customer.clone(),
        fulfillment: p.fulfillment.clone(),
        note: p.note.clone(),
        source: o.source,
        eta_minutes: None,
        reason: None,
        created_at: o.created_at,
        updated_at: o.created_at,
        acknowledged_at: None,
        accepted_at: None,
        ready_at: None,
        closed_at: None,
    };
    db.execute(
        &format!(
            "INSERT INTO orders ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
             $16, $17, $18, $19, $20, $21, $22, $23, $24)"
        ),
        &[
            order.id.as_str().into(),
            order.shop_id.as_str().into(),
            number.into(),
            order.status.as_str().into(),
            order.currency.code().into(),
            order.subtotal.into(),
            order.total.into(),
            items.into(),
            order.customer_id.as_ref().map(|c| c.as_str()).into(),
            order.customer.name.clone().into(),
            order.customer.phone.clone().into(),
            order.customer.email.clone().into(),
            order.fulfillment.kind().into(),
            order.fulfillment.detail().into(),
            order.note.clone().into(),
            order.source.as_str().into(),
            Value::Null,
            Value::Null,
            order.created_at.into(),
            order.updated_at.into(),
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
        ],
    )?;
    insert_event(
        db,
        &order.id,
        &OrderEvent {
            at: o.created_at,
            kind: "created".into(),
            actor: o.actor.clone(),
            status: OrderStatus::Pending,
            detail: None,
        },
    )?;
    super::effects::order_created(db, &order)?;
    if let Some(key) = &o.idempotency {
        db.execute(
            "INSERT INTO idempotency_keys (shop_id, key, request_hash, order_id, created_at) VALUES ($1, $2, $3, $4, $5)",
            params![o.shop_id.as_str(), &key.key, &key.request_hash, order.id.as_str(), o.created_at],
        )?;
    }
    Ok(CreatedOrder::New(order))
}

pub fn orders(db: &mut dyn Db, shop: &ShopId, f: &OrderFilter) -> Result<OrderPage> {
    let mut sql = format!("SELECT {COLUMNS} FROM orders WHERE shop_id = $1");
    let mut values: Vec<Value> = vec![shop.as_str().into()];
    if !f.statuses.is_empty() {
        let mut marks = Vec::with_capacity(f.statuses.len());
        for status in &f.statuses {
            values.push(status.as_str().into());
            marks.push(format!("${}", values.len()));
        }
        sql.push_str(&format!(" AND status IN ({})", marks.join(", ")));
    }
    if let Some(since) = f.since {
        values.push(since.into());
        sql.push_str(&format!(" AND created_at >= ${}", values.len()));
    }
    if let Some(before) = f.before_number {
        values.push(before.into());
        sql.push_str(&format!(" AND number < ${}", values.len()));
    }
    let limit = f.limit.clamp(1, 200);
    values.push((limit + 1).into());
    sql.push_str(&format!(" ORDER BY number DESC LIMIT ${}", values.len()));
    let rows = db.query(&sql, &values)?;
    let mut orders: Vec<Order> = rows.iter().map(order_from).collect::<Result<_>>()?;
    let more = orders.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    orders.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next_before_number = if more {
        orders.last().map(|o| o.number)
    } else {
        None
    };
    Ok(OrderPage {
        orders,
        next_before_number,
    })
}

pub fn apply_action(
    db: &mut dyn Db,
    shop: &ShopId,
    id: &OrderId,
    action: &OrderAction,
    actor: &Actor,
    now: Timestamp,
) -> Result<Order> {
    let mut order = order(db, shop, id)?.ok_or(StoreError::NotFound)?;
    if order.apply(action, now)? == Applied::Unchanged {
        return Ok(order);
    }
    db.execute(
        "UPDATE orders SET status = $1, eta_minutes = $2, reason = $3, updated_at = $4, acknowledged_at = $5,
         accepted_at = $6, ready_at = $7, closed_at = $8 WHERE id = $9",
        params![
            order.status.as_str(),
            order.eta_minutes,
            order.reason.clone(),
            order.updated_at,
            order.acknowledged_at,
            order.accepted_at,
            order.ready_at,
            order.closed_at,
            order.id.as_str()
        ],
    )?;
    let detail = match action {
        OrderAction::Accept { eta_minutes } => Some(format!("eta {eta_minutes} min")),
        OrderAction::Reject { reason } | OrderAction::Cancel { reason } => reason.clone(),
        _ => None,
    };
    insert_event(
        db,
        &order.id,
        &OrderEvent {
            at: now,
            kind: action.name().into(),
            actor: actor.clone(),
            status: order.status,
            detail,
        },
    )?;
    super::effects::order_changed(db, &order, action, actor)?;
    Ok(order)
}

pub fn events(db: &mut dyn Db, shop: &ShopId, id: &OrderId) -> Result<Vec<OrderEvent>> {
    let rows = db.query(
        "SELECT e.at, e.kind, e.status, e.actor_kind, e.actor_id, e.actor_name, e.detail
         FROM order_events e JOIN orders o ON o.id = e.order_id
         WHERE o.shop_id = $1 AND e.order_id = $2 ORDER BY e.id",
        params![shop.as_str(), id.as_str()],
    )?;
    rows.iter()
        .map(|r| {
            Ok(OrderEvent {
                at: r.time(0)?,
                kind: r.text(1)?,
                status: r.text(2)?.parse().map_err(|e| bad("event status", e))?,
                actor: Actor {
                    kind: r.text(3)?,
                    id: r.opt_text(4)?,
                    name: r.opt_text(5)?,
                },
                detail: r.opt_text(6)?,
            })
        })
        .collect()
}
