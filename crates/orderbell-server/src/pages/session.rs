//! Who is looking at a page, and whether a form may be trusted.
//!
//! Pages read the same session cookie as the API (`orderbell_session`). Every form POST must
//! come from our own origin (the `Origin` header, or `Referer` when a browser sends only that,
//! compared with the public URL or the `Host` the request came to — the rule the API uses for
//! cookie writes). Forms of signed-in members also carry a token derived from the session
//! (`SHA-256("orderbell-csrf:" + session token)`): a second, independent check that needs no
//! storage and changes with every session. See docs/pages.md.

use axum::http::{HeaderMap, header};
use orderbell_core::shop::Shop;
use orderbell_core::user::{Duty, Role, User};
use subtle::ConstantTimeEq;

use super::error::{ErrorKind, PageError};
use super::form::Form;
use crate::http::auth::{Caller, Need, SESSION_COOKIE, cookie, shop_access};
use crate::security::token;
use crate::state::AppState;

/// A signed-in user.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: User,
    pub token_hash: String,
    /// The form token of this session.
    pub csrf: String,
}

impl SignedIn {
    pub fn caller(&self) -> Caller {
        Caller::User {
            user: self.user.clone(),
            token_hash: self.token_hash.clone(),
        }
    }

    /// Checks the form token (constant time).
    pub fn check(&self, form: &Form) -> Result<(), PageError> {
        let given = form.get("csrf").unwrap_or("");
        if bool::from(given.as_bytes().ct_eq(self.csrf.as_bytes())) {
            Ok(())
        } else {
            Err(PageError::csrf())
        }
    }
}

/// The form token for a session token.
pub fn csrf_token(session_token: &str) -> String {
    token::hash(&format!("orderbell-csrf:{session_token}"))
}

/// The signed-in user of a request, if any.
pub async fn signed_in(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<SignedIn>, PageError> {
    let Some(raw) = cookie(headers, SESSION_COOKIE).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let token_hash = token::hash(raw);
    let Some(session) = state.store.session(&token_hash, state.now()).await? else {
        return Ok(None);
    };
    crate::http::auth::note_session_use(state, &session, &token_hash);
    Ok(Some(SignedIn {
        user: session.user,
        token_hash,
        csrf: csrf_token(raw),
    }))
}

/// The signed-in user, or a trip to the login page that comes back to `path`.
pub async fn require(
    state: &AppState,
    headers: &HeaderMap,
    path: &str,
) -> Result<SignedIn, PageError> {
    signed_in(state, headers)
        .await?
        .ok_or_else(|| PageError::SignIn {
            next: path.to_owned(),
        })
}

/// A member's view of a shop: the shop and their role. Not a member: 404, as if the shop
/// did not exist.
pub async fn member_of(
    state: &AppState,
    who: &SignedIn,
    slug: &str,
) -> Result<(Shop, Role), PageError> {
    let (shop, _) = shop_access(state, &who.caller(), slug, Need::Member)
        .await
        .map_err(|e| match (e.status.as_u16(), e.code) {
            (403, "mfa_not_set_up") => PageError::redirect("/account#two-step"),
            (401 | 403, _) => PageError::not_found(),
            _ => e.into(),
        })?;
    let role = state
        .store
        .role(&shop.id, &who.user.id)
        .await?
        .ok_or_else(PageError::not_found)?;
    Ok((shop, role))
}

/// Like [`member_of`], for what only owners may do.
pub async fn owner_of(state: &AppState, who: &SignedIn, slug: &str) -> Result<Shop, PageError> {
    may_in(state, who, slug, Duty::People).await
}

/// Like [`member_of`], for what the member's role must allow (`duty`).
pub async fn may_in(
    state: &AppState,
    who: &SignedIn,
    slug: &str,
    duty: Duty,
) -> Result<Shop, PageError> {
    let (shop, role) = member_of(state, who, slug).await?;
    if role.may(duty) {
        Ok(shop)
    } else {
        Err(PageError::new(ErrorKind::Forbidden))
    }
}

fn origin_of(url: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let end = url[after_scheme..]
        .find('/')
        .map_or(url.len(), |i| after_scheme + i);
    url[..end].to_ascii_lowercase()
}

/// Whether a form POST comes from one of our own pages.
pub fn same_origin(state: &AppState, headers: &HeaderMap) -> bool {
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|o| *o != "null")
        .or_else(|| headers.get(header::REFERER).and_then(|v| v.to_str().ok()));
    let Some(origin) = origin else {
        return false;
    };
    let origin = origin_of(origin);
    if origin == origin_of(&state.config.public_url) {
        return true;
    }
    let scheme = if state.config.is_https() {
        "https"
    } else {
        "http"
    };
    headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|h| origin == format!("{scheme}://{}", h.to_ascii_lowercase()))
}

/// Refuses a form that did not come from our pages.
pub fn check_origin(state: &AppState, headers: &HeaderMap) -> Result<(), PageError> {
    if same_origin(state, headers) {
        Ok(())
    } else {
        Err(PageError::csrf())
    }
}

/// A signed-in member's form: our origin, their token.
pub async fn form_user(
    state: &AppState,
    headers: &HeaderMap,
    form: &Form,
    path: &str,
) -> Result<SignedIn, PageError> {
    check_origin(state, headers)?;
    let who = require(state, headers, path).await?;
    who.check(form)?;
    Ok(who)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_compare_scheme_host_and_port() {
        assert_eq!(origin_of("http://a.test:8080/x/y"), "http://a.test:8080");
        assert_eq!(origin_of("HTTPS://A.test"), "https://a.test");
        assert_ne!(csrf_token("a"), csrf_token("b"));
    }
}
