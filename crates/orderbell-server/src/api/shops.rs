//! Shops, their members and their API keys.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use orderbell_core::shop::{NewShop, NewShopRequest, Shop, ShopPatchRequest};
use orderbell_core::text::normalize_email;
use orderbell_core::user::{Duty, Member, Role};
use orderbell_core::{ApiKeyId, ShopId, UserId, ValidationErrors};
use orderbell_store::{NewApiKey, Scope, StoreError};
use serde::{Deserialize, Serialize};

use super::views::{ApiKeyView, ShopView};
use crate::http::auth::{Caller, Need, role_forbids, shop_access, shop_role};
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::http::json::ApiJson;
use crate::security::token;
use crate::state::AppState;

/// The shops the signed-in user belongs to.
#[utoipa::path(get, operation_id = "list_shops", path = "/api/v1/shops", tag = "shops",
    responses((status = 200, body = Vec<ShopView>), (status = 401, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<ShopView>>> {
    let user = caller.user()?;
    let shops = state.store.shops_of(&user.id).await?;
    Ok(Json(
        shops
            .into_iter()
            .map(|(s, r)| ShopView::new(s, Some(r), state.now()))
            .collect(),
    ))
}

/// Creates a shop with the signed-in user as its owner.
#[utoipa::path(post, operation_id = "create_shop", path = "/api/v1/shops", tag = "shops", request_body = NewShopRequest,
    responses((status = 201, body = ShopView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewShopRequest>,
) -> ApiResult<(StatusCode, Json<ShopView>)> {
    let user = caller.user()?;
    if !user.email_verified {
        return Err(ApiError::email_unverified());
    }
    let new = NewShop {
        alerts: state.config.alerts.clone(),
        ..body.validate()?
    };
    let shop = state
        .store
        .create_shop(state.new_id(ShopId::from_parts), new, &user.id, state.now())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ShopView::new(shop, Some(Role::Owner), state.now())),
    ))
}

/// A shop's public profile (and your role in it, when you are a member).
#[utoipa::path(get, operation_id = "get_shop", path = "/api/v1/shops/{slug}", tag = "shops", params(("slug" = String, Path)),
    responses((status = 200, body = ShopView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    caller: Caller,
) -> ApiResult<Json<ShopView>> {
    let shop = state
        .store
        .shop_by_slug(&slug)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let role = match &caller {
        Caller::User { user, .. } => state.store.role(&shop.id, &user.id).await?,
        _ => None,
    };
    Ok(Json(ShopView::new(shop, role, state.now())))
}

/// Changes the shop's profile, switches online ordering on and off, sets the alert policy
/// (`alerts`: fields left out stay; `null` turns a call, the miss or the automatic pause off),
/// the opening hours (`null`: always open), a pause (`paused_until`, RFC 3339 or `null`) and
/// the default ETA.
#[utoipa::path(patch, operation_id = "update_shop", path = "/api/v1/shops/{slug}", tag = "shops", params(("slug" = String, Path)),
    request_body = ShopPatchRequest,
    responses((status = 200, body = ShopView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    caller: Caller,
    ApiJson(body): ApiJson<ShopPatchRequest>,
) -> ApiResult<Json<ShopView>> {
    let (shop, role) = shop_role(&state, &caller, &slug, Need::Hours).await?;
    if role.is_some_and(|r| !r.may(Duty::Settings)) && !body.is_hours_only() {
        // A manager keeps the hours; the rest of the profile is the owners'.
        return Err(role_forbids(Duty::Settings));
    }
    let patch = body.validate_for(&shop)?;
    if patch.require_mfa_for_owners == Some(true) && !shop.require_mfa_for_owners {
        // Whoever turns it on must not lock themselves out; a key cannot show a second factor.
        let Caller::User { user, .. } = &caller else {
            return Err(ApiError::forbidden(
                "only an owner with two-step sign-in on may require it of the shop's owners",
            ));
        };
        if !crate::api::mfa::has_two_step(&state, user).await? {
            return Err(crate::api::mfa::not_set_up());
        }
    }
    let shop = state
        .store
        .update_shop(&shop.id, patch, state.now())
        .await?;
    state.events.publish(crate::events::ShopEvent::of_shop(
        shop.id.clone(),
        crate::events::EventKind::ShopUpdated,
        state.now(),
    ));
    Ok(Json(ShopView::full(shop, None, state.now())))
}

/// The shop's members.
#[utoipa::path(get, path = "/api/v1/shops/{slug}/members", tag = "shops", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<Member>), (status = 404, body = ErrorBody)))]
pub async fn members(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    caller: Caller,
) -> ApiResult<Json<Vec<Member>>> {
    let (shop, _) = shop_access(&state, &caller, &slug, Need::Member).await?;
    Ok(Json(state.store.members(&shop.id).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberRequest {
    /// The e-mail of an existing account.
    pub email: String,
    pub role: Role,
}

/// Adds an existing account to the shop, or changes its role.
#[utoipa::path(post, path = "/api/v1/shops/{slug}/members", tag = "shops", params(("slug" = String, Path)),
    request_body = MemberRequest,
    responses((status = 200, body = Member), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn set_member(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    caller: Caller,
    ApiJson(body): ApiJson<MemberRequest>,
) -> ApiResult<Json<Member>> {
    let (shop, _) = shop_access(&state, &caller, &slug, Need::Owner).await?;
    Ok(Json(
        add_member(&state, &shop, &body.email, body.role).await?,
    ))
}

/// Gives the account of `email` a role in the shop: 422 `unknown` without such an account, 409
/// `email_unverified` for an owner whose address is unconfirmed, 409 `conflict` when it would
/// leave the shop without an owner.
pub async fn add_member(
    state: &AppState,
    shop: &Shop,
    email: &str,
    role: Role,
) -> ApiResult<Member> {
    let email = normalize_email(email)
        .ok_or_else(|| ApiError::field("email", "invalid", "email is not an e-mail address"))?;
    let user = state.store.user_by_email(&email).await?.ok_or_else(|| {
        ApiError::field(
            "email",
            "unknown",
            "no account uses this e-mail; ask them to sign up first, or send an invitation",
        )
    })?;
    if role == Role::Owner && !user.email_verified {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "email_unverified",
            "an owner's e-mail address must be confirmed; ask them to open the link sent to it",
        ));
    }
    Ok(state
        .store
        .set_member(&shop.id, &user.id, role, state.now())
        .await?)
}

/// Removes a member (a shop keeps at least one owner).
#[utoipa::path(delete, path = "/api/v1/shops/{slug}/members/{user_id}", tag = "shops",
    params(("slug" = String, Path), ("user_id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn remove_member(
    State(state): State<AppState>,
    Path((slug, user_id)): Path<(String, String)>,
    caller: Caller,
) -> ApiResult<StatusCode> {
    let (shop, _) = shop_access(&state, &caller, &slug, Need::Owner).await?;
    let user = UserId::parse(&user_id).ok_or_else(ApiError::not_found)?;
    state.store.remove_member(&shop.id, &user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The shop's API keys (without their secrets).
#[utoipa::path(get, path = "/api/v1/shops/{slug}/apikeys", tag = "apikeys", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<ApiKeyView>), (status = 403, body = ErrorBody)))]
pub async fn api_keys(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    caller: Caller,
) -> ApiResult<Json<Vec<ApiKeyView>>> {
    let (shop, _) = shop_access(&state, &caller, &slug, Need::Owner).await?;
    let keys = state.store.api_keys(&shop.id).await?;
    Ok(Json(keys.into_iter().map(ApiKeyView::from).collect()))
}

/// Longest API key name, in characters.
pub const API_KEY_NAME_MAX: usize = 100;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyRequest {
    pub name: String,
    /// `orders:write`, `orders:read`, `manage`; default `orders:write` and `orders:read`.
    pub scopes: Option<Vec<String>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NewApiKeyView {
    pub api_key: ApiKeyView,
    /// The key itself. It is shown only now; Orderbell keeps only its hash.
    pub key: String,
}

/// Parses scope names, reporting unknown ones.
pub fn parse_scopes(names: Option<&[String]>) -> Result<Vec<Scope>, ValidationErrors> {
    let Some(names) = names else {
        return Ok(vec![Scope::OrdersWrite, Scope::OrdersRead]);
    };
    let mut errors = ValidationErrors::new();
    let mut scopes = vec![];
    for (i, name) in names.iter().enumerate() {
        match Scope::parse(name) {
            Some(s) if !scopes.contains(&s) => scopes.push(s),
            Some(_) => {}
            None => errors.add(
                format!("scopes[{i}]"),
                "invalid",
                "scope must be orders:write, orders:read or manage",
            ),
        }
    }
    if scopes.is_empty() && errors.is_empty() {
        errors.add("scopes", "required", "give at least one scope");
    }
    errors.into_result()?;
    scopes.sort();
    Ok(scopes)
}

/// Makes an API key for the shop's own systems. The key is in this answer only.
pub async fn issue_api_key(
    state: &AppState,
    shop: &ShopId,
    name: &str,
    scopes: Vec<Scope>,
) -> ApiResult<NewApiKeyView> {
    let mut errors = ValidationErrors::new();
    let name = errors.text("name", Some(name), true, API_KEY_NAME_MAX);
    errors.into_result()?;
    let key = token::new_api_key();
    let stored = state
        .store
        .create_api_key(NewApiKey {
            id: state.new_id(ApiKeyId::from_parts),
            shop_id: shop.clone(),
            name: name.unwrap_or_default(),
            scopes,
            token_hash: token::hash(&key),
            prefix: key.chars().take(10).collect(),
            created_at: state.now(),
        })
        .await?;
    Ok(NewApiKeyView {
        api_key: stored.into(),
        key,
    })
}

/// Creates an API key; its secret is shown once.
#[utoipa::path(post, path = "/api/v1/shops/{slug}/apikeys", tag = "apikeys", params(("slug" = String, Path)),
    request_body = ApiKeyRequest,
    responses((status = 201, body = NewApiKeyView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_api_key(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    caller: Caller,
    ApiJson(body): ApiJson<ApiKeyRequest>,
) -> ApiResult<(StatusCode, Json<NewApiKeyView>)> {
    let (shop, _) = shop_access(&state, &caller, &slug, Need::Owner).await?;
    let scopes = parse_scopes(body.scopes.as_deref())?;
    let created = issue_api_key(&state, &shop.id, &body.name, scopes).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Revokes an API key at once.
#[utoipa::path(delete, path = "/api/v1/shops/{slug}/apikeys/{id}", tag = "apikeys",
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke_api_key(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    caller: Caller,
) -> ApiResult<StatusCode> {
    let (shop, _) = shop_access(&state, &caller, &slug, Need::Owner).await?;
    let id = ApiKeyId::parse(&id).ok_or_else(ApiError::not_found)?;
    match state.store.revoke_api_key(&shop.id, &id, state.now()).await {
        Ok(printers) => {
            for printer in &printers {
                state.printers.disconnect(printer);
            }
            Ok(StatusCode::NO_CONTENT)
        }
        Err(StoreError::NotFound) => Err(ApiError::not_found()),
        Err(e) => Err(e.into()),
    }
}
