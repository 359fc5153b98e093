//! One-time link codes (stored hashed): made for a member, taken once, purged when expired.

use orderbell_core::{ShopId, Timestamp, UserId};

use super::bad;
use crate::db::Db;
use crate::notifications::{Channel, LinkCode};
use crate::{Result, params};

pub fn create_link_code(db: &mut dyn Db, hash: &str, c: &LinkCode, now: Timestamp) -> Result<()> {
    db.execute(
        "INSERT INTO link_codes (code_hash, channel, user_id, shop_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        params![
            hash,
            c.channel.map(Channel::as_str),
            c.user_id.as_str(),
            c.shop_id.as_str(),
            now,
            c.expires_at
        ],
    )?;
    Ok(())
}

pub fn take_link_code(db: &mut dyn Db, hash: &str, now: Timestamp) -> Result<Option<LinkCode>> {
    let row = db.query_opt(
        "DELETE FROM link_codes WHERE code_hash = $1 RETURNING channel, user_id, shop_id, expires_at",
        params![hash],
    )?;
    let Some(r) = row else { return Ok(None) };
    let code = LinkCode {
        channel: r
            .opt_text(0)?
            .map(|c| c.parse())
            .transpose()
            .map_err(|e| bad("channel", e))?,
        user_id: UserId::from_stored(r.text(1)?),
        shop_id: ShopId::from_stored(r.text(2)?),
        expires_at: r.time(3)?,
    };
    Ok((code.expires_at > now).then_some(code))
}

/// Deletes the codes that expired before `now`.
pub fn purge_expired(db: &mut dyn Db, now: Timestamp) -> Result<u64> {
    db.execute("DELETE FROM link_codes WHERE expires_at < $1", params![now])
}
