//! Users, sessions and settings.

use orderbell_core::user::User;
use orderbell_core::{Timestamp, UserId};

use crate::db::{Db, Row};
use crate::records::{Credentials, NewSession, NewUser, Session, SessionInfo};
use crate::{Result, StoreError, params};

const USER_COLUMNS: &str = "u.id, u.email, u.name, u.created_at, u.phone, u.email_verified_at";
/// How many columns [`user_from`] reads.
const USER_COLUMN_COUNT: usize = 6;

fn user_from(row: &Row, at: usize) -> Result<User> {
    Ok(User {
        id: UserId::from_stored(row.text(at)?),
        email: row.text(at + 1)?,
        name: row.text(at + 2)?,
        created_at: row.time(at + 3)?,
        phone: row.opt_text(at + 4)?,
        email_verified: row.opt_time(at + 5)?.is_some(),
    })
}

pub fn setting(db: &mut dyn Db, key: &str) -> Result<Option<String>> {
    db.query_opt("SELECT value FROM settings WHERE key = $1", params![key])?
        .map(|r| r.text(0))
        .transpose()
}

pub fn setting_init(db: &mut dyn Db, key: &str, value: &str) -> Result<String> {
    db.execute(
        "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        params![key, value],
    )?;
    setting(db, key)?.ok_or(StoreError::NotFound)
}

pub fn create_user(db: &mut dyn Db, u: &NewUser) -> Result<User> {
    let taken = db.query_opt("SELECT 1 FROM users WHERE email = $1", params![&u.email])?;
    if taken.is_some() {
        return Err(StoreError::Conflict(
            "a user with this e-mail address exists".into(),
        ));
    }
    db.execute(
        "INSERT INTO users (id, email, name, password_hash, created_at, email_verified_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        params![
            u.id.as_str(),
            &u.email,
            &u.name,
            u.password_hash.clone(),
            u.created_at,
            u.email_verified_at
        ],
    )?;
    Ok(User {
        id: u.id.clone(),
        email: u.email.clone(),
        name: u.name.clone(),
        created_at: u.created_at,
        phone: None,
        email_verified: u.email_verified_at.is_some(),
    })
}

pub fn user(db: &mut dyn Db, id: &UserId) -> Result<Option<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1");
    db.query_opt(&sql, params![id.as_str()])?
        .map(|r| user_from(&r, 0))
        .transpose()
}

pub fn user_by_email(db: &mut dyn Db, email: &str) -> Result<Option<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.email = $1");
    db.query_opt(&sql, params![email])?
        .map(|r| user_from(&r, 0))
        .transpose()
}

pub fn credentials(db: &mut dyn Db, email: &str) -> Result<Option<Credentials>> {
    let sql = format!("SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE u.email = $1");
    db.query_opt(&sql, params![email])?
        .map(|r| {
            Ok(Credentials {
                user: user_from(&r, 0)?,
                password_hash: r.opt_text(USER_COLUMN_COUNT)?,
            })
        })
        .transpose()
}

pub fn set_password(db: &mut dyn Db, id: &UserId, hash: &str) -> Result<()> {
    super::changed(db.execute(
        "UPDATE users SET password_hash = $1 WHERE id = $2",
        params![hash, id.as_str()],
    )?)
}

pub fn set_user_phone(db: &mut dyn Db, id: &UserId, phone: Option<&str>) -> Result<()> {
    super::changed(db.execute(
        "UPDATE users SET phone = $1 WHERE id = $2",
        params![phone, id.as_str()],
    )?)
}

pub fn create_session(db: &mut dyn Db, s: &NewSession) -> Result<()> {
    db.execute(
        "INSERT INTO sessions (token_hash, user_id, auth_method, created_at, expires_at, user_agent, ip, last_seen_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $4)",
        params![
            &s.token_hash,
            s.user_id.as_str(),
            &s.auth_method,
            s.created_at,
            s.expires_at,
            s.user_agent.clone(),
            s.ip.clone()
        ],
    )?;
    Ok(())
}

/// The session with this token hash, expired or not.
pub fn session(db: &mut dyn Db, token_hash: &str) -> Result<Option<Session>> {
    let sql = format!(
        "SELECT {USER_COLUMNS}, s.auth_method, s.created_at, s.expires_at, s.last_seen_at
         FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.token_hash = $1"
    );
    db.query_opt(&sql, params![token_hash])?
        .map(|r| {
            Ok(Session {
                user: user_from(&r, 0)?,
                auth_method: r.text(USER_COLUMN_COUNT)?,
                created_at: r.time(USER_COLUMN_COUNT + 1)?,
                expires_at: r.time(USER_COLUMN_COUNT + 2)?,
                last_seen_at: r.opt_time(USER_COLUMN_COUNT + 3)?,
            })
        })
        .transpose()
}

pub fn delete_session(db: &mut dyn Db, token_hash: &str) -> Result<()> {
    db.execute(
        "DELETE FROM sessions WHERE token_hash = $1",
        params![token_hash],
    )?;
    Ok(())
}

pub fn delete_other_sessions(db: &mut dyn Db, user: &UserId, keep: &str) -> Result<()> {
    db.execute(
        "DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2",
        params![user.as_str(), keep],
    )?;
    Ok(())
}

pub fn delete_expired(
    db: &mut dyn Db,
    now: Timestamp,
    idempotency_before: Timestamp,
) -> Result<u64> {
    let sessions = db.execute("DELETE FROM sessions WHERE expires_at <= $1", params![now])?;
    let links = super::account_tokens::delete_ended(db, now)?;
    let keys = db.execute(
        "DELETE FROM idempotency_keys WHERE created_at < $1",
        params![idempotency_before],
    )?;
    Ok(sessions + keys + links)
}

/// A user's live sessions, the most recently used first.
pub fn sessions_of(db: &mut dyn Db, user: &UserId, now: Timestamp) -> Result<Vec<SessionInfo>> {
    db.query(
        "SELECT token_hash, auth_method, user_agent, ip, created_at, last_seen_at, expires_at
         FROM sessions WHERE user_id = $1 AND expires_at > $2
         ORDER BY COALESCE(last_seen_at, created_at) DESC, created_at DESC",
        params![user.as_str(), now],
    )?
    .iter()
    .map(|r| {
        Ok(SessionInfo {
            token_hash: r.text(0)?,
            auth_method: r.text(1)?,
            user_agent: r.opt_text(2)?,
            ip: r.opt_text(3)?,
            created_at: r.time(4)?,
            last_seen_at: r.opt_time(5)?,
            expires_at: r.time(6)?,
        })
    })
    .collect()
}

/// Records that a session was used, unless that was recorded since `since`.
pub fn touch_session(
    db: &mut dyn Db,
    token_hash: &str,
    now: Timestamp,
    since: Timestamp,
) -> Result<()> {
    db.execute(
        "UPDATE sessions SET last_seen_at = $1
         WHERE token_hash = $2 AND (last_seen_at IS NULL OR last_seen_at < $3)",
        params![now, token_hash, since],
    )?;
    Ok(())
}

/// Ends one of a user's sessions, named by the start of its token hash; `false` when none.
pub fn end_session(db: &mut dyn Db, user: &UserId, hash_prefix: &str) -> Result<bool> {
    if hash_prefix.len() < 16 || !hash_prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(false);
    }
    let pattern = format!("{}%", hash_prefix.to_ascii_lowercase());
    Ok(db.execute(
        "DELETE FROM sessions WHERE user_id = $1 AND token_hash LIKE $2",
        params![user.as_str(), pattern],
    )? > 0)
}
