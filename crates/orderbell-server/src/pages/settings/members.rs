//! The members page `/dashboard/{slug}/members`: who works in the shop, with their role; owners
//! add members by e-mail, change roles and remove them (never the last owner).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use orderbell_core::UserId;
use orderbell_core::text::normalize_email;
use orderbell_core::user::Role;
use orderbell_store::StoreError;

use super::{Notice, chrome, posted_by_owner};
use crate::pages::error::PageError;
use crate::pages::form::Form;
use crate::pages::i18n::negotiate;
use crate::pages::render::{Cache, Chrome, render, see_other};
use crate::state::AppState;

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
    notice: Notice,
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
    let (status, _, error) = notice.into_parts();
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
    members_page(&state, &headers, &slug, Notice::Nothing).await
}

/// `POST /dashboard/{slug}/members`: `op=add` (email, role) or `op=remove` (user).
pub async fn save_members(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, PageError> {
    let (path, shop) = posted_by_owner(&state, &headers, &form, &slug, "members").await?;
    let t = negotiate(&headers, Some(&shop.locale)).texts();
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
            let refused = Notice::Refused(
                t.member_unknown.to_owned(),
                StatusCode::UNPROCESSABLE_ENTITY,
            );
            return members_page(&state, &headers, &slug, refused).await;
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
            let refused = Notice::Refused(t.last_owner.to_owned(), StatusCode::CONFLICT);
            members_page(&state, &headers, &slug, refused).await
        }
        Err(e) => Err(e.into()),
    }
}
