//! The menu of a shop on DynamoDB: categories, items, option groups, options and item photos.
//!
//! Items kept (all in `s.main`, docs/design/serverless-plan.md §5):
//! - `SHOP#<shop> / MENU#CAT#<id>` (name, position, created_at),
//!   `SHOP#<shop> / MENU#ITEM#<id>` (category_id, name, description, price, sold_out, hidden,
//!   position, photo = the current photo's digest, photo_chunks, created_at, updated_at),
//!   `SHOP#<shop> / MENU#OG#<id>` (item_id, name, min, max, position) and
//!   `SHOP#<shop> / MENU#OPT#<id>` (group_id, name, price, sold_out, position): under the
//!   shop's partition, so that [`menu`] is one Query on `begins_with(sk, 'MENU#')`, and an id
//!   of another shop is simply not found there (as the SQL store scopes every statement by
//!   `shop_id`).
//! - `SHOP#<shop> / MENU#REV` (`rev`, N): the menu's revision, one more with every change.
//!   Not in the plan's table: it is what makes the menu behave like SQL's single writer. Every
//!   change reads the revision, then the whole menu (consistently), decides from what it read
//!   (positions, the limit of entries, whether a category is empty, which children go with an
//!   item), and commits in one transaction that raises the revision on the condition that it is
//!   still the one read; a concurrent change makes it start over. So positions are given out
//!   exactly as SQL gives them, a category cannot gain an item while it is being deleted, and
//!   no entry needs a condition of its own. [`menu`] reads the revision before and after its
//!   Query, so that it returns one state of the menu even when the Query takes several pages.
//! - `PHOTO#<item> / CHUNK#0000…` in the photo's own partition: the bytes in chunks of at most
//!   [`CHUNK_BYTES`] (an item holds at most 400 KB, and a 1024 px JPEG can be larger). Keyed by
//!   the item alone because [`item_photo`] is asked without a shop (photo addresses are public).
//!   Each chunk carries the digest and the number of chunks, so a read that straddles a change
//!   is noticed and made again; the chunks change in the same transaction as the item's
//!   `photo`, under the menu's revision.
//!
//! An entry whose parent is gone (left over when deleting an item or a group took more than one
//! transaction, see [`Overflow::Orphans`]) is never shown nor found, as SQL's `menu()` drops
//! rows it cannot attach.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, Put, TransactWriteItem, Update,
};
use orderbell_core::menu::{
    Category, CategoryChange, ItemChange, MAX_ENTRIES, Menu, MenuEntry, MenuItem, MenuOption,
    OptionChange, OptionGroup, OptionGroupChange,
};
use orderbell_core::{
    CategoryId, MenuItemId, OptionGroupId, OptionId, ShopId, Timestamp, ValidationErrors,
};

use crate::records::ItemPhoto;
use crate::{Result, StoreError};

use super::item::{Item, Read, b, item, key, n, n_ts, s, values};
use super::{DynamoStore, MAX_ACTIONS, fail};

/// The sort key of the menu's revision (see the module's doc).
const REV_SK: &str = "MENU#REV";
/// Most bytes of a photo in one chunk item (an item holds at most 400 KB with its keys).
const CHUNK_BYTES: usize = 350_000;
/// Largest photo kept: it is written in one transaction, which carries at most 4 MB in all.
/// The server's photos are JPEGs of at most 1024 px a side, far below this.
const MAX_PHOTO_BYTES: usize = 10 * CHUNK_BYTES;
/// How many times a change starts over when another change got in first.
const MAX_TRIES: u32 = 8;
/// How many times a read that saw the menu or a photo change under it is made again.
const MAX_READS: u32 = 3;

fn shop_pk(shop: &ShopId) -> String {
    format!("SHOP#{shop}")
}

fn photo_pk(item: &MenuItemId) -> String {
    format!("PHOTO#{item}")
}

fn chunk_sk(n: usize) -> String {
    format!("CHUNK#{n:04}")
}

/// The four kinds of menu entry, as their sort keys name them.
#[derive(Clone, Copy)]
enum Kind {
    Category,
    Item,
    Group,
    Option,
}

impl Kind {
    fn prefix(self) -> &'static str {
        match self {
            Kind::Category => "MENU#CAT#",
            Kind::Item => "MENU#ITEM#",
            Kind::Group => "MENU#OG#",
            Kind::Option => "MENU#OPT#",
        }
    }

    fn key(self, shop: &ShopId, id: &str) -> Item {
        key(shop_pk(shop), format!("{}{id}", self.prefix()))
    }
}

/// An entry as read: its value for callers, and the stored item it came from (written back
/// with the changed attributes, so nothing else on it is lost).
struct Row<T> {
    v: T,
    raw: Item,
}

/// The whole menu of a shop as one change reads it. Every list is in position order (then
/// id, as SQL's `ORDER BY position, id`), and holds only entries whose parents exist.
struct State {
    /// The revision read (0 when the menu was never changed and has no revision item yet).
    rev: i64,
    categories: Vec<Row<Category>>,
    items: Vec<Row<MenuItem>>,
    groups: Vec<Row<OptionGroup>>,
    options: Vec<Row<MenuOption>>,
}

impl State {
    fn parse(rev: i64, stored: Vec<Item>) -> Result<State> {
        let mut st = State {
            rev,
            categories: vec![],
            items: vec![],
            groups: vec![],
            options: vec![],
        };
        for raw in stored {
            let sk = raw.get_s("sk")?.to_owned();
            if let Some(id) = sk.strip_prefix(Kind::Category.prefix()) {
                st.categories.push(Row {
                    v: parse_category(id, &raw)?,
                    raw,
                });
            } else if let Some(id) = sk.strip_prefix(Kind::Item.prefix()) {
                st.items.push(Row {
                    v: parse_item(id, &raw)?,
                    raw,
                });
            } else if let Some(id) = sk.strip_prefix(Kind::Group.prefix()) {
                st.groups.push(Row {
                    v: parse_group(id, &raw)?,
                    raw,
                });
            } else if let Some(id) = sk.strip_prefix(Kind::Option.prefix()) {
                st.options.push(Row {
                    v: parse_option(id, &raw)?,
                    raw,
                });
            }
            // MENU#REV, and anything a newer version may keep here, is not an entry.
        }
        st.categories
            .sort_by(|a, b| (a.v.position, &a.v.id).cmp(&(b.v.position, &b.v.id)));
        st.items
            .sort_by(|a, b| (a.v.position, &a.v.id).cmp(&(b.v.position, &b.v.id)));
        st.groups
            .sort_by(|a, b| (a.v.position, &a.v.id).cmp(&(b.v.position, &b.v.id)));
        st.options
            .sort_by(|a, b| (a.v.position, &a.v.id).cmp(&(b.v.position, &b.v.id)));
        // Leftovers of a deletion that took several transactions: out of sight.
        let categories: HashSet<&CategoryId> = st.categories.iter().map(|c| &c.v.id).collect();
        st.items.retain(|i| categories.contains(&i.v.category_id));
        let items: HashSet<&MenuItemId> = st.items.iter().map(|i| &i.v.id).collect();
        st.groups.retain(|g| items.contains(&g.v.item_id));
        let groups: HashSet<&OptionGroupId> = st.groups.iter().map(|g| &g.v.id).collect();
        st.options.retain(|o| groups.contains(&o.v.group_id));
        Ok(st)
    }

    fn category(&self, id: &str) -> Option<&Row<Category>> {
        self.categories.iter().find(|c| c.v.id.as_str() == id)
    }

    fn item(&self, id: &str) -> Option<&Row<MenuItem>> {
        self.items.iter().find(|i| i.v.id.as_str() == id)
    }

    fn group(&self, id: &str) -> Option<&Row<OptionGroup>> {
        self.groups.iter().find(|g| g.v.id.as_str() == id)
    }

    fn option(&self, id: &str) -> Option<&Row<MenuOption>> {
        self.options.iter().find(|o| o.v.id.as_str() == id)
    }

    /// A group with its options.
    fn full_group(&self, group: &OptionGroup) -> OptionGroup {
        let mut g = group.clone();
        g.options = self
            .options
            .iter()
            .filter(|o| o.v.group_id == g.id)
            .map(|o| o.v.clone())
            .collect();
        g
    }

    /// An item with its groups and their options.
    fn full_item(&self, item: &MenuItem) -> MenuItem {
        let mut i = item.clone();
        i.option_groups = self
            .groups
            .iter()
            .filter(|g| g.v.item_id == i.id)
            .map(|g| self.full_group(&g.v))
            .collect();
        i
    }

    /// The whole menu, assembled as SQL's `menu()` does.
    fn menu(&self) -> Menu {
        let mut options: HashMap<&str, Vec<MenuOption>> = HashMap::new();
        for o in &self.options {
            options
                .entry(o.v.group_id.as_str())
                .or_default()
                .push(o.v.clone());
        }
        let mut groups: HashMap<&str, Vec<OptionGroup>> = HashMap::new();
        for g in &self.groups {
            let mut group = g.v.clone();
            group.options = options.remove(g.v.id.as_str()).unwrap_or_default();
            groups.entry(g.v.item_id.as_str()).or_default().push(group);
        }
        let mut items: HashMap<&str, Vec<MenuItem>> = HashMap::new();
        for i in &self.items {
            let mut item = i.v.clone();
            item.option_groups = groups.remove(i.v.id.as_str()).unwrap_or_default();
            items
                .entry(i.v.category_id.as_str())
                .or_default()
                .push(item);
        }
        Menu {
            categories: self
                .categories
                .iter()
                .map(|c| {
                    let mut category = c.v.clone();
                    category.items = items.remove(c.v.id.as_str()).unwrap_or_default();
                    category
                })
                .collect(),
        }
    }
}

fn parse_category(id: &str, raw: &Item) -> Result<Category> {
    Ok(Category {
        id: CategoryId::from_stored(id.to_owned()),
        name: raw.get_s("name")?.to_owned(),
        position: raw.get_n("position")?,
        items: vec![],
    })
}

fn parse_item(id: &str, raw: &Item) -> Result<MenuItem> {
    let id = MenuItemId::from_stored(id.to_owned());
    Ok(MenuItem {
        photo_url: raw
            .opt_s("photo")?
            .map(|digest| MenuItem::photo_path(&id, digest)),
        id,
        category_id: CategoryId::from_stored(raw.get_s("category_id")?.to_owned()),
        name: raw.get_s("name")?.to_owned(),
        description: raw.opt_s("description")?.map(str::to_owned),
        price: raw.get_n("price")?,
        sold_out: raw.get_b("sold_out")?,
        hidden: raw.opt_b("hidden")?.unwrap_or(false),
        position: raw.get_n("position")?,
        option_groups: vec![],
    })
}

fn parse_group(id: &str, raw: &Item) -> Result<OptionGroup> {
    Ok(OptionGroup {
        id: OptionGroupId::from_stored(id.to_owned()),
        item_id: MenuItemId::from_stored(raw.get_s("item_id")?.to_owned()),
        name: raw.get_s("name")?.to_owned(),
        min: raw.get_n("min")?,
        max: raw.get_n("max")?,
        position: raw.get_n("position")?,
        options: vec![],
    })
}

fn parse_option(id: &str, raw: &Item) -> Result<MenuOption> {
    Ok(MenuOption {
        id: OptionId::from_stored(id.to_owned()),
        group_id: OptionGroupId::from_stored(raw.get_s("group_id")?.to_owned()),
        name: raw.get_s("name")?.to_owned(),
        price: raw.get_n("price")?,
        sold_out: raw.get_b("sold_out")?,
        position: raw.get_n("position")?,
    })
}

/// The menu's revision, read consistently (0 when it has none yet).
async fn revision(store: &DynamoStore, shop: &ShopId) -> Result<i64> {
    Ok(store
        .get(&store.main, key(shop_pk(shop), REV_SK))
        .await?
        .map(|it| it.opt_n("rev"))
        .transpose()?
        .flatten()
        .unwrap_or(0))
}

/// Every item of the shop's menu (entries and revision), read consistently.
async fn entries(store: &DynamoStore, shop: &ShopId) -> Result<Vec<Item>> {
    let query = store
        .client
        .query()
        .table_name(&store.main)
        .key_condition_expression("pk = :pk AND begins_with(sk, :menu)")
        .set_expression_attribute_values(Some(values([
            (":pk", s(shop_pk(shop))),
            (":menu", s("MENU#")),
        ])))
        .consistent_read(true);
    store.query_all(query, None).await
}

/// The menu as a change reads it: the revision first, so that any change committed after this
/// read makes the change's condition fail.
async fn load(store: &DynamoStore, shop: &ShopId) -> Result<State> {
    let rev = revision(store, shop).await?;
    State::parse(rev, entries(store, shop).await?)
}

/// What a change writes and answers.
struct Plan<T> {
    actions: Vec<TransactWriteItem>,
    overflow: Overflow,
    out: T,
}

/// What to do with actions beyond what one transaction holds (with the revision's).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Overflow {
    /// They never exceed it (one entry and its photo).
    Never,
    /// Deletions of children whose parent the first transaction deletes: out of sight from
    /// then on, deleted afterwards as far as possible (what is left is never read).
    Orphans,
    /// Changes that must follow the first in order (renumbering more than 90-odd siblings):
    /// further transactions, each raising the revision again.
    Chained,
}

fn plan<T>(actions: Vec<TransactWriteItem>, out: T) -> Plan<T> {
    Plan {
        actions,
        overflow: Overflow::Never,
        out,
    }
}

fn put(table: &str, raw: Item) -> Result<TransactWriteItem> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(raw))
        .build()
        .map_err(fail::build)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

fn delete(table: &str, key: Item) -> Result<TransactWriteItem> {
    let delete = Delete::builder()
        .table_name(table)
        .set_key(Some(key))
        .build()
        .map_err(fail::build)?;
    Ok(TransactWriteItem::builder().delete(delete).build())
}

/// The actions that raise the revision from `rev`: on the first change of a menu, a check that
/// the shop exists (SQL's foreign key) and the revision item made; afterwards, the revision
/// raised on the condition that it is still `rev`. The revision's own action is the last.
fn raise(store: &DynamoStore, shop: &ShopId, rev: i64) -> Result<Vec<TransactWriteItem>> {
    if rev == 0 {
        let check = ConditionCheck::builder()
            .table_name(&store.main)
            .set_key(Some(key(shop_pk(shop), "SHOP")))
            .condition_expression("attribute_exists(pk)")
            .build()
            .map_err(fail::build)?;
        let first = Put::builder()
            .table_name(&store.main)
            .set_item(Some(item([
                ("pk", s(shop_pk(shop))),
                ("sk", s(REV_SK)),
                ("rev", n(1)),
            ])))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(fail::build)?;
        return Ok(vec![
            TransactWriteItem::builder().condition_check(check).build(),
            TransactWriteItem::builder().put(first).build(),
        ]);
    }
    let update = Update::builder()
        .table_name(&store.main)
        .set_key(Some(key(shop_pk(shop), REV_SK)))
        .update_expression("SET rev = :next")
        .condition_expression("rev = :rev")
        .set_expression_attribute_values(Some(values([(":rev", n(rev)), (":next", n(rev + 1))])))
        .build()
        .map_err(fail::build)?;
    Ok(vec![TransactWriteItem::builder().update(update).build()])
}

/// Why a transaction carrying [`raise`]`(rev)` first was cancelled: `Ok(())` when another change
/// got in first (start over), or the error to answer.
fn refused(reasons: &[Option<String>], rev: i64) -> Result<()> {
    let head = if rev == 0 { 2 } else { 1 };
    let is = |i: usize, code: &str| reasons.get(i).and_then(Option::as_deref) == Some(code);
    if rev == 0 && is(0, "ConditionalCheckFailed") {
        // SQL refuses a menu entry of an unknown shop by its foreign key, a constraint.
        return Err(StoreError::Conflict("no such shop".into()));
    }
    if is(head - 1, "ConditionalCheckFailed")
        || reasons
            .iter()
            .any(|r| r.as_deref() == Some("TransactionConflict"))
    {
        return Ok(());
    }
    Err(StoreError::Backend(format!(
        "DynamoDB refused a menu change: {reasons:?}"
    )))
}

/// A short random pause before starting over, longer with each try.
async fn pause(attempt: u32) {
    let mut r = [0u8; 1];
    // Only spreads the retries apart; without randomness they are merely less spread.
    let _ = getrandom::fill(&mut r);
    let ms = (4u64 << attempt.min(5)) + u64::from(r[0] % 16);
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

/// Makes a change of the menu: reads it, lets `decide` say what to write (or answer an error)
/// from what it read, and commits that with the revision raised; starts over when another
/// change got in between (see the module's doc).
async fn edit<T>(
    store: &DynamoStore,
    shop: &ShopId,
    mut decide: impl FnMut(&State) -> Result<Plan<T>>,
) -> Result<T> {
    for attempt in 0..MAX_TRIES {
        if attempt > 0 {
            pause(attempt).await;
        }
        let st = load(store, shop).await?;
        let Plan {
            mut actions,
            overflow,
            out,
        } = decide(&st)?;
        if actions.is_empty() {
            return Ok(out);
        }
        let mut tx = raise(store, shop, st.rev)?;
        let room = MAX_ACTIONS - tx.len();
        let rest = actions.split_off(actions.len().min(room));
        if !rest.is_empty() && overflow == Overflow::Never {
            return Err(StoreError::Backend(format!(
                "a menu change of {} writes (at most {room})",
                actions.len() + rest.len()
            )));
        }
        tx.extend(actions);
        match store.transact(tx).await? {
            Ok(()) => {
                match overflow {
                    Overflow::Chained => chain(store, shop, st.rev + 1, rest).await?,
                    Overflow::Orphans => sweep(store, rest).await,
                    Overflow::Never => {}
                }
                return Ok(out);
            }
            Err(reasons) => refused(&reasons, st.rev)?,
        }
    }
    Err(StoreError::Unavailable(
        "the menu is being changed by others at the same time; try again".into(),
    ))
}

/// Splits `actions` into transactions of at most `size`.
fn batches(actions: Vec<TransactWriteItem>, size: usize) -> Vec<Vec<TransactWriteItem>> {
    let mut out: Vec<Vec<TransactWriteItem>> = vec![];
    for a in actions {
        match out.last_mut() {
            Some(last) if last.len() < size => last.push(a),
            _ => out.push(vec![a]),
        }
    }
    out
}

/// The rest of a change too large for one transaction, in order, each part raising the
/// revision from the one before. A change made by someone else in between stops it: what is
/// written stays (every entry keeps a position), and the caller is told to look again.
async fn chain(
    store: &DynamoStore,
    shop: &ShopId,
    mut rev: i64,
    rest: Vec<TransactWriteItem>,
) -> Result<()> {
    for part in batches(rest, MAX_ACTIONS - 1) {
        let mut tx = raise(store, shop, rev)?;
        tx.extend(part);
        if let Err(reasons) = store.transact(tx).await? {
            tracing::warn!(?reasons, %shop, "a long menu change was interrupted");
            return Err(StoreError::Conflict(
                "the menu changed while it was being reordered; look at it and try again".into(),
            ));
        }
        rev += 1;
    }
    Ok(())
}

/// Deletes entries already out of sight, as far as it goes: a failure leaves items that are
/// never read again, so it is logged rather than answered.
async fn sweep(store: &DynamoStore, rest: Vec<TransactWriteItem>) {
    for part in batches(rest, MAX_ACTIONS) {
        match store.transact(part).await {
            Ok(Ok(())) => {}
            Ok(Err(reasons)) => tracing::warn!(?reasons, "leftover menu entries not deleted"),
            Err(e) => tracing::warn!(error = %e, "leftover menu entries not deleted"),
        }
    }
}

/// The position a new entry gets among `siblings` (one past the last), or the error when they
/// are [`MAX_ENTRIES`] already: as SQL's `next_position`.
fn next_position(siblings: impl Iterator<Item = i64>) -> Result<i64> {
    let (mut count, mut max) = (0usize, -1i64);
    for p in siblings {
        count += 1;
        max = max.max(p);
    }
    if count >= MAX_ENTRIES {
        return Err(StoreError::Validation(ValidationErrors::single(
            "menu",
            "too_many",
            format!("at most {MAX_ENTRIES} entries here"),
        )));
    }
    Ok(max + 1)
}

fn unknown_category() -> StoreError {
    StoreError::Validation(ValidationErrors::single(
        "category_id",
        "unknown",
        "no such category in this shop",
    ))
}

fn taken(id: &str) -> StoreError {
    StoreError::Conflict(format!("the menu already has an entry {id}"))
}

/// The whole menu, in position order, as one state even when it takes several pages: the
/// revision is read before and after, and the read made again when they differ (after a few
/// tries the last read is answered, every entry in it as stored).
pub(super) async fn menu(store: &DynamoStore, shop: &ShopId) -> Result<Menu> {
    let mut attempt = 0;
    loop {
        let before = revision(store, shop).await?;
        let stored = entries(store, shop).await?;
        attempt += 1;
        if attempt >= MAX_READS || revision(store, shop).await? == before {
            return Ok(State::parse(before, stored)?.menu());
        }
    }
}

pub(super) async fn create_category(
    store: &DynamoStore,
    shop: &ShopId,
    id: CategoryId,
    c: CategoryChange,
    now: Timestamp,
) -> Result<Category> {
    edit(store, shop, |st| {
        let position = match c.position {
            Some(p) => p,
            None => next_position(st.categories.iter().map(|c| c.v.position))?,
        };
        if st.category(id.as_str()).is_some() {
            return Err(taken(id.as_str()));
        }
        let mut raw = Kind::Category.key(shop, id.as_str());
        raw.extend(item([
            ("name", s(c.name.clone().unwrap_or_default())),
            ("position", n(position)),
            ("created_at", n_ts(now)),
        ]));
        let category = parse_category(id.as_str(), &raw)?;
        Ok(plan(vec![put(&store.main, raw)?], category))
    })
    .await
}

pub(super) async fn update_category(
    store: &DynamoStore,
    shop: &ShopId,
    id: &CategoryId,
    c: CategoryChange,
) -> Result<Category> {
    edit(store, shop, |st| {
        let row = st.category(id.as_str()).ok_or(StoreError::NotFound)?;
        let mut raw = row.raw.clone();
        if let Some(name) = &c.name {
            raw.insert("name".into(), s(name.clone()));
        }
        if let Some(position) = c.position {
            raw.insert("position".into(), n(position));
        }
        let mut category = parse_category(id.as_str(), &raw)?;
        // Its items, as the menu holds them (moving the category does not reorder them).
        category.items = st
            .items
            .iter()
            .filter(|i| i.v.category_id == *id)
            .map(|i| st.full_item(&i.v))
            .collect();
        Ok(plan(vec![put(&store.main, raw)?], category))
    })
    .await
}

pub(super) async fn delete_category(
    store: &DynamoStore,
    shop: &ShopId,
    id: &CategoryId,
) -> Result<()> {
    edit(store, shop, |st| {
        if st.items.iter().any(|i| i.v.category_id == *id) {
            return Err(StoreError::Conflict(
                "the category still has items; move or delete them first".into(),
            ));
        }
        let row = st.category(id.as_str()).ok_or(StoreError::NotFound)?;
        let gone = delete(&store.main, Kind::Category.key(shop, row.v.id.as_str()))?;
        Ok(plan(vec![gone], ()))
    })
    .await
}

pub(super) async fn create_item(
    store: &DynamoStore,
    shop: &ShopId,
    id: MenuItemId,
    c: ItemChange,
    now: Timestamp,
) -> Result<MenuItem> {
    edit(store, shop, |st| {
        let category = c.category_id.as_ref().ok_or_else(unknown_category)?;
        st.category(category.as_str())
            .ok_or_else(unknown_category)?;
        let position = match c.position {
            Some(p) => p,
            None => next_position(
                st.items
                    .iter()
                    .filter(|i| i.v.category_id == *category)
                    .map(|i| i.v.position),
            )?,
        };
        if st.item(id.as_str()).is_some() {
            return Err(taken(id.as_str()));
        }
        let mut raw = Kind::Item.key(shop, id.as_str());
        raw.extend(item([
            ("category_id", s(category.as_str())),
            ("name", s(c.name.clone().unwrap_or_default())),
            ("price", n(c.price.unwrap_or(0))),
            ("sold_out", b(c.sold_out.unwrap_or(false))),
            ("hidden", b(c.hidden.unwrap_or(false))),
            ("position", n(position)),
            ("created_at", n_ts(now)),
            ("updated_at", n_ts(now)),
        ]));
        if let Some(description) = c.description.clone().flatten() {
            raw.insert("description".into(), s(description));
        }
        let created = parse_item(id.as_str(), &raw)?;
        Ok(plan(vec![put(&store.main, raw)?], created))
    })
    .await
}

pub(super) async fn update_item(
    store: &DynamoStore,
    shop: &ShopId,
    id: &MenuItemId,
    c: ItemChange,
    now: Timestamp,
) -> Result<MenuItem> {
    edit(store, shop, |st| {
        let row = st.item(id.as_str()).ok_or(StoreError::NotFound)?;
        let mut raw = row.raw.clone();
        if let Some(category) = &c.category_id {
            st.category(category.as_str())
                .ok_or_else(unknown_category)?;
            raw.insert("category_id".into(), s(category.as_str()));
        }
        if let Some(name) = &c.name {
            raw.insert("name".into(), s(name.clone()));
        }
        match &c.description {
            Some(Some(description)) => {
                raw.insert("description".into(), s(description.clone()));
            }
            Some(None) => {
                raw.remove("description");
            }
            None => {}
        }
        for (name, value) in [("sold_out", c.sold_out), ("hidden", c.hidden)] {
            if let Some(v) = value {
                raw.insert(name.into(), b(v));
            }
        }
        for (name, value) in [("price", c.price), ("position", c.position)] {
            if let Some(v) = value {
                raw.insert(name.into(), n(v));
            }
        }
        raw.insert("updated_at".into(), n_ts(now));
        let changed = st.full_item(&parse_item(id.as_str(), &raw)?);
        Ok(plan(vec![put(&store.main, raw)?], changed))
    })
    .await
}

/// The deletions of an item's photo chunks (as many as its `photo_chunks` says).
fn photo_deletions(
    store: &DynamoStore,
    row: &Row<MenuItem>,
    from: usize,
) -> Result<Vec<TransactWriteItem>> {
    let chunks = usize::try_from(row.raw.opt_n("photo_chunks")?.unwrap_or(0)).unwrap_or(0);
    (from..chunks)
        .map(|i| delete(&store.main, key(photo_pk(&row.v.id), chunk_sk(i))))
        .collect()
}

pub(super) async fn delete_item(store: &DynamoStore, shop: &ShopId, id: &MenuItemId) -> Result<()> {
    edit(store, shop, |st| {
        let row = st.item(id.as_str()).ok_or(StoreError::NotFound)?;
        // The item and its photo first: should the groups and options not fit in the same
        // transaction, they are out of sight from then on (SQL's ON DELETE CASCADE).
        let mut actions = vec![delete(&store.main, Kind::Item.key(shop, id.as_str()))?];
        actions.extend(photo_deletions(store, row, 0)?);
        for g in st.groups.iter().filter(|g| g.v.item_id == *id) {
            actions.push(delete(&store.main, Kind::Group.key(shop, g.v.id.as_str()))?);
            for o in st.options.iter().filter(|o| o.v.group_id == g.v.id) {
                actions.push(delete(
                    &store.main,
                    Kind::Option.key(shop, o.v.id.as_str()),
                )?);
            }
        }
        Ok(Plan {
            actions,
            overflow: Overflow::Orphans,
            out: (),
        })
    })
    .await
}

pub(super) async fn set_item_photo(
    store: &DynamoStore,
    shop: &ShopId,
    id: &MenuItemId,
    photo: Option<ItemPhoto>,
    now: Timestamp,
) -> Result<MenuItem> {
    if let Some(p) = &photo {
        if p.bytes.len() > MAX_PHOTO_BYTES {
            return Err(StoreError::Validation(ValidationErrors::single(
                "photo",
                "too_large",
                format!("a photo may be at most {MAX_PHOTO_BYTES} bytes here"),
            )));
        }
    }
    edit(store, shop, |st| {
        let row = st.item(id.as_str()).ok_or(StoreError::NotFound)?;
        let mut raw = row.raw.clone();
        let mut actions = vec![];
        let chunks = match &photo {
            None => {
                raw.remove("photo");
                raw.remove("photo_chunks");
                0
            }
            Some(p) => {
                let parts: Vec<&[u8]> = if p.bytes.is_empty() {
                    vec![&[]]
                } else {
                    p.bytes.chunks(CHUNK_BYTES).collect()
                };
                let count = i64::try_from(parts.len()).unwrap_or(i64::MAX);
                for (i, part) in parts.iter().enumerate() {
                    let mut chunk = key(photo_pk(id), chunk_sk(i));
                    chunk.extend(item([
                        ("shop", s(shop.as_str())),
                        ("digest", s(p.digest.clone())),
                        ("count", n(count)),
                        ("bytes", AttributeValue::B(part.to_vec().into())),
                    ]));
                    if i == 0 {
                        chunk.extend(item([
                            ("content_type", s(p.content_type.clone())),
                            ("width", n(i64::from(p.width))),
                            ("height", n(i64::from(p.height))),
                        ]));
                    }
                    actions.push(put(&store.main, chunk)?);
                }
                raw.insert("photo".into(), s(p.digest.clone()));
                raw.insert("photo_chunks".into(), n(count));
                parts.len()
            }
        };
        // Chunks of the photo before that the new one does not overwrite.
        actions.extend(photo_deletions(store, row, chunks)?);
        raw.insert("updated_at".into(), n_ts(now));
        let changed = st.full_item(&parse_item(id.as_str(), &raw)?);
        actions.push(put(&store.main, raw)?);
        Ok(plan(actions, changed))
    })
    .await
}

/// One photo as its chunks say, or `None` when they do not make one whole photo (read while
/// it changed).
fn assemble_photo(chunks: &[Item]) -> Result<Option<ItemPhoto>> {
    let Some(first) = chunks.first() else {
        return Ok(None);
    };
    let digest = first.get_s("digest")?;
    let count = usize::try_from(first.get_n("count")?).unwrap_or(0);
    if chunks.len() != count {
        return Ok(None);
    }
    let mut bytes = vec![];
    for (i, chunk) in chunks.iter().enumerate() {
        if chunk.get_s("sk")? != chunk_sk(i) || chunk.get_s("digest")? != digest {
            return Ok(None);
        }
        match chunk.get("bytes") {
            Some(AttributeValue::B(part)) => {
                bytes.extend_from_slice(part.as_ref());
            }
            _ => {
                return Err(StoreError::Backend(
                    "a stored photo chunk lacks its bytes".into(),
                ));
            }
        }
    }
    let size = |name: &str| -> Result<u32> {
        u32::try_from(first.get_n(name)?)
            .map_err(|e| StoreError::Backend(format!("photo size: {e}")))
    };
    Ok(Some(ItemPhoto {
        digest: digest.to_owned(),
        content_type: first.get_s("content_type")?.to_owned(),
        width: size("width")?,
        height: size("height")?,
        bytes,
    }))
}

/// An item's current photo, whatever shop it belongs to (photo addresses are public). A read
/// that straddles a change (chunks of two photos) is made again.
pub(super) async fn item_photo(store: &DynamoStore, id: &MenuItemId) -> Result<Option<ItemPhoto>> {
    for attempt in 0..MAX_READS {
        if attempt > 0 {
            pause(attempt).await;
        }
        let query = store
            .client
            .query()
            .table_name(&store.main)
            .key_condition_expression("pk = :pk")
            .set_expression_attribute_values(Some(values([(":pk", s(photo_pk(id)))])))
            .consistent_read(true);
        let chunks = store.query_all(query, None).await?;
        if chunks.is_empty() {
            return Ok(None);
        }
        if let Some(photo) = assemble_photo(&chunks)? {
            return Ok(Some(photo));
        }
    }
    Err(StoreError::Unavailable(
        "the photo is being changed; try again".into(),
    ))
}

/// Moves a category (in the menu) or an item (in its category) one place toward the start
/// (`up`) or the end, renumbering its siblings 0, 1, 2… in the new order (only those whose
/// position changes are written). False when it is already first or last.
pub(super) async fn move_menu_entry(
    store: &DynamoStore,
    shop: &ShopId,
    entry: MenuEntry,
    up: bool,
) -> Result<bool> {
    edit(store, shop, |st| {
        // (id, position, stored item) of the siblings, in order.
        let (id, siblings): (&str, Vec<(&str, i64, &Item)>) = match &entry {
            MenuEntry::Category(id) => (
                id.as_str(),
                st.categories
                    .iter()
                    .map(|c| (c.v.id.as_str(), c.v.position, &c.raw))
                    .collect(),
            ),
            MenuEntry::Item(id) => {
                let row = st.item(id.as_str()).ok_or(StoreError::NotFound)?;
                (
                    id.as_str(),
                    st.items
                        .iter()
                        .filter(|i| i.v.category_id == row.v.category_id)
                        .map(|i| (i.v.id.as_str(), i.v.position, &i.raw))
                        .collect(),
                )
            }
        };
        let mut order = siblings;
        let at = order
            .iter()
            .position(|(i, _, _)| *i == id)
            .ok_or(StoreError::NotFound)?;
        let to = if up {
            at.checked_sub(1)
        } else {
            Some(at + 1).filter(|t| *t < order.len())
        };
        let Some(to) = to else {
            return Ok(plan(vec![], false));
        };
        order.swap(at, to);
        let mut actions = vec![];
        for (position, (_, stored, raw)) in order.iter().enumerate() {
            let position = i64::try_from(position).unwrap_or(i64::MAX);
            if *stored != position {
                let mut raw = (*raw).clone();
                raw.insert("position".into(), n(position));
                actions.push(put(&store.main, raw)?);
            }
        }
        Ok(Plan {
            actions,
            overflow: Overflow::Chained,
            out: true,
        })
    })
    .await
}

pub(super) async fn create_option_group(
    store: &DynamoStore,
    shop: &ShopId,
    item_id: &MenuItemId,
    id: OptionGroupId,
    c: OptionGroupChange,
) -> Result<OptionGroup> {
    edit(store, shop, |st| {
        st.item(item_id.as_str()).ok_or(StoreError::NotFound)?;
        let position = match c.position {
            Some(p) => p,
            None => next_position(
                st.groups
                    .iter()
                    .filter(|g| g.v.item_id == *item_id)
                    .map(|g| g.v.position),
            )?,
        };
        if st.group(id.as_str()).is_some() {
            return Err(taken(id.as_str()));
        }
        let mut raw = Kind::Group.key(shop, id.as_str());
        raw.extend(item([
            ("item_id", s(item_id.as_str())),
            ("name", s(c.name.clone().unwrap_or_default())),
            ("min", n(c.min.unwrap_or(0))),
            ("max", n(c.max.unwrap_or(1))),
            ("position", n(position)),
        ]));
        let group = parse_group(id.as_str(), &raw)?;
        Ok(plan(vec![put(&store.main, raw)?], group))
    })
    .await
}

pub(super) async fn update_option_group(
    store: &DynamoStore,
    shop: &ShopId,
    id: &OptionGroupId,
    c: OptionGroupChange,
) -> Result<OptionGroup> {
    edit(store, shop, |st| {
        let row = st.group(id.as_str()).ok_or(StoreError::NotFound)?;
        c.check_against(&row.v)?;
        let mut raw = row.raw.clone();
        if let Some(name) = &c.name {
            raw.insert("name".into(), s(name.clone()));
        }
        for (name, value) in [("min", c.min), ("max", c.max), ("position", c.position)] {
            if let Some(v) = value {
                raw.insert(name.into(), n(v));
            }
        }
        let group = st.full_group(&parse_group(id.as_str(), &raw)?);
        Ok(plan(vec![put(&store.main, raw)?], group))
    })
    .await
}

pub(super) async fn delete_option_group(
    store: &DynamoStore,
    shop: &ShopId,
    id: &OptionGroupId,
) -> Result<()> {
    edit(store, shop, |st| {
        st.group(id.as_str()).ok_or(StoreError::NotFound)?;
        // The group first; its options go with it (SQL's ON DELETE CASCADE).
        let mut actions = vec![delete(&store.main, Kind::Group.key(shop, id.as_str()))?];
        for o in st.options.iter().filter(|o| o.v.group_id == *id) {
            actions.push(delete(
                &store.main,
                Kind::Option.key(shop, o.v.id.as_str()),
            )?);
        }
        Ok(Plan {
            actions,
            overflow: Overflow::Orphans,
            out: (),
        })
    })
    .await
}

pub(super) async fn create_option(
    store: &DynamoStore,
    shop: &ShopId,
    group: &OptionGroupId,
    id: OptionId,
    c: OptionChange,
) -> Result<MenuOption> {
    edit(store, shop, |st| {
        st.group(group.as_str()).ok_or(StoreError::NotFound)?;
        let position = match c.position {
            Some(p) => p,
            None => next_position(
                st.options
                    .iter()
                    .filter(|o| o.v.group_id == *group)
                    .map(|o| o.v.position),
            )?,
        };
        if st.option(id.as_str()).is_some() {
            return Err(taken(id.as_str()));
        }
        let mut raw = Kind::Option.key(shop, id.as_str());
        raw.extend(item([
            ("group_id", s(group.as_str())),
            ("name", s(c.name.clone().unwrap_or_default())),
            ("price", n(c.price.unwrap_or(0))),
            ("sold_out", b(c.sold_out.unwrap_or(false))),
            ("position", n(position)),
        ]));
        let option = parse_option(id.as_str(), &raw)?;
        Ok(plan(vec![put(&store.main, raw)?], option))
    })
    .await
}

pub(super) async fn update_option(
    store: &DynamoStore,
    shop: &ShopId,
    id: &OptionId,
    c: OptionChange,
) -> Result<MenuOption> {
    edit(store, shop, |st| {
        let row = st.option(id.as_str()).ok_or(StoreError::NotFound)?;
        let mut raw = row.raw.clone();
        if let Some(name) = &c.name {
            raw.insert("name".into(), s(name.clone()));
        }
        if let Some(sold_out) = c.sold_out {
            raw.insert("sold_out".into(), b(sold_out));
        }
        for (name, value) in [("price", c.price), ("position", c.position)] {
            if let Some(v) = value {
                raw.insert(name.into(), n(v));
            }
        }
        let option = parse_option(id.as_str(), &raw)?;
        Ok(plan(vec![put(&store.main, raw)?], option))
    })
    .await
}

pub(super) async fn delete_option(store: &DynamoStore, shop: &ShopId, id: &OptionId) -> Result<()> {
    edit(store, shop, |st| {
        st.option(id.as_str()).ok_or(StoreError::NotFound)?;
        let gone = delete(&store.main, Kind::Option.key(shop, id.as_str()))?;
        Ok(plan(vec![gone], ()))
    })
    .await
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        reason = "tests"
    )]
    use super::*;

    #[test]
    fn positions_follow_the_last_and_stop_at_the_limit() {
        assert_eq!(next_position([].into_iter()).unwrap(), 0);
        assert_eq!(next_position([3, 0, 7].into_iter()).unwrap(), 8);
        let full = (0..i64::try_from(MAX_ENTRIES).unwrap()).map(|p| p * 2);
        assert!(matches!(
            next_position(full),
            Err(StoreError::Validation(_))
        ));
    }

    #[test]
    fn batches_keep_order_and_size() {
        let action = || delete("t", key("a", "b")).unwrap();
        let parts = batches((0..250).map(|_| action()).collect(), 99);
        assert_eq!(parts.iter().map(Vec::len).collect::<Vec<_>>(), [99, 99, 52]);
        assert!(batches(vec![], 99).is_empty());
    }

    fn chunk(i: usize, count: i64, digest: &str, bytes: &[u8]) -> Item {
        let mut c = key("PHOTO#x", chunk_sk(i));
        c.extend(item([
            ("digest", s(digest)),
            ("count", n(count)),
            ("bytes", AttributeValue::B(bytes.to_vec().into())),
            ("content_type", s("image/jpeg")),
            ("width", n(4)),
            ("height", n(3)),
        ]));
        c
    }

    #[test]
    fn a_photo_read_across_a_change_is_not_taken_for_one() {
        let whole = [chunk(0, 2, "d", &[1, 2]), chunk(1, 2, "d", &[3])];
        let photo = assemble_photo(&whole).unwrap().unwrap();
        assert_eq!(
            (photo.bytes, photo.width, photo.height),
            (vec![1, 2, 3], 4, 3)
        );
        let mixed = [chunk(0, 2, "d", &[1, 2]), chunk(1, 2, "e", &[3])];
        assert_eq!(assemble_photo(&mixed).unwrap(), None);
        let short = [chunk(0, 2, "d", &[1, 2])];
        assert_eq!(assemble_photo(&short).unwrap(), None);
        let gap = [chunk(0, 2, "d", &[1, 2]), chunk(2, 2, "d", &[3])];
        assert_eq!(assemble_photo(&gap).unwrap(), None);
        assert_eq!(assemble_photo(&[]).unwrap(), None);
    }

    // Against the emulator (ORDERBELL_TEST_DYNAMODB_URL): what the shared stories do not reach.

    fn rid<T>(make: fn(i64, [u8; 10]) -> T) -> T {
        let mut r = [0u8; 10];
        getrandom::fill(&mut r).unwrap();
        make(Timestamp::now().as_millisecond(), r)
    }

    async fn store() -> Option<DynamoStore> {
        let endpoint = std::env::var("ORDERBELL_TEST_DYNAMODB_URL")
            .ok()
            .filter(|u| !u.is_empty())?;
        let mut r = [0u8; 6];
        getrandom::fill(&mut r).unwrap();
        let tag: String = r.iter().map(|b| format!("{b:02x}")).collect();
        let url = format!("dynamodb://menu{tag}?region=us-east-1&endpoint={endpoint}");
        let credentials = super::super::Credentials::new("testing", "testing", None, None, "t");
        Some(
            DynamoStore::open_with(&url, Some(credentials))
                .await
                .unwrap(),
        )
    }

    /// A shop as far as the menu cares: its item exists.
    async fn shop(store: &DynamoStore) -> ShopId {
        let id = rid(ShopId::from_parts);
        store
            .client
            .put_item()
            .table_name(&store.main)
            .set_item(Some(key(shop_pk(&id), "SHOP")))
            .send()
            .await
            .unwrap();
        id
    }

    async fn category(store: &DynamoStore, shop: &ShopId, position: Option<i64>) -> Category {
        let c = CategoryChange {
            name: Some("C".into()),
            position,
        };
        create_category(
            store,
            shop,
            rid(CategoryId::from_parts),
            c,
            Timestamp::now(),
        )
        .await
        .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_unknown_shop_gets_no_menu_entries() {
        let Some(store) = store().await else { return };
        let nowhere = rid(ShopId::from_parts);
        let c = CategoryChange {
            name: Some("C".into()),
            position: None,
        };
        let made = create_category(
            &store,
            &nowhere,
            rid(CategoryId::from_parts),
            c,
            Timestamp::now(),
        )
        .await;
        assert!(matches!(made, Err(StoreError::Conflict(_))), "{made:?}");
        assert!(menu(&store, &nowhere).await.unwrap().categories.is_empty());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn large_photos_take_several_chunks_and_leave_none_behind() {
        let Some(store) = store().await else { return };
        let sh = shop(&store).await;
        let cat = category(&store, &sh, None).await;
        let change = ItemChange {
            category_id: Some(cat.id.clone()),
            name: Some("Cake".into()),
            price: Some(1),
            ..Default::default()
        };
        let it = create_item(
            &store,
            &sh,
            rid(MenuItemId::from_parts),
            change,
            Timestamp::now(),
        )
        .await
        .unwrap();
        let photo = |digest: &str, len: usize| ItemPhoto {
            digest: digest.into(),
            content_type: "image/jpeg".into(),
            width: 1024,
            height: 768,
            bytes: (0..len).map(|i| u8::try_from(i % 251).unwrap()).collect(),
        };
        let big = photo("big", 2 * CHUNK_BYTES + 17);
        set_item_photo(&store, &sh, &it.id, Some(big.clone()), Timestamp::now())
            .await
            .unwrap();
        assert_eq!(item_photo(&store, &it.id).await.unwrap(), Some(big));
        let small = photo("small", 10);
        set_item_photo(&store, &sh, &it.id, Some(small.clone()), Timestamp::now())
            .await
            .unwrap();
        assert_eq!(item_photo(&store, &it.id).await.unwrap(), Some(small));
        let chunks = |store: &DynamoStore| {
            store
                .client
                .query()
                .table_name(&store.main)
                .key_condition_expression("pk = :pk")
                .set_expression_attribute_values(Some(values([(":pk", s(photo_pk(&it.id)))])))
                .consistent_read(true)
        };
        assert_eq!(
            store.query_all(chunks(&store), None).await.unwrap().len(),
            1
        );
        let too_big = photo("huge", MAX_PHOTO_BYTES + 1);
        let refused = set_item_photo(&store, &sh, &it.id, Some(too_big), Timestamp::now()).await;
        assert!(
            matches!(refused, Err(StoreError::Validation(_))),
            "{refused:?}"
        );
        delete_item(&store, &sh, &it.id).await.unwrap();
        assert!(
            store
                .query_all(chunks(&store), None)
                .await
                .unwrap()
                .is_empty()
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn renumbering_more_siblings_than_a_transaction_holds() {
        let Some(store) = store().await else { return };
        let sh = shop(&store).await;
        let mut ids = vec![];
        for i in 0..101 {
            ids.push(category(&store, &sh, Some(10 * i + 5)).await.id);
        }
        let moved = move_menu_entry(&store, &sh, MenuEntry::Category(ids[1].clone()), true)
            .await
            .unwrap();
        assert!(moved);
        ids.swap(0, 1);
        let m = menu(&store, &sh).await.unwrap();
        assert_eq!(
            m.categories
                .iter()
                .map(|c| c.id.clone())
                .collect::<Vec<_>>(),
            ids
        );
        assert!(
            m.categories
                .iter()
                .enumerate()
                .all(|(i, c)| c.position == i64::try_from(i).unwrap())
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn deleting_an_item_with_more_children_than_a_transaction_holds() {
        let Some(store) = store().await else { return };
        let sh = shop(&store).await;
        let cat = category(&store, &sh, None).await;
        let change = ItemChange {
            category_id: Some(cat.id.clone()),
            name: Some("Tea".into()),
            price: Some(1),
            ..Default::default()
        };
        let it = create_item(
            &store,
            &sh,
            rid(MenuItemId::from_parts),
            change,
            Timestamp::now(),
        )
        .await
        .unwrap();
        let g = create_option_group(
            &store,
            &sh,
            &it.id,
            rid(OptionGroupId::from_parts),
            OptionGroupChange {
                name: Some("G".into()),
                min: Some(0),
                max: Some(1),
                position: None,
            },
        )
        .await
        .unwrap();
        for _ in 0..100 {
            let o = OptionChange {
                name: Some("O".into()),
                price: Some(0),
                ..Default::default()
            };
            create_option(&store, &sh, &g.id, rid(OptionId::from_parts), o)
                .await
                .unwrap();
        }
        let m = menu(&store, &sh).await.unwrap();
        assert_eq!(m.categories[0].items[0].option_groups[0].options.len(), 100);
        delete_item(&store, &sh, &it.id).await.unwrap();
        assert!(
            menu(&store, &sh).await.unwrap().categories[0]
                .items
                .is_empty()
        );
        // Nothing is left under the shop but the category and the revision.
        let left = entries(&store, &sh).await.unwrap();
        assert_eq!(left.len(), 2, "{left:?}");
    }
}
