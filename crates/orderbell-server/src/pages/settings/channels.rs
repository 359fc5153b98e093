//! The channels page `/dashboard/{slug}/channels`: how this member hears of new orders. Telegram
//! and WhatsApp links (one-time, with QR codes), push on this device, and the channels linked.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use orderbell_core::user::Role;
use orderbell_store::notifications::{Channel, LinkStatus, MemberSettings, NotifyEvent};

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

/// One event of the shop's notification settings: which channels it goes to.
pub struct NotifyRow {
    pub event: &'static str,
    pub label: &'static str,
    /// (channel code, channel in words, chosen)
    pub cells: Vec<(&'static str, &'static str, bool)>,
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
    owner: bool,
    saved: bool,
    channel_labels: Vec<&'static str>,
    notify: Vec<NotifyRow>,
}

async fn channels_page(
    state: &AppState,
    headers: &HeaderMap,
    slug: &str,
    notice: Notice<NewLink>,
    saved: bool,
) -> Result<Response, PageError> {
    let (who, shop, role, page) = chrome(state, headers, slug, "channels").await?;
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
    let settings = state.store.member_settings(&shop.id).await?;
    let notify = NotifyEvent::MEMBER_CHOICES
        .iter()
        .map(|&event| NotifyRow {
            event: event.as_str(),
            label: t.notify_event(event.as_str()),
            cells: Channel::ALL
                .iter()
                .map(|&c| {
                    (
                        c.as_str(),
                        t.channel_label(c.as_str()),
                        settings.channels(event).contains(&c),
                    )
                })
                .collect(),
        })
        .collect();
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
        owner: role == Role::Owner,
        saved,
        channel_labels: Channel::ALL
            .iter()
            .map(|c| t.channel_label(c.as_str()))
            .collect(),
        notify,
    };
    render(&view, status, Cache::Private)
}

/// `GET /dashboard/{slug}/channels`: how this member gets new orders.
pub async fn channels(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let saved = uri.query() == Some("saved=1");
    channels_page(&state, &headers, &slug, Notice::Nothing, saved).await
}

/// `POST /dashboard/{slug}/channels` (members): `op=telegram` or `op=whatsapp` makes a
/// one-time link for the signed-in member and shows it with its QR code; `op=notify` (owners)
/// saves which events reach the members on which channels (`ev_<event>=<channel>`, repeated).
pub async fn save_channels(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, PageError> {
    let (path, who) = posted(&state, &headers, &form, &slug, "channels").await?;
    let (shop, role) = member_of(&state, &who, &slug).await?;
    if form.text("op") == "notify" {
        if role != Role::Owner {
            return Err(PageError::new(crate::pages::error::ErrorKind::Forbidden));
        }
        let mut chosen = serde_json::Map::new();
        for event in NotifyEvent::MEMBER_CHOICES {
            let channels: Vec<serde_json::Value> = form
                .all(&format!("ev_{}", event.as_str()))
                .map(|c| serde_json::Value::String(c.to_owned()))
                .collect();
            chosen.insert(event.as_str().to_owned(), channels.into());
        }
        // An unknown channel or event is a forged form: nothing is saved.
        let settings = MemberSettings::from_json(&serde_json::Value::Object(chosen))
            .map_err(|_| PageError::new(crate::pages::error::ErrorKind::BadRequest))?;
        state
            .store
            .set_member_settings(&shop.id, settings, state.now())
            .await?;
        return Ok(crate::pages::render::see_other(&format!(
            "{path}?saved=1#notify"
        )));
    }
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
            channels_page(&state, &headers, &slug, Notice::Made(new_link), false).await
        }
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "could not make a chat link");
            let refused = Notice::Refused(
                t.link_unavailable.to_owned(),
                StatusCode::SERVICE_UNAVAILABLE,
            );
            channels_page(&state, &headers, &slug, refused, false).await
        }
    }
}
