//! Per-shop member settings: which events reach members on which channels.

use orderbell_core::{ShopId, Timestamp};

use super::bad;
use crate::db::Db;
use crate::notifications::MemberSettings;
use crate::{Result, params};

pub fn member_settings(db: &mut dyn Db, shop: &ShopId) -> Result<MemberSettings> {
    let row = db.query_opt(
        "SELECT members FROM notification_settings WHERE shop_id = $1",
        params![shop.as_str()],
    )?;
    match row {
        None => Ok(MemberSettings::default()),
        Some(r) => {
            let json: serde_json::Value =
                serde_json::from_str(&r.text(0)?).map_err(|e| bad("settings", e))?;
            MemberSettings::from_json(&json).map_err(|e| bad("settings", e))
        }
    }
}

pub fn set_member_settings(
    db: &mut dyn Db,
    shop: &ShopId,
    s: &MemberSettings,
    now: Timestamp,
) -> Result<()> {
    let json = s.to_json().to_string();
    db.execute(
        "INSERT INTO notification_settings (shop_id, members, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (shop_id) DO UPDATE SET members = excluded.members, updated_at = excluded.updated_at",
        params![shop.as_str(), json, now],
    )?;
    Ok(())
}
