//! Shops and their members.

use orderbell_core::alerts::AlertPolicy;
use orderbell_core::hours::OpeningHours;
use orderbell_core::order::DEFAULT_ETA_MINUTES;
use orderbell_core::shop::{NewShop, OrderingOptions, ReceiptText, Shop, ShopPatch};
use orderbell_core::user::{Member, Role};
use orderbell_core::{Currency, ShopId, Timestamp, UserId};

use crate::db::{Db, Row};
use crate::{Result, StoreError, params};

const SHOP_COLUMNS: &str = "id, slug, name, currency, time_zone, locale, phone, accepting_orders, created_at, \
     alerts, opening_hours, paused_until, default_eta_minutes, ordering, receipt, require_mfa_for_owners";
/// How many columns [`shop_from`] reads.
pub const SHOP_COLUMN_COUNT: usize = 16;

fn bad(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("stored shop has a bad {what}: {e}"))
}

/// The stored alert policy (NULL: the defaults).
fn alerts_from(text: Option<String>) -> Result<AlertPolicy> {
    match text {
        None => Ok(AlertPolicy::default()),
        Some(t) => serde_json::from_str(&t).map_err(|e| bad("alert policy", e)),
    }
}

/// The stored ordering options (NULL: the defaults).
fn ordering_from(text: Option<String>) -> Result<OrderingOptions> {
    match text {
        None => Ok(OrderingOptions::default()),
        Some(t) => serde_json::from_str(&t).map_err(|e| bad("ordering options", e)),
    }
}

fn hours_from(text: Option<String>) -> Result<Option<OpeningHours>> {
    text.map(|t| serde_json::from_str(&t).map_err(|e| bad("opening hours", e)))
        .transpose()
}

fn json_text<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Backend(e.to_string()))
}

pub fn shop_from(row: &Row, at: usize) -> Result<Shop> {
    let code = row.text(at + 3)?;
    Ok(Shop {
        id: ShopId::from_stored(row.text(at)?),
        slug: row.text(at + 1)?,
        name: row.text(at + 2)?,
        currency: Currency::from_code(&code)
            .ok_or_else(|| StoreError::Backend(format!("unknown stored currency {code}")))?,
        time_zone: row.text(at + 4)?,
        locale: row.text(at + 5)?,
        phone: row.opt_text(at + 6)?,
        accepting_orders: row.bool(at + 7)?,
        created_at: row.time(at + 8)?,
        alerts: alerts_from(row.opt_text(at + 9)?)?,
        opening_hours: hours_from(row.opt_text(at + 10)?)?,
        paused_until: row.opt_time(at + 11)?,
        default_eta_minutes: u32::try_from(row.int(at + 12)?).map_err(|e| bad("ETA", e))?,
        guest_ordering: ordering_from(row.opt_text(at + 13)?)?,
        receipt: match row.opt_text(at + 14)? {
            None => ReceiptText::default(),
            Some(t) => serde_json::from_str(&t).map_err(|e| bad("receipt text", e))?,
        },
        require_mfa_for_owners: row.bool(at + 15)?,
    })
}

pub fn create_shop(
    db: &mut dyn Db,
    id: &ShopId,
    s: &NewShop,
    owner: &UserId,
    now: Timestamp,
) -> Result<Shop> {
    if db
        .query_opt("SELECT 1 FROM shops WHERE slug = $1", params![&s.slug])?
        .is_some()
    {
        return Err(StoreError::Conflict(format!(
            "the slug {:?} is taken",
            s.slug
        )));
    }
    if db
        .query_opt("SELECT 1 FROM users WHERE id = $1", params![owner.as_str()])?
        .is_none()
    {
        return Err(StoreError::NotFound);
    }
    db.execute(
        "INSERT INTO shops (id, slug, name, currency, time_zone, locale, phone, accepting_orders, created_at, updated_at,
         alerts)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        params![
            id.as_str(),
            &s.slug,
            &s.name,
            s.currency.code(),
            &s.time_zone,
            &s.locale,
            s.phone.clone(),
            true,
            now,
            now,
            json_text(&s.alerts)?
        ],
    )?;
    db.execute(
        "INSERT INTO memberships (shop_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)",
        params![id.as_str(), owner.as_str(), Role::Owner.as_str(), now],
    )?;
    Ok(Shop {
        id: id.clone(),
        slug: s.slug.clone(),
        name: s.name.clone(),
        currency: s.currency,
        time_zone: s.time_zone.clone(),
        locale: s.locale.clone(),
        phone: s.phone.clone(),
        accepting_orders: true,
        created_at: now,
        alerts: s.alerts.clone(),
        opening_hours: None,
        paused_until: None,
        default_eta_minutes: DEFAULT_ETA_MINUTES,
        guest_ordering: OrderingOptions::default(),
        receipt: ReceiptText::default(),
        require_mfa_for_owners: false,
    })
}

pub fn shop(db: &mut dyn Db, id: &ShopId) -> Result<Option<Shop>> {
    let sql = format!("SELECT {SHOP_COLUMNS} FROM shops WHERE id = $1");
    db.query_opt(&sql, params![id.as_str()])?
        .map(|r| shop_from(&r, 0))
        .transpose()
}

/// A shop's escalation policy alone (the new orders of a write batch need no more of the shop).
pub fn alert_policy(db: &mut dyn Db, id: &ShopId) -> Result<Option<AlertPolicy>> {
    db.query_opt(
        "SELECT alerts FROM shops WHERE id = $1",
        params![id.as_str()],
    )?
    .map(|r| alerts_from(r.opt_text(0)?))
    .transpose()
}

pub fn all_shops(db: &mut dyn Db) -> Result<Vec<Shop>> {
    let sql = format!("SELECT {SHOP_COLUMNS} FROM shops ORDER BY slug");
    db.query(&sql, &[])?
        .iter()
        .map(|r| shop_from(r, 0))
        .collect()
}

pub fn shop_by_slug(db: &mut dyn Db, slug: &str) -> Result<Option<Shop>> {
    let sql = format!("SELECT {SHOP_COLUMNS} FROM shops WHERE slug = $1");
    db.query_opt(&sql, params![slug])?
        .map(|r| shop_from(&r, 0))
        .transpose()
}

pub fn update_shop(
    db: &mut dyn Db,
    id: &ShopId,
    patch: &ShopPatch,
    now: Timestamp,
) -> Result<Shop> {
    let mut shop = shop(db, id)?.ok_or(StoreError::NotFound)?;
    shop.apply(patch);
    db.execute(
        "UPDATE shops SET name = $1, time_zone = $2, locale = $3, phone = $4, accepting_orders = $5, updated_at = $6,
         alerts = $7, opening_hours = $8, paused_until = $9, default_eta_minutes = $10, ordering = $11,
         receipt = $12, require_mfa_for_owners = $13 WHERE id = $14",
        params![
            &shop.name,
            &shop.time_zone,
            &shop.locale,
            shop.phone.clone(),
            shop.accepting_orders,
            now,
            json_text(&shop.alerts)?,
            shop.opening_hours.as_ref().map(json_text).transpose()?,
            shop.paused_until,
            i64::from(shop.default_eta_minutes),
            json_text(&shop.guest_ordering)?,
            json_text(&shop.receipt)?,
            shop.require_mfa_for_owners,
            id.as_str()
        ],
    )?;
    if patch.paused_until.is_some() {
        // A pause set or ended by a person starts the count of unanswered orders afresh.
        db.execute(
            "UPDATE shops SET missed_in_row = 0 WHERE id = $1",
            params![id.as_str()],
        )?;
    }
    Ok(shop)
}

pub fn shops_of(db: &mut dyn Db, user: &UserId) -> Result<Vec<(Shop, Role)>> {
    let sql = format!(
        "SELECT {}, m.role FROM shops s JOIN memberships m ON m.shop_id = s.id
         WHERE m.user_id = $1 ORDER BY s.name, s.slug",
        SHOP_COLUMNS
            .split(", ")
            .map(|c| format!("s.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    db.query(&sql, params![user.as_str()])?
        .iter()
        .map(|r| Ok((shop_from(r, 0)?, parse_role(&r.text(SHOP_COLUMN_COUNT)?)?)))
        .collect()
}

pub fn parse_role(s: &str) -> Result<Role> {
    s.parse().map_err(StoreError::Backend)
}

pub fn role(db: &mut dyn Db, shop: &ShopId, user: &UserId) -> Result<Option<Role>> {
    db.query_opt(
        "SELECT role FROM memberships WHERE shop_id = $1 AND user_id = $2",
        params![shop.as_str(), user.as_str()],
    )?
    .map(|r| parse_role(&r.text(0)?))
    .transpose()
}

const MEMBER_SQL: &str = "SELECT u.id, u.email, u.name, m.role, m.created_at
     FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.shop_id = $1";

fn member_from(r: &Row) -> Result<Member> {
    Ok(Member {
        user_id: UserId::from_stored(r.text(0)?),
        email: r.text(1)?,
        name: r.text(2)?,
        role: parse_role(&r.text(3)?)?,
        added_at: r.time(4)?,
    })
}

pub fn members(db: &mut dyn Db, shop: &ShopId) -> Result<Vec<Member>> {
    let sql = format!("{MEMBER_SQL} ORDER BY m.created_at, u.email");
    db.query(&sql, params![shop.as_str()])?
        .iter()
        .map(member_from)
        .collect()
}

fn owner_count(db: &mut dyn Db, shop: &ShopId) -> Result<i64> {
    db.query_one(
        "SELECT COUNT(*) FROM memberships WHERE shop_id = $1 AND role = 'owner'",
        params![shop.as_str()],
    )?
    .int(0)
}

pub fn set_member(
    db: &mut dyn Db,
    shop: &ShopId,
    user: &UserId,
    role: Role,
    now: Timestamp,
) -> Result<Member> {
    if db
        .query_opt("SELECT 1 FROM users WHERE id = $1", params![user.as_str()])?
        .is_none()
    {
        return Err(StoreError::NotFound);
    }
    let current = self::role(db, shop, user)?;
    if current == Some(Role::Owner) && role != Role::Owner && owner_count(db, shop)? <= 1 {
        return Err(StoreError::Conflict(
            "a shop needs at least one owner".into(),
        ));
    }
    db.execute(
        "INSERT INTO memberships (shop_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (shop_id, user_id) DO UPDATE SET role = excluded.role",
        params![shop.as_str(), user.as_str(), role.as_str(), now],
    )?;
    let sql = format!("{MEMBER_SQL} AND m.user_id = $2");
    member_from(&db.query_one(&sql, params![shop.as_str(), user.as_str()])?)
}

pub fn remove_member(db: &mut dyn Db, shop: &ShopId, user: &UserId) -> Result<()> {
    let current = role(db, shop, user)?.ok_or(StoreError::NotFound)?;
    if current == Role::Owner && owner_count(db, shop)? <= 1 {
        return Err(StoreError::Conflict(
            "a shop needs at least one owner".into(),
        ));
    }
    db.execute(
        "DELETE FROM memberships WHERE shop_id = $1 AND user_id = $2",
        params![shop.as_str(), user.as_str()],
    )?;
    Ok(())
}
