//! Account pages: `/login`, `/signup`, `/logout`, `/account` (change password, the phone that
//! escalation calls about unanswered orders ring, two-step sign-in, passkeys). Passkeys are
//! added and used by `static/js/passkeys.js` through the JSON API (`api::passkeys`); removing
//! one is a plain form. The same rules
//! as the JSON API (`api::accounts`): the same session cookie, the same limits, the same
//! password rules, and a failed login never says whether the e-mail exists.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::Response;
use orderbell_core::ValidationErrors;
use orderbell_core::shop::check_phone;
use orderbell_core::text::normalize_email;

use super::error::PageError;
use super::form::Form;
use super::render::{Cache, Chrome, local_path, render, see_other};
use super::session::{SignedIn, check_origin, form_user, require, signed_in};
use crate::api::accounts::{Registered, SignIn, new_user, register, start_session};
use crate::http::auth::SESSION_COOKIE;
use crate::http::client::{ClientIp, Device};
use crate::pages::i18n::{Lang, negotiate};
use crate::security::password;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    page: Chrome,
    next: String,
    email: String,
    error: Option<&'static str>,
    allow_signup: bool,
    /// Two-step sign-in asked for a code.
    need_code: bool,
    /// A button per OpenID provider: (name, "Sign in with {label}").
    providers: Vec<(String, String)>,
}

/// The OpenID providers' buttons, in the configuration's order.
fn provider_buttons(state: &AppState, lang: Lang) -> Vec<(String, String)> {
    state
        .oidc
        .all()
        .iter()
        .map(|p| {
            let label: &dyn std::fmt::Display = &p.config.label;
            (
                p.config.name.clone(),
                orderbell_core::i18n::fill(lang.texts().oidc_sign_in_with, &[("label", label)]),
            )
        })
        .collect()
}

#[derive(Template)]
#[template(path = "signup.html")]
struct SignupPage {
    page: Chrome,
    next: String,
    email: String,
    name: String,
    errors: Vec<(&'static str, &'static str)>,
    closed: bool,
}

impl SignupPage {
    fn error(&self, field: &str) -> Option<&'static str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| *m)
    }
}

/// The two-step section of the account page.
#[derive(Default)]
struct MfaView {
    on: bool,
    /// Being set up: the QR code and the key, waiting for the first code.
    setup: Option<TotpSetupView>,
    /// Just turned on: the recovery codes, shown once.
    recovery_codes: Option<Vec<String>>,
    error: Option<&'static str>,
}

struct TotpSetupView {
    qr: Option<super::qr::Qr>,
    secret: String,
}

/// One line of the account page's session list.
struct SessionLine {
    id: String,
    current: bool,
    user_agent: Option<String>,
    ip: Option<String>,
    /// When it was last used, `YYYY-MM-DD HH:MM` UTC.
    seen: String,
}

/// One line of the account page's passkey list.
struct PasskeyLine {
    id: String,
    name: String,
    /// `YYYY-MM-DD` UTC.
    created: String,
    /// `YYYY-MM-DD HH:MM` UTC.
    last_used: Option<String>,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    sessions: Vec<SessionLine>,
    passkeys: Vec<PasskeyLine>,
    /// Back from adding one (`?passkey=1`).
    passkey_added: bool,
    mfa: MfaView,
    page: Chrome,
    email: String,
    error: Option<&'static str>,
    done: bool,
    /// The member's phone (E.164) as stored, or as typed when it was refused.
    phone: String,
    phone_error: Option<&'static str>,
    phone_saved: bool,
    /// A sign-in from a new device is mailed (shown when the server sends mail).
    sign_in_mail: Option<bool>,
    /// Identities at OpenID providers linked to the account.
    identities: Vec<IdentityLine>,
    /// Providers not linked yet: (name, "Link {label}").
    can_link: Vec<(String, String)>,
    identity_error: Option<&'static str>,
}

/// One linked identity on the account page.
struct IdentityLine {
    id: String,
    label: String,
    email: Option<String>,
}

fn next_of(uri: &Uri) -> String {
    uri.query()
        .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
        .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "next").map(|(_, v)| v))
        .and_then(|n| local_path(&n).map(str::to_owned))
        .unwrap_or_else(|| "/dashboard".to_owned())
}

/// `GET /login`.
pub async fn login_form(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let next = next_of(&uri);
    if signed_in(&state, &headers).await?.is_some() {
        return Ok(see_other(&next));
    }
    let lang = negotiate(&headers, None);
    let view = LoginPage {
        page: Chrome::new(lang, lang.texts().sign_in, "/login", "login").script("passkeys.js"),
        next,
        email: String::new(),
        error: None,
        allow_signup: state.config.allow_signup,
        need_code: false,
        providers: provider_buttons(&state, lang),
    };
    render(&view, StatusCode::OK, Cache::Private)
}

/// Moves the session cookie of an API answer onto a redirect.
pub(crate) fn signed_in_redirect(session: &Response, to: &str) -> Response {
    let mut response = see_other(to);
    if let Some(cookie) = session.headers().get(header::SET_COOKIE) {
        response
            .headers_mut()
            .insert(header::SET_COOKIE, cookie.clone());
    }
    response
}

/// `POST /login`.
pub async fn login(
    State(state): State<AppState>,
    device: Device,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, PageError> {
    let ip = device.ip;
    check_origin(&state, &headers)?;
    let lang = negotiate(&headers, None);
    let t = lang.texts();
    let raw_email = form.text("email");
    let email = normalize_email(raw_email).unwrap_or_else(|| raw_email.trim().to_lowercase());
    let pw = form.text("password").to_owned();
    let next = local_path(form.text("next"))
        .unwrap_or("/dashboard")
        .to_owned();
    state.limits.login(ip, &email).await?;
    let creds = if pw.chars().count() > orderbell_core::user::PASSWORD_MAX_CHARS {
        None
    } else {
        state.store.credentials(&email).await?
    };
    let stored = creds.as_ref().and_then(|c| c.password_hash.clone());
    let ok = password::verify_blocking(pw, stored).await;
    match creds {
        Some(creds) if ok => {
            let code = form.text("code").trim();
            let digits = code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit());
            let given = crate::api::mfa::SecondFactor {
                totp: (digits).then_some(code),
                recovery_code: (!digits && !code.is_empty()).then_some(code),
            };
            if let Err(e) = crate::api::mfa::check(&state, &creds.user, given).await {
                let error = match e.code {
                    "mfa_required" => t.mfa_needed,
                    "mfa_invalid" => t.mfa_wrong,
                    _ => return Err(e.into()),
                };
                let view = LoginPage {
                    page: Chrome::new(lang, t.sign_in, "/login", "login").script("passkeys.js"),
                    next,
                    email: raw_email.to_owned(),
                    error: Some(error),
                    allow_signup: state.config.allow_signup,
                    need_code: true,
                    providers: provider_buttons(&state, lang),
                };
                return render(&view, StatusCode::UNAUTHORIZED, Cache::Private);
            }
            let session = start_session(&state, &creds.user, &device, SignIn::Password).await?;
            // The shop list is a detour for someone with one shop: straight to its board.
            let next = match next.as_str() {
                "/dashboard" => match state.store.shops_of(&creds.user.id).await?.as_slice() {
                    [(shop, _)] => format!("/dashboard/{}", shop.slug),
                    _ => next,
                },
                _ => next,
            };
            Ok(signed_in_redirect(&session, &next))
        }
        _ => {
            let view = LoginPage {
                page: Chrome::new(lang, t.sign_in, "/login", "login").script("passkeys.js"),
                next,
                email: raw_email.to_owned(),
                error: Some(t.login_failed),
                allow_signup: state.config.allow_signup,
                need_code: false,
                providers: provider_buttons(&state, lang),
            };
            render(&view, StatusCode::UNAUTHORIZED, Cache::Private)
        }
    }
}

/// `GET /signup`.
pub async fn signup_form(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let lang = negotiate(&headers, None);
    let view = SignupPage {
        page: Chrome::new(lang, lang.texts().sign_up, "/signup", "login"),
        next: next_of(&uri),
        email: String::new(),
        name: String::new(),
        errors: vec![],
        closed: !state.config.allow_signup,
    };
    render(&view, StatusCode::OK, Cache::Private)
}

/// `POST /signup`: creates the account and signs it in.
pub async fn signup(
    State(state): State<AppState>,
    device: Device,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, PageError> {
    let ip = device.ip;
    check_origin(&state, &headers)?;
    let lang = negotiate(&headers, None);
    let t = lang.texts();
    let mut view = SignupPage {
        page: Chrome::new(lang, t.sign_up, "/signup", "login"),
        next: local_path(form.text("next"))
            .unwrap_or("/dashboard")
            .to_owned(),
        email: form.text("email").to_owned(),
        name: form.text("name").to_owned(),
        errors: vec![],
        closed: !state.config.allow_signup,
    };
    if view.closed {
        return render(&view, StatusCode::FORBIDDEN, Cache::Private);
    }
    state.limits.anonymous_post(ip).await?;
    let new = match new_user(&state, &view.email, &view.name, form.text("password")).await {
        Ok(new) => new,
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            for f in &e.fields {
                let field = match f.field.as_str() {
                    "email" => "email",
                    "name" => "name",
                    _ => "password",
                };
                let message = match (field, f.code) {
                    ("password", "weak_password")
                        if form.text("password").chars().count()
                            >= orderbell_core::user::PASSWORD_MIN_CHARS =>
                    {
                        t.weak_password
                    }
                    ("password", _) => t.password_hint,
                    _ => t.field_error(f.code, &f.field),
                };
                view.errors.push((field, message));
            }
            return render(&view, StatusCode::UNPROCESSABLE_ENTITY, Cache::Private);
        }
        Err(e) => return Err(e.into()),
    };
    let email = new.email.clone();
    let user = match register(&state, new, lang).await {
        Ok(Registered::Created(user)) => user,
        Ok(Registered::MailSent) => return super::recovery::check_your_mail(&headers, &email),
        Err(e) if e.status == StatusCode::CONFLICT => {
            view.errors.push(("email", t.email_taken));
            return render(&view, StatusCode::CONFLICT, Cache::Private);
        }
        Err(e) => return Err(e.into()),
    };
    let session = start_session(&state, &user, &device, SignIn::Password).await?;
    Ok(signed_in_redirect(&session, &view.next))
}

/// `POST /logout`: ends the session.
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, PageError> {
    check_origin(&state, &headers)?;
    let mut to = "/".to_owned();
    if let Some(who) = signed_in(&state, &headers).await? {
        who.check(&form)?;
        // A session from a provider with a logout endpoint (Cognito's hosted UI) ends there too.
        if let Some(session) = state.store.session(&who.token_hash, state.now()).await? {
            if let Some(url) = session
                .auth_method
                .strip_prefix("oidc:")
                .and_then(|name| state.oidc.get(name))
                .and_then(|p| p.config.logout_url.clone())
            {
                to = url;
            }
        }
        state.store.delete_session(&who.token_hash).await?;
    }
    let secure = if state.config.is_https() {
        "; Secure"
    } else {
        ""
    };
    let mut response = see_other(&to);
    let cookie = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}");
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(response)
}

/// `GET /account`.
pub async fn account(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let who = require(&state, &headers, "/account").await?;
    let lang = negotiate(&headers, None);
    let mut view = account_page(&state, &who, lang).await?;
    view.done = uri.query() == Some("changed=1");
    view.phone_saved = uri.query() == Some("phone=1");
    view.passkey_added = uri.query() == Some("passkey=1");
    render(&view, StatusCode::OK, Cache::Private)
}

/// `POST /account/password`: every other session of the user ends.
pub async fn change_password(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, PageError> {
    let who = form_user(&state, &headers, &form, "/account").await?;
    let lang = negotiate(&headers, None);
    let t = lang.texts();
    state.limits.login(ip, &who.user.email).await?;
    let stored = state
        .store
        .credentials(&who.user.email)
        .await?
        .and_then(|c| c.password_hash);
    let current = form.text("current_password").to_owned();
    let new = form.text("new_password").to_owned();
    let error = if !password::verify_blocking(current, stored).await {
        Some(t.wrong_current_password)
    } else if let Err(weak) = password::check_new(&new, &[&who.user.email, &who.user.name]) {
        Some(match weak {
            password::Weakness::Guessable => t.weak_password,
            _ => t.password_hint,
        })
    } else {
        None
    };
    if error.is_some() {
        let mut view = account_page(&state, &who, lang).await?;
        view.error = error;
        return render(&view, StatusCode::UNPROCESSABLE_ENTITY, Cache::Private);
    }
    let hash = password::hash_blocking(new)
        .await
        .map_err(|e| PageError::internal("password hashing", &e))?;
    state.store.set_password(&who.user.id, &hash).await?;
    state
        .store
        .delete_other_sessions(&who.user.id, &who.token_hash)
        .await?;
    Ok(see_other("/account?changed=1"))
}

/// `POST /account/phone`: the signed-in member's phone (E.164), which escalation calls about
/// unanswered orders ring; empty removes it.
pub async fn save_phone(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, PageError> {
    let who = form_user(&state, &headers, &form, "/account").await?;
    let typed = form.text("phone").trim().to_owned();
    let mut errors = ValidationErrors::new();
    let phone = check_phone(&mut errors, "phone", Some(&typed));
    if errors.into_result().is_err() {
        let lang = negotiate(&headers, None);
        let t = lang.texts();
        let mut view = account_page(&state, &who, lang).await?;
        view.phone = typed;
        view.phone_error = Some(t.err_phone_international);
        return render(&view, StatusCode::UNPROCESSABLE_ENTITY, Cache::Private);
    }
    state.store.set_user_phone(&who.user.id, phone).await?;
    Ok(see_other("/account?phone=1#phone"))
}

/// The account page as it stands, for `who`.
async fn account_page(
    state: &AppState,
    who: &SignedIn,
    lang: Lang,
) -> Result<AccountPage, PageError> {
    let on = state
        .store
        .totp(&who.user.id)
        .await?
        .is_some_and(|t| t.confirmed);
    let sessions = crate::api::sessions::entries(state, &who.user, &who.token_hash)
        .await?
        .into_iter()
        .map(|s| SessionLine {
            id: s.id,
            current: s.current,
            user_agent: s.user_agent,
            ip: s.ip,
            seen: s
                .last_seen_at
                .unwrap_or(s.created_at)
                .strftime("%Y-%m-%d %H:%M UTC")
                .to_string(),
        })
        .collect();
    let passkeys = state
        .store
        .passkeys_of(&who.user.id)
        .await?
        .into_iter()
        .map(|p| PasskeyLine {
            id: p.id.to_string(),
            name: p.name,
            created: p.created_at.strftime("%Y-%m-%d").to_string(),
            last_used: p
                .last_used_at
                .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string()),
        })
        .collect();
    let linked = state.store.identities_of(&who.user.id).await?;
    let label_of = |name: &str| {
        state
            .oidc
            .get(name)
            .map_or_else(|| name.to_owned(), |p| p.config.label.clone())
    };
    let can_link = state
        .oidc
        .all()
        .iter()
        .filter(|p| !linked.iter().any(|i| i.provider == p.config.name))
        .map(|p| {
            let label: &dyn std::fmt::Display = &p.config.label;
            (
                p.config.name.clone(),
                orderbell_core::i18n::fill(lang.texts().oidc_link, &[("label", label)]),
            )
        })
        .collect();
    let identities = linked
        .into_iter()
        .map(|i| IdentityLine {
            label: label_of(&i.provider),
            id: i.id,
            email: i.email,
        })
        .collect();
    Ok(AccountPage {
        identities,
        can_link,
        identity_error: None,
        sessions,
        passkeys,
        passkey_added: false,
        mfa: MfaView {
            on,
            ..MfaView::default()
        },
        page: Chrome::new(lang, lang.texts().account, "/account", "account")
            .user(Some(who))
            .script("passkeys.js"),
        email: who.user.email.clone(),
        error: None,
        done: false,
        phone: who.user.phone.clone().unwrap_or_default(),
        phone_error: None,
        phone_saved: false,
        sign_in_mail: if crate::account_mail::enabled(state) {
            Some(state.store.sign_in_mail(&who.user.id).await?)
        } else {
            None
        },
    })
}

fn setup_view(secret: String, uri: &str) -> TotpSetupView {
    TotpSetupView {
        qr: super::qr::Qr::new(uri),
        secret,
    }
}

/// `POST /account/totp`: a new authenticator secret, shown as a QR code and a key.
pub async fn totp_start(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, PageError> {
    let who = form_user(&state, &headers, &form, "/account").await?;
    let lang = negotiate(&headers, None);
    let setup = match crate::api::mfa::begin(&state, &who.user).await {
        Ok(setup) => setup,
        Err(e) if e.status == StatusCode::CONFLICT => return Ok(see_other("/account#two-step")),
        Err(e) => return Err(e.into()),
    };
    let mut view = account_page(&state, &who, lang).await?;
    view.mfa.setup = Some(setup_view(setup.secret, &setup.otpauth_uri));
    render(&view, StatusCode::OK, Cache::Private)
}

/// `POST /account/totp/confirm`: the first code turns it on; the recovery codes are shown once.
pub async fn totp_confirm(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, PageError> {
    let who = form_user(&state, &headers, &form, "/account").await?;
    let lang = negotiate(&headers, None);
    match crate::api::mfa::finish(&state, &who.user, form.text("code")).await {
        Ok(codes) => {
            let mut view = account_page(&state, &who, lang).await?;
            view.mfa.recovery_codes = Some(codes.recovery_codes);
            render(&view, StatusCode::OK, Cache::Private)
        }
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let mut view = account_page(&state, &who, lang).await?;
            if let Some(pending) = state.store.totp(&who.user.id).await? {
                let uri = crate::security::totp::otpauth_uri(&pending.secret, &who.user.email)
                    .unwrap_or_default();
                view.mfa.setup = Some(setup_view(pending.secret, &uri));
            }
            view.mfa.error = Some(lang.texts().mfa_code_wrong);
            render(&view, StatusCode::UNPROCESSABLE_ENTITY, Cache::Private)
        }
        Err(e) if e.status == StatusCode::CONFLICT => Ok(see_other("/account#two-step")),
        Err(e) => Err(e.into()),
    }
}

/// `POST /account/totp/off`.
pub async fn totp_off(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, PageError> {
    let who = form_user(&state, &headers, &form, "/account").await?;
    state.store.remove_totp(&who.user.id).await?;
    Ok(see_other("/account#two-step"))
}

/// `POST /account/passkeys/remove` (`id`): removes one of the account's passkeys.
pub async fn passkey_remove(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, PageError> {
    let who = form_user(&state, &headers, &form, "/account").await?;
    if let Some(id) = orderbell_core::PasskeyId::parse(form.text("id")) {
        match state.store.delete_passkey(&who.user.id, &id).await {
            Ok(()) | Err(orderbell_store::StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(see_other("/account#passkeys"))
}

/// `POST /account/identities/unlink` (`id`): unlinks an identity at an OpenID provider,
/// unless it is the only way into an account without a password.
pub async fn unlink_identity(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, PageError> {
    let who = form_user(&state, &headers, &form, "/account").await?;
    match crate::oidc::flow::unlink_identity(&state, &who.user, form.text("id")).await {
        Ok(()) => Ok(see_other("/account#identities")),
        Err(e) if e.code == "last_sign_in" => {
            let lang = negotiate(&headers, None);
            let mut view = account_page(&state, &who, lang).await?;
            view.identity_error = Some(lang.texts().oidc_last_sign_in);
            render(&view, StatusCode::CONFLICT, Cache::Private)
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /account/sessions/end`: signs out one other device.
pub async fn end_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, PageError> {
    let who = form_user(&state, &headers, &form, "/account").await?;
    state
        .store
        .end_session(&who.user.id, form.text("id"))
        .await?;
    Ok(see_other("/account#sessions"))
}

/// `POST /account/sign-in-mail` (`on=on|off`): whether a sign-in from a new device is mailed.
pub async fn sign_in_mail(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, PageError> {
    let who = form_user(&state, &headers, &form, "/account").await?;
    state
        .store
        .set_sign_in_mail(&who.user.id, form.text("on") == "on")
        .await?;
    Ok(see_other("/account#sessions"))
}

/// `POST /account/sessions/end-others`: signs out every other device.
pub async fn end_other_sessions(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, PageError> {
    let who = form_user(&state, &headers, &form, "/account").await?;
    state
        .store
        .delete_other_sessions(&who.user.id, &who.token_hash)
        .await?;
    Ok(see_other("/account#sessions"))
}
