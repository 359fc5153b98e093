//! Who is calling and what they may do.
//!
//! - A session cookie (`orderbell_session`, opaque random token stored hashed) identifies a user;
//!   writes made with a cookie must come from our own origin (CSRF defence by `Origin`).
//! - `Authorization: Bearer obk_…` is a shop's API key with scopes.
//! - Nothing: a guest.
//!
//! Shop-scoped routes go through [`shop_access`]: a member of another shop, or a key of another
//! shop, gets 404 — as if the thing did not exist.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use orderbell_core::order::Actor;
use orderbell_core::shop::Shop;
use orderbell_core::user::{Duty, Role, User};
use orderbell_store::{ApiKey, Scope};

use super::error::ApiError;
use crate::security::token;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "orderbell_session";

/// The caller of a request.
#[derive(Debug, Clone)]
pub enum Caller {
    User { user: User, token_hash: String },
    ApiKey(ApiKey),
    Anonymous,
}

impl Caller {
    /// The API key's id, when the caller is one.
    pub fn api_key_id(&self) -> Option<orderbell_core::ApiKeyId> {
        match self {
            Caller::ApiKey(key) => Some(key.id.clone()),
            _ => None,
        }
    }

    pub fn actor(&self) -> Actor {
        match self {
            Caller::User { user, .. } => Actor {
                kind: "user".into(),
                id: Some(user.id.to_string()),
                name: Some(user.name.clone()),
            },
            Caller::ApiKey(key) => Actor {
                kind: "api_key".into(),
                id: Some(key.id.to_string()),
                name: Some(key.name.clone()),
            },
            Caller::Anonymous => Actor::guest(),
        }
    }

    /// The signed-in user, or 401.
    pub fn user(&self) -> Result<&User, ApiError> {
        match self {
            Caller::User { user, .. } => Ok(user),
            Caller::ApiKey(_) => Err(ApiError::forbidden(
                "this needs a signed-in member, not an API key",
            )),
            Caller::Anonymous => Err(ApiError::unauthenticated("sign in first")),
        }
    }
}

/// Reads a cookie from the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Whether a cookie-authenticated write comes from our own pages.
fn same_origin(parts: &Parts, state: &AppState) -> bool {
    let origin = parts
        .headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .or_else(|| {
            // Some clients send only Referer; its origin part is what counts.
            parts
                .headers
                .get(header::REFERER)
                .and_then(|v| v.to_str().ok())
        });
    let Some(origin) = origin else {
        return false;
    };
    let origin_of = |url: &str| -> String {
        let after_scheme = url.find("://").map_or(0, |i| i + 3);
        let end = url[after_scheme..]
            .find('/')
            .map_or(url.len(), |i| after_scheme + i);
        url[..end].to_ascii_lowercase()
    };
    let origin = origin_of(origin);
    if origin == origin_of(&state.config.public_url) {
        return true;
    }
    // The same server reached under another name (e.g. localhost vs 127.0.0.1).
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok());
    host.is_some_and(|h| {
        let scheme = if state.config.is_https() {
            "https"
        } else {
            "http"
        };
        origin == format!("{scheme}://{}", h.to_ascii_lowercase())
    })
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(cached) = parts.extensions.get::<Caller>() {
            return Ok(cached.clone());
        }
        let caller = resolve(parts, state).await?;
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

async fn resolve(parts: &Parts, state: &AppState) -> Result<Caller, ApiError> {
    if let Some(key) = bearer(&parts.headers) {
        if !key.starts_with(token::API_KEY_PREFIX) {
            return Err(ApiError::unauthenticated(
                "the bearer token is not an Orderbell API key",
            ));
        }
        let found = state.store.api_key(&token::hash(key)).await?;
        let key =
            found.ok_or_else(|| ApiError::unauthenticated("the API key is wrong or revoked"))?;
        let now = state.now();
        let stale = key
            .last_used_at
            .is_none_or(|t| now.duration_since(t).as_secs() >= 60);
        if stale {
            // Recorded at most once a minute, off the request's path.
            let store = state.store.clone();
            let id = key.id.clone();
            tokio::spawn(async move {
                if let Err(e) = store.touch_api_key(&id, now).await {
                    tracing::warn!(error = %e, "could not record API key use");
                }
            });
        }
        return Ok(Caller::ApiKey(key));
    }
    let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
        return Ok(Caller::Anonymous);
    };
    let token_hash = token::hash(token);
    let Some(session) = state.store.session(&token_hash, state.now()).await? else {
        // An expired or unknown cookie is no identity at all; routes that need one say 401.
        return Ok(Caller::Anonymous);
    };
    note_session_use(state, &session, &token_hash);
    let unsafe_method = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method && !same_origin(parts, state) {
        return Err(ApiError::forbidden(
            "cross-site request refused: the Origin header does not match this server",
        ));
    }
    Ok(Caller::User {
        user: session.user,
        token_hash,
    })
}

/// What a route needs from its caller within a shop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Read orders: members, or keys with `orders:read`.
    ReadOrders,
    /// Create and act on orders: members, or keys with `orders:write`.
    WriteOrders,
    /// The menu: owners and managers, or keys with `manage`.
    Menu,
    /// Opening hours, pauses, the default ETA: owners and managers, or keys with `manage`.
    Hours,
    /// The shop's settings: owners, or keys with `manage`.
    Manage,
    /// Printers: owners and managers, or keys with both `manage` and `orders:read` (a printer
    /// receives every ticket: customer, address, note, tracking link).
    Printers,
    /// Members, invitations, API keys: owners only (no key can grant keys).
    Owner,
    /// Any member (not keys).
    Member,
}

impl Need {
    /// What a member must be allowed to do for it.
    fn duty(self) -> Duty {
        match self {
            Need::ReadOrders | Need::WriteOrders | Need::Member => Duty::Orders,
            Need::Menu => Duty::Menu,
            Need::Hours => Duty::Hours,
            Need::Printers => Duty::Printers,
            Need::Manage => Duty::Settings,
            Need::Owner => Duty::People,
        }
    }
}

/// 403 for a member whose role does not allow `duty`.
pub fn role_forbids(duty: Duty) -> ApiError {
    let who = if Role::Manager.may(duty) {
        "an owner or a manager"
    } else {
        "an owner"
    };
    ApiError::forbidden(format!("only {who} of the shop may do this"))
}

/// Finds the shop and checks the caller may do `need` there.
pub async fn shop_access(
    state: &AppState,
    caller: &Caller,
    slug: &str,
    need: Need,
) -> Result<(Shop, Caller), ApiError> {
    let (shop, _) = shop_role(state, caller, slug, need).await?;
    Ok((shop, caller.clone()))
}

/// [`shop_access`], also giving the member's role (`None` for an API key).
pub async fn shop_role(
    state: &AppState,
    caller: &Caller,
    slug: &str,
    need: Need,
) -> Result<(Shop, Option<Role>), ApiError> {
    let Some(shop) = state.store.shop_by_slug(slug).await? else {
        return Err(match caller {
            Caller::Anonymous => ApiError::unauthenticated("sign in or send an API key"),
            _ => ApiError::not_found(),
        });
    };
    let role = access(state, caller, &shop, need).await?;
    Ok((shop, role))
}

/// Whether the caller may do `need` in `shop` (already read); the member's role (`None` for an
/// API key).
pub async fn access(
    state: &AppState,
    caller: &Caller,
    shop: &Shop,
    need: Need,
) -> Result<Option<Role>, ApiError> {
    match caller {
        Caller::Anonymous => Err(ApiError::unauthenticated("sign in or send an API key")),
        Caller::User { user, .. } => {
            let role = state
                .store
                .role(&shop.id, &user.id)
                .await?
                .ok_or_else(ApiError::not_found)?;
            if !role.may(need.duty()) {
                return Err(role_forbids(need.duty()));
            }
            if role == Role::Owner
                && shop.require_mfa_for_owners
                && !crate::api::mfa::has_two_step(state, user).await?
            {
                return Err(crate::api::mfa::not_set_up());
            }
            Ok(Some(role))
        }
        Caller::ApiKey(key) => {
            if key.shop_id != shop.id {
                return Err(ApiError::not_found());
            }
            let scopes: &[Scope] = match need {
                Need::ReadOrders => &[Scope::OrdersRead],
                Need::WriteOrders => &[Scope::OrdersWrite],
                Need::Menu | Need::Hours | Need::Manage => &[Scope::Manage],
                Need::Printers => &[Scope::Manage, Scope::OrdersRead],
                Need::Owner | Need::Member => &[],
            };
            if scopes.is_empty() {
                return Err(ApiError::forbidden(
                    "this needs a signed-in member, not an API key",
                ));
            }
            match scopes.iter().find(|s| !key.scopes.contains(s)) {
                None => Ok(None),
                Some(scope) => Err(ApiError::forbidden(format!(
                    "the API key lacks the {} scope",
                    scope.as_str()
                ))),
            }
        }
    }
}

/// How often a session's "last seen" is written.
const SEEN_EVERY: jiff::SignedDuration = jiff::SignedDuration::from_mins(5);

/// Records that a session was used, when that was last recorded five minutes ago or more; off
/// the request's path (a failure only leaves "last seen" older).
pub fn note_session_use(state: &AppState, session: &orderbell_store::Session, token_hash: &str) {
    let now = state.now();
    let Ok(since) = now.checked_sub(SEEN_EVERY) else {
        return;
    };
    if session.last_seen_at.is_some_and(|t| t >= since) {
        return;
    }
    let store = state.store.clone();
    let hash = token_hash.to_owned();
    tokio::spawn(async move {
        if let Err(e) = store.touch_session(&hash, now, since).await {
            tracing::warn!(error = %e, "could not record a session's use");
        }
    });
}
