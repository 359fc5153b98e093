//! Shop settings pages: profile and the accepting-orders switch (`/settings`), members,
//! API keys (shown once), printers (device tokens shown once) and the member's notification
//! channels (Telegram and WhatsApp links with QR codes, push on this device, linked channels).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use orderbell_core::shop::{Shop, ShopPatchRequest};
use orderbell_core::text::normalize_email;
use orderbell_core::user::Role;
use orderbell_core::{ApiKeyId, UserId};
use orderbell_store::{Scope, StoreError};

use super::dashboard::nav;
use super::error::PageError;
use super::form::Form;
use super::i18n::Lang;
use super::render::{Cache, Chrome, render, see_other};
use super::session::{SignedIn, form_user, member_of, owner_of, require};
use super::views::{date_time, shop_tz};
use crate::api::shops::issue_api_key;
use crate::state::AppState;

async fn chrome(
    state: &AppState,
    headers: &HeaderMap,
    slug: &str,
    tab: &'static str,
) -> Result<(SignedIn, Shop, Role, Chrome), PageError> {
    let path = format!("/dashboard/{slug}/{tab}");
    let who = require(state, headers, &path).await?;
    let (shop, role) = member_of(state, &who, slug).await?;
    let lang = Lang::negotiate(headers, Some(&shop.locale));
    let t = lang.texts();
    let title = match tab {
        "menu" => t.menu_editor,
        "printers" => t.printers,
        "channels" => t.channels,
        "members" => t.members,
        "apikeys" => t.api_keys,
        _ => t.settings,
    };
    let page = Chrome::new(lang, format!("{title} · {}", shop.name), &path, "settings")
        .user(Some(&who))
        .nav(nav(&shop, role, tab));
    Ok((who, shop, role, page))
}

#[derive(Template)]
#[template(path = "settings/profile.html")]
struct ProfilePage {
    page: Chrome,
    slug: String,
    name: String,
    phone: String,
    time_zone: String,
    locale: String,
    accepting: bool,
    owner: bool,
    saved: bool,
    errors: Vec<String>,
}

/// `GET /dashboard/{slug}/settings`.
pub async fn profile(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let (_, shop, role, page) = chrome(&state, &headers, &slug, "settings").await?;
    let view = ProfilePage {
        page,
        slug: shop.slug,
        name: shop.name,
        phone: shop.phone.unwrap_or_default(),
        time_zone: shop.time_zone,
        locale: shop.locale,
        accepting: shop.accepting_orders,
        owner: role == Role::Owner,
        saved: uri.query() == Some("saved=1"),
        errors: vec![],
    };
    render(&view, StatusCode::OK, Cache::Private)
}

/// `POST /dashboard/{slug}/settings`: `op=profile` or `op=accepting` (`accepting=on|off`).
pub async fn save_profile(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, PageError> {
    let path = format!("/dashboard/{slug}/settings");
    let who = form_user(&state, &headers, &form, &path).await?;
    let shop = owner_of(&state, &who, &slug).await?;
    let patch = if form.text("op") == "accepting" {
        ShopPatchRequest {
            accepting_orders: Some(form.text("accepting") == "on"),
            ..ShopPatchRequest::default()
        }
    } else {
        ShopPatchRequest {
            name: Some(form.text("name").to_owned()),
            time_zone: Some(form.text("time_zone").to_owned()),
            locale: Some(form.text("locale").to_owned()),
            phone: Some(form.text("phone").to_owned()),
            ..ShopPatchRequest::default()
        }
    };
    match patch.validate() {
        Ok(patch) => {
            state
                .store
                .update_shop(&shop.id, patch, state.now())
                .await?;
            Ok(see_other(&format!("{path}?saved=1")))
        }
        Err(errors) => {
            let (_, shop, role, page) = chrome(&state, &headers, &slug, "settings").await?;
            let view = ProfilePage {
                page,
                slug: shop.slug,
                name: form.text("name").to_owned(),
                phone: form.text("phone").to_owned(),
                time_zone: form.text("time_zone").to_owned(),
                locale: form.text("locale").to_owned(),
                accepting: shop.accepting_orders,
                owner: role == Role::Owner,
                saved: false,
                errors: errors.0.into_iter().map(|e| e.message).collect(),
            };
            render(&view, StatusCode::UNPROCESSABLE_ENTITY, Cache::Private)
        }
    }
}

pub struct MemberView {
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub role: &'static str,
    pub is_me: bool,
}

#[derive(Template)]
#[template(path = "settings/members.html")]
struct MembersPage {
    page: Chrome,
    slug: String,
    members: Vec<MemberView>,
    owner: bool,
    error: Option<String>,
}

async fn members_page(
    state: &AppState,
    headers: &HeaderMap,
    slug: &str,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let (who, shop, role, page) = chrome(state, headers, slug, "members").await?;
    let t = page.t;
    let members = state
        .store
        .members(&shop.id)
        .await?
        .into_iter()
        .map(|m| MemberView {
            is_me: m.user_id == who.user.id,
            user_id: m.user_id.to_string(),
            name: m.name,
            email: m.email,
            role: if m.role == Role::Owner {
                t.role_owner
            } else {
                t.role_staff
            },
        })
        .collect();
    let view = MembersPage {
        page,
        slug: shop.slug,
        members,
        owner: role == Role::Owner,
        error,
    };
    render(&view, status, Cache::Private)
}

/// `GET /dashboard/{slug}/members`.
pub async fn members(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    members_page(&state, &headers, &slug, None, StatusCode::OK).await
}

/// `POST /dashboard/{slug}/members`: `op=add` (email, role) or `op=remove` (user).
pub async fn save_members(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, PageError> {
    let path = format!("/dashboard/{slug}/members");
    let who = form_user(&state, &headers, &form, &path).await?;
    let shop = owner_of(&state, &who, &slug).await?;
    let t = Lang::negotiate(&headers, Some(&shop.locale)).texts();
    let result = if form.text("op") == "remove" {
        let user = UserId::parse(form.text("user")).ok_or_else(PageError::not_found)?;
        state.store.remove_member(&shop.id, &user).await
    } else {
        let role = if form.text("role") == "owner" {
            Role::Owner
        } else {
            Role::Staff
        };
        let user = match normalize_email(form.text("email")) {
            Some(email) => state.store.user_by_email(&email).await?,
            None => None,
        };
        let Some(user) = user else {
            let message = Some(t.member_unknown.to_owned());
            return members_page(
                &state,
                &headers,
                &slug,
                message,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        };
        state
            .store
            .set_member(&shop.id, &user.id, role, state.now())
            .await
            .map(|_| ())
    };
    match result {
        Ok(()) => Ok(see_other(&path)),
        Err(StoreError::Conflict(_)) => {
            members_page(
                &state,
                &headers,
                &slug,
                Some(t.last_owner.to_owned()),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub struct KeyView {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub scopes: String,
    pub created: String,
    pub last_used: Option<String>,
    pub revoked: bool,
}

#[derive(Template)]
#[template(path = "settings/apikeys.html")]
struct KeysPage {
    page: Chrome,
    slug: String,
    keys: Vec<KeyView>,
    new_key: Option<String>,
    error: Option<String>,
}

async fn keys_page(
    state: &AppState,
    headers: &HeaderMap,
    slug: &str,
    new_key: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let (who, shop, _, page) = chrome(state, headers, slug, "apikeys").await?;
    owner_of(state, &who, slug).await?;
    let tz = shop_tz(&shop);
    let keys = state
        .store
        .api_keys(&shop.id)
        .await?
        .into_iter()
        .map(|k| KeyView {
            id: k.id.to_string(),
            name: k.name,
            prefix: k.prefix,
            scopes: k
                .scopes
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            created: date_time(k.created_at, &tz),
            last_used: k.last_used_at.map(|t| date_time(t, &tz)),
            revoked: k.revoked_at.is_some(),
        })
        .collect();
    let view = KeysPage {
        page,
        slug: shop.slug,
        keys,
        new_key,
        error,
    };
    render(&view, status, Cache::Private)
}

/// `GET /dashboard/{slug}/apikeys` (owners).
pub async fn api_keys(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    keys_page(&state, &headers, &slug, None, None, StatusCode::OK).await
}

/// `POST /dashboard/{slug}/apikeys`: `op=create` (name, scope…) shows the key once;
/// `op=revoke` (id).
pub async fn save_api_keys(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, PageError> {
    let path = format!("/dashboard/{slug}/apikeys");
    let who = form_user(&state, &headers, &form, &path).await?;
    let shop = owner_of(&state, &who, &slug).await?;
    if form.text("op") == "revoke" {
        let id = ApiKeyId::parse(form.text("id")).ok_or_else(PageError::not_found)?;
        state
            .store
            .revoke_api_key(&shop.id, &id, state.now())
            .await?;
        return Ok(see_other(&path));
    }
    let mut scopes: Vec<Scope> = form.all("scope").filter_map(Scope::parse).collect();
    scopes.sort();
    scopes.dedup();
    if scopes.is_empty() {
        scopes = vec![Scope::OrdersWrite, Scope::OrdersRead];
    }
    match issue_api_key(&state, &shop.id, form.text("name"), scopes).await {
        Ok(created) => {
            keys_page(
                &state,
                &headers,
                &slug,
                Some(created.key),
                None,
                StatusCode::CREATED,
            )
            .await
        }
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            keys_page(
                &state,
                &headers,
                &slug,
                None,
                Some(e.message),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub struct PrinterRow {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub online: bool,
    pub state: Option<String>,
    pub state_detail: Option<String>,
    pub last_seen: Option<String>,
    pub mode: &'static str,
    pub copies: i64,
    pub revoked: bool,
}

#[derive(Template)]
#[template(path = "settings/printers.html")]
struct PrintersPage {
    page: Chrome,
    slug: String,
    owner: bool,
    printers: Vec<PrinterRow>,
    new_token: Option<String>,
    server: String,
    error: Option<String>,
}

async fn printers_page(
    state: &AppState,
    headers: &HeaderMap,
    slug: &str,
    new_token: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let (_, shop, role, page) = chrome(state, headers, slug, "printers").await?;
    let tz = shop_tz(&shop);
    let t = page.t;
    let printers = state
        .store
        .printers(&shop.id)
        .await?
        .into_iter()
        .map(|p| {
            let view = crate::devices::api::PrinterView::new(state, p);
            PrinterRow {
                online: view.connection == "online",
                mode: match view.auto_print.as_str() {
                    "on_accept" => t.mode_on_accept,
                    "manual" => t.mode_manual,
                    _ => t.mode_on_create,
                },
                id: view.id,
                name: view.name,
                prefix: view.token_prefix,
                state: view.status,
                state_detail: view.status_detail,
                last_seen: view.last_seen_at.map(|at| date_time(at, &tz)),
                copies: view.copies,
                revoked: view.revoked_at.is_some(),
            }
        })
        .collect();
    let view = PrintersPage {
        page,
        slug: shop.slug,
        owner: role == Role::Owner,
        printers,
        new_token,
        server: state.config.public_url.clone(),
        error,
    };
    render(&view, status, Cache::Private)
}

/// `GET /dashboard/{slug}/printers`: the printers with their connection and paper state.
pub async fn printers(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    printers_page(&state, &headers, &slug, None, None, StatusCode::OK).await
}

/// `POST /dashboard/{slug}/printers` (owners): `op=create` (name, auto_print, copies) shows the
/// device token once with the command to run; `op=revoke` (id) disconnects the printer.
pub async fn save_printers(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, PageError> {
    let path = format!("/dashboard/{slug}/printers");
    let who = form_user(&state, &headers, &form, &path).await?;
    let shop = owner_of(&state, &who, &slug).await?;
    if form.text("op") == "revoke" {
        let id =
            orderbell_core::PrinterId::parse(form.text("id")).ok_or_else(PageError::not_found)?;
        state
            .store
            .revoke_printer(&shop.id, &id, state.now())
            .await?;
        state.devices.disconnect(&id);
        return Ok(see_other(&path));
    }
    let request = crate::devices::api::PrinterRequest {
        name: Some(form.text("name").to_owned()),
        auto_print: Some(form.text("auto_print").to_owned()).filter(|s| !s.is_empty()),
        copies: form.text("copies").parse().ok(),
        category_ids: None,
    };
    let change = match crate::devices::api::check(&request, true) {
        Ok(change) => change,
        Err(errors) => {
            let message = errors
                .0
                .into_iter()
                .map(|e| e.message)
                .collect::<Vec<_>>()
                .join("; ");
            return printers_page(
                &state,
                &headers,
                &slug,
                None,
                Some(message),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let created = crate::devices::api::add_printer(&state, &shop, change).await?;
    printers_page(
        &state,
        &headers,
        &slug,
        Some(created.token),
        None,
        StatusCode::CREATED,
    )
    .await
}

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
    pub link: super::tracking::ChatLink,
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
    new_link: Option<NewLink>,
    error: Option<String>,
    status: StatusCode,
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
            active: l.status == "active",
            status: t.link_status(&l.status).to_owned(),
            since: date_time(l.created_at, &tz),
        });
    }
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
    channels_page(&state, &headers, &slug, None, None, StatusCode::OK).await
}

/// `POST /dashboard/{slug}/channels` (members): `op=telegram` or `op=whatsapp` makes a
/// one-time link for the signed-in member and shows it with its QR code.
pub async fn save_channels(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, PageError> {
    let path = format!("/dashboard/{slug}/channels");
    let who = form_user(&state, &headers, &form, &path).await?;
    let (shop, _) = member_of(&state, &who, &slug).await?;
    let t = Lang::negotiate(&headers, Some(&shop.locale)).texts();
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
                link: super::tracking::ChatLink::new(url),
                text,
                expires: date_time(expires_at, &tz),
            };
            channels_page(
                &state,
                &headers,
                &slug,
                Some(new_link),
                None,
                StatusCode::CREATED,
            )
            .await
        }
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "could not make a chat link");
            channels_page(
                &state,
                &headers,
                &slug,
                None,
                Some(t.link_unavailable.to_owned()),
                StatusCode::SERVICE_UNAVAILABLE,
            )
            .await
        }
    }
}
