//! The channels page `/dashboard/{slug}/channels`: how this member hears of new orders. Telegram
//! and WhatsApp links (one-time, with QR codes), push on this device, and the channels linked.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use orderbell_store::notifications::LinkStatus;

use super::{Notice, chrome, posted};
use crate::pages::error::PageError;
use crate::pages::form::Form;
use crate::pages::i18n::negotiate;
use crate::pages::render::{Cache, Chrome, render};
use crate::pages::session::member_of;
use crate::pages::views::{date_time, shop_tz};
use crate::state::AppState;

pub struct LinkRow {
    pub channel: &'static str,
    pub destination: String,
    /// The shop it is for, or "every shop" (push devices).
    pub shop: String,
    pub status: String,
    pub active: bool,
    pub since: String,
}

/// A one-time link just made for the member.
pub struct NewLink {
    /// `telegram` or `whatsapp`.
    pub channel: &'static str,
    pub link: crate::pages::tracking::ChatLink,
    /// WhatsApp: the message to send if the link cannot prefill it.
    pub text: Option<String>,
    pub expires: String,
}

#[derive(Template)]
#[template(path = "settings/channels.html")]
struct ChannelsPage {
    page: Chrome,
    slug: String,
    telegram: bool,
    whatsapp: bool,
    vapid_key: Option<String>,
    new_link: Option<NewLink>,
    links: Vec<LinkRow>,
    error: Option<String>,
}

async fn channels_page(
    state: &AppState,
    headers: &HeaderMap,
    slug: &str,
    notice: Notice<NewLink>,
) -> Result<Response, PageError> {
    let (who, shop, _, page) = chrome(state, headers, slug, "channels").await?;
    let page = page.script("push.js");
    let t = page.t;
    let tz = shop_tz(&shop);
    let available = crate::notifications::api::available(state).await;
    let this_shop = shop.id.to_string();
    let mut links = vec![];
    for l in crate::notifications::api::member_links(state, &who.user.id).await? {
        let shop_name = match &l.shop_id {
            None => t.every_shop.to_owned(),
            Some(id) if *id == this_shop => shop.name.clone(),
            Some(id) => match orderbell_core::ShopId::parse(id) {
                Some(id) => state
                    .store
                    .shop(&id)
                    .await?
                    .map(|s| s.name)
                    .unwrap_or_default(),
                None => String::new(),
            },
        };
        links.push(LinkRow {
            channel: t.channel_label(l.channel),
            destination: l.label.unwrap_or(l.destination),
            shop: shop_name,
            active: l.status == LinkStatus::Active.as_str(),
            status: t.link_status(&l.status).to_owned(),
            since: date_time(l.created_at, &tz),
        });
    }
    let (status, new_link, error) = notice.into_parts();
    let view = ChannelsPage {
        page,
        slug: shop.slug,
        telegram: available.telegram_bot.is_some(),
        whatsapp: available.whatsapp_number.is_some(),
        vapid_key: available.vapid_public_key,
        new_link,
        links,
        error,
    };
    render(&view, status, Cache::Private)
}

/// `GET /dashboard/{slug}/channels`: how this member gets new orders.
pub async fn channels(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    channels_page(&state, &headers, &slug, Notice::Nothing).await
}

/// `POST /dashboard/{slug}/channels` (members): `op=telegram` or `op=whatsapp` makes a
/// one-time link for the signed-in member and shows it with its QR code.
pub async fn save_channels(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, PageError> {
    let (_, who) = posted(&state, &headers, &form, &slug, "channels").await?;
    let (shop, _) = member_of(&state, &who, &slug).await?;
    let t = negotiate(&headers, Some(&shop.locale)).texts();
    let tz = shop_tz(&shop);
    let made = match form.text("op") {
        "telegram" => {
            crate::notifications::api::telegram_member_link(&state, &who.user.id, &shop.id)
                .await
                .map(|(url, expires_at)| ("telegram", url, None, expires_at))
        }
        "whatsapp" => {
            crate::notifications::api::whatsapp_member_link(&state, &who.user.id, &shop.id)
                .await
                .map(|(url, text, expires_at)| ("whatsapp", url, Some(text), expires_at))
        }
        _ => return Err(PageError::not_found()),
    };
    match made {
        Ok((channel, url, text, expires_at)) => {
            let new_link = NewLink {
                channel,
                link: crate::pages::tracking::ChatLink::new(url),
                text,
                expires: date_time(expires_at, &tz),
            };
            channels_page(&state, &headers, &slug, Notice::Made(new_link)).await
        }
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "could not make a chat link");
            let refused = Notice::Refused(
                t.link_unavailable.to_owned(),
                StatusCode::SERVICE_UNAVAILABLE,
            );
            channels_page(&state, &headers, &slug, refused).await
        }
    }
}
