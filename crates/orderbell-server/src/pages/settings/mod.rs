//! Shop settings pages: profile, the accepting-orders switch, and what happens to unanswered
//! orders (alert policy, default ETA, opening hours) (`/settings`), members,
//! API keys (shown once), printers (device tokens shown once) and the member's notification
//! channels (Telegram and WhatsApp links with QR codes, push on this device, linked channels).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use orderbell_core::alerts::AlertPolicyPatch;
use orderbell_core::hours::DAY_KEYS;
use orderbell_core::shop::{Shop, ShopPatchRequest};
use orderbell_core::text::normalize_email;
use orderbell_core::user::Role;
use orderbell_core::{ApiKeyId, FieldError, UserId, ValidationErrors};
use orderbell_store::{Scope, StoreError};
use serde_json::{Map, Value};

use super::dashboard::nav;
use super::error::PageError;
use super::form::Form;
use super::i18n::{Lang, Texts};
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
    alerts: AlertsForm,
}

/// One day of the opening hours as typed: `09:00-14:00, 17:00-21:00`.
pub struct DayInput {
    /// `mon` … `sun`.
    pub key: &'static str,
    /// The form field: `hours_mon` …
    pub name: String,
    pub label: &'static str,
    pub value: String,
}

/// The alert policy, default ETA and opening hours as the form shows them (numbers as typed,
/// so a wrong one is shown again as it was).
pub struct AlertsForm {
    pub repeat_after: String,
    pub repeat_every: String,
    pub call_after: String,
    pub miss_after: String,
    pub unheard_after: String,
    pub pause_when_unheard: bool,
    pub pause_after_missed: String,
    pub default_eta: String,
    /// Opening hours apply (else guests may order at any time).
    pub hours_on: bool,
    pub days: Vec<DayInput>,
    pub closed_dates: String,
    /// (form field, message), in the page's language.
    pub errors: Vec<(String, &'static str)>,
    pub saved: bool,
}

impl AlertsForm {
    fn of(shop: &Shop, t: &Texts) -> AlertsForm {
        let a = &shop.alerts;
        let text = |v: Option<u32>| v.map(|v| v.to_string()).unwrap_or_default();
        let hours = shop.opening_hours.as_ref().map(|h| h.to_json());
        let days = DAY_KEYS
            .iter()
            .map(|key| DayInput {
                key,
                name: format!("hours_{key}"),
                label: t.day(key),
                value: hours
                    .as_ref()
                    .and_then(|h| h.get(*key))
                    .and_then(Value::as_array)
                    .map(|spans| {
                        spans
                            .iter()
                            .filter_map(|span| match span.as_array().map(Vec::as_slice) {
                                Some([Value::String(open), Value::String(close)]) => {
                                    Some(format!("{open}-{close}"))
                                }
                                _ => None,
                            })
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default(),
            })
            .collect();
        let closed_dates = hours
            .as_ref()
            .and_then(|h| h.get("closed_dates"))
            .and_then(Value::as_array)
            .map(|dates| {
                dates
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        AlertsForm {
            repeat_after: a.repeat_after_seconds.to_string(),
            repeat_every: a.repeat_every_seconds.to_string(),
            call_after: text(a.call_after_seconds),
            miss_after: text(a.miss_after_seconds),
            unheard_after: a.unheard_after_seconds.to_string(),
            pause_when_unheard: a.pause_when_unheard,
            pause_after_missed: text(a.pause_after_missed),
            default_eta: shop.default_eta_minutes.to_string(),
            hours_on: shop.opening_hours.is_some(),
            days,
            closed_dates,
            errors: vec![],
            saved: false,
        }
    }

    fn from_form(form: &Form, t: &Texts) -> AlertsForm {
        AlertsForm {
            repeat_after: form.text("repeat_after_seconds").trim().to_owned(),
            repeat_every: form.text("repeat_every_seconds").trim().to_owned(),
            call_after: form.text("call_after_seconds").trim().to_owned(),
            miss_after: form.text("miss_after_seconds").trim().to_owned(),
            unheard_after: form.text("unheard_after_seconds").trim().to_owned(),
            pause_when_unheard: form.checked("pause_when_unheard"),
            pause_after_missed: form.text("pause_after_missed").trim().to_owned(),
            default_eta: form.text("default_eta_minutes").trim().to_owned(),
            hours_on: form.checked("hours_on"),
            days: DAY_KEYS
                .iter()
                .map(|key| DayInput {
                    key,
                    name: format!("hours_{key}"),
                    label: t.day(key),
                    value: form.text(&format!("hours_{key}")).trim().to_owned(),
                })
                .collect(),
            closed_dates: form.text("closed_dates").trim().to_owned(),
            errors: vec![],
            saved: false,
        }
    }

    /// The message for a form field, if it has one.
    pub fn error(&self, field: &str) -> Option<&'static str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| *m)
    }

    /// The change this form asks for; fields it could not read are reported in `errors` (as
    /// the core would name them) and left out of the change.
    fn request(&self, errors: &mut ValidationErrors) -> ShopPatchRequest {
        let mut number = |field: &str, text: &str, required: bool| -> Option<Option<i64>> {
            if text.is_empty() {
                if required {
                    errors.add(field, "required", format!("{field} is required"));
                    return None;
                }
                return Some(None);
            }
            match text.parse::<i64>() {
                Ok(n) => Some(Some(n)),
                Err(_) => {
                    errors.add(field, "invalid", format!("{field} must be a whole number"));
                    None
                }
            }
        };
        let repeat_after = number("alerts.repeat_after_seconds", &self.repeat_after, true);
        let repeat_every = number("alerts.repeat_every_seconds", &self.repeat_every, true);
        let call_after = number("alerts.call_after_seconds", &self.call_after, false);
        let miss_after = number("alerts.miss_after_seconds", &self.miss_after, false);
        let unheard_after = number("alerts.unheard_after_seconds", &self.unheard_after, true);
        let pause_after_missed =
            number("alerts.pause_after_missed", &self.pause_after_missed, false);
        let default_eta = number("default_eta_minutes", &self.default_eta, true);
        let opening_hours = if self.hours_on {
            let mut map = Map::new();
            for day in &self.days {
                let spans: Vec<Value> = day
                    .value
                    .split(',')
                    .map(str::trim)
                    .filter(|span| !span.is_empty())
                    .map(|span| {
                        let (open, close) = span.split_once(['-', '~', '–']).unwrap_or((span, ""));
                        Value::from(vec![open.trim(), close.trim()])
                    })
                    .collect();
                map.insert(day.key.to_owned(), Value::Array(spans));
            }
            let dates: Vec<Value> = self
                .closed_dates
                .split([',', '\n', ' '])
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(Value::from)
                .collect();
            map.insert("closed_dates".to_owned(), Value::Array(dates));
            Some(Some(Value::Object(map)))
        } else {
            Some(None)
        };
        ShopPatchRequest {
            alerts: Some(AlertPolicyPatch {
                repeat_after_seconds: repeat_after.flatten(),
                repeat_every_seconds: repeat_every.flatten(),
                call_after_seconds: call_after,
                miss_after_seconds: miss_after,
                unheard_after_seconds: unheard_after.flatten(),
                pause_when_unheard: Some(self.pause_when_unheard),
                pause_after_missed,
            }),
            opening_hours,
            default_eta_minutes: default_eta.flatten(),
            ..ShopPatchRequest::default()
        }
    }
}

/// Where a core field error belongs in the alerts form: `alerts.call_after_seconds` →
/// `call_after_seconds`, `opening_hours.mon[0]` → `hours_mon`,
/// `opening_hours.closed_dates[2]` → `closed_dates`.
fn alerts_field(field: &str) -> String {
    if let Some(name) = field.strip_prefix("alerts.") {
        return name.to_owned();
    }
    if let Some(rest) = field.strip_prefix("opening_hours") {
        let key = rest
            .trim_start_matches('.')
            .split('[')
            .next()
            .unwrap_or_default();
        return match key {
            "closed_dates" => "closed_dates".to_owned(),
            k if DAY_KEYS.contains(&k) => format!("hours_{k}"),
            _ => "hours_on".to_owned(),
        };
    }
    field.to_owned()
}

fn alerts_errors(errors: Vec<FieldError>, t: &Texts) -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = vec![];
    for FieldError { field, code, .. } in errors {
        let place = alerts_field(&field);
        if !out.iter().any(|(f, _)| *f == place) {
            out.push((place, t.field_error(code, &field)));
        }
    }
    out
}

/// A profile field's label, for its error message.
fn profile_label(field: &str, t: &Texts) -> &'static str {
    match field {
        "name" => t.shop_name,
        "phone" => t.shop_phone,
        "time_zone" => t.time_zone,
        "locale" => t.page_language,
        _ => t.settings,
    }
}

/// `GET /dashboard/{slug}/settings`.
pub async fn profile(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let (_, shop, role, page) = chrome(&state, &headers, &slug, "settings").await?;
    let mut alerts = AlertsForm::of(&shop, page.t);
    alerts.saved = uri.query() == Some("alerts=1");
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
        alerts,
    };
    render(&view, StatusCode::OK, Cache::Private)
}

/// `op=alerts`: the alert policy, default ETA and opening hours, checked against the shop.
async fn save_alerts(
    state: &AppState,
    headers: &HeaderMap,
    slug: &str,
    shop: &Shop,
    form: &Form,
) -> Result<Response, PageError> {
    let path = format!("/dashboard/{slug}/settings");
    let t = Lang::negotiate(headers, Some(&shop.locale)).texts();
    let mut typed = AlertsForm::from_form(form, t);
    let mut unread = ValidationErrors::new();
    let request = typed.request(&mut unread);
    let checked = request.validate_for(shop);
    let mut problems = unread.0;
    if let Err(e) = &checked {
        problems.extend(e.0.iter().cloned());
    }
    match checked {
        Ok(patch) if problems.is_empty() => {
            let now = state.now();
            state.store.update_shop(&shop.id, patch, now).await?;
            state.events.publish(crate::events::ShopEvent::of_shop(
                shop.id.clone(),
                crate::events::EventKind::ShopUpdated,
                now,
            ));
            Ok(see_other(&format!("{path}?alerts=1#alerts")))
        }
        _ => {
            typed.errors = alerts_errors(problems, t);
            let (_, shop, role, page) = chrome(state, headers, slug, "settings").await?;
            let view = ProfilePage {
                page,
                slug: shop.slug,
                name: shop.name,
                phone: shop.phone.unwrap_or_default(),
                time_zone: shop.time_zone,
                locale: shop.locale,
                accepting: shop.accepting_orders,
                owner: role == Role::Owner,
                saved: false,
                errors: vec![],
                alerts: typed,
            };
            render(&view, StatusCode::UNPROCESSABLE_ENTITY, Cache::Private)
        }
    }
}

/// `POST /dashboard/{slug}/settings`: `op=profile`, `op=accepting` (`accepting=on|off`) or
/// `op=alerts` (the alert policy, default ETA and opening hours).
pub async fn save_profile(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, PageError> {
    let path = format!("/dashboard/{slug}/settings");
    let who = form_user(&state, &headers, &form, &path).await?;
    let shop = owner_of(&state, &who, &slug).await?;
    if form.text("op") == "alerts" {
        return save_alerts(&state, &headers, &slug, &shop, &form).await;
    }
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
            let t = page.t;
            let view = ProfilePage {
                alerts: AlertsForm::of(&shop, t),
                page,
                slug: shop.slug,
                name: form.text("name").to_owned(),
                phone: form.text("phone").to_owned(),
                time_zone: form.text("time_zone").to_owned(),
                locale: form.text("locale").to_owned(),
                accepting: shop.accepting_orders,
                owner: role == Role::Owner,
                saved: false,
                errors: errors
                    .0
                    .into_iter()
                    .map(|e| {
                        format!(
                            "{}: {}",
                            profile_label(&e.field, t),
                            t.field_error(e.code, &e.field)
                        )
                    })
                    .collect(),
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
