//! `/invite/{token}`: the page of an invitation to join a shop (docs/accounts.md). It shows the
//! shop and the role; a signed-in visitor joins with a button (the POST uses the link, so a
//! mail scanner that opens links does not), anyone else is offered to sign in or sign up and
//! come back. The same rules as `api::invitations`.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use orderbell_core::i18n::fill;

use super::error::PageError;
use super::form::Form;
use super::i18n::negotiate;
use super::render::{Cache, Chrome, render, see_other, url_encode};
use super::session::{form_user, signed_in};
use crate::account_mail::role_name;
use crate::api::invitations::join;
use crate::security::token;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "invite.html")]
struct InvitePage {
    page: Chrome,
    token: String,
    lead: String,
    by: Option<String>,
    join: String,
    signed_in: bool,
    /// `?next=` back to this page, encoded.
    back: String,
    error: Option<&'static str>,
}

fn path_of(secret: &str) -> String {
    format!("/invite/{secret}")
}

async fn page(
    state: &AppState,
    headers: &HeaderMap,
    secret: &str,
    status: StatusCode,
    error: Option<&'static str>,
) -> Result<Response, PageError> {
    let who = signed_in(state, headers).await?;
    let found = state
        .store
        .invitation(&token::hash(secret), state.now())
        .await?;
    let Some((invitation, shop)) = found else {
        return gone(headers, secret);
    };
    let lang = negotiate(headers, Some(&shop.locale));
    let t = lang.texts();
    let role = role_name(t, invitation.role);
    let view = InvitePage {
        page: Chrome::new(lang, t.invite_page_title, &path_of(secret), "login").user(who.as_ref()),
        token: secret.to_owned(),
        lead: fill(t.invite_page_lead, &[("shop", &shop.name), ("role", &role)]),
        by: invitation
            .invited_by
            .map(|name| fill(t.invite_page_by, &[("inviter", &name)])),
        join: fill(t.invite_join, &[("shop", &shop.name)]),
        signed_in: who.is_some(),
        back: url_encode(&path_of(secret)),
        error,
    };
    render(&view, status, Cache::Private)
}

fn gone(headers: &HeaderMap, secret: &str) -> Result<Response, PageError> {
    super::recovery::notice(
        headers,
        &path_of(secret),
        StatusCode::NOT_FOUND,
        |t| (t.invite_page_title, t.invite_gone.to_owned(), "error"),
        None,
    )
}

/// `GET /invite/{token}`.
pub async fn show(
    State(state): State<AppState>,
    Path(secret): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    page(&state, &headers, &secret, StatusCode::OK, None).await
}

/// `POST /invite/{token}`: joins the shop and opens its board.
pub async fn accept(
    State(state): State<AppState>,
    Path(secret): Path<String>,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, PageError> {
    let who = form_user(&state, &headers, &form, &path_of(&secret)).await?;
    let lang = negotiate(&headers, None);
    let t = lang.texts();
    match join(&state, &who.user, &secret).await {
        Ok((shop, _)) => Ok(see_other(&format!("/dashboard/{}", shop.slug))),
        Err(e) if e.status == StatusCode::NOT_FOUND => gone(&headers, &secret),
        Err(e) if e.code == "already_member" => {
            page(
                &state,
                &headers,
                &secret,
                e.status,
                Some(t.invite_already_member),
            )
            .await
        }
        Err(e) if e.code == "email_unverified" => {
            page(
                &state,
                &headers,
                &secret,
                e.status,
                Some(t.invite_owner_unverified),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
