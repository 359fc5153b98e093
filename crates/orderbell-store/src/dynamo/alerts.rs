//! Escalation timers of unanswered orders on DynamoDB (queries/alerts.rs on SQL; the step
//! rules are `orderbell_core::escalation`, used as they are).
//!
//! One item per order that was pending when created, in the queue table:
//! `ALERT#<order> / A` with `order_id`, `shop_id`, `status`, `next_step`, `due_at` (N millis),
//! `repeats`, `called`, `created_at`, `updated_at`, and:
//! - while `active`, two sparse index entries: g2 `ALERTDUE / <due>#<order>` (every due timer
//!   in due order: [`fire_due_alerts`], [`next_alert_at`]) and g1 `ALERTS#<shop> /
//!   <due>#<order>` ([`active_alerts`]). Deviation from the plan's g2 `DUE`: the outbox rows of
//!   notifications.rs share index g2 of this table under `DUE#NOTIF`, so the two partitions
//!   are kept apart by name and neither reader pages through the other's entries.
//! - `escalation_rows` (a number set): the ids of the reminder and call rows its firings queued,
//!   so that the acknowledgement cancels exactly those by consistent reads, never through an
//!   index that may lag behind the firing that queued them.
//! - once missed, `owner_notices` (how many owner messages the miss queued) and
//!   `paused_shop_until` (when the miss paused the shop): what [`fire_due_alerts`] reports,
//!   written by the very transaction that made the order missed.
//! - while a firer works on it, `claim` and `claim_until` (see [`claim`]).
//!
//! Exactly once, across instances: every firing is ONE transaction whose first action moves
//! the timer on condition that it is still `active` at the `due_at` and `next_step` the firer
//! read (and still claimed by it), with the step's outbox rows beside it; whoever moves it
//! first fires, any other writes nothing. A short claim, one conditional single-item update
//! taken before the order and shop are read, keeps a second instance from even building the
//! same firing. The `missed` step goes through the order's own change
//! (`Store::apply_order_action` with `OrderAction::Miss`), whose transaction carries this
//! file's [`order_changed`] actions for it: the timer's move (same condition), the shop's
//! `missed_in_row` (on condition of the value read) and, after `pause_after_missed` misses in
//! a row, its `paused_until` and `updated_at` with the owners' notices. A miss that is not the
//! timer's (already acknowledged, not yet due, fired by another instance) is refused as an
//! invalid transition and writes nothing.

use std::collections::{HashMap, HashSet};

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use orderbell_core::escalation::{self, Step, Timer};
use orderbell_core::order::{Actor, InvalidTransition, Order, OrderAction, OrderStatus};
use orderbell_core::shop::Shop;
use orderbell_core::user::Role;
use orderbell_core::{OrderId, ShopId, Timestamp};

use super::item::{Item, Read, b, key, n, n_ts, s as text, sort_ts, values};
use super::{DynamoStore, MAX_ACTIONS, fail, notifications, shops};
use crate::alerts::{
    AlertStatus, ChannelHealth, Fired, OrderAlert, Target, end_of_day, shop_payload,
};
use crate::notifications::{
    Channel, ChannelLink, LinkStatus, MemberSettings, NewNotification, NotificationStatus,
    NotifyEvent, Payload, Recipient, ShopInfo,
};
use crate::{NotificationStore, Result, Store, StoreError};

/// The g2 partition of active timers (see the module doc).
const DUE: &str = "ALERTDUE";

/// The index attributes an active timer has and a finished one drops.
const INDEX_ATTRIBUTES: [&str; 4] = ["g1pk", "g1sk", "g2pk", "g2sk"];

/// How long a firer's claim on a due step keeps other firers away (see [`claim`]): far longer
/// than one firing takes; a firer that died holding it delays the step by at most this.
const CLAIM_MS: i64 = 30_000;

fn bad(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("stored escalation data has a bad {what}: {e}"))
}

fn alert_key(order: &OrderId) -> Item {
    key(format!("ALERT#{order}"), "A")
}

/// The sort key of an active timer in both indexes: due time, then order (SQL's ORDER BY).
fn due_sk(due: Timestamp, order: &OrderId) -> String {
    format!("{}#{order}", sort_ts(due))
}

fn alert_from(it: &Item) -> Result<OrderAlert> {
    let step = it.get_s("next_step")?;
    Ok(OrderAlert {
        order_id: OrderId::from_stored(it.get_s("order_id")?.to_owned()),
        shop_id: ShopId::from_stored(it.get_s("shop_id")?.to_owned()),
        status: it.get_parsed("status")?,
        next_step: Step::parse(step).ok_or_else(|| bad("step", step))?,
        due_at: it.get_ts("due_at")?,
        repeats: u32::try_from(it.get_n("repeats")?).map_err(|e| bad("repeat count", e))?,
        called: it.get_b("called")?,
    })
}

fn timer_of(alert: &OrderAlert) -> Timer {
    Timer {
        next: alert.next_step,
        due_at: alert.due_at,
        repeats: alert.repeats,
        called: alert.called,
    }
}

/// The outbox rows an alert's firings queued (`escalation_rows`).
fn escalation_rows(it: &Item) -> Result<Vec<i64>> {
    match it.get("escalation_rows") {
        None | Some(AttributeValue::Null(_)) => Ok(Vec::new()),
        Some(AttributeValue::Ns(ids)) => ids
            .iter()
            .map(|id| id.parse().map_err(|e| bad("outbox row id", e)))
            .collect(),
        Some(_) => Err(bad("outbox row list", "not a number set")),
    }
}

// ---------------------------------------------------------------------------------------------
// Writes

/// One Update for a transaction: `SET #a = …` for `sets`, `REMOVE` for `removes`, `ADD` for
/// `add`, on `condition` (which names attributes as `#<name>` for each of `cond_names`, and
/// values from `cond_values`). Every attribute goes through an expression name: `status` and
/// `called` are reserved words in DynamoDB.
#[allow(clippy::too_many_arguments, reason = "the parts of one UpdateItem")]
fn update(
    table: &str,
    key: Item,
    sets: &[(&str, AttributeValue)],
    removes: &[&str],
    add: Option<(&str, AttributeValue)>,
    condition: Option<&str>,
    cond_names: &[&str],
    cond_values: Item,
) -> Result<TransactWriteItem> {
    let mut names = HashMap::new();
    let mut vals = cond_values;
    let mut clauses = Vec::new();
    if !sets.is_empty() {
        let parts: Vec<String> = sets
            .iter()
            .enumerate()
            .map(|(i, (name, v))| {
                names.insert(format!("#{name}"), (*name).to_owned());
                vals.insert(format!(":s{i}"), v.clone());
                format!("#{name} = :s{i}")
            })
            .collect();
        clauses.push(format!("SET {}", parts.join(", ")));
    }
    if !removes.is_empty() {
        let parts: Vec<String> = removes
            .iter()
            .map(|name| {
                names.insert(format!("#{name}"), (*name).to_owned());
                format!("#{name}")
            })
            .collect();
        clauses.push(format!("REMOVE {}", parts.join(", ")));
    }
    if let Some((name, v)) = add {
        names.insert(format!("#{name}"), name.to_owned());
        vals.insert(":add".to_owned(), v);
        clauses.push(format!("ADD #{name} :add"));
    }
    for name in cond_names {
        names.insert(format!("#{name}"), (*name).to_owned());
    }
    let update = Update::builder()
        .table_name(table)
        .set_key(Some(key))
        .update_expression(clauses.join(" "))
        .set_condition_expression(condition.map(str::to_owned))
        .set_expression_attribute_names((!names.is_empty()).then_some(names))
        .set_expression_attribute_values((!vals.is_empty()).then_some(vals))
        .build()
        .map_err(fail::build)?;
    Ok(TransactWriteItem::builder().update(update).build())
}

/// Moves the timer `from` to `status` / `next` at `now`, on condition that it is still active
/// as read (the guard of "each step fires once") and, for a firing, still claimed by `claim`
/// (see [`claim`]); with `more` set besides, the outbox rows `rows` added to
/// `escalation_rows`, and the claim given back.
#[allow(clippy::too_many_arguments, reason = "the parts of one move")]
fn move_alert(
    s: &DynamoStore,
    from: &OrderAlert,
    status: AlertStatus,
    next: &Timer,
    now: Timestamp,
    rows: &[i64],
    more: Vec<(&str, AttributeValue)>,
    claim: Option<&str>,
) -> Result<TransactWriteItem> {
    let mut sets = vec![
        ("status", text(status.as_str())),
        ("next_step", text(next.next.as_str())),
        ("due_at", n_ts(next.due_at)),
        ("repeats", n(i64::from(next.repeats))),
        ("called", b(next.called)),
        ("updated_at", n_ts(now)),
    ];
    let mut removes = vec!["claim", "claim_until"];
    if status == AlertStatus::Active {
        let sk = due_sk(next.due_at, &from.order_id);
        sets.push(("g1sk", text(sk.clone())));
        sets.push(("g2sk", text(sk)));
    } else {
        removes.extend(INDEX_ATTRIBUTES);
    }
    sets.extend(more);
    let add = (!rows.is_empty()).then(|| {
        (
            "escalation_rows",
            AttributeValue::Ns(rows.iter().map(i64::to_string).collect()),
        )
    });
    let mut condition =
        "#status = :active AND #due_at = :from_due AND #next_step = :from_step".to_owned();
    let mut cond_names = vec!["status", "due_at", "next_step"];
    let mut cond_values = values([
        (":active", text(AlertStatus::Active.as_str())),
        (":from_due", n_ts(from.due_at)),
        (":from_step", text(from.next_step.as_str())),
    ]);
    if let Some(token) = claim {
        condition.push_str(" AND #claim = :claim");
        cond_names.push("claim");
        cond_values.insert(":claim".to_owned(), text(token));
    }
    update(
        &s.queue,
        alert_key(&from.order_id),
        &sets,
        &removes,
        add,
        Some(&condition),
        &cond_names,
        cond_values,
    )
}

/// Ends the timer `from` (as [`move_alert`], keeping its last step).
fn close_alert(
    s: &DynamoStore,
    from: &OrderAlert,
    status: AlertStatus,
    now: Timestamp,
    more: Vec<(&str, AttributeValue)>,
    claim: Option<&str>,
) -> Result<TransactWriteItem> {
    move_alert(s, from, status, &timer_of(from), now, &[], more, claim)
}

/// Claims the firing of `alert`'s due step for this call, for [`CLAIM_MS`]: a single-item
/// conditional update on the timer as read, refused while another firer's claim runs. The
/// firing's transaction then moves the timer on condition of this claim (and of the timer
/// as read), so the step still fires once even if a claim lapses; the claim only keeps racing
/// instances from building the same firing twice and from sending transactions bound to be
/// cancelled (moto, which tests run on, rolls a cancelled transaction back by restoring
/// copies of whole tables, which can undo another instance's concurrent writes). `None`:
/// another firer has it, or the timer moved on.
async fn claim(s: &DynamoStore, alert: &OrderAlert, now: Timestamp) -> Result<Option<String>> {
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes)
        .map_err(|e| StoreError::Backend(format!("no randomness for a claim: {e}")))?;
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let claimed = s
        .client
        .update_item()
        .table_name(&s.queue)
        .set_key(Some(alert_key(&alert.order_id)))
        .update_expression("SET #claim = :token, #claim_until = :until")
        .condition_expression(
            "#status = :active AND #due_at = :due AND #next_step = :step \
             AND (attribute_not_exists(#claim_until) OR #claim_until <= :now)",
        )
        .set_expression_attribute_names(Some(HashMap::from(
            ["status", "due_at", "next_step", "claim", "claim_until"]
                .map(|a| (format!("#{a}"), a.to_owned())),
        )))
        .set_expression_attribute_values(Some(values([
            (":token", text(token.clone())),
            (":until", n(now.as_millisecond().saturating_add(CLAIM_MS))),
            (":active", text(AlertStatus::Active.as_str())),
            (":due", n_ts(alert.due_at)),
            (":step", text(alert.next_step.as_str())),
            (":now", n_ts(now)),
        ])))
        .send()
        .await;
    match claimed {
        Ok(_) => Ok(Some(token)),
        Err(e) if fail::condition_failed(&e) => Ok(None),
        Err(e) => Err(fail::sdk(e)),
    }
}

/// Outbox rows for one transaction, each with its own id (two Puts of one key would make the
/// whole transaction invalid rather than merely cancelled).
fn enqueue_all(
    s: &DynamoStore,
    rows: &[NewNotification],
) -> Result<(Vec<i64>, Vec<TransactWriteItem>)> {
    let mut taken = HashSet::new();
    let mut ids = Vec::with_capacity(rows.len());
    let mut actions = Vec::with_capacity(rows.len());
    for row in rows {
        loop {
            let (id, action) = notifications::enqueue(s, row)?;
            if taken.insert(id) {
                ids.push(id);
                actions.push(action);
                break;
            }
        }
    }
    Ok((ids, actions))
}

/// Writes actions that did not fit beside a firing, at most [`MAX_ACTIONS`] a transaction.
/// They are new outbox rows only: a cancellation can only be an id collision.
async fn write_rest(s: &DynamoStore, rest: Vec<TransactWriteItem>) -> Result<()> {
    for chunk in rest.chunks(MAX_ACTIONS) {
        if let Err(reasons) = s.transact(chunk.to_vec()).await? {
            return Err(StoreError::Unavailable(format!(
                "escalation messages could not all be queued: {reasons:?}"
            )));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Written with the order and its changes

/// The escalation timer of a new order (queries/alerts.rs::orders_created): every order that
/// is pending and unacknowledged gets one, started by the shop's alert policy.
pub(super) async fn order_created(
    s: &DynamoStore,
    order: &Order,
) -> Result<Vec<TransactWriteItem>> {
    if order.status != OrderStatus::Pending || order.acknowledged_at.is_some() {
        return Ok(Vec::new());
    }
    let shop = Store::shop(s, &order.shop_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let timer = escalation::start(&shop.alerts, order.created_at);
    let sk = due_sk(timer.due_at, &order.id);
    let mut it = alert_key(&order.id);
    it.extend([
        ("order_id".to_owned(), text(order.id.as_str())),
        ("shop_id".to_owned(), text(order.shop_id.as_str())),
        ("status".to_owned(), text(AlertStatus::Active.as_str())),
        ("next_step".to_owned(), text(timer.next.as_str())),
        ("due_at".to_owned(), n_ts(timer.due_at)),
        ("repeats".to_owned(), n(i64::from(timer.repeats))),
        ("called".to_owned(), b(timer.called)),
        ("created_at".to_owned(), n_ts(order.created_at)),
        ("updated_at".to_owned(), n_ts(order.created_at)),
        ("g1pk".to_owned(), text(format!("ALERTS#{}", order.shop_id))),
        ("g1sk".to_owned(), text(sk.clone())),
        ("g2pk".to_owned(), text(DUE)),
        ("g2sk".to_owned(), text(sk)),
    ]);
    let put = Put::builder()
        .table_name(&s.queue)
        .set_item(Some(it))
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .map_err(fail::build)?;
    Ok(vec![TransactWriteItem::builder().put(put).build()])
}

/// What an order change does to its timer (queries/alerts.rs::order_changed): the first
/// acknowledgement (or the order closing any other way) ends it and cancels the reminders and
/// calls it queued that are still waiting; an acknowledgement also starts the shop's count of
/// orders missed in a row again. The `missed` transition is the timer's own step (see
/// [`missed`]).
pub(super) async fn order_changed(
    s: &DynamoStore,
    order: &Order,
    action: &OrderAction,
) -> Result<Vec<TransactWriteItem>> {
    if matches!(action, OrderAction::Miss) {
        return missed(s, order).await;
    }
    let answered = order.acknowledged_at.is_some();
    if !answered && !order.status.is_final() {
        return Ok(Vec::new());
    }
    let now = order.updated_at;
    let mut actions = Vec::new();
    if let Some(it) = s.get(&s.queue, alert_key(&order.id)).await? {
        let alert = alert_from(&it)?;
        if alert.status == AlertStatus::Active {
            let status = if answered {
                AlertStatus::Answered
            } else {
                AlertStatus::Ended
            };
            // On condition of the timer as read: a firing that slips in between makes the
            // order's transaction read again, and then sees the rows that firing queued.
            actions.push(close_alert(s, &alert, status, now, Vec::new(), None)?);
            actions.extend(cancel_escalation(s, &it, now).await?);
        }
    }
    if answered {
        let shop_key = shops::shop_key(&order.shop_id);
        if let Some(shop) = s.get(&s.main, shop_key.clone()).await?
            && shop.opt_n("missed_in_row")?.unwrap_or(0) != 0
        {
            // Someone is there: the count of orders missed in a row starts again.
            actions.push(update(
                &s.main,
                shop_key,
                &[("missed_in_row", n(0))],
                &[],
                None,
                Some("attribute_exists(pk)"),
                &[],
                Item::new(),
            )?);
        }
    }
    Ok(actions)
}

/// Cancels the reminders and calls of an alert (`escalation_rows`) that are still waiting. A
/// row the dispatcher has taken meanwhile fails the condition, and the order's transaction
/// reads again (it is then left to finish, as on SQL).
async fn cancel_escalation(
    s: &DynamoStore,
    alert: &Item,
    now: Timestamp,
) -> Result<Vec<TransactWriteItem>> {
    let mut actions = Vec::new();
    for id in escalation_rows(alert)? {
        let Some(row) = NotificationStore::notification(s, id).await? else {
            continue;
        };
        if row.status != NotificationStatus::Queued || !NotifyEvent::ESCALATION.contains(&row.event)
        {
            continue;
        }
        // The outbox row's key and fields as notifications.rs writes them (`NOTIF#<id> / N`,
        // out of its due index once no longer queued), as its own cancel does.
        actions.push(update(
            &s.queue,
            key(format!("{}{id}", notifications::NOTIF_PREFIX), "N"),
            &[
                ("status", text(NotificationStatus::Cancelled.as_str())),
                ("updated_at", n_ts(now)),
            ],
            &["g2pk", "g2sk"],
            None,
            Some("#status = :queued"),
            &["status"],
            values([(":queued", text(NotificationStatus::Queued.as_str()))]),
        )?);
    }
    Ok(actions)
}

/// The timer's `missed` step, as actions of the order's change: refused (an invalid
/// transition, nothing written) unless the order's timer is active, its order unacknowledged
/// and the miss due at the change's time. Counts the miss in the shop's `missed_in_row` and
/// pauses the shop until its next midnight after `pause_after_missed` in a row (telling the
/// owners), as queries/alerts.rs::after_miss does; what it did is recorded on the timer.
async fn missed(s: &DynamoStore, order: &Order) -> Result<Vec<TransactWriteItem>> {
    let now = order.updated_at;
    let refused = || {
        StoreError::InvalidTransition(InvalidTransition {
            from: OrderStatus::Pending,
            action: OrderAction::Miss.name(),
        })
    };
    if order.acknowledged_at.is_some() {
        return Err(refused());
    }
    let Some(it) = s.get(&s.queue, alert_key(&order.id)).await? else {
        return Err(refused());
    };
    let alert = alert_from(&it)?;
    if alert.status != AlertStatus::Active {
        return Err(refused());
    }
    let shop_key = shops::shop_key(&order.shop_id);
    let shop_item = s
        .get(&s.main, shop_key.clone())
        .await?
        .ok_or(StoreError::NotFound)?;
    let shop = shops::shop_from(&shop_item)?;
    let firing = escalation::fire(&shop.alerts, order.created_at, &timer_of(&alert), now);
    if !firing.steps.contains(&Step::Miss) {
        return Err(refused());
    }

    let old = shop_item.opt_n("missed_in_row")?;
    let in_row = old.unwrap_or(0).saturating_add(1);
    let (condition, cond_values) = match old {
        Some(old) => ("#missed_in_row = :old", values([(":old", n(old))])),
        None => (
            "attribute_exists(pk) AND attribute_not_exists(#missed_in_row)",
            Item::new(),
        ),
    };
    let pause = shop
        .alerts
        .pause_after_missed
        .is_some_and(|limit| in_row >= i64::from(limit))
        && shop.paused_until.is_none_or(|p| p <= now);
    let mut record = Vec::new();
    let mut after = Vec::new();
    if pause {
        let until = end_of_day(&shop, now);
        after.push(update(
            &s.main,
            shop_key,
            &[
                ("paused_until", n_ts(until)),
                ("missed_in_row", n(0)),
                ("updated_at", n_ts(now)),
            ],
            &[],
            None,
            Some(condition),
            &["missed_in_row"],
            cond_values,
        )?);
        let info = info_of(&shop);
        let payload = Payload {
            paused_until: Some(until),
            ..shop_payload(&info)
        };
        let rows = owner_rows(s, &shop.id, &info, NotifyEvent::Paused, &payload, now).await?;
        let (ids, puts) = enqueue_all(s, &rows)?;
        after.extend(puts);
        record.push(("paused_shop_until", n_ts(until)));
        record.push((
            "owner_notices",
            n(i64::try_from(ids.len()).unwrap_or(i64::MAX)),
        ));
    } else {
        after.push(update(
            &s.main,
            shop_key,
            &[("missed_in_row", n(in_row))],
            &[],
            None,
            Some(condition),
            &["missed_in_row"],
            cond_values,
        )?);
        record.push(("owner_notices", n(0)));
    }
    let mut actions = vec![close_alert(
        s,
        &alert,
        AlertStatus::Missed,
        now,
        record,
        None,
    )?];
    actions.extend(after);
    Ok(actions)
}

// ---------------------------------------------------------------------------------------------
// Firing due timers

/// What one firing pass knows about a shop (read once per shop and pass).
struct ShopCache {
    shop: Shop,
    info: ShopInfo,
    settings: MemberSettings,
    links: Vec<ChannelLink>,
}

async fn cached<'a>(
    s: &DynamoStore,
    cache: &'a mut HashMap<ShopId, ShopCache>,
    id: &ShopId,
) -> Result<&'a ShopCache> {
    if !cache.contains_key(id) {
        let shop = Store::shop(s, id).await?.ok_or(StoreError::NotFound)?;
        let entry = ShopCache {
            info: info_of(&shop),
            settings: NotificationStore::member_settings(s, id).await?,
            links: member_links(s, id).await?,
            shop,
        };
        cache.insert(id.clone(), entry);
    }
    cache.get(id).ok_or(StoreError::NotFound)
}

fn info_of(shop: &Shop) -> ShopInfo {
    ShopInfo {
        slug: shop.slug.clone(),
        name: shop.name.clone(),
        phone: shop.phone.clone(),
        locale: shop.locale.clone(),
        time_zone: shop.time_zone.clone(),
    }
}

/// Fires every timer due at `now` (at most `limit`, earliest first), each in its own
/// transaction (see the module doc).
pub(super) async fn fire_due_alerts(
    s: &DynamoStore,
    now: Timestamp,
    limit: i64,
    calls: bool,
) -> Result<Vec<Fired>> {
    let limit = usize::try_from(limit.clamp(1, 10_000)).unwrap_or(1);
    // Entries sort as `<due>#<order>`; '$' follows '#', so this bound takes all due by `now`.
    let query = s
        .client
        .query()
        .table_name(&s.queue)
        .index_name("g2")
        .key_condition_expression("g2pk = :p AND g2sk < :upper")
        .set_expression_attribute_values(Some(values([
            (":p", text(DUE)),
            (":upper", text(format!("{}$", sort_ts(now)))),
        ])));
    let due = s.query_all(query, Some(limit)).await?;
    let mut cache = HashMap::new();
    let mut fired = Vec::with_capacity(due.len());
    for it in &due {
        let alert = alert_from(it)?;
        // The index may lag behind a timer that moved on; the firing's condition decides.
        if alert.status != AlertStatus::Active || alert.due_at > now {
            continue;
        }
        if let Some(f) = fire_one(s, &mut cache, &alert, now, calls).await? {
            fired.push(f);
        }
    }
    if fired.iter().any(|f| f.paused_until.is_some()) {
        // A shop paused itself: guests must see it closed now, not a second later.
        s.shops_by_slug.changed();
    }
    Ok(fired)
}

async fn fire_one(
    s: &DynamoStore,
    cache: &mut HashMap<ShopId, ShopCache>,
    alert: &OrderAlert,
    now: Timestamp,
    calls: bool,
) -> Result<Option<Fired>> {
    let Some(token) = claim(s, alert, now).await? else {
        return Ok(None);
    };
    let token = Some(token.as_str());
    let Some(order) = Store::order(s, &alert.shop_id, &alert.order_id).await? else {
        // The order is gone: its timer ends.
        let end = close_alert(s, alert, AlertStatus::Ended, now, Vec::new(), token)?;
        let _ = s.transact(vec![end]).await?;
        return Ok(None);
    };
    let policy = cached(s, cache, &alert.shop_id).await?.shop.alerts.clone();
    let timer = timer_of(alert);
    let still_open = order.status == OrderStatus::Pending && order.acknowledged_at.is_none();
    let firing = if still_open {
        escalation::fire(&policy, order.created_at, &timer, now)
    } else {
        escalation::Firing {
            steps: vec![],
            next: None,
        }
    };
    if firing.steps.contains(&Step::Miss) {
        return fire_miss(s, alert, now).await;
    }
    if firing.steps.is_empty() && firing.next == Some(timer) {
        return Ok(None);
    }
    let (status, next) = match &firing.next {
        Some(t) => (AlertStatus::Active, *t),
        None => (AlertStatus::Ended, timer),
    };
    let waited = (now - order.created_at).get_seconds();
    let mut rows = Vec::new();
    for step in &firing.steps {
        match step {
            Step::Repeat => {
                let c = cached(s, cache, &alert.shop_id).await?;
                let payload = Payload {
                    waited_seconds: Some(waited),
                    ..Payload::of_order(&order, &c.info, None)
                }
                .to_json()?;
                for t in member_targets(c, NotifyEvent::Reminder) {
                    rows.push(t.notification(&order, NotifyEvent::Reminder, &payload, now));
                }
            }
            Step::Call if calls => {
                let c = cached(s, cache, &alert.shop_id).await?;
                let payload = Payload {
                    waited_seconds: Some(waited),
                    ..Payload::of_order(&order, &c.info, None)
                }
                .to_json()?;
                let (locale, shop_phone) = (c.info.locale.clone(), c.shop.phone.clone());
                for t in phone_targets(s, &alert.shop_id, &locale, shop_phone).await? {
                    rows.push(t.notification(&order, NotifyEvent::Call, &payload, now));
                }
            }
            // Calls off: the call step passes silently. The miss went above.
            Step::Call | Step::Miss => {}
        }
    }
    let (ids, mut puts) = enqueue_all(s, &rows)?;
    let rest = puts.split_off(puts.len().min(MAX_ACTIONS - 1));
    let mut first = vec![move_alert(
        s,
        alert,
        status,
        &next,
        now,
        &ids,
        Vec::new(),
        token,
    )?];
    first.extend(puts);
    if s.transact(first).await?.is_err() {
        // Moved first by the acknowledgement, or by another firer after this claim lapsed
        // (or a transaction conflict or an id collision: the step is still due and fires on
        // a later pass).
        release_claim(s, alert, token).await?;
        return Ok(None);
    }
    write_rest(s, rest).await?;
    if firing.steps.is_empty() {
        return Ok(None);
    }
    Ok(Some(Fired {
        shop_id: alert.shop_id.clone(),
        order_id: alert.order_id.clone(),
        number: order.number,
        steps: firing.steps,
        queued: ids.len(),
        missed: None,
        paused_until: None,
        due_at: alert.due_at,
    }))
}

/// Gives a claim back after its firing wrote nothing, so that the next pass may fire the step
/// at once (a no-op when the claim is no longer ours or the timer is gone).
async fn release_claim(s: &DynamoStore, alert: &OrderAlert, token: Option<&str>) -> Result<()> {
    let Some(token) = token else {
        return Ok(());
    };
    let released = s
        .client
        .update_item()
        .table_name(&s.queue)
        .set_key(Some(alert_key(&alert.order_id)))
        .update_expression("REMOVE #claim, #claim_until")
        .condition_expression("#claim = :token")
        .expression_attribute_names("#claim", "claim")
        .expression_attribute_names("#claim_until", "claim_until")
        .expression_attribute_values(":token", text(token))
        .send()
        .await;
    match released {
        Ok(_) => Ok(()),
        Err(e) if fail::condition_failed(&e) => Ok(()),
        Err(e) => Err(fail::sdk(e)),
    }
}

/// The `missed` step: the order's own change, whose transaction carries the timer's move and
/// the shop's count (see [`missed`]). Refused as an invalid transition when another instance
/// or an acknowledgement came first.
async fn fire_miss(s: &DynamoStore, alert: &OrderAlert, now: Timestamp) -> Result<Option<Fired>> {
    let order = match Store::apply_order_action(
        s,
        &alert.shop_id,
        &alert.order_id,
        OrderAction::Miss,
        Actor::system(),
        now,
    )
    .await
    {
        Ok(order) => order,
        Err(StoreError::InvalidTransition(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let (paused_until, queued) = match s.get(&s.queue, alert_key(&alert.order_id)).await? {
        Some(it) => (
            it.opt_ts("paused_shop_until")?,
            it.opt_n("owner_notices")?.unwrap_or(0),
        ),
        None => (None, 0),
    };
    Ok(Some(Fired {
        shop_id: alert.shop_id.clone(),
        order_id: alert.order_id.clone(),
        number: order.number,
        steps: vec![Step::Miss],
        queued: usize::try_from(queued).unwrap_or(0),
        missed: Some(order),
        paused_until,
        due_at: alert.due_at,
    }))
}

/// The active links of the shop's members (of `role` only, when given) that are for every
/// shop or for this one, by id (queries/notifications::member_links).
async fn member_links_of(
    s: &DynamoStore,
    shop: &ShopId,
    role: Option<Role>,
    statuses: &[LinkStatus],
) -> Result<Vec<ChannelLink>> {
    let mut links = Vec::new();
    for member in Store::members(s, shop).await? {
        if role.is_some_and(|r| r != member.role) {
            continue;
        }
        for link in NotificationStore::links_of_user(s, &member.user_id).await? {
            if statuses.contains(&link.status) && link.shop_id.as_ref().is_none_or(|x| x == shop) {
                links.push(link);
            }
        }
    }
    links.sort_by_key(|l| l.id);
    links.dedup_by_key(|l| l.id);
    Ok(links)
}

async fn member_links(s: &DynamoStore, shop: &ShopId) -> Result<Vec<ChannelLink>> {
    member_links_of(s, shop, None, &[LinkStatus::Active]).await
}

/// The member channels the shop's settings want for `event`.
fn member_targets(c: &ShopCache, event: NotifyEvent) -> Vec<Target> {
    c.links
        .iter()
        .filter(|l| c.settings.wants(event, l.channel))
        .map(|l| Target {
            link_id: Some(l.id),
            channel: l.channel,
            destination: l.address.clone(),
            user_id: l.user_id.clone(),
            locale: l.locale.clone().unwrap_or_else(|| c.info.locale.clone()),
        })
        .collect()
}

/// Every member's phone (in the order they joined) and the shop's phone, once each.
async fn phone_targets(
    s: &DynamoStore,
    shop: &ShopId,
    locale: &str,
    shop_phone: Option<String>,
) -> Result<Vec<Target>> {
    let mut members = Store::members(s, shop).await?;
    members.sort_by(|a, b| (a.added_at, a.user_id.as_str()).cmp(&(b.added_at, b.user_id.as_str())));
    let mut out: Vec<Target> = Vec::new();
    for m in members {
        let Some(phone) = Store::user(s, &m.user_id).await?.and_then(|u| u.phone) else {
            continue;
        };
        if out.iter().any(|t| t.destination == phone) {
            continue;
        }
        out.push(Target {
            link_id: None,
            channel: Channel::Voice,
            destination: phone,
            user_id: Some(m.user_id),
            locale: locale.to_owned(),
        });
    }
    if let Some(phone) = shop_phone
        && !out.iter().any(|t| t.destination == phone)
    {
        out.push(Target {
            link_id: None,
            channel: Channel::Voice,
            destination: phone,
            user_id: None,
            locale: locale.to_owned(),
        });
    }
    Ok(out)
}

/// A notice to every active channel of the shop's owners.
async fn owner_rows(
    s: &DynamoStore,
    shop: &ShopId,
    info: &ShopInfo,
    event: NotifyEvent,
    payload: &Payload,
    now: Timestamp,
) -> Result<Vec<NewNotification>> {
    let body = payload.to_json()?;
    Ok(
        member_links_of(s, shop, Some(Role::Owner), &[LinkStatus::Active])
            .await?
            .into_iter()
            .map(|l| NewNotification {
                shop_id: Some(shop.clone()),
                order_id: None,
                link_id: Some(l.id),
                channel: l.channel,
                destination: l.address,
                recipient: Recipient::Member,
                user_id: l.user_id,
                event,
                locale: l.locale.unwrap_or_else(|| info.locale.clone()),
                payload: body.clone(),
                run_at: now,
                now,
            })
            .collect(),
    )
}

pub(super) async fn notify_owners(
    s: &DynamoStore,
    shop: &ShopId,
    event: NotifyEvent,
    problems: Vec<String>,
    now: Timestamp,
) -> Result<usize> {
    let found = Store::shop(s, shop).await?.ok_or(StoreError::NotFound)?;
    let info = info_of(&found);
    let payload = Payload {
        problems,
        ..shop_payload(&info)
    };
    let rows = owner_rows(s, shop, &info, event, &payload, now).await?;
    let (ids, actions) = enqueue_all(s, &rows)?;
    write_rest(s, actions).await?;
    Ok(ids.len())
}

// ---------------------------------------------------------------------------------------------
// Reads

pub(super) async fn next_alert_at(s: &DynamoStore) -> Result<Option<Timestamp>> {
    let query = s
        .client
        .query()
        .table_name(&s.queue)
        .index_name("g2")
        .key_condition_expression("g2pk = :p")
        .filter_expression("#status = :active")
        .expression_attribute_names("#status", "status")
        .set_expression_attribute_values(Some(values([
            (":p", text(DUE)),
            (":active", text(AlertStatus::Active.as_str())),
        ])))
        .limit(25);
    s.query_all(query, Some(1))
        .await?
        .first()
        .map(|it| it.get_ts("due_at"))
        .transpose()
}

pub(super) async fn active_alerts(s: &DynamoStore, shop: &ShopId) -> Result<Vec<OrderAlert>> {
    let query = s
        .client
        .query()
        .table_name(&s.queue)
        .index_name("g1")
        .key_condition_expression("g1pk = :p")
        .filter_expression("#status = :active")
        .expression_attribute_names("#status", "status")
        .set_expression_attribute_values(Some(values([
            (":p", text(format!("ALERTS#{shop}"))),
            (":active", text(AlertStatus::Active.as_str())),
        ])));
    s.query_all(query, None)
        .await?
        .iter()
        .map(alert_from)
        .collect()
}

pub(super) async fn order_alert(s: &DynamoStore, order: &OrderId) -> Result<Option<OrderAlert>> {
    s.get(&s.queue, alert_key(order))
        .await?
        .as_ref()
        .map(alert_from)
        .transpose()
}

/// Not written yet: each link's newest delivery outcome needs an index of outbox rows by link
/// (SQL's `ORDER BY n.id DESC LIMIT 1` per `link_id`), which the outbox rows of
/// notifications.rs do not carry so far.
pub(super) async fn channel_health(_s: &DynamoStore, _shop: &ShopId) -> Result<Vec<ChannelHealth>> {
    Err(super::unsupported("channel_health"))
}
