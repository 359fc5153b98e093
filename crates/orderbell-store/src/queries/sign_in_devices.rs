//! The devices an account signed in from, and the mail about a new one.

use orderbell_core::{Timestamp, UserId};

use crate::db::Db;
use crate::notifications::NewNotification;
use crate::{Result, params};

/// Records a sign-in; queues `mail` when the account knew other devices but not this one and
/// wants to hear of it. Whether the mail was queued (or would have been, without one).
pub fn note(
    db: &mut dyn Db,
    user: &UserId,
    device: &str,
    now: Timestamp,
    mail: Option<&NewNotification>,
) -> Result<bool> {
    let seen = db
        .query_opt(
            "UPDATE sign_in_devices SET last_seen_at = $1 WHERE user_id = $2 AND device = $3
             RETURNING device",
            params![now, user.as_str(), device],
        )?
        .is_some();
    if seen {
        return Ok(false);
    }
    let others = db
        .query_one(
            "SELECT COUNT(*) FROM sign_in_devices WHERE user_id = $1",
            params![user.as_str()],
        )?
        .int(0)?;
    db.execute(
        "INSERT INTO sign_in_devices (user_id, device, first_seen_at, last_seen_at)
         VALUES ($1, $2, $3, $3) ON CONFLICT (user_id, device) DO NOTHING",
        params![user.as_str(), device, now],
    )?;
    if others == 0 || !wants_mail(db, user)? {
        return Ok(false);
    }
    if let Some(mail) = mail {
        super::notifications::enqueue(db, mail)?;
    }
    Ok(true)
}

pub fn wants_mail(db: &mut dyn Db, user: &UserId) -> Result<bool> {
    match db.query_opt(
        "SELECT sign_in_mail FROM users WHERE id = $1",
        params![user.as_str()],
    )? {
        Some(row) => row.bool(0),
        None => Ok(false),
    }
}

pub fn set_wants_mail(db: &mut dyn Db, user: &UserId, on: bool) -> Result<()> {
    db.execute(
        "UPDATE users SET sign_in_mail = $1 WHERE id = $2",
        params![on, user.as_str()],
    )?;
    Ok(())
}
