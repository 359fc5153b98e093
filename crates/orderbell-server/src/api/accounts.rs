//! Accounts: sign up, sign in and out (session cookie), who am I, change password.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use orderbell_core::text::normalize_email;
use orderbell_core::user::{PASSWORD_MAX_CHARS, Role, USER_NAME_MAX, User, check_password};
use orderbell_core::{Timestamp, UserId, ValidationErrors};
use orderbell_store::{NewSession, NewUser, StoreError};
use serde::{Deserialize, Serialize};

use super::views::{ShopView, UserView};
use crate::http::auth::{Caller, SESSION_COOKIE};
use crate::http::client::ClientIp;
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::http::json::ApiJson;
use crate::security::{password, token};
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
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

/// Starts a session for a user: stores the token's hash, sets the cookie.
pub async fn start_session(
    state: &AppState,
    user: &orderbell_core::user::User,
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
            auth_method: "password".into(),
            created_at: now,
            expires_at,
        })
        .await?;
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
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    let email = normalize_email(&body.email).unwrap_or_else(|| body.email.trim().to_lowercase());
    state.limits.login(ip, &email)?;
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
    start_session(&state, &creds.user).await
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
    if let Err(message) = check_password(pw) {
        errors.add("password", "invalid", message);
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
    })
}

/// Creates an account (when sign-up is open) and signs it in.
#[utoipa::path(post, path = "/api/v1/users", tag = "accounts", request_body = SignupRequest,
    responses((status = 201, body = SessionView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn signup(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<SignupRequest>,
) -> ApiResult<Response> {
    if !state.config.allow_signup {
        return Err(ApiError::forbidden(
            "sign-up is closed on this server; ask its operator for an account",
        ));
    }
    state.limits.anonymous_post(ip)?;
    let new = new_user(&state, &body.email, &body.name, &body.password).await?;
    let user = match state.store.create_user(new).await {
        Err(StoreError::Conflict(_)) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                "an account with this e-mail exists; sign in instead",
            ));
        }
        other => other?,
    };
    let mut response = start_session(&state, &user).await?;
    *response.status_mut() = StatusCode::CREATED;
    Ok(response)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MeView {
    pub user: UserView,
    pub shops: Vec<ShopView>,
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
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MePatch {
    /// E.164 (`+821012345678`); an empty string removes it. Escalation calls ring it.
    pub phone: Option<String>,
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
    state.limits.login(ip, &user.email)?;
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
    if let Err(message) = check_password(&body.new_password) {
        return Err(ApiError::field("new_password", "invalid", message));
    }
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
