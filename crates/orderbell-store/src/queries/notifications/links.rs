//! Channel links: creating or reviving one, finding them by address or user, unlinking, the
//! WhatsApp session window, and marking a link dead.

use orderbell_core::{OrderId, ShopId, Timestamp, UserId};

use super::bad;
use crate::db::{Db, Row};
use crate::notifications::{Channel, ChannelLink, NewLink};
use crate::{Result, StoreError, params};

const LINK_COLUMNS: &str = "id, channel, address, keys, user_id, shop_id, order_id, locale, label, status, \
     status_reason, last_inbound_at, created_at";

fn link_from(r: &Row) -> Result<ChannelLink> {
    Ok(ChannelLink {
        id: r.int(0)?,
        channel: r.text(1)?.parse().map_err(|e| bad("channel", e))?,
        address: r.text(2)?,
        keys: r.opt_text(3)?,
        user_id: r.opt_text(4)?.map(UserId::from_stored),
        shop_id: r.opt_text(5)?.map(ShopId::from_stored),
        order_id: r.opt_text(6)?.map(OrderId::from_stored),
        locale: r.opt_text(7)?,
        label: r.opt_text(8)?,
        status: r.text(9)?.parse()?,
        status_reason: r.opt_text(10)?,
        last_inbound_at: r.opt_time(11)?,
        created_at: r.time(12)?,
    })
}

pub fn upsert_link(db: &mut dyn Db, l: &NewLink) -> Result<ChannelLink> {
    if l.user_id.is_some() == l.order_id.is_some() {
        return Err(StoreError::Backend(
            "a link is for a member or for an order, not both".into(),
        ));
    }
    let inbound = if l.inbound { Some(l.now) } else { None };
    let existing = match (&l.user_id, &l.order_id) {
        (Some(user), _) => db.query_opt(
            "SELECT id FROM channel_links WHERE user_id = $1 AND COALESCE(shop_id, '') = $2 AND channel = $3 AND address = $4",
            params![
                user.as_str(),
                l.shop_id.as_ref().map_or("", |s| s.as_str()),
                l.channel.as_str(),
                &l.address
            ],
        )?,
        (None, Some(order)) => db.query_opt(
            "SELECT id FROM channel_links WHERE order_id = $1 AND channel = $2 AND address = $3",
            params![order.as_str(), l.channel.as_str(), &l.address],
        )?,
        (None, None) => None,
    };
    let id = match existing {
        Some(row) => {
            let id = row.int(0)?;
            db.execute(
                "UPDATE channel_links SET keys = COALESCE($1, keys), locale = COALESCE($2, locale), label = COALESCE($3, label),
                 status = 'active', status_reason = NULL, last_inbound_at = COALESCE($4, last_inbound_at), updated_at = $5
                 WHERE id = $6",
                params![l.keys.clone(), l.locale.clone(), l.label.clone(), inbound, l.now, id],
            )?;
            id
        }
        None => db
            .query_one(
                "INSERT INTO channel_links (channel, address, keys, user_id, shop_id, order_id, locale, label, status,
                 last_inbound_at, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', $9, $10, $11) RETURNING id",
                params![
                    l.channel.as_str(),
                    &l.address,
                    l.keys.clone(),
                    l.user_id.as_ref().map(|u| u.as_str()),
                    l.shop_id.as_ref().map(|s| s.as_str()),
                    l.order_id.as_ref().map(|o| o.as_str()),
                    l.locale.clone(),
                    l.label.clone(),
                    inbound,
                    l.now,
                    l.now
                ],
            )?
            .int(0)?,
    };
    if l.inbound {
        touch_inbound(db, l.channel, &l.address, l.now)?;
    }
    let sql = format!("SELECT {LINK_COLUMNS} FROM channel_links WHERE id = $1");
    link_from(&db.query_one(&sql, params![id])?)
}

pub fn links_by_address(
    db: &mut dyn Db,
    channel: Channel,
    address: &str,
) -> Result<Vec<ChannelLink>> {
    let sql = format!(
        "SELECT {LINK_COLUMNS} FROM channel_links WHERE channel = $1 AND address = $2 AND status = 'active' ORDER BY id"
    );
    db.query(&sql, params![channel.as_str(), address])?
        .iter()
        .map(link_from)
        .collect()
}

pub fn links_of_user(db: &mut dyn Db, user: &UserId) -> Result<Vec<ChannelLink>> {
    let sql = format!("SELECT {LINK_COLUMNS} FROM channel_links WHERE user_id = $1 ORDER BY id");
    db.query(&sql, params![user.as_str()])?
        .iter()
        .map(link_from)
        .collect()
}

pub fn unlink_address(
    db: &mut dyn Db,
    channel: Channel,
    address: &str,
    user: Option<&UserId>,
    now: Timestamp,
) -> Result<u64> {
    match user {
        Some(user) => db.execute(
            "UPDATE channel_links SET status = 'unlinked', status_reason = 'stopped', updated_at = $1
             WHERE channel = $2 AND address = $3 AND user_id = $4 AND status = 'active'",
            params![now, channel.as_str(), address, user.as_str()],
        ),
        None => db.execute(
            "UPDATE channel_links SET status = 'unlinked', status_reason = 'stopped', updated_at = $1
             WHERE channel = $2 AND address = $3 AND status = 'active'",
            params![now, channel.as_str(), address],
        ),
    }
}

pub fn touch_inbound(
    db: &mut dyn Db,
    channel: Channel,
    address: &str,
    now: Timestamp,
) -> Result<()> {
    db.execute(
        "UPDATE channel_links SET last_inbound_at = $1 WHERE channel = $2 AND address = $3",
        params![now, channel.as_str(), address],
    )?;
    Ok(())
}

pub(super) fn mark_link_dead(
    db: &mut dyn Db,
    link: i64,
    reason: &str,
    now: Timestamp,
) -> Result<()> {
    db.execute(
        "UPDATE channel_links SET status = 'dead', status_reason = $1, updated_at = $2 WHERE id = $3 AND status = 'active'",
        params![reason, now, link],
    )?;
    Ok(())
}
