//! Shops, their members and their API keys on DynamoDB (queries/shops.rs and
//! queries/api_keys.rs are the reference), all in `s.main`:
//!
//! - the shop, `SHOP#<id> / SHOP`: every field of [`Shop`] (the JSON settings as JSON text,
//!   times as N milliseconds), plus the counters other files update in place:
//!   `next_order_number` (starts at [`FIRST_ORDER_NUMBER`], as in SQL), `missed_in_row`,
//!   `updated_at`; `paused_until` is absent while there is no pause. In index g2 under
//!   `KIND#shop / <slug>`, which lists every shop in slug order (`all_shops`).
//! - the slug, `SLUG#<slug> / SLUG` → shop id: a slug is unique because this item is put with
//!   `attribute_not_exists(pk)` in the shop's own transaction (slugs never change).
//! - a membership, `SHOP#<shop> / MEMBER#<user>`: role and since when. A consistent Query of
//!   the shop's partition gives `members`; index g1 `USER#<user> / SHOP#<shop>` gives
//!   `shops_of`.
//! - an API key, `APIKEY#<token hash> / K`, so that the lookup of every API request is one
//!   consistent GetItem; g1 `SHOP#<shop> / APIKEY#<id>` lists a shop's keys and finds one to
//!   revoke, g2 `APIKEY#<id> / K` finds one to touch by id.
//!
//! "A shop never loses its last owner" holds under concurrent changes: demoting or removing
//! an owner carries a `ConditionCheck` that another owner is still one, so of two owners
//! demoting each other at once one transaction fails and is read again.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, KeysAndAttributes, Put, ReturnValue, TransactWriteItem,
    Update,
};
use orderbell_core::shop::{NewShop, Shop, ShopPatch};
use orderbell_core::user::{Member, Role};
use orderbell_core::{ApiKeyId, Currency, PrinterId, ShopId, Timestamp, UserId};

use super::item::{self, Item, Read, b, json, key, n, n_ts, s as text};
use super::{DynamoStore, fail};
use crate::records::{ApiKey, NewApiKey, Scope};
use crate::{Result, StoreError};

/// The number a shop's first order gets (the SQL column's default).
pub(super) const FIRST_ORDER_NUMBER: i64 = 1001;

/// How often a write whose condition met a concurrent change is read and tried again.
pub(super) const ATTEMPTS: usize = 5;

/// The partition key of a shop (its own item, its memberships).
pub(super) fn shop_pk(id: &ShopId) -> String {
    format!("SHOP#{id}")
}

/// The key of a shop's item.
pub(super) fn shop_key(id: &ShopId) -> Item {
    key(shop_pk(id), "SHOP")
}

fn slug_key(slug: &str) -> Item {
    key(format!("SLUG#{slug}"), "SLUG")
}

fn member_key(shop: &ShopId, user: &UserId) -> Item {
    key(shop_pk(shop), format!("MEMBER#{user}"))
}

fn api_key_key(token_hash: &str) -> Item {
    key(format!("APIKEY#{token_hash}"), "K")
}

fn bad(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("stored shop has a bad {what}: {e}"))
}

pub(super) fn busy(what: &str) -> StoreError {
    StoreError::Unavailable(format!("{what} kept meeting concurrent changes; try again"))
}

/// Whether a cancelled transaction met another one (worth trying again) rather than a
/// condition.
pub(super) fn conflicted(reasons: &[Option<String>]) -> bool {
    reasons
        .iter()
        .any(|r| r.as_deref() == Some("TransactionConflict"))
}

/// Whether a cancelled transaction met only changes made since its reads (failed conditions,
/// other transactions): read again and retry.
fn stale(reasons: &[Option<String>]) -> bool {
    reasons
        .iter()
        .flatten()
        .all(|r| matches!(r.as_str(), "ConditionalCheckFailed" | "TransactionConflict"))
}

/// Whether action `at` of a cancelled transaction failed its condition.
pub(super) fn failed_at(reasons: &[Option<String>], at: usize) -> bool {
    reasons.get(at).and_then(Option::as_deref) == Some("ConditionalCheckFailed")
}

/// Expression attribute names `#n0`… for `names`, so that reserved words (`name`, `role`)
/// can be used.
pub(super) fn names(names: &[&str]) -> HashMap<String, String> {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| (format!("#n{i}"), (*n).to_owned()))
        .collect()
}

pub(super) fn put(table: &str, item: Item, condition: Option<&str>) -> Result<TransactWriteItem> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .set_condition_expression(condition.map(str::to_owned))
        .build()
        .map_err(fail::build)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

fn check(
    table: &str,
    key: Item,
    condition: &str,
    names: Option<HashMap<String, String>>,
    values: Option<Item>,
) -> Result<TransactWriteItem> {
    let check = ConditionCheck::builder()
        .table_name(table)
        .set_key(Some(key))
        .condition_expression(condition)
        .set_expression_attribute_names(names)
        .set_expression_attribute_values(values)
        .build()
        .map_err(fail::build)?;
    Ok(TransactWriteItem::builder().condition_check(check).build())
}

/// That the shop exists (as a transaction's action).
pub(super) fn shop_exists(s: &DynamoStore, shop: &ShopId) -> Result<TransactWriteItem> {
    check(&s.main, shop_key(shop), "attribute_exists(pk)", None, None)
}

// ---------------------------------------------------------------------------------------------
// Shops

fn shop_item(id: &ShopId, new: &NewShop, now: Timestamp) -> Result<Item> {
    let mut it = item::item([
        ("pk", text(shop_pk(id))),
        ("sk", text("SHOP")),
        ("id", text(id.as_str())),
        ("slug", text(new.slug.as_str())),
        ("name", text(new.name.as_str())),
        ("currency", text(new.currency.code())),
        ("time_zone", text(new.time_zone.as_str())),
        ("locale", text(new.locale.as_str())),
        ("accepting_orders", b(true)),
        ("created_at", n_ts(now)),
        ("updated_at", n_ts(now)),
        ("alerts", json(&new.alerts)?),
        (
            "default_eta_minutes",
            n(i64::from(orderbell_core::order::DEFAULT_ETA_MINUTES)),
        ),
        ("require_mfa_for_owners", b(false)),
        ("next_order_number", n(FIRST_ORDER_NUMBER)),
        ("missed_in_row", n(0)),
        ("g2pk", text("KIND#shop")),
        ("g2sk", text(new.slug.as_str())),
    ]);
    if let Some(phone) = &new.phone {
        it.insert("phone".into(), text(phone.as_str()));
    }
    Ok(it)
}

/// A shop from its item (absent JSON settings: their defaults, as SQL's NULL columns).
pub(super) fn shop_from(it: &Item) -> Result<Shop> {
    let code = it.get_s("currency")?;
    Ok(Shop {
        id: ShopId::from_stored(it.get_s("id")?.to_owned()),
        slug: it.get_s("slug")?.to_owned(),
        name: it.get_s("name")?.to_owned(),
        currency: Currency::from_code(code)
            .ok_or_else(|| StoreError::Backend(format!("unknown stored currency {code}")))?,
        time_zone: it.get_s("time_zone")?.to_owned(),
        locale: it.get_s("locale")?.to_owned(),
        phone: it.opt_s("phone")?.map(str::to_owned),
        accepting_orders: it.get_b("accepting_orders")?,
        created_at: it.get_ts("created_at")?,
        alerts: it.opt_json("alerts")?.unwrap_or_default(),
        opening_hours: it.opt_json("opening_hours")?,
        paused_until: it.opt_ts("paused_until")?,
        default_eta_minutes: u32::try_from(it.get_n("default_eta_minutes")?)
            .map_err(|e| bad("ETA", e))?,
        guest_ordering: it.opt_json("ordering")?.unwrap_or_default(),
        receipt: it.opt_json("receipt")?.unwrap_or_default(),
        require_mfa_for_owners: it.opt_b("require_mfa_for_owners")?.unwrap_or(false),
    })
}

/// Writes the shop, its slug and its owner's membership in one transaction.
pub(super) async fn create_shop(
    s: &DynamoStore,
    id: ShopId,
    shop: NewShop,
    owner: &UserId,
    now: Timestamp,
) -> Result<Shop> {
    let taken = || StoreError::Conflict(format!("the slug {:?} is taken", shop.slug));
    // Cheap answers first, as SQL gives them: a taken slug, then an unknown owner (accounts
    // are never deleted, so the owner read cannot go stale before the write).
    if s.get(&s.main, slug_key(&shop.slug)).await?.is_some() {
        return Err(taken());
    }
    if crate::Store::user(s, owner).await?.is_none() {
        return Err(StoreError::NotFound);
    }
    let item = shop_item(&id, &shop, now)?;
    let made = shop_from(&item)?;
    let mut slug = slug_key(&shop.slug);
    slug.insert("shop_id".into(), text(id.as_str()));
    let member = membership_item(&id, owner, Role::Owner, now);
    for _ in 0..ATTEMPTS {
        let actions = vec![
            put(&s.main, slug.clone(), Some("attribute_not_exists(pk)"))?,
            put(&s.main, item.clone(), Some("attribute_not_exists(pk)"))?,
            put(&s.main, member.clone(), None)?,
        ];
        match s.transact(actions).await? {
            // Nothing to drop from the cache: it keeps only shops it found.
            Ok(()) => return Ok(made),
            Err(reasons) if failed_at(&reasons, 0) => return Err(taken()),
            Err(reasons) if failed_at(&reasons, 1) => {
                return Err(StoreError::Conflict(format!("the shop {id} exists")));
            }
            Err(reasons) if conflicted(&reasons) => continue,
            Err(reasons) => return Err(cancelled("create a shop", &reasons)),
        }
    }
    Err(busy("creating a shop"))
}

/// A cancelled transaction that no condition of ours explains.
pub(super) fn cancelled(what: &str, reasons: &[Option<String>]) -> StoreError {
    StoreError::Backend(format!(
        "DynamoDB cancelled the write to {what}: {reasons:?}"
    ))
}

pub(super) async fn shop(s: &DynamoStore, id: &ShopId) -> Result<Option<Shop>> {
    s.get(&s.main, shop_key(id))
        .await?
        .map(|it| shop_from(&it))
        .transpose()
}

/// The shop a slug names, kept for a second (`lookup_cache`, as the SQL store does).
pub(super) async fn shop_by_slug(s: &DynamoStore, slug: &str) -> Result<Option<Shop>> {
    let miss = match s.shops_by_slug.get(slug) {
        Ok(shop) => return Ok(Some(shop)),
        Err(miss) => miss,
    };
    let Some(pointer) = s.get(&s.main, slug_key(slug)).await? else {
        return Ok(None);
    };
    let id = ShopId::from_stored(pointer.get_s("shop_id")?.to_owned());
    let found = shop(s, &id).await?;
    if let Some(shop) = &found {
        s.shops_by_slug.put(slug, miss, shop);
    }
    Ok(found)
}

/// Every shop, by slug (index g2, eventually consistent: a shop created a moment ago may be
/// missing for that moment).
pub(super) async fn all_shops(s: &DynamoStore) -> Result<Vec<Shop>> {
    let query = s
        .client
        .query()
        .table_name(&s.main)
        .index_name("g2")
        .key_condition_expression("g2pk = :k")
        .expression_attribute_values(":k", text("KIND#shop"));
    s.query_all(query, None)
        .await?
        .iter()
        .map(shop_from)
        .collect()
}

/// Sets only what the patch changes (the counters and a pause that the alerts file writes
/// are left alone), and answers the shop as stored afterwards.
pub(super) async fn update_shop(
    s: &DynamoStore,
    id: &ShopId,
    patch: ShopPatch,
    now: Timestamp,
) -> Result<Shop> {
    let result = write_patch(s, id, &patch, now).await;
    // Dropped once the change is written (or has failed), as in SqlStore.
    s.shops_by_slug.changed();
    result
}

async fn write_patch(
    s: &DynamoStore,
    id: &ShopId,
    patch: &ShopPatch,
    now: Timestamp,
) -> Result<Shop> {
    // (attribute, new value; None removes it)
    let mut changes: Vec<(&str, Option<AttributeValue>)> = vec![("updated_at", Some(n_ts(now)))];
    if let Some(name) = &patch.name {
        changes.push(("name", Some(text(name.as_str()))));
    }
    if let Some(tz) = &patch.time_zone {
        changes.push(("time_zone", Some(text(tz.as_str()))));
    }
    if let Some(locale) = &patch.locale {
        changes.push(("locale", Some(text(locale.as_str()))));
    }
    if let Some(phone) = &patch.phone {
        changes.push(("phone", phone.as_deref().map(text)));
    }
    if let Some(accepting) = patch.accepting_orders {
        changes.push(("accepting_orders", Some(b(accepting))));
    }
    if let Some(alerts) = &patch.alerts {
        changes.push(("alerts", Some(json(alerts)?)));
    }
    if let Some(hours) = &patch.opening_hours {
        changes.push(("opening_hours", hours.as_ref().map(json).transpose()?));
    }
    if let Some(paused) = patch.paused_until {
        changes.push(("paused_until", paused.map(n_ts)));
        // A pause set or ended by a person starts the count of unanswered orders afresh.
        changes.push(("missed_in_row", Some(n(0))));
    }
    if let Some(eta) = patch.default_eta_minutes {
        changes.push(("default_eta_minutes", Some(n(i64::from(eta)))));
    }
    if let Some(ordering) = &patch.guest_ordering {
        changes.push(("ordering", Some(json(ordering)?)));
    }
    if let Some(receipt) = &patch.receipt {
        changes.push(("receipt", Some(json(receipt)?)));
    }
    if let Some(required) = patch.require_mfa_for_owners {
        changes.push(("require_mfa_for_owners", Some(b(required))));
    }
    let attrs: Vec<&str> = changes.iter().map(|(a, _)| *a).collect();
    let mut sets = Vec::new();
    let mut removes = Vec::new();
    let mut values = Item::new();
    for (i, (_, value)) in changes.into_iter().enumerate() {
        match value {
            Some(v) => {
                sets.push(format!("#n{i} = :v{i}"));
                values.insert(format!(":v{i}"), v);
            }
            None => removes.push(format!("#n{i}")),
        }
    }
    let mut expression = format!("SET {}", sets.join(", "));
    if !removes.is_empty() {
        expression.push_str(&format!(" REMOVE {}", removes.join(", ")));
    }
    let out = s
        .client
        .update_item()
        .table_name(&s.main)
        .set_key(Some(shop_key(id)))
        .update_expression(expression)
        .condition_expression("attribute_exists(pk)")
        .set_expression_attribute_names(Some(names(&attrs)))
        .set_expression_attribute_values(Some(values))
        .return_values(ReturnValue::AllNew)
        .send()
        .await;
    match out {
        Ok(out) => shop_from(&out.attributes.unwrap_or_default()),
        Err(e) if fail::condition_failed(&e) => Err(StoreError::NotFound),
        Err(e) => Err(fail::sdk(e)),
    }
}

// ---------------------------------------------------------------------------------------------
// Members

pub(super) fn membership_item(shop: &ShopId, user: &UserId, role: Role, now: Timestamp) -> Item {
    let mut it = member_key(shop, user);
    it.extend(item::item([
        ("shop_id", text(shop.as_str())),
        ("user_id", text(user.as_str())),
        ("role", text(role.as_str())),
        ("created_at", n_ts(now)),
        ("g1pk", text(format!("USER#{user}"))),
        ("g1sk", text(shop_pk(shop))),
    ]));
    it
}

pub(super) fn parse_role(s: &str) -> Result<Role> {
    s.parse().map_err(StoreError::Backend)
}

/// Memberships as read (shop, user, role, since).
struct Membership {
    user: UserId,
    role: Role,
    since: Timestamp,
}

fn membership_from(it: &Item) -> Result<Membership> {
    Ok(Membership {
        user: UserId::from_stored(it.get_s("user_id")?.to_owned()),
        role: parse_role(it.get_s("role")?)?,
        since: it.get_ts("created_at")?,
    })
}

async fn membership(s: &DynamoStore, shop: &ShopId, user: &UserId) -> Result<Option<Membership>> {
    s.get(&s.main, member_key(shop, user))
        .await?
        .map(|it| membership_from(&it))
        .transpose()
}

/// A shop's memberships, read consistently from its partition.
async fn memberships(s: &DynamoStore, shop: &ShopId) -> Result<Vec<Membership>> {
    let query = s
        .client
        .query()
        .table_name(&s.main)
        .key_condition_expression("pk = :pk AND begins_with(sk, :m)")
        .expression_attribute_values(":pk", text(shop_pk(shop)))
        .expression_attribute_values(":m", text("MEMBER#"))
        .consistent_read(true);
    s.query_all(query, None)
        .await?
        .iter()
        .map(membership_from)
        .collect()
}

/// Items by key from `s.main`, read consistently (BatchGetItem, 100 keys a call; keys left
/// unprocessed are asked again). Absent items are simply missing from the answer.
async fn batch_get(s: &DynamoStore, keys: Vec<Item>) -> Result<Vec<Item>> {
    let mut found = Vec::new();
    for chunk in keys.chunks(100) {
        let mut pending = chunk.to_vec();
        let mut round = 0u32;
        while !pending.is_empty() {
            if round > 0 {
                if round >= 8 {
                    return Err(busy("reading a batch"));
                }
                tokio::time::sleep(std::time::Duration::from_millis(25 << round)).await;
            }
            round += 1;
            let ask = KeysAndAttributes::builder()
                .set_keys(Some(std::mem::take(&mut pending)))
                .consistent_read(true)
                .build()
                .map_err(fail::build)?;
            let out = s
                .client
                .batch_get_item()
                .request_items(&s.main, ask)
                .send()
                .await
                .map_err(fail::sdk)?;
            if let Some(mut responses) = out.responses {
                found.extend(responses.remove(&s.main).unwrap_or_default());
            }
            if let Some(left) = out.unprocessed_keys.and_then(|mut u| u.remove(&s.main)) {
                pending = left.keys;
            }
        }
    }
    Ok(found)
}

/// The user's shops and roles, by shop name then slug. Index g1 finds the memberships; each is
/// read again consistently with its shop, so a membership just ended is not answered.
pub(super) async fn shops_of(s: &DynamoStore, user: &UserId) -> Result<Vec<(Shop, Role)>> {
    let query = s
        .client
        .query()
        .table_name(&s.main)
        .index_name("g1")
        .key_condition_expression("g1pk = :u AND begins_with(g1sk, :s)")
        .expression_attribute_values(":u", text(format!("USER#{user}")))
        .expression_attribute_values(":s", text("SHOP#"));
    let indexed = s.query_all(query, None).await?;
    let mut keys = Vec::with_capacity(indexed.len() * 2);
    for it in &indexed {
        let shop = ShopId::from_stored(it.get_s("shop_id")?.to_owned());
        keys.push(member_key(&shop, user));
        keys.push(shop_key(&shop));
    }
    let items = batch_get(s, keys).await?;
    let mut shops = HashMap::new();
    let mut roles = Vec::new();
    for it in &items {
        if it.get_s("sk")? == "SHOP" {
            let shop = shop_from(it)?;
            shops.insert(shop.id.clone(), shop);
        } else {
            let shop = ShopId::from_stored(it.get_s("shop_id")?.to_owned());
            roles.push((shop, parse_role(it.get_s("role")?)?));
        }
    }
    let mut found: Vec<(Shop, Role)> = roles
        .into_iter()
        .filter_map(|(id, role)| shops.remove(&id).map(|shop| (shop, role)))
        .collect();
    found.sort_by(|(a, _), (b, _)| (&a.name, &a.slug).cmp(&(&b.name, &b.slug)));
    Ok(found)
}

pub(super) async fn role(s: &DynamoStore, shop: &ShopId, user: &UserId) -> Result<Option<Role>> {
    Ok(membership(s, shop, user).await?.map(|m| m.role))
}

async fn member_of(s: &DynamoStore, m: Membership) -> Result<Option<Member>> {
    Ok(crate::Store::user(s, &m.user).await?.map(|u| Member {
        user_id: m.user,
        email: u.email,
        name: u.name,
        role: m.role,
        added_at: m.since,
    }))
}

/// The shop's members, the earliest first (then by e-mail), with their names and addresses
/// read through the accounts' own methods.
pub(super) async fn members(s: &DynamoStore, shop: &ShopId) -> Result<Vec<Member>> {
    let mut found = Vec::new();
    for m in memberships(s, shop).await? {
        // SQL joins users: a membership without its account is not a member.
        if let Some(member) = member_of(s, m).await? {
            found.push(member);
        }
    }
    found.sort_by(|a, b| (a.added_at, &a.email).cmp(&(b.added_at, &b.email)));
    Ok(found)
}

/// Another owner of the shop than `user`, as a condition that they still are one (the
/// action that keeps the shop from losing its last owner); `Conflict` when there is none.
async fn another_owner(s: &DynamoStore, shop: &ShopId, user: &UserId) -> Result<TransactWriteItem> {
    let other = memberships(s, shop)
        .await?
        .into_iter()
        .find(|m| m.role == Role::Owner && m.user != *user)
        .ok_or_else(|| StoreError::Conflict("a shop needs at least one owner".into()))?;
    check(
        &s.main,
        member_key(shop, &other.user),
        "#n0 = :owner",
        Some(names(&["role"])),
        Some(item::values([(":owner", text(Role::Owner.as_str()))])),
    )
}

/// Gives `user` a role in the shop (a new member, or a change of role), as SQL's upsert: the
/// membership keeps its first date.
pub(super) async fn set_member(
    s: &DynamoStore,
    shop: &ShopId,
    user: &UserId,
    role: Role,
    now: Timestamp,
) -> Result<Member> {
    let Some(account) = crate::Store::user(s, user).await? else {
        return Err(StoreError::NotFound);
    };
    for _ in 0..ATTEMPTS {
        let current = membership(s, shop, user).await?;
        let mut actions = Vec::new();
        let since = match &current {
            None => {
                actions.push(put(
                    &s.main,
                    membership_item(shop, user, role, now),
                    Some("attribute_not_exists(pk)"),
                )?);
                // A membership of no shop would be a foreign-key violation in SQL.
                actions.push(shop_exists(s, shop)?);
                now
            }
            Some(m) => {
                let update = Update::builder()
                    .table_name(&s.main)
                    .set_key(Some(member_key(shop, user)))
                    .update_expression("SET #n0 = :new")
                    .condition_expression("#n0 = :old")
                    .set_expression_attribute_names(Some(names(&["role"])))
                    .set_expression_attribute_values(Some(item::values([
                        (":new", text(role.as_str())),
                        (":old", text(m.role.as_str())),
                    ])))
                    .build()
                    .map_err(fail::build)?;
                actions.push(TransactWriteItem::builder().update(update).build());
                if m.role == Role::Owner && role != Role::Owner {
                    actions.push(another_owner(s, shop, user).await?);
                }
                m.since
            }
        };
        let new = current.is_none();
        match s.transact(actions).await? {
            Ok(()) => {
                return Ok(Member {
                    user_id: user.clone(),
                    email: account.email,
                    name: account.name,
                    role,
                    added_at: since,
                });
            }
            Err(reasons) if new && failed_at(&reasons, 1) => {
                return Err(StoreError::Conflict(format!(
                    "the shop {shop} does not exist"
                )));
            }
            // The membership or the other owner changed since they were read: read again.
            Err(reasons) if stale(&reasons) => continue,
            Err(reasons) => return Err(cancelled("set a member", &reasons)),
        }
    }
    Err(busy("changing a member"))
}

pub(super) async fn remove_member(s: &DynamoStore, shop: &ShopId, user: &UserId) -> Result<()> {
    for _ in 0..ATTEMPTS {
        let current = membership(s, shop, user)
            .await?
            .ok_or(StoreError::NotFound)?;
        let delete = Delete::builder()
            .table_name(&s.main)
            .set_key(Some(member_key(shop, user)))
            .condition_expression("#n0 = :old")
            .set_expression_attribute_names(Some(names(&["role"])))
            .set_expression_attribute_values(Some(item::values([(
                ":old",
                text(current.role.as_str()),
            )])))
            .build()
            .map_err(fail::build)?;
        let mut actions = vec![TransactWriteItem::builder().delete(delete).build()];
        if current.role == Role::Owner {
            actions.push(another_owner(s, shop, user).await?);
        }
        match s.transact(actions).await? {
            Ok(()) => return Ok(()),
            Err(reasons) if stale(&reasons) => continue,
            Err(reasons) => return Err(cancelled("remove a member", &reasons)),
        }
    }
    Err(busy("removing a member"))
}

// ---------------------------------------------------------------------------------------------
// API keys

fn scopes_text(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn api_key_from(it: &Item) -> Result<ApiKey> {
    Ok(ApiKey {
        id: ApiKeyId::from_stored(it.get_s("id")?.to_owned()),
        shop_id: ShopId::from_stored(it.get_s("shop_id")?.to_owned()),
        name: it.get_s("name")?.to_owned(),
        scopes: it
            .get_s("scopes")?
            .split(',')
            .filter_map(Scope::parse)
            .collect(),
        prefix: it.get_s("prefix")?.to_owned(),
        created_at: it.get_ts("created_at")?,
        last_used_at: it.opt_ts("last_used_at")?,
        revoked_at: it.opt_ts("revoked_at")?,
    })
}

/// Stores a key; `Conflict` when its token hash is taken or its shop does not exist (SQL's
/// unique and foreign-key violations).
pub(super) async fn create_api_key(s: &DynamoStore, k: NewApiKey) -> Result<ApiKey> {
    let mut it = api_key_key(&k.token_hash);
    it.extend(item::item([
        ("id", text(k.id.as_str())),
        ("shop_id", text(k.shop_id.as_str())),
        ("name", text(k.name.as_str())),
        ("scopes", text(scopes_text(&k.scopes))),
        ("prefix", text(k.prefix.as_str())),
        ("created_at", n_ts(k.created_at)),
        ("g1pk", text(shop_pk(&k.shop_id))),
        ("g1sk", text(format!("APIKEY#{}", k.id))),
        ("g2pk", text(format!("APIKEY#{}", k.id))),
        ("g2sk", text("K")),
    ]));
    for _ in 0..ATTEMPTS {
        let actions = vec![
            put(&s.main, it.clone(), Some("attribute_not_exists(pk)"))?,
            shop_exists(s, &k.shop_id)?,
        ];
        match s.transact(actions).await? {
            Ok(()) => {
                return Ok(ApiKey {
                    id: k.id,
                    shop_id: k.shop_id,
                    name: k.name,
                    scopes: k.scopes,
                    prefix: k.prefix,
                    created_at: k.created_at,
                    last_used_at: None,
                    revoked_at: None,
                });
            }
            Err(reasons) if failed_at(&reasons, 0) => {
                return Err(StoreError::Conflict("the API key exists".into()));
            }
            Err(reasons) if failed_at(&reasons, 1) => {
                return Err(StoreError::Conflict(format!(
                    "the shop {} does not exist",
                    k.shop_id
                )));
            }
            Err(reasons) if conflicted(&reasons) => continue,
            Err(reasons) => return Err(cancelled("create an API key", &reasons)),
        }
    }
    Err(busy("creating an API key"))
}

/// The unrevoked key with this token hash, kept for a second (`lookup_cache`).
pub(super) async fn api_key(s: &DynamoStore, token_hash: &str) -> Result<Option<ApiKey>> {
    let miss = match s.api_keys_by_hash.get(token_hash) {
        Ok(key) => return Ok(Some(key)),
        Err(miss) => miss,
    };
    let found = match s.get(&s.main, api_key_key(token_hash)).await? {
        Some(it) if it.opt_n("revoked_at")?.is_none() => Some(api_key_from(&it)?),
        _ => None,
    };
    if let Some(key) = &found {
        s.api_keys_by_hash.put(token_hash, miss, key);
    }
    Ok(found)
}

/// A shop's keys, revoked ones too, the newest first (index g1).
pub(super) async fn api_keys(s: &DynamoStore, shop: &ShopId) -> Result<Vec<ApiKey>> {
    let query = s
        .client
        .query()
        .table_name(&s.main)
        .index_name("g1")
        .key_condition_expression("g1pk = :s AND begins_with(g1sk, :k)")
        .expression_attribute_values(":s", text(shop_pk(shop)))
        .expression_attribute_values(":k", text("APIKEY#"));
    let mut keys = s
        .query_all(query, None)
        .await?
        .iter()
        .map(api_key_from)
        .collect::<Result<Vec<_>>>()?;
    keys.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
    Ok(keys)
}

/// Revokes the key and the printers it added; returns those printers.
///
/// The printers are the printing file's items, so this is not one transaction with the key:
/// `printing::revoke_printers_of_key` (the SQL revocation's printer half: revoked, token gone,
/// jobs left as they are) runs *before* the key's own update, so that a failure half-way
/// leaves the key live and a retry finishes the work (the key first would leave printers that
/// no second call could reach, it answering `NotFound`). A printer the key added between that
/// pass and the key's revocation is caught by a second pass after it.
pub(super) async fn revoke_api_key(
    s: &DynamoStore,
    shop: &ShopId,
    id: &ApiKeyId,
    now: Timestamp,
) -> Result<Vec<PrinterId>> {
    let result = revoke_key_and_printers(s, shop, id, now).await;
    // Dropped once the revocation is written (or has failed): a read that began before it
    // cannot put the key back for another second.
    s.api_keys_by_hash.changed();
    result
}

async fn revoke_key_and_printers(
    s: &DynamoStore,
    shop: &ShopId,
    id: &ApiKeyId,
    now: Timestamp,
) -> Result<Vec<PrinterId>> {
    // The index finds the key's item; the update's condition re-checks it on the item itself.
    let query = s
        .client
        .query()
        .table_name(&s.main)
        .index_name("g1")
        .key_condition_expression("g1pk = :s AND g1sk = :k")
        .expression_attribute_values(":s", text(shop_pk(shop)))
        .expression_attribute_values(":k", text(format!("APIKEY#{id}")));
    let found = s.query_all(query, Some(1)).await?;
    let Some(indexed) = found.first() else {
        return Err(StoreError::NotFound);
    };
    if indexed.opt_n("revoked_at")?.is_some() {
        return Err(StoreError::NotFound);
    }
    let pk = indexed.get_s("pk")?.to_owned();
    let mut revoked = super::printing::revoke_printers_of_key(s, shop, id, now).await?;
    let out = s
        .client
        .update_item()
        .table_name(&s.main)
        .set_key(Some(key(pk, "K")))
        .update_expression("SET revoked_at = :now")
        .condition_expression(
            "attribute_exists(pk) AND shop_id = :s AND #n0 = :id AND attribute_not_exists(revoked_at)",
        )
        .set_expression_attribute_names(Some(names(&["id"])))
        .set_expression_attribute_values(Some(item::values([
            (":now", n_ts(now)),
            (":s", text(shop.as_str())),
            (":id", text(id.as_str())),
        ])))
        .send()
        .await;
    match out {
        Ok(_) => {}
        Err(e) if fail::condition_failed(&e) => return Err(StoreError::NotFound),
        Err(e) => return Err(fail::sdk(e)),
    }
    revoked.extend(super::printing::revoke_printers_of_key(s, shop, id, now).await?);
    Ok(revoked)
}

/// Records a use of the key (best effort, as SQL's: an unknown key is no error).
pub(super) async fn touch_api_key(s: &DynamoStore, id: &ApiKeyId, now: Timestamp) -> Result<()> {
    // The kept key shows the use at once, so the requests of the next second do not each
    // decide that the key's use is still unrecorded.
    s.api_keys_by_hash.update(|key| {
        if key.id == *id {
            key.last_used_at = Some(now);
        }
    });
    let query = s
        .client
        .query()
        .table_name(&s.main)
        .index_name("g2")
        .key_condition_expression("g2pk = :k")
        .expression_attribute_values(":k", text(format!("APIKEY#{id}")));
    for indexed in s.query_all(query, Some(1)).await? {
        let out = s
            .client
            .update_item()
            .table_name(&s.main)
            .set_key(Some(key(indexed.get_s("pk")?, "K")))
            .update_expression("SET last_used_at = :now")
            .condition_expression("attribute_exists(pk) AND #n0 = :id")
            .set_expression_attribute_names(Some(names(&["id"])))
            .set_expression_attribute_values(Some(item::values([
                (":now", n_ts(now)),
                (":id", text(id.as_str())),
            ])))
            .send()
            .await;
        match out {
            Ok(_) => {}
            Err(e) if fail::condition_failed(&e) => {}
            Err(e) => return Err(fail::sdk(e)),
        }
    }
    Ok(())
}
