//! Accounts: sign up, sign in and out (session cookie), who am I, change password.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use orderbell_core::i18n::Lang;
use orderbell_core::text::normalize_email;
use orderbell_core::user::{PASSWORD_MAX_CHARS, Role, USER_NAME_MAX, User};
use orderbell_core::{Timestamp, UserId, ValidationErrors};
use orderbell_store::records::TokenPurpose;
use orderbell_store::{NewSession, NewUser, StoreError};
use serde::{Deserialize, Serialize};

use super::views::{ShopView, UserView};
use crate::http::auth::{Caller, SESSION_COOKIE};
use crate::http::client::{ClientIp, Device};
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::http::json::ApiJson;
use crate::pages::i18n::negotiate;
use crate::security::{password, token};
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// With two-step sign-in on: the authenticator's six digits…
    #[serde(default)]
    pub totp: Option<String>,
    /// …or one of the account's recovery codes.
    #[serde(default)]
    pub recovery_code: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionView {
    pub user: UserView,
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: Timestamp,
}

fn session_cookie(state: &AppState, token: &str, max_age: u64) -> String {
    let secure = if state.config.is_https() {
        "; Secure"
    } else {
        ""
    };
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

/// How a session was started, kept in `sessions.auth_method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignIn<'a> {
    /// E-mail and password (and the second step when it is on).
    Password,
    /// A link mailed to the address (confirming it).
    EmailLink,
    /// A passkey alone (WebAuthn with user verification): counts as two-step sign-in.
    Passkey,
    /// An OpenID provider of the configuration, by name: `oidc:{name}`.
    Oidc(&'a str),
}

impl SignIn<'_> {
    fn label(self) -> String {
        match self {
            SignIn::Password => "password".into(),
            SignIn::EmailLink => "email_link".into(),
            SignIn::Passkey => "passkey".into(),
            SignIn::Oidc(name) => format!("oidc:{name}"),
        }
    }
}

/// Starts a session for a user: stores the token's hash, sets the cookie.
pub async fn start_session(
    state: &AppState,
    user: &orderbell_core::user::User,
    device: &Device,
    how: SignIn<'_>,
) -> ApiResult<Response> {
    let token = token::new_token();
    let now = state.now();
    let ttl = state.config.session_ttl;
    let expires_at = now
        .checked_add(ttl)
        .map_err(|e| ApiError::internal("session expiry", &e))?;
    state
        .store
        .create_session(NewSession {
            token_hash: token::hash(&token),
            user_id: user.id.clone(),
            auth_method: how.label(),
            created_at: now,
            expires_at,
            user_agent: device.user_agent.clone(),
            ip: Some(device.ip.to_string()),
        })
        .await?;
    if how != SignIn::EmailLink {
        // A link mailed to the address is no news to its mailbox.
        crate::account_mail::note_sign_in(state, user, device, device.lang).await;
    }
    let mut response = Json(SessionView {
        user: user.into(),
        expires_at,
    })
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&session_cookie(state, &token, ttl.as_secs())) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(response)
}

/// Signs in with e-mail and password; sets the session cookie.
///
/// The answer to a wrong password and to an unknown e-mail is the same, and takes as long.
#[utoipa::path(post, path = "/api/v1/session", tag = "accounts", request_body = LoginRequest,
    responses((status = 200, body = SessionView), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    device: Device,
    ApiJson(body): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    let ip = device.ip;
    let email = normalize_email(&body.email).unwrap_or_else(|| body.email.trim().to_lowercase());
    state.limits.login(ip, &email).await?;
    if body.password.chars().count() > PASSWORD_MAX_CHARS {
        return Err(ApiError::unauthenticated("wrong e-mail or password"));
    }
    let creds = state.store.credentials(&email).await?;
    let stored = creds.as_ref().and_then(|c| c.password_hash.clone());
    if !password::verify_blocking(body.password, stored).await {
        return Err(ApiError::unauthenticated("wrong e-mail or password"));
    }
    let Some(creds) = creds else {
        return Err(ApiError::unauthenticated("wrong e-mail or password"));
    };
    super::mfa::check(
        &state,
        &creds.user,
        super::mfa::SecondFactor {
            totp: body.totp.as_deref(),
            recovery_code: body.recovery_code.as_deref(),
        },
    )
    .await?;
    start_session(&state, &creds.user, &device, SignIn::Password).await
}

/// Signs out: ends the session and clears the cookie.
#[utoipa::path(delete, path = "/api/v1/session", tag = "accounts", responses((status = 204)))]
pub async fn logout(State(state): State<AppState>, caller: Caller) -> ApiResult<Response> {
    if let Caller::User { token_hash, .. } = &caller {
        state.store.delete_session(token_hash).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(&session_cookie(&state, "", 0)) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(response)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupRequest {
    pub email: String,
    pub name: String,
    /// At least 10 characters.
    pub password: String,
}

/// Checks what a new account needs and hashes the password.
pub async fn new_user(state: &AppState, email: &str, name: &str, pw: &str) -> ApiResult<NewUser> {
    let mut errors = ValidationErrors::new();
    let email_ok = normalize_email(email);
    if email_ok.is_none() {
        errors.add("email", "invalid", "email is not an e-mail address");
    }
    let name = errors.text("name", Some(name), true, USER_NAME_MAX);
    if let Err(weak) = password::check_new(pw, &[email, name.as_deref().unwrap_or_default()]) {
        errors.add("password", "weak_password", weak.message());
    }
    errors.into_result()?;
    let hash = password::hash_blocking(pw.to_owned())
        .await
        .map_err(|e| ApiError::internal("password hashing", &e))?;
    Ok(NewUser {
        id: state.new_id(UserId::from_parts),
        email: email_ok.unwrap_or_default(),
        name: name.unwrap_or_default(),
        password_hash: Some(hash),
        created_at: state.now(),
        // Confirmed unless this server sends mail to confirm it (see [`register`]).
        email_verified_at: Some(state.now()),
    })
}

/// What became of a sign-up.
pub enum Registered {
    /// This server sends no mail: the account exists, confirmed (there is nothing to confirm
    /// it with), and the caller may sign it in.
    Created(User),
    /// A mail went to the address: the confirmation link for a new account, or a notice to an
    /// existing one. The answer is the same either way, so sign-up does not tell who has an
    /// account.
    MailSent,
}

/// Creates the account of a sign-up (API and page alike).
pub async fn register(state: &AppState, mut new: NewUser, lang: Lang) -> ApiResult<Registered> {
    if !crate::account_mail::enabled(state) {
        return match state.store.create_user(new).await {
            Err(StoreError::Conflict(_)) => Err(ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                "an account with this e-mail exists; sign in instead",
            )),
            other => Ok(Registered::Created(other?)),
        };
    }
    state.limits.account_mail(&new.email).await?;
    new.email_verified_at = None;
    let email = new.email.clone();
    match state.store.create_user(new).await {
        Ok(user) => {
            crate::account_mail::send_link(state, &user, TokenPurpose::VerifyEmail, lang).await?;
        }
        Err(StoreError::Conflict(_)) => {
            if let Some(user) = state.store.user_by_email(&email).await? {
                crate::account_mail::send_account_exists(state, &user, lang).await?;
            }
        }
        Err(e) => return Err(e.into()),
    }
    Ok(Registered::MailSent)
}

/// The answer to a sign-up or a reset request that went out by mail.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MailSentView {
    /// The address the mail went to (as normalised).
    pub email: String,
    /// `sent`.
    pub mail: &'static str,
}

/// Creates an account (when sign-up is open).
///
/// On a server that sends mail the answer is 202 for every well-formed request: a new
/// account gets a link that confirms the address and signs in
/// (`POST /api/v1/email-verification/{token}`), an address that has an account gets a notice
/// instead, and nobody learns which. Without mail the account is created confirmed and signed
/// in (201), and an existing address answers 409.
#[utoipa::path(post, path = "/api/v1/users", tag = "accounts", request_body = SignupRequest,
    responses((status = 201, description = "signed in (a server without mail)", body = SessionView),
        (status = 202, description = "a link went to the address", body = MailSentView),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn signup(
    State(state): State<AppState>,
    device: Device,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SignupRequest>,
) -> ApiResult<Response> {
    if !state.config.allow_signup {
        return Err(ApiError::forbidden(
            "sign-up is closed on this server; ask its operator for an account",
        ));
    }
    state.limits.anonymous_post(device.ip).await?;
    let new = new_user(&state, &body.email, &body.name, &body.password).await?;
    let email = new.email.clone();
    match register(&state, new, negotiate(&headers, None)).await? {
        Registered::Created(user) => {
            let mut response = start_session(&state, &user, &device, SignIn::Password).await?;
            *response.status_mut() = StatusCode::CREATED;
            Ok(response)
        }
        Registered::MailSent => Ok((
            StatusCode::ACCEPTED,
            Json(MailSentView {
                email,
                mail: "sent",
            }),
        )
            .into_response()),
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    pub email: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    pub password: String,
}

/// 409 `not_configured`: this server sends no mail.
fn mail_off() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "not_configured",
        "this server sends no mail (its operator sets ORDERBELL_SMTP_URL and ORDERBELL_MAIL_FROM); \
         ask the operator to set a new password (orderbell user password)",
    )
}

/// Asks for a password-reset link. The answer is 202 whether or not the address has an
/// account; the link (`{public_url}/reset/{token}`, single use, 30 minutes) goes only to the
/// mailbox. Limited per client address and per e-mail address.
#[utoipa::path(post, path = "/api/v1/password-reset", tag = "accounts", request_body = ResetRequest,
    responses((status = 202, body = MailSentView), (status = 409, description = "`not_configured`: no mail", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn request_reset(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ResetRequest>,
) -> ApiResult<(StatusCode, Json<MailSentView>)> {
    if !crate::account_mail::enabled(&state) {
        return Err(mail_off());
    }
    state.limits.anonymous_post(ip).await?;
    let email = normalize_email(&body.email)
        .ok_or_else(|| ApiError::field("email", "invalid", "email is not an e-mail address"))?;
    send_reset(&state, &email, negotiate(&headers, None)).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(MailSentView {
            email,
            mail: "sent",
        }),
    ))
}

/// Sends a reset link when the address has an account; the same limits either way.
pub async fn send_reset(state: &AppState, email: &str, lang: Lang) -> ApiResult<()> {
    state.limits.account_mail(email).await?;
    if let Some(user) = state.store.user_by_email(email).await? {
        crate::account_mail::send_link(state, &user, TokenPurpose::ResetPassword, lang).await?;
    }
    Ok(())
}

/// Checks a new password against the policy (docs/accounts.md) for this user.
pub fn password_errors(field: &str, password: &str, user: &User) -> ApiResult<()> {
    password::check_new(password, &[&user.email, &user.name])
        .map_err(|weak| ApiError::field(field, "weak_password", weak.message()))
}

/// Sets a new password with a reset link: 204, and every session of the account ends. A link
/// that was used, expired or never existed is 404.
#[utoipa::path(post, path = "/api/v1/password-reset/{token}", tag = "accounts", request_body = NewPassword,
    params(("token" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reset_password(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(token): Path<String>,
    ApiJson(body): ApiJson<NewPassword>,
) -> ApiResult<StatusCode> {
    state.limits.anonymous_post(ip).await?;
    use_reset_link(&state, &token, &body.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The reset itself (API and page): checks the link and the password, then sets it.
pub async fn use_reset_link(state: &AppState, token: &str, password: &str) -> ApiResult<User> {
    let hash = token::hash(token);
    let user = state
        .store
        .account_token_user(&hash, TokenPurpose::ResetPassword, state.now())
        .await?
        .ok_or_else(link_gone)?;
    password_errors("password", password, &user)?;
    let password_hash = password::hash_blocking(password.to_owned())
        .await
        .map_err(|e| ApiError::internal("password hashing", &e))?;
    state
        .store
        .reset_password(&hash, &password_hash, state.now())
        .await?
        .ok_or_else(link_gone)?;
    Ok(user)
}

fn link_gone() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "this link was used already or has expired; ask for a new one",
    )
}

/// Confirms the address with the link from the sign-up mail and signs in (200, the session
/// cookie). The link works once, for 7 days.
#[utoipa::path(post, path = "/api/v1/email-verification/{token}", tag = "accounts",
    params(("token" = String, Path)),
    responses((status = 200, body = SessionView), (status = 404, body = ErrorBody)))]
pub async fn verify_email(
    State(state): State<AppState>,
    device: Device,
    Path(token): Path<String>,
) -> ApiResult<Response> {
    state.limits.anonymous_post(device.ip).await?;
    let user = use_verify_link(&state, &token).await?;
    start_session(&state, &user, &device, SignIn::EmailLink).await
}

/// Uses a verification link: the confirmed user.
pub async fn use_verify_link(state: &AppState, token: &str) -> ApiResult<User> {
    let id = state
        .store
        .redeem_account_token(&token::hash(token), TokenPurpose::VerifyEmail, state.now())
        .await?
        .ok_or_else(link_gone)?;
    state.store.user(&id).await?.ok_or_else(link_gone)
}

/// Sends the signed-in user a new confirmation link (202); 409 when the address is confirmed
/// already or the server sends no mail.
#[utoipa::path(post, path = "/api/v1/me/email-verification", tag = "accounts",
    responses((status = 202, body = MailSentView), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn resend_verification(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> ApiResult<(StatusCode, Json<MailSentView>)> {
    let user = caller.user()?.clone();
    if !crate::account_mail::enabled(&state) {
        return Err(mail_off());
    }
    if user.email_verified {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            "this address is confirmed already",
        ));
    }
    state.limits.account_mail(&user.email).await?;
    crate::account_mail::send_link(
        &state,
        &user,
        TokenPurpose::VerifyEmail,
        negotiate(&headers, None),
    )
    .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(MailSentView {
            email: user.email,
            mail: "sent",
        }),
    ))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MeView {
    pub user: UserView,
    pub shops: Vec<ShopView>,
    /// Whether a sign-in from a device the account has not used sends it a mail.
    pub sign_in_mail: bool,
}

/// The signed-in user and their shops.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts",
    responses((status = 200, body = MeView), (status = 401, body = ErrorBody)))]
pub async fn me(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<MeView>> {
    me_view(&state, caller.user()?).await
}

/// The user with the shops they belong to, and their role in each.
async fn me_view(state: &AppState, user: &User) -> ApiResult<Json<MeView>> {
    let shops = state.store.shops_of(&user.id).await?;
    Ok(Json(MeView {
        user: user.into(),
        shops: shops
            .into_iter()
            .map(|(shop, role): (_, Role)| ShopView::new(shop, Some(role), state.now()))
            .collect(),
        sign_in_mail: state.store.sign_in_mail(&user.id).await?,
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MePatch {
    /// E.164 (`+821012345678`); an empty string removes it. Escalation calls ring it.
    pub phone: Option<String>,
    /// Whether a sign-in from a new device sends a mail (when the server sends mail).
    pub sign_in_mail: Option<bool>,
}

/// Changes the signed-in user's own details.
#[utoipa::path(patch, path = "/api/v1/me", tag = "accounts", request_body = MePatch,
    responses((status = 200, body = MeView), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_me(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<MePatch>,
) -> ApiResult<Json<MeView>> {
    let user = caller.user()?.clone();
    if let Some(phone) = body.phone {
        let mut errors = orderbell_core::ValidationErrors::new();
        let phone = orderbell_core::shop::check_phone(&mut errors, "phone", Some(&phone));
        errors.into_result()?;
        state.store.set_user_phone(&user.id, phone).await?;
    }
    if let Some(on) = body.sign_in_mail {
        state.store.set_sign_in_mail(&user.id, on).await?;
    }
    let user = state
        .store
        .user(&user.id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    me_view(&state, &user).await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// Changes the password; every other session of the user ends.
#[utoipa::path(put, path = "/api/v1/me/password", tag = "accounts", request_body = PasswordChange,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, description = "`rate_limited`: the current password is checked like a sign-in", body = ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<PasswordChange>,
) -> ApiResult<StatusCode> {
    let user = caller.user()?.clone();
    let Caller::User { token_hash, .. } = &caller else {
        return Err(ApiError::unauthenticated("sign in first"));
    };
    state.limits.login(ip, &user.email).await?;
    let stored = state
        .store
        .credentials(&user.email)
        .await?
        .and_then(|c| c.password_hash);
    if !password::verify_blocking(body.current_password, stored).await {
        return Err(ApiError::field(
            "current_password",
            "invalid",
            "the current password is wrong",
        ));
    }
    password_errors("new_password", &body.new_password, &user)?;
    let hash = password::hash_blocking(body.new_password)
        .await
        .map_err(|e| ApiError::internal("password hashing", &e))?;
    state.store.set_password(&user.id, &hash).await?;
    state
        .store
        .delete_other_sessions(&user.id, token_hash)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
