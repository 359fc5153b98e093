//! Linked identities and OpenID Connect sign-ins under way on DynamoDB
//! (queries/identities.rs is the reference). Everything is in `s.main`:
//!
//! - an identity, `USER#<user> / IDENTITY#<id>`, in its account's partition (see
//!   `accounts.rs`): every field of [`Identity`]. A consistent Query of the partition lists
//!   an account's identities, and unlinking one of one's own is a delete by key.
//! - who an identity is, `EXTID#<issuer> / SUB#<subject>` → `user_id`, `id`: one account per
//!   identity, because this item is put with `attribute_not_exists(pk)` in the identity's own
//!   transaction; signing in reads it consistently.
//! - a sign-in under way, `OIDC#<state hash> / F`, taken by one DeleteItem that returns it
//!   (single use). Index g2 `EXPIRES#oidc / <expires_at>#<pk>` finds the expired ones, which
//!   each new flow drops (as SQL does); `ttl` only collects what that missed.

use orderbell_core::user::User;
use orderbell_core::{Timestamp, UserId};

use super::accounts::{
    self, check, create_user_actions, delete, expiry_sk, failed_at, made_user, purge_expired, put,
    transact, ttl, update_returning, user_key, user_pk, user_refused,
};
use super::item::{self, Item, Read, key, n_ts, s as text};
use super::{DynamoStore, fail};
use crate::identities::{Identity, NewIdentity, OidcFlow};
use crate::records::NewUser;
use crate::{Result, StoreError};

/// The g2 partition of sign-ins under way, by expiry.
const FLOWS_BY_EXPIRY: &str = "EXPIRES#oidc";

const LINKED: &str = "this identity is linked to an account already";

fn flow_key(state_hash: &str) -> Item {
    key(format!("OIDC#{state_hash}"), "F")
}

fn identity_key(user: &UserId, id: &str) -> Item {
    key(user_pk(user), format!("IDENTITY#{id}"))
}

fn subject_key(issuer: &str, subject: &str) -> Item {
    key(format!("EXTID#{issuer}"), format!("SUB#{subject}"))
}

// ---------------------------------------------------------------------------------------------
// Sign-ins under way

/// Stores a sign-in under way, having dropped the flows expired at its creation.
/// `Conflict` when a live flow has this state hash (SQL's primary key).
pub(super) async fn create_oidc_flow(s: &DynamoStore, flow: OidcFlow) -> Result<()> {
    purge_expired(s, FLOWS_BY_EXPIRY, flow.created_at).await?;
    let pk = format!("OIDC#{}", flow.state_hash);
    let mut it = item::item([
        ("state_hash", text(flow.state_hash.as_str())),
        ("provider", text(flow.provider.as_str())),
        ("nonce", text(flow.nonce.as_str())),
        ("pkce_verifier", text(flow.pkce_verifier.as_str())),
        ("next", text(flow.next.as_str())),
        ("created_at", n_ts(flow.created_at)),
        ("expires_at", n_ts(flow.expires_at)),
        ("g2pk", text(FLOWS_BY_EXPIRY)),
        ("g2sk", text(expiry_sk(flow.expires_at, &pk))),
        ("ttl", ttl(flow.expires_at)),
    ]);
    if let Some(user) = &flow.link_user_id {
        it.insert("link_user_id".into(), text(user.as_str()));
    }
    it.extend(flow_key(&flow.state_hash));
    let put = s
        .client
        .put_item()
        .table_name(&s.main)
        .set_item(Some(it))
        // An expired one the purge's index read missed is replaced, as if purged.
        .condition_expression("attribute_not_exists(pk) OR #expires_at <= :now")
        .expression_attribute_names("#expires_at", "expires_at")
        .expression_attribute_values(":now", n_ts(flow.created_at))
        .send()
        .await;
    match put {
        Ok(_) => Ok(()),
        Err(e) if fail::condition_failed(&e) => Err(StoreError::Conflict(
            "a sign-in with this state is under way".into(),
        )),
        Err(e) => Err(fail::sdk(e)),
    }
}

/// Takes the flow: it is deleted whether or not it is still live, and given back when it is.
pub(super) async fn take_oidc_flow(
    s: &DynamoStore,
    state_hash: &str,
    now: Timestamp,
) -> Result<Option<OidcFlow>> {
    let out = s
        .client
        .delete_item()
        .table_name(&s.main)
        .set_key(Some(flow_key(state_hash)))
        .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
        .send()
        .await
        .map_err(fail::sdk)?;
    let Some(it) = out.attributes.filter(|a| !a.is_empty()) else {
        return Ok(None);
    };
    let flow = OidcFlow {
        state_hash: it.get_s("state_hash")?.to_owned(),
        provider: it.get_s("provider")?.to_owned(),
        nonce: it.get_s("nonce")?.to_owned(),
        pkce_verifier: it.get_s("pkce_verifier")?.to_owned(),
        next: it.get_s("next")?.to_owned(),
        link_user_id: it
            .opt_s("link_user_id")?
            .map(|u| UserId::from_stored(u.to_owned())),
        created_at: it.get_ts("created_at")?,
        expires_at: it.get_ts("expires_at")?,
    };
    Ok((flow.expires_at > now).then_some(flow))
}

// ---------------------------------------------------------------------------------------------
// Identities

fn identity_from(it: &Item) -> Result<Identity> {
    Ok(Identity {
        id: it.get_s("id")?.to_owned(),
        user_id: UserId::from_stored(it.get_s("user_id")?.to_owned()),
        provider: it.get_s("provider")?.to_owned(),
        issuer: it.get_s("issuer")?.to_owned(),
        subject: it.get_s("subject")?.to_owned(),
        email: it.opt_s("email")?.map(str::to_owned),
        created_at: it.get_ts("created_at")?,
        last_used_at: it.get_ts("last_used_at")?,
    })
}

/// The account an identity is linked to; its use is recorded on the identity.
pub(super) async fn identity_user(
    s: &DynamoStore,
    issuer: &str,
    subject: &str,
    now: Timestamp,
) -> Result<Option<User>> {
    let Some(who) = s.get(&s.main, subject_key(issuer, subject)).await? else {
        return Ok(None);
    };
    let user = UserId::from_stored(who.get_s("user_id")?.to_owned());
    let used = update_returning(
        s,
        identity_key(&user, who.get_s("id")?),
        "SET #last_used_at = :now",
        "attribute_exists(pk)",
        &["last_used_at"],
        item::values([(":now", n_ts(now))]),
    )
    .await?;
    match used {
        Some(_) => accounts::user(s, &user).await,
        // Unlinked between the two reads.
        None => Ok(None),
    }
}

/// The two puts that link an identity (who it is first, then the identity).
fn link_actions(
    s: &DynamoStore,
    i: &NewIdentity,
) -> Result<(Vec<aws_sdk_dynamodb::types::TransactWriteItem>, Identity)> {
    let identity = Identity {
        id: i.id.clone(),
        user_id: i.user_id.clone(),
        provider: i.provider.clone(),
        issuer: i.issuer.clone(),
        subject: i.subject.clone(),
        email: i.email.clone(),
        created_at: i.created_at,
        last_used_at: i.created_at,
    };
    let mut who = subject_key(&i.issuer, &i.subject);
    who.insert("user_id".into(), text(i.user_id.as_str()));
    who.insert("id".into(), text(i.id.as_str()));
    let mut it = item::item([
        ("id", text(i.id.as_str())),
        ("user_id", text(i.user_id.as_str())),
        ("provider", text(i.provider.as_str())),
        ("issuer", text(i.issuer.as_str())),
        ("subject", text(i.subject.as_str())),
        ("created_at", n_ts(i.created_at)),
        ("last_used_at", n_ts(i.created_at)),
    ]);
    if let Some(email) = &i.email {
        it.insert("email".into(), text(email.as_str()));
    }
    it.extend(identity_key(&i.user_id, &i.id));
    let actions = vec![
        put(&s.main, who, Some("attribute_not_exists(pk)"))?,
        put(&s.main, it, Some("attribute_not_exists(pk)"))?,
    ];
    Ok((actions, identity))
}

/// Why [`link_actions`] (at `at`, `at + 1`) were refused, when they were.
fn link_refused(reasons: &[Option<String>], at: usize) -> Option<StoreError> {
    if failed_at(reasons, at) {
        Some(StoreError::Conflict(LINKED.into()))
    } else if failed_at(reasons, at + 1) {
        Some(StoreError::Conflict(
            "an identity with this id exists".into(),
        ))
    } else {
        None
    }
}

/// Links an identity to an existing account. `Conflict` when it is linked already, or when
/// the account does not exist (SQL's foreign key).
pub(super) async fn link_identity(s: &DynamoStore, identity: NewIdentity) -> Result<Identity> {
    let (mut actions, made) = link_actions(s, &identity)?;
    actions.push(check(
        &s.main,
        user_key(&identity.user_id),
        "attribute_exists(pk)",
        &[],
        Item::new(),
    )?);
    match transact(s, "linking an identity", actions).await? {
        Ok(()) => Ok(made),
        Err(reasons) => Err(link_refused(&reasons, 0).unwrap_or_else(|| {
            if failed_at(&reasons, 2) {
                StoreError::Conflict("the account does not exist".into())
            } else {
                accounts::cancelled("link an identity", &reasons)
            }
        })),
    }
}

/// Creates the account and links the identity in one transaction.
pub(super) async fn create_user_with_identity(
    s: &DynamoStore,
    user: NewUser,
    identity: NewIdentity,
) -> Result<(User, Identity)> {
    let mut actions = create_user_actions(s, &user)?;
    let (link, made) = link_actions(s, &identity)?;
    actions.extend(link);
    match transact(s, "creating an account with its identity", actions).await? {
        Ok(()) => Ok((made_user(&user), made)),
        Err(reasons) => Err(user_refused(&reasons, 0)
            .or_else(|| link_refused(&reasons, 2))
            .unwrap_or_else(|| accounts::cancelled("create an account", &reasons))),
    }
}

/// An account's identities, the oldest first (then by id).
pub(super) async fn identities_of(s: &DynamoStore, user: &UserId) -> Result<Vec<Identity>> {
    let query = s
        .client
        .query()
        .table_name(&s.main)
        .consistent_read(true)
        .key_condition_expression("pk = :pk AND begins_with(sk, :i)")
        .expression_attribute_values(":pk", text(user_pk(user)))
        .expression_attribute_values(":i", text("IDENTITY#"));
    let mut found = s
        .query_all(query, None)
        .await?
        .iter()
        .map(identity_from)
        .collect::<Result<Vec<_>>>()?;
    found.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    Ok(found)
}

/// Unlinks one of the account's identities; `NotFound` when it has no such one.
pub(super) async fn unlink_identity(s: &DynamoStore, user: &UserId, id: &str) -> Result<()> {
    let Some(it) = s.get(&s.main, identity_key(user, id)).await? else {
        return Err(StoreError::NotFound);
    };
    let actions = vec![
        delete(
            &s.main,
            identity_key(user, id),
            Some("attribute_exists(pk)"),
            &[],
            Item::new(),
        )?,
        // Written and removed together with the identity: it still names it.
        delete(
            &s.main,
            subject_key(it.get_s("issuer")?, it.get_s("subject")?),
            None,
            &[],
            Item::new(),
        )?,
    ];
    match transact(s, "unlinking an identity", actions).await? {
        Ok(()) => Ok(()),
        Err(reasons) if failed_at(&reasons, 0) => Err(StoreError::NotFound),
        Err(reasons) => Err(accounts::cancelled("unlink an identity", &reasons)),
    }
}
