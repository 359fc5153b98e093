//! The printers page `/dashboard/{slug}/printers`: each printer with its connection and paper
//! state; owners add one (its device token is shown once, with the command to run) or revoke
//! one (which disconnects it).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use orderbell_core::user::Duty;

use super::{Notice, chrome, posted_for};
use crate::pages::error::PageError;
use crate::pages::form::Form;
use crate::pages::i18n::negotiate;
use crate::pages::render::{Cache, Chrome, render, see_other};
use crate::pages::views::{date_time, shop_tz};
use crate::state::AppState;

pub struct PrinterRow {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub online: bool,
    pub state: Option<String>,
    /// The state in words.
    pub state_text: Option<&'static str>,
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
    notice: Notice<String>,
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
            let view = crate::printers::api::PrinterView::new(state, p);
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
                state_text: view.status.as_deref().map(|s| t.printer_state(s)),
                state: view.status,
                state_detail: view.status_detail,
                last_seen: view.last_seen_at.map(|at| date_time(at, &tz)),
                copies: view.copies,
                revoked: view.revoked_at.is_some(),
            }
        })
        .collect();
    let (status, new_token, error) = notice.into_parts();
    let view = PrintersPage {
        page,
        slug: shop.slug,
        owner: role.may(Duty::Printers),
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
    printers_page(&state, &headers, &slug, Notice::Nothing).await
}

/// `POST /dashboard/{slug}/printers` (owners): `op=create` (name, auto_print, copies) shows the
/// device token once with the command to run; `op=revoke` (id) disconnects the printer.
pub async fn save_printers(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, PageError> {
    let (path, shop) =
        posted_for(&state, &headers, &form, &slug, "printers", Duty::Printers).await?;
    if form.text("op") == "revoke" {
        let id =
            orderbell_core::PrinterId::parse(form.text("id")).ok_or_else(PageError::not_found)?;
        state
            .store
            .revoke_printer(&shop.id, &id, state.now())
            .await?;
        state.printers.disconnect(&id);
        crate::printers::changed(&state, &shop.id, &id);
        return Ok(see_other(&path));
    }
    let request = crate::printers::api::PrinterRequest {
        name: Some(form.text("name").to_owned()),
        auto_print: Some(form.text("auto_print").to_owned()).filter(|s| !s.is_empty()),
        copies: form.text("copies").parse().ok(),
        category_ids: None,
    };
    let change = match crate::printers::api::check(&request, true) {
        Ok(change) => change,
        Err(errors) => {
            let t = negotiate(&headers, Some(&shop.locale)).texts();
            let message = crate::pages::form::error_messages(errors.0, t).join(" ");
            let refused = Notice::Refused(message, StatusCode::UNPROCESSABLE_ENTITY);
            return printers_page(&state, &headers, &slug, refused).await;
        }
    };
    let created = crate::printers::api::add_printer(&state, &shop, change, None).await?;
    printers_page(&state, &headers, &slug, Notice::Made(created.token)).await
}
