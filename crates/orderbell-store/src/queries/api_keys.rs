//! API keys of a shop.

use orderbell_core::{ApiKeyId, PrinterId, ShopId, Timestamp};

use crate::db::{Db, Row};
use crate::records::{ApiKey, NewApiKey, Scope};
use crate::{Result, params};

const COLUMNS: &str = "id, shop_id, name, scopes, prefix, created_at, last_used_at, revoked_at";

fn key_from(r: &Row) -> Result<ApiKey> {
    Ok(ApiKey {
        id: ApiKeyId::from_stored(r.text(0)?),
        shop_id: ShopId::from_stored(r.text(1)?),
        name: r.text(2)?,
        scopes: r.text(3)?.split(',').filter_map(Scope::parse).collect(),
        prefix: r.text(4)?,
        created_at: r.time(5)?,
        last_used_at: r.opt_time(6)?,
        revoked_at: r.opt_time(7)?,
    })
}

fn scopes_text(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

pub fn create(db: &mut dyn Db, k: &NewApiKey) -> Result<ApiKey> {
    db.execute(
        "INSERT INTO api_keys (id, shop_id, name, scopes, token_hash, prefix, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        params![
            k.id.as_str(),
            k.shop_id.as_str(),
            &k.name,
            scopes_text(&k.scopes),
            &k.token_hash,
            &k.prefix,
            k.created_at
        ],
    )?;
    Ok(ApiKey {
        id: k.id.clone(),
        shop_id: k.shop_id.clone(),
        name: k.name.clone(),
        scopes: k.scopes.clone(),
        prefix: k.prefix.clone(),
        created_at: k.created_at,
        last_used_at: None,
        revoked_at: None,
    })
}

pub fn by_hash(db: &mut dyn Db, token_hash: &str) -> Result<Option<ApiKey>> {
    let sql =
        format!("SELECT {COLUMNS} FROM api_keys WHERE token_hash = $1 AND revoked_at IS NULL");
    db.query_opt(&sql, params![token_hash])?
        .map(|r| key_from(&r))
        .transpose()
}

pub fn list(db: &mut dyn Db, shop: &ShopId) -> Result<Vec<ApiKey>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM api_keys WHERE shop_id = $1 ORDER BY created_at DESC, id DESC"
    );
    db.query(&sql, params![shop.as_str()])?
        .iter()
        .map(key_from)
        .collect()
}

/// Revokes the key and the printers it added; returns those printers.
pub fn revoke(
    db: &mut dyn Db,
    shop: &ShopId,
    id: &ApiKeyId,
    now: Timestamp,
) -> Result<Vec<PrinterId>> {
    super::changed(db.execute(
        "UPDATE api_keys SET revoked_at = $1 WHERE shop_id = $2 AND id = $3 AND revoked_at IS NULL",
        params![now, shop.as_str(), id.as_str()],
    )?)?;
    let printers = db
        .query(
            "SELECT id FROM printers WHERE shop_id = $1 AND api_key_id = $2 AND revoked_at IS NULL",
            params![shop.as_str(), id.as_str()],
        )?
        .iter()
        .map(|r| r.text(0).map(PrinterId::from_stored))
        .collect::<Result<Vec<_>>>()?;
    db.execute(
        "UPDATE printers SET revoked_at = $1, connected = $2
         WHERE shop_id = $3 AND api_key_id = $4 AND revoked_at IS NULL",
        params![now, false, shop.as_str(), id.as_str()],
    )?;
    Ok(printers)
}

pub fn touch(db: &mut dyn Db, id: &ApiKeyId, now: Timestamp) -> Result<()> {
    db.execute(
        "UPDATE api_keys SET last_used_at = $1 WHERE id = $2",
        params![now, id.as_str()],
    )?;
    Ok(())
}
