//! The members page `/dashboard/{slug}/members`: who works in the shop, with their role; owners
//! add members by e-mail, change roles and remove them (never the last owner), and invite
//! people by a link (mailed or handed out) and revoke open invitations.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use orderbell_core::i18n::{Lang, fill};
use orderbell_core::user::Role;
use orderbell_core::{InvitationId, UserId};
use orderbell_store::StoreError;

use super::{Notice, chrome, posted};
use crate::account_mail::role_name;
use crate::api::invitations::invite;
use crate::api::shops::add_member;
use crate::http::error::ApiError;
use crate::pages::error::PageError;
use crate::pages::form::Form;
use crate::pages::i18n::negotiate;
use crate::pages::render::{Cache, Chrome, render, see_other};
use crate::pages::session::owner_of;
use crate::pages::views::{date_time, shop_tz};
use crate::state::AppState;

pub struct MemberView {
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub role: &'static str,
    pub is_me: bool,
}

pub struct InvitationView {
    pub id: String,
    pub role: &'static str,
    pub email: Option<String>,
    pub until: String,
}

/// A link just made, shown once.
pub struct Made {
    pub url: String,
    /// "It was also sent to …", when it was.
    pub mailed: Option<String>,
}

#[derive(Template)]
#[template(path = "settings/members.html")]
struct MembersPage {
    page: Chrome,
    slug: String,
    members: Vec<MemberView>,
    invitations: Vec<InvitationView>,
    owner: bool,
    mail: bool,
    made: Option<Made>,
    error: Option<String>,
}

async fn members_page(
    state: &AppState,
    headers: &HeaderMap,
    slug: &str,
    notice: Notice<Made>,
) -> Result<Response, PageError> {
    let (who, shop, role, page) = chrome(state, headers, slug, "members").await?;
    let t = page.t;
    let owner = role == Role::Owner;
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
            role: role_name(t, m.role),
        })
        .collect();
    let tz = shop_tz(&shop);
    let invitations = if owner {
        state
            .store
            .open_invitations(&shop.id, state.now())
            .await?
            .into_iter()
            .map(|i| InvitationView {
                id: i.id.to_string(),
                role: role_name(t, i.role),
                email: i.email,
                until: date_time(i.expires_at, &tz),
            })
            .collect()
    } else {
        Vec::new()
    };
    let (status, made, error) = notice.into_parts();
    let view = MembersPage {
        page,
        slug: shop.slug,
        members,
        invitations,
        owner,
        mail: crate::account_mail::enabled(state),
        made,
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

fn role_of(form: &Form) -> Role {
    form.text("role").parse().unwrap_or(Role::Staff)
}

/// `POST /dashboard/{slug}/members`: `op=add` (email, role), `op=remove` (user), `op=invite`
/// (role, email or none: the link is shown once), `op=revoke` (invitation).
pub async fn save_members(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, PageError> {
    let (path, who) = posted(&state, &headers, &form, &slug, "members").await?;
    let shop = owner_of(&state, &who, &slug).await?;
    let lang = negotiate(&headers, Some(&shop.locale));
    let t = lang.texts();
    let refused = |message: &str, status| Notice::Refused(message.to_owned(), status);
    let result = match form.text("op") {
        "remove" => {
            let user = UserId::parse(form.text("user")).ok_or_else(PageError::not_found)?;
            state
                .store
                .remove_member(&shop.id, &user)
                .await
                .map_err(ApiError::from)
        }
        "revoke" => {
            let id = InvitationId::parse(form.text("id")).ok_or_else(PageError::not_found)?;
            match state
                .store
                .revoke_invitation(&shop.id, &id, state.now())
                .await
            {
                // Revoked already, used or expired meanwhile: the list shows how things are.
                Ok(()) | Err(StoreError::NotFound) => Ok(()),
                Err(e) => Err(e.into()),
            }
        }
        "invite" => {
            let email = Some(form.text("email")).filter(|e| !e.trim().is_empty());
            return match invite(&state, &shop, Some(&who.user), role_of(&form), email, lang).await {
                Ok(made) => {
                    let mailed = made
                        .invitation
                        .email
                        .map(|to| fill(t.invite_mailed, &[("email", &to)]));
                    let made = Made {
                        url: made.url,
                        mailed,
                    };
                    members_page(&state, &headers, &slug, Notice::Made(made)).await
                }
                Err(e) => {
                    let notice = refused(&invite_refusal(&e, lang), e.status);
                    members_page(&state, &headers, &slug, notice).await
                }
            };
        }
        _ => add_member(&state, &shop, form.text("email"), role_of(&form))
            .await
            .map(|_| ()),
    };
    match result {
        Ok(()) => Ok(see_other(&path)),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let notice = refused(t.member_unknown, e.status);
            members_page(&state, &headers, &slug, notice).await
        }
        Err(e) if e.code == "email_unverified" => {
            let notice = refused(t.invite_owner_unverified, e.status);
            members_page(&state, &headers, &slug, notice).await
        }
        Err(e) if e.status == StatusCode::CONFLICT => {
            let notice = refused(t.last_owner, e.status);
            members_page(&state, &headers, &slug, notice).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Why an invitation was not made, in the page's language.
fn invite_refusal(e: &ApiError, lang: Lang) -> String {
    let t = lang.texts();
    match e.code {
        "not_configured" => t.invite_no_mail.to_owned(),
        "rate_limited" => t.error_rate_limited.to_owned(),
        _ => crate::pages::form::error_messages(e.fields.clone(), t).join(" "),
    }
}
