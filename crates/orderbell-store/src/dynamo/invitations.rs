//! Invitations to join a shop on DynamoDB (queries/invitations.rs is the reference).
//!
//! One item per invitation in `s.main`, `INVITE#<token hash> / I`, so that opening a link is
//! one consistent GetItem and using it is one conditional update on that item (single use:
//! `accepted_at` and `revoked_at` absent, `expires_at` still ahead), written in the same
//! transaction as the new membership. Index g1 `SHOP#<shop> / INVITE#<id>` lists a shop's
//! invitations and finds one to revoke by id (the revocation's condition re-checks the item).
//! `ttl` lets DynamoDB collect an invitation a week after it expired; reads never rely on it.

use aws_sdk_dynamodb::types::{TransactWriteItem, Update};
use orderbell_core::shop::Shop;
use orderbell_core::user::Member;
use orderbell_core::{InvitationId, ShopId, Timestamp, UserId};

use super::item::{self, Item, Read, key, n, n_ts, s as text};
use super::shops::{self, ATTEMPTS, busy, cancelled, conflicted, failed_at, names, put};
use super::{DynamoStore, fail};
use crate::invitations::{Invitation, NewInvitation};
use crate::notifications::NewNotification;
use crate::{Result, StoreError};

/// How long an expired invitation stays before DynamoDB may collect it.
const KEPT_AFTER_EXPIRY_SECS: i64 = 7 * 24 * 3600;

/// The condition of an invitation that can still be used (`:now` is now).
const OPEN: &str = "attribute_exists(pk) AND attribute_not_exists(accepted_at) AND attribute_not_exists(revoked_at) AND expires_at > :now";

fn invitation_key(token_hash: &str) -> Item {
    key(format!("INVITE#{token_hash}"), "I")
}

/// Whether the item is an invitation that can still be used at `now`.
fn is_open(it: &Item, now: Timestamp) -> Result<bool> {
    Ok(it.opt_n("accepted_at")?.is_none()
        && it.opt_n("revoked_at")?.is_none()
        && it.get_ts("expires_at")? > now)
}

/// An invitation from its item, with the name of who invited while that account exists (as
/// SQL's join).
async fn invitation_from(s: &DynamoStore, it: &Item) -> Result<Invitation> {
    let invited_by = match it.opt_s("invited_by")? {
        None => None,
        Some(id) => crate::Store::user(s, &UserId::from_stored(id.to_owned()))
            .await?
            .map(|u| u.name),
    };
    Ok(Invitation {
        id: InvitationId::from_stored(it.get_s("id")?.to_owned()),
        shop_id: ShopId::from_stored(it.get_s("shop_id")?.to_owned()),
        role: shops::parse_role(it.get_s("role")?)?,
        email: it.opt_s("email")?.map(str::to_owned),
        invited_by,
        created_at: it.get_ts("created_at")?,
        expires_at: it.get_ts("expires_at")?,
    })
}

/// Stores an invitation and queues its mail in one transaction; `Conflict` when the token hash
/// is taken or the shop does not exist (SQL's unique and foreign-key violations).
pub(super) async fn create_invitation(
    s: &DynamoStore,
    invitation: NewInvitation,
    mail: Option<NewNotification>,
) -> Result<Invitation> {
    let i = &invitation;
    let mut it = invitation_key(&i.token_hash);
    it.extend(item::item([
        ("id", text(i.id.as_str())),
        ("shop_id", text(i.shop_id.as_str())),
        ("role", text(i.role.as_str())),
        ("created_at", n_ts(i.created_at)),
        ("expires_at", n_ts(i.expires_at)),
        ("g1pk", text(shops::shop_pk(&i.shop_id))),
        ("g1sk", text(format!("INVITE#{}", i.id))),
        (
            "ttl",
            n(i.expires_at
                .as_second()
                .saturating_add(KEPT_AFTER_EXPIRY_SECS)),
        ),
    ]));
    if let Some(email) = &i.email {
        it.insert("email".into(), text(email.as_str()));
    }
    if let Some(by) = &i.invited_by {
        it.insert("invited_by".into(), text(by.as_str()));
    }
    for _ in 0..ATTEMPTS {
        let mut actions = vec![
            put(&s.main, it.clone(), Some("attribute_not_exists(pk)"))?,
            shops::shop_exists(s, &i.shop_id)?,
        ];
        if let Some(mail) = &mail {
            // A fresh outbox row (and id) each attempt.
            actions.push(super::notifications::enqueue(s, mail)?.1);
        }
        match s.transact(actions).await? {
            Ok(()) => return invitation_from(s, &it).await,
            Err(reasons) if failed_at(&reasons, 0) => {
                return Err(StoreError::Conflict("the invitation exists".into()));
            }
            Err(reasons) if failed_at(&reasons, 1) => {
                return Err(StoreError::Conflict(format!(
                    "the shop {} does not exist",
                    i.shop_id
                )));
            }
            // A taken outbox id, or another transaction in the way: try again.
            Err(reasons) if conflicted(&reasons) || failed_at(&reasons, 2) => continue,
            Err(reasons) => return Err(cancelled("create an invitation", &reasons)),
        }
    }
    Err(busy("creating an invitation"))
}

/// The shop's invitations found through index g1 (eventually consistent).
async fn of_shop(s: &DynamoStore, shop: &ShopId, id: Option<&InvitationId>) -> Result<Vec<Item>> {
    let query = s
        .client
        .query()
        .table_name(&s.main)
        .index_name("g1")
        .expression_attribute_values(":s", text(shops::shop_pk(shop)));
    let query = match id {
        Some(id) => query
            .key_condition_expression("g1pk = :s AND g1sk = :i")
            .expression_attribute_values(":i", text(format!("INVITE#{id}"))),
        None => query
            .key_condition_expression("g1pk = :s AND begins_with(g1sk, :i)")
            .expression_attribute_values(":i", text("INVITE#")),
    };
    s.query_all(query, None).await
}

/// A shop's invitations that can still be used, the newest first.
pub(super) async fn open_invitations(
    s: &DynamoStore,
    shop: &ShopId,
    now: Timestamp,
) -> Result<Vec<Invitation>> {
    let mut open = Vec::new();
    for it in of_shop(s, shop, None).await? {
        if is_open(&it, now)? {
            open.push(invitation_from(s, &it).await?);
        }
    }
    open.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
    Ok(open)
}

/// Ends an open invitation of the shop; `NotFound` when it has no such open one.
pub(super) async fn revoke_invitation(
    s: &DynamoStore,
    shop: &ShopId,
    id: &InvitationId,
    now: Timestamp,
) -> Result<()> {
    let found = of_shop(s, shop, Some(id)).await?;
    let Some(indexed) = found.first() else {
        return Err(StoreError::NotFound);
    };
    let out = s
        .client
        .update_item()
        .table_name(&s.main)
        .set_key(Some(key(indexed.get_s("pk")?, "I")))
        .update_expression("SET revoked_at = :now")
        .condition_expression(format!("{OPEN} AND shop_id = :s AND #n0 = :id"))
        .set_expression_attribute_names(Some(names(&["id"])))
        .set_expression_attribute_values(Some(item::values([
            (":now", n_ts(now)),
            (":s", text(shop.as_str())),
            (":id", text(id.as_str())),
        ])))
        .send()
        .await;
    match out {
        Ok(_) => Ok(()),
        Err(e) if fail::condition_failed(&e) => Err(StoreError::NotFound),
        Err(e) => Err(fail::sdk(e)),
    }
}

/// The open invitation with this token hash, and its shop (nothing is used).
pub(super) async fn invitation(
    s: &DynamoStore,
    token_hash: &str,
    now: Timestamp,
) -> Result<Option<(Invitation, Shop)>> {
    let Some(it) = s.get(&s.main, invitation_key(token_hash)).await? else {
        return Ok(None);
    };
    if !is_open(&it, now)? {
        return Ok(None);
    }
    let invitation = invitation_from(s, &it).await?;
    let shop = shops::shop(s, &invitation.shop_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(Some((invitation, shop)))
}

/// Uses an invitation: marks it used and adds the member in one transaction, each with its
/// condition, so a link is used once however many try at the same moment. `NotFound` when it
/// is not open; `Conflict` (the link stays usable) when the user is a member already.
pub(super) async fn accept_invitation(
    s: &DynamoStore,
    token_hash: &str,
    user: &UserId,
    now: Timestamp,
) -> Result<(Shop, Member)> {
    let already = || StoreError::Conflict("you are a member of this shop already".into());
    for _ in 0..ATTEMPTS {
        let (invitation, shop) = invitation(s, token_hash, now)
            .await?
            .ok_or(StoreError::NotFound)?;
        if shops::role(s, &shop.id, user).await?.is_some() {
            return Err(already());
        }
        let Some(account) = crate::Store::user(s, user).await? else {
            return Err(StoreError::NotFound);
        };
        let used = Update::builder()
            .table_name(&s.main)
            .set_key(Some(invitation_key(token_hash)))
            .update_expression("SET accepted_at = :at, accepted_by = :by")
            .condition_expression(OPEN)
            .set_expression_attribute_values(Some(item::values([
                (":at", n_ts(now)),
                (":by", text(user.as_str())),
                (":now", n_ts(now)),
            ])))
            .build()
            .map_err(fail::build)?;
        let actions = vec![
            TransactWriteItem::builder().update(used).build(),
            put(
                &s.main,
                shops::membership_item(&shop.id, user, invitation.role, now),
                Some("attribute_not_exists(pk)"),
            )?,
        ];
        match s.transact(actions).await? {
            Ok(()) => {
                let member = Member {
                    user_id: user.clone(),
                    email: account.email,
                    name: account.name,
                    role: invitation.role,
                    added_at: now,
                };
                return Ok((shop, member));
            }
            Err(reasons) if failed_at(&reasons, 0) => return Err(StoreError::NotFound),
            Err(reasons) if failed_at(&reasons, 1) => return Err(already()),
            Err(reasons) if conflicted(&reasons) => continue,
            Err(reasons) => return Err(cancelled("accept an invitation", &reasons)),
        }
    }
    Err(busy("accepting an invitation"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;
    use orderbell_core::user::Role;

    #[test]
    fn an_invitation_is_open_until_used_revoked_or_expired() {
        let t = Timestamp::from_millisecond(1_800_000_000_000).unwrap();
        let base = item::item([("expires_at", n_ts(t))]);
        let before = Timestamp::from_millisecond(1_799_999_999_999).unwrap();
        assert!(is_open(&base, before).unwrap());
        assert!(!is_open(&base, t).unwrap());
        for mark in ["accepted_at", "revoked_at"] {
            let mut used = base.clone();
            used.insert(mark.into(), n_ts(before));
            assert!(!is_open(&used, before).unwrap(), "{mark}");
        }
    }

    #[test]
    fn roles_are_kept_by_name() {
        for role in Role::ALL {
            assert_eq!(shops::parse_role(role.as_str()).unwrap(), role);
        }
    }
}
