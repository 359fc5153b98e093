//! The menu: public to read, owners (or `manage` keys) edit it.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use orderbell_core::menu::{
    Category, CategoryInput, ItemInput, Menu, MenuItem, MenuOption, OptionGroup, OptionGroupInput,
    OptionInput,
};
use orderbell_core::shop::Shop;
use orderbell_core::{CategoryId, Currency, MenuItemId, OptionGroupId, OptionId};
use serde::Serialize;

use crate::http::auth::{Caller, Need, shop_access};
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::http::json::ApiJson;
use crate::state::AppState;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MenuView {
    /// Prices are minor units of this currency.
    pub currency: Currency,
    #[serde(flatten)]
    pub menu: Menu,
}

/// The shop's menu, categories and items in order, sold-out ones included and marked.
#[utoipa::path(get, operation_id = "get_menu", path = "/api/v1/shops/{slug}/menu", tag = "menu", params(("slug" = String, Path)),
    responses((status = 200, body = MenuView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    caller: Result<Caller, ApiError>,
) -> ApiResult<Json<MenuView>> {
    let shop = state
        .store
        .shop_by_slug(&slug)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let mut menu = state.store.menu(&shop.id).await?;
    // Items hidden from guests are shown to the shop's members and keys only.
    let member = match &caller {
        Ok(c) => shop_access(&state, c, &slug, Need::Member).await.is_ok(),
        Err(_) => false,
    };
    if !member {
        menu.hide_from_guests();
    }
    Ok(Json(MenuView {
        currency: shop.currency,
        menu,
    }))
}

async fn manager(state: &AppState, caller: &Caller, slug: &str) -> ApiResult<Shop> {
    Ok(shop_access(state, caller, slug, Need::Menu).await?.0)
}

fn id_or_404<T>(parse: fn(&str) -> Option<T>, id: &str) -> ApiResult<T> {
    parse(id).ok_or_else(ApiError::not_found)
}

/// Adds a category (at the end unless `position` is given).
#[utoipa::path(post, path = "/api/v1/shops/{slug}/menu/categories", tag = "menu",
    params(("slug" = String, Path)), request_body = CategoryInput,
    responses((status = 201, body = Category), (status = 422, body = ErrorBody)))]
pub async fn create_category(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    caller: Caller,
    ApiJson(body): ApiJson<CategoryInput>,
) -> ApiResult<(StatusCode, Json<Category>)> {
    let shop = manager(&state, &caller, &slug).await?;
    let change = body.validate(true)?;
    let c = state
        .store
        .create_category(
            &shop.id,
            state.new_id(CategoryId::from_parts),
            change,
            state.now(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// Renames or moves a category.
#[utoipa::path(patch, path = "/api/v1/shops/{slug}/menu/categories/{id}", tag = "menu",
    params(("slug" = String, Path), ("id" = String, Path)), request_body = CategoryInput,
    responses((status = 200, body = Category), (status = 404, body = ErrorBody)))]
pub async fn update_category(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    caller: Caller,
    ApiJson(body): ApiJson<CategoryInput>,
) -> ApiResult<Json<Category>> {
    let shop = manager(&state, &caller, &slug).await?;
    let id = id_or_404(CategoryId::parse, &id)?;
    let change = body.validate(false)?;
    Ok(Json(
        state.store.update_category(&shop.id, &id, change).await?,
    ))
}

/// Deletes an empty category.
#[utoipa::path(delete, path = "/api/v1/shops/{slug}/menu/categories/{id}", tag = "menu",
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_category(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    caller: Caller,
) -> ApiResult<StatusCode> {
    let shop = manager(&state, &caller, &slug).await?;
    let id = id_or_404(CategoryId::parse, &id)?;
    state.store.delete_category(&shop.id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds an item to a category.
#[utoipa::path(post, path = "/api/v1/shops/{slug}/menu/items", tag = "menu",
    params(("slug" = String, Path)), request_body = ItemInput,
    responses((status = 201, body = MenuItem), (status = 422, body = ErrorBody)))]
pub async fn create_item(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    caller: Caller,
    ApiJson(body): ApiJson<ItemInput>,
) -> ApiResult<(StatusCode, Json<MenuItem>)> {
    let shop = manager(&state, &caller, &slug).await?;
    let change = body.validate(true)?;
    let item = state
        .store
        .create_item(
            &shop.id,
            state.new_id(MenuItemId::from_parts),
            change,
            state.now(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(item)))
}

/// Changes an item: name, description, price, sold out, category, position.
#[utoipa::path(patch, path = "/api/v1/shops/{slug}/menu/items/{id}", tag = "menu",
    params(("slug" = String, Path), ("id" = String, Path)), request_body = ItemInput,
    responses((status = 200, body = MenuItem), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_item(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    caller: Caller,
    ApiJson(body): ApiJson<ItemInput>,
) -> ApiResult<Json<MenuItem>> {
    let shop = manager(&state, &caller, &slug).await?;
    let id = id_or_404(MenuItemId::parse, &id)?;
    let change = body.validate(false)?;
    Ok(Json(
        state
            .store
            .update_item(&shop.id, &id, change, state.now())
            .await?,
    ))
}

/// Deletes an item with its option groups (past orders keep their copy).
#[utoipa::path(delete, path = "/api/v1/shops/{slug}/menu/items/{id}", tag = "menu",
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_item(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    caller: Caller,
) -> ApiResult<StatusCode> {
    let shop = manager(&state, &caller, &slug).await?;
    let id = id_or_404(MenuItemId::parse, &id)?;
    state.store.delete_item(&shop.id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets an item's photo. The body is the image itself, sent as `image/jpeg`, `image/png` or
/// `image/webp` (at most 10 MB, 10,000 pixels a side); the server keeps it upright, fitted
/// into 1024 × 1024 and re-encoded as JPEG without metadata, at the item's new `photo_url`.
#[utoipa::path(put, path = "/api/v1/shops/{slug}/menu/items/{id}/photo", tag = "menu",
    params(("slug" = String, Path), ("id" = String, Path)),
    request_body(content = Vec<u8>, content_type = "image/jpeg",
        description = "The image; image/png and image/webp are taken too."),
    responses((status = 200, body = MenuItem), (status = 404, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put_photo(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<Json<MenuItem>> {
    let shop = manager(&state, &caller, &slug).await?;
    let id = id_or_404(MenuItemId::parse, &id)?;
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !crate::photos::accepted_type(content_type) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the photo as image/jpeg, image/png or image/webp",
        ));
    }
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the photo may be at most 10 MB",
            )
        } else {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                format!("could not read the body: {rejection}"),
            )
        }
    })?;
    Ok(Json(
        crate::photos::store(&state, &shop.id, &id, body).await?,
    ))
}

/// Removes an item's photo.
#[utoipa::path(delete, path = "/api/v1/shops/{slug}/menu/items/{id}/photo", tag = "menu",
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = MenuItem), (status = 404, body = ErrorBody)))]
pub async fn delete_photo(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    caller: Caller,
) -> ApiResult<Json<MenuItem>> {
    let shop = manager(&state, &caller, &slug).await?;
    let id = id_or_404(MenuItemId::parse, &id)?;
    Ok(Json(
        state
            .store
            .set_item_photo(&shop.id, &id, None, state.now())
            .await?,
    ))
}

/// Adds an option group (e.g. Size, min 1, max 1) to an item.
#[utoipa::path(post, path = "/api/v1/shops/{slug}/menu/items/{id}/option-groups", tag = "menu",
    params(("slug" = String, Path), ("id" = String, Path)), request_body = OptionGroupInput,
    responses((status = 201, body = OptionGroup), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_option_group(
    State(state): State<AppState>,
    Path((slug, item)): Path<(String, String)>,
    caller: Caller,
    ApiJson(body): ApiJson<OptionGroupInput>,
) -> ApiResult<(StatusCode, Json<OptionGroup>)> {
    let shop = manager(&state, &caller, &slug).await?;
    let item = id_or_404(MenuItemId::parse, &item)?;
    let change = body.validate(true)?;
    let group = state
        .store
        .create_option_group(
            &shop.id,
            &item,
            state.new_id(OptionGroupId::from_parts),
            change,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(group)))
}

/// Changes an option group.
#[utoipa::path(patch, path = "/api/v1/shops/{slug}/menu/option-groups/{id}", tag = "menu",
    params(("slug" = String, Path), ("id" = String, Path)), request_body = OptionGroupInput,
    responses((status = 200, body = OptionGroup), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_option_group(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    caller: Caller,
    ApiJson(body): ApiJson<OptionGroupInput>,
) -> ApiResult<Json<OptionGroup>> {
    let shop = manager(&state, &caller, &slug).await?;
    let id = id_or_404(OptionGroupId::parse, &id)?;
    let change = body.validate(false)?;
    Ok(Json(
        state
            .store
            .update_option_group(&shop.id, &id, change)
            .await?,
    ))
}

/// Deletes an option group with its options.
#[utoipa::path(delete, path = "/api/v1/shops/{slug}/menu/option-groups/{id}", tag = "menu",
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_option_group(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    caller: Caller,
) -> ApiResult<StatusCode> {
    let shop = manager(&state, &caller, &slug).await?;
    let id = id_or_404(OptionGroupId::parse, &id)?;
    state.store.delete_option_group(&shop.id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds an option to a group.
#[utoipa::path(post, path = "/api/v1/shops/{slug}/menu/option-groups/{id}/options", tag = "menu",
    params(("slug" = String, Path), ("id" = String, Path)), request_body = OptionInput,
    responses((status = 201, body = MenuOption), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_option(
    State(state): State<AppState>,
    Path((slug, group)): Path<(String, String)>,
    caller: Caller,
    ApiJson(body): ApiJson<OptionInput>,
) -> ApiResult<(StatusCode, Json<MenuOption>)> {
    let shop = manager(&state, &caller, &slug).await?;
    let group = id_or_404(OptionGroupId::parse, &group)?;
    let change = body.validate(true)?;
    let option = state
        .store
        .create_option(&shop.id, &group, state.new_id(OptionId::from_parts), change)
        .await?;
    Ok((StatusCode::CREATED, Json(option)))
}

/// Changes an option (name, price, sold out, position).
#[utoipa::path(patch, path = "/api/v1/shops/{slug}/menu/options/{id}", tag = "menu",
    params(("slug" = String, Path), ("id" = String, Path)), request_body = OptionInput,
    responses((status = 200, body = MenuOption), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_option(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    caller: Caller,
    ApiJson(body): ApiJson<OptionInput>,
) -> ApiResult<Json<MenuOption>> {
    let shop = manager(&state, &caller, &slug).await?;
    let id = id_or_404(OptionId::parse, &id)?;
    let change = body.validate(false)?;
    Ok(Json(
        state.store.update_option(&shop.id, &id, change).await?,
    ))
}

/// Deletes an option.
#[utoipa::path(delete, path = "/api/v1/shops/{slug}/menu/options/{id}", tag = "menu",
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_option(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    caller: Caller,
) -> ApiResult<StatusCode> {
    let shop = manager(&state, &caller, &slug).await?;
    let id = id_or_404(OptionId::parse, &id)?;
    state.store.delete_option(&shop.id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
