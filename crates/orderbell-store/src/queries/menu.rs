//! The menu of a shop: categories, items, option groups and options.
//! Every statement is scoped by `shop_id`, so an id from another shop is simply not found.

use orderbell_core::menu::{
    Category, CategoryChange, ItemChange, MAX_ENTRIES, Menu, MenuEntry, MenuItem, MenuOption,
    OptionChange, OptionGroup, OptionGroupChange,
};
use orderbell_core::{
    CategoryId, MenuItemId, OptionGroupId, OptionId, ShopId, Timestamp, ValidationErrors,
};

use crate::db::{Db, Row};
use crate::{ItemPhoto, Result, StoreError, params};

use super::changed;

const CATEGORY_SQL: &str = "SELECT id, name, position FROM menu_categories WHERE shop_id = $1";
const ITEM_SQL: &str = "SELECT id, category_id, name, description, price, sold_out, position, hidden, photo FROM menu_items WHERE shop_id = $1";
const GROUP_SQL: &str = "SELECT id, item_id, name, min_choices, max_choices, position FROM option_groups WHERE shop_id = $1";
const OPTION_SQL: &str =
    "SELECT id, group_id, name, price, sold_out, position FROM options WHERE shop_id = $1";

fn category_from(r: &Row) -> Result<Category> {
    Ok(Category {
        id: CategoryId::from_stored(r.text(0)?),
        name: r.text(1)?,
        position: r.int(2)?,
        items: vec![],
    })
}

fn item_from(r: &Row) -> Result<MenuItem> {
    let id = MenuItemId::from_stored(r.text(0)?);
    Ok(MenuItem {
        photo_url: r
            .opt_text(8)?
            .map(|digest| MenuItem::photo_path(&id, &digest)),
        id,
        category_id: CategoryId::from_stored(r.text(1)?),
        name: r.text(2)?,
        description: r.opt_text(3)?,
        price: r.int(4)?,
        sold_out: r.bool(5)?,
        position: r.int(6)?,
        hidden: r.bool(7)?,
        option_groups: vec![],
    })
}

fn group_from(r: &Row) -> Result<OptionGroup> {
    Ok(OptionGroup {
        id: OptionGroupId::from_stored(r.text(0)?),
        item_id: MenuItemId::from_stored(r.text(1)?),
        name: r.text(2)?,
        min: r.int(3)?,
        max: r.int(4)?,
        position: r.int(5)?,
        options: vec![],
    })
}

fn option_from(r: &Row) -> Result<MenuOption> {
    Ok(MenuOption {
        id: OptionId::from_stored(r.text(0)?),
        group_id: OptionGroupId::from_stored(r.text(1)?),
        name: r.text(2)?,
        price: r.int(3)?,
        sold_out: r.bool(4)?,
        position: r.int(5)?,
    })
}

/// The whole menu, in position order.
pub fn menu(db: &mut dyn Db, shop: &ShopId) -> Result<Menu> {
    let s = shop.as_str();
    let mut categories: Vec<Category> = db
        .query(&format!("{CATEGORY_SQL} ORDER BY position, id"), params![s])?
        .iter()
        .map(category_from)
        .collect::<Result<_>>()?;
    let mut items: Vec<MenuItem> = db
        .query(&format!("{ITEM_SQL} ORDER BY position, id"), params![s])?
        .iter()
        .map(item_from)
        .collect::<Result<_>>()?;
    let mut groups: Vec<OptionGroup> = db
        .query(&format!("{GROUP_SQL} ORDER BY position, id"), params![s])?
        .iter()
        .map(group_from)
        .collect::<Result<_>>()?;
    let options: Vec<MenuOption> = db
        .query(&format!("{OPTION_SQL} ORDER BY position, id"), params![s])?
        .iter()
        .map(option_from)
        .collect::<Result<_>>()?;
    for option in options {
        if let Some(g) = groups.iter_mut().find(|g| g.id == option.group_id) {
            g.options.push(option);
        }
    }
    for group in groups.drain(..) {
        if let Some(i) = items.iter_mut().find(|i| i.id == group.item_id) {
            i.option_groups.push(group);
        }
    }
    for item in items {
        if let Some(c) = categories.iter_mut().find(|c| c.id == item.category_id) {
            c.items.push(item);
        }
    }
    Ok(Menu { categories })
}

fn next_position(db: &mut dyn Db, table: &str, parent_column: &str, parent: &str) -> Result<i64> {
    let sql = format!(
        "SELECT COALESCE(MAX(position), -1) + 1, COUNT(*) FROM {table} WHERE {parent_column} = $1"
    );
    let row = db.query_one(&sql, params![parent])?;
    if usize::try_from(row.int(1)?).unwrap_or(usize::MAX) >= MAX_ENTRIES {
        return Err(StoreError::Validation(ValidationErrors::single(
            "menu",
            "too_many",
            format!("at most {MAX_ENTRIES} entries here"),
        )));
    }
    row.int(0)
}

/// Moves a category (in the menu) or an item (in its category) one place toward the start
/// (`up`) or the end, renumbering its siblings 0, 1, 2… in the new order. False when it is
/// already first or last.
pub fn move_entry(db: &mut dyn Db, shop: &ShopId, entry: &MenuEntry, up: bool) -> Result<bool> {
    let (table, id, siblings) = match entry {
        MenuEntry::Category(id) => (
            "menu_categories",
            id.as_str(),
            db.query(
                "SELECT id FROM menu_categories WHERE shop_id = $1 ORDER BY position, id",
                params![shop.as_str()],
            )?,
        ),
        MenuEntry::Item(id) => {
            let item = load_item(db, shop, id.as_str())?;
            (
                "menu_items",
                id.as_str(),
                db.query(
                    "SELECT id FROM menu_items WHERE shop_id = $1 AND category_id = $2
                     ORDER BY position, id",
                    params![shop.as_str(), item.category_id.as_str()],
                )?,
            )
        }
    };
    let mut ids = siblings
        .iter()
        .map(|r| r.text(0))
        .collect::<Result<Vec<String>>>()?;
    let at = ids
        .iter()
        .position(|i| i == id)
        .ok_or(StoreError::NotFound)?;
    let to = if up {
        at.checked_sub(1)
    } else {
        Some(at + 1).filter(|t| *t < ids.len())
    };
    let Some(to) = to else {
        return Ok(false);
    };
    ids.swap(at, to);
    let sql = format!("UPDATE {table} SET position = $1 WHERE shop_id = $2 AND id = $3");
    for (position, id) in ids.iter().enumerate() {
        let position = i64::try_from(position).unwrap_or(i64::MAX);
        db.execute(&sql, params![position, shop.as_str(), id.as_str()])?;
    }
    Ok(true)
}

/// Sets (or with `None` removes) an item's photo.
pub fn set_item_photo(
    db: &mut dyn Db,
    shop: &ShopId,
    id: &MenuItemId,
    photo: Option<&ItemPhoto>,
    now: Timestamp,
) -> Result<MenuItem> {
    load_item(db, shop, id.as_str())?;
    db.execute(
        "DELETE FROM menu_photos WHERE shop_id = $1 AND item_id = $2",
        params![shop.as_str(), id.as_str()],
    )?;
    if let Some(p) = photo {
        db.execute(
            "INSERT INTO menu_photos (item_id, shop_id, digest, content_type, width, height, bytes, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            params![
                id.as_str(),
                shop.as_str(),
                p.digest.as_str(),
                p.content_type.as_str(),
                i64::from(p.width),
                i64::from(p.height),
                p.bytes.clone(),
                now
            ],
        )?;
    }
    db.execute(
        "UPDATE menu_items SET photo = $1, updated_at = $2 WHERE shop_id = $3 AND id = $4",
        params![
            photo.map(|p| p.digest.clone()),
            now,
            shop.as_str(),
            id.as_str()
        ],
    )?;
    load_item(db, shop, id.as_str())
}

/// An item's current photo, whatever shop it belongs to (photo addresses are public).
pub fn item_photo(db: &mut dyn Db, id: &MenuItemId) -> Result<Option<ItemPhoto>> {
    let Some(r) = db.query_opt(
        "SELECT digest, content_type, width, height, bytes FROM menu_photos WHERE item_id = $1",
        params![id.as_str()],
    )?
    else {
        return Ok(None);
    };
    let size = |i: usize| -> Result<u32> {
        u32::try_from(r.int(i)?).map_err(|e| StoreError::Backend(format!("photo size: {e}")))
    };
    Ok(Some(ItemPhoto {
        digest: r.text(0)?,
        content_type: r.text(1)?,
        width: size(2)?,
        height: size(3)?,
        bytes: r.bytes(4)?,
    }))
}

fn load_category(db: &mut dyn Db, shop: &ShopId, id: &str) -> Result<Category> {
    let sql = format!("{CATEGORY_SQL} AND id = $2");
    let row = db
        .query_opt(&sql, params![shop.as_str(), id])?
        .ok_or(StoreError::NotFound)?;
    category_from(&row)
}

fn load_item(db: &mut dyn Db, shop: &ShopId, id: &str) -> Result<MenuItem> {
    let sql = format!("{ITEM_SQL} AND id = $2");
    let row = db
        .query_opt(&sql, params![shop.as_str(), id])?
        .ok_or(StoreError::NotFound)?;
    let mut item = item_from(&row)?;
    let groups_sql = format!("{GROUP_SQL} AND item_id = $2 ORDER BY position, id");
    let groups = db.query(&groups_sql, params![shop.as_str(), id])?;
    for g in &groups {
        let mut group = group_from(g)?;
        group.options = load_options(db, shop, group.id.as_str())?;
        item.option_groups.push(group);
    }
    Ok(item)
}

fn load_group(db: &mut dyn Db, shop: &ShopId, id: &str) -> Result<OptionGroup> {
    let sql = format!("{GROUP_SQL} AND id = $2");
    let row = db
        .query_opt(&sql, params![shop.as_str(), id])?
        .ok_or(StoreError::NotFound)?;
    let mut group = group_from(&row)?;
    group.options = load_options(db, shop, id)?;
    Ok(group)
}

fn load_options(db: &mut dyn Db, shop: &ShopId, group: &str) -> Result<Vec<MenuOption>> {
    let sql = format!("{OPTION_SQL} AND group_id = $2 ORDER BY position, id");
    db.query(&sql, params![shop.as_str(), group])?
        .iter()
        .map(option_from)
        .collect()
}

fn load_option(db: &mut dyn Db, shop: &ShopId, id: &str) -> Result<MenuOption> {
    let sql = format!("{OPTION_SQL} AND id = $2");
    let row = db
        .query_opt(&sql, params![shop.as_str(), id])?
        .ok_or(StoreError::NotFound)?;
    option_from(&row)
}

fn unknown_category() -> StoreError {
    StoreError::Validation(ValidationErrors::single(
        "category_id",
        "unknown",
        "no such category in this shop",
    ))
}

pub fn create_category(
    db: &mut dyn Db,
    shop: &ShopId,
    id: &CategoryId,
    c: &CategoryChange,
    now: Timestamp,
) -> Result<Category> {
    let position = match c.position {
        Some(p) => p,
        None => next_position(db, "menu_categories", "shop_id", shop.as_str())?,
    };
    db.execute(
        "INSERT INTO menu_categories (id, shop_id, name, position, created_at) VALUES ($1, $2, $3, $4, $5)",
        params![id.as_str(), shop.as_str(), c.name.clone().unwrap_or_default(), position, now],
    )?;
    load_category(db, shop, id.as_str())
}

pub fn update_category(
    db: &mut dyn Db,
    shop: &ShopId,
    id: &CategoryId,
    c: &CategoryChange,
) -> Result<Category> {
    changed(db.execute(
        "UPDATE menu_categories SET name = COALESCE($1, name), position = COALESCE($2, position)
         WHERE shop_id = $3 AND id = $4",
        params![c.name.clone(), c.position, shop.as_str(), id.as_str()],
    )?)?;
    let mut category = load_category(db, shop, id.as_str())?;
    category.items = menu(db, shop)?
        .categories
        .into_iter()
        .find(|cat| cat.id == *id)
        .map(|cat| cat.items)
        .unwrap_or_default();
    Ok(category)
}

pub fn delete_category(db: &mut dyn Db, shop: &ShopId, id: &CategoryId) -> Result<()> {
    let items = db
        .query_one(
            "SELECT COUNT(*) FROM menu_items WHERE shop_id = $1 AND category_id = $2",
            params![shop.as_str(), id.as_str()],
        )?
        .int(0)?;
    if items > 0 {
        return Err(StoreError::Conflict(
            "the category still has items; move or delete them first".into(),
        ));
    }
    changed(db.execute(
        "DELETE FROM menu_categories WHERE shop_id = $1 AND id = $2",
        params![shop.as_str(), id.as_str()],
    )?)
}

pub fn create_item(
    db: &mut dyn Db,
    shop: &ShopId,
    id: &MenuItemId,
    c: &ItemChange,
    now: Timestamp,
) -> Result<MenuItem> {
    let category = c.category_id.as_ref().ok_or_else(unknown_category)?;
    load_category(db, shop, category.as_str()).map_err(|_| unknown_category())?;
    let position = match c.position {
        Some(p) => p,
        None => next_position(db, "menu_items", "category_id", category.as_str())?,
    };
    db.execute(
        "INSERT INTO menu_items (id, shop_id, category_id, name, description, price, sold_out, position, created_at, updated_at, hidden)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        params![
            id.as_str(),
            shop.as_str(),
            category.as_str(),
            c.name.clone().unwrap_or_default(),
            c.description.clone().flatten(),
            c.price.unwrap_or(0),
            c.sold_out.unwrap_or(false),
            position,
            now,
            now,
            c.hidden.unwrap_or(false)
        ],
    )?;
    load_item(db, shop, id.as_str())
}

pub fn update_item(
    db: &mut dyn Db,
    shop: &ShopId,
    id: &MenuItemId,
    c: &ItemChange,
    now: Timestamp,
) -> Result<MenuItem> {
    let mut item = load_item(db, shop, id.as_str())?;
    if let Some(category) = &c.category_id {
        load_category(db, shop, category.as_str()).map_err(|_| unknown_category())?;
        item.category_id = category.clone();
    }
    if let Some(name) = &c.name {
        item.name.clone_from(name);
    }
    if let Some(description) = &c.description {
        item.description.clone_from(description);
    }
    item.price = c.price.unwrap_or(item.price);
    item.sold_out = c.sold_out.unwrap_or(item.sold_out);
    item.hidden = c.hidden.unwrap_or(item.hidden);
    item.position = c.position.unwrap_or(item.position);
    db.execute(
        "UPDATE menu_items SET category_id = $1, name = $2, description = $3, price = $4, sold_out = $5, position = $6,
         updated_at = $7, hidden = $10 WHERE shop_id = $8 AND id = $9",
        params![
            item.category_id.as_str(),
            &item.name,
            item.description.clone(),
            item.price,
            item.sold_out,
            item.position,
            now,
            shop.as_str(),
            id.as_str(),
            item.hidden
        ],
    )?;
    Ok(item)
}

pub fn delete_item(db: &mut dyn Db, shop: &ShopId, id: &MenuItemId) -> Result<()> {
    // Options and groups go with the item (ON DELETE CASCADE); past orders keep their snapshot.
    changed(db.execute(
        "DELETE FROM menu_items WHERE shop_id = $1 AND id = $2",
        params![shop.as_str(), id.as_str()],
    )?)
}

pub fn create_option_group(
    db: &mut dyn Db,
    shop: &ShopId,
    item: &MenuItemId,
    id: &OptionGroupId,
    c: &OptionGroupChange,
) -> Result<OptionGroup> {
    load_item(db, shop, item.as_str())?;
    let position = match c.position {
        Some(p) => p,
        None => next_position(db, "option_groups", "item_id", item.as_str())?,
    };
    db.execute(
        "INSERT INTO option_groups (id, shop_id, item_id, name, min_choices, max_choices, position)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        params![
            id.as_str(),
            shop.as_str(),
            item.as_str(),
            c.name.clone().unwrap_or_default(),
            c.min.unwrap_or(0),
            c.max.unwrap_or(1),
            position
        ],
    )?;
    load_group(db, shop, id.as_str())
}

pub fn update_option_group(
    db: &mut dyn Db,
    shop: &ShopId,
    id: &OptionGroupId,
    c: &OptionGroupChange,
) -> Result<OptionGroup> {
    let stored = load_group(db, shop, id.as_str())?;
    c.check_against(&stored)?;
    db.execute(
        "UPDATE option_groups SET name = COALESCE($1, name), min_choices = COALESCE($2, min_choices),
         max_choices = COALESCE($3, max_choices), position = COALESCE($4, position) WHERE shop_id = $5 AND id = $6",
        params![c.name.clone(), c.min, c.max, c.position, shop.as_str(), id.as_str()],
    )?;
    load_group(db, shop, id.as_str())
}

pub fn delete_option_group(db: &mut dyn Db, shop: &ShopId, id: &OptionGroupId) -> Result<()> {
    changed(db.execute(
        "DELETE FROM option_groups WHERE shop_id = $1 AND id = $2",
        params![shop.as_str(), id.as_str()],
    )?)
}

pub fn create_option(
    db: &mut dyn Db,
    shop: &ShopId,
    group: &OptionGroupId,
    id: &OptionId,
    c: &OptionChange,
) -> Result<MenuOption> {
    load_group(db, shop, group.as_str())?;
    let position = match c.position {
        Some(p) => p,
        None => next_position(db, "options", "group_id", group.as_str())?,
    };
    db.execute(
        "INSERT INTO options (id, shop_id, group_id, name, price, sold_out, position) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        params![
            id.as_str(),
            shop.as_str(),
            group.as_str(),
            c.name.clone().unwrap_or_default(),
            c.price.unwrap_or(0),
            c.sold_out.unwrap_or(false),
            position
        ],
    )?;
    load_option(db, shop, id.as_str())
}

pub fn update_option(
    db: &mut dyn Db,
    shop: &ShopId,
    id: &OptionId,
    c: &OptionChange,
) -> Result<MenuOption> {
    changed(db.execute(
        "UPDATE options SET name = COALESCE($1, name), price = COALESCE($2, price), sold_out = COALESCE($3, sold_out),
         position = COALESCE($4, position) WHERE shop_id = $5 AND id = $6",
        params![c.name.clone(), c.price, c.sold_out, c.position, shop.as_str(), id.as_str()],
    )?)?;
    load_option(db, shop, id.as_str())
}

pub fn delete_option(db: &mut dyn Db, shop: &ShopId, id: &OptionId) -> Result<()> {
    changed(db.execute(
        "DELETE FROM options WHERE shop_id = $1 AND id = $2",
        params![shop.as_str(), id.as_str()],
    )?)
}
