//! The sign-in itself: `GET /login/oidc/{name}` sends the browser to the provider;
//! `GET|POST /login/oidc/{name}/callback` takes the answer (a query, or Apple's `form_post`),
//! exchanges the code, checks the ID token and starts a session. The pending sign-in lives in
//! the store under the SHA-256 of its `state` (single use, 10 minutes), not in a cookie: a
//! cross-site `form_post` carries no `SameSite=Lax` cookie. And the identities API.

use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use orderbell_core::UserId;
use orderbell_core::i18n::Texts;
use orderbell_core::text::normalize_email;
use orderbell_core::user::{USER_NAME_MAX, User};
use orderbell_store::{Identity, NewIdentity, NewUser, OidcFlow, StoreError};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Claims, OidcError, Provider};
use crate::api::accounts::{SignIn, start_session};
use crate::http::auth::Caller;
use crate::http::client::Device;
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::pages::error::PageError;
use crate::pages::i18n::{Lang, negotiate};
use crate::pages::render::{Cache, Chrome, local_path, render, see_other};
use crate::security::token;
use crate::state::AppState;

/// How long a sign-in may take at the provider.
const FLOW_MINUTES: i64 = 10;

#[derive(Template)]
#[template(path = "oidc_error.html")]
struct ErrorPage {
    page: Chrome,
    message: &'static str,
    /// The stable code (`code` would be shadowed by the base template's language loop).
    failure_code: String,
}

/// A refused sign-in: a page in the visitor's language with a stable code.
struct Failure {
    status: StatusCode,
    code: String,
    message: fn(&Texts) -> &'static str,
}

fn failure(status: StatusCode, code: &str, message: fn(&Texts) -> &'static str) -> Failure {
    Failure {
        status,
        code: code.to_owned(),
        message,
    }
}

impl From<OidcError> for Failure {
    fn from(e: OidcError) -> Failure {
        let status = match e {
            OidcError::Unreachable(_) | OidcError::IssuerMismatch => StatusCode::BAD_GATEWAY,
            _ => StatusCode::FORBIDDEN,
        };
        tracing::warn!(error = %e, code = e.code(), "OpenID Connect sign-in refused");
        failure(status, e.code(), |t| t.oidc_failed)
    }
}

fn failure_page(lang: Lang, f: &Failure) -> Result<Response, PageError> {
    let t = lang.texts();
    let view = ErrorPage {
        page: Chrome::new(lang, t.error_title, "/login", "error"),
        message: (f.message)(t),
        failure_code: f.code.clone(),
    };
    render(&view, f.status, Cache::Private)
}

fn redirect_uri(state: &AppState, name: &str) -> String {
    format!("{}/login/oidc/{name}/callback", state.config.public_url)
}

fn pkce_challenge(verifier: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// `GET /login/oidc/{name}?next=/path`: to the provider (303).
pub async fn start(
    State(state): State<AppState>,
    Path(name): Path<String>,
    device: Device,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let lang = negotiate(&headers, None);
    let Some(provider) = state.oidc.get(&name).cloned() else {
        return Err(PageError::not_found());
    };
    state.limits.anonymous_post(device.ip).await?;
    let next = uri
        .query()
        .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
        .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "next").map(|(_, v)| v))
        .and_then(|n| local_path(&n).map(str::to_owned))
        .unwrap_or_else(|| "/dashboard".to_owned());
    let linking = crate::pages::session::signed_in(&state, &headers)
        .await?
        .map(|s| s.user.id);
    let now = state.now();
    let metadata = match state.oidc.metadata(&provider, now).await {
        Ok(m) => m,
        Err(e) => return failure_page(lang, &e.into()),
    };
    let flow_state = token::new_token();
    let nonce = token::new_token();
    let verifier = token::new_token();
    let expires_at = now
        .checked_add(jiff::SignedDuration::from_mins(FLOW_MINUTES))
        .map_err(|e| PageError::internal("flow expiry", &e))?;
    state
        .store
        .create_oidc_flow(OidcFlow {
            state_hash: token::hash(&flow_state),
            provider: name.clone(),
            nonce: nonce.clone(),
            pkce_verifier: verifier.clone(),
            next,
            link_user_id: linking,
            created_at: now,
            expires_at,
        })
        .await?;
    let c = &provider.config;
    let mut query = vec![
        ("response_type", "code".to_owned()),
        ("client_id", c.client_id.clone()),
        ("redirect_uri", redirect_uri(&state, &name)),
        ("scope", c.scopes.clone()),
        ("state", flow_state.clone()),
        ("nonce", nonce),
        ("code_challenge", pkce_challenge(&verifier)),
        ("code_challenge_method", "S256".to_owned()),
    ];
    if c.form_post {
        query.push(("response_mode", "form_post".to_owned()));
    }
    let query = serde_urlencoded::to_string(&query)
        .map_err(|e| PageError::internal("authorization query", &e))?;
    let sep = if metadata.authorization_endpoint.contains('?') {
        '&'
    } else {
        '?'
    };
    let mut response = see_other(&format!("{}{sep}{query}", metadata.authorization_endpoint));
    if let Ok(v) = HeaderValue::from_str(&binding_cookie(&state, &flow_state, 600)) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(response)
}

/// Ties a sign-in to the browser that started it: the callback needs this cookie with the
/// same `state`, so a callback URL someone else obtained cannot sign this browser into their
/// account (login CSRF). `SameSite=None` over https so that Apple's cross-site `form_post`
/// carries it; `Lax` over plain http (where `None` is refused), enough for a GET callback.
fn binding_cookie(state: &AppState, value: &str, max_age: u64) -> String {
    let same_site = if state.config.is_https() {
        "None; Secure"
    } else {
        "Lax"
    };
    format!(
        "{BINDING_COOKIE}={value}; Path=/login/oidc; HttpOnly; SameSite={same_site}; Max-Age={max_age}"
    )
}

/// The cookie that ties a sign-in to its browser.
pub const BINDING_COOKIE: &str = "orderbell_oidc";

/// `GET|POST /login/oidc/{name}/callback`: the provider's answer.
pub async fn callback(
    State(state): State<AppState>,
    Path(name): Path<String>,
    method: Method,
    device: Device,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let lang = negotiate(&headers, None);
    state.limits.anonymous_post(device.ip).await?;
    let raw = if method == Method::POST {
        String::from_utf8_lossy(&body).into_owned()
    } else {
        uri.query().unwrap_or_default().to_owned()
    };
    let params = Params(serde_urlencoded::from_str(&raw).unwrap_or_default());
    let bound = crate::http::auth::cookie(&headers, BINDING_COOKIE).is_some_and(|c| {
        params
            .get("state")
            .is_some_and(|s| bool::from(subtle::ConstantTimeEq::ct_eq(c.as_bytes(), s.as_bytes())))
    });
    let mut response = match finish(&state, &name, &device, &params, bound).await {
        Ok(response) => response,
        Err(Finish::Page(e)) => return Err(e),
        Err(Finish::Failed(f)) => failure_page(lang, &f)?,
    };
    if bound {
        if let Ok(v) = HeaderValue::from_str(&binding_cookie(&state, "", 0)) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(response)
}

/// The callback's parameters (query or form).
struct Params(Vec<(String, String)>);

impl Params {
    fn get(&self, k: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
    }
}

enum Finish {
    Page(PageError),
    Failed(Failure),
}

impl From<PageError> for Finish {
    fn from(e: PageError) -> Finish {
        Finish::Page(e)
    }
}
impl From<StoreError> for Finish {
    fn from(e: StoreError) -> Finish {
        Finish::Page(e.into())
    }
}
impl From<ApiError> for Finish {
    fn from(e: ApiError) -> Finish {
        Finish::Page(e.into())
    }
}
impl From<OidcError> for Finish {
    fn from(e: OidcError) -> Finish {
        Finish::Failed(e.into())
    }
}
impl From<Failure> for Finish {
    fn from(f: Failure) -> Finish {
        Finish::Failed(f)
    }
}

/// A provider's `error` as a code: letters, digits and `_` only, never its HTML.
fn provider_error_code(e: &str) -> String {
    let clean: String = e
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(64)
        .collect();
    format!("oidc_provider_error:{clean}")
}

async fn finish(
    state: &AppState,
    name: &str,
    device: &Device,
    params: &Params,
    bound: bool,
) -> Result<Response, Finish> {
    let Some(provider) = state.oidc.get(name).cloned() else {
        return Err(PageError::not_found().into());
    };
    let now = state.now();
    let flow = match params.get("state") {
        Some(s) => state.store.take_oidc_flow(&token::hash(s), now).await?,
        None => None,
    };
    if let Some(error) = params.get("error") {
        return Err(
            failure(StatusCode::FORBIDDEN, &provider_error_code(error), |t| {
                t.oidc_denied
            })
            .into(),
        );
    }
    let Some(flow) = flow.filter(|f| f.provider == name && bound) else {
        return Err(failure(StatusCode::BAD_REQUEST, "oidc_state", |t| t.oidc_state).into());
    };
    let Some(code) = params.get("code") else {
        return Err(failure(StatusCode::BAD_REQUEST, "oidc_no_code", |t| t.oidc_failed).into());
    };
    let metadata = state.oidc.metadata(&provider, now).await?;
    let id_token = state
        .oidc
        .exchange(
            &provider,
            &metadata,
            code,
            &flow.pkce_verifier,
            &redirect_uri(state, name),
            now,
        )
        .await?;
    let claims = state
        .oidc
        .check_id_token(&provider, &metadata, &id_token, &flow.nonce, now)
        .await?;
    // Apple sends the name once, on the first sign-in, as a `user` form field.
    let apple_name = params.get("user").and_then(apple_user_name);
    let user = resolve(state, &provider, &flow, &claims, apple_name.as_deref()).await?;
    if let Some(linker) = &flow.link_user_id {
        if *linker == user.id {
            // Linked from the account page: that session goes on.
            return Ok(see_other(&flow.next));
        }
    }
    let second_factor = state
        .store
        .totp(&user.id)
        .await?
        .is_some_and(|t| t.confirmed);
    if second_factor && !claims.mfa {
        return Err(failure(StatusCode::FORBIDDEN, "oidc_mfa_required", |t| {
            t.oidc_mfa_required
        })
        .into());
    }
    let session = start_session(state, &user, device, SignIn::Oidc(name)).await?;
    // As after a password: the shop list is a detour for someone with one shop.
    let next = match flow.next.as_str() {
        "/dashboard" => match state.store.shops_of(&user.id).await?.as_slice() {
            [(shop, _)] => format!("/dashboard/{}", shop.slug),
            _ => flow.next.clone(),
        },
        _ => flow.next.clone(),
    };
    Ok(crate::pages::accounts::signed_in_redirect(&session, &next))
}

fn apple_user_name(json: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    let n = v.get("name")?;
    let first = n.get("firstName").and_then(|s| s.as_str()).unwrap_or("");
    let last = n.get("lastName").and_then(|s| s.as_str()).unwrap_or("");
    let full = format!("{first} {last}").trim().to_owned();
    (!full.is_empty()).then_some(full)
}

/// The account this identity signs in: linked already; being linked by the signed-in user;
/// the account with its verified e-mail; or a new one (when sign-up is open).
async fn resolve(
    state: &AppState,
    provider: &Provider,
    flow: &OidcFlow,
    claims: &Claims,
    apple_name: Option<&str>,
) -> Result<User, Finish> {
    let now = state.now();
    let taken = || {
        failure(StatusCode::CONFLICT, "oidc_identity_taken", |t| {
            t.oidc_identity_taken
        })
    };
    if let Some(user) = state
        .store
        .identity_user(&claims.issuer, &claims.subject, now)
        .await?
    {
        if flow.link_user_id.as_ref().is_some_and(|l| *l != user.id) {
            return Err(taken().into());
        }
        return Ok(user);
    }
    let email = claims.email.as_deref().and_then(normalize_email);
    let identity = |user_id: UserId| NewIdentity {
        id: hex::encode(crate::security::random_bytes::<12>()),
        user_id,
        provider: provider.config.name.clone(),
        issuer: claims.issuer.clone(),
        subject: claims.subject.clone(),
        email: email.clone(),
        created_at: now,
    };
    let link = async |user: User| -> Result<User, Finish> {
        match state.store.link_identity(identity(user.id.clone())).await {
            Ok(_) => Ok(user),
            Err(StoreError::Conflict(_)) => Err(taken().into()),
            Err(e) => Err(e.into()),
        }
    };
    if let Some(linker) = &flow.link_user_id {
        let user = state
            .store
            .user(linker)
            .await?
            .ok_or_else(PageError::not_found)?;
        return link(user).await;
    }
    let Some(email) = email.clone().filter(|_| claims.email_verified) else {
        return Err(
            failure(StatusCode::FORBIDDEN, "oidc_email_unverified", |t| {
                t.oidc_email_unverified
            })
            .into(),
        );
    };
    if let Some(user) = state.store.user_by_email(&email).await? {
        return link(user).await;
    }
    if !state.config.allow_signup {
        return Err(failure(StatusCode::FORBIDDEN, "oidc_signup_closed", |t| {
            t.oidc_signup_closed
        })
        .into());
    }
    let name: String = apple_name
        .or(claims.name.as_deref())
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| email.split('@').next().unwrap_or("user"))
        .chars()
        .filter(|c| !c.is_control())
        .take(USER_NAME_MAX)
        .collect();
    let new = NewUser {
        id: state.new_id(UserId::from_parts),
        email,
        name,
        password_hash: None,
        created_at: now,
        email_verified_at: Some(now),
    };
    let id = new.id.clone();
    match state
        .store
        .create_user_with_identity(new, identity(id))
        .await
    {
        Ok((user, _)) => Ok(user),
        Err(StoreError::Conflict(_)) => Err(taken().into()),
        Err(e) => Err(e.into()),
    }
}

/// An identity linked to the account.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IdentityView {
    pub id: String,
    /// The provider's name in the server's configuration.
    pub provider: String,
    pub issuer: String,
    /// The address the provider gave, if any.
    pub email: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: orderbell_core::Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub last_used_at: orderbell_core::Timestamp,
}

impl From<Identity> for IdentityView {
    fn from(i: Identity) -> Self {
        IdentityView {
            id: i.id,
            provider: i.provider,
            issuer: i.issuer,
            email: i.email,
            created_at: i.created_at,
            last_used_at: i.last_used_at,
        }
    }
}

fn signed_in_user(caller: Caller) -> ApiResult<User> {
    caller.user().cloned()
}

/// The identities at OpenID providers linked to the signed-in account.
#[utoipa::path(get, operation_id = "list_identities", path = "/api/v1/me/identities", tag = "accounts",
    responses((status = 200, body = Vec<IdentityView>), (status = 401, body = ErrorBody),
        (status = 403, description = "an API key, not a signed-in member", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<IdentityView>>> {
    let user = signed_in_user(caller)?;
    let list = state.store.identities_of(&user.id).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// Whether unlinking `id` leaves the account a way to sign in (a password or another identity).
pub async fn unlink_identity(state: &AppState, user: &User, id: &str) -> ApiResult<()> {
    let list = state.store.identities_of(&user.id).await?;
    if !list.iter().any(|i| i.id == id) {
        return Err(ApiError::not_found());
    }
    let has_password = state
        .store
        .credentials(&user.email)
        .await?
        .is_some_and(|c| c.password_hash.is_some());
    if !has_password && list.len() <= 1 {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "last_sign_in",
            "this is the account's only way to sign in; set a password (reset it by mail) first",
        ));
    }
    state.store.unlink_identity(&user.id, id).await?;
    Ok(())
}

/// Unlinks an identity (204). 409 `last_sign_in` when it is the only way into an account
/// without a password.
#[utoipa::path(delete, operation_id = "unlink_identity", path = "/api/v1/me/identities/{id}", tag = "accounts",
    params(("id" = String, Path, description = "an identity's `id` from the list")),
    responses((status = 204), (status = 401, body = ErrorBody),
        (status = 403, description = "an API key, not a signed-in member", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`last_sign_in`: the only way into an account without a password", body = ErrorBody)))]
pub async fn unlink(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let user = signed_in_user(caller)?;
    unlink_identity(&state, &user, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
