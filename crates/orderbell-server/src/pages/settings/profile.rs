//! The settings page `/dashboard/{slug}/settings`: the shop's profile (name, phone, time zone,
//! page language) and the accepting-orders switch. The same page holds the alerts form, which
//! posts here too (see `alerts`).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use orderbell_core::shop::{Shop, ShopPatchRequest};
use orderbell_core::user::{Duty, Role};

use super::alerts::{AlertsForm, save_alerts};
use super::{chrome, posted};
use crate::http::auth::role_forbids;
use crate::pages::error::PageError;
use crate::pages::form::Form;
use crate::pages::i18n::Texts;
use crate::pages::render::{Cache, Chrome, render, see_other};
use crate::pages::session::member_of;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "settings/profile.html")]
pub struct ProfilePage {
    page: Chrome,
    slug: String,
    name: String,
    phone: String,
    time_zone: String,
    locale: String,
    accepting: bool,
    owner: bool,
    /// May change the opening hours, the pause switch and the default ETA (owners, managers).
    hours: bool,
    /// Owners must use two-step sign-in.
    require_mfa: bool,
    saved: bool,
    errors: Vec<String>,
    alerts: AlertsForm,
    /// How guests may order: the types offered and the minimum as typed.
    guest: orderbell_core::shop::OrderingOptions,
    min_order: String,
    delivery_fee: String,
    delivery_note: String,
    receipt_header: String,
    receipt_footer: String,
}

impl ProfilePage {
    /// The page for the shop as stored, with this alerts form.
    pub fn new(page: Chrome, shop: Shop, role: Role, alerts: AlertsForm) -> ProfilePage {
        ProfilePage {
            page,
            slug: shop.slug,
            name: shop.name,
            phone: shop
                .phone
                .as_deref()
                .map(|p| orderbell_core::text::local_phone(p, shop.currency))
                .unwrap_or_default(),
            receipt_header: shop.receipt.header.clone().unwrap_or_default(),
            receipt_footer: shop.receipt.footer.clone().unwrap_or_default(),
            min_order: amount_input(shop.currency, shop.guest_ordering.min_order),
            delivery_fee: amount_input(shop.currency, shop.guest_ordering.delivery_fee),
            delivery_note: shop
                .guest_ordering
                .delivery_note
                .clone()
                .unwrap_or_default(),
            guest: shop.guest_ordering,
            time_zone: shop.time_zone,
            locale: shop.locale,
            accepting: shop.accepting_orders,
            owner: role.may(Duty::Settings),
            hours: role.may(Duty::Hours),
            require_mfa: shop.require_mfa_for_owners,
            saved: false,
            errors: vec![],
            alerts,
        }
    }
}

/// An optional amount as typed in the form: empty for 0.
fn amount_input(currency: orderbell_core::Currency, amount: i64) -> String {
    match amount {
        0 => String::new(),
        m => crate::pages::menu_editor::price_input(currency, m),
    }
}

/// An optional amount as typed: empty is 0; what is not a price becomes -1, which the check
/// refuses as out of range.
fn typed_amount(currency: orderbell_core::Currency, typed: &str) -> i64 {
    match typed.trim() {
        "" => 0,
        typed => currency.parse(typed).unwrap_or(-1),
    }
}

/// A profile field's label, for its error message.
fn profile_label(field: &str, t: &Texts) -> &'static str {
    match field {
        "name" => t.shop_name,
        "phone" => t.shop_phone,
        "time_zone" => t.time_zone,
        "locale" => t.page_language,
        "guest_ordering.min_order" => t.min_order,
        "guest_ordering.delivery_fee" => t.delivery_fee,
        "guest_ordering.delivery_note" => t.delivery_note,
        "guest_ordering" => t.guest_ordering_title,
        "receipt.header" => t.receipt_header,
        "receipt.footer" => t.receipt_footer,
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
        saved: uri.query() == Some("saved=1"),
        ..ProfilePage::new(page, shop, role, alerts)
    };
    render(&view, StatusCode::OK, Cache::Private)
}

/// `POST /dashboard/{slug}/settings`: `op=profile`, `op=accepting` (`accepting=on|off`),
/// `op=alerts` (the alert policy, default ETA and opening hours; a manager's changes only the
/// last two) or `op=mfa` (`require=on|off`, owners must use two-step sign-in).
pub async fn save_profile(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, PageError> {
    let (path, who) = posted(&state, &headers, &form, &slug, "settings").await?;
    let (shop, role) = member_of(&state, &who, &slug).await?;
    let duty = match form.text("op") {
        "alerts" | "accepting" => Duty::Hours,
        _ => Duty::Settings,
    };
    if !role.may(duty) {
        return Err(role_forbids(duty).into());
    }
    if form.text("op") == "alerts" {
        return save_alerts(&state, &headers, &slug, &shop, role, &form).await;
    }
    if form.text("op") == "mfa" {
        let on = form.text("require") == "on";
        if on && !crate::api::mfa::has_two_step(&state, &who.user).await? {
            // Whoever turns it on must not lock themselves out.
            return Err(PageError::redirect("/account#two-step"));
        }
        let patch = ShopPatchRequest {
            require_mfa_for_owners: Some(on),
            ..ShopPatchRequest::default()
        };
        let patch = patch
            .validate()
            .map_err(crate::http::error::ApiError::from)?;
        state
            .store
            .update_shop(&shop.id, patch, state.now())
            .await?;
        return Ok(see_other(&format!("{path}?saved=1")));
    }
    let patch = if form.text("op") == "accepting" {
        ShopPatchRequest {
            accepting_orders: Some(form.text("accepting") == "on"),
            ..ShopPatchRequest::default()
        }
    } else {
        ShopPatchRequest {
            name: Some(form.text("name").to_owned()),
            time_zone: Some(form.text("time_zone").trim().to_owned()),
            locale: Some(form.text("locale").trim().to_ascii_lowercase()),
            phone: Some(orderbell_core::text::international_phone(
                form.text("phone"),
                shop.currency,
            )),
            receipt: (form.text("guest_ordering") == "1").then(|| {
                orderbell_core::shop::ReceiptText {
                    header: Some(form.text("receipt_header").to_owned()),
                    footer: Some(form.text("receipt_footer").to_owned()),
                }
            }),
            // Only a form that carries the section changes it (unchecked boxes send nothing).
            guest_ordering: (form.text("guest_ordering") == "1").then(|| {
                orderbell_core::shop::OrderingOptions {
                    pickup: form.text("pickup") == "on",
                    dine_in: form.text("dine_in") == "on",
                    delivery: form.text("delivery") == "on",
                    min_order: typed_amount(shop.currency, form.text("min_order")),
                    delivery_fee: typed_amount(shop.currency, form.text("delivery_fee")),
                    delivery_note: Some(form.text("delivery_note").to_owned()),
                }
            }),
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
            let alerts = AlertsForm::of(&shop, t);
            let view = ProfilePage {
                name: form.text("name").to_owned(),
                phone: form.text("phone").to_owned(),
                time_zone: form.text("time_zone").to_owned(),
                locale: form.text("locale").to_owned(),
                min_order: form.text("min_order").to_owned(),
                delivery_fee: form.text("delivery_fee").to_owned(),
                delivery_note: form.text("delivery_note").to_owned(),
                errors: errors
                    .0
                    .into_iter()
                    .map(|e| {
                        format!(
                            "{}: {}",
                            profile_label(&e.field, t),
                            t.field_message(&e.field, e.code)
                        )
                    })
                    .collect(),
                ..ProfilePage::new(page, shop, role, alerts)
            };
            render(&view, StatusCode::UNPROCESSABLE_ENTITY, Cache::Private)
        }
    }
}
