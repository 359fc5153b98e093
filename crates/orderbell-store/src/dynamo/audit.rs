//! The outbox audit on DynamoDB (queries/audit.rs on SQL): every outbox row (`NOTIF#id / N` in
//! the queue table, see `notifications.rs`) checked for what SQL checks, with the same words.
//!
//! No index lists every row (one would be a single hot partition written by every order), so
//! the audit scans the queue table, consistently, for `NOTIF#` items: it runs at the end of
//! test stories and by hand on a live store, never on a request path. The order and the
//! memberships a row refers to are read through the store's own methods.

use std::collections::{HashMap, HashSet};

use orderbell_core::{OrderId, ShopId, UserId};

use super::item::{Item, Read, s as text};
use super::notifications::NOTIF_PREFIX;
use super::{DynamoStore, fail};
use crate::Result;
use crate::audit::*;
use crate::notifications::{AccountMailPayload, Payload};

/// Every outbox row, by id.
async fn rows(s: &DynamoStore) -> Result<Vec<(i64, Item)>> {
    let mut rows = Vec::new();
    let mut start = None;
    loop {
        let out = s
            .client
            .scan()
            .table_name(&s.queue)
            .filter_expression("begins_with(pk, :p)")
            .expression_attribute_values(":p", text(NOTIF_PREFIX))
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(fail::sdk)?;
        for it in out.items.unwrap_or_default() {
            rows.push((it.get_n("id")?, it));
        }
        match out.last_evaluated_key {
            Some(k) if !k.is_empty() => start = Some(k),
            _ => break,
        }
    }
    rows.sort_by_key(|(id, _)| *id);
    Ok(rows)
}

/// What the checks read of other areas, each read once.
#[derive(Default)]
struct Seen {
    /// The shop of each order (`None`: no such order).
    order_shops: HashMap<String, Option<ShopId>>,
    members: HashMap<String, HashSet<UserId>>,
}

impl Seen {
    async fn shop_of_order(&mut self, s: &DynamoStore, order: &str) -> Result<Option<&ShopId>> {
        if !self.order_shops.contains_key(order) {
            let id = OrderId::from_stored(order.to_owned());
            let shop = crate::Store::order_by_id(s, &id).await?.map(|o| o.shop_id);
            self.order_shops.insert(order.to_owned(), shop);
        }
        Ok(self.order_shops.get(order).and_then(Option::as_ref))
    }

    async fn is_member(&mut self, s: &DynamoStore, shop: &str, user: &str) -> Result<bool> {
        if !self.members.contains_key(shop) {
            let id = ShopId::from_stored(shop.to_owned());
            let members = crate::Store::members(s, &id)
                .await?
                .into_iter()
                .map(|m| m.user_id)
                .collect();
            self.members.insert(shop.to_owned(), members);
        }
        let user = UserId::from_stored(user.to_owned());
        Ok(self
            .members
            .get(shop)
            .is_some_and(|members| members.contains(&user)))
    }
}

/// The problems SQL's `BROKEN` query finds in one row, in its order.
async fn broken(s: &DynamoStore, seen: &mut Seen, it: &Item) -> Result<Vec<&'static str>> {
    let mut problems = Vec::new();
    let status = it.get_s("status")?;
    let recipient = it.get_s("recipient")?;
    let channel = it.get_s("channel")?;
    let event = it.get_s("event")?;
    let shop = it.opt_s("shop_id")?;
    let order = it.opt_s("order_id")?;
    let user = it.opt_s("user_id")?;
    if status == "failed" && it.opt_s("error_code")?.is_none() {
        problems.push("failed without an error code");
    }
    if status == "sending" && it.opt_s("claim")?.is_none() {
        problems.push("being sent without a claim");
    }
    if recipient == "account"
        && (channel != "email"
            || order.is_some()
            || (event != "invitation" && (user.is_none() || shop.is_some()))
            || (event == "invitation" && (user.is_some() || shop.is_none())))
    {
        problems.push(
            "account mail that is not an e-mail to one account (or one invitation of a shop)",
        );
    }
    if recipient != "account" && shop.is_none() {
        problems.push("a shop notification without its shop");
    }
    // SQL joins the order: a row of no existing order is not reported here.
    if let (Some(shop), Some(order)) = (shop, order)
        && seen
            .shop_of_order(s, order)
            .await?
            .is_some_and(|of| of.as_str() != shop)
    {
        problems.push("about an order of another shop");
    }
    if recipient == "member"
        && matches!(status, "queued" | "sending")
        && let Some(user) = user
    {
        let member = match shop {
            Some(shop) => seen.is_member(s, shop, user).await?,
            None => false,
        };
        if !member {
            problems.push("waiting for a member recipient who is not a member of the shop");
        }
    }
    Ok(problems)
}

/// Every finding, as SQL lists them: the row checks by id, then each payload read back as the
/// sender reads it, by id.
pub(super) async fn audit_outbox(s: &DynamoStore) -> Result<Vec<Finding>> {
    let rows = rows(s).await?;
    let mut seen = Seen::default();
    let mut findings = Vec::new();
    for (id, it) in &rows {
        for problem in broken(s, &mut seen, it).await? {
            findings.push(Finding {
                notification_id: *id,
                problem: problem.to_owned(),
            });
        }
    }
    for (id, it) in &rows {
        let payload = it.get_s("payload")?;
        let read = if it.get_s("recipient")? == "account" {
            AccountMailPayload::parse(payload).map(|_| ())
        } else {
            Payload::parse(payload).map(|_| ())
        };
        if let Err(e) = read {
            findings.push(Finding {
                notification_id: *id,
                problem: format!("a payload the sender cannot read: {e}"),
            });
        }
    }
    Ok(findings)
}
