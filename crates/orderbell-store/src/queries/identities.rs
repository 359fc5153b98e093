//! Linked identities and OpenID Connect sign-ins under way (see `crate::identities`).

use orderbell_core::user::User;
use orderbell_core::{Timestamp, UserId};

use crate::db::{Db, Row};
use crate::identities::{Identity, NewIdentity, OidcFlow};
use crate::records::NewUser;
use crate::{Result, StoreError, params};

const COLUMNS: &str = "id, user_id, provider, issuer, subject, email, created_at, last_used_at";

fn identity_from(r: &Row) -> Result<Identity> {
    Ok(Identity {
        id: r.text(0)?,
        user_id: UserId::from_stored(r.text(1)?),
        provider: r.text(2)?,
        issuer: r.text(3)?,
        subject: r.text(4)?,
        email: r.opt_text(5)?,
        created_at: r.time(6)?,
        last_used_at: r.time(7)?,
    })
}

pub fn create_flow(db: &mut dyn Db, f: &OidcFlow) -> Result<()> {
    db.execute(
        "DELETE FROM oidc_flows WHERE expires_at <= $1",
        params![f.created_at],
    )?;
    db.execute(
        "INSERT INTO oidc_flows (state_hash, provider, nonce, pkce_verifier, next, link_user_id, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        params![
            &f.state_hash,
            &f.provider,
            &f.nonce,
            &f.pkce_verifier,
            &f.next,
            f.link_user_id.as_ref().map(|u| u.as_str().to_owned()),
            f.created_at,
            f.expires_at
        ],
    )?;
    Ok(())
}

pub fn take_flow(db: &mut dyn Db, state_hash: &str, now: Timestamp) -> Result<Option<OidcFlow>> {
    let row = db.query_opt(
        "DELETE FROM oidc_flows WHERE state_hash = $1
         RETURNING state_hash, provider, nonce, pkce_verifier, next, link_user_id, created_at, expires_at",
        params![state_hash],
    )?;
    let Some(r) = row else { return Ok(None) };
    let flow = OidcFlow {
        state_hash: r.text(0)?,
        provider: r.text(1)?,
        nonce: r.text(2)?,
        pkce_verifier: r.text(3)?,
        next: r.text(4)?,
        link_user_id: r.opt_text(5)?.map(UserId::from_stored),
        created_at: r.time(6)?,
        expires_at: r.time(7)?,
    };
    Ok((flow.expires_at > now).then_some(flow))
}

pub fn identity_user(
    db: &mut dyn Db,
    issuer: &str,
    subject: &str,
    now: Timestamp,
) -> Result<Option<User>> {
    let row = db.query_opt(
        "UPDATE external_identities SET last_used_at = $1 WHERE issuer = $2 AND subject = $3
         RETURNING user_id",
        params![now, issuer, subject],
    )?;
    match row {
        Some(r) => super::accounts::user(db, &UserId::from_stored(r.text(0)?)),
        None => Ok(None),
    }
}

pub fn link(db: &mut dyn Db, i: &NewIdentity) -> Result<Identity> {
    let taken = db
        .query_opt(
            "SELECT id FROM external_identities WHERE issuer = $1 AND subject = $2",
            params![&i.issuer, &i.subject],
        )?
        .is_some();
    if taken {
        return Err(StoreError::Conflict(
            "this identity is linked to an account already".into(),
        ));
    }
    db.execute(
        "INSERT INTO external_identities (id, user_id, provider, issuer, subject, email, created_at, last_used_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        params![
            &i.id,
            i.user_id.as_str(),
            &i.provider,
            &i.issuer,
            &i.subject,
            i.email.clone(),
            i.created_at
        ],
    )?;
    let sql = format!("SELECT {COLUMNS} FROM external_identities WHERE id = $1");
    identity_from(&db.query_one(&sql, params![&i.id])?)
}

pub fn create_user_with(db: &mut dyn Db, u: &NewUser, i: &NewIdentity) -> Result<(User, Identity)> {
    let user = super::accounts::create_user(db, u)?;
    let identity = link(db, i)?;
    Ok((user, identity))
}

pub fn of(db: &mut dyn Db, user: &UserId) -> Result<Vec<Identity>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM external_identities WHERE user_id = $1 ORDER BY created_at, id"
    );
    db.query(&sql, params![user.as_str()])?
        .iter()
        .map(identity_from)
        .collect()
}

pub fn unlink(db: &mut dyn Db, user: &UserId, id: &str) -> Result<()> {
    let n = db.execute(
        "DELETE FROM external_identities WHERE id = $1 AND user_id = $2",
        params![id, user.as_str()],
    )?;
    super::changed(n)
}
