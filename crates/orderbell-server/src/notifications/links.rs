//! Linking people to channels: one-time codes for members, tracking tokens for customers,
//! and acting on orders from a chat as the member behind it.

use orderbell_core::order::{Actor, Order, OrderAction};
use orderbell_core::{OrderId, ShopId, Timestamp, UserId};
use orderbell_store::StoreError;
use orderbell_store::notifications::{Channel, ChannelLink, LinkCode, NewLink};

use crate::events::{EventKind, ShopEvent};
use crate::security::token;
use crate::state::AppState;

/// A new one-time code for a member (shown once; stored as SHA-256).
pub async fn new_member_code(
    state: &AppState,
    user: &UserId,
    shop: &ShopId,
    channel: Channel,
) -> Result<(String, Timestamp), StoreError> {
    let code = token::new_token();
    let ttl = state.config.notifications.dispatch.link_code_ttl;
    let now = state.now();
    let expires_at = jiff::SignedDuration::try_from(ttl)
        .ok()
        .and_then(|d| now.checked_add(d).ok())
        .unwrap_or(now);
    state
        .store
        .create_link_code(
            &token::hash(&code),
            LinkCode {
                channel: Some(channel),
                user_id: user.clone(),
                shop_id: shop.clone(),
                expires_at,
            },
            now,
        )
        .await?;
    Ok((code, expires_at))
}

/// What linking from a chat came to.
#[derive(Debug)]
pub enum Linked {
    Member {
        shop_name: String,
    },
    Customer {
        number: i64,
    },
    /// Unknown, used or expired code.
    Invalid,
}

/// Links `address` on `channel` with a member code or a customer's `o_<tracking token>`.
pub async fn link_with(
    state: &AppState,
    channel: Channel,
    address: &str,
    code: &str,
    locale: Option<String>,
    label: Option<String>,
) -> Result<Linked, StoreError> {
    let now = state.now();
    if let Some(tracking) = code.strip_prefix("o_") {
        let Some(id) = state.tracking.order_id(tracking) else {
            return Ok(Linked::Invalid);
        };
        let Some(order) = state.store.order_by_id(&id).await? else {
            return Ok(Linked::Invalid);
        };
        state
            .store
            .upsert_link(NewLink {
                locale,
                label,
                inbound: true,
                ..NewLink::customer(
                    channel,
                    address.to_owned(),
                    order.shop_id.clone(),
                    order.id.clone(),
                    now,
                )
            })
            .await?;
        return Ok(Linked::Customer {
            number: order.number,
        });
    }
    if code.is_empty() || code.len() > 64 {
        return Ok(Linked::Invalid);
    }
    let Some(found) = state.store.take_link_code(&token::hash(code), now).await? else {
        return Ok(Linked::Invalid);
    };
    if found.channel.is_some_and(|c| c != channel) {
        return Ok(Linked::Invalid);
    }
    // Still a member?
    if state
        .store
        .role(&found.shop_id, &found.user_id)
        .await?
        .is_none()
    {
        return Ok(Linked::Invalid);
    }
    let shop = state
        .store
        .shop(&found.shop_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    state
        .store
        .upsert_link(NewLink {
            locale,
            label,
            inbound: true,
            ..NewLink::member(
                channel,
                address.to_owned(),
                found.user_id,
                Some(found.shop_id),
                now,
            )
        })
        .await?;
    Ok(Linked::Member {
        shop_name: shop.name,
    })
}

/// What acting from a chat came to.
#[derive(Debug)]
pub enum Acted {
    Done(Order),
    /// The chat belongs to no member of the order's shop.
    NotAMember,
    NotFound,
    /// The lifecycle refused it; the order as it stands.
    Refused(Order),
}

/// The member links of a chat that may act in `shop`.
fn member_link_for<'a>(
    links: &'a [ChannelLink],
    shop: &ShopId,
) -> impl Iterator<Item = &'a ChannelLink> {
    links
        .iter()
        .filter(move |l| l.user_id.is_some() && l.shop_id.as_ref().is_none_or(|s| s == shop))
}

/// Applies `action` to an order as the member linked to this chat, if that member (still)
/// belongs to the order's shop.
pub async fn act_as_member(
    state: &AppState,
    channel: Channel,
    address: &str,
    order: &OrderId,
    action: OrderAction,
) -> Result<Acted, StoreError> {
    let Some(current) = state.store.order_by_id(order).await? else {
        return Ok(Acted::NotFound);
    };
    let links = state.store.links_by_address(channel, address).await?;
    let mut member = None;
    for link in member_link_for(&links, &current.shop_id) {
        if let Some(user) = &link.user_id {
            if state.store.role(&current.shop_id, user).await?.is_some() {
                member = state.store.user(user).await?;
                break;
            }
        }
    }
    let Some(user) = member else {
        return Ok(Acted::NotAMember);
    };
    let actor = Actor {
        kind: "user".into(),
        id: Some(user.id.to_string()),
        name: Some(user.name.clone()),
    };
    match state
        .store
        .apply_order_action(&current.shop_id, &current.id, action, actor, state.now())
        .await
    {
        Ok(order) => {
            state
                .events
                .publish(ShopEvent::of_order(EventKind::OrderUpdated, &order));
            Ok(Acted::Done(order))
        }
        Err(StoreError::InvalidTransition(_)) => Ok(Acted::Refused(current)),
        Err(e) => Err(e),
    }
}

/// The shops a chat's member links may act in, for commands naming an order by number.
pub async fn shops_of_address(
    state: &AppState,
    channel: Channel,
    address: &str,
) -> Result<Vec<ShopId>, StoreError> {
    let links = state.store.links_by_address(channel, address).await?;
    let mut shops = Vec::new();
    for link in links {
        let Some(user) = &link.user_id else { continue };
        match &link.shop_id {
            Some(s) => shops.push(s.clone()),
            None => {
                for (shop, _) in state.store.shops_of(user).await? {
                    shops.push(shop.id);
                }
            }
        }
    }
    shops.sort();
    shops.dedup();
    Ok(shops)
}

/// An order of one of these shops by its number (the newest shop first if several match).
pub async fn order_by_number(
    state: &AppState,
    shops: &[ShopId],
    number: i64,
) -> Result<Option<Order>, StoreError> {
    for shop in shops {
        let page = state
            .store
            .orders(
                shop,
                orderbell_store::OrderFilter {
                    statuses: vec![],
                    since: None,
                    before_number: Some(number.saturating_add(1)),
                    limit: 1,
                },
            )
            .await?;
        if let Some(o) = page.orders.into_iter().find(|o| o.number == number) {
            return Ok(Some(o));
        }
    }
    Ok(None)
}

/// A destination as the delivery log shows it: enough to recognise, not to reuse.
pub fn mask(channel: Channel, address: &str) -> String {
    let tail = |n: usize| -> String {
        let chars: Vec<char> = address.chars().collect();
        chars[chars.len().saturating_sub(n)..].iter().collect()
    };
    match channel {
        Channel::Telegram => format!("chat …{}", tail(4)),
        Channel::Whatsapp | Channel::Voice => {
            let head: String = address.chars().take(3).collect();
            format!("{head}…{}", tail(4))
        }
        Channel::Webpush => match url::Url::parse(address) {
            Ok(u) => format!("{}/…", u.origin().ascii_serialization()),
            Err(_) => "…".into(),
        },
        Channel::Email => match address.split_once('@') {
            Some((local, domain)) => {
                let head: String = local.chars().take(2).collect();
                format!("{head}…@{domain}")
            }
            None => "…".into(),
        },
        Channel::Fcm => {
            let head: String = address.chars().take(6).collect();
            format!("{head}…")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_are_masked() {
        assert_eq!(mask(Channel::Telegram, "123456789"), "chat …6789");
        assert_eq!(mask(Channel::Whatsapp, "+821012345678"), "+82…5678");
        assert_eq!(
            mask(
                Channel::Webpush,
                "https://fcm.googleapis.com/fcm/send/abc:def"
            ),
            "https://fcm.googleapis.com/…"
        );
        assert_eq!(mask(Channel::Fcm, "dGhpcyBpcyBhIHRva2Vu"), "dGhpcy…");
        assert_eq!(mask(Channel::Telegram, "42"), "chat …42");
    }
}
