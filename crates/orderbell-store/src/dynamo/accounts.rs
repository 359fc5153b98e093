//! Accounts on DynamoDB: settings, users, sessions, sign-in devices, single-use account links
//! and the second factor (queries/accounts.rs, account_tokens.rs, sign_in_devices.rs and
//! second_factor.rs are the reference). Everything is in `s.main`:
//!
//! - a setting, `SETTING#<key> / SETTING`: `value`; the first value stays (conditional put).
//! - a user, `USER#<id> / USER`: the fields of [`User`], `password_hash` and `sign_in_mail`
//!   (absent: on, as the SQL column's default). The same partition holds what belongs to the
//!   account alone, so that it is read with one consistent Query: `DEVICE#<device>` (a
//!   sign-in device), `TOTP` (the second factor), `RECOVERY#<code hash>` (its recovery codes),
//!   and the passkeys and linked identities of `passkeys.rs` and `identities.rs`.
//! - an address, `EMAIL#<e-mail> / EMAIL` → `user_id`: an address has one account because
//!   this item is put with `attribute_not_exists(pk)` in the user's own transaction. The
//!   address is kept as given, not lowercased as docs/design/serverless-plan.md §5 has it:
//!   SQL's unique column compares it exactly, and the callers normalise addresses already.
//! - a session, `SESSION#<token hash> / S`, so that every request's lookup is one consistent
//!   GetItem. Index g1 `USER#<user> / SESSION#<token hash>` lists a user's sessions (the plan
//!   has the creation time after `SESSION#`; the hash instead makes "the session whose hash
//!   starts so" a key condition, and the list is ordered by last use in memory anyway).
//! - an account link, `TOKEN#<token hash> / T`. Index g1 `USER#<user> / TOKEN#<purpose>#<hash>`
//!   holds it while it is unused, so that redeeming one finds the others to end.
//!
//! Sessions and links are also in index g2 under [`SWEEP`] by expiry, which is how
//! [`delete_expired`] finds them (`ttl`, a day after expiry, only collects what it missed).
//! Index reads are eventually consistent: every write that acts on one re-checks the item in
//! its condition, and a session made a moment before a password change or reset may be missed
//! by the index and survive it (SQL ends it).
//!
//! The helpers at the end (`update`, `delete`, `check`, `put`, `names`, `transact`) are shared
//! with `passkeys.rs` and `identities.rs`.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, Put, ReturnValue, Select, TransactWriteItem, Update,
};
use orderbell_core::user::User;
use orderbell_core::{Timestamp, UserId};

use super::item::{self, Item, Read, b, key, n, n_ts, s as text, sort_ts};
use super::{DynamoStore, MAX_ACTIONS, fail, notifications as outbox, orders};
use crate::notifications::NewNotification;
use crate::records::{
    Credentials, NewAccountToken, NewSession, NewUser, Session, SessionInfo, TokenPurpose,
    TotpFactor,
};
use crate::{Result, StoreError};

/// How often a write that met a concurrent one (or an outbox id taken in the same
/// millisecond) is tried again.
pub(super) const ATTEMPTS: u32 = 5;

/// How long an expired item stays before DynamoDB's TTL may collect it: the explicit purges
/// come first, and their counts stay those of SQL.
pub(super) const KEPT_AFTER_EXPIRY_SECS: i64 = 24 * 3600;

/// The g2 partition of sessions and account links, by expiry (`<expires_at>#<pk>`).
const SWEEP: &str = "EXPIRES#account";

/// What `conflict` says when an address has an account (SQL's words).
const EMAIL_TAKEN: &str = "a user with this e-mail address exists";

// ---------------------------------------------------------------------------------------------
// Keys

pub(super) fn user_pk(id: &UserId) -> String {
    format!("USER#{id}")
}

pub(super) fn user_key(id: &UserId) -> Item {
    key(user_pk(id), "USER")
}

fn email_key(email: &str) -> Item {
    key(format!("EMAIL#{email}"), "EMAIL")
}

fn setting_key(k: &str) -> Item {
    key(format!("SETTING#{k}"), "SETTING")
}

fn session_key(token_hash: &str) -> Item {
    key(format!("SESSION#{token_hash}"), "S")
}

fn token_key(token_hash: &str) -> Item {
    key(format!("TOKEN#{token_hash}"), "T")
}

fn device_key(user: &UserId, device: &str) -> Item {
    key(user_pk(user), format!("DEVICE#{device}"))
}

fn totp_key(user: &UserId) -> Item {
    key(user_pk(user), "TOTP")
}

fn recovery_key(user: &UserId, code_hash: &str) -> Item {
    key(user_pk(user), format!("RECOVERY#{code_hash}"))
}

/// The `ttl` of an item that ends at `at` (epoch seconds, with the margin above).
pub(super) fn ttl(at: Timestamp) -> AttributeValue {
    n(at.as_second().saturating_add(KEPT_AFTER_EXPIRY_SECS))
}

/// The g2 sort key under [`SWEEP`] (and the other expiry partitions): expiry, then the item.
pub(super) fn expiry_sk(at: Timestamp, pk: &str) -> String {
    format!("{}#{pk}", sort_ts(at))
}

/// The bound below which every expiry sort key is at `now` or earlier.
pub(super) fn expired_bound(now: Timestamp) -> String {
    sort_ts(Timestamp::from_millisecond(now.as_millisecond().saturating_add(1)).unwrap_or(now))
}

// ---------------------------------------------------------------------------------------------
// Settings

pub(super) async fn setting(s: &DynamoStore, k: &str) -> Result<Option<String>> {
    match s.get(&s.main, setting_key(k)).await? {
        Some(it) => Ok(Some(it.get_s("value")?.to_owned())),
        None => Ok(None),
    }
}

pub(super) async fn setting_init(s: &DynamoStore, k: &str, value: &str) -> Result<String> {
    let mut it = setting_key(k);
    it.insert("value".into(), text(value));
    let put = s
        .client
        .put_item()
        .table_name(&s.main)
        .set_item(Some(it))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await;
    match put {
        Ok(_) => Ok(value.to_owned()),
        Err(e) if fail::condition_failed(&e) => setting(s, k).await?.ok_or(StoreError::NotFound),
        Err(e) => Err(fail::sdk(e)),
    }
}

// ---------------------------------------------------------------------------------------------
// Users

fn user_item(u: &NewUser) -> Item {
    let mut it = item::item([
        ("pk", text(user_pk(&u.id))),
        ("sk", text("USER")),
        ("id", text(u.id.as_str())),
        ("email", text(u.email.as_str())),
        ("name", text(u.name.as_str())),
        ("created_at", n_ts(u.created_at)),
        ("sign_in_mail", b(true)),
    ]);
    if let Some(hash) = &u.password_hash {
        it.insert("password_hash".into(), text(hash.as_str()));
    }
    if let Some(at) = u.email_verified_at {
        it.insert("email_verified_at".into(), n_ts(at));
    }
    it
}

fn user_from(it: &Item) -> Result<User> {
    Ok(User {
        id: UserId::from_stored(it.get_s("id")?.to_owned()),
        email: it.get_s("email")?.to_owned(),
        name: it.get_s("name")?.to_owned(),
        created_at: it.get_ts("created_at")?,
        phone: it.opt_s("phone")?.map(str::to_owned),
        email_verified: it.opt_n("email_verified_at")?.is_some(),
    })
}

/// The two puts that make a user (its address first, then the user), for a transaction.
pub(super) fn create_user_actions(s: &DynamoStore, u: &NewUser) -> Result<Vec<TransactWriteItem>> {
    let mut address = email_key(&u.email);
    address.insert("user_id".into(), text(u.id.as_str()));
    Ok(vec![
        put(&s.main, address, Some("attribute_not_exists(pk)"))?,
        put(&s.main, user_item(u), Some("attribute_not_exists(pk)"))?,
    ])
}

/// Why [`create_user_actions`] (at `at`, `at + 1`) were refused, when they were.
pub(super) fn user_refused(reasons: &[Option<String>], at: usize) -> Option<StoreError> {
    if failed_at(reasons, at) {
        Some(StoreError::Conflict(EMAIL_TAKEN.into()))
    } else if failed_at(reasons, at + 1) {
        Some(StoreError::Conflict("a user with this id exists".into()))
    } else {
        None
    }
}

/// The user as [`create_user`] answers it.
pub(super) fn made_user(u: &NewUser) -> User {
    User {
        id: u.id.clone(),
        email: u.email.clone(),
        name: u.name.clone(),
        created_at: u.created_at,
        phone: None,
        email_verified: u.email_verified_at.is_some(),
    }
}

pub(super) async fn create_user(s: &DynamoStore, u: NewUser) -> Result<User> {
    match transact(s, "creating a user", create_user_actions(s, &u)?).await? {
        Ok(()) => Ok(made_user(&u)),
        Err(reasons) => {
            Err(user_refused(&reasons, 0).unwrap_or_else(|| cancelled("create a user", &reasons)))
        }
    }
}

pub(super) async fn user(s: &DynamoStore, id: &UserId) -> Result<Option<User>> {
    s.get(&s.main, user_key(id))
        .await?
        .as_ref()
        .map(user_from)
        .transpose()
}

/// The user item of an address.
async fn user_item_by_email(s: &DynamoStore, email: &str) -> Result<Option<Item>> {
    let Some(address) = s.get(&s.main, email_key(email)).await? else {
        return Ok(None);
    };
    let id = UserId::from_stored(address.get_s("user_id")?.to_owned());
    s.get(&s.main, user_key(&id)).await
}

pub(super) async fn user_by_email(s: &DynamoStore, email: &str) -> Result<Option<User>> {
    user_item_by_email(s, email)
        .await?
        .as_ref()
        .map(user_from)
        .transpose()
}

pub(super) async fn credentials(s: &DynamoStore, email: &str) -> Result<Option<Credentials>> {
    user_item_by_email(s, email)
        .await?
        .map(|it| {
            Ok(Credentials {
                user: user_from(&it)?,
                password_hash: it.opt_s("password_hash")?.map(str::to_owned),
            })
        })
        .transpose()
}

pub(super) async fn set_password(s: &DynamoStore, id: &UserId, password_hash: &str) -> Result<()> {
    let done = update_if(
        s,
        user_key(id),
        "SET #password_hash = :h",
        "attribute_exists(pk)",
        &["password_hash"],
        item::values([(":h", text(password_hash))]),
    )
    .await?;
    if done {
        Ok(())
    } else {
        Err(StoreError::NotFound)
    }
}

pub(super) async fn set_user_phone(
    s: &DynamoStore,
    id: &UserId,
    phone: Option<String>,
) -> Result<()> {
    let done = match phone {
        Some(phone) => {
            update_if(
                s,
                user_key(id),
                "SET #phone = :p",
                "attribute_exists(pk)",
                &["phone"],
                item::values([(":p", text(phone))]),
            )
            .await?
        }
        None => {
            update_if(
                s,
                user_key(id),
                "REMOVE #phone",
                "attribute_exists(pk)",
                &["phone"],
                Item::new(),
            )
            .await?
        }
    };
    if done {
        Ok(())
    } else {
        Err(StoreError::NotFound)
    }
}

// ---------------------------------------------------------------------------------------------
// Sessions

/// Creates a session. The user is not checked (SQL's foreign key): users are never deleted,
/// and a session whose user is missing is never live (as SQL's join).
pub(super) async fn create_session(s: &DynamoStore, new: NewSession) -> Result<()> {
    let k = session_key(&new.token_hash);
    let pk = format!("SESSION#{}", new.token_hash);
    let mut it = item::item([
        ("token_hash", text(new.token_hash.as_str())),
        ("user_id", text(new.user_id.as_str())),
        ("auth_method", text(new.auth_method.as_str())),
        ("created_at", n_ts(new.created_at)),
        ("expires_at", n_ts(new.expires_at)),
        ("last_seen_at", n_ts(new.created_at)),
        ("g1pk", text(user_pk(&new.user_id))),
        ("g1sk", text(format!("SESSION#{}", new.token_hash))),
        ("g2pk", text(SWEEP)),
        ("g2sk", text(expiry_sk(new.expires_at, &pk))),
        ("ttl", ttl(new.expires_at)),
    ]);
    it.extend(k);
    if let Some(agent) = new.user_agent {
        it.insert("user_agent".into(), text(agent));
    }
    if let Some(ip) = new.ip {
        it.insert("ip".into(), text(ip));
    }
    let put = s
        .client
        .put_item()
        .table_name(&s.main)
        .set_item(Some(it))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await;
    match put {
        Ok(_) => Ok(()),
        Err(e) if fail::condition_failed(&e) => Err(StoreError::Conflict(
            "a session with this token exists".into(),
        )),
        Err(e) => Err(fail::sdk(e)),
    }
}

/// Records a sign-in (see `queries/sign_in_devices.rs::note`).
pub(super) async fn note_sign_in_device(
    s: &DynamoStore,
    user: &UserId,
    device: &str,
    now: Timestamp,
    mail: Option<NewNotification>,
) -> Result<bool> {
    for _ in 0..ATTEMPTS {
        let seen = update_if(
            s,
            device_key(user, device),
            "SET #last_seen_at = :now",
            "attribute_exists(pk)",
            &["last_seen_at"],
            item::values([(":now", n_ts(now))]),
        )
        .await?;
        if seen {
            return Ok(false);
        }
        let others = s
            .client
            .query()
            .table_name(&s.main)
            .consistent_read(true)
            .key_condition_expression("pk = :pk AND begins_with(sk, :d)")
            .expression_attribute_values(":pk", text(user_pk(user)))
            .expression_attribute_values(":d", text("DEVICE#"))
            .select(Select::Count)
            .limit(1)
            .send()
            .await
            .map_err(fail::sdk)?
            .count
            > 0;
        let news = others && sign_in_mail(s, user).await?;
        let mut it = device_key(user, device);
        it.insert("first_seen_at".into(), n_ts(now));
        it.insert("last_seen_at".into(), n_ts(now));
        let mut actions = vec![put(&s.main, it, Some("attribute_not_exists(pk)"))?];
        if let Some(mail) = mail.as_ref().filter(|_| news) {
            actions.push(outbox::enqueue(s, mail)?.1);
        }
        match transact(s, "recording a sign-in device", actions).await? {
            Ok(()) => return Ok(news),
            // Another sign-in from this device recorded it first, or the mail's id was taken
            // in the same millisecond: look again.
            Err(reasons) if failed_at(&reasons, 0) || failed_at(&reasons, 1) => continue,
            Err(reasons) => return Err(cancelled("record a sign-in device", &reasons)),
        }
    }
    Err(busy("recording a sign-in device"))
}

pub(super) async fn sign_in_mail(s: &DynamoStore, user: &UserId) -> Result<bool> {
    match s.get(&s.main, user_key(user)).await? {
        Some(it) => Ok(it.opt_b("sign_in_mail")?.unwrap_or(true)),
        None => Ok(false),
    }
}

pub(super) async fn set_sign_in_mail(s: &DynamoStore, user: &UserId, on: bool) -> Result<()> {
    // SQL answers Ok for an unknown user too; the condition only keeps from making half a user.
    update_if(
        s,
        user_key(user),
        "SET #sign_in_mail = :on",
        "attribute_exists(pk)",
        &["sign_in_mail"],
        item::values([(":on", b(on))]),
    )
    .await?;
    Ok(())
}

pub(super) async fn session(
    s: &DynamoStore,
    token_hash: &str,
    now: Timestamp,
) -> Result<Option<Session>> {
    let Some(it) = s.get(&s.main, session_key(token_hash)).await? else {
        return Ok(None);
    };
    let expires_at = it.get_ts("expires_at")?;
    if expires_at <= now {
        // Gone for good, so that the clock stepping back cannot revive it.
        delete_session(s, token_hash).await?;
        return Ok(None);
    }
    let owner = UserId::from_stored(it.get_s("user_id")?.to_owned());
    let Some(user) = user(s, &owner).await? else {
        return Ok(None);
    };
    Ok(Some(Session {
        user,
        auth_method: it.get_s("auth_method")?.to_owned(),
        created_at: it.get_ts("created_at")?,
        expires_at,
        last_seen_at: it.opt_ts("last_seen_at")?,
    }))
}

pub(super) async fn delete_session(s: &DynamoStore, token_hash: &str) -> Result<()> {
    s.client
        .delete_item()
        .table_name(&s.main)
        .set_key(Some(session_key(token_hash)))
        .send()
        .await
        .map_err(fail::sdk)?;
    Ok(())
}

/// A user's sessions through index g1 whose hash starts with `hash_prefix` (all: ""),
/// expired or not.
async fn sessions_in_index(s: &DynamoStore, user: &UserId, hash_prefix: &str) -> Result<Vec<Item>> {
    let query = s
        .client
        .query()
        .table_name(&s.main)
        .index_name("g1")
        .key_condition_expression("g1pk = :u AND begins_with(g1sk, :p)")
        .expression_attribute_values(":u", text(user_pk(user)))
        .expression_attribute_values(":p", text(format!("SESSION#{hash_prefix}")));
    s.query_all(query, None).await
}

/// Deletes a session found through the index, if it is still the user's; whether it was.
async fn delete_users_session(s: &DynamoStore, user: &UserId, token_hash: &str) -> Result<bool> {
    delete_if(
        s,
        session_key(token_hash),
        "#user_id = :u",
        &["user_id"],
        item::values([(":u", text(user.as_str()))]),
    )
    .await
}

pub(super) async fn delete_other_sessions(
    s: &DynamoStore,
    user: &UserId,
    keep_token_hash: &str,
) -> Result<()> {
    for it in sessions_in_index(s, user, "").await? {
        let hash = it.get_s("token_hash")?;
        if hash != keep_token_hash {
            delete_users_session(s, user, hash).await?;
        }
    }
    Ok(())
}

/// Deletes the sessions and account links that ended at `now` (SQL: `expires_at <= now`,
/// used links included) and the idempotency keys made before `idempotency_before`.
pub(super) async fn delete_expired(
    s: &DynamoStore,
    now: Timestamp,
    idempotency_before: Timestamp,
) -> Result<u64> {
    let ended = purge_expired(s, SWEEP, now).await?;
    let keys = orders::purge_idempotency(s, idempotency_before).await?;
    Ok(ended + keys)
}

/// Deletes every item of the g2 expiry partition `partition` that ended at `now`, each under
/// the condition that it still has (index reads can be stale); how many went.
pub(super) async fn purge_expired(s: &DynamoStore, partition: &str, now: Timestamp) -> Result<u64> {
    let query = s
        .client
        .query()
        .table_name(&s.main)
        .index_name("g2")
        .key_condition_expression("g2pk = :p AND g2sk < :bound")
        .expression_attribute_values(":p", text(partition))
        .expression_attribute_values(":bound", text(expired_bound(now)));
    let mut purged = 0;
    for it in s.query_all(query, None).await? {
        let gone = delete_if(
            s,
            key(it.get_s("pk")?, it.get_s("sk")?),
            "#expires_at <= :now",
            &["expires_at"],
            item::values([(":now", n_ts(now))]),
        )
        .await?;
        purged += u64::from(gone);
    }
    Ok(purged)
}

fn session_info(it: &Item) -> Result<SessionInfo> {
    Ok(SessionInfo {
        token_hash: it.get_s("token_hash")?.to_owned(),
        auth_method: it.get_s("auth_method")?.to_owned(),
        user_agent: it.opt_s("user_agent")?.map(str::to_owned),
        ip: it.opt_s("ip")?.map(str::to_owned),
        created_at: it.get_ts("created_at")?,
        last_seen_at: it.opt_ts("last_seen_at")?,
        expires_at: it.get_ts("expires_at")?,
    })
}

/// A user's live sessions, the most recently used first (then the newest).
pub(super) async fn sessions_of(
    s: &DynamoStore,
    user: &UserId,
    now: Timestamp,
) -> Result<Vec<SessionInfo>> {
    let mut live = Vec::new();
    for it in sessions_in_index(s, user, "").await? {
        let info = session_info(&it)?;
        if info.expires_at > now {
            live.push(info);
        }
    }
    live.sort_by(|a, b| {
        let used = |i: &SessionInfo| i.last_seen_at.unwrap_or(i.created_at);
        used(b).cmp(&used(a)).then(b.created_at.cmp(&a.created_at))
    });
    Ok(live)
}

pub(super) async fn touch_session(
    s: &DynamoStore,
    token_hash: &str,
    now: Timestamp,
    since: Timestamp,
) -> Result<()> {
    update_if(
        s,
        session_key(token_hash),
        "SET #last_seen_at = :now",
        "attribute_exists(pk) AND (attribute_not_exists(#last_seen_at) OR #last_seen_at < :since)",
        &["last_seen_at"],
        item::values([(":now", n_ts(now)), (":since", n_ts(since))]),
    )
    .await?;
    Ok(())
}

/// Ends the user's sessions whose hash starts with `hash_prefix` (16 hex digits at least).
pub(super) async fn end_session(s: &DynamoStore, user: &UserId, hash_prefix: &str) -> Result<bool> {
    if hash_prefix.len() < 16 || !hash_prefix.bytes().all(|c| c.is_ascii_hexdigit()) {
        return Ok(false);
    }
    let prefix = hash_prefix.to_ascii_lowercase();
    let mut ended = false;
    for it in sessions_in_index(s, user, &prefix).await? {
        ended |= delete_users_session(s, user, it.get_s("token_hash")?).await?;
    }
    Ok(ended)
}

// ---------------------------------------------------------------------------------------------
// Account links

fn open_token_sk(purpose: TokenPurpose, token_hash: &str) -> String {
    format!("TOKEN#{}#{token_hash}", purpose.as_str())
}

/// Stores a link and queues its mail in one transaction. `Conflict` when the hash is taken
/// (SQL's primary key); the user is not checked (see [`create_session`]).
pub(super) async fn issue_account_token(
    s: &DynamoStore,
    token: NewAccountToken,
    mail: Option<NewNotification>,
) -> Result<()> {
    let pk = format!("TOKEN#{}", token.token_hash);
    let mut it = item::item([
        ("token_hash", text(token.token_hash.as_str())),
        ("user_id", text(token.user_id.as_str())),
        ("purpose", text(token.purpose.as_str())),
        ("created_at", n_ts(token.created_at)),
        ("expires_at", n_ts(token.expires_at)),
        ("g1pk", text(user_pk(&token.user_id))),
        (
            "g1sk",
            text(open_token_sk(token.purpose, &token.token_hash)),
        ),
        ("g2pk", text(SWEEP)),
        ("g2sk", text(expiry_sk(token.expires_at, &pk))),
        ("ttl", ttl(token.expires_at)),
    ]);
    it.extend(token_key(&token.token_hash));
    for _ in 0..ATTEMPTS {
        let mut actions = vec![put(&s.main, it.clone(), Some("attribute_not_exists(pk)"))?];
        if let Some(mail) = &mail {
            actions.push(outbox::enqueue(s, mail)?.1);
        }
        match transact(s, "issuing an account link", actions).await? {
            Ok(()) => return Ok(()),
            Err(reasons) if failed_at(&reasons, 0) => {
                return Err(StoreError::Conflict(
                    "an account link with this token exists".into(),
                ));
            }
            // The mail's id was taken in the same millisecond: another id.
            Err(reasons) if failed_at(&reasons, 1) => continue,
            Err(reasons) => return Err(cancelled("issue an account link", &reasons)),
        }
    }
    Err(busy("issuing an account link"))
}

/// The link's user when it is of `purpose`, unused and unexpired at `now`.
async fn open_token(
    s: &DynamoStore,
    token_hash: &str,
    purpose: TokenPurpose,
    now: Timestamp,
) -> Result<Option<UserId>> {
    let Some(it) = s.get(&s.main, token_key(token_hash)).await? else {
        return Ok(None);
    };
    let open = it.get_s("purpose")? == purpose.as_str()
        && it.opt_n("used_at")?.is_none()
        && it.get_ts("expires_at")? > now;
    if !open {
        return Ok(None);
    }
    Ok(Some(UserId::from_stored(it.get_s("user_id")?.to_owned())))
}

/// Uses a link (see `queries/account_tokens.rs::redeem`): in one transaction the link is used,
/// the user's other open links of the purpose end, the address is verified, and for a reset
/// (`password_hash`) the password is set and every session ends.
async fn redeem(
    s: &DynamoStore,
    token_hash: &str,
    purpose: TokenPurpose,
    now: Timestamp,
    password_hash: Option<&str>,
) -> Result<Option<UserId>> {
    for round in 0..ATTEMPTS {
        let Some(user) = open_token(s, token_hash, purpose, now).await? else {
            return Ok(None);
        };
        // Index g1 holds the open links only; each update re-checks its item.
        let others = s
            .client
            .query()
            .table_name(&s.main)
            .index_name("g1")
            .key_condition_expression("g1pk = :u AND begins_with(g1sk, :p)")
            .expression_attribute_values(":u", text(user_pk(&user)))
            .expression_attribute_values(":p", text(format!("TOKEN#{}#", purpose.as_str())));
        let others = s.query_all(others, None).await?;
        let sessions = match password_hash {
            Some(_) => sessions_in_index(s, &user, "").await?,
            None => Vec::new(),
        };

        let mut actions = vec![update(
            &s.main,
            token_key(token_hash),
            "SET #used_at = :now REMOVE g1pk, g1sk",
            Some(
                "attribute_exists(pk) AND #purpose = :p AND attribute_not_exists(#used_at) \
                 AND #expires_at > :now",
            ),
            &["used_at", "purpose", "expires_at"],
            item::values([(":now", n_ts(now)), (":p", text(purpose.as_str()))]),
        )?];
        actions.push(match password_hash {
            Some(hash) => update(
                &s.main,
                user_key(&user),
                "SET #email_verified_at = if_not_exists(#email_verified_at, :now), \
                 #password_hash = :h",
                Some("attribute_exists(pk)"),
                &["email_verified_at", "password_hash"],
                item::values([(":now", n_ts(now)), (":h", text(hash))]),
            )?,
            None => update(
                &s.main,
                user_key(&user),
                "SET #email_verified_at = if_not_exists(#email_verified_at, :now)",
                Some("attribute_exists(pk)"),
                &["email_verified_at"],
                item::values([(":now", n_ts(now))]),
            )?,
        });
        let mut rest = Vec::new();
        for other in &others {
            let hash = other.get_s("token_hash")?;
            if hash == token_hash {
                continue;
            }
            rest.push(update(
                &s.main,
                token_key(hash),
                "SET #used_at = if_not_exists(#used_at, :now) REMOVE g1pk, g1sk",
                Some("attribute_exists(pk)"),
                &["used_at"],
                item::values([(":now", n_ts(now))]),
            )?);
        }
        for session in &sessions {
            rest.push(delete(
                &s.main,
                session_key(session.get_s("token_hash")?),
                None,
                &[],
                Item::new(),
            )?);
        }
        // What does not fit in the first transaction follows in more (a user with more than
        // ninety-odd sessions).
        let overflow = rest.split_off(rest.len().min(MAX_ACTIONS - actions.len()));
        actions.extend(rest);
        match s.transact(actions).await? {
            Ok(()) => {
                for chunk in overflow.chunks(MAX_ACTIONS) {
                    if let Err(reasons) =
                        transact(s, "ending links and sessions", chunk.to_vec()).await?
                    {
                        return Err(cancelled("end links and sessions", &reasons));
                    }
                }
                return Ok(Some(user));
            }
            // Used (or gone) meanwhile: read again, which answers None.
            Err(reasons) if failed_at(&reasons, 0) => continue,
            Err(reasons) if failed_at(&reasons, 1) => return Ok(None),
            // Another link changed under us, or another transaction met ours: read again.
            Err(reasons) if conditions_or_conflicts(&reasons) => pause(round).await,
            Err(reasons) => return Err(cancelled("use an account link", &reasons)),
        }
    }
    Err(busy("using an account link"))
}

pub(super) async fn redeem_account_token(
    s: &DynamoStore,
    token_hash: &str,
    purpose: TokenPurpose,
    now: Timestamp,
) -> Result<Option<UserId>> {
    redeem(s, token_hash, purpose, now, None).await
}

pub(super) async fn account_token_user(
    s: &DynamoStore,
    token_hash: &str,
    purpose: TokenPurpose,
    now: Timestamp,
) -> Result<Option<User>> {
    match open_token(s, token_hash, purpose, now).await? {
        Some(id) => user(s, &id).await,
        None => Ok(None),
    }
}

pub(super) async fn reset_password(
    s: &DynamoStore,
    token_hash: &str,
    password_hash: &str,
    now: Timestamp,
) -> Result<Option<UserId>> {
    redeem(
        s,
        token_hash,
        TokenPurpose::ResetPassword,
        now,
        Some(password_hash),
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// The second factor

pub(super) async fn totp(s: &DynamoStore, user: &UserId) -> Result<Option<TotpFactor>> {
    s.get(&s.main, totp_key(user))
        .await?
        .map(|it| {
            Ok(TotpFactor {
                secret: it.get_s("secret")?.to_owned(),
                confirmed: it.opt_n("confirmed_at")?.is_some(),
                last_step: it.opt_n("last_step")?.unwrap_or(0),
            })
        })
        .transpose()
}

fn mfa_on() -> StoreError {
    StoreError::Conflict("two-step sign-in is on already; turn it off first".into())
}

/// A new pending secret, replacing an unconfirmed one; `Conflict` while one is confirmed.
pub(super) async fn set_pending_totp(
    s: &DynamoStore,
    user: &UserId,
    secret: &str,
    now: Timestamp,
) -> Result<()> {
    let mut it = totp_key(user);
    it.insert("secret".into(), text(secret));
    it.insert("created_at".into(), n_ts(now));
    it.insert("last_step".into(), n(0));
    let put = s
        .client
        .put_item()
        .table_name(&s.main)
        .set_item(Some(it))
        .condition_expression("attribute_not_exists(#confirmed_at)")
        .expression_attribute_names("#confirmed_at", "confirmed_at")
        .send()
        .await;
    match put {
        Ok(_) => Ok(()),
        Err(e) if fail::condition_failed(&e) => Err(mfa_on()),
        Err(e) => Err(fail::sdk(e)),
    }
}

/// The user's recovery code items (consistent).
async fn recovery_codes(s: &DynamoStore, user: &UserId) -> Result<Vec<Item>> {
    let query = s
        .client
        .query()
        .table_name(&s.main)
        .consistent_read(true)
        .key_condition_expression("pk = :pk AND begins_with(sk, :r)")
        .expression_attribute_values(":pk", text(user_pk(user)))
        .expression_attribute_values(":r", text("RECOVERY#"));
    s.query_all(query, None).await
}

/// Turns the pending secret on at `step`, with new recovery codes in place of the old ones,
/// in one transaction. `false` without a pending secret.
pub(super) async fn confirm_totp(
    s: &DynamoStore,
    user: &UserId,
    step: i64,
    recovery_hashes: Vec<String>,
    now: Timestamp,
) -> Result<bool> {
    let fresh: BTreeSet<&str> = recovery_hashes.iter().map(String::as_str).collect();
    if fresh.len() + 1 > MAX_ACTIONS {
        return Err(StoreError::Backend(format!(
            "{} recovery codes are more than one DynamoDB transaction holds",
            fresh.len()
        )));
    }
    for round in 0..ATTEMPTS {
        let mut actions = vec![update(
            &s.main,
            totp_key(user),
            "SET #confirmed_at = :now, #last_step = :step",
            Some("attribute_exists(pk) AND attribute_not_exists(#confirmed_at)"),
            &["confirmed_at", "last_step"],
            item::values([(":now", n_ts(now)), (":step", n(step))]),
        )?];
        // Old codes go; a new code equal to an old one is put over it (one action per item).
        let old = recovery_codes(s, user).await?;
        let mut stale = Vec::new();
        for it in &old {
            let sk = it.get_s("sk")?;
            let hash = sk.strip_prefix("RECOVERY#").unwrap_or(sk);
            if !fresh.contains(hash) {
                stale.push(delete(
                    &s.main,
                    recovery_key(user, hash),
                    None,
                    &[],
                    Item::new(),
                )?);
            }
        }
        for hash in &fresh {
            let mut it = recovery_key(user, hash);
            it.insert("code_hash".into(), text(*hash));
            actions.push(put(&s.main, it, None)?);
        }
        // Old codes beyond one transaction go after it (there are ten).
        let overflow = stale.split_off(stale.len().min(MAX_ACTIONS - actions.len()));
        actions.extend(stale);
        match s.transact(actions).await? {
            Ok(()) => {
                for chunk in overflow.chunks(MAX_ACTIONS) {
                    if let Err(reasons) =
                        transact(s, "replacing recovery codes", chunk.to_vec()).await?
                    {
                        return Err(cancelled("replace recovery codes", &reasons));
                    }
                }
                return Ok(true);
            }
            Err(reasons) if failed_at(&reasons, 0) => return Ok(false),
            Err(reasons) if only_conflicts(&reasons) => pause(round).await,
            Err(reasons) => return Err(cancelled("turn two-step sign-in on", &reasons)),
        }
    }
    Err(busy("turning two-step sign-in on"))
}

/// A sign-in with the code of `step`: only a later step than the last one counts.
pub(super) async fn use_totp_step(s: &DynamoStore, user: &UserId, step: i64) -> Result<bool> {
    update_if(
        s,
        totp_key(user),
        "SET #last_step = :step",
        "attribute_exists(#confirmed_at) AND #last_step < :step",
        &["confirmed_at", "last_step"],
        item::values([(":step", n(step))]),
    )
    .await
}

pub(super) async fn use_recovery_code(
    s: &DynamoStore,
    user: &UserId,
    code_hash: &str,
    now: Timestamp,
) -> Result<bool> {
    update_if(
        s,
        recovery_key(user, code_hash),
        "SET #used_at = :now",
        "attribute_exists(pk) AND attribute_not_exists(#used_at)",
        &["used_at"],
        item::values([(":now", n_ts(now))]),
    )
    .await
}

/// Turns the second factor off: the secret and the recovery codes go together.
pub(super) async fn remove_totp(s: &DynamoStore, user: &UserId) -> Result<()> {
    let mut actions = vec![delete(&s.main, totp_key(user), None, &[], Item::new())?];
    for it in recovery_codes(s, user).await? {
        actions.push(delete(
            &s.main,
            key(it.get_s("pk")?, it.get_s("sk")?),
            None,
            &[],
            Item::new(),
        )?);
    }
    for chunk in actions.chunks(MAX_ACTIONS) {
        if let Err(reasons) = transact(s, "turning two-step sign-in off", chunk.to_vec()).await? {
            return Err(cancelled("turn two-step sign-in off", &reasons));
        }
    }
    Ok(())
}

/// Queues a mail that carries no link.
pub(super) async fn queue_account_mail(s: &DynamoStore, mail: NewNotification) -> Result<()> {
    for _ in 0..ATTEMPTS {
        let (_, action) = outbox::enqueue(s, &mail)?;
        match transact(s, "queueing account mail", vec![action]).await? {
            Ok(()) => return Ok(()),
            // The id was taken in the same millisecond: another one.
            Err(reasons) if failed_at(&reasons, 0) => continue,
            Err(reasons) => return Err(cancelled("queue account mail", &reasons)),
        }
    }
    Err(busy("queueing account mail"))
}

// ---------------------------------------------------------------------------------------------
// Helpers (shared with passkeys.rs and identities.rs)

/// Expression attribute names `#a` → `a` for each attribute (reserved words such as `name`
/// and `purpose` can then be used); `None` for none.
pub(super) fn names(attrs: &[&str]) -> Option<HashMap<String, String>> {
    (!attrs.is_empty()).then(|| {
        attrs
            .iter()
            .map(|a| (format!("#{a}"), (*a).to_owned()))
            .collect()
    })
}

fn opt_values(values: Item) -> Option<Item> {
    (!values.is_empty()).then_some(values)
}

/// A Put for a transaction.
pub(super) fn put(table: &str, it: Item, condition: Option<&str>) -> Result<TransactWriteItem> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(it))
        .set_condition_expression(condition.map(str::to_owned))
        .build()
        .map_err(fail::build)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// An Update for a transaction (`#a` names each of `attrs`).
pub(super) fn update(
    table: &str,
    k: Item,
    expression: &str,
    condition: Option<&str>,
    attrs: &[&str],
    values: Item,
) -> Result<TransactWriteItem> {
    let update = Update::builder()
        .table_name(table)
        .set_key(Some(k))
        .update_expression(expression)
        .set_condition_expression(condition.map(str::to_owned))
        .set_expression_attribute_names(names(attrs))
        .set_expression_attribute_values(opt_values(values))
        .build()
        .map_err(fail::build)?;
    Ok(TransactWriteItem::builder().update(update).build())
}

/// A Delete for a transaction.
pub(super) fn delete(
    table: &str,
    k: Item,
    condition: Option<&str>,
    attrs: &[&str],
    values: Item,
) -> Result<TransactWriteItem> {
    let delete = Delete::builder()
        .table_name(table)
        .set_key(Some(k))
        .set_condition_expression(condition.map(str::to_owned))
        .set_expression_attribute_names(names(attrs))
        .set_expression_attribute_values(opt_values(values))
        .build()
        .map_err(fail::build)?;
    Ok(TransactWriteItem::builder().delete(delete).build())
}

/// A ConditionCheck for a transaction.
pub(super) fn check(
    table: &str,
    k: Item,
    condition: &str,
    attrs: &[&str],
    values: Item,
) -> Result<TransactWriteItem> {
    let check = ConditionCheck::builder()
        .table_name(table)
        .set_key(Some(k))
        .condition_expression(condition)
        .set_expression_attribute_names(names(attrs))
        .set_expression_attribute_values(opt_values(values))
        .build()
        .map_err(fail::build)?;
    Ok(TransactWriteItem::builder().condition_check(check).build())
}

/// One conditional UpdateItem in `s.main`; whether the condition held.
pub(super) async fn update_if(
    s: &DynamoStore,
    k: Item,
    expression: &str,
    condition: &str,
    attrs: &[&str],
    values: Item,
) -> Result<bool> {
    update_returning(s, k, expression, condition, attrs, values)
        .await
        .map(|it| it.is_some())
}

/// One conditional UpdateItem in `s.main`: the item as it is after it, or `None` when the
/// condition did not hold.
pub(super) async fn update_returning(
    s: &DynamoStore,
    k: Item,
    expression: &str,
    condition: &str,
    attrs: &[&str],
    values: Item,
) -> Result<Option<Item>> {
    let out = s
        .client
        .update_item()
        .table_name(&s.main)
        .set_key(Some(k))
        .update_expression(expression)
        .condition_expression(condition)
        .set_expression_attribute_names(names(attrs))
        .set_expression_attribute_values(opt_values(values))
        .return_values(ReturnValue::AllNew)
        .send()
        .await;
    match out {
        Ok(out) => Ok(Some(out.attributes.unwrap_or_default())),
        Err(e) if fail::condition_failed(&e) => Ok(None),
        Err(e) => Err(fail::sdk(e)),
    }
}

/// One conditional DeleteItem in `s.main`; whether the condition held.
pub(super) async fn delete_if(
    s: &DynamoStore,
    k: Item,
    condition: &str,
    attrs: &[&str],
    values: Item,
) -> Result<bool> {
    let out = s
        .client
        .delete_item()
        .table_name(&s.main)
        .set_key(Some(k))
        .condition_expression(condition)
        .set_expression_attribute_names(names(attrs))
        .set_expression_attribute_values(opt_values(values))
        .send()
        .await;
    match out {
        Ok(_) => Ok(true),
        Err(e) if fail::condition_failed(&e) => Ok(false),
        Err(e) => Err(fail::sdk(e)),
    }
}

/// Whether action `at` of a cancelled transaction failed its condition.
pub(super) fn failed_at(reasons: &[Option<String>], at: usize) -> bool {
    reasons.get(at).and_then(Option::as_deref) == Some("ConditionalCheckFailed")
}

/// Writes `actions` all or nothing, trying again (a few times, after a pause) while the only
/// trouble is a concurrent transaction on the same items. `Ok(Err(reasons))` when a condition
/// (or anything else) refused it.
pub(super) async fn transact(
    s: &DynamoStore,
    what: &str,
    actions: Vec<TransactWriteItem>,
) -> Result<std::result::Result<(), Vec<Option<String>>>> {
    for round in 0..ATTEMPTS {
        match s.transact(actions.clone()).await? {
            Err(reasons) if only_conflicts(&reasons) => pause(round).await,
            done => return Ok(done),
        }
    }
    Err(busy(what))
}

/// Whether a cancelled transaction met another one (worth trying again), and no condition.
pub(super) fn only_conflicts(reasons: &[Option<String>]) -> bool {
    reasons
        .iter()
        .any(|r| r.as_deref() == Some("TransactionConflict"))
        && !reasons
            .iter()
            .any(|r| r.as_deref() == Some("ConditionalCheckFailed"))
}

/// Whether a cancelled transaction was refused by conditions or concurrent transactions only
/// (not by a malformed action).
fn conditions_or_conflicts(reasons: &[Option<String>]) -> bool {
    reasons
        .iter()
        .flatten()
        .all(|r| r == "ConditionalCheckFailed" || r == "TransactionConflict")
}

/// A short pause before trying again, longer each round.
pub(super) async fn pause(round: u32) {
    tokio::time::sleep(Duration::from_millis(10 << round.min(6))).await;
}

pub(super) fn busy(what: &str) -> StoreError {
    StoreError::Unavailable(format!("{what} kept meeting concurrent changes; try again"))
}

/// A cancelled transaction that none of our conditions explains.
pub(super) fn cancelled(what: &str, reasons: &[Option<String>]) -> StoreError {
    StoreError::Backend(format!(
        "DynamoDB cancelled the write to {what}: {reasons:?}"
    ))
}

/// Against the emulator `ORDERBELL_TEST_DYNAMODB_URL` names (skipped without it): what the
/// conformance stories do not reach (the second factor, the list of sessions).
#[cfg(test)]
mod on_emulator {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;
    use aws_sdk_dynamodb::config::Credentials as Keys;

    async fn fresh() -> Option<DynamoStore> {
        let endpoint = std::env::var("ORDERBELL_TEST_DYNAMODB_URL").ok()?;
        let mut b = [0u8; 6];
        getrandom::fill(&mut b).unwrap();
        let prefix: String = b.iter().map(|x| format!("{x:02x}")).collect();
        let url = format!("dynamodb://acc{prefix}?region=us-east-1&endpoint={endpoint}");
        let keys = Keys::new("testing", "testing", None, None, "tests");
        Some(DynamoStore::open_with(&url, Some(keys)).await.unwrap())
    }

    fn at(ms: i64) -> Timestamp {
        Timestamp::from_millisecond(1_800_000_000_000 + ms).unwrap()
    }

    async fn someone(s: &DynamoStore, email: &str) -> UserId {
        let mut b = [0u8; 10];
        getrandom::fill(&mut b).unwrap();
        let id = UserId::from_parts(at(0).as_millisecond(), b);
        create_user(
            s,
            NewUser {
                id: id.clone(),
                email: email.into(),
                name: "Someone".into(),
                password_hash: None,
                created_at: at(0),
                email_verified_at: None,
            },
        )
        .await
        .unwrap();
        id
    }

    #[tokio::test]
    async fn the_second_factor_and_its_recovery_codes() {
        let Some(s) = fresh().await else { return };
        let u = someone(&s, "mfa@example.com").await;
        assert_eq!(totp(&s, &u).await.unwrap(), None);
        assert!(!confirm_totp(&s, &u, 1, vec![], at(0)).await.unwrap());
        set_pending_totp(&s, &u, "OLD", at(0)).await.unwrap();
        set_pending_totp(&s, &u, "NEW", at(1)).await.unwrap();
        let pending = totp(&s, &u).await.unwrap().unwrap();
        assert_eq!((pending.secret.as_str(), pending.confirmed), ("NEW", false));
        assert!(!use_totp_step(&s, &u, 9).await.unwrap(), "not confirmed");
        let codes = vec!["a".to_owned(), "b".to_owned()];
        assert!(confirm_totp(&s, &u, 5, codes, at(2)).await.unwrap());
        assert!(!confirm_totp(&s, &u, 6, vec![], at(2)).await.unwrap());
        assert!(matches!(
            set_pending_totp(&s, &u, "X", at(3)).await,
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(totp(&s, &u).await.unwrap().unwrap().last_step, 5);
        assert!(!use_totp_step(&s, &u, 5).await.unwrap());
        assert!(use_totp_step(&s, &u, 7).await.unwrap());
        assert!(!use_totp_step(&s, &u, 6).await.unwrap());
        assert!(use_recovery_code(&s, &u, "a", at(4)).await.unwrap());
        assert!(!use_recovery_code(&s, &u, "a", at(4)).await.unwrap());
        assert!(!use_recovery_code(&s, &u, "z", at(4)).await.unwrap());

        // Off, then on again: the old codes are gone, a code kept over is fresh.
        remove_totp(&s, &u).await.unwrap();
        assert_eq!(totp(&s, &u).await.unwrap(), None);
        assert!(!use_recovery_code(&s, &u, "b", at(5)).await.unwrap());
        set_pending_totp(&s, &u, "AGAIN", at(5)).await.unwrap();
        let codes = vec!["a".to_owned(), "c".to_owned(), "c".to_owned()];
        assert!(confirm_totp(&s, &u, 1, codes, at(6)).await.unwrap());
        assert!(use_recovery_code(&s, &u, "a", at(7)).await.unwrap());
        assert!(use_recovery_code(&s, &u, "c", at(7)).await.unwrap());
        assert_eq!(recovery_codes(&s, &u).await.unwrap().len(), 2);
    }

    fn new_session(u: &UserId, hash: &str, expires: i64) -> NewSession {
        NewSession {
            token_hash: hash.into(),
            user_id: u.clone(),
            auth_method: "password".into(),
            created_at: at(0),
            expires_at: at(expires),
            user_agent: Some("Firefox".into()),
            ip: None,
        }
    }

    #[tokio::test]
    async fn sessions_are_listed_touched_and_ended() {
        let Some(s) = fresh().await else { return };
        let u = someone(&s, "sessions@example.com").await;
        let other = someone(&s, "other@example.com").await;
        let (a, b) = ("a".repeat(64), "b".repeat(64));
        create_session(&s, new_session(&u, &a, 1000)).await.unwrap();
        create_session(&s, new_session(&u, &b, 1000)).await.unwrap();
        create_session(&s, new_session(&u, "gone", 10))
            .await
            .unwrap();
        create_session(&s, new_session(&other, "theirs", 1000))
            .await
            .unwrap();
        assert!(matches!(
            create_session(&s, new_session(&u, &a, 1000)).await,
            Err(StoreError::Conflict(_))
        ));
        // A new session was last seen when it was made (at 0): not since 0, but before 1.
        touch_session(&s, &b, at(30), at(0)).await.unwrap();
        touch_session(&s, &b, at(50), at(1)).await.unwrap();
        // Recorded since `since`: left alone.
        touch_session(&s, &b, at(60), at(40)).await.unwrap();
        let live = sessions_of(&s, &u, at(100)).await.unwrap();
        let hashes: Vec<_> = live.iter().map(|i| i.token_hash.as_str()).collect();
        assert_eq!(hashes, [b.as_str(), a.as_str()]);
        assert_eq!(live[0].last_seen_at, Some(at(50)));
        assert_eq!(live[1].user_agent.as_deref(), Some("Firefox"));

        assert!(!end_session(&s, &u, "bbbb").await.unwrap(), "too short");
        assert!(
            !end_session(&s, &other, &b[..16]).await.unwrap(),
            "not theirs"
        );
        assert!(
            end_session(&s, &u, &b[..16].to_ascii_uppercase())
                .await
                .unwrap()
        );
        assert!(session(&s, &b, at(100)).await.unwrap().is_none());
        delete_other_sessions(&s, &u, &a).await.unwrap();
        assert!(session(&s, &a, at(100)).await.unwrap().is_some());
        assert!(session(&s, "theirs", at(100)).await.unwrap().is_some());
        assert_eq!(sessions_of(&s, &u, at(100)).await.unwrap().len(), 1);
        assert_eq!(delete_expired(&s, at(2000), at(0)).await.unwrap(), 2);
    }

    #[tokio::test]
    async fn users_change_only_when_they_exist() {
        let Some(s) = fresh().await else { return };
        let u = someone(&s, "phone@example.com").await;
        set_user_phone(&s, &u, Some("+821012345678".into()))
            .await
            .unwrap();
        let phone = user(&s, &u).await.unwrap().unwrap().phone;
        assert_eq!(phone.as_deref(), Some("+821012345678"));
        set_user_phone(&s, &u, None).await.unwrap();
        assert_eq!(user(&s, &u).await.unwrap().unwrap().phone, None);
        let nobody = UserId::from_parts(1, [7; 10]);
        assert!(matches!(
            set_user_phone(&s, &nobody, None).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            set_password(&s, &nobody, "h").await,
            Err(StoreError::NotFound)
        ));
        set_sign_in_mail(&s, &nobody, false).await.unwrap();
        assert!(!sign_in_mail(&s, &nobody).await.unwrap());
        assert!(user(&s, &nobody).await.unwrap().is_none());
        assert_eq!(user_by_email(&s, "PHONE@example.com").await.unwrap(), None);
    }
}
