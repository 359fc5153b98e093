//! Invitations to join a shop (see `crate::invitations`).

use orderbell_core::shop::Shop;
use orderbell_core::user::Member;
use orderbell_core::{InvitationId, ShopId, Timestamp, UserId};

use crate::db::{Db, Row};
use crate::invitations::{Invitation, NewInvitation};
use crate::notifications::NewNotification;
use crate::{Result, StoreError, params};

const COLUMNS: &str = "i.id, i.shop_id, i.role, i.email, u.name, i.created_at, i.expires_at";
const FROM: &str = "FROM invitations i LEFT JOIN users u ON u.id = i.invited_by";
/// An invitation that can still be used ($1 is now).
const OPEN: &str = "i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > $1";

fn invitation_from(r: &Row) -> Result<Invitation> {
    Ok(Invitation {
        id: InvitationId::from_stored(r.text(0)?),
        shop_id: ShopId::from_stored(r.text(1)?),
        role: super::shops::parse_role(&r.text(2)?)?,
        email: r.opt_text(3)?,
        invited_by: r.opt_text(4)?,
        created_at: r.time(5)?,
        expires_at: r.time(6)?,
    })
}

/// Stores an invitation and queues its mail, in one transaction (the caller's).
pub fn create(
    db: &mut dyn Db,
    i: &NewInvitation,
    mail: Option<&NewNotification>,
) -> Result<Invitation> {
    db.execute(
        "INSERT INTO invitations (id, shop_id, token_hash, role, email, invited_by, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        params![
            i.id.as_str(),
            i.shop_id.as_str(),
            &i.token_hash,
            i.role.as_str(),
            i.email.clone(),
            i.invited_by.as_ref().map(|u| u.as_str().to_owned()),
            i.created_at,
            i.expires_at
        ],
    )?;
    if let Some(mail) = mail {
        super::notifications::enqueue(db, mail)?;
    }
    let sql = format!("SELECT {COLUMNS} {FROM} WHERE i.id = $1");
    invitation_from(&db.query_one(&sql, params![i.id.as_str()])?)
}

pub fn open(db: &mut dyn Db, shop: &ShopId, now: Timestamp) -> Result<Vec<Invitation>> {
    let sql = format!(
        "SELECT {COLUMNS} {FROM} WHERE {OPEN} AND i.shop_id = $2 ORDER BY i.created_at DESC, i.id DESC"
    );
    db.query(&sql, params![now, shop.as_str()])?
        .iter()
        .map(invitation_from)
        .collect()
}

pub fn revoke(db: &mut dyn Db, shop: &ShopId, id: &InvitationId, now: Timestamp) -> Result<()> {
    let changed = db.execute(
        "UPDATE invitations SET revoked_at = $1
         WHERE id = $2 AND shop_id = $3 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $1",
        params![now, id.as_str(), shop.as_str()],
    )?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub fn by_token(
    db: &mut dyn Db,
    token_hash: &str,
    now: Timestamp,
) -> Result<Option<(Invitation, Shop)>> {
    let sql = format!("SELECT {COLUMNS} {FROM} WHERE {OPEN} AND i.token_hash = $2");
    let Some(row) = db.query_opt(&sql, params![now, token_hash])? else {
        return Ok(None);
    };
    let invitation = invitation_from(&row)?;
    let shop = super::shops::shop(db, &invitation.shop_id)?.ok_or(StoreError::NotFound)?;
    Ok(Some((invitation, shop)))
}

pub fn accept(
    db: &mut dyn Db,
    token_hash: &str,
    user: &UserId,
    now: Timestamp,
) -> Result<(Shop, Member)> {
    let (invitation, shop) = by_token(db, token_hash, now)?.ok_or(StoreError::NotFound)?;
    if super::shops::role(db, &shop.id, user)?.is_some() {
        return Err(StoreError::Conflict(
            "you are a member of this shop already".into(),
        ));
    }
    db.execute(
        "UPDATE invitations SET accepted_at = $1, accepted_by = $2 WHERE id = $3",
        params![now, user.as_str(), invitation.id.as_str()],
    )?;
    let member = super::shops::set_member(db, &shop.id, user, invitation.role, now)?;
    Ok((shop, member))
}
