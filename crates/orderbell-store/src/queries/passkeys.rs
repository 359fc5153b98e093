//! Passkeys and WebAuthn challenges (see `crate::passkeys`).

use orderbell_core::{PasskeyId, Timestamp, UserId};

use crate::db::{Db, Row};
use crate::passkeys::{ChallengePurpose, NewPasskey, Passkey};
use crate::{Result, params};

const COLUMNS: &str = "id, user_id, credential_id, public_key, alg, sign_count, name, transports, \
                       created_at, last_used_at";

fn passkey_from(r: &Row) -> Result<Passkey> {
    let transports = r.text(7)?;
    Ok(Passkey {
        id: PasskeyId::from_stored(r.text(0)?),
        user_id: UserId::from_stored(r.text(1)?),
        credential_id: r.text(2)?,
        public_key: r.bytes(3)?,
        alg: r.int(4)?,
        sign_count: r.int(5)?,
        name: r.text(6)?,
        transports: transports
            .split(',')
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect(),
        created_at: r.time(8)?,
        last_used_at: r.opt_time(9)?,
    })
}

pub fn create(db: &mut dyn Db, p: &NewPasskey) -> Result<Passkey> {
    db.execute(
        "INSERT INTO passkeys (id, user_id, credential_id, public_key, alg, sign_count, name, transports, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        params![
            p.id.as_str(),
            p.user_id.as_str(),
            &p.credential_id,
            p.public_key.clone(),
            p.alg,
            p.sign_count,
            &p.name,
            p.transports.join(","),
            p.created_at
        ],
    )?;
    let sql = format!("SELECT {COLUMNS} FROM passkeys WHERE id = $1");
    passkey_from(&db.query_one(&sql, params![p.id.as_str()])?)
}

pub fn of_user(db: &mut dyn Db, user: &UserId) -> Result<Vec<Passkey>> {
    let sql = format!("SELECT {COLUMNS} FROM passkeys WHERE user_id = $1 ORDER BY created_at, id");
    db.query(&sql, params![user.as_str()])?
        .iter()
        .map(passkey_from)
        .collect()
}

pub fn has_any(db: &mut dyn Db, user: &UserId) -> Result<bool> {
    Ok(db
        .query_opt(
            "SELECT 1 FROM passkeys WHERE user_id = $1 LIMIT 1",
            params![user.as_str()],
        )?
        .is_some())
}

pub fn by_credential(db: &mut dyn Db, credential_id: &str) -> Result<Option<Passkey>> {
    let sql = format!("SELECT {COLUMNS} FROM passkeys WHERE credential_id = $1");
    db.query_opt(&sql, params![credential_id])?
        .as_ref()
        .map(passkey_from)
        .transpose()
}

pub fn rename(db: &mut dyn Db, user: &UserId, id: &PasskeyId, name: &str) -> Result<Passkey> {
    super::changed(db.execute(
        "UPDATE passkeys SET name = $1 WHERE id = $2 AND user_id = $3",
        params![name, id.as_str(), user.as_str()],
    )?)?;
    let sql = format!("SELECT {COLUMNS} FROM passkeys WHERE id = $1");
    passkey_from(&db.query_one(&sql, params![id.as_str()])?)
}

pub fn delete(db: &mut dyn Db, user: &UserId, id: &PasskeyId) -> Result<()> {
    super::changed(db.execute(
        "DELETE FROM passkeys WHERE id = $1 AND user_id = $2",
        params![id.as_str(), user.as_str()],
    )?)
}

pub fn use_passkey(
    db: &mut dyn Db,
    id: &PasskeyId,
    seen: i64,
    new: i64,
    now: Timestamp,
) -> Result<bool> {
    Ok(db.execute(
        "UPDATE passkeys SET sign_count = $1, last_used_at = $2 WHERE id = $3 AND sign_count = $4",
        params![new, now, id.as_str(), seen],
    )? == 1)
}

pub fn create_challenge(
    db: &mut dyn Db,
    hash: &str,
    user: Option<&UserId>,
    purpose: ChallengePurpose,
    expires_at: Timestamp,
    now: Timestamp,
) -> Result<()> {
    db.execute(
        "DELETE FROM webauthn_challenges WHERE expires_at <= $1",
        params![now],
    )?;
    db.execute(
        "INSERT INTO webauthn_challenges (hash, user_id, purpose, expires_at) VALUES ($1, $2, $3, $4)",
        params![
            hash,
            user.map(|u| u.as_str().to_owned()),
            purpose.as_str(),
            expires_at
        ],
    )?;
    Ok(())
}

pub fn take_challenge(
    db: &mut dyn Db,
    hash: &str,
    purpose: ChallengePurpose,
    now: Timestamp,
) -> Result<Option<Option<UserId>>> {
    let changed = db.execute(
        "UPDATE webauthn_challenges SET used_at = $1
         WHERE hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1",
        params![now, hash, purpose.as_str()],
    )?;
    if changed != 1 {
        return Ok(None);
    }
    let row = db.query_one(
        "SELECT user_id FROM webauthn_challenges WHERE hash = $1",
        params![hash],
    )?;
    Ok(Some(row.opt_text(0)?.map(UserId::from_stored)))
}
