//! Notifications on DynamoDB (queries/notifications/*.rs on SQL): the outbox with its delivery
//! log, channel links, one-time link codes, per-shop member settings and the webhook log.
//!
//! Items (docs/design/serverless-plan.md §5):
//! - outbox row, queue table: `NOTIF#id / N`; g1 `ORDER#order / NOTIF#id` (an order's delivery
//!   log, the Telegram messages to edit, cancelling); g2 `DUE#NOTIF / due#id` only while the row
//!   is `queued` or `sending`, where `due` is `run_at`, or the lease's end when that is later.
//!   Claiming reads that index up to `now` and takes each row with a conditional update (the
//!   index may be stale: the condition is the truth); the first entry is `next_notification_at`.
//! - provider message id, main table: `MSGID#channel#message id / M` → the row's id, written in
//!   the transaction that records the send, so that a delivery report arriving a moment later
//!   finds its row by a consistent read.
//! - channel link, main table: `LINK#id / L`; g1 `USER#user / LINK#id` (member links) or
//!   `ORDER#order / LINK#id` (customer links). Its address entry `ADDR#channel#address / owner`
//!   (owner `USER#user#SHOP#shop` or `ORDER#order`) holds the link's id: the partition lists
//!   every link of an address (stop, inbound messages) by a consistent query, and the owner in
//!   the sort key makes "the same link" unique, by a conditional put.
//! - link code, main table: `LINKCODE#hash / C`, with ttl; g1 `LINKCODES / expires#hash` so that
//!   purging finds the expired ones.
//! - member settings, main table: `SHOP#shop / NOTIFY#SETTINGS` (absent: the defaults).
//! - webhook log entry, main table: `WEBHOOK#provider / id` (newest first by id); g1
//!   `WEBHOOKS / id` over all providers for the purge (by age, then all but the newest).
//!
//! Where this departs from the plan's table, and why: the due partition is `DUE#NOTIF`, not
//! `DUE` (alerts' timers live in the same index), and its sort key is the row's next due time
//! rather than `run_at`, so leased rows do not sit in every claim's way and the next due time is
//! one read; the address entry's sort key is the link's owner rather than `LINK#id`, so that
//! uniqueness is a conditional put; the message-id entry is new (SQL finds reports' rows by a
//! column); webhook entries have no ttl, since their retention is configured (the server purges
//! by age and count).
//!
//! The i64 ids (rows, links, log entries) come from [`time_ordered_id`] through [`next_id`],
//! each written behind `attribute_not_exists(pk)`. Lists read through a global index (an
//! order's delivery log, a user's links, the members' links an order notifies) are eventually
//! consistent, as index reads are on AWS; every write that acts on such a read carries a
//! condition on the item itself.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicI64, Ordering};

use aws_sdk_dynamodb::types::{
    AttributeValue, KeysAndAttributes, Put, ReturnValue, TransactWriteItem, Update,
};
use orderbell_core::order::{Actor, Order, OrderAction};
use orderbell_core::{OrderId, ShopId, Timestamp, UserId};

use super::item::{Item, Read, item, key, n_ts, sort_ts, time_ordered_id};
use super::item::{n as num, s as text};
use super::{DynamoStore, fail};
use crate::notifications::*;
use crate::{Result, StoreError};

/// The partition of the due index (g2 of the queue table) that holds waiting outbox rows.
/// Not the plan's bare `DUE`: escalation alerts keep `DUE` in the same index of the same table,
/// and a claim must not page through them.
const DUE: &str = "DUE#NOTIF";

/// The partition key prefix of outbox rows (the audit scans for it).
pub(super) const NOTIF_PREFIX: &str = "NOTIF#";

/// How often a write that lost a race (an id collision, a concurrent upsert, a transaction
/// conflict) is tried again before the store answers "unavailable".
const ATTEMPTS: usize = 4;

/// A new id ([`time_ordered_id`]) that is also above every id this process made before, so that
/// rows made one after another within a millisecond keep their order, as SQL's sequences do
/// (a member's links, the rows of one order, the webhook log are read in id order). Across
/// processes ids order by time only.
fn next_id(now: Timestamp) -> i64 {
    static LAST: AtomicI64 = AtomicI64::new(0);
    let fresh = time_ordered_id(now);
    match LAST.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |last| {
        Some(fresh.max(last.saturating_add(1)))
    }) {
        Ok(last) | Err(last) => fresh.max(last.saturating_add(1)),
    }
}

/// Stored notification data that cannot be read (a channel, an event, the settings JSON).
fn bad(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("stored notification data has a bad {what}: {e}"))
}

/// An i64 id as a fixed-width sort key part (ids are positive, at most 19 digits).
fn sort_id(id: i64) -> String {
    format!("{:019}", id.max(0))
}

/// The key of an outbox row in the queue table.
fn notif_key(id: i64) -> Item {
    key(format!("{NOTIF_PREFIX}{id}"), "N")
}

/// Where a waiting row sits in the due index: when it is due, then its id.
fn due_key(at: Timestamp, id: i64) -> String {
    format!("{}#{}", sort_ts(at), sort_id(id))
}

fn link_key(id: i64) -> Item {
    key(format!("LINK#{id}"), "L")
}

fn addr_pk(channel: Channel, address: &str) -> String {
    format!("ADDR#{}#{address}", channel.as_str())
}

fn msgid_key(channel: &str, provider_message_id: &str) -> Item {
    key(format!("MSGID#{channel}#{provider_message_id}"), "M")
}

fn settings_key(shop: &ShopId) -> Item {
    key(format!("SHOP#{}", shop.as_str()), "NOTIFY#SETTINGS")
}

fn code_key(hash: &str) -> Item {
    key(format!("LINKCODE#{hash}"), "C")
}

fn opt_string(it: &Item, name: &str) -> Result<Option<String>> {
    Ok(it.opt_s(name)?.map(str::to_owned))
}

fn channel_of(it: &Item) -> Result<Channel> {
    it.get_s("channel")?.parse().map_err(|e| bad("channel", e))
}

/// The first 500 characters of an error text (as SQL keeps them).
fn snip(s: &str) -> String {
    s.chars().take(500).collect()
}

// ---------------------------------------------------------------------------------------------
// Conditional updates.

/// An update under construction: `SET`/`REMOVE` clauses and a condition, with every attribute
/// behind a `#name` placeholder (`status`, `keys`, … are reserved words in DynamoDB).
#[derive(Default)]
struct Change {
    set: Vec<String>,
    remove: Vec<String>,
    condition: Option<String>,
    names: HashMap<String, String>,
    values: Item,
}

impl Change {
    fn name(&mut self, attr: &str) -> String {
        let placeholder = format!("#{attr}");
        self.names.insert(placeholder.clone(), attr.to_owned());
        placeholder
    }

    fn value(&mut self, v: AttributeValue) -> String {
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), v);
        placeholder
    }

    fn set(mut self, attr: &str, v: AttributeValue) -> Self {
        let (name, value) = (self.name(attr), self.value(v));
        self.set.push(format!("{name} = {value}"));
        self
    }

    /// Sets the attribute, or removes it for `None` (SQL's `col = NULL`).
    fn set_or_remove(self, attr: &str, v: Option<AttributeValue>) -> Self {
        match v {
            Some(v) => self.set(attr, v),
            None => self.remove(attr),
        }
    }

    /// Sets the attribute when there is a value (SQL's `COALESCE($1, col)`).
    fn set_some(self, attr: &str, v: Option<AttributeValue>) -> Self {
        match v {
            Some(v) => self.set(attr, v),
            None => self,
        }
    }

    fn add(mut self, attr: &str, by: i64) -> Self {
        let (name, value) = (self.name(attr), self.value(num(by)));
        self.set.push(format!("{name} = {name} + {value}"));
        self
    }

    fn remove(mut self, attr: &str) -> Self {
        let name = self.name(attr);
        self.remove.push(name);
        self
    }

    /// Adds a condition, written with the placeholders `c` hands out.
    fn when(mut self, f: impl FnOnce(&mut Change) -> String) -> Self {
        let condition = f(&mut self);
        self.condition = Some(match self.condition.take() {
            Some(before) => format!("({before}) AND ({condition})"),
            None => condition,
        });
        self
    }

    fn eq(&mut self, attr: &str, v: AttributeValue) -> String {
        format!("{} = {}", self.name(attr), self.value(v))
    }

    fn is_in(&mut self, attr: &str, texts: &[&str]) -> String {
        let name = self.name(attr);
        let values: Vec<String> = texts.iter().map(|t| self.value(text(*t))).collect();
        format!("{name} IN ({})", values.join(", "))
    }

    fn exists(&mut self) -> String {
        "attribute_exists(pk)".to_owned()
    }

    fn expression(&self) -> String {
        let mut e = String::new();
        if !self.set.is_empty() {
            e.push_str("SET ");
            e.push_str(&self.set.join(", "));
        }
        if !self.remove.is_empty() {
            if !e.is_empty() {
                e.push(' ');
            }
            e.push_str("REMOVE ");
            e.push_str(&self.remove.join(", "));
        }
        e
    }

    fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    fn values(&self) -> Option<Item> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }

    /// Applies the change to one item; the item as it is afterwards, or `None` when the
    /// condition refused it.
    async fn apply(self, s: &DynamoStore, table: &str, key: Item) -> Result<Option<Item>> {
        let out = s
            .client
            .update_item()
            .table_name(table)
            .set_key(Some(key))
            .update_expression(self.expression())
            .set_condition_expression(self.condition.clone())
            .set_expression_attribute_names(self.names())
            .set_expression_attribute_values(self.values())
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match out {
            Ok(out) => Ok(Some(out.attributes.unwrap_or_default())),
            Err(e) if fail::condition_failed(&e) => Ok(None),
            Err(e) => Err(fail::sdk(e)),
        }
    }

    /// The change as an action of a transaction.
    fn transact(self, table: &str, key: Item) -> Result<TransactWriteItem> {
        let update = Update::builder()
            .table_name(table)
            .set_key(Some(key))
            .update_expression(self.expression())
            .set_condition_expression(self.condition.clone())
            .set_expression_attribute_names(self.names())
            .set_expression_attribute_values(self.values())
            .build()
            .map_err(fail::build)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }
}

/// A Put of a new item, refused when an item with its key exists.
fn put_new(table: &str, item: Item) -> Result<TransactWriteItem> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .map_err(fail::build)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// A Put that replaces whatever has its key.
fn put_any(table: &str, item: Item) -> Result<TransactWriteItem> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .build()
        .map_err(fail::build)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// Puts a new item; false when one with its key exists.
async fn put_if_absent(s: &DynamoStore, table: &str, item: Item) -> Result<bool> {
    match s
        .client
        .put_item()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await
    {
        Ok(_) => Ok(true),
        Err(e) if fail::condition_failed(&e) => Ok(false),
        Err(e) => Err(fail::sdk(e)),
    }
}

/// Deletes an item if it exists and `condition` holds; whether it did.
async fn delete_if(
    s: &DynamoStore,
    table: &str,
    key: Item,
    condition: &str,
    values: Option<Item>,
) -> Result<bool> {
    match s
        .client
        .delete_item()
        .table_name(table)
        .set_key(Some(key))
        .condition_expression(condition)
        .set_expression_attribute_values(values)
        .send()
        .await
    {
        Ok(_) => Ok(true),
        Err(e) if fail::condition_failed(&e) => Ok(false),
        Err(e) => Err(fail::sdk(e)),
    }
}

/// The items of an index partition (`gN`) of `table` whose sort key starts with `prefix`.
async fn index_items(
    s: &DynamoStore,
    table: &str,
    index: &str,
    pk: String,
    prefix: &str,
) -> Result<Vec<Item>> {
    let query = s
        .client
        .query()
        .table_name(table)
        .index_name(index)
        .key_condition_expression(format!(
            "{index}pk = :p AND begins_with({index}sk, :prefix)"
        ))
        .expression_attribute_values(":p", text(pk))
        .expression_attribute_values(":prefix", text(prefix));
    s.query_all(query, None).await
}

/// Every item of a main-table partition, read consistently.
async fn partition(s: &DynamoStore, pk: String) -> Result<Vec<Item>> {
    let query = s
        .client
        .query()
        .table_name(&s.main)
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", text(pk))
        .consistent_read(true);
    s.query_all(query, None).await
}

// ---------------------------------------------------------------------------------------------
// Channel links.

fn link_from(it: &Item) -> Result<ChannelLink> {
    Ok(ChannelLink {
        id: it.get_n("id")?,
        channel: channel_of(it)?,
        address: it.get_s("address")?.to_owned(),
        keys: opt_string(it, "keys")?,
        user_id: it
            .opt_s("user_id")?
            .map(|u| UserId::from_stored(u.to_owned())),
        shop_id: it
            .opt_s("shop_id")?
            .map(|v| ShopId::from_stored(v.to_owned())),
        order_id: it
            .opt_s("order_id")?
            .map(|v| OrderId::from_stored(v.to_owned())),
        locale: opt_string(it, "locale")?,
        label: opt_string(it, "label")?,
        status: it.get_parsed("status")?,
        status_reason: opt_string(it, "status_reason")?,
        last_inbound_at: it.opt_ts("last_inbound_at")?,
        created_at: it.get_ts("created_at")?,
    })
}

/// A new link item (active), in the g1 partition of its user or its order.
fn new_link_item(id: i64, l: &NewLink) -> Item {
    let mut it = link_key(id);
    let mut put = |k: &str, v| {
        it.insert(k.to_owned(), v);
    };
    put("id", num(id));
    put("channel", text(l.channel.as_str()));
    put("address", text(&l.address));
    if let Some(keys) = &l.keys {
        put("keys", text(keys));
    }
    if let Some(user) = &l.user_id {
        put("user_id", text(user.as_str()));
        put("g1pk", text(format!("USER#{}", user.as_str())));
    }
    if let Some(shop) = &l.shop_id {
        put("shop_id", text(shop.as_str()));
    }
    if let Some(order) = &l.order_id {
        put("order_id", text(order.as_str()));
        if l.user_id.is_none() {
            put("g1pk", text(format!("ORDER#{}", order.as_str())));
        }
    }
    put("g1sk", text(format!("LINK#{}", sort_id(id))));
    if let Some(locale) = &l.locale {
        put("locale", text(locale));
    }
    if let Some(label) = &l.label {
        put("label", text(label));
    }
    put("status", text(LinkStatus::Active.as_str()));
    if l.inbound {
        put("last_inbound_at", n_ts(l.now));
    }
    put("created_at", n_ts(l.now));
    put("updated_at", n_ts(l.now));
    it
}

pub(super) async fn upsert_link(s: &DynamoStore, l: NewLink) -> Result<ChannelLink> {
    let owner = match (&l.user_id, &l.order_id) {
        (Some(user), None) => format!(
            "USER#{}#SHOP#{}",
            user.as_str(),
            l.shop_id.as_ref().map_or("", |s| s.as_str())
        ),
        (None, Some(order)) => format!("ORDER#{}", order.as_str()),
        _ => {
            return Err(StoreError::Backend(
                "a link is for a member or for an order, not both".into(),
            ));
        }
    };
    let address_key = key(addr_pk(l.channel, &l.address), owner);
    let inbound = l.inbound.then_some(l.now);
    let mut linked = None;
    for _ in 0..ATTEMPTS {
        if let Some(entry) = s.get(&s.main, address_key.clone()).await? {
            // The same link exists: bring it back to life with what is new.
            let id = entry.get_n("link_id")?;
            let revived = Change::default()
                .set_some("keys", l.keys.clone().map(text))
                .set_some("locale", l.locale.clone().map(text))
                .set_some("label", l.label.clone().map(text))
                .set("status", text(LinkStatus::Active.as_str()))
                .remove("status_reason")
                .set_some("last_inbound_at", inbound.map(n_ts))
                .set("updated_at", n_ts(l.now))
                .when(Change::exists)
                .apply(s, &s.main, link_key(id))
                .await?;
            if revived.is_none() {
                return Err(StoreError::Backend(format!(
                    "the address entry of channel link {id} points at no link"
                )));
            }
            linked = Some(id);
            break;
        }
        let id = next_id(l.now);
        let mut entry = address_key.clone();
        entry.insert("link_id".into(), num(id));
        let actions = vec![
            put_new(&s.main, new_link_item(id, &l))?,
            put_new(&s.main, entry)?,
        ];
        // Cancelled: a racing upsert made the same link (found on the next turn), an id
        // collision or a conflict (a new id on the next turn).
        if s.transact(actions).await?.is_ok() {
            linked = Some(id);
            break;
        }
    }
    let id = linked.ok_or_else(|| {
        StoreError::Unavailable("a channel link kept conflicting with other writes".into())
    })?;
    if l.inbound {
        touch_inbound(s, l.channel, &l.address, l.now).await?;
    }
    let it = s
        .get(&s.main, link_key(id))
        .await?
        .ok_or(StoreError::NotFound)?;
    link_from(&it)
}

/// The ids of every link with this address (any status, any owner), read consistently.
async fn link_ids_of_address(s: &DynamoStore, channel: Channel, address: &str) -> Result<Vec<i64>> {
    partition(s, addr_pk(channel, address))
        .await?
        .iter()
        .map(|entry| entry.get_n("link_id"))
        .collect()
}

/// Links by id, read consistently (those that exist): BatchGetItem, 100 keys a call, with the
/// keys the service left unprocessed asked again.
async fn link_items(
    s: &DynamoStore,
    ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, Item>> {
    let ids: Vec<i64> = ids
        .into_iter()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut found = HashMap::new();
    for chunk in ids.chunks(100) {
        let mut keys: Vec<Item> = chunk.iter().map(|id| link_key(*id)).collect();
        // Unprocessed keys come back under throttling; a bounded number of rounds, then the
        // store is busy.
        for _ in 0..8 {
            if keys.is_empty() {
                break;
            }
            let wanted = KeysAndAttributes::builder()
                .set_keys(Some(std::mem::take(&mut keys)))
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
                    found.insert(it.get_n("id")?, it.clone());
                }
            }
            keys = out
                .unprocessed_keys()
                .and_then(|u| u.get(&s.main))
                .map(|k| k.keys().to_vec())
                .unwrap_or_default();
        }
        if !keys.is_empty() {
            return Err(StoreError::Unavailable(
                "DynamoDB left channel links unread".into(),
            ));
        }
    }
    Ok(found)
}

pub(super) async fn links_by_address(
    s: &DynamoStore,
    channel: Channel,
    address: &str,
) -> Result<Vec<ChannelLink>> {
    let ids = link_ids_of_address(s, channel, address).await?;
    let mut links = Vec::new();
    for it in link_items(s, ids).await?.values() {
        let link = link_from(it)?;
        if link.status == LinkStatus::Active {
            links.push(link);
        }
    }
    links.sort_by_key(|l| l.id);
    Ok(links)
}

/// The links in a g1 partition of the main table (a user's or an order's), by id.
async fn links_in(s: &DynamoStore, g1pk: String) -> Result<Vec<ChannelLink>> {
    let mut links = index_items(s, &s.main, "g1", g1pk, "LINK#")
        .await?
        .iter()
        .map(link_from)
        .collect::<Result<Vec<_>>>()?;
    links.sort_by_key(|l| l.id);
    Ok(links)
}

pub(super) async fn links_of_user(s: &DynamoStore, user: &UserId) -> Result<Vec<ChannelLink>> {
    links_in(s, format!("USER#{}", user.as_str())).await
}

pub(super) async fn unlink_address(
    s: &DynamoStore,
    channel: Channel,
    address: &str,
    user: Option<&UserId>,
    now: Timestamp,
) -> Result<u64> {
    let mut unlinked = 0;
    for id in link_ids_of_address(s, channel, address).await? {
        let mut change = Change::default()
            .set("status", text(LinkStatus::Unlinked.as_str()))
            .set("status_reason", text("stopped"))
            .set("updated_at", n_ts(now))
            .when(|c| c.eq("status", text(LinkStatus::Active.as_str())));
        if let Some(user) = user {
            change = change.when(|c| c.eq("user_id", text(user.as_str())));
        }
        if change.apply(s, &s.main, link_key(id)).await?.is_some() {
            unlinked += 1;
        }
    }
    Ok(unlinked)
}

pub(super) async fn touch_inbound(
    s: &DynamoStore,
    channel: Channel,
    address: &str,
    now: Timestamp,
) -> Result<()> {
    for id in link_ids_of_address(s, channel, address).await? {
        Change::default()
            .set("last_inbound_at", n_ts(now))
            .when(Change::exists)
            .apply(s, &s.main, link_key(id))
            .await?;
    }
    Ok(())
}

/// The destination is gone for good: an active link becomes dead.
async fn mark_link_dead(s: &DynamoStore, link: i64, reason: &str, now: Timestamp) -> Result<()> {
    Change::default()
        .set("status", text(LinkStatus::Dead.as_str()))
        .set("status_reason", text(reason))
        .set("updated_at", n_ts(now))
        .when(|c| c.eq("status", text(LinkStatus::Active.as_str())))
        .apply(s, &s.main, link_key(link))
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Link codes.

pub(super) async fn create_link_code(
    s: &DynamoStore,
    code_hash: &str,
    code: LinkCode,
    now: Timestamp,
) -> Result<()> {
    let mut it = code_key(code_hash);
    it.extend(item([
        ("user_id", text(code.user_id.as_str())),
        ("shop_id", text(code.shop_id.as_str())),
        ("created_at", n_ts(now)),
        ("expires_at", n_ts(code.expires_at)),
        ("ttl", num(code.expires_at.as_second())),
        ("g1pk", text("LINKCODES")),
        (
            "g1sk",
            text(format!("{}#{code_hash}", sort_ts(code.expires_at))),
        ),
    ]));
    if let Some(channel) = code.channel {
        it.insert("channel".into(), text(channel.as_str()));
    }
    if put_if_absent(s, &s.main, it).await? {
        Ok(())
    } else {
        Err(StoreError::Conflict("link code".into()))
    }
}

pub(super) async fn take_link_code(
    s: &DynamoStore,
    code_hash: &str,
    now: Timestamp,
) -> Result<Option<LinkCode>> {
    let out = s
        .client
        .delete_item()
        .table_name(&s.main)
        .set_key(Some(code_key(code_hash)))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .map_err(fail::sdk)?;
    let Some(r) = out.attributes.filter(|a| !a.is_empty()) else {
        return Ok(None);
    };
    let code = LinkCode {
        channel: r
            .opt_s("channel")?
            .map(str::parse)
            .transpose()
            .map_err(|e| bad("channel", e))?,
        user_id: UserId::from_stored(r.get_s("user_id")?.to_owned()),
        shop_id: ShopId::from_stored(r.get_s("shop_id")?.to_owned()),
        expires_at: r.get_ts("expires_at")?,
    };
    Ok((code.expires_at > now).then_some(code))
}

// ---------------------------------------------------------------------------------------------
// Member settings.

pub(super) async fn member_settings(s: &DynamoStore, shop: &ShopId) -> Result<MemberSettings> {
    match s.get(&s.main, settings_key(shop)).await? {
        None => Ok(MemberSettings::default()),
        Some(it) => {
            let json: serde_json::Value =
                serde_json::from_str(it.get_s("members")?).map_err(|e| bad("settings", e))?;
            MemberSettings::from_json(&json).map_err(|e| bad("settings", e))
        }
    }
}

pub(super) async fn set_member_settings(
    s: &DynamoStore,
    shop: &ShopId,
    settings: MemberSettings,
    now: Timestamp,
) -> Result<()> {
    let mut it = settings_key(shop);
    it.insert("members".into(), text(settings.to_json().to_string()));
    it.insert("updated_at".into(), n_ts(now));
    s.client
        .put_item()
        .table_name(&s.main)
        .set_item(Some(it))
        .send()
        .await
        .map_err(fail::sdk)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The outbox.

/// A new outbox row, `queued`, in the due index from `run_at`.
fn notification_item(id: i64, n: &NewNotification) -> Item {
    let mut it = notif_key(id);
    let mut put = |k: &str, v| {
        it.insert(k.to_owned(), v);
    };
    put("id", num(id));
    if let Some(shop) = &n.shop_id {
        put("shop_id", text(shop.as_str()));
    }
    if let Some(order) = &n.order_id {
        put("order_id", text(order.as_str()));
        put("g1pk", text(format!("ORDER#{}", order.as_str())));
        put("g1sk", text(format!("NOTIF#{}", sort_id(id))));
    }
    if let Some(link) = n.link_id {
        put("link_id", num(link));
    }
    put("channel", text(n.channel.as_str()));
    put("destination", text(&n.destination));
    put("recipient", text(n.recipient.as_str()));
    if let Some(user) = &n.user_id {
        put("user_id", text(user.as_str()));
    }
    put("event", text(n.event.as_str()));
    put("locale", text(&n.locale));
    put("payload", text(&n.payload));
    put("status", text(NotificationStatus::Queued.as_str()));
    put("attempts", num(0));
    put("run_at", n_ts(n.run_at));
    put("created_at", n_ts(n.now));
    put("updated_at", n_ts(n.now));
    put("g2pk", text(DUE));
    put("g2sk", text(due_key(n.run_at, id)));
    it
}

/// A row as the store answers it, with its link's keys and inbound time (SQL's LEFT JOIN).
fn notification_from(it: &Item, link: Option<&Item>) -> Result<Notification> {
    Ok(Notification {
        id: it.get_n("id")?,
        shop_id: it
            .opt_s("shop_id")?
            .map(|v| ShopId::from_stored(v.to_owned())),
        order_id: it
            .opt_s("order_id")?
            .map(|v| OrderId::from_stored(v.to_owned())),
        link_id: it.opt_n("link_id")?,
        channel: channel_of(it)?,
        destination: it.get_s("destination")?.to_owned(),
        recipient: it.get_parsed("recipient")?,
        user_id: it
            .opt_s("user_id")?
            .map(|v| UserId::from_stored(v.to_owned())),
        event: it.get_s("event")?.parse().map_err(|e| bad("event", e))?,
        locale: it.get_s("locale")?.to_owned(),
        payload: it.get_s("payload")?.to_owned(),
        status: it.get_parsed("status")?,
        attempts: it.get_n("attempts")?,
        run_at: it.get_ts("run_at")?,
        locked_until: it.opt_ts("locked_until")?,
        claim: opt_string(it, "claim")?,
        provider_message_id: opt_string(it, "provider_message_id")?,
        provider_status: opt_string(it, "provider_status")?,
        error_code: opt_string(it, "error_code")?,
        last_error: opt_string(it, "last_error")?,
        created_at: it.get_ts("created_at")?,
        updated_at: it.get_ts("updated_at")?,
        sent_at: it.opt_ts("sent_at")?,
        link_keys: match link {
            Some(l) => opt_string(l, "keys")?,
            None => None,
        },
        link_last_inbound_at: match link {
            Some(l) => l.opt_ts("last_inbound_at")?,
            None => None,
        },
    })
}

/// Rows as the store answers them, their links read once each, sorted by `order`.
async fn notifications_from(s: &DynamoStore, items: &[Item]) -> Result<Vec<Notification>> {
    let mut link_ids = Vec::new();
    for it in items {
        link_ids.extend(it.opt_n("link_id")?);
    }
    let links = link_items(s, link_ids).await?;
    items
        .iter()
        .map(|it| {
            let link = it.opt_n("link_id")?.and_then(|id| links.get(&id));
            notification_from(it, link)
        })
        .collect()
}

/// One outbox row (queries/notifications/enqueue.rs::enqueue): its new id and its write, for
/// the caller's transaction. The write is a Put behind `attribute_not_exists(pk)`, so an id
/// collision with another process (one in four million within a millisecond) cancels the
/// transaction instead of overwriting another row.
pub(super) fn enqueue(s: &DynamoStore, n: &NewNotification) -> Result<(i64, TransactWriteItem)> {
    let id = next_id(n.now);
    Ok((id, put_new(&s.queue, notification_item(id, n))?))
}

/// The rows of one order change, for its transaction. Their ids come from [`next_id`], so
/// they are distinct (two Puts of one key would make the whole transaction invalid, not merely
/// cancelled) and in the order they were queued.
#[derive(Default)]
struct Batch {
    actions: Vec<TransactWriteItem>,
}

impl Batch {
    fn add(&mut self, s: &DynamoStore, n: &NewNotification) -> Result<()> {
        self.actions.push(enqueue(s, n)?.1);
        Ok(())
    }
}

pub(super) async fn enqueue_notification(s: &DynamoStore, n: NewNotification) -> Result<i64> {
    for _ in 0..ATTEMPTS {
        let (id, action) = enqueue(s, &n)?;
        if s.transact(vec![action]).await?.is_ok() {
            return Ok(id);
        }
    }
    Err(StoreError::Unavailable(
        "a notification id kept colliding".into(),
    ))
}

pub(super) async fn claim_notifications(
    s: &DynamoStore,
    now: Timestamp,
    lease_until: Timestamp,
    claim: &str,
    limit: i64,
) -> Result<Vec<Notification>> {
    let Ok(want) = usize::try_from(limit) else {
        return Ok(Vec::new());
    };
    if want == 0 {
        return Ok(Vec::new());
    }
    // Every entry due at `now` at the latest sorts below the next millisecond.
    let until = format!("{:015}", now.as_millisecond().saturating_add(1).max(0));
    let page = i32::try_from(want.saturating_mul(2).clamp(10, 200)).unwrap_or(200);
    let mut claimed = Vec::new();
    let mut start = None;
    'pages: loop {
        let out = s
            .client
            .query()
            .table_name(&s.queue)
            .index_name("g2")
            .key_condition_expression("g2pk = :p AND g2sk < :until")
            .expression_attribute_values(":p", text(DUE))
            .expression_attribute_values(":until", text(until.clone()))
            .limit(page)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(fail::sdk)?;
        for seen in out.items.unwrap_or_default() {
            if claimed.len() >= want {
                break 'pages;
            }
            let id = seen.get_n("id")?;
            let run_at = seen.get_ts("run_at")?;
            // The index may be stale: the condition re-checks everything the claim rests on,
            // and `run_at` as seen, so that the new due key is right.
            let taken = Change::default()
                .set("status", text(NotificationStatus::Sending.as_str()))
                .set("locked_until", n_ts(lease_until))
                .set("claim", text(claim))
                .add("attempts", 1)
                .set("updated_at", n_ts(now))
                .set("g2sk", text(due_key(run_at.max(lease_until), id)))
                .when(|c| {
                    let status = c.is_in(
                        "status",
                        &[
                            NotificationStatus::Queued.as_str(),
                            NotificationStatus::Sending.as_str(),
                        ],
                    );
                    let seen_run_at = c.eq("run_at", n_ts(run_at));
                    let lock = c.name("locked_until");
                    let now = c.value(n_ts(now));
                    format!(
                        "{status} AND {seen_run_at} AND {} <= {now} AND (attribute_not_exists({lock}) OR {lock} < {now})",
                        c.name("run_at")
                    )
                })
                .apply(s, &s.queue, notif_key(id))
                .await?;
            claimed.extend(taken);
        }
        match out.last_evaluated_key {
            Some(k) if !k.is_empty() && claimed.len() < want => start = Some(k),
            _ => break,
        }
    }
    let mut rows = notifications_from(s, &claimed).await?;
    rows.sort_by_key(|n| (n.run_at, n.id));
    Ok(rows)
}

pub(super) async fn finish_notifications(s: &DynamoStore, finishes: Vec<Finish>) -> Result<u64> {
    let mut applied = 0;
    for f in &finishes {
        applied += finish(s, f).await?;
    }
    Ok(applied)
}

/// Records one outcome under its claim (queries/notifications/outbox.rs::finish).
async fn finish(s: &DynamoStore, f: &Finish) -> Result<u64> {
    let held = |c: &mut Change| {
        let claim = c.eq("claim", text(&f.claim));
        let sending = c.eq("status", text(NotificationStatus::Sending.as_str()));
        format!("{claim} AND {sending}")
    };
    let done = Change::default()
        .remove("locked_until")
        .remove("claim")
        .set("updated_at", n_ts(f.now))
        .when(held);
    let change = match &f.outcome {
        Outcome::Sent {
            provider_message_id,
            provider_status,
        } => {
            let sent = done
                .set("status", text(NotificationStatus::Sent.as_str()))
                .set_or_remove("provider_message_id", provider_message_id.clone().map(text))
                .set_or_remove("provider_status", provider_status.clone().map(text))
                .remove("error_code")
                .set("sent_at", n_ts(f.now))
                .remove("g2pk")
                .remove("g2sk");
            if let Some(message) = provider_message_id {
                return finish_sent(s, f, sent, message).await;
            }
            sent
        }
        Outcome::Retry {
            run_at,
            code,
            error,
        } => done
            .set("status", text(NotificationStatus::Queued.as_str()))
            .set("run_at", n_ts(*run_at))
            .set("g2pk", text(DUE))
            .set("g2sk", text(due_key(*run_at, f.id)))
            .set_or_remove("error_code", code.clone().map(text))
            .set("last_error", text(snip(error))),
        Outcome::Defer { run_at } => done
            .set("status", text(NotificationStatus::Queued.as_str()))
            .set("run_at", n_ts(*run_at))
            .set("g2pk", text(DUE))
            .set("g2sk", text(due_key(*run_at, f.id)))
            .add("attempts", -1),
        Outcome::Cancelled => done
            .set("status", text(NotificationStatus::Cancelled.as_str()))
            .remove("g2pk")
            .remove("g2sk"),
        Outcome::Failed {
            code,
            error,
            dead_link,
        } => {
            let failed = done
                .set("status", text(NotificationStatus::Failed.as_str()))
                .set_or_remove("error_code", code.clone().map(text))
                .set("last_error", text(snip(error)))
                .remove("g2pk")
                .remove("g2sk")
                .apply(s, &s.queue, notif_key(f.id))
                .await?;
            let Some(row) = failed else { return Ok(0) };
            if *dead_link && let Some(link) = row.opt_n("link_id")? {
                mark_link_dead(s, link, &snip(error), f.now).await?;
            }
            return Ok(1);
        }
    };
    Ok(u64::from(
        change.apply(s, &s.queue, notif_key(f.id)).await?.is_some(),
    ))
}

/// A send with the provider's message id: the row and the id's lookup entry in one
/// transaction, so that a delivery report finds the row as soon as the send is recorded.
async fn finish_sent(s: &DynamoStore, f: &Finish, sent: Change, message: &str) -> Result<u64> {
    // The channel never changes, so this read needs no guard; the claim is checked by the
    // transaction.
    let Some(row) = s.get(&s.queue, notif_key(f.id)).await? else {
        return Ok(0);
    };
    let mut lookup = msgid_key(row.get_s("channel")?, message);
    lookup.insert("notification_id".into(), num(f.id));
    let actions = vec![
        sent.transact(&s.queue, notif_key(f.id))?,
        put_any(&s.main, lookup)?,
    ];
    for _ in 0..ATTEMPTS {
        match s.transact(actions.clone()).await? {
            Ok(()) => return Ok(1),
            Err(reasons)
                if reasons
                    .first()
                    .is_some_and(|r| r.as_deref() == Some("ConditionalCheckFailed")) =>
            {
                return Ok(0);
            }
            Err(_) => continue,
        }
    }
    Err(StoreError::Unavailable(
        "recording a sent notification kept conflicting".into(),
    ))
}

pub(super) async fn next_notification_at(s: &DynamoStore) -> Result<Option<Timestamp>> {
    let out = s
        .client
        .query()
        .table_name(&s.queue)
        .index_name("g2")
        .key_condition_expression("g2pk = :p")
        .expression_attribute_values(":p", text(DUE))
        .limit(1)
        .send()
        .await
        .map_err(fail::sdk)?;
    let Some(first) = out.items.unwrap_or_default().into_iter().next() else {
        return Ok(None);
    };
    // Leased rows become due again when their lease runs out.
    let run_at = first.get_ts("run_at")?;
    Ok(Some(match first.opt_ts("locked_until")? {
        Some(lock) if lock > run_at => lock,
        _ => run_at,
    }))
}

/// The outbox rows of an order, from the index (eventually consistent).
async fn rows_of_order(s: &DynamoStore, order: &OrderId) -> Result<Vec<Item>> {
    index_items(
        s,
        &s.queue,
        "g1",
        format!("ORDER#{}", order.as_str()),
        "NOTIF#",
    )
    .await
}

pub(super) async fn order_notifications(
    s: &DynamoStore,
    shop: &ShopId,
    order: &OrderId,
) -> Result<Vec<Notification>> {
    let mut rows = Vec::new();
    for it in rows_of_order(s, order).await? {
        if it.opt_s("shop_id")? == Some(shop.as_str()) {
            rows.push(it);
        }
    }
    let mut log = notifications_from(s, &rows).await?;
    log.sort_by_key(|n| n.id);
    Ok(log)
}

pub(super) async fn notification(s: &DynamoStore, id: i64) -> Result<Option<Notification>> {
    let Some(it) = s.get(&s.queue, notif_key(id)).await? else {
        return Ok(None);
    };
    Ok(notifications_from(s, &[it]).await?.into_iter().next())
}

pub(super) async fn cancel_notifications(
    s: &DynamoStore,
    order: &OrderId,
    events: &[NotifyEvent],
    now: Timestamp,
) -> Result<u64> {
    let events: HashSet<&str> = events.iter().map(|e| e.as_str()).collect();
    let mut cancelled = 0;
    for it in rows_of_order(s, order).await? {
        let event = it.get_s("event")?;
        // The index may lag: a row it shows as `sending` may be queued again by now; the
        // condition decides.
        if !events.contains(event) || !matches!(it.get_s("status")?, "queued" | "sending") {
            continue;
        }
        // A row being sent right now (leased) is left to finish.
        let done = Change::default()
            .set("status", text(NotificationStatus::Cancelled.as_str()))
            .set("updated_at", n_ts(now))
            .remove("g2pk")
            .remove("g2sk")
            .when(|c| {
                let queued = c.eq("status", text(NotificationStatus::Queued.as_str()));
                let same = c.eq("event", text(event));
                format!("{queued} AND {same}")
            })
            .apply(s, &s.queue, notif_key(it.get_n("id")?))
            .await?;
        cancelled += u64::from(done.is_some());
    }
    Ok(cancelled)
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

const STATUSES: [NotificationStatus; 7] = [
    NotificationStatus::Queued,
    NotificationStatus::Sending,
    NotificationStatus::Sent,
    NotificationStatus::Delivered,
    NotificationStatus::Read,
    NotificationStatus::Failed,
    NotificationStatus::Cancelled,
];

pub(super) async fn report_delivery(s: &DynamoStore, report: DeliveryReport) -> Result<bool> {
    let r = &report;
    let Some(lookup) = s
        .get(
            &s.main,
            msgid_key(r.channel.as_str(), &r.provider_message_id),
        )
        .await?
    else {
        return Ok(false);
    };
    let id = lookup.get_n("notification_id")?;
    let status = reported(&r.provider_status);
    // Forward only: the condition names the statuses this one may replace.
    let behind: Vec<&str> = STATUSES
        .iter()
        .filter(|st| rank(**st) < rank(status))
        .map(|st| st.as_str())
        .collect();
    let mut row = None;
    if !behind.is_empty() {
        let error = r
            .error_code
            .as_ref()
            .map(|c| format!("{} reported {} (error {c})", r.channel, r.provider_status));
        row = Change::default()
            .set("status", text(status.as_str()))
            .set("provider_status", text(&r.provider_status))
            .set_some("error_code", r.error_code.clone().map(text))
            .set_some("last_error", error.map(text))
            .set("updated_at", n_ts(r.now))
            // Out of the queue for good (a report can overtake the finish of its send).
            .remove("g2pk")
            .remove("g2sk")
            .when(|c| {
                let exists = c.exists();
                let behind = c.is_in("status", &behind);
                format!("{exists} AND {behind}")
            })
            .apply(s, &s.queue, notif_key(id))
            .await?;
    }
    if row.is_none() {
        let mut later = Change::default().set("updated_at", n_ts(r.now));
        let name = later.name("provider_status");
        let value = later.value(text(&r.provider_status));
        later
            .set
            .push(format!("{name} = if_not_exists({name}, {value})"));
        row = later
            .when(Change::exists)
            .apply(s, &s.queue, notif_key(id))
            .await?;
    }
    let Some(row) = row else {
        // The lookup entry outlived its row.
        return Ok(false);
    };
    if r.dead_link
        && let Some(link) = row.opt_n("link_id")?
    {
        let reason = format!(
            "{} reported error {}",
            r.channel,
            r.error_code.as_deref().unwrap_or("?")
        );
        mark_link_dead(s, link, &reason, r.now).await?;
    }
    Ok(true)
}

// ---------------------------------------------------------------------------------------------
// The webhook log.

pub(super) async fn log_webhook(
    s: &DynamoStore,
    provider: &str,
    kind: &str,
    body: &str,
    outcome: Option<&str>,
    now: Timestamp,
) -> Result<()> {
    let body: String = body.chars().take(16 * 1024).collect();
    for _ in 0..ATTEMPTS {
        let id = next_id(now);
        let mut it = key(format!("WEBHOOK#{provider}"), sort_id(id));
        it.extend(item([
            ("id", num(id)),
            ("provider", text(provider)),
            ("kind", text(kind)),
            ("body", text(body.clone())),
            ("received_at", n_ts(now)),
            ("g1pk", text("WEBHOOKS")),
            ("g1sk", text(sort_id(id))),
        ]));
        if let Some(outcome) = outcome {
            it.insert("outcome".into(), text(outcome));
        }
        if put_if_absent(s, &s.main, it).await? {
            return Ok(());
        }
    }
    Err(StoreError::Unavailable(
        "a webhook log id kept colliding".into(),
    ))
}

pub(super) async fn webhook_log(
    s: &DynamoStore,
    provider: &str,
    limit: i64,
) -> Result<Vec<WebhookEntry>> {
    let limit = usize::try_from(limit.clamp(1, 1000)).unwrap_or(1);
    let query = s
        .client
        .query()
        .table_name(&s.main)
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", text(format!("WEBHOOK#{provider}")))
        .scan_index_forward(false)
        .consistent_read(true);
    s.query_all(query, Some(limit))
        .await?
        .iter()
        .map(|r| {
            Ok(WebhookEntry {
                id: r.get_n("id")?,
                provider: r.get_s("provider")?.to_owned(),
                kind: r.get_s("kind")?.to_owned(),
                body: r.get_s("body")?.to_owned(),
                outcome: opt_string(r, "outcome")?,
                received_at: r.get_ts("received_at")?,
            })
        })
        .collect()
}

/// Deletes webhook log entries received before `before`, then all but the `keep` newest (of
/// all providers, as SQL does), then the link codes that expired before `now`. Each delete is
/// conditional, so an entry the index still shows after it went is not counted twice.
pub(super) async fn purge_notification_logs(
    s: &DynamoStore,
    before: Timestamp,
    keep: i64,
    now: Timestamp,
) -> Result<u64> {
    let mut gone = 0;
    let query = s
        .client
        .query()
        .table_name(&s.main)
        .index_name("g1")
        .key_condition_expression("g1pk = :p")
        .expression_attribute_values(":p", text("WEBHOOKS"))
        .scan_index_forward(false);
    let keep = usize::try_from(keep).unwrap_or(0);
    let mut kept = 0;
    for entry in s.query_all(query, None).await? {
        let old = entry.get_ts("received_at")? < before;
        if !old && kept < keep {
            kept += 1;
            continue;
        }
        let k = key(entry.get_s("pk")?, entry.get_s("sk")?);
        gone += u64::from(delete_if(s, &s.main, k, "attribute_exists(pk)", None).await?);
    }
    let until = format!("{:015}", now.as_millisecond().max(0));
    let query = s
        .client
        .query()
        .table_name(&s.main)
        .index_name("g1")
        .key_condition_expression("g1pk = :p AND g1sk < :until")
        .expression_attribute_values(":p", text("LINKCODES"))
        .expression_attribute_values(":until", text(until));
    for code in s.query_all(query, None).await? {
        let k = key(code.get_s("pk")?, code.get_s("sk")?);
        let values = item([(":now", n_ts(now))]);
        gone += u64::from(delete_if(s, &s.main, k, "expires_at < :now", Some(values)).await?);
    }
    Ok(gone)
}

// ---------------------------------------------------------------------------------------------
// What an order queues, in the order's own transaction.

/// What notification texts need to know about the shop.
async fn shop_info(s: &DynamoStore, shop: &ShopId) -> Result<ShopInfo> {
    let shop = crate::Store::shop(s, shop)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(ShopInfo {
        slug: shop.slug,
        name: shop.name,
        phone: shop.phone,
        locale: shop.locale,
        time_zone: shop.time_zone,
    })
}

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

/// The active links of the shop's members that are for every shop or for this one, by id.
async fn member_links(s: &DynamoStore, shop: &ShopId) -> Result<Vec<ChannelLink>> {
    let mut links = Vec::new();
    for member in crate::Store::members(s, shop).await? {
        for link in links_of_user(s, &member.user_id).await? {
            if link.status == LinkStatus::Active && link.shop_id.as_ref().is_none_or(|x| x == shop)
            {
                links.push(link);
            }
        }
    }
    links.sort_by_key(|l| l.id);
    Ok(links)
}

/// Queues `event` for the members' links the shop's settings want.
#[allow(clippy::too_many_arguments, reason = "the SQL helper's shape")]
async fn to_members(
    s: &DynamoStore,
    batch: &mut Batch,
    order: &Order,
    shop: &ShopInfo,
    event: NotifyEvent,
    payload: &str,
    links: &[ChannelLink],
    now: Timestamp,
) -> Result<()> {
    let settings = member_settings(s, &order.shop_id).await?;
    if settings.channels(event).is_empty() {
        return Ok(());
    }
    for l in links {
        if !settings.wants(event, l.channel) {
            continue;
        }
        batch.add(
            s,
            &NewNotification {
                shop_id: Some(order.shop_id.clone()),
                order_id: Some(order.id.clone()),
                link_id: Some(l.id),
                channel: l.channel,
                destination: l.address.clone(),
                recipient: Recipient::Member,
                user_id: l.user_id.clone(),
                event,
                locale: l.locale.clone().unwrap_or_else(|| shop.locale.clone()),
                payload: payload.to_owned(),
                run_at: now,
                now,
            },
        )?;
    }
    Ok(())
}

/// The notifications a new order queues (queries/notifications/enqueue.rs::orders_created):
/// one per active member link the shop's settings want for new orders. Only the member
/// listing and their links are read when nobody linked anything.
pub(super) async fn order_created(
    s: &DynamoStore,
    order: &Order,
) -> Result<Vec<TransactWriteItem>> {
    let links = member_links(s, &order.shop_id).await?;
    if links.is_empty() {
        return Ok(Vec::new());
    }
    let shop = shop_info(s, &order.shop_id).await?;
    let body = payload(order, &shop, None, None)?;
    let mut batch = Batch::default();
    to_members(
        s,
        &mut batch,
        order,
        &shop,
        NotifyEvent::NewOrder,
        &body,
        &links,
        order.updated_at,
    )
    .await?;
    Ok(batch.actions)
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

/// The notifications of an order change (queries/notifications/enqueue.rs::order_changed):
/// the customer on every channel they linked to the order, members as the shop's settings
/// say, and an edit of every member's Telegram message about the order.
pub(super) async fn order_changed(
    s: &DynamoStore,
    order: &Order,
    action: &OrderAction,
    actor: &Actor,
) -> Result<Vec<TransactWriteItem>> {
    let Some(event) = event_of(action) else {
        return Ok(Vec::new());
    };
    let shop = shop_info(s, &order.shop_id).await?;
    let body = payload(order, &shop, Some(actor), None)?;
    let mut batch = Batch::default();
    let customers = links_in(s, format!("ORDER#{}", order.id.as_str())).await?;
    for l in customers.iter().filter(|l| l.status == LinkStatus::Active) {
        batch.add(
            s,
            &NewNotification {
                shop_id: Some(order.shop_id.clone()),
                order_id: Some(order.id.clone()),
                link_id: Some(l.id),
                channel: l.channel,
                destination: l.address.clone(),
                recipient: Recipient::Customer,
                user_id: None,
                event,
                locale: l.locale.clone().unwrap_or_else(|| shop.locale.clone()),
                payload: body.clone(),
                run_at: order.updated_at,
                now: order.updated_at,
            },
        )?;
    }
    let links = member_links(s, &order.shop_id).await?;
    if !links.is_empty() {
        to_members(
            s,
            &mut batch,
            order,
            &shop,
            event,
            &body,
            &links,
            order.updated_at,
        )
        .await?;
    }
    let mut sent = Vec::new();
    for it in rows_of_order(s, &order.id).await? {
        let message = it.opt_s("provider_message_id")?;
        if it.get_s("channel")? == Channel::Telegram.as_str()
            && matches!(it.get_s("event")?, "new_order" | "reminder")
            && let Some(message_id) = message.and_then(|m| m.parse::<i64>().ok())
        {
            sent.push((it.get_n("id")?, message_id, it));
        }
    }
    sent.sort_by_key(|(id, _, _)| *id);
    for (_, message_id, it) in sent {
        let edit = payload(order, &shop, Some(actor), Some(message_id))?;
        batch.add(
            s,
            &NewNotification {
                shop_id: Some(order.shop_id.clone()),
                order_id: Some(order.id.clone()),
                link_id: it.opt_n("link_id")?,
                channel: Channel::Telegram,
                destination: it.get_s("destination")?.to_owned(),
                recipient: Recipient::Member,
                user_id: it
                    .opt_s("user_id")?
                    .map(|u| UserId::from_stored(u.to_owned())),
                event: NotifyEvent::StatusEdit,
                locale: it.get_s("locale")?.to_owned(),
                payload: edit,
                run_at: order.updated_at,
                now: order.updated_at,
            },
        )?;
    }
    Ok(batch.actions)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]
    use jiff::SignedDuration;

    use super::*;
    use crate::audit::AuditStore;
    use crate::notifications::NotificationStore;

    #[test]
    fn due_keys_order_by_time_then_id() {
        let t = Timestamp::from_millisecond(1_800_000_000_000).unwrap();
        let later = Timestamp::from_millisecond(1_800_000_000_001).unwrap();
        assert!(due_key(t, i64::MAX) < due_key(later, 1));
        assert!(due_key(t, 9) < due_key(t, 10));
        // Everything due at `t` sorts below the next millisecond's prefix (claims read that).
        assert!(due_key(t, i64::MAX) < format!("{:015}", t.as_millisecond() + 1));
    }

    #[test]
    fn reports_only_move_forward() {
        assert!(rank(reported("read")) > rank(reported("delivered")));
        assert!(rank(reported("undelivered")) > rank(reported("read")));
        assert_eq!(reported("queued"), NotificationStatus::Sent);
    }

    /// A store on fresh tables in the emulator, or `None` when none is configured.
    async fn store() -> Option<DynamoStore> {
        let endpoint = std::env::var("ORDERBELL_TEST_DYNAMODB_URL")
            .ok()
            .filter(|u| !u.is_empty())?;
        let mut bytes = [0u8; 6];
        getrandom::fill(&mut bytes).unwrap();
        let prefix: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let url = format!("dynamodb://u{prefix}?region=us-east-1&endpoint={endpoint}");
        let credentials = super::super::Credentials::new("testing", "testing", None, None, "t");
        Some(
            DynamoStore::open_with(&url, Some(credentials))
                .await
                .unwrap(),
        )
    }

    fn mail(to: &str, now: Timestamp) -> NewNotification {
        NewNotification {
            shop_id: None,
            order_id: None,
            link_id: None,
            channel: Channel::Email,
            destination: to.into(),
            recipient: Recipient::Account,
            user_id: Some(UserId::from_stored("u1".into())),
            event: NotifyEvent::VerifyEmail,
            locale: "en".into(),
            payload: r#"{"name":"A","link":"https://x.example/v"}"#.into(),
            run_at: now,
            now,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_outbox_leases_finishes_and_reports() {
        let Some(s) = store().await else { return };
        let t0 = Timestamp::from_millisecond(1_800_000_000_000).unwrap();
        let lease = t0 + SignedDuration::from_secs(30);
        let a = s
            .enqueue_notification(mail("a@x.example", t0))
            .await
            .unwrap();
        let b = s
            .enqueue_notification(mail("b@x.example", t0))
            .await
            .unwrap();
        assert_eq!(s.next_notification_at().await.unwrap(), Some(t0));
        let first = s.claim_notifications(t0, lease, "k1", 1).await.unwrap();
        let second = s.claim_notifications(t0, lease, "k2", 5).await.unwrap();
        assert_eq!((first.len(), second.len()), (1, 1));
        assert_ne!(first[0].id, second[0].id);
        assert!(
            s.claim_notifications(t0, lease, "k3", 5)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(s.next_notification_at().await.unwrap(), Some(lease));
        // Sent with a provider id: the report finds it and only moves it forward.
        let sent = Finish {
            id: first[0].id,
            claim: "k1".into(),
            now: t0,
            outcome: Outcome::Sent {
                provider_message_id: Some("m-1".into()),
                provider_status: None,
            },
        };
        assert_eq!(s.finish_notifications(vec![sent.clone()]).await.unwrap(), 1);
        assert_eq!(
            s.finish_notifications(vec![sent]).await.unwrap(),
            0,
            "claim gone"
        );
        let report = |status: &str| DeliveryReport {
            channel: Channel::Email,
            provider_message_id: "m-1".into(),
            provider_status: status.into(),
            error_code: None,
            dead_link: false,
            now: t0,
        };
        assert!(s.report_delivery(report("read")).await.unwrap());
        assert!(s.report_delivery(report("delivered")).await.unwrap());
        let row = s.notification(first[0].id).await.unwrap().unwrap();
        assert_eq!(
            (row.status.as_str(), row.provider_status.as_deref()),
            ("read", Some("read"))
        );
        // A failure without a code is what the audit reports.
        let failed = Finish {
            id: second[0].id,
            claim: "k2".into(),
            now: t0,
            outcome: Outcome::Failed {
                code: None,
                error: "x".into(),
                dead_link: false,
            },
        };
        assert_eq!(s.finish_notifications(vec![failed]).await.unwrap(), 1);
        assert_eq!(s.next_notification_at().await.unwrap(), None);
        let findings = s.audit_outbox().await.unwrap();
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].problem, "failed without an error code");
        assert!([a, b].contains(&findings[0].notification_id));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn links_are_unique_per_owner_and_address() {
        let Some(s) = store().await else { return };
        let t0 = Timestamp::from_millisecond(1_800_000_000_000).unwrap();
        let (u1, u2) = (
            UserId::from_stored("u1".into()),
            UserId::from_stored("u2".into()),
        );
        let l1 = NewLink::member(Channel::Telegram, "42".into(), u1.clone(), None, t0);
        let first = s.upsert_link(l1.clone()).await.unwrap();
        assert_eq!(s.upsert_link(l1).await.unwrap().id, first.id);
        let other = NewLink::member(Channel::Telegram, "42".into(), u2.clone(), None, t0);
        let second = s.upsert_link(other).await.unwrap();
        assert_ne!(first.id, second.id);
        assert_eq!(
            s.links_by_address(Channel::Telegram, "42")
                .await
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            s.unlink_address(Channel::Telegram, "42", Some(&u2), t0)
                .await
                .unwrap(),
            1
        );
        let left = s.links_by_address(Channel::Telegram, "42").await.unwrap();
        assert_eq!(
            left.iter().map(|l| l.id).collect::<Vec<_>>(),
            vec![first.id]
        );
        s.touch_inbound(Channel::Telegram, "42", t0).await.unwrap();
        let mine = s.links_of_user(&u2).await.unwrap();
        assert_eq!(
            (mine[0].status.as_str(), mine[0].last_inbound_at),
            ("unlinked", Some(t0))
        );
        assert_eq!(
            s.unlink_address(Channel::Telegram, "42", None, t0)
                .await
                .unwrap(),
            1
        );
    }
}
