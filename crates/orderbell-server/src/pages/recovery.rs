//! Getting back in and confirming an address: `/reset` (ask for a link), `/reset/{token}`
//! (choose a new password), `/verify/{token}` (confirm the address and sign in). The same
//! rules as the JSON API (`api::accounts`). A link's page only shows a form: the link is used
//! by the form's POST, so a mail scanner that opens links does not use them up.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use orderbell_core::i18n::fill;
use orderbell_core::text::normalize_email;
use orderbell_store::records::TokenPurpose;

use super::error::PageError;
use super::form::Form;
use super::render::{Cache, Chrome, render};
use super::session::check_origin;
use crate::api::accounts::{SignIn, send_reset, start_session, use_reset_link, use_verify_link};
use crate::http::client::{ClientIp, Device};
use crate::pages::i18n::negotiate;
use crate::security::{password, token};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "notice.html")]
struct NoticePage {
    page: Chrome,
    heading: &'static str,
    message: String,
    /// `ok`, `warn` or `error`.
    tone: &'static str,
    link: Option<(&'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "reset_request.html")]
struct ResetRequestPage {
    page: Chrome,
    email: String,
    error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "reset_form.html")]
struct ResetFormPage {
    page: Chrome,
    token: String,
    /// The account's address, for password managers.
    email: String,
    error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    page: Chrome,
    token: String,
}

pub(super) fn notice(
    headers: &HeaderMap,
    path: &str,
    status: StatusCode,
    pick: impl FnOnce(&'static orderbell_core::i18n::Texts) -> (&'static str, String, &'static str),
    link: Option<(&'static str, &'static str)>,
) -> Result<Response, PageError> {
    let lang = negotiate(headers, None);
    let (heading, message, tone) = pick(lang.texts());
    let view = NoticePage {
        page: Chrome::new(lang, heading, path, "login"),
        heading,
        message,
        tone,
        link,
    };
    render(&view, status, Cache::Private)
}

/// "Check your mail" after a sign-up that went out by mail.
pub fn check_your_mail(headers: &HeaderMap, email: &str) -> Result<Response, PageError> {
    let lang = negotiate(headers, None);
    let t = lang.texts();
    notice(
        headers,
        "/signup",
        StatusCode::ACCEPTED,
        |t| {
            (
                t.sign_up,
                fill(t.signup_check_mail, &[("email", &email)]),
                "ok",
            )
        },
        Some(("/login", t.sign_in)),
    )
}

fn mail_off(headers: &HeaderMap) -> Result<Response, PageError> {
    notice(
        headers,
        "/reset",
        StatusCode::CONFLICT,
        |t| (t.reset_title, t.mail_off.to_owned(), "warn"),
        None,
    )
}

/// `GET /reset`.
pub async fn request_form(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    if !crate::account_mail::enabled(&state) {
        return mail_off(&headers);
    }
    let lang = negotiate(&headers, None);
    let view = ResetRequestPage {
        page: Chrome::new(lang, lang.texts().reset_title, "/reset", "login"),
        email: String::new(),
        error: None,
    };
    render(&view, StatusCode::OK, Cache::Private)
}

/// `POST /reset`: the same answer whether or not the address has an account.
pub async fn request(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, PageError> {
    check_origin(&state, &headers)?;
    if !crate::account_mail::enabled(&state) {
        return mail_off(&headers);
    }
    state.limits.anonymous_post(ip).await?;
    let lang = negotiate(&headers, None);
    let typed = form.text("email");
    let Some(email) = normalize_email(typed) else {
        let view = ResetRequestPage {
            page: Chrome::new(lang, lang.texts().reset_title, "/reset", "login"),
            email: typed.to_owned(),
            error: Some(lang.texts().field_error("invalid", "email")),
        };
        return render(&view, StatusCode::UNPROCESSABLE_ENTITY, Cache::Private);
    };
    send_reset(&state, &email, lang).await?;
    notice(
        &headers,
        "/reset",
        StatusCode::ACCEPTED,
        |t| {
            (
                t.reset_title,
                fill(t.reset_request_sent, &[("email", &email)]),
                "ok",
            )
        },
        Some(("/login", lang.texts().sign_in)),
    )
}

fn link_invalid(headers: &HeaderMap, purpose: TokenPurpose) -> Result<Response, PageError> {
    let lang = negotiate(headers, None);
    let t = lang.texts();
    let (path, link) = match purpose {
        TokenPurpose::ResetPassword => ("/reset", ("/reset", t.send_link)),
        TokenPurpose::VerifyEmail => ("/verify", ("/login", t.sign_in)),
    };
    notice(
        headers,
        path,
        StatusCode::NOT_FOUND,
        |t| match purpose {
            TokenPurpose::ResetPassword => {
                (t.reset_title, t.reset_link_invalid.to_owned(), "error")
            }
            TokenPurpose::VerifyEmail => (t.verify_title, t.verify_invalid.to_owned(), "error"),
        },
        Some(link),
    )
}

/// `GET /reset/{token}`: the new-password form, when the link can still be used.
pub async fn reset_form(
    State(state): State<AppState>,
    Path(secret): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let Some(user) = state
        .store
        .account_token_user(
            &token::hash(&secret),
            TokenPurpose::ResetPassword,
            state.now(),
        )
        .await?
    else {
        return link_invalid(&headers, TokenPurpose::ResetPassword);
    };
    let lang = negotiate(&headers, None);
    let view = ResetFormPage {
        page: Chrome::new(lang, lang.texts().reset_title, "/reset", "login"),
        token: secret,
        email: user.email,
        error: None,
    };
    render(&view, StatusCode::OK, Cache::Private)
}

/// `POST /reset/{token}`: sets the password; every session of the account ends.
pub async fn reset(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(secret): Path<String>,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, PageError> {
    check_origin(&state, &headers)?;
    state.limits.anonymous_post(ip).await?;
    let lang = negotiate(&headers, None);
    let t = lang.texts();
    let new = form.text("password");
    match use_reset_link(&state, &secret, new).await {
        Ok(_) => notice(
            &headers,
            "/reset",
            StatusCode::OK,
            |t| (t.reset_title, t.reset_done.to_owned(), "ok"),
            Some(("/login", t.sign_in)),
        ),
        Err(e) if e.status == StatusCode::NOT_FOUND => {
            link_invalid(&headers, TokenPurpose::ResetPassword)
        }
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let error = match password::check_new(new, &[]) {
                Err(password::Weakness::Guessable) | Ok(()) => t.weak_password,
                Err(_) => t.password_hint,
            };
            let view = ResetFormPage {
                page: Chrome::new(lang, t.reset_title, "/reset", "login"),
                token: secret,
                email: String::new(),
                error: Some(error),
            };
            render(&view, StatusCode::UNPROCESSABLE_ENTITY, Cache::Private)
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /verify/{token}`: a button that confirms (the POST uses the link).
pub async fn verify_form(
    State(state): State<AppState>,
    Path(secret): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    if state
        .store
        .account_token_user(
            &token::hash(&secret),
            TokenPurpose::VerifyEmail,
            state.now(),
        )
        .await?
        .is_none()
    {
        return link_invalid(&headers, TokenPurpose::VerifyEmail);
    }
    let lang = negotiate(&headers, None);
    let view = VerifyPage {
        page: Chrome::new(lang, lang.texts().verify_title, "/verify", "login"),
        token: secret,
    };
    render(&view, StatusCode::OK, Cache::Private)
}

/// `POST /verify/{token}`: confirms the address, signs in, and goes to the dashboard.
pub async fn verify(
    State(state): State<AppState>,
    device: Device,
    Path(secret): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    check_origin(&state, &headers)?;
    state.limits.anonymous_post(device.ip).await?;
    match use_verify_link(&state, &secret).await {
        Ok(user) => {
            let session = start_session(&state, &user, &device, SignIn::EmailLink).await?;
            Ok(super::accounts::signed_in_redirect(&session, "/dashboard"))
        }
        Err(e) if e.status == StatusCode::NOT_FOUND => {
            link_invalid(&headers, TokenPurpose::VerifyEmail)
        }
        Err(e) => Err(e.into()),
    }
}
