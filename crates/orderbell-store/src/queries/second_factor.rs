//! The second factor of an account: its TOTP secret, the last time step used, and its
//! single-use recovery codes (SHA-256 hashes).

use orderbell_core::{Timestamp, UserId};

use crate::db::Db;
use crate::records::TotpFactor;
use crate::{Result, StoreError, params};

pub fn totp(db: &mut dyn Db, user: &UserId) -> Result<Option<TotpFactor>> {
    db.query_opt(
        "SELECT secret, confirmed_at, last_step FROM totp_factors WHERE user_id = $1",
        params![user.as_str()],
    )?
    .map(|r| {
        Ok(TotpFactor {
            secret: r.text(0)?,
            confirmed: r.opt_time(1)?.is_some(),
            last_step: r.int(2)?,
        })
    })
    .transpose()
}

/// A new secret waiting for its first code; replaces one that was never confirmed, and is
/// refused (conflict) while a confirmed one is in use.
pub fn set_pending(db: &mut dyn Db, user: &UserId, secret: &str, now: Timestamp) -> Result<()> {
    if totp(db, user)?.is_some_and(|t| t.confirmed) {
        return Err(StoreError::Conflict(
            "two-step sign-in is on already; turn it off first".into(),
        ));
    }
    db.execute(
        "DELETE FROM totp_factors WHERE user_id = $1",
        params![user.as_str()],
    )?;
    db.execute(
        "INSERT INTO totp_factors (user_id, secret, created_at) VALUES ($1, $2, $3)",
        params![user.as_str(), secret, now],
    )?;
    Ok(())
}

/// Turns the pending secret on, having seen a code of `step`, with new recovery codes (the old
/// ones go). `false` when there is no pending secret.
pub fn confirm(
    db: &mut dyn Db,
    user: &UserId,
    step: i64,
    recovery_hashes: &[String],
    now: Timestamp,
) -> Result<bool> {
    let changed = db.execute(
        "UPDATE totp_factors SET confirmed_at = $1, last_step = $2
         WHERE user_id = $3 AND confirmed_at IS NULL",
        params![now, step, user.as_str()],
    )?;
    if changed == 0 {
        return Ok(false);
    }
    db.execute(
        "DELETE FROM recovery_codes WHERE user_id = $1",
        params![user.as_str()],
    )?;
    for hash in recovery_hashes {
        db.execute(
            "INSERT INTO recovery_codes (code_hash, user_id) VALUES ($1, $2)",
            params![hash.as_str(), user.as_str()],
        )?;
    }
    Ok(true)
}

/// Records a sign-in with the code of `step`: only a step later than the last one used counts
/// (a code works once, and never an older one).
pub fn use_step(db: &mut dyn Db, user: &UserId, step: i64) -> Result<bool> {
    Ok(db.execute(
        "UPDATE totp_factors SET last_step = $1
         WHERE user_id = $2 AND confirmed_at IS NOT NULL AND last_step < $1",
        params![step, user.as_str()],
    )? == 1)
}

/// Uses a recovery code once.
pub fn use_recovery_code(
    db: &mut dyn Db,
    user: &UserId,
    code_hash: &str,
    now: Timestamp,
) -> Result<bool> {
    Ok(db.execute(
        "UPDATE recovery_codes SET used_at = $1
         WHERE code_hash = $2 AND user_id = $3 AND used_at IS NULL",
        params![now, code_hash, user.as_str()],
    )? == 1)
}

/// Turns the second factor off: the secret and the recovery codes go.
pub fn remove(db: &mut dyn Db, user: &UserId) -> Result<()> {
    db.execute(
        "DELETE FROM totp_factors WHERE user_id = $1",
        params![user.as_str()],
    )?;
    db.execute(
        "DELETE FROM recovery_codes WHERE user_id = $1",
        params![user.as_str()],
    )?;
    Ok(())
}
