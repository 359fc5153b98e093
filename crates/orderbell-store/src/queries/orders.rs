//! Orders, their events and idempotency keys.
//!
//! Line items are stored as a JSON snapshot in the order row: they never change after the order
//! is placed, they are always read together with it, and one row per order keeps order intake to
//! a handful of statements (see docs/design.md).

use orderbell_core::order::{
    Actor, Applied, CustomerInfo, Fulfillment, Order, OrderAction, OrderEvent, OrderItem,
    OrderStatus,
};
use std::cell::RefCell;
use std::collections::HashMap;

use orderbell_core::{Currency, CustomerId, OrderId, ShopId, Timestamp};

use crate::db::{Db, Row, Value};
use crate::printing::PrintJob;
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

/// Orders by id, in no particular order; ids not found are left out.
pub fn orders_by_ids(db: &mut dyn Db, ids: &[OrderId]) -> Result<Vec<Order>> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in super::padded_chunks(ids) {
        let sql = format!(
            "SELECT {COLUMNS} FROM orders WHERE id IN ({})",
            super::marks(1, chunk.len())
        );
        let values: Vec<Value> = chunk.iter().map(|id| Value::from(id.as_str())).collect();
        for r in db.query(&sql, &values)? {
            found.push(order_from(&r)?);
        }
    }
    Ok(found)
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

/// Adds an entry to an order's history (also for printing and notification events).
pub fn record_event(db: &mut dyn Db, order: &OrderId, event: &OrderEvent) -> Result<()> {
    insert_event(db, order, event)
}

/// An order's current status.
pub fn status_of(db: &mut dyn Db, order: &OrderId) -> Result<OrderStatus> {
    let row = db.query_opt(
        "SELECT status FROM orders WHERE id = $1",
        params![order.as_str()],
    )?;
    row.ok_or(StoreError::NotFound)?
        .text(0)?
        .parse()
        .map_err(|e| bad("status", e))
}

fn insert_event(db: &mut dyn Db, order: &OrderId, event: &OrderEvent) -> Result<()> {
    let mut values = Vec::with_capacity(8);
    event_values(order, event, &mut values);
    insert_event_rows(db, &values)
}

/// Inserts order events whose values [`event_values`] wrote, many rows per statement.
pub(crate) fn insert_event_rows(db: &mut dyn Db, values: &[Value]) -> Result<()> {
    insert_rows(db, EVENT_INSERT, 8, values)
}

/// Looks an idempotency key up: `Some` answers the request (a replay or a conflict).
fn seen_key(db: &mut dyn Db, o: &NewOrder) -> Result<Option<Result<CreatedOrder>>> {
    let Some(key) = &o.idempotency else {
        return Ok(None);
    };
    let seen = db.query_opt(
        "SELECT request_hash, order_id FROM idempotency_keys WHERE shop_id = $1 AND key = $2",
        params![o.shop_id.as_str(), &key.key],
    )?;
    let Some(row) = seen else {
        return Ok(None);
    };
    if row.text(0)? != key.request_hash {
        return Ok(Some(Err(StoreError::IdempotencyConflict)));
    }
    let id = OrderId::from_stored(row.text(1)?);
    let stored = order(db, &o.shop_id, &id)?.ok_or(StoreError::NotFound)?;
    Ok(Some(Ok(CreatedOrder::Replayed(stored))))
}

/// The 24 column values of a new order row, in `COLUMNS` order.
fn order_values(order: &Order, out: &mut Vec<Value>) -> Result<()> {
    let items =
        serde_json::to_string(&order.items).map_err(|e| StoreError::Backend(e.to_string()))?;
    out.extend([
        order.id.as_str().into(),
        order.shop_id.as_str().into(),
        order.number.into(),
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
    ]);
    Ok(())
}

fn created_event(o: &NewOrder) -> OrderEvent {
    OrderEvent {
        at: o.created_at,
        kind: "created".into(),
        actor: o.actor.clone(),
        status: OrderStatus::Pending,
        detail: None,
    }
}

pub(crate) fn event_values(order: &OrderId, event: &OrderEvent, out: &mut Vec<Value>) {
    out.extend([
        order.as_str().into(),
        event.at.into(),
        event.kind.as_str().into(),
        event.status.as_str().into(),
        event.actor.kind.as_str().into(),
        event.actor.id.clone().into(),
        event.actor.name.clone().into(),
        event.detail.clone().into(),
    ]);
}

/// `($1, $2), ($3, $4)` for `rows` rows of `cols` placeholders, written into one string (a
/// batch of 64 orders has 1,536 of them).
fn placeholders(rows: usize, cols: usize) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(rows * cols * 7);
    for r in 0..rows {
        out.push_str(if r == 0 { "(" } else { "), (" });
        for c in 1..=cols {
            if c > 1 {
                out.push_str(", ");
            }
            let _ = write!(out, "${}", r * cols + c);
        }
    }
    if rows > 0 {
        out.push(')');
    }
    out
}

/// [`placeholders`] made once per thread and size: the writer asks for the same few sizes
/// again and again, and writing them cost about 17,000 instructions per statement.
fn with_placeholders<R>(rows: usize, cols: usize, f: impl FnOnce(&str) -> R) -> R {
    thread_local! {
        static MADE: RefCell<HashMap<(usize, usize), String>> = RefCell::new(HashMap::new());
    }
    MADE.with(|made| {
        let mut made = made.borrow_mut();
        f(made
            .entry((rows, cols))
            .or_insert_with(|| placeholders(rows, cols)))
    })
}

/// Inserts rows with multi-row statements. Chunks are powers of two (at most 64 rows), so
/// only a handful of distinct statements are prepared and cached.
pub fn insert_rows(db: &mut dyn Db, head: &str, cols: usize, values: &[Value]) -> Result<()> {
    let mut rest = values;
    while !rest.is_empty() {
        let rows = rest.len() / cols;
        let chunk = if rows >= 64 {
            64
        } else {
            1 << (usize::BITS - 1 - rows.leading_zeros())
        };
        let (now, later) = rest.split_at(chunk * cols);
        let sql = with_placeholders(chunk, cols, |marks| format!("{head} VALUES {marks}"));
        db.execute(&sql, now)?;
        rest = later;
    }
    Ok(())
}

const EVENT_INSERT: &str = "INSERT INTO order_events (order_id, at, kind, status, actor_kind, actor_id, actor_name, detail)";
const KEY_INSERT: &str =
    "INSERT INTO idempotency_keys (shop_id, key, request_hash, order_id, created_at)";

/// Stores one new order with its first event, its effects and its idempotency key.
pub fn create_order(db: &mut dyn Db, o: &NewOrder) -> Result<CreatedOrder> {
    if let Some(answer) = seen_key(db, o)? {
        return answer;
    }
    let number = db
        .query_opt(
            "UPDATE shops SET next_order_number = next_order_number + 1 WHERE id = $1 RETURNING next_order_number - 1",
            params![o.shop_id.as_str()],
        )?
        .ok_or(StoreError::NotFound)?
        .int(0)?;
    let customer_id = upsert_customer(db, o)?;
    let order = o.order(number, customer_id);
    let mut values = Vec::with_capacity(24);
    order_values(&order, &mut values)?;
    insert_rows(db, &format!("INSERT INTO orders ({COLUMNS})"), 24, &values)?;
    insert_event(db, &order.id, &created_event(o))?;
    let jobs = super::effects::orders_created(db, &[&order])?;
    if let Some(key) = &o.idempotency {
        db.execute(
            &format!("{KEY_INSERT} VALUES ($1, $2, $3, $4, $5)"),
            params![
                o.shop_id.as_str(),
                &key.key,
                &key.request_hash,
                order.id.as_str(),
                o.created_at
            ],
        )?;
    }
    Ok(CreatedOrder::New(order, jobs))
}

/// Stores many new orders at once (group commit): one counter update per shop, one customer
/// upsert and multi-row inserts for the whole batch. The answer has one result per request, in
/// order; a request that cannot be stored (idempotency conflict, unknown shop) fails alone
/// without writing anything. An `Err` for the whole call means nothing usable was written: the
/// caller rolls the batch back and stores each order on its own.
pub fn create_orders(db: &mut dyn Db, orders: &[NewOrder]) -> Result<Vec<Result<CreatedOrder>>> {
    let mut batch = Batch::new(orders);
    check_keys(db, &mut batch)?;
    let numbers = number_orders(db, &mut batch)?;
    let todo = batch.fresh();
    let customer_ids = upsert_batch_customers(db, orders, &todo)?;
    let (built, jobs) = insert_orders(db, orders, &todo, &numbers, customer_ids)?;
    Ok(batch.answers(built, jobs))
}

/// A batch on its way through [`create_orders`]: each request's answer once it is known before
/// its order is stored (an idempotency conflict, a stored replay, an unknown shop), or the
/// earlier request of the batch whose answer it repeats (the same key and body).
struct Batch<'a> {
    orders: &'a [NewOrder],
    answered: Vec<Option<Result<CreatedOrder>>>,
    replay_of: Vec<Option<usize>>,
}

impl<'a> Batch<'a> {
    fn new(orders: &'a [NewOrder]) -> Batch<'a> {
        Batch {
            orders,
            answered: (0..orders.len()).map(|_| None).collect(),
            replay_of: vec![None; orders.len()],
        }
    }

    /// The requests whose orders are still to be stored, in arrival order.
    fn fresh(&self) -> Vec<usize> {
        (0..self.orders.len())
            .filter(|&i| self.answered[i].is_none() && self.replay_of[i].is_none())
            .collect()
    }

    /// One answer per request, in order, from the orders built for the fresh ones.
    fn answers(
        mut self,
        built: Vec<Option<Order>>,
        jobs: Vec<PrintJob>,
    ) -> Vec<Result<CreatedOrder>> {
        let mut jobs_of: HashMap<OrderId, Vec<PrintJob>> = HashMap::new();
        for job in jobs {
            jobs_of.entry(job.order_id.clone()).or_default().push(job);
        }
        (0..self.orders.len())
            .map(|i| {
                if let Some(result) = self.answered[i].take() {
                    return result;
                }
                let source = self.replay_of[i].unwrap_or(i);
                match &built[source] {
                    Some(order) if source == i => Ok(CreatedOrder::New(
                        order.clone(),
                        jobs_of.remove(&order.id).unwrap_or_default(),
                    )),
                    Some(order) => Ok(CreatedOrder::Replayed(order.clone())),
                    None => Err(StoreError::NotFound),
                }
            })
            .collect()
    }
}

/// Idempotency: keys seen before, and the same key twice within this batch.
fn check_keys(db: &mut dyn Db, batch: &mut Batch<'_>) -> Result<()> {
    let orders = batch.orders;
    let mut first_with_key: HashMap<(&str, &str), usize> = HashMap::new();
    for (i, o) in orders.iter().enumerate() {
        let Some(key) = &o.idempotency else { continue };
        let k = (o.shop_id.as_str(), key.key.as_str());
        if let Some(&j) = first_with_key.get(&k) {
            let same = orders[j]
                .idempotency
                .as_ref()
                .is_some_and(|f| f.request_hash == key.request_hash);
            if same {
                batch.replay_of[i] = Some(j);
            } else {
                batch.answered[i] = Some(Err(StoreError::IdempotencyConflict));
            }
            continue;
        }
        if let Some(answer) = seen_key(db, o)? {
            batch.answered[i] = Some(answer);
            continue;
        }
        first_with_key.insert(k, i);
    }
    Ok(())
}

/// Numbers: one counter update per shop, numbers handed out in arrival order. The requests of a
/// shop that does not exist are answered `NotFound`.
fn number_orders(db: &mut dyn Db, batch: &mut Batch<'_>) -> Result<Vec<i64>> {
    let orders = batch.orders;
    let mut shops: Vec<(&str, Vec<usize>)> = Vec::new();
    for i in batch.fresh() {
        let shop = orders[i].shop_id.as_str();
        match shops.iter_mut().find(|(s, _)| *s == shop) {
            Some((_, idx)) => idx.push(i),
            None => shops.push((shop, vec![i])),
        }
    }
    let mut numbers = vec![0i64; orders.len()];
    for (shop, idx) in &shops {
        let count = i64::try_from(idx.len()).unwrap_or(i64::MAX);
        let first = db.query_opt(
            "UPDATE shops SET next_order_number = next_order_number + $1 WHERE id = $2 RETURNING next_order_number - $1",
            params![count, *shop],
        )?;
        match first {
            None => idx
                .iter()
                .for_each(|&i| batch.answered[i] = Some(Err(StoreError::NotFound))),
            Some(row) => {
                let first = row.int(0)?;
                for (k, &i) in idx.iter().enumerate() {
                    numbers[i] = first + i64::try_from(k).unwrap_or(i64::MAX);
                }
            }
        }
    }
    Ok(numbers)
}

/// Customers of the requests `todo`: one upsert for every phone in the batch; e-mail-only
/// customers one by one.
fn upsert_batch_customers(
    db: &mut dyn Db,
    orders: &[NewOrder],
    todo: &[usize],
) -> Result<Vec<Option<CustomerId>>> {
    let mut customer_ids: Vec<Option<CustomerId>> = vec![None; orders.len()];
    let mut by_phone: Vec<((&str, &str), usize)> = Vec::new();
    for &i in todo {
        let o = &orders[i];
        match &o.priced.customer.phone {
            Some(phone) => {
                let key = (o.shop_id.as_str(), phone.as_str());
                match by_phone.iter_mut().find(|(k, _)| *k == key) {
                    // The latest order's name and e-mail win, as they would one by one.
                    Some((_, last)) => *last = i,
                    None => by_phone.push((key, i)),
                }
            }
            None => customer_ids[i] = upsert_customer(db, o)?,
        }
    }
    if by_phone.is_empty() {
        return Ok(customer_ids);
    }
    let mut values = Vec::with_capacity(by_phone.len() * 7);
    for (_, i) in &by_phone {
        let o = &orders[*i];
        let c = &o.priced.customer;
        values.extend([
            o.new_customer_id.as_str().into(),
            o.shop_id.as_str().into(),
            c.name.clone().into(),
            c.phone.clone().into(),
            c.email.clone().into(),
            o.created_at.into(),
            o.created_at.into(),
        ]);
    }
    let mut ids: HashMap<(String, String), CustomerId> = HashMap::new();
    for chunk in values.chunks(64 * 7) {
        let sql = with_placeholders(chunk.len() / 7, 7, |marks| {
            format!(
                "INSERT INTO customers (id, shop_id, name, phone, email, created_at, updated_at) VALUES {marks} \
                 ON CONFLICT (shop_id, phone) WHERE phone IS NOT NULL DO UPDATE SET \
                 name = COALESCE(excluded.name, customers.name), email = COALESCE(excluded.email, customers.email), \
                 updated_at = excluded.updated_at RETURNING id, shop_id, phone"
            )
        });
        let rows = db.query(&sql, chunk)?;
        for r in rows {
            ids.insert(
                (r.text(1)?, r.text(2)?),
                CustomerId::from_stored(r.text(0)?),
            );
        }
    }
    for &i in todo {
        let o = &orders[i];
        if let Some(phone) = &o.priced.customer.phone {
            customer_ids[i] = ids.get(&(o.shop_id.to_string(), phone.clone())).cloned();
        }
    }
    Ok(customer_ids)
}

/// The orders of the requests `todo`, their first events, their effects, their keys: built,
/// inserted with multi-row statements, and returned by request index (with the print jobs
/// queued for them).
fn insert_orders(
    db: &mut dyn Db,
    orders: &[NewOrder],
    todo: &[usize],
    numbers: &[i64],
    mut customer_ids: Vec<Option<CustomerId>>,
) -> Result<(Vec<Option<Order>>, Vec<PrintJob>)> {
    let mut built: Vec<Option<Order>> = (0..orders.len()).map(|_| None).collect();
    let mut order_rows = Vec::with_capacity(todo.len() * 24);
    let mut event_rows = Vec::with_capacity(todo.len() * 8);
    let mut key_rows = Vec::new();
    for &i in todo {
        let o = &orders[i];
        let order = o.order(numbers[i], customer_ids[i].take());
        order_values(&order, &mut order_rows)?;
        event_values(&order.id, &created_event(o), &mut event_rows);
        if let Some(key) = &o.idempotency {
            key_rows.extend([
                o.shop_id.as_str().into(),
                key.key.as_str().into(),
                key.request_hash.as_str().into(),
                order.id.as_str().into(),
                o.created_at.into(),
            ]);
        }
        built[i] = Some(order);
    }
    insert_rows(
        db,
        &format!("INSERT INTO orders ({COLUMNS})"),
        24,
        &order_rows,
    )?;
    insert_rows(db, EVENT_INSERT, 8, &event_rows)?;
    let new_orders: Vec<&Order> = built.iter().flatten().collect();
    let jobs = super::effects::orders_created(db, &new_orders)?;
    insert_rows(db, KEY_INSERT, 5, &key_rows)?;
    Ok((built, jobs))
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

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders() {
        assert_eq!(super::placeholders(0, 3), "");
        assert_eq!(super::placeholders(1, 1), "($1)");
        assert_eq!(super::placeholders(2, 3), "($1, $2, $3), ($4, $5, $6)");
        // Made once, given again: the same text each time, another size another text.
        for _ in 0..2 {
            assert_eq!(
                super::with_placeholders(2, 3, str::to_owned),
                "($1, $2, $3), ($4, $5, $6)"
            );
            assert_eq!(super::with_placeholders(1, 2, str::to_owned), "($1, $2)");
        }
    }
}
