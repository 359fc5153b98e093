//! Orders, their events, their customers and idempotency keys on DynamoDB (queries/orders.rs
//! on SQL; docs/design/serverless-plan.md §1 and §5).
//!
//! Items, all in `s.main`:
//! - the order: `ORDER#<id> / ORDER`, every field as its own attribute (line items as a JSON
//!   snapshot, as SQL keeps them), a `version` that each change raises (changes are written
//!   on condition of the version they read, so two concurrent actions cannot both apply), and
//!   two sparse index entries: g1 `SHOP#<shop> / NUM#<number>` (the shop's orders, newest first
//!   by number) and g2 `SHOP#<shop>#ST#<status> / NUM#<number>` (one status's orders);
//! - its events: `ORDER#<id> / EVT#<at>#<write stamp>`, under the order's partition, so that one
//!   Query on the partition reads the order and its history in order;
//! - customers: `SHOP#<shop> / CUST#PHONE#<e164>`, or `CUST#EMAIL#<address>` for customers
//!   known only by e-mail (SQL matches e-mail only among customers without a phone);
//! - idempotency keys: `IDEM#<shop>#<key> / I` with the request's hash and the order's id, and
//!   g1 `KIND#idem / <created>#<shop>#<key>` for [`purge_idempotency`].
//!
//! The shop item (`SHOP#<shop> / SHOP`, owned by shops.rs) holds `next_order_number`; an order
//! takes the number it read consistently and moves the counter on condition that it is still
//! that number, inside the order's own transaction, so numbers have no gaps (an ADD outside the
//! transaction would burn one on every refused request). The orders of a shop arriving together
//! in one process are stored together (group commit, see `INTAKES`), moving the counter once.

use std::collections::{HashMap, HashSet, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{LazyLock, PoisonError};
use std::task::Poll;
use std::time::Duration;

use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, Put, TransactWriteItem, Update};
use orderbell_core::order::{
    Actor, Applied, CustomerInfo, Fulfillment, Order, OrderAction, OrderEvent, OrderStatus,
};
use orderbell_core::{Currency, CustomerId, OrderId, ShopId, Timestamp};
use tokio::sync::oneshot;

use crate::records::{CreatedOrder, NewOrder, OrderFilter, OrderPage};
use crate::{Result, StoreError};

use super::item::{
    Item, Read, json, key, n, n_ts, s as text, sort_n, sort_ts, time_ordered_id, values,
};
use super::{DynamoStore, MAX_ACTIONS, effects, fail};

/// Attempts of a transaction that lost a race (a counter or version moved, a
/// `TransactionConflict`) before the store answers `Unavailable`.
const ATTEMPTS: u32 = 10;

/// The most bytes one transaction of ours carries: DynamoDB refuses more than 4 MB in all
/// (serverless-plan §1); the estimate of [`action_size`] is close but not exact, hence the
/// margin.
const MAX_TRANSACTION_BYTES: usize = 3_500_000;

/// BatchGetItem reads at most 100 keys a call.
const BATCH_GET_KEYS: usize = 100;

/// The index entries of every order item, its events, and the idempotency keys.
const KIND_IDEM: &str = "KIND#idem";

fn order_key(id: &OrderId) -> Item {
    key(format!("ORDER#{id}"), "ORDER")
}

fn shop_key(shop: &ShopId) -> Item {
    key(format!("SHOP#{shop}"), "SHOP")
}

fn idem_key(shop: &ShopId, idem: &str) -> Item {
    key(format!("IDEM#{shop}#{idem}"), "I")
}

/// The sort key of an order in both of its index entries.
fn num_sk(number: i64) -> String {
    format!("NUM#{}", sort_n(number))
}

fn bad(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("stored order has a bad {what}: {e}"))
}

fn put_opt(item: &mut Item, name: &str, v: Option<AttributeValue>) {
    if let Some(v) = v {
        item.insert(name.to_owned(), v);
    }
}

// ---------------------------------------------------------------------------------------------
// Items from and to orders

/// The order item at `version`, with its index entries.
fn order_item(order: &Order, version: i64) -> Result<Item> {
    let shop = &order.shop_id;
    let mut it = order_key(&order.id);
    it.extend([
        ("shop_id".to_owned(), text(shop.as_str())),
        ("number".to_owned(), n(order.number)),
        ("status".to_owned(), text(order.status.as_str())),
        ("currency".to_owned(), text(order.currency.code())),
        ("subtotal".to_owned(), n(order.subtotal)),
        ("total".to_owned(), n(order.total)),
        ("items".to_owned(), json(&order.items)?),
        (
            "fulfillment_type".to_owned(),
            text(order.fulfillment.kind()),
        ),
        ("source".to_owned(), text(order.source.as_str())),
        ("created_at".to_owned(), n_ts(order.created_at)),
        ("updated_at".to_owned(), n_ts(order.updated_at)),
        ("version".to_owned(), n(version)),
        ("g1pk".to_owned(), text(format!("SHOP#{shop}"))),
        ("g1sk".to_owned(), text(num_sk(order.number))),
        (
            "g2pk".to_owned(),
            text(format!("SHOP#{shop}#ST#{}", order.status.as_str())),
        ),
        ("g2sk".to_owned(), text(num_sk(order.number))),
    ]);
    let c = &order.customer;
    put_opt(
        &mut it,
        "customer_id",
        order.customer_id.as_ref().map(|c| text(c.as_str())),
    );
    put_opt(&mut it, "customer_name", c.name.clone().map(text));
    put_opt(&mut it, "customer_phone", c.phone.clone().map(text));
    put_opt(&mut it, "customer_email", c.email.clone().map(text));
    put_opt(
        &mut it,
        "fulfillment_detail",
        order.fulfillment.detail().map(text),
    );
    put_opt(&mut it, "note", order.note.clone().map(text));
    put_opt(&mut it, "eta_minutes", order.eta_minutes.map(n));
    put_opt(&mut it, "reason", order.reason.clone().map(text));
    put_opt(&mut it, "acknowledged_at", order.acknowledged_at.map(n_ts));
    put_opt(&mut it, "accepted_at", order.accepted_at.map(n_ts));
    put_opt(&mut it, "ready_at", order.ready_at.map(n_ts));
    put_opt(&mut it, "closed_at", order.closed_at.map(n_ts));
    Ok(it)
}

fn order_from(it: &Item) -> Result<Order> {
    let id = it
        .get_s("pk")?
        .strip_prefix("ORDER#")
        .ok_or_else(|| bad("key", "not ORDER#…"))?;
    let currency = it.get_s("currency")?;
    let fulfillment_type = it.get_s("fulfillment_type")?;
    Ok(Order {
        id: OrderId::from_stored(id.to_owned()),
        shop_id: ShopId::from_stored(it.get_s("shop_id")?.to_owned()),
        number: it.get_n("number")?,
        status: it.get_s("status")?.parse().map_err(|e| bad("status", e))?,
        currency: Currency::from_code(currency).ok_or_else(|| bad("currency", currency))?,
        subtotal: it.get_n("subtotal")?,
        total: it.get_n("total")?,
        items: it.get_json("items")?,
        customer_id: it
            .opt_s("customer_id")?
            .map(|c| CustomerId::from_stored(c.to_owned())),
        customer: CustomerInfo {
            name: it.opt_s("customer_name")?.map(str::to_owned),
            phone: it.opt_s("customer_phone")?.map(str::to_owned),
            email: it.opt_s("customer_email")?.map(str::to_owned),
        },
        fulfillment: Fulfillment::from_parts(
            fulfillment_type,
            it.opt_s("fulfillment_detail")?.map(str::to_owned),
        )
        .ok_or_else(|| bad("fulfillment", fulfillment_type))?,
        note: it.opt_s("note")?.map(str::to_owned),
        source: it.get_s("source")?.parse().map_err(|e| bad("source", e))?,
        eta_minutes: it.opt_n("eta_minutes")?,
        reason: it.opt_s("reason")?.map(str::to_owned),
        created_at: it.get_ts("created_at")?,
        updated_at: it.get_ts("updated_at")?,
        acknowledged_at: it.opt_ts("acknowledged_at")?,
        accepted_at: it.opt_ts("accepted_at")?,
        ready_at: it.opt_ts("ready_at")?,
        closed_at: it.opt_ts("closed_at")?,
    })
}

/// The event item of `event`. Its sort key orders events by time, and events of the same
/// millisecond by when they were written (SQL orders them by insertion), so that one Query on
/// the order's partition reads the history in order.
fn event_item(order: &OrderId, event: &OrderEvent) -> Item {
    let stamp = time_ordered_id(Timestamp::now());
    let mut it = key(
        format!("ORDER#{order}"),
        format!("EVT#{}#{stamp:019}", sort_ts(event.at)),
    );
    it.extend([
        ("at".to_owned(), n_ts(event.at)),
        ("kind".to_owned(), text(event.kind.as_str())),
        ("status".to_owned(), text(event.status.as_str())),
        ("actor_kind".to_owned(), text(event.actor.kind.as_str())),
    ]);
    put_opt(&mut it, "actor_id", event.actor.id.clone().map(text));
    put_opt(&mut it, "actor_name", event.actor.name.clone().map(text));
    put_opt(&mut it, "detail", event.detail.clone().map(text));
    it
}

fn event_from(it: &Item) -> Result<OrderEvent> {
    Ok(OrderEvent {
        at: it.get_ts("at")?,
        kind: it.get_s("kind")?.to_owned(),
        status: it
            .get_s("status")?
            .parse()
            .map_err(|e| bad("event status", e))?,
        actor: Actor {
            kind: it.get_s("actor_kind")?.to_owned(),
            id: it.opt_s("actor_id")?.map(str::to_owned),
            name: it.opt_s("actor_name")?.map(str::to_owned),
        },
        detail: it.opt_s("detail")?.map(str::to_owned),
    })
}

/// The write of one entry of an order's history, for the caller's transaction: printing's
/// `print_*` events go here too (queries/orders.rs::record_event on SQL). The order item
/// itself is not touched, so this may share a transaction with anything but the order's own
/// change.
pub(super) fn event_put(
    s: &DynamoStore,
    order: &OrderId,
    event: &OrderEvent,
) -> Result<TransactWriteItem> {
    put(&s.main, event_item(order, event))
}

// ---------------------------------------------------------------------------------------------
// Transaction actions

/// Expression attribute names, or none (DynamoDB refuses an empty map).
fn names_of(names: &[(&str, &str)]) -> Option<HashMap<String, String>> {
    (!names.is_empty()).then(|| {
        names
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    })
}

/// A Put action without condition.
fn put(table: &str, item: Item) -> Result<TransactWriteItem> {
    put_if(table, item, None, &[], Item::new())
}

/// A Put action on condition (with the names and values the condition uses).
fn put_if(
    table: &str,
    item: Item,
    condition: Option<&str>,
    names: &[(&str, &str)],
    vals: Item,
) -> Result<TransactWriteItem> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .set_condition_expression(condition.map(str::to_owned))
        .set_expression_attribute_names(names_of(names))
        .set_expression_attribute_values((!vals.is_empty()).then_some(vals))
        .build()
        .map_err(fail::build)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// An Update action on condition.
fn update(
    table: &str,
    key: Item,
    expression: &str,
    condition: &str,
    names: &[(&str, &str)],
    vals: Item,
) -> Result<TransactWriteItem> {
    let update = Update::builder()
        .table_name(table)
        .set_key(Some(key))
        .update_expression(expression)
        .condition_expression(condition)
        .set_expression_attribute_names(names_of(names))
        .set_expression_attribute_values(Some(vals))
        .build()
        .map_err(fail::build)?;
    Ok(TransactWriteItem::builder().update(update).build())
}

/// About how many bytes an attribute value takes (DynamoDB counts names and values in UTF-8).
fn value_size(v: &AttributeValue) -> usize {
    match v {
        AttributeValue::S(t) | AttributeValue::N(t) => t.len(),
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Ss(l) | AttributeValue::Ns(l) => l.iter().map(String::len).sum(),
        AttributeValue::Bs(l) => l.iter().map(|b| b.as_ref().len()).sum(),
        AttributeValue::L(l) => 3 + l.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        AttributeValue::M(m) => 3 + item_size(m),
        _ => 1,
    }
}

fn item_size(it: &Item) -> usize {
    it.iter().map(|(k, v)| k.len() + value_size(v)).sum()
}

/// About how many bytes one action adds to a transaction's 4 MB.
fn action_size(a: &TransactWriteItem) -> usize {
    let values = |v: Option<&Item>| v.map_or(0, item_size);
    if let Some(p) = a.put() {
        item_size(p.item()) + values(p.expression_attribute_values())
    } else if let Some(u) = a.update() {
        item_size(u.key()) + u.update_expression().len() + values(u.expression_attribute_values())
    } else if let Some(d) = a.delete() {
        item_size(d.key()) + values(d.expression_attribute_values())
    } else if let Some(c) = a.condition_check() {
        item_size(c.key()) + values(c.expression_attribute_values())
    } else {
        0
    }
}

/// Splits a change into transactions within DynamoDB's limits (at most [`MAX_ACTIONS`]
/// actions and [`MAX_TRANSACTION_BYTES`] each): the first holds all of `base` (the order's own
/// items, a handful) and as many `effects` as fit, in their order; the effects that do not fit
/// go into follow-up transactions (see [`write_follow_ups`]).
fn pack(
    base: Vec<TransactWriteItem>,
    effects: Vec<TransactWriteItem>,
) -> (Vec<TransactWriteItem>, Vec<Vec<TransactWriteItem>>) {
    let mut first_bytes: usize = base.iter().map(action_size).sum();
    let mut first = base;
    let mut rest = effects.into_iter().peekable();
    while let Some(a) = rest.peek() {
        let size = action_size(a);
        if first.len() >= MAX_ACTIONS || first_bytes + size > MAX_TRANSACTION_BYTES {
            break;
        }
        first_bytes += size;
        first.extend(rest.next());
    }
    let mut follow_ups: Vec<Vec<TransactWriteItem>> = Vec::new();
    let mut bytes = 0;
    for a in rest {
        let size = action_size(&a);
        match follow_ups.last_mut() {
            Some(last) if last.len() < MAX_ACTIONS && bytes + size <= MAX_TRANSACTION_BYTES => {
                bytes += size;
                last.push(a);
            }
            _ => {
                bytes = size;
                follow_ups.push(vec![a]);
            }
        }
    }
    (first, follow_ups)
}

/// Writes the effects that did not fit into the order's own transaction, after it committed
/// and before the caller is answered (serverless-plan §5). Only a shop with very many printers
/// and member links gets here. These effects must be idempotent puts (deterministic ids behind
/// `attribute_not_exists(pk)`, the effects files' contract): a `ConditionalCheckFailed` means
/// the item is there already, so that action is dropped and the rest sent again. If they
/// still cannot be written the caller gets the error: the order itself is stored, and a retry
/// with its idempotency key is answered with it.
async fn write_follow_ups(s: &DynamoStore, follow_ups: Vec<Vec<TransactWriteItem>>) -> Result<()> {
    for mut actions in follow_ups {
        let mut attempt = 0;
        loop {
            if actions.is_empty() {
                break;
            }
            match s.transact(actions.clone()).await? {
                Ok(()) => break,
                Err(reasons) => {
                    attempt += 1;
                    if attempt >= ATTEMPTS {
                        return Err(busy("the effects of an order"));
                    }
                    if let Some(other) = reasons.iter().flatten().find(|r| !retryable(r)) {
                        return Err(refused(other));
                    }
                    actions = actions
                        .into_iter()
                        .zip(reasons.iter().chain(std::iter::repeat(&None)))
                        .filter(|(_, r)| r.as_deref() != Some(CHECK_FAILED))
                        .map(|(a, _)| a)
                        .collect();
                    pause(attempt).await;
                }
            }
        }
    }
    Ok(())
}

const CHECK_FAILED: &str = "ConditionalCheckFailed";
const CONFLICT: &str = "TransactionConflict";

/// A cancellation reason that a new attempt may overcome.
fn retryable(reason: &str) -> bool {
    matches!(reason, CHECK_FAILED | CONFLICT)
}

fn refused(reason: &str) -> StoreError {
    StoreError::Backend(format!("DynamoDB refused a transaction: {reason}"))
}

fn busy(what: &str) -> StoreError {
    StoreError::Unavailable(format!(
        "{what} kept conflicting with concurrent writes; try again"
    ))
}

/// Sleeps before attempt `attempt` (from 1): full jitter over an exponential window of 5 ms
/// doubling up to 640 ms, so that racing writers spread out.
async fn pause(attempt: u32) {
    let mut r = [0u8; 2];
    // Without randomness the window's top is still a usable pause.
    let _ = getrandom::fill(&mut r);
    let window = 5u64 << attempt.min(7);
    let ms = u64::from(u16::from_le_bytes(r)) % window + 1;
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

// ---------------------------------------------------------------------------------------------
// Creating orders: group commit per shop

/// The most orders one transaction stores (each brings three to five actions of its own and
/// its effects'; a batch is cut earlier where it would pass 100 actions or the byte budget).
const MAX_BATCH: usize = 32;

/// What a waiting request is told.
enum Reply {
    /// Its answer.
    Done(Box<Result<CreatedOrder>>),
    /// The leader's own order is stored: this request leads now (its order comes back).
    Lead(Box<NewOrder>),
}

struct Request {
    order: NewOrder,
    reply: oneshot::Sender<Reply>,
}

/// The orders of one shop waiting to be stored in this process, whether a request is storing
/// them (the leader), and the counter value the last batch left (`None` when unknown).
#[derive(Default)]
struct Intake {
    waiting: VecDeque<Request>,
    leading: bool,
    next: Option<i64>,
}

type Intakes = std::sync::Mutex<HashMap<String, Intake>>;

/// Group commit, as SQL's writer does it: the orders of a shop that arrive while one batch is
/// being stored wait, and the next batch stores them together, moving the counter once. With
/// optimistic numbering alone, N concurrent orders of one shop would cost O(N²) attempts (each
/// round only one wins the counter), and every order would pay a whole transaction. What is
/// left to the conditions and the bounded retries are races between processes (Lambda
/// instances), where each request is a batch of one. Keyed by table and shop; an entry lives
/// only while orders wait. Process-wide because the store's struct belongs to mod.rs: it would
/// be a field of [`DynamoStore`] just as well.
static INTAKES: LazyLock<Intakes> = LazyLock::new(Intakes::default);

fn intakes() -> std::sync::MutexGuard<'static, HashMap<String, Intake>> {
    INTAKES.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Stores a new order: its counter move, the order, its first event, its idempotency key, its
/// customer and its effects (print jobs, notifications, the alert timer) are written in one
/// transaction, together with the other orders of the shop waiting at the same time. A key
/// seen before answers a replay or `IdempotencyConflict`, and so does a key that a concurrent
/// request wrote first (its put is conditional).
pub(super) async fn create_order(s: &DynamoStore, o: NewOrder) -> Result<CreatedOrder> {
    if let Some(answer) = seen_key(s, &o).await? {
        return answer;
    }
    let name = format!("{}/{}", s.main, o.shop_id);
    let id = o.id.clone();
    let mut order = o;
    let mut front = false;
    for _ in 0..ATTEMPTS {
        let (tx, rx) = oneshot::channel();
        // Kept in case the batch is abandoned (its leader's caller went away).
        let again = order.clone();
        let lead = {
            let mut map = intakes();
            let intake = map.entry(name.clone()).or_default();
            let request = Request { order, reply: tx };
            if front {
                intake.waiting.push_front(request);
            } else {
                intake.waiting.push_back(request);
            }
            front || !std::mem::replace(&mut intake.leading, true)
        };
        if lead {
            Leader {
                name: &name,
                done: false,
            }
            .serve(s, &id)
            .await;
        }
        match rx.await {
            Ok(Reply::Done(answer)) => return *answer,
            Ok(Reply::Lead(back)) => {
                order = *back;
                front = true;
            }
            // Abandoned before or while it was stored: again (an order that was stored after
            // all is recognised by its id, see `store_batch`).
            Err(_) => {
                order = again;
                front = false;
            }
        }
    }
    Err(busy("storing an order"))
}

/// The request storing its shop's waiting orders, batch after batch, until its own order is
/// answered; then it hands the lead to the next waiting request.
struct Leader<'a> {
    name: &'a str,
    done: bool,
}

impl Leader<'_> {
    async fn serve(mut self, s: &DynamoStore, own: &OrderId) {
        loop {
            let (batch, next) = {
                let mut map = intakes();
                let Some(intake) = map.get_mut(self.name) else {
                    self.done = true;
                    return;
                };
                let take = intake.waiting.len().min(MAX_BATCH);
                let batch: Vec<Request> = intake.waiting.drain(..take).collect();
                (batch, intake.next.take())
            };
            let answered_own = batch.iter().any(|r| &r.order.id == own);
            let (left, next) = store_batch(s, batch, next).await;
            let answered_own = answered_own && !left.iter().any(|r| &r.order.id == own);
            let mut map = intakes();
            let Some(intake) = map.get_mut(self.name) else {
                self.done = true;
                return;
            };
            intake.next = next;
            for r in left.into_iter().rev() {
                intake.waiting.push_front(r);
            }
            if !answered_own {
                continue;
            }
            // Our caller has its answer: the next waiting request leads (its caller has the
            // most reason to wait for it), or nobody when none waits.
            while let Some(r) = intake.waiting.pop_front() {
                if r.reply.send(Reply::Lead(Box::new(r.order))).is_ok() {
                    self.done = true;
                    return;
                }
            }
            map.remove(self.name);
            self.done = true;
            return;
        }
    }
}

impl Drop for Leader<'_> {
    /// A leader whose caller went away mid-batch (its future dropped): the waiting requests
    /// are let go (they enqueue again and one of them leads), so none waits forever.
    fn drop(&mut self) {
        if !self.done {
            intakes().remove(self.name);
        }
    }
}

/// A copy of an error for each request of a batch it concerns.
fn copy_error(e: &StoreError) -> StoreError {
    match e {
        StoreError::NotFound => StoreError::NotFound,
        StoreError::IdempotencyConflict => StoreError::IdempotencyConflict,
        StoreError::Conflict(m) => StoreError::Conflict(m.clone()),
        StoreError::Unavailable(m) => StoreError::Unavailable(m.clone()),
        other => StoreError::Backend(other.to_string()),
    }
}

/// Runs futures together (the effects' reads of a batch), answering their outputs in order.
async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, out) in futures.iter_mut().zip(outputs.iter_mut()) {
            if out.is_none() {
                match f.as_mut().poll(cx) {
                    Poll::Ready(v) => *out = Some(v),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

/// What each action of a batch's transaction is for (to read its cancellation reasons).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Counter,
    Order(usize),
    Idem(usize),
    Other,
}

/// A customer item as read for a batch, and the batch's orders that name them.
struct CustomerRow {
    key: Item,
    existing: Option<CustomerId>,
    orders: Vec<usize>,
}

/// Stores a batch of one shop's orders (queries/orders.rs::create_orders on SQL), answering
/// each request; the requests that did not fit into the transaction come back, in order, with
/// the counter value it left. A request that cannot be stored (a taken key, an unknown shop)
/// fails alone.
async fn store_batch(
    s: &DynamoStore,
    batch: Vec<Request>,
    mut next: Option<i64>,
) -> (Vec<Request>, Option<i64>) {
    let orders: Vec<&NewOrder> = batch.iter().map(|r| &r.order).collect();
    let mut answers: Vec<Option<Result<CreatedOrder>>> = orders.iter().map(|_| None).collect();
    // The same key twice in the batch: the later request repeats the earlier one's answer.
    let mut replay_of: Vec<Option<usize>> = vec![None; orders.len()];
    for (i, o) in orders.iter().enumerate() {
        let Some(key) = &o.idempotency else { continue };
        let first = orders[..i]
            .iter()
            .position(|e| e.idempotency.as_ref().is_some_and(|k| k.key == key.key));
        if let Some(j) = first {
            let same = orders[j]
                .idempotency
                .as_ref()
                .is_some_and(|k| k.request_hash == key.request_hash);
            if same {
                replay_of[i] = Some(replay_of[j].unwrap_or(j));
            } else {
                answers[i] = Some(Err(StoreError::IdempotencyConflict));
            }
        }
    }
    let mut cut = orders.len();
    let mut attempt = 0;
    loop {
        let fresh: Vec<usize> = (0..cut)
            .filter(|&i| answers[i].is_none() && replay_of[i].is_none())
            .collect();
        if fresh.is_empty() {
            break;
        }
        if attempt >= ATTEMPTS {
            for &i in &fresh {
                answers[i] = Some(Err(busy("storing an order")));
            }
            break;
        }
        if attempt > 0 {
            pause(attempt).await;
        }
        attempt += 1;
        match attempt_batch(s, &orders, &fresh, next.take()).await {
            Err(e) => {
                for &i in &fresh {
                    answers[i] = Some(Err(copy_error(&e)));
                }
            }
            Ok(Attempt::Settled(settled)) => {
                for (i, answer) in settled {
                    answers[i] = Some(answer);
                }
            }
            Ok(Attempt::Retry) => {}
            Ok(Attempt::Stored {
                stored,
                next: left,
                follow_ups,
            }) => {
                next = Some(left);
                // The orders after the last one stored wait for the next batch.
                cut = stored.last().map_or(0, |(i, _)| i + 1);
                let follow = write_follow_ups(s, follow_ups).await;
                for (i, created) in stored {
                    answers[i] = Some(match &follow {
                        Ok(()) => Ok(created),
                        Err(e) => Err(copy_error(e)),
                    });
                }
                break;
            }
        }
    }
    // Requests repeating another's key get its order, as a replay.
    for i in 0..orders.len() {
        if let Some(j) = replay_of[i].filter(|&j| j < cut) {
            answers[i] = Some(match &answers[j] {
                Some(Ok(CreatedOrder::New(o, _) | CreatedOrder::Replayed(o))) => {
                    Ok(CreatedOrder::Replayed(o.clone()))
                }
                Some(Err(e)) => Err(copy_error(e)),
                None => Err(busy("storing an order")),
            });
        }
    }
    let mut left = Vec::new();
    for (r, answer) in batch.into_iter().zip(answers) {
        match answer {
            Some(answer) => {
                // The caller may have gone away; nothing to do then.
                let _ = r.reply.send(Reply::Done(Box::new(answer)));
            }
            None => left.push(r),
        }
    }
    (left, next)
}

/// How one attempt at a batch ended.
enum Attempt {
    /// These orders (a prefix of the fresh ones: the rest did not fit) are stored, with their
    /// print jobs; the counter is at `next`; `follow_ups` hold the effects of a lone order
    /// too big for one transaction.
    Stored {
        stored: Vec<(usize, CreatedOrder)>,
        next: i64,
        follow_ups: Vec<Vec<TransactWriteItem>>,
    },
    /// These requests have their answers (a key or an id taken meanwhile); the others again.
    Settled(Vec<(usize, Result<CreatedOrder>)>),
    /// A race lost (the counter, a customer, a transaction conflict): all again.
    Retry,
}

/// One attempt at storing the orders `fresh` (indexes into `orders`) in one transaction.
async fn attempt_batch(
    s: &DynamoStore,
    orders: &[&NewOrder],
    fresh: &[usize],
    known_next: Option<i64>,
) -> Result<Attempt> {
    let shop = &orders[fresh[0]].shop_id;
    // Keys stored since the request looked (by another process, or a batch before this one).
    let seen = join_all(fresh.iter().map(|&i| seen_key(s, orders[i])).collect()).await;
    let mut settled = Vec::new();
    for (&i, answer) in fresh.iter().zip(seen) {
        if let Some(answer) = answer? {
            settled.push((i, answer));
        }
    }
    if !settled.is_empty() {
        return Ok(Attempt::Settled(settled));
    }
    let first_number = match known_next {
        Some(n) => n,
        None => read_counter(s, shop).await?,
    };

    // Customers: one item per phone (or e-mail), read once for the batch.
    let mut customers: Vec<CustomerRow> = Vec::new();
    let mut customer_of: HashMap<usize, usize> = HashMap::new();
    for &i in fresh {
        let Some(k) = customer_key(orders[i]) else {
            continue;
        };
        match customers.iter().position(|c| c.key == k) {
            Some(c) => {
                customers[c].orders.push(i);
                customer_of.insert(i, c);
            }
            None => {
                customer_of.insert(i, customers.len());
                customers.push(CustomerRow {
                    key: k,
                    existing: None,
                    orders: vec![i],
                });
            }
        }
    }
    let read = join_all(
        customers
            .iter()
            .map(|c| s.get(&s.main, c.key.clone()))
            .collect(),
    )
    .await;
    for (c, found) in customers.iter_mut().zip(read) {
        if let Some(it) = found? {
            c.existing = Some(CustomerId::from_stored(it.get_s("customer_id")?.to_owned()));
        }
    }
    let customer_id = |i: usize| -> Option<CustomerId> {
        let c = &customers[*customer_of.get(&i)?];
        let first = c.orders.first().copied().unwrap_or(i);
        Some(
            c.existing
                .clone()
                .unwrap_or_else(|| orders[first].new_customer_id.clone()),
        )
    };

    let built: Vec<Order> = fresh
        .iter()
        .zip(first_number..)
        .map(|(&i, number)| orders[i].order(number, customer_id(i)))
        .collect();
    let created = join_all(built.iter().map(|o| effects::order_created(s, o)).collect()).await;
    let mut settled = Vec::new();
    let mut effects_of = Vec::with_capacity(built.len());
    for (&i, c) in fresh.iter().zip(created) {
        match c {
            Ok(c) => effects_of.push(c),
            Err(e) => settled.push((i, Err(e))),
        }
    }
    if !settled.is_empty() {
        return Ok(Attempt::Settled(settled));
    }

    // The orders that fit, in arrival order (at least the first, alone if need be with its
    // effects partly in follow-up transactions).
    let mut count = 0;
    let mut n_actions = 1;
    let mut bytes = 0;
    let mut rows_in: HashSet<usize> = HashSet::new();
    let mut bases = Vec::new();
    for (k, (&i, order)) in fresh.iter().zip(&built).enumerate() {
        let base = order_actions(s, i, orders[i], order)?;
        let row = customer_of
            .get(&i)
            .copied()
            .filter(|c| !rows_in.contains(c));
        let needed = base.len() + effects_of[k].actions.len() + usize::from(row.is_some());
        let size = base.iter().map(|(_, a)| action_size(a)).sum::<usize>()
            + effects_of[k].actions.iter().map(action_size).sum::<usize>()
            + CUSTOMER_BYTES;
        if k > 0 && (n_actions + needed > MAX_ACTIONS || bytes + size > MAX_TRANSACTION_BYTES) {
            break;
        }
        n_actions += needed;
        bytes += size;
        rows_in.extend(row);
        bases.push(base);
        count = k + 1;
    }
    let stored_count = i64::try_from(count).unwrap_or(i64::MAX);
    let mut actions = vec![counter_update(s, shop, first_number, stored_count)?];
    let mut roles = vec![Role::Counter];
    for (role, action) in bases.into_iter().flatten() {
        roles.push(role);
        actions.push(action);
    }
    let stored_set: HashSet<usize> = fresh[..count].iter().copied().collect();
    for c in &customers {
        let mine: Vec<&NewOrder> = c
            .orders
            .iter()
            .filter(|i| stored_set.contains(i))
            .map(|&i| orders[i])
            .collect();
        if let Some(action) = customer_action(s, c, &mine)? {
            roles.push(Role::Other);
            actions.push(action);
        }
    }
    let mut jobs = Vec::with_capacity(count);
    let mut effect_actions = Vec::new();
    for created in effects_of.into_iter().take(count) {
        effect_actions.extend(created.actions);
        jobs.push(created.jobs);
    }
    let (first, follow_ups) = pack(actions, effect_actions);

    match s.transact(first).await? {
        Ok(()) => Ok(Attempt::Stored {
            stored: fresh
                .iter()
                .zip(built)
                .zip(jobs)
                .map(|((&i, order), jobs)| (i, CreatedOrder::New(order, jobs)))
                .collect(),
            next: first_number + stored_count,
            follow_ups,
        }),
        Err(reasons) => {
            let mut settled = Vec::new();
            for (role, reason) in roles.iter().zip(&reasons) {
                if reason.as_deref() != Some(CHECK_FAILED) {
                    continue;
                }
                match *role {
                    // Another request stored this key since it was read.
                    Role::Idem(i) => {
                        if let Some(answer) = seen_key(s, orders[i]).await? {
                            settled.push((i, answer));
                        }
                    }
                    Role::Order(i) => settled.push((i, taken_id(s, orders[i]).await?)),
                    Role::Counter | Role::Other => {}
                }
            }
            if !settled.is_empty() {
                return Ok(Attempt::Settled(settled));
            }
            if let Some(other) = reasons.iter().flatten().find(|r| !retryable(r)) {
                return Err(refused(other));
            }
            // The counter moved (another process), a customer changed, an effect's id was
            // taken, or a transaction conflict: read again and retry.
            Ok(Attempt::Retry)
        }
    }
}

/// About how many bytes a customer's write adds to a transaction.
const CUSTOMER_BYTES: usize = 1_000;

/// The counter's move from `number` by `count`, on condition that nobody moved it since.
fn counter_update(
    s: &DynamoStore,
    shop: &ShopId,
    number: i64,
    count: i64,
) -> Result<TransactWriteItem> {
    update(
        &s.main,
        shop_key(shop),
        "SET #c = :next",
        "#c = :n",
        &[("#c", "next_order_number")],
        values([(":n", n(number)), (":next", n(number + count))]),
    )
}

/// The order's own items: the order, its first event, its idempotency key.
fn order_actions(
    s: &DynamoStore,
    i: usize,
    o: &NewOrder,
    order: &Order,
) -> Result<Vec<(Role, TransactWriteItem)>> {
    let created = OrderEvent {
        at: o.created_at,
        kind: "created".into(),
        actor: o.actor.clone(),
        status: OrderStatus::Pending,
        detail: None,
    };
    let mut actions = vec![
        (
            Role::Order(i),
            put_if(
                &s.main,
                order_item(order, 0)?,
                Some("attribute_not_exists(pk)"),
                &[],
                Item::new(),
            )?,
        ),
        (Role::Other, event_put(s, &order.id, &created)?),
    ];
    if let Some(idem) = &o.idempotency {
        let mut it = idem_key(&o.shop_id, &idem.key);
        it.extend([
            ("shop_id".to_owned(), text(o.shop_id.as_str())),
            ("request_hash".to_owned(), text(idem.request_hash.as_str())),
            ("order_id".to_owned(), text(order.id.as_str())),
            ("created_at".to_owned(), n_ts(o.created_at)),
            ("g1pk".to_owned(), text(KIND_IDEM)),
            (
                "g1sk".to_owned(),
                text(format!(
                    "{}#{}#{}",
                    sort_ts(o.created_at),
                    o.shop_id,
                    idem.key
                )),
            ),
        ]);
        // The store is not told how long keys live: like SQL's rows they last until
        // `purge_idempotency` deletes them, and there is no `ttl` to race it.
        actions.push((
            Role::Idem(i),
            put_if(
                &s.main,
                it,
                Some("attribute_not_exists(pk)"),
                &[],
                Item::new(),
            )?,
        ));
    }
    Ok(actions)
}

/// The answer to an order whose id is taken: the order itself when it is this shop's (a batch
/// abandoned after its commit, retried), else a conflict.
async fn taken_id(s: &DynamoStore, o: &NewOrder) -> Result<Result<CreatedOrder>> {
    Ok(match order(s, &o.shop_id, &o.id).await? {
        Some(stored) if stored.created_at == o.created_at => Ok(CreatedOrder::Replayed(stored)),
        _ => Err(StoreError::Conflict(format!(
            "an order with the id {} exists",
            o.id
        ))),
    })
}

/// The key of the order's customer: by phone, else by e-mail (SQL matches e-mail only among
/// customers without a phone), none without either.
fn customer_key(o: &NewOrder) -> Option<Item> {
    let c = &o.priced.customer;
    let sk = match (&c.phone, &c.email) {
        (Some(phone), _) => format!("CUST#PHONE#{phone}"),
        (None, Some(email)) => format!("CUST#EMAIL#{email}"),
        (None, None) => return None,
    };
    Some(key(format!("SHOP#{}", o.shop_id), sk))
}

/// The write of a customer for the batch's orders `mine` (in order), as SQL's upsert one after
/// the other would leave them: a new customer gets the first order's `new_customer_id`; the
/// name and e-mail are the last ones given; on condition of what was read.
fn customer_action(
    s: &DynamoStore,
    c: &CustomerRow,
    mine: &[&NewOrder],
) -> Result<Option<TransactWriteItem>> {
    let (Some(first), Some(last)) = (mine.first(), mine.last()) else {
        return Ok(None);
    };
    let name = mine
        .iter()
        .rev()
        .find_map(|o| o.priced.customer.name.clone());
    let email = mine
        .iter()
        .rev()
        .find_map(|o| o.priced.customer.email.clone());
    let action = match &c.existing {
        Some(id) => {
            let mut set = vec!["#u = :u"];
            let mut names = vec![("#u", "updated_at"), ("#id", "customer_id")];
            let mut vals = values([(":u", n_ts(last.created_at)), (":id", text(id.as_str()))]);
            if let Some(name) = name {
                set.push("#n = :n");
                names.push(("#n", "name"));
                vals.insert(":n".into(), text(name));
            }
            if let Some(email) = email {
                set.push("#e = :e");
                names.push(("#e", "email"));
                vals.insert(":e".into(), text(email));
            }
            update(
                &s.main,
                c.key.clone(),
                &format!("SET {}", set.join(", ")),
                "#id = :id",
                &names,
                vals,
            )?
        }
        None => {
            let mut it = c.key.clone();
            it.extend([
                (
                    "customer_id".to_owned(),
                    text(first.new_customer_id.as_str()),
                ),
                ("shop_id".to_owned(), text(first.shop_id.as_str())),
                ("created_at".to_owned(), n_ts(first.created_at)),
                ("updated_at".to_owned(), n_ts(last.created_at)),
            ]);
            put_opt(&mut it, "name", name.map(text));
            put_opt(
                &mut it,
                "phone",
                first.priced.customer.phone.clone().map(text),
            );
            put_opt(&mut it, "email", email.map(text));
            put_if(
                &s.main,
                it,
                Some("attribute_not_exists(pk)"),
                &[],
                Item::new(),
            )?
        }
    };
    Ok(Some(action))
}

/// The answer an idempotency key already gives: a replay of its order (the same request) or a
/// conflict (another request); `None` when the key is unused.
async fn seen_key(s: &DynamoStore, o: &NewOrder) -> Result<Option<Result<CreatedOrder>>> {
    let Some(idem) = &o.idempotency else {
        return Ok(None);
    };
    let Some(it) = s.get(&s.main, idem_key(&o.shop_id, &idem.key)).await? else {
        return Ok(None);
    };
    if it.get_s("request_hash")? != idem.request_hash {
        return Ok(Some(Err(StoreError::IdempotencyConflict)));
    }
    let id = OrderId::from_stored(it.get_s("order_id")?.to_owned());
    let stored = order(s, &o.shop_id, &id)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(Some(Ok(CreatedOrder::Replayed(stored))))
}

/// The shop's `next_order_number`, read consistently; `NotFound` without the shop.
async fn read_counter(s: &DynamoStore, shop: &ShopId) -> Result<i64> {
    s.get(&s.main, shop_key(shop))
        .await?
        .ok_or(StoreError::NotFound)?
        .get_n("next_order_number")
}

// ---------------------------------------------------------------------------------------------
// Reading orders

/// The order item and its version.
async fn read_order(s: &DynamoStore, id: &OrderId) -> Result<Option<(Order, i64)>> {
    match s.get(&s.main, order_key(id)).await? {
        Some(it) => Ok(Some((order_from(&it)?, it.get_n("version")?))),
        None => Ok(None),
    }
}

pub(super) async fn order(s: &DynamoStore, shop: &ShopId, id: &OrderId) -> Result<Option<Order>> {
    Ok(read_order(s, id)
        .await?
        .map(|(o, _)| o)
        .filter(|o| &o.shop_id == shop))
}

pub(super) async fn order_by_id(s: &DynamoStore, id: &OrderId) -> Result<Option<Order>> {
    Ok(read_order(s, id).await?.map(|(o, _)| o))
}

/// Orders by id, in no particular order; ids not found are left out. BatchGetItem, 100 keys a
/// call, read consistently; keys DynamoDB leaves unprocessed (throttling) are asked again.
pub(super) async fn orders_by_ids(s: &DynamoStore, ids: Vec<OrderId>) -> Result<Vec<Order>> {
    let mut seen = HashSet::new();
    // BatchGetItem refuses a key given twice.
    let ids: Vec<OrderId> = ids
        .into_iter()
        .filter(|id| seen.insert(id.clone()))
        .collect();
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(BATCH_GET_KEYS) {
        let mut keys: Vec<Item> = chunk.iter().map(order_key).collect();
        let mut attempt = 0;
        while !keys.is_empty() {
            if attempt > 0 {
                if attempt >= ATTEMPTS {
                    return Err(busy("reading orders"));
                }
                pause(attempt).await;
            }
            attempt += 1;
            let wanted = KeysAndAttributes::builder()
                .set_keys(Some(keys))
                .consistent_read(true)
                .build()
                .map_err(fail::build)?;
            let out = s
                .client
                .batch_get_item()
                .request_items(s.main.clone(), wanted)
                .send()
                .await
                .map_err(fail::sdk)?;
            if let Some(items) = out.responses().and_then(|r| r.get(&s.main)) {
                for it in items {
                    found.push(order_from(it)?);
                }
            }
            keys = out
                .unprocessed_keys()
                .and_then(|u| u.get(&s.main))
                .map(|k| k.keys().to_vec())
                .unwrap_or_default();
        }
    }
    Ok(found)
}

/// A page of the shop's orders, newest (highest number) first: g1 for all statuses, or one g2
/// Query per status merged by number; `before_number` bounds the sort key, `since` is a
/// filter. Index reads are eventually consistent: an order stored a moment ago may be missing
/// from a page on AWS.
pub(super) async fn orders(s: &DynamoStore, shop: &ShopId, f: OrderFilter) -> Result<OrderPage> {
    let limit = usize::try_from(f.limit.clamp(1, 200)).unwrap_or(200);
    let empty = OrderPage {
        orders: Vec::new(),
        next_before_number: None,
    };
    // Number sort keys between "NUM#" and the last number below the cursor.
    let high = match f.before_number {
        Some(before) if before <= 0 => return Ok(empty),
        Some(before) => num_sk(before - 1),
        None => "NUM$".to_owned(),
    };
    let partitions: Vec<(&str, String)> = if f.statuses.is_empty() {
        vec![("g1", format!("SHOP#{shop}"))]
    } else {
        let mut statuses = f.statuses.clone();
        statuses.sort_by_key(|st| st.as_str());
        statuses.dedup();
        statuses
            .iter()
            .map(|st| ("g2", format!("SHOP#{shop}#ST#{}", st.as_str())))
            .collect()
    };
    let mut items = Vec::new();
    for (index, pk) in partitions {
        let mut vals = values([
            (":pk", text(pk)),
            (":lo", text("NUM#")),
            (":hi", text(high.as_str())),
        ]);
        let mut names = HashMap::from([
            ("#pk".to_owned(), format!("{index}pk")),
            ("#sk".to_owned(), format!("{index}sk")),
        ]);
        let mut query = s
            .client
            .query()
            .table_name(&s.main)
            .index_name(index)
            .key_condition_expression("#pk = :pk AND #sk BETWEEN :lo AND :hi")
            .scan_index_forward(false)
            .limit(i32::try_from(limit + 1).unwrap_or(201));
        if let Some(since) = f.since {
            vals.insert(":since".into(), n_ts(since));
            names.insert("#c".into(), "created_at".into());
            query = query.filter_expression("#c >= :since");
        }
        let query = query
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(vals));
        items.extend(s.query_all(query, Some(limit + 1)).await?);
    }
    let mut orders: Vec<Order> = items.iter().map(order_from).collect::<Result<_>>()?;
    orders.sort_by_key(|o| std::cmp::Reverse(o.number));
    let more = orders.len() > limit;
    orders.truncate(limit);
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

// ---------------------------------------------------------------------------------------------
// Changing orders

/// Applies an action following the lifecycle of `Order::apply`, writing the order, its event
/// and the action's effects in one transaction on condition of the version read: of two
/// concurrent actions one applies, the other reads again and is judged against the new state.
pub(super) async fn apply_order_action(
    s: &DynamoStore,
    shop: &ShopId,
    id: &OrderId,
    action: OrderAction,
    actor: Actor,
    now: Timestamp,
) -> Result<Order> {
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            pause(attempt).await;
        }
        let Some((mut order, version)) = read_order(s, id).await? else {
            return Err(StoreError::NotFound);
        };
        if &order.shop_id != shop {
            return Err(StoreError::NotFound);
        }
        if order.apply(&action, now)? == Applied::Unchanged {
            return Ok(order);
        }
        let detail = match &action {
            OrderAction::Accept { eta_minutes } => Some(format!("eta {eta_minutes} min")),
            OrderAction::Reject { reason } | OrderAction::Cancel { reason } => reason.clone(),
            _ => None,
        };
        let event = OrderEvent {
            at: now,
            kind: action.name().into(),
            actor: actor.clone(),
            status: order.status,
            detail,
        };
        let changed = effects::order_changed(s, &order, &action, &actor).await?;
        let base = vec![
            put_if(
                &s.main,
                order_item(&order, version + 1)?,
                Some("#v = :v"),
                &[("#v", "version")],
                values([(":v", n(version))]),
            )?,
            event_put(s, id, &event)?,
        ];
        let (first, follow_ups) = pack(base, changed);
        match s.transact(first).await? {
            Ok(()) => {
                write_follow_ups(s, follow_ups).await?;
                return Ok(order);
            }
            Err(reasons) => {
                if let Some(other) = reasons.iter().flatten().find(|r| !retryable(r)) {
                    return Err(refused(other));
                }
                // The order changed since it was read (or an effect's id was taken, or a
                // transaction conflict): read again and retry.
            }
        }
    }
    Err(busy("changing an order"))
}

/// The order's history, oldest first: one consistent Query on the order's partition (the order
/// item, which says whose it is, and its events). Another shop's order has none.
pub(super) async fn order_events(
    s: &DynamoStore,
    shop: &ShopId,
    id: &OrderId,
) -> Result<Vec<OrderEvent>> {
    let query = s
        .client
        .query()
        .table_name(&s.main)
        .key_condition_expression("pk = :pk")
        .set_expression_attribute_values(Some(values([(":pk", text(format!("ORDER#{id}")))])))
        .consistent_read(true);
    let items = s.query_all(query, None).await?;
    let mut owned = false;
    let mut events = Vec::new();
    for it in &items {
        let sk = it.get_s("sk")?;
        if sk == "ORDER" {
            owned = it.get_s("shop_id")? == shop.as_str();
        } else if sk.starts_with("EVT#") {
            events.push(event_from(it)?);
        }
    }
    Ok(if owned { events } else { Vec::new() })
}

/// Deletes the idempotency keys stored before `before` (part of `delete_expired`); how many.
/// Finds them through g1 `KIND#idem` (sorted by creation), then deletes each on condition of
/// its own `created_at`, since the index may lag.
pub(super) async fn purge_idempotency(s: &DynamoStore, before: Timestamp) -> Result<u64> {
    let query = s
        .client
        .query()
        .table_name(&s.main)
        .index_name("g1")
        .key_condition_expression("g1pk = :k AND g1sk < :before")
        .set_expression_attribute_values(Some(values([
            (":k", text(KIND_IDEM)),
            (":before", text(sort_ts(before))),
        ])));
    let mut purged = 0;
    for it in s.query_all(query, None).await? {
        let result = s
            .client
            .delete_item()
            .table_name(&s.main)
            .set_key(Some(key(it.get_s("pk")?, it.get_s("sk")?)))
            .condition_expression("#c < :before")
            .expression_attribute_names("#c", "created_at")
            .expression_attribute_values(":before", n_ts(before))
            .send()
            .await;
        match result {
            Ok(_) => purged += 1,
            Err(e) if fail::condition_failed(&e) => {}
            Err(e) => return Err(fail::sdk(e)),
        }
    }
    Ok(purged)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    fn big_put(bytes: usize) -> TransactWriteItem {
        let mut it = key("P", "S");
        it.insert("blob".into(), text("x".repeat(bytes)));
        put("t", it).unwrap()
    }

    #[test]
    fn packing_keeps_the_order_whole_and_moves_what_does_not_fit() {
        let base = vec![big_put(10), big_put(10), big_put(10)];
        let effects: Vec<_> = (0..250).map(|_| big_put(10)).collect();
        let (first, rest) = pack(base, effects);
        assert_eq!(first.len(), MAX_ACTIONS);
        assert_eq!(
            rest.iter().map(Vec::len).collect::<Vec<_>>(),
            [MAX_ACTIONS, 53]
        );

        // 4 MB in all cannot pass, whatever the count.
        let base = vec![big_put(100)];
        let effects: Vec<_> = (0..10).map(|_| big_put(1_000_000)).collect();
        let (first, rest) = pack(base, effects);
        assert_eq!(first.len(), 4);
        assert!(first.iter().map(action_size).sum::<usize>() <= MAX_TRANSACTION_BYTES);
        assert_eq!(rest.iter().map(Vec::len).collect::<Vec<_>>(), [3, 3, 1]);

        let (first, rest) = pack(vec![big_put(1)], Vec::new());
        assert_eq!((first.len(), rest.len()), (1, 0));
    }

    #[test]
    fn number_keys_sort_like_numbers() {
        assert!(num_sk(999) < num_sk(1000));
        assert!("NUM#" < num_sk(0).as_str() && num_sk(i64::MAX).as_str() < "NUM$");
    }
}
