//! The API keys page `/dashboard/{slug}/apikeys` (owners): the shop's keys with their scopes and
//! last use; a new key is shown once, right after it is made; revoking one.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use orderbell_core::ApiKeyId;
use orderbell_core::user::Duty;
use orderbell_store::Scope;

use super::{Notice, chrome, posted_for};
use crate::api::shops::issue_api_key;
use crate::pages::error::PageError;
use crate::pages::form::Form;
use crate::pages::i18n::negotiate;
use crate::pages::render::{Cache, Chrome, render, see_other};
use crate::pages::session::owner_of;
use crate::pages::views::{date_time, shop_tz};
use crate::state::AppState;

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
    notice: Notice<String>,
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
    let (status, new_key, error) = notice.into_parts();
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
    keys_page(&state, &headers, &slug, Notice::Nothing).await
}

/// `POST /dashboard/{slug}/apikeys`: `op=create` (name, scope…) shows the key once;
/// `op=revoke` (id).
pub async fn save_api_keys(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, PageError> {
    let (path, shop) = posted_for(&state, &headers, &form, &slug, "apikeys", Duty::People).await?;
    if form.text("op") == "revoke" {
        let id = ApiKeyId::parse(form.text("id")).ok_or_else(PageError::not_found)?;
        let printers = state
            .store
            .revoke_api_key(&shop.id, &id, state.now())
            .await?;
        for printer in &printers {
            state.printers.disconnect(printer);
            crate::printers::changed(&state, &shop.id, printer);
        }
        return Ok(see_other(&path));
    }
    let mut scopes: Vec<Scope> = form.all("scope").filter_map(Scope::parse).collect();
    scopes.sort();
    scopes.dedup();
    if scopes.is_empty() {
        scopes = vec![Scope::OrdersWrite, Scope::OrdersRead];
    }
    match issue_api_key(&state, &shop.id, form.text("name"), scopes).await {
        Ok(created) => keys_page(&state, &headers, &slug, Notice::Made(created.key)).await,
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let t = negotiate(&headers, Some(&shop.locale)).texts();
            let mut messages = crate::pages::form::error_messages(e.fields, t);
            if messages.is_empty() {
                messages.push(t.err_invalid.to_owned());
            }
            let refused = Notice::Refused(messages.join(" "), StatusCode::UNPROCESSABLE_ENTITY);
            keys_page(&state, &headers, &slug, refused).await
        }
        Err(e) => Err(e.into()),
    }
}
