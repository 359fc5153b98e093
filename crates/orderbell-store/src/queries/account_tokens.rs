//! Single-use account links (e-mail verification, password reset), stored as SHA-256 hashes,
//! and the account changes they make.

use orderbell_core::user::User;
use orderbell_core::{Timestamp, UserId};

use crate::db::Db;
use crate::notifications::NewNotification;
use crate::records::{NewAccountToken, TokenPurpose};
use crate::{Result, params};

/// Stores a link and queues the mail that carries it, in one transaction (the caller's).
pub fn issue(
    db: &mut dyn Db,
    token: &NewAccountToken,
    mail: Option<&NewNotification>,
) -> Result<()> {
    db.execute(
        "INSERT INTO account_tokens (token_hash, user_id, purpose, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
        params![
            &token.token_hash,
            token.user_id.as_str(),
            token.purpose.as_str(),
            token.created_at,
            token.expires_at
        ],
    )?;
    if let Some(mail) = mail {
        super::notifications::enqueue(db, mail)?;
    }
    Ok(())
}

/// The user of a link that can still be used (it stays unused).
pub fn user_of(
    db: &mut dyn Db,
    token_hash: &str,
    purpose: TokenPurpose,
    now: Timestamp,
) -> Result<Option<User>> {
    let Some(row) = db.query_opt(
        "SELECT user_id FROM account_tokens
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
        params![token_hash, purpose.as_str(), now],
    )?
    else {
        return Ok(None);
    };
    super::accounts::user(db, &UserId::from_stored(row.text(0)?))
}

/// Uses a link: the user it belongs to when it is of this purpose, unused and unexpired;
/// it cannot be used again. Every other open link of that purpose and user ends with it.
pub fn redeem(
    db: &mut dyn Db,
    token_hash: &str,
    purpose: TokenPurpose,
    now: Timestamp,
) -> Result<Option<UserId>> {
    let Some(row) = db.query_opt(
        "UPDATE account_tokens SET used_at = $1
         WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1
         RETURNING user_id",
        params![now, token_hash, purpose.as_str()],
    )?
    else {
        return Ok(None);
    };
    let user = UserId::from_stored(row.text(0)?);
    db.execute(
        "UPDATE account_tokens SET used_at = $1 WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL",
        params![now, user.as_str(), purpose.as_str()],
    )?;
    if purpose == TokenPurpose::VerifyEmail {
        mark_verified(db, &user, now)?;
    }
    Ok(Some(user))
}

/// The address is the user's: a verification link or a reset link reached them there.
pub fn mark_verified(db: &mut dyn Db, user: &UserId, now: Timestamp) -> Result<()> {
    db.execute(
        "UPDATE users SET email_verified_at = $1 WHERE id = $2 AND email_verified_at IS NULL",
        params![now, user.as_str()],
    )?;
    Ok(())
}

/// A password reset: uses the link, sets the new password, ends every session of the user
/// and marks the address verified (the link reached it). `None` when the link is not valid.
pub fn reset_password(
    db: &mut dyn Db,
    token_hash: &str,
    password_hash: &str,
    now: Timestamp,
) -> Result<Option<UserId>> {
    let Some(user) = redeem(db, token_hash, TokenPurpose::ResetPassword, now)? else {
        return Ok(None);
    };
    db.execute(
        "UPDATE users SET password_hash = $1 WHERE id = $2",
        params![password_hash, user.as_str()],
    )?;
    db.execute(
        "DELETE FROM sessions WHERE user_id = $1",
        params![user.as_str()],
    )?;
    mark_verified(db, &user, now)?;
    Ok(Some(user))
}

/// Forgets links that can no longer be used.
pub fn delete_ended(db: &mut dyn Db, now: Timestamp) -> Result<u64> {
    db.execute(
        "DELETE FROM account_tokens WHERE expires_at <= $1",
        params![now],
    )
}
