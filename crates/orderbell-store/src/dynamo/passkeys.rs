//! Passkeys and WebAuthn challenges on DynamoDB (queries/passkeys.rs is the reference).
//! Everything is in `s.main`:
//!
//! - a passkey, `USER#<user> / PASSKEY#<id>`, in its account's partition (see `accounts.rs`):
//!   every field of [`Passkey`], the COSE key as binary, the transports comma-separated as in
//!   SQL. A consistent Query of the partition lists them, and renaming or removing one of
//!   one's own is a write by key.
//! - its credential, `CRED#<credential id> / C` → `user_id`, `passkey_id`: a credential is
//!   registered once, because this item is put with `attribute_not_exists(pk)` in the
//!   passkey's own transaction; signing in reads it consistently.
//! - its id, `PASSKEY#<id> / P` → `user_id`, for [`use_passkey`], which is given the id alone.
//! - a challenge, `CHALLENGE#<hash> / C`, used once by a conditional update. Index g2
//!   `EXPIRES#webauthn / <expires_at>#<pk>` finds the expired ones, which each new challenge
//!   drops (as SQL does); `ttl` only collects what that missed.
//!
//! The three items of a passkey are written and removed in one transaction.

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue, Select};
use orderbell_core::{PasskeyId, Timestamp, UserId};

use super::accounts::{
    cancelled, check, delete, expiry_sk, failed_at, purge_expired, put, transact, ttl, update_if,
    update_returning, user_key, user_pk,
};
use super::item::{self, Item, Read, key, n, n_ts, s as text};
use super::{DynamoStore, fail};
use crate::passkeys::{ChallengePurpose, NewPasskey, Passkey};
use crate::{Result, StoreError};

/// The g2 partition of challenges, by expiry.
const CHALLENGES_BY_EXPIRY: &str = "EXPIRES#webauthn";

fn passkey_key(user: &UserId, id: &PasskeyId) -> Item {
    key(user_pk(user), format!("PASSKEY#{id}"))
}

fn passkey_id_key(id: &PasskeyId) -> Item {
    key(format!("PASSKEY#{id}"), "P")
}

fn credential_key(credential_id: &str) -> Item {
    key(format!("CRED#{credential_id}"), "C")
}

fn challenge_key(hash: &str) -> Item {
    key(format!("CHALLENGE#{hash}"), "C")
}

fn passkey_item(p: &NewPasskey) -> Item {
    let mut it = item::item([
        ("id", text(p.id.as_str())),
        ("user_id", text(p.user_id.as_str())),
        ("credential_id", text(p.credential_id.as_str())),
        (
            "public_key",
            AttributeValue::B(Blob::new(p.public_key.clone())),
        ),
        ("alg", n(p.alg)),
        ("sign_count", n(p.sign_count)),
        ("name", text(p.name.as_str())),
        ("transports", text(p.transports.join(","))),
        ("created_at", n_ts(p.created_at)),
    ]);
    it.extend(passkey_key(&p.user_id, &p.id));
    it
}

fn passkey_from(it: &Item) -> Result<Passkey> {
    let public_key = match it.get("public_key") {
        Some(AttributeValue::B(blob)) => blob.as_ref().to_vec(),
        _ => {
            return Err(StoreError::Backend(
                "a stored passkey lacks its binary public key".into(),
            ));
        }
    };
    Ok(Passkey {
        id: PasskeyId::from_stored(it.get_s("id")?.to_owned()),
        user_id: UserId::from_stored(it.get_s("user_id")?.to_owned()),
        credential_id: it.get_s("credential_id")?.to_owned(),
        public_key,
        alg: it.get_n("alg")?,
        sign_count: it.get_n("sign_count")?,
        name: it.get_s("name")?.to_owned(),
        transports: it
            .get_s("transports")?
            .split(',')
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect(),
        created_at: it.get_ts("created_at")?,
        last_used_at: it.opt_ts("last_used_at")?,
    })
}

/// Stores a passkey. `Conflict` when its credential is registered already (to anyone), its
/// id is taken, or the account does not exist (SQL's unique, primary and foreign keys).
pub(super) async fn create_passkey(s: &DynamoStore, passkey: NewPasskey) -> Result<Passkey> {
    let mut credential = credential_key(&passkey.credential_id);
    credential.insert("user_id".into(), text(passkey.user_id.as_str()));
    credential.insert("passkey_id".into(), text(passkey.id.as_str()));
    let mut by_id = passkey_id_key(&passkey.id);
    by_id.insert("user_id".into(), text(passkey.user_id.as_str()));
    let it = passkey_item(&passkey);
    let made = passkey_from(&it)?;
    let actions = vec![
        put(&s.main, credential, Some("attribute_not_exists(pk)"))?,
        put(&s.main, by_id, Some("attribute_not_exists(pk)"))?,
        put(&s.main, it, Some("attribute_not_exists(pk)"))?,
        check(
            &s.main,
            user_key(&passkey.user_id),
            "attribute_exists(pk)",
            &[],
            Item::new(),
        )?,
    ];
    match transact(s, "storing a passkey", actions).await? {
        Ok(()) => Ok(made),
        Err(reasons) if failed_at(&reasons, 0) => Err(StoreError::Conflict(
            "this passkey is registered already".into(),
        )),
        Err(reasons) if failed_at(&reasons, 1) || failed_at(&reasons, 2) => {
            Err(StoreError::Conflict("a passkey with this id exists".into()))
        }
        Err(reasons) if failed_at(&reasons, 3) => {
            Err(StoreError::Conflict("the account does not exist".into()))
        }
        Err(reasons) => Err(cancelled("store a passkey", &reasons)),
    }
}

/// A user's passkeys, the oldest first (then by id).
pub(super) async fn passkeys_of(s: &DynamoStore, user: &UserId) -> Result<Vec<Passkey>> {
    let query = s
        .client
        .query()
        .table_name(&s.main)
        .consistent_read(true)
        .key_condition_expression("pk = :pk AND begins_with(sk, :p)")
        .expression_attribute_values(":pk", text(user_pk(user)))
        .expression_attribute_values(":p", text("PASSKEY#"));
    let mut found = s
        .query_all(query, None)
        .await?
        .iter()
        .map(passkey_from)
        .collect::<Result<Vec<_>>>()?;
    found.sort_by(|a, b| {
        a.created_at
            .cmp(&b.created_at)
            .then(a.id.as_str().cmp(b.id.as_str()))
    });
    Ok(found)
}

pub(super) async fn has_passkey(s: &DynamoStore, user: &UserId) -> Result<bool> {
    let out = s
        .client
        .query()
        .table_name(&s.main)
        .consistent_read(true)
        .key_condition_expression("pk = :pk AND begins_with(sk, :p)")
        .expression_attribute_values(":pk", text(user_pk(user)))
        .expression_attribute_values(":p", text("PASSKEY#"))
        .select(Select::Count)
        .limit(1)
        .send()
        .await
        .map_err(fail::sdk)?;
    Ok(out.count > 0)
}

pub(super) async fn passkey_by_credential(
    s: &DynamoStore,
    credential_id: &str,
) -> Result<Option<Passkey>> {
    let Some(credential) = s.get(&s.main, credential_key(credential_id)).await? else {
        return Ok(None);
    };
    let user = UserId::from_stored(credential.get_s("user_id")?.to_owned());
    let id = PasskeyId::from_stored(credential.get_s("passkey_id")?.to_owned());
    s.get(&s.main, passkey_key(&user, &id))
        .await?
        .as_ref()
        .map(passkey_from)
        .transpose()
}

/// Renames one of the user's passkeys; `NotFound` when the user has no such passkey.
pub(super) async fn rename_passkey(
    s: &DynamoStore,
    user: &UserId,
    id: &PasskeyId,
    name: &str,
) -> Result<Passkey> {
    let renamed = update_returning(
        s,
        passkey_key(user, id),
        "SET #name = :name",
        "attribute_exists(pk)",
        &["name"],
        item::values([(":name", text(name))]),
    )
    .await?;
    match renamed {
        Some(it) => passkey_from(&it),
        None => Err(StoreError::NotFound),
    }
}

/// Removes one of the user's passkeys with its credential and id items; `NotFound` when the
/// user has no such passkey.
pub(super) async fn delete_passkey(s: &DynamoStore, user: &UserId, id: &PasskeyId) -> Result<()> {
    let Some(it) = s.get(&s.main, passkey_key(user, id)).await? else {
        return Err(StoreError::NotFound);
    };
    // While the passkey exists (the first condition), its credential and id items name it.
    let actions = vec![
        delete(
            &s.main,
            passkey_key(user, id),
            Some("attribute_exists(pk)"),
            &[],
            Item::new(),
        )?,
        delete(
            &s.main,
            credential_key(it.get_s("credential_id")?),
            None,
            &[],
            Item::new(),
        )?,
        delete(&s.main, passkey_id_key(id), None, &[], Item::new())?,
    ];
    match transact(s, "removing a passkey", actions).await? {
        Ok(()) => Ok(()),
        Err(reasons) if failed_at(&reasons, 0) => Err(StoreError::NotFound),
        Err(reasons) => Err(cancelled("remove a passkey", &reasons)),
    }
}

/// Records a sign-in: the counter moves from `seen` to `new`; `false` when it is no longer
/// `seen` or the passkey is gone.
pub(super) async fn use_passkey(
    s: &DynamoStore,
    id: &PasskeyId,
    seen: i64,
    new: i64,
    now: Timestamp,
) -> Result<bool> {
    let Some(by_id) = s.get(&s.main, passkey_id_key(id)).await? else {
        return Ok(false);
    };
    let user = UserId::from_stored(by_id.get_s("user_id")?.to_owned());
    update_if(
        s,
        passkey_key(&user, id),
        "SET #sign_count = :new, #last_used_at = :now",
        "#sign_count = :seen",
        &["sign_count", "last_used_at"],
        item::values([(":new", n(new)), (":now", n_ts(now)), (":seen", n(seen))]),
    )
    .await
}

/// Keeps a new challenge, having dropped the expired ones. `Conflict` when a live challenge
/// has this hash (SQL's primary key).
pub(super) async fn create_webauthn_challenge(
    s: &DynamoStore,
    hash: &str,
    user: Option<&UserId>,
    purpose: ChallengePurpose,
    expires_at: Timestamp,
    now: Timestamp,
) -> Result<()> {
    purge_expired(s, CHALLENGES_BY_EXPIRY, now).await?;
    let pk = format!("CHALLENGE#{hash}");
    let mut it = item::item([
        ("hash", text(hash)),
        ("purpose", text(purpose.as_str())),
        ("expires_at", n_ts(expires_at)),
        ("g2pk", text(CHALLENGES_BY_EXPIRY)),
        ("g2sk", text(expiry_sk(expires_at, &pk))),
        ("ttl", ttl(expires_at)),
    ]);
    if let Some(user) = user {
        it.insert("user_id".into(), text(user.as_str()));
    }
    it.extend(challenge_key(hash));
    let put = s
        .client
        .put_item()
        .table_name(&s.main)
        .set_item(Some(it))
        // An expired one the purge's index read missed is replaced, as if purged.
        .condition_expression("attribute_not_exists(pk) OR #expires_at <= :now")
        .expression_attribute_names("#expires_at", "expires_at")
        .expression_attribute_values(":now", n_ts(now))
        .send()
        .await;
    match put {
        Ok(_) => Ok(()),
        Err(e) if fail::condition_failed(&e) => Err(StoreError::Conflict(
            "a challenge with this hash exists".into(),
        )),
        Err(e) => Err(fail::sdk(e)),
    }
}

/// Uses a challenge once: `Some(user it was given to)` when it is of this purpose, unused and
/// unexpired.
pub(super) async fn take_webauthn_challenge(
    s: &DynamoStore,
    hash: &str,
    purpose: ChallengePurpose,
    now: Timestamp,
) -> Result<Option<Option<UserId>>> {
    let used = update_returning(
        s,
        challenge_key(hash),
        "SET #used_at = :now",
        "attribute_exists(pk) AND #purpose = :p AND attribute_not_exists(#used_at) \
         AND #expires_at > :now",
        &["used_at", "purpose", "expires_at"],
        item::values([(":now", n_ts(now)), (":p", text(purpose.as_str()))]),
    )
    .await?;
    used.map(|it| {
        Ok(it
            .opt_s("user_id")?
            .map(|u| UserId::from_stored(u.to_owned())))
    })
    .transpose()
}
